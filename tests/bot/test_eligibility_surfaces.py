"""The sample rules and the 测试样例 compute subsidy (tiers, enterprise and university caps, provider scope)
from the CLI, the chat and the web form's handler; the HTTP API is in tests/server/test_eligibility_api.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import app
from bot.eligibility import place_roles, profile_from_text
from bot.service import PolicyBot
from core.settings import Settings

REPO = Path(__file__).resolve().parents[2]
COMPUTE_RULES = REPO / "tests" / "fixtures" / "eligibility" / "yangliShi-suanli-butie-test-sample.txt"
ENTERPRISE = {"type": "enterprise", "region": "样例市", "annual_revenue_cny": 1e8, "insured_employees": 30,
              "legal_person": True, "good_credit": True, "related_party_purchase": False,
              "other_public_funding": False, "provider_listed": True}


@pytest.fixture(scope="module")
def bot(tmp_path_factory, fixture_files):
    policybot = PolicyBot(Settings(home=tmp_path_factory.mktemp("eligibility-surfaces")))
    samples = sorted(COMPUTE_RULES.parent.glob("*-test-sample.*"))
    report = policybot.ingest([policybot.settings.corpus_dir, fixture_files["rules_pdf"], *samples])
    assert not report.failures
    return policybot


def test_cli_shows_tiers_caps_and_the_deciding_clause(tmp_path, fixture_files):
    env = {**os.environ, "POLICYBOT_HOME": str(tmp_path / "home")}
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "bot.cli", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert run("ingest", str(COMPUTE_RULES), str(fixture_files["rules_pdf"])).returncode == 0
    profile = tmp_path / "me.json"
    profile.write_text(json.dumps({**ENTERPRISE, "spend_cny": 4e7, "tier": "智能算力"}), encoding="utf-8")
    shown = run("eligibility", "--profile", str(profile), "--measure", "算力补助")
    assert shown.returncode == 0, shown.stderr
    assert "算力补助 —《样例市智能算力补助管理办法（测试样例）》: 符合" in shown.stdout
    assert "4000万元 × 30% = 1200万元" in shown.stdout and "超过上限800万元，按800万元计" in shown.stdout
    profile.write_text(json.dumps({"type": "university", "region": "样例市", "spend_cny": 3e6, "provider_listed": True,
                                   "related_party_purchase": False, "other_public_funding": False}), encoding="utf-8")
    as_json = json.loads(run("eligibility", "--profile", str(profile), "--json").stdout)
    by_name = {v["measure"]: v for v in as_json["verdicts"]}
    assert by_name["算力补助"]["benefit_cny"] == 5e5 and by_name["算力补助"]["deciding"]["clause"].endswith("第六条")
    assert by_name["算力券"]["verdict"] == "not_eligible"  # the 示例市 rules are for enterprises
    profile.write_text(json.dumps({**ENTERPRISE, "provider_listed": False}), encoding="utf-8")
    refused = run("eligibility", "--profile", str(profile), "--measure", "算力补助")
    assert "不符合（不满足：服务提供方已纳入服务商目录）" in refused.stdout


def test_registration_place_is_kept_apart_from_the_policy_place():
    places = ["杭州", "宁波", "示例市", "样例市"]
    assert place_roles("我们公司注册在宁波，能申请杭州的算力券吗", places) == (["宁波"], ["杭州"])
    assert place_roles("我们公司在示例市，可以申请算力券吗", places) == (["示例市"], [])
    assert profile_from_text("我们公司注册在宁波，能申请杭州的算力券吗", places).region == "宁波"
    # Over several turns the asker's facts add up; the later statement of a fact wins.
    said = "能申请样例市的算力补助吗？ 我们是宁波的公司，营收1亿元。 不对，我们注册在样例市，营收1.5亿元"
    profile = profile_from_text(said, places)
    assert profile.region == "样例市" and profile.annual_revenue_cny == 1.5e8


def test_chat_applies_the_tier_and_the_yearly_cap(bot):
    history = [{"role": "user", "content": "我们是样例市的人工智能公司，能申请样例市的算力补助吗？"},
               {"role": "assistant", "content": "需要确认：…"}]
    answer = bot.ask("我们营收1亿元，社保缴纳30人，服务商在目录内，不是关联方，买智能算力花了4000万元，能补多少？", history)
    assert not answer.refused
    assert "支出4000万元 × 30% = 1200万元" in answer.answer and "按800万元计" in answer.answer
    assert any("单家企业每年申领不超过800万元" in c.quote for c in answer.citations)
    for citation in answer.citations:
        assert citation.quote in citation.clause_text


def test_chat_keeps_a_registration_elsewhere_from_becoming_the_policy_place(bot):
    answer = bot.ask("我们公司注册在宁波，能申请样例市的算力补助吗？")
    assert "注册地宁波" in answer.answer and "所问政策：样例市" in answer.answer
    assert "不符合" in answer.answer and "在样例市" in answer.answer


def test_form_shows_reason_and_clause_without_a_click(bot):
    rendered = app.check_eligibility(bot, "university", "样例市", None, None, "", 300, "")
    assert "算力补助</strong>：<strong class=\"pb-el-label\">" in rendered
    assert "支出300万元 × 20% = 60万元" in rendered and "超过上限50万元，按50万元计" in rendered
    assert "第六条" in rendered and "<details" not in rendered
    assert not any(glyph in rendered for glyph in "✅❌❓")
    tiered = app.check_eligibility(bot, "enterprise", "样例市", 10000, None, "", 4000, "智能算力")
    assert "按800万元计" in tiered
    # Ticked facts settle the yes/no conditions; unticked ones stay questions, never a "no".
    everything = [field for _, field in app.CONFIRMABLE_FACTS]
    confirmed = app.check_eligibility(bot, "university", "样例市", None, None, "", 300, "", everything)
    assert '算力补助</strong>：<strong class="pb-el-label">符合</strong>' in confirmed
    assert "“上一年度营业收入”请填写数字" in app.check_eligibility(bot, "enterprise", "样例市", "三千", "", "", "", "")
    unanswered = app.check_eligibility(bot, "enterprise", "样例市", "", "", "", "", "")
    assert "贵单位上一年度营业收入是多少" in unanswered  # an empty field is asked about, not taken as 0
    partly = app.check_eligibility(bot, "university", "样例市", None, None, "", 300, "", ["provider_listed"])
    assert '算力补助</strong>：<strong class="pb-el-label">尚不能确定</strong>' in partly and "关联方" in partly


def test_chat_names_a_measure_by_its_kind_and_asks_only_what_is_missing(bot):
    answer = bot.ask("我们企业实施技术改造项目，总投资6000万元，贷款利息500万元，能拿多少贴息？")
    assert "**贷款贴息**" in answer.answer and "**算力补助**" not in answer.answer
    assert "实际支付利息500万元 × 50% = 250万元" in answer.answer and "按200万元计" in answer.answer
    assert "需要确认：贵单位在哪个市（县、区）注册登记？" in answer.answer


def test_chat_reads_an_individual_and_the_talent_tier(bot):
    answer = bot.ask("我今年40岁，A类人才，和样例市企业签了3年劳动合同，全职工作，没有享受过其他安家补贴，安家补贴能拿多少？")
    assert "个人" in answer.answer and "A类人才给予100万元" in answer.answer
    assert "不满足" not in answer.answer


def test_chat_says_when_the_policy_place_has_no_local_rules(bot):
    answer = bot.ask("我们公司注册在宁波，能申请杭州的算力券吗？")
    assert "注册地宁波" in answer.answer and "所问政策：杭州" in answer.answer
    assert "没有杭州本地的实施细则" in answer.answer
    assert answer.answer.count("文件未规定具体的申请条件") == 1
