"""The web chat: streamed handler output, HTML escaping, browsing views, feedback, and a real server on loopback."""

from __future__ import annotations

import httpx
import pytest

import app
from bot.models import Answer, Citation
from bot.service import PolicyBot
from core.settings import Settings
from server import catalog
from server.feedback import FeedbackStore
from server.runner import BackgroundServer

MEDICAL = "人工智能+医疗由哪些部门负责？"
AGENCIES = ["省卫生健康委", "省药监局", "省发展改革委", "省经信厅", "省科技厅"]
EVIL = "<script>alert(1)</script><img src=x onerror=alert(1)>"


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


@pytest.fixture
def feedback(tmp_path) -> FeedbackStore:
    return FeedbackStore(tmp_path / "feedback.sqlite3")


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


def test_answer_streams_text_before_the_citations(bot):
    steps = list(app.chat_stream(bot, MEDICAL, [], [], []))

    assert len(steps) >= 2
    first_text = steps[0][1][-1]["content"]
    assert first_text and "pb-citations" not in first_text  # a piece of the answer, shown at once
    _, history, turns, records = steps[-1]
    assert "pb-citations" in history[-1]["content"]
    # What a thumbs up / down would be stored with sits beside the answer it rates.
    assert records[0] is None and records[1]["question"] == MEDICAL
    assert records[1]["citations"] and records[1]["citations"][0]["clause"].endswith("（三）人工智能+医疗")


def test_follow_up_uses_previous_turns(bot):
    _, history, turns = app.chat(bot, MEDICAL, [], [])
    _, history, turns = app.chat(bot, "省数据局负责哪些领域？", history, turns)
    assert len(history) == 4 and len(turns) == 4
    assert history[-1]["role"] == "assistant" and history[-1]["content"]


@pytest.mark.parametrize(
    "payload",
    ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[点我](javascript:alert(1))"],
)
def test_question_html_is_escaped(bot, payload):
    _, history, _ = app.chat(bot, f"{MEDICAL}{payload}", [], [])
    rendered = _all_content(history).lower()
    assert "<script" not in rendered
    assert "<img" not in rendered
    assert "](javascript:" not in rendered  # no Markdown link can form
    assert "&lt;" in history[0]["content"] or "&#91;" in history[0]["content"]  # the question is shown, as text


def test_document_text_is_escaped():
    answer = Answer(
        question="q",
        answer=f"**答**：{EVIL} [链接](javascript:alert(1)) ![x](http://tracker/x.png)\n\n> 引用 {EVIL} [1]",
        citations=[
            Citation(
                doc_title=f"标题{EVIL}",
                clause=f"一、{EVIL}",
                quote=f"条款{EVIL}",
                source="x.txt",
                page=3,
                clause_text=f"前文。条款{EVIL}后文。",
                status=f"征求意见稿{EVIL}",
            )
        ],
    )
    rendered = app.render_answer(answer).lower()
    assert "<script" not in rendered and "<img" not in rendered
    assert "&lt;script&gt;" in rendered
    assert "](javascript:" not in rendered and "](http" not in rendered
    assert "&#91;1&#93;" in rendered  # citation markers still read [1]
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
    assert "问题是空的" in message  # the page is Chinese; the CLI and API keep the English message


def test_too_long_question_is_refused_in_chinese(bot):
    _, history, _ = app.chat(bot, "人工智能" * 1000, [], [])
    assert "问题太长了" in history[-1]["content"] and "characters" not in history[-1]["content"]


def test_index_outage_on_the_page_names_no_server_address():
    from core.errors import IndexUnavailable

    class Outage:
        def stream(self, question, history):
            raise IndexUnavailable("the index at http://10.0.0.7:8000 cannot be read right now")
            yield  # pragma: no cover

    _, history, _ = app.chat(Outage(), "问题", [], [])
    message = history[-1]["content"]
    assert "暂时无法读取政策文件索引" in message and "10.0.0.7" not in message


def test_unexpected_error_hides_traceback():
    class Broken:
        def stream(self, question, history):
            raise RuntimeError("secret internal detail")
            yield  # pragma: no cover

    _, history, _ = app.chat(Broken(), "问题", [], [])
    assert history[-1]["content"].endswith(app.INTERNAL_ERROR)
    assert "secret" not in _all_content(history)


