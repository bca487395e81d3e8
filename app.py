"""The served product: one server with the Chinese web chat at ``/`` and the API beside it.

``/``            Gradio chat (streamed answers, expandable citations, clause browser, agency directory, feedback)
``/api/*``       HTTP API (ask, search, clauses, agencies, health, feedback, admin ingest); ``/openapi.json``
``/v1/*``        OpenAI-compatible chat completions and models
``/embed.js``    the portal widget, which opens ``/embed`` in an iframe
``/admin``       the document list for admins (behind POLICYBOT_ADMIN_TOKEN; server/admin.py)

Run with ``policybot serve`` or ``python app.py``; host and port come from ``POLICYBOT_HOST`` /
``POLICYBOT_PORT``.

Security: every piece of text that comes from a document or from a question is passed through
``html.escape`` (and Markdown link syntax is neutralised) before it is put into a chat message or
a browser view, and Gradio sanitizes HTML as well, so neither a policy file nor a visitor can
inject markup or script.
"""

from __future__ import annotations

import html
import logging
import os
import re
import secrets
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

# Gradio reads these at import / Blocks() time: no telemetry, no version check, no share link.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_SHARE", "False")

import gradio as gr  # noqa: E402
from fastapi import FastAPI, Request  # noqa: E402
from pydantic import ValidationError  # noqa: E402

from core.errors import PolicyBotError  # noqa: E402
from bot.models import Answer, Citation  # noqa: E402
from bot.service import PolicyBot  # noqa: E402
from core.settings import Settings  # noqa: E402
from server import catalog  # noqa: E402
from server.admin import build_admin_router  # noqa: E402
from server.api import ADMIN_INGEST_PATH, build_api_router, upload_limit  # noqa: E402
from server.embed import build_embed_router, install_origin_policy  # noqa: E402
from server.errors import ApiError, ErrorLanguageMiddleware, install_error_handlers  # noqa: E402
from server.feedback import FeedbackStore, feedback_path  # noqa: E402
from server.limits import AnswerAdmission, DeclaredBodyLimit, RateLimitMiddleware, rate_limiter  # noqa: E402
from server.openai_compat import build_openai_router  # noqa: E402
from server.page import ChatPageMiddleware, chat_css  # noqa: E402
from server.runner import bind, serve  # noqa: E402
from server.schemas import AgencyOut, DocumentOut  # noqa: E402
from vectorstore.lock import IndexLock  # noqa: E402

log = logging.getLogger(__name__)

TITLE = "浙江省“人工智能+”政策问答"
DESCRIPTION = (
    "回答均引用原文条款并注明出处，点击引用可展开完整条款。《浙江省“人工智能+”行动计划（2024—2027年）》目前为"
    "**征求意见稿**，尚未正式施行，具体内容以正式发布的文件为准。"
)
CITIZEN_QUESTIONS = [
    "人工智能+医疗由哪些部门负责？",
    "人工智能+教育有哪些举措？",
    "到2027年的目标是什么？",
    "征求意见截止到什么时候？",
]
ENTERPRISE_QUESTIONS = [
    "企业能获得哪些算力支持？",
    "中小企业有哪些金融信贷支持？",
    "省数据局负责哪些领域？",
    "人工智能+制造由哪些部门负责？",
]
INTERNAL_ERROR = "抱歉，系统出现内部错误，请稍后再试。"
# The title breaks after “人工智能+” on a narrow screen, never inside 问答; the switch is read as 长辈模式, on or off.
HEADER = (
    '<header class="pb-header"><h1><span>浙江省“人工智能+”</span><span>政策问答</span></h1>'
    '<button id="pb-elder" type="button" role="switch" aria-checked="false" title="更大的字、更大的按钮、更简洁的页面">'
    "长辈模式</button></header>"
)
MAX_HISTORY_TURNS = 10  # user+assistant pairs passed back to the bot as context
POPULAR_SAVE_SECONDS = 300  # how often the server writes its most asked questions (and when it stops)
ROLE_LABELS = {"牵头": "牵头", "参与": "参与", "提及": "文中提及"}

# System fonts only: nothing is fetched from fonts.googleapis.com or any other CDN.
FONT = ["system-ui", "-apple-system", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "sans-serif"]
FONT_MONO = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]



# --- rendering ------------------------------------------------------------------------
_BLOCKQUOTE_PREFIX = re.compile(r"^(\s{0,3}(?:>\s?)*)(.*)$")


def _escape_text(text: str) -> str:
    # NOTE: html.escape stops tags; the brackets are escaped too so that "[x](javascript:…)" or
    # "![](http://…)" in a clause never becomes a link or an image. "[1]" still reads "[1]".
    return html.escape(text).replace("[", "&#91;").replace("]", "&#93;")


def escape_markdown(text: str) -> str:
    """Escape HTML in Markdown text while keeping its Markdown (``**``, ``*``, ``>`` quotes).

    Each line's leading blockquote markers are kept; the rest goes through ``html.escape``,
    so ``<script>`` shows as text and never becomes a tag.
    """
    lines = []
    for line in (text or "").splitlines():
        prefix, rest = _BLOCKQUOTE_PREFIX.match(line).groups()
        lines.append(prefix + _escape_text(rest))
    return "\n".join(lines)


