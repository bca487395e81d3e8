"""Accessibility of the web chat (GB/T 37668-2019, WCAG 2.x AA) in Chromium.

axe-core (bundled in axe-playwright-python, injected from the local package, never a CDN) checks every
tab at desktop and phone width, in the normal page and in 长辈模式; the rest checks what axe cannot:
the page is Chinese whatever the browser's language, targets are big enough to touch, text follows the
visitor's font size, 长辈模式 is remembered, agencies are listed in a sensible order. The screenshots
in docs/ are taken here, so the README shows the page as it is.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

import app
from tests.browser.conftest import DESKTOP, DOCS, PHONE

MEDICAL = "人工智能+医疗由哪些部门负责？"
TABS = ["问答", "政策匹配", "条款浏览", "部门目录"]
BLOCKING = ("serious", "critical")
MIN_TARGET_PX = 44
AXE = Axe()


def ask(page: Page, question: str = MEDICAL):
    page.locator("#pb-question textarea").fill(question)
    page.locator("#pb-send").click()
    citations = page.locator("#pb-chatbot .pb-citations").last
    expect(citations).to_be_visible()
    return citations


# Gradio fades a component while it updates (a tab refreshes its content when selected): axe would
# measure the contrast of half-faded text. Settled = no update pending and nothing faded.
SETTLED = """() => !document.querySelector('.pending, .generating, .wrap.translucent:not(.hide)')
    && [...document.querySelectorAll('#pb-chatbot, #pb-doc-view, #pb-agency-view, #pb-el-view')].every(view => {
        for (let e = view; e; e = e.parentElement) if (getComputedStyle(e).opacity !== '1') return false;
        return true; })"""
AXE_TRIES = 3  # a violation seen while an update was starting must still be there on the next look


def blocking_violations(page: Page) -> list[str]:
    """axe's serious and critical violations on the settled page, one line each."""
    for _ in range(AXE_TRIES):
        page.wait_for_function(SETTLED)
        results = AXE.run(page).response
        found = [
            f"{v['id']} ({v['impact']}): {node['target']} {v['help']}"
            for v in results["violations"]
            if v["impact"] in BLOCKING
            for node in v["nodes"]
        ]
        if not found:
            return []
        page.wait_for_timeout(500)  # not an assertion: lets a fade that began after the check above finish
    return found


TAB_CONTENT = {"问答": "#pb-chatbot", "政策匹配": "#pb-el-check", "条款浏览": "#pb-doc-view", "部门目录": "#pb-agency-select"}


def select_tab(page: Page, name: str) -> None:
    """Select a tab. All four stay in view, on a phone and in 长辈模式 too (none behind a "more" button)."""
    page.get_by_role("tab", name=name).click()
    expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")
    expect(page.locator(TAB_CONTENT[name])).to_be_visible()


def show_tab(page: Page, name: str) -> None:
    """Select a tab and bring up what a reader would look at there."""
    select_tab(page, name)
    if name == "条款浏览":
        expect(page.locator("#pb-doc-view")).to_contain_text("行动计划")
    elif name == "部门目录":
        page.locator("#pb-agency-select input").click()
        page.get_by_role("option", name="省发展改革委").first.click()
        expect(page.locator("#pb-agency-view li").nth(9)).to_be_visible()  # a list long enough for "10."


def switch_elder_mode(page: Page, on: bool) -> None:
    switch = page.get_by_role("switch", name="长辈模式")
    if (switch.get_attribute("aria-checked") == "true") != on:
        switch.click()
    expect(switch).to_have_attribute("aria-checked", "true" if on else "false")


SCREENSHOTS = {("desktop", False): "chat.png", ("phone", False): "chat-phone.png", ("phone", True): "chat-elder.png"}


@pytest.mark.parametrize(
    ("width", "elder"),
    [("desktop", False), ("phone", False), ("desktop", True), ("phone", True)],
    ids=["desktop", "phone", "desktop-elder", "phone-elder"],
)
def test_axe_finds_no_serious_violation_on_any_tab(open_tab, site, watch, width, elder):
    page = open_tab(DESKTOP if width == "desktop" else PHONE)
    page.goto(site.url)
    switch_elder_mode(page, elder)
    citations = ask(page)
    if width == "phone" and (width, elder) in SCREENSHOTS:  # the top of the page: title, tabs, question, answer
        page.wait_for_function(SETTLED)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(DOCS / SCREENSHOTS[(width, elder)]))
    citations.locator("summary").first.click()  # an answer with its source open, as a reader would have it
    if width == "desktop" and (width, elder) in SCREENSHOTS:
        page.wait_for_function(SETTLED)
        page.screenshot(path=str(DOCS / SCREENSHOTS[(width, elder)]))

    found = {}
    for tab in TABS:
        show_tab(page, tab)
        found[tab] = blocking_violations(page)
    assert found == {tab: [] for tab in TABS}
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"
    assert watch.page_errors == [] and watch.external_requests == []


def test_the_page_is_chinese_whatever_the_browser_language(open_tab, site):
    page = open_tab(DESKTOP, locale="en-US")
    page.goto(site.url)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    ask(page)
    expect(page.get_by_role("textbox", name="请输入您的问题")).to_be_visible()
    chat = page.locator("#pb-chatbot")
    expect(chat.get_by_role("button", name="复制这条消息").first).to_be_visible()
    expect(chat.get_by_role("button", name="赞", exact=True).last).to_be_visible()  # Gradio's own zh-CN strings
    names = page.evaluate(
        """() => [...document.querySelectorAll('button, [role=tab], textarea, input')]
                .filter(e => e.offsetParent !== null)
                .map(e => e.getAttribute('aria-label') || e.innerText || e.labels?.[0]?.innerText || '')"""
    )
    english = [n for n in names if n.strip() and n.isascii() and not n.strip().isdigit()]
    assert english == [], f"controls named in English: {english}"


