"""How a text is cut depends only on the index being searched, not on what the process indexed before."""

from vectorstore.text import index_terms, tokenize, use_index_terms


def test_an_index_terms_are_whole_while_it_is_searched_and_gone_after():
    text = "青禾区数据局负责样板工程"
    use_index_terms(index_terms([]))
    plain = tokenize(text)
    assert "青禾区数据局" not in plain
    use_index_terms(index_terms(["青禾区数据局"]))
    assert "青禾区数据局" in tokenize(text)
    use_index_terms(index_terms(["样板工程"]))  # another index: the first one's term is gone
    assert "青禾区数据局" not in tokenize(text) and "样板工程" in tokenize(text)
    use_index_terms(index_terms([]))
    assert tokenize(text) == plain
