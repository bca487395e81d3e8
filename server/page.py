"""The chat page's shell: ``<html lang="zh-CN">`` and the chat's head script, whatever the browser says.

Gradio's page template says ``lang="en"`` and its code then follows the browser's language; a
Chinese government page must be ``zh-CN`` for screen readers and say its controls in Chinese.
This middleware rewrites the one HTML page Gradio serves at ``/`` and inlines
``static/chat-head.js`` (language, 长辈模式, Chinese control names) at the top of its ``<head>``,
so it runs before Gradio's own code.
"""

from __future__ import annotations

import re
from importlib.resources import files

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC = files("server") / "static"
LANG = "zh-CN"
_HTML_TAG = re.compile(rb"<html\b[^>]*>", re.IGNORECASE)
_LANG_ATTR = re.compile(rb"""\blang\s*=\s*(["'])[^"']*\1""", re.IGNORECASE)
_HEAD_TAG = re.compile(rb"<head\b[^>]*>", re.IGNORECASE)


def chat_css() -> str:
    """The chat's stylesheet (given to Gradio as its ``css``)."""
    return (STATIC / "chat.css").read_text(encoding="utf-8")


def head_script() -> bytes:
    return b"<script>" + (STATIC / "chat-head.js").read_bytes() + b"</script>"


def rewrite_page(html: bytes, script: bytes) -> bytes:
    """``html`` with ``lang="zh-CN"`` on its root element and ``script`` first in its head."""

    def set_lang(match: re.Match) -> bytes:
        tag = match.group(0)
        if _LANG_ATTR.search(tag):
            return _LANG_ATTR.sub(f'lang="{LANG}"'.encode(), tag, count=1)
        return tag[:5] + f' lang="{LANG}"'.encode() + tag[5:]

    html = _HTML_TAG.sub(set_lang, html, count=1)
    return _HEAD_TAG.sub(lambda m: m.group(0) + script, html, count=1)


class ChatPageMiddleware:
    """Rewrites the HTML served at ``paths`` (the Gradio page) as ``rewrite_page`` says."""

    def __init__(self, app: ASGIApp, paths: tuple[str, ...] = ("/",)) -> None:
        self.app = app
        self.paths = paths
        self.script = head_script()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body = bytearray()

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body"):
                return
            headers = MutableHeaders(scope=start)
            page = bytes(body)
            if headers.get("content-type", "").startswith("text/html") and "content-encoding" not in headers:
                page = rewrite_page(page, self.script)
                headers["content-length"] = str(len(page))
            await send(start)
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, capture)
