"""Support measures and their conditions, extracted from the clause tree by rules (offline).

A measure is any support a document grants (voucher, subsidy, reward, interest subsidy, tax relief,
recognition, talent subsidy, priority); the phrasings come from data/lexicons/eligibility.toml.
Conditions are scoped by the document's structure: a condition inside a measure's own article
applies to that measure only; a conditions chapter or article governs the measures of its chapter
(or of the whole document); an applicant-type article ("高等院校…参照本办法执行") adds that type and
its own caps and rates. Every field keeps the verbatim sentence it came from, so a verdict can
always quote the condition it rests on; a document that states no concrete condition yields
measures with empty conditions, never invented ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.lexicon import Lexicon, load_lexicon
from ingest.models import Benefit, Clause, Condition, Document, Evidence, Measure, content_id

_SENTENCE_RE = re.compile(r"[^。；！？\n]*(?:[。；！？]+[”’）]*|\n|$)")
_DEFINITION_RE = re.compile(r"所称|是指")
_LIST_INTRO_RE = re.compile(r"下列|如下|以下(条件|情形)|[：:]$")
_NAMED_GRANT_RE = re.compile(
    r"给予(?:[^，。；]{0,14}?的)?(?:最高)?(?:\d+(?:\.\d+)?[万亿千]?元的?)?(?:一次性)?([\u4e00-\u9fff（）]{2,10}?(?:奖励|补贴|补助|资助|贴息))"
)
_TIER_VERBS_RE = re.compile(r"^(对|被认定为|认定为|购买|租用|使用)+")
_MARKER_RE = re.compile(r"^(第[一二三四五六七八九十百零]+条|[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+[.．])\s*")
_AMOUNT_RE = re.compile(r"\d\s*(%|[万亿千]?元)")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_RE.findall(text) if s.strip()]


def _evidence(clause: Clause, sentence: str) -> Evidence:
    return Evidence(quote=sentence, clause=clause.clause_path, clause_id=clause.id, page=clause.page)


def mentioned_types(text: str, lex: Lexicon) -> list[str]:
    return [t for t, pattern in lex.applicants.items() if pattern.search(text)]


def head_types(text: str, lex: Lexicon) -> list[str]:
    """Applicant types named as the head of a phrase ("…的企业", "高校、科研院所"), not as a modifier
    ("到样例市注册企业工作的人才个人" is about 个人)."""
    found = []
    for kind, pattern in lex.applicants.items():
        for match in pattern.finditer(text):
            if re.match(r"(?:[、，,。；;：]|和|及|或|以及|$)", text[match.end():]):
                found.append(kind)
                break
    return found


# --- conditions in one sentence ------------------------------------------------------
def _measured_in(sentence: str, lex: Lexicon, clause: Clause, applicants: list[str], taken: list[tuple[int, int]]) -> list[Condition]:
    found = []
    cmp_all = "|".join(sorted((w for p in lex.comparators.values() for w in p.split("|")), key=len, reverse=True))
    after = "以上|以下|以内|及以上|及以下"
    for measured in lex.measured:
        number = lex.money if measured.unit == "money" else rf"(\d+(?:\.\d+)?)\s*()(?:个)?{measured.unit}"
        forms = [
            rf"(?:{measured.subject})[^，。；\d]{{0,10}}?(?P<before>{cmp_all})\s*{number}(?P<after>{after})?",
            rf"{number}\s*(?P<after>{after})[^，。；\d]{{0,4}}?(?:{measured.subject})",
        ]
        for form in forms:
            for match in re.finditer(form, sentence):
                if any(match.start() < end and start < match.end() for start, end in taken):
                    continue
                word = match.groupdict().get("before") or match.group("after")
                op = next(op for op, pattern in lex.comparators.items() if re.fullmatch(pattern, word))
                amount = re.search(number, match.group(0))
                value = lex.yuan(amount.group(1), amount.group(2)) if measured.unit == "money" else float(amount.group(1))
                taken.append(match.span())
                found.append(Condition(
                    kind=f"{measured.kind}_{'max' if op in ('le', 'lt') else 'min'}", value=value, op=op, field=measured.field,
                    evidence=_evidence(clause, sentence), applicants=applicants,
                ))
    return found


def conditions_in(clause: Clause, sentence: str, lex: Lexicon, applicants: list[str]) -> tuple[list[Condition], list[Condition], list[tuple[int, int]]]:
    """(conditions, exclusions, spans of the text they took) a sentence states."""
    ev = _evidence(clause, sentence)
    taken: list[tuple[int, int]] = []
    found: list[Condition] = []
    region = lex.region.search(sentence)
    if region:
        found.append(Condition(kind="region", value=region.group(1), evidence=ev, applicants=applicants))
    for flag in lex.flags:
        if flag.cue.search(sentence):
            found.append(Condition(kind=flag.kind, value=flag.wanted, field=flag.field, evidence=ev, applicants=applicants))
    found += _measured_in(sentence, lex, clause, applicants, taken)
    industry = lex.industry.search(sentence)
    if industry:
        found.append(Condition(kind="industry", value=industry.group(1), evidence=ev, applicants=applicants))
    certification = lex.certification.search(sentence)
    if certification:
        found.append(Condition(kind="certification", value=certification.group(1), evidence=ev, applicants=applicants))
    exclusions = [
        Condition(kind=flag.kind, value=True, field=flag.field, evidence=ev, applicants=applicants)
        for flag in lex.exclusions if flag.cue.search(sentence)
    ]
    return found, exclusions, taken


# --- benefit terms in one sentence ----------------------------------------------------
def terms_in(clause: Clause, sentence: str, lex: Lexicon, taken: list[tuple[int, int]]) -> list[Benefit]:
    """Rates, caps, fixed amounts and tax rates a sentence states, each with the case ("…的，") it is for."""
    ev = _evidence(clause, sentence)
    budget = bool(lex.scope_budget.search(sentence))
    combined = bool(lex.scope_combined.search(sentence)) and not budget
    terms: list[Benefit] = []
    tier: str | None = None
    offset = 0
    for segment in re.split(r"(?<=[，,：:])", sentence):
        start, offset = offset, offset + len(segment)
        text = segment.rstrip("，,。；：:")
        marker = _MARKER_RE.match(text) if start == 0 else None
        if marker:
            text, start = text[marker.end():], start + marker.end()
        if text.endswith("的") and not re.search(r"\d", text):
            tier = text
            continue
        segment_tier = tier
        prefix = re.split(lex.grant_verb, text)[0] if lex.grant_verb.search(text) else ""
        if segment_tier is None and 2 <= len(prefix) <= 12 and not re.search(r"按|\d", prefix):
            segment_tier = prefix
        if re.search(r"按|比例|的\s*\d", text):
            for match in re.finditer(r"(\d+(?:\.\d+)?)\s*%", text):
                if any(start + match.start() < end and s < start + match.end() for s, end in taken):
                    continue
                value = float(match.group(1)) / 100
                if lex.tax_rate.search(text):
                    terms.append(Benefit(tax_rate=value, evidence=ev, tier=segment_tier))
                    continue
                before = text[: match.start()]
                base = next((b for b in lex.bases if b.cue.search(before)), None) or next((b for b in lex.bases if b.cue.search(sentence)), None)
                terms.append(Benefit(rate=value, base=base.field if base else "spend_cny", base_label=base.label if base else "支出",
                                     evidence=ev, tier=segment_tier, combined=combined))
        for match in re.finditer(lex.money, text):
            span = (start + match.start(), start + match.end())
            if any(span[0] < end and s < span[1] for s, end in taken):
                continue
            amount = lex.yuan(match.group(1), match.group(2))
            before, after = text[: match.start()], text[match.end():]
            is_cap = re.search(rf"(?:{lex.cap_before})\s*(?:为)?\s*$", before) or re.match(rf"\s*(?:{lex.cap_after})", after)
            if budget:
                terms.append(Benefit(cap_cny=amount, budget=True, evidence=ev))
            elif is_cap:
                terms.append(Benefit(cap_cny=amount, combined=combined, evidence=ev, tier=segment_tier))
            elif lex.grant_verb.search(before) or any(k.cue.search(after[:8]) for k in lex.measure_kinds):
                terms.append(Benefit(amount_cny=amount, evidence=ev, tier=segment_tier))
    return terms


def _tier_keys(terms: list[Benefit]) -> None:
    """Keep a term's tier only where siblings differ by it; the key is what tells them apart."""
    for pick in (lambda t: t.rate is not None, lambda t: t.amount_cny is not None, lambda t: t.cap_cny is not None and not t.budget,
                 lambda t: t.tax_rate is not None):
        for applicants in {tuple(t.applicants) for t in terms}:
            group = [t for t in terms if pick(t) and tuple(t.applicants) == applicants]
            phrases = sorted({t.tier for t in group if t.tier})
            if len(phrases) < 2:
                for t in group:
                    t.tier = None
                continue
            stems = [p.rstrip("的") for p in phrases]
            prefix = 0
            while all(len(s) > prefix for s in stems) and len({s[prefix] for s in stems}) == 1:
                prefix += 1
            suffix = 0
            while all(len(s) > prefix + suffix for s in stems) and len({s[len(s) - 1 - suffix] for s in stems}) == 1:
                suffix += 1
            for t in group:
                if t.tier:
                    stem = t.tier.rstrip("的")
                    key = _TIER_VERBS_RE.sub("", stem[prefix: len(stem) - suffix])
                    key = re.sub(r"^(企业|单位|公司)(购买|租用|使用)?", "", key)
                    # What follows the difference completes it: 智能 → 智能算力, A → A类, 省 → 省级.
                t.tier_key = key + stem[len(stem) - suffix:][: 2 if len(key) >= 2 else 1]


