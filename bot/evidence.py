"""Evidence at sentence level: the sentence, and the phrase within it, that states what the question asks.

Every top clause of every document found is searched before a fact is declared missing; what a phrase
states and how the quote is cut around it are ``bot/quotes.py``'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.analysis import Analysis, asked_kind
from bot.gazetteer import stem
from bot.planindex import PlanIndex, split_sentences
from bot.quotes import (
    ASKED_RE, FRAGMENT_RE, YEAR_TARGET_RE, contact_lines, contiguous, fragment_score, full_sentence, names_clause,
    narrowed, quote_around, sentence_terms, subject_overlap,
)
from bot.words import question_kinds
from ingest.models import Clause, Document
from vectorstore.retriever import ScoredChunk, matched_only_by_hint
from vectorstore.text import GENERIC_TERMS, expand_query, tokenize

_AGENCY_PAREN_RE = re.compile(r"[（(](?:责任单位|牵头单位|责任部门)[：:].*[）)]", re.S)
_ASKS_ONE_FIGURE_RE = re.compile(r"多少|几|最多|最高|上限|封顶|额度|比例|多大|多长|\bhow (many|much)\b", re.I)
_EXAMPLE_RE = re.compile(r"^(答[：:])?\s*(例如|比如|譬如|假如|假设|如果|若)")
_ASKS_EXAMPLE_RE = re.compile(r"例子|举例|示例|算例|怎么算|如何计算|计算")


@dataclass(frozen=True)
class Evidence:
    """A clause sentence that answers (part of) a question, and the phrase in it that states the fact."""

    hit: ScoredChunk
    clause: Clause
    document: Document
    quote: str  # verbatim, contiguous clause text
    fact: str | None  # verbatim phrase(s) of ``quote`` stating the asked fact; None when it states none
    score: float


# A clause retrieval ranks below half the best one's score does not answer with its figure.
MIN_STATING_RELEVANCE = 0.5
# Sentence score bonus for stating a fact of the asked kind (topic words are counted in characters).
STATES_WEIGHT = 6.0


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
        clause_overlap = subject_overlap(f"{clause.clause_path} {hit.chunk.text}", subject)
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
        drafts.append((rank, evidence, subject_overlap(evidence.quote, subject)))
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
                answers = later.score >= 0.8 * evidence.score and subject_overlap(later.quote, subject) >= subject_overlap(evidence.quote, subject)
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
        fragments = FRAGMENT_RE.findall(sentence) or [sentence]
        # A question ("问：…？") states no fact, whatever figures its example holds.
        asks_itself = bool(ASKED_RE.match(sentence)) or sentence.rstrip().endswith(("？", "?"))
        # A worked example ("例如，项目贷款1亿元…") illustrates the rule; it states it only when an example is asked.
        asks_itself = asks_itself or (bool(_EXAMPLE_RE.match(sentence)) and not _ASKS_EXAMPLE_RE.search(analysis.question))
        fact_scores = [(fragment_score(kind, f, analysis.question), f) for f in fragments] if kind in _FACT_KINDS and not asks_itself else []
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
        states_here = best_fact[0] > 0 and (subject_overlap(sentence, subject) > 0 or not any(len(t) > 1 for t in subject))
        value = topic(sentence) + (STATES_WEIGHT + best_fact[0] if states_here else 0.0) - 0.01 * index
        if states_here:
            stating.add(index)
        if kind == "measures" and re.search(r"支持|补贴|补助|奖励|给予|券|资金", sentence):
            value += 2
        if kind in ("count", "target") and YEAR_TARGET_RE.search(sentence):
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
            same = [f.rstrip("，,；;。：:！？") for f in FRAGMENT_RE.findall(whole) if fragment_score(kind, f, analysis.question) > 0 and topic(f) >= topic(fragment) > 0]
            if len(same) > 1:
                fact = "；".join(dict.fromkeys(same))
        if kind in ("ratio", "amount"):
            # Tiers ("100万元以下部分按40%补助；100万元至500万元部分按30%补助") are one answer.
            whole = full_sentence(text, sentence)
            tiers = [f.rstrip("，,；;。：:！？") for f in FRAGMENT_RE.findall(whole) if fragment_score(kind, f, analysis.question) >= fact_value]
            if len(tiers) > 1:
                fact = "；".join(dict.fromkeys(tiers))
        year = YEAR_TARGET_RE.search(sentence)
        if kind in ("count", "target") and year and year.group(0) not in fact:
            fact = f"{year.group(0)}，{fact}"
    quote = quote_around(text, sentences, index, sentence, scored, subject, clause, kind, analysis.question)
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
                for fragment in FRAGMENT_RE.findall(sentence) or [sentence]:
                    phrase = fragment.rstrip("，,；;。：:！？")
                    value = fragment_score(analysis.asks, fragment, part)
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
