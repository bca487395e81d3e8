"""Document facts where real policies put them: 文号 under the title, a signature block at the end
(several issuers, a date), labelled facts on web pages, validity periods, national documents, attachments."""

from __future__ import annotations

from ingest.pipeline import parse_file

SIGNED_AT_THE_END = """某某省人民政府办公厅关于支持智能制造的若干措施（测试样例）
某政办发〔2026〕7号
各市人民政府，省政府直属各单位：
为推动智能制造发展，制定以下措施。
一、支持技术改造。对总投资不低于2000万元的项目，按设备投资的10%给予补助，自2026年3月1日起受理。
二、附则。本措施自2026年5月1日起施行，有效期3年。在征求意见稿的基础上，本措施吸收了各方意见。
某某省经济和信息化厅　某某省财政厅
2026年4月2日
（此件公开发布）
"""

NATIONAL_WITH_ATTACHMENTS = """工业和信息化部办公厅关于开展智能工厂遴选工作的通知（测试样例）
工信厅通装函〔2026〕3号
各省、自治区、直辖市工业和信息化主管部门：
一、遴选范围
（一）已建成投产的工厂。
（二）申报单位不得重复申报，已入选的，不再申报。
（三）公示无异议的，名单于2026年12月31日前发布。
二、联系方式
联系人：王某，电话：010-12345678。
附件：1. 申报书
2. 推荐汇总表
工业和信息化部办公厅
2026年6月1日
附件2
推荐汇总表
1.填表单位盖章。
"""

WEB_PAGE_INTERPRETATION = """《某某市算力补助办法》政策解读（测试样例）
发布机构：某某市数据局　　发布日期：2026年2月3日　　发文字号：某数〔2026〕2号
一、出台背景
问：为什么出台？答：为了降低企业算力成本。
"""


def parse(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return parse_file(path)


def test_a_signature_block_gives_every_issuer_and_the_date_of_issue_not_the_first_date(tmp_path):
    doc = parse(tmp_path, "signed.txt", SIGNED_AT_THE_END)
    assert doc.doc_number == "某政办发〔2026〕7号"
    assert doc.issuer == "某某省经济和信息化厅、某某省财政厅"
    assert doc.date == "2026年4月2日"
    assert doc.jurisdiction == "某某省"
    # A final version may mention the draft it came from; it is still in force, for three years.
    assert doc.status == "施行" and doc.effective_date == "2026年5月1日" and doc.expiry_date == "2029年4月30日"
    last = doc.clauses[-1].text
    assert last.endswith("吸收了各方意见。") and "财政厅" not in last and "此件公开发布" not in last


def test_national_documents_are_nationwide_and_attachments_are_their_own_clauses(tmp_path):
    doc = parse(tmp_path, "national.txt", NATIONAL_WITH_ATTACHMENTS)
    assert doc.jurisdiction == "全国" and doc.issuer == "工业和信息化部办公厅" and doc.date == "2026年6月1日"
    paths = [c.clause_path for c in doc.clauses]
    assert "一、遴选范围 › （三）" in paths  # a short item ending in 。 is a sentence, not a lost heading
    assert "（三）公示无异议的，名单于2026年12月31日前发布。" in doc.clauses[paths.index("一、遴选范围 › （三）")].text
    assert "二、联系方式" in paths and "附件" in paths and "附件2 推荐汇总表" not in "".join(c.text for c in doc.clauses[:3])
    listing = doc.clauses[paths.index("附件")].text
    assert "1. 申报书" in listing and "2. 推荐汇总表" in listing
    assert any(p.startswith("附件2") for p in paths)
    assert not any("2026年6月1日" in c.text for c in doc.clauses)


def test_labelled_facts_on_a_web_page(tmp_path):
    doc = parse(tmp_path, "page.txt", WEB_PAGE_INTERPRETATION)
    assert (doc.issuer, doc.date, doc.doc_number, doc.jurisdiction) == ("某某市数据局", "2026年2月3日", "某数〔2026〕2号", "某某市")
