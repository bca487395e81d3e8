"""An OpenAI-compatible endpoint, so a portal can ask policybot with any OpenAI client.

``POST /v1/chat/completions`` answers the last user message, with the earlier user and
assistant messages as history. The reply's content is the answer followed by its numbered
sources; the same citations travel as data in a top-level ``citations`` field (in the final
chunk when streaming), together with ``refused`` and ``usage`` (cl100k_base tokens of the
messages and of the content). A streamed reply's final chunk also carries the complete verified
``content`` (what the pieces joined are, unless ``revised: true`` says verification changed what
was streamed) and the bare ``answer`` without its sources.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from core.errors import InvalidQuestion
from bot.llm.prompt import encoding
from bot.models import Answer, Citation, Turn
from bot.service import PolicyBot
from server.errors import INTERNAL_ERROR, INTERNAL_ERROR_ZH, ApiError, current_language
from server.schemas import MAX_HISTORY_TURNS, ErrorResponse

log = logging.getLogger(__name__)

MODEL_ID = "policybot"
MODEL_CREATED = 1_727_740_800  # 2024-10-01, when the answer contract was first served


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict] | None = None


class ChatCompletionRequest(BaseModel):
    """OpenAI's request body; sampling options (temperature, max_tokens …) are accepted and ignored."""

    model_config = ConfigDict(extra="allow")
    model: str = Field(default=MODEL_ID, description=f"Any name is accepted; replies name '{MODEL_ID}'.")
    messages: list[ChatMessage] = Field(min_length=1, max_length=2 * MAX_HISTORY_TURNS + 1)
    stream: bool = False


def message_text(content: str | list[dict] | None) -> str:
    """The text of a message: a string, or the text parts of a list of content parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") in ("text", "input_text"))


def question_and_history(messages: list[ChatMessage]) -> tuple[str, list[Turn]]:
    if messages[-1].role != "user":
        raise InvalidQuestion(
            f"the last message must have role 'user' (the question), got {messages[-1].role!r}",
            zh="最后一条消息必须是用户的提问（role 为 user）。",
            code="last_message_not_user",
        )
    history = [
        Turn(role=m.role, content=message_text(m.content)) for m in messages[:-1] if m.role in ("user", "assistant")
    ]
    return message_text(messages[-1].content), history[-MAX_HISTORY_TURNS:]


def sources_text(citations: list[Citation]) -> str:
    """The numbered sources appended to the content, one per line."""
    lines = ["来源："]
    for number, c in enumerate(citations, start=1):
        title = c.doc_title if c.doc_title.startswith("《") else f"《{c.doc_title}》"
        where = " ".join(part for part in (title, c.clause, f"（第{c.page}页）" if c.page is not None else "") if part)
        lines.append(f"[{number}] {where}：“{c.quote}”")
    return "\n".join(lines)


def content_of(answer: Answer) -> str:
    if not answer.citations:
        return answer.answer
    return f"{answer.answer}\n\n{sources_text(answer.citations)}"


def _extras(answer: Answer) -> dict:
    public = answer.to_public()
    return {"citations": public["citations"], "refused": public["refused"]}


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


def usage(messages: list[ChatMessage], content: str) -> dict:
    """OpenAI's usage block, counted with cl100k_base (bundled, never downloaded)."""
    prompt = sum(count_tokens(message_text(m.content)) for m in messages)
    completion_tokens = count_tokens(content)
    return {"prompt_tokens": prompt, "completion_tokens": completion_tokens, "total_tokens": prompt + completion_tokens}


def completion(answer: Answer, messages: list[ChatMessage]) -> dict:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": MODEL_ID,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content_of(answer)},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": usage(messages, content_of(answer)),
        **_extras(answer),
    }


def _event(body: dict) -> str:
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def completion_chunks(
    first: str | Answer, rest: Iterator[str | Answer], messages: list[ChatMessage], language: str = "zh"
) -> Iterator[str]:
    """Server-sent events: the role, the answer's pieces, its sources, then the final chunk (citations,
    the complete ``content``, ``usage``), then [DONE]."""
    base = {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion.chunk", "created": int(time.time()), "model": MODEL_ID}

    def chunk(delta: dict, finish_reason: str | None = None, **extra) -> str:
        return _event({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}], **extra})

    yield chunk({"role": "assistant", "content": ""})
    streamed: list[str] = []
    try:
        item = first
        while not isinstance(item, Answer):
            streamed.append(item)
            yield chunk({"content": item})
            item = next(rest)
    except Exception:  # noqa: BLE001 - the stream has started: report in-band, never a traceback
        log.exception("streaming a chat completion failed")
        message = INTERNAL_ERROR if language == "en" else INTERNAL_ERROR_ZH
        yield _event({"error": {"message": message, "type": "server_error", "code": "internal_error", "status": 500}})
        yield "data: [DONE]\n\n"
        return
    if item.citations:
        sources = "\n\n" + sources_text(item.citations)
        streamed.append(sources)
        yield chunk({"content": sources})
    # A generated answer is verified after it was streamed; when that removed something, the
    # final content (here, and in the web chat) is authoritative and "revised" says so.
    content = content_of(item)
    yield chunk({}, "stop", **_extras(item), content=content, answer=item.answer,
                revised="".join(streamed) != content, usage=usage(messages, content))
    yield "data: [DONE]\n\n"


def build_openai_router(bot: PolicyBot) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["openai-compatible"])
    errors = {400: {"model": ErrorResponse}, 422: {"model": ErrorResponse}, 429: {"model": ErrorResponse}}

    @router.post("/chat/completions", responses=errors, summary="Chat completion (OpenAI-compatible)")
    def chat_completions(request: ChatCompletionRequest):
        """Plain JSON, or ``stream: true`` for server-sent events ending in ``data: [DONE]``."""
        question, history = question_and_history(request.messages)
        if not request.stream:
            return JSONResponse(completion(bot.ask(question, history), request.messages))
        pieces = bot.stream(question, history)
        # The answer is computed on the first step, so a bad question is still a plain 400.
        first = next(pieces)
        return StreamingResponse(
            completion_chunks(first, pieces, request.messages, current_language()),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    def model_card() -> dict:
        return {"id": MODEL_ID, "object": "model", "created": MODEL_CREATED, "owned_by": "policybot"}

    @router.get("/models", summary="Models (OpenAI-compatible)")
    def models() -> dict:
        return {"object": "list", "data": [model_card()]}

    @router.get("/models/{model}", summary="One model (OpenAI-compatible)", responses={404: {"model": ErrorResponse}})
    def model(model: str) -> dict:
        if model != MODEL_ID:
            raise ApiError(404, f"the model {model!r} does not exist; use {MODEL_ID!r}", code="model_not_found",
                           zh=f"没有这个模型，请使用 {MODEL_ID}。")
        return model_card()

    return router
