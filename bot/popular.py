"""The questions a portal is asked most, remembered across restarts so the next start is warm.

``PolicyBot.ask`` counts each question asked without a conversation before it (as the answer cache
keys it: invisible marks and courtesy removed). The server writes the most asked ones, most asked
first, to ``popular-questions.txt`` in its home now and then and when it stops; the next start
answers them in the background (``bot/warm.py``), so they are cache hits from the first visitor on.
Only questions asked at least ``min_count`` times are written: a question asked once, which may
hold a visitor's own details, never reaches the disk.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections import Counter
from pathlib import Path

FILE_NAME = "popular-questions.txt"
_HEADER = (
    "# Questions this policybot server was asked most, most asked first (written by the server; one per line).\n"
    "# Answered at the next start so they are cache hits at once. Only questions asked {min_count}+ times.\n"
)


class PopularQuestions:
    """Thread-safe counts of questions, bounded: past ``2 × limit`` questions the least asked are forgotten."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"limit must be 1 or more, got {limit}")
        self.limit = limit
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def record(self, question: str) -> None:
        with self._lock:
            self._counts[question] += 1
            if len(self._counts) > 2 * self.limit:
                self._counts = Counter(dict(self._counts.most_common(self.limit)))

    def most_asked(self, min_count: int = 2) -> list[str]:
        """Up to ``limit`` questions asked ``min_count`` times or more, most asked first (ties: first counted)."""
        with self._lock:
            ranked = self._counts.most_common(self.limit)
        return [question for question, count in ranked if count >= min_count]

    def seed(self, questions: list[str], min_count: int = 2) -> None:
        """Start from an earlier run's list, most asked first: each counts as asked ``min_count`` times, an
        earlier one a fraction more, so the list and its order survive a restart and a quiet day."""
        with self._lock:
            for rank, question in enumerate(reversed(questions)):
                self._counts[question] = max(self._counts[question], min_count + rank / len(questions))

    def save(self, path: Path, min_count: int = 2) -> int:
        """Write the most asked questions to ``path`` atomically (a reader never sees half a file); returns how many."""
        questions = [q for q in self.most_asked(min_count) if "\n" not in q and "\r" not in q]
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(_HEADER.format(min_count=min_count))
                out.writelines(f"{q}\n" for q in questions)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return len(questions)
