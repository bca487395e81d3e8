"""The indexed documents as a managed list: list, show, remove, set a status, compare; every change audited.

The CLI (``policybot docs …``, ``policybot diff``), the admin API and the admin page all go through
``DocumentLibrary``, so they show the same fields and write the same audit entries.
"""

from __future__ import annotations

import getpass
import hashlib
from datetime import date
from pathlib import Path

from pydantic import BaseModel, Field

from bot.compare import DocumentDiff, compare_documents
from core.errors import PolicyBotError
from core.settings import Settings
from ingest.lifecycle import LABELS, DocumentState, LifecycleRecord, check_state, document_states
from ingest.models import Document
from vectorstore.audit import AuditLog
from vectorstore.retriever import HybridRetriever
from vectorstore.store import ClauseStore, IngestResult, now_iso

# A document may be named by the start of its id, as long as no other id starts the same way.
MIN_ID_PREFIX = 6


class DocumentNotFound(PolicyBotError):
    """No indexed document has this id (or file name)."""

    zh_default = "没有找到这份文件。"


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in a container without /etc/passwd entry
        return "cli"


def token_actor(token: str) -> str:
    """Who used an admin token, without the token: a short fingerprint of it."""
    return "token:" + hashlib.sha256(token.encode("utf-8")).hexdigest()[:8]


class DocumentInfo(BaseModel):
    """One row of the document list."""

    id: str
    title: str
    issuer: str | None = None
    date: str | None = None
    doc_number: str | None = Field(default=None, description="文号")
    status: str = Field(description="draft | in_force | superseded | withdrawn | expired")
    status_label: str = Field(description="征求意见稿 | 现行有效 | 已被取代 | 已撤回 | 已失效")
    status_reason: str
    status_set_by_admin: bool = False
    superseded_by: str | None = None
    supersedes: list[str] = Field(default_factory=list)
    effective_date: str | None = None
    expiry_date: str | None = None
    jurisdiction: str | None = None
    clauses: int
    source: str
    ingested_at: str | None = None


class DocumentDetail(DocumentInfo):
    clause_paths: list[str] = Field(default_factory=list)
    history: list[dict] = Field(default_factory=list, description="This document's audit log entries, oldest first.")


def _info(document: Document, state: DocumentState, record: LifecycleRecord) -> DocumentInfo:
    return DocumentInfo(
        id=document.doc_id,
        title=document.title,
        issuer=document.issuer,
        date=document.date,
        doc_number=document.doc_number,
        status=state.state,
        status_label=state.label,
        status_reason=state.reason,
        status_set_by_admin=state.set_by_admin,
        superseded_by=state.superseded_by,
        supersedes=list(state.supersedes),
        effective_date=state.effective_date,
        expiry_date=state.expiry_date,
        jurisdiction=document.jurisdiction,
        clauses=len(document.clauses),
        source=document.source,
        ingested_at=record.ingested_at,
    )


