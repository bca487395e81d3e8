"""Which documents and which level of government a question points at, when it does not name a place.

"这个计划里怎么说的" means the document whose title calls itself a 计划; "AI+行动" is a phrase of one
title; "省里有啥补贴" means the province's documents, not a city's. Retrieval prefers what these
point at, so a question about one document is not answered from another on the same topic.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ingest.models import Document

# What a document calls itself, the last such word of its title ("…行动计划（征求意见稿）" is a 计划).
KINDS = ("计划", "方案", "意见", "办法", "细则", "规定", "通知", "条例", "措施", "规划", "纲要", "问答", "解读")
_KIND_RE = re.compile("|".join(KINDS))
# "征求意见", "反馈意见", "意见稿", "提意见" are about the consultation, not a document called 意见.
_NOT_A_KIND_RE = re.compile(r"(征求|反馈|修改|提出?|有)意见|意见(稿|建议|反馈)|通知书")
_QUOTED_RE = re.compile(r"《[^》]*》")
_PARENTHESES_RE = re.compile(r"[（(][^（()）]*[)）]")
_PUNCTUATION_RE = re.compile(r"[“”‘’\"'《》〈〉「」『』\s·]")
# 省里, 省级, 全省, 省内, 本省, 省发改委, 省重大产业项目库 …: the province, whichever it is.
_PROVINCE_LEVEL_RE = re.compile(
    r"(全|本|我|咱)省|省(里|级|内|委|政府|财政|重大|属|直|重点)|省[\u4e00-\u9fff]{1,6}?(厅|委|局|办|院)"
)
# "AI+行动" is how people say the title's "人工智能+行动".
_AI_RE = re.compile(r"(?<![A-Za-z])(AI|Ai|ai|ＡＩ)(?![A-Za-z])")
_IN = "(里面|里|中|内|当中)"  # "在这个计划里": where to look
_CJK_RE = re.compile(r"[\u4e00-\u9fff]")
# Words with 省 that are not about a province.
_NOT_PROVINCE_RE = re.compile(r"节省|省钱|省份|省心|省力|省去|省略")
# A title phrase shorter than this is a topic word ("人工智能"), not a reference to one title.
MIN_PHRASE_CHARS = 5
# Characters that join words ("2025年", "…的", "和") and so do not make a shared phrase distinctive.
_JOINING_CHARS = "年月日的之和与及在里中0123456789"


# The two characters before 省 when a province is named ("江苏省"; 黑龙江省 ends in 龙江).
_PROVINCE_NAMES = set(
    "河北 山西 辽宁 吉林 江苏 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 四川 贵州 云南 陕西 甘肃 青海 台湾 浙江 龙江".split()
)


@lru_cache(maxsize=8192)  # asked per document for every question: titles repeat, work once per title
def title_kind(title: str) -> str | None:
    bare = _PARENTHESES_RE.sub("", title)
    kinds = _KIND_RE.findall(bare)
    return kinds[-1] if kinds else None


@lru_cache(maxsize=8192)
def _bare_title(title: str) -> str:
    return _PUNCTUATION_RE.sub("", _PARENTHESES_RE.sub("", title))


def referenced_documents(question: str, documents: list[Document]) -> tuple[set[str], str]:
    """Ids of the documents the question refers to by kind ("这个计划") or by a distinctive title phrase,
    and the question without a "在这个计划里" (it says where to look, not what to find; "这个细则由
    谁解释" keeps its 细则, which the clause that answers it repeats).

    No ids when it refers to none, or to all of them alike (then there is nothing to prefer).
    """
    if len(documents) < 2:
        return set(), question
    text = _PUNCTUATION_RE.sub("", _AI_RE.sub("人工智能", question))
    referred: set[str] = set()
    words: list[str] = []
    asked_kinds = set(_KIND_RE.findall(_NOT_A_KIND_RE.sub("", text)))
    if asked_kinds:
        of_kind = {d.doc_id for d in documents if title_kind(d.title) in asked_kinds}
        if of_kind:
            referred |= of_kind
            words += [rf"在?(这个|这份|这项|本|该|此)?{kind}{_IN}" for kind in asked_kinds]
    titles = {d.doc_id: _bare_title(d.title) for d in documents}
    best = longest_shared_phrase(text, "\n".join(titles.values()))
    if len(best.strip(_JOINING_CHARS)) < MIN_PHRASE_CHARS:
        best = ""  # "2027年人工智能…" shares "年人工智能" with a "2025年人工智能…" title: a topic word and a joint
    if best:
        holders = {doc_id for doc_id, title in titles.items() if best in title}
        # "《…若干政策》政策问答" quotes the policy's title: the phrase names the policy itself.
        own = {d.doc_id for d in documents if d.doc_id in holders and best in _bare_title(_QUOTED_RE.sub("", d.title))}
        holders = own or holders
        if len(holders) <= max(1, len(documents) // 20):  # a phrase most titles share points at none
            referred |= holders
            # Only "在AI+行动里": elsewhere the phrase may start a heading ("人工智能+医疗") worth matching.
            words.append(rf"在?{re.escape(best)}{_IN}")
    if not referred or len(referred) == len(documents):
        return set(), question
    said = _AI_RE.sub("人工智能", question)
    rest = re.sub("|".join(words), " ", said).strip() if words else said
    return referred, rest if rest != said and _CJK_RE.search(rest) else question


def longest_shared_phrase(text: str, titles: str) -> str:
    """The longest substring of ``text`` (at least MIN_PHRASE_CHARS) that ``titles`` (one title, or several
    joined by newlines) contains; "" when none is that long."""
    best = ""
    for start in range(len(text)):
        length = max(MIN_PHRASE_CHARS, len(best) + 1)
        while start + length <= len(text) and text[start : start + length] in titles:
            best = text[start : start + length]
            length += 1
    return best


def means_province(question: str) -> bool:
    """The question speaks of the province's level (省里, 全省, 省发改委) without naming which province."""
    text = _NOT_PROVINCE_RE.sub("", question)
    for match in _PROVINCE_LEVEL_RE.finditer(text):
        named = text[max(0, match.start() - 2) : match.start()] in _PROVINCE_NAMES
        if not (match.group().startswith("省") and named):  # "江苏省发改委" names a province: not this test
            return True
    return False
