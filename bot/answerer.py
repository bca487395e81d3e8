"""Extractive answers: route the question, find the clauses, quote them. No LLM, no key, no network."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from bot import lifecycle  # issue 12: versions of documents (superseded, withdrawn, expired)
from bot.agencies import ALIASES, find_agencies
from bot.eligibility import chat_eligibility, compose_answer
from bot.errors import InvalidQuestion
from bot.models import Answer, Citation, Turn
from bot.planindex import PlanIndex, split_sentences
from bot.references import means_province, referenced_documents
from bot.router import PROVINCES, WITHIN, Route, is_english, is_follow_up, route
from bot.settings import Settings
from ingest.models import KIND_HINTS, Chunk, Clause, Document
from prompts import load_replies
from vectorstore.retriever import HybridRetriever, ScoredChunk, jurisdiction_level
from vectorstore.text import GENERIC_TERMS, expand_query, tokenize

_AGENCY_PAREN_RE = re.compile(r"[（(](?:责任单位|牵头单位|责任部门)[：:].*[）)]", re.S)
_SUPPORT_WORDS = re.compile(r"支持|补贴|补助|券|资金|融资|信贷|采购|用地|用能|保障|优先|鼓励|降低|提供|政策")
_NUMBER_RE = re.compile(r"\d")
_TARGET_SENTENCE_RE = re.compile(r"到\s*\d{4}\s*年[^。]*\d+\s*(个|家|项|亿|万|%)")
_CJK_RE = re.compile(r"[\u4e00-\u9fff]")
_GENERIC = GENERIC_TERMS
_LEADS_RE = re.compile(r"牵头|统筹|负责")
# How one goes about something, not what it is about.
_PROCEDURE_WORDS = frozenset(
    "办理 申请 申报 材料 需要 流程 手续 提交 登记 报名 办法 条件 时间 地点 哪里 多久 费用 步骤 补办 领取 咨询 窗口 网上 线上 线下".split()
)


@dataclass
class Retrieval:
    """A routed question with its clauses, or the refusal that ends it."""

    question: str
    query: str
    route: Route
    hits: list[ScoredChunk]
    refusal: Answer | None = None
    asker_said: str = ""  # everything the user said in this conversation, for facts about the asker
    named: frozenset[str] = frozenset()  # lifecycle: documents no longer in use that the question names


class ExtractiveAnswerer:
    """Answers from the plan index and the best clauses, quoting every statement it makes."""

    def __init__(self, retriever: HybridRetriever, settings: Settings) -> None:
        self.retriever = retriever
        self.settings = settings
        self.replies = load_replies()
        self._plan_cache: tuple[str, PlanIndex] | None = None

    # --- shared state ----------------------------------------------------------------
    @property
    def plan(self) -> PlanIndex:
        """The structured view of the same index snapshot retrieval uses (rebuilt when it changes)."""
        return self.plan_for()

    def plan_for(self, named: frozenset[str] = frozenset()) -> PlanIndex:
        """The plan of the documents in use, plus the ``named`` ones no longer in use (lifecycle)."""
        snap = self.retriever.snapshot()
        if named:
            return PlanIndex.from_documents(snap.documents_with(named))
        cached = self._plan_cache  # one (version, plan) pair, swapped whole: threads never see a mix
        if cached is None or cached[0] != snap.version:
            cached = (snap.version, PlanIndex.from_documents(snap.documents))
            self._plan_cache = cached
        return cached[1]

    # --- entry point -----------------------------------------------------------------
    def retrieve(self, question: str, history: list[Turn] | None = None) -> Retrieval:
        """Clean and route the question and find its clauses; decide here whether to refuse.

        Any answer writer (this one, or an LLM) starts from this, so a refusal holds for all:
        when ``refusal`` is set, nothing else may answer the question.
        """
        question = clean_question(question, self.settings.max_question_chars)
        history = history or []
        plan = self.plan
        decision = route(question, known_agencies=find_agencies(question, plan.agencies, plan.jurisdictions()), covered_places=plan.jurisdictions())
        query = self._contextual_query(question, history)
        # --- lifecycle hook (bot/lifecycle.py): old versions the question names may answer it, nothing
        # else that is no longer in use; a comparison of two versions is answered whole.
        snap = self.retriever.snapshot()
        named = lifecycle.named_documents(query, snap)
        plan = self.plan_for(named)
        if named and decision.name == "deadlines_contacts" and not any(plan.documents[d].notice for d in named):
            decision = Route("general")  # "那份征求意见稿…" asks what the named draft says, not about a consultation
        looked_up = lifecycle.without_version_words(query) if named else query  # what to find in the named documents
        if not plan.documents:
            return Retrieval(question, query, decision, [], self._refuse(question, Route("refuse", refusal="off_topic")))
        if decision.name == "refuse":
            return Retrieval(question, query, decision, [], self._refuse(question, decision))
        comparison = lifecycle.comparison_answer(query, snap)
        if comparison is not None:  # the answer that ends the question, like a refusal: no model rewrites a diff
            comparison.question = question
            return Retrieval(question, query, Route("compare"), [], comparison)
        # --- end of lifecycle hook
        places = [p for p in plan.jurisdictions() if re.sub(r"(省|市|自治区|县|区)$", "", p) in query]
        if not places and means_province(query):
            places = [p for p in plan.jurisdictions() if jurisdiction_level(p) == 0]
        referred, about = referenced_documents(looked_up, list(plan.documents.values()))
        hits = _notice_not_first_for_another_subject(
            self.retriever.search(about, k=self.settings.top_k, places=places, documents=referred | named, include=named)
        )
        said = " ".join([t.content for t in history if t.role == "user"] + [question])
        checked_elsewhere = decision.name in ("reverse_agency", "eligibility")
        if not checked_elsewhere and (not hits or not self._relevant(looked_up, hits)):
            refusal = self._refuse(question, Route("refuse", refusal="off_topic"))
            return Retrieval(question, query, decision, hits, lifecycle.note_retired(refusal, looked_up, snap, self.retriever))
        return Retrieval(question, query, decision, hits, None, said, named)

    def ask(self, question: str, history: list[Turn] | None = None) -> Answer:
        started = time.perf_counter()
        retrieval = self.retrieve(question, history)
        answer = retrieval.refusal or self.compose(retrieval)
        answer.latency_ms = round((time.perf_counter() - started) * 1000, 1)
        return answer

    def _contextual_query(self, question: str, history: list[Turn]) -> str:
        """Follow-ups ("那它的责任单位有哪些?") inherit the topic of the last user question."""
        previous = [t.content for t in history if t.role == "user" and t.content.strip()]
        if previous and is_follow_up(question):
            return f"{previous[-1]} {question}"
        return question

    # --- routes ----------------------------------------------------------------------
    def compose(self, retrieval: Retrieval) -> Answer:
        """The extractive answer for a question that ``retrieve`` did not refuse."""
        question, query, decision, hits = retrieval.question, retrieval.query, retrieval.route, retrieval.hits
        plan = self.plan_for(retrieval.named)
        if decision.name == "eligibility":
            answer = self._eligibility(question, retrieval.asker_said, plan)
            if answer:
                return answer
            if not hits or not self._relevant(query, hits):
                return self._refuse(question, Route("refuse", refusal="off_topic"))
        if decision.name == "reverse_agency":
            answer = self._reverse_agency(question, find_agencies(question, plan.agencies, plan.jurisdictions()), plan)
            if answer:
                return answer
            if not hits or not self._relevant(query, hits):
                return self._refuse(question, Route("refuse", refusal="off_topic"))
        if decision.name == "deadlines_contacts":
            answer = self._notice(question, hits, plan)
            if answer:
                return answer
        if decision.name == "agencies":
            answer = self._agencies(question, hits, plan)
            if answer:
                return answer
        return self._from_clauses(question, query, decision, hits, plan)

    def _relevant(self, query: str, hits: list[ScoredChunk]) -> bool:
        """Whether the best clauses share the question's substantive terms (IDF-weighted coverage).

        English words the documents never use are ignored: the query expansion has already
        turned the ones it knows into the documents' terms.
        """
        snap = self.retriever.snapshot()
        df = snap.document_frequency
        # The question's own words count; words added by query expansion count only where the
        # documents use them (they are hints, not evidence that the question is off-topic).
        own = set(tokenize(query))
        tokens = [
            t
            for t in dict.fromkeys(tokenize(expand_query(query)))
            if t not in _GENERIC and len(t) > 1 and ((t in own and _CJK_RE.search(t)) or t in df)
        ]
        if not tokens:
            return any(h.title_hit for h in hits[:3])
        known: set[str] = set()
        for hit in hits[:3]:
            position = snap.by_id.get(hit.chunk.id)
            known |= snap.tokens[position] if position is not None else set(tokenize(hit.chunk.search_text()))

        idf = snap.idf

        def is_known(token: str) -> bool:
            # "提意见" is covered by a clause that says "意见".
            return token in known or any(len(k) >= 2 and k in token for k in known)

        # "如何办理护照", "结婚登记需要什么材料": what it is about (护照, 结婚) appears in no document;
        # only how one goes about it (办理, 登记, 材料) does, and that is no reason to answer.
        def is_known_subject(token: str) -> bool:
            if token in _PROCEDURE_WORDS:
                return False
            return token in known or any(len(k) >= 2 and k in token and k not in _PROCEDURE_WORDS for k in known)

        unknown_subject = any(t not in df and t not in _PROCEDURE_WORDS and not is_known(t) for t in tokens)
        if unknown_subject and not any(is_known_subject(t) for t in tokens):
            return False
        covered = sum(idf(t) for t in tokens if is_known(t))
        return hits[0].title_hit or covered / sum(idf(t) for t in tokens) >= 0.25

    def _agencies(self, question: str, hits: list[ScoredChunk], plan: PlanIndex) -> Answer | None:
        top = plan.clauses.get(hits[0].chunk.clause_id)
        if top is not None and not top.responsible_agencies:
            return self._agencies_in_text(question, hits, plan)
        # Several fields named in one question ("医疗和教育分别谁负责") get one line each.
        # Only when the best clause is itself one of them: a lower clause whose heading shares a word
        # ("医药") must not replace the best one.
        chosen = [h for h in hits[:3] if h.title_hit and h.chunk.responsible_agencies] if hits[0].title_hit else []
        chosen = chosen or hits[:1]
        lines, citations, english = [], [], []
        for hit in chosen:
            clause = plan.clauses.get(hit.chunk.clause_id)
            document = plan.documents.get(hit.chunk.doc_id)
            if clause is None or document is None or not clause.responsible_agencies:
                continue
            agencies = clause.responsible_agencies
            listed = "、".join([f"{agencies[0]}（牵头）", *agencies[1:]])
            quote = _agency_quote(clause)
            n = len(citations) + 1
            lines.append(f"**{clause.title or clause.clause_path}**的责任单位是：{listed} [{n}]")
            lines.append(f"> {quote}")
            citations.append(_citation(document, clause, quote))
            english.append(f"{clause.clause_path}: {', '.join(agencies)}")
        if not citations:
            return None
        body = "\n\n".join(lines)
        if is_english(question):
            body = f"Responsible agencies (lead first) — {'; '.join(english)}\n\n{body}"
        return self._finish(question, body, citations, plan, route_name="agencies")

    def _agencies_in_text(self, question: str, hits: list[ScoredChunk], plan: PlanIndex) -> Answer | None:
        """Clauses without a 责任单位 list may still say who does what in their sentences.

        The best clause leads; the next ones join only when they name an agency in a sentence
        that shares the question's terms (e.g. 受理 in both 第三条 and 第十二条).
        """
        tokens = set(tokenize(expand_query(question))) - _GENERIC
        lines, citations = [], []
        for rank, hit in enumerate(hits[:3]):
            clause = plan.clauses.get(hit.chunk.clause_id)
            if clause is None:
                continue
            scored = [
                (len(tokens & set(tokenize(s))), s)
                for s in split_sentences(clause.text)
                if find_agencies(s, plan.agencies, plan.jurisdictions())
            ]
            scored = [item for item in scored if item[0] > 0 or rank == 0]
            if not scored:
                continue
            scored.sort(key=lambda item: -item[0])
            quote = _contiguous(clause.text, [s for _, s in scored[:2]])
            named = find_agencies(quote, plan.agencies, plan.jurisdictions())
            document = plan.documents[clause.doc_id]
            n = len(citations) + 1
            lines.append(f"根据《{document.title}》{clause.clause_path}，涉及的单位有：{'、'.join(named)} [{n}]\n\n> {quote}")
            citations.append(_citation(document, clause, quote))
        if not citations:
            return None
        return self._finish(question, "\n\n".join(lines), citations, plan, route_name="agencies")

    def _eligibility(self, question: str, asker_said: str, plan: PlanIndex) -> Answer | None:
        """Verdicts for the measures the question names (or all that set conditions), each condition cited."""
        places = sorted(plan.jurisdictions()) + [p for cities in WITHIN.values() for p in cities] + PROVINCES
        chat = chat_eligibility(question, asker_said, list(plan.documents.values()), places)
        if chat is None:
            return None
        citations: list[Citation] = []

        def cite(evidence) -> str:
            clause = plan.clauses.get(evidence.clause_id)
            document = plan.documents.get(clause.doc_id) if clause else None
            if clause is None or document is None:
                return ""
            for n, existing in enumerate(citations, start=1):
                if existing.clause == clause.clause_path and existing.quote == evidence.quote and existing.doc_title == document.title:
                    return f" [{n}]"
            citations.append(_citation(document, clause, evidence.quote))
            return f" [{len(citations)}]"

        text = compose_answer(chat.result, cite, policy_places=chat.policy_places)
        return self._finish(question, text, citations, plan, route_name="eligibility")

    def _reverse_agency(self, question: str, agencies: list[str], plan: PlanIndex) -> Answer | None:
        if not agencies:
            return None
        agency = agencies[0]
        roles = plan.roles_of(agency)
        if not roles:
            return None
        lines = [f"**{agency}**在已收录文件中承担以下工作："]
        citations: list[Citation] = []
        limit = 15
        entries = []
        for role in roles:
            clause = role.clause
            if role.role == "提及":
                quote = next((s for s in split_sentences(clause.text) if agency in s or any(a in s for a in _names(agency))), "")
                if not quote:
                    continue
                label = "文中提及"
            else:
                quote = _agency_quote(clause)
                label = "牵头单位" if role.role == "牵头" else "责任单位之一"
            entries.append((role, clause, quote, label))
        # What a clause says the agency does comes before lists it is merely part of; among the
        # mentions, one that says it leads or coordinates ("牵头实施", "统筹推进") comes first.
        order = {"牵头": 0, "提及": 1, "参与": 2}
        entries.sort(key=lambda e: (order[e[0].role], not (e[0].role == "提及" and _LEADS_RE.search(e[2]))))
        for role, clause, quote, label in entries[:limit]:
            n = len(citations) + 1
            lines.append(f"{n}. {clause.clause_path}（{label}）[{n}]：{quote}")
            citations.append(_citation(role.document, clause, quote))
        if is_english(question):
            lines.insert(0, f"{agency} is named in {len(citations)} clauses (listed below, quoted verbatim).")
        return self._finish(question, "\n".join(lines), citations, plan, route_name="reverse_agency")

    def _notice(self, question: str, hits: list[ScoredChunk], plan: PlanIndex) -> Answer | None:
        document = next((plan.documents[h.chunk.doc_id] for h in hits if plan.documents.get(h.chunk.doc_id) and plan.documents[h.chunk.doc_id].notice), None)
        if document is None or document.notice is None:
            return None
        notice_clause = next((c for c in document.clauses if c.kind == "notice"), None)
        top_is_notice = hits[0].chunk.clause_id == getattr(notice_clause, "id", None)
        if notice_clause is None or not (top_is_notice or re.search(r"意见|反馈|征求|联系|电话|邮箱|地址|邮编|contact|feedback|comment|phone|email", question, re.I)):
            return None
        n = document.notice
        facts = []
        if n.deadline:
            facts.append(f"- 意见反馈截止：{n.deadline}前")
        if n.recipient:
            facts.append(f"- 反馈至：{n.recipient}")
        if n.contacts:
            facts.append(f"- 联系人：{'、'.join(n.contacts)}")
        if n.phones:
            facts.append(f"- 联系电话：{'、'.join(n.phones)}")
        if n.emails:
            facts.append(f"- 电子邮箱：{'、'.join(n.emails)}")
        if n.address:
            facts.append(f"- 通信地址：{n.address}" + (f"（邮编：{n.postcode}）" if n.postcode else ""))
        if document.issuer or document.date:
            facts.append(f"- 发布单位及日期：{document.issuer or '未注明'}，{document.date or '未注明'}")
        quote = notice_clause.text
        body = f"《{document.title}》公开征求意见的安排 [1]：\n" + "\n".join(facts) + f"\n\n> {quote}"
        if is_english(question):
            body = f"Feedback deadline: {n.deadline or 'not stated'}; contacts: {', '.join(n.contacts)}; phone: {', '.join(n.phones)}; email: {', '.join(n.emails)}.\n\n{body}"
        return self._finish(question, body, [_citation(document, notice_clause, quote)], plan, route_name="deadlines_contacts")

    def _from_clauses(self, question: str, query: str, decision: Route, hits: list[ScoredChunk], plan: PlanIndex) -> Answer:
        stating: list[ScoredChunk] = []
        if decision.name == "targets":
            # A target is a figure with a year; among close candidates prefer the clause that states one.
            stating = [h for h in hits[:3] if _TARGET_SENTENCE_RE.search(h.chunk.text)]
        elif decision.detail:
            # Asked for a figure (比例, 上限, 日期…): prefer a close candidate that gives one.
            stating = [
                h for h in hits[:3]
                if _states_detail(decision.detail, h.chunk.text) and h.score >= 0.8 * hits[0].score and not _hint_only(h)
            ]
        if stating and stating[0] is not hits[0]:
            hits = [stating[0]] + [h for h in hits if h is not stating[0]]
        best = hits[0]
        chosen = [best]
        for hit in hits[1:3]:
            # A second clause only when it is nearly as strong and on the question's own topic.
            if hit.title_hit and best.title_hit and hit.score >= 0.8 * best.score and hit.chunk.clause_id != best.chunk.clause_id:
                chosen.append(hit)
        tokens = [t for t in tokenize(expand_query(query)) if t not in _GENERIC]
        lines, citations = [], []
        missing_detail_note = None
        for n, hit in enumerate(chosen, start=1):
            clause = plan.clauses.get(hit.chunk.clause_id)
            document = plan.documents.get(hit.chunk.doc_id)
            if clause is None or document is None:
                continue
            quote = self._best_quote(hit.chunk, tokens, decision)
            lines.append(f"根据《{document.title}》{clause.clause_path} [{n}]{_scope_note(document, question)}：\n\n> {quote}")
            citations.append(_citation(document, clause, quote))
            if n == 1 and decision.detail and not _states_detail(decision.detail, clause.text):
                missing_detail_note = self.replies["notes"]["detail_missing"].format(
                    title=document.title, clause=clause.clause_path, detail=_detail_name(decision.detail)
                )
        body = "\n\n".join(lines)
        if missing_detail_note:
            body = f"{missing_detail_note}\n\n{body}"
        if is_english(question):
            body = f"{self.replies['notes']['english']}\n\n{body}"
        return self._finish(question, body, citations, plan, route_name=decision.name)

    def _best_quote(self, chunk: Chunk, tokens: list[str], decision: Route) -> str:
        """The clause sentences that carry the question's terms, verbatim and contiguous."""
        sentences = [s for s in split_sentences(chunk.text) if not _AGENCY_PAREN_RE.fullmatch(s)]
        if not sentences:
            return chunk.text
        token_set = set(tokens)

        def score(i: int, sentence: str) -> float:
            words = set(tokenize(sentence))
            value = sum(len(t) for t in token_set & words)
            if decision.name == "targets" and _NUMBER_RE.search(sentence):
                value += 3
            if decision.name == "support" and _SUPPORT_WORDS.search(sentence):
                value += 2
            if decision.detail and _NUMBER_RE.search(sentence):
                value += 1
            return value - 0.01 * i

        heading = set(tokenize(chunk.clause_path.split(" › ")[-1]))
        if len(chunk.text) <= 400 and not (token_set - heading - _GENERIC):
            # The question names the clause itself ("舆论宣传引导怎么安排的"): quote all of it.
            return chunk.text
        ranked = sorted(enumerate(sentences), key=lambda item: -score(*item))
        best_index, best_sentence = ranked[0]
        lead_in = next((i for i in range(best_index, -1, -1) if sentences[i].endswith(("：", ":"))), None)
        if lead_in is not None and len(chunk.text) <= 600:
            # "申请企业应当提交下列材料：" and its items answer together; one item alone misleads.
            return _contiguous(chunk.text, sentences[lead_in:])
        picked = [best_sentence]
        # A heading-only first sentence ("（三）人工智能+医疗。") says nothing; take the next one too.
        if len(best_sentence) < 20 and best_index + 1 < len(sentences):
            picked.append(sentences[best_index + 1])
        elif len(ranked) > 1 and score(*ranked[1]) > 0 and abs(ranked[1][0] - best_index) == 1:
            picked.append(ranked[1][1])
        return _contiguous(chunk.text, picked)

    # --- refusal and finishing ----------------------------------------------------------
    def _refuse(self, question: str, decision: Route) -> Answer:
        refusal = self.replies["refusal"]
        reason = refusal["reasons"][decision.refusal or "off_topic"].format(place=decision.place or "")
        titles = "、".join(f"《{d.title}》" for d in self.plan.documents.values()) or "（目前尚未收录任何文件）"
        text = "\n\n".join(
            [refusal["intro"].format(reason=reason), refusal["scope"].format(titles=titles), refusal["hotline"]]
        )
        return Answer(question=question, answer=text, refused=True, citations=[], route="refuse")

    def status_notes(self, citations: list[Citation]) -> list[str]:
        """A draft's or an effective document's note, once per cited document."""
        templates = self.replies["notes"]
        documents = {d.title: d for d in self.plan.documents.values()}
        notes = []
        for title in dict.fromkeys(c.doc_title for c in citations):
            document = documents.get(title)
            if document is None:
                continue
            if document.is_draft:
                notes.append(templates["draft"].format(title=document.title))
            elif document.effective_date:
                expiry = f"，有效期至{document.expiry_date}" if document.expiry_date else ""
                notes.append(
                    templates["effective"].format(title=document.title, effective_date=document.effective_date, expiry=expiry)
                )
        return notes + lifecycle.notes(citations, self.retriever.snapshot())  # superseded / earlier draft differs

    def _finish(self, question: str, body: str, citations: list[Citation], plan: PlanIndex, route_name: str) -> Answer:
        notes = self.status_notes(citations)
        if notes:
            body = body + "\n\n" + "\n".join(f"*{note}*" for note in notes)
        return Answer(question=question, answer=body, refused=False, citations=citations[: max(self.settings.max_citations, 15)], route=route_name)


