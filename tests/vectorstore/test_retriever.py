"""Hybrid retrieval over the plan and the sample rules, embedded and on a Chroma server."""

from __future__ import annotations

import pytest

from ingest.pipeline import chunk_document, parse_file
from vectorstore.retriever import HybridRetriever
from vectorstore.store import ClauseStore

MEDICAL = "二、重点领域 › （三）人工智能+医疗"
FINANCE = "二、重点领域 › （十二）人工智能+金融"


def ingest(store, document):
    return store.upsert_document(document, chunk_document(document, store.settings.max_chunk_chars))


@pytest.fixture(scope="module")
def plan(plan_path):
    return parse_file(plan_path)


@pytest.fixture(scope="module")
def rules(fixture_files):
    return parse_file(fixture_files["rules_pdf"])


@pytest.fixture(scope="module", params=["embedded", "server"])
def retriever(request, tmp_path_factory, store_settings_factory, embedder, plan, rules):
    """One index per backend holding the plan and the sample rules PDF, shared by this module."""
    settings = store_settings_factory(request, request.param, tmp_path_factory.mktemp(f"retriever-{request.param}"))
    store = ClauseStore(settings, embedder=embedder)
    assert ingest(store, plan).status == "added"
    assert ingest(store, rules).status == "added"
    return HybridRetriever(store, settings, refresh_seconds=0)


def paths(results):
    return [r.chunk.clause_path for r in results]


@pytest.mark.parametrize("question", ["AI+医疗谁管", "Who is responsible for AI in healthcare?", "人工智能医疗的责任单位是哪些"])
def test_medical_clause_first(retriever, question):
    results = retriever.search(question)
    assert paths(results)[0] == MEDICAL
    assert results[0].chunk.responsible_agencies[0] == "省卫生健康委"


def test_bank_loans_find_a_finance_clause(retriever):
    top2 = paths(retriever.search("银行贷款", k=2))
    assert any("金融" in p for p in top2), top2


def test_results_are_ranked_and_explained(retriever):
    results = retriever.search("人工智能+金融 银行")
    assert FINANCE in paths(results)
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True)
    finance = next(r for r in results if r.chunk.clause_path == FINANCE)
    assert finance.bm25 > 0 and finance.title_hit
    assert "银行" in finance.matched_terms


def test_k_limits_results(retriever):
    assert len(retriever.search("人工智能", k=3)) == 3
    assert len(retriever.search("人工智能")) == retriever.settings.top_k


def test_doc_id_filter(retriever, plan, rules):
    question = "算力券和智能券"
    unfiltered = retriever.search(question, k=3)
    # The province's one clause on vouchers first (no place named: the broadest jurisdiction is
    # preferred when its clause covers the question as well), then the rules, which are all about them.
    assert paths(unfiltered[:1]) == ["三、保障措施 › （三）加强创新要素供给"]
    assert {r.chunk.doc_id for r in unfiltered[1:]} == {rules.doc_id}
    in_plan = retriever.search(question, k=10, doc_id=plan.doc_id)
    assert {r.chunk.doc_id for r in in_plan} == {plan.doc_id}
    # Restricted to the plan, its one clause about vouchers comes first.
    assert paths(in_plan)[0] == "三、保障措施 › （三）加强创新要素供给"
    in_rules = retriever.search(question, k=10, doc_id=rules.doc_id)
    assert len(in_rules) == 10
    assert {r.chunk.doc_id for r in in_rules} == {rules.doc_id}


def test_rules_question_finds_article(retriever, rules):
    results = retriever.search("算力券每家企业每年最高补贴多少", doc_id=rules.doc_id)
    assert "第三章 支持标准 › 第七条" in paths(results)[:3]
    assert results[0].chunk.page in (1, 2, 3)


@pytest.mark.parametrize(("jurisdiction", "doc"), [("示例市", "rules"), ("浙江省", "plan")])
def test_jurisdiction_filter(retriever, request, jurisdiction, doc):
    expected = request.getfixturevalue(doc)
    results = retriever.search("算力券 人工智能 企业", k=8, jurisdiction=jurisdiction)
    assert results
    assert {r.chunk.jurisdiction for r in results} == {jurisdiction}
    assert {r.chunk.doc_id for r in results} == {expected.doc_id}


def test_the_province_is_preferred_only_where_its_clause_covers_the_question(retriever, plan, rules):
    # The plan's voucher clause names 算力券 but nothing about the materials an application needs.
    materials = retriever.search("申请算力券需要提交哪些材料？", k=3)
    assert materials[0].chunk.doc_id == rules.doc_id
    assert materials[0].chunk.clause_path.endswith("第十一条")
    # Without the preference (weight 0) the same ranking: it played no part there.
    unweighted = HybridRetriever(retriever.store, retriever.settings.model_copy(update={"jurisdiction_weight": 0.0}), refresh_seconds=0)
    assert paths(unweighted.search("申请算力券需要提交哪些材料？", k=3)) == paths(materials)


def test_a_place_the_question_names_is_preferred_over_the_broadest(retriever, plan, rules):
    results = retriever.search("算力券和智能券", k=3, places=["示例市"])
    assert {r.chunk.doc_id for r in results} == {rules.doc_id}


def test_referred_documents_are_preferred(retriever, plan, rules):
    results = retriever.search("算力券和智能券", k=3, documents={rules.doc_id})
    assert {r.chunk.doc_id for r in results} == {rules.doc_id}


def test_unknown_filters_give_nothing(retriever):
    assert retriever.search("人工智能", doc_id="doc-does-not-exist") == []
    assert retriever.search("人工智能", jurisdiction="火星市") == []


@pytest.mark.parametrize(
    "k",
    [
        0,
        -1,
        -10,
    ],
)
def test_non_positive_k_refused(retriever, k):
    with pytest.raises(ValueError, match=rf"k must be greater than 0, got {k}"):
        retriever.search("人工智能", k=k)


def test_known_terms(retriever):
    assert "医疗" in retriever.known_terms("AI in healthcare")
    assert retriever.known_terms("xyzzy") == []


# --- a fresh index per test --------------------------------------------------------------
def test_empty_index_returns_nothing(store_settings, embedder):
    retriever = HybridRetriever(ClauseStore(store_settings, embedder=embedder), store_settings, refresh_seconds=0)
    assert retriever.search("AI+医疗谁管") == []


def test_search_sees_new_version_and_removal(store_settings, embedder, plan, plan_path, tmp_path):
    store = ClauseStore(store_settings, embedder=embedder)
    ingest(store, plan)
    retriever = HybridRetriever(store, store_settings, refresh_seconds=0)
    assert "加速新药研发进程" in retriever.search("AI+医疗谁管")[0].chunk.text

    copy = tmp_path / "v2" / plan_path.name
    copy.parent.mkdir()
    copy.write_text(
        plan_path.read_text(encoding="utf-8").replace("加速新药研发进程", "缩短新药审评审批时间"), encoding="utf-8"
    )
    assert ingest(store, parse_file(copy)).status == "updated"
    top = retriever.search("AI+医疗谁管")[0].chunk
    assert top.clause_path == MEDICAL
    assert "缩短新药审评审批时间" in top.text and "加速新药研发进程" not in top.text

    store.remove_document(plan.doc_id)
    assert retriever.search("AI+医疗谁管") == []


def test_invalid_refresh_seconds_refused(settings, embedder):
    with pytest.raises(ValueError, match=r"refresh_seconds must be 0 or more, got -1"):
        HybridRetriever(ClauseStore(settings, embedder=embedder), settings, refresh_seconds=-1)
