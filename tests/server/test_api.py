"""The HTTP API on a real server: the answer contract, browsing, feedback, and JSON errors for bad input."""

from __future__ import annotations

import pytest

MEDICAL = "人工智能+医疗由哪些部门负责？"
PUBLIC_ANSWER_KEYS = {"question", "answer", "refused", "mode", "citations", "latency_ms"}
PUBLIC_CITATION_KEYS = {"doc_title", "clause", "quote", "source", "page"}


def test_ask_returns_the_answer_contract_with_citations(client):
    body = client.post("/api/ask", json={"question": MEDICAL}).json()

    assert set(body) == PUBLIC_ANSWER_KEYS
    assert body["question"] == MEDICAL and body["refused"] is False
    assert "省卫生健康委" in body["answer"]
    citation = body["citations"][0]
    assert set(citation) == PUBLIC_CITATION_KEYS
    assert citation["clause"].endswith("（三）人工智能+医疗")
    assert "省卫生健康委" in citation["quote"]
    # The quote is verbatim: it occurs in the clause the citation names.
    clauses = {c["clause"]: c["text"] for d in client.get("/api/clauses").json()["documents"] for c in d["clauses"]}
    assert citation["quote"] in clauses[citation["clause"]]


def test_ask_uses_history_for_follow_ups(client):
    first = client.post("/api/ask", json={"question": MEDICAL}).json()
    history = [{"role": "user", "content": MEDICAL}, {"role": "assistant", "content": first["answer"]}]
    follow_up = client.post("/api/ask", json={"question": "那它有哪些具体举措？", "history": history}).json()
    assert follow_up["refused"] is False
    assert any("医疗" in c["clause"] for c in follow_up["citations"])


def test_out_of_scope_question_is_refused_not_failed(client):
    body = client.post("/api/ask", json={"question": "上海的人工智能政策有哪些？"}).json()
    assert body["refused"] is True and body["citations"] == []


@pytest.mark.parametrize(
    ("request_kwargs", "status", "fragment"),
    [
        ({"json": {"question": "   "}}, 400, "empty"),
        ({"json": {"question": "问" * 2001}}, 400, "2000"),
        ({"json": {}}, 422, "question"),
        ({"json": {"question": None}}, 422, "question"),
        ({"json": {"question": "问", "history": [{"role": "system", "content": "x"}]}}, 422, "history"),
        ({"json": ["question"]}, 422, "JSON object"),
        ({"content": b'{"question": "AI+', "headers": {"content-type": "application/json"}}, 400, "malformed JSON"),
        ({"content": b'{"question": "hi"}'}, 422, "Content-Type: application/json"),
    ],
    ids=["empty", "too-long", "missing", "null", "bad-history", "not-object", "malformed", "no-content-type"],
)
def test_bad_questions_get_a_json_4xx(client, request_kwargs, status, fragment, json_error):
    json_error(client.post("/api/ask", **request_kwargs), status, fragment)


def test_oversized_body_is_refused_before_it_is_read(client, served, json_error):
    limit = served.settings.max_body_kb * 1024
    response = client.post("/api/ask", content=b'{"question": "' + b"x" * limit + b'"}',
                           headers={"content-type": "application/json"})
    json_error(response, 413, f"{limit:,}")


