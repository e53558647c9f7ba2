"""RFC 8252 §7.3: a loopback redirect URI matches on any port; everything else exactly."""

from __future__ import annotations

import pytest

from authclients.store.oauth.redirect_uris import is_registered

REGISTERED = (
    "http://127.0.0.1/cb",
    "http://[::1]/native?app=1",
    "http://localhost/cb",
    "https://app.example.com/callback",
    "http://127.0.0.1:8400/fixed",
)


@pytest.mark.parametrize(
    "requested",
    [
        "http://127.0.0.1/cb",
        "http://127.0.0.1:51234/cb",
        "http://127.0.0.1:1/cb",
        "http://[::1]:65535/native?app=1",
        "http://[::1]/native?app=1",
        "http://127.0.0.1:9/fixed",  # a registered port is not binding either (RFC 8252 §7.3)
        "http://localhost/cb",  # exact
        "https://app.example.com/callback",  # exact
    ],
)
def test_matches(requested: str) -> None:
    assert is_registered(requested, REGISTERED)


@pytest.mark.parametrize(
    "requested",
    [
        "http://localhost:5000/cb",  # localhost is not loopback here (RFC 8252 §8.3)
        "https://127.0.0.1:5000/cb",  # another scheme
        "http://127.0.0.1:5000/cb/",  # another path
        "http://127.0.0.1:5000/CB",
        "http://127.0.0.1:5000/cb?x=1",  # another query
        "http://127.0.0.1:5000/cb?",
        "http://127.0.0.1:5000/cb#frag",
        "http://[::1]:5000/native",  # the query is part of the match
        "http://127.0.0.2:5000/cb",  # another loopback address is another host
        "http://127.0.0.1:0/cb",
        "http://127.0.0.1:99999/cb",
        "http://127.0.0.1:/cb",
        "http://127.0.0.1:5000@evil.example/cb",
        "http://evil.example@127.0.0.1:5000/cb",
        "http://127.0.0.1:+5000/cb",
        "http://127.0.0.1:05000/cb",
        "http://0x7f.0.0.1:5000/cb",
        "http://127.1:5000/cb",
        "http://[::ffff:127.0.0.1]:5000/cb",
        "HTTP://127.0.0.1:5000/cb",
        "http://127.0.0.1:5000\\@evil.example/cb",
        "https://app.example.com:443/callback",  # exact elsewhere: no port freedom
        "https://app.example.com/callback?x=1",
        "",
    ],
)
def test_does_not_match(requested: str) -> None:
    assert not is_registered(requested, REGISTERED)


def test_a_loopback_request_needs_a_loopback_registration() -> None:
    assert not is_registered("http://127.0.0.1:5000/cb", ("https://app.example.com/cb",))
    assert not is_registered("http://127.0.0.1:5000/cb", ("http://localhost/cb",))
