"""Parsing: clause paths, metadata and notices a citizen sees in every cited answer."""

from __future__ import annotations

import shutil

import pytest

from ingest.pipeline import parse_file

PLAN_PATHS = [
    "征求意见通知",
    "前言",
    "一、总体目标",
    "二、重点领域 › （一）人工智能+科学",
    "二、重点领域 › （二）人工智能+制造",
    "二、重点领域 › （三）人工智能+医疗",
    "二、重点领域 › （四）人工智能+教育",
    "二、重点领域 › （五）人工智能+消费",
    "二、重点领域 › （六）人工智能+农业",
    "二、重点领域 › （七）人工智能+交通",
    "二、重点领域 › （八）人工智能+海洋",
    "二、重点领域 › （九）人工智能+时空",
    "二、重点领域 › （十）人工智能+治理",
    "二、重点领域 › （十一）人工智能+能源",
    "二、重点领域 › （十二）人工智能+金融",
    "三、保障措施 › （一）加强组织领导保障",
    "三、保障措施 › （二）加快推动场景开放",
    "三、保障措施 › （三）加强创新要素供给",
    "三、保障措施 › （四）加强金融信贷支持",
    "三、保障措施 › （五）加强舆论宣传引导",
]


@pytest.fixture(scope="module")
def plan(plan_path):
    return parse_file(plan_path)


@pytest.fixture(scope="module")
def rules_pdf(fixture_files):
    return parse_file(fixture_files["rules_pdf"])


@pytest.fixture(scope="module")
def rules_docx(fixture_files):
    return parse_file(fixture_files["rules_docx"])


def by_path(document):
    return {clause.clause_path: clause for clause in document.clauses}


def article(document, marker):
    """The clause of article ``marker`` (e.g. '第十条') or, if it has items, all its clauses joined."""
    matches = [c for c in document.clauses if any(seg.split(" ")[0] == marker for seg in c.path)]
    assert matches, f"{marker} not found in {[c.clause_path for c in document.clauses]}"
    return matches


# --- the bundled plan --------------------------------------------------------------------
def test_plan_clause_paths(plan):
    assert len(plan.clauses) == 20
    assert [c.clause_path for c in plan.clauses] == PLAN_PATHS


def test_plan_clause_kinds_and_titles(plan):
    clauses = by_path(plan)
    assert clauses["征求意见通知"].kind == "notice"
    assert clauses["前言"].kind == "preamble"
    medical = clauses["二、重点领域 › （三）人工智能+医疗"]
    assert (medical.number, medical.title, medical.kind) == ("（三）", "人工智能+医疗", "section")
    assert medical.text.startswith("（三）人工智能+医疗。建设人工智能生物医药")
    assert "特制定本行动计划" in clauses["前言"].text


def test_plan_metadata(plan):
    assert "人工智能+" in plan.title
    assert "征求意见稿" in plan.title
    assert plan.status == "征求意见稿"
    assert plan.is_draft
    assert plan.jurisdiction == "浙江省"
    assert plan.issuer == "浙江省发展和改革委员会"
    assert plan.date == "2024年10月8日"
    assert plan.source == "zhejiang-ai-plus-action-plan-2024-2027-draft.txt"


def test_plan_notice(plan):
    notice = plan.notice
    assert notice is not None
    assert notice.deadline.startswith("2024年10月17日")
    assert notice.contacts == ["袁妍", "柳润宁"]
    assert notice.phones == ["0571-87057297"]
    assert notice.emails == ["liu_r_n@163.com"]
    assert notice.postcode == "310025"
    assert "省府路8号" in notice.address
    assert "创新与高技术发展处" in notice.recipient


def test_plan_agencies_lead_first(plan):
    medical = by_path(plan)["二、重点领域 › （三）人工智能+医疗"]
    assert medical.responsible_agencies == ["省卫生健康委", "省药监局", "省发展改革委", "省经信厅", "省科技厅"]
    assert medical.lead_agency == "省卫生健康委"


