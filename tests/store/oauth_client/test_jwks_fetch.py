"""The issuer's JWKS over real HTTP: timeouts, HTML, huge bodies, the cache and key rotation."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from authclients.store import oauth_client as oc
from authclients.store.oauth_client import jwks
from tests.jwt_issuer import Issuer, new_key, sign


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    server = Issuer(new_key("EC", "k1"))
    yield server
    server.close()


def test_a_key_set_is_fetched(issuer: Issuer) -> None:
    result = oc.fetch_key_set(issuer.jwks_url)
    assert result.error == ""
    assert [kid for kid, _, _ in result.keys] == ["k1"]


def test_slow_jwks_times_out(issuer: Issuer) -> None:
    issuer.jwks_delay = 2.0
    started = time.monotonic()
    result = oc.fetch_key_set(issuer.jwks_url, timeout=0.5)
    assert time.monotonic() - started < 1.8
    assert result.error.startswith("JWKS unreachable: No answer from")


def test_a_dripping_server_is_cut_at_the_deadline() -> None:
    # Headers at once, then one byte a tenth of a second: each read is quick, the whole is not.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    stop = threading.Event()

    def drip() -> None:
        conn, _ = listener.accept()
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
        try:
            while not stop.wait(0.1):
                conn.sendall(b" ")
        except OSError:
            pass
        conn.close()

    threading.Thread(target=drip, daemon=True).start()
    try:
        started = time.monotonic()
        result = oc.fetch_key_set(f"http://127.0.0.1:{listener.getsockname()[1]}/k", timeout=1.0)
        assert time.monotonic() - started < 2.5
        assert result.error.startswith("JWKS unreachable")
    finally:
        stop.set()
        listener.close()


def test_html_instead_of_json(issuer: Issuer) -> None:
    issuer.jwks_body = b"<html><body>Sign in</body></html>"
    issuer.jwks_type = "text/html"
    result = oc.fetch_key_set(issuer.jwks_url)
    assert result.error == f"JWKS at {issuer.jwks_url} is not a JSON object (text/html)"


def test_a_huge_body_is_refused(issuer: Issuer) -> None:
    issuer.jwks_body = b'{"keys": [' + b" " * (jwks.MAX_JWKS_BYTES + 10) + b"]}"
    result = oc.fetch_key_set(issuer.jwks_url)
    assert "larger than" in result.error


def test_json_that_is_no_key_set(issuer: Issuer) -> None:
    issuer.jwks_body = b'{"keys": "all of them"}'
    assert "not a key set" in oc.fetch_key_set(issuer.jwks_url).error


def test_nobody_listening() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = oc.fetch_key_set(f"http://127.0.0.1:{port}/keys")
    assert result.error.startswith("JWKS unreachable: Connection refused")


def test_the_cache_fetches_once_and_again_for_a_new_kid(
    issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = oc.JwksCache()
    cache.get(issuer.jwks_url, kid="k1")
    cache.get(issuer.jwks_url, kid="k1")
    assert issuer.jwks_hits == 1
    # The issuer rotates: a token names k2. Within REFETCH_AFTER the held copy answers.
    rotated = new_key("EC", "k2")
    issuer.keys.append(rotated)
    token = oc.decode(sign(issuer.claims(), rotated, "ES256"))
    assert isinstance(token, oc.DecodedJwt)
    assert (
        "unknown kid"
        in oc.jwt_verify.verify_signature(token, cache.get(issuer.jwks_url, kid="k2")).message
    )
    assert issuer.jwks_hits == 1
    # Later, the unknown kid fetches the set again and the token verifies.
    monkeypatch.setattr(jwks, "REFETCH_AFTER", 0.0)
    status = oc.jwt_verify.verify_signature(token, cache.get(issuer.jwks_url, kid="k2"))
    assert status.valid and issuer.jwks_hits == 2


def test_metadata_names_the_jwks(issuer: Issuer) -> None:
    answer = oc.send(oc.discovery_request(issuer.base))
    target = oc.Target.from_base(issuer.base).with_metadata(answer.json() or {})
    assert target.jwks_url == issuer.jwks_url
    # Without metadata, Passport's path.
    assert oc.Target.from_base("http://h").jwks_url == "http://h/oauth/jwks"
