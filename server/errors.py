"""One JSON error shape for every route: ``{"error": {"message", "type", "code"}}``, never a traceback.

The shape is OpenAI's, so the ``openai`` client shows the message of a refused request as it is.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from bot.errors import IndexUnavailable, InvalidQuestion, LLMUnavailable, PolicyBotError, UnsupportedDocument

log = logging.getLogger(__name__)

INTERNAL_ERROR = "internal error; the request was not completed, please try again later"


def one_line(message: object, limit: int = 500) -> str:
    text = " ".join(str(message).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _error_type(status: int) -> str:
    if status == 401:
        return "authentication_error"
    if status == 404:
        return "not_found_error"
    if status == 429:
        return "rate_limit_error"
    if status >= 500:
        return "server_error"
    return "invalid_request_error"


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error": {"message": one_line(message), "type": _error_type(status), "code": status}}
    return JSONResponse(body, status_code=status, headers=headers)


def status_of(exc: PolicyBotError) -> int:
    """The HTTP status for a user-facing error."""
    if isinstance(exc, InvalidQuestion):
        return 400
    if isinstance(exc, UnsupportedDocument):
        return 422
    if isinstance(exc, (IndexUnavailable, LLMUnavailable)):
        return 503
    return 400


def _location(loc: tuple) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or "body"


def validation_message(exc: RequestValidationError) -> tuple[int, str]:
    """Malformed JSON is a 400; a well-formed body of the wrong shape a 422. Inputs are not echoed."""
    errors = exc.errors()
    for error in errors:
        if error.get("type") == "json_invalid":
            detail = (error.get("ctx") or {}).get("error", "")
            return 400, f"malformed JSON in the request body: {detail}".rstrip(": ")
    if any(e.get("loc") == ("body",) and e.get("type") in ("model_attributes_type", "dict_type") for e in errors):
        return 422, "the request body must be a JSON object sent with Content-Type: application/json"
    parts = [f"{_location(tuple(e.get('loc', ())))}: {e.get('msg', 'invalid')}" for e in errors[:3]]
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return 422, "invalid request: " + "; ".join(parts) + more


async def _on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    status, message = validation_message(exc)
    return error_response(status, message)


async def _on_http(request: Request, exc: HTTPException) -> JSONResponse:
    message = exc.detail if isinstance(exc.detail, str) and exc.detail else HTTPStatus(exc.status_code).phrase
    return error_response(exc.status_code, message, headers=getattr(exc, "headers", None))


async def _on_policybot(request: Request, exc: PolicyBotError) -> JSONResponse:
    return error_response(status_of(exc), str(exc))


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("%s %s failed", request.method, request.url.path)
    return error_response(500, INTERNAL_ERROR)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(HTTPException, _on_http)
    app.add_exception_handler(PolicyBotError, _on_policybot)
    app.add_exception_handler(Exception, _on_unexpected)
