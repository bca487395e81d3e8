"""What ingest produces: a parsed ``Document`` with its ``Clause`` tree, and ``Chunk``s to index."""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, Field

PATH_SEPARATOR = " › "


def content_id(*parts: str, prefix: str) -> str:
    """A stable id from content: the same input always gives the same id."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]
    return f"{prefix}-{digest}"


class Paragraph(BaseModel):
    """One normalised paragraph of a file, with the page it starts on (None for unpaged formats)."""

    text: str
    page: int | None = None


class Notice(BaseModel):
    """The notice that precedes an attachment, e.g. a call for public comment."""

    text: str
    deadline: str | None = None
    contacts: list[str] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)
    address: str | None = None
    postcode: str | None = None
    recipient: str | None = None


class Clause(BaseModel):
    """A node of a document's clause tree that carries text of its own."""

    id: str
    doc_id: str
    path: list[str] = Field(description="Heading path from the root, e.g. ['二、重点领域', '（三）人工智能+医疗'].")
    number: str = Field(default="", description="The clause's own marker: '（三）', '第六条', '一、'.")
    title: str = Field(default="", description="Short heading without the marker: '人工智能+医疗'.")
    kind: str = Field(description="notice | preamble | section | article")
    text: str
    page: int | None = None
    responsible_agencies: list[str] = Field(default_factory=list, description="From （责任单位：…）; the first is the lead.")

    @property
    def clause_path(self) -> str:
        return PATH_SEPARATOR.join(self.path)

    @property
    def lead_agency(self) -> str | None:
        return self.responsible_agencies[0] if self.responsible_agencies else None


class Evidence(BaseModel):
    """Where a fact comes from: the verbatim sentence and its clause."""

    quote: str
    clause: str
    clause_id: str
    page: int | None = None


class Condition(BaseModel):
    """One checkable condition of a support measure, e.g. revenue_max 4e8 (营业收入不超过4亿元)."""

    kind: str = Field(
        description="region | legal_person | revenue_max | revenue_min | employees_max | insured_min | good_credit | "
        "industry | related_party | double_funding | false_materials | provider_not_listed | bad_credit"
    )
    value: float | str | bool
    evidence: Evidence


class Benefit(BaseModel):
    rate: float | None = Field(default=None, description="Share of the eligible spend, 0.3 for 30%.")
    cap_cny: float | None = None
    combined: bool = Field(default=False, description="A cap shared by several measures of the document.")
    evidence: Evidence


class Measure(BaseModel):
    """A support measure (voucher, subsidy, preference…) with everything a document says about who gets it."""

    id: str
    doc_id: str
    doc_title: str
    source: str
    jurisdiction: str | None = None
    name: str
    applicants: list[str] = Field(default_factory=list, description="enterprise | university | institute | individual")
    applicant_evidence: Evidence | None = None
    conditions: list[Condition] = Field(default_factory=list)
    exclusions: list[Condition] = Field(default_factory=list)
    benefits: list[Benefit] = Field(default_factory=list)
    minimum_contract_cny: float | None = None
    minimum_contract_evidence: Evidence | None = None
    window: Evidence | None = None
    agency: str | None = None
    agency_evidence: Evidence | None = None
    materials: Evidence | None = None
    mentioned_in: Evidence | None = None


class Document(BaseModel):
    """A parsed policy document: metadata, an optional notice and its clauses in reading order."""

    doc_id: str = Field(description="Derived from the source file name: a new version replaces the old one.")
    content_hash: str
    source: str = Field(description="File name the document came from.")
    title: str
    issuer: str | None = Field(default=None, description="Issuing bodies, joined by 、 when several sign.")
    doc_number: str | None = Field(default=None, description="文号, e.g. 浙政办发〔2025〕21号.")
    date: str | None = Field(default=None, description="Date of issue: the signature's or the front matter's date line.")
    status: str = Field(default="正式", description="征求意见稿 | 施行 | 正式")
    effective_date: str | None = None
    expiry_date: str | None = None
    jurisdiction: str | None = None
    notice: Notice | None = None
    clauses: list[Clause] = Field(default_factory=list)
    measures: list[Measure] = Field(default_factory=list)

    @property
    def is_draft(self) -> bool:
        return self.status == "征求意见稿"


class Chunk(BaseModel):
    """What the index stores and retrieval returns: a clause, or one sentence-aligned part of a long one."""

    id: str
    doc_id: str
    clause_id: str
    clause_path: str
    part: int = 0
    kind: str = "section"
    text: str
    page: int | None = None
    responsible_agencies: list[str] = Field(default_factory=list)
    doc_title: str
    source: str
    jurisdiction: str | None = None
    status: str = "正式"

    def index_text(self) -> str:
        """The text embedded: the document title and headings carry as much meaning as the body."""
        return f"{self.doc_title}\n{self.search_text()}"

    def search_text(self) -> str:
        """The text BM25 indexes. Without the document title, which every chunk of a document
        shares and which would make its words look common (and cheap) within that document."""
        return f"{self.clause_path}{KIND_HINTS.get(self.kind, '')}\n{self.text}"


# What a clause of each kind is for, in the words people use when they ask about it.
KIND_HINTS = {
    "preamble": "（文件开头：制定目的和依据）",
    "notice": "（公开征求意见：反馈意见的截止时间、方式、联系人和联系方式）",
}
