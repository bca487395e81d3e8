"""The answer contract shared by the CLI, the HTTP API and the web chat."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Citation(BaseModel):
    doc_title: str
    clause: str = Field(description="Heading path, e.g. '二、重点领域 › （三）人工智能+医疗'.")
    quote: str = Field(description="Verbatim clause text that supports the answer.")
    source: str = Field(description="File name of the document.")
    page: int | None = None
    # Not part of the public contract, but useful to the UI: the whole clause and its status.
    clause_text: str = Field(default="", exclude=True)
    status: str = Field(default="", exclude=True)


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class Answer(BaseModel):
    question: str = Field(description="The question as the bot read it: without invisible characters and courtesy.")
    answer: str = Field(description="Markdown.")
    refused: bool = False
    mode: Literal["extractive", "llm"] = "extractive"
    citations: list[Citation] = Field(default_factory=list)
    latency_ms: float = 0.0
    route: str = Field(default="general", exclude=True)

    def to_public(self) -> dict:
        """The JSON the CLI prints and the API returns."""
        return self.model_dump()
