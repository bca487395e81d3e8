"""Eligibility check: a profile against every support measure, condition by condition, each cited.

Verdicts rest only on conditions extracted from clauses (ingest/conditions.py). A fact the
profile does not give makes a condition "unknown" and becomes a follow-up question; a measure
whose document states no condition is "undetermined", never "eligible". The benefit shows its
arithmetic, each number with the clause it comes from, and never exceeds a cap that applies.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.router import PROVINCES, WITHIN
from ingest.conditions import extract_measures, mentioned_types
from ingest.lexicon import load_lexicon
from ingest.models import Benefit, Condition, Document, Evidence, Measure

Status = Literal["met", "failed", "unknown"]
Verdict = Literal["eligible", "not_eligible", "undetermined"]

APPLICANT_NAMES = {"enterprise": "企业", "university": "高校", "institute": "科研院所", "individual": "个人"}
VERDICT_NAMES = {"eligible": "符合", "not_eligible": "不符合", "undetermined": "尚不能确定"}
NO_CONDITIONS_NOTE = "文件未规定具体的申请条件（如注册地、营收、规模等），能否获得支持以后续实施细则或主管部门的解释为准。"


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
    service_in_scope: bool | None = Field(default=None, description="The service bought is of the kind the document supports.")
    spend_cny: float | None = Field(default=None, ge=0, description="Eligible spend (fees, contract, purchase), to compute the benefit.")
    tier: str | None = Field(default=None, description="Which case of a tiered measure applies, in the document's words: 智能算力, A类人才, 省级.")
    interest_cny: float | None = Field(default=None, ge=0, description="Loan interest actually paid (for 贷款贴息).")
    sales_cny: float | None = Field(default=None, ge=0, description="Sales price or amount of the product (for 首台套 rewards).")
    investment_cny: float | None = Field(default=None, ge=0, description="Total investment of the project.")
    rd_spend_cny: float | None = Field(default=None, ge=0, description="Last year's R&D spend.")
    rd_staff: int | None = Field(default=None, ge=0, description="R&D staff.")
    taxable_income_cny: float | None = Field(default=None, ge=0, description="Annual taxable income.")
    age: int | None = Field(default=None, ge=0, le=150, description="Age of an individual applicant.")
    contract_years: float | None = Field(default=None, ge=0, description="Length of the labour contract, in years.")
    full_time: bool | None = Field(default=None, description="Works full-time in the place.")
    certifications: list[str] = Field(default_factory=list, description="Recognitions held, e.g. 高新技术企业.")


class Check(BaseModel):
    kind: str
    status: Status
    requirement: str
    evidence: Evidence
    follow_up: str | None = None


class BenefitStep(BaseModel):
    """One step of the benefit's arithmetic and the clause its number comes from (None for the profile's own figure)."""

    text: str
    evidence: Evidence | None = None


class MeasureVerdict(BaseModel):
    measure: str
    kind: str = ""
    doc_title: str
    source: str
    jurisdiction: str | None
    verdict: Verdict
    reason: str = Field(default="", description="Why, in one sentence of plain Chinese.")
    deciding: Evidence | None = Field(default=None, description="The clause the verdict turns on.")
    failed: list[Check] = Field(default_factory=list)
    missing: list[Check] = Field(default_factory=list)
    met: list[Check] = Field(default_factory=list)
    benefit_cny: float | None = None
    cap_cny: float | None = Field(default=None, description="The lowest cap that applies to this applicant, if any.")
    benefit_explanation: str | None = None
    benefit_steps: list[BenefitStep] = Field(default_factory=list)
    benefit_evidence: list[Evidence] = Field(default_factory=list)
    note: str | None = None
    window: Evidence | None = None
    agency: str | None = None
    materials: Evidence | None = None

    @property
    def follow_up_questions(self) -> list[str]:
        return [c.follow_up for c in self.missing if c.follow_up]


class UnconditionedDocument(BaseModel):
    """A document whose measures set no concrete condition: said once, not per measure."""

    doc_title: str
    jurisdiction: str | None
    note: str
    measures: list[str]
    evidence: list[Evidence] = Field(default_factory=list)


class EligibilityResult(BaseModel):
    profile: Profile
    verdicts: list[MeasureVerdict]
    unconditioned: list[UnconditionedDocument] = Field(default_factory=list)

    @property
    def concrete(self) -> list[MeasureVerdict]:
        """Verdicts of measures whose documents set conditions, what applies first."""
        return [v for v in self.verdicts if v.note is None]


def yuan(amount: float) -> str:
    if amount >= 100_000_000:
        return f"{amount / 100_000_000:g}亿元"
    if amount >= 10_000:
        return f"{round(amount / 10_000, 4):g}万元"
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


_OPS = {"le": (lambda a, b: a <= b, "不超过"), "lt": (lambda a, b: a < b, "低于"),
        "ge": (lambda a, b: a >= b, "不低于"), "gt": (lambda a, b: a > b, "超过")}


def _amount_text(value: float, unit: str) -> str:
    return yuan(value) if unit == "money" else f"{value:g}{unit}"


def check_condition(condition: Condition, profile: Profile) -> Check | None:
    """One condition against the profile; None for conditions a profile cannot speak to."""
    lex = load_lexicon()
    ev, value = condition.evidence, condition.value
    if condition.applicants and profile.type and profile.type not in condition.applicants:
        return None  # written for another kind of applicant ("申请企业应当…" does not bind a university)
    measured = lex.measured_kind(condition.kind.rsplit("_", 1)[0]) if condition.op else None
    if measured:
        compare, word = _OPS[condition.op]
        requirement = f"{measured.label}{word}{_amount_text(float(value), measured.unit)}"
        given = getattr(profile, measured.field, None)
        if given is None:
            return Check(kind=condition.kind, status="unknown", requirement=requirement, evidence=ev, follow_up=measured.ask)
        return Check(kind=condition.kind, status="met" if compare(float(given), float(value)) else "failed",
                     requirement=requirement, evidence=ev)
    flag = lex.flag(condition.kind)
    if flag is not None:
        if not flag.field:
            return None
        given = getattr(profile, flag.field, None)
        if given is None:
            return Check(kind=condition.kind, status="unknown", requirement=flag.label, evidence=ev, follow_up=flag.ask)
        return Check(kind=condition.kind, status="met" if given == flag.wanted else "failed", requirement=flag.label, evidence=ev)
    match condition.kind:
        case "region":
            status = _region_status(str(value), profile.region)
            return Check(kind="region", status=status, requirement=f"在{value}注册登记", evidence=ev,
                         follow_up=None if status != "unknown" else "贵单位在哪个市（县、区）注册登记？")
        case "industry":
            requirement = f"主营业务属于{value}领域"
            if not profile.industry:
                return Check(kind="industry", status="unknown", requirement=requirement, evidence=ev,
                             follow_up=f"贵单位主营业务是否属于{value}领域，或使用{value}技术开展经营？")
            given = re.sub("ai", "人工智能", profile.industry, flags=re.I)
            status: Status = "met" if str(value) in given or given in str(value) else "unknown"
            return Check(kind="industry", status=status, requirement=requirement, evidence=ev,
                         follow_up=None if status == "met" else f"贵单位是否使用{value}技术开展研发、生产或经营？")
        case "certification":
            requirement = f"已被认定为{value}"
            if any(str(value) in held or held in str(value) for held in profile.certifications):
                return Check(kind="certification", status="met", requirement=requirement, evidence=ev)
            return Check(kind="certification", status="unknown", requirement=requirement, evidence=ev,
                         follow_up=f"贵单位是否已被认定为{value}？")
        case "stated":
            return Check(kind="stated", status="unknown", requirement=str(value), evidence=ev,
                         follow_up=f"是否符合“{str(value).rstrip('；。')}”？")
    return None


def _applies_to(term: Benefit, profile: Profile) -> bool:
    return not term.applicants or profile.type is None or profile.type in term.applicants


def choose_tier(terms: list[Benefit], text: str | None) -> Benefit | None:
    """The tiered term ``text`` names (智能算力 → "企业购买智能算力服务的"), if exactly one."""
    if not text:
        return None
    tiered = [t for t in terms if t.tier]
    for test in (lambda t: text in t.tier, lambda t: t.tier_key and t.tier_key in text,
                 lambda t: t.tier_key and len(t.tier_key) > 2 and t.tier_key[:-1] in text):
        found = [t for t in tiered if test(t)]
        if len({t.tier for t in found}) == 1:
            return found[0]
    return None


def compute_benefit(measure: Measure, profile: Profile, verdict: MeasureVerdict) -> None:
    """The benefit for this applicant: rate × base or a fixed amount, then every cap that applies."""
    terms = [t for t in measure.benefits if _applies_to(t, profile) and not t.budget]
    if profile.type is None and len({tuple(t.applicants) for t in terms if t.applicants}) > 1:
        names = "；".join(
            f"{'、'.join(APPLICANT_NAMES[a] for a in t.applicants)}：{_term_text(t)}" for t in terms if t.applicants and (t.rate or t.cap_cny))
        verdict.benefit_explanation = f"支持标准因申请主体而异（{names}）；说明申请主体即可估算。"
        verdict.benefit_evidence = [t.evidence for t in terms if t.applicants]
        return
    chosen_tier = choose_tier(terms, profile.tier)
    if chosen_tier is not None:
        terms = [t for t in terms if not t.tier or t.tier == chosen_tier.tier]
    elif any(t.tier for t in terms if t.rate or t.amount_cny):
        tiers = [t for t in terms if t.tier]
        verdict.benefit_explanation = "支持标准分档：" + "；".join(f"{t.tier.rstrip('的')}，{_term_text(t)}" for t in tiers) + "。说明适用哪一档即可估算。"
        verdict.benefit_evidence = list({t.evidence.quote: t.evidence for t in tiers}.values())
        return
    caps = [t for t in terms if t.cap_cny is not None]
    rate = next((t for t in terms if t.rate is not None), None)
    fixed = next((t for t in terms if t.amount_cny is not None), None)
    tax = next((t for t in terms if t.tax_rate is not None), None)
    steps: list[BenefitStep] = []
    amount: float | None = None
    if rate is not None:
        base = getattr(profile, rate.base or "spend_cny", None)
        if base is None:
            steps.append(BenefitStep(text=f"按{rate.base_label}的{rate.rate:.0%}计算", evidence=rate.evidence))
            steps += [BenefitStep(text=f"上限{yuan(c.cap_cny)}", evidence=c.evidence) for c in caps]
            _finish(verdict, steps, None, caps, note=f"提供{rate.base_label}即可估算。")
            return
        if rate.base == "spend_cny" and measure.minimum_contract_cny and base < measure.minimum_contract_cny:
            steps.append(BenefitStep(text=f"支出{yuan(base)}低于{yuan(measure.minimum_contract_cny)}，不纳入支持范围",
                                     evidence=measure.minimum_contract_evidence))
            _finish(verdict, steps, 0.0, caps)
            return
        amount = rate.rate * base
        steps.append(BenefitStep(text=f"{rate.base_label}{yuan(base)} × {rate.rate:.0%} = {yuan(amount)}", evidence=rate.evidence))
    elif fixed is not None:
        amount = fixed.amount_cny
        steps.append(BenefitStep(text=f"{(fixed.tier or '').rstrip('的')}给予{yuan(amount)}".lstrip(), evidence=fixed.evidence))
    elif tax is not None:
        steps.append(BenefitStep(text=f"减按{tax.tax_rate:.0%}的税率征收", evidence=tax.evidence))
        _finish(verdict, steps, None, caps)
        return
    elif caps:
        steps += [BenefitStep(text=f"最高{yuan(c.cap_cny)}", evidence=c.evidence) for c in caps]
        _finish(verdict, steps, None, caps, note="文件只规定了上限，具体金额以主管部门核定为准。")
        return
    else:
        return
    for cap in sorted(caps, key=lambda c: c.cap_cny):
        if amount > cap.cap_cny:
            steps.append(BenefitStep(text=f"超过上限{yuan(cap.cap_cny)}，按{yuan(cap.cap_cny)}计", evidence=cap.evidence))
            amount = cap.cap_cny
        else:
            steps.append(BenefitStep(text=f"未超过上限{yuan(cap.cap_cny)}", evidence=cap.evidence))
    _finish(verdict, steps, amount, caps)


def _term_text(term: Benefit) -> str:
    if term.rate is not None:
        return f"按{term.base_label}的{term.rate:.0%}"
    if term.amount_cny is not None:
        return f"{yuan(term.amount_cny)}"
    if term.tax_rate is not None:
        return f"减按{term.tax_rate:.0%}的税率"
    return f"最高{yuan(term.cap_cny)}" if term.cap_cny else ""


def _finish(verdict: MeasureVerdict, steps: list[BenefitStep], amount: float | None, caps: list[Benefit], note: str = "") -> None:
    verdict.benefit_steps = steps
    verdict.benefit_cny = amount
    applicable = [c.cap_cny for c in caps]
    verdict.cap_cny = min(applicable) if applicable else None
    verdict.benefit_explanation = "；".join(s.text for s in steps) + ("；" + note if note else "")
    verdict.benefit_evidence = list({(e.clause_id, e.quote): e for e in (s.evidence for s in steps) if e}.values())


def _budget_note(measure: Measure) -> BenefitStep | None:
    budget = next((t for t in measure.benefits if t.budget and t.cap_cny), None)
    if budget is None:
        return None
    return BenefitStep(text=f"（年度资金总额{yuan(budget.cap_cny)}是全部申请者共用的预算，不是单个申请者的上限）", evidence=budget.evidence)


def evaluate_measure(measure: Measure, profile: Profile) -> MeasureVerdict:
    checks: list[Check] = []
    own_region = any(c.kind == "region" and (not c.applicants or profile.type is None or profile.type in c.applicants)
                     for c in measure.conditions)
    if measure.jurisdiction and not own_region:
        # A document's rules apply in its jurisdiction even when no clause says "在…注册".
        evidence = measure.granted_by or measure.mentioned_in or Evidence(quote=measure.doc_title, clause="", clause_id="")
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
        evidence = measure.applicant_evidence
        if profile.type in measure.applicants and profile.type not in mentioned_types(evidence.quote, load_lexicon()):
            # Admitted by an applicant-type article ("高等院校…参照本办法执行"): cite that article.
            evidence = next((t.evidence for t in measure.benefits if profile.type in t.applicants), evidence)
        checks.append(Check(kind="applicant_type", status=status, requirement=f"申请主体为{names}", evidence=evidence,
                            follow_up="申请主体是企业、高校、科研院所还是个人？" if status == "unknown" else None))
    for condition in measure.conditions + measure.exclusions:
        check = check_condition(condition, profile)
        if check and not any(c.kind == check.kind and c.status == check.status and c.requirement == check.requirement for c in checks):
            checks.append(check)

    failed = [c for c in checks if c.status == "failed"]
    missing = [c for c in checks if c.status == "unknown"]
    verdict_value: Verdict = "not_eligible" if failed else "undetermined" if missing else "eligible"
    note = None
    if not measure.conditions and not failed:
        # Nothing to ask the applicant: the document itself leaves the conditions open.
        verdict_value, missing, note = "undetermined", [], NO_CONDITIONS_NOTE

    verdict = MeasureVerdict(
        measure=measure.name, kind=measure.kind, doc_title=measure.doc_title, source=measure.source,
        jurisdiction=measure.jurisdiction, verdict=verdict_value, failed=failed, missing=missing,
        met=[c for c in checks if c.status == "met"], note=note, window=measure.window, agency=measure.agency,
        materials=measure.materials,
    )
    if verdict_value == "not_eligible":
        verdict.reason, verdict.deciding = f"不满足：{failed[0].requirement}", failed[0].evidence
    elif note:
        verdict.reason, verdict.deciding = "文件未规定具体的申请条件", measure.granted_by or measure.mentioned_in
    elif missing:
        verdict.reason = "需要确认：" + "；".join(dict.fromkeys(c.follow_up or c.requirement for c in missing))
        verdict.deciding = missing[0].evidence
    else:
        verdict.reason = f"满足文件列出的全部{len(verdict.met)}项条件" if verdict.met else "文件列出的条件均已满足"
        verdict.deciding = measure.granted_by
    if verdict_value != "not_eligible":
        compute_benefit(measure, profile, verdict)
        if verdict_value == "eligible" and verdict.benefit_steps and verdict.benefit_steps[0].evidence:
            verdict.deciding = verdict.benefit_steps[0].evidence  # the article that grants this applicant its amount
        budget = _budget_note(measure)
        if budget and verdict.benefit_steps:
            verdict.benefit_steps.append(budget)
            verdict.benefit_explanation = (verdict.benefit_explanation or "") + budget.text
            verdict.benefit_evidence.append(budget.evidence)
    return verdict


_MEASURES: dict[tuple[str, str], tuple[Measure, ...]] = {}


def measures_of(document: Document) -> list[Measure]:
    """The document's measures, extracted again with the current lexicon (an index built by an older
    version keeps older measures; extraction depends only on the clauses), once per document version."""
    key = (document.doc_id, document.content_hash)
    if key not in _MEASURES:
        if len(_MEASURES) > 512:
            _MEASURES.clear()
        _MEASURES[key] = tuple(extract_measures(document))
    return list(_MEASURES[key])


_ORDER = {"eligible": 0, "undetermined": 1, "not_eligible": 2}


def check_profile(documents: list[Document], profile: Profile, measure_names: list[str] | None = None) -> EligibilityResult:
    """Every measure of every document (or those whose name mentions one of ``measure_names``), what applies first."""
    verdicts = []
    for document in documents:
        for measure in measures_of(document):
            if measure_names and not any(name in measure.name or measure.name in name for name in measure_names):
                continue
            verdicts.append(evaluate_measure(measure, profile))
    # Concrete measures (with conditions) before those a document only mentions.
    verdicts.sort(key=lambda v: (v.note is not None, _ORDER[v.verdict], -(v.benefit_cny or 0), -len(v.met)))
    unconditioned: dict[str, UnconditionedDocument] = {}
    for v in verdicts:
        if v.note is not None:
            entry = unconditioned.setdefault(v.doc_title, UnconditionedDocument(
                doc_title=v.doc_title, jurisdiction=v.jurisdiction, note=NO_CONDITIONS_NOTE, measures=[]))
            entry.measures.append(v.measure)
            if v.deciding and v.deciding not in entry.evidence:
                entry.evidence.append(v.deciding)
    return EligibilityResult(profile=profile, verdicts=verdicts, unconditioned=list(unconditioned.values()))


def describe_profile(profile: Profile) -> str:
    """The profile in words, as the answer repeats it back."""
    parts = []
    if profile.type:
        parts.append(APPLICANT_NAMES[profile.type])
    if profile.region:
        parts.append(f"{'所在地' if profile.type == 'individual' else '注册地'}{profile.region}")
    if profile.industry:
        parts.append(f"行业{profile.industry}")
    if profile.annual_revenue_cny is not None:
        parts.append(f"上一年度营业收入{yuan(profile.annual_revenue_cny)}")
    if profile.employees is not None:
        parts.append(f"从业人员{profile.employees}人")
    if profile.insured_employees is not None:
        parts.append(f"缴纳社保{profile.insured_employees}人")
    if profile.legal_person is False:
        parts.append("不具有独立法人资格")
    if profile.tier:
        parts.append(f"类别{profile.tier}")
    for field, label in (("spend_cny", "相关支出"), ("interest_cny", "实际支付利息"), ("sales_cny", "销售金额"),
                         ("investment_cny", "项目总投资"), ("rd_spend_cny", "研发投入")):
        if getattr(profile, field) is not None:
            parts.append(f"{label}{yuan(getattr(profile, field))}")
    return "，".join(parts)


def plan_evidence(plan, verdict: MeasureVerdict) -> Evidence | None:
    """Where a measure without conditions is granted or mentioned, so the answer can cite it."""
    return verdict.deciding


# --- the chat answer -----------------------------------------------------------------------
def compose_answer(result: EligibilityResult, cite: Callable[[Evidence], str], limit: int = 6,
                   policy_places: list[str] | None = None) -> str:
    """The eligibility answer in plain Chinese: each verdict with its reason, deciding clause and benefit
    arithmetic (``cite`` turns evidence into a citation marker); a document without conditions said once."""
    facts = describe_profile(result.profile)
    scope = f"（所问政策：{'、'.join(policy_places)}）" if policy_places else ""
    lines = [f"按您提供的情况（{facts or '尚未提供具体情况'}）{scope}，逐项对照已收录文件中的条件："]
    local = {_place_stem(v.jurisdiction or "") for v in result.verdicts}
    for place in policy_places or []:
        if _place_stem(place) not in local:
            lines.append(f"已收录的文件中没有{place}本地的实施细则，以下是适用于{place}的上级文件。")
    for verdict in result.concrete[:limit]:
        place = f"，适用于{verdict.jurisdiction}" if verdict.jurisdiction else ""
        lines.append(f"\n**{verdict.measure}**（《{verdict.doc_title}》{place}）：{VERDICT_NAMES[verdict.verdict]}")
        if verdict.benefit_steps:
            lines.append("- 支持金额：" + "；".join(s.text + (cite(s.evidence) if s.evidence else "") for s in verdict.benefit_steps))
        elif verdict.benefit_explanation:
            lines.append(f"- 支持标准：{verdict.benefit_explanation}" + "".join(cite(e) for e in verdict.benefit_evidence))
        for check in verdict.failed:
            lines.append(f"- 不满足：{check.requirement}{cite(check.evidence)}")
        if verdict.verdict != "not_eligible":  # once a condition fails, the open questions no longer matter
            for check in verdict.missing:
                lines.append(f"- 需要确认：{check.follow_up or check.requirement}{cite(check.evidence)}")
    for entry in result.unconditioned:
        refs = "".join(cite(e) for e in entry.evidence[:3])
        lines.append(f"\n《{entry.doc_title}》提到的{'、'.join(entry.measures[:8])}：{entry.note}{refs}")
    return "\n".join(lines)


# --- facts stated in a chat question ----------------------------------------------------
_AMOUNT = r"(\d+(?:\.\d+)?)\s*(亿|千万|百万|万)?\s*元?"
_UNITS = {"亿": 1e8, "千万": 1e7, "百万": 1e6, "万": 1e4, None: 1.0, "": 1.0}
# A place is the asker's registration when these words lead to it, the policy's when these follow it.
_REGISTERED_BEFORE = re.compile(r"(注册在|注册地(是|为|在)?|注册于|位于|落户(在|于)?|设在|总部在|坐落(在|于)|来自|我们在|公司在|企业在|我们是|我们公司是|我司在|我司是)\s*$")
_POLICY_AFTER = re.compile(r"^\s*(市|省|区|县)?\s*(的|出台的|发布的)?\s*[\u4e00-\u9fff]{0,6}?(政策|券|补贴|补助|奖励|资助|贴息|措施|办法|细则|文件|扶持|支持)")
_POLICY_BEFORE = re.compile(r"(申请|享受|拿|领|用)\s*$")


def place_roles(text: str, places: list[str]) -> tuple[list[str], list[str]]:
    """(registration places, policy places) named in ``text``: "注册在宁波，能申请杭州的算力券吗" →
    (宁波市, 杭州市). A place neither way marked is the asker's, as "我们公司在示例市" is."""
    registered: list[tuple[int, str]] = []
    policy: list[tuple[int, str]] = []
    seen: set[str] = set()
    for place in sorted(set(places), key=len, reverse=True):
        for name in dict.fromkeys([place, _place_stem(place)]):
            if len(name) < 2:
                continue
            for match in re.finditer(re.escape(name), text):
                follows = text[match.end(): match.end() + 1]
                if name != place and follows in "省市区县" and follows and not place.endswith(follows):
                    continue  # "样例市" is not the stem of 样例省
                if any(match.start() >= s and match.end() <= s + len(p) for s, p in registered + policy if p != name):
                    continue
                if (match.start(), place) in seen:
                    continue
                seen.add((match.start(), place))
                before, after = text[max(0, match.start() - 8): match.start()], text[match.end(): match.end() + 12]
                if _REGISTERED_BEFORE.search(before):
                    registered.append((match.start(), place))
                elif _POLICY_AFTER.search(after) or _POLICY_BEFORE.search(before):
                    policy.append((match.start(), place))
                else:
                    registered.append((match.start(), place))
    full = lambda found: list(dict.fromkeys(p for _, p in sorted(found)))  # noqa: E731
    return full(registered), full(policy)


