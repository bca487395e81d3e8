"""Portal workload: popular questions asked again and again, against `policybot serve`, with and without the cache.

    .venv/bin/python benchmarks/workload.py                     # 2,000 requests from 20, then from 100 clients
    .venv/bin/python benchmarks/workload.py --requests 500 --clients 20 --out /tmp/w.md

Questions are drawn Zipf-like (P(rank k) ∝ 1/k^s, s = 1.1) from the pool of
``benchmarks/question_pool.py`` (the evaluation sets plus the ways people wrap them, 500+ distinct).
Which question is popular is fixed by ``--seed``; each pass is its own draw (another day, the same
favourites). Every server runs ``policybot serve`` on a loopback port over a copy of one freshly ingested
index (the bundled corpus and the documents the evaluation sets ask about), rate limit off (every
simulated client is 127.0.0.1), each client on its own connection. For each number of clients:

- *off*: no answer or query-embedding cache, one draw of ``--requests``;
- *on, cold*: a fresh cached server, the same draw, its first requests after start;
- *on, after N*: the same server after ``--warm-up`` unmeasured requests (another draw): a portal that
  has been up a while;
- *on, restarted*: that server stopped (it writes the questions asked at least twice to
  ``popular-questions.txt`` in its home, as every cached server does) and started again on its home,
  measured on a new draw once its warm-up from that file has finished: the next day's portal.

Reports p50/p95/p99, answers/s, errors, the server's RSS after the run, the cache's hit rate, and the
CPU other processes took meanwhile (psutil), as a markdown table in benchmarks/results/workload.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "benchmarks")]

from load import (  # noqa: E402
    NO_CACHE,
    busy_cpu_s,
    free_port,
    run_phase,
    server_cpu_s,
    server_rss_mb,
    start_server,
    stop_server,
    wait_until_healthy,
)
from question_pool import EVAL_DIR, question_pool  # noqa: E402

from bot.cache import normalise_question  # noqa: E402
from bot.popular import FILE_NAME as POPULAR_FILE  # noqa: E402

RESULTS = REPO_ROOT / "benchmarks" / "results" / "workload.md"
CASES = {"off": NO_CACHE, "on": {}}  # "on": the default settings
WARM_UP = "预热：系统是否可用"  # outside the pool, so the cached case starts with an empty answer cache


def zipf_sequence(pool: list[str], count: int, exponent: float, seed: int, draw: int = 0) -> list[str]:
    """``count`` questions, the k-th most popular drawn with weight 1/k^exponent. ``seed`` shuffles which question
    is popular, the same for every draw; ``draw`` numbers independent draws (another day, the same favourites)."""
    ranked = list(pool)
    random.Random(seed).shuffle(ranked)
    weights = [1.0 / rank**exponent for rank in range(1, len(ranked) + 1)]
    return random.Random(f"{seed}/{draw}").choices(ranked, weights=weights, k=count)


def documents_asked_about() -> list[Path]:
    """The bundled corpus and the documents the evaluation sets ask about (the pool's questions)."""
    found = [REPO_ROOT / "data" / "policies", *sorted(EVAL_DIR.glob("*/docs"))]
    found += sorted((REPO_ROOT / "tests" / "fixtures" / "policies").glob("*rules-test-sample.pdf"))
    return [path for path in found if path.exists()]


def ingest_seed(home: Path, paths: list[Path]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYBOT_")}
    env.update(POLICYBOT_HOME=str(home), PYTHONPATH=str(REPO_ROOT))
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "ingest", *map(str, paths)], cwd=REPO_ROOT, env=env, check=True,
        timeout=1800, stdout=subprocess.DEVNULL,
    )


def measure(url: str, pid: int, sequence: list[str], clients: int, deadline: float) -> dict:
    """One measured pass of ``sequence`` through ``clients`` concurrent clients."""
    with httpx.Client(base_url=url, trust_env=False, timeout=60.0) as client:
        before = (client.get("/api/health").json().get("cache") or {}).get("answers", {})
    cpu_before, busy_before = server_cpu_s(pid), busy_cpu_s()
    phase = asyncio.run(run_phase(url, "/api/ask", sequence, clients, deadline, own_connections=True))
    server_cpu, busy = server_cpu_s(pid) - cpu_before, busy_cpu_s() - busy_before
    with httpx.Client(base_url=url, trust_env=False, timeout=60.0) as client:
        after = (client.get("/api/health").json().get("cache") or {}).get("answers", {})
    hits = after.get("hits", 0) - before.get("hits", 0)
    asked = hits + after.get("misses", 0) - before.get("misses", 0)
    answered = max(1, len(phase.latencies_ms))
    return {
        "clients": clients,
        "requests": len(sequence),
        "errors": sum(phase.errors.values()),
        "error_kinds": dict(phase.errors),
        "p50": phase.percentile(0.50),
        "p95": phase.percentile(0.95),
        "p99": phase.percentile(0.99),
        "answers_per_s": len(phase.latencies_ms) / phase.seconds if phase.seconds else 0.0,
        "server_cpu_ms": server_cpu * 1000 / answered,
        "client_cpu_ms": phase.client_cpu_s * 1000 / answered,
        "rss_mb": server_rss_mb(pid),
        "hit_rate": hits / asked if asked else None,
        "others_cpu": max(0.0, busy - server_cpu - phase.client_cpu_s) / (phase.seconds * (os.cpu_count() or 1)),
    }


