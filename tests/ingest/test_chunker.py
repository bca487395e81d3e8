"""Chunking: a long clause is cut between sentences and every part still says where it comes from."""

from __future__ import annotations

import pytest

from ingest.chunker import ClauseChunker
from ingest.models import Clause, Document
from ingest.pipeline import chunk_document, parse_file

SENTENCE_ENDS = ("。", "！", "？", "；", ";", "!", "?", "…")
MEDICAL = "二、重点领域 › （三）人工智能+医疗"


@pytest.fixture(scope="module")
def plan(plan_path):
    return parse_file(plan_path)


def long_document(sentences: int = 12) -> Document:
    text = "".join(f"第{i}句说明政策的适用范围和申请条件以及办理时限和责任单位。" for i in range(1, sentences + 1))
    clause = Clause(
        id="clause-test",
        doc_id="doc-test",
        path=["二、重点领域", "（三）人工智能+医疗"],
        number="（三）",
        title="人工智能+医疗",
        kind="section",
        text=text,
        page=4,
        responsible_agencies=["省卫生健康委", "省药监局"],
    )
    return Document(
        doc_id="doc-test",
        content_hash="h",
        source="test.txt",
        title="测试文件",
        jurisdiction="浙江省",
        status="征求意见稿",
        clauses=[clause],
    )


def test_short_clauses_are_one_chunk_each(plan):
    chunks = chunk_document(plan)
    assert len(chunks) == 20
    assert [c.clause_path for c in chunks] == [cl.clause_path for cl in plan.clauses]
    assert [c.text for c in chunks] == [cl.text for cl in plan.clauses]
    assert all(c.part == 0 for c in chunks)


def test_long_clause_split_on_sentence_boundaries():
    document = long_document()
    clause = document.clauses[0]
    chunks = ClauseChunker(max_chars=100)(document)
    assert len(chunks) > 1
    assert [c.part for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert len(chunk.text) <= 100
        assert chunk.text.endswith("。"), chunk.text
        assert chunk.text.startswith("第")  # starts at a sentence, not mid-sentence
        assert chunk.clause_path == "二、重点领域 › （三）人工智能+医疗"
        assert chunk.clause_id == clause.id
        assert chunk.responsible_agencies == ["省卫生健康委", "省药监局"]
        assert chunk.page == 4
        assert (chunk.doc_title, chunk.source, chunk.jurisdiction, chunk.status) == ("测试文件", "test.txt", "浙江省", "征求意见稿")
        assert chunk.clause_path in chunk.index_text() and chunk.doc_title in chunk.index_text()
    assert "".join(c.text for c in chunks) == clause.text


def test_plan_clauses_split_without_losing_text(plan):
    chunks = chunk_document(plan, max_chars=200)
    assert len(chunks) > len(plan.clauses)
    for clause in plan.clauses:
        parts = [c for c in chunks if c.clause_id == clause.id]
        assert [p.part for p in parts] == list(range(len(parts)))
        assert "".join(p.text for p in parts).replace("\n", "") == clause.text.replace("\n", "")
        for part in parts:
            assert len(part.text) <= 200
            assert part.clause_path == clause.clause_path
            assert part.responsible_agencies == clause.responsible_agencies
        for part in parts[:-1]:
            # A part ends a sentence, or ends where the clause's own line ends (a heading or list line).
            assert part.text.endswith(SENTENCE_ENDS) or f"{part.text}\n" in clause.text, (clause.clause_path, part.text[-15:])


def test_medical_clause_parts_keep_path_and_lead_agency(plan):
    parts = [c for c in chunk_document(plan, max_chars=120) if c.clause_path == MEDICAL]
    assert len(parts) >= 3
    assert all(p.responsible_agencies[0] == "省卫生健康委" for p in parts)
    assert all(p.text.endswith(("。", "）")) for p in parts)
    assert "（责任单位：省卫生健康委" in parts[-1].text


def test_chunk_ids_stable_and_unique(plan, plan_path):
    first = chunk_document(plan, max_chars=150)
    second = chunk_document(parse_file(plan_path), max_chars=150)
    assert [c.id for c in first] == [c.id for c in second]
    assert len({c.id for c in first}) == len(first)
    assert all(c.id.startswith("chunk-") for c in first)


def test_chunk_ids_change_with_text(plan):
    a = chunk_document(plan)
    edited = plan.model_copy(deep=True)
    edited.clauses[5].text += "补充一句。"
    b = chunk_document(edited)
    changed = [x.clause_path for x, y in zip(a, b) if x.id != y.id]
    assert changed == [plan.clauses[5].clause_path]


@pytest.mark.parametrize("bad", [0, 10, 49])
def test_too_small_max_chars_refused(bad):
    with pytest.raises(ValueError, match=rf"max_chars must be at least 50, got {bad}"):
        ClauseChunker(max_chars=bad)
