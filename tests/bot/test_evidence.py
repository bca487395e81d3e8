"""Stage 3 (evidence) and stage 4 (stated facts) on small synthetic documents: which sentence answers,
what the quote holds, which document answers first, and when a fact is "not stated"."""

from bot.analysis import analyse
from bot.compose import stated_fact
from bot.evidence import restated_source, select
from bot.planindex import PlanIndex
from ingest.models import Chunk, Clause, Document
from vectorstore.retriever import ScoredChunk

POLICY = "示范省关于支持合成数据产业发展的若干措施"


def _document(doc_id: str, title: str, clauses: list[tuple[str, str]], jurisdiction: str = "示范省") -> Document:
    return Document(
        doc_id=doc_id, content_hash=doc_id, source=f"{doc_id}.txt", title=title, jurisdiction=jurisdiction,
        clauses=[
            Clause(id=f"{doc_id}-{n}", doc_id=doc_id, path=[heading], title=heading.split("、")[-1], kind="section", text=text)
            for n, (heading, text) in enumerate(clauses)
        ],
    )


def _hits(plan: PlanIndex, *ranked: tuple[str, float]) -> list[ScoredChunk]:
    """Retrieval's output as the evidence stage receives it: clause ids with their scores, best first."""
    hits = []
    for clause_id, score in ranked:
        clause = plan.clauses[clause_id]
        document = plan.documents[clause.doc_id]
        chunk = Chunk(
            id=f"chunk-{clause_id}", doc_id=document.doc_id, clause_id=clause_id, clause_path=clause.clause_path,
            text=clause.text, doc_title=document.title, source=document.source, jurisdiction=document.jurisdiction,
        )
        hits.append(ScoredChunk(chunk=chunk, score=score))
    return hits


def _evidence(question: str, plan: PlanIndex, *ranked: tuple[str, float]):
    analysis = analyse(question, [], plan)
    return analysis, select(analysis, _hits(plan, *ranked), plan)


def test_the_sentence_holding_the_question_own_words_answers_not_a_bigger_cap_beside_it():
    policy = _document("p", POLICY, [(
        "三、支持语料清洗",
        "对新建的合成数据评测平台，单个平台补助不超过800万元。对年度营业收入首次超过5000万元的语料清洗企业给予一次性奖励30万元。",
    )])
    plan = PlanIndex.from_documents([policy])
    _, found = _evidence("语料清洗企业的奖励是多少钱", plan, ("p-0", 1.0))
    assert "30万元" in found[0].fact and "800万元" not in found[0].fact


def test_a_per_firm_cap_is_quoted_without_the_scheme_total_beside_it():
    policy = _document("p", POLICY, [(
        "二、发放合成数据券",
        "省级每年安排合成数据券总额2亿元，对中小企业购买合成数据服务的，按实际支付费用的25%给予补助，单家企业年度补助上限150万元。",
    )])
    plan = PlanIndex.from_documents([policy])
    analysis, found = _evidence("合成数据券对单家企业的年度补助上限是多少钱", plan, ("p-0", 1.0))
    lines, citations = stated_fact(analysis, found, plan)
    assert "150万元" in lines[0]
    assert "150万元" in citations[0].quote and "2亿元" not in citations[0].quote
    assert "2亿元" in citations[0].clause_text  # the whole clause stays with the citation


def test_a_long_target_sentence_is_answered_from_the_target_asked_not_a_shorter_clause_sharing_the_year():
    plan = PlanIndex.from_documents([_document("n", "国务院关于推进合成数据发展的意见", [
        ("（六）合成数据+交通", "到2029年推动5万家以上物流企业开展数据治理。"),
        ("（二）主要目标", "到2029年，合成数据与实体经济融合取得显著成效，全国合成数据交易规模超过800亿元，"
         "建成40个以上国家级合成数据开放平台，培育15个以上具有国际竞争力的合成数据标注基地，打造200个以上典型应用场景，"
         "数据要素市场化配置改革取得突破，重点行业数据治理能力明显增强，数据安全保障体系更加健全。"),
    ], jurisdiction=None)])
    _, found = _evidence("意见提出培育几个合成数据标注基地", plan, ("n-0", 1.0), ("n-1", 0.95))
    assert found[0].clause.path == ["（二）主要目标"]
    assert "15个以上" in found[0].fact
    assert "40个以上" not in found[0].quote and "200个以上" not in found[0].quote