# --- the document ---------------------------------------------------------------------
@dataclass
class _Draft:
    name: str
    kind: str
    granted_by: Evidence
    clause_ids: set[str] = field(default_factory=set)
    chapter: str | None = None
    terms: list[Benefit] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    exclusions: list[Condition] = field(default_factory=list)
    applicants: list[str] = field(default_factory=list)
    referral_types: list[str] = field(default_factory=list)


def _chapter(clause: Clause) -> str | None:
    return clause.path[0] if len(clause.path) > 1 else None


def _kind_of(sentence: str, lex: Lexicon) -> tuple[str, str] | None:
    core = _MARKER_RE.sub("", sentence)
    if not (lex.grant_verb.search(core) or _AMOUNT_RE.search(core)) or lex.not_grant.search(core) or _DEFINITION_RE.search(core):
        return None
    if lex.scope_budget.search(sentence):
        return None
    for kind in lex.measure_kinds:
        if kind.cue.search(sentence):
            return kind.kind, kind.label
    return None


def _heading(clause: Clause) -> str | None:
    """A short heading naming what the clause is about: its own title, or for a numbered item its parent's."""
    if clause.kind == "article":
        return None
    for label in [clause.title, *(_MARKER_RE.sub("", part).strip() for part in reversed(clause.path[:-1]))]:
        if label and len(label) <= 16 and not re.search(r"[，。；]", label):
            return label
    return None


