"""The web chat: a Chinese Gradio front end over ``PolicyBot.ask``.

Run with ``python app.py``; host and port come from ``POLICYBOT_HOST`` / ``POLICYBOT_PORT``.

Security: every piece of text that comes from a document or from a question is passed
through ``html.escape`` before it is put into a chat message, and the Chatbot sanitizes
HTML as well, so neither a policy file nor a visitor can inject markup or script.
"""

from __future__ import annotations

import html
import logging
import os
import re
import sys
from collections.abc import Iterable

# Gradio reads these at import / Blocks() time: no telemetry, no version check, no share link.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_SHARE", "False")

import gradio as gr  # noqa: E402
from pydantic import ValidationError  # noqa: E402

from bot.errors import PolicyBotError  # noqa: E402
from bot.models import Answer, Citation  # noqa: E402
from bot.service import PolicyBot  # noqa: E402
from bot.settings import Settings  # noqa: E402

log = logging.getLogger(__name__)

TITLE = "浙江省“人工智能+”政策问答"
DESCRIPTION = (
    "回答均引用原文条款并注明出处。《浙江省“人工智能+”行动计划（2024—2027年）》目前为**征求意见稿**，"
    "尚未正式施行，具体内容以正式发布的文件为准。"
)
EXAMPLES = [
    "人工智能+医疗由哪些部门负责？",
    "省数据局负责哪些领域？",
    "企业能获得哪些算力支持？",
    "征求意见截止到什么时候？",
    "到2027年的目标是什么？",
]
INTERNAL_ERROR = "抱歉，系统出现内部错误，请稍后再试。"
MAX_HISTORY_TURNS = 10  # user+assistant pairs passed back to the bot as context

# System fonts only: nothing is fetched from fonts.googleapis.com or any other CDN.
FONT = ["system-ui", "-apple-system", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "sans-serif"]
FONT_MONO = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]

CSS = """
.pb-citations ol { padding-left: 1.4em; margin: 0.3em 0; }
.pb-citations li { margin-bottom: 0.6em; }
.pb-status { border: 1px solid currentColor; border-radius: 4px; padding: 0 4px; font-size: 0.85em; }
.pb-quote { margin: 0.3em 0; padding-left: 0.6em; border-left: 3px solid #d0d7de; }
.pb-clause { white-space: pre-wrap; margin-top: 0.3em; }
.pb-clause mark { padding: 0 1px; }
"""


# --- rendering ------------------------------------------------------------------------
_BLOCKQUOTE_PREFIX = re.compile(r"^(\s{0,3}(?:>\s?)*)(.*)$")


def escape_markdown(text: str) -> str:
    """Escape HTML in Markdown text while keeping its Markdown (``**``, ``*``, ``>`` quotes).

    Each line's leading blockquote markers are kept; the rest goes through ``html.escape``,
    so ``<script>`` shows as text and never becomes a tag.
    """
    lines = []
    for line in (text or "").splitlines():
        prefix, rest = _BLOCKQUOTE_PREFIX.match(line).groups()
        lines.append(prefix + html.escape(rest))
    return "\n".join(lines)


def _quote_spans(clause_text: str, quote: str) -> list[tuple[int, int]]:
    """Where the quote (or its fragments, if it was shortened with “…”) occurs in the clause."""
    quote = (quote or "").strip()
    if not quote or not clause_text:
        return []
    start = clause_text.find(quote)
    if start >= 0:
        return [(start, start + len(quote))]
    spans, cursor = [], 0
    for fragment in re.split(r"…+|\.{3,}", quote):
        fragment = fragment.strip()
        if len(fragment) < 2:
            continue
        found = clause_text.find(fragment, cursor)
        if found < 0:
            found = clause_text.find(fragment)
            if found < 0 or any(s <= found < e for s, e in spans):
                continue
        spans.append((found, found + len(fragment)))
        cursor = found + len(fragment)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def _escape_block(text: str) -> str:
    # One line of HTML: a blank line would end the Markdown HTML block.
    return html.escape(text).replace("\r\n", "\n").replace("\n", "<br>")


