"""Evidence at sentence level: the sentence, and the phrase within it, that states what the question asks.

A cap is a money figure with 不超过/最高/上限/封顶/以内; a threshold ("低于20万元的不予受理", "总投资1亿元以上")
is not a cap, and a total budget ("总额3亿元") is not what one firm gets. Every top clause of every document
found is searched before a fact is declared missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.analysis import Analysis, question_kinds
from bot.planindex import PlanIndex, split_sentences
from ingest.models import Clause, Document
from vectorstore.retriever import ScoredChunk, matched_only_by_hint
from vectorstore.text import GENERIC_TERMS, expand_query, tokenize

_MONEY = r"\d+(?:\.\d+)?\s*(?:万|亿|千)?元"
_CAP_RE = re.compile(r"不超过|不高于|最高|上限|封顶|以内|最多|至多|为限")
_THRESHOLD_RE = re.compile(rf"(低于|不低于|不少于|(?<!不)超过|达到|以上|起)\s*{_MONEY}|{_MONEY}\s*(以上|及以上|起)(?!.{{0,4}}(补|奖|资助))")
_TOTAL_RE = re.compile(r"总额|总规模|总计|合计安排|每年安排|统筹安排|专项资金|总量|规模达")
_ASKS_MINIMUM_RE = re.compile(r"最低|门槛|起点|至少|起步")
_ASKS_TOTAL_RE = re.compile(r"总额|总共|一共|总规模|资金规模|多大规模|总量|整体")
_RATIO_RE = re.compile(r"\d+(?:\.\d+)?\s*%|百分之[一二三四五六七八九十百]+|\d+\s*[:：比]\s*\d+|\d+(?:\.\d+)?个百分点|[一二三四五六七八九]成|\d+(?:\.\d+)?倍")
_COUNT_RE = re.compile(r"\d+(?:\.\d+)?\s*(?:万|亿|千|百)?\s*(?:个|家|项|所|条|款|台|套|座|批|类|户|名|人|张|次|部|种|件)(?:以上|左右|及以上)?")
_YEAR_TARGET_RE = re.compile(r"到\s*\d{4}\s*年(?:底|末)?")
_DATE_RE = re.compile(r"\d{4}年\d{1,2}月(?:\d{1,2}日)?|\d{1,2}月\d{1,2}日")
_WINDOW_RE = re.compile(r"截止|截至|之前|前(?!期)|至|起|期间|期限|之日|工作日|当天|以前|开放|受理")
_VALIDITY_RE = re.compile(r"有效期|起施行|起实施|起执行|印发之日")
_APPLY_RE = re.compile(r"申报|申请|受理|提交|报送|填报")
_PERIOD_RE = re.compile(r"\d{4}\s*[—\-–~至到]+\s*\d{4}\s*年|有效期|自.{0,12}起(施行|实施|执行)")
_PHONE_RE = re.compile(r"0\d{2,3}-\d{7,8}|1[3-9]\d{9}|\b\d{5}\b")
_CONTACT_RE = re.compile(r"联系人|联系电话|咨询电话|电话|邮箱|@")
_MATERIALS_RE = re.compile(r"材料|申请表|申报书|复印件|证明|报告|清单|营业执照|发票|合同|凭证|附件")
_PROCEDURE_RE = re.compile(r"登录|系统|平台|提交|报送|受理|审核|评审|公示|申报|窗口|网上|线上|报至|推荐|初审|复核|拨付")
_CONDITION_RE = re.compile(r"应当|须|具备|具有|符合|注册|不低于|不得|不予|条件|满足|独立法人|信用|无.{0,6}(记录|行为)")
_AGENCY_WORD_RE = re.compile(r"负责|牵头|受理|组织|会同|审核|管理|解释|实施")
_AGENCY_PAREN_RE = re.compile(r"[（(](?:责任单位|牵头单位|责任部门)[：:].*[）)]", re.S)
_FRAGMENT_RE = re.compile(r"[^，,；;。：:！？]+[，,；;。：:！？]?")
_LEAD_IN_RE = re.compile(r"[：:]$")
_NUMBER_RE = re.compile(r"\d")


@dataclass(frozen=True)
class Evidence:
    """A clause sentence that answers (part of) a question, and the phrase in it that states the fact."""

    hit: ScoredChunk
    clause: Clause
    document: Document
    quote: str  # verbatim, contiguous clause text
    fact: str | None  # verbatim phrase(s) of ``quote`` stating the asked fact; None when it states none
    score: float


def states(kind: str, text: str, question: str = "") -> bool:
    """Whether ``text`` states a fact of ``kind``: the test that decides "not stated"."""
    if kind == "amount" and _ASKS_MINIMUM_RE.search(question):
        return bool(_THRESHOLD_RE.search(text))  # a minimum is asked: only a threshold states it
    if kind == "amount":
        return bool(re.search(_MONEY, text)) and not _only_threshold(text) and not (_only_total(text) and not _ASKS_TOTAL_RE.search(question))
    if kind == "ratio":
        return bool(_RATIO_RE.search(text))
    if kind in ("count", "target"):
        return bool(_COUNT_RE.search(re.sub(_MONEY, "", text))) or (kind == "target" and bool(_RATIO_RE.search(text)))
    if kind == "date":
        return bool(_DATE_RE.search(text))
    if kind == "deadline":
        # An expiry ("有效期至…", "自…起施行") is not a window to apply in.
        validity = _VALIDITY_RE.search(text) and not _APPLY_RE.search(text)
        return bool(_DATE_RE.search(text)) and bool(_WINDOW_RE.search(text)) and not validity
    if kind == "period":
        return bool(_PERIOD_RE.search(text))
    if kind == "contact":
        return bool(_PHONE_RE.search(text)) or "联系人" in text or "@" in text
    if kind == "materials":
        return bool(_MATERIALS_RE.search(text))
    if kind == "procedure":
        return bool(_PROCEDURE_RE.search(text))
    if kind == "conditions":
        return bool(_CONDITION_RE.search(text))
    return True


def _only_threshold(text: str) -> bool:
    """Every money figure of ``text`` is a threshold (低于20万元的不予受理), none a cap or an award."""
    amounts = len(re.findall(_MONEY, text))
    thresholds = len(_THRESHOLD_RE.findall(text))
    return amounts > 0 and thresholds >= amounts and not _CAP_RE.search(text)


def _only_total(text: str) -> bool:
    return bool(_TOTAL_RE.search(text)) and not _CAP_RE.search(text) and len(re.findall(_MONEY, text)) == 1


def _fragment_score(kind: str, fragment: str, question: str) -> float:
    """How well one comma-separated phrase states the asked kind (0 when it does not)."""
    if not states(kind, fragment, question):
        return 0.0
    value = 1.0
    if kind == "amount":
        per_firm = not _ASKS_TOTAL_RE.search(question)
        if _CAP_RE.search(fragment):
            value += 2
        if _TOTAL_RE.search(fragment):
            value += 1.5 if not per_firm else -0.8
        if re.search(r"单家|每家|单个|每个|每年|年度|一次性", fragment) and per_firm:
            value += 0.5
    if kind in ("count", "target") and re.search(r"以上|左右|不少于", fragment):
        value += 0.5
    return value


@lru_cache(maxsize=32768)
def sentence_terms(sentence: str) -> frozenset[str]:
    """A clause sentence's search tokens; sentences repeat across questions, so each is cut once."""
    return frozenset(tokenize(sentence))