def _name(sentence: str, clause: Clause, kind: str, label: str, lex: Lexicon) -> str:
    named = _NAMED_GRANT_RE.search(sentence)
    if named and len(named.group(1)) >= 3 and not named.group(1).startswith(("一次性", "最高")):
        return named.group(1)
    heading = _heading(clause)
    if heading:
        return heading
    return f"{label}（{clause.number.rstrip('、.．') or clause.clause_path}）"


def _grants(document: Document, lex: Lexicon, vouchers: list[str], referral_clauses: set[str]) -> dict[str, _Draft]:
    """The measures: one per voucher name, else one per kind of support each clause grants."""
    drafts: dict[str, _Draft] = {}
    for clause in document.clauses:
        if clause.kind == "notice" or clause.id in referral_clauses:
            continue
        for sentence in sentences(clause.text):
            kind = _kind_of(sentence, lex)
            named = [v for v in vouchers if v in sentence]
            if not kind or len(named) > 1:
                continue  # a sentence naming several vouchers states a term they share, taken later
            in_clause = [d for d in drafts.values() if clause.id in d.clause_ids and d.kind != "voucher"]
            if not named and any(d.kind == kind[0] for d in in_clause):
                continue  # a clause's further sentences of the same kind are that measure's terms
            name = named[0] if named else _name(sentence, clause, *kind, lex)
            if not named and (in_clause or (name in drafts and clause.id not in drafts[name].clause_ids)):
                name = f"{name}（{kind[1] if in_clause else clause.number.rstrip('、.．') or kind[1]}）"
            if name not in drafts:
                drafts[name] = _Draft(name, "voucher" if named else kind[0], _evidence(clause, sentence), chapter=_chapter(clause))
            drafts[name].clause_ids.add(clause.id)
    for name in vouchers:  # vouchers a document only mentions are measures too
        if name not in drafts:
            clause, sentence = _first_mention(document, name)
            drafts[name] = _Draft(name, "voucher", _evidence(clause, sentence), chapter=None)
    return drafts