def test_the_policy_answers_before_its_interpretation_which_may_follow():
    policy = _document("p", POLICY, [("六、强化金融支持", "对合成数据企业的技术改造项目，按同期贷款市场报价利率(LPR)的40%给予贴息。")])
    reading = _document("r", f"《{POLICY}》政策解读", [("八、", "问：贴息怎么算？\n答：按同期贷款市场报价利率(LPR)的40%给予贴息。")])
    plan = PlanIndex.from_documents([policy, reading])
    assert restated_source(reading, plan) == {"p"} and restated_source(policy, plan) == set()
    analysis, found = _evidence("合成数据企业技术改造贷款的贴息比例", plan, ("r-0", 1.0), ("p-0", 0.8))
    assert found[0].document.doc_id == "p"
    lines, citations = stated_fact(analysis, found, plan)
    assert citations[0].doc_title == POLICY and "40%" in lines[0]


def test_an_interpretation_answers_first_with_a_fact_its_policy_does_not_state():
    policy = _document("p", POLICY, [("二、发放合成数据券", "对中小企业购买合成数据服务的，按实际支付费用的25%给予补助。")])
    reading = _document("r", f"《{POLICY}》政策解读", [(
        "五、", "问：省级和市级合成数据券能否叠加？\n答：可以叠加，但省、市两级补助合计不得超过实际支付费用的60%。",
    )])
    plan = PlanIndex.from_documents([policy, reading])
    _, found = _evidence("两级合成数据券叠加时合计封顶多少", plan, ("r-0", 1.0), ("p-0", 0.8))
    assert found[0].document.doc_id == "r" and "60%" in found[0].fact
    assert "问" not in found[0].fact  # the 问答's own question states nothing


def test_a_phone_in_a_clause_is_contact_evidence_and_never_quoted_as_not_stated():
    reading = _document("r", f"《{POLICY}》政策解读", [(
        "十二、政策咨询", "问：遇到问题可以咨询谁？\n答：企业可拨打省数据局产业处电话0571-86001234咨询。",
    )])
    plan = PlanIndex.from_documents([reading, _document("p", POLICY, [("一、总则", "为加快合成数据产业发展，制定本措施。")])])
    analysis, found = _evidence("找谁咨询合成数据措施的问题，联系方式是什么", plan, ("r-0", 1.0), ("p-0", 0.9))
    lines, _ = stated_fact(analysis, found, plan)
    assert "0571-86001234" in lines[0] and "没有规定" not in lines[0]


def test_contact_lines_carrying_the_question_words_are_the_answer():
    notice = _document("n", "示范市关于组织申报合成数据券的通知", [(
        "六、联系方式", "政策咨询：示范市数据局产业处，联系人：王立，联系电话：0570-81234567；\n技术支持：示范市大数据中心，联系人：李安，联系电话：0570-81234999。",
    )], jurisdiction="示范市")
    plan = PlanIndex.from_documents([notice])
    _, found = _evidence("申报系统出故障要找技术支持，联系方式是什么", plan, ("n-0", 1.0))
    assert "0570-81234999" in found[0].fact and "0570-81234567" not in found[0].fact


def test_a_count_of_another_thing_is_not_the_count_asked():
    policy = _document("p", POLICY, [(
        "5.征集发布场景", "每年征集发布合成数据应用场景300个以上。对入选标杆场景的项目，按项目投资额的20%给予补助，最高200万元。",
    )])
    plan = PlanIndex.from_documents([policy])
    analysis, found = _evidence("同一家企业可以有几个项目入选标杆场景", plan, ("p-0", 1.0))
    assert found[0].fact is None
    lines, _ = stated_fact(analysis, found, plan)
    assert "没有规定" in lines[0] and "**" not in lines[0]


def test_a_follow_up_naming_only_a_place_keeps_the_subject_of_the_turn_before():
    from bot.models import Turn

    city = _document("c", "示范市合成数据专项资金管理办法", [(
        "第六条", "第六条　合成数据券。对企业购买合成数据服务的，实行分段补助：50万元（含）以下部分按35%补助；50万元以上部分按25%补助。",
    )], jurisdiction="示范市")
    plan = PlanIndex.from_documents([city, _document("p", POLICY, [("二、合成数据券", "按实际支付费用的25%给予补助。")])])
    history = [Turn(role="user", content="示范省合成数据券的补助比率"), Turn(role="assistant", content="按25%给予补助。")]
    analysis = analyse("示范市呢？", history, plan)
    found = select(analysis, _hits(plan, ("c-0", 1.0)), plan)
    assert "35%" in found[0].fact and "25%" in found[0].fact


