"""`policybot docs …`, `policybot diff` and `policybot ingest --supersedes` as a user runs them (issue 12)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LIFECYCLE = REPO / "tests" / "fixtures" / "lifecycle"
DRAFT = LIFECYCLE / "qinghe-biaozhu-measures-draft-test-sample.txt"
FINAL = LIFECYCLE / "qinghe-biaozhu-measures-test-sample.txt"
WANGLIAN = LIFECYCLE / "qinghe-wanglian-rules-test-sample.txt"
WRONG = LIFECYCLE / "qinghe-wrong-upload-test-sample.txt"


def policybot(home, *args, check=True, stdin=None):
    env = {**os.environ, "POLICYBOT_HOME": str(home)}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
        input=stdin if stdin is not None else "",
    )
    if check:
        assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def listed(home) -> dict[str, dict]:
    return {row["source"]: row for row in json.loads(policybot(home, "docs", "list", "--json").stdout)}


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("docs-cli-home")
    policybot(home, "ingest", str(DRAFT), str(WANGLIAN), str(WRONG))
    return home


def test_list_shows_every_field_and_a_final_supersedes_its_draft(home):
    rows = listed(home)
    draft = rows[DRAFT.name]
    assert set(draft) >= {"id", "title", "issuer", "date", "doc_number", "status", "jurisdiction", "clauses", "source", "ingested_at"}
    assert draft["status"] == "draft" and draft["issuer"] == "青禾市数据局" and draft["clauses"] == 5
    policybot(home, "ingest", str(FINAL))
    rows = listed(home)
    assert rows[DRAFT.name]["status"] == "superseded" and rows[DRAFT.name]["superseded_by"] == rows[FINAL.name]["id"]
    assert rows[FINAL.name]["status"] == "in_force" and rows[FINAL.name]["doc_number"] == "青禾政办发〔2025〕18号"
    text = policybot(home, "docs", "list").stdout
    assert "[已被取代]" in text and "[现行有效]" in text


def test_show_by_id_prefix_or_file_name(home):
    draft_id = listed(home)[DRAFT.name]["id"]
    shown = json.loads(policybot(home, "docs", "show", draft_id[:10], "--json").stdout)
    assert shown["id"] == draft_id and "第四条" in shown["clause_paths"]
    assert [e["action"] for e in shown["history"]][:1] == ["added"]
    text = policybot(home, "docs", "show", DRAFT.name).stdout
    assert draft_id in text and "superseded" in text
    missing = policybot(home, "docs", "show", "doc-nothing", check=False)
    assert missing.returncode == 2 and missing.stderr.strip().startswith("policybot: no document with id or file name")


def test_remove_asks_first(home):
    wrong_id = listed(home)[WRONG.name]["id"]
    declined = policybot(home, "docs", "remove", wrong_id, stdin="n\n", check=False)
    assert declined.returncode == 1 and "nothing removed" in declined.stderr
    assert WRONG.name in listed(home)
    removed = policybot(home, "docs", "remove", wrong_id, "--yes")
    assert "removed" in removed.stdout and WRONG.name not in listed(home)
    answer = json.loads(policybot(home, "ask", "低空巡检无人机每台补贴多少？", "--json").stdout)
    assert WRONG.name not in {c["source"] for c in answer["citations"]}


def test_expire_withdraw_then_restore(home):
    policybot(home, "docs", "status", WANGLIAN.name, "expired")
    assert listed(home)[WANGLIAN.name]["status"] == "expired"
    policybot(home, "docs", "status", WANGLIAN.name, "withdrawn")
    assert listed(home)[WANGLIAN.name]["status"] == "withdrawn"
    answer = json.loads(policybot(home, "ask", "智能网联汽车道路测试要买多少保险？", "--json").stdout)
    assert WANGLIAN.name not in {c["source"] for c in answer["citations"]}
    policybot(home, "docs", "status", WANGLIAN.name, "auto")
    assert listed(home)[WANGLIAN.name]["status"] == "in_force"
    bad = policybot(home, "docs", "status", WANGLIAN.name, "gone", check=False)
    assert bad.returncode == 2 and "unknown status 'gone'" in bad.stderr


def test_ingest_supersedes_a_document_named_by_id(home, tmp_path):
    newer = tmp_path / "qinghe-wanglian-rules-2026-test-sample.txt"
    newer.write_text(WANGLIAN.read_text(encoding="utf-8").replace("青禾市智能网联汽车道路测试管理办法", "青禾市智能网联汽车道路测试与示范应用管理办法")
                     .replace("500万元", "800万元"), encoding="utf-8")
    old_id = listed(home)[WANGLIAN.name]["id"]
    policybot(home, "ingest", str(newer), "--supersedes", old_id)
    rows = listed(home)
    assert rows[WANGLIAN.name]["status"] == "superseded" and rows[newer.name]["supersedes"] == [old_id]
    unknown = policybot(home, "ingest", str(newer), "--supersedes", "doc-nothing", check=False)
    assert unknown.returncode == 2 and "no document with id or file name 'doc-nothing'" in unknown.stderr


def test_diff_of_files_and_of_ids(home):
    as_json = json.loads(policybot(home, "diff", str(DRAFT), str(FINAL), "--json").stdout)
    kinds = sorted(c["kind"] for c in as_json["changes"])
    assert kinds == ["added", "changed", "changed", "changed", "removed"]
    second = next(c for c in as_json["changes"] if c["new"] and c["new"]["clause"] == "第二条")
    assert second["old"]["source"] == DRAFT.name and second["figures_added"] == ["15%", "150万元"]
    rows = listed(home)
    text = policybot(home, "diff", rows[DRAFT.name]["id"], rows[FINAL.name]["id"]).stdout
    assert "[修改] 第三条" in text and "新增部门：青禾市发展改革委" in text


def test_the_audit_log_names_the_cli_user(home):
    entries = json.loads(policybot(home, "docs", "log", "--json").stdout)
    actions = [(e["action"], e["source"]) for e in entries]
    for expected in [("added", DRAFT.name), ("superseded", DRAFT.name), ("removed", WRONG.name), ("expired", WANGLIAN.name),
                     ("withdrawn", WANGLIAN.name)]:
        assert expected in actions
    assert all(e["actor"].startswith("cli") for e in entries)
    assert (home / "audit.jsonl").is_file()
