"""A PolicyBot over the bundled corpus and real servers for it on loopback ports."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

import httpx
import pytest

import app
from bot.service import PolicyBot
from core.settings import Settings
from server.feedback import FeedbackStore
from server.runner import BackgroundServer

PORTAL = "https://portal.example.gov.cn"


def assert_json_error(response, status: int, *fragments: str) -> str:
    """A 4xx JSON error in the one shape (a stable string ``code`` beside the status), with a one-line
    message and no traceback. The fragments are checked in the message's language (English where the
    client asked for it with Accept-Language, as ``Served.client()`` does)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    message = error["message"]
    assert error["status"] == status and error["type"]
    assert isinstance(error["code"], str) and error["code"].isascii() and " " not in error["code"]
    assert message and "\n" not in message and "Traceback" not in response.text
    for fragment in fragments:
        assert fragment in message
    return message


@pytest.fixture(scope="session")
def json_error():
    """``json_error(response, status, *fragments)`` checks a JSON error and returns its message."""
    return assert_json_error


@pytest.fixture(scope="session", autouse=True)
def _no_server_settings_from_the_environment():
    """Each test states the settings it serves with; nothing leaks in from the shell."""
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("POLICYBOT_"):
                mp.delenv(name)
        yield


@pytest.fixture(scope="session")
def bot(tmp_path_factory) -> PolicyBot:
    settings = Settings(home=tmp_path_factory.mktemp("server-home"))
    policybot = PolicyBot(settings)
    report = policybot.ingest([settings.corpus_dir])
    assert report.results and not report.failures
    return policybot


@dataclass
class Served:
    url: str
    settings: Settings
    feedback: FeedbackStore

    def client(self, **kwargs) -> httpx.Client:
        """An HTTP client that asks for English error messages (Chinese is the default)."""
        headers = {"Accept-Language": "en", **kwargs.pop("headers", {})}
        return httpx.Client(base_url=self.url, timeout=30.0, trust_env=False, headers=headers, **kwargs)


@pytest.fixture(scope="session")
def serve(tmp_path_factory):
    """``serve(bot, **settings)`` starts a server for ``bot``; rate limit off unless given."""
    with contextlib.ExitStack() as stack:

        def start(policybot: PolicyBot, **overrides) -> Served:
            home = tmp_path_factory.mktemp("served")
            settings = Settings(home=home, **{"rate_limit_per_minute": 0, **overrides})
            feedback = FeedbackStore(home / "feedback.sqlite3")
            url = stack.enter_context(BackgroundServer(app.build_server(policybot, settings, feedback)))
            return Served(url, settings, feedback)

        yield start


@pytest.fixture(scope="session")
def served(bot, serve) -> Served:
    """The usual server: the portal origin allowed, admin route off, no rate limit."""
    return serve(bot, allowed_origins=[PORTAL])


@pytest.fixture
def client(served):
    with served.client() as c:
        yield c