def test_two_facts_asked_of_one_clause_are_each_stated():
    city = _document("c", "示范市合成数据专项资金管理办法", [(
        "第十条", "第十条　数据标注培训。对企业组织员工参加数据标注职业技能培训并取得证书的，按每人800元给予培训补贴，每家企业每年不超过30万元。",
    )], jurisdiction="示范市")
    plan = PlanIndex.from_documents([city])
    analysis, found = _evidence("数据标注培训补贴按人算是多少钱？单个企业全年最多拿多少钱？", plan, ("c-0", 1.0))
    lines, citations = stated_fact(analysis, found, plan)
    assert "800元" in lines[0] and "30万元" in lines[0]
    assert "800元" in citations[0].quote and "30万元" in citations[0].quote


def test_a_total_asked_is_answered_by_the_total_not_the_cap():
    policy = _document("p", POLICY, [(
        "二、发放合成数据券",
        "省级每年安排合成数据券总额2亿元，对中小企业购买合成数据服务的，按实际支付费用的25%给予补助，单家企业年度补助上限150万元。",
    )])
    plan = PlanIndex.from_documents([policy])
    _, found = _evidence("合成数据券的资金盘子一年总额多大", plan, ("p-0", 1.0))
    assert "2亿元" in found[0].fact and "150万元" not in found[0].fact


def test_a_worked_example_in_an_interpretation_is_not_the_rule():
    reading = _document("r", f"《{POLICY}》政策解读", [(
        "四、", "问：企业一年支付合成数据服务费用400万元，能拿多少？\n答：按25%计算为100万元，未超过单家企业年度补助上限150万元。"
        "如果一年支付800万元，按25%计算为200万元，超过年度上限，按150万元补助。",
    )])
    plan = PlanIndex.from_documents([reading])
    _, found = _evidence("解读里说的合成数据券单家企业年度补助上限是多少钱", plan, ("r-0", 1.0))
    assert found[0].fact is not None and "上限150万元" in found[0].fact
    assert "400万元" not in found[0].fact and "800万元" not in found[0].fact


def test_two_documents_of_one_place_stating_a_target_are_each_stated_and_cited():
    draft = _document("d", "示范省合成数据行动计划（征求意见稿）", [("一、总体目标", "到2028年，培育形成12个以上合成数据标注基地。")])
    issued = _document("m", "示范省关于加快合成数据产业发展的若干措施", [("一、发展目标", "到2028年，建成合成数据标注基地30个以上。")])
    plan = PlanIndex.from_documents([draft, issued])
    analysis, found = _evidence("示范省要建多少个合成数据标注基地", plan, ("d-0", 1.0), ("m-0", 0.75))
    lines, citations = stated_fact(analysis, found, plan)
    assert {c.doc_title for c in citations} == {draft.title, issued.title}
    text = "\n".join(lines)
    assert "12个以上" in text and "30个以上" in text


def test_a_role_no_clause_names_is_not_stated_by_the_units_responsible_for_the_clause():
    from bot.compose import agencies_answer

    policy = _document("p", POLICY, [(
        "六、强化金融支持",
        "引导省产业基金联合社会资本设立规模不低于50亿元的合成数据产业子基金。（责任单位：省委金融办、省财政厅）",
    )])
    policy.clauses[0].responsible_agencies = ["省委金融办", "省财政厅"]
    plan = PlanIndex.from_documents([policy])
    analysis, found = _evidence("合成数据产业子基金的托管方是哪家机构", plan, ("p-0", 1.0))
    lines, _ = agencies_answer(analysis, found, plan)
    assert lines[0].startswith("已收录的文件未载明托管方") and "牵头" not in lines[0]
    analysis, found = _evidence("合成数据产业子基金归口哪个厅局", plan, ("p-0", 1.0))
    lines, _ = agencies_answer(analysis, found, plan)
    assert "省委金融办（牵头）" in lines[0]
