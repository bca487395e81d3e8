"""The HTTP API under ``/api``: ask, search, browse clauses and agencies, health, feedback, admin ingest."""

from __future__ import annotations

import logging
import os
import re
import tempfile
from pathlib import Path

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from bot.eligibility import EligibilityResult
from bot.library import DocumentNotFound
from core.errors import InvalidQuestion, UnsupportedDocument
from bot.models import Answer
from bot.service import PolicyBot
from core.settings import Settings
from ingest.loaders import SUPPORTED_SUFFIXES
from server import catalog
from server.admin import require_admin
from server.errors import ApiError, one_line
from server.feedback import FeedbackStore
from server.schemas import (
    AgenciesResponse,
    AskRequest,
    ClausesResponse,
    EligibilityRequest,
    ErrorResponse,
    FeedbackRequest,
    FeedbackResponse,
    HealthResponse,
    IngestedDocument,
    IngestResponse,
    SearchHit,
    SearchRequest,
    SearchResponse,
)

log = logging.getLogger(__name__)

ERRORS = {
    400: {"model": ErrorResponse, "description": "Bad input, e.g. an empty or over-long question, malformed JSON."},
    422: {"model": ErrorResponse, "description": "A body of the wrong shape."},
    429: {"model": ErrorResponse, "description": "Too many requests from this client; see Retry-After."},
}
ADMIN_INGEST_PATH = "/api/admin/ingest"
# What a multipart upload may add around the file itself.
MULTIPART_OVERHEAD = 64 * 1024
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def upload_name(filename: str | None) -> str:
    """The uploaded file's own name, without any directory part or control characters."""
    name = _UNSAFE_NAME.sub("", (filename or "").replace("\\", "/").rsplit("/", 1)[-1]).strip()
    if not name or name.startswith("."):
        name = "upload" + name  # ".txt" → "upload.txt"
    stem, suffix = os.path.splitext(name)
    return stem[:120] + suffix[:10]


def upload_limit(settings: Settings) -> int:
    """Largest admin upload request in bytes: the file limit plus the multipart framing."""
    return int(settings.max_file_mb * 1_000_000) + MULTIPART_OVERHEAD


