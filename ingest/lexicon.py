"""The eligibility lexicon (data/lexicons/eligibility.toml): phrasings of measures, amounts, applicants
and conditions, loaded once and validated, so a bad entry fails at start with its name in the message."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

LEXICON_PATH = Path(__file__).resolve().parent.parent / "data" / "lexicons" / "eligibility.toml"
APPLICANT_TYPES = ("enterprise", "university", "institute", "individual")
COMPARATORS = ("le", "lt", "ge", "gt")


class LexiconError(ValueError):
    """The lexicon file is missing a key or holds a pattern that does not compile."""


@dataclass(frozen=True)
class MeasureKind:
    kind: str
    label: str
    cue: re.Pattern[str]


@dataclass(frozen=True)
class Base:
    field: str
    label: str
    cue: re.Pattern[str]


@dataclass(frozen=True)
class Measured:
    """A measurable condition: "营业收入不超过4亿元" is revenue ≤ 4e8 on ``annual_revenue_cny``."""

    kind: str
    subject: str
    field: str
    unit: str
    label: str
    ask: str


@dataclass(frozen=True)
class Flag:
    kind: str
    cue: re.Pattern[str]
    field: str | None
    wanted: bool
    label: str
    ask: str


@dataclass(frozen=True)
class Lexicon:
    measure_kinds: tuple[MeasureKind, ...]
    grant_verb: re.Pattern[str]
    not_grant: re.Pattern[str]
    units: dict[str, float]
    cap_before: str
    cap_after: str
    rate_share: str
    tax_rate: re.Pattern[str]
    scope_budget: re.Pattern[str]
    scope_combined: re.Pattern[str]
    bases: tuple[Base, ...]
    applicants: dict[str, re.Pattern[str]]
    referral: re.Pattern[str]
    subject: re.Pattern[str]
    condition_heading: re.Pattern[str]
    condition_text: re.Pattern[str]
    requirement: re.Pattern[str]
    comparators: dict[str, str]
    measured: tuple[Measured, ...]
    flags: tuple[Flag, ...]
    certification: re.Pattern[str]
    industry: re.Pattern[str]
    region: re.Pattern[str]
    exclusions: tuple[Flag, ...]
    exclusions_head: re.Pattern[str]

    @property
    def money(self) -> str:
        """A money amount: group 1 the number, group 2 the unit."""
        units = "|".join(sorted((u for u in self.units if u), key=len, reverse=True))
        return rf"(\d+(?:\.\d+)?)\s*({units})?元"

    def yuan(self, number: str, unit: str | None) -> float:
        return float(number) * self.units[unit or ""]

    def measured_kind(self, kind: str) -> Measured | None:
        return next((m for m in self.measured if m.kind == kind), None)

    def flag(self, kind: str) -> Flag | None:
        return next((f for f in self.flags + self.exclusions if f.kind == kind), None)


def _compile(where: str, pattern: object) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not pattern:
        raise LexiconError(f"{LEXICON_PATH.name}: {where} must be a non-empty pattern, got {pattern!r}")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise LexiconError(f"{LEXICON_PATH.name}: {where} does not compile: {exc}") from None


def _get(table: dict, key: str, where: str):
    if key not in table:
        raise LexiconError(f"{LEXICON_PATH.name}: {where} has no '{key}'")
    return table[key]


def parse_lexicon(data: dict) -> Lexicon:
    """A validated ``Lexicon`` from the TOML's tables."""
    kinds = tuple(
        MeasureKind(_get(k, "kind", "measure_kinds"), _get(k, "label", "measure_kinds"), _compile(f"measure_kinds.{k.get('kind')}", k.get("cue")))
        for k in _get(data, "measure_kinds", "the file")
    )
    grant, amounts, conditions = _get(data, "grant", "the file"), _get(data, "amounts", "the file"), _get(data, "conditions", "the file")
    units = {str(u): float(v) for u, v in _get(amounts, "units", "amounts").items()}
    if "" not in units:
        raise LexiconError(f"{LEXICON_PATH.name}: amounts.units needs the empty unit (plain 元)")
    for key in ("cap_before", "cap_after", "rate_share"):
        _compile(f"amounts.{key}", amounts.get(key))
    applicants_table = dict(_get(data, "applicants", "the file"))
    applicants = {t: _compile(f"applicants.{t}", applicants_table.get(t)) for t in APPLICANT_TYPES}
    comparators = dict(_get(conditions, "comparators", "conditions"))
    if set(comparators) != set(COMPARATORS):
        raise LexiconError(f"{LEXICON_PATH.name}: conditions.comparators must define {', '.join(COMPARATORS)}, got {sorted(comparators)}")
    for op, pattern in comparators.items():
        _compile(f"conditions.comparators.{op}", pattern)
    measured = []
    for m in _get(conditions, "measures", "conditions"):
        where = f"conditions.measures.{m.get('kind')}"
        _compile(where, m.get("subject"))
        measured.append(Measured(*(str(_get(m, key, where)) for key in ("kind", "subject", "field", "unit", "label", "ask"))))

    def flag(entry: dict, where: str, wanted_key: str) -> Flag:
        field = entry.get("field")
        wanted = entry.get(wanted_key, True)
        if not isinstance(wanted, bool):
            raise LexiconError(f"{LEXICON_PATH.name}: {where}.{wanted_key} must be true or false, got {wanted!r}")
        # An exclusion is met when the profile's field differs from the value that excludes.
        return Flag(_get(entry, "kind", where), _compile(f"{where}.cue", entry.get("cue")), field,
                    wanted if wanted_key == "wanted" else not wanted, _get(entry, "label", where), entry.get("ask", ""))

    return Lexicon(
        measure_kinds=kinds,
        grant_verb=_compile("grant.verb", grant.get("verb")),
        not_grant=_compile("grant.not_grant", grant.get("not_grant")),
        units=units,
        cap_before=amounts["cap_before"],
        cap_after=amounts["cap_after"],
        rate_share=amounts["rate_share"],
        tax_rate=_compile("amounts.tax_rate", amounts.get("tax_rate")),
        scope_budget=_compile("amounts.scope_budget", amounts.get("scope_budget")),
        scope_combined=_compile("amounts.scope_combined", amounts.get("scope_combined")),
        bases=tuple(Base(b["field"], b["label"], _compile(f"bases.{b.get('field')}", b.get("cue"))) for b in _get(data, "bases", "the file")),
        applicants=applicants,
        referral=_compile("applicants.referral", applicants_table.get("referral")),
        subject=_compile("applicants.subject", applicants_table.get("subject")),
        condition_heading=_compile("conditions.heading", conditions.get("heading")),
        condition_text=_compile("conditions.text", conditions.get("text")),
        requirement=_compile("conditions.requirement", conditions.get("requirement")),
        comparators=comparators,
        measured=tuple(measured),
        flags=tuple(flag(f, f"conditions.flags.{f.get('kind')}", "wanted") for f in _get(conditions, "flags", "conditions")),
        certification=_compile("conditions.certification.cue", _get(conditions, "certification", "conditions").get("cue")),
        industry=_compile("conditions.industry.cue", _get(conditions, "industry", "conditions").get("cue")),
        region=_compile("conditions.region.cue", _get(conditions, "region", "conditions").get("cue")),
        exclusions=tuple(flag(e, f"exclusions.{e.get('kind')}", "excluded_when") for e in _get(data, "exclusions", "the file")),
        exclusions_head=_compile("exclusions_head.cue", _get(data, "exclusions_head", "the file").get("cue")),
    )


@lru_cache(maxsize=1)
def load_lexicon(path: Path = LEXICON_PATH) -> Lexicon:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise LexiconError(f"cannot read the eligibility lexicon {path}: {exc}") from None
    return parse_lexicon(data)