def _facts(text: str, places: list[str]) -> dict:
    facts: dict = {}
    revenue = re.search(rf"(营收|营业收入|收入|销售额)[^\d，。；]{{0,6}}{_AMOUNT}", text)
    if revenue:
        facts["annual_revenue_cny"] = float(revenue.group(2)) * _UNITS[revenue.group(3)]
    insured = re.search(r"(社保|参保)[^\d，。；]{0,8}(\d+)\s*(人|名)", text)
    if insured:
        facts["insured_employees"] = int(insured.group(2))
    people = re.search(r"(\d+)\s*(人|名员工|个员工|名职工)(?!民币)", text)
    if people and not (insured and people.start() == insured.start(2)) and not re.search(r"研发(人员)?[^\d，。；]{0,4}$", text[: people.start()]):
        facts["employees"] = int(people.group(1))
    spend = re.search(rf"(花了|支出|费用|花费|采购了?|购买了?|合同金额|合同)[^\d，。；]{{0,8}}{_AMOUNT}", text)
    if spend:
        facts["spend_cny"] = float(spend.group(2)) * _UNITS[spend.group(3)]
    for field, pattern in (("interest_cny", r"利息"), ("sales_cny", r"(销售价格|售价|卖了|销售额)"),
                           ("investment_cny", r"(总投资|投资额|投资了?)"), ("rd_spend_cny", r"研发(投入|费用)"),
                           ("taxable_income_cny", r"应纳税所得额")):
        found = re.search(rf"{pattern}[^\d，。；]{{0,6}}{_AMOUNT}", text)
        if found:
            facts[field] = float(found.group(found.lastindex - 1)) * _UNITS[found.group(found.lastindex)]
    rd_staff = re.search(r"研发(人员)?[^\d，。；]{0,4}(\d+)\s*(人|名)", text)
    if rd_staff:
        facts["rd_staff"] = int(rd_staff.group(2))
    contract = re.search(r"(\d+)\s*年(以上)?的?(劳动|聘用)?合同", text)
    if contract:
        facts["contract_years"] = float(contract.group(1))
    if re.search(r"兼职|不是全职|非全职", text):
        facts["full_time"] = False
    elif "全职" in text:
        facts["full_time"] = True
    age = re.search(r"(\d{2})\s*(岁|周岁)", text)
    if age:
        facts["age"] = int(age.group(1))
    registered, _ = place_roles(text, places)
    if registered:
        facts["region"] = registered[0]
    if "分公司" in text:
        facts["legal_person"] = False
    if re.search(r"(^|[，。；？！\s])我(?!们|司|单位|公司)|本人|我个人", text) and not re.search(r"我们|我司", text):
        facts["type"] = "individual"
    elif re.search(r"高校|大学|学院", text):
        facts["type"] = "university"
    elif re.search(r"科研院所|研究院|研究所", text):
        facts["type"] = "institute"
    elif re.search(r"公司|企业|我们厂", text):
        facts["type"] = "enterprise"
    elif re.search(r"我是个人|个人(能|可以)|我本人", text):
        facts["type"] = "individual"
    if re.search(r"关联(方|公司|企业)", text):
        facts["related_party_purchase"] = not re.search(r"不是关联|非关联|没有关联", text)
    if re.search(r"(没有|没|未|从未)(拿|获得|申请到|拿到|享受)(过|到)?.{0,10}(资金|补贴|补助|支持|奖励)", text):
        facts["other_public_funding"] = False
    elif re.search(r"(已经|已)(拿|获得|申请到|拿到|享受)(过|了)?.{0,10}(资金|补贴|补助|支持|奖励)", text):
        facts["other_public_funding"] = True
    if re.search(r"失信", text):
        facts["good_credit"] = bool(re.search(r"(没有|未|不在).{0,4}失信", text))
    if re.search(r"(服务商|供应商).{0,6}(不在|没在|未列入|没有列入).{0,4}目录", text):
        facts["provider_listed"] = False
    elif re.search(r"(服务商|供应商).{0,6}(在|列入|纳入).{0,4}目录", text):
        facts["provider_listed"] = True
    if re.search(r"人工智能|AI|大模型|算法", text, re.I):
        facts["industry"] = "人工智能"
    if re.search(r"高新技术企业|高企", text) and not re.search(r"(不是|没有|未).{0,4}(高新技术企业|高企)", text):
        facts["certifications"] = ["高新技术企业"]
    return facts


