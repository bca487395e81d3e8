"""The web chat: handler output, HTML escaping, errors, and a real launch on loopback."""

from __future__ import annotations

import socket

import httpx
import pytest

import app
from bot.models import Answer, Citation
from bot.service import PolicyBot
from bot.settings import Settings

MEDICAL = "人工智能+医疗由哪些部门负责？"
AGENCIES = ["省卫生健康委", "省药监局", "省发展改革委", "省经信厅", "省科技厅"]


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    """One PolicyBot over the bundled corpus, indexed once for the module in a temp home."""
    home = tmp_path_factory.mktemp("policybot-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("POLICYBOT_HOME", str(home))
        mp.delenv("POLICYBOT_CHROMA_URL", raising=False)
        mp.delenv("POLICYBOT_LLM_MODEL", raising=False)
        settings = Settings()
        assert settings.home == home
        policybot = PolicyBot(settings)
        report = policybot.ingest([settings.corpus_dir])
        assert report.results and not report.failures
        yield policybot


def _all_content(history: list) -> str:
    return "\n".join(str(m["content"]) for m in history)


def test_answer_lists_agencies_and_renders_citations(bot):
    textbox, history, turns = app.chat(bot, MEDICAL, [], [])

    assert textbox == ""
    assert [m["role"] for m in history] == ["user", "assistant"]
    reply = history[-1]["content"]
    for agency in AGENCIES:
        assert agency in reply
    # Citations as a numbered list with doc title, clause path, status and the full clause.
    assert '<div class="pb-citations">' in reply and "<ol><li>" in reply
    assert "（三）人工智能+医疗" in reply
    assert "浙江省“人工智能+”行动计划" in reply
    assert "征求意见稿" in reply
    assert "<details><summary>" in reply and "<mark>" in reply
    # No blank line inside the HTML block (it would end the Markdown HTML block).
    citations_html = reply[reply.index('<div class="pb-citations">') :]
    assert "\n" not in citations_html
    # The raw turns keep the plain question and answer for follow-up questions.
    assert turns[0] == {"role": "user", "content": MEDICAL}
    assert turns[1]["role"] == "assistant" and "省卫生健康委" in turns[1]["content"]


def test_follow_up_uses_previous_turns(bot):
    _, history, turns = app.chat(bot, MEDICAL, [], [])
    _, history, turns = app.chat(bot, "省数据局负责哪些领域？", history, turns)
    assert len(history) == 4 and len(turns) == 4
    assert history[-1]["role"] == "assistant" and history[-1]["content"]


@pytest.mark.parametrize(
    "payload",
    ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"],
)
def test_question_html_is_escaped(bot, payload):
    _, history, _ = app.chat(bot, f"{MEDICAL}{payload}", [], [])
    rendered = _all_content(history).lower()
    assert "<script" not in rendered
    assert "<img" not in rendered
    assert "&lt;" in history[0]["content"]  # the question is shown, as text


def test_document_text_is_escaped():
    evil = "<script>alert(1)</script><img src=x onerror=alert(1)>"
    answer = Answer(
        question="q",
        answer=f"**答**：{evil}\n\n> 引用 {evil}",
        citations=[
            Citation(
                doc_title=f"标题{evil}",
                clause=f"一、{evil}",
                quote=f"条款{evil}",
                source="x.txt",
                page=3,
                clause_text=f"前文。条款{evil}后文。",
                status=f"征求意见稿{evil}",
            )
        ],
    )
    rendered = app.render_answer(answer).lower()
    assert "<script" not in rendered and "<img" not in rendered
    assert "&lt;script&gt;" in rendered
    assert "> 引用" in rendered  # Markdown blockquote survives escaping
    assert "第 3 页" in rendered
    assert "<mark>条款&lt;script&gt;" in rendered


def test_highlight_handles_shortened_quote():
    marked = app.highlight_clause("甲乙丙丁戊己庚辛", "乙丙…庚辛")
    assert marked == "甲<mark>乙丙</mark>丁戊己<mark>庚辛</mark>"
    assert app.highlight_clause("甲乙丙", "不在其中") == "甲乙丙"


def test_empty_question_gives_one_line_error(bot):
    textbox, history, turns = app.chat(bot, "   ", [], [])
    assert textbox == "" and turns == []
    assert len(history) == 1 and history[0]["role"] == "assistant"
    message = history[0]["content"]
    assert "\n" not in message and "Traceback" not in message
    assert "empty" in message or "空" in message


def test_unexpected_error_hides_traceback():
    class Broken:
        def ask(self, question, history):
            raise RuntimeError("secret internal detail")

    _, history, _ = app.chat(Broken(), "问题", [], [])
    assert history[-1]["content"].endswith(app.INTERNAL_ERROR)
    assert "secret" not in _all_content(history)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_launch_serves_page_without_cdn_fonts(bot):
    demo = app.build_app(bot)
    port = _free_port()
    try:
        app.launch_app(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10.0, trust_env=False) as client:
            page = client.get("/")
            assert page.status_code == 200
            assert "fonts.googleapis.com" not in page.text
            assert app.TITLE in page.text
            theme_css = client.get("/theme.css")
            assert theme_css.status_code == 200
            assert "fonts.googleapis.com" not in theme_css.text
            assert "system-ui" in theme_css.text
    finally:
        demo.close()