def test_plan_nested_parentheses_stay_in_one_agency(plan):
    finance = by_path(plan)["二、重点领域 › （十二）人工智能+金融"]
    assert "省委金融办（省地方金融局）" in finance.responsible_agencies
    assert "省地方金融局" not in finance.responsible_agencies
    assert "省委金融办" not in finance.responsible_agencies
    assert finance.responsible_agencies[0] == "人行浙江省分行"
    assert "金融监管总局浙江监管局" in finance.responsible_agencies


def test_plan_guarantee_clauses_have_no_agencies(plan):
    assert all(not c.responsible_agencies for c in plan.clauses if c.path[0] == "三、保障措施")


def test_plan_has_no_pinyin_left(plan):
    pinyin = ["zhengfu", "gaoji", "guanfangwangzhan", "biaogan", "quanwei", "zongju", "caigou", "lingjun", "youxiu", "lingxian", "yiliu"]
    for clause in plan.clauses:
        for word in pinyin:
            assert word not in clause.text, f"{word!r} left in {clause.clause_path}"
    texts = "\n".join(c.text for c in plan.clauses)
    assert "政府引导" in texts and "高级别自动驾驶" in texts and "官方网站" in texts


def test_plan_uses_chinese_punctuation(plan):
    for clause in plan.clauses:
        assert "(责任单位" not in clause.text
        assert "," not in clause.text, clause.clause_path


# --- a 第X章 / 第X条 document (PDF) -------------------------------------------------------------
def test_rules_pdf_metadata(rules_pdf, fixture_gen):
    assert rules_pdf.title == fixture_gen.TITLE
    assert rules_pdf.status == "施行"
    assert not rules_pdf.is_draft
    assert rules_pdf.effective_date == "2025年4月1日"
    assert rules_pdf.expiry_date == "2027年12月31日"
    assert rules_pdf.jurisdiction == "示例市"
    assert rules_pdf.issuer == "示例市发展和改革委员会"
    assert rules_pdf.date == "2025年3月1日"
    assert rules_pdf.notice is None


def test_rules_pdf_chapter_article_paths(rules_pdf, fixture_gen):
    paths = [c.clause_path for c in rules_pdf.clauses]
    assert "第一章 总则 › 第一条" in paths
    assert "第二章 支持对象和条件 › 第四条" in paths
    assert "第三章 支持标准 › 第七条" in paths
    assert "第五章 附则 › 第十五条" in paths
    chapters = {chapter.replace(fixture_gen.IDSP, " ") for chapter, _ in fixture_gen.CHAPTERS}
    for clause in rules_pdf.clauses:
        if clause.kind == "article":
            assert clause.path[0] in chapters
            assert clause.path[1] == clause.number
    for chapter, marker, _ in fixture_gen.iter_articles():
        assert article(rules_pdf, marker)[0].path[0] == chapter.replace(fixture_gen.IDSP, " ")


def test_rules_pdf_one_clause_per_article(rules_pdf, fixture_gen):
    expected = ["前言"] + [
        f"{chapter.replace(fixture_gen.IDSP, ' ')} › {marker}" for chapter, marker, _ in fixture_gen.iter_articles()
    ]
    assert [c.clause_path for c in rules_pdf.clauses] == expected
    assert "第二章 支持对象和条件 › 第五条" in expected


def test_rules_pdf_pages(rules_pdf):
    assert article(rules_pdf, "第一条")[0].page == 1
    assert article(rules_pdf, "第七条")[0].page == 2
    assert article(rules_pdf, "第十三条")[0].page == 3
    assert all(c.page in (1, 2, 3) for c in rules_pdf.clauses)


def test_rules_pdf_wrapped_sentences_rejoined(rules_pdf):
    tenth = article(rules_pdf, "第十条")[0]
    assert "申请时间为每年3月1日至4月30日，逾期未提交申请的" in tenth.text
    # 第五条（五） runs from page 1 onto page 2, across the footer and the running header.
    fifth = "\n".join(c.text for c in article(rules_pdf, "第五条"))
    assert "近三年未发生重大安全生产、生态环境和数据安全事故。" in fifth
    for clause in rules_pdf.clauses:
        assert "示例市人民政府文件" not in clause.text
        assert "- 1 -" not in clause.text and "- 2 -" not in clause.text


