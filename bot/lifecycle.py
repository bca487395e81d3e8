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

import math
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.compare import ClauseChange, ClauseSide, compare_documents, pair_clauses
from bot.models import Answer, Citation
from bot.planindex import split_sentences
from bot.references import longest_shared_phrase, title_kind
from core.errors import PolicyBotError
from core.settings import REPO_ROOT
from ingest.models import Document
from vectorstore.retriever import HybridRetriever, IndexSnapshot
from vectorstore.text import GENERIC_TERMS, general_frequency, general_total, precise_cut, tokenize

LEXICON_PATH = REPO_ROOT / "data" / "lexicons" / "lifecycle.toml"
# Characters of title words ("嘉兴" + "具身智能") a question must share with a title to name it without a phrase.
MIN_TITLE_WORDS = 4
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
    comparing: tuple[str, ...]


@lru_cache(maxsize=1)
def lexicon(path: Path = LEXICON_PATH) -> Lexicon:
    """The lifecycle words, checked once: every list present, non-empty and made of plain words."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PolicyBotError(f"cannot read the lifecycle words {path}: {exc}") from None

    def words(value, name: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not value or not all(isinstance(w, str) and w.strip() for w in value):
            raise PolicyBotError(f"{path}: '{name}' must be a non-empty list of words")
        return tuple(w.strip() for w in value)

    states = data.get("states") or {}
    missing = {"superseded", "withdrawn", "expired"} - set(states)
    if missing:
        raise PolicyBotError(f"{path}: [states] lacks {', '.join(sorted(missing))}")
    return Lexicon(
        states={state: words(states[state], f"states.{state}") for state in ("superseded", "withdrawn", "expired")},
        past=words(data.get("past"), "past"),
        compare=words(data.get("compare"), "compare"),
        versions=words(data.get("versions"), "versions"),
        comparing=words(data.get("comparing"), "comparing"),
    )


@lru_cache(maxsize=8)
def _words_pattern(*lists: str) -> re.Pattern[str]:
    """The words of the lexicon's ``lists`` ("states", "past", "versions", "compare", "comparing") as one
    pattern that tries the longest word first ("已失效" before "失效")."""
    words = lexicon()
    every: set[str] = set()
    for name in lists:
        value = getattr(words, name)
        every |= {w for ws in value.values() for w in ws} if isinstance(value, dict) else set(value)
    return re.compile("|".join(map(re.escape, sorted(every, key=lambda w: (-len(w), w)))))


def _bare(text: str) -> str:
    return _PUNCTUATION_RE.sub("", _PARENTHESES_RE.sub("", text))


def named_documents(question: str, snapshot: IndexSnapshot) -> frozenset[str]:
    """Ids of the documents no longer in use that the question names.

    By its title (a phrase of it that reaches the word saying what the document is, "…管理办法", and
    that no document in use shares); by a word for its state with a phrase or a word of its title
    ("…办法征求意见稿里", "青禾…那份征求意见稿"); by asking about a draft's call for comments; by the month
    it was issued with words of its title, when no document in use was issued then; or by the state word
    alone where that is unambiguous (撤回, 失效) or put in the past ("那份征求意见稿原来怎么写的"). A topic
    the title mentions ("智能网联汽车道路测试") does not name it.
    """
    inactive = snapshot.inactive_documents()
    if not inactive:
        return frozenset()
    words = lexicon()
    text = _bare(question)
    past = any(w in text for w in words.past)
    in_use = [_bare(d.title) for d in snapshot.documents]
    named = set()
    by_words = _best_by_title_words(text, inactive, MIN_TITLE_WORDS)
    # With the word for its version said ("嘉兴…征求意见稿"), one title word of its own names it.
    by_state_and_word = _best_by_title_words(text, inactive, 2)
    for document in inactive:
        state = snapshot.states[document.doc_id].state
        said_state = any(w in text for w in words.states.get(state, ()))
        # Its call for comments ("征求意见截止到哪天") is only the draft's: asking about it names the draft.
        said_state = said_state or (document.notice is not None and bool(_CONSULTS_RE.search(text)))
        phrase = longest_shared_phrase(text, _bare(document.title))
        kind = title_kind(document.title)
        by_title = bool(phrase) and bool(kind) and kind in phrase and not any(phrase in title for title in in_use)
        titled = bool(phrase) or document.doc_id in by_words
        # "3月份发布的那份…政策": the month (and year) of its issue, said with words of its title, tells
        # it from the version in use, issued on another day.
        dated = titled and _said_issue_date(text, document, snapshot)
        titled_with_state = titled or document.doc_id in by_state_and_word
        if by_title or dated or (said_state and (titled_with_state or past or state != "superseded")):
            named.add(document.doc_id)
    return frozenset(named)


def _title_words(text: str, title: str) -> int:
    """Characters of ``text`` in stretches of two or more that the title also has (its generic words aside)."""
    shared, start = 0, 0
    while start < len(text) - 1:
        length = 2
        while start + length <= len(text) and text[start : start + length] in title:
            length += 1
        length -= 1
        if length >= 2 and text[start : start + length] not in GENERIC_TERMS:
            shared += length
            start += length
        else:
            start += 1
    return shared


def _best_by_title_words(text: str, documents: list[Document], least: int) -> set[str]:
    """The documents no longer in use whose titles share the most words with the question, if at least
    ``least`` characters ("嘉兴…具身智能…政策": the Jiaxing policy's draft, not another's)."""
    text = _words_pattern("states").sub(" ", text)
    scores = {d.doc_id: _title_words(text, _bare(d.title)) for d in documents}
    best = max(scores.values(), default=0)
    if best < least:
        return set()
    return {doc_id for doc_id, score in scores.items() if score == best}


_CONSULTS_RE = re.compile(r"征求意见|反馈意见|提意见|意见反馈")
_MONTH_RE = re.compile(r"(?:(20\d\d)年)?(\d{1,2})月份?")


def _said_issue_date(text: str, document: Document, snapshot: IndexSnapshot) -> bool:
    """The question gives the month (and maybe year) the document was issued, and no document in use
    with the same title words was issued then."""
    issued = re.match(r"(20\d\d)年(\d{1,2})月", document.date or "")
    if not issued:
        return False
    for year, month in _MONTH_RE.findall(text):
        if int(month) == int(issued.group(2)) and (not year or year == issued.group(1)):
            return not any(
                (d.date or "").startswith(f"{issued.group(1)}年{int(month)}月") and _title_words(text, _bare(d.title)) >= MIN_TITLE_WORDS
                for d in snapshot.documents
            )
    return False


def without_version_words(question: str) -> str:
    """The question without the words that name a version ("征求意见稿", "原来"): they say which document
    to look in, not what to find there (a consultation notice would match them best)."""
    rest = _words_pattern("states", "past").sub(" ", question)
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
    titled = [(old, new) for old, new in pairs if longest_shared_phrase(text, _bare(new.title) + _bare(old.title))]
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


def comparison_answer(question: str, snapshot: IndexSnapshot, rank: Ranker | None = None) -> Answer | None:
    """The clause-level comparison of the two versions the question asks about, every side cited."""
    pair = comparison_pair(question, snapshot)
    if pair is None:
        return None
    old, new = pair
    diff = compare_documents(old, new)
    asked = {kind for kind, pattern in _CHANGE_KINDS.items() if pattern.search(question)}
    topic = _topic_terms(question, old, new)
    if topic and not asked:
        # "产业基金规模两版分别是多少": the clause the question is about, both sides, not the whole diff.
        answer = _item_comparison(question, old, new, topic, snapshot, rank)
        if answer is not None:
            return answer
    if asked:
        # "新增了哪条措施": only the changes of the kind asked.
        diff = diff.model_copy(update={"changes": [c for c in diff.changes if c.kind in asked]})
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


# Clause paths of a document, best first, for a query (the retriever's ranking, given by the answerer).
Ranker = Callable[[str, str], list[str]]
_CHANGE_KINDS = {
    "added": re.compile(r"新增|增加了|增设|加了|多了|新加"),
    "removed": re.compile(r"删除|删去|删掉|去掉|取消了|拿掉|少了|砍掉"),
}


def _topic_terms(question: str, old: Document, new: Document) -> dict[str, float]:
    """The question's words that pick out clauses of the two versions, each weighted by how few of the
    new version's clauses have it (a word every clause has picks out none)."""
    rest = _topic_text(question)
    titles = _bare(old.title) + _bare(new.title)
    clauses = [c for c in new.clauses if c.kind != "notice"] or new.clauses
    weights = {}
    words = [w for w in precise_cut(rest) if w.strip()]  # the index's dictionary: the snapshot's terms are loaded
    # Two words in a row ("产业规模") pick out the clause that says them together, not each apart.
    pairs = {a + b for a, b in zip(words, words[1:]) if len(a) >= 2 and len(b) >= 2}
    pair_parts = {a + b: (a, b) for a, b in zip(words, words[1:])}
    for term in set(tokenize(rest)) | pairs:
        if len(term) < 2 or term in GENERIC_TERMS or term in titles:
            continue
        holders = sum(term in c.text or term in c.clause_path for c in clauses)
        if 0 < holders and 2 * holders < max(2, len(clauses)):  # a word half the clauses have picks out none
            # A word rare in general Chinese (算力券) names the subject; an everyday one (每家, 一年) hardly does.
            specific = min(_specificity(w) for w in pair_parts.get(term, (term,)))
            weights[term] = specific / holders
    return weights


