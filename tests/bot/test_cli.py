"""The `policybot` command as a user runs it: JSON contract, stats, refusals that leave the index alone."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def policybot(home, *args, check=True):
    env = {**os.environ, "POLICYBOT_HOME": str(home)}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("cli-home")
    result = policybot(home, "ingest")
    assert "[1/1]" in result.stderr  # progress is shown
    return home


def test_stats_and_ask_json_follow_the_contract(home):
    assert json.loads(policybot(home, "stats", "--json").stdout) == {"documents": 1, "chunks": 20}
    answer = json.loads(policybot(home, "ask", "AI+医疗谁管", "--json").stdout)
    assert set(answer) == {"question", "answer", "refused", "mode", "citations", "latency_ms"}
    assert answer["mode"] == "extractive" and answer["refused"] is False
    assert set(answer["citations"][0]) == {"doc_title", "clause", "quote", "source", "page"}


def test_reingesting_the_same_file_changes_nothing(home):
    result = policybot(home, "ingest")
    assert "unchanged" in result.stderr
    assert json.loads(policybot(home, "stats", "--json").stdout) == {"documents": 1, "chunks": 20}


@pytest.mark.parametrize(
    "name, content",
    [("broken.pdf", b"%PDF-1.4\n1 0 obj <<"), ("photo.pdf", b"\x89PNG\r\n\x1a\n"), ("empty.txt", b""), ("x.exe", b"MZ")],
)
def test_unusable_files_are_refused_in_one_line_and_leave_the_index_alone(home, tmp_path, name, content):
    bad = tmp_path / name
    bad.write_bytes(content)
    result = policybot(home, "ingest", str(bad), check=False)
    assert result.returncode != 0
    refusals = [line for line in result.stderr.splitlines() if line.startswith("policybot: refused")]
    assert len(refusals) == 1 and name in refusals[0]
    assert "Traceback" not in result.stderr
    assert json.loads(policybot(home, "stats", "--json").stdout) == {"documents": 1, "chunks": 20}


def test_empty_question_is_a_one_line_error(home):
    result = policybot(home, "ask", " ", check=False)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("policybot: the question is empty")
    assert "Traceback" not in result.stderr


def test_ingest_stops_with_a_clear_message_while_another_process_writes_the_index(home, tmp_path):
    from core.settings import Settings
    from vectorstore.lock import IndexLock

    with IndexLock(Settings(home=home), "policybot serve"):
        result = policybot(home, "ingest", check=False)
    assert result.returncode == 2
    message = result.stderr.strip()
    assert "'policybot serve'" in message and "/api/admin/ingest" in message and "POLICYBOT_CHROMA_URL" in message
    assert "\n" not in message
    assert policybot(home, "ingest").returncode == 0  # free again once the holder is gone
