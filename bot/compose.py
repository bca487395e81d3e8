"""Answer composition: the asked fact first, plainly and cited, then the verbatim quote it rests on.

Every figure and organisation an answer states is a phrase of the clause it cites (or of the document's
own header for document facts); when no clause states the asked fact, the answer says so, naming what
was searched and the nearest clause.
"""

from __future__ import annotations

import re

from bot.analysis import Analysis
from bot.evidence import Evidence
from bot.models import Answer, Citation
from bot.organisations import find_organisations
from bot.outline import heading, section_asked
from bot.planindex import PlanIndex, split_sentences
from bot.quotes import contact_lines, contiguous, states
from bot.words import content_words
from ingest.models import Clause, Document

# A role the question asks to be named (a party noun: …人, …方, …机构, …主体): a party noun by its suffix.
_ROLE_ASKED_RE = re.compile(r"([\u4e00-\u9fff]{2,4}(?:人|方|机构|主体))(?:是谁|是哪|由谁|为谁|叫什么)")
_ASKS_SUPPORTING_RE = re.compile(r"配合|协同|参与|协助|哪些部门|哪些单位|责任单位")
_AGENCY_PAREN_RE = re.compile(r"[（(](?:责任单位|牵头单位|责任部门)[：:].*[）)]", re.S)
# "列第一位的为牵头单位" / "排在首位的为牵头单位": the document marks its first unit as the lead.
_LEAD_MARK_RE = re.compile(r"(第一位|首位|排名第一|列第一)[^，。）)]{0,6}牵头")
_KIND_NAMES = {
    "amount": "金额", "ratio": "比例", "count": "数量", "target": "目标数值", "date": "日期", "deadline": "时间安排（截止日期或申报时间）",
    "period": "实施期限", "contact": "联系人或联系方式", "materials": "申报材料", "procedure": "办理流程或受理方式",
    "conditions": "申请条件", "agency": "负责单位", "issuer": "发布单位", "doc_number": "文号", "status": "施行状态",
    "issued": "发布日期",
}
# The question's own word for the figure, when it names one ("面值", "上限").
_DETAIL_WORDS = re.compile(r"面值|额度|上限|比例|利率|贴息|截止日期|申报时间|期限|文号|联系人|电话|材料|流程|条件")


def citation(document: Document, clause: Clause, quote: str) -> Citation:
    return Citation(
        doc_title=document.title, clause=clause.clause_path, quote=quote, source=document.source, page=clause.page,
        clause_text=clause.text, status=document.status,
    )


def detail_name(analysis: Analysis) -> str:
    word = _DETAIL_WORDS.search(analysis.question)
    return word.group(0) if word else _KIND_NAMES.get(analysis.asks, "内容")


def agency_quote(clause: Clause, question: str = "") -> str:
    """The clause's 责任单位 note up to its first full stop: "（责任单位：A、B、C" of
    "（责任单位：A、B、C。列第一位的为牵头单位，下同）"; and up to its semicolon ("（牵头单位：A") unless the
    question asks for the supporting units too."""
    match = _AGENCY_PAREN_RE.search(clause.text)
    if not match:
        return clause.text
    note = match.group(0)
    stops = "。" if _ASKS_SUPPORTING_RE.search(question) else "。；;"
    cut = re.search(f"[{stops}]", note)
    return note[: cut.start()] if cut else note


def listed_agencies(clause: Clause, places: tuple[str, ...]) -> list[str]:
    """The clause's responsible units that are organisation names by the grammar, in the document's order."""
    return [a for a in clause.responsible_agencies if find_organisations(a, places) == [a] or _known_short(a)]


def _known_short(name: str) -> bool:
    # A unit the plan writes with a parenthesised alternative ("省委金融办（省地方金融局）") is still one.
    return bool(re.fullmatch(r"[\u4e00-\u9fff]{2,20}[（(][\u4e00-\u9fff]{2,20}[）)]", name)) and bool(find_organisations(name))


