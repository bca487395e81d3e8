"""A real `policybot serve` in a subprocess on a free loopback port, stopped with SIGTERM as a service manager would."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.chroma_support import free_port

REPO = Path(__file__).resolve().parents[1]
START_TIMEOUT = 240.0  # a first start ingests the bundled corpus; a loaded 2-core machine is slow at it


@contextmanager
def serving(env: dict[str, str], log_path: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """(url, process) of a server with ``env`` once /api/health answers; stopped (SIGTERM, then kill) on exit."""
    port = free_port()
    log = open(log_path, "wb")
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                               cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"policybot serve exited with {process.returncode}: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/api/health", timeout=2, trust_env=False).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"policybot serve did not answer within {START_TIMEOUT:.0f} s")
            time.sleep(0.5)
        yield url, process
    finally:
        stop(process)
        log.close()


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
