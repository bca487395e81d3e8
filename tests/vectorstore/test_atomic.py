"""Ingest is atomic per document: a failure midway leaves the previous version live, a new version replaces the old."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from bot.service import PolicyBot
from ingest.pipeline import chunk_document, parse_file
from vectorstore.retriever import HybridRetriever
from vectorstore.store import ClauseStore

MEDICAL = "二、重点领域 › （三）人工智能+医疗"
OLD_SENTENCE = "探索利用人工智能技术加速新药研发进程"
NEW_SENTENCE = "探索利用人工智能技术大幅缩短新药审评审批时间"
OLD_DATE = "2024年10月8日"
NEW_DATE = "2024年11月20日"
NOTICE_QUESTION = "征求意见什么时候截止？联系人是谁？"


def write_version(plan_path, folder, text: str):
    """The plan's file name in ``folder`` with ``text``: a version of the same document."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / plan_path.name
    path.write_text(text, encoding="utf-8")
    return path


def replaced(text: str, old: str, new: str, count: int | None = None) -> str:
    assert old in text and (count is None or text.count(old) == count), old
    return text.replace(old, new)


def ingest(store, document):
    return store.upsert_document(document, chunk_document(document, store.settings.max_chunk_chars))


def live_state(store):
    """Everything a reader of the index can see."""
    return (
        store.version(),
        store.stats(),
        sorted((c.id, c.text, c.doc_title, c.status) for c in store.all_chunks()),
        [d.model_dump() for d in store.documents()],
    )


def assert_every_clause_findable(store, chunks):
    retriever = HybridRetriever(store, store.settings, refresh_seconds=0)
    for chunk in chunks:
        if chunk.kind == "notice":
            continue
        found = [hit.chunk.id for hit in retriever.search(chunk.text[:60], k=3)]
        assert chunk.id in found, chunk.clause_path


@pytest.fixture
def store(store_settings, embedder):
    return ClauseStore(store_settings, embedder=embedder)


@pytest.fixture
def versions(plan_path, tmp_path):
    """v1: the plan; v2: the same file name with "人工智能" written "AI" everywhere (every clause changes)."""
    text = plan_path.read_text(encoding="utf-8")
    v1 = write_version(plan_path, tmp_path / "v1", text)
    v2 = write_version(plan_path, tmp_path / "v2", replaced(text, "人工智能", "AI"))
    return parse_file(v1), parse_file(v2)


# --- a failure midway --------------------------------------------------------------------
def test_failure_after_the_first_batch_leaves_the_previous_version_live(store, versions, monkeypatch):
    old, new = versions
    ingest(store, old)
    before = live_state(store)
    stored_before = store.chunks.count()
    old_chunks = store.all_chunks()
    new_chunks = chunk_document(new, store.settings.max_chunk_chars)
    assert not {c.id for c in new_chunks} & {c.id for c in old_chunks}

    monkeypatch.setattr("vectorstore.store._BATCH", 4)
    real_upsert, calls = store.chunks.upsert, []

    def upsert_then_fail(**kwargs):
        calls.append(kwargs["ids"])
        if len(calls) == 2:
            raise ConnectionError("index went away in the middle of an ingest")
        return real_upsert(**kwargs)

    monkeypatch.setattr(store.chunks, "upsert", upsert_then_fail)
    with pytest.raises(ConnectionError, match="in the middle of an ingest"):
        ingest(store, new)
    monkeypatch.undo()
    assert len(calls[0]) == 4  # one batch of the new version had been written

    assert live_state(store) == before
    assert store.chunks.count() == stored_before  # what the failed ingest wrote is gone again
    assert_every_clause_findable(store, old_chunks)
    retriever = HybridRetriever(store, store.settings, refresh_seconds=0)
    new_ids = {c.id for c in new_chunks}
    for chunk in new_chunks[:6]:
        assert not {hit.chunk.id for hit in retriever.search(chunk.text[:60], k=5)} & new_ids

    # Trying again succeeds and swaps the whole document.
    result = ingest(store, new)
    assert result.status == "updated"
    assert sorted(c.id for c in store.all_chunks()) == sorted(new_ids)
    assert store.chunks.count() == len(new_ids)