def stated_fact(analysis: Analysis, evidence: list[Evidence], plan: PlanIndex) -> tuple[list[str], list[Citation]]:
    """Lines and citations for a question asking one fact: the fact first, then its quote; or "not stated"."""
    stating = [e for e in evidence if e.fact and not _LEAD_IN_END_RE.search(e.quote)]
    # The best clause announces a list, or the best stating clause is one item of a list found with it.
    listing = [e for e in evidence[:3] if _LEAD_IN_END_RE.search(e.quote) and (e is evidence[0] or (stating and _item_of(stating[0], e)))]
    if listing and analysis.asks in ("materials", "conditions", "procedure") and (
        not stating or listing[0].score >= stating[0].score or _item_of(stating[0], listing[0])
    ):
        return _listed_items(analysis, listing[0])
    if stating:
        best = stating[0]
        lines = [
            f"根据《{best.document.title}》{best.clause.clause_path}：**{best.fact}** [1]{_scope_note(best.document, analysis)}",
            f"> {best.quote}",
        ]
        citations = [citation(best.document, best.clause, best.quote)]
        # The same fact in another document (a province's and a city's cap) is the next line.
        # Two documents for the same place (a draft plan and the measures issued after it) both stating
        # one: each is stated, rather than one picked silently.
        other = next((
            e for e in stating[1:] if e.document.doc_id != best.document.doc_id and (
                e.score >= 0.8 * best.score
                or (
                    e.document.jurisdiction and e.document.jurisdiction == best.document.jurisdiction
                    and e.score >= SAME_PLACE_SHARE * best.score and not _versions_of_one(e.document, best.document)
                )
            )
        ), None)
        if other is not None:
            lines += [f"《{other.document.title}》{other.clause.clause_path}：**{other.fact}** [2]{_scope_note(other.document, analysis)}", f"> {other.quote}"]
            citations.append(citation(other.document, other.clause, other.quote))
        return lines, citations
    # Nothing states it: the clause retrieval ranks first, but never one that holds exactly the kind of
    # fact asked (a phone number) while the answer says no clause states it.
    plain = [e for e in evidence if analysis.asks not in _SHARP_KINDS or not states(analysis.asks, e.clause.text, analysis.question)]
    if not plain:
        return _contacts_found(analysis, evidence) if analysis.asks == "contact" else _nearest_stated(analysis, evidence)
    nearest = max(plain, key=lambda e: e.hit.score)
    lines = [
        f"已收录的文件没有规定具体的{detail_name(analysis)}（检索了各相关文件中最相关的条款）。"
        f"最接近的是《{nearest.document.title}》{nearest.clause.clause_path} [1]：",
        f"> {nearest.quote}",
        "具体标准请以后续发布的实施细则或主管部门的解释为准。",
    ]
    return lines, [citation(nearest.document, nearest.clause, nearest.quote)]


_LEAD_IN_END_RE = re.compile(r"[：:]$")
# Another document of the same place states the fact too: stated beside the best when its evidence
# scores at least this share of the best's.
SAME_PLACE_SHARE = 0.6
# Kinds whose presence in a clause is unmistakable: such a clause is not quoted under "not stated".
_SHARP_KINDS = frozenset({"contact"})


def _contacts_found(analysis: Analysis, evidence: list[Evidence]) -> tuple[list[str], list[Citation]]:
    """Every clause found holds a contact, none about the subject asked: give the best one's contacts as such."""
    best = max(evidence, key=lambda e: e.hit.score)
    lines = contact_lines(best.clause.text, set()) or best.quote
    return [
        f"《{best.document.title}》{best.clause.clause_path}载明的联系方式：**{lines}** [1]{_scope_note(best.document, analysis)}",
        f"> {best.clause.text}",
    ], [citation(best.document, best.clause, best.clause.text)]


def _nearest_stated(analysis: Analysis, evidence: list[Evidence]) -> tuple[list[str], list[Citation]]:
    best = max(evidence, key=lambda e: e.hit.score)
    return [f"根据《{best.document.title}》{best.clause.clause_path} [1]：", f"> {best.quote}"], [citation(best.document, best.clause, best.quote)]


def _versions_of_one(a: Document, b: Document) -> bool:
    """A draft and its final (the same title but for what its parentheses say): the lifecycle notes compare them."""
    bare = lambda title: re.sub(r"[（(][^）)]*[）)]|\s", "", title)  # noqa: E731
    return bare(a.title) == bare(b.title)


