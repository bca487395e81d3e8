"""Abstention from evidence: the typed ``Coverage`` of questions against a small synthetic policy.

The document is made up for these tests (测试样例). Each question is judged by where its subject terms are —
in the clauses found, elsewhere in the index, or nowhere — and how specific they are in general Chinese.
"""

from __future__ import annotations

import pytest

from bot.abstain import IN_CLAUSES, IN_INDEX, NOWHERE, Coverage, Term, coverage
from ingest.pipeline import chunk_document, parse_file
from vectorstore.retriever import HybridRetriever
from vectorstore.store import ClauseStore

SYNTHETIC_POLICY = """青禾市人工智能产业扶持办法（测试样例）

第一章 总则
第一条 为加快人工智能产业发展，制定本办法。

第二章 支持内容
第二条 算力券。对企业购买智能算力服务发放算力券，按合同金额的30%予以兑付，单家企业每年不超过50万元。
第三条 技术改造贷款贴息。对企业技术改造项目贷款给予贴息，年贴息比例不超过1.5%，贴息期限不超过2年。
第四条 研发投入。企业研发费用按国家规定享受加计扣除政策。
第五条 场景开放。每年组织场景供需匹配活动，发布应用场景清单。
第六条 灾害预警。支持利用人工智能开展森林火险和地震灾害预警。

第三章 附则
第七条 本办法由青禾市经济和信息化局负责解释，申报截止时间为每年6月15日。
"""


@pytest.fixture(scope="module")
def retriever(tmp_path_factory, store_settings_factory, embedder, request) -> HybridRetriever:
    folder = tmp_path_factory.mktemp("abstain")
    source = folder / "qinghe-ai-measures-test-sample.txt"
    source.write_text(SYNTHETIC_POLICY, encoding="utf-8")
    settings = store_settings_factory(request, "embedded", folder / "home")
    store = ClauseStore(settings, embedder=embedder)
    document = parse_file(source)
    store.upsert_document(document, chunk_document(document, settings.max_chunk_chars))
    return HybridRetriever(store, settings, refresh_seconds=0)


def judged(retriever: HybridRetriever, question: str):
    return coverage(question, retriever.search(question, k=3), retriever, own_words=question)


def found(cov, word: str) -> str:
    return next(t.found for t in cov.terms if t.text == word)


def test_a_term_only_the_documents_use_anchors_a_question_with_a_word_they_do_not(retriever):
    cov = judged(retriever, "算力券的发票抬头怎么写")
    assert cov.covered and cov.reason is None
    assert found(cov, "算力券") == IN_CLAUSES  # kept whole, though general Chinese does not know it


def test_a_specific_subject_no_document_uses_is_refused_though_a_common_word_matched(retriever):
    cov = judged(retriever, "助学贷款怎么申请")
    assert not cov.covered and cov.reason == "unheard_subject"
    assert found(cov, "助学") == NOWHERE and found(cov, "贷款") == IN_CLAUSES


def test_a_compound_is_judged_whole_not_by_its_generic_head(retriever):
    # 预警 is in a clause (灾害预警), but the compound asked about is a kind of 预警 no document names.
    cov = judged(retriever, "海啸预警由谁发布")
    assert not cov.covered and cov.reason == "unheard_subject"
    assert found(cov, "预警") == IN_CLAUSES
    # The clause's own compounds are answered.
    assert judged(retriever, "研发费用加计扣除怎么享受").covered


def test_an_unknown_head_after_known_words_asks_about_them(retriever):
    # 面积 is what is asked of the 场景清单; the words before it say what the question is about.
    assert judged(retriever, "应用场景清单面积多大").covered


def test_a_common_word_used_in_passing_does_not_cover_a_question_of_common_words(retriever):
    cov = judged(retriever, "孩子学校地震了怎么办")
    assert not cov.covered and cov.reason == "passing_mention"
    # The clause's own subject is answered.
    assert judged(retriever, "人工智能怎么做灾害预警").covered


def test_an_abbreviation_is_found_where_the_documents_write_it_in_full(retriever):
    cov = judged(retriever, "技改贴息比例多少")
    assert cov.covered and found(cov, "技改") in (IN_CLAUSES, IN_INDEX)


def test_a_figure_the_clause_states_points_at_it(retriever):
    cov = judged(retriever, "过了6月15日还能补交吗")
    assert cov.covered and found(cov, "6月15日") == IN_CLAUSES


def test_places_and_asking_words_are_not_subject_terms(retriever):
    cov = judged(retriever, "杭州的算力券由哪些审批机构兑付")
    words = [t.text for t in cov.terms]
    assert "杭州" not in words and "哪些" not in words
    assert next(t for t in cov.terms if t.text == "审批").asked  # the slot asked for, not the subject
    assert cov.covered


def test_a_question_with_nothing_the_documents_say_is_refused(retriever):
    cov = judged(retriever, "护照丢了怎么挂失")
    assert not cov.covered


def test_terms_the_documents_use_elsewhere_cover_the_subject_though_the_ranking_missed_them():
    # Every term is in some clause, none in the clauses ranked first: the documents cover the subject, and
    # the answer says what they do not state. One term in no document as well: nothing found is about it.
    elsewhere = Term("联系人", 10.5, IN_INDEX, 2)
    assert Coverage((elsewhere,), share=0.0, title_hit=False).covered
    nowhere = Term("挂号费", 14.0, NOWHERE)
    assert not Coverage((elsewhere, Term("门诊", 10.0, NOWHERE)), share=0.0, title_hit=False).covered
    assert Coverage((elsewhere, nowhere), share=0.0, title_hit=False).reason == "unheard_subject"
