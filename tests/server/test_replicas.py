"""Two replicas, one index: two ``policybot serve`` processes share one Chroma server.

A document uploaded through replica A's admin API is citable through replica B within a
bounded time (B's retriever looks for a new index version every 2 s). Their stderr must
carry neither the admin token nor the OpenAI API key.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from bot.service import PolicyBot
from core.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
TOKEN = "replica-admin-token-Zq81x"
API_KEY = "sk-replica-test-KEY-9d2f7c"
UNIQUE = "星河算力通票"
POLICY = f"""测试市{UNIQUE}管理办法（副本测试样例）
测试市数据局
2025年5月1日
第一条 为降低中小企业算力成本，测试市设立{UNIQUE}，制定本办法。
第二条 {UNIQUE}面向在测试市注册的人工智能企业发放，每家企业每年最高30万元。（责任单位：测试市数据局、测试市财政局）
第三条 本办法自发布之日起施行。
"""
START_SECONDS = 90.0
VISIBLE_SECONDS = 60.0  # B looks every 2 s; the wait ends as soon as it cites the document


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    with httpx.Client(base_url=url, timeout=5.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"replica at {url} exited ({process.returncode}):\n{log.read_text()[-2000:]}", pytrace=False)
            try:
                if client.get("/api/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.5)
    pytest.fail(f"replica at {url} did not become healthy in {START_SECONDS:.0f} s:\n{log.read_text()[-2000:]}", pytrace=False)


@pytest.fixture(scope="module")
def replicas(chroma_server, tmp_path_factory):
    """Replica A and B (URL, stderr log), both on ``chroma_server`` with one collection prefix."""
    prefix = f"r{uuid.uuid4().hex[:12]}"
    # The index is filled once up front, so the replicas do not both ingest the bundled corpus at start.
    seed = Settings(home=tmp_path_factory.mktemp("replica-seed"), chroma_url=chroma_server, collection_prefix=prefix)
    assert not PolicyBot(seed).ingest([seed.corpus_dir]).failures

    processes, started = [], []
    try:
        for name in ("a", "b"):
            home = tmp_path_factory.mktemp(f"replica-{name}")
            port = _free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith(("POLICYBOT_", "OPENAI_"))}
            env.update(
                POLICYBOT_HOME=str(home),
                POLICYBOT_CHROMA_URL=chroma_server,
                POLICYBOT_COLLECTION_PREFIX=prefix,
                POLICYBOT_PORT=str(port),
                POLICYBOT_HOST="127.0.0.1",
                POLICYBOT_ADMIN_TOKEN=TOKEN,
                POLICYBOT_RATE_LIMIT_PER_MINUTE="0",
                # A key that is set (the LLM is not configured: answers stay extractive) must not be logged.
                OPENAI_API_KEY=API_KEY,
                ANONYMIZED_TELEMETRY="False",
                GRADIO_ANALYTICS_ENABLED="False",
                NO_PROXY="127.0.0.1,localhost",
            )
            log = home.parent / f"{home.name}.stderr.log"
            with open(log, "wb") as out:
                process = subprocess.Popen(
                    [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
                    cwd=REPO_ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            processes.append(process)
            started.append((f"http://127.0.0.1:{port}", process, log))
        for url, process, log in started:
            _wait_healthy(url, process, log)
        yield [(url, log) for url, _, log in started]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def test_a_document_ingested_on_one_replica_is_cited_by_the_other(replicas):
    (url_a, log_a), (url_b, log_b) = replicas
    question = f"{UNIQUE}每家企业每年最高多少？"
    with httpx.Client(timeout=30.0, trust_env=False) as client:
        before = client.post(f"{url_b}/api/ask", json={"question": question}).json()
        assert not any("副本测试样例" in c["doc_title"] for c in before["citations"])

        uploaded = client.post(
            f"{url_a}/api/admin/ingest",
            files={"file": ("replica-test-policy.md", POLICY.encode("utf-8"))},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert uploaded.status_code == 201, uploaded.text
        assert uploaded.json()["ingested"][0]["clauses"] == 3

        deadline = time.monotonic() + VISIBLE_SECONDS
        while True:
            body = client.post(f"{url_b}/api/ask", json={"question": question}).json()
            cited = [c for c in body["citations"] if "副本测试样例" in c["doc_title"]]
            if cited or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert cited, f"replica B did not cite the new document within {VISIBLE_SECONDS:.0f} s: {body}"
        assert body["refused"] is False and "30万元" in body["answer"]
        assert any(UNIQUE in c["quote"] for c in cited)
        # B's browse API sees the new document as well.
        titles = [d["title"] for d in client.get(f"{url_b}/api/clauses").json()["documents"]]
        assert any("副本测试样例" in t for t in titles)

    for log in (log_a, log_b):
        text = log.read_text(errors="replace")
        assert TOKEN not in text and API_KEY not in text
