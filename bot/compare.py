"""What changed between two versions of a policy, clause by clause: added, removed and changed clauses,
with the agencies and figures that changed, each side quoted with its clause.

Clauses are paired by their heading path first, then by how much text they share (character
bigrams), so a renumbered article still pairs with its old self and a rewritten one does not
pair with an unrelated neighbour.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from bot.agencies import canonical_agency, find_agencies
from ingest.models import Clause, Document

# Below this share of shared bigrams two clauses are different clauses, not two versions of one.
MIN_SIMILARITY = 0.5
# What every clause has and so says nothing about which clause it is: its number and its 责任单位.
_BOILERPLATE_RE = re.compile(r"^第[一二三四五六七八九十百零〇两\d]+条\s*|[（(](?:责任单位|牵头单位|责任部门)[：:][^）)]*[）)]")
# A figure: a number with its unit or the word it counts (10%, 100万元, 3年, 五十个 is not matched: the
# documents' own figures are written in Arabic numerals; Chinese numerals stay in the quoted text).
_FIGURE_RE = re.compile(r"\d+(?:[.．]\d+)?\s*(?:%|％|万亿元|亿元|万元|元|个|家|项|年|个月|月|日|天|倍|人|次|台|套|平方米|亩)?")
_ARTICLE_NUMBER_RE = re.compile(r"^第[一二三四五六七八九十百零〇两\d]+条$")


class ClauseSide(BaseModel):
    """One side of a change: the clause as one version of the document says it."""

    doc_id: str
    doc_title: str
    source: str
    clause: str = Field(description="Heading path, e.g. '第二条'.")
    text: str
    page: int | None = None


class ClauseChange(BaseModel):
    kind: Literal["added", "removed", "changed"]
    old: ClauseSide | None = None
    new: ClauseSide | None = None
    agencies_added: list[str] = Field(default_factory=list)
    agencies_removed: list[str] = Field(default_factory=list)
    figures_added: list[str] = Field(default_factory=list)
    figures_removed: list[str] = Field(default_factory=list)


class DocumentRef(BaseModel):
    doc_id: str
    title: str
    source: str


class DocumentDiff(BaseModel):
    old: DocumentRef
    new: DocumentRef
    changes: list[ClauseChange]
    unchanged: int = Field(description="Clauses whose text is the same in both versions.")

    def counts(self) -> dict[str, int]:
        return {kind: sum(1 for c in self.changes if c.kind == kind) for kind in ("added", "removed", "changed")}

    def to_text(self) -> str:
        """For a terminal: each change with both sides quoted."""
        counts = self.counts()
        lines = [
            f"《{self.old.title}》（{self.old.source}） → 《{self.new.title}》（{self.new.source}）",
            f"修改 {counts['changed']} 条，新增 {counts['added']} 条，删除 {counts['removed']} 条，未变 {self.unchanged} 条",
        ]
        labels = {"changed": "修改", "added": "新增", "removed": "删除"}
        for change in self.changes:
            where = (change.new or change.old).clause
            lines.append(f"\n[{labels[change.kind]}] {where}")
            if change.old is not None:
                lines.append(f"  旧：{change.old.clause}：“{change.old.text}”")
            if change.new is not None:
                lines.append(f"  新：{change.new.clause}：“{change.new.text}”")
            for label, items in (
                ("新增部门", change.agencies_added), ("删去部门", change.agencies_removed),
                ("新数字", change.figures_added), ("删去数字", change.figures_removed),
            ):
                if items:
                    lines.append(f"  {label}：{'、'.join(items)}")
        return "\n".join(lines)


def figures(text: str) -> list[str]:
    return list(dict.fromkeys(re.sub(r"\s+", "", m.group()) for m in _FIGURE_RE.finditer(text)))


def agencies(clause: Clause, jurisdiction: str | None = None) -> list[str]:
    """The clause's responsible agencies, then the agencies its text names."""
    named = find_agencies(clause.text, known=[], jurisdictions=frozenset([jurisdiction] if jurisdiction else []))
    return list(dict.fromkeys([canonical_agency(a) for a in clause.responsible_agencies] + named))


