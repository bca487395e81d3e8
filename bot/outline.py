"""A document's outline: which section a "what are the measures / key tasks of …" question is about, and its parts.

A section is a heading node of the clause tree (一、…, （二）…, 第三章 …) or the document itself. Headings
that carry no text of their own are not clauses, so the tree is rebuilt here from the clauses' paths. The
section meant is the one whose heading the question names — by words no sibling heading shares, covering
most of the heading — else, when the question names only the document, its top level. A question that
names one clause's own heading is about that clause, not a list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.models import Clause, Document
from vectorstore.text import GENERIC_TERMS, tokenize

Path = tuple[str, ...]

MARKER_RE = re.compile(r"^(第[^章节条]+[章节条]\s*|[一二三四五六七八九十百]+、|[（(][一二三四五六七八九十百\d]+[）)]\s*|\d+[\.．、]\s*)")
# Words that ask for the parts of something rather than one fact of it.
ASKS_LIST_RE = re.compile(r"哪些|包括|有什么|有啥|几条|哪几|都有|什么")
_NOT_PARTS = ("preamble", "notice")  # a preamble or a consultation notice is not one of a document's parts
_FIRST_PHRASE_RE = re.compile(r"[^，,；;。：:！？]+")


@dataclass(frozen=True)
class Part:
    """One child of a section: its heading (or an untitled article's first phrase) and the clause cited for it."""

    path: Path
    label: str
    clause: Clause
    quote: str  # verbatim text of ``clause``
    is_clause: bool  # the child is a clause itself (else a heading over clauses)


@dataclass(frozen=True)
class Section:
    document: Document
    path: Path  # () for the document itself
    parts: tuple[Part, ...]

    @property
    def name(self) -> str:
        return " › ".join(self.path)


def heading(node: str) -> str:
    """A path element without its marker: "二、主要任务" → "主要任务"."""
    return MARKER_RE.sub("", node).strip()


def _parts_of(document: Document) -> list[Clause]:
    return [c for c in document.clauses if c.kind not in _NOT_PARTS and c.path]


def children(document: Document, prefix: Path) -> list[Path]:
    """The child nodes under ``prefix``, in document order."""
    found: dict[Path, None] = {}
    for clause in _parts_of(document):
        if len(clause.path) > len(prefix) and tuple(clause.path[: len(prefix)]) == prefix:
            found.setdefault(tuple(clause.path[: len(prefix) + 1]), None)
    return list(found)


def _nodes(document: Document) -> list[Path]:
    nodes: dict[Path, None] = {}
    for clause in _parts_of(document):
        for depth in range(1, len(clause.path) + 1):
            nodes.setdefault(tuple(clause.path[:depth]), None)
    return list(nodes)


def _mask(text: str, tokens: set[str]) -> list[bool]:
    covered = [False] * len(text)
    for token in tokens:
        for match in re.finditer(re.escape(token), text.lower()):
            for i in range(match.start(), match.end()):
                covered[i] = True
    return covered


def _covered(text: str, matched: set[str], words: set[str]) -> float:
    """The share of the heading's words (stopwords aside: "主要任务" is 任务) that the matched tokens cover."""
    total = sum(_mask(text, words))
    return sum(_mask(text, matched)) / total if total else 0.0


def _spoken(question_tokens: set[str], text: str) -> set[str]:
    """The question's words (two characters or more) that ``text`` contains. Matched inside the heading,
    not token against token: a heading may be cut coarser (one word for a compound) than the question (one of its parts)."""
    return {t for t in question_tokens if len(t) >= 2 and t in text.lower()}


def named_by(question_tokens: set[str], document: Document, node: Path) -> float:
    """How well the question names ``node``'s heading: the share of the heading it covers, when at least
    one of the words it shares with the question is in no sibling heading (else 0)."""
    own = heading(node[-1])
    matched = _spoken(question_tokens, own)
    if not matched:
        return 0.0
    siblings = [heading(s[-1]) for s in children(document, node[:-1]) if s != node]
    if all(any(t in sibling for sibling in siblings) for t in matched):
        return 0.0
    coverage = _covered(own, matched, set(tokenize(own)) | matched)
    return coverage if coverage > 0.5 else 0.0


def _clause_at(document: Document, path: Path) -> Clause | None:
    return next((c for c in _parts_of(document) if tuple(c.path) == path), None)


def _body(clause: Clause) -> str:
    """The clause's text after its marker and its heading ("1. 建设共性平台。支持…" → "支持…")."""
    text = clause.text.strip()
    number = clause.path[-1] if clause.path else ""
    for lead in (number, clause.number):
        if lead and text.startswith(lead):
            text = text[len(lead):].lstrip()
            break
    text = MARKER_RE.sub("", text, count=1).lstrip()
    if clause.title and text.startswith(clause.title):
        text = text[len(clause.title):]
    return text.lstrip("。．.：: \n")


def _first_sentence(body: str, label: str) -> str:
    """The body's first sentence that says more than the heading ("建设共性平台。对企业…" → "对企业…")."""
    sentences = [s.strip() for s in re.split(r"(?<=[。；！？\n])", body) if s.strip()]
    for sentence in sentences:
        if sentence.rstrip("。；！？.：: ") != label:
            return sentence
    return sentences[0] if sentences else ""


def part(document: Document, path: Path) -> Part | None:
    clause = _clause_at(document, path)
    if clause is not None:
        body = _body(clause)
        label = heading(path[-1])
        if not label:  # an untitled article ("第八条 对公共平台建设给予补助，…"): its first phrase
            phrase = _FIRST_PHRASE_RE.match(body)
            label = phrase.group(0).strip() if phrase else ""
        return Part(path, label, clause, _first_sentence(body, label) or clause.text, True)
    below = [c for c in _parts_of(document) if tuple(c.path[: len(path)]) == path]
    if not below:
        return None
    first_clause = below[0]
    label = heading(path[-1])
    return Part(path, label, first_clause, _first_sentence(_body(first_clause), label) or first_clause.text, False)


def section_asked(question: str, documents: list[Document], whole_document: set[str]) -> Section | None:
    """The section of ``documents`` (best first) the question asks the parts of, or None.

    ``whole_document`` holds the ids of documents the question names itself: when it names no heading of
    such a document, the document's top level is meant.
    """
    if not ASKS_LIST_RE.search(question):
        return None
    words = set(tokenize(question))
    best: tuple[tuple[int, float], Document, Path] | None = None
    for rank, document in enumerate(documents):
        for node in _nodes(document):
            score = named_by(words, document, node)
            if score and (best is None or (len(node), score) > best[0]):
                best = ((len(node), score), document, node)
        if best is not None:
            break  # the first document that has a named heading is the one asked about
    if best is not None:
        document, node = best[1], best[2]
        if len(children(document, node)) < 2:
            return None  # the question names one clause's own heading: it is about that clause
        return _section(document, node)
    for document in documents:
        if document.doc_id in whole_document or names_document(words, document):
            top = children(document, ())
            # The top level is what is asked when its headings speak the question's words, each shared by
            # several of them (a word that most of the headings begin with) — not headings that share no word
            # with the question, nor one part the question singles out by a word only its heading uses.
            # A document of chapters over untitled articles is listed by chapter only when one is named.
            own_words = words - set(tokenize(document.title))
            spoken = [_spoken(own_words, heading(p[-1])) for p in top]
            said = set().union(*spoken)
            speaks = bool(said) and all(sum(w in s for s in spoken) >= 2 for w in said)
            if speaks and len(top) >= 2 and sum(_clause_at(document, p) is not None for p in top) * 2 >= len(top):
                return _section(document, ())
            return None
    return None


def names_document(question_tokens: set[str], document: Document) -> bool:
    """The question names the document by at least two distinctive words of its title (a place and a subject word)."""
    title = re.sub(r"[（(][^（()）]*[)）]", "", document.title)
    shared = {t for t in set(tokenize(title)) & question_tokens if t not in GENERIC_TERMS and len(t) >= 2}
    return len(shared) >= 2


def _section(document: Document, node: Path) -> Section | None:
    parts = [p for p in (part(document, child) for child in children(document, node)) if p is not None]
    return Section(document, node, tuple(parts)) if len(parts) >= 2 else None
