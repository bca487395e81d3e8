"""Which documents and which level of government a question points at."""

import pytest

from bot.references import means_province, referenced_documents, title_kind
from ingest.models import Document


def _doc(doc_id: str, title: str, jurisdiction: str) -> Document:
    return Document(doc_id=doc_id, content_hash=doc_id, source=f"{doc_id}.txt", title=title, jurisdiction=jurisdiction)


PLAN = _doc("plan", "浙江省“人工智能+”行动计划（2024—2027年）（征求意见稿）", "浙江省")
CITY_PLANS = [
    _doc(f"city-{i}", f"{city}人工智能发展三年行动方案（2025—2027年）", city)
    for i, city in enumerate(["杭州市", "宁波市", "温州市", "嘉兴市", "湖州市", "绍兴市", "金华市", "衢州市", "舟山市", "台州市"])
]
CITY_OPINIONS = [
    _doc(f"opinion-{i}", f"{city}关于加快推进低空经济高质量发展的实施意见", city)
    for i, city in enumerate(["丽水市", "合肥市", "成都市", "武汉市", "长沙市", "西安市", "青岛市", "厦门市", "福州市", "南昌市"])
]
RULES = _doc("rules", "示例市算力券和智能券实施细则（试行）", "示例市")
ALL = [PLAN, *CITY_PLANS, *CITY_OPINIONS, RULES]


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        (PLAN.title, "计划"),  # not 意见 from （征求意见稿）
        (CITY_PLANS[0].title, "方案"),
        (CITY_OPINIONS[0].title, "意见"),
        (RULES.title, "细则"),
        ("关于印发某事的通知", "通知"),
        ("人工智能产业发展报告", None),
    ],
)
def test_a_title_names_its_kind_by_its_last_kind_word(title, kind):
    assert title_kind(title) == kind


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("低空经济在这个计划里怎么说的", {"plan"}),  # the one document that calls itself a 计划
        ("为什么要出这个行动计划?目的是啥", {"plan"}),
        ("省发改委在AI+行动里是不是总牵头的?", {"plan"}),  # AI → 人工智能: "人工智能+行动" is one title's phrase
        ("这个细则由哪个部门负责解释？", {"rules"}),
        ("算力券和智能券由哪个部门受理？", {"rules"}),  # a phrase only that title has
        ("实施意见里低空经济有哪些任务", {f"opinion-{i}" for i in range(10)}),
    ],
)
def test_a_question_refers_to_documents_by_kind_or_title_phrase(question, expected):
    assert referenced_documents(question, ALL)[0] == expected


@pytest.mark.parametrize(
    "question",
    [
        "到2027年要搞多少个行业大模型",  # no document named
        "征求意见什么时候截止?",  # 征求意见 is the consultation, not a document called 意见
        "人工智能发展有哪些任务",  # a phrase most titles share points at none
    ],
)
def test_a_question_that_names_no_document_prefers_none(question):
    assert referenced_documents(question, ALL) == (set(), question)


def test_one_document_is_never_preferred_over_itself():
    assert referenced_documents("这个计划的目标是什么", [PLAN]) == (set(), "这个计划的目标是什么")


@pytest.mark.parametrize(
    ("question", "about"),
    [
        ("低空经济在这个计划里怎么说的", "低空经济 怎么说的"),
        ("省发改委在AI+行动里是不是总牵头的?", "省发改委 是不是总牵头的?"),
        ("这个细则由哪个部门负责解释？", "这个细则由哪个部门负责解释？"),  # the answer says "本细则由…解释"
        ("这个计划", "这个计划"),  # nothing left to search for: the words stay
    ],
)
def test_the_words_that_name_the_document_are_not_searched_for(question, about):
    assert referenced_documents(question, ALL)[1] == about


@pytest.mark.parametrize(
    ("question", "province"),
    [
        ("我们是AI初创公司,算力成本太高了,省里有啥补贴吗?", True),
        ("省发改委在AI+行动里是不是总牵头的?", True),
        ("项目能不能进省重大产业项目库?", True),
        ("全省要建多少个智能工厂", True),
        ("江苏省发改委负责什么", False),  # a named province: the places check handles it
        ("黑龙江省经信厅负责什么", False),
        ("怎么节省算力成本", False),
        ("杭州市有什么补贴", False),
    ],
)
def test_province_level_words(question, province):
    assert means_province(question) is province
