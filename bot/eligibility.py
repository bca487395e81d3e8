"""Eligibility check: a profile against every support measure, condition by condition, each cited.

Verdicts rest only on conditions extracted from clauses (ingest/conditions.py). A fact the
profile does not give makes a condition "unknown" and becomes a follow-up question; a measure
whose document states no condition is "undetermined", never "eligible".
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.router import PROVINCES, WITHIN
from ingest.models import Condition, Document, Evidence, Measure

Status = Literal["met", "failed", "unknown"]
Verdict = Literal["eligible", "not_eligible", "undetermined"]

APPLICANT_NAMES = {"enterprise": "企业", "university": "高校", "institute": "科研院所", "individual": "个人"}


class Profile(BaseModel):
    """What an applicant says about itself; every field is optional."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["enterprise", "university", "institute", "individual"] | None = None
    region: str | None = Field(default=None, description="Where it is registered, e.g. 杭州市 or 示例市.")
    annual_revenue_cny: float | None = Field(default=None, ge=0)
    industry: str | None = None
    employees: int | None = Field(default=None, ge=0)
    insured_employees: int | None = Field(default=None, ge=0)
    legal_person: bool | None = Field(default=None, description="Has independent legal-person status (a branch has not).")
    good_credit: bool | None = Field(default=None, description="Not on a list of seriously dishonest entities.")
    related_party_purchase: bool | None = Field(default=None, description="Bought the service from a related party.")
    other_public_funding: bool | None = Field(default=None, description="The same project already received public funds.")
    provider_listed: bool | None = Field(default=None, description="The service provider is in the official catalogue.")
    spend_cny: float | None = Field(default=None, ge=0, description="Eligible spend, to compute the benefit.")


class Check(BaseModel):
    kind: str
    status: Status
    requirement: str
    evidence: Evidence
    follow_up: str | None = None


class MeasureVerdict(BaseModel):
    measure: str
    doc_title: str
    source: str
    jurisdiction: str | None
    verdict: Verdict
    failed: list[Check] = Field(default_factory=list)
    missing: list[Check] = Field(default_factory=list)
    met: list[Check] = Field(default_factory=list)
    benefit_cny: float | None = None
    benefit_explanation: str | None = None
    benefit_evidence: list[Evidence] = Field(default_factory=list)
    note: str | None = None
    window: Evidence | None = None
    agency: str | None = None
    materials: Evidence | None = None

    @property
    def follow_up_questions(self) -> list[str]:
        return [c.follow_up for c in self.missing if c.follow_up]


class EligibilityResult(BaseModel):
    profile: Profile
    verdicts: list[MeasureVerdict]


def _yuan(amount: float) -> str:
    if amount >= 100_000_000:
        return f"{amount / 100_000_000:g}亿元"
    if amount >= 10_000:
        return f"{amount / 10_000:g}万元"
    return f"{amount:g}元"


def _place_stem(place: str) -> str:
    return re.sub(r"(省|市|自治区|县|区)$", "", place)


def _region_status(required: str, region: str | None) -> Status:
    """Whether ``region`` lies in ``required`` (a 浙江省 measure covers 杭州市; a 示例市 one only 示例市)."""
    if not region:
        return "unknown"
    stem, given = _place_stem(required), _place_stem(region)
    if given == stem or stem in region:
        return "met"
    if given in WITHIN.get(stem, []):
        return "met"
    if re.search(r"[市县区]$", required) or given in PROVINCES or any(given in cities for cities in WITHIN.values()):
        # A city's rules exclude every other place; a province's exclude the places known to lie elsewhere.
        return "failed"
    return "unknown"


def _numeric(kind: str, value: float, given: float | None, limit_text: str, evidence: Evidence, ask: str) -> Check:
    if given is None:
        return Check(kind=kind, status="unknown", requirement=limit_text, evidence=evidence, follow_up=ask)
    ok = given <= value if kind.endswith("_max") else given >= value
    return Check(kind=kind, status="met" if ok else "failed", requirement=limit_text, evidence=evidence)


