"""A document's state over time, from its own text and from what an admin recorded (issue 12)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ingest.lifecycle import LifecycleRecord, check_state, document_states, expiry_from_text, policy_key
from ingest.pipeline import parse_file

LIFECYCLE = Path(__file__).resolve().parents[1] / "fixtures" / "lifecycle"
TODAY = date(2026, 11, 30)


@pytest.fixture(scope="module")
def docs():
    return {p.name.removesuffix("-test-sample.txt"): parse_file(p) for p in sorted(LIFECYCLE.glob("*.txt"))}


def test_fixtures_are_labelled_as_test_samples(docs):
    assert all("测试样例" in d.title for d in docs.values())


def test_metadata_read_from_the_text(docs):
    final = docs["qinghe-biaozhu-measures"]
    assert final.doc_number == "青禾政办发〔2025〕18号"
    assert final.effective_date == "2025年9月1日" and final.expiry_date == "2028年8月31日"  # 有效期三年
    assert all("〔2025〕" not in c.text for c in final.clauses)  # the 文号 is metadata, not a clause
    assert docs["qinghe-biaozhu-measures-draft"].is_draft


@pytest.mark.parametrize(
    ("text", "effective", "issued", "expected"),
    [
        ("本办法自2025年9月1日起施行，有效期三年。", "2025年9月1日", None, "2028年8月31日"),
        ("有效期为5年。", None, "2020年3月1日", "2025年2月28日"),
        ("有效期至2024年12月31日。", "2022年1月1日", None, "2024年12月31日"),
        ("有效期两年。", "2024年2月29日", None, "2026年2月28日"),
        ("本办法自发布之日起施行。", None, "2025年1月1日", None),
    ],
)
def test_expiry_date(text, effective, issued, expected):
    assert expiry_from_text(text, effective, issued) == expected


def test_versions_of_one_policy_share_a_key(docs):
    assert policy_key(docs["qinghe-biaozhu-measures-draft"].title) == policy_key(docs["qinghe-biaozhu-measures"].title)
    assert policy_key(docs["qinghe-biaozhu-measures"].title) != policy_key(docs["qinghe-wanglian-rules"].title)


def test_states_from_the_text(docs):
    states = document_states(list(docs.values()), {}, TODAY)
    by_name = {name: states[d.doc_id] for name, d in docs.items()}
    assert by_name["qinghe-biaozhu-measures-draft"].state == "superseded"
    assert by_name["qinghe-biaozhu-measures-draft"].superseded_by == docs["qinghe-biaozhu-measures"].doc_id
    assert by_name["qinghe-biaozhu-measures"].state == "in_force"
    assert by_name["qinghe-biaozhu-measures"].supersedes == (docs["qinghe-biaozhu-measures-draft"].doc_id,)
    assert by_name["qinghe-suanli-pilot-rules"].state == "expired"  # 2022年1月1日起施行，有效期两年
    assert by_name["qinghe-wanglian-rules"].state == "in_force"


def test_a_draft_alone_is_in_use_and_expiry_depends_on_the_day(docs):
    draft, final = docs["qinghe-biaozhu-measures-draft"], docs["qinghe-biaozhu-measures"]
    assert document_states([draft], {}, TODAY)[draft.doc_id].state == "draft"
    # A draft's 有效期三年 is the final's: the draft itself does not expire by it.
    assert document_states([draft], {}, date(2029, 1, 1))[draft.doc_id].state == "draft"
    assert document_states([final], {}, date(2028, 8, 31))[final.doc_id].state == "in_force"
    assert document_states([final], {}, date(2028, 9, 1))[final.doc_id].state == "expired"  # 有效期至2028年8月31日
    pilot = docs["qinghe-suanli-pilot-rules"]
    assert document_states([pilot], {}, date(2023, 6, 1))[pilot.doc_id].state == "in_force"


def test_admin_records_win(docs):
    wanglian, notice = docs["qinghe-wanglian-rules"], docs["qinghe-wrong-upload"]
    records = {
        wanglian.doc_id: LifecycleRecord(status="withdrawn"),
        notice.doc_id: LifecycleRecord(supersedes=(wanglian.doc_id,)),  # named at ingest: whatever the titles say
    }
    states = document_states([wanglian, notice], records, TODAY)
    assert states[wanglian.doc_id].state == "withdrawn" and states[wanglian.doc_id].set_by_admin
    assert states[wanglian.doc_id].superseded_by == notice.doc_id
    states = document_states([wanglian, notice], {notice.doc_id: records[notice.doc_id]}, TODAY)
    assert states[wanglian.doc_id].state == "superseded"


def test_status_names(docs):
    assert check_state("已撤回") == "withdrawn" and check_state("in-force") == "in_force"
    with pytest.raises(ValueError, match="unknown status 'gone'"):
        check_state("gone")
