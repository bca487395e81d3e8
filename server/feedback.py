"""Thumbs up / down on answers, kept in SQLite under ``POLICYBOT_HOME`` with what was rated."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

Rating = Literal["up", "down"]
Channel = Literal["web", "embed", "api"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    rating     TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    channel    TEXT NOT NULL,
    question   TEXT NOT NULL,
    answer     TEXT NOT NULL,
    citations  TEXT NOT NULL,  -- JSON list of public citations
    comment    TEXT
)
"""


class FeedbackStore:
    """Appends ratings; one short-lived connection per call, so any thread may use it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def add(
        self,
        *,
        rating: Rating,
        question: str,
        answer: str,
        citations: list[dict],
        channel: Channel,
        comment: str | None = None,
    ) -> int:
        if rating not in ("up", "down"):
            raise ValueError(f"rating must be 'up' or 'down', got {rating!r}")
        with self._connect() as db:
            cursor = db.execute(
                "INSERT INTO feedback (created_at, rating, channel, question, answer, citations, comment)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    rating,
                    channel,
                    question,
                    answer,
                    json.dumps(citations, ensure_ascii=False),
                    comment,
                ),
            )
            return int(cursor.lastrowid)

    def recent(self, limit: int = 50) -> list[dict]:
        """The newest ratings first, citations decoded."""
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute("SELECT * FROM feedback ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [dict(row, citations=json.loads(row["citations"])) for row in rows]


def feedback_path(home: Path) -> Path:
    return Path(home) / "feedback.sqlite3"