def _item_of(item: Evidence, listing: Evidence) -> bool:
    """``item`` is one entry of the list ``listing`` announces ("四、申报材料" › "1."): the list answers."""
    return item.document.doc_id == listing.document.doc_id and item.clause.clause_path.startswith(listing.clause.clause_path + " › ")


def _listed_items(analysis: Analysis, lead: Evidence) -> tuple[list[str], list[Citation]]:
    """A sentence that announces a list ("应当提供以下材料：") with the items its clause or sub-clauses hold."""
    items = [c for c in lead.document.clauses if c.clause_path.startswith(lead.clause.clause_path + " › ")]
    lines = [f"根据《{lead.document.title}》{lead.clause.clause_path} [1]{_scope_note(lead.document, analysis)}：", f"> {lead.quote}"]
    citations = [citation(lead.document, lead.clause, lead.quote)]
    for item in items[:9]:
        n = len(citations) + 1
        lines.append(f"> {item.text} [{n}]")
        citations.append(citation(lead.document, item, item.text))
    return lines, citations


def section_overview(analysis: Analysis, evidence: list[Evidence]) -> tuple[list[str], list[Citation]] | None:
    """"保障措施包括哪些", or the parts of a document named alone: every part of the section the question names (or of the
    document it names), one line and one citation each (bot/outline.py decides which section)."""
    if not evidence:
        return None
    documents = list({e.document.doc_id: e.document for e in evidence}.values())
    documents.sort(key=lambda d: d.doc_id not in analysis.documents)  # the documents it names first
    section = section_asked(analysis.question, documents, set(analysis.documents))
    if section is None:
        return None
    where = f"{section.name}包括以下各项" if section.path else "包括以下各部分"
    lines = [f"《{section.document.title}》{where}{_scope_note(section.document, analysis)}："]
    citations: list[Citation] = []
    for item in section.parts:
        n = len(citations) + 1
        node = item.path[-1] if heading(item.path[-1]) else f"{item.path[-1]} {item.label}"
        lines.append(f"{n}. **{node}** [{n}]" + (f"：{item.quote}" if item.is_clause and item.quote != item.label else ""))
        citations.append(citation(section.document, item.clause, item.quote))
    return lines, citations


def clauses_answer(analysis: Analysis, evidence: list[Evidence]) -> tuple[list[str], list[Citation]]:
    """The best clause's sentences (and a second clause on the same topic nearly as strong)."""
    best = evidence[0]
    chosen = [best]
    for other in evidence[1:3]:
        if (
            other.hit.title_hit and best.hit.title_hit and other.hit.score >= 0.8 * best.hit.score
            and other.clause.id != best.clause.id
        ):
            chosen.append(other)
    lines, citations = [], []
    for n, item in enumerate(chosen, start=1):
        lines.append(f"根据《{item.document.title}》{item.clause.clause_path} [{n}]{_scope_note(item.document, analysis)}：\n\n> {item.quote}")
        citations.append(citation(item.document, item.clause, item.quote))
    return lines, citations