def build_api_router(bot: PolicyBot, settings: Settings, feedback: FeedbackStore) -> APIRouter:
    router = APIRouter(prefix="/api", responses={429: ERRORS[429]})

    @router.post("/ask", response_model=Answer, responses=ERRORS, tags=["answers"], summary="Answer a question with cited clauses")
    def ask(request: AskRequest) -> JSONResponse:
        """The answer contract: Markdown answer, ``refused``, and the verbatim clauses it rests on."""
        answer = bot.ask(request.question, request.history)
        return JSONResponse(answer.to_public())

    @router.post("/search", response_model=SearchResponse, responses=ERRORS, tags=["answers"], summary="Find clauses")
    def search(request: SearchRequest) -> SearchResponse:
        """Clauses ranked by hybrid retrieval (dense + BM25 + heading match), with their scores."""
        query = request.query.strip()
        if len(query) > settings.max_question_chars:
            raise InvalidQuestion(
                f"the query has {len(query)} characters; the limit is {settings.max_question_chars}",
                zh=f"检索内容太长了（{len(query)} 字），请精简到 {settings.max_question_chars} 字以内。",
                code="query_too_long",
            )
        hits = bot.search(query, k=request.k, doc_id=request.doc_id, jurisdiction=request.jurisdiction)
        return SearchResponse(
            query=query,
            results=[
                SearchHit(
                    score=round(hit.score, 4),
                    dense=round(hit.dense, 4),
                    bm25=round(hit.bm25, 4),
                    clause_id=hit.chunk.clause_id,
                    doc_id=hit.chunk.doc_id,
                    doc_title=hit.chunk.doc_title,
                    clause=hit.chunk.clause_path,
                    text=hit.chunk.text,
                    page=hit.chunk.page,
                    status=hit.chunk.status,
                    source=hit.chunk.source,
                    agencies=list(hit.chunk.responsible_agencies),
                )
                for hit in hits
            ],
        )

    @router.post(
        "/eligibility",
        response_model=EligibilityResult,
        responses=ERRORS,
        tags=["answers"],
        summary="Which support measures apply to a profile, condition by condition",
    )
    def eligibility(request: EligibilityRequest) -> EligibilityResult:
        """Every measure's verdict (eligible / not_eligible / undetermined) with the failing or missing
        conditions quoted from their clauses, follow-up questions for missing facts and the computed benefit."""
        return bot.eligibility(request.profile, request.measures or None)

    @router.get("/clauses", response_model=ClausesResponse, tags=["browse"], summary="Documents and their clauses")
    def clauses(doc_id: str | None = Query(default=None, description="Only this document.")) -> ClausesResponse:
        documents = catalog.documents(bot.plan(), doc_id)
        if doc_id is not None and not documents:
            raise ApiError(404, f"no document with doc_id {doc_id!r}", code="document_not_found", zh="没有找到这份文件。")
        return ClausesResponse(documents=documents)

    @router.get("/agencies", response_model=AgenciesResponse, tags=["browse"], summary="Agencies and their clauses")
    def agencies(
        agency: str | None = Query(default=None, description="Only this agency; aliases such as 省发改委 work."),
    ) -> AgenciesResponse:
        directory = catalog.agencies(bot.plan(), agency)
        if agency is not None and not directory:
            raise ApiError(404, f"no clause names the agency {agency!r}", code="agency_not_found",
                           zh=f"没有条款提到“{one_line(agency, 50)}”这个部门，请检查名称或简称。")
        return AgenciesResponse(agencies=directory)

    @router.get("/health", response_model=HealthResponse, responses={503: {"model": HealthResponse}}, tags=["service"])
    def health() -> HealthResponse | JSONResponse:
        """Whether the index can be read, with its size and the cache counts. Not rate limited."""
        try:
            if not bot.store.heartbeat():  # touches the Chroma server itself, not a cached handle
                raise ConnectionError(f"no heartbeat from the index at {bot.store.location}")
            stats = bot.stats()
        except Exception as exc:  # noqa: BLE001 - any failure to read the index means "unavailable"
            log.warning("health check: the index is unavailable: %s", one_line(exc, 300))
            return JSONResponse({"status": "unavailable", "documents": 0, "chunks": 0}, status_code=503)
        return HealthResponse(status="ok", documents=stats["documents"], chunks=stats["chunks"], cache=bot.cache_stats())

    @router.post("/feedback", status_code=201, response_model=FeedbackResponse, responses=ERRORS, tags=["service"])
    def post_feedback(request: FeedbackRequest) -> FeedbackResponse:
        """Store a thumbs up or down with the question, the answer and its citations."""
        row = feedback.add(
            rating=request.rating,
            question=request.question,
            answer=request.answer,
            citations=[c.model_dump() for c in request.citations],
            channel=request.channel,
            comment=request.comment,
        )
        return FeedbackResponse(id=row)

    def ingest_one(path: Path, actor: str, supersedes: list[str] | None):
        with bot.write_lock:
            return bot.ingest([path], actor=actor, supersedes=supersedes)

    @router.post(
        ADMIN_INGEST_PATH.removeprefix("/api"),
        status_code=201,
        response_model=IngestResponse,
        tags=["admin"],
        summary="Add or replace a policy document",
        include_in_schema=settings.admin_token is not None,
        max_body_size=upload_limit(settings),
        responses={
            401: {"model": ErrorResponse, "description": "Missing or wrong admin token."},
            404: {"model": ErrorResponse, "description": "POLICYBOT_ADMIN_TOKEN is not set: the route is off."},
            413: {"model": ErrorResponse, "description": "Over POLICYBOT_MAX_FILE_MB."},
            415: {"model": ErrorResponse, "description": "Not a supported file type."},
            422: {"model": ErrorResponse, "description": "Not a policy document (encrypted, empty, no clauses …)."},
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {
                                "file": {"type": "string", "format": "binary"},
                                "supersedes": {"type": "string", "description": "Id of a document the file replaces."},
                            },
                        }
                    }
                },
            }
        },
    )
    async def admin_ingest(
        request: Request,
        authorization: str | None = Header(default=None, description="Bearer POLICYBOT_ADMIN_TOKEN"),
    ) -> IngestResponse:
        """Upload one policy file (multipart field ``file``); a refused file leaves the index unchanged.

        Guarded by ``Authorization: Bearer <POLICYBOT_ADMIN_TOKEN>``; without that setting the route is off.
        """
        actor = require_admin(settings, authorization)
        async with request.form(max_files=1, max_fields=4) as form:
            supersedes = [str(v) for v in form.getlist("supersedes") if str(v).strip()] or None
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise HTTPException(422, "upload the policy file as the multipart/form-data field 'file'")
            name = upload_name(upload.filename)
            suffix = Path(name).suffix.lower()
            if suffix not in SUPPORTED_SUFFIXES:
                raise HTTPException(
                    415, f"{name}: unsupported file type '{suffix or 'none'}'; supported: {', '.join(SUPPORTED_SUFFIXES)}"
                )
            max_bytes = int(settings.max_file_mb * 1_000_000)
            with tempfile.TemporaryDirectory(prefix="policybot-upload-") as folder:
                # The file keeps its own name: the document id and its citations derive from it.
                path = Path(folder) / name
                size = 0
                with path.open("wb") as out:
                    while chunk := await upload.read(1 << 20):
                        size += len(chunk)
                        if size > max_bytes:
                            raise HTTPException(
                                413, f"{name}: over the {settings.max_file_mb:g} MB limit (POLICYBOT_MAX_FILE_MB)"
                            )
                        out.write(chunk)
                try:
                    report = await run_in_threadpool(ingest_one, path, actor, supersedes)
                except DocumentNotFound as exc:  # a --supersedes id that is not indexed
                    raise HTTPException(404, str(exc)) from None
        if report.failures:
            raise UnsupportedDocument(one_line(report.failures[0].reason))
        stats = await run_in_threadpool(bot.stats)
        log.info("admin ingest: %s", ", ".join(f"{r.document.source} {r.status}" for r in report.results))
        return IngestResponse(
            ingested=[
                IngestedDocument(
                    doc_id=r.document.doc_id,
                    title=r.document.title,
                    source=r.document.source,
                    status=r.status,
                    clauses=len(r.document.clauses),
                )
                for r in report.results
            ],
            documents=stats["documents"],
            chunks=stats["chunks"],
        )

    return router
