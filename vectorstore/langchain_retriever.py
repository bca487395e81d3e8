"""The clause index as a LangChain retriever, for people who build their own chains on it.

    from vectorstore.langchain_retriever import ClauseRetriever
    retriever = ClauseRetriever.from_settings(Settings(), k=4)
    docs = retriever.invoke("人工智能+医疗的责任单位")   # list[langchain_core.documents.Document]

Each ``Document`` is one clause (or one part of a long clause) with the hybrid retriever's ranking;
its metadata carries what a citation needs: document title, clause path, responsible agencies (lead
first), status, jurisdiction, source file and page, and the fused score.
"""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, field_validator

from vectorstore.retriever import HybridRetriever, ScoredChunk


def to_langchain(hit: ScoredChunk) -> LCDocument:
    """One retrieved clause as a LangChain ``Document`` (the text, and where it stands)."""
    chunk = hit.chunk
    return LCDocument(
        id=chunk.id,
        page_content=chunk.text,
        metadata={
            "doc_id": chunk.doc_id,
            "doc_title": chunk.doc_title,
            "clause_id": chunk.clause_id,
            "clause_path": chunk.clause_path,
            "responsible_agencies": list(chunk.responsible_agencies),
            "status": chunk.status,
            "jurisdiction": chunk.jurisdiction,
            "source": chunk.source,
            "page": chunk.page,
            "score": round(float(hit.score), 6),
        },
    )


class ClauseRetriever(BaseRetriever):
    """LangChain ``BaseRetriever`` over the clause index (dense + BM25 + heading match)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: HybridRetriever
    k: int = Field(default=4, description="How many clauses to return.")
    jurisdiction: str | None = Field(default=None, description="Only clauses of documents of this place.")

    @field_validator("k")
    @classmethod
    def _positive(cls, k: int) -> int:
        if k <= 0:
            raise ValueError(f"k must be greater than 0, got {k}")
        return k

    @classmethod
    def from_settings(cls, settings, **kwargs) -> "ClauseRetriever":
        """A retriever over the index ``settings`` point at (embedded, or a Chroma server)."""
        from vectorstore.store import ClauseStore

        return cls(retriever=HybridRetriever(ClauseStore(settings), settings), **kwargs)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        hits = self.retriever.search(query, k=self.k, jurisdiction=self.jurisdiction)
        return [to_langchain(hit) for hit in hits]
