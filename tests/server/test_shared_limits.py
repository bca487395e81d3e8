"""Rate limits that hold across replicas: two servers share one client's bucket through a real Redis.

Without a shared store, each replica behind a balancer allows a client the whole rate, so two
allow twice the configured burst. With POLICYBOT_RATE_LIMIT_REDIS_URL they allow it once between
them; if Redis goes away, each replica goes on limiting on its own and no request fails for it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
import redis

from core.settings import Settings
from server.limits import SharedRateLimiter, rate_limiter
from tests.chroma_support import free_port

QUESTION = {"question": "AI+医疗谁管"}
START_SECONDS = 60.0


class RedisServer:
    """``redis-server`` from Debian on a loopback port, nothing saved to disk; can be stopped."""

    def __init__(self, folder) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder = folder
        self.process: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                if redis.Redis.from_url(self.url, socket_timeout=1).ping():
                    return self
            except redis.RedisError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {self.port} did not start (exit code {self.process.returncode})")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


@pytest.fixture
def redis_server(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (`make test` installs Debian's redis-server)")
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


def statuses(served, count: int) -> list[int]:
    with served.client() as client:
        return [client.post("/api/ask", json=QUESTION).status_code for _ in range(count)]


def test_two_replicas_share_one_bucket_per_client(bot, serve, redis_server, json_error):
    # One request a minute after a burst of 3: the test never waits long enough for a refill.
    replica_a = serve(bot, rate_limit_per_minute=1, rate_limit_burst=3, rate_limit_redis_url=redis_server.url)
    replica_b = serve(bot, rate_limit_per_minute=1, rate_limit_burst=3, rate_limit_redis_url=redis_server.url)

    assert statuses(replica_a, 2) == [200, 200]
    assert statuses(replica_b, 2) == [200, 429]  # the third request of the burst, then the limit
    with replica_a.client() as client:
        refused = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "AI+医疗谁管"}]})
    json_error(refused, 429, "try again in")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    # The counts live in Redis, under the client's address, and expire once the bucket would be full.
    [key] = redis.Redis.from_url(redis_server.url).keys("policybot:rate:*")
    assert key == b"policybot:rate:127.0.0.1"
    assert 0 < redis.Redis.from_url(redis_server.url).pttl(key) <= (3 * 60 + 1) * 1000


def test_without_a_shared_store_each_replica_allows_the_whole_burst(bot, serve):
    replica_a = serve(bot, rate_limit_per_minute=1, rate_limit_burst=3)
    replica_b = serve(bot, rate_limit_per_minute=1, rate_limit_burst=3)
    assert statuses(replica_a, 4) == [200, 200, 200, 429]
    assert statuses(replica_b, 4) == [200, 200, 200, 429]  # why replicas need the shared store


def test_when_redis_goes_away_each_replica_limits_on_its_own(bot, serve, redis_server, caplog):
    replica = serve(bot, rate_limit_per_minute=1, rate_limit_burst=2, rate_limit_redis_url=redis_server.url)
    assert statuses(replica, 1) == [200]
    redis_server.stop()

    assert statuses(replica, 3) == [200, 200, 429]  # its own bucket: the whole burst, then the limit
    assert "each replica limits on its own" in caplog.text
    assert f"127.0.0.1:{redis_server.port}" in caplog.text


def test_a_password_in_the_redis_url_is_never_logged(caplog):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here
    settings = Settings(rate_limit_redis_url=f"redis://:s3cret-pw@127.0.0.1:{port}/0")
    limiter = rate_limiter(settings)
    assert isinstance(limiter, SharedRateLimiter)

    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    # A thread of its own: an earlier test (Playwright's sync API) may leave this thread's event loop running.
    with ThreadPoolExecutor(1) as pool:
        waits = [pool.submit(asyncio.run, limiter.acquire("10.0.0.1")).result() for _ in range(2)]
    assert waits == [0.0, 0.0]  # limited locally meanwhile
    assert "s3cret-pw" not in caplog.text and "s3cret-pw" not in repr(settings)
    assert f"redis://127.0.0.1:{port}/0" in caplog.text


def test_a_redis_url_of_another_scheme_is_refused():
    with pytest.raises(ValueError, match="rate_limit_redis_url must start with redis://"):
        Settings(rate_limit_redis_url="http://127.0.0.1:6379")