def highlight_clause(clause_text: str, quote: str) -> str:
    """The escaped clause text with the quoted part wrapped in ``<mark>``."""
    parts, cursor = [], 0
    for start, end in _quote_spans(clause_text, quote):
        parts.append(_escape_block(clause_text[cursor:start]))
        parts.append("<mark>" + _escape_block(clause_text[start:end]) + "</mark>")
        cursor = end
    parts.append(_escape_block(clause_text[cursor:]))
    return "".join(parts)


def _doc_title(title: str) -> str:
    title = (title or "").strip() or "未命名文件"
    if not title.startswith("《"):
        title = f"《{title}》"
    return title


def render_citation(citation: Citation) -> str:
    head = [f"<strong>{html.escape(_doc_title(citation.doc_title))}</strong>"]
    if citation.clause:
        head.append(html.escape(citation.clause))
    if citation.page is not None:
        head.append(f"第 {int(citation.page)} 页")
    if citation.status:
        head.append(f'<span class="pb-status">{html.escape(citation.status)}</span>')
    item = " · ".join(head)
    if citation.quote:
        item += f'<div class="pb-quote">“{_escape_block(citation.quote)}”</div>'
    if citation.clause_text:
        item += (
            "<details><summary>查看完整条款</summary>"
            f'<div class="pb-clause">{highlight_clause(citation.clause_text, citation.quote)}</div>'
            "</details>"
        )
    return f"<li>{item}</li>"


def render_citations(citations: Iterable[Citation]) -> str:
    """A numbered list of citations as one line of (escaped) HTML; empty if there are none."""
    items = "".join(render_citation(c) for c in citations)
    if not items:
        return ""
    return f'<div class="pb-citations"><p><strong>引用条款</strong></p><ol>{items}</ol></div>'


def render_answer(answer: Answer) -> str:
    """The bot's chat message: the Markdown answer (HTML escaped) followed by its citations."""
    body = escape_markdown(answer.answer)
    citations = render_citations(answer.citations)
    return f"{body}\n\n{citations}" if citations else body


def render_error(message: str) -> str:
    return "⚠️ " + html.escape(" ".join(str(message).split()))


# --- handlers (testable without a browser) ----------------------------------------------
def reply(bot: PolicyBot, question: str, turns: list[dict] | None = None) -> tuple[str, Answer | None]:
    """Ask the bot; return the rendered bot message and the Answer (None on error).

    A ``PolicyBotError`` becomes its one-line message; anything else is logged and shown as
    a generic apology, never as a traceback.
    """
    try:
        answer = bot.ask(question, list(turns or []))
    except PolicyBotError as exc:
        return render_error(str(exc)), None
    except Exception:  # noqa: BLE001 - the visitor must never see a traceback
        log.exception("answering %r failed", question[:200] if isinstance(question, str) else question)
        return render_error(INTERNAL_ERROR), None
    return render_answer(answer), answer


def chat(
    bot: PolicyBot, message: str, chat_history: list | None, turns: list[dict] | None
) -> tuple[str, list, list[dict]]:
    """One chat step: returns (new textbox value, new Chatbot messages, new raw turns).

    ``chat_history`` is what the Chatbot shows (escaped HTML); ``turns`` holds the raw
    question / answer text the bot uses to understand follow-up questions.
    """
    message = message if isinstance(message, str) else ""
    chat_history = list(chat_history or [])
    turns = list(turns or [])
    rendered, answer = reply(bot, message, turns)
    if message.strip():
        chat_history.append({"role": "user", "content": escape_markdown(message.strip())})
    chat_history.append({"role": "assistant", "content": rendered})
    if answer is not None:
        turns += [{"role": "user", "content": message.strip()}, {"role": "assistant", "content": answer.answer}]
        turns = turns[-2 * MAX_HISTORY_TURNS :]
    return "", chat_history, turns


def clear() -> tuple[str, list, list[dict]]:
    return "", [], []