# --- helpers -------------------------------------------------------------------------
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


_NOTICE_HINT_TOKENS = frozenset(tokenize(KIND_HINTS["notice"]))


def _hint_only(hit: ScoredChunk) -> bool:
    """A consultation notice that matched the question only by the words of its hint (截止, 联系人 …)."""
    return hit.chunk.kind == "notice" and set(hit.matched_terms) <= _NOTICE_HINT_TOKENS


def _notice_not_first_for_another_subject(hits: list[ScoredChunk]) -> list[ScoredChunk]:
    """A consultation notice leads only when it matches more than its hint words (截止, 联系人 …).

    "算力券申请截止日期是哪天?" matches the notice by 截止 alone and the 算力券 clause by 算力券: the
    notice's deadline is for comments on the draft, not for 算力券 applications, so it must not lead.
    """
    if len(hits) < 2 or not _hint_only(hits[0]):
        return hits
    for position, hit in enumerate(hits[1:3], start=1):
        if set(hit.matched_terms) - _NOTICE_HINT_TOKENS - _GENERIC:
            return [hit, *hits[:position], *hits[position + 1 :]]
    return hits


def clean_question(question: str, max_chars: int) -> str:
    """Strip invisible and control characters; refuse empty or over-long questions with a clear message."""
    if not isinstance(question, str):
        raise InvalidQuestion("the question must be text", zh="问题必须是文字。", code="question_not_text")
    question = _CONTROL.sub("", question).strip()
    if not question:
        raise InvalidQuestion(
            "the question is empty; ask about a policy, e.g. “人工智能+医疗由哪些部门负责？”",
            zh="问题是空的。请输入想咨询的政策问题，例如“人工智能+医疗由哪些部门负责？”",
            code="question_empty",
        )
    if len(question) > max_chars:
        raise InvalidQuestion(
            f"the question has {len(question)} characters; the limit is {max_chars}",
            zh=f"问题太长了（{len(question)} 字），请精简到 {max_chars} 字以内。",
            code="question_too_long",
        )
    return question


