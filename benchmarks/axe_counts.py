"""axe-core violations per tab of the web chat, at 1366×900 and 390×844, normal and in 长辈模式.

    .venv/bin/python benchmarks/axe_counts.py normal elder

Serves the bundled corpus on a loopback port, opens Debian's chromium (an English browser, to show the
page stays zh-CN), asks one question, then runs axe (bundled in axe-playwright-python) on each tab and
prints the violations counted by impact. tests/browser/test_accessibility.py asserts the same has no
serious or critical one.
"""
import collections
import sys
import tempfile
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect, sync_playwright

import app
from bot.service import PolicyBot
from core.settings import Settings
from server.feedback import FeedbackStore
from server.runner import BackgroundServer

TABS = ["问答", "政策匹配", "条款浏览", "部门目录"]
SIZES = {
    "desktop": {"viewport": {"width": 1366, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True},
}


def show(page, tab: str) -> None:
    """Select a tab (through Gradio's "more" menu where it hides some, as it did before the phone layout)."""
    button = page.get_by_role("tab", name=tab)
    if not button.is_visible():
        page.get_by_role("button", name="更多栏目").click()
        button = page.locator(".overflow-dropdown button, .overflow-menu button").filter(has_text=tab).first
    button.click()
    page.wait_for_timeout(1500)  # Gradio fades a refreshed tab in; axe would measure half-faded text


def main(modes: list[str]) -> None:
    home = Path(tempfile.mkdtemp())
    bot = PolicyBot(Settings(home=home))
    bot.ingest([bot.settings.corpus_dir])
    settings = Settings(home=home, rate_limit_per_minute=0)
    axe = Axe()
    server = app.build_server(bot, settings, FeedbackStore(home / "feedback.sqlite3"))
    with BackgroundServer(server) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"])
        for mode in modes:
            for size, options in SIZES.items():
                context = browser.new_context(locale="en-US", **options)
                page = context.new_page()
                page.set_default_timeout(20_000)
                page.goto(url)
                if mode == "elder":
                    page.get_by_role("switch", name="长辈模式").click()
                page.locator("#pb-question textarea").fill("人工智能+医疗由哪些部门负责？")
                page.locator("#pb-send").click()
                expect(page.locator("#pb-chatbot .pb-citations").last).to_be_visible()
                for tab in TABS:
                    show(page, tab)
                    violations = axe.run(page).response["violations"]
                    counts = collections.Counter(v["impact"] for v in violations)
                    rules = sorted(f'{v["id"]}({v["impact"]},{len(v["nodes"])} nodes)' for v in violations)
                    print(mode, size, tab, dict(counts), " ".join(rules), flush=True)
                print(mode, size, "html lang =", page.evaluate("document.documentElement.lang"))
                context.close()


if __name__ == "__main__":
    main(sys.argv[1:] or ["normal"])