class DocumentLibrary:
    """Reads and changes the document set of one index; writes an audit entry for every change."""

    def __init__(self, store: ClauseStore, retriever: HybridRetriever, settings: Settings) -> None:
        self.store = store
        self.retriever = retriever
        self.settings = settings
        self.audit = AuditLog(settings, store.client)

    # --- reading -----------------------------------------------------------------------
    def _view(self) -> tuple[list[Document], dict[str, LifecycleRecord], dict[str, DocumentState]]:
        view = self.store.read_view(with_chunks=False)
        return view.documents, view.records, document_states(view.documents, view.records, self.today())

    def today(self) -> date:
        return self.retriever.today()

    def list_documents(self) -> list[DocumentInfo]:
        documents, records, states = self._view()
        rows = [_info(d, states[d.doc_id], records.get(d.doc_id, LifecycleRecord())) for d in documents]
        return sorted(rows, key=lambda r: (r.ingested_at or "", r.title))

    def resolve(self, ref: str) -> Document:
        """The document with this id, this file name, or an id starting with ``ref`` (unique)."""
        ref = (ref or "").strip()
        documents = self.store.documents()
        exact = [d for d in documents if ref in (d.doc_id, d.source)]
        if len(exact) == 1:
            return exact[0]
        candidates = [d for d in documents if len(ref) >= MIN_ID_PREFIX and d.doc_id.startswith(ref)]
        if len(candidates) == 1:
            return candidates[0]
        if len(candidates) > 1 or len(exact) > 1:
            ids = ", ".join(d.doc_id for d in (exact or candidates)[:5])
            raise DocumentNotFound(f"{ref!r} matches several documents ({ids}); give the whole id")
        raise DocumentNotFound(f"no document with id or file name {ref!r}; `policybot docs list` shows the ids")

    def show(self, ref: str) -> DocumentDetail:
        document = self.resolve(ref)
        documents, records, states = self._view()
        info = _info(document, states[document.doc_id], records.get(document.doc_id, LifecycleRecord()))
        return DocumentDetail(
            **info.model_dump(),
            clause_paths=[c.clause_path for c in document.clauses],
            history=self.audit.entries(document.doc_id),
        )

    def diff(self, old: str | Path, new: str | Path) -> DocumentDiff:
        """Clause-level comparison of two documents, each an indexed document's id or a policy file."""
        return compare_documents(self._document(old), self._document(new))

    def _document(self, ref: str | Path) -> Document:
        path = Path(ref)
        if path.is_file():
            from ingest.pipeline import parse_file

            return parse_file(path, max_bytes=int(self.settings.max_file_mb * 1_000_000))
        return self.resolve(str(ref))

    # --- changing ----------------------------------------------------------------------
    def check_supersedes(self, refs: list[str] | None) -> list[str]:
        """The ids of the documents an ingest says it supersedes (unknown ones are an error)."""
        return [self.resolve(ref).doc_id for ref in refs or []]

    def states(self) -> dict[str, DocumentState]:
        return self._view()[2]

    def record_ingest(self, results: list[IngestResult], before: dict[str, DocumentState], actor: str) -> None:
        """Audit what an ingest changed: documents added or replaced, and those it superseded."""
        time = now_iso()
        for result in results:
            if result.status in ("added", "updated"):
                self.audit.record("added" if result.status == "added" else "replaced", actor, result.document, time)
        self._record_superseded(before, actor, time)

    def _record_superseded(self, before: dict[str, DocumentState], actor: str, time: str) -> None:
        documents, _, after = self._view()
        by_id = {d.doc_id: d for d in documents}
        for doc_id, state in after.items():
            previous = before.get(doc_id)
            if state.state == "superseded" and (previous is None or previous.state != "superseded") and not state.set_by_admin:
                newer = by_id.get(state.superseded_by or "")
                self.audit.record(
                    "superseded", actor, by_id[doc_id], time,
                    superseded_by=newer.doc_id if newer else None, superseded_by_title=newer.title if newer else None,
                )

    def remove(self, ref: str, actor: str) -> Document:
        document = self.resolve(ref)
        if not self.store.remove_document(document.doc_id):
            raise DocumentNotFound(f"no document with id {document.doc_id!r} (it was removed meanwhile)")
        self.audit.record("removed", actor, document, now_iso())
        self.retriever.refresh()
        return document

    def set_status(self, ref: str, status: str, actor: str) -> DocumentInfo:
        """An admin's status (``auto``: derive it from the text again)."""
        document = self.resolve(ref)
        try:
            key = None if status.strip().lower() == "auto" else check_state(status)
        except ValueError as exc:
            raise PolicyBotError(str(exc)) from None
        before = self.states()
        self.store.set_status(document.doc_id, key)
        time = now_iso()
        action = key if key in ("withdrawn", "expired", "superseded") else "status"
        self.audit.record(action, actor, document, time, status=key or "auto", previous=before[document.doc_id].state)
        self.retriever.refresh()
        return next(row for row in self.list_documents() if row.id == document.doc_id)


def status_help() -> str:
    return ", ".join(f"{key} ({label})" for key, label in LABELS.items()) + ", auto"
