"""A policy file full of markup, uploaded through the admin API, shows as text and runs nothing."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

IMG = '<img src=x onerror="window.__pbPwned=1;alert(1)">'
SCRIPT = "<script>window.__pbPwned=2;alert(2)</script>"
LINK = '<a href="javascript:window.__pbPwned=3;alert(3)">说明链接</a>'
MD_LINK = "[点此领取](javascript:window.__pbPwned=4;alert(4))"
MD_IMAGE = "![跟踪](http://127.0.0.1:9/track.png)"
MARKUP_POLICY = f"""测试市“人工智能+”安全测试办法（测试样例）
测试市数据局
2025年1月2日
一、适用范围
本办法用于检验网页不会执行文件中的标记。{IMG}以及{SCRIPT}均应按原文显示。详见{LINK}。（责任单位：测试市数据局）
二、补贴标准
对符合条件的企业给予安全测试补贴，最高不超过10万元。{MD_LINK} {MD_IMAGE}（责任单位：测试市数据局、测试市财政局）
"""
SOURCE = "markup-test-sample.txt"
TITLE = "测试市“人工智能+”安全测试办法（测试样例）"
QUESTION = "测试市安全测试办法中哪些内容应按原文显示？"
NOTHING_RAN = "window.__pbPwned === undefined"


@pytest.fixture(scope="module")
def markup_site(start_site, new_bot):
    """A site of its own whose index gets the markup document through POST /api/admin/ingest."""
    site = start_site(new_bot())
    token = site.settings.admin_token.get_secret_value()
    with site.client() as client:
        response = client.post(
            "/api/admin/ingest",
            files={"file": (SOURCE, MARKUP_POLICY.encode("utf-8"), "text/plain")},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 201, response.text
        # The index is re-read within a couple of seconds of a change.
        deadline = time.monotonic() + 15
        while TITLE not in client.get("/api/clauses").text:
            assert time.monotonic() < deadline, "the uploaded document never appeared in /api/clauses"
            time.sleep(0.3)
    return site


def assert_no_markup_became_elements(scope) -> None:
    """Nothing from the document became an element: no image, script or javascript: link."""
    assert scope.locator("img[src='x'], img[src*='track'], script").count() == 0
    assert scope.locator("a[href^='javascript']").count() == 0


def test_chat_shows_the_markup_as_text(page, markup_site, watch, screenshot):
    page.goto(markup_site.url)
    page.locator("#pb-question textarea").fill(f"{QUESTION}<img src=x onerror=alert(5)>")
    page.locator("#pb-send").click()
    chat = page.locator("#pb-chatbot")
    citations = chat.locator(".pb-citations").last
    expect(citations).to_contain_text(TITLE)
    citations.locator("details summary").first.click()
    full_clause = citations.locator(".pb-clause").first
    expect(full_clause).to_be_visible()

    for text in (IMG, SCRIPT, LINK):
        expect(full_clause).to_contain_text(text)
    expect(chat).to_contain_text("<img src=x onerror=alert(5)>")  # the question, as typed
    assert_no_markup_became_elements(chat)
    page.wait_for_timeout(500)  # give an onerror handler the chance it must not get
    assert page.evaluate(NOTHING_RAN)
    assert watch.dialogs == [] and watch.page_errors == []
    screenshot(page, "chat")


def test_clause_browser_shows_the_markup_as_text(page, markup_site, watch, screenshot):
    page.goto(markup_site.url)
    page.get_by_role("tab", name="条款浏览").click()
    page.locator("#pb-doc-select input").click()
    page.get_by_role("option", name=TITLE).click()
    view = page.locator("#pb-doc-view")
    expect(view).to_contain_text(SOURCE)
    for summary in view.locator("summary").all():
        summary.click()
    for text in (IMG, SCRIPT, LINK, MD_LINK, MD_IMAGE):
        expect(view).to_contain_text(text)
    assert_no_markup_became_elements(view)
    assert page.evaluate(NOTHING_RAN)
    assert watch.dialogs == [] and watch.external_requests == []
    screenshot(page, "clause-browser")


def test_widget_chat_shows_the_markup_as_text(phone, markup_site, watch, screenshot):
    phone.goto(f"{markup_site.url}/embed")
    phone.locator("#pb-input").fill(QUESTION)
    phone.locator("#pb-send").click()
    answer = phone.locator(".pb-bot").last
    expect(answer.locator(".pb-sources")).to_contain_text(TITLE)
    expect(answer.locator(".pb-text")).to_contain_text("<img src=x onerror=")
    answer.locator(".pb-sources summary").first.click()
    expect(answer.locator(".pb-quote").first).to_contain_text(SCRIPT)
    assert_no_markup_became_elements(phone.locator("#pb-log"))
    assert phone.evaluate(NOTHING_RAN)
    assert watch.dialogs == [] and watch.page_errors == []
    screenshot(phone, "widget")