def agencies_answer(analysis: Analysis, evidence: list[Evidence], plan: PlanIndex) -> tuple[list[str], list[Citation]] | None:
    """Responsible units of the clause asked about, lead first as the document marks it; else the
    organisations the best sentences name (受理, 负责, 牵头)."""
    top = evidence[0]
    places = tuple(sorted(plan.jurisdictions()))
    asked_role = _ROLE_ASKED_RE.search(analysis.question)
    role = asked_role.group(1).split("的")[-1] if asked_role else ""
    if len(role) >= 2 and not any(role in e.clause.text for e in evidence[:3]):
        # A fund's or a scheme's named party: the units responsible for the clause are not the role asked, which no clause names.
        return [
            f"已收录的文件未载明{role}（检索了各相关文件中最相关的条款）。"
            f"最接近的是《{top.document.title}》{top.clause.clause_path} [1]：",
            f"> {top.quote}",
        ], [citation(top.document, top.clause, top.quote)]
    if top.clause.responsible_agencies:
        chosen = [e for e in evidence[:3] if e.hit.title_hit and e.clause.responsible_agencies] if top.hit.title_hit else []
        chosen = chosen or [top]
        lines, citations, english = [], [], []
        for item in chosen:
            agencies = listed_agencies(item.clause, places)
            quote = agency_quote(item.clause, analysis.question)
            if quote != item.clause.text:
                agencies = [a for a in agencies if a in quote] or agencies[:1]  # only the units the quote names
            if not agencies:
                continue
            lead = "（牵头）"
            listed = "、".join([f"{agencies[0]}{lead}", *agencies[1:]])
            n = len(citations) + 1
            lines.append(f"**{item.clause.title or item.clause.clause_path}**的责任单位是：{listed} [{n}]")
            lines.append(f"> {quote}")
            citations.append(citation(item.document, item.clause, quote))
            english.append(f"{item.clause.clause_path}: {', '.join(agencies)}")
        if citations:
            if analysis.english:
                lines.insert(0, f"Responsible agencies (lead first) — {'; '.join(english)}")
            return lines, citations
    lines, citations = [], []
    for rank, item in enumerate(evidence[:3]):
        sentences = [s for s in split_sentences(item.clause.text) if find_organisations(s, places)]
        if not sentences:
            if rank == 0:
                return None  # the clause asked about names no unit: quote it rather than another clause's units
            continue
        # The best clause leads; another joins only when its sentence naming a unit is the one chosen.
        if rank > 0 and not any(s in item.quote or item.quote in s for s in sentences):
            continue
        ranked = sorted(sentences, key=lambda s: -(s in item.quote or item.quote in s))
        quote = contiguous(item.clause.text, ranked[:2])
        named = find_organisations(quote, places)
        n = len(citations) + 1
        lines.append(f"根据《{item.document.title}》{item.clause.clause_path}，涉及的单位有：{'、'.join(named)} [{n}]\n\n> {quote}")
        citations.append(citation(item.document, item.clause, quote))
    return (lines, citations) if citations else None


def _scope_note(document: Document, analysis: Analysis) -> str:
    """A city's or county's rules apply there only; say so unless the question is about that place."""
    place = document.jurisdiction or ""
    if not re.search(r"[市县区]$", place) or place in analysis.places or place[:-1] in analysis.question:
        return ""
    return f"（{place}的规定，仅适用于{place}）"


# --- facts about a document: read from its metadata, cited to its own header lines ----------------
HEADER_CLAUSE = "文件信息"
_PERIOD_RE = re.compile(r"\d{4}\s*[—\-–~至到]+\s*\d{4}\s*年")


def document_header(document: Document) -> str:
    """The document's own header lines (title, 文号, issuer, date), verbatim as ingest read them."""
    parts = [document.title, document.doc_number or "", document.issuer or "", document.date or ""]
    return "\n".join(p for p in parts if p)


def header_citation(document: Document, quote: str) -> Citation:
    return Citation(
        doc_title=document.title, clause=HEADER_CLAUSE, quote=quote, source=document.source, page=None,
        clause_text=document_header(document), status=document.status,
    )


_VALIDITY_SENTENCE_RE = re.compile(r"有效期|起施行|起实施|起执行|停止执行|废止|失效")


def _sentence_matching(document: Document, pattern: re.Pattern[str]) -> tuple[Clause, str] | None:
    for clause in reversed(document.clauses):  # the closing provisions state validity
        for sentence in split_sentences(clause.text):
            if pattern.search(sentence):
                return clause, sentence
    return None


def _sentence_with(document: Document, needle: str) -> tuple[Clause, str] | None:
    for clause in document.clauses:
        for sentence in split_sentences(clause.text):
            if needle in sentence:
                return clause, sentence
    return None


