"""Request and response bodies of the HTTP API (the answer itself is ``bot.models.Answer``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from bot.eligibility import Profile
from bot.models import Citation, Turn

MAX_HISTORY_TURNS = 40


class AskRequest(BaseModel):
    question: str = Field(description="The question; at most POLICYBOT_MAX_QUESTION_CHARS characters.")
    history: list[Turn] = Field(
        default_factory=list,
        max_length=MAX_HISTORY_TURNS,
        description="Earlier turns of the conversation, oldest first, for follow-up questions.",
    )


class EligibilityRequest(BaseModel):
    profile: Profile = Field(default_factory=Profile, description="What the applicant says about itself; all optional.")
    measures: list[str] = Field(default_factory=list, max_length=20, description="Only measures whose name contains one of these.")


class SearchRequest(BaseModel):
    query: str
    k: int | None = Field(default=None, ge=1, le=50, description="How many clauses; default POLICYBOT_TOP_K.")
    doc_id: str | None = Field(default=None, description="Only this document.")
    jurisdiction: str | None = Field(default=None, description="Only documents of this place, e.g. 浙江省.")


class SearchHit(BaseModel):
    score: float = Field(description="Fused relevance; higher is better.")
    dense: float = Field(description="Cosine similarity of the embeddings.")
    bm25: float = Field(description="BM25 score over jieba tokens.")
    clause_id: str
    doc_id: str
    doc_title: str
    clause: str = Field(description="Heading path, e.g. '二、重点领域 › （三）人工智能+医疗'.")
    text: str = Field(description="The clause text (or one part of a long clause).")
    page: int | None = None
    status: str
    source: str
    agencies: list[str] = Field(description="Responsible agencies, lead first.")


class SearchResponse(BaseModel):
    query: str
    results: list[SearchHit]


class ClauseOut(BaseModel):
    id: str
    path: list[str] = Field(description="Heading path from the document root.")
    clause: str = Field(description="The path joined with ' › '.")
    number: str
    title: str
    kind: str
    page: int | None = None
    agencies: list[str] = Field(description="Responsible agencies, lead first.")
    text: str


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    source: str
    status: str = Field(description="征求意见稿 | 施行 | 正式")
    issuer: str | None = None
    date: str | None = None
    effective_date: str | None = None
    jurisdiction: str | None = None
    clauses: list[ClauseOut]


class ClausesResponse(BaseModel):
    documents: list[DocumentOut]


class AgencyClause(BaseModel):
    clause_id: str
    clause: str
    doc_id: str
    doc_title: str
    status: str
    page: int | None = None
    role: Literal["牵头", "参与", "提及"] = Field(description="Lead, participating, or only mentioned in the text.")


class AgencyOut(BaseModel):
    agency: str
    clauses: list[AgencyClause]


class AgenciesResponse(BaseModel):
    agencies: list[AgencyOut]


class HealthResponse(BaseModel):
    status: Literal["ok", "unavailable"]
    documents: int
    chunks: int
    cache: dict[str, dict[str, int]] | None = Field(
        default=None,
        description="This replica's caches since it started: 'answers' (entries, bytes, hits, misses, coalesced: requests "
        "that waited for the answer another request was computing, evictions, "
        "max_entries, max_bytes) and 'query_vectors' (entries, hits, misses, max_entries).",
    )


class FeedbackRequest(BaseModel):
    rating: Literal["up", "down"]
    question: str = Field(min_length=1, max_length=4000)
    answer: str = Field(min_length=1, max_length=40_000)
    citations: list[Citation] = Field(default_factory=list, max_length=30)
    comment: str | None = Field(default=None, max_length=2000)
    channel: Literal["api", "embed"] = Field(default="api", description="Where the rating was given.")


class FeedbackResponse(BaseModel):
    id: int


class IngestedDocument(BaseModel):
    doc_id: str
    title: str
    source: str
    status: Literal["added", "updated", "unchanged"]
    clauses: int


class IngestResponse(BaseModel):
    ingested: list[IngestedDocument]
    documents: int = Field(description="Documents in the index afterwards.")
    chunks: int = Field(description="Chunks in the index afterwards.")


class ErrorDetail(BaseModel):
    message: str
    type: str
    code: int


class ErrorResponse(BaseModel):
    error: ErrorDetail