def profile_from_text(text: str, places: list[str]) -> Profile:
    """The facts a question states about the asker ("我们公司去年营收3亿元，150人…"); over several turns
    (joined in order), a later statement of the same fact replaces an earlier one."""
    facts: dict = {}
    for part in re.split(r"(?<=[。？！?!])\s*|\s{1,}", text):
        if part.strip():
            facts.update(_facts(part, places))
    return Profile(**facts)


def policy_places(text: str, places: list[str]) -> list[str]:
    """The places of the policies a question asks about ("杭州的算力券"), kept apart from the asker's."""
    return place_roles(text, places)[1]


def tier_from_text(text: str, measures: list[Measure]) -> str | None:
    """The tier of a tiered measure the question names ("买智能算力花了…" → 智能算力)."""
    for measure in measures:
        chosen = choose_tier([t for t in measure.benefits if t.tier], text)
        if chosen is not None:
            return chosen.tier_key or chosen.tier
    return None


def states_profile_facts(text: str) -> bool:
    """Whether a question describes the asker (then it is an eligibility question, not a lookup)."""
    return bool(re.search(r"(营收|营业收入|收入|销售额|员工|职工|社保|参保|分公司|关联方|失信|注册在|注册地|成立\d|花了|支出|利息|总投资)", text))