# A clause retrieval ranks below half the best one's score does not answer with its figure.
MIN_STATING_RELEVANCE = 0.5


def _carries_subject(text: str, subject: set[str]) -> bool:
    """Whether ``text`` shares a word of two characters or more with what the question is about."""
    return any(len(t) >= 2 for t in subject & sentence_terms(text)) or not any(len(t) >= 2 for t in subject)


def _subject_tokens(analysis: Analysis) -> set[str]:
    """What the question is about: its words less those that only say what kind of fact it asks (材料, 多少)."""
    asks = dict(question_kinds()).get(analysis.asks)
    # A follow-up's own words pick the sentence; the turn before only found the clause.
    words = analysis.subject or (analysis.question if analysis.follow_up else analysis.about)
    # Single characters count here ("港" of 港口): within one clause they point at the sentence.
    return {
        t for t in tokenize(expand_query(words))
        if t not in GENERIC_TERMS and not (asks is not None and len(t) > 1 and asks.fullmatch(t))
    }


def _overlap(text: str, subject: set[str]) -> int:
    return sum(len(t) for t in subject & sentence_terms(text) if len(t) > 1)


def select(analysis: Analysis, hits: list[ScoredChunk], plan: PlanIndex, *, limit: int = 6) -> list[Evidence]:
    """The best sentence of each of the top clauses, ranked by how well it states what is asked."""
    subject = _subject_tokens(analysis)
    kind = analysis.asks
    found: list[Evidence] = []
    top_score = hits[0].score if hits else 1.0
    top_overlap = 0
    for rank, hit in enumerate(hits[:limit]):
        clause = plan.clauses.get(hit.chunk.clause_id)
        document = plan.documents.get(hit.chunk.doc_id)
        if clause is None or document is None:
            continue
        evidence = best_sentence(analysis, hit, clause, document, subject)
        if matched_only_by_hint(hit):
            # A notice found by its hint words (截止, 联系人) states its own deadline, not the one asked.
            evidence = Evidence(hit, clause, document, evidence.quote, None, evidence.score)
        # The retrieval order counts, then the fact: a lower clause that states it may lead.
        relevance = hit.score / top_score if top_score > 0 else 0.0
        overlap = _overlap(evidence.quote, subject)
        if not found:
            top_overlap = overlap
        # A lower clause states the fact only when it is at least as much about the subject as the best one.
        about_subject = overlap >= 0.5 * top_overlap or not found
        if evidence.fact and not (relevance >= MIN_STATING_RELEVANCE and about_subject and _carries_subject(evidence.quote, subject)):
            # A figure in a clause about something else is not the answer ("not stated" beats a near miss).
            evidence = Evidence(hit, clause, document, evidence.quote, None, evidence.score)
        stated = 1.0 if evidence.fact else 0.0
        score = relevance + (0.6 * stated + 0.005 * evidence.score if kind in _FACT_KINDS else 0.0) - 0.01 * rank
        found.append(Evidence(hit, clause, document, evidence.quote, evidence.fact, score))
    found.sort(key=lambda e: -e.score)
    return found


