"""One JSON error shape for every route, never a traceback:
``{"error": {"message", "type", "code", "status"}}``.

The shape is OpenAI's, so the ``openai`` client shows the message of a refused request as it is.
``code`` is a stable English identifier a program can branch on (``question_too_long``,
``rate_limited`` …); ``status`` repeats the HTTP status. The message is Chinese, since a portal may
show it to citizens as it is, unless the request's ``Accept-Language`` prefers English.
"""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from core.errors import IndexUnavailable, InvalidQuestion, LLMUnavailable, PolicyBotError, UnsupportedDocument

log = logging.getLogger(__name__)

INTERNAL_ERROR = "internal error; the request was not completed, please try again later"
INTERNAL_ERROR_ZH = "系统内部错误，请求未能完成，请稍后再试。"

# The language of this request's error messages: "zh" unless Accept-Language prefers English.
_language: ContextVar[str] = ContextVar("policybot_error_language", default="zh")

# A code and a Chinese message for each status, for errors raised without their own.
STATUS_CODES = {
    400: ("invalid_request", "请求有误，请检查后重试。"),
    401: ("unauthorized", "需要有效的管理令牌（Authorization: Bearer …）。"),
    403: ("forbidden", "没有权限执行此操作。"),
    404: ("not_found", "没有找到请求的接口或内容（接口说明见 /openapi.json）。"),
    405: ("method_not_allowed", "该接口不支持这种请求方法。"),
    413: ("body_too_large", "请求内容超过了大小上限。"),
    415: ("unsupported_media_type", "不支持这种文件类型。"),
    422: ("invalid_request", "请求内容的格式不对，请检查各字段后重试。"),
    429: ("rate_limited", "请求太频繁，请稍后再试。"),
    500: ("internal_error", INTERNAL_ERROR_ZH),
    503: ("unavailable", "服务暂时不可用，请稍后再试。"),
}


class ApiError(HTTPException):
    """An HTTP error with its stable ``code`` and the Chinese message beside the English one."""

    def __init__(self, status: int, message: str, *, code: str | None = None, zh: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(status, message, headers=headers)
        self.code = code
        self.zh = zh


def prefers_english(accept_language: str | None) -> bool:
    """True when the Accept-Language header's most wanted language is English."""
    best, best_q = None, -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        match = re.search(r"q\s*=\s*([0-9.]+)", params)
        try:
            q = float(match.group(1)) if match else 1.0
        except ValueError:
            continue
        if tag and q > best_q:
            best, best_q = tag.strip().lower(), q
    return bool(best) and best.startswith("en")


class ErrorLanguageMiddleware:
    """Reads Accept-Language once per request, for every error response below it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = next((v for k, v in scope.get("headers", []) if k == b"accept-language"), b"")
        token = _language.set("en" if prefers_english(header.decode("latin-1")) else "zh")
        try:
            await self.app(scope, receive, send)
        finally:
            _language.reset(token)


def current_language() -> str:
    """``"en"`` or ``"zh"``: the language this request's errors are written in."""
    return _language.get()


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


def _chinese_for_status(status: int, headers: dict[str, str] | None) -> str:
    retry = (headers or {}).get("Retry-After")
    if status == 429 and retry:
        return f"请求太频繁，请 {retry} 秒后再试。"
    return STATUS_CODES.get(status, ("", "请求未能完成，请稍后再试。"))[1]


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None, *, code: str | None = None, zh: str | None = None
) -> JSONResponse:
    """The error body in this request's language: ``message`` (English) or ``zh`` (else the status's Chinese)."""
    text = message if _language.get() == "en" else (zh or _chinese_for_status(status, headers))
    code = code or STATUS_CODES.get(status, (f"http_{status}",))[0]
    body = {"error": {"message": one_line(text), "type": _error_type(status), "code": code, "status": status}}
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


def code_of(exc: PolicyBotError) -> str:
    """A user-facing error's stable code: its own, else one for its kind."""
    if getattr(exc, "code", None):
        return exc.code
    kinds = {InvalidQuestion: "invalid_question", UnsupportedDocument: "unsupported_document",
             IndexUnavailable: "index_unavailable", LLMUnavailable: "llm_unavailable"}
    return next((code for kind, code in kinds.items() if isinstance(exc, kind)), "invalid_request")


def _location(loc: tuple) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or "body"


def validation_error(exc: RequestValidationError) -> tuple[int, str, str, str]:
    """(status, code, English, Chinese). Malformed JSON is a 400; a well-formed body of the wrong shape a 422.
    Inputs are not echoed."""
    errors = exc.errors()
    for error in errors:
        if error.get("type") == "json_invalid":
            detail = (error.get("ctx") or {}).get("error", "")
            english = f"malformed JSON in the request body: {detail}".rstrip(": ")
            return 400, "invalid_json", english, "请求体不是合法的 JSON，请检查引号、括号和逗号。"
    if any(e.get("loc") == ("body",) and e.get("type") in ("model_attributes_type", "dict_type") for e in errors):
        return (422, "body_not_object", "the request body must be a JSON object sent with Content-Type: application/json",
                "请求体必须是 JSON 对象，并带上 Content-Type: application/json。")
    parts = [f"{_location(tuple(e.get('loc', ())))}: {e.get('msg', 'invalid')}" for e in errors[:3]]
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    fields = "、".join(dict.fromkeys(_location(tuple(e.get("loc", ()))) for e in errors[:3]))
    return 422, "invalid_field", "invalid request: " + "; ".join(parts) + more, f"请求字段有误：{fields}（缺少或格式不对）。"


def validation_message(exc: RequestValidationError) -> tuple[int, str]:
    status, _, english, _ = validation_error(exc)
    return status, english


async def _on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    status, code, english, chinese = validation_error(exc)
    return error_response(status, english, code=code, zh=chinese)


async def _on_http(request: Request, exc: HTTPException) -> JSONResponse:
    message = exc.detail if isinstance(exc.detail, str) and exc.detail else HTTPStatus(exc.status_code).phrase
    return error_response(exc.status_code, message, headers=getattr(exc, "headers", None),
                          code=getattr(exc, "code", None), zh=getattr(exc, "zh", None))


async def _on_policybot(request: Request, exc: PolicyBotError) -> JSONResponse:
    return error_response(status_of(exc), str(exc), code=code_of(exc), zh=exc.for_people())


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("%s %s failed", request.method, request.url.path)
    return error_response(500, INTERNAL_ERROR)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(HTTPException, _on_http)
    app.add_exception_handler(PolicyBotError, _on_policybot)
    app.add_exception_handler(Exception, _on_unexpected)
