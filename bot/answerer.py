"""Extractive answers: the stages in order — analysis, ranking, abstention, evidence, composition.

No LLM, no key, no network. Each stage is its own module with a typed output; this one only wires them.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace

from bot import lifecycle  # issue 12: versions of documents (superseded, withdrawn, expired)
from bot.abstain import coverage
from bot.agencies import ALIASES
from bot.analysis import DOCUMENT_FACTS, Analysis, analyse, asked_kind, clean_question, is_english
from bot.compose import agencies_answer, agency_quote, clauses_answer, document_fact, document_header, header_citation, item_period, section_overview, stated_fact
from bot.compose import citation as _citation
from bot.eligibility import chat_eligibility, compose_answer
from bot.evidence import Evidence, asked_parts, restated_source, select
from bot.models import Answer, Citation, Turn
from bot.planindex import PlanIndex, split_sentences
from bot.roles import leads, named_in, task
from bot.router import PROVINCES, WITHIN
from bot.scope import NATIONWIDE
from core.settings import Settings
from prompts import load_replies
from vectorstore.retriever import HybridRetriever, ScoredChunk

__all__ = ["ExtractiveAnswerer", "Retrieval", "clean_question"]
_LEADS_RE = re.compile(r"牵头|统筹|负责")
_LEADS_ASKED_RE = re.compile(r"牵头|lead", re.I)  # the question asks what the agency leads
# Kinds answered from a clause's structure or the document's metadata, not from search coverage alone.
_CHECKED_ELSEWHERE = ("reverse_agency", "eligibility")
# Kinds a draft's consultation notice may answer (its deadline, contacts, address, issuer and date).
_MAY_BE_CONSULTATION = frozenset({"consultation", "agency", "deadline", "contact", "date", "issuer", "issued", "general", "procedure", "count", "amount"})


@dataclass
class Retrieval:
    """An analysed question with its ranked clauses, or the refusal that ends it."""

    question: str
    query: str
    analysis: Analysis
    hits: list[ScoredChunk]
    refusal: Answer | None = None
    asker_said: str = ""  # everything the user said in this conversation, for facts about the asker
    named: frozenset[str] = frozenset()  # lifecycle: documents no longer in use that the question names

    @property
    def route(self) -> str:
        return self.analysis.asks


class ExtractiveAnswerer:
    """Answers from the plan index and the best clauses, quoting every statement it makes."""

    def __init__(self, retriever: HybridRetriever, settings: Settings) -> None:
        self.retriever = retriever
        self.settings = settings
        self.replies = load_replies()
        self._plan_cache: tuple[str, PlanIndex] | None = None

    @property
    def plan(self) -> PlanIndex:
        """The structured view of the same index version retrieval uses (rebuilt when it changes)."""
        return self.plan_for()

    def plan_for(self, named: frozenset[str] = frozenset()) -> PlanIndex:
        """The plan of the documents in use, plus the ``named`` ones no longer in use (lifecycle)."""
        if named:
            return PlanIndex.from_documents(self.retriever.snapshot().documents_with(named))
        version, documents = self.retriever.indexed_documents()
        cached = self._plan_cache  # one (version, plan) pair, swapped whole: threads never see a mix
        if cached is None or cached[0] != version:
            cached = (version, PlanIndex.from_documents(documents))
            self._plan_cache = cached
        return cached[1]

    # --- stages 1, 2 and 5: analysis, ranking, abstention ----------------------------------------
    def retrieve(self, question: str, history: list[Turn] | None = None) -> Retrieval:
        """Clean, analyse and rank; decide here whether to refuse.

        Any answer writer (this one, or an LLM) starts from this, so a refusal holds for all:
        when ``refusal`` is set, nothing else may answer the question.
        """
        question = clean_question(question, self.settings.max_question_chars)
        history = history or []
        # Lifecycle (bot/lifecycle.py): old versions the question names may answer it, nothing else that is
        # no longer in use; a comparison of two versions is answered whole.
        snap = self.retriever.snapshot()
        previous = [t.content for t in history if t.role == "user" and t.content.strip()]
        named = lifecycle.named_documents(" ".join(previous[-1:] + [question]), snap)
        plan = self.plan_for(named)
        analysis = analyse(question, history, plan)
        if named and analysis.asks in DOCUMENT_FACTS:
            # "已经失效的…原来怎么规定": the version words name the document; the rest is what is asked.
            analysis = replace(analysis, asks=asked_kind(lifecycle.without_version_words(question)))
        if named and not analysis.comparison:
            # The version the question names is the document it is about, not the one that replaced it.
            analysis = replace(analysis, documents=frozenset(named))
        said = " ".join([t.content for t in history if t.role == "user"] + [question])
        if not plan.documents:
            return Retrieval(question, analysis.query, analysis, [], self.refuse(question, "off_topic"))
        if analysis.guard:
            return Retrieval(question, analysis.query, analysis, [], self.refuse(question, analysis.guard))
        if analysis.outside:
            return Retrieval(question, analysis.query, analysis, [], self.refuse(question, "other_jurisdiction", analysis.outside))
        comparison = lifecycle.comparison_answer(analysis.query, snap, rank=self._clause_ranking)
        if comparison is not None:  # the answer that ends the question, like a refusal: no model rewrites a diff
            comparison.question = question
            return Retrieval(question, analysis.query, analysis, [], comparison)
        about = lifecycle.without_version_words(analysis.about) if named else analysis.about
        k = max(self.settings.top_k, 8) if analysis.asks_stated_fact else self.settings.top_k
        hits = self.retriever.search(
            about, k=k, places=list(analysis.places), documents=(set(analysis.documents) | named) or None, include=named
        )
        # A fact asked of a document the question names is that document's to state or not ("not stated").
        named_document_fact = (analysis.asks_document_fact and hits) or (analysis.documents and (analysis.asks_document_fact or analysis.asks_stated_fact))
        if analysis.asks not in _CHECKED_ELSEWHERE and not named_document_fact:
            own = None if analysis.follow_up else question
            looked_up = lifecycle.without_version_words(analysis.query) if named else analysis.query
            if not coverage(looked_up, hits, self.retriever, own_words=own, places=analysis.places).covered:
                refusal = lifecycle.note_retired(self.refuse(question, "off_topic"), looked_up, snap, self.retriever)
                return Retrieval(question, analysis.query, analysis, hits, refusal)
        return Retrieval(question, analysis.query, analysis, hits, None, said, named)

    def ask(self, question: str, history: list[Turn] | None = None) -> Answer:
        started = time.perf_counter()
        retrieval = self.retrieve(question, history)
        answer = retrieval.refusal or self.compose(retrieval)
        answer.latency_ms = round((time.perf_counter() - started) * 1000, 1)
        return answer

    # --- stages 3 and 4: evidence and composition ---------------------------------------------------
    def compose(self, retrieval: Retrieval) -> Answer:
        """The extractive answer for a question that ``retrieve`` did not refuse."""
        analysis, hits, plan = retrieval.analysis, retrieval.hits, self.plan_for(retrieval.named)
        question = retrieval.question
        asks = analysis.asks
        if asks == "eligibility":
            answer = self._eligibility(question, retrieval.asker_said, plan)
            if answer:
                return answer
        if asks == "reverse_agency":
            answer = self._reverse_agency(question, list(analysis.agencies), plan, _scope_documents(analysis, plan))
            if answer:
                return answer
        if asks in _CHECKED_ELSEWHERE and not (hits and coverage(analysis.query, hits, self.retriever, places=analysis.places).covered):
            return self.refuse(question, "off_topic")
        if asks in _MAY_BE_CONSULTATION and not (retrieval.named and not any(plan.documents[d].notice for d in retrieval.named if d in plan.documents)):
            answer = self._notice(question, self._in_scope(analysis, hits, plan), plan)
            if answer:
                return answer
        if asks == "period":
            composed = item_period(analysis, select(analysis, self._in_scope(analysis, hits, plan), plan))
            if composed:
                return self._finish(question, "\n\n".join(composed[0]), composed[1], asks)
        if analysis.asks_document_fact:
            document = self._document_asked(analysis, hits, plan)
            if document is not None:
                lines, citations = document_fact(analysis, document)
                return self._finish(question, "\n\n".join(lines), citations, asks)
        evidence = select(analysis, self._in_scope(analysis, hits, plan), plan)
        if not evidence:
            return self.refuse(question, "off_topic")
        if analysis.comparison:
            answer = self._comparison(analysis, evidence, plan)
            if answer:
                return answer
        if asks == "agency":
            composed = agencies_answer(analysis, evidence, plan)
            if composed:
                return self._finish(question, "\n\n".join(composed[0]), composed[1], asks)
        overview = section_overview(analysis, evidence) if asks in ("measures", "general") else None
        if overview:
            lines, citations = overview
        elif analysis.asks_stated_fact:
            lines, citations = self._parts(retrieval, evidence) or stated_fact(analysis, evidence, plan)
        else:
            lines, citations = clauses_answer(analysis, evidence)
        body = "\n\n".join(lines)
        if analysis.english:
            body = f"{self.replies['notes']['english']}\n\n{body}"
        return self._finish(question, body, citations, asks)

    def _parts(self, retrieval: Retrieval, evidence: list[Evidence]) -> tuple[list[str], list[Citation]] | None:
        """Two parts (A的X和B的X, 分别) that no one clause answers: each part asked on its own, each stated and cited."""
        parts = asked_parts(retrieval.analysis)
        if len(parts) < 2:
            return None
        asked_each = [self.retrieve(part) for part in parts]
        # Only parts that point at different places or documents (a province's and a city's scheme); one clause answers the rest.
        pointed = [(a.analysis.places, a.analysis.documents) for a in asked_each]
        if not all(p[0] or p[1] for p in pointed) or len(set(pointed)) < len(pointed):
            return None
        lines: list[str] = []
        citations: list[Citation] = []
        for asked in asked_each:
            if asked.refusal is not None or not asked.hits:
                return None
            plan = self.plan_for(asked.named)
            found = select(asked.analysis, self._in_scope(asked.analysis, asked.hits, plan), plan)
            stating = [e for e in found if e.fact]
            if not stating:
                return None
            part_lines, part_citations = stated_fact(asked.analysis, stating[:1], plan)
            offset = len(citations)
            lines += [re.sub(r"\[(\d+)\]", lambda m: f"[{int(m.group(1)) + offset}]", line) for line in part_lines]
            citations += part_citations
        return lines, citations

    def _clause_ranking(self, text: str, doc_id: str) -> list[str]:
        return [h.chunk.clause_path for h in self.retriever.search(text, k=5, doc_id=doc_id, include={doc_id})]

    def _in_scope(self, analysis: Analysis, hits: list[ScoredChunk], plan: PlanIndex) -> list[ScoredChunk]:
        """The hits of the documents the question refers to (searched in each of them when none ranked
        high enough), else of the places it names, else all hits."""
        referred = [plan.documents[d] for d in analysis.documents if d in plan.documents]
        # Searched in only when the places the question names (if any) are theirs: "若干政策说浙江…" with a
        # phrase of a national title means Zhejiang's document, found among the hits of the place.
        agrees = not analysis.places or any(d.jurisdiction in analysis.places for d in referred)
        if referred and agrees and not any(h.chunk.doc_id in analysis.documents for h in hits) and len(referred) <= 3:
            own = [
                h for doc_id in sorted(analysis.documents)
                for h in self.retriever.search(analysis.about, k=5, doc_id=doc_id, include=analysis.documents)
            ]
            hits = sorted(own, key=lambda h: h.score, reverse=True) or hits
        return _pointed_at(analysis, hits, plan)

    def _document_asked(self, analysis: Analysis, hits: list[ScoredChunk], plan: PlanIndex):
        """The document a question about issuer, 文号, status or period means: the one it refers to, else the best hit's."""
        referred = [plan.documents[d] for d in sorted(analysis.documents) if d in plan.documents]
        # A title that quotes another's (《…》政策问答) is about that document, not the document itself.
        own = [d for d in referred if "《" not in d.title] if not re.search(r"问答|解读", analysis.question) else referred
        if len(own) == 1 or len(referred) == 1:
            return (own or referred)[0]
        if hits:
            return plan.documents.get(hits[0].chunk.doc_id)
        return next(iter(plan.documents.values()), None)

    def _comparison(self, analysis: Analysis, evidence, plan: PlanIndex) -> Answer | None:
        """One line per level or place compared, each from the best clause of that jurisdiction's own documents."""
        scopes = list(dict.fromkeys(analysis.places))
        if "national" in analysis.levels:
            scopes.insert(0, NATIONWIDE)
        if len(scopes) < 2:
            return None
        lines, citations = [], []
        for scope in scopes[:4]:
            hits = self.retriever.search(analysis.about, k=5, jurisdiction=scope)
            # A 问答 that quotes a policy's title speaks about that policy: the policy itself answers first.
            hits = sorted(hits, key=lambda h: "《" in h.chunk.doc_title)
            found = select(analysis, hits, plan, limit=5)
            if not found:
                continue
            # Each document of the place that states the fact (a plan and the measures issued after it),
            # a document in force before a draft; else the best clause.
            stating = [e for e in found if e.fact]
            per_document = list({e.document.doc_id: e for e in reversed(stating)}.values())[::-1]
            per_document.sort(key=lambda e: e.document.is_draft)
            for best in per_document[:2] or found[:1]:
                n = len(citations) + 1
                head = f"**{best.fact}**" if best.fact else "相关规定"
                lines.append(f"《{best.document.title}》{best.clause.clause_path}：{head} [{n}]\n\n> {best.quote}")
                citations.append(_citation(best.document, best.clause, best.quote))
        if len(citations) < 2:
            return None
        return self._finish(analysis.question, "\n\n".join(lines), citations, "comparison")

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
        cited = {c.doc_title for c in citations}
        for document in plan.documents.values():
            if document.title not in cited:
                # A title no citation carries is named without its parenthesised years and status.
                text = text.replace(f"《{document.title}》", f"《{re.sub(r'（[^）]*）', '', document.title)}》")
        return self._finish(question, text, citations, "eligibility")

    def _reverse_agency(self, question: str, agencies: list[str], plan: PlanIndex, scope: set[str] | None = None) -> Answer | None:
        """What an agency does or leads: each clause naming it, with the task it sets (its heading and its
        text before the note) — the clauses X leads first, or only those when the question asks what X leads."""
        if not agencies:
            return None
        agency = agencies[0]
        roles = plan.roles_of(agency)
        if scope and any(r.document.doc_id in scope for r in roles):
            roles = [r for r in roles if r.document.doc_id in scope]  # "在国务院这份意见里", "江苏省教育厅"
        if not roles:
            return None
        names = [agency, *_names(agency)]
        entries = []
        for role in roles:
            clause = role.clause
            work = task(clause)
            if role.role != "提及":
                note = agency_quote(clause)
                quote = f"{work.text}{note}" if note != clause.text and clause.text.strip().startswith(f"{work.text}{note}") else work.quote
                entries.append((role, clause, quote, role.role == "牵头"))
            elif named_in(work.note, names):  # "（X牵头，Y按职责分工负责）": the task is the clause's own
                entries.append((role, clause, work.quote, leads(work.note, names)))
            else:
                quote = next((s for s in split_sentences(clause.text) if named_in(s, names)), "")
                if quote:
                    entries.append((role, clause, quote, leads(quote, names)))
        if _LEADS_ASKED_RE.search(question) and any(e[3] for e in entries):
            entries = [e for e in entries if e[3]]
        # What the agency leads comes first, then the tasks it shares, then what a text says it does.
        order = {"牵头": 0, "参与": 1, "提及": 1}
        entries.sort(key=lambda e: (not e[3], order[e[0].role], not (e[0].role == "提及" and _LEADS_RE.search(e[2]))))
        # The agency as the quoted clauses write it (an alias), not only by its canonical name.
        shown = next((n for n in names if any(n in e[2] for e in entries)), agency)
        lines = [f"**{shown}**在已收录文件中承担以下工作："]
        citations: list[Citation] = []
        for role, clause, quote, lead in entries[:15]:
            n = len(citations) + 1
            label = "牵头" if lead else ("责任单位之一" if role.role == "参与" or named_in(task(clause).note, names) else "文中提及")
            lines.append(f"{n}. {clause.clause_path}（{label}）[{n}]：{quote}")
            citations.append(_citation(role.document, clause, quote))
        if not citations:
            return None
        if is_english(question):
            lines.insert(0, f"{shown} is named in {len(citations)} clauses (listed below, quoted verbatim).")
        return self._finish(question, "\n".join(lines), citations, "reverse_agency")

    def _notice(self, question: str, hits: list[ScoredChunk], plan: PlanIndex) -> Answer | None:
        document = next((plan.documents[h.chunk.doc_id] for h in hits[:3] if plan.documents.get(h.chunk.doc_id) and plan.documents[h.chunk.doc_id].notice), None)
        if document is None or document.notice is None:
            return None
        notice_clause = next((c for c in document.clauses if c.kind == "notice"), None)
        top_is_notice = hits[0].chunk.clause_id == getattr(notice_clause, "id", None)
        asked = lifecycle.without_version_words(question)  # "征求意见稿里是多少" names the draft, not its call for comments
        if notice_clause is None or not (top_is_notice or re.search(r"意见|反馈|征求|联系|电话|邮箱|地址|邮编|contact|feedback|comment|phone|email", asked, re.I)):
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
        quote = notice_clause.text
        citations = [_citation(document, notice_clause, quote)]
        if document.issuer or document.date:
            # Issuer and date are the notice's when it ends with them, else the document header's.
            source = ""
            if not all(v in quote for v in (document.issuer, document.date) if v):
                citations.append(header_citation(document, document_header(document)))
                source = " [2]"
            facts.append(f"- 发布单位及日期：{document.issuer or '未注明'}，{document.date or '未注明'}{source}")
        body = f"《{document.title}》公开征求意见的安排 [1]：\n" + "\n".join(facts) + f"\n\n> {quote}"
        if is_english(question):
            body = f"Feedback deadline: {n.deadline or 'not stated'}; contacts: {', '.join(n.contacts)}; phone: {', '.join(n.phones)}; email: {', '.join(n.emails)}.\n\n{body}"
        return self._finish(question, body, citations, "consultation")

    # --- refusal and finishing ----------------------------------------------------------
    def refuse(self, question: str, reason: str, place: str | None = None) -> Answer:
        refusal = self.replies["refusal"]
        text_reason = refusal["reasons"][reason].format(place=place or "")
        titles = "、".join(f"《{d.title}》" for d in self.plan.documents.values()) or "（目前尚未收录任何文件）"
        text = "\n\n".join(
            [refusal["intro"].format(reason=text_reason), refusal["scope"].format(titles=titles), refusal["hotline"]]
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
            elif document.effective_date and document.effective_date in (cited := " ".join(
                c.quote + c.clause_text for c in citations if c.doc_title == title
            )):
                # Only what the cited clauses say: an expiry computed at ingest ("有效期3年") is not quoted.
                expiry = f"，有效期至{document.expiry_date}" if document.expiry_date and document.expiry_date in cited else ""
                notes.append(
                    templates["effective"].format(title=document.title, effective_date=document.effective_date, expiry=expiry)
                )
        return notes + lifecycle.notes(citations, self.retriever.snapshot())  # superseded / earlier draft differs

    def _finish(self, question: str, body: str, citations: list[Citation], route_name: str) -> Answer:
        notes = self.status_notes(citations)
        if notes:
            body = body + "\n\n" + "\n".join(f"*{note}*" for note in notes)
        # Citations beyond POLICYBOT_MAX_CITATIONS are dropped unless the text refers to them ([7]): a
        # reverse lookup, an eligibility check or a list of materials cites each line it states.
        referred = max((int(n) for n in re.findall(r"\[(\d+)\]", body)), default=0)
        limit = max(self.settings.max_citations, referred)
        return Answer(question=question, answer=body, refused=False, citations=citations[:limit], route=route_name)


def _scope_documents(analysis: Analysis, plan: PlanIndex) -> set[str]:
    """The documents a question refers to, else those of the places it names (empty: all of them)."""
    if analysis.documents:
        return set(analysis.documents)
    return {d.doc_id for d in plan.documents.values() if d.jurisdiction and d.jurisdiction in analysis.places}


def _pointed_at(analysis: Analysis, hits: list[ScoredChunk], plan: PlanIndex) -> list[ScoredChunk]:
    """The hits of the documents the question refers to, else of the places it names, when there are any.

    Retrieval only prefers them; the evidence keeps to them, so a fact another document states is not
    given as the answer about the one asked about (that one then "does not state" it).
    """
    if analysis.documents:
        # A 解读/问答 of a document referred to speaks for it (its contacts, its worked examples).
        speaks_for = {
            d.doc_id for d in plan.documents.values() if d.doc_id not in analysis.documents and restated_source(d, plan) & analysis.documents
        }
        own = [h for h in hits if h.chunk.doc_id in analysis.documents or h.chunk.doc_id in speaks_for]
        if own:
            return own
    if analysis.places and not analysis.comparison:
        own = [h for h in hits if h.chunk.jurisdiction in analysis.places]
        if own:
            return own
    return hits


def _names(agency: str) -> list[str]:
    return [a for a in ALIASES.get(agency, []) if re.search(r"[\u4e00-\u9fff]", a)]
