"""A few answers computed at a time, the others served in the order they came."""

from __future__ import annotations

import threading
from collections import deque


class ComputeSlots:
    """``with slots:`` runs at most ``size`` bodies at once; the rest wait, first come first served.

    ``threading.Semaphore`` lets a newly arriving thread take a freed slot before the one woken
    for it, so under a burst some requests wait many turns: here a freed slot is handed to the
    longest waiting thread directly.
    """

    def __init__(self, size: int) -> None:
        if size <= 0:
            raise ValueError(f"size must be greater than 0, got {size}")
        self.size = size
        self._free = size
        self._queue: deque[threading.Event] = deque()
        self._lock = threading.Lock()

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._queue)

    def __enter__(self) -> ComputeSlots:
        with self._lock:
            if self._free and not self._queue:
                self._free -= 1
                return self
            turn = threading.Event()
            self._queue.append(turn)
        turn.wait()  # the slot is ours once set: the releasing thread handed it over
        return self

    def __exit__(self, *exc_info) -> None:
        with self._lock:
            if self._queue:
                self._queue.popleft().set()
            else:
                self._free += 1