KILLED_INGEST = """
import json, sys, time
import vectorstore.store as store_module
from core.settings import Settings
from ingest.pipeline import chunk_document, parse_file
from vectorstore.embeddings import E5EmbeddingFunction
from vectorstore.store import ClauseStore

class StallsAtSecondBatch(E5EmbeddingFunction):
    calls, armed = 0, False
    def __call__(self, input):
        type(self).calls += 1
        if self.armed and type(self).calls == 2:
            print("second batch", flush=True)
            time.sleep(600)
        return super().__call__(input)

settings = Settings(**json.loads(sys.argv[1]))
store_module._BATCH = 4
store = ClauseStore(settings, embedder=StallsAtSecondBatch())
for path in sys.argv[2:]:
    document = parse_file(__import__("pathlib").Path(path))
    StallsAtSecondBatch.calls, StallsAtSecondBatch.armed = 0, path == sys.argv[-1]
    store.upsert_document(document, chunk_document(document, settings.max_chunk_chars))
    print("ingested", path, flush=True)
"""


def test_ingest_killed_during_embedding_leaves_the_previous_version_live(store_settings, embedder, versions, tmp_path):
    """A process killed mid-ingest cannot clean up; the next reader must still see only the old version."""
    old, new = versions
    script = tmp_path / "killed_ingest.py"
    script.write_text(KILLED_INGEST, encoding="utf-8")
    config = {"home": str(store_settings.home), "chroma_url": store_settings.chroma_url,
              "collection_prefix": store_settings.collection_prefix}
    v1_path, v2_path = tmp_path / "v1" / old.source, tmp_path / "v2" / new.source
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    # The old version is ingested whole, then the new one stalls in its second embedding call,
    # after its first batch was written; then the process is killed.
    process = subprocess.Popen(
        [sys.executable, str(script), json.dumps(config), str(v1_path), str(v2_path)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 120
        while "second batch" not in lines and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line.strip())
        assert lines[-1] == "second batch", lines
        assert lines[0].startswith("ingested ")
    finally:
        process.kill()
        process.wait(timeout=30)

    reopened = ClauseStore(store_settings, embedder=embedder)
    live = reopened.all_chunks()
    assert sorted(c.id for c in live) == sorted(c.id for c in chunk_document(old, store_settings.max_chunk_chars))
    [document] = reopened.documents()
    assert document.content_hash == old.content_hash
    assert_every_clause_findable(reopened, live)

    # The orphaned batch is invisible, and re-ingesting the new version completes the swap.
    assert ingest(reopened, new).status == "updated"
    new_ids = sorted(c.id for c in chunk_document(new, store_settings.max_chunk_chars))
    assert sorted(c.id for c in reopened.all_chunks()) == new_ids
    assert reopened.chunks.count() == len(new_ids)


# --- a new version of a document ---------------------------------------------------------
def test_new_version_replaces_clauses_and_the_answer_shows_its_date(store_settings, embedder, plan_path, tmp_path):
    text = plan_path.read_text(encoding="utf-8")
    v1 = write_version(plan_path, tmp_path / "v1", text)
    v2_text = replaced(replaced(text, OLD_SENTENCE, NEW_SENTENCE, 1), OLD_DATE, NEW_DATE, 1)
    v2 = write_version(plan_path, tmp_path / "v2", v2_text)

    policybot = PolicyBot(store_settings)
    policybot.store.embedder = embedder
    # NOTE: the retriever re-reads the index at most every 2 s; look at every ask.
    policybot.retriever.refresh_seconds = 0
    assert not policybot.ingest([v1]).failures
    before = policybot.ask(NOTICE_QUESTION)
    assert OLD_DATE in before.answer
    old_medical = [c for c in policybot.store.all_chunks() if c.clause_path == MEDICAL]

    report = policybot.ingest([v2])
    assert not report.failures
    [result] = report.results
    assert (result.status, result.chunks_added, result.chunks_removed) == ("updated", 2, 2)  # notice + medical

    [document] = policybot.store.documents()
    assert document.date == NEW_DATE
    after = policybot.ask(NOTICE_QUESTION)
    assert NEW_DATE in after.answer and OLD_DATE not in after.answer
    assert NEW_DATE in after.citations[0].quote

    medical = policybot.ask("人工智能+医疗具体要做什么？新药方面怎么支持？")
    cited = [c for c in medical.citations if c.clause == MEDICAL]
    assert cited and NEW_SENTENCE in cited[0].clause_text and OLD_SENTENCE not in cited[0].clause_text

    # No stale clause stays citable: the old medical chunk is gone from the collection itself.
    assert policybot.store.chunks.get(ids=[c.id for c in old_medical])["ids"] == []
    assert all(OLD_SENTENCE not in c.text for c in policybot.store.all_chunks())
    hits = policybot.search(OLD_SENTENCE, k=5)
    assert hits and all(OLD_SENTENCE not in hit.chunk.text for hit in hits)
    assert policybot.store.chunks.count() == policybot.stats()["chunks"] == 20


def test_final_version_updates_title_and_status_of_unchanged_clauses(store, plan_path, tmp_path):
    """The adopted plan keeps most clause texts but drops 征求意见稿: no clause may keep the draft's status."""
    lines = plan_path.read_text(encoding="utf-8").splitlines()
    assert lines[8] == "(征求意见稿)" and lines[6] == OLD_DATE
    final_text = "\n".join([lines[7], "浙江省人民政府办公厅", "2025年1月6日", *lines[9:]]) + "\n"
    draft = parse_file(write_version(plan_path, tmp_path / "draft", "\n".join(lines) + "\n"))
    final = parse_file(write_version(plan_path, tmp_path / "final", final_text))
    assert (draft.status, final.status) == ("征求意见稿", "正式")
    shared = {c.id for c in chunk_document(draft)} & {c.id for c in chunk_document(final)}
    assert len(shared) >= 18  # the body is unchanged

    ingest(store, draft)
    ingest(store, final)
    chunks = store.all_chunks()
    assert len(chunks) == len(chunk_document(final))
    assert {(c.doc_title, c.status) for c in chunks} == {(final.title, "正式")}
    assert {c.id for c in chunks} >= shared


# --- several documents in one write ----------------------------------------------------------
def test_a_batch_that_fails_before_its_switch_leaves_every_document_as_it_was(store, versions, plan_path, tmp_path, monkeypatch):
    old, new = versions
    other_path = tmp_path / "other" / "another-plan.txt"
    other_path.parent.mkdir()
    other_path.write_text(replaced(plan_path.read_text(encoding="utf-8"), "浙江省", "示例省"), encoding="utf-8")
    other = parse_file(other_path)
    ingest(store, old)
    before, stored_before = live_state(store), store.chunks.count()
    batch = [(d, chunk_document(d, store.settings.max_chunk_chars)) for d in (new, other)]

    def switch_fails(**kwargs):
        raise ConnectionError("index went away before the switch")

    monkeypatch.setattr(store.docs, "upsert", switch_fails)
    with pytest.raises(ConnectionError, match="before the switch"):
        store.upsert_documents(batch)
    monkeypatch.undo()
    assert live_state(store) == before  # the old plan, and no half of the other document
    assert store.chunks.count() == stored_before

    results = store.upsert_documents(batch)
    assert [r.status for r in results] == ["updated", "added"]
    assert {c.doc_id for c in store.all_chunks()} == {new.doc_id, other.doc_id}
    assert sorted(c.id for c in store.all_chunks()) == sorted(c.id for _, chunks in batch for c in chunks)
    assert [r.status for r in store.upsert_documents(batch)] == ["unchanged", "unchanged"]


def test_a_batch_may_not_hold_one_document_twice(store, versions):
    old, new = versions
    with pytest.raises(ValueError, match="same document twice"):
        store.upsert_documents([(d, chunk_document(d, store.settings.max_chunk_chars)) for d in (old, new)])
    assert store.stats() == {"documents": 0, "chunks": 0}


def test_ingest_of_two_versions_of_one_file_in_one_call_keeps_the_later(store_settings, embedder, versions, plan_path, tmp_path):
    policybot = PolicyBot(store_settings)
    policybot.store.embedder = embedder
    v1, v2 = tmp_path / "v1" / plan_path.name, tmp_path / "v2" / plan_path.name
    report = policybot.ingest([v1, v2])
    assert [r.status for r in report.results] == ["added", "updated"]
    assert {c.text for c in policybot.store.all_chunks()} == {c.text for c in chunk_document(versions[1], store_settings.max_chunk_chars)}
