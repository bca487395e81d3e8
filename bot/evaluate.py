"""`policybot eval`: answer a JSON-lines question set, score the gold fields, report by category."""

from __future__ import annotations

import json
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import PolicyBotError
from bot.models import Answer

GOLD_FIELDS = ("any_clause", "all_clauses", "must_include", "must_include_any", "must_not_match", "expect_refused")


@dataclass
class Scored:
    id: str
    category: str
    passed: bool | None  # None: the line carries no gold fields
    failures: list[str] = field(default_factory=list)
    hit_at_1: bool | None = None
    hit_at_3: bool | None = None


def _cited(answer: Answer, marker: str, top: int | None = None) -> bool:
    citations = answer.citations if top is None else answer.citations[:top]
    return any(marker in c.clause or marker in c.quote for c in citations)


def score(line: dict, answer: Answer) -> Scored:
    """Check one answer against the gold fields its line carries."""
    result = Scored(id=str(line.get("id")), category=line.get("category", "uncategorised"), passed=None)
    if not any(key in line for key in GOLD_FIELDS):
        return result
    failures = result.failures
    marker = line.get("any_clause")
    if marker:
        result.hit_at_1 = _cited(answer, marker, 1)
        result.hit_at_3 = _cited(answer, marker, 3)
        if not result.hit_at_3:
            failures.append(f"any_clause {marker!r} not in top-3 citations")
    for wanted in line.get("all_clauses", []):
        if not _cited(answer, wanted):
            failures.append(f"all_clauses: {wanted!r} not cited")
    for text in line.get("must_include", []):
        if text not in answer.answer:
            failures.append(f"must_include {text!r} missing")
    options = line.get("must_include_any")
    if options and not any(text in answer.answer for text in options):
        failures.append(f"must_include_any: none of {options!r}")
    pattern = line.get("must_not_match")
    if pattern and re.search(pattern, answer.answer):
        failures.append(f"must_not_match {pattern!r} matched")
    if "expect_refused" in line and bool(line["expect_refused"]) != answer.refused:
        failures.append(f"refused={answer.refused}, expected {bool(line['expect_refused'])}")
    result.passed = not failures
    return result


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def run_eval(bot, path: Path, out: Path | None = None) -> dict:
    """Answer each line of ``path``; write answers to ``out``; return the summary."""
    try:
        lines = [json.loads(text) for text in path.read_text(encoding="utf-8").splitlines() if text.strip()]
    except (OSError, json.JSONDecodeError) as exc:
        raise PolicyBotError(f"cannot read the question set {path}: {exc}") from None
    bot.warm_up()
    scored: list[Scored] = []
    latencies: list[float] = []
    answers: list[dict] = []
    for line in lines:
        if "question" not in line:
            raise PolicyBotError(f"{path}: line with id {line.get('id')!r} has no 'question'")
        try:
            answer = bot.ask(line["question"], line.get("history") or [])
        except PolicyBotError as exc:
            answer = Answer(question=str(line["question"]), answer=f"error: {exc}", refused=True)
        latencies.append(answer.latency_ms)
        result = score(line, answer)
        scored.append(result)
        answers.append({"id": line.get("id"), **answer.to_public(), "passed": result.passed, "failures": result.failures})
    if out:
        out.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in answers), encoding="utf-8")

    by_category: dict[str, list[bool]] = defaultdict(list)
    for result in scored:
        if result.passed is not None:
            by_category[result.category].append(result.passed)
    graded = [r for r in scored if r.passed is not None]
    hits = [r for r in scored if r.hit_at_1 is not None]
    return {
        "questions": len(scored),
        "graded": len(graded),
        "passed": sum(r.passed for r in graded),
        "pass_rate": round(sum(r.passed for r in graded) / len(graded), 4) if graded else None,
        "by_category": {
            name: {"passed": sum(v), "total": len(v), "rate": round(sum(v) / len(v), 4)}
            for name, v in sorted(by_category.items())
        },
        "hit_at_1": round(sum(r.hit_at_1 for r in hits) / len(hits), 4) if hits else None,
        "hit_at_3": round(sum(r.hit_at_3 for r in hits) / len(hits), 4) if hits else None,
        "latency_ms": {
            "p50": round(statistics.median(latencies), 1) if latencies else 0.0,
            "p95": round(percentile(latencies, 95), 1),
        },
        "failures": [{"id": r.id, "category": r.category, "failures": r.failures} for r in graded if not r.passed],
    }


def format_summary(summary: dict) -> str:
    rows = [f"{'category':<22}{'passed':>8}{'total':>7}{'rate':>8}"]
    for name, stats in summary["by_category"].items():
        rows.append(f"{name:<22}{stats['passed']:>8}{stats['total']:>7}{stats['rate']:>8.1%}")
    if summary["pass_rate"] is not None:
        rows.append(f"{'ALL':<22}{summary['passed']:>8}{summary['graded']:>7}{summary['pass_rate']:>8.1%}")
    if summary["hit_at_1"] is not None:
        rows.append(f"clause hit@1 {summary['hit_at_1']:.1%}   hit@3 {summary['hit_at_3']:.1%}")
    rows.append(f"latency p50 {summary['latency_ms']['p50']} ms   p95 {summary['latency_ms']['p95']} ms")
    for failure in summary["failures"]:
        rows.append(f"FAIL {failure['id']} ({failure['category']}): {'; '.join(failure['failures'])}")
    return "\n".join(rows)
