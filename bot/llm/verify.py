"""Checks a generated reply against its sources: every statement cites a real source that holds its figures and agencies.

The unit checked is the sentence. A sentence stays only when it carries at least one ``[n]`` that
points to a source of the prompt, and every number or date in it appears in one of the sources it
cites. Markers pointing to no source are removed; a sentence resting only on them is dropped.
Two kinds of sentence need no marker: the model saying the sources do not cover something, and
lead-ins or headings ("支持措施包括：", "## 医疗") that state nothing and precede a kept statement.
The surviving markers are renumbered in the order the reply first cites each source, which is
the order of the citations list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.agencies import find_agencies
from bot.llm.prompt import Source
from bot.planindex import split_sentences

# [1]  [1, 2]  [1][2]  【1】  [来源1]  [source 2]
_LABEL = r"(?:来源|资料|条款|source)?\s*"
MARKER_RE = re.compile(
    rf"[ \t]*[\[【]\s*{_LABEL}(\d{{1,3}}(?:\s*[,，、]\s*{_LABEL}\d{{1,3}})*)\s*[\]】]", re.IGNORECASE
)
_TERMINATORS = "。！？!?"
_TRAILING_MARKERS_RE = re.compile(rf"(?:{MARKER_RE.pattern})+", re.IGNORECASE)
# Markdown and list numbering at the start of a line: "## ", "> ", "- ", "1. ", "2、", "（3）" (not "1.5倍").
_LINE_PREFIX_RE = re.compile(r"^(\s*(?:#{1,6}\s+|>\s*|[-*+•]\s+|\d{1,2}[.．]\s+|\d{1,2}[)、]\s*|[（(]\d{1,2}[）)]\s*)*)")
_ENUMERATION_RE = re.compile(r"[（(]\d{1,2}[）)]|(?<![\d.])\d{1,2}[)）]")
_GAP_RE = re.compile(
    r"(资料|条款|文件|来源|原文|上述|所提供|提供的|已收录)[^。！？]{0,24}(没有|未|并未|无|不)[^。！？]{0,8}"
    r"(涉及|规定|提及|明确|说明|包含|写明|提到|载明|相关|覆盖|找到)"
    r"|\b(?:do|does|did)\s+not\s+(?:mention|specify|cover|state|say|include)\b"
    r"|\bnot\s+(?:mentioned|specified|covered|stated|included)\b",
    re.IGNORECASE,
)
# A sentence that says "not covered" must not slip a claim in after it.
_HEDGE_RE = re.compile(r"但|不过|一般|通常|可能|大概|建议|however|but|usually|typically|probably", re.IGNORECASE)
_BOLD_LINE_RE = re.compile(r"^\*\*[^*]+\*\*[:：]?$")

_DIGIT_VALUES = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_DIGITS = "".join(_DIGIT_VALUES)
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}
_ARABIC_RE = re.compile(r"\d{1,3}(?:,\d{3})+(?![\d,])|\d+(?:\.\d+)*")
# Full-width digits and signs, as in "２０２７年" or "１０％"; the Chinese comma is not a thousands separator.
_HALF_WIDTH = str.maketrans("０１２３４５６７８９．％", "0123456789.%")
# A Chinese quantity ("十个", "三年", "两批"): digits first, then a measure word or unit of money/time.
_CHINESE_RE = re.compile(
    rf"(?<![\d.{_DIGITS}十百千万亿])([{_DIGITS}十][{_DIGITS}十百千万亿]*)(?=[个家项条批倍所座类种年月日名次元%％])"
)


@dataclass
class Verified:
    """A reply after verification."""

    text: str  # markers renumbered, unverifiable sentences removed
    cited: list[int]  # source numbers in citation order: citation k is source cited[k - 1]
    statements: dict[int, list[str]]  # source number → the kept sentences that cite it (markers removed)
    dropped: list[str] = field(default_factory=list)  # removed sentences, as the model wrote them


class CitationNumbers:
    """Rewrites markers: sources become citation numbers in the order first cited; unknown ones vanish."""

    def __init__(self, source_count: int) -> None:
        self.source_count = source_count
        self.order: list[int] = []

    def valid(self, match: re.Match) -> list[int]:
        numbers = [int(n) for n in re.findall(r"\d+", match.group(1))]
        return [n for n in dict.fromkeys(numbers) if 1 <= n <= self.source_count]

    def rewrite(self, text: str) -> str:
        return MARKER_RE.sub(self._replace, text)

    def _replace(self, match: re.Match) -> str:
        rendered = []
        for number in self.valid(match):
            if number not in self.order:
                self.order.append(number)
            rendered.append(f"[{self.order.index(number) + 1}]")
        if not rendered:
            return ""
        leading = match.group(0)[: len(match.group(0)) - len(match.group(0).lstrip(" \t"))]
        return leading + "".join(rendered)


def verify(reply: str, sources: list[Source], not_covered: str) -> Verified:
    """Keep the sentences of ``reply`` that cite a source holding their figures; renumber their markers."""
    numbering = CitationNumbers(len(sources))
    figures_of = [figures(f"{s.doc_title}\n{s.clause_path}\n{s.text}") for s in sources]
    agencies_of = [set(find_agencies(s.text, [])) for s in sources]
    statements: dict[int, list[str]] = {}
    dropped: list[str] = []
    lines: list[tuple[str, list[tuple[str, str]]]] = []  # (prefix, [(kind, sentence)])
    for line in reply.strip().split("\n"):
        prefix = _LINE_PREFIX_RE.match(line).group(1)
        units = []
        for sentence in split_reply_sentences(line[len(prefix) :]):
            kind, cites = _judge(sentence, prefix, numbering, figures_of, agencies_of, not_covered)
            if kind == "drop":
                dropped.append(sentence.strip())
                continue
            units.append((kind, sentence))
            for number in cites:
                statements.setdefault(number, []).append(MARKER_RE.sub("", sentence).strip())
        lines.append((prefix, units))
    # Lead-ins and headings stay only when a statement follows them.
    statement_after = False
    for prefix, units in reversed(lines):
        for index in range(len(units) - 1, -1, -1):
            kind, sentence = units[index]
            if kind == "structure" and not statement_after:
                dropped.append(sentence.strip())
                del units[index]
            elif kind == "statement":
                statement_after = True
    kept = []
    for prefix, units in lines:
        if any(kind != "space" for kind, _ in units) or not (prefix + "".join(s for _, s in units)).strip():
            kept.append(prefix + "".join(sentence for _, sentence in units))
    text = "\n".join(kept)
    if dropped:  # removed lines must not leave gaps behind
        text = re.sub(r"\n[ \t]*(?:\n[ \t]*)+\n", "\n\n", "\n".join(line.rstrip() for line in kept))
    # Unchanged replies keep every character but the marker numbers, as the stream showed them.
    text = numbering.rewrite(text.strip())
    return Verified(text=text, cited=list(numbering.order), statements=statements, dropped=dropped)


def split_reply_sentences(text: str) -> list[str]:
    """Sentences of one line of a reply; markers written after the full stop stay with their sentence."""
    pieces, start, i = [], 0, 0
    while i < len(text):
        char = text[i]
        if char in _TERMINATORS or (char == "." and (i + 1 == len(text) or text[i + 1].isspace())):
            end = i + 1
            while end < len(text) and text[end] in _TERMINATORS + "”’」』）)\"":
                end += 1
            trailing = _TRAILING_MARKERS_RE.match(text, end)
            if trailing:
                end = trailing.end()
            pieces.append(text[start:end])
            start = i = end
        else:
            i += 1
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _judge(
    sentence: str,
    prefix: str,
    numbering: CitationNumbers,
    figures_of: list[set[str]],
    agencies_of: list[set[str]],
    not_covered: str,
) -> tuple[str, list[int]]:
    """('statement', cited sources), ('gap' | 'structure' | 'space', []) or ('drop', [])."""
    if not sentence.strip():
        return "space", []
    matches = list(MARKER_RE.finditer(sentence))
    plain = MARKER_RE.sub("", sentence).strip()
    if not plain:
        return "drop", []
    claimed = figures(plain)
    if not matches:
        if claimed:
            return "drop", []
        if _is_gap(plain, not_covered):
            return "gap", []
        if plain.endswith(("：", ":")) or prefix.lstrip().startswith("#") or _BOLD_LINE_RE.match(plain):
            return "structure", []
        return "drop", []
    cites = list(dict.fromkeys(n for m in matches for n in numbering.valid(m)))
    if not cites:
        return "drop", []
    supported = set().union(*(figures_of[n - 1] for n in cites))
    if not claimed <= supported:
        return "drop", []
    # "省财政厅负责[1]" when clause 1 names no 省财政厅: a wrong agency is as bad as a wrong figure.
    if not set(find_agencies(plain, [])) <= set().union(*(agencies_of[n - 1] for n in cites)):
        return "drop", []
    return "statement", cites


def _is_gap(plain: str, not_covered: str) -> bool:
    core = not_covered.strip("。.！!“”\" ")
    if core and core in plain:
        return not _HEDGE_RE.search(plain.replace(core, ""))
    return bool(_GAP_RE.search(plain)) and not _HEDGE_RE.search(plain) and len(plain) <= 80


# --- figures -------------------------------------------------------------------------
def figures(text: str) -> set[str]:
    """The numbers a text states (years, dates, amounts, counts), canonical: '２０２７年'→'2027', '十个'→'10'.

    List numbering ("1. ", "（2）") is not a figure. A lone 一 ("一批", "一个") is too idiomatic to check.
    """
    text = text.translate(_HALF_WIDTH)
    text = _ENUMERATION_RE.sub(" ", text)
    found: set[str] = set()
    for match in _ARABIC_RE.finditer(text):
        raw = match.group()
        if raw.count(".") > 1:  # 2024.10.17
            parts = raw.split(".")
        else:
            parts = [raw.replace(",", "")]
        found.update(_canonical(part) for part in parts if part)
    for match in _CHINESE_RE.finditer(text):
        value = chinese_number(match.group(1))
        if value is not None and value != 1:
            found.add(str(value))
    return found


def _canonical(number: str) -> str:
    whole, _, fraction = number.partition(".")
    whole = whole.lstrip("0") or "0"
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


def chinese_number(text: str) -> int | None:
    """'十'→10, '二十五'→25, '一百二十'→120, '两万'→20000, '二〇二七'→2027; None if it is not a number."""
    if all(char in _DIGIT_VALUES for char in text):
        return int("".join(str(_DIGIT_VALUES[char]) for char in text))
    total, section, digit = 0, 0, None
    for char in text:
        if char in _DIGIT_VALUES:
            digit = _DIGIT_VALUES[char]
        elif char in _UNITS:
            unit = _UNITS[char]
            if unit >= 10_000:  # 万 and 亿 scale everything before them
                total += (section + (digit or 0)) * unit
                section = 0
            else:
                section += (1 if digit is None else digit) * unit
            digit = None
        else:
            return None
    return total + section + (digit or 0)


# --- quotes --------------------------------------------------------------------------
def supporting_quote(clause: str, statements: list[str]) -> str:
    """The sentence of ``clause`` (verbatim) that best supports ``statements``: shared wording and figures.

    A heading-only sentence ("（三）人工智能+医疗。") says nothing, so the next one joins it.
    """
    sentences = split_sentences(clause)
    if not sentences:
        return clause.strip()
    wanted = _bigrams("".join(statements))
    claimed = set().union(*(figures(s) for s in statements)) if statements else set()

    def score(item: tuple[int, str]) -> tuple[float, int]:
        index, sentence = item
        shared = len(wanted & _bigrams(sentence))
        return shared + 3 * len(claimed & figures(sentence)), -index

    index, best = max(enumerate(sentences), key=score)
    start = clause.index(best)
    end = start + len(best)
    if len(best) < 20 and index + 1 < len(sentences):
        end = clause.index(sentences[index + 1], end) + len(sentences[index + 1])
    return clause[start:end].strip()


def _bigrams(text: str) -> set[str]:
    letters = re.sub(r"[^\w]", "", text.lower())
    return {letters[i : i + 2] for i in range(len(letters) - 1)}
