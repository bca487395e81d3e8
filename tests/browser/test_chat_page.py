"""The Gradio chat in Chromium: ask, read, expand a citation, rate it, browse clauses and agencies."""

from __future__ import annotations

import time

from playwright.sync_api import expect

MEDICAL = "人工智能+医疗由哪些部门负责？"
SAVED_KEY = "policybot-conversation"
AGENCIES = ["省卫生健康委", "省药监局", "省发展改革委", "省经信厅", "省科技厅"]


def ask(page, question: str):
    page.locator("#pb-question textarea").fill(question)
    page.locator("#pb-send").click()
    answer = page.locator("#pb-chatbot .pb-citations").last
    expect(answer).to_be_visible()
    return answer


def test_ask_see_the_answer_and_expand_a_citation(page, site, watch, screenshot):
    page.goto(site.url)
    expect(page.get_by_text("征求意见稿").first).to_be_visible()
    citations = ask(page, MEDICAL)

    chat = page.locator("#pb-chatbot")
    for agency in AGENCIES:
        expect(chat).to_contain_text(agency)
    expect(citations).to_contain_text("引用条款")
    expect(citations).to_contain_text("二、重点领域 › （三）人工智能+医疗")
    expect(citations.locator(".pb-status").first).to_have_text("征求意见稿")

    full_clause = citations.locator("details").first
    expect(full_clause.locator(".pb-clause")).to_be_hidden()
    full_clause.locator("summary").click()
    expect(full_clause.locator(".pb-clause")).to_be_visible()
    expect(full_clause.locator(".pb-clause")).to_contain_text("建设人工智能生物医药和医疗应用基地")
    expect(full_clause.locator("mark").first).to_contain_text("责任单位：省卫生健康委")
    screenshot(page, "citation-expanded")
    assert watch.page_errors == [] and watch.external_requests == []


def test_starter_question_thumbs_up_and_clear(page, site, screenshot):
    page.goto(site.url)
    page.get_by_role("button", name="企业能获得哪些算力支持？").click()
    expect(page.locator("#pb-chatbot .pb-citations")).to_be_visible()
    expect(page.locator("#pb-chatbot")).to_contain_text("算力")

    # The answer has finished streaming (nothing pending) before it is rated.
    page.wait_for_function("() => !document.querySelector('#pb-chatbot .pending, #pb-chatbot .generating')")
    page.locator("#pb-chatbot").get_by_role("button", name="赞", exact=True).last.click()  # Gradio's thumbs up, in Chinese
    deadline = time.monotonic() + 30  # bounded; a loaded 2-core machine may take a while to store it
    while not site.feedback.recent(1) and time.monotonic() < deadline:
        time.sleep(0.2)
    (rating,) = site.feedback.recent(1)
    assert (rating["rating"], rating["channel"], rating["question"]) == ("up", "web", "企业能获得哪些算力支持？")
    assert rating["citations"] and "算力" in rating["answer"]
    screenshot(page, "rated")

    page.locator("#pb-clear").click()
    expect(page.locator("#pb-chatbot .pb-citations")).to_have_count(0)
    # A question after clearing starts a new conversation: one question, one answer.
    ask(page, MEDICAL)
    expect(page.locator("#pb-chatbot .pb-citations")).to_have_count(1)


def test_a_reload_keeps_the_conversation_and_clear_forgets_it(page, site):
    page.goto(site.url)
    expect(page.get_by_text("征求意见稿").first).to_be_visible()
    before = page.evaluate("key => localStorage.getItem(key)", SAVED_KEY)
    ask(page, MEDICAL)
    # The conversation is written to the browser's storage just after the answer has streamed.
    page.wait_for_function("([key, before]) => localStorage.getItem(key) !== before", arg=[SAVED_KEY, before])
    page.reload()
    chat = page.locator("#pb-chatbot")
    expect(chat).to_contain_text(MEDICAL)
    expect(chat.locator(".pb-citations")).to_have_count(1)
    expect(chat).to_contain_text("省卫生健康委")
    # The restored conversation is context for a follow-up.
    page.locator("#pb-question textarea").fill("那它的牵头单位是谁？")
    page.locator("#pb-send").click()
    expect(chat.locator(".pb-citations")).to_have_count(2)
    expect(chat.locator(".pb-citations").last).to_contain_text("人工智能+医疗")

    page.locator("#pb-clear").click()
    expect(chat.locator(".pb-citations")).to_have_count(0)
    page.reload()
    expect(page.get_by_text("征求意见稿").first).to_be_visible()
    expect(page.locator("#pb-chatbot .pb-citations")).to_have_count(0)
    expect(page.locator("#pb-chatbot")).not_to_contain_text(MEDICAL)


def test_clause_browser_and_agency_directory(page, site, screenshot):
    page.goto(site.url)
    page.get_by_role("tab", name="条款浏览").click()
    view = page.locator("#pb-doc-view")
    expect(view).to_contain_text("浙江省“人工智能+”行动计划")
    medical = view.locator("details", has=page.locator("summary", has_text="（三）人工智能+医疗")).last
    expect(medical.locator("summary")).to_contain_text("责任单位：省卫生健康委、省药监局")
    medical.locator("summary").click()
    expect(medical.locator(".pb-clause")).to_contain_text("建设人工智能生物医药和医疗应用基地")
    screenshot(page, "clause-browser")

    page.get_by_role("tab", name="部门目录").click()
    page.locator("#pb-agency-select input").click()
    page.get_by_role("option", name="省数据局").first.click()
    directory = page.locator("#pb-agency-view")
    expect(directory).to_contain_text("省数据局")
    expect(directory).to_contain_text("（十）人工智能+治理")
    expect(directory.locator(".pb-role").first).to_have_text("牵头")
    screenshot(page, "agency-directory")


def test_chat_fits_a_phone(phone, site, screenshot):
    phone.goto(site.url)
    ask(phone, MEDICAL)
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a phone"
    send = phone.locator("#pb-send").bounding_box()
    assert send["x"] + send["width"] <= 390
    screenshot(phone, "phone")