def wait_for_warm_up(url: str, questions: int, deadline: float) -> float:
    """Seconds until the server's answer cache has been asked ``questions`` times (its warm-up from the file)."""
    started = time.monotonic()
    with httpx.Client(base_url=url, trust_env=False, timeout=60.0) as client:
        while sum(client.get("/api/health").json()["cache"]["answers"][n] for n in ("hits", "misses")) < questions:
            if time.monotonic() - started > deadline:
                raise SystemExit(f"workload: the warm-up of {questions} questions did not finish within {deadline:.0f} s")
            time.sleep(0.5)
    return time.monotonic() - started


def serve_passes(home: Path, workdir: Path, name: str, clients: int, passes: list[tuple[str, list[str], bool]],
                 deadline: float, settings: dict[str, str], warm_questions: int = 0) -> list[dict]:
    """A server on ``home``; ``passes`` are (label, questions, measured) in order. With ``warm_questions`` it is
    measured once its warm-up (from the questions it remembered last time) has answered that many."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = workdir / f"{name}.log"
    process = start_server(home, port, log_path, settings)
    rows = []
    try:
        wait_until_healthy(url, process, log_path)
        if warm_questions:
            seconds = wait_for_warm_up(url, warm_questions, deadline)
            passes = [(f"{label}, {seconds:.0f} s warm-up" if measured else label, seq, measured)
                      for label, seq, measured in passes]
        with httpx.Client(base_url=url, trust_env=False, timeout=60.0) as client:
            client.post("/api/ask", json={"question": WARM_UP})
        for label, sequence, measured in passes:
            if measured:
                rows.append({"cache": label, **measure(url, process.pid, sequence, clients, deadline)})
                row = rows[-1]
                print(f"workload: {clients} clients, cache {label}: p95 {row['p95']:.1f} ms, "
                      f"{row['answers_per_s']:.1f} answers/s, errors {row['errors']}, RSS {row['rss_mb']:.0f} MB",
                      file=sys.stderr)
            else:
                asyncio.run(run_phase(url, "/api/ask", sequence, clients, deadline, own_connections=True))
    finally:
        stop_server(process)
    if any(row["errors"] for row in rows):
        tail = log_path.read_text(errors="replace").splitlines()[-30:]
        print(f"workload: server log of the case with errors ({log_path.name}):", *tail, sep="\n  ", file=sys.stderr)
    return rows


def remembered(home: Path) -> int:
    """How many questions the stopped server wrote to popular-questions.txt in its home."""
    path = home / POPULAR_FILE
    if not path.is_file():
        raise SystemExit(f"workload: the server did not write {path} when it stopped")
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#"))


def run_server(seed_home: Path, workdir: Path, cache: str, clients: int, passes: list[tuple[str, list[str], bool]],
               deadline: float, restarted: list[tuple[str, list[str], bool]] | None = None) -> list[dict]:
    """A fresh server over a copy of the seed index through ``passes``; then, with ``restarted``, the same server
    stopped (it writes the questions asked most) and started again on its home: warmed from what it remembered."""
    home = workdir / f"cache-{cache}-{clients}"
    shutil.copytree(seed_home, home)
    try:
        rows = serve_passes(home, workdir, home.name, clients, passes, deadline, CASES[cache])
        if restarted:
            rows += serve_passes(home, workdir, f"{home.name}-restarted", clients, restarted, deadline, CASES[cache],
                                 warm_questions=remembered(home))
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return rows


def markdown(rows: list[dict], command: str, pool: list[str], sequence: list[str], exponent: float, warm_up: int,
             seconds: float) -> str:
    distinct, read_in_draw = len(set(sequence)), len({normalise_question(q) for q in sequence})
    read_as = len({normalise_question(q) for q in pool})
    pool = len(pool)
    requests = rows[0]["requests"]
    lines = [
        f"# Portal workload ({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC)",
        "",
        f"`{command}` — {os.cpu_count()} CPUs ({platform.machine()}), {seconds:.0f} s in all. "
        f"{requests:,} requests per pass to `/api/ask`, drawn Zipf-like (s = {exponent}) from a pool of "
        f"{pool} distinct questions ({distinct} of them in the first draw; {read_as} and {read_in_draw} as the bot reads "
        f"them, without courtesy); which is popular is the same in every "
        f"draw. *off*: no answer or query-embedding cache. *on, cold*: a fresh cached server, the same draw as *off*. "
        f"*on, after …*: the same server, a new draw after {warm_up:,} unmeasured requests: a portal up for a while. "
        "*on, restarted*: that server stopped and started again on its home, warmed from the questions it "
        "remembered (asked twice or more), measured on a new draw once the warm-up (seconds shown) had finished. "
        "All cases of one number of clients ran one after the other in this one run.",
        "",
        "| clients | cache | errors | p50 ms | p95 ms | p99 ms | answers/s | answer-cache hits | server CPU ms/answer "
        "| server RSS MB | other processes' CPU |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        hits = f"{100 * r['hit_rate']:.0f}%" if r["hit_rate"] is not None else "–"
        errors = f"{r['errors']} / {r['requests']}" + (f" ({r['error_kinds']})" if r["errors"] else "")
        lines.append(
            f"| {r['clients']} | {r['cache']} | {errors} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} "
            f"| {r['answers_per_s']:.1f} | {hits} | {r['server_cpu_ms']:.1f} | {r['rss_mb']:.0f} | {100 * r['others_cpu']:.0f}% |"
        )
    lines.append("")
    for clients in sorted({r["clients"] for r in rows}):
        mine = [r for r in rows if r["clients"] == clients]
        off = next((r for r in mine if r["cache"] == "off"), None)
        for on in (r for r in mine if r["cache"] != "off"):
            if off:
                lines.append(
                    f"- {clients} clients, cache {on['cache']}: p95 {on['p95'] / off['p95']:.2f}× the uncached p95, "
                    f"answers/s {on['answers_per_s'] / off['answers_per_s']:.1f}×, RSS {on['rss_mb'] - off['rss_mb']:+.0f} MB "
                    "against the uncached server."
                )
    lines.append(
        "- The load generator runs on the same machine (its CPU per answer: "
        + ", ".join(f"{r['clients']} clients cache {r['cache']}: {r['client_cpu_ms']:.1f} ms" for r in rows)
        + "); \"other processes\" is the machine's busy CPU minus the server's and the generator's."
    )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", default="20,100", help="comma-separated numbers of concurrent clients")
    parser.add_argument("--zipf", type=float, default=1.1, help="exponent s of the popularity law")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument(
        "--warm-up", type=int, default=6000,
        help="unmeasured requests (same law, another seed) between the cached server's cold pass and its second "
        "measured pass; 0 measures the cold pass only",
    )
    parser.add_argument("--deadline", type=float, default=600.0, help="seconds allowed per pass")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    clients = [int(c) for c in args.clients.split(",") if c.strip()]
    if not 1 <= args.requests <= 20_000 or not 0 <= args.warm_up <= 50_000 or not all(1 <= c <= 200 for c in clients):
        parser.error("--requests must be 1..20000, --warm-up 0..50000 and each of --clients 1..200")

    pool = question_pool()
    sequence = zipf_sequence(pool, args.requests, args.zipf, args.seed)
    earlier = zipf_sequence(pool, args.warm_up, args.zipf, args.seed, draw=1)
    later = zipf_sequence(pool, args.requests, args.zipf, args.seed, draw=2)
    next_day = zipf_sequence(pool, args.requests, args.zipf, args.seed, draw=3)
    started = time.monotonic()
    rows = []
    with tempfile.TemporaryDirectory(prefix="policybot-workload-") as folder:
        workdir = Path(folder)
        documents = documents_asked_about()
        print(f"workload: ingesting {', '.join(p.name for p in documents)} into a seed index; pool {len(pool)} "
              f"questions, {len(set(sequence))} distinct among {len(sequence)} requests", file=sys.stderr)
        ingest_seed(workdir / "seed", documents)
        seed = workdir / "seed"
        for count in clients:
            rows += run_server(seed, workdir, "off", count, [("off", sequence, True)], args.deadline)
            cached_passes = [("on, cold", sequence, True)]
            if args.warm_up:
                cached_passes += [("warm-up", earlier, False), (f"on, after {args.warm_up + len(sequence):,}", later, True)]
                restarted = [(f"on, restarted after those {args.warm_up + 2 * len(sequence):,}", next_day, True)]
            rows += run_server(seed, workdir, "on", count, cached_passes, args.deadline,
                               restarted=restarted if args.warm_up else None)
    command = "python benchmarks/workload.py" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    report = markdown(rows, command, pool, sequence, args.zipf, args.warm_up, time.monotonic() - started)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(report)
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
