"""Per-client rate limit (429 with Retry-After) and the Gradio queue's limits."""

from __future__ import annotations

import pytest

import app
from server.limits import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_the_rate():
    clock = Clock()
    limiter = RateLimiter(per_minute=6, burst=3, clock=clock)  # one request every 10 s

    assert [limiter.acquire("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire("a") == pytest.approx(10.0)
    assert limiter.acquire("b") == 0.0  # another client has its own bucket
    clock.now += 10
    assert limiter.acquire("a") == 0.0
    assert limiter.acquire("a") > 0


@pytest.mark.parametrize(("per_minute", "burst", "message"), [(0, 1, "per_minute"), (5, 0, "burst")])
def test_limiter_rejects_bad_settings(per_minute, burst, message):
    with pytest.raises(ValueError, match=f"{message} must be greater than 0, got 0"):
        RateLimiter(per_minute, burst)


@pytest.fixture(scope="module")
def limited(bot, serve):
    return serve(bot, rate_limit_per_minute=2, rate_limit_burst=3)


def test_api_answers_429_with_retry_after(limited, json_error):
    with limited.client() as client:
        statuses = [client.post("/api/ask", json={"question": "AI+医疗谁管"}).status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        refused = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "AI+医疗谁管"}]})
        json_error(refused, 429, "try again in")
        assert 1 <= int(refused.headers["retry-after"]) <= 30
        # Health checks, the chat page and the widget are not counted.
        assert client.get("/api/health").status_code == 200
        assert client.get("/").status_code == 200
        assert client.get("/embed.js").status_code == 200


def test_settings_reach_the_gradio_queue(bot, tmp_path):
    from core.settings import Settings

    settings = Settings(home=tmp_path, chat_concurrency=3, chat_queue_size=9)
    server = app.build_server(bot, settings)
    (blocks,) = [r.app.get_blocks() for r in server.routes if getattr(r, "path", None) == ""]
    assert blocks._queue.max_size == 9
    assert blocks._queue.default_concurrency_limit == 3
    assert {fn.concurrency_limit for fn in blocks.fns.values() if fn.queue} == {"default"}