def _specificity(word: str) -> float:
    """0 for the commonest words of general Chinese, 1 for a word its dictionary does not know."""
    total = general_total()
    return math.log(total / (general_frequency(word) + 1)) / math.log(total)


def _topic_text(question: str) -> str:
    """The question without the words that name versions or ask for a comparison."""
    return _words_pattern("states", "versions", "compare").sub(" ", _words_pattern("comparing").sub(" ", question))


def _item_comparison(
    question: str, old: Document, new: Document, topic: dict[str, float], snapshot: IndexSnapshot, rank: Ranker | None
) -> Answer | None:
    """Both versions of the clause the topic words pick out, each quoted and cited, and what changed."""
    def score(clause) -> float:
        if clause is None:
            return 0.0
        lead = re.match(r"^(?:第[一二三四五六七八九十百零\d]+条)?\s*([^。；，]{1,10})。", clause.text)  # "第六条　算力券。"
        heading = clause.clause_path + (lead.group(1) if lead else "")
        # A word of the heading names what the clause is about: it counts twice.
        return sum(w * (2 if t in heading else 1) for t, w in topic.items() if t in clause.text or t in clause.clause_path)

    pairs = pair_clauses(old, new)
    ranked = rank(_topic_text(question), new.doc_id) if rank else []
    order = {path: n for n, path in enumerate(ranked)}
    most = max((max(score(b), score(a)) for b, a in pairs), default=0.0) or 1.0

    def key(i: int) -> float:
        # The topic words' weight (the best clause's as 1), plus ½ for the clause search ranks first, ¼ for the second …
        before, after = pairs[i]
        position = order.get((after or before).clause_path)
        return max(score(before), score(after)) / most + (0.5 / (1 + position) if position is not None else 0.0)

    scored = sorted(range(len(pairs)), key=key, reverse=True)
    if not scored or key(scored[0]) <= 0 or (len(scored) > 1 and key(scored[1]) == key(scored[0])):
        return None  # nothing, or two clauses alike: the whole comparison says more
    before, after = pairs[scored[0]]
    lines: list[str] = []
    citations: list[Citation] = []
    for clause, other, document, tag in ((after, before, new, "正式稿" if old.is_draft else "现行版本"), (before, after, old, "征求意见稿" if old.is_draft else "原版本")):
        if clause is None:
            lines.append(f"- {tag}《{document.title}》没有这一条。")
            continue
        side = ClauseSide(doc_id=document.doc_id, doc_title=document.title, source=document.source, clause=clause.clause_path, text=clause.text, page=clause.page)
        other_side = None if other is None else ClauseSide(doc_id="", doc_title="", source="", clause=other.clause_path, text=other.text)
        quote = _quote(side, other_side) if other is not None and other.text != clause.text else clause.text
        citations.append(_citation(side, quote, document.status))
        lines.append(f"- {tag}《{document.title}》{clause.clause_path} [{len(citations)}]：\n> {quote}")
    if before is not None and after is not None:
        versions = "正式稿与征求意见稿" if old.is_draft else "现行版本与原版本"
        head = f"{versions}的这一条表述相同：" if before.text == after.text else f"{versions}的这一条有修改："
        change = next((c for c in compare_documents(old, new).changes if c.new and c.new.clause == after.clause_path), None)
        detail = _describe(change) if change else ""
        leads = (before.responsible_agencies[:1], after.responsible_agencies[:1])
        if all(leads) and leads[0] != leads[1]:
            # "列第一位的为牵头单位": the same units in another order is a change of lead.
            detail = "；".join(filter(None, [detail, f"列第一位的单位 {leads[0][0]} → {leads[1][0]}"]))
        lines.insert(0, head + (f"{detail}。" if detail else ""))
    else:
        lines.insert(0, "这一条只在其中一个版本中：")
    state = snapshot.states[new.doc_id]
    lines.append(f"*现行版本为《{new.title}》（{state.label}）；《{old.title}》{snapshot.states[old.doc_id].reason}，仅供对照。*")
    return Answer(question=question, answer="\n".join(lines), refused=False, citations=citations, route="compare")
