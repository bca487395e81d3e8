"""The portal widget (``/embed.js`` → an iframe of ``/embed``) and who may embed or call us.

``POLICYBOT_ALLOWED_ORIGINS`` is the one list behind both: CSP ``frame-ancestors`` on every
response (the chat may be framed only by those origins) and the CORS grant for browsers
calling the API from them. Empty: same origin only, and a foreign ``Origin`` gets no grant.
"""

from __future__ import annotations

import logging
from importlib.resources import files

from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.settings import Settings
from server.errors import one_line

log = logging.getLogger(__name__)

STATIC = files("server") / "static"
EXAMPLE_BOT_URL = "http://127.0.0.1:7860"  # where the example host page points; /embed/example points it here
MAX_REFUSED_ORIGINS_LOGGED = 1000


def frame_ancestors(origins: list[str]) -> str:
    return "frame-ancestors " + " ".join(["'self'", *origins])


def embed_page_policy(origins: list[str]) -> str:
    """The /embed page runs only its own script and style and talks only to this server."""
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        f"base-uri 'none'; form-action 'none'; {frame_ancestors(origins)}"
    )


class SecurityHeadersMiddleware:
    """Adds frame-ancestors (unless a route set its own CSP), nosniff and a referrer policy."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.policy = frame_ancestors(origins)
        # Browsers that predate CSP frame-ancestors understand only one origin: our own.
        self.frame_options = None if origins else "SAMEORIGIN"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = self.policy
                if self.frame_options and "x-frame-options" not in headers:
                    headers["X-Frame-Options"] = self.frame_options
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_origin_policy(app: FastAPI, settings: Settings) -> None:
    """CORS for the allowed origins only (Gradio then adds none of its own) and the headers above."""
    app.add_middleware(SecurityHeadersMiddleware, origins=settings.allowed_origins)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.allowed_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type", "Authorization"],
        expose_headers=["Retry-After"],
        allow_credentials=False,
        max_age=600,
    )


def _static(name: str) -> bytes:
    return (STATIC / name).read_bytes()


def build_embed_router(settings: Settings) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    widget, page = _static("embed.js"), _static("embed.html")
    chat_js, chat_css = _static("embed-chat.js"), _static("embed-chat.css")
    example_page = _static("embed-example.html")
    page_policy = embed_page_policy(settings.allowed_origins)
    cache = {"Cache-Control": "public, max-age=300"}

    @router.get("/embed.js")
    def embed_js() -> Response:
        # Loaded by portal pages on other origins, which may require cross-origin resources to opt in.
        headers = {**cache, "Cross-Origin-Resource-Policy": "cross-origin"}
        return Response(widget, media_type="text/javascript; charset=utf-8", headers=headers)

    @router.get("/embed")
    def embed_page() -> Response:
        headers = {"Content-Security-Policy": page_policy, "Cache-Control": "no-cache"}
        return Response(page, media_type="text/html; charset=utf-8", headers=headers)

    refused_origins: set[str] = set()

    @router.get("/embed/allowed")
    def embed_allowed(request: Request) -> Response:
        """May the page asking frame the chat? embed.js asks before it opens the frame, so a portal that is
        not in POLICYBOT_ALLOWED_ORIGINS shows a message saying so instead of the browser's blank refusal."""
        origin = request.headers.get("origin")
        own = f"{request.url.scheme}://{request.url.netloc}"
        allowed = origin in (None, own) or origin in settings.allowed_origins
        if not allowed and origin not in refused_origins and len(refused_origins) < MAX_REFUSED_ORIGINS_LOGGED:
            refused_origins.add(origin)  # one line per origin, however often its visitors open the widget
            log.warning("widget: %s may not embed the chat; add it to POLICYBOT_ALLOWED_ORIGINS to allow it",
                        one_line(origin, 200))
        body = b'{"allowed": true}' if allowed else b'{"allowed": false}'
        # Any page may ask (the answer is no secret); the answer is about the Origin header, so vary on it.
        headers = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store", "Vary": "Origin"}
        return Response(body, media_type="application/json", headers=headers)

    @router.get("/embed/example")
    def embed_example(request: Request) -> Response:
        """The example portal page (static/embed-example.html) with its widget pointed at this server, to try it."""
        own = f"{request.url.scheme}://{request.url.netloc}"
        page = example_page.replace(EXAMPLE_BOT_URL.encode(), own.encode())
        return Response(page, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"})

    @router.get("/embed/chat.js")
    def embed_chat_js() -> Response:
        return Response(chat_js, media_type="text/javascript; charset=utf-8", headers=cache)

    @router.get("/embed/chat.css")
    def embed_chat_css() -> Response:
        return Response(chat_css, media_type="text/css; charset=utf-8", headers=cache)

    return router
