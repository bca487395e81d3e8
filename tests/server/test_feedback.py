"""The feedback store: ratings kept with what was rated, newest first."""

from __future__ import annotations

import pytest

from server.feedback import FeedbackStore

CITATION = {"doc_title": "计划", "clause": "一、目标", "quote": "到2027年", "source": "plan.txt", "page": None}


def test_ratings_are_kept_with_question_answer_and_citations(tmp_path):
    store = FeedbackStore(tmp_path / "state" / "feedback.sqlite3")
    first = store.add(rating="up", question="问1", answer="答1", citations=[CITATION], channel="web")
    second = store.add(rating="down", question="问2", answer="答2", citations=[], channel="embed", comment="不准确")

    newest, oldest = store.recent()
    assert (newest["id"], oldest["id"]) == (second, first)
    assert oldest["citations"] == [CITATION] and oldest["rating"] == "up"
    assert newest["comment"] == "不准确" and newest["channel"] == "embed"
    # A second store on the same file sees the same ratings (the server and a report script, say).
    assert len(FeedbackStore(tmp_path / "state" / "feedback.sqlite3").recent()) == 2


def test_unknown_rating_is_rejected(tmp_path):
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    with pytest.raises(ValueError, match="rating must be 'up' or 'down', got 'meh'"):
        store.add(rating="meh", question="q", answer="a", citations=[], channel="api")
    assert store.recent() == []
