"""The document library on both backends: embedded under POLICYBOT_HOME and a real Chroma server (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.library import DocumentNotFound
from bot.service import PolicyBot
from vectorstore.store import ClauseStore

LIFECYCLE = Path(__file__).resolve().parents[1] / "fixtures" / "lifecycle"
DRAFT = "qinghe-biaozhu-measures-draft-test-sample.txt"
FINAL = "qinghe-biaozhu-measures-test-sample.txt"


@pytest.fixture
def bot(store_settings, embedder, monkeypatch) -> PolicyBot:
    monkeypatch.setattr("bot.service.ClauseStore", lambda settings: ClauseStore(settings, embedder=embedder))
    return PolicyBot(store_settings)


def test_supersede_remove_and_audit_on_either_backend(bot):
    assert not bot.ingest([LIFECYCLE / DRAFT, LIFECYCLE / FINAL], actor="cli:tester").failures
    rows = {row.source: row for row in bot.library.list_documents()}
    assert rows[DRAFT].status == "superseded" and rows[FINAL].status == "in_force"
    version = bot.retriever.snapshot().version
    bot.library.remove(FINAL, "token:0000abcd")
    snap = bot.retriever.snapshot()
    assert snap.version != version
    assert [d.source for d in snap.documents] == [DRAFT] and snap.states[rows[DRAFT].id].state == "draft"  # in use again
    with pytest.raises(DocumentNotFound, match="no document with id or file name"):
        bot.library.remove(FINAL, "token:0000abcd")
    entries = bot.library.audit.entries()
    assert [(e["action"], e["source"], e["actor"]) for e in entries] == [
        ("added", DRAFT, "cli:tester"), ("added", FINAL, "cli:tester"), ("superseded", DRAFT, "cli:tester"),
        ("removed", FINAL, "token:0000abcd"),
    ]
    home_log = bot.settings.home / "audit.jsonl"
    if bot.settings.chroma_url:
        assert not home_log.exists() and bot.settings.chroma_url in bot.library.audit.location
    else:
        assert home_log.is_file()
