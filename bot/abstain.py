"""When to refuse: requests no document may answer (guards), and questions no clause covers (evidence).

There is no list of off-topic subjects: a question is refused when the clauses found do not contain what
it is about, so a document that grants an income-tax rate makes tax questions answerable, and a question
about AI that *prevents* fraud is answered from the clause about it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

import jieba

from bot.gazetteer import gazetteer
from vectorstore.retriever import ScoredChunk
from vectorstore.text import GENERIC_TERMS, STOPWORDS, expand_query

# --- guards: refused whatever the documents say --------------------------------------------
_INJECTION = re.compile(
    r"(忽略|无视|忘记|忘掉|不要管|跳过).{0,12}(指令|指示|提示|规则|设定|要求|限制)"
    r"|(系统|初始|内部|隐藏)\s*(提示|指令|设定|prompt)|提示词|你的(指令|规则|设定|提示|配置)|(开发者|越狱|DAN)\s*模式"
    r"|(输出|打印|复述|重复|告诉我|显示|透露|泄露).{0,10}(指令|提示词|设定|prompt)"
    r"|ignore\s+(all\s+|any\s+|the\s+)?(previous|prior|above|earlier)|system\s*prompt|jailbreak|developer\s+mode"
    r"|你现在是|你(现在)?扮演|不受(任何)?限制的|没有任何限制"
    r"|(reveal|print|show|repeat|output|tell me)\b.{0,30}\b(instructions?|prompt|rules)\b|you are now|\bact as\b",
    re.I,
)
_CREATIVE = re.compile(
    r"(写|作|来|编|创作)[^，。？?]{0,12}(诗|歌|小说|故事|笑话|对联|段子|散文|作文)|藏头诗"
    r"|\b(poem|poetry|haiku|limerick|song|lyrics|story|joke|essay)\b",
    re.I,
)
# Asking for help to deceive: a helping or how-to word, then the deceit within a few characters.
_FRAUD = re.compile(
    r"(帮|教|怎么|如何|怎样|能不能|可不可以|想|我要|有没有办法|给我|替我|能否).{0,12}"
    r"(伪造|造假|做假|作假|假的|假材料|虚开|虚构|编造|瞎编|随便编|骗|套取|冒充|假冒|洗钱|刷单|(绕过|规避|躲过|逃避)[^，。？?]{0,8}(审核|审查|监管|检查|核查))"
    r"|(随便|瞎)编|\b(fake|forge|forged|falsify|fraudulent(ly)?|launder)\b",
    re.I,
)
# What is said about deceit rather than asked for: its consequences, or preventing and detecting it.
_ABOUT_DECEIT = re.compile(
    r"后果|处罚|惩罚|会怎样|会怎么样|追责|法律责任|查处|举报|不予支持|追回|"
    r"防范|防止|预防|打击|识别|发现|监测|检测|治理|反(诈|欺诈|洗钱)|防骗|风控|"
    r"consequence|penalt|prevent|detect|combat|fight",
    re.I,
)


def guard(question: str) -> str | None:
    """injection | fraud | creative when the request itself must be refused, else None."""
    if _INJECTION.search(question):
        return "injection"
    if _FRAUD.search(question) and not _ABOUT_DECEIT.search(question):
        return "fraud"
    if _CREATIVE.search(question):
        return "creative"
    return None


# --- evidence: refuse when the clauses found do not contain what the question is about ---------
_CJK_RE = re.compile(r"[\u4e00-\u9fff]")
_CJK_WORD_RE = re.compile(r"[\u4e00-\u9fff]+")  # English words are matched through the query expansion
# How one goes about something, not what it is about: these words match every procedure clause.
_PROCEDURE_WORDS = frozenset(
    "办理 申请 申报 材料 需要 流程 手续 提交 登记 报名 办法 条件 时间 地点 哪里 多久 费用 步骤 补办 领取 咨询 窗口 网上 线上 线下".split()
)
MIN_COVERAGE = 0.25
MIN_UNMATCHED_WORDS = 3
MIN_MATCHED_RATIO = 0.25
MAX_UNKNOWN = 0.9


class TermStatistics(Protocol):
    """What the retriever publishes about its index (see ``HybridRetriever``)."""

    def document_frequency(self, token: str) -> int: ...
    def idf(self, token: str) -> float: ...
    def chunk_terms(self, chunk_id: str) -> set[str]: ...
    def mentions(self, phrase: str) -> bool: ...
    def tokenize(self, text: str) -> list[str]: ...


@dataclass(frozen=True)
class Coverage:
    """How much of what a question is about the best clauses contain."""

    share: float  # IDF-weighted share of the question's subject words found in the clauses
    unknown_subject: bool  # a word the question is about that no document uses, and nothing else it is about found
    title_hit: bool
    unknown_share: float = 0.0  # IDF-weighted share of its words that no indexed document uses at all
    unmatched_words: int = 0  # the question's content words the best clauses do not contain
    matched_ratio: float = 1.0  # and the share they do
    unheard_of: tuple[str, ...] = ()  # its specific words (3+ characters) that no indexed clause contains
    most_used_match: int = 2  # how many clauses use the most used of the question's words the clauses contain

    @property
    def covered(self) -> bool:
        # Mostly words no document uses ("今天" + "天气" of a forecast clause): the question is about something else.
        if self.unknown_subject or self.unknown_share > MAX_UNKNOWN:
            return False
        # "个税APP里的子女教育专项附加扣除": a clause that shares one word (扣除) of many is not about it.
        if not self.title_hit and self.unmatched_words >= MIN_UNMATCHED_WORDS and self.matched_ratio <= MIN_MATCHED_RATIO:
            return False
        # "今天天气怎么样": none of the question's own words is in the clauses, and what matched is a word a
        # single clause uses in passing ("天气" in "海洋极端天气预测"): no evidence they are about the question.
        if not self.title_hit and self.matched_ratio == 0 and self.most_used_match <= 1:
            return False
        # "住房公积金贷款…": the most specific thing asked about appears in no document at all.
        if self.unheard_of and self.matched_ratio < 0.5 and not self.title_hit:
            return False
        return self.title_hit or self.share >= MIN_COVERAGE


def coverage(query: str, hits: list[ScoredChunk], stats: TermStatistics, top: int = 3, own_words: str | None = None) -> Coverage:
    """Whether the best clauses share the question's substantive terms (IDF-weighted).

    The question's own words count; words added by query expansion count only where the documents use
    them (they are hints, not evidence that the question is off-topic).
    """
    if not hits:
        return Coverage(0.0, True, False)
    own = set(stats.tokenize(query))
    tokens = [
        t
        for t in dict.fromkeys(stats.tokenize(expand_query(query)))
        if t not in GENERIC_TERMS and len(t) > 1 and ((t in own and _CJK_RE.search(t)) or stats.document_frequency(t))
    ]
    title_hit = any(h.title_hit for h in hits[:top])
    if not tokens:
        return Coverage(1.0 if title_hit else 0.0, False, title_hit)
    known: set[str] = set()
    for hit in hits[:top]:
        known |= stats.chunk_terms(hit.chunk.id) or set(stats.tokenize(hit.chunk.search_text()))

    def is_known(token: str) -> bool:
        # "提意见" is covered by a clause that says "意见".
        return token in known or any(len(k) >= 2 and k in token for k in known)

    # "如何办理护照": what it is about (护照) appears in no document; only how one goes about it
    # (办理) does, and that is no reason to answer.
    def is_known_subject(token: str) -> bool:
        if token in _PROCEDURE_WORDS:
            return False
        return token in known or any(len(k) >= 2 and k in token and k not in _PROCEDURE_WORDS for k in known)

    unseen = [t for t in tokens if not stats.document_frequency(t) and t not in _PROCEDURE_WORDS and not is_known(t)]
    unknown_subject = bool(unseen) and not any(is_known_subject(t) for t in tokens)
    total = sum(stats.idf(t) for t in tokens)
    share = sum(stats.idf(t) for t in tokens if is_known(t)) / total if total else 0.0
    unknown_share = sum(stats.idf(t) for t in unseen) / total if total else 0.0
    # The words of the question itself (a follow-up's own words are few and lean on the turn before).
    words = content_words(own_words) if own_words else []
    text = "".join(h.chunk.search_text() for h in hits[:top])
    # A word counts where the clauses say it or the documents' term for it (看病 → 医疗).
    unmatched = [w for w in words if w not in text and not any(t in text for t in expand_query(w)[len(w):].split())]
    ratio = 1 - len(unmatched) / len(words) if words else 1.0
    unheard = tuple(w for w in unmatched if len(w) >= 3 and _is_noun(w) and not _heard(w, stats))
    most_used = max((stats.document_frequency(t) for t in tokens if is_known(t)), default=0)
    return Coverage(share, unknown_subject, hits[0].title_hit, unknown_share, len(unmatched), ratio, unheard, most_used)


def _is_noun(word: str) -> bool:
    """A noun by jieba's dictionary (住房公积金, 购置税), not a phrase of asking (第一次, 行不行)."""
    import jieba.posseg  # its tag table loads on first use (about a second), only for unmatched words

    tag = jieba.posseg.dt.word_tag_tab.get(word, "")
    return tag.startswith("n")


def _heard(word: str, stats: TermStatistics) -> bool:
    """Whether the documents use ``word`` or the term it is asked for (母公司 → 关联方)."""
    expanded = expand_query(word)[len(word) :].split()
    return stats.mentions(word) or any(stats.mentions(term) for term in expanded)


def content_words(query: str) -> list[str]:
    """The question's own words (jieba's precise cut) that say what it is about: not places, stopwords,
    generic words, procedure words or the words that ask for a kind of fact."""
    from bot.analysis import question_kinds  # analysis imports this module's guard

    kinds = [pattern for _, pattern in question_kinds()]
    places = {n for d in gazetteer().find(query) for n in (d.name, d.short)}
    return [
        w for w in jieba.lcut(query)
        if len(w) >= 2 and _CJK_WORD_RE.fullmatch(w) and w in jieba.dt.FREQ and w not in STOPWORDS and w.lower() not in GENERIC_TERMS
        and w not in _PROCEDURE_WORDS and w not in places and not any(k.fullmatch(w) for k in kinds)
    ]
