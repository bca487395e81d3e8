"""The small interface policybot needs from a language model, and its OpenAI-compatible implementation."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Protocol
from urllib.parse import urlparse

import openai

from core.errors import ConfigError, LLMUnavailable
from core.settings import Settings

log = logging.getLogger(__name__)

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": ...}

# vLLM and Ollama accept any key; the openai client insists on one.
LOCAL_SERVER_KEY = "not-needed"


class ChatModel(Protocol):
    """A chat model: the whole reply, or its pieces as they come. Failures raise ``LLMUnavailable``."""

    def complete(self, messages: list[Message], *, timeout: float) -> str: ...

    def stream(self, messages: list[Message], *, timeout: float) -> Iterator[str]: ...


def llm_configured(settings: Settings) -> bool:
    """Whether answers are written by a model: a model name and an endpoint (a key, or a base URL)."""
    if not settings.llm_model:
        return False
    if settings.llm_base_url or os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_KEY"):
        return True
    log.warning("POLICYBOT_LLM_MODEL is set but neither OPENAI_API_KEY nor a base URL is; answers stay extractive")
    return False


def redact(text: str) -> str:
    """``text`` without the API key, whatever an endpoint or library put into it."""
    key = os.environ.get("OPENAI_API_KEY")
    return text.replace(key, "***") if key and len(key) >= 4 else text


class OpenAIChatModel:
    """Any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, …) through the official ``openai`` client."""

    def __init__(
        self, model: str, *, base_url: str | None = None, max_tokens: int = 1024, temperature: float = 0.0
    ) -> None:
        if not model:
            raise ConfigError("POLICYBOT_LLM_MODEL is empty; set it to the model's name at the endpoint")
        base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        if base_url and urlparse(base_url).scheme not in ("http", "https"):
            raise ConfigError(f"the LLM base URL must look like http://host:port/v1, got {base_url!r}")
        # NOTE: the key never leaves the client: not stored here, not in any message or log line.
        api_key = os.environ.get("OPENAI_API_KEY") or (LOCAL_SERVER_KEY if base_url else None)
        if not api_key:
            raise ConfigError("set OPENAI_API_KEY, or OPENAI_BASE_URL / POLICYBOT_LLM_BASE_URL for a local server")
        self.model = model
        self.max_tokens = max_tokens
        self.temperature = temperature
        url = urlparse(base_url or "https://api.openai.com/v1")
        self.endpoint = f"{url.scheme}://{url.hostname}" + (f":{url.port}" if url.port else "")
        # Retries are the caller's: it retries once, within its own deadline.
        self._client = openai.OpenAI(api_key=api_key, base_url=base_url, max_retries=0)

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIChatModel:
        return cls(
            settings.llm_model or "",
            base_url=settings.llm_base_url,
            max_tokens=settings.llm_max_tokens,
            temperature=settings.llm_temperature,
        )

    def __repr__(self) -> str:
        return f"OpenAIChatModel(model={self.model!r}, endpoint={self.endpoint!r})"

    def _request(self, messages: list[Message], timeout: float, stream: bool):
        return self._client.chat.completions.create(
            model=self.model,
            messages=messages,  # type: ignore[arg-type]
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            stream=stream,
            timeout=timeout,
        )

    def complete(self, messages: list[Message], *, timeout: float) -> str:
        try:
            response = self._request(messages, timeout, stream=False)
            content = response.choices[0].message.content if response.choices else None
        except openai.OpenAIError as exc:
            raise self._unavailable(exc, timeout) from None
        except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
            # A 200 reply that is not a chat completion: HTML from a proxy, truncated JSON, …
            raise LLMUnavailable(
                f"{self.endpoint} sent something that is not a chat completion ({type(exc).__name__})"
            ) from None
        if not isinstance(content, str):
            raise LLMUnavailable(f"{self.endpoint} sent a reply without text")
        return content

    def stream(self, messages: list[Message], *, timeout: float) -> Iterator[str]:
        try:
            response = self._request(messages, timeout, stream=True)
        except openai.OpenAIError as exc:
            raise self._unavailable(exc, timeout) from None
        try:
            with response:
                for chunk in response:
                    for choice in chunk.choices or []:
                        piece = choice.delta.content if choice.delta else None
                        if piece:
                            yield piece
        except openai.OpenAIError as exc:
            raise self._unavailable(exc, timeout) from None
        except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
            raise LLMUnavailable(
                f"{self.endpoint} streamed events that are not chat chunks ({type(exc).__name__})"
            ) from None

    def _unavailable(self, exc: openai.OpenAIError, timeout: float) -> LLMUnavailable:
        if isinstance(exc, openai.APITimeoutError):
            return LLMUnavailable(f"{self.endpoint} did not answer within {timeout:g} s")
        if isinstance(exc, openai.APIStatusError):
            return LLMUnavailable(f"{self.endpoint} answered HTTP {exc.status_code}")
        if isinstance(exc, openai.APIConnectionError):
            return LLMUnavailable(f"cannot reach {self.endpoint}; is the model server running?")
        return LLMUnavailable(redact(f"{self.endpoint} failed: {type(exc).__name__}: {str(exc)[:120]}"))
