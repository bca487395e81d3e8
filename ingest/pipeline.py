"""File → Document → chunks: everything ingest does before anything touches the index."""

from __future__ import annotations

import zipfile
from pathlib import Path

from core.errors import UnsupportedDocument
from ingest.chunker import ClauseChunker
from ingest.loaders import SUPPORTED_SUFFIXES, load_file
from ingest.models import Chunk, Document
from ingest.normalize import paragraphs_from_pages
from ingest.parser import parse_document


# A .docx is a zip: refuse one that would inflate past these before any part of it is opened.
# Word's XML compresses about 10:1; zip bombs reach 1000:1 and more.
MAX_DOCX_PARTS = 2000
MAX_DOCX_EXPANDED_BYTES = 256 * 1024 * 1024
MAX_DOCX_RATIO = 100
_RATIO_CHECKED_FROM_BYTES = 1024 * 1024


def parse_file(path: Path, *, max_bytes: int = 50_000_000) -> Document:
    """Read and parse one policy file; ``UnsupportedDocument`` says why a file is refused."""
    if path.suffix.lower() == ".docx":
        refuse_zip_bomb(path, max_bytes=max_bytes)
    raw = load_file(path, max_bytes=max_bytes)
    paragraphs = paragraphs_from_pages(raw.pages, layout_wrapped=raw.layout_wrapped)
    document = parse_document(paragraphs, source=raw.source)
    if not document.clauses:
        raise UnsupportedDocument(f"{path.name}: no policy text found (no clauses could be parsed)")
    return document


def refuse_zip_bomb(path: Path, *, max_bytes: int) -> None:
    """Refuse a zip whose parts would inflate absurdly, judged from its directory alone.

    The sizes in the directory bound what ``zipfile`` will inflate (it stops at the declared
    size), so checking them is enough. A file that is too large or not a zip at all is left to
    the loader, which refuses it with its own reason.
    """
    try:
        if path.stat().st_size > max_bytes:
            return
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return
    if len(parts) > MAX_DOCX_PARTS:
        raise UnsupportedDocument(
            f"{path.name}: the .docx has {len(parts)} parts (more than {MAX_DOCX_PARTS}); it looks like a zip bomb"
        )
    expanded = sum(part.file_size for part in parts)
    if expanded > MAX_DOCX_EXPANDED_BYTES:
        raise UnsupportedDocument(
            f"{path.name}: the .docx would expand to {expanded / 2**20:,.1f} MB "
            f"(more than {MAX_DOCX_EXPANDED_BYTES / 2**20:,.1f} MB); it looks like a zip bomb"
        )
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size >= _RATIO_CHECKED_FROM_BYTES and ratio > MAX_DOCX_RATIO:
            raise UnsupportedDocument(
                f"{path.name}: the part {part.filename!r} of the .docx is compressed {ratio:,.0f}:1 "
                f"(more than {MAX_DOCX_RATIO}:1); it looks like a zip bomb"
            )


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
