"""The document list over HTTP: /api/admin/documents, /status, /diff, /audit and the /admin page (issue 12)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.library import token_actor
from bot.service import PolicyBot
from core.settings import Settings

TOKEN = "lifecycle-admin-token-5d2e"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LIFECYCLE = Path(__file__).resolve().parents[1] / "fixtures" / "lifecycle"
DRAFT = "qinghe-biaozhu-measures-draft-test-sample.txt"
FINAL = "qinghe-biaozhu-measures-test-sample.txt"
WANGLIAN = "qinghe-wanglian-rules-test-sample.txt"
WRONG = "qinghe-wrong-upload-test-sample.txt"


@pytest.fixture(scope="module")
def lifecycle_bot(tmp_path_factory) -> PolicyBot:
    policybot = PolicyBot(Settings(home=tmp_path_factory.mktemp("admin-documents-home")))
    assert not policybot.ingest([LIFECYCLE / n for n in (DRAFT, WANGLIAN, WRONG)]).failures
    return policybot


@pytest.fixture(scope="module")
def admin(lifecycle_bot, serve):
    return serve(lifecycle_bot, admin_token=TOKEN)


def documents(client) -> dict[str, dict]:
    response = client.get("/api/admin/documents", headers=AUTH)
    assert response.status_code == 200, response.text
    return {row["source"]: row for row in response.json()["documents"]}


def ask_sources(client, question: str) -> set[str]:
    answer = client.post("/api/ask", json={"question": question}).json()
    return {c["source"] for c in answer["citations"]}


def test_routes_are_off_without_a_token(served, json_error):
    with served.client() as client:
        json_error(client.get("/api/admin/documents"), 404)
        json_error(client.delete("/api/admin/documents/doc-x", headers=AUTH), 404)
        assert client.get("/admin").status_code == 404


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
def test_every_route_needs_the_token(admin, headers, json_error):
    with admin.client() as client:
        json_error(client.get("/api/admin/documents", headers=headers), 401, "Bearer")
        json_error(client.delete(f"/api/admin/documents/{DRAFT}", headers=headers), 401)
        json_error(client.post(f"/api/admin/documents/{DRAFT}/status", json={"status": "withdrawn"}, headers=headers), 401)
        json_error(client.get("/api/admin/audit", headers=headers), 401)
        assert DRAFT in documents(client)  # nothing changed


def test_upload_a_final_that_supersedes_its_draft_then_compare(admin, lifecycle_bot):
    with admin.client() as client:
        draft_id = documents(client)[DRAFT]["id"]
        uploaded = client.post(
            "/api/admin/ingest", headers=AUTH, files={"file": (FINAL, (LIFECYCLE / FINAL).read_bytes())},
            data={"supersedes": draft_id},
        )
        assert uploaded.status_code == 201, uploaded.text
        rows = documents(client)
        assert rows[DRAFT]["status"] == "superseded" and rows[FINAL]["supersedes"] == [draft_id]
        lifecycle_bot.retriever.refresh()
        assert ask_sources(client, "青禾市数据标注企业的奖励比例是多少？") == {FINAL}
        diff = client.get("/api/admin/diff", params={"old": draft_id, "new": rows[FINAL]["id"]}, headers=AUTH).json()
        assert sorted(c["kind"] for c in diff["changes"]) == ["added", "changed", "changed", "changed", "removed"]
        compared = client.post("/api/ask", json={"question": "正式稿和征求意见稿有什么不同？"}).json()
        assert {c["source"] for c in compared["citations"]} == {DRAFT, FINAL}


def test_withdraw_and_remove(admin, lifecycle_bot, json_error):
    with admin.client() as client:
        rows = documents(client)
        expired = client.post(f"/api/admin/documents/{rows[WANGLIAN]['id']}/status", json={"status": "已失效"}, headers=AUTH)
        assert expired.status_code == 200 and expired.json()["status"] == "expired"
        withdrawn = client.post(f"/api/admin/documents/{rows[WANGLIAN]['id']}/status", json={"status": "withdrawn"}, headers=AUTH)
        assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
        json_error(client.post(f"/api/admin/documents/{rows[WANGLIAN]['id']}/status", json={"status": "gone"}, headers=AUTH),
                   400, "unknown status 'gone'")
        removed = client.delete(f"/api/admin/documents/{rows[WRONG]['id']}", headers=AUTH)
        assert removed.status_code == 200, removed.text
        assert removed.json()["removed"]["source"] == WRONG
        json_error(client.delete(f"/api/admin/documents/{rows[WRONG]['id']}", headers=AUTH), 404, "no document")
        assert WRONG not in documents(client)
        for question, gone in (("智能网联汽车道路测试要买多少保险？", WANGLIAN), ("低空巡检无人机每台补贴多少？", WRONG)):
            assert gone not in ask_sources(client, question)


def test_a_changed_file_with_the_same_name_replaces_the_document(admin):
    changed = (LIFECYCLE / WANGLIAN).read_text(encoding="utf-8").replace("500万元", "600万元").encode()
    with admin.client() as client:
        uploaded = client.post("/api/admin/ingest", headers=AUTH, files={"file": (WANGLIAN, changed)})
        assert uploaded.status_code == 201 and uploaded.json()["ingested"][0]["status"] == "updated"
        row = documents(client)[WANGLIAN]
        assert row["status"] == "withdrawn"  # what the admin decided survives a new version of the file
        shown = client.get(f"/api/admin/documents/{row['id']}", headers=AUTH).json()
        assert [e["action"] for e in shown["history"]] == ["added", "expired", "withdrawn", "replaced"]


def test_the_audit_log_names_the_token_by_fingerprint_only(admin):
    with admin.client() as client:
        response = client.get("/api/admin/audit", headers=AUTH)
    body = response.json()
    assert TOKEN not in response.text
    actions = {(e["action"], e["source"]) for e in body["entries"] if e["actor"] == token_actor(TOKEN)}
    assert {("added", FINAL), ("superseded", DRAFT), ("withdrawn", WANGLIAN), ("removed", WRONG), ("replaced", WANGLIAN),
            ("expired", WANGLIAN)} <= actions
    assert body["location"].endswith("audit.jsonl")


def test_the_admin_page_is_served_with_its_script_and_a_strict_policy(admin):
    with admin.client() as client:
        page = client.get("/admin")
        script = client.get("/admin/admin.js")
        style = client.get("/admin/admin.css")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert TOKEN not in page.text and "<script src=\"/admin/admin.js\"" in page.text
    assert "管理令牌" in page.text and 'id="documents"' in page.text
    assert script.status_code == 200 and style.status_code == 200
    # The page's script calls exactly the routes tested above, with the token as a bearer header,
    # and writes what it gets with textContent only.
    for route in ("/api/admin/documents", "/api/admin/audit", "/api/admin/diff", "/api/admin/ingest", "/status"):
        assert route in script.text
    assert '"Bearer " + token()' in script.text and "innerHTML" not in script.text
    assert re.search(r'call\("DELETE"', script.text) and "window.confirm" in script.text
