"""A question is read without the courtesy around it; what is left is the question, whatever else it says."""

from __future__ import annotations

import pytest

from bot.courtesy import courtesy_patterns, without_courtesy
from core.errors import PolicyBotError


@pytest.mark.parametrize(
    ("asked", "read"),
    [
        ("请问，杭州的算力券怎么申请？", "杭州的算力券怎么申请？"),
        ("您好！请问一下 杭州的算力券怎么申请", "杭州的算力券怎么申请"),
        ("杭州的算力券怎么申请?谢谢", "杭州的算力券怎么申请？"),
        ("杭州的算力券怎么申请，麻烦告知，谢谢！！", "杭州的算力券怎么申请"),
        ("晚上好~想问问杭州的算力券怎么申请。", "杭州的算力券怎么申请"),
        ("Hello, who leads the plan? Thank you!", "who leads the plan?"),
        ("Excuse me,  may I ask who leads the plan", "who leads the plan"),
    ],
)
def test_courtesy_is_not_part_of_the_question(asked, read):
    # A question mark before a closing courtesy stays (full width in Chinese); other closing punctuation goes.
    assert without_courtesy(asked) == read


@pytest.mark.parametrize(
    ("asked", "read"),
    [
        ("谢谢！", "谢谢！"),  # nothing but courtesy: kept, for the answerer to deal with
        ("您好，在吗？", "您好，在吗？"),
        ("History of the plan?", "History of the plan?"),  # "hi" is a word, not the start of one
        ("请教育厅说明补贴标准", "请教育厅说明补贴标准"),  # 请教 is not a courtesy on its own
        ("问题清单有哪些", "问题清单有哪些"),
        ("感谢信怎么写，谢谢", "感谢信怎么写"),  # a closer inside the question stays
        ("Please list the measures", "Please list the measures"),
        ("杭州的算力券怎么申请?", "杭州的算力券怎么申请?"),  # no courtesy: not touched at all
    ],
)
def test_what_is_not_courtesy_stays(asked, read):
    assert without_courtesy(asked) == read


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('openers = []\nclosers = ["谢谢"]\n', "'openers' must be a non-empty list of phrases"),
        ('openers = ["请问"]\n', "'closers' must be a non-empty list of phrases"),
        ('openers = ["请问.*"]\nclosers = ["谢谢"]\n', "'openers' holds plain phrases, not patterns: '请问.*'"),
        ("openers = [\n", "cannot read the courtesy lexicon"),
    ],
    ids=["empty", "missing", "pattern", "not-toml"],
)
def test_a_bad_lexicon_is_one_clear_line(tmp_path, text, message):
    path = tmp_path / "courtesy.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyBotError, match=message.replace("*", r"\*").replace(".", r"\.").replace("'", "'")) as caught:
        courtesy_patterns(path)
    assert "\n" not in str(caught.value)