class ChatEligibility(BaseModel):
    """What a chat conversation asks: the asker's profile, the policy places and measures it names, the verdicts."""

    profile: Profile
    policy_places: list[str] = Field(default_factory=list)
    measure_names: list[str] = Field(default_factory=list)
    result: EligibilityResult


def _covers(jurisdiction: str | None, place: str) -> bool:
    if not jurisdiction:
        return False
    stem, wanted = _place_stem(jurisdiction), _place_stem(place)
    return stem == wanted or wanted in WITHIN.get(stem, [])


def chat_eligibility(question: str, asker_said: str, documents: list[Document], places: list[str]) -> ChatEligibility | None:
    """Verdicts for the measures a conversation names (or all that set conditions), with the asker's facts
    from every turn kept apart from the places of the policies asked about; None when nothing applies."""
    said = asker_said or question
    wanted = policy_places(question, places) or policy_places(said, places)
    if wanted:
        documents = [d for d in documents if any(_covers(d.jurisdiction, p) for p in wanted)]
        if not documents:
            return None  # no document covers the place asked about: not for this check to answer
    measures = [m for d in documents for m in measures_of(d)]
    # "算力券" or just "算力" ("买算力花了500万元") names the measure.
    kinds = {k.kind: k.cue for k in load_lexicon().measure_kinds if k.kind != "voucher"}

    def named_in(text: str) -> list[str]:
        exact = {m.name for m in measures if m.name in text}
        prefix = {m.name for m in measures if len(m.name) == 3 and m.name[:2] in text}
        by_kind = {m.name for m in measures if m.kind in kinds and kinds[m.kind].search(text)}  # "能拿多少贴息"
        return sorted(exact or prefix or by_kind, key=len, reverse=True)
    named = named_in(question) or named_in(said)
    if not named and not any(m.conditions for m in measures):
        return None
    profile = profile_from_text(said, places)
    if profile.tier is None:
        tier = tier_from_text(said, [m for m in measures if not named or m.name in named])
        if tier:
            profile = profile.model_copy(update={"tier": tier})
    result = check_profile(documents, profile, named or None)
    if not named:
        result.verdicts = [v for v in result.verdicts if v.failed or v.met or v.missing]
        result.unconditioned = []
    if not result.verdicts:
        return None
    return ChatEligibility(profile=profile, policy_places=wanted, measure_names=named, result=result)
