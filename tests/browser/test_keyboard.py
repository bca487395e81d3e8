"""Keyboard only, in Chromium: ask, open a source, switch tabs; open the widget and close it with Esc
from inside its frame. No mouse click anywhere in this file."""

from __future__ import annotations

from playwright.sync_api import Frame, Page, expect

MEDICAL = "人工智能+医疗由哪些部门负责？"
MAX_TABS = 80  # Tab presses allowed to reach a control; the page has far fewer stops than this


def tab_until(page: Page, condition: str, frame: Frame | None = None) -> None:
    """Press Tab until ``condition`` (a JS expression over ``document.activeElement``, evaluated in
    ``frame`` if given) holds; fail after MAX_TABS presses."""
    where = frame or page
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if where.evaluate(f"(() => {{ const e = document.activeElement; return !!({condition}); }})()"):
            return
    raise AssertionError(f"{condition} was not reached with {MAX_TABS} Tab presses")


def test_ask_open_a_source_and_switch_tabs_by_keyboard(page, site):
    page.goto(site.url)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    tab_until(page, "e.closest('#pb-question') && e.tagName === 'TEXTAREA'")
    page.keyboard.type(MEDICAL)
    page.keyboard.press("Enter")
    citations = page.locator("#pb-chatbot .pb-citations").last
    expect(citations).to_be_visible()

    # Open the first source: its summary is a focusable control; Enter opens the full clause.
    tab_until(page, "e.tagName === 'SUMMARY' && e.closest('.pb-citations')")
    focus_ring = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert focus_ring != "none"  # the focus is visible
    page.keyboard.press("Enter")
    expect(citations.locator(".pb-clause").first).to_be_visible()
    expect(citations.locator(".pb-clause mark").first).to_contain_text("责任单位：省卫生健康委")

    # Switch to the clause browser: Tab to the tabs, arrows or Tab to 条款浏览, Enter.
    tab_until(page, "e.getAttribute('role') === 'tab' && e.textContent.trim() === '条款浏览'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("tab", name="条款浏览")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#pb-doc-view")).to_contain_text("行动计划")


def test_the_widget_closes_with_esc_pressed_inside_its_frame(page, site, portal):
    page.goto(portal.add_sample("/keyboard.html", site.url))
    button = page.locator("[data-policybot=button]")
    expect(button).to_be_visible()
    tab_until(page, "e.getAttribute('data-policybot') === 'button'")
    page.keyboard.press("Enter")
    expect(page.locator("[data-policybot=panel]")).to_be_visible()
    expect(page.locator("[data-policybot=close]")).to_be_focused()

    frame_element = page.locator("[data-policybot=frame]")
    expect(frame_element).to_be_visible()
    frame = frame_element.element_handle().content_frame()
    frame.wait_for_selector("#pb-input")
    tab_until(page, "e.id === 'pb-input'", frame=frame)
    page.keyboard.type(MEDICAL)
    page.keyboard.press("Enter")
    expect(frame.locator(".pb-sources").last).to_contain_text("引用条款")

    # The visitor is typing in the frame; Esc still closes the widget and focus returns to its button.
    tab_until(page, "e.id === 'pb-input'", frame=frame)
    page.keyboard.press("Escape")
    expect(page.locator("[data-policybot=panel]")).to_be_hidden()
    expect(button).to_be_focused()