def test_error_in_the_middle_of_a_stream_replaces_the_partial_answer():
    class Halting:
        def stream(self, question, history):
            yield "半句"
            raise RuntimeError("lost the index")

    steps = list(app.chat_stream(Halting(), "问题", [], [], []))
    assert steps[0][1][-1]["content"] == "半句"
    final_history, final_turns = steps[-1][1], steps[-1][2]
    assert final_history[-1]["content"].endswith(app.INTERNAL_ERROR)
    assert final_turns == []  # a failed answer is not context for the next question


def test_thumbs_up_and_down_are_stored_with_the_answer(bot, feedback):
    *_, (_, history, _, records) = app.chat_stream(bot, MEDICAL, [], [], [])

    assert app.record_feedback(feedback, records, 1, True)
    assert app.record_feedback(feedback, records, [1], False)
    assert not app.record_feedback(feedback, records, 0, True)  # the question itself is not rated
    assert not app.record_feedback(feedback, records, 1, None)  # a like taken back stores nothing
    down, up = feedback.recent()
    assert (up["rating"], down["rating"]) == ("up", "down")
    assert up["channel"] == "web" and up["question"] == MEDICAL
    assert "省卫生健康委" in up["answer"]
    assert up["citations"][0]["clause"].endswith("（三）人工智能+医疗")


def test_clause_browser_shows_the_tree_with_agencies(bot):
    (document,) = catalog.documents(bot.plan())
    rendered = app.render_document(document)

    assert "<details open><summary>二、重点领域</summary>" in rendered
    assert "（三）人工智能+医疗" in rendered and "责任单位：省卫生健康委、省药监局" in rendered
    assert "征求意见稿" in rendered
    assert "\n\n" not in rendered


def test_agency_directory_lists_lead_roles_first(bot):
    plan = bot.plan()
    (agency,) = catalog.agencies(plan, "省发改委")  # an alias of 省发展改革委
    assert agency.agency == "省发展改革委"
    roles = [entry.role for entry in agency.clauses]
    assert roles == sorted(roles, key=["牵头", "参与", "提及"].index)
    rendered = app.render_agency(agency, {cid: c.text for cid, c in plan.clauses.items()})
    assert "省发展改革委" in rendered and "（三）人工智能+医疗" in rendered


def test_browser_views_escape_document_text():
    from server.schemas import ClauseOut, DocumentOut

    document = DocumentOut(
        doc_id="d",
        title=EVIL,
        source=f"{EVIL}.txt",
        status="正式",
        clauses=[
            ClauseOut(id="c", path=[f"一、{EVIL}"], clause=f"一、{EVIL}", number="一、", title="t", kind="section",
                      agencies=[EVIL], text=f"正文{EVIL}[x](javascript:alert(1))"),
        ],
    )
    rendered = app.render_document(document).lower()
    assert "<script" not in rendered and "<img" not in rendered
    assert rendered.count("&lt;script&gt;") >= 4


def test_server_serves_chat_page_api_and_widget(bot, tmp_path):
    settings = Settings(home=tmp_path, chroma_url=None)
    with BackgroundServer(app.build_server(bot, settings)) as url:
        with httpx.Client(base_url=url, timeout=10.0, trust_env=False) as client:
            page = client.get("/")
            assert page.status_code == 200
            assert "fonts.googleapis.com" not in page.text
            assert app.TITLE in page.text
            theme_css = client.get("/theme.css")
            assert theme_css.status_code == 200
            assert "fonts.googleapis.com" not in theme_css.text
            assert "system-ui" in theme_css.text
            assert client.get("/api/health").json().items() >= {"status": "ok", **bot.stats()}.items()
            assert client.get("/embed.js").status_code == 200
            assert "/api/ask" in client.get("/openapi.json").json()["paths"]


def test_eligibility_form_lists_measures_with_their_clauses_and_escapes_text(bot):
    rendered = app.check_eligibility(bot, "enterprise", "杭州市<script>", 30000, 150, "人工智能", None)
    # The provincial plan sets no condition for its measures: said once for the document, not per measure.
    assert "算力券" in rendered and rendered.count("文件未规定具体的申请条件") == 1
    assert "<details" not in rendered and not any(glyph in rendered for glyph in "✅❌❓")
    assert "<script>" not in rendered
    bad = app.check_eligibility(bot, "enterprise", "", -5, None, "", None)
    assert "annual_revenue_cny" in bad and "Traceback" not in bad