def _bigrams(text: str) -> set[str]:
    compact = re.sub(r"\s+", "", text)
    return {compact[i : i + 2] for i in range(len(compact) - 1)}


def similarity(a: str, b: str) -> float:
    """Dice similarity of character bigrams, numbers and 责任单位 left out."""
    x, y = _bigrams(_BOILERPLATE_RE.sub("", a)), _bigrams(_BOILERPLATE_RE.sub("", b))
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else float(a == b)


def _key(clause: Clause) -> str:
    """The heading path, unless it is a bare article number (第六条 names a position, not a topic)."""
    return "" if _ARTICLE_NUMBER_RE.match(clause.clause_path) else clause.clause_path


def _side(document: Document, clause: Clause) -> ClauseSide:
    return ClauseSide(
        doc_id=document.doc_id, doc_title=document.title, source=document.source,
        clause=clause.clause_path, text=clause.text, page=clause.page,
    )


def pair_clauses(old: Document, new: Document) -> list[tuple[Clause | None, Clause | None]]:
    """(old, new) pairs in the new version's order, then the old clauses that have no counterpart."""
    olds = [c for c in old.clauses if c.kind != "notice"]  # a call for comments is not part of the policy
    news = [c for c in new.clauses if c.kind != "notice"]
    matched: dict[int, int] = {}  # new index → old index
    used: set[int] = set()
    for n, clause in enumerate(news):  # same text
        o = next((i for i, c in enumerate(olds) if i not in used and c.text == clause.text), None)
        if o is not None:
            matched[n] = o
            used.add(o)
    scored = sorted(
        (
            (similarity(o_clause.text, n_clause.text) + (0.2 if _key(o_clause) and _key(o_clause) == _key(n_clause) else 0.0), n, o)
            for n, n_clause in enumerate(news) if n not in matched
            for o, o_clause in enumerate(olds) if o not in used
        ),
        reverse=True,
    )
    for score, n, o in scored:
        if score < MIN_SIMILARITY or n in matched or o in used:
            continue
        matched[n] = o
        used.add(o)
    pairs: list[tuple[Clause | None, Clause | None]] = [
        (olds[matched[n]] if n in matched else None, clause) for n, clause in enumerate(news)
    ]
    pairs += [(clause, None) for o, clause in enumerate(olds) if o not in used]
    return pairs


def compare_documents(old: Document, new: Document) -> DocumentDiff:
    changes: list[ClauseChange] = []
    unchanged = 0
    for before, after in pair_clauses(old, new):
        if before is not None and after is not None and before.text == after.text:
            unchanged += 1
            continue
        if before is None:
            assert after is not None
            changes.append(ClauseChange(
                kind="added", new=_side(new, after), agencies_added=agencies(after, new.jurisdiction), figures_added=figures(after.text)
            ))
            continue
        if after is None:
            changes.append(ClauseChange(
                kind="removed", old=_side(old, before), agencies_removed=agencies(before, old.jurisdiction),
                figures_removed=figures(before.text),
            ))
            continue
        old_agencies, new_agencies = agencies(before, old.jurisdiction), agencies(after, new.jurisdiction)
        old_figures, new_figures = figures(before.text), figures(after.text)
        changes.append(
            ClauseChange(
                kind="changed",
                old=_side(old, before),
                new=_side(new, after),
                agencies_added=[a for a in new_agencies if a not in old_agencies],
                agencies_removed=[a for a in old_agencies if a not in new_agencies],
                figures_added=[f for f in new_figures if f not in old_figures],
                figures_removed=[f for f in old_figures if f not in new_figures],
            )
        )
    return DocumentDiff(
        old=DocumentRef(doc_id=old.doc_id, title=old.title, source=old.source),
        new=DocumentRef(doc_id=new.doc_id, title=new.title, source=new.source),
        changes=changes,
        unchanged=unchanged,
    )