def document_fact(analysis: Analysis, document: Document) -> tuple[list[str], list[Citation]]:
    """Issuer, 文号, status or period of ``document``, or that its header does not state it."""
    title = f"《{document.title}》"
    kind = analysis.asks
    header = document_header(document)
    value, quote = None, header
    if kind == "issuer" and document.issuer:
        value = f"发布单位：{document.issuer}" + (f"，{document.date}" if document.date else "")
    elif kind == "issued" and document.date:
        value = f"发布日期：{document.date}" + (f"（{document.issuer}）" if document.issuer else "")
    elif kind == "issuer":
        # No issuer line: the clause that says who interprets or issued it names the units.
        for clause in document.clauses:
            for sentence in split_sentences(clause.text):
                interprets = re.search(r"由(.{2,60}?)负责解释", re.sub(r"《[^》]*》", "", sentence))
                named = find_organisations(interprets.group(1)) if interprets else []
                if named:
                    return [f"{title}的文件信息中未载明发布单位；文件写明由{'、'.join(named)}负责解释 [1]", f"> {sentence}"], [
                        citation(document, clause, sentence)
                    ]
    elif kind == "doc_number" and document.doc_number:
        value = f"文号：{document.doc_number}"
    elif kind == "status" and document.is_draft:
        value = "征求意见稿，尚未正式施行"
    elif kind == "status" and document.doc_number:
        # Issued under a 文号: that, its issuer and date are what "正式印发了吗" asks for.
        value = "已正式印发（" + "，".join(p for p in (f"文号{document.doc_number}", document.issuer, document.date) if p) + "）"
    if kind in ("status", "period"):
        lines, citations = [], []
        if value is not None:
            lines, citations = [f"{title}{value} [1]", f"> {quote}"], [header_citation(document, quote)]
        period = _PERIOD_RE.search(document.title) if kind == "period" else None
        if period:
            lines, citations = [f"{title}实施期限：{period.group(0)} [1]", f"> {header}"], [header_citation(document, header)]
        # "自…起施行，有效期至…" (or in words ingest could not date): the closing provision states it.
        found = _sentence_with(document, document.effective_date) if document.effective_date else None
        found = found or _sentence_matching(document, _VALIDITY_SENTENCE_RE)
        if found and not (document.is_draft and kind == "status" and citations):
            clause, sentence = found
            n = len(citations) + 1
            if document.effective_date and document.effective_date in sentence:
                expiry = f"，有效期至{document.expiry_date}" if document.expiry_date and document.expiry_date in sentence else ""
                lines.append(f"{title}自{document.effective_date}起施行{expiry} [{n}]")
            else:
                lines.append(f"{title}：**{sentence.strip('。')}** [{n}]")
            lines.append(f"> {sentence}")
            citations.append(citation(document, clause, sentence))
        if lines:
            return lines, citations
    if value is None:
        name = _KIND_NAMES.get(kind, "这一信息")
        return [f"{title}的文件信息中未载明{name}（检索了标题、文号、发文单位和日期）[1]：", f"> {header}"], [
            header_citation(document, header)
        ]
    return [f"{title}{value} [1]", f"> {quote}"], [header_citation(document, quote)]


# "2024年1月1日至2025年8月31日": a period a clause sets for something it governs.
_DATE_RANGE_RE = re.compile(r"\d{4}年\d{1,2}月(?:\d{1,2}日)?\s*(?:至|到|—|－|-|~|～)\s*\d{4}年\d{1,2}月(?:\d{1,2}日)?")


def item_period(analysis: Analysis, evidence: list[Evidence]) -> tuple[list[str], list[Citation]] | None:
    """A period question about something a clause governs ("项目的实施期"), not the document itself: the
    sentence that sets a date range and names what the question names, or None (then the document's
    own period answers)."""
    titles = "".join(e.document.title for e in evidence)
    own = [t for t in _content_terms(analysis.about) if t not in titles]
    for e in evidence:
        for sentence in split_sentences(e.clause.text):
            found = _DATE_RANGE_RE.search(sentence)
            if found and any(t in sentence for t in own):
                return (
                    [f"根据《{e.document.title}》{e.clause.clause_path}：**{found.group(0)}** [1]{_scope_note(e.document, analysis)}", f"> {sentence}"],
                    [citation(e.document, e.clause, sentence)],
                )
    return None


def _content_terms(text: str) -> list[str]:
    return [w for w in content_words(text) if len(w) >= 2]