def _quote_spans(clause_text: str, quote: str) -> list[tuple[int, int]]:
    """Where the quote (or its fragments, if it was shortened with “…”) occurs in the clause."""
    quote = (quote or "").strip()
    if not quote or not clause_text:
        return []
    start = clause_text.find(quote)
    if start >= 0:
        return [(start, start + len(quote))]
    spans, cursor = [], 0
    for fragment in re.split(r"…+|\.{3,}", quote):
        fragment = fragment.strip()
        if len(fragment) < 2:
            continue
        found = clause_text.find(fragment, cursor)
        if found < 0:
            found = clause_text.find(fragment)
            if found < 0 or any(s <= found < e for s, e in spans):
                continue
        spans.append((found, found + len(fragment)))
        cursor = found + len(fragment)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def _escape_block(text: str) -> str:
    # One line of HTML: a blank line would end the Markdown HTML block.
    return html.escape(text or "").replace("\r\n", "\n").replace("\n", "<br>")


def highlight_clause(clause_text: str, quote: str) -> str:
    """The escaped clause text with the quoted part wrapped in ``<mark>``."""
    parts, cursor = [], 0
    for start, end in _quote_spans(clause_text, quote):
        parts.append(_escape_block(clause_text[cursor:start]))
        parts.append("<mark>" + _escape_block(clause_text[start:end]) + "</mark>")
        cursor = end
    parts.append(_escape_block(clause_text[cursor:]))
    return "".join(parts)


def _doc_title(title: str) -> str:
    title = (title or "").strip() or "未命名文件"
    if not title.startswith("《"):
        title = f"《{title}》"
    return title


def _status_badge(status: str) -> str:
    return f'<span class="pb-status">{html.escape(status)}</span>' if status else ""


