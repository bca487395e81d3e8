"""POLICYBOT_CACHE_WARM_FILE: popular questions answered at start are cache hits, with the fresh answer;
a bad file is one line in the log and the bot serves on."""

from __future__ import annotations

import re

import pytest

from bot.warm import read_popular_questions
from core.errors import PolicyBotError
from core.settings import Settings
from tests.bot.test_cache import bot_for, plan_home, same_but_latency  # noqa: F401 - plan_home is a fixture


def test_warmed_questions_are_hits_with_the_fresh_answer(plan_home, embedder, tmp_path):
    popular = tmp_path / "popular.txt"
    popular.write_text("\ufeff# yesterday's most asked\n人工智能+医疗由哪些部门负责？\n\n算力券怎么申请？\n人工智能+医疗由哪些部门负责？\n" + "长" * 3000 + "\n",
                       encoding="utf-8")
    policybot = bot_for(Settings(home=plan_home, chroma_url=None, cache_warm_file=popular), embedder)
    lines: list[str] = []
    policybot.warm_cache(lines.append)

    assert lines[0] == "cache warm-up: answering 3 popular question(s) …"
    assert lines[1].startswith("cache warm-up: skipped line 3: ")  # over the question length limit
    assert lines[-1].startswith("cache warm-up: done, 2 answered, 1 skipped in ")
    assert policybot.answers.stats().entries == 2
    fresh = bot_for(Settings(home=plan_home, chroma_url=None, cache_entries=0), embedder)
    for question in ("人工智能+医疗由哪些部门负责？", "算力券怎么申请？"):
        hits = policybot.answers.stats().hits
        assert same_but_latency(policybot.ask(question), fresh.ask(question))
        assert policybot.answers.stats().hits == hits + 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"\xff\xfe\x00bad", "not UTF-8 text (byte 0)"),
        (b"# only a comment\n\n", "no questions in it"),
    ],
    ids=["missing", "not-utf8", "empty"],
)
def test_a_bad_file_is_one_line_and_nothing_else(plan_home, embedder, tmp_path, content, message):
    path = tmp_path / "popular.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(PolicyBotError, match=re.escape(message)):
        read_popular_questions(path, 100)
    policybot = bot_for(Settings(home=plan_home, chroma_url=None, cache_warm_file=path), embedder)
    lines: list[str] = []
    policybot.warm_cache(lines.append)
    assert len(lines) == 1 and lines[0].startswith("cache warm-up skipped: ") and message in lines[0]
    assert "\n" not in lines[0] and policybot.answers.stats().entries == 0
    assert policybot.ask("人工智能+医疗由哪些部门负责？").citations  # serves on


def test_a_folder_and_an_off_cache_are_reported_too(plan_home, embedder, tmp_path):
    lines: list[str] = []
    bot_for(Settings(home=plan_home, chroma_url=None, cache_warm_file=tmp_path), embedder).warm_cache(lines.append)
    popular = tmp_path / "popular.txt"
    popular.write_text("人工智能+医疗由哪些部门负责？\n", encoding="utf-8")
    off = bot_for(Settings(home=plan_home, chroma_url=None, cache_entries=0, cache_warm_file=popular), embedder)
    off.warm_cache(lines.append)
    assert lines == [
        f"cache warm-up skipped: {tmp_path}: a folder, not a file of questions",
        f"cache warm-up skipped: the answer cache is off here, so {popular} would be answered for nothing",
    ]


def test_only_as_many_as_the_cache_keeps_are_read(tmp_path):
    path = tmp_path / "popular.txt"
    path.write_text("".join(f"问题{i}\n" for i in range(10)), encoding="utf-8")
    assert read_popular_questions(path, 3) == ["问题0", "问题1", "问题2"]
