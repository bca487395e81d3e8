"""The structured view of the indexed documents: clause tree, agency → clauses, targets, notices, status."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.agencies import canonical_agency, find_agencies
from bot.organisations import find_organisations
from ingest.models import Clause, Document

_TARGET_RE = re.compile(r"(到\s*\d{4}\s*年|\d+\s*(个|家|项|亿|万|%)|以上)")


@dataclass
class AgencyRole:
    clause: Clause
    document: Document
    role: str  # 牵头 | 参与 | 提及


@dataclass
class PlanIndex:
    documents: dict[str, Document] = field(default_factory=dict)
    clauses: dict[str, Clause] = field(default_factory=dict)
    by_agency: dict[str, list[AgencyRole]] = field(default_factory=dict)

    @classmethod
    def from_documents(cls, documents: list[Document]) -> "PlanIndex":
        index = cls()
        jurisdictions = frozenset(d.jurisdiction for d in documents if d.jurisdiction)
        for document in sorted(documents, key=lambda d: d.title):
            index.documents[document.doc_id] = document
            for clause in document.clauses:
                index.clauses[clause.id] = clause
                responsible = [canonical_agency(a) for a in clause.responsible_agencies]
                for position, agency in enumerate(responsible):
                    role = "牵头" if position == 0 else "参与"
                    index.by_agency.setdefault(agency, []).append(AgencyRole(clause, document, role))
                body = re.sub(r"[（(](?:责任单位|牵头单位|责任部门)[：:].*$", "", clause.text, flags=re.S)
                # Named in the text by an alias or by the grammar of organisation names ("公安部牵头").
                named = find_agencies(body, known=[], jurisdictions=jurisdictions)
                named += [canonical_agency(n) for n in find_organisations(body, tuple(sorted(jurisdictions)))]
                for agency in dict.fromkeys(named):
                    if agency not in responsible:
                        index.by_agency.setdefault(agency, []).append(AgencyRole(clause, document, "提及"))
        return index

    @property
    def agencies(self) -> list[str]:
        return sorted(self.by_agency)

    def roles_of(self, agency: str) -> list[AgencyRole]:
        return self.by_agency.get(canonical_agency(agency), [])

    def document_of(self, clause_id: str) -> Document | None:
        clause = self.clauses.get(clause_id)
        return self.documents.get(clause.doc_id) if clause else None

    def targets(self) -> list[tuple[Clause, str]]:
        """Sentences that state a target or a figure, with their clause."""
        found = []
        for clause in self.clauses.values():
            for sentence in split_sentences(clause.text):
                if _TARGET_RE.search(sentence) and re.search(r"\d", sentence):
                    found.append((clause, sentence))
        return found

    def tree(self) -> list[dict]:
        """Document → clause paths with their agencies, for browsing."""
        return [
            {
                "doc_id": doc.doc_id,
                "title": doc.title,
                "status": doc.status,
                "jurisdiction": doc.jurisdiction,
                "clauses": [
                    {"clause": c.clause_path, "agencies": c.responsible_agencies, "page": c.page}
                    for c in doc.clauses
                ],
            }
            for doc in self.documents.values()
        ]

    def jurisdictions(self) -> set[str]:
        return {d.jurisdiction for d in self.documents.values() if d.jurisdiction}


_SENTENCE_RE = re.compile(r"[^。；！？\n]*(?:[。；！？]+[”’）]*|\n|$)")


def split_sentences(text: str) -> list[str]:
    """Sentences of a clause, verbatim (each is a substring of ``text``)."""
    return [s.strip() for s in _SENTENCE_RE.findall(text) if s.strip()]
