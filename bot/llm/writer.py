"""Generated answers: the model writes from the retrieved clauses, every citation is verified, failures fall back."""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bot.answerer import ExtractiveAnswerer, Retrieval
from core.errors import LLMUnavailable
from bot.llm.chat import ChatModel, Message, OpenAIChatModel, redact
from bot.llm.prompt import Prompt, PromptBuilder, Source
from bot.llm.verify import CitationNumbers, Verified, supporting_quote, verify
from bot.models import Answer, Citation, Turn
from core.settings import Settings
from prompts import load_llm_prompts

log = logging.getLogger(__name__)

ATTEMPTS = 2  # the first call and at most one retry
# Beyond the client's own timeout, how long we wait before abandoning a call that does not return.
GRACE_SECONDS = 1.0
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
_MEANINGFUL_RE = re.compile(r"[\w\u4e00-\u9fff]")
# Held back at the end of a streamed piece: an unfinished marker ("…牵头[1") until it closes, and
# whitespace until more text follows (the final answer has no trailing whitespace).
_HELD_BACK_RE = re.compile(r"(?:[ \t]*[\[【][^\]】\n]{0,16}|\s+)$")


@dataclass
class _Draft:
    """A question the model may answer: its retrieval, the extractive fallback and the prompt."""

    retrieval: Retrieval
    fallback: Answer
    prompt: Prompt


