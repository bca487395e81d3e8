"""Clauses become chunks: one per clause, long clauses split on sentence boundaries."""

from __future__ import annotations

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.models import Chunk, Document, content_id


class ClauseChunker:
    """Turns a document's clauses into index chunks that keep their heading path and agencies."""

    def __init__(self, max_chars: int = 600) -> None:
        if max_chars < 50:
            raise ValueError(f"max_chars must be at least 50, got {max_chars}")
        self.max_chars = max_chars
        self._splitter = RecursiveCharacterTextSplitter(
            separators=["\n", "。", "；", "！", "？", "，"],
            keep_separator="end",
            chunk_size=max_chars,
            chunk_overlap=0,
        )

    def __call__(self, document: Document) -> list[Chunk]:
        chunks: list[Chunk] = []
        for clause in document.clauses:
            parts = [clause.text] if len(clause.text) <= self.max_chars else self._splitter.split_text(clause.text)
            for part_no, text in enumerate(parts):
                chunks.append(
                    Chunk(
                        id=content_id(document.doc_id, clause.clause_path, str(part_no), text, prefix="chunk"),
                        doc_id=document.doc_id,
                        clause_id=clause.id,
                        clause_path=clause.clause_path,
                        part=part_no,
                        kind=clause.kind,
                        text=text,
                        page=clause.page,
                        responsible_agencies=clause.responsible_agencies,
                        doc_title=document.title,
                        source=document.source,
                        jurisdiction=document.jurisdiction,
                        status=document.status,
                    )
                )
        return chunks