def _flag(kind: str, given: bool | None, wanted: bool, requirement: str, evidence: Evidence, ask: str) -> Check:
    if given is None:
        return Check(kind=kind, status="unknown", requirement=requirement, evidence=evidence, follow_up=ask)
    return Check(kind=kind, status="met" if given == wanted else "failed", requirement=requirement, evidence=evidence)


def check_condition(condition: Condition, profile: Profile) -> Check | None:
    """One condition against the profile; None for conditions a profile cannot speak to."""
    ev, value = condition.evidence, condition.value
    match condition.kind:
        case "region":
            status = _region_status(str(value), profile.region)
            return Check(kind="region", status=status, requirement=f"在{value}注册登记", evidence=ev,
                         follow_up=None if status != "unknown" else "贵单位在哪个市（县、区）注册登记？")
        case "legal_person":
            return _flag("legal_person", profile.legal_person, True, "具有独立法人资格", ev,
                         "贵单位是否具有独立法人资格（分公司一般不具有）？")
        case "revenue_max":
            return _numeric("revenue_max", float(value), profile.annual_revenue_cny, f"上一年度营业收入不超过{_yuan(float(value))}", ev,
                            "贵单位上一年度营业收入是多少？")
        case "revenue_min":
            return _numeric("revenue_min", float(value), profile.annual_revenue_cny, f"上一年度营业收入不低于{_yuan(float(value))}", ev,
                            "贵单位上一年度营业收入是多少？")
        case "employees_max":
            return _numeric("employees_max", float(value), profile.employees, f"从业人员不超过{value:g}人", ev,
                            "贵单位从业人员有多少人？")
        case "insured_min":
            return _numeric("insured_min", float(value), profile.insured_employees, f"缴纳社会保险的从业人员不少于{value:g}人", ev,
                            "贵单位缴纳社会保险的从业人员有多少人？")
        case "good_credit":
            return _flag("good_credit", profile.good_credit, True, "信用记录良好，未被列入严重失信主体名单", ev,
                         "贵单位是否被列入严重失信主体名单？")
        case "industry":
            if not profile.industry:
                return Check(kind="industry", status="unknown", requirement=f"主营业务属于{value}领域", evidence=ev,
                             follow_up=f"贵单位主营业务是否属于{value}领域，或使用{value}技术开展经营？")
            given = profile.industry.replace("AI", "人工智能").replace("ai", "人工智能")
            status: Status = "met" if str(value) in given or given in str(value) else "unknown"
            return Check(kind="industry", status=status, requirement=f"主营业务属于{value}领域", evidence=ev,
                         follow_up=None if status == "met" else f"贵单位是否使用{value}技术开展研发、生产或经营？")
        case "related_party":
            return _flag("related_party", profile.related_party_purchase, False, "不向关联方购买服务", ev,
                         "所购服务是否来自关联方？")
        case "double_funding":
            return _flag("double_funding", profile.other_public_funding, False, "同一项目未获得其他财政资金支持", ev,
                         "该项目是否已获得其他财政资金支持？")
        case "provider_not_listed":
            return _flag("provider_not_listed", profile.provider_listed, True, "服务提供方已纳入服务商目录", ev,
                         "服务提供方是否在主管部门发布的服务商目录内？")
    return None


