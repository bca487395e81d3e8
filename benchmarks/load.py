"""Load test: concurrent clients asking through /api/ask, then /v1/chat/completions, on loopback.

    .venv/bin/python benchmarks/load.py                 # starts `policybot serve` on a free loopback port
    .venv/bin/python benchmarks/load.py --url http://127.0.0.1:7860

Without --url the server runs in a fresh POLICYBOT_HOME (it ingests the bundled corpus on start)
with the per-client rate limit off: every simulated client shares the one loopback address, so
the limit would otherwise measure itself; and with the answer cache off (``--cache`` keeps it). Questions come from tests/eval/questions.jsonl, cycled.
Reports errors, p50/p95/max latency and throughput per endpoint, and the server's resident
memory (psutil) after the run. Bounded: a fixed number of questions and a deadline per phase.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx
import psutil

REPO_ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = REPO_ROOT / "tests" / "eval" / "questions.jsonl"
START_TIMEOUT = 180.0
NO_CACHE = {"POLICYBOT_CACHE_ENTRIES": "0", "POLICYBOT_CACHE_QUERY_VECTORS": "0"}


@dataclass
class Phase:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    server_cpu_s: float | None = None  # CPU the server spent during the phase (user + system)
    client_cpu_s: float = 0.0  # CPU this load generator spent: on 2 cores it competes with the server
    others_cpu_share: float | None = None  # the machine's CPU taken by other processes meanwhile

    def percentile(self, q: float) -> float:
        values = sorted(self.latencies_ms)
        return values[max(0, math.ceil(q * len(values)) - 1)] if values else float("nan")

    def summary(self) -> dict:
        done = len(self.latencies_ms)
        return {
            "endpoint": self.name,
            "ok": done,
            "errors": sum(self.errors.values()),
            "error_kinds": dict(self.errors),
            "p50_ms": round(self.percentile(0.50), 1),
            "p95_ms": round(self.percentile(0.95), 1),
            "max_ms": round(max(self.latencies_ms), 1) if done else None,
            "requests_per_s": round(done / self.seconds, 1) if self.seconds else None,
            "server_cpu_ms_per_request": round(self.server_cpu_s * 1000 / done, 1) if done and self.server_cpu_s else None,
            "client_cpu_ms_per_request": round(self.client_cpu_s * 1000 / done, 1) if done else None,
            "other_processes_cpu_percent": round(100 * self.others_cpu_share, 1) if self.others_cpu_share is not None else None,
        }


def is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_questions(count: int) -> list[str]:
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [questions[i % len(questions)] for i in range(count)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(home: Path, port: int, log_path: Path, settings: dict[str, str] | None = None) -> subprocess.Popen:
    """``policybot serve`` on loopback with the rate limit off, plus ``settings`` (POLICYBOT_* variables)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYBOT_")}
    env.update(
        POLICYBOT_HOME=str(home),
        POLICYBOT_HOST="127.0.0.1",
        POLICYBOT_PORT=str(port),
        POLICYBOT_RATE_LIMIT_PER_MINUTE="0",
        PYTHONPATH=str(REPO_ROOT),
        **(settings or {}),
    )
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve"],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )


def stop_server(process: subprocess.Popen) -> None:
    """Ask the server to stop; kill it if it has not within 20 s."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=20)


def wait_until_healthy(url: str, process: subprocess.Popen | None, log_path: Path | None) -> dict:
    deadline = time.monotonic() + START_TIMEOUT
    with httpx.Client(trust_env=False, timeout=5.0) as client:
        while True:
            if process is not None and process.poll() is not None:
                tail = log_path.read_text(errors="replace")[-2000:] if log_path else ""
                raise SystemExit(f"load: the server exited with code {process.returncode}:\n{tail}")
            try:
                response = client.get(f"{url}/api/health")
                if response.status_code == 200:
                    return response.json()
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"load: {url} was not healthy within {START_TIMEOUT:.0f} s")
            time.sleep(0.5)


def request_for(endpoint: str, question: str) -> dict:
    if endpoint == "/api/ask":
        return {"question": question}
    return {"model": "policybot", "messages": [{"role": "user", "content": question}]}


def valid(endpoint: str, body: dict) -> bool:
    if endpoint == "/api/ask":
        return isinstance(body.get("answer"), str) and "citations" in body
    return bool(body.get("choices")) and "citations" in body


async def run_phase(
    url: str, endpoint: str, questions: list[str], clients: int, deadline_s: float, own_connections: bool = False
) -> Phase:
    """``questions`` in order through ``clients`` concurrent clients; ``own_connections`` gives each its own
    HTTP client and connection (like separate users) instead of one shared pool."""
    phase = Phase(endpoint)
    queue: asyncio.Queue[str] = asyncio.Queue()
    for question in questions:
        queue.put_nowait(question)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client_loop(client: httpx.AsyncClient) -> None:
        while True:
            try:
                question = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            started = time.perf_counter()
            try:
                response = await client.post(endpoint, json=request_for(endpoint, question))
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    phase.errors[f"HTTP {response.status_code}"] += 1
                elif not valid(endpoint, response.json()):
                    phase.errors["malformed reply"] += 1
                else:
                    phase.latencies_ms.append(elapsed)
            except httpx.HTTPError as exc:
                phase.errors[type(exc).__name__] += 1

    async def own_client_loop() -> None:
        single = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=url, timeout=60.0, limits=single, trust_env=False) as client:
            await client_loop(client)

    cpu_started = time.process_time()
    async with httpx.AsyncClient(base_url=url, timeout=60.0, limits=limits, trust_env=False) as client:
        started = time.perf_counter()
        loops = [own_client_loop() if own_connections else client_loop(client) for _ in range(clients)]
        tasks = [asyncio.create_task(loop) for loop in loops]
        done, pending = await asyncio.wait(tasks, timeout=deadline_s)
        for task in pending:
            task.cancel()
        phase.seconds = time.perf_counter() - started
    phase.client_cpu_s = time.process_time() - cpu_started
    unanswered = len(questions) - len(phase.latencies_ms) - sum(phase.errors.values())
    if unanswered:
        phase.errors[f"not sent or cut off by the {deadline_s:.0f} s deadline"] += unanswered
    return phase


def server_cpu_s(pid: int | None) -> float | None:
    if pid is None:
        return None
    process = psutil.Process(pid)
    times = [process.cpu_times(), *(c.cpu_times() for c in process.children(recursive=True))]
    return sum(t.user + t.system for t in times)


def busy_cpu_s() -> float:
    """CPU seconds the whole machine has spent not idle."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def server_rss_mb(pid: int) -> float:
    process = psutil.Process(pid)
    rss = process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))
    return rss / 2**20


