"""The playground's client and ``authclients try`` against node oidc-provider.

Nothing here was written for authclients: discovery must find a Keycloak-style
issuer (``…/realms/dev``), each client authentication method must satisfy a
server that checks them its own way, and the code grant must come back through
the loopback catcher with ``state`` and ``iss`` as that server sends them.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from authclients.store import oauth_client as oc
from authclients.tui.cli.main import main
from tests.interop.conftest import Reference


def test_discovery_finds_a_keycloak_style_issuer(reference: Reference) -> None:
    found = oc.discover(reference.issuer)

    assert found.ok, found.error
    assert found.kind == "OpenID Connect Discovery"
    # RFC 8414's inserted path first (oidc-provider does not serve it), then OIDC's.
    origin = reference.issuer.removesuffix("/realms/dev")
    assert [a.request.url for a in found.attempts] == [
        f"{origin}/.well-known/oauth-authorization-server/realms/dev",
        f"{reference.issuer}/.well-known/openid-configuration",
    ]
    assert [a.response.status for a in found.attempts if a.response] == [404, 200]
    target = found.target()
    assert target.token_url == f"{reference.issuer}/token"
    assert target.jwks_url == f"{reference.issuer}/jwks"
    assert "private_key_jwt" in target.auth_methods


def test_a_metadata_url_typed_whole_is_used_as_it_is(reference: Reference) -> None:
    url = f"{reference.issuer}/.well-known/openid-configuration"
    found = oc.discover(url)

    assert found.ok and found.url == url and found.issuer == reference.issuer
    assert len(found.attempts) == 1


def test_an_issuer_that_is_not_the_one_asked_for_is_refused(reference: Reference) -> None:
    # The document at /realms/dev names /realms/dev; asking for /realms/dev/ is the same
    # issuer, but a document fetched for another issuer must be refused (RFC 8414 §3.3).
    other = reference.issuer.replace("/realms/dev", "/realms/dev/.well-known/openid-configuration")
    assert oc.discover(other).ok
    found = oc.discover(reference.issuer + "x")
    assert not found.ok


def _try(args: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch, capsys) -> tuple[int, dict]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    status = main(["try", "--json", *args])
    out = capsys.readouterr().out
    return status, json.loads(out)


@pytest.mark.parametrize(
    ("client_id", "method"),
    [
        ("basic", "client_secret_basic"),
        ("post", "client_secret_post"),
        ("secretjwt", "client_secret_jwt"),
    ],
)
def test_client_credentials_with_each_secret_method(
    reference: Reference, client_id: str, method: str, monkeypatch, capsys
) -> None:
    status, answer = _try(
        [
            "--issuer",
            reference.issuer,
            "--client-id",
            client_id,
            "--client-secret-stdin",
            "--auth-method",
            method,
            "--grant",
            "client_credentials",
            "--scope",
            "read",
        ],
        reference.secret + "\n",
        monkeypatch,
        capsys,
    )

    assert status == 0, answer
    step = answer["steps"][-1]
    assert step["status"] == 200 and step["response"]["scope"] == "read"
    # The secret itself never appears in what was printed.
    assert reference.secret not in json.dumps(answer)


def test_client_credentials_with_private_key_jwt(reference: Reference, monkeypatch, capsys) -> None:
    status, answer = _try(
        [
            "--issuer",
            reference.issuer,
            "--client-id",
            "keyjwt",
            "--auth-method",
            "private_key_jwt",
            "--private-key",
            str(reference.key_file),
            "--grant",
            "client_credentials",
            "--scope",
            "read write",
        ],
        "",
        monkeypatch,
        capsys,
    )

    assert status == 0, answer
    assert answer["steps"][-1]["response"]["scope"] == "read write"


def test_a_wrong_secret_exits_1_with_the_servers_error_and_a_hint(
    reference: Reference, monkeypatch, capsys
) -> None:
    status, answer = _try(
        [
            *("--issuer", reference.issuer, "--client-id", "basic"),
            *("--client-secret-stdin", "--grant", "client_credentials"),
        ],
        "not-the-secret\n",
        monkeypatch,
        capsys,
    )

    assert status == 1
    step = answer["steps"][-1]
    assert step["status"] == 401 and step["response"]["error"] == "invalid_client"
    assert "secret" in step["hint"]


def _walk_the_browser(url: str) -> str:
    """What a person does in the browser: oidc-provider's dev sign-in, then consent.
    Returns the redirect's Location (to the catcher), after following it there."""
    browser = requests.Session()
    page = browser.get(url, timeout=10)
    for fields in ({"prompt": "login", "login": "alice", "password": "any"}, {"prompt": "consent"}):
        action = re.search(r'<form[^>]*action="([^"]+)"', page.text)
        assert action, page.text[:500]
        page = browser.post(urljoin(page.url, action.group(1)), data=fields, timeout=10)
    # requests followed the last redirect to the catcher, which answered its page.
    assert page.status_code == 200 and "reached the terminal" in page.text
    return page.url


def test_code_grant_with_pkce_through_the_catcher_then_refresh(reference: Reference) -> None:
    command = [sys.executable, "-m", "authclients.tui.cli", "try", "--json"]
    process = subprocess.Popen(
        [
            *command,
            "--issuer",
            reference.issuer,
            "--client-id",
            "native",
            "--grant",
            "authorization_code",
            "--scope",
            "openid offline_access",
            "--wait",
            "30",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = ""
        while not url:
            line = process.stderr.readline()
            assert line, "try ended before printing the authorization URL"
            if line.startswith(reference.issuer):
                url = line.strip()
        landed = _walk_the_browser(url)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, err
    answer = json.loads(out)
    tokens = answer["steps"][-1]["response"]
    assert tokens["token_type"] == "Bearer" and tokens["refresh_token"] and tokens["id_token"]
    # The exchange went to the catcher's redirect URI, port and all (RFC 8252 §7.3).
    assert urlsplit(landed).hostname == "127.0.0.1"
    assert "code_verifier" in answer["steps"][-1]["request"]

    refreshed = subprocess.run(
        [
            *command,
            "--issuer",
            reference.issuer,
            "--client-id",
            "native",
            "--grant",
            "refresh_token",
            "--refresh-token-stdin",
        ],
        input=tokens["refresh_token"] + "\n",
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert refreshed.returncode == 0, refreshed.stderr
    again = json.loads(refreshed.stdout)["steps"][-1]["response"]
    assert again["access_token"] != tokens["access_token"]


def test_private_key_jwt_from_a_jwk_file(
    reference: Reference, tmp_path, monkeypatch, capsys
) -> None:
    from joserfc.jwk import import_key

    pem_key = import_key(reference.key_file.read_bytes(), "EC")
    jwk_file = tmp_path / "key.json"
    jwk_file.write_text(json.dumps(pem_key.as_dict(private=True)))
    status, answer = _try(
        [
            *("--issuer", reference.issuer, "--client-id", "keyjwt"),
            *("--auth-method", "private_key_jwt", "--private-key", str(jwk_file)),
            *("--grant", "client_credentials", "--scope", "read"),
        ],
        "",
        monkeypatch,
        capsys,
    )
    assert status == 0, answer
