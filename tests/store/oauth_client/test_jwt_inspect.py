"""The playground's JWT inspector: decode without trust, verify against a real JWKS, check claims.

Keys and tokens are made with joserfc; the key set is served over real HTTP
by ``tests.jwt_issuer.Issuer``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator

import pytest

from authclients.store import oauth_client as oc
from authclients.store.oauth_client.jwt_decode import MAX_TOKEN_CHARS
from authclients.store.oauth_client.jwt_verify import (
    at_hash,
    check_access_token,
    check_id_token,
    verify_signature,
)
from tests.jwt_issuer import Issuer, new_key, sign


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def ec_key():
    return new_key("EC", "ec-1")


@pytest.fixture(scope="module")
def rsa_key():
    return new_key("RSA", "rsa-1")


@pytest.fixture
def issuer(ec_key, rsa_key) -> Iterator[Issuer]:
    server = Issuer(ec_key, rsa_key)
    yield server
    server.close()


def verify(issuer: Issuer, token: str) -> oc.SignatureStatus:
    jwt = oc.decode(token)
    assert isinstance(jwt, oc.DecodedJwt), jwt
    return verify_signature(jwt, oc.fetch_key_set(issuer.jwks_url))


def flags(checks: list[oc.Check]) -> dict[str, bool]:
    return {check.name: check.ok for check in checks}


# -- decoding ---------------------------------------------------------------------------------


def test_decodes_header_and_claims_without_a_key(ec_key) -> None:
    token = sign({"sub": "42", "exp": 2000000000}, ec_key, "ES256", typ="at+jwt")
    jwt = oc.decode(token)
    assert isinstance(jwt, oc.DecodedJwt)
    assert jwt.header == {"alg": "ES256", "kid": "ec-1", "typ": "at+jwt"}
    assert jwt.claims == {"sub": "42", "exp": 2000000000}
    assert (jwt.alg, jwt.kid, jwt.typ) == ("ES256", "ec-1", "at+jwt")


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("", "empty"),
        ("opaque-random-token-abc123", "no JWT shape"),
        ("a.b", "no JWT shape"),
        ("a.b.c.d.e", "encrypted JWT"),
        ("!!!." + b64(b"{}") + ".sig", "header is not base64url"),
        (b64(b"not json") + "." + b64(b"{}") + ".c2ln", "header is not JSON"),
        (b64(b"[1]") + "." + b64(b"{}") + ".c2ln", "header is JSON but not an object"),
        (b64(b'{"typ":"JWT"}') + "." + b64(b"{}") + ".c2ln", "no string 'alg'"),
        (b64(b'{"alg":"ES256"}') + "." + b64(b"\xff\xfe") + ".c2ln", "payload is not UTF-8"),
        (b64(b'{"alg":"ES256"}') + "." + b64(b'"str"') + ".c2ln", "payload is JSON but not"),
        (b64(b'{"alg":"ES256","alg":"none"}') + "." + b64(b"{}") + ".c2ln", "duplicate"),
        (b64(b'{"alg":"ES256"}') + "." + b64(b"{}") + ".sig$", "signature is not base64url"),
    ],
)
def test_garbage_is_not_a_jwt_with_a_reason(token: str, reason: str) -> None:
    result = oc.decode(token)
    assert isinstance(result, oc.NotJwt)
    assert reason in result.reason


def test_an_opaque_token_says_so() -> None:
    result = oc.decode("Zm9vYmFy" * 8)
    assert isinstance(result, oc.NotJwt) and result.opaque


def test_a_100_kb_token_is_refused_unread() -> None:
    header = b64(b'{"alg":"ES256"}')
    token = f"{header}.{b64(json.dumps({'x': 'a' * 100_000}).encode())}.c2ln"
    assert len(token) > 100_000
    result = oc.decode(token)
    assert isinstance(result, oc.NotJwt)
    assert f"over the {MAX_TOKEN_CHARS}" in result.reason


def test_deep_nesting_is_refused_not_a_crash() -> None:
    deep = "[" * 5000 + "]" * 5000
    token = b64(b'{"alg":"ES256"}') + "." + b64(f'{{"x": {deep}}}'.encode()) + ".c2ln"
    result = oc.decode(token)
    assert isinstance(result, oc.NotJwt)
    assert "nests" in result.reason


def test_relative_times() -> None:
    assert oc.relative(180) == "in 3 min"
    assert oc.relative(-7200) == "2 h ago"
    assert oc.relative(2) == "now"
    assert oc.relative(-30) == "30 s ago"
    assert oc.relative(3 * 86400) == "in 3 d"


# -- signatures -------------------------------------------------------------------------------


def test_valid_es256_and_rs256(issuer: Issuer, ec_key, rsa_key) -> None:
    for key, alg in ((ec_key, "ES256"), (rsa_key, "RS256"), (rsa_key, "PS256")):
        status = verify(issuer, sign(issuer.claims(), key, alg))
        assert status.valid, status
        assert status.message == f"signature valid, key kid {key.kid} ({alg})"


@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")  # signing it here, not verifying
def test_valid_eddsa_and_ed25519() -> None:
    key = new_key("OKP", "ed-1")
    server = Issuer(key)
    try:
        assert verify(server, sign(server.claims(), key, "EdDSA")).valid
        assert verify(server, sign(server.claims(), key, "Ed25519")).valid
    finally:
        server.close()


def test_tampered_payload_is_a_bad_signature(issuer: Issuer, ec_key) -> None:
    header, _, signature = sign(issuer.claims(), ec_key, "ES256").split(".")
    forged = b64(json.dumps(issuer.claims(sub="1", scope="admin")).encode())
    status = verify(issuer, f"{header}.{forged}.{signature}")
    assert not status.valid
    assert status.message.startswith("bad signature")


def test_tampered_signature_is_a_bad_signature(issuer: Issuer, rsa_key) -> None:
    header, payload, signature = sign(issuer.claims(), rsa_key, "RS256").split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[10] ^= 1
    status = verify(issuer, f"{header}.{payload}.{b64(bytes(raw))}")
    assert not status.valid and status.message.startswith("bad signature")


def test_alg_none_is_refused_without_fetching(issuer: Issuer) -> None:
    token = b64(b'{"alg":"none"}') + "." + b64(json.dumps(issuer.claims()).encode()) + "."
    jwt = oc.decode(token)
    assert isinstance(jwt, oc.DecodedJwt)
    cache = oc.JwksCache()
    [report] = oc.verify_tokens(
        [oc.TokenReport("access token", jwt)],
        oc.InspectContext(issuer.base, issuer.jwks_url),
        cache,
    )
    assert report.signature is not None and not report.signature.valid
    assert "alg none refused" in report.signature.message
    # Any spelling of it.
    other = oc.decode(b64(b'{"alg":"NONE"}') + "." + b64(b"{}") + ".")
    assert isinstance(other, oc.DecodedJwt)
    assert "refused" in verify_signature(other, oc.KeySetResult("u")).message
    assert issuer.jwks_hits == 0


def test_hs256_signed_with_the_public_key_is_refused(issuer: Issuer, rsa_key) -> None:
    # The classic algorithm confusion: the attacker uses the published key as an HMAC secret.
    public = json.dumps(rsa_key.as_dict(private=False)).encode()
    signing_input = b64(b'{"alg":"HS256","kid":"rsa-1"}') + "." + b64(b'{"sub":"admin"}')
    mac = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
    status = verify(issuer, f"{signing_input}.{b64(mac)}")
    assert not status.valid
    assert "alg HS256 refused" in status.message and "HMAC" in status.message


def test_an_alg_against_the_wrong_key_type_is_refused(issuer: Issuer, ec_key) -> None:
    # ES256 signature, header claims RS256 with the EC key's kid: the key cannot serve RS256.
    token = sign(issuer.claims(), ec_key, "ES256")
    header = b64(json.dumps({"alg": "RS256", "kid": "ec-1"}).encode())
    status = verify(issuer, header + token[token.index(".") :])
    assert not status.valid
    assert status.message.startswith("not verified")


def test_unknown_kid(issuer: Issuer) -> None:
    stranger = new_key("EC", "stranger")
    status = verify(issuer, sign(issuer.claims(), stranger, "ES256"))
    assert not status.valid
    assert status.message == "unknown kid 'stranger': the issuer's JWKS holds ec-1, rsa-1"


def test_same_kid_but_another_key_is_a_bad_signature(issuer: Issuer) -> None:
    impostor = new_key("EC", "ec-1")
    status = verify(issuer, sign(issuer.claims(), impostor, "ES256"))
    assert not status.valid and status.message.startswith("bad signature")


def test_symmetric_and_private_keys_in_a_jwks_are_not_used(ec_key) -> None:
    document = {
        "keys": [
            {"kty": "oct", "k": b64(b"secret"), "kid": "hmac"},
            ec_key.as_dict(private=True),
        ]
    }
    key_set = oc.jwks.read_key_set("http://x/keys", document)
    assert key_set.keys == ()
    assert len(key_set.skipped) == 2


# -- relying-party checks ---------------------------------------------------------------------


def id_token(issuer: Issuer, key, access: str = "at", **extra: object) -> oc.DecodedJwt:
    nonce = extra.pop("nonce", "n-1")
    jwt = oc.decode(sign(issuer.id_claims(access, nonce, **extra), key, "ES256"))
    assert isinstance(jwt, oc.DecodedJwt)
    return jwt


def id_checks(server: Issuer, jwt: oc.DecodedJwt, **over: object) -> dict[str, bool]:
    args: dict[str, object] = {
        "issuer": server.base,
        "client_id": "7",
        "nonce": "n-1",
        "access_token": "at",
        "now": time.time(),
    }
    args.update(over)
    return flags(check_id_token(jwt, **args))  # type: ignore[arg-type]


def test_a_good_id_token_passes_every_check(issuer: Issuer, ec_key) -> None:
    checks = id_checks(issuer, id_token(issuer, ec_key))
    assert checks == {"iss": True, "aud": True, "exp": True, "iat": True, "nonce": True,
                      "at_hash": True}  # fmt: skip


def test_id_token_refusals(issuer: Issuer, ec_key) -> None:
    assert not id_checks(issuer, id_token(issuer, ec_key, exp=int(time.time()) - 300))["exp"]
    assert not id_checks(issuer, id_token(issuer, ec_key, aud="someone-else"))["aud"]
    assert not id_checks(issuer, id_token(issuer, ec_key, iss="https://evil.example"))["iss"]
    assert not id_checks(issuer, id_token(issuer, ec_key), nonce="n-2")["nonce"]
    assert not id_checks(issuer, id_token(issuer, ec_key, nonce=None))["nonce"]
    assert not id_checks(issuer, id_token(issuer, ec_key), access_token="other")["at_hash"]
    assert not id_checks(issuer, id_token(issuer, ec_key, iat=int(time.time()) + 3600))["iat"]
    # Several audiences: azp must name us.
    several = id_checks(issuer, id_token(issuer, ec_key, aud=["7", "8"], azp="8"))
    assert several["aud"] and not several["azp"]
    # The issuer is compared as a string: a trailing slash is another issuer.
    assert not id_checks(issuer, id_token(issuer, ec_key), issuer=issuer.base + "/")["iss"]


def test_expiry_leeway(issuer: Issuer, ec_key) -> None:
    now = time.time()
    assert id_checks(issuer, id_token(issuer, ec_key, exp=int(now) - 30))["exp"]
    assert not id_checks(issuer, id_token(issuer, ec_key, exp=int(now) - 90))["exp"]


def test_at_hash_per_alg() -> None:
    # OIDC Core §3.3.2.11's example access token and at_hash (RS256).
    assert at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", "RS256") == (
        "77QmUPtjPfzWtF2AnpK9RQ"
    )
    assert at_hash("x", "HS256") is None


def test_rfc9068_access_token_checks(issuer: Issuer, ec_key) -> None:
    good = oc.decode(sign(issuer.claims(), ec_key, "ES256", typ="at+jwt"))
    assert isinstance(good, oc.DecodedJwt)
    assert all(flags(check_access_token(good, issuer=issuer.base, now=time.time())).values())
    plain = oc.decode(sign(issuer.claims(jti=None), ec_key, "ES256", typ="JWT"))
    assert isinstance(plain, oc.DecodedJwt)
    checks = {c.name: c for c in check_access_token(plain, issuer=issuer.base, now=time.time())}
    assert not checks["typ"].ok and not checks["claims"].ok
    assert checks["claims"].detail == "missing jti"


def test_read_and_verify_a_token_response(issuer: Issuer, ec_key) -> None:
    access = sign(issuer.claims(), ec_key, "ES256", typ="at+jwt")
    tokens = oc.TokenSet(
        access_token=access,
        refresh_token="opaque-refresh",
        id_token=sign(issuer.id_claims(access, "n-1"), ec_key, "ES256"),
    )
    context = oc.InspectContext(issuer.base, issuer.jwks_url, "7", "n-1", time.time())
    reports = oc.read_tokens(tokens, context)
    # The refresh token is opaque: not listed; nothing verified yet.
    assert [r.label for r in reports] == ["access token", "id_token"]
    assert all(r.signature is None for r in reports)
    cache = oc.JwksCache()
    verified = oc.verify_tokens(reports, context, cache)
    assert all(r.signature is not None and r.signature.valid for r in verified)
    assert all(c.ok for r in verified for c in r.checks)
    # One fetch for both tokens.
    assert (cache.fetches, issuer.jwks_hits) == (1, 1)


def test_an_opaque_access_token_is_reported_not_verified() -> None:
    context = oc.InspectContext("http://x", "http://127.0.0.1:9/keys")
    [report] = oc.verify_tokens(
        oc.read_tokens(oc.TokenSet(access_token="abc"), context), context, oc.JwksCache()
    )
    assert report.jwt is None and report.signature is None


# -- hostile values (each a finding of attacking the inspector) -----------------------------


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(constant: str) -> None:
    token = b64(b'{"alg":"ES256"}') + "." + b64(f'{{"exp": {constant}}}'.encode()) + ".c2ln"
    result = oc.decode(token)
    assert isinstance(result, oc.NotJwt) and "not JSON" in result.reason


@pytest.mark.parametrize("exp", [1e300, -1e300, 10**30, True, "2030-01-01"])
def test_absurd_times_are_refused_not_a_crash(issuer: Issuer, ec_key, exp: object) -> None:
    jwt = oc.decode(sign(issuer.claims(exp=exp, iat=exp), ec_key, "ES256", typ="at+jwt"))
    assert isinstance(jwt, oc.DecodedJwt)
    checks = {c.name: c for c in check_access_token(jwt, issuer=issuer.base, now=time.time())}
    assert not checks["exp"].ok and "not a number" in checks["exp"].detail
    assert oc.jwt_decode.numeric_date(exp) is None


def test_huge_values_are_cut_in_the_checks(issuer: Issuer, ec_key) -> None:
    huge = "x" * 7_000
    jwt = oc.decode(sign(issuer.id_claims("at", huge, iss=huge, aud=huge), ec_key, "ES256"))
    assert isinstance(jwt, oc.DecodedJwt)
    checks = check_id_token(
        jwt, issuer=issuer.base, client_id="7", nonce="n", access_token="at", now=time.time()
    )
    assert all(len(c.detail) < 300 for c in checks), [len(c.detail) for c in checks]
    assert not any(c.ok for c in checks if c.name in ("iss", "aud", "nonce"))


def test_a_huge_kid_or_alg_is_cut_in_the_status(issuer: Issuer, ec_key) -> None:
    long_kid = "k" * 10_000
    status = verify(issuer, sign(issuer.claims(), ec_key, "ES256", kid=long_kid))
    assert not status.valid and "unknown kid" in status.message and len(status.message) < 400
    forged = b64(json.dumps({"alg": "X" * 10_000}).encode()) + "." + b64(b"{}") + ".c2ln"
    status = verify(issuer, forged)
    assert not status.valid and len(status.message) < 400


def test_a_jwks_url_that_is_not_http_is_not_fetched() -> None:
    result = oc.fetch_key_set("file:///etc/passwd")
    assert result.error.startswith("JWKS unreachable: Not an http(s) URL")
    assert result.keys == ()


def test_a_redirecting_jwks_is_not_followed(issuer: Issuer) -> None:
    # A 3xx is an answer, not a hop to wherever it points (an internal address, say).
    import http.server
    import threading

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", issuer.jwks_url)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = oc.fetch_key_set(f"http://127.0.0.1:{server.server_address[1]}/keys")
        assert result.error.endswith("answered 302")
        assert issuer.jwks_hits == 0
    finally:
        server.shutdown()
        server.server_close()


def test_a_jwt_refresh_token_is_decoded_and_verified_without_claim_checks(
    issuer: Issuer, ec_key
) -> None:
    refresh = sign({"sub": "42", "typ": "refresh"}, ec_key, "ES256")
    tokens = oc.TokenSet(access_token="opaque", refresh_token=refresh)
    context = oc.InspectContext(issuer.base, issuer.jwks_url, "7", "", time.time())
    reports = oc.verify_tokens(oc.read_tokens(tokens, context), context, oc.JwksCache())
    assert [r.label for r in reports] == ["access token", "refresh token"]
    assert reports[1].checks == () and reports[1].signature is not None
    assert reports[1].signature.valid


def test_a_refreshed_id_token_may_leave_the_nonce_out_but_not_change_it(
    issuer: Issuer, ec_key
) -> None:
    def nonce_check(nonce_claim: str | None) -> bool:
        access = sign(issuer.claims(), ec_key, "ES256", typ="at+jwt")
        # id_claims leaves out a member given as None: here the nonce.
        claims = issuer.id_claims(access, nonce_claim)  # type: ignore[arg-type]
        tokens = oc.TokenSet(
            access_token=access, id_token=sign(claims, ec_key, "ES256"), source="refresh"
        )
        context = oc.InspectContext(issuer.base, issuer.jwks_url, "7", "n-1", time.time())
        [_, id_report] = oc.read_tokens(tokens, context)
        return {c.name: c.ok for c in id_report.checks}["nonce"]

    assert nonce_check(None)
    assert nonce_check("n-1")
    assert not nonce_check("n-other")
