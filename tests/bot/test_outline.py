"""Lists from a document's structure, reverse agency tasks and follow-ups, on small documents written here."""

import pytest

from bot.analysis import analyse, follow_up_topic, is_follow_up
from bot.models import Turn
from bot.service import PolicyBot
from core.settings import Settings
from bot.outline import section_asked
from bot.planindex import PlanIndex
from bot.roles import leads, task
from ingest.models import Paragraph
from ingest.parser import parse_document

OPINION = """示例省关于推进机器人产业发展的意见（测试样例）
一、总体要求
（一）指导思想。坚持应用牵引，推动机器人产业发展。
（二）主要目标。到2030年，培育机器人企业50家以上。
二、主要任务
（三）夯实产业基础
1.建设机器人共性技术平台，到2030年建成平台5个。（省科技厅牵头，省经信厅按职责分工负责）
2.建设高质量机器人训练数据集。（省数据局牵头，省经信厅、省科技厅按职责分工负责）
（四）拓展应用场景
1.推动机器人在养老服务领域应用。（省民政厅、省经信厅按职责分工负责）
2.推动机器人在物流仓储领域应用。（省商务厅牵头，省经信厅按职责分工负责）
三、组织保障
（五）加强组织领导。建立工作专班，统筹推进各项任务。
（六）加强资金保障。省级财政每年安排资金用于机器人产业。
"""

MEASURES = """样例市促进无人机产业发展的若干政策（测试样例）
一、支持飞控研发。对飞控企业按研发投入的20%给予奖励，最高300万元。
二、支持飞行服务。对低空飞行服务企业给予运营补助，最高100万元。
三、支持场景开放。每年发布低空应用场景20个以上。
"""

RULES = """样例市无人机产业扶持资金使用办法（测试样例）
第一章 总则
第一条 为用好扶持资金，制定本办法。
第二章 支持内容
第二条 飞控研发奖励。对飞控企业给予奖励，最高300万元。
第三条 对飞行服务平台建设，按投入的30%给予补助。
"""


def _document(text: str, source: str):
    return parse_document([Paragraph(text=line) for line in text.splitlines() if line.strip()], source)


def test_a_named_section_lists_every_part_even_headings_without_text_of_their_own():
    opinion = _document(OPINION, "opinion.txt")
    section = section_asked("示例省意见的主要任务有哪些", [opinion], set())
    assert section is not None and section.path == ("二、主要任务",)
    assert [p.label for p in section.parts] == ["夯实产业基础", "拓展应用场景"]
    # A heading over clauses is cited to the first clause under it, verbatim.
    assert all(p.quote in p.clause.text for p in section.parts)
    section = section_asked("组织保障方面有什么安排", [opinion], set())
    assert [p.label for p in section.parts] == ["加强组织领导", "加强资金保障"]
    assert section.parts[1].quote == "省级财政每年安排资金用于机器人产业。"


def test_a_document_named_alone_is_listed_at_its_top_level():
    measures = _document(MEASURES, "measures.txt")
    section = section_asked("样例市无人机若干政策都支持什么", [measures], {measures.doc_id})
    assert section is not None and section.path == ()
    assert [p.label for p in section.parts] == ["支持飞控研发", "支持飞行服务", "支持场景开放"]
    assert section.parts[0].quote.startswith("对飞控企业")


def test_a_question_naming_one_clause_is_not_a_list():
    measures = _document(MEASURES, "measures.txt")
    assert section_asked("无人机飞控研发能得到哪些支持", [measures], {measures.doc_id}) is None
    assert section_asked("飞控研发奖励给到多少钱", [measures], {measures.doc_id}) is None  # asks no list
    # 支持 is in every heading, 飞行 in one: that part is asked about, not the whole document.
    assert section_asked("样例市无人机若干政策对飞行有什么支持", [measures], {measures.doc_id}) is None