def test_rules_pdf_article_text(rules_pdf):
    seventh = article(rules_pdf, "第七条")[0]
    assert seventh.text == "第七条 算力券按照企业上一年度实际支付的算力服务费用的30%给予支持，每家企业每年最高不超过100万元。"
    assert seventh.kind == "article"


def test_rules_pdf_no_item_lost(rules_pdf, fixture_gen):
    everything = "\n".join(c.text for c in rules_pdf.clauses)
    for _, arts in fixture_gen.CHAPTERS:
        for _, _, extra in arts:
            for paragraph in extra:
                assert paragraph in everything, paragraph


def test_rules_pdf_article_lead_in_is_not_a_heading(rules_pdf):
    fifth = article(rules_pdf, "第五条")
    assert all(c.path[:2] == ["第二章 支持对象和条件", "第五条"] for c in fifth)
    assert any("申请企业应当同时具备下列条件" in c.text for c in fifth)


def test_docx_gives_same_articles_as_pdf(rules_pdf, rules_docx):
    assert [c.clause_path for c in rules_docx.clauses] == [c.clause_path for c in rules_pdf.clauses]
    for key in ("title", "status", "effective_date", "expiry_date", "jurisdiction", "issuer", "date"):
        assert getattr(rules_docx, key) == getattr(rules_pdf, key), key
    for pdf_clause, docx_clause in zip(rules_pdf.clauses, rules_docx.clauses):
        if pdf_clause.kind == "article":
            flat = lambda s: s.replace("(", "（").replace(")", "）")  # noqa: E731
            assert flat(docx_clause.text) == flat(pdf_clause.text), pdf_clause.clause_path


def test_docx_and_pdf_article_texts_identical(rules_pdf, rules_docx):
    for pdf_clause, docx_clause in zip(rules_pdf.clauses, rules_docx.clauses):
        if pdf_clause.kind == "article":
            assert docx_clause.text == pdf_clause.text, pdf_clause.clause_path


# --- 一、/（一）/1./（1） nesting (Markdown and HTML) -----------------------------------------------
@pytest.mark.parametrize("key", ["short_md", "short_html"])
def test_short_policy_nesting(fixture_files, key):
    document = parse_file(fixture_files[key])
    paths = [c.clause_path for c in document.clauses]
    assert "一、加大信贷支持力度 › （一）扩大首贷和信用贷投放 › 1." in paths
    assert "一、加大信贷支持力度 › （二）完善政府性融资担保体系 › 2." in paths
    assert "二、拓宽直接融资渠道 › （一）支持企业挂牌上市 › 1." in paths
    assert "三、保障措施" in paths
    clauses = by_path(document)
    first = clauses["一、加大信贷支持力度 › （一）扩大首贷和信用贷投放 › 1."]
    assert first.text.startswith("1. 鼓励银行机构对首次获得贷款的中小企业给予利率优惠")
    listing = clauses["二、拓宽直接融资渠道 › （一）支持企业挂牌上市 › 1."]
    assert listing.responsible_agencies == ["省委金融办（省地方金融局）", "示例证监局"]
    assert document.jurisdiction == "示例省"
    assert document.status == "施行"
    assert document.effective_date == "2025年1月1日"
    assert not any("#" in c.text or "**" in c.text or "<p" in c.text for c in document.clauses)
    assert not any("_hmt" in c.text or "analytics" in c.text for c in document.clauses)


@pytest.mark.parametrize("key", ["short_md", "short_html"])
def test_short_policy_arabic_paren_level(fixture_files, key):
    paths = [c.clause_path for c in parse_file(fixture_files[key]).clauses]
    assert "一、加大信贷支持力度 › （一）扩大首贷和信用贷投放 › 2. › （1）" in paths
    assert "一、加大信贷支持力度 › （一）扩大首贷和信用贷投放 › 2. › （2）" in paths