_FACT_KINDS = frozenset({"amount", "ratio", "count", "target", "date", "deadline", "period", "contact", "materials"})


def best_sentence(analysis: Analysis, hit: ScoredChunk, clause: Clause, document: Document, subject: set[str]) -> Evidence:
    """The sentence of ``hit`` that carries the question's subject and, for a fact, states it."""
    text = hit.chunk.text
    kind = analysis.asks
    sentences = [s for s in split_sentences(text) if not _AGENCY_PAREN_RE.fullmatch(s)]
    # The heading line ("一、总体目标") repeats the path; it says nothing of its own.
    said = [s for s in sentences if s.rstrip("。") not in clause.path]
    sentences = said or sentences
    if not sentences:
        return Evidence(hit, clause, document, text, None, 0.0)
    def topic(sentence: str) -> float:
        words = sentence_terms(sentence)
        return sum(len(t) for t in subject & words)

    scored = []
    for index, sentence in enumerate(sentences):
        fragments = _FRAGMENT_RE.findall(sentence) or [sentence]
        fact_scores = [(_fragment_score(kind, f, analysis.question), f) for f in fragments] if kind in _FACT_KINDS else []
        # The phrase that states the fact, and it carries the subject (or the sentence does).
        best_fact = max(fact_scores, key=lambda item: (item[0], topic(item[1])), default=(0.0, None))
        value = topic(sentence) + 3 * best_fact[0] - 0.01 * index
        if kind == "measures" and re.search(r"支持|补贴|补助|奖励|给予|券|资金", sentence):
            value += 2
        if kind in ("count", "target") and _YEAR_TARGET_RE.search(sentence):
            value += 1
        scored.append((value, index, sentence, best_fact))
    scored.sort(key=lambda item: -item[0])
    value, index, sentence, (fact_value, fragment) = scored[0]
    fact = None
    if fragment and fact_value > 0:
        fact = fragment.rstrip("，,；;。：:！？")
        if kind in ("ratio", "amount"):
            # Tiers ("100万元以下部分按40%补助；100万元至500万元部分按30%补助") are one answer.
            whole = full_sentence(text, sentence)
            tiers = [f.rstrip("，,；;。：:！？") for f in _FRAGMENT_RE.findall(whole) if _fragment_score(kind, f, analysis.question) >= fact_value]
            if len(tiers) > 1:
                fact = "；".join(dict.fromkeys(tiers))
        year = _YEAR_TARGET_RE.search(sentence)
        if kind in ("count", "target") and year and year.group(0) not in fact:
            fact = f"{year.group(0)}，{fact}"
    quote = _quote(text, sentences, index, sentence, scored, subject, clause, kind, analysis.question)
    if kind == "contact" and quote == text:
        fact = None  # the whole list is the answer; one number of it would mislead
    return Evidence(hit, clause, document, quote, fact, value)


