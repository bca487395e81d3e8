"""File → Document → chunks: everything ingest does before anything touches the index."""

from __future__ import annotations

from pathlib import Path

from bot.errors import UnsupportedDocument
from ingest.chunker import ClauseChunker
from ingest.loaders import SUPPORTED_SUFFIXES, load_file
from ingest.models import Chunk, Document
from ingest.normalize import paragraphs_from_pages
from ingest.parser import parse_document


def parse_file(path: Path, *, max_bytes: int = 50_000_000) -> Document:
    """Read and parse one policy file; ``UnsupportedDocument`` says why a file is refused."""
    raw = load_file(path, max_bytes=max_bytes)
    paragraphs = paragraphs_from_pages(raw.pages, layout_wrapped=raw.layout_wrapped)
    document = parse_document(paragraphs, source=raw.source)
    if not document.clauses:
        raise UnsupportedDocument(f"{path.name}: no policy text found (no clauses could be parsed)")
    return document


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files named directly, plus the supported files inside named folders (sorted, recursive)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES))
        elif path.exists():
            files.append(path)
        else:
            raise UnsupportedDocument(f"{path}: no such file or folder")
    return files


def chunk_document(document: Document, max_chars: int = 600) -> list[Chunk]:
    return ClauseChunker(max_chars)(document)
