"""Answer quality on every evaluation set, dev and frozen test side by side (`make eval`).

    .venv/bin/python benchmarks/eval_sets.py                 # all sets
    .venv/bin/python benchmarks/eval_sets.py --only test     # sets whose name starts with "test"

Each set is answered on a fresh index of the bundled corpus plus that set's own documents, as a user
who adds policies to the bundled plan would have it. The *dev* sets are what the answer code is tuned
on; the *test* set (tests/eval/test/) is frozen: written before the change it measures, never tuned on.
Writes benchmarks/results/eval-<time>.md and one answers file per set.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class EvalSet:
    name: str
    kind: str  # "dev" or "test"
    questions: Path
    documents: tuple[Path, ...]  # ingested after the bundled corpus

    def available(self) -> bool:
        return self.questions.exists() and all(p.exists() for p in self.documents)


SETS = (
    EvalSet("dev-plan", "dev", ROOT / "tests/eval/questions.jsonl", ()),
    EvalSet(
        "dev-sample-rules", "dev", ROOT / "tests/eval/sample_rules.jsonl",
        (ROOT / "tests/fixtures/policies/shiliShi-suanliquan-rules-test-sample.pdf",),
    ),
    EvalSet("dev-new-documents", "dev", ROOT / "tests/eval/dev/questions.jsonl", (ROOT / "tests/eval/dev/docs",)),
    EvalSet("test-frozen", "test", ROOT / "tests/eval/test/questions.jsonl", (ROOT / "tests/eval/test/docs",)),
)


def run_set(eval_set: EvalSet, out_dir: Path) -> dict:
    """A fresh index of the bundled corpus plus the set's documents, then every question of the set."""
    from bot.evaluate import run_eval
    from bot.service import PolicyBot
    from core.settings import Settings

    with tempfile.TemporaryDirectory(prefix="policybot-eval-") as home:
        os.environ["POLICYBOT_HOME"] = home
        bot = PolicyBot(Settings())
        started = time.perf_counter()
        report = bot.ingest([bot.settings.corpus_dir, *eval_set.documents])
        if report.failures:
            reasons = "; ".join(f.reason for f in report.failures)
            raise SystemExit(f"{eval_set.name}: documents refused: {reasons}")
        ingest_seconds = time.perf_counter() - started
        summary = run_eval(bot, eval_set.questions, out_dir / f"{eval_set.name}-answers.jsonl")
        summary["ingest_seconds"] = round(ingest_seconds, 1)
        summary["documents"] = bot.stats()["documents"]
        return summary


def table(results: dict[str, dict], sets: dict[str, EvalSet]) -> str:
    rows = [
        "| set | kind | documents | passed | pass rate | clause hit@1 | hit@3 | ungrounded answers | p50 ms | p95 ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, s in results.items():
        hit1 = f"{s['hit_at_1']:.1%}" if s["hit_at_1"] is not None else "–"
        hit3 = f"{s['hit_at_3']:.1%}" if s["hit_at_3"] is not None else "–"
        rows.append(
            f"| {name} | {sets[name].kind} | {s['documents']} | {s['passed']}/{s['graded']} | {s['pass_rate']:.1%} | "
            f"{hit1} | {hit3} | {s['ungrounded_answers']} | {s['latency_ms']['p50']} | {s['latency_ms']['p95']} |"
        )
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run only the sets whose name starts with this")
    parser.add_argument("--json", action="store_true", help="print the summaries as JSON")
    args = parser.parse_args()
    out_dir = ROOT / "benchmarks/results"
    out_dir.mkdir(parents=True, exist_ok=True)
    chosen = {s.name: s for s in SETS if s.name.startswith(args.only)}
    results: dict[str, dict] = {}
    for eval_set in chosen.values():
        if not eval_set.available():
            print(f"{eval_set.name}: skipped, {eval_set.questions.relative_to(ROOT)} or its documents are missing", file=sys.stderr)
            continue
        print(f"{eval_set.name}: answering {eval_set.questions.relative_to(ROOT)} …", file=sys.stderr, flush=True)
        results[eval_set.name] = run_set(eval_set, out_dir)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return 0
    report = [table(results, chosen), ""]
    for name, summary in results.items():
        for failure in summary["failures"]:
            report.append(f"- {name} FAIL {failure['id']} ({failure['category']}): {'; '.join(failure['failures'])}")
        report.extend(f"- {name} ERROR {error}" for error in summary["errors"])
    text = "\n".join(report)
    print(text)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out_dir / f"eval-{stamp}.md").write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