_HEADING_MARKER_RE = re.compile(r"^(第[^章节条]+[章节条]\s*|[一二三四五六七八九十]+、|（[一二三四五六七八九十\d]+）|\d+[\.．、])")


def _quote(text: str, sentences: list[str], index: int, sentence: str, scored, subject: set[str], clause: Clause, kind: str = "", question: str = "") -> str:
    heading = set(tokenize(clause.clause_path.split(" › ")[-1]))
    own = _HEADING_MARKER_RE.sub("", clause.path[-1]) if clause.path else ""
    names_clause = any(own[i : i + 4] in question for i in range(max(0, len(own) - 3)))
    if len(text) <= 400 and subject and (names_clause or not (subject - heading - GENERIC_TERMS)):
        return text  # the question names the clause itself: quote all of it
    if kind == "contact" and len(text) <= 500:
        return text  # names, offices and numbers answer together
    lead_in = next((i for i in range(index, -1, -1) if _LEAD_IN_RE.search(sentences[i])), None)
    if lead_in is not None and len(text) <= 600 and index - lead_in <= 8:
        # "申请企业应当提交下列材料：" and its items answer together; one item alone misleads.
        return contiguous(text, sentences[lead_in:])
    picked = [full_sentence(text, sentence)]
    if len(sentence) < 20 and index + 1 < len(sentences):
        picked.append(sentences[index + 1])  # a heading-only sentence says nothing alone
    elif len(scored) > 1 and scored[1][0] > 0 and abs(scored[1][1] - index) == 1:
        picked.append(scored[1][2])
    return contiguous(text, picked)


def full_sentence(text: str, sentence: str, limit: int = 300) -> str:
    """``sentence`` widened to the full stops around it ("；" ends a part, "。" the sentence), within ``limit``."""
    start = text.find(sentence)
    if start < 0:
        return sentence
    end = start + len(sentence)
    left = max(text.rfind(mark, 0, start) for mark in "。！？\n") + 1
    rights = [i for i in (text.find(mark, end - 1) for mark in "。！？\n") if i >= 0]
    right = min(rights) + 1 if rights else len(text)
    whole = text[left:right].strip()
    return whole if len(whole) <= limit and sentence in whole else sentence


def contiguous(text: str, sentences: list[str]) -> str:
    """One verbatim span of ``text`` covering ``sentences`` when they are close, else the first one."""
    spans = sorted((text.find(s), text.find(s) + len(s)) for s in sentences if s and s in text)
    if not spans:
        return sentences[0] if sentences else text
    start, end = spans[0][0], spans[-1][1]
    if end - start > 400:
        start, end = spans[0]
    return text[start:end].strip()
