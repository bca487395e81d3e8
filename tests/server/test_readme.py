"""The README's HTTP examples, pasted as they are: its curl commands and its Python client example run
against a served bot, so the front door never shows a command that fails."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
README_BOT = "127.0.0.1:7860"  # where the README's examples point; the tests point them at their server


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n### {title}\n")
    end = text.find("\n### ", start + 1)
    return text[start : end if end > 0 else None]


def fenced(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def curl_commands() -> list[str]:
    """Each curl command of the HTTP API section's first bash block (continued lines joined, comments dropped)."""
    block = fenced(section("HTTP API"), "bash")[0]
    commands, current = [], ""
    for line in block.splitlines():
        line = re.sub(r"\s+#\s.*$", "", line)
        current = (current + "\n" + line) if current else line
        if current.count("'") % 2 == 0 and not current.endswith("\\"):
            commands.append(current)
            current = ""
    return [c for c in commands if c.startswith("curl ")]


def pointed_at(command: str, url: str) -> str:
    return command.replace(README_BOT, url.removeprefix("http://"))


needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


@needs_curl
@pytest.mark.parametrize("command", curl_commands(), ids=lambda c: c.split()[2].split("/api/")[-1].split()[0])
def test_readme_curl_examples_work_when_pasted(served, command):
    result = subprocess.run(["bash", "-c", pointed_at(command, served.url)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)  # JSON, not an HTTP server's plain-text 400
    assert "error" not in body, body
    if "/api/agencies" in command:
        assert body["agencies"][0]["agency"] == "省发展改革委"  # the alias, percent-encoded, was understood
    if "/api/ask" in command:
        assert body["citations"]


@needs_curl
def test_readme_streaming_curl_shows_the_events(served):
    text = section("OpenAI-compatible endpoint")
    (command,) = re.findall(r"`(curl -N .*?)`", text, flags=re.S)
    command = " ".join(command.split())
    result = subprocess.run(["bash", "-c", pointed_at(command, served.url)], capture_output=True, text=True, timeout=60)
    events = [line.removeprefix("data: ") for line in result.stdout.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    final = json.loads(events[-2])
    streamed = "".join(json.loads(e)["choices"][0]["delta"].get("content", "") for e in events[:-1])
    assert final["revised"] is False and streamed == final["content"]  # the pieces add up to the final content
    assert final["content"].startswith(final["answer"]) and "来源：" in final["content"]
    assert final["usage"]["completion_tokens"] > 0


def test_readme_python_client_example_works_when_pasted(served):
    (example,) = fenced(section("OpenAI-compatible endpoint"), "python")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(pointed_at(example, served.url), "README.md", "exec"), {})  # noqa: S102 - our own README
    printed = out.getvalue()
    assert "省卫生健康委" in printed and "来源：" in printed and "（三）人工智能+医疗" in printed
