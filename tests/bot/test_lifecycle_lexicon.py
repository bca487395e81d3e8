"""The lifecycle words (data/lexicons/lifecycle.toml) are checked when loaded: a bad file says what is wrong in one line."""

from __future__ import annotations

import tomllib

import pytest

from bot.lifecycle import LEXICON_PATH, lexicon
from core.errors import PolicyBotError


def write(tmp_path, text: str):
    path = tmp_path / "lifecycle.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_words_load_with_the_comparing_words():
    words = lexicon(LEXICON_PATH)
    assert "分别" in words.comparing and "征求意见稿" in words.states["superseded"]


def test_a_missing_list_of_comparing_words_is_named(tmp_path):
    data = LEXICON_PATH.read_text(encoding="utf-8")
    without = "\n".join(line for line in data.splitlines() if not line.startswith("comparing"))
    with pytest.raises(PolicyBotError, match=r"'comparing' must be a non-empty list of words") as caught:
        lexicon(write(tmp_path, without))
    assert str(tmp_path) in str(caught.value) and "\n" not in str(caught.value)


def test_comparing_words_that_are_not_words_are_refused(tmp_path):
    data = LEXICON_PATH.read_text(encoding="utf-8")
    bad = "\n".join('comparing = ["分别", 3]' if line.startswith("comparing") else line for line in data.splitlines())
    with pytest.raises(PolicyBotError, match="'comparing' must be a non-empty list of words"):
        lexicon(write(tmp_path, bad))


def test_a_file_that_is_not_toml_gives_one_line_naming_it(tmp_path):
    path = write(tmp_path, "comparing = [\n")
    with pytest.raises(PolicyBotError, match="cannot read the lifecycle words") as caught:
        lexicon(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)
    assert not isinstance(caught.value, tomllib.TOMLDecodeError)
