"""Faults: the Chroma server behind POLICYBOT_CHROMA_URL goes down and comes back.

/api/health reports it (503, status "unavailable"), /api/ask answers 503 with a one-line JSON
message (never a 500 or a traceback, never a hang), and both recover by themselves once the
server is back on the same port and data directory.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.chroma_support import free_port, heartbeat_ok

from bot.service import PolicyBot
from core.settings import Settings

QUESTION = "人工智能+医疗由哪些部门负责？"
RECOVERY_SECONDS = 90.0  # a wait that ends as soon as the server answers again
START_SECONDS = 60.0


class ChromaProcess:
    """A ``chroma run`` on a fixed loopback port and data dir that can be stopped and started again."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir, self.port = data_dir, port
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None
        self.log_path = data_dir.parent / f"{data_dir.name}.log"

    def start(self) -> None:
        executable = Path(sys.executable).parent / "chroma"
        assert executable.exists(), f"the Chroma CLI is missing at {executable}"
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [str(executable), "run", "--path", str(self.data_dir), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=dict(os.environ, ANONYMIZED_TELEMETRY="False"),
            )
        deadline = time.monotonic() + START_SECONDS
        while not heartbeat_ok(self.url):
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log_path.read_text(errors="replace")[-2000:]
                pytest.fail(f"chroma at {self.url} did not start:\n{tail}", pytrace=False)
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
        self.process = None
        deadline = time.monotonic() + 10
        while heartbeat_ok(self.url) and time.monotonic() < deadline:
            time.sleep(0.1)


@pytest.fixture(scope="module")
def chroma(tmp_path_factory):
    server = ChromaProcess(tmp_path_factory.mktemp("chroma-faults"), free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def remote(chroma, serve, tmp_path_factory):
    settings = Settings(
        home=tmp_path_factory.mktemp("faults-home"),
        chroma_url=chroma.url,
        collection_prefix=f"f{uuid.uuid4().hex[:12]}",
    )
    policybot = PolicyBot(settings)
    report = policybot.ingest([settings.corpus_dir])
    assert report.results and not report.failures
    return serve(policybot, chroma_url=chroma.url, collection_prefix=settings.collection_prefix)


def _poll(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        ok, last = predicate()
        if ok:
            return last
        time.sleep(0.5)
    pytest.fail(f"{what} within {seconds:.0f} s; last: {last}", pytrace=False)


def _health(client):
    response = client.get("/api/health")
    return response, response.json()


def test_chroma_down_gives_503_and_recovers_by_itself(chroma, remote, json_error):
    with remote.client() as client:
        response, body = _health(client)
        assert response.status_code == 200 and body["status"] == "ok" and body["documents"] >= 1
        answer = client.post("/api/ask", json={"question": QUESTION})
        assert answer.status_code == 200 and "省卫生健康委" in answer.json()["answer"]

        chroma.stop()

        started = time.monotonic()
        response, body = _health(client)
        assert response.status_code == 503 and body["status"] == "unavailable", body
        # A question not asked before: a cached answer would not touch the index (for the couple of
        # seconds until the retriever looks at the index version again).
        asked = client.post("/api/ask", json={"question": "人工智能+医疗有哪些举措？"})
        message = json_error(asked, 503, "index")
        assert "Chroma" in message or chroma.url in message
        # The search API goes through the same store and says the same.
        json_error(client.post("/api/search", json={"query": QUESTION}), 503)
        # Each of these fails at once (connection refused); only a hang could come near this bound.
        assert time.monotonic() - started < 120, "a request to a stopped Chroma server must not hang"

        chroma.start()

        def health_back():
            response, body = _health(client)
            return response.status_code == 200 and body["status"] == "ok", (response.status_code, body)

        def ask_back():
            response = client.post("/api/ask", json={"question": QUESTION})
            ok = response.status_code == 200 and "省卫生健康委" in response.json().get("answer", "")
            return ok, (response.status_code, response.text[:200])

        _poll(health_back, RECOVERY_SECONDS, "/api/health did not report ok again")
        _poll(ask_back, RECOVERY_SECONDS, "/api/ask did not answer again")
