"""Parse normalised paragraphs into a ``Document``: metadata, notice and the clause tree.

Chinese policy documents number their structure with ``第X章`` / ``第X节`` / ``第X条`` or
``一、`` / ``（一）`` / ``1.`` / ``（1）``. Which marker is the outer level is decided by the
order in which the kinds first appear, so both styles (and mixtures) nest correctly.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from ingest.conditions import extract_measures
from ingest.metadata import (
    ANNEX_RE,
    DOC_NUMBER_RE,
    ORG_LINE_RE,
    doc_number,
    find_signature,
    is_draft,
    jurisdiction,
    labelled,
    organisations,
    validity,
)
from ingest.models import Clause, Document, Notice, Paragraph, content_id

CN_NUM = "一二三四五六七八九十百零〇两"
_MARKERS: list[tuple[str, re.Pattern[str]]] = [
    ("chapter", re.compile(rf"^(第[{CN_NUM}\d]+章)\s*(.*)$")),
    ("part", re.compile(rf"^(第[{CN_NUM}\d]+节)\s*(.*)$")),
    ("article", re.compile(rf"^(第[{CN_NUM}\d]+条)\s*(.*)$")),
    ("cn_num", re.compile(r"^([一二三四五六七八九十]+、)\s*(.*)$")),
    ("cn_paren", re.compile(r"^(（[一二三四五六七八九十]+）)\s*(.*)$")),
    ("arabic", re.compile(r"^(\d{1,2}[\.．、])(?!\d)\s*(.*)$")),
    ("arabic_paren", re.compile(r"^(（\d{1,2}）)\s*(.*)$")),
]
_TOP_KINDS = {"chapter", "article", "cn_num"}
_ITEM_KINDS = {"arabic", "arabic_paren"}
_STANDALONE_AGENCY_RE = re.compile(r"^[（(](?:责任单位|牵头单位|责任部门)[：:].*[）)]。?$")
_SPACED_KINDS = {"chapter", "part", "article"}
# Kinds whose short line ending in 。 is still a heading; numbered items (1. / （1）) are sentences.
_HEADING_KINDS = {"chapter", "part", "cn_num", "cn_paren"}

DATE = r"\d{4}年\d{1,2}月\d{1,2}日"
_DATE_LINE_RE = re.compile(rf"^{DATE}$")
_ISSUER_RE = re.compile(r"^[\u4e00-\u9fff（）]{3,40}(委员会|人民政府|政府|办公厅|办公室|厅|局|委|办|中心|院|部)$")
_TITLE_WORDS_RE = re.compile(r"(办法|细则|计划|方案|意见|通知|规定|条例|决定|纲要|措施|政策|规划|指南|公告)")
_AGENCY_OPEN_RE = re.compile(r"[（(](?:责任单位|牵头单位|责任部门)[：:]")


@dataclass
class _Node:
    kind: str
    level: int
    position: int
    label: str
    number: str
    title: str
    paragraphs: list[Paragraph] = field(default_factory=list)
    has_body: bool = False
    has_children: bool = False


def match_marker(text: str) -> tuple[str, str, str] | None:
    """(kind, marker, rest) when ``text`` opens a numbered clause."""
    for kind, pattern in _MARKERS:
        match = pattern.match(text)
        if match:
            return kind, match.group(1), match.group(2)
    return None


def split_title(kind: str, rest: str) -> tuple[str, bool]:
    """The clause's short heading and whether the paragraph carries body text too."""
    if not rest:
        return "", False
    bracket = re.match(r"^【([^】]{1,20})】", rest)
    if bracket:
        return bracket.group(1), len(rest) > bracket.end()
    if kind == "article":
        return "", True  # an article's first words are its body, not a heading
    # A short phrase is a heading; a sentence with a comma ("（三）公示无异议的，资金于…拨付到位。") is not.
    sentence = "，" in rest and rest.endswith("。")
    if len(rest) <= 30 and not sentence and not re.search(r"[。；！？]", rest.rstrip("。") if kind in _HEADING_KINDS else rest):
        return rest.rstrip("。"), False
    # "（三）人工智能+医疗。建设…": a short phrase ended by 。 and followed by body text is a heading;
    # a lone sentence ("（2）同一笔贷款不得重复享受。") is not.
    head = re.match(r"^([^。；，：]{2,24})[。](?=.)", rest)
    if head and kind != "article":
        return head.group(1), True
    return "", True


