"""When to refuse: requests no document may answer (guards), and questions no clause covers (evidence).

There is no list of off-topic subjects: a question is refused when the clauses found do not contain what
it is about, so a document that grants an income-tax rate makes tax questions answerable, and a question
about AI that *prevents* fraud is answered from the clause about it. What a question is about is judged by
how specific its words are in general Chinese (jieba's dictionary counts) and where the index has them:
a specific word no document uses, beside only common words that matched, means no document covers it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Protocol

from bot.gazetteer import gazetteer
from bot.words import CJK_WORD_RE, PROCEDURE_WORDS, question_kinds
from vectorstore.retriever import ScoredChunk
from vectorstore.text import GENERIC_TERMS, STOPWORDS, everyday_words, expand_query, general_frequency, general_total

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
# A word built on an interrogative morpheme asks (怎么办, 多少度, 哪家); a superlative asks for a bound (最长).
_ASKING_RE = re.compile(r"怎|什么|哪|吗|多少|几|谁|啥|咋|何|否|^最")
# An interrogative word before a noun makes that noun the slot asked for (哪些审批机构, 什么时候).
_INTERROGATIVE_RE = re.compile(r"^(哪|什么|何|多少|几)")
# A level of government said as a place (省里, 市里, 县里): like a place, not what a question is about.
_LEVEL_PLACE_RE = re.compile(r"^[省市县区镇乡村]里$")
# Parts of speech (jieba's tags) that never say what a question is about: numerals, measure words, pronouns,
# adverbs, conjunctions, prepositions, particles, interjections, onomatopoeia, directions.
_FUNCTION_TAGS = ("m", "q", "r", "d", "c", "p", "u", "y", "e", "o", "f", "x", "w")
_ABBREVIATION_TAG = "j"  # jieba's tag for an abbreviation (医保, 居住证)
# A figure particular enough to say which clause is meant: a day of a month, an amount, a percentage (not a year).
_FIGURE_RE = re.compile(r"\d{1,2}月\d{1,2}[日号]|\d+(?:\.\d+)?(?:%|万元|亿元|元)")

# Specificity is -log of a word's share of general Chinese (jieba's dictionary, about 60 million words).
# Below this a word is common language: 地震, 贷款, 备案, 标准, 汽车, 医疗 all occur more than about a
# thousand times in it; 扣除, 助学, 发票, 贴息, 海啸 fewer. Only a specific word that no document uses says
# the question is about something they do not cover: a common word may be a paraphrase or a filler.
GENERAL_SPECIFICITY = 11.0
# jieba's dictionary gives words it holds without a count (many compounds: 意见建议, 社保卡, 车船税) a
# frequency of a few; at or under this the count says nothing about how common the word is.
DICTIONARY_FLOOR = 5
# A clause count at or under which the documents mention a common word only in passing (地震, once, in a
# clause on disaster warnings): a question of common words matched only there, outside any heading, and
# naming something no document uses, is not covered.
PASSING_MENTION = 1
# Questions without Chinese subject terms (English, or only asking words): the IDF-weighted share of the
# expanded question's index tokens the best clauses must contain.
MIN_COVERAGE = 0.25


class TermStatistics(Protocol):
    """What the retriever publishes about its index (see ``HybridRetriever``)."""

    def document_frequency(self, token: str) -> int: ...
    def idf(self, token: str) -> float: ...
    def chunk_terms(self, chunk_id: str) -> set[str]: ...
    def mentions(self, phrase: str) -> bool: ...
    def spells_out(self, abbreviation: str) -> bool: ...
    def tokenize(self, text: str) -> list[str]: ...
    def precise_cut(self, text: str) -> list[str]: ...


IN_CLAUSES, IN_INDEX, NOWHERE = "clauses", "index", "nowhere"


@dataclass(frozen=True)
class Term:
    """One thing a question is about, how specific it is in general language, and where the index has it."""

    text: str
    specificity: float  # -log of its share of general Chinese; a word no general dictionary knows has the most
    found: str  # clauses: the best clauses say it (or the documents' word for it) | index: only other clauses | nowhere
    clauses: int = 0  # how many indexed clauses use it
    term_of_art: bool = False  # general Chinese does not know it; the documents do (算力券)
    asked: bool = False  # it names the fact asked for (哪些审批机构, 数量), not the subject: no evidence of absence
    heading: bool = False  # a heading of the best clauses says it
    compound: int = 0  # the run of adjacent terms it stands in: a compound (海啸预警) is judged whole
    uncounted: bool = False  # the dictionary holds it without a count, and not as two counted words (社保卡)
    head: bool = True  # the last word of its run: a compound is headed by its last word
    verb: bool = False  # jieba tags it a verb

    @property
    def specific(self) -> bool:
        return self.specificity >= GENERAL_SPECIFICITY

    @property
    def unheard(self) -> bool:
        """A specific word no document uses, not the slot asked for, and a name of a thing: a verb on its own
        or heading its words (挂失, 转发) says what is done to the subject; a verb before another word
        modifies it, like a noun."""
        return self.found == NOWHERE and self.specific and not self.asked and not (self.verb and self.head)


@dataclass(frozen=True)
class Coverage:
    """Whether the best clauses contain what a question is about, and why not."""

    terms: tuple[Term, ...]  # the question's subject terms, in order
    share: float  # IDF-weighted share of the expanded question's index tokens in the best clauses
    title_hit: bool

    @property
    def reason(self) -> str | None:
        """unheard_subject | passing_mention | nothing_matched | low_share when not covered, else None."""
        if not self.terms:
            return None if self.title_hit or self.share >= MIN_COVERAGE else "low_share"
        matched = [t for t in self.terms if t.found == IN_CLAUSES]
        # "算力券的发票抬头": a term only the documents use (unknown to general Chinese) is what they are
        # about; a word they do not use beside it (发票) asks a fact they may not state ("not stated", no refusal).
        if any(t.term_of_art for t in matched):
            return None
        # "助学贷款": a specific word no document uses (助学), and the specific words the documents do use
        # are none, or only the head of a compound that word modifies (海啸预警: 预警, of a clause on
        # 灾害预警). A compound is headed by its last word; when the unknown word is that head (标注基地面积),
        # the words before it say what it is about, and count.
        unheard = [t for t in self.terms if t.unheard]
        known = [t for t in self.terms if t.found != NOWHERE]
        modified = {t.compound for t in unheard if not t.head}
        if unheard and not any(t.specific for t in known if t.compound not in modified):
            return "unheard_subject"
        # "学校地震": only common words, one of them in no document, the rest in passing in one clause, outside
        # its headings. A compound the dictionary holds without a count may be a phrase of words the documents
        # use (社保卡): its absence is no evidence. A counted common word's is (学校).
        if (
            matched and not any(t.specific for t in self.terms)
            and any(t.found == NOWHERE and not t.asked and not t.uncounted for t in self.terms)
            and all(t.clauses <= PASSING_MENTION and not t.heading for t in matched)
        ):
            return "passing_mention"
        # None of its terms in the clauses ranked first, one it names in no document: what was found is not
        # about it. (When the documents use every term, they cover the subject; the answer says what is not
        # stated.)
        if not matched and not self.title_hit and any(t.found == NOWHERE and not t.asked for t in self.terms):
            return "nothing_matched"
        return None

    @property
    def covered(self) -> bool:
        return self.reason is None


def specificity(word: str) -> float:
    """-log of ``word``'s share of general Chinese (jieba's own dictionary); unknown words get the most.

    A word the dictionary holds at its floor (意见建议, 车船税: entries without a count) is as specific as
    the most specific counted word inside it, when it has one.
    """
    total, frequency = general_total(), general_frequency(word)
    if 0 < frequency <= DICTIONARY_FLOOR:
        parts = _counted_parts(word)
        if parts:
            return max(math.log(total / (general_frequency(p) + 1)) for p in parts)
    return math.log(total / (frequency + 1))


def _counted_parts(word: str) -> list[str]:
    """The counted dictionary words of two characters or more inside ``word``, other than itself."""
    return [
        word[i:j] for i in range(len(word)) for j in range(i + 2, len(word) + 1)
        if (i, j) != (0, len(word)) and general_frequency(word[i:j]) > DICTIONARY_FLOOR
    ]


def _parts_cover(word: str) -> list[str] | None:
    """Counted words that spell ``word`` end to end (意见建议 → 意见, 建议), or None (社保卡: 卡 is left)."""
    for cut in range(2, len(word) - 1):
        head, tail = word[:cut], word[cut:]
        if general_frequency(head) > DICTIONARY_FLOOR and general_frequency(tail) > DICTIONARY_FLOOR:
            return [head, tail]
    return None


def subject_terms(question: str, stats: TermStatistics, places: tuple[str, ...] = ()) -> list[tuple[str, int, bool]]:
    """What ``question`` is about: (word, run, asked) for its dictionary words, compounds the documents use
    kept whole (算力券, 大模型), without places (of the gazetteer, and the indexed jurisdictions in ``places``
    with their stems: 示例 of 示例市), asking words, procedure words, function words and the
    words every document of the corpus is about. Adjacent words share a run (海啸 预警); ``asked``
    marks the slot an interrogative asks for and the words that name a kind of fact (数量, 金额)."""
    kinds = [pattern for name, pattern in question_kinds() if name != "measures"]  # 补贴, 贷款 are subjects
    named = {n for d in gazetteer().find(question) for n in (d.name, d.short)} | set(places)
    terms: list[tuple[str, int, bool]] = []
    run, previous = 0, ""
    for word in _units(stats.precise_cut(question), stats):
        if (
            len(word) >= 2 and CJK_WORD_RE.fullmatch(word) and word not in STOPWORDS and word not in GENERIC_TERMS
            and word not in PROCEDURE_WORDS and not any(p.startswith(word) for p in named) and not _LEVEL_PLACE_RE.match(word)
            and not _ASKING_RE.search(word) and not _is_function_word(word)
        ):
            asked = bool(_INTERROGATIVE_RE.match(previous)) or any(k.fullmatch(word) for k in kinds)
            terms.append((word, run, asked))
        else:
            run += 1
        previous = word
    seen: set[str] = set()
    return [t for t in terms if not (t[0] in seen or seen.add(t[0]))]


def _units(pieces: list[str], stats: TermStatistics) -> list[str]:
    """Join what the cut split for want of a dictionary entry: a single content character and its neighbour
    whose join the documents use (算+力+券, 大+模型)."""
    units: list[str] = []
    for piece in pieces:
        if units and (len(piece) == 1 or len(units[-1]) == 1) and CJK_WORD_RE.fullmatch(units[-1] + piece):
            joined = units[-1] + piece
            if units[-1] not in STOPWORDS and piece not in STOPWORDS and stats.mentions(joined):
                units[-1] = joined
                continue
        units.append(piece)
    return units


def _tag(word: str) -> str:
    import jieba.posseg  # its tag table loads on first use (about a second)

    return jieba.posseg.dt.word_tag_tab.get(word, "n")


def _is_function_word(word: str) -> bool:
    return _tag(word).startswith(_FUNCTION_TAGS)


def _where(word: str, text: str, stats: TermStatistics) -> str:
    """Where the index has ``word``: in ``text`` (the best clauses), in other clauses, or nowhere. The
    documents' word for it counts (看病 → 医疗), an abbreviation counts where they write it in full (医保 →
    医疗保障), and a compound the dictionary holds without a count where they use each of its words."""
    said = [word, *expand_query(word)[len(word):].split()]
    if any(w in text for w in said):
        return IN_CLAUSES
    if any(stats.mentions(w) for w in said):
        return IN_INDEX
    if _tag(word) == _ABBREVIATION_TAG and stats.spells_out(word):
        return IN_INDEX
    if 0 < general_frequency(word) <= DICTIONARY_FLOOR:
        parts = _parts_cover(word)
        if parts:
            found = [_where(p, text, stats) for p in parts]
            if NOWHERE not in found:
                return IN_CLAUSES if all(f == IN_CLAUSES for f in found) else IN_INDEX
    return NOWHERE


def coverage(
    query: str, hits: list[ScoredChunk], stats: TermStatistics, top: int = 3, own_words: str | None = None,
    places: tuple[str, ...] = (),
) -> Coverage:
    """Where the question's subject terms are: in the best ``top`` clauses, elsewhere in the index, or nowhere.

    ``own_words`` is the question itself when ``query`` adds other text (a follow-up's turn before is in
    ``query``); ``places`` the indexed jurisdictions it names, which the gazetteer may not know (示例市).
    """
    best = hits[:top]
    question = own_words or query
    text = "".join(h.chunk.search_text() for h in best)
    headings = " ".join(h.chunk.clause_path for h in best)
    subject = subject_terms(question, stats, places)
    last = {run: word for word, run, _ in subject}
    terms = [_term(word, run, asked, last[run] == word, text, headings, stats) for word, run, asked in subject]
    # A date or an amount the question quotes (6月15日, 50万元) that the clauses state: the question is about them.
    terms += [Term(f, specificity(f), IN_CLAUSES, 1, compound=-2) for f in dict.fromkeys(_FIGURE_RE.findall(question)) if f in text]
    terms += _everyday_terms(question, {t.text for t in terms}, text, headings, stats)
    return Coverage(tuple(terms), _share(query, best, stats), any(h.title_hit for h in best))


def _term(word: str, run: int, asked: bool, head: bool, text: str, headings: str, stats: TermStatistics) -> Term:
    said = [word, *expand_query(word)[len(word):].split()]
    frequency, tag = general_frequency(word), _tag(word)
    return Term(
        word, specificity(word), _where(word, text, stats), max(stats.document_frequency(w) for w in said),
        term_of_art=frequency == 0, asked=asked, heading=any(w in headings for w in said), compound=run,
        uncounted=0 < frequency <= DICTIONARY_FLOOR and _parts_cover(word) is None, head=head,
        verb=tag.startswith("v") and tag != "vn",
    )


def _everyday_terms(question: str, cut: set[str], text: str, headings: str, stats: TermStatistics) -> list[Term]:
    """An everyday word the cut did not keep whole (看病人 → 看 + 病人) counts by the documents' word for it."""
    terms = []
    for said, document_words in everyday_words(question):
        if (
            len(said) < 2 or not CJK_WORD_RE.fullmatch(said) or _ASKING_RE.search(said) or any(said in w for w in cut)
            or said in PROCEDURE_WORDS or said in STOPWORDS or said in GENERIC_TERMS
        ):
            continue
        in_text = any(w in text for w in document_words)
        found = IN_CLAUSES if in_text else IN_INDEX if any(map(stats.mentions, document_words)) else NOWHERE
        used = max(map(stats.document_frequency, document_words))
        terms.append(Term(said, specificity(said), found, used, heading=any(w in headings for w in document_words), compound=-1))
    return terms


def _share(query: str, hits: list[ScoredChunk], stats: TermStatistics) -> float:
    """The IDF-weighted share of the expanded query's index tokens (not generic ones) the clauses contain."""
    tokens = [
        t for t in dict.fromkeys(stats.tokenize(expand_query(query)))
        if t not in GENERIC_TERMS and len(t) > 1 and stats.document_frequency(t)
    ]
    known: set[str] = set()
    for hit in hits:
        known |= stats.chunk_terms(hit.chunk.id) or set(stats.tokenize(hit.chunk.search_text()))
    total = sum(stats.idf(t) for t in tokens)
    return sum(stats.idf(t) for t in tokens if t in known) / total if total else 0.0

