"""Question analysis: what is asked, which places, levels and documents it points at, and its follow-up context.

One typed result (``Analysis``) that ranking, evidence selection, composition and abstention read; nothing
after this stage looks at the question's words to decide what kind of fact is wanted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.abstain import guard
from bot.agencies import find_agencies
from bot.courtesy import without_courtesy, without_invisible
from core.errors import InvalidQuestion
from bot.gazetteer import Division, gazetteer, stem
from bot.lifecycle import without_version_words
from bot.models import Turn
from bot.organisations import find_organisations
from bot.planindex import PlanIndex
from bot.references import means_province, referenced_documents
from bot.scope import NATIONAL, covers, document_level, place_level
from bot.words import content_words, question_kinds

# Kinds whose answer is a property of the document itself, read from its metadata.
DOCUMENT_FACTS = frozenset({"issued", "issuer", "doc_number", "status", "period"})
# Kinds whose answer is one stated figure, date or list: when no clause states it, the answer says so.
STATED_FACTS = frozenset({"amount", "ratio", "count", "target", "date", "deadline", "materials", "contact", "procedure", "conditions"})

_ANAPHORA = re.compile(
    r"^(那|那么|这个|这|它|其|该|上述|还有|另外|以及|里面|里头|其中|文中|上文|and |what about|how about)|它|其|该领域|这个领域|这项|这些|上面|刚才|\bit\b|\bthat\b|\bthose\b",
    re.I,
)
_ENGLISH = re.compile(r"[A-Za-z]")
_PUNCTUATION = re.compile(r"[\s，。、？！?!,.；;：:“”\"'（）()]")
# Words that only ask ("什么时候", "多少", "哪些"): dropped with the kind words of an earlier turn.
_ASKING = re.compile(r"什么时候|何时|是多少|多少|几[个年月号]?|哪[些个里儿天]?|谁|什么|怎么样?|如何|是否|吗|呢|最[长短多少高低早晚]|[？?]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NATIONAL_WORDS = re.compile(r"国家(层面|级|的)?|全国|国务院|中央|部委|工信部|工业和信息化部|national|state council", re.I)
# "我们公司去年营收3亿元，可以申请算力券吗?": the asker describes itself and asks what it can get.
_DESCRIBES_ASKER = re.compile(r"营收|营业收入|收入|销售额|员工|职工|社保|参保|分公司|关联方|失信|注册在|注册地|花了|支出|总投资|利息|\d+\s*(人|名员工|岁|周岁)")
# The asker speaks of itself ("我们公司", "本企业") or states its figures ("营收3亿元", "150人").
_FIRST_PERSON = re.compile(r"我|咱|本(公司|企业|单位)|\d")
_ASKS_IF_ELIGIBLE = re.compile(r"(能|可以|可否|能否|能不能|是否|够|符合).{0,12}(申请|享受|拿|获得|申报|条件|资格)|能拿多少|补多少|能补")
_REVERSE_WORDS = re.compile(
    r"(负责|管|涉及|参与|牵头|承担|分管|对口)[^，。?？]{0,10}(哪|什么|啥)|哪[一些个几]*[\u4e00-\u9fff]{0,4}(领域|方面|块|工作|事项?|条款?|任务)"
    r"|是不是.{0,6}(牵头|负责)|职责|分工"
    r"|做什么|干什么|干啥|\bwhat\b.{0,40}\b(responsible|handle|in charge|do|lead)|\bwhich (fields|areas|sectors)\b",
    re.I,
)
# The consultation on a draft: its deadline, where comments go, whom to call.
# "指导意见" names a document; "提意见", "反馈意见", "征求意见" speak of the consultation.
_CONSULTATION = re.compile(r"征求|反馈|意见稿|(提|交|寄|报送|修改)意见|意见(寄|交|反馈|建议)|寄到|交到|\b(feedback|comments?)\b", re.I)
_PLACES_EN = {
    "shanghai": "上海", "beijing": "北京", "jiangsu": "江苏", "guangdong": "广东", "shenzhen": "深圳", "guangzhou": "广州",
    "tianjin": "天津", "chongqing": "重庆", "sichuan": "四川", "hong kong": "香港", "zhejiang": "浙江", "hangzhou": "杭州",
    "ningbo": "宁波", "anhui": "安徽", "suzhou": "苏州", "nanjing": "南京", "wenzhou": "温州",
}


@dataclass(frozen=True)
class Analysis:
    """What a question asks and what it points at."""

    question: str  # cleaned
    query: str  # the question with the topic of the turn it follows up
    about: str  # the query without the words that only name where to look ("在这个计划里")
    asks: str  # one of the kinds in question_kinds.toml, or eligibility | reverse_agency | consultation | general
    comparison: bool = False
    guard: str | None = None  # injection | creative | fraud: refused whatever the documents say
    places: tuple[str, ...] = ()  # indexed jurisdictions the question points at
    named_places: tuple[Division, ...] = ()  # places of the gazetteer it names
    outside: str | None = None  # a place it names that no indexed document covers
    levels: tuple[str, ...] = ()  # national | province | prefecture | county, as named
    documents: frozenset[str] = field(default_factory=frozenset)  # ids of documents it refers to
    agencies: tuple[str, ...] = ()  # organisations it names (canonical)
    follow_up: bool = False
    english: bool = False
    # The words that say what the answer's sentence must be about: a follow-up's own words, or the whole
    # turn before when the follow-up neither asks a kind of fact nor names a subject (only a place, say).
    subject: str = ""

    @property
    def asks_document_fact(self) -> bool:
        return self.asks in DOCUMENT_FACTS

    @property
    def asks_stated_fact(self) -> bool:
        return self.asks in STATED_FACTS


def clean_question(question: str, max_chars: int) -> str:
    """Strip invisible and control characters and courtesy; refuse empty or over-long questions with a clear message."""
    if not isinstance(question, str):
        raise InvalidQuestion("the question must be text", zh="问题必须是文字。", code="question_not_text")
    question = without_invisible(question)
    if not question:
        raise InvalidQuestion(
            "the question is empty; ask about a policy, e.g. “人工智能+医疗由哪些部门负责？”",
            zh="问题是空的。请输入想咨询的政策问题，例如“人工智能+医疗由哪些部门负责？”",
            code="question_empty",
        )
    if len(question) > max_chars:
        raise InvalidQuestion(
            f"the question has {len(question)} characters; the limit is {max_chars}",
            zh=f"问题太长了（{len(question)} 字），请精简到 {max_chars} 字以内。",
            code="question_too_long",
        )
    return without_courtesy(question)  # "您好，请问X？谢谢" is X: one question, one answer


def is_english(question: str) -> bool:
    return len(_ENGLISH.findall(question)) > 2 * len(_CJK.findall(question))


def is_follow_up(question: str, previous: list[str] | tuple[str, ...] = ()) -> bool:
    """"那它的责任单位呢", "电话多少?": it points back, or it is short and names no subject of its own —
    besides the words that ask for a kind of fact or name a version, only words the earlier turns used."""
    text = question.strip()
    bare = _PUNCTUATION.sub("", text)
    if _ANAPHORA.search(text) or len(bare) <= 6:
        return True
    if len(bare) > 12 or _ENGLISH.search(text):
        return False
    rest = _ASKING.sub(" ", without_version_words(_without_kind_words(bare)))
    said = " ".join(previous)
    return all(word in said for word in content_words(rest))


def _without_kind_words(text: str) -> str:
    """``text`` without the words that ask for a kind of fact (of any kind but measures, whose words name a
    subject: 算力券, 补贴)."""
    for name, pattern in question_kinds()[:-1]:
        if name != "measures":
            text = pattern.sub(" ", text)
    return text


def follow_up_topic(previous: list[str]) -> str:
    """The turns a follow-up points back to: back to the last one that named a subject of its own."""
    turns: list[str] = []
    for turn in reversed(previous):
        turns.insert(0, turn)
        if not is_follow_up(turn, previous[: len(previous) - len(turns)]):
            break
    return " ".join(turns)


def asked_kind(question: str) -> str:
    """The first kind of question_kinds.toml whose words the question uses, else general."""
    for name, pattern in question_kinds()[:-1]:
        if pattern.search(question):
            return name
    return "general"


def is_comparison(question: str) -> bool:
    return bool(question_kinds()[-1][1].search(question))


def analyse(question: str, history: list[Turn], plan: PlanIndex) -> Analysis:
    """The typed reading of ``question`` (already cleaned) against what is indexed."""
    english = is_english(question)
    blocked = guard(question)
    previous = [t.content for t in history if t.role == "user" and t.content.strip()]
    follow_up = bool(previous) and is_follow_up(question, previous)
    # The follow-up's own asking words (多少, 哪些, 谁) say what kind of fact, not what it is about.
    query = f"{follow_up_topic(previous)} {_ASKING.sub(' ', question).strip()}" if follow_up else question
    jurisdictions = plan.jurisdictions()
    # An organisation named in full ("国家数据局", "公安部") is that one, not a short alias inside it (数据局).
    exact = [name for name in find_organisations(question, tuple(sorted(jurisdictions))) if name in plan.by_agency]
    agencies = tuple(dict.fromkeys(exact + find_agencies(question, plan.agencies, jurisdictions)))
    if blocked:
        return Analysis(question, query, query, "general", guard=blocked, english=english, follow_up=follow_up)

    named, places, outside = _places(query, plan)
    own_places, own_outside, own_referred = [], None, set()
    if follow_up:
        # A place the follow-up names replaces the one of the turn before.
        own_named, own_places, own_outside = _places(question, plan)
        if own_places or own_outside:
            named, places, outside = own_named, own_places, own_outside
    levels = {place_level(p) for p in places} | {d.level for d in named}
    national_docs = {d.doc_id for d in plan.documents.values() if document_level(d) == NATIONAL}
    referred, about = referenced_documents(query, list(plan.documents.values()))
    if follow_up:
        # A document the follow-up names itself replaces the one of the turn before.
        own_referred, _ = referenced_documents(question, list(plan.documents.values()))
        if own_referred:
            referred = own_referred
    # A follow-up that points nowhere itself looks where the turn before pointed (a ministry it named).
    pointing = query if follow_up and not (own_referred or own_places or own_outside) else question
    if _NATIONAL_WORDS.search(pointing):
        levels.add(NATIONAL)
        if national_docs and not places and not referred:
            referred = set(national_docs)
    if not places and means_province(query):
        places = [p for p in jurisdictions if place_level(p) == "province"]
        levels.add("province")
    if outside and (NATIONAL in levels and national_docs):
        outside = None  # "国家的意见在成都适用吗": the national documents answer it

    asks = _asks(question, query, agencies, plan)
    return Analysis(
        question=question,
        query=query,
        about=about,
        asks=asks,
        comparison=is_comparison(question) and (len(levels) > 1 or len(places) > 1 or len(referred) > 1),
        places=tuple(places),
        named_places=tuple(named),
        outside=outside,
        levels=tuple(sorted(levels)),
        documents=frozenset(referred),
        agencies=agencies,
        follow_up=follow_up,
        english=english,
        subject=(query if asked_kind(question) == "general" and not _names_subject(question) else question) if follow_up else about,
    )


def _names_subject(question: str) -> bool:
    """Whether the question has a word of its own that says what it is about (not a kind, place or version word)."""
    rest = _ASKING.sub(" ", without_version_words(_without_kind_words(_PUNCTUATION.sub("", question))))
    return bool(content_words(rest))


def _asks(question: str, query: str, agencies: tuple[str, ...], plan: PlanIndex) -> str:
    if _DESCRIBES_ASKER.search(question) and _ASKS_IF_ELIGIBLE.search(question) and _FIRST_PERSON.search(question):
        return "eligibility"
    if agencies and _REVERSE_WORDS.search(question):
        return "reverse_agency"
    kind = asked_kind(question)
    if kind == "general" and query != question:
        kind = asked_kind(query)  # "那它呢?" asks what the question it follows asked
    if kind in ("deadline", "contact", "date") and _CONSULTATION.search(question):
        if any(d.notice for d in plan.documents.values()):
            return "consultation"
    return kind


def _first_mention(jurisdiction: str, text: str) -> int | None:
    """Where ``text`` first names the jurisdiction, by its full name or its stem of two characters or more."""
    short = stem(jurisdiction)
    found = [at for at in (text.find(jurisdiction), text.find(short) if len(short) >= 2 else -1) if at >= 0]
    return min(found) if found else None


def _places(query: str, plan: PlanIndex) -> tuple[list[Division], list[str], str | None]:
    """Places of the gazetteer the query names; the indexed jurisdictions it points at; a named place none covers."""
    lowered = query.lower()
    text = query + " " + " ".join(zh for en, zh in _PLACES_EN.items() if re.search(rf"\b{en}\b", lowered))
    # Sorted, never a set's order: which place comes first must not change from one process to the next.
    jurisdictions = sorted(plan.jurisdictions())
    # An indexed jurisdiction named by its full name or its stem ("示例市", "示例"), in the order the query names them.
    mentioned = {j: _first_mention(j, text) for j in jurisdictions}
    places = sorted((j for j, at in mentioned.items() if at is not None), key=lambda j: (mentioned[j], -len(j), j))
    named = [d for d in gazetteer().find(text) if not any(d.name in p or p in d.name for p in places)]
    outside = None
    for division in named:
        holders = [j for j in jurisdictions if covers(j, division)]
        if holders:
            places += [h for h in holders if h not in places]
            continue
        inside = [j for j in jurisdictions if covers(division.name, j)]  # 浙江 named, 温州市 indexed
        if inside:
            places += [j for j in inside if j not in places]
        elif outside is None:
            outside = division.short if division.level == "province" else division.name
    if places:
        outside = None  # "杭州和上海": what is covered is answered
    return named, places, outside