# --- app --------------------------------------------------------------------------------
def make_theme() -> gr.themes.Base:
    return gr.themes.Default(font=FONT, font_mono=FONT_MONO)


def build_app(bot: PolicyBot) -> gr.Blocks:
    """The chat UI. Theme and CSS are launch() arguments in Gradio 6: use ``launch_app``."""

    def on_submit(message: str, chat_history: list, turns: list[dict]):
        return chat(bot, message, chat_history, turns)

    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.Markdown(f"# {html.escape(TITLE)}\n\n{DESCRIPTION}")
        chatbot = gr.Chatbot(
            label="对话",
            height=560,
            sanitize_html=True,
            render_markdown=True,
            allow_tags=False,
            feedback_options=None,
            buttons=["copy"],
            placeholder="请提问有关浙江省“人工智能+”行动计划的问题，例如某个领域的责任单位、支持措施或时间安排。",
        )
        turns = gr.State([])
        with gr.Row():
            textbox = gr.Textbox(
                placeholder="请输入您的问题，按回车发送",
                show_label=False,
                lines=1,
                max_lines=4,
                scale=8,
                autofocus=True,
            )
            send = gr.Button("发送", variant="primary", scale=1, min_width=80)
        clear_button = gr.Button("清空对话", variant="secondary")
        gr.Examples(examples=[[q] for q in EXAMPLES], inputs=[textbox], label="试试这些问题")

        io = dict(fn=on_submit, inputs=[textbox, chatbot, turns], outputs=[textbox, chatbot, turns], api_visibility="private")
        textbox.submit(**io)
        send.click(**io)
        clear_button.click(clear, inputs=None, outputs=[textbox, chatbot, turns], api_visibility="private", queue=False)
    return demo


def launch_app(
    demo: gr.Blocks,
    host: str,
    port: int,
    *,
    prevent_thread_lock: bool = False,
    quiet: bool = False,
):
    """Queue and launch with no share link, no SSR/node, no telemetry and no CDN fonts."""
    demo.queue(default_concurrency_limit=4, max_size=64)
    return demo.launch(
        server_name=host,
        server_port=port,
        share=False,
        inbrowser=False,
        prevent_thread_lock=prevent_thread_lock,
        quiet=quiet,
        show_error=False,
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        run_history=False,
        enable_monitoring=False,
        footer_links=["api", "settings"],
        theme=make_theme(),
        css=CSS,
    )


def _fail(message: str) -> int:
    print(f"policybot: error: {' '.join(str(message).split())}", file=sys.stderr)
    return 1


def main() -> int:
    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0] if exc.errors() else {}
        field = ".".join(str(p) for p in first.get("loc", ()))
        return _fail(f"invalid setting POLICYBOT_{field.upper()}: {first.get('msg', exc)}")
    try:
        bot = PolicyBot(settings)
        if bot.stats()["documents"] == 0:
            print(f"policybot: index is empty, ingesting bundled corpus from {settings.corpus_dir} …", file=sys.stderr)
            report = bot.ingest_bundled_if_empty()
            if report is not None:
                print(
                    f"policybot: ingested {len(report.results)} document(s), {report.clauses} clauses "
                    f"in {report.seconds:.1f}s",
                    file=sys.stderr,
                )
                for failure in report.failures:
                    print(f"policybot: skipped {failure.path}: {failure.reason}", file=sys.stderr)
        stats = bot.stats()
        print(f"policybot: index has {stats['documents']} document(s), {stats['chunks']} chunks", file=sys.stderr)
        print("policybot: loading models …", file=sys.stderr)
        bot.warm_up()
    except PolicyBotError as exc:
        return _fail(str(exc))

    demo = build_app(bot)
    print(f"policybot: starting web chat on http://{settings.host}:{settings.port}", file=sys.stderr)
    try:
        launch_app(demo, settings.host, settings.port)
    except PolicyBotError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot serve on {settings.host}:{settings.port}: {exc} (set POLICYBOT_PORT to a free port)")
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