def _names(agency: str) -> list[str]:
    return [a for a in ALIASES.get(agency, []) if re.search(r"[\u4e00-\u9fff]", a)]


def _agency_quote(clause: Clause) -> str:
    match = _AGENCY_PAREN_RE.search(clause.text)
    return match.group(0) if match else clause.text


def _contiguous(text: str, sentences: list[str]) -> str:
    """One verbatim span of ``text`` covering ``sentences`` when they are close, else the first one."""
    spans = sorted((text.find(s), text.find(s) + len(s)) for s in sentences if s and s in text)
    if not spans:
        return sentences[0] if sentences else text
    start, end = spans[0][0], spans[-1][1]
    if end - start > 400:
        start, end = spans[0]
    return text[start:end].strip()


def _citation(document: Document, clause: Clause, quote: str) -> Citation:
    return Citation(
        doc_title=document.title,
        clause=clause.clause_path,
        quote=quote,
        source=document.source,
        page=clause.page,
        clause_text=clause.text,
        status=document.status,
    )


_DETAIL_NAMES = {
    "面值": "面值", "金额": "金额", "额度": "额度", "比例": "比例", "利率": "利率", "上限": "上限", "最高": "最高额度",
    "截止日期": "截止日期", "什么时候截止": "截止日期", "申请时间": "申请时间", "何时申请": "申请时间",
}


def _detail_name(detail: str) -> str:
    return _DETAIL_NAMES.get(detail, "金额、比例或日期等具体标准")


def _scope_note(document: Document, question: str) -> str:
    """A city's or county's rules apply there only; say so unless the question is about that place."""
    place = document.jurisdiction or ""
    if not re.search(r"[市县区]$", place) or place[:-1] in question:
        return ""
    return f"（{place}的规定，仅适用于{place}）"


def _states_detail(detail: str, text: str) -> bool:
    """Whether ``text`` states the kind of figure or date the question asks for."""
    if re.search(r"截止|时间|何时|什么时候|日期", detail):
        return bool(re.search(r"\d{1,2}月\d{1,2}日|\d{4}年", text))
    if re.search(r"面值|金额|额度|比例|利率|钱|上限|最高|万|元|点|rate|amount|value|cap|how much", detail, re.I):
        return bool(re.search(r"\d+(\.\d+)?\s*(%|万|亿|元|倍|个百分点)", text))
    return bool(_NUMBER_RE.search(text))