class LLMAnswerer:
    """Answers with a language model from the clauses ``ExtractiveAnswerer`` retrieved, citing only verified clauses.

    The extractive answerer still decides refusals (the model is not called for them), and its
    answer, with a notice, is what the user gets whenever the model fails or nothing it wrote can
    be verified.
    """

    def __init__(self, answerer: ExtractiveAnswerer, settings: Settings, chat_model: ChatModel | None = None) -> None:
        self.answerer = answerer
        self.settings = settings
        self.prompts = load_llm_prompts()
        self.builder = PromptBuilder(self.prompts, settings.llm_context_tokens, settings.llm_max_tokens)
        self.chat_model = chat_model or OpenAIChatModel.from_settings(settings)
        self.timeout = settings.llm_timeout

    # --- entry points ----------------------------------------------------------------
    def ask(self, question: str, history: list[Turn] | None = None) -> Answer:
        started = time.perf_counter()
        draft = self._prepare(question, history or [])
        if isinstance(draft, Answer):
            answer = draft
        else:
            try:
                reply = self._complete(draft.prompt.messages)
                answer = self._verified_answer(draft, reply)
            except LLMUnavailable as exc:
                log.warning("generated answer unavailable, answering extractively: %s", redact(str(exc)))
                answer = self._fallback(draft, "unavailable")
        answer.latency_ms = round((time.perf_counter() - started) * 1000, 1)
        return answer

    def stream(self, question: str, history: list[Turn] | None = None) -> Iterator[str | Answer]:
        """Pieces of the reply as the model writes them, then the verified ``Answer``.

        The final ``Answer`` is authoritative: verification may remove sentences or markers that
        were already streamed, and it renumbers the markers the same way the stream did. When
        nothing is removed, the pieces joined are exactly the final answer's text.
        """
        started = time.perf_counter()
        draft = self._prepare(question, history or [])
        if isinstance(draft, Answer):
            yield from _pieces(draft.answer)
            draft.latency_ms = round((time.perf_counter() - started) * 1000, 1)
            yield draft
            return
        markers = _LiveMarkers(len(draft.prompt.sources))
        raw: list[str] = []
        try:
            for piece in self._stream_reply(draft.prompt.messages):
                raw.append(piece)
                if shown := markers.feed(piece):
                    yield shown
            if shown := markers.flush():
                yield shown
            reply = "".join(raw)
            _check_readable(reply)
            verified = verify(reply, draft.prompt.sources, self.prompts.not_covered)
            answer = self._answer(draft, verified)
            if answer.mode == "llm":
                tail = answer.answer[len(verified.text) :]  # the notes after the verified text
            else:
                tail = ("\n\n" if markers.emitted.strip() else "") + answer.answer
            if tail:
                yield tail
        except LLMUnavailable as exc:
            log.warning("generated answer unavailable, answering extractively: %s", redact(str(exc)))
            answer = self._fallback(draft, "unavailable")
            if markers.emitted.strip():
                yield "\n\n"
            yield from _pieces(answer.answer)
        answer.latency_ms = round((time.perf_counter() - started) * 1000, 1)
        yield answer

    # --- steps -----------------------------------------------------------------------
    def _prepare(self, question: str, history: list[Turn]) -> Answer | _Draft:
        """The refusal or extractive-only answer that ends the question, or what the model needs."""
        retrieval = self.answerer.retrieve(question, history)
        if retrieval.refusal is not None:
            return retrieval.refusal
        fallback = self.answerer.compose(retrieval)
        if fallback.refused:  # e.g. an agency the plan does not name: still the bot's decision
            return fallback
        prompt = self.builder.build(retrieval.question, history, self._sources(retrieval, fallback))
        if not prompt.sources:
            log.warning(
                "no clause fits POLICYBOT_LLM_CONTEXT_TOKENS=%d; answering extractively", self.settings.llm_context_tokens
            )
            return self._fallback(_Draft(retrieval, fallback, prompt), "unavailable")
        log.debug("prompt: %d tokens, %d clauses, %d turns of history", prompt.tokens, len(prompt.sources), prompt.history_turns)
        return _Draft(retrieval, fallback, prompt)

    def _sources(self, retrieval: Retrieval, extractive: Answer) -> list[Source]:
        """The clauses the extractive answer chose (the plan's structure found them), then the other hits."""
        plan = self.answerer.plan
        candidates: list[Source] = []
        for citation in extractive.citations:
            text = citation.clause_text or citation.quote
            candidates.append(
                Source(citation.doc_title, citation.clause, text, citation.source, citation.page, citation.status, text)
            )
        for hit in retrieval.hits:
            chunk = hit.chunk
            clause = plan.clauses.get(chunk.clause_id)
            whole = clause.text if clause is not None and chunk.text in clause.text else chunk.text
            candidates.append(
                Source(chunk.doc_title, chunk.clause_path, chunk.text, chunk.source, chunk.page, chunk.status, whole)
            )
        sources: list[Source] = []
        for candidate in candidates:
            # A hit that is (part of) a clause already chosen adds nothing.
            if not any(_same_clause(s, candidate) and candidate.text in s.text for s in sources):
                sources.append(candidate)
        return sources

    def _complete(self, messages: list[Message]) -> str:
        """The whole reply; one retry when the first attempt fails."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                pieces = _bounded(
                    lambda: iter([self.chat_model.complete(messages, timeout=self.timeout)]),
                    first=self.timeout + GRACE_SECONDS,
                    idle=self.timeout + GRACE_SECONDS,
                    total=self.timeout + GRACE_SECONDS,
                )
                reply = "".join(pieces)
                _check_readable(reply)
                return reply
            except LLMUnavailable as exc:
                if attempt == ATTEMPTS:
                    raise
                log.warning("LLM attempt %d failed, retrying once: %s", attempt, redact(str(exc)))
        raise AssertionError("unreachable")

    def _stream_reply(self, messages: list[Message]) -> Iterator[str]:
        """Pieces of the reply as they come; one retry when the first attempt fails before its first piece."""
        for attempt in range(1, ATTEMPTS + 1):
            received = False
            try:
                for piece in _bounded(
                    lambda: self.chat_model.stream(messages, timeout=self.timeout),
                    first=self.timeout + GRACE_SECONDS,
                    idle=self.timeout + GRACE_SECONDS,
                    total=self.settings.llm_stream_timeout,
                ):
                    received = True
                    yield piece
                if not received:
                    raise LLMUnavailable("the model sent an empty reply")
                return
            except LLMUnavailable as exc:
                if received or attempt == ATTEMPTS:
                    raise
                log.warning("LLM attempt %d failed, retrying once: %s", attempt, redact(str(exc)))

    def _verified_answer(self, draft: _Draft, reply: str) -> Answer:
        return self._answer(draft, verify(reply, draft.prompt.sources, self.prompts.not_covered))

    def _answer(self, draft: _Draft, verified: Verified) -> Answer:
        """The generated answer (its text starts with ``verified.text``), or the fallback when nothing is verified."""
        if not verified.cited:
            log.warning(
                "nothing in the generated answer could be verified (%d sentences dropped)", len(verified.dropped)
            )
            return self._fallback(draft, "unverified")
        if verified.dropped:
            log.info("verification dropped %d sentences: %s", len(verified.dropped), verified.dropped)
        sources = draft.prompt.sources
        citations = [_citation(sources[n - 1], verified.statements.get(n, [])) for n in verified.cited]
        notes = [self.prompts.notices["removed"]] if verified.dropped else []
        notes += self.answerer.status_notes(citations)
        body = verified.text + "".join(f"\n\n*{note}*" for note in notes)
        return Answer(
            question=draft.retrieval.question,
            answer=body,
            refused=False,
            mode="llm",
            citations=citations,
            route=draft.fallback.route,
        )

    def _fallback(self, draft: _Draft, reason: str) -> Answer:
        """The extractive answer, with a notice saying why the model's answer is not shown."""
        answer = draft.fallback.model_copy(deep=True)
        answer.answer = f"{self.prompts.notices[reason]}\n\n{answer.answer}"
        answer.mode = "extractive"
        return answer


