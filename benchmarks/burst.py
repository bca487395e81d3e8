"""Bursts against the served app: connections dropped or not, and how late the server's event loop ran.

    .venv/bin/python benchmarks/burst.py --workers 40 --keep-alive 1     # as before the fix: 40 threads computing
    .venv/bin/python benchmarks/burst.py --workers 4 --keep-alive 1      # POLICYBOT_ANSWER_WORKERS' default

Serves the app (``app.build_server``, as ``policybot serve`` does) under uvicorn in a subprocess, with
the answer cache off, the rate limit off, ``--workers`` answers computed at once and uvicorn's keep-alive
timeout cut from 5 s to ``--keep-alive`` so that a shorter lag of the event loop shows; a probe in the
server measures how late a 100 ms timer fires. ``--clients`` clients, each on its own connection, send
``--requests`` questions drawn as benchmarks/workload.py draws them. Reports errors by kind, p50/p95
and the probe's largest lag. The index is the bundled corpus and the evaluation sets' documents.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "benchmarks")]

from load import NO_CACHE, free_port, run_phase, stop_server, wait_until_healthy  # noqa: E402
from question_pool import question_pool  # noqa: E402
from workload import documents_asked_about, ingest_seed, zipf_sequence  # noqa: E402

SERVE = """
import asyncio, sys, time
import uvicorn
import app
from bot.service import PolicyBot
from core.settings import Settings
from server.runner import bind

settings = Settings()
bot = PolicyBot(settings)
bot.warm_up()
server = app.build_server(bot, settings)
worst = [0.0]

async def probe():
    while True:
        started = time.monotonic()
        await asyncio.sleep(0.1)
        worst[0] = max(worst[0], time.monotonic() - started - 0.1)

def lag():
    return {"worst_lag_s": worst[0]}

server.add_api_route("/probe/lag", lag)
server.router.routes.insert(0, server.router.routes.pop())  # before the chat page mounted at "/"

@server.on_event("startup")
async def start_probe():
    asyncio.get_running_loop().create_task(probe())

sock = bind(settings.host, settings.port)
config = uvicorn.Config(server, host=settings.host, port=settings.port, log_level="warning", timeout_keep_alive=float(sys.argv[1]))
uvicorn.Server(config).run(sockets=[sock])
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4, help="POLICYBOT_ANSWER_WORKERS for the server")
    parser.add_argument("--keep-alive", type=float, default=1.0, help="uvicorn's keep-alive timeout, seconds")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--seed-home", type=Path, help="copy this POLICYBOT_HOME (an ingested index) instead of ingesting")
    parser.add_argument("--deadline", type=float, default=600.0)
    args = parser.parse_args(argv)
    if not 1 <= args.workers <= 200 or not 0 < args.keep_alive <= 120 or not 1 <= args.clients <= 200:
        parser.error("--workers must be 1..200, --keep-alive 0..120 s and --clients 1..200")

    with tempfile.TemporaryDirectory(prefix="policybot-burst-") as folder:
        home = Path(folder) / "home"
        if args.seed_home:
            subprocess.run(["cp", "-r", str(args.seed_home), str(home)], check=True)
        else:
            ingest_seed(home, documents_asked_about())
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYBOT_")}
        env.update(POLICYBOT_HOME=str(home), POLICYBOT_HOST="127.0.0.1", POLICYBOT_PORT=str(port), PYTHONPATH=str(REPO_ROOT),
                   POLICYBOT_RATE_LIMIT_PER_MINUTE="0", POLICYBOT_ANSWER_WORKERS=str(args.workers), **NO_CACHE)
        log_path = Path(folder) / "server.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen([sys.executable, "-c", SERVE, str(args.keep_alive)], cwd=REPO_ROOT, env=env,
                                       stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            wait_until_healthy(url, process, log_path)
            sequence = zipf_sequence(question_pool(), args.requests, 1.1, 14)
            phase = asyncio.run(run_phase(url, "/api/ask", sequence, args.clients, args.deadline, own_connections=True))
            worst = httpx.get(f"{url}/probe/lag", trust_env=False, timeout=30).json()["worst_lag_s"]
        finally:
            stop_server(process)
    errors = ", ".join(f"{k}: {v}" for k, v in phase.errors.items()) or "none"
    print(f"{args.workers} computing, keep-alive {args.keep_alive:g} s, {args.clients} clients: "
          f"{len(phase.latencies_ms)}/{len(sequence)} answered, errors {errors}; p50 {phase.percentile(0.5):.0f} ms, "
          f"p95 {phase.percentile(0.95):.0f} ms, {len(phase.latencies_ms) / phase.seconds:.1f} answers/s; "
          f"event loop at most {worst:.2f} s late")
    return 1 if phase.errors else 0


if __name__ == "__main__":
    sys.exit(main())
