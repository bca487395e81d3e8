"""The admin side of the document list: ``/api/admin/documents…``, ``/api/admin/diff``, ``/api/admin/audit``
and the ``/admin`` page that uses them. Everything needs ``Authorization: Bearer <POLICYBOT_ADMIN_TOKEN>``
(the page asks for the token and keeps it in the tab's sessionStorage); without that setting it is all off (404).
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Header, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from bot.compare import DocumentDiff
from bot.library import DocumentDetail, DocumentInfo, DocumentNotFound, token_actor
from bot.service import PolicyBot
from core.settings import Settings
from server.embed import STATIC
from server.schemas import ErrorResponse

ADMIN_PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
AUTH_ERRORS = {
    401: {"model": ErrorResponse, "description": "Missing or wrong admin token."},
    404: {"model": ErrorResponse, "description": "No such document, or POLICYBOT_ADMIN_TOKEN is not set (the routes are off)."},
}


class DocumentsResponse(BaseModel):
    documents: list[DocumentInfo]


class RemovedResponse(BaseModel):
    removed: DocumentInfo
    documents: int = Field(description="Documents left in the index.")


class StatusRequest(BaseModel):
    status: str = Field(description="draft | in_force | superseded | withdrawn | expired | auto (derive it from the text)")


class AuditResponse(BaseModel):
    entries: list[dict]
    location: str = Field(description="Where the log is kept: a JSON-lines file in POLICYBOT_HOME, or the Chroma server.")


def require_admin(settings: Settings, authorization: str | None) -> str:
    """The actor the audit log names for this request; 404 when admin is off, 401 without the right token."""
    if settings.admin_token is None or not settings.admin_token.get_secret_value():
        raise HTTPException(404, "Not Found")
    scheme, _, credentials = (authorization or "").partition(" ")
    expected = settings.admin_token.get_secret_value()
    if scheme.lower() != "bearer" or not secrets.compare_digest(credentials.strip().encode(), expected.encode()):
        raise HTTPException(
            401,
            "a valid admin token is required: send Authorization: Bearer <POLICYBOT_ADMIN_TOKEN>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token_actor(expected)


def build_admin_router(bot: PolicyBot, settings: Settings) -> APIRouter:
    router = APIRouter(responses=AUTH_ERRORS)
    shown = settings.admin_token is not None
    token_header = Header(default=None, description="Bearer POLICYBOT_ADMIN_TOKEN")

    def info_of(doc_id: str) -> DocumentInfo:
        return next(row for row in bot.library.list_documents() if row.id == doc_id)

    def not_found(exc: DocumentNotFound) -> HTTPException:
        return HTTPException(404, str(exc))

    @router.get("/api/admin/documents", response_model=DocumentsResponse, tags=["admin"], include_in_schema=shown,
                summary="Every indexed document with its status")
    def list_documents(authorization: str | None = token_header) -> DocumentsResponse:
        require_admin(settings, authorization)
        return DocumentsResponse(documents=bot.library.list_documents())

    @router.get("/api/admin/documents/{doc_id}", response_model=DocumentDetail, tags=["admin"], include_in_schema=shown,
                summary="One document: metadata, status, clauses and its audit history")
    def show_document(doc_id: str, authorization: str | None = token_header) -> DocumentDetail:
        require_admin(settings, authorization)
        try:
            return bot.library.show(doc_id)
        except DocumentNotFound as exc:
            raise not_found(exc) from None

    @router.delete("/api/admin/documents/{doc_id}", response_model=RemovedResponse, tags=["admin"], include_in_schema=shown,
                   summary="Remove a document (atomic: readers see the old set or the new)")
    async def remove_document(doc_id: str, authorization: str | None = token_header) -> RemovedResponse:
        actor = require_admin(settings, authorization)

        def remove() -> RemovedResponse:
            with bot.write_lock:
                try:
                    row = info_of(bot.library.resolve(doc_id).doc_id)
                    bot.library.remove(row.id, actor)
                except DocumentNotFound as exc:
                    raise not_found(exc) from None
                return RemovedResponse(removed=row, documents=bot.stats()["documents"])

        return await run_in_threadpool(remove)

    @router.post("/api/admin/documents/{doc_id}/status", response_model=DocumentInfo, tags=["admin"],
                 include_in_schema=shown, summary="Set a document's status (withdrawn, expired …; auto: from its text)")
    async def set_status(doc_id: str, request: StatusRequest, authorization: str | None = token_header) -> DocumentInfo:
        actor = require_admin(settings, authorization)

        def change() -> DocumentInfo:
            with bot.write_lock:
                try:
                    return bot.library.set_status(doc_id, request.status, actor)
                except DocumentNotFound as exc:
                    raise not_found(exc) from None

        return await run_in_threadpool(change)

    @router.get("/api/admin/diff", response_model=DocumentDiff, tags=["admin"], include_in_schema=shown,
                summary="Compare two indexed documents clause by clause")
    def diff(
        old: str = Query(description="Id of the earlier version."),
        new: str = Query(description="Id of the later version."),
        authorization: str | None = token_header,
    ) -> DocumentDiff:
        require_admin(settings, authorization)
        try:
            return bot.library.diff(bot.library.resolve(old).doc_id, bot.library.resolve(new).doc_id)
        except DocumentNotFound as exc:
            raise not_found(exc) from None

    @router.get("/api/admin/audit", response_model=AuditResponse, tags=["admin"], include_in_schema=shown,
                summary="The audit log of changes, oldest first")
    def audit(doc_id: str | None = Query(default=None), authorization: str | None = token_header) -> AuditResponse:
        require_admin(settings, authorization)
        return AuditResponse(entries=bot.library.audit.entries(doc_id), location=bot.library.audit.location)

    @router.get("/admin", include_in_schema=False)
    def admin_page() -> Response:
        """The page itself holds no data: everything it shows comes from the routes above, with the token."""
        if settings.admin_token is None:
            raise HTTPException(404, "Not Found")
        return _static("admin.html", "text/html; charset=utf-8", ADMIN_PAGE_POLICY)

    @router.get("/admin/admin.js", include_in_schema=False)
    def admin_script() -> Response:
        return _static("admin.js", "text/javascript; charset=utf-8")

    @router.get("/admin/admin.css", include_in_schema=False)
    def admin_style() -> Response:
        return _static("admin.css", "text/css; charset=utf-8")

    return router


def _static(name: str, media_type: str, policy: str | None = None) -> Response:
    headers = {"Cache-Control": "no-store"}
    if policy:
        headers["Content-Security-Policy"] = policy
    return Response((STATIC / name).read_bytes(), media_type=media_type, headers=headers)