# --- helpers -------------------------------------------------------------------------
def _citation(source: Source, statements: list[str]) -> Citation:
    return Citation(
        doc_title=source.doc_title,
        clause=source.clause_path,
        quote=supporting_quote(source.text, statements),
        source=source.source,
        page=source.page,
        clause_text=source.clause_text,
        status=source.status,
    )


def _same_clause(a: Source, b: Source) -> bool:
    return a.doc_title == b.doc_title and a.clause_path == b.clause_path


def _pieces(text: str) -> Iterator[str]:
    for piece in re.findall(r"[^\n]*\n*", text):
        if piece:
            yield piece


def _check_readable(reply: str) -> None:
    """Reject an empty reply, or one that is mostly not text (binary, mojibake, control characters)."""
    if not reply.strip():
        raise LLMUnavailable("the model sent an empty reply")
    visible = re.sub(r"\s", "", reply)
    if _CONTROL_RE.search(reply) or len(_MEANINGFUL_RE.findall(visible)) < 0.5 * len(visible):
        raise LLMUnavailable("the model sent a garbled reply")


def _bounded(produce: Callable[[], Iterator[str]], *, first: float, idle: float, total: float) -> Iterator[str]:
    """The pieces of ``produce()``, run in a worker thread so that a call that never returns cannot hold us.

    Raises ``LLMUnavailable`` when the first piece takes longer than ``first`` seconds, a later
    one longer than ``idle``, or all of them longer than ``total``.
    """
    pieces: queue.Queue = queue.Queue()
    cancelled = threading.Event()

    def work() -> None:
        try:
            iterator = produce()
            try:
                for piece in iterator:
                    if cancelled.is_set():
                        return
                    pieces.put(("piece", piece))
            finally:
                close = getattr(iterator, "close", None)
                if close is not None:
                    close()
            pieces.put(("done", None))
        except Exception as exc:  # noqa: BLE001 - handed to the waiting thread, which reports it
            pieces.put(("error", exc))

    threading.Thread(target=work, name="policybot-llm", daemon=True).start()
    deadline = time.monotonic() + total
    wait, received = first, False
    try:
        while True:
            remaining = deadline - time.monotonic()
            try:
                kind, value = pieces.get(timeout=max(0.0, min(wait, remaining)))
            except queue.Empty:
                if remaining <= wait:
                    raise LLMUnavailable(f"the model's reply took longer than {total:g} s in total") from None
                what = "for its next piece" if received else "to start replying"
                raise LLMUnavailable(f"the model took longer than {wait:g} s {what}") from None
            if kind == "piece":
                wait, received = idle, True
                yield value
            elif kind == "done":
                return
            elif isinstance(value, LLMUnavailable):
                raise value
            else:
                log.error("the LLM client failed unexpectedly", exc_info=value)
                raise LLMUnavailable(redact(f"the LLM client failed: {type(value).__name__}")) from None
    finally:
        cancelled.set()


class _LiveMarkers:
    """Renumbers the markers of streamed pieces as the final answer will, holding back an unfinished one."""

    def __init__(self, source_count: int) -> None:
        self.numbering = CitationNumbers(source_count)
        self.pending = ""
        self.emitted = ""

    def feed(self, piece: str) -> str:
        text = self.pending + piece
        held = _HELD_BACK_RE.search(text)
        cut = held.start() if held else len(text)
        self.pending = text[cut:]
        return self._emit(text[:cut])

    def flush(self) -> str:
        text, self.pending = self.pending, ""
        return self._emit(text.rstrip())

    def _emit(self, text: str) -> str:
        shown = self.numbering.rewrite(text)
        if not self.emitted:
            shown = shown.lstrip()  # the final answer starts at its first character
        self.emitted += shown
        return shown
