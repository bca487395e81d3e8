"""A tiny OpenAI-compatible chat server on loopback that replies from a script, for tests.

``POST /v1/chat/completions`` answers with the next scripted ``Reply``: JSON for a plain request,
server-sent events ending ``data: [DONE]`` when the request asks for ``stream: true``. Every
request body and its headers are recorded. With nothing scripted it answers HTTP 500, so an
unexpected call shows up as a failure instead of a hang.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal


@dataclass(frozen=True)
class Reply:
    """One scripted reply; build it with the class methods."""

    kind: Literal["text", "error", "hang", "garbled"]
    content: str = ""
    status: int = 200
    seconds: float = 0.0
    stall_after: int | None = None  # streamed: pieces sent before the server stalls for ``seconds``

    @classmethod
    def text(cls, content: str) -> Reply:
        return cls("text", content)

    @classmethod
    def empty(cls) -> Reply:
        return cls("text", "")

    @classmethod
    def error(cls, status: int = 500) -> Reply:
        return cls("error", status=status)

    @classmethod
    def hang(cls, seconds: float) -> Reply:
        """Accept the request, then say nothing for ``seconds`` (or until the server stops)."""
        return cls("hang", seconds=seconds)

    @classmethod
    def stalled(cls, content: str, after: int, seconds: float) -> Reply:
        """Stream ``after`` pieces of ``content``, then say nothing for ``seconds``."""
        return cls("text", content, seconds=seconds, stall_after=after)

    @classmethod
    def garbled(cls) -> Reply:
        """HTTP 200 whose body is not a chat completion (truncated JSON, or broken SSE events)."""
        return cls("garbled")


@dataclass(frozen=True)
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: dict

    @property
    def messages(self) -> list[dict]:
        return self.body.get("messages", [])

    @property
    def prompt(self) -> str:
        """All message contents, joined: what the model was shown."""
        return "\n".join(str(m.get("content", "")) for m in self.messages)


PIECE_CHARS = 6  # streamed replies are cut into pieces this long


class FakeOpenAIServer:
    """Serves scripted replies on 127.0.0.1 at a free port; ``url`` is the base URL for the client."""

    def __init__(self) -> None:
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self.requests: list[ReceivedRequest] = []
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fake-openai", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes hanging handlers
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def enqueue(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self.requests.clear()

    # --- used by the handler -------------------------------------------------------------
    def _next(self, request: ReceivedRequest) -> Reply | None:
        with self._lock:
            self.requests.append(request)
            return self._script.popleft() if self._script else None

    def _wait(self, seconds: float) -> None:
        self._stopping.wait(seconds)


def _completion(content: str, model: str) -> dict:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _chunk(model: str, delta: dict, finish: str | None = None) -> bytes:
    event = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode()


def _handler(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - keep test output quiet
            pass

        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                body = {"raw": raw.decode("utf-8", "replace")}
            request = ReceivedRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            reply = server._next(request)
            if not self.path.rstrip("/").endswith("/chat/completions"):
                return self._json(404, {"error": {"message": f"no route {self.path}"}})
            if reply is None:
                return self._json(500, {"error": {"message": "the fake server has no scripted reply"}})
            model = body.get("model", "fake")
            if reply.kind == "error":
                return self._json(reply.status, {"error": {"message": "scripted failure", "type": "server_error"}})
            if reply.kind == "hang":
                server._wait(reply.seconds)
                return None
            if body.get("stream"):
                return self._stream(reply, model)
            if reply.kind == "garbled":
                return self._raw(200, b'{"id": "chatcmpl-fake", "choices": [{"message": {"content": "\xe6\x94\xbf', "application/json")
            return self._json(200, _completion(reply.content, model))

        def _json(self, status: int, payload: dict) -> None:
            self._raw(status, json.dumps(payload, ensure_ascii=False).encode(), "application/json")

        def _raw(self, status: int, data: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, reply: Reply, model: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()  # HTTP/1.0: the body ends when the connection closes
            try:
                if reply.kind == "garbled":
                    self.wfile.write(b'data: {"choices": [{"delta": {"content": "\xe6\x94\xbf\n\ndata: ####\n\n')
                    self.wfile.write(b"data: [DONE]\n\n")
                    return
                self.wfile.write(_chunk(model, {"role": "assistant", "content": ""}))
                pieces = [reply.content[i : i + PIECE_CHARS] for i in range(0, len(reply.content), PIECE_CHARS)]
                for number, piece in enumerate(pieces):
                    if reply.stall_after is not None and number == reply.stall_after:
                        self.wfile.flush()
                        server._wait(reply.seconds)
                        return
                    self.wfile.write(_chunk(model, {"content": piece}))
                    self.wfile.flush()
                    time.sleep(0.005)
                self.wfile.write(_chunk(model, {}, finish="stop"))
                self.wfile.write(b"data: [DONE]\n\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up, as it should when a reply is late

    return Handler