def _targets(clause: Clause, sentence: str, drafts: dict[str, _Draft], referral: bool) -> list[_Draft]:
    """The measures a sentence speaks to: those its clause grants; else those it names; else those of its
    chapter (a 申请条件 chapter governs the measures beside it) or, failing that, of the whole document."""
    own = [d for d in drafts.values() if clause.id in d.clause_ids]
    if own:
        return own
    mentioned = [d for d in drafts.values() if d.name in sentence]
    if mentioned:
        return mentioned
    candidates = [d for d in drafts.values() if d.kind not in ("priority", "tax_relief", "preference")] if referral else list(drafts.values())
    chapter = _chapter(clause)
    return [d for d in candidates if chapter and d.chapter == chapter] or candidates


def _attach(draft: _Draft, conditions: list[Condition], exclusions: list[Condition]) -> None:
    for condition in conditions:
        same = next((x for x in draft.conditions if x.kind == condition.kind and x.value == condition.value), None)
        if same is None:
            draft.conditions.append(condition)
        elif not condition.applicants:
            same.applicants = []  # stated for every applicant somewhere
    for exclusion in exclusions:
        if not any(x.kind == exclusion.kind for x in draft.exclusions):
            draft.exclusions.append(exclusion)


@dataclass
class _Procedure:
    """How to apply, shared by a document's measures: window, accepting agency, materials, smallest contract."""

    windows: list[Evidence] = field(default_factory=list)
    agencies: list[tuple[str, Evidence]] = field(default_factory=list)
    materials: Evidence | None = None
    minimum_contract: tuple[float, Evidence] | None = None

    def read(self, clause: Clause, sentence: str, lex: Lexicon) -> None:
        if re.search(r"(?:申请|受理|申报)(?:时间|期限)?为?\s*((?:每年)?\d{1,2}月\d{1,2}日至\d{1,2}月\d{1,2}日)", sentence):
            self.windows.append(_evidence(clause, sentence))
        agency = re.search(r"([\u4e00-\u9fff]{2,20}?(?:局|厅|委员会|委|办公室|中心))为.{0,20}受理(机构|单位|部门)", sentence) or re.search(
            r"由?([\u4e00-\u9fff]{2,20}?(?:局|厅|委员会|委|办公室|中心))负责.{0,4}(申请)?受理", sentence
        )
        if agency:
            self.agencies.append((agency.group(1), _evidence(clause, sentence)))
        if re.search(r"提交(下列|以下|如下)?材料", sentence) and self.materials is None:
            self.materials = Evidence(quote=clause.text, clause=clause.clause_path, clause_id=clause.id, page=clause.page)
        small = re.search(rf"低于\s*{lex.money}的?，?不纳入", sentence)
        if small:
            self.minimum_contract = (lex.yuan(small.group(1), small.group(2)), _evidence(clause, sentence))


