"""Per-client rate limit for the API (429 with Retry-After); body size limits are FastAPI's own.

One replica counts in its own memory (``RateLimiter``); replicas behind one balancer share their
counts in Redis (``SharedRateLimiter``, POLICYBOT_RATE_LIMIT_REDIS_URL), or each would allow the
whole rate. Both are the same token bucket: ``burst`` requests at once, refilled at ``per_minute``.
"""

from __future__ import annotations

import inspect
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from core.settings import Settings
from server.errors import error_response, one_line

log = logging.getLogger(__name__)

MAX_TRACKED_CLIENTS = 10_000
# After Redis failed, each replica limits on its own for this long before trying Redis again,
# so a dead Redis costs one timeout per interval instead of one per request.
REDIS_RETRY_SECONDS = 5.0
REDIS_TIMEOUT_SECONDS = 0.5
REDIS_KEY_PREFIX = "policybot:rate:"


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


# One client's bucket, read and updated atomically inside Redis, on Redis's clock (replicas' clocks
# may differ). Returns the seconds until a request is allowed ("0" when this one is), as text
# because Redis would truncate a Lua number to an integer.
_TOKEN_BUCKET = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1]) or burst
local updated = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst / rate + 1) * 1000))
return tostring(wait)
"""


class SharedRateLimiter:
    """The token bucket of ``RateLimiter``, kept in Redis so that every replica draws from one bucket per client.

    A bucket expires once it would be full again, so Redis holds only clients active in the last
    ``burst / rate`` seconds. When Redis cannot be reached, each replica limits on its own (its own
    bucket, the same settings) and tries Redis again after ``REDIS_RETRY_SECONDS``: requests are
    still limited, at worst to the rate times the number of replicas, and never refused for it.
    """

    def __init__(self, url: str, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.local = RateLimiter(per_minute, burst, clock)  # validates the settings too
        self.url = url
        self.clock = clock
        self._client = None
        self._script = None
        self._down_until = 0.0

    def _connect(self):
        import redis.asyncio as redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        self._client = redis.Redis.from_url(
            self.url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 0),  # no retries: a failure means "limit locally for a while"
        )
        self._script = self._client.register_script(_TOKEN_BUCKET)

    async def acquire(self, client: str) -> float:
        """Take one request for ``client``: 0 when allowed, else the seconds until one is."""
        if self.clock() < self._down_until:
            return self.local.acquire(client)
        try:
            if self._script is None:
                self._connect()
            wait = await self._script(keys=[REDIS_KEY_PREFIX + client], args=[self.local.rate, self.local.burst])
            return float(wait)
        except Exception as exc:  # noqa: BLE001 - any Redis failure: limit locally for a while
            self._down_until = self.clock() + REDIS_RETRY_SECONDS
            dropped, self._client, self._script = self._client, None, None  # connect afresh next time
            if dropped is not None:
                try:
                    await dropped.aclose()
                except Exception:  # noqa: BLE001 - it is being dropped anyway
                    pass
            log.warning(
                "rate limit: Redis at %s unavailable (%s); each replica limits on its own for %.0f s",
                _redacted(self.url), one_line(exc, 200), REDIS_RETRY_SECONDS,
            )
            return self.local.acquire(client)


def _redacted(url: str) -> str:
    """The Redis URL without a password."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.rpartition('@')[2]}" if sep else url


def rate_limiter(settings: Settings) -> RateLimiter | SharedRateLimiter:
    """The limiter the settings ask for: shared through Redis when POLICYBOT_RATE_LIMIT_REDIS_URL is set."""
    if settings.rate_limit_redis_url is not None:
        url = settings.rate_limit_redis_url.get_secret_value()
        return SharedRateLimiter(url, settings.rate_limit_per_minute, settings.rate_limit_burst)
    return RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)


class RateLimitMiddleware:
    """Applies a ``RateLimiter`` to requests under ``prefixes``, keyed by the client address.

    The address is the socket peer, or what uvicorn takes from X-Forwarded-For when the peer is a
    trusted proxy (uvicorn's ``forwarded_allow_ips``), so a client cannot pick its own key.
    """

    def __init__(
        self,
        app: ASGIApp,
        limiter: RateLimiter | SharedRateLimiter,
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
                wait: float | Awaitable[float] = self.limiter.acquire(client)
                if inspect.isawaitable(wait):
                    wait = await wait
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


BUSY_RETRY_SECONDS = 2


class AnswerAdmission:
    """At most ``limit`` requests in progress under ``paths``; the next gets a JSON 503 with Retry-After.

    Requests within the limit wait for a computing slot (``PolicyBot.computing``) and are all
    answered; beyond it the server says at once that it is busy instead of queueing without bound.
    """

    def __init__(self, app: ASGIApp, limit: int,
                 paths: tuple[str, ...] = ("/api/ask", "/api/search", "/v1/chat/completions")) -> None:
        if limit <= 0:
            raise ValueError(f"limit must be greater than 0, got {limit}")
        self.app = app
        self.limit = limit
        self.paths = paths
        self.in_progress = 0  # touched only on the event loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        if self.in_progress >= self.limit:
            log.warning("busy: %d requests in progress, %s refused with 503", self.in_progress, scope["path"])
            response = error_response(
                503, f"the server is busy ({self.limit} requests in progress); try again in {BUSY_RETRY_SECONDS} s",
                headers={"Retry-After": str(BUSY_RETRY_SECONDS)}, code="busy",
                zh=f"咨询的人较多，系统正忙，请 {BUSY_RETRY_SECONDS} 秒后再试。",
            )
            await response(scope, receive, send)
            return
        self.in_progress += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_progress -= 1
