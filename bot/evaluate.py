"""`policybot eval`: answer a JSON-lines question set, score the gold fields, report by category."""

from __future__ import annotations

import json
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import PolicyBotError
from bot.grounding import ungrounded
from bot.models import Answer, Turn

GOLD_FIELDS = (
    "doc_title", "any_clause", "all_clauses", "must_include", "must_include_any", "must_not_match", "expect_refused"
)
# The shape each gold field must have; a line that breaks it is reported, not answered.
_SHAPES: dict[str, tuple[type, ...]] = {
    "id": (str, int), "category": (str,), "question": (str,), "doc_title": (str,), "any_clause": (str,),
    "all_clauses": (list,), "must_include": (list,), "must_include_any": (list,), "must_not_match": (str,),
    "expect_refused": (bool,), "history": (list,),
}


@dataclass
class Scored:
    id: str
    category: str
    passed: bool | None  # None: the line carries no gold fields
    failures: list[str] = field(default_factory=list)
    hit_at_1: bool | None = None
    hit_at_3: bool | None = None
    ungrounded: list[str] = field(default_factory=list)  # figures/organisations no cited clause contains


def _cited(answer: Answer, marker: str, top: int | None = None) -> bool:
    citations = answer.citations if top is None else answer.citations[:top]
    return any(marker in c.clause or marker in c.quote for c in citations)


def score(line: dict, answer: Answer) -> Scored:
    """Check one answer against the gold fields its line carries."""
    result = Scored(id=str(line.get("id")), category=line.get("category", "uncategorised"), passed=None)
    if not any(key in line for key in GOLD_FIELDS):
        return result
    failures = result.failures
    title = line.get("doc_title")
    if title and not any(title in c.doc_title for c in answer.citations[:3]):
        failures.append(f"doc_title {title!r} not among the top-3 citations")
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
    asked = " ".join([line.get("question", "")] + [t["content"] for t in line.get("history") or [] if t["role"] == "user"])
    result.ungrounded = ungrounded(answer, asked)
    failures.extend(f"not in the cited clauses: {item}" for item in result.ungrounded)
    result.passed = not failures
    return result


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def check_line(number: int, text: str) -> dict:
    """One line of a question set, parsed and checked; a clear error names the line and what is wrong."""
    try:
        line = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyBotError(f"line {number}: not JSON ({exc.msg})") from None
    if not isinstance(line, dict):
        raise PolicyBotError(f"line {number}: expected a JSON object")
    if not isinstance(line.get("question"), str) or not line["question"].strip():
        raise PolicyBotError(f"line {number} (id {line.get('id')!r}): no 'question'")
    for key, types in _SHAPES.items():
        if key in line and not isinstance(line[key], types):
            wanted = " or ".join(t.__name__ for t in types)
            raise PolicyBotError(f"line {number} (id {line.get('id')!r}): {key!r} must be {wanted}")
    for key in ("all_clauses", "must_include", "must_include_any"):
        if key in line and not all(isinstance(item, str) for item in line[key]):
            raise PolicyBotError(f"line {number} (id {line.get('id')!r}): {key!r} must be a list of strings")
    if "must_not_match" in line:
        try:
            re.compile(line["must_not_match"])
        except re.error as exc:
            raise PolicyBotError(f"line {number} (id {line.get('id')!r}): must_not_match is not a regex ({exc})") from None
    try:
        line["history"] = [Turn.model_validate(turn).model_dump() for turn in line.get("history") or []]
    except ValueError:
        raise PolicyBotError(f"line {number} (id {line.get('id')!r}): history turns need role user/assistant and content") from None
    return line


def run_eval(bot, path: Path, out: Path | None = None) -> dict:
    """Answer each line of ``path``, writing each answer to ``out`` as it comes; return the summary.

    A line that cannot be read is reported in ``errors`` (and in ``out``) and the others still run.
    """
    try:
        texts = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyBotError(f"cannot read the question set {path}: {exc}") from None
    bot.warm_up()
    scored: list[Scored] = []
    latencies: list[float] = []
    errors: list[str] = []
    sink = out.open("w", encoding="utf-8") if out else None
    try:
        for number, text in enumerate(texts, start=1):
            if not text.strip():
                continue
            try:
                line = check_line(number, text)
            except PolicyBotError as exc:
                errors.append(str(exc))
                if sink:
                    sink.write(json.dumps({"line": number, "error": str(exc)}, ensure_ascii=False) + "\n")
                continue
            try:
                answer = bot.ask(line["question"], line["history"])
            except PolicyBotError as exc:
                answer = Answer(question=line["question"], answer=f"error: {exc}", refused=True)
            latencies.append(answer.latency_ms)
            result = score(line, answer)
            scored.append(result)
            if sink:
                record = {"id": line.get("id"), **answer.to_public(), "passed": result.passed, "failures": result.failures}
                sink.write(json.dumps(record, ensure_ascii=False) + "\n")
                sink.flush()
    finally:
        if sink:
            sink.close()
    return summarise(scored, latencies, errors)


def summarise(scored: list[Scored], latencies: list[float], errors: list[str]) -> dict:
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
        "ungrounded_answers": sum(bool(r.ungrounded) for r in scored),
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
        "errors": errors,
    }


def format_summary(summary: dict) -> str:
    rows = [f"{'category':<22}{'passed':>8}{'total':>7}{'rate':>8}"]
    for name, stats in summary["by_category"].items():
        rows.append(f"{name:<22}{stats['passed']:>8}{stats['total']:>7}{stats['rate']:>8.1%}")
    if summary["pass_rate"] is not None:
        rows.append(f"{'ALL':<22}{summary['passed']:>8}{summary['graded']:>7}{summary['pass_rate']:>8.1%}")
    if summary["hit_at_1"] is not None:
        rows.append(f"clause hit@1 {summary['hit_at_1']:.1%}   hit@3 {summary['hit_at_3']:.1%}")
    rows.append(f"answers stating a figure or organisation not in their cited clauses: {summary['ungrounded_answers']}")
    rows.append(f"latency p50 {summary['latency_ms']['p50']} ms   p95 {summary['latency_ms']['p95']} ms")
    for failure in summary["failures"]:
        rows.append(f"FAIL {failure['id']} ({failure['category']}): {'; '.join(failure['failures'])}")
    rows.extend(f"ERROR {error}" for error in summary["errors"])
    return "\n".join(rows)
