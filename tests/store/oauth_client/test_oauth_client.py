"""The playground's OAuth client without Textual: requests as data, PKCE, redirects."""

from __future__ import annotations

import base64
import socket
import threading
from urllib.parse import parse_qs, urlsplit

import pytest

from authclients.store import oauth_client as oc

TARGET = oc.Target.from_base("http://127.0.0.1:8765/")
WEB = oc.ClientCredentials("3", "s3cr3t/with+chars")


def test_target_defaults_and_metadata() -> None:
    assert TARGET.base_url == "http://127.0.0.1:8765"
    assert TARGET.token_url == "http://127.0.0.1:8765/oauth/token"
    found = TARGET.with_metadata(
        {"token_endpoint": "https://idp/token", "revocation_endpoint": "", "x": 1}
    )
    assert found.token_url == "https://idp/token"
    # Empty or missing entries keep Passport's paths.
    assert found.revoke_url == TARGET.revoke_url
    assert TARGET.api_url("") == "http://127.0.0.1:8765/api/1.0/users/me"
    assert TARGET.api_url("api/x?y=1") == "http://127.0.0.1:8765/api/x?y=1"
    assert TARGET.api_url("https://other/x") == "https://other/x"


def test_basic_auth_is_form_encoded_then_base64_and_masked() -> None:
    request = oc.password_request(TARGET, WEB, "alice", "pass word&=", "read")
    headers = dict(request.headers)
    decoded = base64.b64decode(headers["Authorization"].removeprefix("Basic ")).decode()
    assert decoded == "3:s3cr3t%2Fwith%2Bchars"  # RFC 6749 §2.3.1
    assert parse_qs(request.body) == {
        "grant_type": ["password"],
        "username": ["alice"],
        "password": ["pass word&="],
        "scope": ["read"],
    }
    shown = request.display()
    assert "pass word" not in shown and "pass+word" not in shown and "password=••••••" in shown
    assert "Authorization: Basic ••••••" in shown
    assert "Authorization: Basic ••••••" not in request.display(show_secrets=True)
    curl = request.curl()
    assert curl.startswith("curl -sS -i -X POST http://127.0.0.1:8765/oauth/token")
    assert "--data-raw" in curl and "Basic ••" not in curl
    assert WEB.secret not in request.curl(show_secrets=False)


def test_secret_in_the_body_and_public_clients() -> None:
    post = oc.ClientCredentials("3", "abc", "client_secret_post")
    request = oc.client_credentials_request(TARGET, post)
    assert "Authorization" not in dict(request.headers)
    assert parse_qs(request.body)["client_secret"] == ["abc"]
    public = oc.refresh_request(TARGET, oc.ClientCredentials("7"), "rt")
    assert parse_qs(public.body) == {
        "grant_type": ["refresh_token"],
        "refresh_token": ["rt"],
        "client_id": ["7"],
    }
    api = oc.api_request(TARGET, "tok")
    assert dict(api.headers)["Authorization"] == "Bearer tok"
    assert "Bearer ••••••" in api.display()


def test_pkce_s256_matches_rfc_7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert oc.s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    fresh = oc.Pkce.new()
    assert 43 <= len(fresh.verifier) <= 128 and fresh.challenge == oc.s256(fresh.verifier)
    assert oc.Pkce.new().state != fresh.state


def test_authorize_url_carries_pkce_and_state() -> None:
    pkce = oc.Pkce.fixed("st", "v" * 43)
    url = oc.authorize_url(TARGET, "3", "https://app/cb", "read write", pkce)
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge"] == [pkce.challenge]
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"] == ["st"] and query["scope"] == ["read write"]


def test_parse_redirect_checks_state() -> None:
    ok = oc.parse_redirect("https://app/cb?code=abc&state=st", "st")
    assert ok.code == "abc"
    with pytest.raises(oc.StateMismatch, match="sent 'st', got 'evil'"):
        oc.parse_redirect("https://app/cb?code=abc&state=evil", "st")
    with pytest.raises(oc.StateMismatch, match="no state"):
        oc.parse_redirect("https://app/cb?code=abc", "st")
    denied = oc.parse_redirect("https://app/cb?error=access_denied&state=st", "st")
    assert denied.error == "access_denied" and not denied.code
    with pytest.raises(ValueError, match="neither a code nor an error"):
        oc.parse_redirect("https://app/cb?state=st", "st")


def test_read_pages() -> None:
    sign_in = oc.read_page(
        '<h1>Sign in to continue to Web</h1><p class="error" role="alert">Wrong.</p>'
        '<form method="post" action="/oauth/authorize">'
        '<input type="hidden" name="request" value="r1"><input type="hidden" name="csrf_token" '
        'value="c1"><input type="password" name="password"></form>'
    )
    assert sign_in.kind == "sign_in" and sign_in.message == "Wrong."
    assert sign_in.hidden == {"request": "r1", "csrf_token": "c1"}
    consent = oc.read_page(
        "<h1>Authorize Web?</h1><p>Signed in as <strong>alice</strong>.</p>"
        "<ul><li><code>read</code></li></ul>"
        '<form><button name="action" value="approve">Approve</button></form>'
    )
    assert consent.kind == "consent" and consent.scopes == ["read"]
    assert consent.signed_in_as == "alice"
    assert oc.read_page("<h1>Nope</h1><p class='error'>Bad redirect</p>").kind == "error"


def test_countdown() -> None:
    token = oc.TokenSet("a", expires_in=3600, received_at=1000.0)
    assert token.seconds_left(1000.0) == 3600
    assert oc.countdown(3600) == "1 h 00 min left"
    assert oc.countdown(3599) == "59:59 left"
    assert oc.countdown(-5) == "expired 5 s ago"
    assert oc.countdown(None) == "no expiry given"
    assert oc.countdown(90000) == "1 d 1 h left"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused_and_timeout_never_raise() -> None:
    refused = oc.exchange(oc.discovery_request(f"http://127.0.0.1:{_free_port()}"), timeout=2)
    assert refused.response is None and "Connection refused" in refused.error
    # A listening socket that never answers: the timeout ends the wait.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        slow = oc.exchange(oc.discovery_request(f"http://127.0.0.1:{port}"), timeout=0.3)
    assert slow.response is None and "within 0.3 s" in slow.error
    # Something that answers but does not speak HTTP (an SSH server, say).
    with socket.socket() as ssh:
        ssh.bind(("127.0.0.1", 0))
        ssh.listen(1)

        def greet() -> None:
            peer, _ = ssh.accept()
            with peer:
                peer.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")

        greeter = threading.Thread(target=greet)
        greeter.start()
        odd = oc.exchange(
            oc.discovery_request(f"http://127.0.0.1:{ssh.getsockname()[1]}"), timeout=2
        )
        greeter.join()
    assert odd.response is None and odd.error
    bad = oc.exchange(oc.HttpRequest("x", "GET", "ftp://host/x"))
    assert bad.response is None and "Not an http(s) URL" in bad.error