def find_server_pid(url: str) -> int | None:
    port = urlparse(url).port
    for conn in psutil.net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
            return conn.pid
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server on loopback (default: start one)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--questions", type=int, default=400)
    parser.add_argument("--deadline", type=float, default=300.0, help="seconds allowed per endpoint")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--cache", action="store_true",
        help="keep the answer and query-embedding caches on (off by default: the questions repeat, and this "
        "measures what answering costs; benchmarks/workload.py measures the cache)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 200 or not 1 <= args.questions <= 10_000:
        parser.error("--clients must be 1..200 and --questions 1..10000")
    if args.url and not is_loopback(args.url):
        parser.error(f"--url must be a loopback address (127.0.0.1, ::1, localhost), got {args.url}")

    questions = load_questions(args.questions)
    process, home = None, None
    if args.url:
        url = args.url.rstrip("/")
        health = wait_until_healthy(url, None, None)
        pid = find_server_pid(url)
    else:
        home = tempfile.TemporaryDirectory(prefix="policybot-load-")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log_path = Path(home.name) / "server.log"
        process = start_server(Path(home.name), port, log_path, None if args.cache else NO_CACHE)
        print(f"load: starting policybot serve on {url} (fresh index, rate limit off) …", file=sys.stderr)
        health = wait_until_healthy(url, process, log_path)
        pid = process.pid
    try:
        print(f"load: index {health['documents']} document(s), {health['chunks']} chunks; "
              f"{args.clients} clients × {args.questions} questions per endpoint", file=sys.stderr)
        rss_before = server_rss_mb(pid) if pid else None
        with httpx.Client(base_url=url, trust_env=False, timeout=60.0) as client:  # warm-up, not counted
            for endpoint in ("/api/ask", "/v1/chat/completions"):
                client.post(endpoint, json=request_for(endpoint, questions[0]))
        phases = []
        for endpoint in ("/api/ask", "/v1/chat/completions"):
            cpu_before, busy_before = server_cpu_s(pid), busy_cpu_s()
            phase = asyncio.run(run_phase(url, endpoint, questions, args.clients, args.deadline))
            cpu_after, busy = server_cpu_s(pid), busy_cpu_s() - busy_before
            if cpu_before is not None:
                phase.server_cpu_s = cpu_after - cpu_before
                others = max(0.0, busy - phase.server_cpu_s - phase.client_cpu_s)
                phase.others_cpu_share = others / (phase.seconds * (os.cpu_count() or 1))
            phases.append(phase)
        rss_after = server_rss_mb(pid) if pid else None
    finally:
        if process is not None:
            stop_server(process)
        if home is not None:
            home.cleanup()

    report = {
        "clients": args.clients,
        "questions": args.questions,
        "cpus": os.cpu_count(),
        "phases": [p.summary() for p in phases],
        "server_rss_mb_before": round(rss_before, 1) if rss_before else None,
        "server_rss_mb_after": round(rss_after, 1) if rss_after else None,
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for p in report["phases"]:
            kinds = ", ".join(f"{k}: {v}" for k, v in p["error_kinds"].items()) or "none"
            print(f"{p['endpoint']:<22} ok {p['ok']:>4}  errors {p['errors']:>3} ({kinds})  "
                  f"p50 {p['p50_ms']:>7.1f} ms  p95 {p['p95_ms']:>7.1f} ms  max {p['max_ms']} ms  "
                  f"{p['requests_per_s']} req/s  CPU per request: server {p['server_cpu_ms_per_request']} ms, "
                  f"load generator {p['client_cpu_ms_per_request']} ms; "
                  f"other processes took {p['other_processes_cpu_percent']}% of the machine")
        if rss_after is not None:
            print(f"server RSS: {report['server_rss_mb_before']} MB before, {report['server_rss_mb_after']} MB after "
                  f"({args.clients} clients, {args.questions} questions per endpoint, {os.cpu_count()} CPUs)")
        else:
            print("server RSS: unknown (no process listens on that port here)")
    return 1 if any(p["errors"] for p in report["phases"]) else 0


if __name__ == "__main__":
    sys.exit(main())
