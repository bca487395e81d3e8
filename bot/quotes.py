"""What a clause's phrases state, and the verbatim quote cut around the one that answers.

``states`` is the test that decides "not stated" (a cap is a money figure with 不超过/最高/上限/封顶/以内; a
threshold or a total budget is not one); ``narrowed`` and ``quote_around`` cut the quote a citation shows,
always one contiguous span of the clause. ``bot/evidence.py`` chooses the sentence with these.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ingest.models import Clause
from vectorstore.text import GENERIC_TERMS, dictionary_terms, tokenize

_MONEY = r"\d+(?:\.\d+)?\s*(?:万|亿|千)?元"
_CAP_RE = re.compile(r"不超过|不高于|最高|上限|封顶|以内|最多|至多|为限")
_THRESHOLD_RE = re.compile(rf"(低于|不低于|不少于|(?<!不)超过|达到|以上|起)\s*{_MONEY}|{_MONEY}\s*(以上|及以上|起)(?!.{{0,4}}(补|奖|资助))")
_TOTAL_RE = re.compile(r"总额|总规模|总计|合计安排|每年安排|统筹安排|专项资金|总量|规模达")
_ASKS_MINIMUM_RE = re.compile(r"最低|门槛|起点|至少|起步")
_ASKS_TOTAL_RE = re.compile(r"总额|总共|一共|总规模|资金规模|多大规模|总量|整体")
_RATIO_RE = re.compile(r"\d+(?:\.\d+)?\s*%|百分之[一二三四五六七八九十百]+|\d+\s*[:：比]\s*\d+|\d+(?:\.\d+)?个百分点|[一二三四五六七八九]成|\d+(?:\.\d+)?倍")
_RATIO_CAP_RE = re.compile(r"(不得?超过|不高于|最高|上限|封顶)[^，,；;。]{0,16}?\d+(?:\.\d+)?\s*%")
_COUNT_RE = re.compile(r"\d+(?:\.\d+)?\s*(?:万|亿|千|百)?\s*(?:个|家|项|所|条|款|台|套|座|批|类|户|名|人|张|次|部|种|件)(?:以上|左右|及以上)?")
_LEVEL_RE = re.compile(r"(达到|(?<!不)超过|突破|提升至|提高到|增长到|不低于)[^，,；;。]{0,12}?\d")
YEAR_TARGET_RE = re.compile(r"到\s*\d{4}\s*年(?:底|末)?")
_YEAR_LEAD_RE = re.compile(r"^到\s*\d{4}\s*年(?:底|末)?，")
_DATE_RE = re.compile(r"\d{4}年\d{1,2}月(?:\d{1,2}日)?|\d{1,2}月\d{1,2}日")
_WINDOW_RE = re.compile(r"截止|截至|之前|前(?!期)|至|起|期间|期限|之日|工作日|当天|以前|开放|受理")
_VALIDITY_RE = re.compile(r"有效期|起施行|起实施|起执行|印发之日")
_APPLY_RE = re.compile(r"申报|申请|受理|提交|报送|填报")
_PERIOD_RE = re.compile(r"\d{4}\s*[—\-–~至到]+\s*\d{4}\s*年|有效期|自.{0,12}起(施行|实施|执行)")
_PHONE_RE = re.compile(r"0\d{2,3}-\d{7,8}|1[3-9]\d{9}|\b\d{5}\b")
_MATERIALS_RE = re.compile(r"材料|申请表|申报书|复印件|证明|报告|清单|营业执照|发票|合同|凭证|附件")
_PROCEDURE_RE = re.compile(r"登录|系统|平台|提交|报送|受理|审核|评审|公示|申报|窗口|网上|线上|报至|推荐|初审|复核|拨付")
_CONDITION_RE = re.compile(r"应当|须|具备|具有|符合|注册|不低于|不得|不予|条件|满足|独立法人|信用|无.{0,6}(记录|行为)")
FRAGMENT_RE = re.compile(r"[^，,；;。：:！？]+[，,；;。：:！？]?")
_LEAD_IN_RE = re.compile(r"[：:]$")


def states(kind: str, text: str, question: str = "") -> bool:
    """Whether ``text`` states a fact of ``kind``: the test that decides "not stated"."""
    if kind == "amount" and _ASKS_MINIMUM_RE.search(question):
        return bool(_THRESHOLD_RE.search(text))  # a minimum is asked: only a threshold states it
    if kind == "amount":
        if _RATIO_CAP_RE.search(text) and not re.search(_MONEY, text):
            return True  # "合计不得超过实际支付费用的50%": a cap set as a share of the spend
        return bool(re.search(_MONEY, text)) and not _only_threshold(text) and not (_only_total(text) and not _ASKS_TOTAL_RE.search(question))
    if kind == "ratio":
        return bool(_RATIO_RE.search(text))
    if kind == "target":
        # A target is any quantity to reach: a count, a rate, a sum ("营业收入突破8000亿元"), a level.
        return bool(_COUNT_RE.search(re.sub(_MONEY, "", text)) or _RATIO_RE.search(text) or re.search(_MONEY, text) or _LEVEL_RE.search(text))
    if kind == "count":
        return bool(_COUNT_RE.search(re.sub(_MONEY, "", text)))
    if kind == "date":
        return bool(_DATE_RE.search(text))
    if kind == "deadline":
        # An expiry ("有效期至…", "自…起施行") is not a window to apply in.
        validity = _VALIDITY_RE.search(text) and not _APPLY_RE.search(text)
        return bool(_DATE_RE.search(text)) and bool(_WINDOW_RE.search(text)) and not validity
    if kind == "period":
        return bool(_PERIOD_RE.search(text))
    if kind == "contact":
        return bool(_PHONE_RE.search(text)) or "联系人" in text or "@" in text
    if kind == "materials":
        return bool(_MATERIALS_RE.search(text))
    if kind == "procedure":
        return bool(_PROCEDURE_RE.search(text))
    if kind == "conditions":
        return bool(_CONDITION_RE.search(text))
    return True


def _only_threshold(text: str) -> bool:
    """Every money figure of ``text`` is a threshold (低于20万元的不予受理), none a cap or an award."""
    amounts = len(re.findall(_MONEY, text))
    thresholds = len(_THRESHOLD_RE.findall(text))
    return amounts > 0 and thresholds >= amounts and not _CAP_RE.search(text)


def _only_total(text: str) -> bool:
    return bool(_TOTAL_RE.search(text)) and not _CAP_RE.search(text) and len(re.findall(_MONEY, text)) == 1


def fragment_score(kind: str, fragment: str, question: str) -> float:
    """How well one comma-separated phrase states the asked kind (0 when it does not)."""
    if kind == "count":
        thing = counted_thing(question)
        if thing and thing not in fragment:
            return 0.0
    # A count asked with no unit named: a level reached ("规模突破300亿元") answers it as well as a count.
    reached = kind == "count" and not counted_thing(question) and bool(_LEVEL_RE.search(fragment))
    if not (states(kind, fragment, question) or reached):
        return 0.0
    value = 1.0
    if kind == "amount":
        per_firm = not _ASKS_TOTAL_RE.search(question)
        if _CAP_RE.search(fragment) and per_firm:
            value += 2
        if _TOTAL_RE.search(fragment):
            value += 1.5 if not per_firm else -0.8
        if re.search(r"单家|每家|单个|每个|每年|年度|一次性", fragment) and per_firm:
            value += 0.5
    if kind in ("count", "target") and re.search(r"以上|左右|不少于", fragment):
        value += 0.5
    return value


_COUNTED_RE = re.compile(r"(?:多少|几)(?:个|家|项|所|条|款|台|套|座|批|类|户|名|人|张|次|部|种|件)?([\u4e00-\u9fff]{2,6})")


def counted_thing(question: str) -> str:
    """What a count question counts, as it says it ("几个项目" → 项目): a count of something else is not the answer."""
    match = _COUNTED_RE.search(question)
    if not match:
        return ""
    words = [t for t in tokenize(match.group(1)) if len(t) >= 2 and t not in GENERIC_TERMS]
    return words[0] if words else ""


def sentence_terms(sentence: str) -> frozenset[str]:
    """A clause sentence's search tokens; sentences repeat across questions, so each is cut once per dictionary
    (how a sentence is cut depends on the index searched: its terms are in jieba's dictionary)."""
    return _cut_once(sentence, dictionary_terms())


@lru_cache(maxsize=32768)
def _cut_once(sentence: str, terms: frozenset[str]) -> frozenset[str]:
    return frozenset(tokenize(sentence))


def subject_overlap(text: str, subject: set[str]) -> int:
    return sum(len(t) for t in subject & sentence_terms(text) if len(t) > 1)


_CONTACT_LINE_RE = re.compile(r"[^\n；;。]+")
_ANSWER_MARK_RE = re.compile(r"^(问|答)[：:]\s*")


def contact_lines(text: str, subject: set[str]) -> str:
    """The verbatim parts of ``text`` that give a phone, a contact person or an e-mail address."""
    lines = [_ANSWER_MARK_RE.sub("", m.group(0).strip(" ，,：:")) for m in _CONTACT_LINE_RE.finditer(text)]
    lines = [line for line in lines if states("contact", line)]
    if not lines:
        return ""
    overlaps = [subject_overlap(line, subject) for line in lines]
    best = max(overlaps)
    # Words every line shares (电话) do not pick one; words only some lines carry do.
    if best > 0 and best > min(overlaps):
        lines = [line for line, o in zip(lines, overlaps) if o == best]
    return "；".join(dict.fromkeys(lines[:4]))


# A quote longer than this is cut to the part that states the fact (the whole clause stays in the citation).
QUOTE_LIMIT = 150
_PART_END = "；;。！？\n"


def narrowed(quote: str, fact: str, kind: str, question: str, subject: set[str], keep_whole: bool = False) -> str:
    """The part of ``quote`` that states ``fact``, without the phrases around it that state other figures
    of the asked kind (other targets beside the one asked) or a total budget beside a per-firm cap: quoted
    whole, they read as the answer. A short quote with nothing else of the kind stays whole, and so does a
    clause the question names (``keep_whole``), but for a total beside a cap.
    """
    # The year a target is stated for is added to its phrase ("到2027年，…"): find the phrase itself.
    pieces = [p if p in quote else _YEAR_LEAD_RE.sub("", p) for p in fact.split("；")]
    pieces = [p for p in pieces if p and p in quote]
    if not pieces:
        return quote
    start = min(quote.find(p) for p in pieces)
    end = max(quote.find(p) + len(p) for p in pieces)
    per_firm = kind == "amount" and not _ASKS_TOTAL_RE.search(question)

    def total(f: str) -> bool:
        return per_firm and bool(_TOTAL_RE.search(f) and re.search(_MONEY, f))

    def other(f: str) -> bool:
        # A figure of the kind asked about something the question names less than the fact's phrase does.
        return total(f) or (states(kind, f, question) and subject_overlap(f, subject) < own)

    own = max(subject_overlap(p, subject) for p in pieces)

    stop = re.search(r"[，,；;。：:！？\n]", quote[end:])
    end = end + stop.end() if stop else len(quote)  # the fact's phrase runs to its punctuation
    left = max(quote.rfind(mark, 0, start) for mark in _PART_END) + 1
    rights = [i for i in (quote.find(mark, end - 1) for mark in _PART_END) if i >= 0]
    right = min(rights) + 1 if rights else len(quote)
    before = FRAGMENT_RE.findall(quote[left:start])
    after = FRAGMENT_RE.findall(quote[end:right])
    if keep_whole and not any(total(f) for f in before + after):
        return quote
    if len(quote) <= QUOTE_LIMIT and not any(other(f) for f in before + after):
        return quote
    # From the phrase after the last other figure before the fact, to the phrase before the next one after it.
    cut = max((i + 1 for i, f in enumerate(before) if other(f)), default=0)
    while len("".join(before[cut:])) > QUOTE_LIMIT:
        cut += 1
    left += len("".join(before[:cut]))
    keep = next((i for i, f in enumerate(after) if other(f)), len(after))
    right = end + len("".join(after[:keep]))
    return quote[left:right].strip()


ASKED_RE = re.compile(r"^([一二三四五六七八九十\d]+[、.．]\s*)?问[：:]")
_ANSWERED_RE = re.compile(r"^答[：:]")
_HEADING_MARKER_RE = re.compile(r"^(第[^章节条]+[章节条]\s*|[一二三四五六七八九十]+、|（[一二三四五六七八九十\d]+）|\d+[\.．、])")


def quote_around(text: str, sentences: list[str], index: int, sentence: str, scored, subject: set[str], clause: Clause, kind: str = "", question: str = "") -> str:
    heading = set(tokenize(clause.clause_path.split(" › ")[-1]))
    if len(text) <= 400 and subject and (names_clause(clause, question) or not (subject - heading - GENERIC_TERMS)):
        return text  # the question names the clause itself: quote all of it
    if kind == "contact" and len(text) <= 500:
        return text  # names, offices and numbers answer together
    lead_in = next((i for i in range(index, -1, -1) if _LEAD_IN_RE.search(sentences[i])), None)
    if lead_in is not None and len(text) <= 600 and index - lead_in <= 8:
        # "申请企业应当提交下列材料：" and its items answer together; one item alone misleads.
        return contiguous(text, sentences[lead_in:])
    picked = [full_sentence(text, sentence)]
    if ASKED_RE.match(sentence) and index + 1 < len(sentences) and _ANSWERED_RE.match(sentences[index + 1]):
        picked.append(sentences[index + 1])  # a 问答's question says nothing without its answer
    elif len(sentence) < 20 and index + 1 < len(sentences):
        picked.append(sentences[index + 1])  # a heading-only sentence says nothing alone
    elif len(scored) > 1 and scored[1][0] > 0 and abs(scored[1][1] - index) == 1:
        picked.append(scored[1][2])
    return contiguous(text, picked)


def names_clause(clause: Clause, question: str) -> bool:
    """The question names the clause itself by four characters of its heading ("总体目标里…")."""
    own = _HEADING_MARKER_RE.sub("", clause.path[-1]) if clause.path else ""
    return any(own[i : i + 4] in question for i in range(max(0, len(own) - 3)))


def full_sentence(text: str, sentence: str, limit: int = 300) -> str:
    """``sentence`` widened to the full stops around it ("；" ends a part, "。" the sentence), within ``limit``."""
    start = text.find(sentence)
    if start < 0:
        return sentence
    end = start + len(sentence)
    left = max(text.rfind(mark, 0, start) for mark in "。！？\n") + 1
    rights = [i for i in (text.find(mark, end - 1) for mark in "。！？\n") if i >= 0]
    right = min(rights) + 1 if rights else len(text)
    whole = text[left:right].strip()
    return whole if len(whole) <= limit and sentence in whole else sentence


def contiguous(text: str, sentences: list[str]) -> str:
    """One verbatim span of ``text`` covering ``sentences`` when they are close, else the first one."""
    spans = sorted((text.find(s), text.find(s) + len(s)) for s in sentences if s and s in text)
    if not spans:
        return sentences[0] if sentences else text
    start, end = spans[0][0], spans[-1][1]
    if end - start > 400:
        start, end = spans[0]
    return text[start:end].strip()
