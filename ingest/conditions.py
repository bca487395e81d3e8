"""Support measures and their conditions, extracted from the clause tree by rules (offline).

Every field keeps the verbatim sentence it came from and its clause path, so a verdict can
always quote the condition it rests on. A document that states no concrete condition yields
measures with empty conditions, never invented ones.
"""

from __future__ import annotations

import re

from ingest.models import Benefit, Clause, Condition, Document, Evidence, Measure, content_id

_SENTENCE_RE = re.compile(r"[^。；！？\n]*(?:[。；！？]+[”’）]*|\n|$)")
_NUMBER = r"(\d+(?:\.\d+)?)"
_UNIT = {"亿": 100_000_000, "万": 10_000, "千": 1_000, "": 1}

# Vouchers are named by two characters and 券: 算力券, 智能券, 创新券.
_VOUCHER_RE = re.compile(r"[\u4e00-\u9fff]{2}券")
_CONDITIONS_HEAD_RE = re.compile(r"条件|对象|范围|资格")
_EXCLUSION_HEAD_RE = re.compile(r"不予支持|不予受理|不得申请|不予资助|不支持")
_SUPPORT_HEAD_RE = re.compile(r"支持|保障|供给|扶持|激励|奖励|补贴|资助")
_SUPPORT_SENTENCE_RE = re.compile(r"(享受|给予|予以|提供).{0,20}(支持|保障|补贴|补助|奖励|资金|融资)|发放|纳入.{0,10}(体系|项目库)")

APPLICANT_TYPES = {
    "enterprise": re.compile(r"企业|公司"),
    "university": re.compile(r"高校|高等院校|高等学校|大学"),
    "institute": re.compile(r"科研院所|科研机构|研究机构|研究院"),
    "individual": re.compile(r"个人|自然人|人才"),
}
_EXCLUSIONS = [
    ("related_party", re.compile(r"关联方|关联企业|关联关系")),
    ("double_funding", re.compile(r"重复(支持|申报|资助)|已获得.{0,20}(资金|资助|支持)")),
    ("false_materials", re.compile(r"虚假材料|弄虚作假|骗取|套取")),
    ("provider_not_listed", re.compile(r"服务商目录|未纳入.{0,10}目录")),
    ("bad_credit", re.compile(r"失信")),
]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_RE.findall(text) if s.strip()]


def _money(number: str, unit: str) -> float:
    return float(number) * _UNIT.get(unit, 1)


def _evidence(clause: Clause, sentence: str) -> Evidence:
    return Evidence(quote=sentence, clause=clause.clause_path, clause_id=clause.id, page=clause.page)


def _conditions_in(clause: Clause, sentence: str, jurisdiction: str | None) -> list[Condition]:
    """The checkable conditions a sentence states."""
    found: list[Condition] = []
    ev = _evidence(clause, sentence)
    region = re.search(r"在\s*([\u4e00-\u9fff]{2,8}?[省市县区])(?:行政区域内)?(?:依法)?(?:注册|登记|设立)", sentence)
    if region:
        found.append(Condition(kind="region", value=region.group(1), evidence=ev))
    if "独立法人" in sentence:
        found.append(Condition(kind="legal_person", value=True, evidence=ev))
    for match in re.finditer(rf"营业收入[^，。；]{{0,6}}?(不超过|不高于|低于|在)\s*{_NUMBER}\s*(亿|万|千)?元", sentence):
        found.append(Condition(kind="revenue_max", value=_money(match.group(2), match.group(3) or ""), evidence=ev))
    for match in re.finditer(rf"营业收入[^，。；]{{0,6}}?(不低于|不少于|达到|(?<!不)超过|(?<!不)高于)\s*{_NUMBER}\s*(亿|万|千)?元", sentence):
        found.append(Condition(kind="revenue_min", value=_money(match.group(2), match.group(3) or ""), evidence=ev))
    employees = re.search(rf"从业人员[^，。；]{{0,4}}?(不超过|不高于|少于)\s*{_NUMBER}\s*人", sentence)
    if employees:
        found.append(Condition(kind="employees_max", value=float(employees.group(2)), evidence=ev))
    insured = re.search(rf"(社会保险|社保|参保)[^，。；]{{0,10}}?(不少于|不低于|至少)\s*{_NUMBER}\s*人", sentence)
    if insured:
        found.append(Condition(kind="insured_min", value=float(insured.group(3)), evidence=ev))
    if re.search(r"未被列入.{0,8}失信|信用记录良好", sentence):
        found.append(Condition(kind="good_credit", value=True, evidence=ev))
    industry = re.search(r"(?:主营业务属于|从事)\s*([\u4e00-\u9fff]{2,8}?)(?:技术|及相关领域|领域|产业|行业|研发|的)", sentence)
    if industry:
        found.append(Condition(kind="industry", value=industry.group(1), evidence=ev))
    return found


def _exclusions_in(clause: Clause, sentence: str) -> list[Condition]:
    return [
        Condition(kind=kind, value=True, evidence=_evidence(clause, sentence))
        for kind, pattern in _EXCLUSIONS
        if pattern.search(sentence)
    ]


def _benefit_in(clause: Clause, sentence: str) -> Benefit | None:
    rate = re.search(rf"{_NUMBER}\s*%", sentence)
    cap = re.search(rf"最高(?:不超过|不得超过|可达)?\s*{_NUMBER}\s*(亿|万|千)?元", sentence)
    if not (rate or cap):
        return None
    return Benefit(
        rate=float(rate.group(1)) / 100 if rate else None,
        cap_cny=_money(cap.group(1), cap.group(2) or "") if cap else None,
        evidence=_evidence(clause, sentence),
    )


