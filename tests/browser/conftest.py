"""A real headless Chromium (Debian's package) against real servers on loopback.

The portal host pages are served from ``http://localhost:<port>`` and the bot from
``http://127.0.0.1:<port>``: different origins, as a government portal and the bot would be.
Screenshots go to ``test-output/browser/`` for review.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

import app
from bot.service import PolicyBot
from core.settings import Settings
from server.feedback import FeedbackStore
from server.runner import BackgroundServer

REPO_ROOT = Path(__file__).resolve().parents[2]
# An assertion waits until what it expects shows: an answer computed on a busy 2-core machine (the first one
# also loads lexicons) can take far longer than Playwright's default 5 s. This bounds a hang, not a speed.
expect.set_options(timeout=60_000)
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = REPO_ROOT / "test-output" / "browser"
SAMPLE_HOST_PAGE = REPO_ROOT / "server" / "static" / "embed-example.html"
SAMPLE_BOT_URL = "http://127.0.0.1:7860"  # what the sample page points at; tests point it at their server
ADMIN_TOKEN = "browser-test-admin-token"
DOCS = REPO_ROOT / "docs"  # the README's screenshots, re-taken by the tests that show those views
DESKTOP = {"viewport": {"width": 1366, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="session", autouse=True)
def _no_server_settings_from_the_environment():
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("POLICYBOT_"):
                mp.delenv(name)
        yield


# --- the portal ----------------------------------------------------------------------
class HostPages:
    """Static pages on their own origin, standing in for a government portal."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server API
                body = pages.get(self.path.split("?")[0], "").encode()
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://localhost:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def add_sample(self, path: str, bot_url: str, **attributes: str) -> str:
        """server/static/embed-example.html pointed at ``bot_url``, with extra data-* attributes; returns its URL."""
        html = SAMPLE_HOST_PAGE.read_text(encoding="utf-8")
        assert SAMPLE_BOT_URL in html, f"{SAMPLE_HOST_PAGE} no longer points at {SAMPLE_BOT_URL}"
        html = html.replace(f"{SAMPLE_BOT_URL}/embed.js", f"{bot_url}/embed.js")
        for name, value in attributes.items():
            marker = f'data-{name}="'
            if marker in html:
                start = html.index(marker) + len(marker)
                html = html[:start] + value + html[html.index('"', start) :]
            else:
                html = html.replace("async\n", f'async data-{name}="{value}"\n', 1)
        self.pages[path] = html
        return self.origin + path


@pytest.fixture(scope="session")
def portal() -> HostPages:
    pages = HostPages()
    pages.thread.start()
    yield pages
    pages.httpd.shutdown()
    pages.httpd.server_close()


# --- the bot -------------------------------------------------------------------------
@dataclass
class Site:
    url: str
    settings: Settings
    feedback: FeedbackStore
    bot: PolicyBot

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60.0, trust_env=False)


def make_bot(home: Path) -> PolicyBot:
    bot = PolicyBot(Settings(home=home))
    report = bot.ingest([bot.settings.corpus_dir])
    assert report.results and not report.failures
    return bot


@pytest.fixture(scope="session")
def start_site(portal, tmp_path_factory):
    """``start_site(bot, **settings)``: serve ``bot`` with the portal allowed and admin upload on."""
    with contextlib.ExitStack() as stack:

        def start(bot: PolicyBot, **overrides) -> Site:
            home = tmp_path_factory.mktemp("site")
            options = {"admin_token": ADMIN_TOKEN, "allowed_origins": [portal.origin], "rate_limit_per_minute": 0}
            settings = Settings(home=home, **{**options, **overrides})
            feedback = FeedbackStore(home / "feedback.sqlite3")
            url = stack.enter_context(BackgroundServer(app.build_server(bot, settings, feedback)))
            return Site(url, settings, feedback, bot)

        yield start


@pytest.fixture(scope="session")
def new_bot(tmp_path_factory):
    """``new_bot()``: a PolicyBot over the bundled corpus in a fresh home."""
    return lambda: make_bot(tmp_path_factory.mktemp("browser-home"))


@pytest.fixture(scope="session")
def site(start_site, new_bot) -> Site:
    return start_site(new_bot())


# --- the browser ---------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser() -> Browser:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing; install Debian's chromium (`apt-get install -y chromium`, which `make test` does)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@dataclass
class Watch:
    """What a page did that a test may forbid: dialogs, script errors, requests beyond loopback."""

    dialogs: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)


def _open(browser: Browser, watch: Watch, options: dict, locale: str = "zh-CN") -> tuple[object, Page]:
    context = browser.new_context(locale=locale, **options)

    def only_loopback(route):
        host = urlparse(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            watch.external_requests.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    page.on("dialog", lambda dialog: (watch.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: watch.page_errors.append(str(error)))
    page.set_default_timeout(20_000)
    return context, page


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def page(browser, watch) -> Page:
    context, tab = _open(browser, watch, DESKTOP)
    yield tab
    context.close()


@pytest.fixture
def phone(browser, watch) -> Page:
    context, tab = _open(browser, watch, PHONE)
    yield tab
    context.close()


@pytest.fixture
def open_tab(browser, watch):
    """``open_tab(options, locale)``: a new browser context and page; closed after the test."""
    contexts = []

    def open_(options: dict, locale: str = "zh-CN") -> Page:
        context, tab = _open(browser, watch, options, locale)
        contexts.append(context)
        return tab

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot(request):
    """``screenshot(page, "name")`` saves test-output/browser/<test>-<name>.png."""

    def save(tab: Page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{request.node.name}-{name}.png"
        tab.screenshot(path=str(path), full_page=True)
        return path

    return save