def extract_agencies(text: str) -> list[str]:
    """Agencies named in ``（责任单位：…）``, lead first; nested parentheses stay inside a name."""
    agencies: list[str] = []
    for opening in _AGENCY_OPEN_RE.finditer(text):
        depth, start, names, current = 1, opening.end(), [], []
        for char in text[start:]:
            if char in "（(":
                depth += 1
            elif char in "）)":
                depth -= 1
                if depth == 0:
                    break
            if depth == 1 and char == "。":
                # "（责任单位：A、B、C。列第一位的为牵头单位，下同）": the list ends at the full stop.
                break
            if depth == 1 and char in "、，,；;":
                names.append("".join(current))
                current = []
            else:
                current.append(char)
        names.append("".join(current))
        for name in names:
            # "牵头单位：A；配合单位：B、C": the second label opens the supporting units.
            name = re.sub(r"^(?:配合|协办|参与|协同)(?:单位|部门)[：:]", "", re.sub(r"等$", "", name.strip(" 。")))
            if name and name not in agencies:
                agencies.append(name)
    return agencies


def _first(pattern: str, text: str) -> str | None:
    match = re.search(pattern, text)
    return match.group(1).strip() if match else None


def parse_notice(text: str) -> Notice:
    contacts = _first(r"联系人[：:]\s*([^；;。\n\s]+)", text)
    return Notice(
        text=text,
        deadline=_first(rf"请于\s*({DATE}(?:（[^）]*）)?)\s*前", text),
        contacts=[c.strip() for c in re.split(r"[、，,]", contacts)] if contacts else [],
        phones=re.findall(r"0\d{2,3}-\d{7,8}", text),
        emails=re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text),
        address=_first(r"(?:(?:通信地址|通讯地址|地址)[：:]|寄至|寄送至)\s*([^；;，,。\n]+)", text),
        postcode=_first(r"邮(?:编|政编码)[：:]?\s*(\d{6})", text),
        recipient=_first(r"反馈至\s*([^。；，,\n]+)", text),
    )


def _split_front(front: list[Paragraph]) -> tuple[list[Paragraph], list[Paragraph]]:
    """Separate a notice (ending with its 附件 line, issuer and date) from the document's own front matter."""
    attachment = next((i for i, p in enumerate(front) if re.match(r"^附件\s*\d*\s*[：:]", p.text)), None)
    if attachment is None:
        return _consultation_notice(front)
    end = attachment + 1
    while end < len(front) and end - attachment <= 2 and (
        _DATE_LINE_RE.match(front[end].text) or _ISSUER_RE.match(front[end].text)
    ):
        end += 1
    return front[:end], front[end:]


# "关于公开征求《…》意见的公告" and the paragraphs that say until when, to whom and how to reply.
_CONSULTATION_OPENING_RE = re.compile(r"征求.{0,60}意见的(公告|通知|函)$|(现|特)[^。]{0,8}征求(社会各界|公众)?意见")
_PREAMBLE_RE = re.compile(r"制定(本|以下|如下)|结合.{0,8}实际|特制定|现就.{0,30}(通知|意见)如下")


def _consultation_notice(front: list[Paragraph]) -> tuple[list[Paragraph], list[Paragraph]]:
    """A call for comments printed without an 附件 line: its heading or first paragraph asks for comments,
    and it runs as long as the paragraphs give the deadline, the recipient and contacts."""
    start = next((i for i, p in enumerate(front) if _CONSULTATION_OPENING_RE.search(p.text)), None)
    if start is None:
        return [], front
    end = start + 1
    # It runs until the document's own words begin: its preamble ("为…，结合我市实际，制定本办法").
    while end < len(front) and not _PREAMBLE_RE.search(front[end].text):
        end += 1
    notice = front[start:end]
    if not any(re.search(rf"(请于|截止|截至).{{0,12}}{DATE}", p.text) for p in notice):
        return [], front
    return notice, front[:start] + front[end:]


