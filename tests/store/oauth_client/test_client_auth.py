"""Each client authentication method puts the right thing on the wire (RFC 6749 §2.3, RFC 7523)."""

from __future__ import annotations

import base64
import time

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from authclients.store import oauth_client as oc
from authclients.store.oauth_client.client_auth import ASSERTION_TYPE

TARGET = oc.Target.from_base("https://as.example")
SECRET = "s3cret/with+chars-and-enough-length-for-hs256-000"


def _body(request: oc.HttpRequest) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(request.body))


def test_basic_sends_the_form_urlencoded_pair_in_the_header() -> None:
    request = oc.client_credentials_request(TARGET, oc.ClientCredentials("a b", SECRET))
    header = dict(request.headers)["Authorization"]
    assert base64.b64decode(header.removeprefix("Basic ")).decode() == (
        "a+b:s3cret%2Fwith%2Bchars-and-enough-length-for-hs256-000".replace("+b", "%20b", 1)
    )
    assert "client_secret" not in _body(request)
    assert SECRET not in request.display() and SECRET not in request.curl(show_secrets=False)


def test_post_sends_id_and_secret_in_the_body_masked_on_screen() -> None:
    client = oc.ClientCredentials("7", SECRET, "client_secret_post")
    request = oc.client_credentials_request(TARGET, client)
    assert _body(request)["client_secret"] == SECRET
    assert "Authorization" not in dict(request.headers)
    assert SECRET not in request.display()


def test_none_sends_only_the_id() -> None:
    request = oc.client_credentials_request(TARGET, oc.ClientCredentials("7", "", "none"))
    assert _body(request) == {"grant_type": "client_credentials", "client_id": "7"}


def test_client_secret_jwt_is_an_hs256_assertion_for_the_token_endpoint() -> None:
    client = oc.ClientCredentials("7", SECRET, "client_secret_jwt")
    first = oc.client_credentials_request(TARGET, client)
    second = oc.client_credentials_request(TARGET, client)
    body = _body(first)
    assert body["client_assertion_type"] == ASSERTION_TYPE
    assert "client_secret" not in body and "Authorization" not in dict(first.headers)
    token = jwt.decode(body["client_assertion"], OctKey.import_key(SECRET), algorithms=["HS256"])
    claims = token.claims
    assert claims["iss"] == claims["sub"] == "7"
    assert claims["aud"] == TARGET.token_url
    assert 0 < claims["exp"] - time.time() <= 60
    # A fresh jti each time: servers refuse a replayed assertion.
    assert (
        claims["jti"]
        != jwt.decode(
            _body(second)["client_assertion"], OctKey.import_key(SECRET), algorithms=["HS256"]
        ).claims["jti"]
    )
    # The assertion is a credential for a minute: masked like a secret.
    assert body["client_assertion"] not in first.display()


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_private_key_jwt_signs_with_the_generated_key(alg: str) -> None:
    key = oc.generate_key_pair(alg)
    client = oc.ClientCredentials("7", "", "private_key_jwt", key)
    body = _body(oc.introspect_request(TARGET, client, "tok"))
    token = jwt.decode(body["client_assertion"], key, algorithms=[alg])
    assert token.header["kid"] == key.kid and token.header["alg"] == alg
    assert token.claims["aud"] == TARGET.introspect_url


def test_the_published_jwks_has_no_private_part() -> None:
    import json

    jwks = json.loads(oc.public_jwks(oc.generate_key_pair("ES256")))
    (key,) = jwks["keys"]
    assert "d" not in key and key["kty"] == "EC" and key["kid"]


def test_a_jwt_method_without_what_it_signs_with_says_so() -> None:
    with pytest.raises(ValueError, match="client secret"):
        oc.client_credentials_request(TARGET, oc.ClientCredentials("7", "", "client_secret_jwt"))
    with pytest.raises(ValueError, match="key pair"):
        oc.client_credentials_request(TARGET, oc.ClientCredentials("7", "", "private_key_jwt"))
