"""The clause index, embedded and on a Chroma server: ingest, re-ingest, new versions, removal."""

from __future__ import annotations

import pytest

from core.errors import IndexUnavailable
from core.settings import Settings
from ingest.pipeline import chunk_document, parse_file
from vectorstore.store import ClauseStore

MEDICAL = "二、重点领域 › （三）人工智能+医疗"
OLD_SENTENCE = "探索利用人工智能技术加速新药研发进程"
NEW_SENTENCE = "探索利用人工智能技术大幅缩短新药审评审批时间"


@pytest.fixture(scope="module")
def plan(plan_path):
    return parse_file(plan_path)


@pytest.fixture
def store(store_settings, embedder):
    return ClauseStore(store_settings, embedder=embedder)


def ingest(store, document):
    return store.upsert_document(document, chunk_document(document, store.settings.max_chunk_chars))


def edited_plan(plan_path, tmp_path):
    """The same file name with one clause changed: a new version of the same document."""
    folder = tmp_path / "v2"
    folder.mkdir()
    copy = folder / plan_path.name
    text = plan_path.read_text(encoding="utf-8")
    assert text.count(OLD_SENTENCE) == 1
    copy.write_text(text.replace(OLD_SENTENCE, NEW_SENTENCE), encoding="utf-8")
    return parse_file(copy)


def test_empty_index(store):
    assert store.stats() == {"documents": 0, "chunks": 0}
    assert store.all_chunks() == []
    assert store.documents() == []
    assert store.heartbeat()


def test_ingest_plan(store, plan):
    result = ingest(store, plan)
    assert result.status == "added"
    assert (result.chunks_added, result.chunks_removed) == (20, 0)
    assert store.stats() == {"documents": 1, "chunks": 20}

    chunks = {c.clause_path: c for c in store.all_chunks()}
    assert len(chunks) == 20
    medical = chunks[MEDICAL]
    assert medical.responsible_agencies[0] == "省卫生健康委"
    assert "省委金融办（省地方金融局）" in chunks["二、重点领域 › （十二）人工智能+金融"].responsible_agencies
    assert (medical.doc_id, medical.jurisdiction, medical.status) == (plan.doc_id, "浙江省", "征求意见稿")
    assert medical.doc_title == plan.title and medical.source == plan.source
    assert medical.page is None

    [stored] = store.documents()
    assert stored.doc_id == plan.doc_id
    assert stored.notice.contacts == ["袁妍", "柳润宁"]
    assert [c.id for c in stored.clauses] == [c.id for c in plan.clauses]


def test_reingest_same_file_is_unchanged(store, plan, plan_path):
    ingest(store, plan)
    before = (store.version(), store.stats(), sorted(c.id for c in store.all_chunks()), store.chunks.count())
    result = ingest(store, parse_file(plan_path))
    assert result.status == "unchanged"
    assert (result.chunks_added, result.chunks_removed) == (0, 0)
    after = (store.version(), store.stats(), sorted(c.id for c in store.all_chunks()), store.chunks.count())
    assert after == before


def test_new_version_replaces_old(store, plan, plan_path, tmp_path):
    ingest(store, plan)
    version_before = store.version()
    new = edited_plan(plan_path, tmp_path)
    assert new.doc_id == plan.doc_id

    result = ingest(store, new)
    assert result.status == "updated"
    assert (result.chunks_added, result.chunks_removed) == (1, 1)
    assert store.stats() == {"documents": 1, "chunks": 20}
    assert store.version() != version_before

    chunks = store.all_chunks()
    assert len(chunks) == 20
    texts = "\n".join(c.text for c in chunks)
    assert OLD_SENTENCE not in texts
    assert NEW_SENTENCE in texts
    assert [c.text for c in chunks if c.clause_path == MEDICAL][0].count(NEW_SENTENCE) == 1
    # The replaced chunk is gone from the collection, not just hidden.
    assert store.chunks.count() == 20
    [stored] = store.documents()
    assert stored.content_hash == new.content_hash


def test_second_document_added_alongside(store, plan, fixture_files):
    ingest(store, plan)
    rules = parse_file(fixture_files["rules_pdf"])
    result = ingest(store, rules)
    assert result.status == "added"
    stats = store.stats()
    assert stats["documents"] == 2
    assert stats["chunks"] == 20 + len(chunk_document(rules))
    pages = {c.page for c in store.all_chunks() if c.doc_id == rules.doc_id}
    assert pages == {1, 2, 3}


def test_remove_document(store, plan):
    ingest(store, plan)
    assert store.remove_document(plan.doc_id) is True
    assert store.stats() == {"documents": 0, "chunks": 0}
    assert store.all_chunks() == []
    assert store.documents() == []
    assert store.chunks.count() == 0
    assert store.remove_document(plan.doc_id) is False
    # It can be ingested again afterwards.
    assert ingest(store, plan).status == "added"
    assert store.stats() == {"documents": 1, "chunks": 20}


def test_index_survives_reopen(store_settings, embedder, plan):
    ingest(ClauseStore(store_settings, embedder=embedder), plan)
    reopened = ClauseStore(store_settings, embedder=embedder)
    assert reopened.stats() == {"documents": 1, "chunks": 20}
    assert ingest(reopened, plan).status == "unchanged"


def test_embedded_index_lives_under_home(settings, embedder, plan):
    store = ClauseStore(settings, embedder=embedder)
    ingest(store, plan)
    assert store.location == str(settings.home / "chroma")
    assert (settings.home / "chroma").is_dir()


def test_server_collections_are_isolated_by_prefix(chroma_server, tmp_path, embedder, plan):
    one = ClauseStore(Settings(home=tmp_path, chroma_url=chroma_server, collection_prefix="tisolated-a"), embedder=embedder)
    two = ClauseStore(Settings(home=tmp_path, chroma_url=chroma_server, collection_prefix="tisolated-b"), embedder=embedder)
    ingest(one, plan)
    assert one.stats()["chunks"] == 20
    assert two.stats() == {"documents": 0, "chunks": 0}
    one.client.delete_collection(one.settings.index_name)
    one.client.delete_collection(one.settings.documents_collection)


def test_malformed_server_url_refused(tmp_path):
    with pytest.raises(IndexUnavailable, match=r"POLICYBOT_CHROMA_URL must look like http://host:port") as info:
        ClauseStore(Settings(home=tmp_path, chroma_url="ftp://example.org"))
    assert "\n" not in str(info.value)


def test_unreachable_server_refused(tmp_path):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(IndexUnavailable, match=rf"cannot reach the index at http://127\.0\.0\.1:{port}") as info:
        ClauseStore(Settings(home=tmp_path, chroma_url=f"http://127.0.0.1:{port}"))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("errno_name", ["EROFS", "ENOSPC", "EACCES"])
def test_unwritable_home_is_a_clear_error_at_start(tmp_path, monkeypatch, errno_name):
    import errno
    import os
    from pathlib import Path

    from core.errors import IndexUnavailable
    from core.settings import Settings
    from vectorstore.store import ClauseStore

    def refuse(self, data):
        code = getattr(errno, errno_name)
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(Path, "write_bytes", refuse)
    with pytest.raises(IndexUnavailable, match="POLICYBOT_HOME is not writable") as caught:
        ClauseStore(Settings(home=tmp_path))
    assert "\n" not in str(caught.value)
