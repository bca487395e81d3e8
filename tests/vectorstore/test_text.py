"""Search tokens and query expansion."""

import pytest

from vectorstore.text import expand_query, tokenize


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("计划最终想把浙江打造成什么样", "打造"),  # not 打 / 造成
        ("打造成为全国高地", "打造"),
        ("不会造成影响", "造成"),  # 造成 is still a word where it is one
    ],
)
def test_policy_verbs_are_cut_whole(text, token):
    assert token in tokenize(text)


def test_tokens_are_lower_case_without_punctuation_or_stopwords():
    tokens = tokenize("AI+医疗，的？")
    assert "ai" in tokens and "医疗" in tokens
    assert not {"，", "？", "的"} & set(tokens)


def test_expansion_adds_the_documents_words_for_english_ones():
    assert "算力券" in expand_query("compute vouchers for startups")
