"""Evidence at sentence level: the sentence, and the phrase within it, that states what the question asks.

A cap is a money figure with 不超过/最高/上限/封顶/以内; a threshold ("低于20万元的不予受理", "总投资1亿元以上")
is not a cap, and a total budget ("总额3亿元") is not what one firm gets. Every top clause of every document
found is searched before a fact is declared missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.analysis import Analysis, asked_kind, question_kinds
from bot.gazetteer import stem
from bot.planindex import PlanIndex, split_sentences
from ingest.models import Clause, Document
from vectorstore.retriever import ScoredChunk, matched_only_by_hint
from vectorstore.text import GENERIC_TERMS, dictionary_terms, expand_query, tokenize

_MONEY = r"\d+(?:\.\d+)?\s*(?:万|亿|千)?元"
_CAP_RE = re.compile(r"不超过|不高于|最高|上限|封顶|以内|最多|至多|为限")
_THRESHOLD_RE = re.compile(rf"(低于|不低于|不少于|(?<!不)超过|达到|以上|起)\s*{_MONEY}|{_MONEY}\s*(以上|及以上|起)(?!.{{0,4}}(补|奖|资助))")
_TOTAL_RE = re.compile(r"总额|总规模|总计|合计安排|每年安排|统筹安排|专项资金|总量|规模达")
_ASKS_MINIMUM_RE = re.compile(r"最低|门槛|起点|至少|起步")
_ASKS_TOTAL_RE = re.compile(r"总额|总共|一共|总规模|资金规模|多大规模|总量|整体")
_RATIO_RE = re.compile(r"\d+(?:\.\d+)?\s*%|百分之[一二三四五六七八九十百]+|\d+\s*[:：比]\s*\d+|\d+(?:\.\d+)?个百分点|[一二三四五六七八九]成|\d+(?:\.\d+)?倍")
_RATIO_CAP_RE = re.compile(r"(不得?超过|不高于|最高|上限|封顶)[^，,；;。]{0,16}?\d+(?:\.\d+)?\s*%")
_COUNT_RE = re.compile(r"\d+(?:\.\d+)?\s*(?:万|亿|千|百)?\s*(?:个|家|项|所|条|款|台|套|座|批|类|户|名|人|张|次|部|种|件)(?:以上|左右|及以上)?")
_LEVEL_RE = re.compile(r"(达到|(?<!不)超过|突破|提升至|提高到|增长到|不低于)[^，,；;。]{0,12}?\d")
_YEAR_TARGET_RE = re.compile(r"到\s*\d{4}\s*年(?:底|末)?")
_YEAR_LEAD_RE = re.compile(r"^到\s*\d{4}\s*年(?:底|末)?，")
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
        if _RATIO_CAP_RE.search(text) and not re.search(_MONEY, text):
            return True  # "合计不得超过实际支付费用的50%": a cap set as a share of the spend
        return bool(re.search(_MONEY, text)) and not _only_threshold(text) and not (_only_total(text) and not _ASKS_TOTAL_RE.search(question))
    if kind == "ratio":
        return bool(_RATIO_RE.search(text))
    if kind == "target":
        # A target is any quantity to reach: a count, a rate, a sum ("营业收入突破8000亿元"), a level.
        return bool(_COUNT_RE.search(re.sub(_MONEY, "", text)) or _RATIO_RE.search(text) or re.search(_MONEY, text) or _LEVEL_RE.search(text))
    if kind == "count":
        return bool(_COUNT_RE.search(re.sub(_MONEY, "", text)))
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
    if kind == "count":
        thing = counted_thing(question)
        if thing and thing not in fragment:
            return 0.0
    # A count asked with no unit named: a level reached ("规模突破300亿元") answers it as well as a count.
    reached = kind == "count" and not counted_thing(question) and bool(_LEVEL_RE.search(fragment))
    if not (states(kind, fragment, question) or reached):
        return 0.0
    value = 1.0
    if kind == "amount":
        per_firm = not _ASKS_TOTAL_RE.search(question)
        if _CAP_RE.search(fragment) and per_firm:
            value += 2
        if _TOTAL_RE.search(fragment):
            value += 1.5 if not per_firm else -0.8
        if re.search(r"单家|每家|单个|每个|每年|年度|一次性", fragment) and per_firm:
            value += 0.5
    if kind in ("count", "target") and re.search(r"以上|左右|不少于", fragment):
        value += 0.5
    return value


_COUNTED_RE = re.compile(r"(?:多少|几)(?:个|家|项|所|条|款|台|套|座|批|类|户|名|人|张|次|部|种|件)?([\u4e00-\u9fff]{2,6})")


def counted_thing(question: str) -> str:
    """What a count question counts, as it says it ("几个项目" → 项目): a count of something else is not the answer."""
    match = _COUNTED_RE.search(question)
    if not match:
        return ""
    words = [t for t in tokenize(match.group(1)) if len(t) >= 2 and t not in GENERIC_TERMS]
    return words[0] if words else ""


def sentence_terms(sentence: str) -> frozenset[str]:
    """A clause sentence's search tokens; sentences repeat across questions, so each is cut once per dictionary
    (how a sentence is cut depends on the index searched: its terms are in jieba's dictionary)."""
    return _cut_once(sentence, dictionary_terms())


@lru_cache(maxsize=32768)
def _cut_once(sentence: str, terms: frozenset[str]) -> frozenset[str]:
    return frozenset(tokenize(sentence))


# A clause retrieval ranks below half the best one's score does not answer with its figure.
MIN_STATING_RELEVANCE = 0.5


def _carries_subject(text: str, subject: set[str]) -> bool:
    """Whether ``text`` shares a word of two characters or more with what the question is about."""
    return any(len(t) >= 2 for t in subject & sentence_terms(text)) or not any(len(t) >= 2 for t in subject)


def _subject_tokens(analysis: Analysis) -> set[str]:
    """What the question is about: its words less those that only say what kind of fact it asks (材料, 多少)."""
    asks = dict(question_kinds()).get(analysis.asks)
    def tokens(words: str) -> set[str]:
        # Single characters count here ("港" of 港口): within one clause they point at the sentence.
        return {
            t for t in tokenize(expand_query(words))
            if t not in GENERIC_TERMS and not (asks is not None and len(t) > 1 and asks.fullmatch(t))
        }

    if not analysis.follow_up:
        return tokens(analysis.subject or analysis.about)
    # A follow-up's own words pick the sentence (analysis gives the turn before's when it names no subject);
    # the turn before only found the clause. A place it names (a city name alone) chose the documents
    # already: with nothing else said, the turn before's words do.
    places = {p for d in analysis.named_places for p in (d.name, d.short)} | set(analysis.places) | {stem(p) for p in analysis.places}
    own = {t for t in tokens(analysis.subject or analysis.question) if t not in places}
    return own if any(len(t) > 1 for t in own) else tokens(analysis.about) - places


def _overlap(text: str, subject: set[str]) -> int:
    return sum(len(t) for t in subject & sentence_terms(text) if len(t) > 1)


def select(analysis: Analysis, hits: list[ScoredChunk], plan: PlanIndex, *, limit: int = 6) -> list[Evidence]:
    """The best sentence of each of the top clauses, ranked by how well it states what is asked.

    A clause is about the question's subject by its own words (heading and text); among the clauses
    that state the asked fact, the one whose sentence holds more of the question's own words leads, and
    a policy's own clause comes before a 解读/问答 or an application notice that restates it.
    """
    subject = _subject_tokens(analysis)
    kind = analysis.asks
    top_score = hits[0].score if hits else 1.0
    drafts: list[tuple[int, Evidence, int]] = []
    top_clause_overlap = 0
    for rank, hit in enumerate(hits[:limit]):
        clause = plan.clauses.get(hit.chunk.clause_id)
        document = plan.documents.get(hit.chunk.doc_id)
        if clause is None or document is None:
            continue
        evidence = best_sentence(analysis, hit, clause, document, subject)
        if matched_only_by_hint(hit):
            # A notice found by its hint words (截止, 联系人) states its own deadline, not the one asked.
            evidence = Evidence(hit, clause, document, evidence.quote, None, evidence.score)
        clause_overlap = _overlap(f"{clause.clause_path} {hit.chunk.text}", subject)
        if not drafts:
            top_clause_overlap = clause_overlap
        # A lower clause states the fact only when it is at least half as much about the subject as the best one.
        about_subject = clause_overlap >= 0.5 * top_clause_overlap or not drafts
        relevance = hit.score / top_score if top_score > 0 else 0.0
        # The sentence the quote was cut from, with the clause's heading, is what must carry the subject.
        carries = _carries_subject(f"{clause.title} {full_sentence(hit.chunk.text, evidence.quote, limit=10_000)}", subject)
        if evidence.fact and not (relevance >= MIN_STATING_RELEVANCE and about_subject and carries):
            # A figure in a clause about something else is not the answer ("not stated" beats a near miss).
            evidence = Evidence(hit, clause, document, evidence.quote, None, evidence.score)
        drafts.append((rank, evidence, _overlap(evidence.quote, subject)))
    best_overlap = max((o for _, e, o in drafts if e.fact), default=0)
    found: list[Evidence] = []
    for rank, evidence, overlap in drafts:
        relevance = evidence.hit.score / top_score if top_score > 0 else 0.0
        score = relevance - 0.01 * rank
        if kind in _FACT_KINDS and evidence.fact:
            # The sentence that carries the question's own words states the fact asked, not one that
            # only shares the clause (a year, a topic word).
            score += 0.6 + 0.005 * evidence.score + (0.4 * overlap / best_overlap if best_overlap else 0.0)
        elif kind in _FACT_KINDS:
            score += 0.005 * evidence.score
        found.append(Evidence(evidence.hit, evidence.clause, evidence.document, evidence.quote, evidence.fact, score))
    found.sort(key=lambda e: -e.score)
    return primary_first(found, plan, kind in _FACT_KINDS, subject)


def restated_source(document: Document, plan: PlanIndex) -> set[str]:
    """Ids of the indexed documents ``document`` restates: the policy a 解读/问答 names in its title
    (《…》), or one of its own place that its text cites by title (an application notice implementing
    a 管理办法)."""
    quoted = {_bare(t) for t in _QUOTED_TITLE_RE.findall(document.title)}
    cited = {_bare(t) for c in document.clauses for t in _QUOTED_TITLE_RE.findall(c.text)} - quoted
    sources = set()
    for other in plan.documents.values():
        if other.doc_id == document.doc_id or "《" in other.title:
            continue
        own = _bare(other.title)
        if any(q and q in own for q in quoted):
            sources.add(other.doc_id)
        elif other.jurisdiction == document.jurisdiction and any(len(c) >= 6 and c in own for c in cited):
            sources.add(other.doc_id)
    return sources


_QUOTED_TITLE_RE = re.compile(r"《([^》]{4,})》")
_NUMBERS_RE = re.compile(r"\d+(?:\.\d+)?")


def _bare(title: str) -> str:
    return re.sub(r"[（(][^）)]*[）)]|[“”\"\s]", "", title)


def primary_first(found: list[Evidence], plan: PlanIndex, facts: bool, subject: set[str]) -> list[Evidence]:
    """Move a policy's own clause ahead of a restatement of it ranked above, when it answers as well:
    states a fact too (a fact asked), or holds as many of the question's words (anything else)."""
    ordered = list(found)
    for position, evidence in enumerate(found):
        sources = restated_source(evidence.document, plan)
        if not sources:
            continue
        for later in ordered[ordered.index(evidence) + 1 :]:
            if later.document.doc_id not in sources:
                continue
            if facts and evidence.fact:
                # The same fact: every figure the restatement gives is in the policy's clause.
                answers = bool(later.fact) and set(_NUMBERS_RE.findall(evidence.fact)) <= set(_NUMBERS_RE.findall(later.hit.chunk.text))
            else:
                # Anything else: the policy's sentence holds as many of the question's words.
                answers = later.score >= 0.8 * evidence.score and _overlap(later.quote, subject) >= _overlap(evidence.quote, subject)
            if answers:
                ordered.remove(later)
                ordered.insert(ordered.index(evidence), later)
                break
    return ordered


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
    stating: set[int] = set()
    for index, sentence in enumerate(sentences):
        fragments = _FRAGMENT_RE.findall(sentence) or [sentence]
        # A question ("问：…？") states no fact, whatever figures its example holds.
        asks_itself = bool(_ASKED_RE.match(sentence)) or sentence.rstrip().endswith(("？", "?"))
        # A worked example ("例如，项目贷款1亿元…") illustrates the rule; it states it only when an example is asked.
        asks_itself = asks_itself or (bool(_EXAMPLE_RE.match(sentence)) and not _ASKS_EXAMPLE_RE.search(analysis.question))
        fact_scores = [(_fragment_score(kind, f, analysis.question), f) for f in fragments] if kind in _FACT_KINDS and not asks_itself else []
        # The phrase that states the fact, and it carries the subject (or the sentence does).
        # A target or count: the phrase with the question's own words ("智能算力规模") among those that state
        # one; an amount or rate: the strongest (a cap over a total), then the words.
        order = (lambda item: (item[0] > 0, topic(item[1]), item[0])) if kind in ("count", "target") else (lambda item: (item[0], topic(item[1])))
        best_fact = max(fact_scores, key=order, default=(0.0, None))
        # A sentence that states a fact of the asked kind comes before one that only shares the question's
        # words; among those that state one, the question's own words decide, then the fact's strength
        # (a cap over a bare figure).
        # (A stating sentence none of whose words the question uses is not preferred: a follow-up naming only a later year
        # asks for the 2030 sentence, not for another year's figure.)
        states_here = best_fact[0] > 0 and (_overlap(sentence, subject) > 0 or not any(len(t) > 1 for t in subject))
        value = topic(sentence) + (STATES_WEIGHT + best_fact[0] if states_here else 0.0) - 0.01 * index
        if states_here:
            stating.add(index)
        if kind == "measures" and re.search(r"支持|补贴|补助|奖励|给予|券|资金", sentence):
            value += 2
        if kind in ("count", "target") and _YEAR_TARGET_RE.search(sentence):
            value += 1
        scored.append((value, index, sentence, best_fact))
    # Any sentence that states the asked kind and shares the question's words comes first.
    scored.sort(key=lambda item: (item[1] not in stating, -item[0]))
    several = _parts_answer(analysis, hit, clause, document, text, sentences) if kind in _FACT_KINDS else None
    if several is not None:
        return several
    value, index, sentence, (fact_value, fragment) = scored[0]
    fact = None
    if fragment and fact_value > 0:
        fact = fragment.rstrip("，,；;。：:！？")
        if kind in ("count", "target"):
            # "从业人员不超过1000人，且缴纳社会保险的从业人员不少于10人": every phrase counting what the best one counts.
            whole = full_sentence(text, sentence)
            same = [f.rstrip("，,；;。：:！？") for f in _FRAGMENT_RE.findall(whole) if _fragment_score(kind, f, analysis.question) > 0 and topic(f) >= topic(fragment) > 0]
            if len(same) > 1:
                fact = "；".join(dict.fromkeys(same))
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
    # Only a question after one figure (多少, 上限) has it cut out of its sentence; asking what the targets are asks them all.
    if fact and kind in _FACT_KINDS and kind not in ("contact", "materials") and _ASKS_ONE_FIGURE_RE.search(analysis.question):
        quote = narrowed(quote, fact, kind, analysis.question, subject, keep_whole=names_clause(clause, analysis.question))
    if kind == "contact":
        # Names, offices and numbers answer together: every contact line the quote holds, or those
        # that carry the question's own words (the office or service the question names) when some do.
        fact = contact_lines(quote, subject) or None
    return Evidence(hit, clause, document, quote, fact, value)


def asked_parts(analysis: Analysis) -> list[str]:
    """The parts of a question that asks two facts of one kind: a per-person amount and a per-firm cap asked in two sentences, or
    "A的X和B的X" with 各 or 分别 (A和B sharing what follows: each part is A or B with the shared words)."""
    question = analysis.question
    pieces = [p for p in re.split(r"[？?；;]", question) if p.strip()]
    if len(pieces) > 1 and all(asked_kind(p) == analysis.asks for p in pieces):
        return pieces
    both = re.search(r"^(.{2,}?)(?:和|与|及|以及)(.{2,})$", question)
    if not both or not re.search(r"各|分别", both.group(2)):
        return []
    first, rest = both.group(1), both.group(2)
    # The words the first part ends with that the second repeats ("…的上限") mark where the second part ends.
    for size in range(min(len(first), 8), 1, -1):
        shared = first[-size:]
        at = rest.find(shared)
        if at >= 0:
            tail = rest[at + size :]
            return [first + tail, rest[: at + size] + tail]
    return []


def _parts_answer(analysis: Analysis, hit: ScoredChunk, clause: Clause, document: Document, text: str, sentences: list[str]) -> Evidence | None:
    """Evidence for each part of a question asking two facts, when this clause states a different one for each."""
    parts = asked_parts(analysis)
    if len(parts) < 2:
        return None
    asks = dict(question_kinds()).get(analysis.asks)
    chosen: dict[int, tuple[str, str]] = {}
    # A part whose words the clause uses takes the phrase nearest them; a part none of whose words it
    # uses (a synonym of the clause's wording) takes the strongest phrase left.
    for near_only in (True, False):
        for n, part in enumerate(parts):
            if n in chosen:
                continue
            words = {t for t in tokenize(part) if len(t) > 1 and t not in GENERIC_TERMS and not (asks and asks.fullmatch(t))}
            taken = {fragment for fragment, _ in chosen.values()}
            best = None
            for sentence in sentences:
                for fragment in _FRAGMENT_RE.findall(sentence) or [sentence]:
                    phrase = fragment.rstrip("，,；;。：:！？")
                    value = _fragment_score(analysis.asks, fragment, part)
                    near = sum(len(t) for t in words & sentence_terms(fragment)) + 0.5 * sum(len(t) for t in words & sentence_terms(sentence))
                    if value > 0 and phrase not in taken and (near > 0 or not near_only) and (best is None or (near, value) > best[0]):
                        best = ((near, value), phrase, sentence)
            if best is not None:
                chosen[n] = (best[1], best[2])
    if len(chosen) < len(parts):
        return None
    facts = [chosen[n][0] for n in range(len(parts))]
    said = [full_sentence(text, chosen[n][1]) for n in range(len(parts))]
    return Evidence(hit, clause, document, contiguous(text, list(dict.fromkeys(said))), "；".join(dict.fromkeys(facts)), 0.0)


# Sentence score bonus for stating a fact of the asked kind (topic words are counted in characters).
STATES_WEIGHT = 6.0
_CONTACT_LINE_RE = re.compile(r"[^\n；;。]+")
_ANSWER_MARK_RE = re.compile(r"^(问|答)[：:]\s*")


def contact_lines(text: str, subject: set[str]) -> str:
    """The verbatim parts of ``text`` that give a phone, a contact person or an e-mail address."""
    lines = [_ANSWER_MARK_RE.sub("", m.group(0).strip(" ，,：:")) for m in _CONTACT_LINE_RE.finditer(text)]
    lines = [line for line in lines if states("contact", line)]
    if not lines:
        return ""
    overlaps = [_overlap(line, subject) for line in lines]
    best = max(overlaps)
    # Words every line shares (电话) do not pick one; words only some lines carry do.
    if best > 0 and best > min(overlaps):
        lines = [line for line, o in zip(lines, overlaps) if o == best]
    return "；".join(dict.fromkeys(lines[:4]))


# A quote longer than this is cut to the part that states the fact (the whole clause stays in the citation).
QUOTE_LIMIT = 150
_PART_END = "；;。！？\n"


def narrowed(quote: str, fact: str, kind: str, question: str, subject: set[str], keep_whole: bool = False) -> str:
    """The part of ``quote`` that states ``fact``, without the phrases around it that state other figures
    of the asked kind (other targets beside the one asked) or a total budget beside a per-firm cap: quoted
    whole, they read as the answer. A short quote with nothing else of the kind stays whole, and so does a
    clause the question names (``keep_whole``), but for a total beside a cap.
    """
    # The year a target is stated for is added to its phrase ("到2027年，…"): find the phrase itself.
    pieces = [p if p in quote else _YEAR_LEAD_RE.sub("", p) for p in fact.split("；")]
    pieces = [p for p in pieces if p and p in quote]
    if not pieces:
        return quote
    start = min(quote.find(p) for p in pieces)
    end = max(quote.find(p) + len(p) for p in pieces)
    per_firm = kind == "amount" and not _ASKS_TOTAL_RE.search(question)

    def total(f: str) -> bool:
        return per_firm and bool(_TOTAL_RE.search(f) and re.search(_MONEY, f))

    def other(f: str) -> bool:
        # A figure of the kind asked about something the question names less than the fact's phrase does.
        return total(f) or (states(kind, f, question) and _overlap(f, subject) < own)

    own = max(_overlap(p, subject) for p in pieces)

    stop = re.search(r"[，,；;。：:！？\n]", quote[end:])
    end = end + stop.end() if stop else len(quote)  # the fact's phrase runs to its punctuation
    left = max(quote.rfind(mark, 0, start) for mark in _PART_END) + 1
    rights = [i for i in (quote.find(mark, end - 1) for mark in _PART_END) if i >= 0]
    right = min(rights) + 1 if rights else len(quote)
    before = _FRAGMENT_RE.findall(quote[left:start])
    after = _FRAGMENT_RE.findall(quote[end:right])
    if keep_whole and not any(total(f) for f in before + after):
        return quote
    if len(quote) <= QUOTE_LIMIT and not any(other(f) for f in before + after):
        return quote
    # From the phrase after the last other figure before the fact, to the phrase before the next one after it.
    cut = max((i + 1 for i, f in enumerate(before) if other(f)), default=0)
    while len("".join(before[cut:])) > QUOTE_LIMIT:
        cut += 1
    left += len("".join(before[:cut]))
    keep = next((i for i, f in enumerate(after) if other(f)), len(after))
    right = end + len("".join(after[:keep]))
    return quote[left:right].strip()


_ASKS_ONE_FIGURE_RE = re.compile(r"多少|几|最多|最高|上限|封顶|额度|比例|多大|多长|\bhow (many|much)\b", re.I)
_EXAMPLE_RE = re.compile(r"^(答[：:])?\s*(例如|比如|譬如|假如|假设|如果|若)")
_ASKS_EXAMPLE_RE = re.compile(r"例子|举例|示例|算例|怎么算|如何计算|计算")
_ASKED_RE = re.compile(r"^([一二三四五六七八九十\d]+[、.．]\s*)?问[：:]")
_ANSWERED_RE = re.compile(r"^答[：:]")
_HEADING_MARKER_RE = re.compile(r"^(第[^章节条]+[章节条]\s*|[一二三四五六七八九十]+、|（[一二三四五六七八九十\d]+）|\d+[\.．、])")


def _quote(text: str, sentences: list[str], index: int, sentence: str, scored, subject: set[str], clause: Clause, kind: str = "", question: str = "") -> str:
    heading = set(tokenize(clause.clause_path.split(" › ")[-1]))
    if len(text) <= 400 and subject and (names_clause(clause, question) or not (subject - heading - GENERIC_TERMS)):
        return text  # the question names the clause itself: quote all of it
    if kind == "contact" and len(text) <= 500:
        return text  # names, offices and numbers answer together
    lead_in = next((i for i in range(index, -1, -1) if _LEAD_IN_RE.search(sentences[i])), None)
    if lead_in is not None and len(text) <= 600 and index - lead_in <= 8:
        # "申请企业应当提交下列材料：" and its items answer together; one item alone misleads.
        return contiguous(text, sentences[lead_in:])
    picked = [full_sentence(text, sentence)]
    if _ASKED_RE.match(sentence) and index + 1 < len(sentences) and _ANSWERED_RE.match(sentences[index + 1]):
        picked.append(sentences[index + 1])  # a 问答's question says nothing without its answer
    elif len(sentence) < 20 and index + 1 < len(sentences):
        picked.append(sentences[index + 1])  # a heading-only sentence says nothing alone
    elif len(scored) > 1 and scored[1][0] > 0 and abs(scored[1][1] - index) == 1:
        picked.append(scored[1][2])
    return contiguous(text, picked)


def names_clause(clause: Clause, question: str) -> bool:
    """The question names the clause itself by four characters of its heading ("总体目标里…")."""
    own = _HEADING_MARKER_RE.sub("", clause.path[-1]) if clause.path else ""
    return any(own[i : i + 4] in question for i in range(max(0, len(own) - 3)))


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
