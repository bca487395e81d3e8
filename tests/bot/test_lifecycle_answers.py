"""Answers follow the version in force (issue 12).

The bundled plan plus fictional 青禾市 drafts and finals (tests/fixtures/lifecycle, each labelled 测试样例):
a draft its final supersedes, an implementing rule that expired, a rule an admin withdraws and a notice
uploaded by mistake and removed. No answer may cite a superseded, withdrawn, expired or removed document
unless the question names it; a question that names one gets it, marked as no longer in use.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot import lifecycle
from bot.service import PolicyBot
from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
LIFECYCLE = ROOT / "tests" / "fixtures" / "lifecycle"
DRAFT = "qinghe-biaozhu-measures-draft-test-sample.txt"
FINAL = "qinghe-biaozhu-measures-test-sample.txt"
EXPIRED = "qinghe-suanli-pilot-rules-test-sample.txt"
WITHDRAWN = "qinghe-wanglian-rules-test-sample.txt"
REMOVED = "qinghe-wrong-upload-test-sample.txt"
NOT_IN_USE = {DRAFT, EXPIRED, WITHDRAWN, REMOVED}


@pytest.fixture(scope="module")
def bot(tmp_path_factory) -> PolicyBot:
    policybot = PolicyBot(Settings(home=tmp_path_factory.mktemp("lifecycle-home")))
    report = policybot.ingest([policybot.settings.corpus_dir, LIFECYCLE], actor="cli:tester")
    assert not report.failures and len(report.results) == 6
    policybot.library.set_status(WITHDRAWN, "withdrawn", "cli:tester")
    policybot.library.remove(REMOVED, "cli:tester")
    return policybot


def sources(answer) -> set[str]:
    return {c.source for c in answer.citations}


def test_the_document_list_shows_each_state(bot):
    rows = {row.source: row for row in bot.library.list_documents()}
    assert REMOVED not in rows
    assert {s: rows[s].status for s in (DRAFT, FINAL, EXPIRED, WITHDRAWN)} == {
        DRAFT: "superseded", FINAL: "in_force", EXPIRED: "expired", WITHDRAWN: "withdrawn",
    }
    assert rows[FINAL].doc_number == "青禾政办发〔2025〕18号" and rows[FINAL].supersedes == [rows[DRAFT].id]
    assert rows["zhejiang-ai-plus-action-plan-2024-2027-draft.txt"].status == "draft"  # no final: still in use


def test_answers_come_from_the_final_and_say_the_draft_differed(bot):
    answer = bot.ask("青禾市数据标注企业的奖励比例是多少？")
    assert sources(answer) == {FINAL}
    assert "15%" in answer.citations[0].quote and "10%" not in answer.answer
    assert "取代了此前的《青禾市数据标注产业扶持办法（征求意见稿）（测试样例）》" in answer.answer
    assert "表述不同" in answer.answer


def test_what_only_a_superseded_draft_said_is_not_policy(bot):
    answer = bot.ask("青禾市标注场地的租金补贴比例是多少？")
    assert DRAFT not in sources(answer)
    assert "50%" not in answer.answer


@pytest.mark.parametrize(
    ("question", "gone"),
    [
        ("青禾算力试点券按多少比例抵扣？", EXPIRED),
        ("智能网联汽车道路测试要买多少保险？", WITHDRAWN),
        ("低空巡检无人机每台补贴多少？", REMOVED),
    ],
)
def test_expired_withdrawn_and_removed_documents_do_not_answer(bot, question, gone):
    answer = bot.ask(question)
    assert gone not in sources(answer)
    assert not ({"30%", "500万元", "8万元"} & set(c.quote for c in answer.citations))


def test_a_question_that_names_the_old_draft_gets_it_marked_as_superseded(bot):
    answer = bot.ask("那份征求意见稿原来怎么写的？数据标注企业的奖励比例是多少")
    assert sources(answer) == {DRAFT}
    assert "10%" in answer.citations[0].quote
    assert "已被《青禾市数据标注产业扶持办法（测试样例）》取代" in answer.answer and "不是现行规定" in answer.answer


def test_a_question_that_names_an_expired_rule_gets_it_marked_as_expired(bot):
    answer = bot.ask("已经失效的青禾市算力券试点实施细则原来规定怎么抵扣？")
    assert sources(answer) == {EXPIRED}
    assert "30%" in answer.citations[0].quote and "已失效" in answer.answer


def test_comparison_of_the_final_and_the_draft_cites_both_sides(bot):
    answer = bot.ask("正式稿和征求意见稿有什么不同？")
    assert answer.route == "compare" and not answer.refused
    assert sources(answer) == {DRAFT, FINAL}
    assert answer.answer.count("（修改）") == 3 and answer.answer.count("（新增）") == 1 and answer.answer.count("（删除）") == 1
    assert "10%、100万元 → 15%、150万元" in answer.answer
    assert "青禾市经信局 → 青禾市发展改革委" in answer.answer
    for citation in answer.citations:  # every quote is verbatim from its side
        assert citation.quote in citation.clause_text
    assert {c.clause for c in answer.citations if c.source == DRAFT} >= {"第二条", "第四条"}


def test_no_answer_to_the_evaluation_questions_cites_a_document_not_in_use(bot):
    rows = [json.loads(line) for path in ("questions.jsonl", "sample_rules.jsonl")
            for line in (ROOT / "tests" / "eval" / path).read_text(encoding="utf-8").splitlines() if line.strip()]
    snap = bot.retriever.snapshot()
    checked = 0
    for row in rows:
        if row.get("history") or lifecycle.named_documents(row["question"], snap):
            continue
        answer = bot.ask(row["question"])
        assert not (sources(answer) & NOT_IN_USE), (row["question"], sources(answer))
        checked += 1
    assert checked > 100


def test_the_audit_log_records_each_change(bot):
    entries = bot.library.audit.entries()
    actions = {(e["action"], e["source"]) for e in entries}
    assert {("added", DRAFT), ("added", FINAL), ("superseded", DRAFT), ("withdrawn", WITHDRAWN), ("removed", REMOVED)} <= actions
    assert all(e["actor"] == "cli:tester" and e["time"] for e in entries)


def test_a_topic_in_an_old_title_does_not_name_it_but_the_title_does(bot):
    snap = bot.retriever.snapshot()
    assert lifecycle.named_documents("智能网联汽车道路测试要买多少保险？", snap) == frozenset()
    answer = bot.ask("青禾市智能网联汽车道路测试管理办法里保险是怎么规定的？")
    assert sources(answer) == {WITHDRAWN}
    assert "已撤回" in answer.answer and "不是现行规定" in answer.answer


def test_a_refusal_says_when_only_a_document_no_longer_in_use_covered_the_question(bot):
    answer = bot.ask("青禾算力试点券按多少比例抵扣？")
    assert answer.refused and not answer.citations
    assert "《青禾市算力券试点实施细则（测试样例）》涉及这个问题，但该文件已失效" in answer.answer
    assert "30%" not in answer.answer  # named, never quoted
    unrelated = bot.ask("如何办理护照？")
    assert unrelated.refused and "测试样例）》涉及这个问题" not in unrelated.answer


# --- versions named by their words, their month or their call for comments; one item compared -----------
def test_a_draft_is_named_by_its_state_word_and_a_word_of_its_title(bot):
    answer = bot.ask("青禾数据标注那份征求意见稿是哪天发布的？")
    assert sources(answer) == {DRAFT}
    assert "2025年5月1日" in answer.answer and "2025年8月1日" not in answer.answer


def test_a_draft_is_named_by_the_month_it_was_issued_in(bot):
    answer = bot.ask("青禾市5月份发布的数据标注办法是正式文件吗？")
    assert sources(answer) == {DRAFT}
    assert "征求意见稿" in answer.answer and "尚未正式施行" in answer.answer


def test_status_of_an_issued_document_states_its_number_issuer_and_date(bot):
    answer = bot.ask("青禾市数据标注产业扶持办法正式印发了吗？")
    assert sources(answer) == {FINAL}
    assert "已正式印发" in answer.answer
    assert all(fact in answer.answer for fact in ("青禾政办发〔2025〕18号", "青禾市人民政府办公室", "2025年8月1日"))


def test_one_item_of_two_versions_is_compared_side_by_side(bot):
    answer = bot.ask("青禾数据标注企业的奖励比例，征求意见稿和正式稿分别是多少？")
    assert answer.route == "compare"
    assert [c.source for c in answer.citations] == [FINAL, DRAFT]
    assert {c.clause for c in answer.citations} == {"第二条"}
    assert "15%" in answer.citations[0].quote and "10%" in answer.citations[1].quote
    assert "第三条" not in answer.answer  # the other changed clauses are not listed


def test_a_change_of_lead_unit_is_said(bot):
    answer = bot.ask("青禾数据标注基地的责任单位在征求意见稿和正式稿中一样吗？")
    assert answer.route == "compare" and {c.clause for c in answer.citations} == {"第三条"}
    assert "青禾市经信局 → 青禾市发展改革委" in answer.answer


def test_asking_what_was_added_lists_only_additions(bot):
    answer = bot.ask("青禾数据标注办法正式稿比征求意见稿新增了哪些条款？")
    assert answer.route == "compare"
    assert "（修改）" not in answer.answer and "（删除）" not in answer.answer
