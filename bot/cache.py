"""Answers to repeated questions, kept in memory for the index version they were computed on.

A portal's traffic is mostly a few hundred popular questions asked again and again. An answer is a
function of the question as the answerer reads it, the conversation before it and the index
version (every ingest, replacement or removal changes the version), so those three make the key:
a changed index simply stops matching the old entries, which age out of the LRU.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from bot.courtesy import without_courtesy, without_invisible
from bot.models import Answer, Turn

# How long a request waits for another thread already computing the same answer before
# computing it itself (the other one may be stuck on a slow model).
_WAIT_FOR_LEADER_SECONDS = 30.0


def normalise_question(question: str) -> str:
    """The question as the answerer reads it: without invisible characters, surrounding whitespace and courtesy."""
    return without_courtesy(without_invisible(question))


def answer_key(question: str, history: list[Turn], index_version: str) -> str:
    """One digest of the normalised question, the whole conversation before it and the index version."""
    payload = json.dumps(
        [normalise_question(question), [[t.role, t.content] for t in history], _version_digest(index_version)],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@lru_cache(maxsize=4)
def _version_digest(index_version: str) -> str:
    # The version lists every document (tens of KB at a thousand): digest it once, not per question.
    return hashlib.sha256(index_version.encode("utf-8")).hexdigest()


def answer_bytes(answer: Answer) -> int:
    """What an answer's text takes (UTF-8), whole clauses included: the measure of the size bound."""
    size = len(answer.model_dump_json().encode("utf-8"))
    return size + sum(len(c.clause_text.encode("utf-8")) + len(c.status.encode("utf-8")) for c in answer.citations)


@dataclass(frozen=True)
class CacheStats:
    entries: int
    bytes: int
    hits: int
    misses: int
    coalesced: int  # requests that found their answer being computed for another request and waited for it
    evictions: int
    max_entries: int
    max_bytes: int

    def to_public(self) -> dict:
        return {
            "entries": self.entries,
            "bytes": self.bytes,
            "hits": self.hits,
            "misses": self.misses,
            "coalesced": self.coalesced,
            "evictions": self.evictions,
            "max_entries": self.max_entries,
            "max_bytes": self.max_bytes,
        }


class _Flight:
    """One answer being computed, for the requests that asked for it meanwhile."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.answer: Answer | None = None


class AnswerCache:
    """A thread-safe LRU of answers, bounded by entries and by bytes; hands out copies only.

    ``get_or_compute`` computes each missing answer once: a request that finds the same key
    being computed by another thread waits for that result instead of computing it again (the
    most popular questions all arrive at once when the cache is cold or the index has changed).
    """

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        if max_entries < 0:
            raise ValueError(f"max_entries must be 0 or more, got {max_entries}")
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be greater than 0, got {max_bytes}")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, tuple[Answer, int]] = OrderedDict()
        self._bytes = 0
        self._hits = self._misses = self._coalesced = self._evictions = 0
        self._computing: dict[str, _Flight] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0

    def get(self, key: str, *, count_miss: bool = False) -> Answer | None:
        """A copy of the cached answer (counted as a hit), or None (a miss only when ``count_miss``)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self._misses += count_miss
                return None
            self._entries.move_to_end(key)
            self._hits += 1
        return entry[0].model_copy(deep=True)

    def put(self, key: str, answer: Answer) -> None:
        if not self.enabled:
            return
        size = answer_bytes(answer)
        if size > self.max_bytes:
            return
        stored = answer.model_copy(deep=True)
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (stored, size)
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped
                self._evictions += 1

    def get_or_compute(self, key: str, compute: Callable[[], Answer], keep: Callable[[Answer], bool]) -> Answer:
        """The cached answer for ``key``, else ``compute()``, stored when ``keep(answer)`` says so."""
        cached = self.get(key)
        if cached is not None:
            return cached
        with self._lock:
            flight = self._computing.get(key)
            leader = flight is None
            if leader:
                flight = self._computing[key] = _Flight()
            self._misses += leader
            self._coalesced += not leader
        if not leader:
            # Another thread is computing this very answer: share its result. Should it fail or
            # take too long (a stuck model), compute here instead.
            if flight.done.wait(_WAIT_FOR_LEADER_SECONDS) and flight.answer is not None:
                with self._lock:
                    self._hits += 1
                return flight.answer.model_copy(deep=True)
            with self._lock:
                self._misses += 1
            return compute()
        try:
            answer = compute()
            if keep(answer):
                self.put(key, answer)
            flight.answer = answer.model_copy(deep=True)
            return answer
        finally:
            with self._lock:
                del self._computing[key]
            flight.done.set()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(
                len(self._entries), self._bytes, self._hits, self._misses, self._coalesced, self._evictions,
                self.max_entries, self.max_bytes,
            )
