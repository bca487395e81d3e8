"""Eligibility: conditions extracted from clauses, verdicts at and around each threshold, all cited.

Fixtures are fictional documents labelled 测试样例: the 示例市 voucher rules (PDF and DOCX, made by
tests/fixtures/make_fixtures.py) and a 示例省 research-funding measure for universities written here.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.eligibility import Profile, check_profile, profile_from_text
from bot.service import PolicyBot
from core.settings import Settings
from ingest.pipeline import parse_file

REPO = Path(__file__).resolve().parents[2]

RESEARCH_RULES = [
    "示例省人工智能科研攻关创新券资助办法（测试样例）",
    "示例省科学技术厅",
    "2025年5月1日",
    "第一章 总则",
    "第一条 为支持人工智能基础研究和关键技术攻关，制定本办法。",
    "第二章 资助对象和条件",
    "第二条 本办法支持对象为在示例省注册的高校、科研院所。",
    "第三条 申请单位应当符合下列条件：",
    "（一）在示例省行政区域内注册登记，具有独立法人资格；",
    "（二）上一年度营业收入不低于2000万元；",
    "（三）信用记录良好，未被列入严重失信主体名单。",
    "第四条 有下列情形之一的，不予资助：",
    "（一）同一项目已获得国家级财政资金支持的，不得重复支持。",
    "第三章 资助标准",
    "第五条 创新券按照项目实际研发投入的50%给予资助，每个项目最高不超过200万元。",
    "第四章 申请程序",
    "第六条 申请时间为每年6月1日至7月31日。",
    "第七条 示例省科学技术厅为创新券的受理机构。",
    "第八条 本办法自2025年6月1日起施行。",
]


def write_research_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    for line in RESEARCH_RULES:
        document.add_paragraph(line)
    document.save(path)
    return path


def write_research_pdf(path: Path) -> Path:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    page = canvas.Canvas(str(path))
    y = 800
    for line in RESEARCH_RULES:
        page.setFont("STSong-Light", 10)
        page.drawString(40, y, line)
        y -= 18
    page.save()
    return path


@pytest.fixture(scope="module", params=["rules_pdf", "rules_docx"])
def voucher_rules(request, fixture_files):
    return parse_file(fixture_files[request.param])


@pytest.fixture(scope="module", params=["pdf", "docx"])
def research_rules(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("research")
    writer = write_research_pdf if request.param == "pdf" else write_research_docx
    return parse_file(writer(folder / f"shiliSheng-research-test-sample.{request.param}"))


def measure(document, name):
    return next(m for m in document.measures if m.name == name)


FULL = dict(
    type="enterprise", region="示例市", annual_revenue_cny=3e8, industry="人工智能", employees=150,
    insured_employees=100, legal_person=True, good_credit=True, related_party_purchase=False,
    other_public_funding=False, provider_listed=True, service_in_scope=True,
)


def verdict_for(document, name, **facts):
    result = check_profile([document], Profile(**{**FULL, **facts}), [name])
    return next(v for v in result.verdicts if v.measure == name)


def test_conditions_are_extracted_with_their_clauses(voucher_rules):
    voucher = measure(voucher_rules, "算力券")
    kinds = {c.kind: c.value for c in voucher.conditions}
    assert kinds["region"] == "示例市"
    assert kinds["revenue_max"] == 4e8 and kinds["employees_max"] == 1000 and kinds["insured_min"] == 10
    assert kinds["legal_person"] is True and kinds["good_credit"] is True
    assert {e.kind for e in voucher.exclusions} >= {"related_party", "double_funding", "provider_not_listed"}
    own = [b for b in voucher.benefits if not b.combined]
    assert [b.rate for b in own if b.rate] == [0.3] and [b.cap_cny for b in own if b.cap_cny] == [1_000_000]
    assert [b.cap_cny for b in voucher.benefits if b.combined] == [1_500_000]  # 第九条: both vouchers together
    assert voucher.agency == "示例市数据局"
    assert "3月1日至4月30日" in voucher.window.quote
    assert "营业执照" in voucher.materials.quote
    clauses = {c.id: c.text for c in voucher_rules.clauses}
    for condition in voucher.conditions + voucher.exclusions:
        assert condition.evidence.quote in clauses[condition.evidence.clause_id]


def test_a_complete_profile_within_every_limit_is_eligible_with_the_benefit_computed(voucher_rules):
    verdict = verdict_for(voucher_rules, "算力券", spend_cny=2_000_000)
    assert verdict.verdict == "eligible", [c.requirement for c in verdict.failed + verdict.missing]
    assert verdict.benefit_cny == 600_000
    assert "200万元 × 30% = 60万元" in verdict.benefit_explanation


@pytest.mark.parametrize(
    "facts, expected, failing_quote",
    [
        ({"annual_revenue_cny": 4e8}, "eligible", None),
        ({"annual_revenue_cny": 4.01e8}, "not_eligible", "营业收入不超过4亿元"),
        ({"employees": 1000}, "eligible", None),
        ({"employees": 1001}, "not_eligible", "从业人员不超过1000人"),
        ({"insured_employees": 10}, "eligible", None),
        ({"insured_employees": 9}, "not_eligible", "不少于10人"),
        ({"legal_person": False}, "not_eligible", "独立法人资格"),
        ({"good_credit": False}, "not_eligible", "失信"),
        ({"related_party_purchase": True}, "not_eligible", "关联方"),
        ({"other_public_funding": True}, "not_eligible", "不得重复支持"),
        ({"provider_listed": False}, "not_eligible", "服务商目录"),
        ({"region": "杭州市"}, "not_eligible", "示例市"),
    ],
)
def test_verdicts_at_and_around_each_threshold_cite_the_failing_condition(voucher_rules, facts, expected, failing_quote):
    verdict = verdict_for(voucher_rules, "算力券", **facts)
    assert verdict.verdict == expected
    if failing_quote:
        assert any(failing_quote in check.evidence.quote for check in verdict.failed)
        assert verdict.benefit_cny is None


def test_missing_facts_become_follow_up_questions(voucher_rules):
    result = check_profile([voucher_rules], Profile(region="示例市"), ["智能券"])
    verdict = result.verdicts[0]
    assert verdict.verdict == "undetermined"
    questions = " ".join(verdict.follow_up_questions)
    assert "营业收入" in questions and "关联方" in questions
    assert "注册登记" not in questions  # the region was given


def test_benefit_caps_and_minimum_contract(voucher_rules):
    assert verdict_for(voucher_rules, "算力券", spend_cny=5_000_000).benefit_cny == 1_000_000
    assert verdict_for(voucher_rules, "智能券", spend_cny=5_000_000).benefit_cny == 500_000
    small = verdict_for(voucher_rules, "算力券", spend_cny=50_000)
    assert small.benefit_cny == 0 and "不纳入支持范围" in small.benefit_explanation


def test_applicant_types_and_revenue_floor(research_rules):
    voucher = measure(research_rules, "创新券")
    assert set(voucher.applicants) == {"university", "institute"}
    base = dict(region="示例省", legal_person=True, good_credit=True, other_public_funding=False)
    company = check_profile([research_rules], Profile(type="enterprise", annual_revenue_cny=3e7, **base)).verdicts[0]
    assert company.verdict == "not_eligible" and company.failed[0].kind == "applicant_type"
    university = check_profile([research_rules], Profile(type="university", annual_revenue_cny=2e7, **base)).verdicts[0]
    assert university.verdict == "eligible"
    poorer = check_profile([research_rules], Profile(type="university", annual_revenue_cny=1.99e7, **base)).verdicts[0]
    assert poorer.verdict == "not_eligible" and "不低于2000万元" in poorer.failed[0].evidence.quote
    elsewhere = check_profile([research_rules], Profile(type="institute", region="上海市")).verdicts[0]
    assert elsewhere.verdict == "not_eligible"


def test_a_document_without_conditions_never_yields_eligible(plan_path):
    plan = parse_file(plan_path)
    result = check_profile([plan], Profile(**{**FULL, "region": "杭州市"}))
    assert result.verdicts and all(v.verdict == "undetermined" for v in result.verdicts)
    assert all("文件未规定具体的申请条件" in v.note for v in result.verdicts)
    assert {"算力券", "智能券"} <= {v.measure for v in result.verdicts}
    shanghai = check_profile([plan], Profile(region="上海市"), ["算力券"]).verdicts[0]
    assert shanghai.verdict == "not_eligible"  # a provincial measure does not reach another province


def test_profile_facts_are_read_from_a_question():
    profile = profile_from_text("我们是示例市一家150人的AI公司，去年营收3亿元，买算力花了200万元，是分公司", ["示例市"])
    assert profile.region == "示例市" and profile.employees == 150 and profile.annual_revenue_cny == 3e8
    assert profile.spend_cny == 2e6 and profile.legal_person is False and profile.type == "enterprise"


@pytest.fixture(scope="module")
def bot(tmp_path_factory, fixture_files):
    settings = Settings(home=tmp_path_factory.mktemp("eligibility-home"))
    policybot = PolicyBot(settings)
    report = policybot.ingest([settings.corpus_dir, fixture_files["rules_pdf"]])
    assert not report.failures
    return policybot


def test_chat_question_gets_the_verdict_with_the_failing_condition_quoted(bot):
    answer = bot.ask("我们公司在示例市，去年营收5亿元，可以申请算力券吗？")
    assert not answer.refused
    assert "：不符合" in answer.answer and "不满足：上一年度营业收入不超过4亿元" in answer.answer
    assert not any(glyph in answer.answer for glyph in "✅❌❓")
    assert any(c.quote == "（三）上一年度营业收入不超过4亿元；" and c.clause.endswith("第五条") for c in answer.citations)
    # The provincial plan's 算力券 has no conditions: said, not invented.
    assert "文件未规定具体的申请条件" in answer.answer


def test_chat_follow_up_adds_facts_from_the_conversation(bot):
    history = [{"role": "user", "content": "我们是示例市的人工智能公司，去年营收1亿元，可以申请智能券吗？"},
               {"role": "assistant", "content": "需要确认：…"}]
    answer = bot.ask("我们200人，社保缴纳150人，不是关联方，花了100万元，能补多少？", history)
    assert "100万元 × 20% = 20万元" in answer.answer


def test_every_cited_condition_is_verbatim_clause_text(bot):
    answer = bot.ask("我们公司在示例市，营收3亿元，300人，能申请算力券吗？")
    for citation in answer.citations:
        assert citation.quote in citation.clause_text


def test_cli_eligibility_reads_a_profile_and_rejects_bad_ones(tmp_path, fixture_files):
    env = {**os.environ, "POLICYBOT_HOME": str(tmp_path / "home")}
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "bot.cli", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert run("ingest", str(fixture_files["rules_pdf"])).returncode == 0
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"type": "enterprise", "region": "示例市", "annual_revenue_cny": 5e8}), encoding="utf-8")
    result = run("eligibility", "--profile", str(profile), "--json")
    verdicts = json.loads(result.stdout)["verdicts"]
    assert {v["verdict"] for v in verdicts} == {"not_eligible"}
    profile.write_text(json.dumps({"revenue": 1}), encoding="utf-8")
    bad = run("eligibility", "--profile", str(profile))
    assert bad.returncode == 2 and bad.stderr.strip() == "policybot: invalid profile field 'revenue': Extra inputs are not permitted"
