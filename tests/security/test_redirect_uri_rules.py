"""Redirect URI rules that a browser's URL parser must agree with.

Python's ``urlsplit`` takes ``http://evil.example\\@127.0.0.1/cb`` to be a
loopback URL (user ``evil.example\\``, host 127.0.0.1), but a browser (WHATWG
URL) reads a backslash in an http(s) URL as a slash: host ``evil.example``,
path ``/@127.0.0.1/cb``. The code would travel in plain http to another machine.
"""

from __future__ import annotations

import pytest

from authclients.store.validation import check_redirect_uri, clean_redirect_uris


@pytest.mark.parametrize(
    "uri",
    [
        "http://evil.example\\@127.0.0.1/cb",
        "http://evil.example\\@localhost/cb",
        "http://evil.example\\@[::1]/cb",
        "https://app.example\\@app.example/cb",
        "http://evil.example\\@127.0.0.1/cb/\u00e9",
    ],
)
def test_a_backslash_is_refused(uri: str) -> None:
    uris, error = clean_redirect_uris([uri])
    assert error is not None, uris
    assert uris == ()


def test_check_redirect_uri_refuses_a_backslash() -> None:
    assert check_redirect_uri("http://evil.example\\@127.0.0.1/cb") is not None


@pytest.mark.parametrize(
    "uri",
    ["http://127.0.0.1:8080/cb", "https://app.example/cb?x=%5C", "com.example.app:/cb"],
)
def test_ordinary_uris_still_pass(uri: str) -> None:
    assert clean_redirect_uris([uri]) == ((uri,), None)
