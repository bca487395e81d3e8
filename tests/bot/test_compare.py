"""`policybot diff`'s engine: clause-level comparison of two versions of a policy (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.compare import compare_documents, figures, similarity
from ingest.pipeline import parse_file

LIFECYCLE = Path(__file__).resolve().parents[1] / "fixtures" / "lifecycle"


@pytest.fixture(scope="module")
def diff():
    draft = parse_file(LIFECYCLE / "qinghe-biaozhu-measures-draft-test-sample.txt")
    final = parse_file(LIFECYCLE / "qinghe-biaozhu-measures-test-sample.txt")
    return compare_documents(draft, final)


def test_changed_figures_are_named_with_both_sides(diff):
    second = next(c for c in diff.changes if c.new and c.new.clause == "第二条")
    assert second.kind == "changed"
    assert second.figures_removed == ["10%", "100万元"] and second.figures_added == ["15%", "150万元"]
    assert "10%" in second.old.text and "15%" in second.new.text
    assert second.old.source.endswith("draft-test-sample.txt") and second.new.source == "qinghe-biaozhu-measures-test-sample.txt"


def test_changed_agencies(diff):
    third = next(c for c in diff.changes if c.new and c.new.clause == "第三条")
    assert third.agencies_removed == ["青禾市经信局"] and third.agencies_added == ["青禾市发展改革委"]
    assert not third.figures_added and not third.figures_removed


def test_a_rewritten_article_is_a_removal_and_an_addition(diff):
    """第四条 of the draft (场地租金) and of the final (人才) share a number, not a subject."""
    assert diff.counts() == {"added": 1, "removed": 1, "changed": 3}
    added = next(c for c in diff.changes if c.kind == "added")
    removed = next(c for c in diff.changes if c.kind == "removed")
    assert "人才" in added.new.text and "租金" in removed.old.text
    assert diff.unchanged == 1  # 第一条


def test_text_rendering_quotes_both_sides(diff):
    text = diff.to_text()
    assert "修改 3 条，新增 1 条，删除 1 条，未变 1 条" in text
    assert "旧：第二条：“第二条 对新设立的数据标注企业，按其年度标注服务收入的10%" in text


def test_helpers():
    assert figures("最高100万元，比例10%，2027年") == ["100万元", "10%", "2027年"]
    assert similarity("第一条 甲乙丙丁", "第九条 甲乙丙丁") == 1.0  # the article number says nothing
