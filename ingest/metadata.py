"""Document facts from where policies put them: the front matter and the signature block.

A Chinese policy document names its 文号 under the title, its issuing bodies and date either under
the title (notices, interpretations) or at the end (a signature block of organisation lines and a
date line, often followed by “（此件公开发布）”). The date a document was issued is that date line,
never the first date its text mentions (an application window, an effective date).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from ingest.models import Paragraph

DATE = r"\d{4}年\d{1,2}月\d{1,2}日"
DATE_LINE_RE = re.compile(rf"^{DATE}$")
DOC_NUMBER_RE = re.compile(r"[\u4e00-\u9fff]{1,12}[〔\[【（(]\s*\d{4}\s*[〕\]】）)]\s*\d{1,4}\s*号")
# One organisation name: any words ending in an organisation suffix (省经信厅, 国务院国资委, 嘉兴市人民政府办公室).
ORG_NAME = (
    r"[\u4e00-\u9fff（）]{1,30}?(?:委员会|人民政府|政府|办公厅|办公室|总局|分行|集团|公司|中心|研究院|"
    r"厅|局|委|办|院|部|署|行)"
)
# A line that is only organisation names, separated by spaces or 、 (a signature or issuer line).
ORG_LINE_RE = re.compile(rf"^(?:{ORG_NAME})(?:[ 、]+(?:{ORG_NAME}))*$")
# Lines after a signature that are not part of the text: publication notes, copy lists, print lines.
_AFTER_SIGNATURE_RE = re.compile(r"^[（(]此件[^）)]{0,16}[）)]$|^抄送[：:]|印发$|^[（(]?本文件为虚构")
# Bodies of the central government: their documents apply nationwide.
_NATIONAL_RE = re.compile(
    r"^(?:中共中央|国务院|全国|国家|中华人民共和国)|^[\u4e00-\u9fff]{2,12}?(?:部|总局|署)(?:办公厅|[ 、等]|$)"
)
_PLACE_RE = re.compile(r"^(?:关于)?([\u4e00-\u9fff]{1,6}?(?:省|自治区|市|县|区))")
_DRAFT_RE = re.compile(r"征求意见稿|草案|送审稿|讨论稿")
_VALID_YEARS_RE = re.compile(r"有效期(?:为)?\s*([一二三四五六七八九十\d]{1,2})\s*年")
_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九十")}


@dataclass
class Signature:
    """Where the body is signed, and what follows it."""

    issuers: list[str] = field(default_factory=list)
    date: str | None = None
    start: int | None = None  # first paragraph of the signature block
    stop: int | None = None  # first paragraph after it (attachments may follow)
    end: int = 0  # publication notes ("（此件公开发布）") start here


def organisations(line: str) -> list[str]:
    """The names on an organisation line ("工业和信息化部  国家发展改革委" → two names)."""
    return [name for name in re.split(r"[ 、]+", line.strip()) if name]


ANNEX_RE = re.compile(r"^附件\s*\d*\s*(?:[：:]|$)")


def find_signature(paragraphs: list[Paragraph], body_start: int) -> Signature:
    """The issuers and date that sign the body: a date line after organisation lines (or alone at the
    end), followed only by publication notes or the attachments."""
    end = len(paragraphs)
    while end > body_start and _AFTER_SIGNATURE_RE.search(paragraphs[end - 1].text):
        end -= 1
    found = Signature(end=end)
    for i in range(body_start + 1, end):
        if not DATE_LINE_RE.match(paragraphs[i].text):
            continue
        after = paragraphs[i + 1].text if i + 1 < end else ""
        if after and not (_AFTER_SIGNATURE_RE.search(after) or ANNEX_RE.match(after)):
            continue
        start, issuers = i, []
        while start > body_start and ORG_LINE_RE.match(paragraphs[start - 1].text):
            start -= 1
            issuers = organisations(paragraphs[start].text) + issuers
        if issuers or not after:
            found = Signature(issuers, paragraphs[i].text, start, i + 1, end)
    return found


_LABELS = {
    "issuer": r"发布机构|发文机关|发布单位|发文单位|印发机关",
    "date": r"发布日期|成文日期|印发日期|发文日期",
    "doc_number": r"发文字号|文号",
}


def labelled(front: list[Paragraph]) -> dict[str, str]:
    """Facts a web page or interpretation states with labels ("发布机构：…　发布日期：…")."""
    found: dict[str, str] = {}
    for paragraph in front:
        for key, labels in _LABELS.items():
            match = re.search(rf"(?:{labels})\s*[：:]\s*([^ ：:]+)", paragraph.text)
            if match and key not in found:
                value = match.group(1).strip("；;，,。")
                if key == "doc_number":
                    number = DOC_NUMBER_RE.search(value)
                    value = re.sub(r"\s+", "", number.group()) if number else ""
                if value:
                    found[key] = value
    return found


def doc_number(front: list[Paragraph]) -> str | None:
    """The 文号 (浙政办发〔2025〕21号) on a line of its own in the front matter."""
    for paragraph in front:
        match = DOC_NUMBER_RE.search(paragraph.text)
        if match and len(paragraph.text) <= len(match.group()) + 4:
            return re.sub(r"\s+", "", match.group())
    return None


def is_draft(title: str, notice_text: str) -> bool:
    """A draft says so in its title, or comes with a call for comments; a final may mention its draft."""
    if _DRAFT_RE.search(title):
        return True
    return bool(notice_text) and "征求意见" in notice_text and bool(re.search(r"反馈|截止|请于", notice_text))


def jurisdiction(title: str, issuers: list[str]) -> str | None:
    """全国 for the central government's documents, else the place the title or the first issuer names."""
    first = issuers[0] if issuers else ""
    if _NATIONAL_RE.search(first) or (not _PLACE_RE.match(title) and _NATIONAL_RE.search(title)):
        return "全国"
    for text in (title, first):
        match = _PLACE_RE.match(text)
        if match:
            return match.group(1)
    return None


def _years(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if len(text) == 2 and text[0] == "十":
        return 10 + _CN_DIGITS.get(text[1], 0)
    return _CN_DIGITS.get(text)


def validity(all_text: str, issued: str | None) -> tuple[str | None, str | None]:
    """(effective date, expiry date) as the text states them ("自…起施行", "自印发之日起施行", "有效期至…", "有效期3年")."""
    match = re.search(rf"自\s*({DATE})\s*起(?:施行|实施|执行)", all_text)
    effective = match.group(1) if match else None
    if effective is None and re.search(r"自(?:印发|发布)之日起(?:施行|实施|执行)", all_text):
        effective = issued
    match = re.search(rf"(?:有效期|实施期限|执行期限|试行期)(?:至|到)\s*({DATE})", all_text)
    expiry = match.group(1) if match else None
    years = _VALID_YEARS_RE.search(all_text)
    if expiry is None and years and effective:
        y, m, d = (int(n) for n in re.findall(r"\d+", effective))
        count = _years(years.group(1))
        if count:
            # Three years from 2025年4月1日 run to 2028年3月31日 (from 2月29日, to 2月28日).
            last = dt.date(y + count, m, min(d, 28 if m == 2 else d)) - dt.timedelta(days=1)
            expiry = f"{last.year}年{last.month}月{last.day}日"
    return effective, expiry
