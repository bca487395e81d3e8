"""Text normalisation: width, punctuation, invisible characters, wrapped lines, headers, pinyin."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from ingest.models import Paragraph
from ingest.pinyin import restore_pinyin

_INVISIBLE_RE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

CJK = r"\u3400-\u9fff\uf900-\ufaff"
_HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
_PUNCT_BEFORE_CJK = re.compile(rf"([,;:?!])(?=\s*[{CJK}“‘（])")
_PUNCT_AFTER_CJK = re.compile(rf"(?<=[{CJK}”’）])([,;:?!])")
_PAREN_WITH_CJK = re.compile(rf"\(([^()]*[{CJK}][^()]*)\)")

_ITEM_NUMBER_RE = re.compile(r"^\s*\((\d{1,2}|[一二三四五六七八九十]{1,3})\)")
_PAGE_NUMBER_RE = re.compile(r"^\s*(?:[-—–]\s*\d{1,4}\s*[-—–]|\d{1,4}|第\s*\d{1,4}\s*页(?:\s*[/，,]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4}|page\s*\d{1,4}(?:\s*of\s*\d{1,4})?)\s*$", re.I)

SENTENCE_END = "。！？；!?…"
# A line that starts with one of these opens a new clause and is never glued to the line above.
STRUCTURE_MARKER_RE = re.compile(
    r"^\s*(?:第[一二三四五六七八九十百零〇\d]+[章节条]|[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+[\.．、](?!\d)|（\d+）|附件)"
)


def normalize_text(text: str) -> str:
    """Normalise one line: NFKC, no invisible or control characters, Chinese punctuation, pinyin restored."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE_RE.sub("", text)
    text = _CONTROL_RE.sub("", text)
    text = text.replace("\u3000", " ")
    text = restore_pinyin(text)
    text = chinese_parentheses(text)
    text = _PUNCT_BEFORE_CJK.sub(lambda m: _HALF_TO_FULL[m.group(1)], text)
    text = _PUNCT_AFTER_CJK.sub(lambda m: _HALF_TO_FULL[m.group(1)], text)
    text = re.sub(rf"(?<=[{CJK}])\.(?=\s|$)", "。", text)
    text = re.sub(r"[ \t]+", " ", text)
    return re.sub(r"(?<=[，；：？！。、])\s+", "", text).strip()


def chinese_parentheses(text: str) -> str:
    """NFKC turns （） into ASCII; restore them around Chinese text and numbered items like （1）."""
    text = _ITEM_NUMBER_RE.sub(r"（\1）", text)
    previous = None
    while previous != text:
        previous = text
        text = _PAREN_WITH_CJK.sub(r"（\1）", text)
    return text


def _is_page_number(line: str) -> bool:
    return bool(_PAGE_NUMBER_RE.match(line))


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Lines at the top or bottom of most pages: running headers and footers."""
    if len(pages) < 2:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        edge = {line for line in lines[:2] + lines[-2:] if line and not _is_page_number(line)}
        counts.update(edge)
    threshold = max(2, (len(pages) + 1) // 2)
    return {line for line, n in counts.items() if n >= threshold and len(line) <= 60}


def _ends_sentence(line: str) -> bool:
    stripped = line.rstrip("”’）)】」 ")
    return bool(stripped) and stripped[-1] in SENTENCE_END or line.endswith(("：", ":"))


def _should_join(line: str, nxt: str, full_width: int) -> bool:
    """True when ``nxt`` continues the sentence that a layout wrap cut at the end of ``line``."""
    if not line or not nxt or STRUCTURE_MARKER_RE.match(nxt) or _ends_sentence(line):
        return False
    # NOTE: PDF wrapping splits dates like "9月" / "1日"; those always belong together.
    if re.search(r"\d$|\d[年月]$", line) and re.match(r"^\d*[年月日号]", nxt):
        return True
    return len(line) >= 0.8 * full_width


def paragraphs_from_pages(pages: list[tuple[int | None, str]], *, layout_wrapped: bool) -> list[Paragraph]:
    """Turn pages of raw text into normalised paragraphs.

    ``layout_wrapped`` says that line ends come from page layout (PDF), so lines that fill
    the width are joined; otherwise every line is a paragraph already.
    """
    page_lines = [[normalize_text(line) for line in text.splitlines()] for _, text in pages]
    page_lines = [[line for line in lines if line] for lines in page_lines]
    running = _running_lines(page_lines) if layout_wrapped else set()
    kept: list[tuple[int | None, str]] = []
    for (page_no, _), lines in zip(pages, page_lines):
        for line in lines:
            if layout_wrapped and (_is_page_number(line) or line in running):
                continue
            kept.append((page_no, line))
    if not layout_wrapped:
        return [Paragraph(text=line, page=page) for page, line in kept]

    lengths = sorted(len(line) for _, line in kept)
    full_width = lengths[int(len(lengths) * 0.9)] if lengths else 0
    merged: list[tuple[int | None, str, str]] = []  # (page, paragraph, its last physical line)
    for page, line in kept:
        if merged and _should_join(merged[-1][2], line, full_width):
            first_page, text, _ = merged[-1]
            glue = " " if re.search(r"[A-Za-z0-9]$", text) and re.match(r"^[A-Za-z]", line) else ""
            merged[-1] = (first_page, text + glue + line, line)
        else:
            merged.append((page, line, line))
    # A bracket wrapped over two lines is only whole, and recognisable, after the join.
    return [Paragraph(text=chinese_parentheses(text), page=page) for page, text, _ in merged]
