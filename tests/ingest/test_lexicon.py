"""The eligibility lexicon: validated at load, with the bad entry named; conditions it cannot read are kept."""

from __future__ import annotations

import tomllib

import pytest

from ingest.lexicon import LEXICON_PATH, LexiconError, parse_lexicon
from ingest.pipeline import parse_file


def lexicon_data() -> dict:
    return tomllib.loads(LEXICON_PATH.read_text(encoding="utf-8"))


def test_the_shipped_lexicon_loads():
    lexicon = parse_lexicon(lexicon_data())
    assert {k.kind for k in lexicon.measure_kinds} >= {"voucher", "interest_subsidy", "tax_relief", "recognition",
                                                       "talent_subsidy", "reward", "subsidy", "priority"}


def test_a_pattern_that_does_not_compile_is_named():
    data = lexicon_data()
    data["measure_kinds"][1]["cue"] = "贴息("
    with pytest.raises(LexiconError, match="measure_kinds.interest_subsidy does not compile"):
        parse_lexicon(data)


def test_missing_comparators_are_refused():
    data = lexicon_data()
    del data["conditions"]["comparators"]["gt"]
    with pytest.raises(LexiconError, match="comparators must define"):
        parse_lexicon(data)


def test_a_condition_no_phrasing_reads_is_kept_as_a_question(tmp_path):
    rules = tmp_path / "yangliXian-probe-test-sample.txt"
    rules.write_text(
        "样例县人工智能专项补贴办法（测试样例）\n样例县科技局\n2025年1月1日\n第一条　为测试，制定本办法。\n"
        "第二条　申请企业应当同时符合下列条件：\n（一）成立满2年；\n（二）上一年度营业收入不低于500万元。\n"
        "第三条　对符合条件的企业，按照合同费用的20%给予专项补贴，每家企业以300万元为限。\n",
        encoding="utf-8",
    )
    measure = parse_file(rules).measures[0]
    kinds = {c.kind: c.value for c in measure.conditions}
    assert kinds["revenue_min"] == 5e6 and "成立满2年" in kinds["stated"]
    assert [b.cap_cny for b in measure.benefits if b.cap_cny] == [3e6]