def test_untitled_articles_are_named_by_their_first_phrase():
    rules = _document(RULES, "rules.txt")
    section = section_asked("样例市无人机资金的支持内容都有什么", [rules], set())
    assert section is not None and section.path == ("第二章 支持内容",)
    assert [p.label for p in section.parts] == ["飞控研发奖励", "对飞行服务平台建设"]
    assert section.parts[0].quote == "对飞控企业给予奖励，最高300万元。"


def test_a_task_is_the_text_before_its_note_and_the_note_names_the_lead():
    opinion = _document(OPINION, "opinion.txt")
    clause = next(c for c in opinion.clauses if "训练数据集" in c.text)
    work = task(clause)
    assert work.text.endswith("建设高质量机器人训练数据集。") and work.note.startswith("（省数据局牵头")
    assert work.quote in clause.text
    assert leads(work.note, ["省数据局"]) and not leads(work.note, ["省科技厅"])
    assert not leads("（省民政厅、省经信厅按职责分工负责）", ["省民政厅"])
    assert leads("由省商务厅牵头，会同省经信厅推进", ["省商务厅"])
    assert leads("（牵头单位：省科技厅；配合单位：省财政厅）", ["省科技厅"])


def test_a_short_turn_naming_no_subject_of_its_own_follows_up():
    previous = ["示例省机器人训练数据集由谁建设"]
    assert is_follow_up("由哪家单位牵头呢", previous)
    assert is_follow_up("草案里写的是几个", previous)
    assert is_follow_up("数据集最多几个？", previous)  # its one word repeats the topic
    assert not is_follow_up("养老服务机器人谁负责", previous)  # a subject of its own


def test_a_follow_up_keeps_the_topic_and_takes_its_own_kind_and_place():
    # A chain of follow-ups goes back to the turn that named the subject.
    topic = follow_up_topic(["示例省机器人平台哪天开始受理", "需要准备什么", "无人机呢"])
    assert topic == "示例省机器人平台哪天开始受理 需要准备什么 无人机呢"
    assert follow_up_topic(["示例省机器人平台哪天开始受理", "无人机飞控研发奖励有哪些"]) == "无人机飞控研发奖励有哪些"
    plan = PlanIndex.from_documents([
        _document(MEASURES, "measures.txt").model_copy(update={"jurisdiction": "杭州市"}),
        _document(RULES, "rules.txt").model_copy(update={"jurisdiction": "温州市"}),
    ])
    history = [Turn(role="user", content="杭州的无人机飞控研发奖励比例是多少"), Turn(role="assistant", content="20%")]
    analysis = analyse("那温州呢？", history, plan)
    assert analysis.follow_up and analysis.places == ("温州市",)
    assert analysis.asks == "ratio" and "飞控研发" in analysis.query
    assert "飞控研发" in analysis.subject  # the sentence chosen must be about the earlier turn's topic


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    folder = tmp_path_factory.mktemp("policies")
    (folder / "opinion.txt").write_text(OPINION, encoding="utf-8")
    (folder / "measures.txt").write_text(MEASURES, encoding="utf-8")
    settings = Settings(home=tmp_path_factory.mktemp("home"))
    policybot = PolicyBot(settings)
    assert not policybot.ingest([folder]).failures
    return policybot


def test_an_agency_asked_what_it_leads_gets_the_tasks_it_leads(bot):
    answer = bot.ask("省数据局牵头的工作有哪些？")
    assert not answer.refused and len(answer.citations) == 1
    assert "建设高质量机器人训练数据集" in answer.answer  # the task itself, not only its note
    assert answer.citations[0].quote in answer.citations[0].clause_text
    shared = bot.ask("省经信厅参与了什么工作？")  # a unit in every note: all of them, none as the lead
    assert len(shared.citations) == 4 and "（牵头）" not in shared.answer


def test_a_list_question_lists_every_part_of_the_section_each_cited(bot):
    answer = bot.ask("示例省机器人意见在组织保障方面有什么安排？")
    assert "加强组织领导" in answer.answer and "加强资金保障" in answer.answer
    assert [c.clause for c in answer.citations] == ["三、组织保障 › （五）加强组织领导", "三、组织保障 › （六）加强资金保障"]
