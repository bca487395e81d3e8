"""Versions of documents in questions and answers: the small hook ``bot/answerer.py`` calls.

- ``named_documents``: the superseded, withdrawn or expired documents a question names ("那份征求意见稿
  原来怎么写的"); retrieval may use those for this question only, everything else answers from
  the documents in use.
- ``notes``: what a reader must know about the versions of the documents an answer cites: that a
  cited document is no longer in use, or that the final's clause differs from an earlier draft.
- ``comparison_answer``: "正式稿和征求意见稿有什么不同" answered clause by clause, both sides cited.

The words these listen for are data (``data/lexicons/lifecycle.toml``).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.compare import ClauseChange, ClauseSide, compare_documents, pair_clauses
from bot.models import Answer, Citation
from bot.planindex import split_sentences
from bot.references import title_kind
from core.settings import REPO_ROOT
from ingest.models import Document
from vectorstore.retriever import HybridRetriever, IndexSnapshot
from vectorstore.text import GENERIC_TERMS

LEXICON_PATH = REPO_ROOT / "data" / "lexicons" / "lifecycle.toml"
# A title phrase shorter than this is a topic word, not a reference to one title.
MIN_TITLE_PHRASE = 5
# Changes listed in one answer; the rest are counted (policybot diff shows them all).
MAX_LISTED_CHANGES = 6
_PARENTHESES_RE = re.compile(r"[（(][^（()）]*[)）]")
_PUNCTUATION_RE = re.compile(r"[“”‘’\"'《》〈〉「」『』\s·，。？！?!,、：:]")


@dataclass(frozen=True)
class Lexicon:
    states: dict[str, tuple[str, ...]]
    past: tuple[str, ...]
    compare: tuple[str, ...]
    versions: tuple[str, ...]


@lru_cache(maxsize=1)
def lexicon(path: Path = LEXICON_PATH) -> Lexicon:
    """The lifecycle words, checked once: every list present, non-empty and made of plain words."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))

    def words(value, name: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not value or not all(isinstance(w, str) and w.strip() for w in value):
            raise ValueError(f"{path}: '{name}' must be a non-empty list of words")
        return tuple(w.strip() for w in value)

    states = data.get("states") or {}
    missing = {"superseded", "withdrawn", "expired"} - set(states)
    if missing:
        raise ValueError(f"{path}: [states] lacks {', '.join(sorted(missing))}")
    return Lexicon(
        states={state: words(states[state], f"states.{state}") for state in ("superseded", "withdrawn", "expired")},
        past=words(data.get("past"), "past"),
        compare=words(data.get("compare"), "compare"),
        versions=words(data.get("versions"), "versions"),
    )


def _bare(text: str) -> str:
    return _PUNCTUATION_RE.sub("", _PARENTHESES_RE.sub("", text))


def _title_phrase(question: str, title: str) -> str:
    """The longest stretch of the question (MIN_TITLE_PHRASE characters or more) that the title contains."""
    best = ""
    for start in range(len(question)):
        length = max(MIN_TITLE_PHRASE, len(best) + 1)
        while start + length <= len(question) and question[start : start + length] in title:
            best = question[start : start + length]
            length += 1
    return best


def named_documents(question: str, snapshot: IndexSnapshot) -> frozenset[str]:
    """Ids of the documents no longer in use that the question names.

    By its title (a phrase of it that reaches the word saying what the document is, "…管理办法", and
    that no document in use shares); by a word for its state with a phrase of its title ("…办法征求意见稿
    里"); or by the state word alone where that is unambiguous (撤回, 失效) or put in the past ("那份
    征求意见稿原来怎么写的"). A topic the title mentions ("智能网联汽车道路测试") does not name it.
    """
    inactive = snapshot.inactive_documents()
    if not inactive:
        return frozenset()
    words = lexicon()
    text = _bare(question)
    past = any(w in text for w in words.past)
    in_use = [_bare(d.title) for d in snapshot.documents]
    named = set()
    for document in inactive:
        state = snapshot.states[document.doc_id].state
        said_state = any(w in text for w in words.states.get(state, ()))
        phrase = _title_phrase(text, _bare(document.title))
        kind = title_kind(document.title)
        by_title = bool(phrase) and bool(kind) and kind in phrase and not any(phrase in title for title in in_use)
        if by_title or (said_state and (phrase or past or state != "superseded")):
            named.add(document.doc_id)
    return frozenset(named)


def without_version_words(question: str) -> str:
    """The question without the words that name a version ("征求意见稿", "原来"): they say which document
    to look in, not what to find there (a consultation notice would match them best)."""
    words = lexicon()
    every = sorted({w for ws in words.states.values() for w in ws} | set(words.past), key=len, reverse=True)
    rest = re.sub("|".join(map(re.escape, every)), " ", question)
    return rest if re.search(r"[\u4e00-\u9fff]{2}", rest) else question


def _document_by_title(snapshot: IndexSnapshot, title: str) -> Document | None:
    matching = [d for d in snapshot.all_documents if d.title == title]
    return next((d for d in matching if snapshot.states[d.doc_id].active), matching[0] if matching else None)


def notes(citations: list[Citation], snapshot: IndexSnapshot) -> list[str]:
    """One note per cited document whose version matters to the reader."""
    found = []
    for title in dict.fromkeys(c.doc_title for c in citations):
        document = _document_by_title(snapshot, title)
        if document is None:
            continue
        state = snapshot.states[document.doc_id]
        if not state.active:
            found.append(f"注意：《{document.title}》{state.reason}（{state.label}），所引内容仅供对照，不是现行规定。")
            continue
        cited = {c.clause for c in citations if c.doc_title == title}
        for old_id in state.supersedes:
            old = snapshot.document(old_id)
            if old is None:
                continue
            differs = any(
                after is not None and after.clause_path in cited and (before is None or before.text != after.text)
                for before, after in pair_clauses(old, document)
            )
            if differs:
                kind = "征求意见稿" if old.is_draft else "旧版本"
                found.append(
                    f"《{document.title}》取代了此前的《{old.title}》；所引条款与{kind}的表述不同，以现行文件为准"
                    f"（可以问“正式稿和{kind}有什么不同”查看逐条对照）。"
                )
    return found


def note_retired(refusal: Answer, question: str, snapshot: IndexSnapshot, retriever: HybridRetriever) -> Answer:
    """A refusal that says so when a document no longer in use is what covered the question.

    Only when the question's own words that no document in use has are in the old document's clause
    ("抵扣" of an expired voucher rule): the old document is named, never quoted or cited.
    """
    retired = {d.doc_id for d in snapshot.inactive_documents()}
    if not retired:
        return refusal
    hits = retriever.search(question, k=3, documents=retired, include=retired)
    top = next((h for h in hits if h.chunk.doc_id in retired), None)
    if top is None:
        return refusal
    only_there = [t for t in top.matched_terms if len(t) > 1 and t not in GENERIC_TERMS and t not in snapshot.vocabulary]
    if not only_there:
        return refusal
    document, state = snapshot.document(top.chunk.doc_id), snapshot.states[top.chunk.doc_id]
    note = (
        f"已收录的《{document.title}》涉及这个问题，但该文件{state.label}（{state.reason}），不再作为答复依据；"
        "如需了解它原来的规定，请在问题中写明文件名称。"
    )
    return refusal.model_copy(update={"answer": f"{refusal.answer}\n\n{note}"})


# --- "正式稿和征求意见稿有什么不同" ------------------------------------------------------------
def comparison_pair(question: str, snapshot: IndexSnapshot) -> tuple[Document, Document] | None:
    """(earlier version, the version that superseded it) the question asks to compare, if it asks that."""
    words = lexicon()
    text = _bare(question)
    if not any(w in text for w in words.compare):
        return None
    pairs = [
        (old, new)
        for new in snapshot.all_documents
        for old_id in snapshot.states[new.doc_id].supersedes
        if (old := snapshot.document(old_id)) is not None
    ]
    if not pairs:
        return None
    titled = [(old, new) for old, new in pairs if _title_phrase(text, _bare(new.title) + _bare(old.title))]
    if titled:
        pairs = titled
    elif not any(w in text for w in words.versions):
        return None
    # The policy in force now, and among its earlier versions the one the question calls by its kind.
    pairs.sort(key=lambda pair: (snapshot.states[pair[1].doc_id].active, pair[1].date or "", pair[0].is_draft))
    return pairs[-1]


def _quote(side: ClauseSide, other: ClauseSide | None) -> str:
    """The sentences of this side that the other side does not have (the whole clause if it is short)."""
    sentences = split_sentences(side.text)
    changed = [s for s in sentences if other is None or s not in other.text]
    return "".join(changed or sentences[:1]) or side.text


def _citation(side: ClauseSide, quote: str, status: str) -> Citation:
    return Citation(
        doc_title=side.doc_title, clause=side.clause, quote=quote, source=side.source, page=side.page,
        clause_text=side.text, status=status,
    )


def _describe(change: ClauseChange) -> str:
    parts = []
    if change.figures_removed or change.figures_added:
        parts.append(f"数字 {'、'.join(change.figures_removed) or '—'} → {'、'.join(change.figures_added) or '—'}")
    if change.agencies_removed or change.agencies_added:
        parts.append(f"部门 {'、'.join(change.agencies_removed) or '—'} → {'、'.join(change.agencies_added) or '—'}")
    return "；".join(parts)


def comparison_answer(question: str, snapshot: IndexSnapshot) -> Answer | None:
    """The clause-level comparison of the two versions the question asks about, every side cited."""
    pair = comparison_pair(question, snapshot)
    if pair is None:
        return None
    old, new = pair
    diff = compare_documents(old, new)
    # Counts of changed clauses would be figures no clause states: the list below says what changed.
    lines = [f"《{new.title}》与此前的《{old.title}》相比，以下条款有修改、新增或删除，其余条款未变："]
    citations: list[Citation] = []
    labels = {"changed": "修改", "added": "新增", "removed": "删除"}
    for change in diff.changes[:MAX_LISTED_CHANGES]:
        refs = []
        quotes = []
        for side, other, document, tag in ((change.old, change.new, old, "原"), (change.new, change.old, new, "现")):
            if side is None:
                continue
            quote = _quote(side, other)
            citations.append(_citation(side, quote, document.status))
            refs.append(f"[{len(citations)}]")
            quotes.append(f"> {tag}：{quote}")
        where = (change.new or change.old).clause
        detail = _describe(change)
        lines.append(f"- **{where}**（{labels[change.kind]}）{'：' + detail if detail else ''} {''.join(refs)}")
        lines.extend(quotes)
    hidden = len(diff.changes) - MAX_LISTED_CHANGES
    if hidden > 0:
        lines.append("其余变化未列出；可以接着问某一条有什么变化。")
    state = snapshot.states[new.doc_id]
    lines.append(f"*现行版本为《{new.title}》（{state.label}）；《{old.title}》{snapshot.states[old.doc_id].reason}，仅供对照。*")
    return Answer(question=question, answer="\n".join(lines), refused=False, citations=citations, route="compare")
