"""A burst of portal visitors: every request answered, or told in Chinese to come back; never a dropped connection.

The ReadErrors once seen at 100 clients came from dozens of server threads computing answers at
once: they starve the event loop, which then closes kept-alive connections whose next request is
already waiting. Answers are now computed a few at a time (POLICYBOT_ANSWER_WORKERS) while the rest
wait blocked, and beyond POLICYBOT_ANSWER_QUEUE requests in progress the server answers 503 at once.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from bot.models import Answer
from bot.service import PolicyBot
from core.settings import Settings

TOPICS = ["算力券", "人工智能+医疗", "数据要素", "智能制造", "人才", "产业基金", "公共数据", "大模型", "具身智能", "低空经济"]
ASKS = ["怎么申请？", "谁负责？", "有哪些措施？", "有什么要求？", "目标是什么？"]
GENEROUS = 120.0  # seconds: bounds a hang, never a speed


def wait_until(condition, what: str) -> None:
    done = threading.Event()
    for _ in range(int(GENEROUS / 0.02)):
        if condition():
            return
        done.wait(0.02)
    raise AssertionError(f"not reached within {GENEROUS:.0f} s: {what}")


class GatedAnswerer:
    """Wraps the extractive answerer: counts the computations and holds them until ``gate`` opens."""

    def __init__(self, policybot: PolicyBot) -> None:
        self.inner = policybot.answerer.ask
        self.gate = threading.Event()
        self.lock = threading.Lock()
        self.calls = self.active = self.most_at_once = 0
        policybot.answerer.ask = self

    def __call__(self, question, history=None) -> Answer:
        with self.lock:
            self.calls += 1
            self.active += 1
            self.most_at_once = max(self.most_at_once, self.active)
        try:
            if not self.gate.wait(GENEROUS):
                raise AssertionError("the gate was never opened")
            return self.inner(question, history)
        finally:
            with self.lock:
                self.active -= 1


@pytest.fixture
def gated(bot):
    """A fresh bot on the served index, its answers held at a gate, with the answer cache as given."""

    def make(**settings) -> tuple[PolicyBot, GatedAnswerer]:
        policybot = PolicyBot(Settings(home=bot.settings.home, **settings))
        return policybot, GatedAnswerer(policybot)

    return make


async def _burst(url: str, questions: list[str]) -> list[httpx.Response | Exception]:
    async def one(question: str):
        # Each visitor on its own connection, as separate people on a portal are.
        async with httpx.AsyncClient(base_url=url, timeout=GENEROUS, trust_env=False) as client:
            try:
                return await client.post("/api/ask", json={"question": question})
            except httpx.HTTPError as exc:
                return exc

    return await asyncio.gather(*(one(q) for q in questions))


def test_a_burst_of_100_visitors_is_answered_in_full(bot, serve):
    served = serve(PolicyBot(Settings(home=bot.settings.home, cache_entries=0)))  # every request computed
    questions = [f"{topic}{ask}" for topic in TOPICS for ask in ASKS] * 2  # 100 at once, each asked twice

    # A thread of its own: another test's event loop (Playwright's) may be running in this one.
    with ThreadPoolExecutor(1) as pool:
        replies = pool.submit(asyncio.run, _burst(served.url, questions)).result()

    dropped = [r for r in replies if isinstance(r, Exception)]
    assert not dropped, f"{len(dropped)} connections dropped, e.g. {dropped[0]!r}"
    assert [r.status_code for r in replies] == [200] * 100
    assert all(r.json()["answer"] and "citations" in r.json() for r in replies)


def test_answers_are_computed_a_few_at_a_time_and_the_rest_wait(gated):
    policybot, answerer = gated(cache_entries=0, answer_workers=2)
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(policybot.ask, f"{topic}怎么申请？") for topic in TOPICS[:8]]
        wait_until(lambda: answerer.active == 2, "two answers computing")
        answerer.gate.set()
        answers = [f.result(GENEROUS) for f in futures]
    assert answerer.calls == 8 and answerer.most_at_once == 2
    assert all(a.answer for a in answers)


def test_beyond_the_queue_the_server_says_it_is_busy_in_chinese(gated, serve, json_error):
    policybot, answerer = gated(cache_entries=0)
    served = serve(policybot, answer_queue=3)
    with ThreadPoolExecutor(3) as pool, httpx.Client(base_url=served.url, timeout=GENEROUS, trust_env=False) as client:
        held = [pool.submit(client.post, "/api/ask", json={"question": f"{t}谁负责？"}) for t in TOPICS[:3]]
        wait_until(lambda: answerer.calls == 3, "three answers in progress")

        busy = client.post("/api/ask", json={"question": "算力券怎么申请？"})
        assert busy.status_code == 503 and busy.headers["retry-after"] == "2"
        assert busy.json()["error"]["message"] == "咨询的人较多，系统正忙，请 2 秒后再试。"
        assert busy.json()["error"]["code"] == "busy"
        english = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "算力券是什么"}]},
                              headers={"Accept-Language": "en"})
        json_error(english, 503, "the server is busy", "try again in 2 s")
        assert client.get("/api/health").status_code == 200  # a balancer's health check still gets through

        answerer.gate.set()
        assert [f.result(GENEROUS).status_code for f in held] == [200, 200, 200]
        assert client.post("/api/ask", json={"question": "算力券怎么申请？"}).status_code == 200  # room again


def test_one_computation_for_a_question_many_ask_at_once_over_http(gated, serve):
    policybot, answerer = gated()  # answer cache on
    served = serve(policybot)
    fresh = PolicyBot(Settings(home=policybot.settings.home, cache_entries=0)).ask("算力券怎么申请？")
    with ThreadPoolExecutor(10) as pool:
        clients = [httpx.Client(base_url=served.url, timeout=GENEROUS, trust_env=False) for _ in range(10)]
        futures = [pool.submit(c.post, "/api/ask", json={"question": "算力券怎么申请？"}) for c in clients]
        wait_until(lambda: policybot.answers.stats().coalesced == 9, "nine requests waiting for the first one's answer")
        answerer.gate.set()
        replies = [f.result(GENEROUS) for f in futures]
        for c in clients:
            c.close()
    assert answerer.calls == 1
    assert [r.status_code for r in replies] == [200] * 10
    bodies = [{k: v for k, v in r.json().items() if k != "latency_ms"} for r in replies]
    assert all(body == bodies[0] for body in bodies)
    assert bodies[0] == {k: v for k, v in fresh.to_public().items() if k != "latency_ms"}
    stats = policybot.answers.stats()
    assert (stats.misses, stats.hits, stats.coalesced) == (1, 9, 9)


def test_waiting_requests_compute_in_the_order_they_came():
    from bot.slots import ComputeSlots

    slots, order = ComputeSlots(1), []
    slots.__enter__()  # the one slot is taken

    def enter(number: int) -> None:
        with slots:
            order.append(number)

    threads = []
    for number in range(6):
        threads.append(threading.Thread(target=enter, args=(number,)))
        threads[-1].start()
        wait_until(lambda: slots.waiting == number + 1, f"request {number} waiting")
    slots.__exit__(None, None, None)
    for thread in threads:
        thread.join(GENEROUS)
    assert order == [0, 1, 2, 3, 4, 5]
    with pytest.raises(ValueError, match="size must be greater than 0, got 0"):
        ComputeSlots(0)
