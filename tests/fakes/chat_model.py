"""A scripted ``ChatModel`` that records the prompts it receives (in the manner of simonw/llm's MockModel)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from core.errors import LLMUnavailable


@dataclass(frozen=True)
class Stall:
    """Say nothing for ``seconds`` (or until ``release`` is set), then reply ``then``."""

    seconds: float
    then: str = ""
    release: threading.Event | None = None


@dataclass(frozen=True)
class Pieces:
    """Stream these pieces; after ``wait_after`` of them, wait for ``release`` before sending the rest."""

    pieces: tuple[str, ...]
    wait_after: int | None = None
    release: threading.Event | None = None


Scripted = str | Exception | Stall | Pieces


class ScriptedChatModel:
    """Replies from a script, one entry per call; with nothing scripted it fails like a dead endpoint."""

    def __init__(self) -> None:
        self.script: deque[Scripted] = deque()
        self.prompts: list[list[dict[str, str]]] = []
        self.timeouts: list[float] = []

    def enqueue(self, *replies: Scripted) -> ScriptedChatModel:
        self.script.extend(replies)
        return self

    def reset(self) -> None:
        self.script.clear()
        self.prompts.clear()
        self.timeouts.clear()

    @property
    def last_prompt(self) -> str:
        return "\n".join(m["content"] for m in self.prompts[-1])

    def _next(self, messages: list[dict[str, str]], timeout: float) -> Scripted:
        self.prompts.append([dict(m) for m in messages])
        self.timeouts.append(timeout)
        if not self.script:
            raise LLMUnavailable("the scripted model has no reply left")
        reply = self.script.popleft()
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, Stall):
            if reply.release is not None:
                reply.release.wait(reply.seconds)
            else:
                time.sleep(reply.seconds)
            return reply.then
        return reply

    def complete(self, messages: list[dict[str, str]], *, timeout: float) -> str:
        reply = self._next(messages, timeout)
        return "".join(reply.pieces) if isinstance(reply, Pieces) else reply

    def stream(self, messages: list[dict[str, str]], *, timeout: float) -> Iterator[str]:
        reply = self._next(messages, timeout)
        if isinstance(reply, str):
            reply = Pieces(tuple(reply[i : i + 4] for i in range(0, len(reply), 4)))
        for number, piece in enumerate(reply.pieces):
            if reply.wait_after is not None and number == reply.wait_after and reply.release is not None:
                reply.release.wait(10)
            yield piece
