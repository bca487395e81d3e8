"""The 政策匹配 form in Chromium: each verdict's reason and deciding clause in view without a click, plain
Chinese labels, no emoji glyph; a university's cap and an enterprise's tier from the 测试样例 compute subsidy."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from bot.service import PolicyBot
from core.settings import Settings

COMPUTE_RULES = Path(__file__).resolve().parents[1] / "fixtures" / "eligibility" / "yangliShi-suanli-butie-test-sample.txt"


@pytest.fixture(scope="module")
def eligibility_site(start_site, tmp_path_factory):
    bot = PolicyBot(Settings(home=tmp_path_factory.mktemp("eligibility-browser")))
    assert not bot.ingest([bot.settings.corpus_dir, COMPUTE_RULES]).failures
    return start_site(bot)


def fill(page, **fields):
    for elem_id, value in fields.items():
        page.locator(f"#pb-el-{elem_id} input, #pb-el-{elem_id} textarea").first.fill(str(value))


def test_eligibility_form_shows_reasons_clauses_and_the_capped_amount(page, eligibility_site, watch, screenshot):
    page.goto(eligibility_site.url)
    page.get_by_role("tab", name="政策匹配").click()
    # Fields left empty are "not given" (asked), not 0 (which would fail every revenue floor).
    page.locator("#pb-el-check").click()
    view = page.locator("#pb-el-view")
    expect(view.locator(".pb-el-verdict", has_text="算力补助").first).to_contain_text("贵单位上一年度营业收入是多少")
    page.locator("#pb-el-type input").click()
    page.get_by_role("option", name="高校").click()
    fill(page, region="样例市", spend=300)
    page.locator("#pb-el-check").click()
    view = page.locator("#pb-el-view")
    verdict = view.locator(".pb-el-verdict", has_text="算力补助").first
    # The form does not ask about the provider catalogue: undetermined, with that question and its clause.
    expect(verdict.locator(".pb-el-label")).to_have_text("尚不能确定")
    expect(verdict).to_contain_text("服务提供方是否在主管部门发布的服务商目录内")
    deciding = verdict.locator(".pb-el-deciding")
    expect(deciding).to_be_visible()  # the deciding clause is in view without a click
    expect(deciding).to_contain_text("第四条")
    benefit = verdict.locator(".pb-el-benefit")
    expect(benefit).to_contain_text("超过上限50万元，按50万元计")  # the university's cap, not the enterprise's
    expect(benefit).to_contain_text("第六条")
    # The provincial plan's measures without conditions: one sentence, not a column of 尚不能确定.
    expect(view.locator(".pb-el-unconditioned")).to_have_count(1)
    assert view.locator("details").count() == 0
    text = view.inner_text()
    assert not any(glyph in text for glyph in "✅❌❓")
    screenshot(page, "eligibility-university")

    for fact in ("服务商在主管部门目录内", "所购服务属于文件规定的范围", "未向关联方购买", "未获其他财政资金支持"):
        page.locator("#pb-el-facts").get_by_label(fact).check()
    page.locator("#pb-el-check").click()
    expect(view.locator(".pb-el-verdict", has_text="算力补助").first.locator(".pb-el-label")).to_have_text("符合")

    page.locator("#pb-el-type input").click()
    page.get_by_role("option", name="企业").click()
    fill(page, revenue=10000, spend=4000, tier="智能算力")
    page.locator("#pb-el-check").click()
    expect(view.locator(".pb-el-verdict", has_text="算力补助").first).to_contain_text("按800万元计")
    screenshot(page, "eligibility-enterprise")
    assert not watch.page_errors and not watch.external_requests
