"""The one object the CLI, the API and the UI use: ingest files, search clauses, answer questions."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from bot.answerer import ExtractiveAnswerer
from bot.cache import AnswerCache, answer_key, normalise_question
from bot.eligibility import EligibilityResult, Profile, check_profile
from bot.library import DocumentLibrary
from bot.popular import FILE_NAME as POPULAR_FILE, PopularQuestions
from bot.slots import ComputeSlots
from bot.warm import read_popular_questions, warm_answers
from core.errors import PolicyBotError, UnsupportedDocument
from bot.llm import ChatModel, LLMAnswerer, llm_configured
from bot.models import Answer, Turn
from bot.planindex import PlanIndex
from core.settings import Settings
from ingest.chunker import ClauseChunker
from ingest.models import Document
from ingest.pipeline import expand_paths
from ingest.sandbox import parse_file_isolated
from vectorstore.retriever import HybridRetriever, ScoredChunk
from vectorstore.store import ClauseStore, IngestResult

log = logging.getLogger(__name__)
# Documents written together by one ingest: up to this many, or this many chunks.
_WRITE_DOCUMENTS = 32
_WRITE_CHUNKS = 256


@dataclass
class IngestFailure:
    path: Path
    reason: str


@dataclass
class IngestReport:
    results: list[IngestResult]
    failures: list[IngestFailure]
    seconds: float

    @property
    def clauses(self) -> int:
        return sum(len(r.document.clauses) for r in self.results)


def _pieces_then(answer: Answer) -> Iterator[str | Answer]:
    """A finished answer as a stream: its lines, then the answer itself."""
    for piece in re.findall(r"[^\n]*\n*", answer.answer):
        if piece:
            yield piece
    yield answer


def _turns(history: list[Turn] | list[dict] | None) -> list[Turn]:
    return [t if isinstance(t, Turn) else Turn.model_validate(t) for t in history or []]


class PolicyBot:
    """Wires ingest → store → retrieval → answer for one set of settings."""

    def __init__(self, settings: Settings, chat_model: ChatModel | None = None) -> None:
        self.settings = settings
        self.store = ClauseStore(settings)
        self.retriever = HybridRetriever(self.store, settings)
        self.answerer = ExtractiveAnswerer(self.retriever, settings)
        self.chunker = ClauseChunker(settings.max_chunk_chars)
        self.library = DocumentLibrary(self.store, self.retriever, settings)  # list, remove, status, diff, audit
        self.write_lock = threading.Lock()  # one change of the document set at a time within this process
        # Generated answers when a model is configured (or given); extractive ones otherwise.
        self.llm: LLMAnswerer | None = None
        if chat_model is not None or llm_configured(settings):
            self.llm = LLMAnswerer(self.answerer, settings, chat_model)
        self.answers = AnswerCache(settings.cache_entries, max(1, int(settings.cache_mb * 1_000_000)))
        self.popular = PopularQuestions(max(1, settings.cache_entries))  # what a restart warms (bot/popular.py)
        # NOTE: answering is mostly Python holding the GIL. The server's 40 threads computing at once
        # starved its event loop (lags up to 0.9 s on 2 busy cores), which then closed kept-alive
        # connections whose next request was already waiting: clients saw ReadErrors. So only a few
        # compute; the rest wait here, blocked, not competing, in the order they came.
        self.computing = ComputeSlots(settings.answer_workers)

    # --- ingest -------------------------------------------------------------------------
    def ingest(
        self,
        paths: list[Path],
        progress: Callable[[int, int, Path, str], None] | None = None,
        *,
        actor: str = "local",
        supersedes: list[str] | None = None,
    ) -> IngestReport:
        """Parse each file and write the documents in batches; a refused file leaves the index as it was.

        Each document is atomic (see ``ClauseStore.upsert_documents``); batching lets one write carry
        several documents, which at a thousand documents halved the time spent outside embedding.
        ``supersedes``: ids of documents the (one) new file replaces; ``actor`` is who the audit log names.
        """
        started = time.perf_counter()
        files = expand_paths(paths)
        superseded = self.library.check_supersedes(supersedes)
        if superseded and len(files) != 1:
            raise PolicyBotError(f"--supersedes needs exactly one file to ingest, got {len(files)}")
        before = self.library.states()
        results, failures = [], []
        batch: list[tuple[int, Path, Document, list]] = []

        def write_batch() -> None:
            if not batch:
                return
            written = self.store.upsert_documents(
                [(document, chunks) for _, _, document, chunks in batch],
                {document.doc_id: superseded for _, _, document, _ in batch} if superseded else None,
            )
            for (number, path, document, _), result in zip(batch, written):
                results.append(result)
                if progress:
                    progress(number, len(files), path, f"{result.status}, {len(document.clauses)} clauses")
            batch.clear()

        for number, path in enumerate(files, start=1):
            try:
                document = parse_file_isolated(
                    path,
                    max_bytes=int(self.settings.max_file_mb * 1_000_000),
                    timeout_seconds=self.settings.parse_timeout_seconds,
                    memory_mb=self.settings.parse_memory_mb,
                )
            except UnsupportedDocument as exc:
                failures.append(IngestFailure(path, str(exc)))
                if progress:
                    progress(number, len(files), path, "refused")
                continue
            if any(queued.doc_id == document.doc_id for _, _, queued, _ in batch):
                write_batch()  # the same document twice: the later file replaces the earlier one
            batch.append((number, path, document, self.chunker(document)))
            if len(batch) >= _WRITE_DOCUMENTS or sum(len(chunks) for *_, chunks in batch) >= _WRITE_CHUNKS:
                write_batch()
        write_batch()
        if results:
            self.library.record_ingest(results, before, actor)
            self.retriever.refresh()  # what this process just added is citable at once
        return IngestReport(results, failures, time.perf_counter() - started)

    def ingest_bundled_if_empty(self) -> IngestReport | None:
        if self.stats()["documents"] > 0:
            return None
        return self.ingest([self.settings.corpus_dir], actor="policybot (bundled corpus)")

    # --- questions ----------------------------------------------------------------------
    def ask(self, question: str, history: list[Turn] | list[dict] | None = None) -> Answer:
        turns = _turns(history)
        if not self._caching():
            return self._answer(question, turns)
        started = time.perf_counter()
        if not turns:
            self.popular.record(normalise_question(question))
        answer = self._cached(question, turns)
        answer.latency_ms = round((time.perf_counter() - started) * 1000, 1)
        return answer

    def _cached(self, question: str, turns: list[Turn]) -> Answer:
        """The cached answer, else a fresh one, kept when it may serve the next asker."""
        version = self.retriever.snapshot().version
        return self.answers.get_or_compute(
            answer_key(question, turns, version),
            lambda: self._answer(question, turns),
            keep=lambda fresh: self._cacheable(fresh, version),
        )

    def stream(self, question: str, history: list[Turn] | list[dict] | None = None) -> Iterator[str | Answer]:
        """Pieces of the answer text as they are ready, then the whole ``Answer`` (with citations) last.

        With a model, the pieces are its tokens as they come and the final ``Answer`` is the verified
        one: when verification removed something, its text differs from the pieces and is authoritative.
        """
        if self.llm is None:
            yield from _pieces_then(self.ask(question, history))
            return
        turns = _turns(history)
        if not self._caching():
            yield from self.llm.stream(question, turns)
            return
        started = time.perf_counter()
        version = self.retriever.snapshot().version
        key = answer_key(question, turns, version)
        cached = self.answers.get(key, count_miss=True)
        if cached is not None:
            cached.latency_ms = round((time.perf_counter() - started) * 1000, 1)
            yield from _pieces_then(cached)
            return
        for item in self.llm.stream(question, turns):
            if isinstance(item, Answer) and self._cacheable(item, version):
                self.answers.put(key, item)
            yield item

    def _answer(self, question: str, turns: list[Turn]) -> Answer:
        if self.llm is not None:
            return self.llm.ask(question, turns)  # mostly waiting on the model: not bounded by ``computing``
        with self.computing:
            return self.answerer.ask(question, turns)

    def _caching(self) -> bool:
        """Answers are cached when the cache has room, and with a model only when POLICYBOT_CACHE_LLM says so."""
        return self.answers.enabled and (self.llm is None or self.settings.cache_llm)

    def _cacheable(self, answer: Answer, version: str) -> bool:
        """Whether ``answer`` may serve the next asker: computed on ``version`` and not a stopgap.

        With a model, only its verified answers and refusals are kept: an extractive answer there
        is the fallback for an endpoint that failed, and the next asker should get another try.
        """
        if self.retriever.snapshot().version != version:
            return False  # the index changed while answering: which version it rests on is unclear
        return self.llm is None or answer.mode == "llm" or answer.refused

    @property
    def popular_path(self) -> Path | None:
        """Where this server remembers its most asked questions, or None when it does not."""
        remembers = self.settings.cache_remember_popular and self.answers.enabled and self.llm is None
        return self.settings.home / POPULAR_FILE if remembers else None

    def warm_source(self) -> Path | None:
        """What the start warms the cache from: POLICYBOT_CACHE_WARM_FILE, else the questions remembered last time."""
        if self.settings.cache_warm_file is not None:
            return self.settings.cache_warm_file
        path = self.popular_path
        return path if path is not None and path.is_file() else None

    def warm_cache(self, report: Callable[[str], None]) -> None:
        """Answer the questions of the warm source once, so they are cached; runs on a thread of the
        server's. Whatever goes wrong is reported in one line: the server serves on without it."""
        path = self.warm_source()
        if path is None:
            return
        if not self._caching():
            report(f"cache warm-up skipped: the answer cache is off here, so {path} would be answered for nothing")
            return
        try:
            questions = read_popular_questions(path, self.answers.max_entries)
            if path == self.popular_path:
                self.popular.seed([normalise_question(q) for q in questions])  # still popular until shown otherwise
            # Not ``ask``: a question answered to fill the cache is not one a visitor asked.
            warm_answers(lambda question: self._cached(question, []), questions, report)
        except PolicyBotError as exc:
            report(f"cache warm-up skipped: {' '.join(str(exc).split())}")
        except Exception as exc:  # noqa: BLE001 - a warm-up must never take the server down
            log.exception("cache warm-up failed")
            report(f"cache warm-up stopped: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}")

    def remember_popular(self) -> int | None:
        """Write the most asked questions to ``popular_path``; how many, or None when this server does not remember.
        Raises OSError when the home cannot be written."""
        path = self.popular_path
        return None if path is None else self.popular.save(path)

    def cache_stats(self) -> dict:
        """Hits, misses and size of the answer cache and of the query-embedding cache."""
        return {
            "answers": self.answers.stats().to_public(),
            "query_vectors": self.retriever.query_vectors.stats(),
        }

    def search(self, query: str, k: int | None = None, doc_id: str | None = None, jurisdiction: str | None = None) -> list[ScoredChunk]:
        if not query or not query.strip():
            raise PolicyBotError("the search query is empty")
        with self.computing:
            return self.retriever.search(query, k=k, doc_id=doc_id, jurisdiction=jurisdiction)

    def eligibility(self, profile: Profile | dict, measure_names: list[str] | None = None) -> EligibilityResult:
        """Every support measure's verdict for ``profile``, each condition cited."""
        if not isinstance(profile, Profile):
            try:
                profile = Profile.model_validate(profile)
            except ValidationError as exc:
                first = exc.errors()[0]
                field = ".".join(str(p) for p in first["loc"]) or "profile"
                raise PolicyBotError(
                    f"invalid profile field '{field}': {first['msg']}", zh=f"填写的企业信息有误（{field}），请检查后重试。"
                ) from None
        return check_profile(list(self.plan().documents.values()), profile, measure_names)

    def plan(self) -> PlanIndex:
        return self.answerer.plan

    def stats(self) -> dict[str, int]:
        return self.store.stats()

    def warm_up(self) -> None:
        """Load the embedding model, jieba and the BM25 snapshot before the first question."""
        self.retriever.snapshot()
        self.store.embedder.query_vector("预热")
        _ = self.answerer.plan
        # The stages compile their lexicons' patterns on first use: answer one throwaway question so the
        # first visitor does not wait for that. (jieba's part-of-speech table stays lazy: 53 MB, and only
        # words the clauses lack need it.)
        self.answerer.ask("人工智能政策有哪些支持措施？")
