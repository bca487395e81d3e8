"""POST /api/admin/ingest: off without a token, guarded by it, refusals leave the index as it was."""

from __future__ import annotations

import time

import pytest

from bot.service import PolicyBot
from server.api import upload_name
from core.settings import Settings

TOKEN = "test-admin-token-7f3a"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
RULES = """测试市人工智能算力券实施细则（测试样例）
测试市数据局
2025年3月1日
第一条 为降低企业算力使用成本，制定本细则。
第二条 算力券面向在测试市注册的人工智能企业发放，每家企业每年最高50万元。（责任单位：测试市数据局、测试市财政局）
"""


@pytest.fixture(scope="module")
def admin_bot(tmp_path_factory) -> PolicyBot:
    """A bot of its own: these tests change its index."""
    settings = Settings(home=tmp_path_factory.mktemp("admin-home"))
    policybot = PolicyBot(settings)
    assert not policybot.ingest([settings.corpus_dir]).failures
    return policybot


@pytest.fixture(scope="module")
def admin(admin_bot, serve):
    return serve(admin_bot, admin_token=TOKEN, max_file_mb=0.05)


def _upload(client, name: str, data: bytes, headers=AUTH):
    return client.post("/api/admin/ingest", files={"file": (name, data)}, headers=headers)


def test_route_is_off_without_a_token(served, json_error):
    with served.client() as client:
        json_error(_upload(client, "rules.txt", RULES.encode(), headers={}), 404)
        json_error(_upload(client, "rules.txt", RULES.encode()), 404)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}])
def test_a_valid_token_is_required(admin, headers, json_error):
    with admin.client() as client:
        response = _upload(client, "rules.txt", RULES.encode(), headers=headers)
    json_error(response, 401, "Bearer")
    assert response.headers["www-authenticate"] == "Bearer"
    assert TOKEN not in response.text


@pytest.mark.parametrize(
    ("name", "data", "status", "fragment"),
    [
        ("setup.exe", b"MZ\x90\x00", 415, "unsupported file type '.exe'"),
        ("empty.txt", b"", 422, "empty"),
        ("notes.txt", b"hello world", 422, "no policy text"),
        ("binary.txt", b"\x00\x01\x02" * 100, 422, "not a text file"),
        ("fake.pdf", b"this is not a pdf", 422, "fake.pdf"),
        ("big.txt", RULES.encode() * 200, 413, "limit"),
    ],
    ids=["type", "empty", "no-clauses", "binary", "corrupt-pdf", "too-big"],
)
def test_refused_uploads_leave_the_index_unchanged(admin, admin_bot, name, data, status, fragment, json_error):
    before = admin_bot.stats()
    with admin.client() as client:
        json_error(_upload(client, name, data), status, fragment)
    assert admin_bot.stats() == before


@pytest.mark.parametrize("fixture", ["encrypted_pdf", "image_only_pdf", "truncated_pdf"])
def test_unreadable_pdfs_are_refused_with_their_reason(admin, admin_bot, fixture_files, fixture, json_error):
    path = fixture_files[fixture]
    before = admin_bot.stats()
    with admin.client() as client:
        json_error(_upload(client, path.name, path.read_bytes()), 422, path.name)
    assert admin_bot.stats() == before


def test_missing_file_field_is_a_4xx(admin, json_error):
    with admin.client() as client:
        response = client.post("/api/admin/ingest", data={"other": "x"}, headers=AUTH)
    json_error(response, 422, "'file'")


def test_upload_adds_a_document_that_answers_questions(admin, admin_bot):
    with admin.client() as client:
        response = _upload(client, "../../etc/shiliShi-suanliquan-test-sample.txt", RULES.encode())
        assert response.status_code == 201, response.text
        body = response.json()
        (document,) = body["ingested"]
        # The file keeps its own name (no directory part): ids and citations derive from it.
        assert document["source"] == "shiliShi-suanliquan-test-sample.txt"
        assert document["status"] == "added" and document["clauses"] >= 2
        assert body["documents"] == 2

        # The retriever notices the new index version within a couple of seconds (the wait ends then;
        # the bound is for a loaded machine).
        deadline = time.monotonic() + 60
        while True:
            answer = client.post("/api/ask", json={"question": "测试市算力券每家企业最高多少？"}).json()
            if answer["citations"] and "50万元" in answer["citations"][0]["quote"] or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert answer["citations"][0]["source"] == "shiliShi-suanliquan-test-sample.txt"
        assert "50万元" in answer["citations"][0]["quote"]

        again = _upload(client, "shiliShi-suanliquan-test-sample.txt", RULES.encode()).json()
        assert again["ingested"][0]["status"] == "unchanged" and again["documents"] == 2


def test_admin_route_is_documented_when_on(admin):
    with admin.client() as client:
        assert "/api/admin/ingest" in client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("rules.pdf", "rules.pdf"),
        ("C:\\Users\\me\\细则.docx", "细则.docx"),
        ("../../etc/passwd.txt", "passwd.txt"),
        (".txt", "upload.txt"),
        ("", "upload"),
        ("a\x00b\nc.md", "abc.md"),
        ("长" * 300 + ".txt", "长" * 120 + ".txt"),
    ],
)
def test_upload_keeps_only_the_file_name(sent, kept):
    assert upload_name(sent) == kept