def _title_lines(front: list[Paragraph]) -> tuple[list[str], list[Paragraph]]:
    """The title (and a following status line such as （征求意见稿）) and the rest of the front matter."""
    short = [
        i
        for i, p in enumerate(front)
        if len(p.text) <= 60 and not p.text.endswith("。") and not _DATE_LINE_RE.match(p.text)
    ]
    if not short:
        return [], front
    titled = [i for i in short if _TITLE_WORDS_RE.search(front[i].text) and not _ISSUER_RE.match(front[i].text)]
    start = titled[0] if titled else short[0]
    end = start + 1
    while end < len(front) and re.match(r"^（[^）]*稿）$|^（[^）]{1,20}）$", front[end].text):
        end += 1
    title = [p.text for p in front[start:end]]
    rest = front[:start] + front[end:]
    return title, rest


def parse_document(paragraphs: list[Paragraph], source: str) -> Document:
    """Build the document, its metadata and its clause tree from normalised paragraphs."""
    stem = re.sub(r"\.[A-Za-z0-9]+$", "", source)
    doc_id = content_id(source, prefix="doc")
    content_hash = hashlib.sha256("\n".join(p.text for p in paragraphs).encode()).hexdigest()[:20]

    body_start = next(
        (i for i, p in enumerate(paragraphs) if (m := match_marker(p.text)) and m[0] in _TOP_KINDS),
        len(paragraphs),
    )
    notice_paragraphs, front = _split_front(paragraphs[:body_start])
    title_lines, front_rest = _title_lines(front)
    title = "".join(title_lines) or stem
    signature = find_signature(paragraphs, body_start)
    # The signature block and publication notes are no clause's text; attachments after them are.
    if signature.start is not None:
        paragraphs = paragraphs[: signature.start] + paragraphs[signature.stop : signature.end]
    else:
        paragraphs = paragraphs[: signature.end]
    labels = labelled(front)
    front_issuers = [p.text for p in front_rest + notice_paragraphs if _ISSUER_RE.match(p.text) or ORG_LINE_RE.match(p.text)]
    issuers = signature.issuers or [name for line in front_issuers for name in organisations(line)]
    if not issuers and labels.get("issuer"):
        issuers = organisations(labels["issuer"])
    date_lines = [p.text for p in front_rest + notice_paragraphs if _DATE_LINE_RE.match(p.text)]
    issued = signature.date or (date_lines[0] if date_lines else None) or labels.get("date")
    preamble = [
        p for p in front_rest
        if not (_ISSUER_RE.match(p.text) or ORG_LINE_RE.match(p.text) or _DATE_LINE_RE.match(p.text) or DOC_NUMBER_RE.fullmatch(p.text))
    ]

    all_text = "\n".join(p.text for p in paragraphs)
    notice_text = "\n".join(p.text for p in notice_paragraphs)
    effective, expiry = validity(all_text, issued)
    draft = is_draft(title, notice_text)
    if draft:
        effective, expiry = None, None  # "自印发之日起施行" in a draft speaks of the final, not of itself
    status = "征求意见稿" if draft else ("施行" if effective else "正式")

    document = Document(
        doc_id=doc_id,
        content_hash=content_hash,
        source=source,
        title=title,
        issuer="、".join(issuers) or None,
        doc_number=doc_number(front) or labels.get("doc_number"),
        date=issued,
        status=status,
        effective_date=effective,
        expiry_date=expiry,
        jurisdiction=jurisdiction(title, issuers),
    )
    positioned: list[tuple[int, Clause]] = []

    def emit(position: int, path: list[str], number: str, title: str, kind: str, paras: list[Paragraph]) -> None:
        text = "\n".join(p.text for p in paras).strip()
        if not text:
            return
        positioned.append(
            (position, Clause(
                id=content_id(doc_id, "|".join(path), text, prefix="clause"),
                doc_id=doc_id,
                path=path,
                number=number,
                title=title,
                kind=kind,
                text=text,
                page=paras[0].page,
                responsible_agencies=extract_agencies(text),
            ))
        )

    if notice_paragraphs:
        notice_text = "\n".join(p.text for p in notice_paragraphs)
        document.notice = parse_notice(notice_text)
        label = "征求意见通知" if "征求意见" in notice_text else "通知"
        emit(-2, [label], "", label, "notice", notice_paragraphs)
    if preamble:
        emit(-1, ["前言"], "", "前言", "preamble", preamble)

    levels: dict[str, int] = {}
    stack: list[_Node] = []

    def close(node: _Node) -> None:
        # A heading with neither body nor children is a short item ("（三）…拨付到位。"): nothing is lost.
        if node.has_body or not node.has_children:
            path = [n.label for n in stack[: stack.index(node) + 1]]
            emit(node.position, path, node.number, node.title, "article" if node.kind == "article" else "section", node.paragraphs)

    block_agencies: list[tuple[str, list[str]]] = []  # (path prefix, agencies) of standalone 责任单位 lines
    for position, paragraph in enumerate(paragraphs[body_start:]):
        annex = ANNEX_RE.match(paragraph.text) if position else None
        if annex:
            # "附件：1. 申报表 2. 承诺书" lists the attachments; "附件3" opens one. Either ends the body.
            while stack:
                close(stack[-1])
                stack.pop()
            number = re.sub(r"\s+", "", paragraph.text[: annex.end()]).rstrip("：:")
            rest = paragraph.text[annex.end():].strip()
            listing = annex.group().rstrip().endswith(("：", ":"))
            stack.append(_Node("annex_list" if listing else "annex", -1, position, number, number, "" if listing else rest, [paragraph], bool(rest) or listing))
            continue
        marker = match_marker(paragraph.text)
        if stack and stack[0].kind == "annex_list" and (marker is None or marker[0] in _ITEM_KINDS):
            stack[-1].paragraphs.append(paragraph)  # the attachments' names, one per line
            continue
        if marker is None:
            if stack:
                stack[-1].paragraphs.append(paragraph)
                stack[-1].has_body = True
                if _STANDALONE_AGENCY_RE.match(paragraph.text):
                    # A 责任单位 line after numbered items closes the block that holds them.
                    block = next((n for n in reversed(stack) if n.kind not in _ITEM_KINDS), stack[0])
                    prefix = " › ".join(n.label for n in stack[: stack.index(block) + 1])
                    block_agencies.append((prefix, extract_agencies(paragraph.text)))
            continue
        kind, number, rest = marker
        if stack and stack[-1].kind == "article" and kind not in _TOP_KINDS | {"part"}:
            # Items （一）… inside an article belong to it: the article is what a citation names.
            stack[-1].paragraphs.append(paragraph)
            stack[-1].has_body = True
            continue
        level = levels.setdefault(kind, len(levels))
        while stack and stack[-1].level >= level:
            close(stack[-1])
            stack.pop()
        if stack:
            stack[-1].has_children = True
        title, has_body = split_title(kind, rest)
        label = f"{number} {title}".strip() if kind in _SPACED_KINDS else f"{number}{title}"
        if kind == "article" and not title:
            label = number
        stack.append(_Node(kind, level, position, label, number, title, [paragraph], has_body))
    while stack:
        close(stack[-1])
        stack.pop()
    # A parent closes after its children; reading order is by where each clause starts.
    document.clauses = [clause for _, clause in sorted(positioned, key=lambda item: item[0])]
    for prefix, agencies in block_agencies:
        for clause in document.clauses:
            if not clause.responsible_agencies and (clause.clause_path + " › ").startswith(prefix + " › "):
                clause.responsible_agencies = list(agencies)
    document.measures = extract_measures(document)
    return document