def evaluate_measure(measure: Measure, profile: Profile) -> MeasureVerdict:
    checks: list[Check] = []
    if measure.jurisdiction and not any(c.kind == "region" for c in measure.conditions):
        # A document's rules apply in its jurisdiction even when no clause says "在…注册".
        evidence = measure.mentioned_in or Evidence(quote=measure.doc_title, clause="", clause_id="")
        status = _region_status(measure.jurisdiction, profile.region)
        ask = None
        if status == "unknown":
            ask = (f"贵单位注册地{profile.region}是否在{measure.jurisdiction}？" if profile.region
                   else "贵单位在哪个市（县、区）注册登记？")
        checks.append(Check(kind="jurisdiction", status=status, requirement=f"适用于{measure.jurisdiction}",
                            evidence=evidence, follow_up=ask))
    if measure.applicants and measure.applicant_evidence:
        names = "、".join(APPLICANT_NAMES[a] for a in measure.applicants)
        status = "unknown" if profile.type is None else ("met" if profile.type in measure.applicants else "failed")
        checks.append(Check(kind="applicant_type", status=status, requirement=f"申请主体为{names}",
                            evidence=measure.applicant_evidence,
                            follow_up="申请主体是企业、高校、科研院所还是个人？" if status == "unknown" else None))
    for condition in measure.conditions + measure.exclusions:
        check = check_condition(condition, profile)
        if check:
            checks.append(check)

    failed = [c for c in checks if c.status == "failed"]
    missing = [c for c in checks if c.status == "unknown"]
    verdict_value: Verdict = "not_eligible" if failed else "undetermined" if missing else "eligible"
    note = None
    if not measure.conditions and not measure.exclusions and not failed:
        # Nothing to ask the applicant: the document itself leaves the conditions open.
        verdict_value, missing = "undetermined", []
        note = "文件未规定具体的申请条件（如注册地、营收、规模等），能否获得支持以后续实施细则或主管部门的解释为准。"

    verdict = MeasureVerdict(
        measure=measure.name,
        doc_title=measure.doc_title,
        source=measure.source,
        jurisdiction=measure.jurisdiction,
        verdict=verdict_value,
        failed=failed,
        missing=missing,
        met=[c for c in checks if c.status == "met"],
        note=note,
        window=measure.window,
        agency=measure.agency,
        materials=measure.materials,
    )
    if verdict_value != "not_eligible":
        _compute_benefit(measure, profile, verdict)
    return verdict


def _compute_benefit(measure: Measure, profile: Profile, verdict: MeasureVerdict) -> None:
    own = [b for b in measure.benefits if not b.combined]
    shared = [b for b in measure.benefits if b.combined]
    rate = next((b for b in own if b.rate is not None), None)
    if rate is None:
        return
    verdict.benefit_evidence = [b.evidence for b in own + shared]
    if profile.spend_cny is None:
        verdict.benefit_explanation = f"按实际支付费用的{rate.rate:.0%}给予支持" + (
            f"，最高{_yuan(rate.cap_cny)}" if rate.cap_cny else "") + "；提供支出金额即可估算。"
        return
    if measure.minimum_contract_cny and profile.spend_cny < measure.minimum_contract_cny:
        verdict.benefit_cny = 0.0
        verdict.benefit_explanation = f"支出{_yuan(profile.spend_cny)}低于{_yuan(measure.minimum_contract_cny)}，不纳入支持范围。"
        if measure.minimum_contract_evidence:
            verdict.benefit_evidence.append(measure.minimum_contract_evidence)
        return
    amount = rate.rate * profile.spend_cny
    text = f"{_yuan(profile.spend_cny)} × {rate.rate:.0%} = {_yuan(amount)}"
    if rate.cap_cny and amount > rate.cap_cny:
        amount = rate.cap_cny
        text += f"，超过上限，按{_yuan(rate.cap_cny)}计"
    for cap in shared:
        if cap.cap_cny:
            text += f"；与同一文件其他支持合计不超过{_yuan(cap.cap_cny)}"
    verdict.benefit_cny = amount
    verdict.benefit_explanation = text


def check_profile(documents: list[Document], profile: Profile, measure_names: list[str] | None = None) -> EligibilityResult:
    """Every measure of every document (or those whose name mentions one of ``measure_names``)."""
    verdicts = []
    for document in documents:
        for measure in document.measures:
            if measure_names and not any(name in measure.name for name in measure_names):
                continue
            verdicts.append(evaluate_measure(measure, profile))
    order = {"eligible": 0, "undetermined": 1, "not_eligible": 2}
    # Concrete measures (with conditions) before those a document only mentions.
    verdicts.sort(key=lambda v: (v.note is not None, order[v.verdict], -len(v.met)))
    return EligibilityResult(profile=profile, verdicts=verdicts)