# A checkbox's target is its whole label: a tap anywhere on the label ticks it.
SMALL_TARGETS = """(min) => [...document.querySelectorAll('button, [role=tab], summary, textarea, input, #pb-elder')]
        .filter(e => e.offsetParent !== null && e.getClientRects().length)
        .map(e => (e.type === 'checkbox' || e.type === 'radio') && e.closest('label') ? e.closest('label') : e)
        .map(e => [e.getAttribute('aria-label') || e.innerText.slice(0, 20) || e.id, e.getBoundingClientRect()])
        .filter(([, r]) => r.height < min - 0.5 || r.width < min - 0.5)
        .map(([name, r]) => `${name}: ${Math.round(r.width)}×${Math.round(r.height)}`)"""


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_touch_targets_are_at_least_44_px_on_a_phone(open_tab, site, elder):
    page = open_tab(PHONE)
    page.goto(site.url)
    switch_elder_mode(page, elder)
    ask(page)
    small = {}
    for tab in TABS:
        show_tab(page, tab)
        page.wait_for_function(SETTLED)
        small[tab] = page.evaluate(SMALL_TARGETS, MIN_TARGET_PX)
    assert small == {tab: [] for tab in TABS}


FONT_SIZE = "e => parseFloat(getComputedStyle(e).fontSize)"
# Gradio's buttons animate their size: wait until every probe shows the size expected, or time out.
SIZES_REACH = """([selectors, expected]) => selectors.every((s, i) =>
    Math.abs(parseFloat(getComputedStyle(document.querySelector(s)).fontSize) - expected[i]) <= expected[i] * 0.05)"""


def test_text_follows_the_visitors_font_size(open_tab, site):
    page = open_tab(DESKTOP)
    page.goto(site.url)
    ask(page)
    probes = ["#pb-send", "#pb-question textarea", "#pb-chatbot .message-content", ".pb-citations summary", "[role=tab]"]
    normal = [page.locator(p).first.evaluate(FONT_SIZE) for p in probes]
    page.evaluate("document.documentElement.style.fontSize = '150%'")  # as a browser's larger default font does
    page.wait_for_function(SIZES_REACH, arg=[probes, [size * 1.5 for size in normal]])


def test_elder_mode_is_larger_and_remembered_on_this_device(open_tab, site):
    page = open_tab(PHONE)
    page.goto(site.url)
    probes = ["#pb-send", "#pb-question textarea", ".pb-starters button"]
    normal = [page.locator(p).first.evaluate(FONT_SIZE) for p in probes]
    height = page.locator("#pb-send").evaluate("e => e.getBoundingClientRect().height")
    switch_elder_mode(page, True)
    page.wait_for_function(SIZES_REACH, arg=[probes, [size * 1.25 for size in normal]])  # larger text
    assert page.locator("#pb-send").evaluate("e => e.getBoundingClientRect().height") > height  # larger targets
    intro = page.locator(".block.pb-intro")
    expect(intro).to_be_hidden()  # a simpler page
    page.reload()
    expect(page.get_by_role("switch", name="长辈模式")).to_have_attribute("aria-checked", "true")
    expect(page.locator("html")).to_have_class("pb-elder")
    expect(intro).to_be_hidden()
    switch_elder_mode(page, False)
    page.reload()
    expect(page.get_by_role("switch", name="长辈模式")).to_have_attribute("aria-checked", "false")
    expect(intro).to_be_visible()


def test_an_answer_says_each_thing_once(open_tab, site):
    page = open_tab(DESKTOP)
    page.goto(site.url)
    citations = ask(page)
    answer = page.locator("#pb-chatbot .message-row").last
    quote = "（责任单位：省卫生健康委、省药监局、省发展改革委、省经信厅、省科技厅）"
    visible_text = answer.evaluate("e => e.innerText")
    assert visible_text.count(quote) == 1  # the answer quotes it; the closed source does not repeat it
    source = citations.locator("details").first
    source.locator("summary").click()
    expect(source.locator(".pb-clause mark")).to_have_text(quote)  # the full clause, the quoted part marked


def test_agencies_are_listed_by_level_then_pinyin_and_numbers_are_not_clipped(open_tab, site):
    page = open_tab(PHONE)
    page.goto(site.url)
    select_tab(page, "部门目录")
    page.locator("#pb-agency-select input").click()
    expect(page.get_by_role("option").first).to_be_visible()
    options = [o.split("（")[0] for o in page.get_by_role("option").all_inner_texts()]
    assert options == sorted(options, key=app.agency_sort_key)
    assert options.index("省发展改革委") < options.index("省科技厅")  # fa < ke, whatever the code points say
    page.get_by_role("option", name="省发展改革委").first.click()
    view = page.locator("#pb-agency-view")
    left = view.evaluate("e => e.getBoundingClientRect().left")
    markers = view.locator("ol > li").evaluate_all(
        "items => items.map(li => [getComputedStyle(li, '::before').content, li.getBoundingClientRect().left])"
    )
    assert len(markers) >= 10
    assert all(marker_left >= left for _, marker_left in markers)