def extract_measures(document: Document, lex: Lexicon | None = None) -> list[Measure]:
    """Support measures of ``document`` with applicants, scoped conditions, exclusions, benefit terms,
    window, agency and materials."""
    lex = lex or load_lexicon()
    vouchers = list(dict.fromkeys(
        name for kind in lex.measure_kinds if kind.kind == "voucher" for clause in document.clauses for name in kind.cue.findall(clause.text)
    ))
    referral_clauses = {c.id for c in document.clauses if lex.referral.search(c.text) and c.kind != "notice"}
    drafts = _grants(document, lex, vouchers, referral_clauses)
    base_applicants: list[str] = []
    procedure = _Procedure()
    for clause in document.clauses:
        if clause.kind == "notice":
            continue
        referral = clause.id in referral_clauses
        referral_types = mentioned_types(clause.text, lex) if referral else []
        in_conditions = bool(lex.condition_heading.search(clause.clause_path) or lex.condition_text.search(clause.text))
        in_exclusions = bool(lex.exclusions_head.search(clause.text))
        subject = lex.subject.search(clause.text)
        clause_applicants = referral_types or (mentioned_types(subject.group(0), lex) if subject else [])
        grants = any(clause.id in d.clause_ids for d in drafts.values())
        for sentence in sentences(clause.text):
            procedure.read(clause, sentence, lex)
            if re.search(r"支持对象|申请(主体|对象)|适用于|适用对象", sentence) and not base_applicants:
                base_applicants = head_types(sentence, lex)
            mentioned = [d for d in drafts.values() if d.name in sentence]
            if not (grants or referral or in_conditions or in_exclusions or mentioned or lex.scope_budget.search(sentence)):
                continue
            targets = _targets(clause, sentence, drafts, referral)
            conditions, exclusions, taken = conditions_in(clause, sentence, lex, clause_applicants)
            if (in_conditions and not conditions and not exclusions and not in_exclusions and lex.requirement.search(sentence)
                    and not _LIST_INTRO_RE.search(sentence)):
                # A requirement no phrasing reads is kept, to be asked, never dropped.
                conditions = [Condition(kind="stated", value=sentence, evidence=_evidence(clause, sentence), applicants=clause_applicants)]
            if grants or referral or in_conditions or in_exclusions or mentioned:
                for draft in targets:
                    _attach(draft, conditions, exclusions)
            if grants or referral or mentioned or lex.scope_budget.search(sentence):
                terms = terms_in(clause, sentence, lex, taken)
                for term in terms:
                    term.applicants = referral_types if referral else term.applicants
                    term.combined = term.combined or (len(mentioned) > 1 and not term.budget)
                for draft in targets:
                    draft.terms += [t.model_copy() for t in terms]
                    if referral:
                        draft.referral_types = sorted(set(draft.referral_types) | set(referral_types))

    if not base_applicants:
        subjects = [lex.subject.search(c.text) for c in document.clauses if lex.condition_text.search(c.text)]
        base_applicants = sorted({t for s in subjects if s for t in mentioned_types(s.group(0), lex)})
    return [_measure(document, draft, base_applicants, procedure, lex) for draft in drafts.values()]


def _measure(document: Document, draft: _Draft, base_applicants: list[str], procedure: _Procedure, lex: Lexicon) -> Measure:
    if draft.referral_types and base_applicants:
        # Beside an applicant-type article, the other terms are for the base applicants only.
        for term in draft.terms:
            if not term.applicants and not term.budget:
                term.applicants = list(base_applicants)
    _tier_keys(draft.terms)
    applicants = list(dict.fromkeys(base_applicants + draft.referral_types)) if base_applicants else []
    minimum = procedure.minimum_contract if draft.kind in ("voucher", "subsidy") else None
    return Measure(
        id=content_id(document.doc_id, draft.name, prefix="measure"),
        doc_id=document.doc_id,
        doc_title=document.title,
        source=document.source,
        jurisdiction=document.jurisdiction,
        name=draft.name,
        kind=draft.kind,
        granted_by=draft.granted_by,
        applicants=applicants,
        applicant_evidence=_applicant_evidence(document, lex) if applicants else None,
        conditions=draft.conditions,
        exclusions=draft.exclusions,
        benefits=draft.terms,
        minimum_contract_cny=minimum[0] if minimum else None,
        minimum_contract_evidence=minimum[1] if minimum else None,
        window=procedure.windows[0] if procedure.windows else None,
        agency=procedure.agencies[0][0] if procedure.agencies else None,
        agency_evidence=procedure.agencies[0][1] if procedure.agencies else None,
        materials=procedure.materials,
        mentioned_in=draft.granted_by,
    )


def _applicant_evidence(document: Document, lex: Lexicon) -> Evidence | None:
    """The sentence that says who may apply: an applicability sentence, else a conditions subject."""
    fallback = None
    for clause in document.clauses:
        for sentence in sentences(clause.text):
            if re.search(r"支持对象|申请(主体|对象)|适用于|适用对象", sentence) and head_types(sentence, lex):
                return _evidence(clause, sentence)
            if fallback is None and lex.subject.search(sentence) and lex.condition_text.search(sentence) and mentioned_types(sentence, lex):
                fallback = _evidence(clause, sentence)
    return fallback


def _first_mention(document: Document, name: str) -> tuple[Clause, str]:
    for clause in document.clauses:
        for sentence in sentences(clause.text):
            if name in sentence:
                return clause, sentence
    raise ValueError(f"{name} is not mentioned in {document.source}")