def describe_profile(profile: Profile) -> str:
    """The profile in words, as the answer repeats it back."""
    parts = []
    if profile.type:
        parts.append(APPLICANT_NAMES[profile.type])
    if profile.region:
        parts.append(f"注册地{profile.region}")
    if profile.annual_revenue_cny is not None:
        parts.append(f"上一年度营业收入{_yuan(profile.annual_revenue_cny)}")
    if profile.employees is not None:
        parts.append(f"从业人员{profile.employees}人")
    if profile.legal_person is False:
        parts.append("不具有独立法人资格")
    if profile.spend_cny is not None:
        parts.append(f"相关支出{_yuan(profile.spend_cny)}")
    return "，".join(parts)


def plan_evidence(plan, verdict: MeasureVerdict) -> Evidence | None:
    """Where a measure without conditions is mentioned, so the answer can cite it."""
    for document in plan.documents.values():
        for measure in document.measures:
            if measure.name == verdict.measure and document.title == verdict.doc_title:
                return measure.mentioned_in
    return None


# --- facts stated in a chat question ----------------------------------------------------
_AMOUNT = r"(\d+(?:\.\d+)?)\s*(亿|千万|百万|万)?\s*元?"
_UNITS = {"亿": 1e8, "千万": 1e7, "百万": 1e6, "万": 1e4, None: 1.0, "": 1.0}


def profile_from_text(text: str, places: list[str]) -> Profile:
    """The facts a question states about the asker ("我们公司去年营收3亿元，150人…")."""
    facts: dict = {}
    revenue = re.search(rf"(营收|营业收入|收入|销售额)[^\d，。；]{{0,6}}{_AMOUNT}", text)
    if revenue:
        facts["annual_revenue_cny"] = float(revenue.group(2)) * _UNITS[revenue.group(3)]
    insured = re.search(r"(社保|参保)[^\d，。；]{0,8}(\d+)\s*(人|名)", text)
    if insured:
        facts["insured_employees"] = int(insured.group(2))
    people = re.search(r"(\d+)\s*(人|名员工|个员工|名职工)(?!民币)", text)
    if people and not (insured and people.start() == insured.start(2)):
        facts["employees"] = int(people.group(1))
    spend = re.search(rf"(花了|支出|费用|花费|采购了?|购买了?)[^\d，。；]{{0,8}}{_AMOUNT}", text)
    if spend:
        facts["spend_cny"] = float(spend.group(2)) * _UNITS[spend.group(3)]
    for place in places:
        if place and (place in text or _place_stem(place) in text):
            facts["region"] = place
            break
    if "分公司" in text:
        facts["legal_person"] = False
    if re.search(r"高校|大学|学院", text):
        facts["type"] = "university"
    elif re.search(r"科研院所|研究院|研究所", text):
        facts["type"] = "institute"
    elif re.search(r"公司|企业|我们厂", text):
        facts["type"] = "enterprise"
    elif re.search(r"我是个人|个人(能|可以)", text):
        facts["type"] = "individual"
    if re.search(r"关联(方|公司|企业)", text):
        facts["related_party_purchase"] = not re.search(r"不是关联|非关联", text)
    if re.search(r"(已经|已)(拿|获得|申请到|拿到)(过|了)?.{0,10}(资金|补贴|补助|支持)", text):
        facts["other_public_funding"] = True
    if re.search(r"失信", text):
        facts["good_credit"] = bool(re.search(r"(没有|未|不在).{0,4}失信", text))
    if re.search(r"人工智能|AI|大模型|算法", text, re.I):
        facts["industry"] = "人工智能"
    return Profile(**facts)


def states_profile_facts(text: str) -> bool:
    """Whether a question describes the asker (then it is an eligibility question, not a lookup)."""
    return bool(re.search(r"(营收|营业收入|收入|销售额|员工|职工|社保|参保|分公司|关联方|失信|注册在|成立\d|花了|支出)", text))
