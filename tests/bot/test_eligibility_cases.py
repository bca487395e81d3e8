"""The eligibility test set (tests/bot/eligibility_cases.jsonl): profiles against six documents of different
styles — the 示例市 voucher rules and the 测试样例 documents in tests/fixtures/eligibility/ (a compute subsidy
with tiers, applicant-type caps and provider scope; 若干措施 with 首台套 and 贷款贴息; a talent subsidy; a tax
notice; a recognition-and-reward rule). Each case states the verdict, the deciding clause and the benefit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.eligibility import Profile, check_profile, choose_tier, measures_of
from ingest.pipeline import parse_file

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures"
CASES = [json.loads(line) for line in (HERE / "eligibility_cases.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def documents(fixtures_dir):
    cache = {}

    def load(relative: str):
        if relative not in cache:
            root = fixtures_dir if relative.startswith("policies/") else FIXTURES
            cache[relative] = parse_file(root / relative)
        return cache[relative]

    return load


def test_the_set_covers_enough_documents_and_profiles():
    assert len(CASES) >= 40
    assert len({c["document"] for c in CASES}) >= 5
    assert {c["verdict"] for c in CASES} == {"eligible", "not_eligible", "undetermined"}
    for path in FIXTURES.glob("eligibility/*"):
        assert "test-sample" in path.name and "测试样例" in path.read_text(encoding="utf-8").splitlines()[0]


def applicable_caps(measure, profile: Profile) -> list[float]:
    """Every per-applicant cap of the measure that binds this applicant (its type, its tier)."""
    terms = [t for t in measure.benefits if not t.applicants or profile.type in t.applicants]
    chosen = choose_tier(terms, profile.tier)
    return [t.cap_cny for t in terms if t.cap_cny is not None and not t.budget and (not t.tier or (chosen and t.tier == chosen.tier))]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case, documents):
    document = documents(case["document"])
    profile = Profile(**case["profile"])
    result = check_profile([document], profile, [case["measure"]])
    verdict = next(v for v in result.verdicts if v.measure == case["measure"])
    why = f"{case['id']} ({case['why']}): {verdict.reason}"
    assert verdict.verdict == case["verdict"], why
    assert verdict.deciding is not None, why
    assert verdict.deciding.clause.split(" › ")[-1].startswith(case["deciding_clause"]), f"{why} — cites {verdict.deciding.clause}"
    clauses = {c.id: c.text for c in document.clauses}
    assert verdict.deciding.quote in clauses[verdict.deciding.clause_id]
    assert verdict.reason and not any(glyph in verdict.reason for glyph in "✅❌❓")
    if case["benefit_cny"] is None:
        assert verdict.benefit_cny is None, why
    else:
        assert verdict.benefit_cny == pytest.approx(case["benefit_cny"]), f"{why} — {verdict.benefit_explanation}"
    # Each number of the arithmetic comes with the clause it is written in.
    for step in verdict.benefit_steps:
        if step.evidence is not None:
            assert step.evidence.quote in clauses[step.evidence.clause_id]
    # Never more than a cap that applies to this applicant.
    measure = next(m for m in measures_of(document) if m.name == case["measure"])
    caps = applicable_caps(measure, profile)
    if verdict.benefit_cny is not None and caps:
        assert verdict.benefit_cny <= min(caps), why
    if verdict.cap_cny is not None:
        assert verdict.cap_cny == min(caps)


def test_a_document_without_conditions_is_said_once(documents):
    document = documents("eligibility/yangliShi-ruogan-cuoshi-test-sample.md")
    result = check_profile([document], Profile(type="enterprise", region="样例市"))
    assert [u.doc_title for u in result.unconditioned] == [document.title]
    assert set(result.unconditioned[0].measures) == {"降低智能算力使用成本", "优先保障用地用能"}
    # What applies comes first: measures with conditions before those a document only grants.
    kinds = [v.note is None for v in result.verdicts]
    assert kinds == sorted(kinds, reverse=True)