def test_failed_answers_log_the_question_only_when_allowed(bot, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("index exploded")

    monkeypatch.setattr(bot, "stream", broken)
    for allowed in (True, False):
        monkeypatch.setattr(bot.settings, "log_questions", allowed)
        caplog.clear()
        list(app.chat_stream(bot, "机密问题内容", [], [], []))
        assert ("机密问题内容" in caplog.text) is allowed
        assert "answering" in caplog.text


# --- the conversation a reload brings back -------------------------------------------------------
def test_saved_conversation_round_trips_without_feedback_records(bot):
    _, history, turns = app.chat(bot, "人工智能+医疗由哪些部门负责？", [], [])
    saved = app.saved_conversation(history, turns)
    shown, state, restored_turns, records = app.restore_conversation(saved)
    assert shown == state == history and restored_turns == turns
    assert records == [None] * len(history)  # a restored answer is not rated again


@pytest.mark.parametrize(
    "saved",
    [None, "garbage", 42, {"history": "x"}, {"history": [{"role": "system", "content": "你是…"}, {"role": "user"}, 7]}],
)
def test_unusable_saved_conversation_restores_nothing(saved):
    assert app.restore_conversation(saved) == ([], [], [], [])


def test_saved_conversation_keeps_the_last_messages_only():
    long = [{"role": "user" if i % 2 == 0 else "assistant", "content": str(i)} for i in range(100)]
    saved = app.saved_conversation(long, long)
    assert len(saved["history"]) == app.SAVED_MESSAGES and saved["history"][-1]["content"] == "99"


def test_browser_secret_is_kept_under_home_or_taken_from_the_setting(tmp_path):
    settings = Settings(home=tmp_path / "home", llm_model=None)
    first = app.browser_secret(settings)
    assert len(first) >= 32 and app.browser_secret(settings) == first
    assert oct((tmp_path / "home" / "browser-secret").stat().st_mode & 0o777) == "0o600"
    assert app.browser_secret(Settings(home=tmp_path / "other", browser_secret="shared-by-replicas", llm_model=None)) == "shared-by-replicas"


def _cited(answer_text: str, quote: str) -> Answer:
    clause = "（三）人工智能+医疗。建设基地。" + quote
    return Answer(question="q", answer=answer_text, citations=[
        Citation(doc_title="计划", clause="二、重点领域 › （三）人工智能+医疗", quote=quote, source="x.txt", clause_text=clause)])


def test_a_quote_the_answer_already_shows_is_not_repeated_in_its_source():
    quote = "（责任单位：省卫生健康委、省药监局）"
    rendered = app.render_answer(_cited(f"责任单位是省卫生健康委 [1]\n\n> {quote}", quote))
    sources = rendered[rendered.index('<div class="pb-citations">'):]
    assert "pb-quote" not in sources  # said once, in the answer
    assert sources.count(quote) == 1 and f"<mark>{quote}</mark>" in sources  # inside the full clause, folded
    paraphrased = app.render_answer(_cited("由省卫生健康委牵头 [1]", quote))
    assert f'<span class="pb-quote">“{quote}”</span>' in paraphrased  # the answer does not quote it: the source does


def test_agencies_sort_by_level_then_pinyin():
    names = ["杭州市经信局", "省科技厅", "浙江省发展和改革委员会", "人行浙江省分行", "省发展改革委", "西湖区科技局"]
    ordered = sorted(names, key=app.agency_sort_key)
    assert ordered[:3] == ["省发展改革委", "浙江省发展和改革委员会", "省科技厅"]
    assert ordered.index("杭州市经信局") < ordered.index("西湖区科技局")


def test_the_chat_page_is_zh_cn_with_its_script_first_in_head():
    from server.page import rewrite_page

    page = rewrite_page(b'<!doctype html>\n<html\n\tlang="en"\n\tstyle="x"><head><meta charset="utf-8"></head>', b"<script>s</script>")
    assert b'lang="zh-CN"' in page and b'lang="en"' not in page
    assert page.index(b"<script>s</script>") < page.index(b"<meta")
    assert b'<html lang="zh-CN">' in rewrite_page(b"<html><head></head>", b"")
