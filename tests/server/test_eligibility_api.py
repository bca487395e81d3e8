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


def test_caps_tiers_and_provider_scope_over_http(serve, tmp_path_factory):
    """The 测试样例 compute subsidy: an enterprise's tier and 800万 yearly cap, a university's 50万 cap,
    the provider catalogue binding both."""
    from pathlib import Path

    from bot.service import PolicyBot
    from core.settings import Settings

    rules = Path(__file__).resolve().parents[1] / "fixtures" / "eligibility" / "yangliShi-suanli-butie-test-sample.txt"
    policybot = PolicyBot(Settings(home=tmp_path_factory.mktemp("eligibility-api")))
    assert not policybot.ingest([rules]).failures
    enterprise = {"type": "enterprise", "region": "样例市", "annual_revenue_cny": 1e8, "insured_employees": 30,
                  "legal_person": True, "good_credit": True, "related_party_purchase": False,
                  "other_public_funding": False, "provider_listed": True}
    with serve(policybot).client() as client:
        def verdict(profile):
            body = client.post("/api/eligibility", json={"profile": profile, "measures": ["算力补助"]})
            assert body.status_code == 200, body.text
            return body.json()["verdicts"][0]

        big = verdict({**enterprise, "spend_cny": 4e7, "tier": "智能算力"})
        assert big["verdict"] == "eligible" and big["benefit_cny"] == 8e6 and big["cap_cny"] == 8e6
        assert "4000万元 × 30% = 1200万元" in big["benefit_explanation"] and "按800万元计" in big["benefit_explanation"]
        assert any("单家企业每年申领不超过800万元" in e["quote"] for e in big["benefit_evidence"])
        assert verdict({**enterprise, "spend_cny": 1e7, "tier": "通用算力"})["benefit_cny"] == 2e6
        university = verdict({"type": "university", "region": "样例市", "spend_cny": 3e6, "provider_listed": True,
                              "related_party_purchase": False, "other_public_funding": False})
        assert university["verdict"] == "eligible" and university["benefit_cny"] == 5e5
        assert university["deciding"]["clause"].endswith("第六条")
        assert not any("营业收入" in c["requirement"] for c in university["met"] + university["missing"])
        outside = verdict({"type": "university", "region": "样例市", "provider_listed": False})
        assert outside["verdict"] == "not_eligible" and "服务商目录" in outside["deciding"]["quote"]