def test_oversized_body_without_a_length_is_refused(client, served, json_error):
    limit = served.settings.max_body_kb * 1024

    def chunked():  # no Content-Length: the bytes are counted as they arrive
        yield b'{"question": "'
        for _ in range(limit // 4096 + 2):
            yield b"x" * 4096
        yield b'"}'

    response = client.post("/api/ask", content=chunked(), headers={"content-type": "application/json"})
    json_error(response, 413)


def test_unknown_endpoint_and_wrong_method_are_json(client, json_error):
    json_error(client.get("/api/nothing-here"), 404, "/api/nothing-here")
    message = json_error(client.get("/api/ask"), 405, "POST")
    assert message
    assert client.get("/api/ask").headers["allow"] == "POST"


def test_search_returns_clauses_with_scores(client, json_error):
    body = client.post("/api/search", json={"query": "算力券", "k": 3}).json()
    results = body["results"]
    assert 1 <= len(results) <= 3
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    assert any("算力券" in r["text"] for r in results)
    assert {"clause_id", "doc_title", "clause", "status", "agencies", "dense", "bm25"} <= set(results[0])
    json_error(client.post("/api/search", json={"query": "  "}), 400, "empty")
    json_error(client.post("/api/search", json={"query": "x", "k": 0}), 422, "k")


def test_clauses_lists_documents_with_their_clause_tree(client, json_error):
    (document,) = client.get("/api/clauses").json()["documents"]
    assert document["status"] == "征求意见稿"
    medical = next(c for c in document["clauses"] if c["clause"].endswith("（三）人工智能+医疗"))
    assert medical["path"] == ["二、重点领域", "（三）人工智能+医疗"]
    assert medical["agencies"][0] == "省卫生健康委"
    assert "人工智能生物医药" in medical["text"]
    only = client.get("/api/clauses", params={"doc_id": document["doc_id"]}).json()["documents"]
    assert [d["doc_id"] for d in only] == [document["doc_id"]]
    json_error(client.get("/api/clauses", params={"doc_id": "doc-missing"}), 404, "doc-missing")


def test_agencies_directory_and_alias_lookup(client, json_error):
    directory = client.get("/api/agencies").json()["agencies"]
    names = [a["agency"] for a in directory]
    assert "省卫生健康委" in names and "省数据局" in names
    (ndrc,) = client.get("/api/agencies", params={"agency": "省发改委"}).json()["agencies"]
    assert ndrc["agency"] == "省发展改革委"
    assert any(c["clause"].endswith("（三）人工智能+医疗") and c["role"] == "参与" for c in ndrc["clauses"])
    (health,) = client.get("/api/agencies", params={"agency": "省卫健委"}).json()["agencies"]
    assert health["agency"] == "省卫生健康委"
    assert health["clauses"][0]["role"] == "牵头" and health["clauses"][0]["clause"].endswith("人工智能+医疗")
    json_error(client.get("/api/agencies", params={"agency": "省外星局"}), 404, "省外星局")


def test_health_reports_index_size_and_cache_counts(client, bot):
    health = client.get("/api/health").json()
    assert {k: v for k, v in health.items() if k != "cache"} == {"status": "ok", **bot.stats()}
    question = {"question": "省数据局负责哪些领域？（健康检查）"}
    first, again = (client.post("/api/ask", json=question).json() for _ in range(2))
    assert {**first, "latency_ms": 0} == {**again, "latency_ms": 0}
    after = client.get("/api/health").json()["cache"]
    assert after["answers"]["hits"] == health["cache"]["answers"]["hits"] + 1
    assert after["answers"]["misses"] == health["cache"]["answers"]["misses"] + 1
    assert 0 < after["answers"]["bytes"] <= after["answers"]["max_bytes"]
    assert after["query_vectors"]["entries"] >= 1


def test_feedback_is_stored_with_question_answer_and_citations(client, served, json_error):
    answer = client.post("/api/ask", json={"question": MEDICAL}).json()
    response = client.post(
        "/api/feedback",
        json={"rating": "down", "question": MEDICAL, "answer": answer["answer"], "citations": answer["citations"],
              "comment": "想知道联系方式"},
    )
    assert response.status_code == 201
    stored = served.feedback.recent(1)[0]
    assert stored["id"] == response.json()["id"]
    assert (stored["rating"], stored["channel"], stored["comment"]) == ("down", "api", "想知道联系方式")
    assert stored["answer"] == answer["answer"]
    assert stored["citations"] == answer["citations"]
    json_error(client.post("/api/feedback", json={"rating": "meh", "question": "q", "answer": "a"}), 422, "rating")


def test_openapi_spec_describes_the_api(client):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in ("/api/ask", "/api/search", "/api/clauses", "/api/agencies", "/api/health", "/api/feedback",
                 "/v1/chat/completions", "/v1/models"):
        assert path in paths
    assert "/api/admin/ingest" not in paths  # off without POLICYBOT_ADMIN_TOKEN
    assert "question" in spec["components"]["schemas"]["AskRequest"]["properties"]


@pytest.mark.parametrize(
    ("request_kwargs", "status", "code", "chinese"),
    [
        ({"json": {"question": "   "}}, 400, "question_empty", "问题是空的"),
        ({"json": {"question": "问" * 2001}}, 400, "question_too_long", "2000 字以内"),
        ({"content": b'{"question": "AI+', "headers": {"content-type": "application/json"}}, 400, "invalid_json", "合法的 JSON"),
        ({"json": ["question"]}, 422, "body_not_object", "JSON 对象"),
    ],
    ids=["empty", "too-long", "malformed", "not-object"],
)
def test_errors_are_chinese_with_a_stable_code_unless_english_is_asked(served, request_kwargs, status, code, chinese):
    with served.client(headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}) as chinese_client:
        error = chinese_client.post("/api/ask", **request_kwargs).json()["error"]
    assert (error["status"], error["code"]) == (status, code) and chinese in error["message"]
    with served.client(headers={"Accept-Language": "en-GB,en;q=0.9"}) as english_client:
        english = english_client.post("/api/ask", **request_kwargs).json()["error"]
    assert english["code"] == code and english["message"] != error["message"] and chinese not in english["message"]


def test_not_found_is_chinese_by_default(served):
    with served.client(headers={"Accept-Language": ""}) as plain:
        error = plain.get("/api/agencies", params={"agency": "不存在的部门"}).json()["error"]
    assert error["code"] == "agency_not_found" and "不存在的部门" in error["message"] and error["status"] == 404
