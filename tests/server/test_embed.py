"""The widget and who may embed or call the server: frame-ancestors and CORS follow POLICYBOT_ALLOWED_ORIGINS."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

FOREIGN = "https://evil.example.com"
STATIC = Path(__file__).resolve().parents[2] / "server" / "static"


@pytest.fixture(scope="module")
def same_origin_only(bot, serve):
    return serve(bot)  # POLICYBOT_ALLOWED_ORIGINS unset


def test_widget_script_is_served(client):
    response = client.get("/embed.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "data-policybot" in response.text and "iframe" in response.text
    for option in ("data.title", "data.greeting", "data.color", "data.question"):
        assert option in response.text


def test_embed_page_runs_only_its_own_script_and_style(client, served):
    response = client.get("/embed")
    policy = response.headers["content-security-policy"]
    portal = served.settings.allowed_origins[0]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy and "connect-src 'self'" in policy
    assert f"frame-ancestors 'self' {portal}" in policy
    assert "x-frame-options" not in response.headers  # it would forbid the allowed portal
    # Nothing external: no CDN script, stylesheet or font.
    assert not re.search(r"(src|href)=\"(https?:)?//", response.text)
    assert client.get("/embed/chat.js").status_code == 200
    assert client.get("/embed/chat.css").status_code == 200


def test_widget_code_never_writes_html():
    for name in ("embed.js", "embed-chat.js"):
        code = (STATIC / name).read_text()
        assert "innerHTML" not in code and "insertAdjacentHTML" not in code and "document.write" not in code
        assert "eval(" not in code


def test_every_page_states_who_may_frame_it(client, served, same_origin_only):
    portal = served.settings.allowed_origins[0]
    assert f"frame-ancestors 'self' {portal}" in client.get("/").headers["content-security-policy"]
    with same_origin_only.client() as other:
        for path in ("/", "/embed", "/api/health"):
            response = other.get(path)
            assert response.headers["content-security-policy"].endswith("frame-ancestors 'self'")
            assert response.headers["x-frame-options"] == "SAMEORIGIN"


def test_cors_granted_to_the_allowed_origin_only(client, served):
    portal = served.settings.allowed_origins[0]
    allowed = client.post("/api/ask", json={"question": "AI+医疗谁管"}, headers={"Origin": portal})
    assert allowed.headers["access-control-allow-origin"] == portal
    foreign = client.post("/api/ask", json={"question": "AI+医疗谁管"}, headers={"Origin": FOREIGN})
    assert "access-control-allow-origin" not in foreign.headers

    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    granted = client.options("/api/ask", headers={"Origin": portal, **preflight})
    assert granted.status_code == 200 and granted.headers["access-control-allow-origin"] == portal
    refused = client.options("/api/ask", headers={"Origin": FOREIGN, **preflight})
    assert "access-control-allow-origin" not in refused.headers


def test_default_is_same_origin_only(same_origin_only):
    with same_origin_only.client() as client:
        for path in ("/api/health", "/", "/v1/models"):
            response = client.get(path, headers={"Origin": FOREIGN})
            assert "access-control-allow-origin" not in response.headers, path
