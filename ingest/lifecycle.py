"""Where a document stands over time: draft, in force, superseded, withdrawn or expired.

A document's own text says most of it (征求意见稿, 自…起施行, 有效期至…, 有效期三年); an admin may
record the rest (withdrawn, or which document a new one supersedes). A later version of the same
policy (the same title without 征求意见稿) supersedes the earlier one. States are derived, never
stored: the same documents, records and day always give the same states.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from ingest.models import Document

STATES = ("draft", "in_force", "superseded", "withdrawn", "expired")
# Documents in these states answer questions; the others only when a question names them.
ACTIVE_STATES = frozenset({"draft", "in_force"})
LABELS = {
    "draft": "征求意见稿",
    "in_force": "现行有效",
    "superseded": "已被取代",
    "withdrawn": "已撤回",
    "expired": "已失效",
}

_DATE_RE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
# "有效期三年", "有效期为5年", "有效期暂定两年": counted from the date it takes effect.
_TERM_RE = re.compile(r"有效期(?:为|暂定|暂定为)?\s*([一二两三四五六七八九十]|\d{1,2})\s*年")
_EXPIRY_RE = re.compile(r"有效期至\s*(\d{4}年\d{1,2}月\d{1,2}日)")
# Parenthesised words that mark a version of a policy, not a different policy.
_VERSION_MARK_RE = re.compile(r"[（(][^（()）]*(征求意见|意见稿|草案|送审稿|讨论稿|修订稿)[^（()）]*[)）]")
_TITLE_NOISE_RE = re.compile(r"[“”‘’\"'《》〈〉「」『』\s·]")


def parse_date(text: str | None) -> date | None:
    match = _DATE_RE.search(text or "")
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def format_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def expiry_from_text(text: str, effective: str | None, issued: str | None) -> str | None:
    """The last day a document is valid: 有效期至 DATE, or 有效期 N 年 from the day it takes effect."""
    explicit = _EXPIRY_RE.search(text)
    if explicit:
        return explicit.group(1)
    term = _TERM_RE.search(text)
    start = parse_date(effective) or parse_date(issued)
    if not term or start is None:
        return None
    years = int(term.group(1)) if term.group(1).isdigit() else _CN_DIGITS[term.group(1)]
    try:
        anniversary = start.replace(year=start.year + years)
    except ValueError:  # from 29 February: the term ends with February
        anniversary = date(start.year + years, 3, 1)
    return format_date(anniversary - timedelta(days=1))


def policy_key(title: str) -> str:
    """What versions of one policy share: the title without 征求意见稿-like marks and punctuation."""
    return _TITLE_NOISE_RE.sub("", _VERSION_MARK_RE.sub("", title))


@dataclass(frozen=True)
class LifecycleRecord:
    """What the index records about a document besides its text: when, and what an admin decided."""

    ingested_at: str | None = None
    status: str | None = None  # set by an admin; None: derived from the text
    supersedes: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocumentState:
    doc_id: str
    state: str
    reason: str  # one line, Chinese, for people
    set_by_admin: bool = False
    superseded_by: str | None = None
    supersedes: tuple[str, ...] = field(default=())
    effective_date: str | None = None
    expiry_date: str | None = None

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def label(self) -> str:
        return LABELS[self.state]


def check_state(value: str) -> str:
    """An admin's status in its canonical key; accepts the Chinese labels too."""
    value = value.strip()
    by_label = {label: key for key, label in LABELS.items()}
    key = by_label.get(value, value.lower().replace("-", "_").replace(" ", "_"))
    if key not in STATES:
        raise ValueError(f"unknown status {value!r}; use one of {', '.join(STATES)} (or auto to derive it from the text)")
    return key


def _order(document: Document, record: LifecycleRecord) -> tuple:
    """Which of two versions is later: the date it takes effect or was issued, then when it was ingested."""
    day = parse_date(document.effective_date) or parse_date(document.date) or date.min
    return (day, record.ingested_at or "")


def document_states(
    documents: list[Document], records: dict[str, LifecycleRecord], today: date
) -> dict[str, DocumentState]:
    """Every document's state on ``today``. An admin's status wins; then supersession; then expiry; then the text."""
    records = {d.doc_id: records.get(d.doc_id, LifecycleRecord()) for d in documents}
    by_id = {d.doc_id: d for d in documents}
    superseded_by: dict[str, str] = {}
    # Named by an admin at ingest (--supersedes): whatever the titles say.
    for document in documents:
        for old in records[document.doc_id].supersedes:
            if old in by_id and old != document.doc_id:
                superseded_by.setdefault(old, document.doc_id)
    # The same policy: a final supersedes every draft; the latest final (or, with no final, the latest draft) the rest.
    groups: dict[str, list[Document]] = {}
    for document in documents:
        groups.setdefault(policy_key(document.title), []).append(document)
    for versions in groups.values():
        if len(versions) < 2:
            continue
        finals = [d for d in versions if not d.is_draft]
        latest = max(finals or versions, key=lambda d: _order(d, records[d.doc_id]))
        for document in versions:
            if document.doc_id != latest.doc_id:
                superseded_by.setdefault(document.doc_id, latest.doc_id)

    states = {}
    for document in documents:
        record = records[document.doc_id]
        # A draft's 施行日期 and 有效期 speak of the final it proposes: a draft does not expire by them.
        # A final indexed before its expiry was read from the text gets it from its clauses here.
        expiry = None if document.is_draft else document.expiry_date or expiry_from_text(
            "\n".join(c.text for c in document.clauses), document.effective_date, document.date
        )
        common = dict(
            doc_id=document.doc_id,
            supersedes=tuple(sorted(o for o, n in superseded_by.items() if n == document.doc_id)),
            superseded_by=superseded_by.get(document.doc_id),
            effective_date=document.effective_date,
            expiry_date=expiry,
        )
        expiry_day = parse_date(expiry)
        if record.status:
            state, reason = record.status, "由管理员设定"
        elif document.doc_id in superseded_by:
            newer = by_id[superseded_by[document.doc_id]]
            state, reason = "superseded", f"已被《{newer.title}》取代"
        elif expiry_day is not None and expiry_day < today:
            state, reason = "expired", f"有效期至{expiry}，已过期"
        elif document.is_draft:
            state, reason = "draft", "征求意见稿，尚无正式文件"
        else:
            start = f"，自{document.effective_date}起施行" if document.effective_date else ""
            state, reason = "in_force", f"正式文件{start}"
        states[document.doc_id] = DocumentState(state=state, reason=reason, set_by_admin=bool(record.status), **common)
    return states
