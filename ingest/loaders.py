"""Read a policy file into pages of raw text; refuse anything that is not a readable document."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from core.errors import UnsupportedDocument

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".docx", ".html", ".htm")


@dataclass
class RawDocument:
    """A file's text before normalisation: pages of (page number, text)."""

    source: str
    pages: list[tuple[int | None, str]]
    layout_wrapped: bool


def load_file(path: Path, *, max_bytes: int) -> RawDocument:
    """Read ``path``; raise ``UnsupportedDocument`` with a one-line reason when it cannot be used."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedDocument(
            f"{path.name}: unsupported file type '{suffix or 'none'}'; supported: {', '.join(SUPPORTED_SUFFIXES)}"
        )
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnsupportedDocument(f"{path.name}: cannot be read ({exc.strerror})") from None
    if size == 0:
        raise UnsupportedDocument(f"{path.name}: the file is empty")
    if size > max_bytes:
        raise UnsupportedDocument(
            f"{path.name}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit (POLICYBOT_MAX_FILE_MB)"
        )
    data = path.read_bytes()
    loader = {".pdf": _load_pdf, ".docx": _load_docx, ".html": _load_html, ".htm": _load_html}.get(suffix, _load_text)
    raw = loader(path.name, data)
    if not any(text.strip() for _, text in raw.pages):
        raise UnsupportedDocument(f"{path.name}: no text found in the file")
    return raw


def _decode(name: str, data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise UnsupportedDocument(f"{name}: not a text file (binary content)")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnsupportedDocument(f"{name}: not a text file (neither UTF-8 nor GB18030)")


_MD_MARKUP = [
    (re.compile(r"^\s{0,3}#{1,6}\s*", re.M), ""),
    (re.compile(r"^\s{0,3}>\s?", re.M), ""),
    (re.compile(r"^\s*[-*+]\s+", re.M), ""),
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),
]


def _load_text(name: str, data: bytes) -> RawDocument:
    text = _decode(name, data)
    if name.lower().endswith(".md"):
        for pattern, replacement in _MD_MARKUP:
            text = pattern.sub(replacement, text)
    return RawDocument(source=name, pages=[(None, text)], layout_wrapped=False)


def _load_pdf(name: str, data: bytes) -> RawDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError

    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise UnsupportedDocument(f"{name}: not a PDF file (no %PDF header)")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UnsupportedDocument(f"{name}: the PDF is encrypted; remove its password and ingest it again")
        pages = [(number, page.extract_text() or "") for number, page in enumerate(reader.pages, start=1)]
    except UnsupportedDocument:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
        raise UnsupportedDocument(f"{name}: the PDF is corrupt or truncated ({type(exc).__name__})") from None
    if not any(text.strip() for _, text in pages):
        raise UnsupportedDocument(f"{name}: the PDF has no text layer (a scanned image?); run OCR on it first")
    return RawDocument(source=name, pages=pages, layout_wrapped=True)


def _load_docx(name: str, data: bytes) -> RawDocument:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UnsupportedDocument(f"{name}: not a valid .docx file ({type(exc).__name__})") from None
    lines = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" ".join(cell.text for cell in row.cells))
    return RawDocument(source=name, pages=[(None, "\n".join(lines))], layout_wrapped=False)


_CHROME_RE = re.compile(r"(^|[-_ ])(nav|navbar|menu|footer|header|breadcrumbs?|crumbs?|share|toolbar|sidebar)($|[-_ ])", re.I)
_BLOCK_TAGS = ["p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "title"]


def _load_html(name: str, data: bytes) -> RawDocument:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode(name, data), "html.parser")
    for element in soup(["script", "style", "noscript", "template", "iframe", "object", "svg", "nav", "header", "footer", "aside"]):
        element.decompose()
    # Site chrome (menus, breadcrumbs, footers) is not part of the policy.
    for attribute in ("class", "id"):
        for element in soup.find_all(attrs={attribute: _CHROME_RE}):
            element.decompose()
    heading = soup.find("h1")
    title = heading.get_text(" ", strip=True) if heading else ""
    if heading:
        # The page <title> carries the site's name ("…_某某人民政府门户网站"); the <h1> is the document's.
        heading.decompose()
        if soup.title:
            soup.title.decompose()
    for element in soup.find_all(_BLOCK_TAGS):
        element.insert_after("\n")
    return RawDocument(source=name, pages=[(None, f"{title}\n{soup.get_text()}")], layout_wrapped=False)
