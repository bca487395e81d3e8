"""One writer for an embedded index, enforced (issue 12): a real `policybot serve` holds the writer lock
for its whole life; CLI ingest, remove and status on the same POLICYBOT_HOME stop and name the admin API
and POLICYBOT_CHROMA_URL; changes go through the running server instead; the lock is free once it stops.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.chroma_support import free_port
from tests.serve_support import serving

REPO = Path(__file__).resolve().parents[2]
LIFECYCLE = REPO / "tests" / "fixtures" / "lifecycle"
WANGLIAN = LIFECYCLE / "qinghe-wanglian-rules-test-sample.txt"
TOKEN = "one-writer-token-83af"


def run_cli(env, *args):
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)


@pytest.fixture
def running_server(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("POLICYBOT_")},
        "POLICYBOT_HOME": str(tmp_path / "home"),
        "POLICYBOT_ADMIN_TOKEN": TOKEN,
        "POLICYBOT_RATE_LIMIT_PER_MINUTE": "0",
    }
    with serving(env, tmp_path / "serve.log") as (url, process):
        yield url, env, process


def test_cli_writes_are_refused_while_serve_runs(running_server):
    url, env, process = running_server
    for args in (["ingest", str(WANGLIAN)], ["docs", "remove", "anything", "--yes"], ["docs", "status", "anything", "withdrawn"]):
        result = run_cli(env, *args)
        message = result.stderr.strip()
        assert result.returncode == 2, (args, result.stderr)
        assert "'policybot serve'" in message and "/api/admin/ingest" in message and "/api/admin/documents" in message
        assert "POLICYBOT_CHROMA_URL" in message and "\n" not in message and "Traceback" not in result.stderr

    second = run_cli({**env, "POLICYBOT_PORT": str(free_port())}, "serve")
    assert second.returncode == 1 and "'policybot serve'" in second.stderr  # a second server on the same home

    # The way that works: through the running server.
    with httpx.Client(base_url=url, timeout=60, trust_env=False) as client:
        added = client.post("/api/admin/ingest", headers={"Authorization": f"Bearer {TOKEN}"},
                            files={"file": (WANGLIAN.name, WANGLIAN.read_bytes())})
        assert added.status_code == 201, added.text
        listed = client.get("/api/admin/documents", headers={"Authorization": f"Bearer {TOKEN}"}).json()["documents"]
        assert WANGLIAN.name in {row["source"] for row in listed}

    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    after = run_cli(env, "docs", "status", WANGLIAN.name, "withdrawn")
    assert after.returncode == 0, after.stderr  # the lock went with the server