def extract_measures(document: Document) -> list[Measure]:
    """Support measures of ``document`` with applicants, conditions, exclusions, benefit, window, agency, materials."""
    names: list[str] = []
    for clause in document.clauses:
        for name in _VOUCHER_RE.findall(clause.text):
            if name not in names and not name.endswith("证券"):
                names.append(name)

    conditions: list[Condition] = []
    exclusions: list[Condition] = []
    applicants: list[str] = []
    applicant_evidence: Evidence | None = None
    windows: list[Evidence] = []
    agencies: list[tuple[str, Evidence]] = []
    materials: Evidence | None = None
    named_benefits: dict[str, list[Benefit]] = {}
    shared_benefits: list[Benefit] = []
    minimum_contract: tuple[float, Evidence] | None = None

    for clause in document.clauses:
        in_conditions = bool(_CONDITIONS_HEAD_RE.search(clause.clause_path))
        for sentence in sentences(clause.text):
            if in_conditions or re.search(r"应当(同时)?(具备|符合)|符合下列条件", clause.text):
                for condition in _conditions_in(clause, sentence, document.jurisdiction):
                    if not any(c.kind == condition.kind for c in conditions):
                        conditions.append(condition)
            if _EXCLUSION_HEAD_RE.search(clause.text) and not _EXCLUSION_HEAD_RE.search(sentence) or re.search(r"不得重复", sentence):
                for exclusion in _exclusions_in(clause, sentence):
                    if not any(e.kind == exclusion.kind for e in exclusions):
                        exclusions.append(exclusion)
            if re.search(r"支持对象|申请(主体|对象)|适用于", sentence):
                types = [t for t, pattern in APPLICANT_TYPES.items() if pattern.search(sentence)]
                if types and not applicants:
                    applicants, applicant_evidence = types, _evidence(clause, sentence)
            window = re.search(r"(?:申请|受理|申报)(?:时间|期限)?为?\s*((?:每年)?\d{1,2}月\d{1,2}日至\d{1,2}月\d{1,2}日)", sentence)
            if window:
                windows.append(_evidence(clause, sentence))
            agency = re.search(r"([\u4e00-\u9fff]{2,20}?(?:局|厅|委员会|委|办公室|中心))为.{0,20}受理(机构|单位|部门)", sentence) or re.search(
                r"由?([\u4e00-\u9fff]{2,20}?(?:局|厅|委员会|委|办公室|中心))负责.{0,4}(申请)?受理", sentence
            )
            if agency:
                agencies.append((agency.group(1), _evidence(clause, sentence)))
            if re.search(r"提交(下列|以下|如下)?材料", sentence) and materials is None:
                materials = Evidence(quote=clause.text, clause=clause.clause_path, clause_id=clause.id, page=clause.page)
            small = re.search(rf"低于\s*{_NUMBER}\s*(亿|万|千)?元的?，?不纳入", sentence)
            if small:
                minimum_contract = (_money(small.group(1), small.group(2) or ""), _evidence(clause, sentence))
            benefit = _benefit_in(clause, sentence)
            if benefit:
                mentioned = [n for n in names if n in sentence]
                if len(mentioned) == 1:
                    named_benefits.setdefault(mentioned[0], []).append(benefit)
                elif mentioned:
                    benefit.combined = True
                    shared_benefits.append(benefit)

    measures: list[Measure] = []
    for name in names:
        benefits = named_benefits.get(name, []) + shared_benefits
        measures.append(
            Measure(
                id=content_id(document.doc_id, name, prefix="measure"),
                doc_id=document.doc_id,
                doc_title=document.title,
                source=document.source,
                jurisdiction=document.jurisdiction,
                name=name,
                applicants=applicants,
                applicant_evidence=applicant_evidence,
                conditions=conditions,
                exclusions=exclusions,
                benefits=benefits,
                minimum_contract_cny=minimum_contract[0] if minimum_contract else None,
                minimum_contract_evidence=minimum_contract[1] if minimum_contract else None,
                window=windows[0] if windows else None,
                agency=agencies[0][0] if agencies else None,
                agency_evidence=agencies[0][1] if agencies else None,
                materials=materials,
                mentioned_in=_first_mention(document, name),
            )
        )
    # Support stated only as a sentence ("依法享受有关政策采购支持创新的政策") is a measure too,
    # without conditions: the document sets none, and the verdict will say so.
    for clause in document.clauses:
        if not _SUPPORT_HEAD_RE.search(clause.title) or clause.kind == "notice":
            continue
        for sentence in sentences(clause.text):
            if _SUPPORT_SENTENCE_RE.search(sentence) and not any(n in sentence for n in names):
                title = clause.title or clause.clause_path
                measures.append(
                    Measure(
                        id=content_id(document.doc_id, clause.id, sentence, prefix="measure"),
                        doc_id=document.doc_id,
                        doc_title=document.title,
                        source=document.source,
                        jurisdiction=document.jurisdiction,
                        name=f"{title}：{_short(sentence)}",
                        mentioned_in=_evidence(clause, sentence),
                    )
                )
    return measures


def _first_mention(document: Document, name: str) -> Evidence | None:
    for clause in document.clauses:
        for sentence in sentences(clause.text):
            if name in sentence:
                return _evidence(clause, sentence)
    return None


def _short(sentence: str, limit: int = 24) -> str:
    text = sentence.rstrip("。；")
    return text if len(text) <= limit else text[:limit] + "…"