def _plain(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def render_citation(citation: Citation, answer_text: str = "") -> str:
    """One source: where it is (document, clause, page, status); opening it shows the full clause with
    the quoted part highlighted. The quote itself is shown only when the answer does not already quote it."""
    where = [f"<strong>{html.escape(_doc_title(citation.doc_title))}</strong>"]
    if citation.clause:
        where.append(html.escape(citation.clause))
    if citation.page is not None:
        where.append(f"第 {int(citation.page)} 页")
    summary = f'<span class="pb-where">{" · ".join(where)}</span>'
    if citation.status:
        summary += " " + _status_badge(citation.status)
    quote = _plain(citation.quote)
    if quote and quote not in _plain(answer_text):
        summary += f'<span class="pb-quote">“{_escape_block(citation.quote)}”</span>'
    if not citation.clause_text:
        return f"<li><div>{summary}</div></li>"
    return (
        f"<li><details><summary>{summary}</summary>"
        f'<div class="pb-clause">{highlight_clause(citation.clause_text, citation.quote)}</div></details></li>'
    )


def render_citations(citations: Iterable[Citation], answer_text: str = "") -> str:
    """The numbered sources as one line of (escaped) HTML; empty if there are none."""
    items = "".join(render_citation(c, answer_text) for c in citations)
    if not items:
        return ""
    return f'<div class="pb-citations"><p class="pb-citations-title">引用条款（点开查看完整条款）</p><ol>{items}</ol></div>'


def render_answer(answer: Answer) -> str:
    """The bot's chat message, each thing once: the answer (the stated fact and the quote it rests on,
    HTML escaped) followed by its numbered sources, which open to the full clause."""
    body = escape_markdown(answer.answer)
    citations = render_citations(answer.citations, answer.answer)
    return f"{body}\n\n{citations}" if citations else body


def render_error(message: str) -> str:
    return "⚠️ " + html.escape(" ".join(str(message).split()))


def _agencies_line(agencies: list[str]) -> str:
    if not agencies:
        return ""
    return f' <span class="pb-agencies">（责任单位：{html.escape("、".join(agencies))}）</span>'


def render_document(document: DocumentOut) -> str:
    """A document's clause tree as nested, collapsible headings; each clause shows its agencies and text."""
    meta = " · ".join(html.escape(x) for x in (document.issuer, document.date) if x)
    head = (
        f"<p><strong>{html.escape(_doc_title(document.title))}</strong> {_status_badge(document.status)}"
        f"{' · ' + meta if meta else ''}<br>文件：{html.escape(document.source)}</p>"
    )
    # path prefix → (heading, own clauses, children), in reading order
    root: dict = {"children": {}, "clauses": []}
    for clause in document.clauses:
        node = root
        for heading in clause.path or [clause.title or clause.kind]:
            node = node["children"].setdefault(heading, {"children": {}, "clauses": []})
        node["clauses"].append(clause)

    def render(heading: str, node: dict, depth: int) -> str:
        agencies = [a for c in node["clauses"] for a in c.agencies]
        summary = html.escape(heading) + _agencies_line(list(dict.fromkeys(agencies)))
        body = ""
        for clause in node["clauses"]:
            page = f"（第 {int(clause.page)} 页）" if clause.page is not None else ""
            body += f'<div class="pb-clause">{_escape_block(clause.text)}{page}</div>'
        body += "".join(render(h, child, depth + 1) for h, child in node["children"].items())
        is_open = " open" if depth == 0 and node["children"] else ""
        return f"<details{is_open}><summary>{summary}</summary>{body}</details>"

    tree = "".join(render(h, child, 0) for h, child in root["children"].items())
    return f'<div class="pb-browser">{head}{tree}</div>'


def render_agency(agency: AgencyOut, clause_texts: dict[str, str]) -> str:
    """An agency's clauses, lead roles first, each expandable to its text."""
    items = []
    for entry in agency.clauses:
        text = clause_texts.get(entry.clause_id, "")
        page = f" · 第 {int(entry.page)} 页" if entry.page is not None else ""
        items.append(
            f'<li><details><summary><span class="pb-role">{html.escape(ROLE_LABELS.get(entry.role, entry.role))}</span> '
            f"{html.escape(entry.clause)}{page}<br><small>{html.escape(_doc_title(entry.doc_title))} "
            f"{_status_badge(entry.status)}</small></summary>"
            f'<div class="pb-clause">{_escape_block(text)}</div></details></li>'
        )
    return (
        f'<div class="pb-browser"><p><strong>{html.escape(agency.agency)}</strong>：'
        f"{len(agency.clauses)} 条相关条款</p><ol>{''.join(items)}</ol></div>"
    )


VERDICT_LABELS = {"eligible": "符合", "not_eligible": "不符合", "undetermined": "尚不能确定"}
APPLICANT_CHOICES = [("企业", "enterprise"), ("高校", "university"), ("科研院所", "institute"), ("个人", "individual")]


def _evidence_html(evidence) -> str:
    return f'<br><small>{html.escape(evidence.clause)}：“{_escape_text(evidence.quote)}”</small>'


def render_eligibility(result) -> str:
    """Each measure's verdict with its reason and the deciding clause in view (no click, no emoji); the
    documents that set no condition are said once each, not as a column of 尚不能确定."""
    if not result.verdicts:
        return "<p>已收录的文件中没有找到支持措施。</p>"
    items = []
    for verdict in result.concrete:
        scope = f"（适用于{html.escape(verdict.jurisdiction)}）" if verdict.jurisdiction else ""
        rows = []
        if verdict.deciding:
            rows.append(f'<li class="pb-el-deciding">依据条款{_evidence_html(verdict.deciding)}</li>')
        if verdict.benefit_steps:
            shown = [verdict.deciding]
            parts = []
            for step in verdict.benefit_steps:  # each number with its clause, each clause quoted once
                cited = step.evidence and step.evidence not in shown
                parts.append(html.escape(step.text) + (_evidence_html(step.evidence) if cited else ""))
                shown.append(step.evidence)
            rows.append('<li class="pb-el-benefit">支持金额：' + "；".join(parts) + "</li>")
        elif verdict.benefit_explanation:
            rows.append(f'<li class="pb-el-benefit">支持标准：{html.escape(verdict.benefit_explanation)}</li>')
        rows += [f"<li>不满足：{html.escape(c.requirement)}{_evidence_html(c.evidence)}</li>" for c in verdict.failed[1:]]
        rows += [f"<li>需要确认：{html.escape(c.follow_up or c.requirement)}{_evidence_html(c.evidence)}</li>"
                 for c in verdict.missing[1:]]
        if verdict.met:
            rows.append(f"<li>已满足：{html.escape('；'.join(c.requirement for c in verdict.met))}</li>")
        items.append(
            f'<li class="pb-el-verdict pb-el-{verdict.verdict}"><strong>{_escape_text(verdict.measure)}</strong>：'
            f'<strong class="pb-el-label">{VERDICT_LABELS[verdict.verdict]}</strong>——{html.escape(verdict.reason)}'
            f"<br><small>{html.escape(_doc_title(verdict.doc_title))}{scope}</small><ul>{''.join(rows)}</ul></li>"
        )
    notes = [
        f'<p class="pb-el-unconditioned">{html.escape(_doc_title(entry.doc_title))}提到的'
        f"{html.escape('、'.join(entry.measures))}：{html.escape(entry.note)}"
        + "".join(_evidence_html(e) for e in entry.evidence[:2]) + "</p>"
        for entry in result.unconditioned
    ]
    listing = f'<ol>{"".join(items)}</ol>' if items else ""
    return f'<div class="pb-browser pb-eligibility">{listing}{"".join(notes)}</div>'


# Yes/no facts the form can confirm; left unticked they stay unknown (and are asked), never "no".
CONFIRMABLE_FACTS = [
    ("具有独立法人资格", "legal_person"), ("信用记录良好", "good_credit"), ("服务商在主管部门目录内", "provider_listed"),
    ("所购服务属于文件规定的范围", "service_in_scope"), ("未向关联方购买", "related_party_purchase"),
    ("未获其他财政资金支持", "other_public_funding"),
]


def _form_number(value: str | float | None, label: str) -> float | None:
    """A number field's value; empty is "not given" (never 0, which would fail every revenue floor)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return float(str(value).strip().replace(",", "").replace("，", ""))
    except ValueError:
        raise PolicyBotError(f"{label} must be a number, got {value!r}", zh=f"“{label}”请填写数字。") from None


def check_eligibility(bot: PolicyBot, applicant: str | None, region: str, revenue_wan: str | float | None,
                      employees: str | float | None, industry: str, spend_wan: str | float | None, tier: str = "",
                      confirmed: list[str] | None = None) -> str:
    """The form's handler: a profile from the fields that were filled, then every measure's verdict."""
    try:
        revenue_wan = _form_number(revenue_wan, "上一年度营业收入")
        employees = _form_number(employees, "从业人员")
        spend_wan = _form_number(spend_wan, "相关支出")
    except PolicyBotError as exc:
        return render_error(exc.for_people())
    ticked = set(confirmed or [])
    facts = {field: field not in ("related_party_purchase", "other_public_funding") for _, field in CONFIRMABLE_FACTS if field in ticked}
    profile = {
        **facts,
        "type": applicant or None,
        "region": region.strip() or None,
        "annual_revenue_cny": revenue_wan * 10_000 if revenue_wan is not None else None,
        "employees": int(employees) if employees is not None else None,
        "industry": industry.strip() or None,
        "spend_cny": spend_wan * 10_000 if spend_wan is not None else None,
        "tier": (tier or "").strip() or None,
    }
    try:
        return render_eligibility(bot.eligibility({k: v for k, v in profile.items() if v is not None}))
    except PolicyBotError as exc:
        return render_error(exc.for_people())


# --- handlers (testable without a browser) ----------------------------------------------
def _log_failure(bot: PolicyBot, question: object) -> None:
    if getattr(getattr(bot, "settings", None), "log_questions", True) and isinstance(question, str):
        log.exception("answering %r failed", question[:200])
    else:  # POLICYBOT_LOG_QUESTIONS=0: the failure is logged, what was asked is not
        log.exception("answering a question failed")


def _feedback_record(answer: Answer) -> dict:
    public = answer.to_public()
    return {"question": public["question"], "answer": public["answer"], "citations": public["citations"]}


def chat_stream(
    bot: PolicyBot,
    message: str,
    chat_history: list | None,
    turns: list[dict] | None,
    records: list | None = None,
) -> Iterator[tuple[str, list, list[dict], list]]:
    """One chat step, streamed: yields (textbox value, messages shown, raw turns, feedback records).

    ``chat_history`` is what the Chatbot shows (escaped HTML); ``turns`` holds the raw question /
    answer text the bot uses for follow-up questions; ``records`` runs parallel to
    ``chat_history`` and holds, for each answer, what a thumbs up or down is stored with.
    A ``PolicyBotError`` becomes its one-line message; anything else a generic apology.
    """
    message = message if isinstance(message, str) else ""
    chat_history, turns, records = list(chat_history or []), list(turns or []), list(records or [])
    records += [None] * (len(chat_history) - len(records))
    if message.strip():
        chat_history.append({"role": "user", "content": escape_markdown(message.strip())})
        records.append(None)
    chat_history.append({"role": "assistant", "content": ""})
    records.append(None)

    text, answer = "", None
    try:
        for piece in bot.stream(message, list(turns)):
            if isinstance(piece, Answer):
                answer = piece
                break
            text += piece
            chat_history[-1] = {"role": "assistant", "content": escape_markdown(text)}
            yield "", list(chat_history), turns, list(records)
    except PolicyBotError as exc:
        chat_history[-1] = {"role": "assistant", "content": render_error(exc.for_people())}
    except Exception:  # noqa: BLE001 - the visitor must never see a traceback
        _log_failure(bot, message)
        chat_history[-1] = {"role": "assistant", "content": render_error(INTERNAL_ERROR)}
    if answer is None:
        if not chat_history[-1]["content"]:
            chat_history[-1] = {"role": "assistant", "content": render_error(INTERNAL_ERROR)}
        yield "", list(chat_history), turns, list(records)
        return
    chat_history[-1] = {"role": "assistant", "content": render_answer(answer)}
    records[-1] = _feedback_record(answer)
    turns += [{"role": "user", "content": message.strip()}, {"role": "assistant", "content": answer.answer}]
    yield "", list(chat_history), turns[-2 * MAX_HISTORY_TURNS :], list(records)


def chat(
    bot: PolicyBot, message: str, chat_history: list | None, turns: list[dict] | None
) -> tuple[str, list, list[dict]]:
    """One chat step, not streamed: returns (new textbox value, new Chatbot messages, new raw turns)."""
    last = ("", list(chat_history or []), list(turns or []), [])
    for last in chat_stream(bot, message, chat_history, turns):
        pass
    return last[0], last[1], last[2]


def record_feedback(feedback: FeedbackStore, records: list, index: int | tuple | list, liked: bool | str | None) -> bool:
    """Store a thumbs up / down given on the chat message at ``index``; False if there is nothing to rate."""
    if isinstance(index, (tuple, list)):
        index = index[0]
    rating = "up" if liked in (True, "Like") else "down" if liked in (False, "Dislike") else None
    if rating is None or not isinstance(index, int) or not 0 <= index < len(records) or not records[index]:
        return False
    feedback.add(rating=rating, channel="web", **records[index])
    return True


def clear() -> tuple[str, list, list, list[dict], list, dict]:
    """An empty question box, chat, history, turns and feedback records, and nothing saved in the browser."""
    return "", [], [], [], [], saved_conversation([], [])


# --- the conversation kept in the visitor's browser ---------------------------------------
SAVED_MESSAGES = 2 * MAX_HISTORY_TURNS  # what a reload brings back


def saved_conversation(chat_history: list, turns: list[dict]) -> dict:
    """What the browser keeps (encrypted in its localStorage) so a reload does not lose the conversation."""
    return {"history": list(chat_history or [])[-SAVED_MESSAGES:], "turns": list(turns or [])[-SAVED_MESSAGES:]}


def _messages(value: object, max_chars: int) -> list[dict]:
    if not isinstance(value, list):
        return []
    return [
        {"role": m["role"], "content": m["content"][:max_chars]}
        for m in value
        if isinstance(m, dict) and m.get("role") in ("user", "assistant") and isinstance(m.get("content"), str)
    ]


def restore_conversation(saved: object) -> tuple[list, list, list[dict], list]:
    """Chat shown, chat state, turns and feedback records from what the browser kept; empty if it is unusable.

    Restored answers carry no feedback record: ratings are stored for answers given in this page view.
    """
    saved = saved if isinstance(saved, dict) else {}
    history = _messages(saved.get("history"), 200_000)[-SAVED_MESSAGES:]
    turns = _messages(saved.get("turns"), 20_000)[-SAVED_MESSAGES:]
    return history, history, turns, [None] * len(history)


def browser_secret(settings: Settings) -> str:
    """The key the saved conversation is encrypted with: POLICYBOT_BROWSER_SECRET, else one kept under home."""
    if settings.browser_secret:
        return settings.browser_secret.get_secret_value()
    path = Path(settings.home) / "browser-secret"
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
                out.write(secrets.token_urlsafe(32))
        return path.read_text().strip()
    except FileExistsError:  # another replica on this home wrote it first
        return path.read_text().strip()


# --- app --------------------------------------------------------------------------------
# Text in rem, so the visitor's own font size and 长辈模式 (a larger root size) scale the whole page.
TEXT_SIZES = gr.themes.Size(xxs="0.75rem", xs="0.8125rem", sm="0.875rem", md="1rem", lg="1.125rem", xl="1.375rem", xxl="1.75rem")
SPACING = gr.themes.Size(xxs="0.0625rem", xs="0.125rem", sm="0.25rem", md="0.375rem", lg="0.5rem", xl="0.75rem", xxl="1rem")
GOV_BLUE, GOV_BLUE_DARK, INK, MUTED = "#1f4e8c", "#163a69", "#1f2328", "#4b5563"


def make_theme() -> gr.themes.Base:
    """A calm, official look: white page, one deep blue, dark text; every pair at least 4.5:1."""
    return gr.themes.Default(
        primary_hue=gr.themes.colors.blue, neutral_hue=gr.themes.colors.gray,
        font=FONT, font_mono=FONT_MONO, text_size=TEXT_SIZES, spacing_size=SPACING,
    ).set(
        body_text_color=INK,
        body_text_color_subdued=MUTED,
        block_label_text_color=MUTED,
        block_title_text_color=INK,
        input_placeholder_color=MUTED,
        button_primary_background_fill=GOV_BLUE,
        button_primary_background_fill_hover=GOV_BLUE_DARK,
        button_primary_text_color="#ffffff",
        button_primary_text_color_hover="#ffffff",
        button_primary_border_color=GOV_BLUE,
        button_secondary_background_fill="#ffffff",
        button_secondary_background_fill_hover="#eef2f7",
        button_secondary_text_color=INK,
        button_secondary_border_color="#8c959f",
        button_large_text_size="1rem",
        button_medium_text_size="1rem",
        button_small_text_size="1rem",
        link_text_color=GOV_BLUE,
        link_text_color_visited=GOV_BLUE_DARK,
        color_accent=GOV_BLUE,
        color_accent_soft="#e3eaf3",
    )


_PROVINCE, _CITY, _COUNTY = ("省", "浙江省"), "市", ("县", "区")


def agency_sort_key(name: str) -> tuple:
    """Province-level agencies first, then cities, then counties and the rest; by pinyin within a level."""
    from pypinyin import lazy_pinyin  # loaded on first use: a dictionary of some MB

    bare = name.removeprefix("浙江")
    level = 0 if name.startswith(_PROVINCE) else 1 if _CITY in bare[:4] else 2 if any(c in bare[:6] for c in _COUNTY) else 3
    return level, lazy_pinyin(bare), name


def build_app(bot: PolicyBot, feedback: FeedbackStore, secret: str | None = None) -> gr.Blocks:
    """The chat UI. Theme and CSS are given when it is mounted (``build_server``)."""

    def on_submit(message: str, chat_history: list, turns: list[dict], records: list):
        """The answer as it streams; the conversation is saved in the browser with its last piece, in this
        same event: a save sent as a separate event after it could land after a 清空 and bring it back."""
        pending = None  # each piece is shown when the next one is ready, the last one with the save
        for piece in chat_stream(bot, message, chat_history, turns, records):
            if pending is not None:
                textbox, shown, new_turns, new_records = pending
                yield textbox, shown, shown, new_turns, new_records, gr.skip()
            pending = piece
        if pending is not None:
            textbox, shown, new_turns, new_records = pending
            yield textbox, shown, shown, new_turns, new_records, saved_conversation(shown, new_turns)

    def on_like(records: list, data: gr.LikeData) -> None:
        if record_feedback(feedback, records, data.index, data.liked):
            gr.Info("感谢您的反馈！")

    def refresh_documents(current: str | None):
        """The document list as the index has it now (an upload may have added one), keeping the choice."""
        choices = [(d.title, d.doc_id) for d in catalog.documents(bot.plan())]
        ids = [doc_id for _, doc_id in choices]
        value = current if current in ids else (ids[0] if ids else None)
        return gr.Dropdown(choices=choices, value=value), show_document(value)

    def refresh_agencies(current: str | None):
        directory = sorted(catalog.agencies(bot.plan()), key=lambda a: agency_sort_key(a.agency))
        choices = [(f"{a.agency}（{len(a.clauses)} 条）", a.agency) for a in directory]
        value = current if current in [name for _, name in choices] else None
        return gr.Dropdown(choices=choices, value=value), show_agency(value)

    def show_document(doc_id: str | None) -> str:
        documents = catalog.documents(bot.plan(), doc_id) if doc_id else []
        return render_document(documents[0]) if documents else "尚未收录任何文件。"

    def show_agency(agency: str | None) -> str:
        if not agency:
            return ""
        plan = bot.plan()
        directory = catalog.agencies(plan, agency)
        if not directory:
            return "没有条款提到该部门。"
        texts = {cid: clause.text for cid, clause in plan.clauses.items()}
        return render_agency(directory[0], texts)

    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.HTML(HEADER, elem_id="pb-top", padding=False)
        gr.Markdown(DESCRIPTION, elem_classes="pb-intro")
        history, turns, records = gr.State([]), gr.State([]), gr.State([])
        # A reload brings the conversation back; 清空对话 forgets it here too.
        kept = gr.BrowserState({"history": [], "turns": []}, storage_key="policybot-conversation", secret=secret)
        with gr.Tabs():
            with gr.Tab("问答", id="chat"):
                chatbot = gr.Chatbot(
                    label="对话记录",
                    show_label=False,
                    height="62vh",
                    min_height=320,
                    sanitize_html=True,
                    render_markdown=True,
                    allow_tags=False,
                    latex_delimiters=[],
                    feedback_options=("Like", "Dislike"),
                    buttons=["copy"],
                    elem_id="pb-chatbot",
                    placeholder="请提问有关浙江省“人工智能+”行动计划的问题，例如某个领域的责任单位、支持措施或时间安排。",
                )
                with gr.Row(equal_height=True, elem_id="pb-input-row"):
                    textbox = gr.Textbox(
                        label="请输入您的问题",
                        placeholder="请输入您的问题",
                        show_label=False,
                        lines=1,
                        max_lines=4,
                        scale=8,
                        min_width=160,
                        autofocus=True,
                        elem_id="pb-question",
                    )
                    send = gr.Button("发送", variant="primary", scale=1, min_width=72, elem_id="pb-send")
                clear_button = gr.Button("清空对话", variant="secondary", elem_id="pb-clear")
                io = dict(
                    fn=on_submit,
                    inputs=[textbox, history, turns, records],
                    outputs=[textbox, chatbot, history, turns, records, kept],
                    api_visibility="private",
                )
                answering = [textbox.submit(**io), send.click(**io)]
                starters = []
                for label, questions in (("市民常问", CITIZEN_QUESTIONS), ("企业常问", ENTERPRISE_QUESTIONS)):
                    gr.Markdown(label, elem_classes="pb-starters-title")
                    with gr.Row(elem_classes="pb-starters"):
                        for question in questions:
                            starters.append((gr.Button(question, variant="secondary"), question))
                for button, question in starters:
                    answering.append(button.click(
                        partial(on_submit, question),
                        inputs=[history, turns, records],
                        outputs=[textbox, chatbot, history, turns, records, kept],
                        api_visibility="private",
                    ))
                # Clearing stops an answer still streaming (it would refill the chat) and empties what the browser
                # keeps in the same event.
                clear_button.click(
                    clear, outputs=[textbox, chatbot, history, turns, records, kept], api_visibility="private",
                    queue=False, cancels=answering,
                )
                chatbot.like(on_like, inputs=[records], outputs=None, api_visibility="private")
                # The Chatbot's own trash button empties what is shown; forget the conversation with it.
                chatbot.clear(lambda: clear()[2:], outputs=[history, turns, records, kept], api_visibility="private",
                              queue=False, cancels=answering)

            with gr.Tab("政策匹配", id="eligibility"):
                gr.Markdown("填写企业情况（均可不填），逐项对照各项支持措施的申请条件；每个结论都附条款原文。")
                with gr.Row():
                    applicant = gr.Dropdown(label="申请主体", choices=APPLICANT_CHOICES, value="enterprise", elem_id="pb-el-type")
                    region = gr.Textbox(label="注册地（如 杭州市）", elem_id="pb-el-region")
                    industry = gr.Textbox(label="行业（如 人工智能）", elem_id="pb-el-industry")
                # Text boxes, not gr.Number: an untouched gr.Number submits 0, which would fail every revenue floor.
                with gr.Row():
                    revenue = gr.Textbox(label="上一年度营业收入（万元）", placeholder="不填表示不确定", elem_id="pb-el-revenue")
                    employees = gr.Textbox(label="从业人员（人）", placeholder="不填表示不确定", elem_id="pb-el-employees")
                    spend = gr.Textbox(label="相关支出（万元，用于估算支持金额）", placeholder="不填则不估算金额", elem_id="pb-el-spend")
                    tier = gr.Textbox(label="类别（分档时填写，如 智能算力、A类人才）", elem_id="pb-el-tier")
                confirmed = gr.CheckboxGroup(label="已确认的情况（不勾选表示不确定）", choices=CONFIRMABLE_FACTS, elem_id="pb-el-facts")
                check = gr.Button("查看可申请的支持措施", variant="primary", elem_id="pb-el-check")
                eligibility_view = gr.Markdown(sanitize_html=True, elem_id="pb-el-view")
                check.click(
                    partial(check_eligibility, bot),
                    inputs=[applicant, region, revenue, employees, industry, spend, tier, confirmed],
                    outputs=eligibility_view,
                    api_visibility="private",
                )
            with gr.Tab("条款浏览", id="clauses") as clauses_tab:
                gr.Markdown("按文件浏览条款：逐级展开章节，可看到每条的责任单位和原文。", elem_classes="pb-tab-intro")
                doc_select = gr.Dropdown(label="文件", choices=[], interactive=True, elem_id="pb-doc-select")
                doc_view = gr.Markdown(sanitize_html=True, elem_id="pb-doc-view")
            with gr.Tab("部门目录", id="agencies") as agencies_tab:
                gr.Markdown("选择部门，查看由它牵头、参与或在文中提及的条款。", elem_classes="pb-tab-intro")
                agency_select = gr.Dropdown(
                    label="部门（按省、市、县级和拼音排序；括号内为条款数）", choices=[], interactive=True, filterable=True,
                    elem_id="pb-agency-select",
                )
                agency_view = gr.Markdown(sanitize_html=True, elem_id="pb-agency-view")

        private = dict(api_visibility="private", queue=False)
        for trigger in (demo.load, clauses_tab.select):
            trigger(refresh_documents, inputs=doc_select, outputs=[doc_select, doc_view], **private)
        for trigger in (demo.load, agencies_tab.select):
            trigger(refresh_agencies, inputs=agency_select, outputs=[agency_select, agency_view], **private)
        doc_select.input(show_document, inputs=doc_select, outputs=doc_view, **private)
        agency_select.input(show_agency, inputs=agency_select, outputs=agency_view, **private)
        demo.load(restore_conversation, inputs=kept, outputs=[chatbot, history, turns, records], **private)
    return demo


def _package_version() -> str:
    try:
        return version("policybot")
    except PackageNotFoundError:
        return "0.1.0"


class PolicyBotServer(FastAPI):
    """FastAPI with the declared-length body check in front of everything, so a 413 is JSON too."""

    def __init__(self, *, body_limit_for: Callable[[str], int], **kwargs) -> None:
        self.body_limit_for = body_limit_for
        super().__init__(**kwargs)

    def build_middleware_stack(self):
        # Outermost: every error below, the body limit's too, speaks the request's language.
        return ErrorLanguageMiddleware(DeclaredBodyLimit(super().build_middleware_stack(), self.body_limit_for))


def build_server(bot: PolicyBot, settings: Settings, feedback: FeedbackStore | None = None) -> FastAPI:
    """The one server: API routes first, then the Gradio chat mounted at ``/`` for everything else."""
    feedback = feedback or FeedbackStore(feedback_path(settings.home))
    server = PolicyBotServer(
        body_limit_for=lambda path: upload_limit(settings) if path == ADMIN_INGEST_PATH else settings.max_body_kb * 1024,
        title="policybot",
        version=_package_version(),
        description=(
            "Cited answers about Zhejiang's 人工智能+ action plan. Errors are JSON: "
            '`{"error": {"message", "type", "code"}}`. `/api/*` and `/v1/*` are rate limited per client '
            "(429 with Retry-After)."
        ),
        docs_url=None,  # Swagger UI would load scripts from a CDN; the spec is at /openapi.json
        redoc_url=None,
        openapi_url="/openapi.json",
        max_body_size=settings.max_body_kb * 1024,
    )
    install_error_handlers(server)
    api_routers = [build_api_router(bot, settings, feedback), build_openai_router(bot), build_admin_router(bot, settings)]
    for router in [*api_routers, build_embed_router(settings)]:
        server.include_router(router)

    @server.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    @server.api_route("/v1/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    def unknown_endpoint(request: Request, rest: str):
        # Without this the Gradio app mounted at "/" would answer unknown API paths with HTML.
        path = request.url.path
        allowed = sorted(
            {m for router in api_routers for route in router.routes if route.path_regex.match(path) for m in route.methods}
        )
        if allowed:
            raise ApiError(405, f"{request.method} is not allowed here; use {', '.join(allowed)}",
                           zh=f"该接口不支持 {request.method} 请求，请使用 {'、'.join(allowed)}。", headers={"Allow": ", ".join(allowed)})
        raise ApiError(404, f"no such endpoint: {request.url.path} (see /openapi.json)", zh="没有这个接口（接口说明见 /openapi.json）。")

    server.add_middleware(AnswerAdmission, limit=settings.answer_queue)  # inside the rate limit: a 429 costs no place
    if settings.rate_limit_per_minute:
        server.add_middleware(RateLimitMiddleware, limiter=rate_limiter(settings))
    install_origin_policy(server, settings)
    server.add_middleware(ChatPageMiddleware)  # <html lang="zh-CN">, 长辈模式, Chinese control names

    demo = build_app(bot, feedback, browser_secret(settings))
    demo.queue(default_concurrency_limit=settings.chat_concurrency, max_size=settings.chat_queue_size)
    return gr.mount_gradio_app(
        server,
        demo,
        path="/",
        server_name=settings.host,
        server_port=settings.port,
        footer_links=["settings"],
        run_history=False,
        show_error=False,
        max_file_size=settings.max_body_kb * 1024,
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        enable_monitoring=False,
        theme=make_theme(),
        css=chat_css(),
    )


def _fail(message: str) -> int:
    print(f"policybot: error: {' '.join(str(message).split())}", file=sys.stderr)
    return 1


def main() -> int:
    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0] if exc.errors() else {}
        field = ".".join(str(p) for p in first.get("loc", ()))
        return _fail(f"invalid setting POLICYBOT_{field.upper()}: {first.get('msg', exc)}")
    # One writer: the server holds the embedded index's writer lock for its whole life, so a CLI
    # ingest/remove on the same POLICYBOT_HOME stops and points at the admin API (no-op with a Chroma server).
    writer_lock = IndexLock(settings, "policybot serve")
    try:
        writer_lock.acquire()
    except PolicyBotError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"POLICYBOT_HOME is not writable at {settings.home} ({exc.strerror or exc}); point POLICYBOT_HOME at a writable folder")
    try:
        return _serve(settings)
    finally:
        writer_lock.release()


def _serve(settings: Settings) -> int:
    try:
        bot = PolicyBot(settings)
        if bot.stats()["documents"] == 0:
            print(f"policybot: index is empty, ingesting bundled corpus from {settings.corpus_dir} …", file=sys.stderr)
            report = bot.ingest_bundled_if_empty()
            if report is not None:
                print(
                    f"policybot: ingested {len(report.results)} document(s), {report.clauses} clauses "
                    f"in {report.seconds:.1f}s",
                    file=sys.stderr,
                )
                for failure in report.failures:
                    print(f"policybot: skipped {failure.path}: {failure.reason}", file=sys.stderr)
        stats = bot.stats()
        print(f"policybot: index has {stats['documents']} document(s), {stats['chunks']} chunks", file=sys.stderr)
        print("policybot: loading models …", file=sys.stderr)
        bot.warm_up()
        feedback = FeedbackStore(feedback_path(settings.home))
    except PolicyBotError as exc:
        return _fail(str(exc))
    except (OSError, sqlite3.Error) as exc:
        return _fail(f"cannot write the feedback database under {settings.home}: {exc} (check POLICYBOT_HOME)")

    try:
        sock = bind(settings.host, settings.port)
    except OSError as exc:
        return _fail(f"cannot serve on {settings.host}:{settings.port}: {exc.strerror or exc} (set POLICYBOT_PORT to a free port)")
    server = build_server(bot, settings, feedback)
    base = f"http://{settings.host}:{settings.port}"
    print(
        f"policybot: serving on {base} — chat {base}/, API {base}/api (spec {base}/openapi.json), "
        f"OpenAI-compatible {base}/v1, widget {base}/embed.js",
        file=sys.stderr,
    )
    if settings.admin_token is None:
        print("policybot: admin upload is off (set POLICYBOT_ADMIN_TOKEN to enable POST /api/admin/ingest)", file=sys.stderr)
    # After the lines above, so the background threads' lines never run into them.
    if bot.warm_source() is not None:  # in the background: visitors are served meanwhile
        threading.Thread(target=bot.warm_cache, args=(_say,), name="cache-warm-up", daemon=True).start()
    stopping = threading.Event()
    if bot.popular_path is not None:
        threading.Thread(target=_remember_popular, args=(bot, stopping), name="popular-questions", daemon=True).start()

    def on_stop() -> None:
        stopping.set()
        _save_popular(bot)

    try:
        serve(server, sock, on_stop=on_stop if bot.popular_path is not None else None)
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0


def _say(line: str) -> None:
    print(f"policybot: {line}", file=sys.stderr, flush=True)


def _save_popular(bot: PolicyBot) -> None:
    """Write the most asked questions for the next start; a home that cannot be written costs one line."""
    try:
        bot.remember_popular()
    except OSError as exc:
        _say(f"could not remember the popular questions in {bot.popular_path}: {exc.strerror or exc}")


def _remember_popular(bot: PolicyBot, stopping: threading.Event) -> None:
    while not stopping.wait(POPULAR_SAVE_SECONDS):
        _save_popular(bot)


if __name__ == "__main__":
    sys.exit(main())
