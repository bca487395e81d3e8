"""The portal widget in Chromium: server/static/embed-example.html on another origin, at phone width."""

from __future__ import annotations

import logging

from playwright.sync_api import expect

from tests.browser.conftest import DOCS

MEDICAL = "人工智能+医疗由哪些部门负责？"


def open_widget(tab):
    tab.locator("[data-policybot=button]").click()
    expect(tab.locator("[data-policybot=panel]")).to_be_visible()
    return tab.frame_locator("[data-policybot=frame]")


def test_chat_through_the_widget_on_a_phone(phone, site, portal, watch, screenshot):
    phone.goto(portal.add_sample("/phone.html", site.url))
    button = phone.locator("[data-policybot=button]")
    expect(button).to_be_visible()
    expect(phone.locator("[data-policybot=frame]")).to_have_count(0)  # nothing loads before it is wanted
    screenshot(phone, "closed")

    chat = open_widget(phone)
    panel = phone.locator("[data-policybot=panel]").bounding_box()
    assert (panel["x"], panel["y"], panel["width"], panel["height"]) == (0, 0, 390, 844)  # full screen on a phone
    expect(phone.locator("[data-policybot=panel]")).to_contain_text("人工智能+政策问答")  # data-title
    expect(chat.locator(".pb-greeting")).to_contain_text("您好！我可以解答")  # data-greeting

    chat.locator("#pb-input").fill(MEDICAL)
    chat.locator("#pb-send").click()
    sources = chat.locator(".pb-sources").last
    expect(sources).to_contain_text("引用条款")
    expect(chat.locator(".pb-bot").last).to_contain_text("省卫生健康委")
    source = sources.locator("details").first
    expect(source.locator(".pb-quote")).to_be_hidden()
    source.locator("summary").click()
    expect(source.locator(".pb-quote")).to_contain_text("责任单位：省卫生健康委")
    expect(source.locator("summary")).to_contain_text("（三）人工智能+医疗")
    overflow = chat.locator("body").evaluate("b => b.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the widget scrolls sideways by {overflow}px on a phone"
    screenshot(phone, "answer")

    # A follow-up in the same conversation, then thumbs up from inside the widget.
    chat.locator("#pb-input").fill("那它有哪些具体举措？")
    chat.locator("#pb-input").press("Enter")
    expect(chat.locator(".pb-sources")).to_have_count(2)
    chat.locator(".pb-feedback button").first.click()
    expect(chat.locator(".pb-thanks")).to_have_text("感谢反馈")
    assert site.feedback.recent(1)[0]["channel"] == "embed"

    phone.locator("[data-policybot=close]").click()
    expect(phone.locator("[data-policybot=panel]")).to_be_hidden()
    expect(button).to_be_visible()
    assert watch.dialogs == [] and watch.page_errors == [] and watch.external_requests == []


def test_initial_question_and_colour_from_data_attributes(page, site, portal, screenshot):
    page.goto(portal.add_sample("/desktop.html", site.url, color="#00875a", question="企业能获得哪些算力支持？"))
    expect(page.locator("[data-policybot=button]")).to_have_css("background-color", "rgb(0, 135, 90)")
    chat = open_widget(page)
    panel = page.locator("[data-policybot=panel]").bounding_box()
    assert panel["width"] == 380 and panel["x"] > 800  # a corner panel on a wide screen
    expect(chat.locator(".pb-user").first).to_have_text("企业能获得哪些算力支持？")
    expect(chat.locator(".pb-sources")).to_contain_text("（三）加强创新要素供给")
    expect(chat.locator("#pb-send")).to_have_css("background-color", "rgb(0, 135, 90)")
    screenshot(page, "initial-question")
    page.screenshot(path=str(DOCS / "widget.png"))  # the README's picture of the widget


def test_an_unlisted_portal_is_told_why_and_the_server_logs_it_once(page, site, start_site, portal, screenshot, caplog):
    strict = start_site(site.bot, allowed_origins=[])  # same origin only
    url = portal.add_sample("/unlisted.html", strict.url)
    with caplog.at_level(logging.WARNING, logger="server.embed"):
        for _ in range(2):  # two visits, one log line
            page.goto(url)
            open_widget(page)
            refusal = page.locator("[data-policybot=refused]")
            expect(refusal).to_contain_text("暂时无法在本网站打开政策问答")
            expect(refusal).to_contain_text(portal.origin)
            expect(page.locator("[data-policybot=frame]")).to_have_count(0)
    screenshot(page, "refused")
    lines = [r.getMessage() for r in caplog.records if r.name == "server.embed"]
    assert len(lines) == 1 and portal.origin in lines[0] and "POLICYBOT_ALLOWED_ORIGINS" in lines[0]

    # Even a page that skips the check cannot frame the chat: the browser enforces frame-ancestors.
    page.evaluate("""url => { const f = document.createElement('iframe'); f.src = url; f.id = 'direct';
                              document.body.appendChild(f); }""", strict.url + "/embed")
    page.wait_for_function("document.getElementById('direct') !== null")
    (frame,) = [f for f in page.frames if f != page.main_frame]
    frame.wait_for_load_state("load")
    assert frame.locator("#pb-form").count() == 0


def test_the_server_serves_the_example_host_page_to_try_the_widget(phone, site):
    phone.goto(site.url + "/embed/example")
    expect(phone.locator("h1")).to_contain_text("示例门户")
    chat = open_widget(phone)
    chat.locator("#pb-input").fill(MEDICAL)
    chat.locator("#pb-send").click()
    expect(chat.locator(".pb-bot").last).to_contain_text("省卫生健康委")


def test_the_widgets_chat_page_passes_axe_on_a_phone(phone, site):
    from tests.browser.test_accessibility import blocking_violations

    phone.goto(site.url + "/embed")
    phone.locator("#pb-input").fill(MEDICAL)
    phone.locator("#pb-send").click()
    expect(phone.locator(".pb-sources").last).to_contain_text("引用条款")
    phone.locator(".pb-sources summary").first.click()
    assert blocking_violations(phone) == []
    small = phone.evaluate(
        """() => [...document.querySelectorAll('button, summary, textarea')]
                .map(e => [e.textContent.trim().slice(0, 12) || e.id, e.getBoundingClientRect()])
                .filter(([, r]) => r.height < 43.5)
                .map(([name, r]) => `${name}: ${Math.round(r.height)}px`)"""
    )
    assert small == []