def test_short_policy_block_agencies_cover_every_item(fixture_files):
    clauses = by_path(parse_file(fixture_files["short_md"]))
    first = clauses["一、加大信贷支持力度 › （一）扩大首贷和信用贷投放 › 1."]
    assert first.responsible_agencies == ["省经信厅", "省委金融办（省地方金融局）"]


def test_html_title_is_the_document_title(fixture_files, fixture_gen):
    assert parse_file(fixture_files["short_html"]).title == fixture_gen.SHORT_TITLE


def test_md_title(fixture_files, fixture_gen):
    assert parse_file(fixture_files["short_md"]).title == fixture_gen.SHORT_TITLE


# --- stable ids -------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["rules_pdf", "rules_docx", "short_md", "short_html"])
def test_clause_ids_stable(fixture_files, key):
    first = parse_file(fixture_files[key])
    second = parse_file(fixture_files[key])
    assert [c.id for c in first.clauses] == [c.id for c in second.clauses]
    assert first.doc_id == second.doc_id and first.content_hash == second.content_hash
    assert len({c.id for c in first.clauses}) == len(first.clauses)


def test_plan_ids_stable_and_independent_of_folder(plan, plan_path, tmp_path):
    copy = tmp_path / plan_path.name
    shutil.copy(plan_path, copy)
    again = parse_file(copy)
    assert again.doc_id == plan.doc_id
    assert [c.id for c in again.clauses] == [c.id for c in plan.clauses]
    assert len({c.id for c in plan.clauses}) == 20


def test_changed_clause_changes_only_its_id(plan, plan_path, tmp_path):
    copy = tmp_path / plan_path.name
    copy.write_text(plan_path.read_text(encoding="utf-8").replace("降低研发成本", "大幅降低研发成本"), encoding="utf-8")
    changed = parse_file(copy)
    assert changed.doc_id == plan.doc_id
    assert changed.content_hash != plan.content_hash
    differing = [a.clause_path for a, b in zip(plan.clauses, changed.clauses) if a.id != b.id]
    assert differing == ["二、重点领域 › （三）人工智能+医疗"]


def test_call_for_comments_printed_without_an_attachment_line(tmp_path):
    """A notice headed "关于公开征求…意见的公告" with no 附件 line is the draft's notice, not its preamble."""
    path = tmp_path / "draft.txt"
    path.write_text(
        "青禾市低空经济发展若干措施（征求意见稿）\n（测试样例）\n青禾市发展改革委\n2025年4月2日\n"
        "关于公开征求《青禾市低空经济发展若干措施（征求意见稿）》意见的公告\n"
        "现向社会公开征求意见。请于2025年4月30日前将意见反馈至青禾市发展改革委高技术处，并注明联系方式。\n"
        "联系人：王一；联系电话：0571-12345678；电子邮箱：dikong@example.cn；\n"
        "为发展低空经济，制定以下措施。\n"
        "一、支持航线开通。对新开通的低空航线给予补助。（责任单位：青禾市交通局）\n",
        encoding="utf-8",
    )
    document = parse_file(path)
    assert document.notice is not None and document.is_draft
    assert document.notice.deadline == "2025年4月30日"
    assert document.notice.contacts == ["王一"] and document.notice.phones == ["0571-12345678"]
    assert document.notice.recipient == "青禾市发展改革委高技术处"
    preamble = next(c for c in document.clauses if c.clause_path == "前言")
    assert "征求意见" not in preamble.text and "为发展低空经济" in preamble.text


def test_a_final_that_mentions_its_consultation_has_no_notice(tmp_path):
    path = tmp_path / "final.txt"
    path.write_text(
        "青禾市低空经济发展若干措施\n（测试样例）\n青政办发〔2025〕9号\n青禾市人民政府办公室\n2025年6月2日\n"
        "本措施在公开征求意见稿的基础上，根据社会各界反馈意见作了修改完善。\n"
        "一、支持航线开通。对新开通的低空航线给予补助。（责任单位：青禾市交通局）\n",
        encoding="utf-8",
    )
    document = parse_file(path)
    assert document.notice is None and not document.is_draft
