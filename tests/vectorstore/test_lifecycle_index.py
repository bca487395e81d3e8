"""The index and its snapshot under a changing document set: statuses, removal, the audit log (issue 12)."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest

from ingest.pipeline import chunk_document, parse_file
from vectorstore.audit import AuditLog
from vectorstore.retriever import HybridRetriever
from vectorstore.store import ClauseStore

LIFECYCLE = Path(__file__).resolve().parents[1] / "fixtures" / "lifecycle"


@pytest.fixture
def store(store_settings, embedder):
    return ClauseStore(store_settings, embedder=embedder)


@pytest.fixture(scope="module")
def docs():
    return {p.name.removesuffix("-test-sample.txt"): parse_file(p) for p in sorted(LIFECYCLE.glob("*.txt"))}


def ingest(store, *documents):
    store.upsert_documents([(d, chunk_document(d, store.settings.max_chunk_chars)) for d in documents])


def searched_docs(retriever, query, **kwargs) -> set[str]:
    return {hit.chunk.doc_id for hit in retriever.search(query, k=10, **kwargs)}


def test_search_uses_documents_in_use_unless_others_are_included(store, docs):
    draft, final, pilot = docs["qinghe-biaozhu-measures-draft"], docs["qinghe-biaozhu-measures"], docs["qinghe-suanli-pilot-rules"]
    ingest(store, draft, final, pilot)
    retriever = HybridRetriever(store, store.settings, refresh_seconds=0)
    snap = retriever.snapshot()
    assert [d.doc_id for d in snap.documents] == [final.doc_id]
    assert {d.doc_id for d in snap.inactive_documents()} == {draft.doc_id, pilot.doc_id}
    assert snap.states[draft.doc_id].state == "superseded" and snap.states[pilot.doc_id].state == "expired"
    assert searched_docs(retriever, "场地租金补贴") <= {final.doc_id}  # only the draft has 场地租金
    assert searched_docs(retriever, "算力试点券抵扣") <= {final.doc_id}
    assert draft.doc_id in searched_docs(retriever, "场地租金补贴", include={draft.doc_id})
    assert pilot.doc_id in searched_docs(retriever, "算力试点券抵扣", include={pilot.doc_id})
    assert [d.doc_id for d in snap.documents_with({pilot.doc_id})] == [final.doc_id, pilot.doc_id]


def test_a_status_change_changes_the_version(store, docs):
    wanglian = docs["qinghe-wanglian-rules"]
    ingest(store, wanglian)
    retriever = HybridRetriever(store, store.settings, refresh_seconds=0)
    before, store_before = retriever.snapshot().version, store.version()
    assert store.set_status(wanglian.doc_id, "withdrawn")
    snap = retriever.snapshot()
    assert store.version() != store_before and snap.version != before
    assert snap.states[wanglian.doc_id].state == "withdrawn" and snap.documents == []
    assert searched_docs(retriever, "道路测试交通事故责任保险") == set()
    assert store.set_status(wanglian.doc_id, None)
    assert retriever.snapshot().states[wanglian.doc_id].state == "in_force"
    assert store.set_status("doc-missing", "withdrawn") is False
    with pytest.raises(ValueError, match="status must be one of"):
        store.set_status(wanglian.doc_id, "gone")


def test_replacing_a_document_keeps_its_admin_status(store, docs, tmp_path):
    wanglian = docs["qinghe-wanglian-rules"]
    ingest(store, wanglian)
    store.set_status(wanglian.doc_id, "withdrawn")
    changed = tmp_path / wanglian.source
    changed.write_text((LIFECYCLE / wanglian.source).read_text(encoding="utf-8").replace("500万元", "800万元"), encoding="utf-8")
    ingest(store, parse_file(changed))
    assert store.lifecycle_records()[wanglian.doc_id].status == "withdrawn"


def test_the_day_an_expiry_passes_changes_the_version(store, docs):
    final = docs["qinghe-biaozhu-measures"]  # 自2025年9月1日起施行，有效期三年: 有效期至2028年8月31日
    ingest(store, final)

    class Clocked(HybridRetriever):
        day = date(2028, 8, 31)

        def today(self):
            return self.day

    retriever = Clocked(store, store.settings, refresh_seconds=0)
    first = retriever.snapshot()
    assert first.states[final.doc_id].state == "in_force" and first.documents
    retriever.day = date(2028, 9, 1)
    second = retriever.snapshot()
    assert second.states[final.doc_id].state == "expired" and second.version != first.version
    assert second.documents == [] and retriever.search("数据标注企业奖励", k=3) == []


def test_readers_see_the_old_set_or_the_new_during_removals(store, docs):
    """A reader racing removals and re-additions never sees a document without all its chunks."""
    final, wanglian = docs["qinghe-biaozhu-measures"], docs["qinghe-wanglian-rules"]
    ingest(store, final, wanglian)
    expected = {d.doc_id: {c.id for c in chunk_document(d, store.settings.max_chunk_chars)} for d in (final, wanglian)}
    stop = threading.Event()
    problems: list[str] = []

    def read() -> None:
        while not stop.is_set():
            view = store.read_view()
            ids = {c.id for c in view.chunks}
            for document in view.documents:
                if not expected[document.doc_id] <= ids:
                    problems.append(f"{document.source} listed without all its chunks")
            if {c.doc_id for c in view.chunks} - {d.doc_id for d in view.documents}:
                problems.append("chunks of a removed document")

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(6):
            assert store.remove_document(wanglian.doc_id)
            ingest(store, wanglian)
    finally:
        stop.set()
        reader.join(timeout=60)
    assert not problems, problems[:3]


def test_audit_log_is_kept_with_the_index(store, docs):
    log = AuditLog(store.settings, store.client)
    draft = docs["qinghe-biaozhu-measures-draft"]
    log.record("added", "cli:tester", draft, "2026-11-30T10:00:00+00:00")
    log.record("withdrawn", "token:1234abcd", draft, "2026-11-30T10:01:00+00:00", status="withdrawn")
    entries = log.entries(draft.doc_id)
    assert [e["action"] for e in entries] == ["added", "withdrawn"]
    assert entries[1] == {
        "time": "2026-11-30T10:01:00+00:00", "action": "withdrawn", "actor": "token:1234abcd", "doc_id": draft.doc_id,
        "title": draft.title, "source": draft.source, "status": "withdrawn",
    }
    if store.settings.chroma_url:
        assert store.settings.chroma_url in log.location and not (store.settings.home / "audit.jsonl").exists()
    else:
        assert log.location == str(store.settings.home / "audit.jsonl")
        assert len((store.settings.home / "audit.jsonl").read_text(encoding="utf-8").splitlines()) == 2
    with pytest.raises(ValueError, match="action must be one of"):
        log.record("deleted", "cli:tester", draft, "2026-11-30T10:02:00+00:00")
