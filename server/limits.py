"""Per-client rate limit for the API (429 with Retry-After); body size limits are FastAPI's own."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from server.errors import error_response

MAX_TRACKED_CLIENTS = 10_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """A token bucket per client: ``burst`` requests at once, refilled at ``per_minute``."""

    def __init__(self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute <= 0:
            raise ValueError(f"per_minute must be greater than 0, got {per_minute}")
        if burst <= 0:
            raise ValueError(f"burst must be greater than 0, got {burst}")
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def acquire(self, client: str) -> float:
        """Take one request for ``client``: 0 when allowed, else the seconds until one is."""
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(client)
            if bucket is None:
                if len(self._buckets) >= MAX_TRACKED_CLIENTS:
                    self._forget_idle(now)
                bucket = self._buckets[client] = _Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate

    def _forget_idle(self, now: float) -> None:
        # A bucket that would be full again carries no state worth keeping.
        full_after = self.burst / self.rate
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.updated < full_after}


class RateLimitMiddleware:
    """Applies a ``RateLimiter`` to requests under ``prefixes``, keyed by the client address.

    The address is the socket peer, or what uvicorn takes from X-Forwarded-For when the peer is a
    trusted proxy (uvicorn's ``forwarded_allow_ips``), so a client cannot pick its own key.
    """

    def __init__(
        self,
        app: ASGIApp,
        limiter: RateLimiter,
        prefixes: tuple[str, ...] = ("/api/", "/v1/"),
        exempt: tuple[str, ...] = ("/api/health",),
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.prefixes = prefixes
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] != "OPTIONS":
            path = scope["path"]
            if path.startswith(self.prefixes) and path not in self.exempt:
                client = (scope.get("client") or ("unknown", 0))[0]
                wait = self.limiter.acquire(client)
                if wait > 0:
                    seconds = max(1, math.ceil(wait))
                    response = error_response(
                        429,
                        f"too many requests from this client; try again in {seconds} s",
                        headers={"Retry-After": str(seconds)},
                    )
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)


class DeclaredBodyLimit:
    """Refuses a request whose Content-Length is over its path's limit with a JSON 413, unread.

    FastAPI's own ``max_body_size`` still counts the bytes of bodies sent without a length, but
    answers a declared over-long one in plain text; this check sits in front of it.
    """

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            declared = next((v for k, v in scope.get("headers", []) if k == b"content-length"), None)
            limit = self.limit_for(scope["path"])
            if declared is not None and declared.isdigit() and int(declared) > limit:
                response = error_response(
                    413, f"the request body is {int(declared):,} bytes; the limit here is {limit:,} bytes"
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
