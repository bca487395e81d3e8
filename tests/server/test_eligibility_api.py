"""POST /api/eligibility on a real server: verdicts with cited conditions, JSON errors for bad profiles."""

from __future__ import annotations


def test_eligibility_returns_cited_verdicts(client):
    body = client.post(
        "/api/eligibility", json={"profile": {"type": "enterprise", "region": "杭州市"}, "measures": ["算力券"]}
    ).json()
    verdicts = body["verdicts"]
    assert [v["measure"] for v in verdicts] == ["算力券"]
    # The provincial plan states no condition for 算力券: undetermined, and said so.
    assert verdicts[0]["verdict"] == "undetermined"
    assert "文件未规定具体的申请条件" in verdicts[0]["note"]


def test_eligibility_refuses_unknown_or_invalid_fields_in_json(client, json_error):
    json_error(client.post("/api/eligibility", json={"profile": {"revenue": 1}}), 422, "revenue")
    json_error(client.post("/api/eligibility", json={"profile": {"annual_revenue_cny": -5}}), 422, "annual_revenue_cny")
