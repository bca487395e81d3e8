"""A real `policybot serve`, stopped and started again, is warm with the questions it was asked most.

What a portal operator would notice: after a restart (a deploy, a reboot) the popular questions are
answered from the cache from the first visitor on; questions asked once never reach the disk.
"""

from __future__ import annotations

import os
import signal
import time

import httpx

from bot.popular import FILE_NAME
from tests.serve_support import serving

WARM_UP_TIMEOUT = 300.0  # bounds a hang; a loaded machine answers two questions in far less


def cache_counts(client: httpx.Client) -> dict:
    return client.get("/api/health").json()["cache"]["answers"]


def test_a_restarted_server_answers_what_it_was_asked_most_from_its_cache(tmp_path):
    home = tmp_path / "home"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("POLICYBOT_")},
           "POLICYBOT_HOME": str(home), "POLICYBOT_RATE_LIMIT_PER_MINUTE": "0"}
    asked = ["请问，人工智能+医疗由哪些部门负责？", "人工智能+医疗由哪些部门负责？", "算力券怎么申请？", "算力券怎么申请？谢谢",
             "我司在杭州滨江，员工十二人，能申请算力券吗？"]
    with serving(env, tmp_path / "first.log") as (url, process):
        with httpx.Client(base_url=url, timeout=120, trust_env=False) as client:
            for question in asked:
                assert client.post("/api/ask", json={"question": question}).status_code == 200
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    remembered = [line for line in (home / FILE_NAME).read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    assert sorted(remembered) == ["人工智能+医疗由哪些部门负责？", "算力券怎么申请？"]  # asked twice each; 滨江 once

    with serving(env, tmp_path / "second.log") as (url, _):
        with httpx.Client(base_url=url, timeout=120, trust_env=False) as client:
            deadline = time.monotonic() + WARM_UP_TIMEOUT
            while cache_counts(client)["entries"] < 2:
                assert time.monotonic() < deadline, "the warm-up did not answer the 2 remembered questions"
                time.sleep(0.5)
            before = cache_counts(client)
            answer = client.post("/api/ask", json={"question": "您好，人工智能+医疗由哪些部门负责？"}).json()
            after = cache_counts(client)
    assert answer["citations"] and after["hits"] == before["hits"] + 1 and after["misses"] == before["misses"]
    assert "cache warm-up: done, 2 answered, 0 skipped" in (tmp_path / "second.log").read_text(encoding="utf-8")
