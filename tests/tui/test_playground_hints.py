"""The playground's hints: what to do about a failed request, naming the console's keys."""

from __future__ import annotations

import socket

import pytest

from authclients.store import oauth_client as oc
from authclients.tui.widgets.playground.hints import HintContext, explain

TARGET = oc.Target.from_base("http://127.0.0.1:8765/")
WEB = oc.ClientCredentials("3", "s3cr3t/with+chars")


def _answer(status: int, body: str, **headers: str) -> oc.Exchange:
    request = oc.client_credentials_request(TARGET, WEB)
    response = oc.HttpResponse(status, "", tuple(headers.items()), body)
    return oc.Exchange(request, response)


@pytest.mark.parametrize(
    ("status", "body", "context", "expected"),
    [
        (
            400,
            '{"error":"unauthorized_client"}',
            HintContext(grant="password", client_id="3", client_name="Batch"),
            "Turn on “Password grant” for client 3 (“Batch”)",
        ),
        (
            400,
            '{"error":"unauthorized_client"}',
            HintContext(grant="refresh_token", client_id="3"),
            "Turn on “Authorization code or Password grant”",
        ),
        (
            400,
            '{"error":"unauthorized_client"}',
            HintContext(grant="client_credentials", public=True),
            "public client has no secret",
        ),
        (
            401,
            '{"error":"invalid_client"}',
            HintContext(grant="password", client_id="3"),
            "wrong or was rotated",
        ),
        (
            400,
            '{"error":"invalid_grant","error_description":"code_verifier does not match"}',
            HintContext(grant="authorization_code"),
            "PKCE mismatch",
        ),
        (
            400,
            '{"error":"invalid_grant","error_description":"redirect_uri differs"}',
            HintContext(grant="authorization_code"),
            "Redirect URI mismatch",
        ),
        (
            400,
            '{"error":"invalid_grant"}',
            HintContext(grant="refresh_token"),
            "used already (rotation)",
        ),
        (400, '{"error":"invalid_scope"}', HintContext(grant="password"), "Scopes field"),
        (401, '{"error":"invalid_token"}', HintContext(grant="api"), "Get a new token"),
        (404, "<html>", HintContext(grant="password"), "Wrong URL"),
        (200, "{}", HintContext(grant="password"), ""),
    ],
)
def test_hints(status: int, body: str, context: HintContext, expected: str) -> None:
    hint = explain(_answer(status, body), context)
    assert expected in hint if expected else hint == ""


def test_slow_down_says_how_long() -> None:
    done = _answer(429, '{"error":"slow_down"}', **{"Retry-After": "30"})
    assert "wait 30 s" in explain(done, HintContext())


def test_refused_names_the_embedded_endpoint_or_the_base_url() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    refused = oc.exchange(oc.discovery_request(f"http://127.0.0.1:{port}"), timeout=2)
    assert refused.response is None
    assert "endpoint is not running" in explain(refused, HintContext(embedded=True))
    assert "check the base URL" in explain(refused, HintContext(embedded=False))
