"""What parsing a file in the sandbox costs: in process, in the sandbox's forked child, and with a fresh Python.

    .venv/bin/python benchmarks/sandbox_speed.py            # the bundled plan, 10 rounds each, medians

The sandbox (ingest/sandbox.py) keeps one worker with the parsers imported and forks a child per
file; this shows what that saves over starting Python for each file. (This was an assertion in
tests/ingest/test_sandbox.py, "under 0.25 s a parse", which a busy machine broke.)
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from ingest.pipeline import parse_file  # noqa: E402
from ingest.sandbox import parse_file_isolated  # noqa: E402

LIMITS = {"max_bytes": 50_000_000, "timeout_seconds": 60.0, "memory_mb": 1024}


def median_seconds(run, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=REPO_ROOT / "data" / "policies" / "zhejiang-ai-plus-action-plan-2024-2027-draft.txt")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args(argv)
    if not 1 <= args.rounds <= 100:
        parser.error("--rounds must be 1..100")

    parse_file_isolated(args.path, **LIMITS)  # start the worker: not counted
    in_process = median_seconds(lambda: parse_file(args.path), args.rounds)
    sandboxed = median_seconds(lambda: parse_file_isolated(args.path, **LIMITS), args.rounds)
    script = f"from ingest.pipeline import parse_file; parse_file(__import__('pathlib').Path({str(args.path)!r}))"
    fresh = median_seconds(
        lambda: subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, check=True), max(1, args.rounds // 2)
    )
    print(f"{args.path.name}, medians: in process {in_process * 1000:.1f} ms, sandbox (fork of a warm worker) "
          f"{sandboxed * 1000:.1f} ms, fresh Python per file {fresh * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
