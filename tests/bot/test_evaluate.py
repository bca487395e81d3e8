"""`policybot eval` scoring: each gold field can fail, and the summary counts by category."""

import json

from bot.evaluate import run_eval, score
from bot.models import Answer, Citation


def answer(text="省卫生健康委（牵头）", clause="二、重点领域 › （三）人工智能+医疗", refused=False):
    citations = [] if refused else [Citation(doc_title="t", clause=clause, quote="（责任单位：省卫生健康委）", source="s")]
    return Answer(question="q", answer=text, refused=refused, citations=citations)


def test_each_gold_field_is_checked():
    assert score({"id": "a", "any_clause": "（三）人工智能+医疗", "expect_refused": False}, answer()).passed
    failed = score({"id": "b", "any_clause": "（四）人工智能+教育"}, answer())
    assert not failed.passed and failed.hit_at_1 is False
    assert not score({"id": "c", "must_include": ["省药监局"]}, answer()).passed
    assert not score({"id": "d", "must_include_any": ["x", "y"]}, answer()).passed
    assert not score({"id": "e", "must_not_match": r"\d+元"}, answer(text="面值100元")).passed
    assert not score({"id": "f", "expect_refused": True}, answer()).passed
    assert not score({"id": "g", "all_clauses": ["医疗", "教育"]}, answer()).passed
    assert score({"id": "h", "question": "no gold"}, answer()).passed is None


class FakeBot:
    """Answers from a script, behind the same interface as PolicyBot."""

    def __init__(self, replies):
        self.replies = replies
        self.asked = []

    def warm_up(self):
        pass

    def ask(self, question, history):
        self.asked.append((question, history))
        return self.replies[question]


def test_run_eval_writes_answers_and_reports_by_category(tmp_path):
    questions = tmp_path / "q.jsonl"
    lines = [
        {"id": "1", "category": "agencies", "question": "医疗谁管", "any_clause": "（三）人工智能+医疗"},
        {"id": "2", "category": "out_of_scope", "question": "天气", "expect_refused": True,
         "history": [{"role": "user", "content": "x"}]},
    ]
    questions.write_text("\n".join(json.dumps(l, ensure_ascii=False) for l in lines), encoding="utf-8")
    bot = FakeBot({"医疗谁管": answer(), "天气": answer(refused=False)})
    out = tmp_path / "answers.jsonl"
    summary = run_eval(bot, questions, out)
    assert summary["by_category"]["agencies"]["rate"] == 1.0
    assert summary["by_category"]["out_of_scope"]["rate"] == 0.0
    assert summary["hit_at_1"] == 1.0
    assert bot.asked[1][1] == [{"role": "user", "content": "x"}]
    written = [json.loads(l) for l in out.read_text(encoding="utf-8").splitlines()]
    assert [w["id"] for w in written] == ["1", "2"] and written[1]["passed"] is False


def test_doc_title_must_be_among_the_top_three_citations():
    assert score({"id": "a", "doc_title": "t"}, answer()).passed
    failed = score({"id": "b", "doc_title": "实施细则"}, answer())
    assert not failed.passed and "doc_title" in failed.failures[0]


def test_a_figure_or_organisation_missing_from_the_cited_clause_fails_the_answer():
    grounded = answer(text="责任单位是省卫生健康委 [1]")
    assert score({"id": "a", "expect_refused": False}, grounded).passed
    invented_figure = answer(text="每家企业最高补助800万元 [1]")
    result = score({"id": "b", "expect_refused": False}, invented_figure)
    assert not result.passed and result.ungrounded == ["figure 800"]
    invented_agency = answer(text="由省经信厅负责 [1]")
    assert score({"id": "c", "expect_refused": False}, invented_agency).ungrounded == ["organisation 省经信厅"]
    # List numbering and citation markers state nothing; a longer name of a cited agency is the same agency.
    # The asker's own figures, said back, are no claim about a policy.
    echoed = answer(text="按您的支出500万元计 [1]")
    assert score({"id": "e", "question": "花了500万元能补多少", "expect_refused": False}, echoed).ungrounded == []
    assert score({"id": "f", "question": "能补多少", "expect_refused": False}, echoed).ungrounded == ["figure 500"]
    listed = answer(text="1. 浙江省卫生健康委 [1]\n2. 省卫生健康委 [1]")
    assert score({"id": "d", "expect_refused": False}, listed).ungrounded == []


def test_a_bad_line_is_reported_with_its_number_and_the_others_still_run(tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        "\n".join([
            json.dumps({"id": "1", "question": "医疗谁管", "must_include": "省卫生健康委"}, ensure_ascii=False),
            "{not json",
            json.dumps({"id": "3", "question": "医疗谁管", "any_clause": "（三）人工智能+医疗"}, ensure_ascii=False),
        ]),
        encoding="utf-8",
    )
    out = tmp_path / "answers.jsonl"
    summary = run_eval(FakeBot({"医疗谁管": answer()}), questions, out)
    assert summary["graded"] == 1 and summary["passed"] == 1
    assert summary["errors"][0].startswith("line 1 (id '1'): 'must_include' must be list")
    assert summary["errors"][1].startswith("line 2: not JSON")
    written = [json.loads(l) for l in out.read_text(encoding="utf-8").splitlines()]
    assert [w.get("line") or w.get("id") for w in written] == [1, 2, "3"]
