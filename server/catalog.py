"""Browsable views of the index: documents with their clauses, and agencies with theirs.

The API returns these models and the web chat renders them, so both show the same thing.
"""

from __future__ import annotations

from bot.agencies import canonical_agency
from bot.planindex import PlanIndex
from server.schemas import AgencyClause, AgencyOut, ClauseOut, DocumentOut


def documents(plan: PlanIndex, doc_id: str | None = None) -> list[DocumentOut]:
    """Every document (or one) with its clauses in reading order."""
    return [
        DocumentOut(
            doc_id=doc.doc_id,
            title=doc.title,
            source=doc.source,
            status=doc.status,
            issuer=doc.issuer,
            date=doc.date,
            effective_date=doc.effective_date,
            jurisdiction=doc.jurisdiction,
            clauses=[
                ClauseOut(
                    id=c.id,
                    path=list(c.path),
                    clause=c.clause_path,
                    number=c.number,
                    title=c.title,
                    kind=c.kind,
                    page=c.page,
                    agencies=list(c.responsible_agencies),
                    text=c.text,
                )
                for c in doc.clauses
            ],
        )
        for doc in plan.documents.values()
        if doc_id is None or doc.doc_id == doc_id
    ]


_ROLE_ORDER = {"牵头": 0, "参与": 1, "提及": 2}


def agencies(plan: PlanIndex, name: str | None = None) -> list[AgencyOut]:
    """Agencies (or the one ``name`` stands for, aliases included) with their clauses, lead roles first."""
    names = plan.agencies if name is None else [canonical_agency(name)]
    directory = []
    for agency in names:
        roles = sorted(plan.by_agency.get(agency, []), key=lambda r: _ROLE_ORDER.get(r.role, 3))
        if not roles:
            continue
        directory.append(
            AgencyOut(
                agency=agency,
                clauses=[
                    AgencyClause(
                        clause_id=r.clause.id,
                        clause=r.clause.clause_path,
                        doc_id=r.document.doc_id,
                        doc_title=r.document.title,
                        status=r.document.status,
                        page=r.clause.page,
                        role=r.role,
                    )
                    for r in roles
                ],
            )
        )
    return directory
