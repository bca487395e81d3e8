"""One writer at a time for an embedded index.

Chroma's embedded store is not safe for several writing processes (Chroma issues #1108, #7040).
A process that writes (`policybot serve` for its whole life, `policybot ingest`, `policybot docs
remove|status`) holds an exclusive lock on the index folder; a second one stops with a message
saying how to do it instead. With a Chroma
server (POLICYBOT_CHROMA_URL) the server arbitrates, and no lock is taken.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

from core.errors import IndexUnavailable
from core.settings import Settings


class IndexBusy(IndexUnavailable):
    """Another process is writing to the same embedded index."""


class IndexLock:
    def __init__(self, settings: Settings, purpose: str) -> None:
        self.settings = settings
        self.purpose = purpose
        self.path = Path(settings.home) / "chroma" / ".writer.lock"
        self._handle = None

    def acquire(self) -> "IndexLock":
        if self.settings.chroma_url:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = _holder(handle.read())
            handle.close()
            raise IndexBusy(
                f"{holder} is writing to the index at {self.path.parent}; "
                "change documents through the running server's admin API (POST /api/admin/ingest, "
                "DELETE /api/admin/documents/ID, POST /api/admin/documents/ID/status with POLICYBOT_ADMIN_TOKEN, "
                "or its /admin page), stop it first, or share a Chroma server between processes (POLICYBOT_CHROMA_URL)"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "purpose": self.purpose}))
        handle.flush()
        self._handle = handle
        return self

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    def __enter__(self) -> "IndexLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _holder(text: str) -> str:
    try:
        info = json.loads(text)
        return f"another process ('{info['purpose']}', pid {info['pid']})"
    except (ValueError, KeyError, TypeError):
        return "another policybot process"
