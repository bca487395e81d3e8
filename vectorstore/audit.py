"""The audit log of changes to the document set: who added, replaced, superseded, withdrew or removed what, and when.

Embedded index: JSON lines in ``POLICYBOT_HOME/audit.jsonl`` (one object per line, appended under a
file lock). With a Chroma server (``POLICYBOT_CHROMA_URL``): a collection ``<prefix>-audit`` on that
server, so every replica writes to and reads the same log. Entries name the actor (``cli:<user>`` or
``token:<fingerprint>``), never a token itself.
"""

from __future__ import annotations

import fcntl
import json
import time as clock
import uuid
from pathlib import Path

from core.settings import Settings
from ingest.models import Document
from vectorstore.embeddings import E5EmbeddingFunction

ACTIONS = ("added", "replaced", "superseded", "withdrawn", "expired", "status", "removed")
_NO_VECTOR = [1.0]  # audit records are read in order, never searched by similarity


class AuditLog:
    def __init__(self, settings: Settings, client=None) -> None:
        self.settings = settings
        self.collection = None
        if settings.chroma_url:
            if client is None:
                raise ValueError("an audit log on a Chroma server needs the server's client")
            # Records carry their own (constant) vector, so the project's embedder is never called here; naming it
            # keeps Chroma from ever reaching for its default, downloading embedding function.
            self.collection = client.get_or_create_collection(
                f"{settings.collection_prefix}-audit", embedding_function=E5EmbeddingFunction()
            )
        self.path = Path(settings.home) / "audit.jsonl"

    @property
    def location(self) -> str:
        if self.collection is not None:
            return f"{self.settings.chroma_url} (collection {self.collection.name})"
        return str(self.path)

    def record(self, action: str, actor: str, document: Document, time: str, **detail: str | None) -> dict:
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {', '.join(ACTIONS)}, got {action!r}")
        entry = {
            "time": time,
            "action": action,
            "actor": actor,
            "doc_id": document.doc_id,
            "title": document.title,
            "source": document.source,
            **{k: v for k, v in detail.items() if v},
        }
        line = json.dumps(entry, ensure_ascii=False)
        if self.collection is not None:
            self.collection.add(
                ids=[f"{clock.time_ns():020d}-{uuid.uuid4().hex[:8]}"], documents=[line], embeddings=[_NO_VECTOR],
                metadatas=[{"time": time, "doc_id": document.doc_id, "action": action}],
            )
            return entry
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            fcntl.flock(out, fcntl.LOCK_EX)
            out.write(line + "\n")
            out.flush()
        return entry

    def entries(self, doc_id: str | None = None) -> list[dict]:
        """Every entry, oldest first (only ``doc_id``'s when given)."""
        if self.collection is not None:
            found = self.collection.get(where={"doc_id": doc_id} if doc_id else None, include=["documents"])
            rows = [json.loads(text) for _, text in sorted(zip(found["ids"], found["documents"]))]
        else:
            try:
                lines = self.path.read_text(encoding="utf-8").splitlines()
            except FileNotFoundError:
                lines = []
            rows = [json.loads(line) for line in lines if line.strip()]
        return [row for row in rows if doc_id is None or row.get("doc_id") == doc_id]
