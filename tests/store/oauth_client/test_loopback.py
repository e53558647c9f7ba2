"""The loopback redirect catcher (RFC 8252 §7.3): what it takes, what it answers."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from authclients.store import oauth_client as oc


def test_it_listens_on_a_free_loopback_port_at_the_registered_path() -> None:
    with oc.RedirectCatcher("http://127.0.0.1/callback") as catcher:
        assert catcher.redirect_uri.startswith("http://127.0.0.1:")
        assert catcher.redirect_uri.endswith("/callback")
        page = requests.get(catcher.redirect_uri + "?code=c&state=s", timeout=5)
        assert catcher.wait(1) == catcher.redirect_uri + "?code=c&state=s"
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Content-Security-Policy"] == "default-src 'none'"


def test_the_page_reflects_nothing_of_the_request() -> None:
    with oc.RedirectCatcher() as catcher:
        evil = "<script>alert(1)</script>"
        page = requests.get(catcher.redirect_uri, params={"error_description": evil}, timeout=5)
        catcher.wait(1)
    assert "script" not in page.text and "alert" not in page.text


def test_other_paths_are_404_and_the_wait_goes_on() -> None:
    with oc.RedirectCatcher() as catcher:
        root = catcher.redirect_uri.removesuffix("/callback")
        assert requests.get(root + "/favicon.ico", timeout=5).status_code == 404
        with pytest.raises(TimeoutError):
            catcher.wait(0.3)


def test_a_forged_redirect_does_not_hide_the_real_one() -> None:
    """Any local process can reach the catcher: each redirect is kept, in order."""
    pkce = oc.Pkce.new()
    with oc.RedirectCatcher() as catcher:
        requests.get(catcher.redirect_uri + "?code=forged&state=guess", timeout=5)
        requests.get(catcher.redirect_uri + f"?code=real&state={pkce.state}", timeout=5)
        with pytest.raises(oc.StateMismatch):
            oc.parse_redirect(catcher.wait(1), pkce.state)
        assert oc.parse_redirect(catcher.wait(1), pkce.state).code == "real"


def test_close_ends_a_wait_in_another_thread() -> None:
    catcher = oc.RedirectCatcher()
    failure: list[BaseException] = []

    def wait() -> None:
        try:
            catcher.wait(30)
        except BaseException as exc:
            failure.append(exc)

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.2)
    started = time.monotonic()
    catcher.close()
    waiter.join(5)
    assert not waiter.is_alive() and time.monotonic() - started < 2
    assert isinstance(failure[0], oc.CatcherClosed)


@pytest.mark.parametrize(
    "uri", ["https://127.0.0.1/cb", "http://example.com/cb", "http://10.0.0.1/cb"]
)
def test_only_a_plain_loopback_redirect_is_caught(uri: str) -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        oc.RedirectCatcher(uri)


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1:1", ""])
def test_a_request_naming_another_host_is_refused_not_caught(host: str) -> None:
    # Found attacking issue 17: DNS rebinding (a web page whose name now points at
    # 127.0.0.1) reached the catcher with its own Host and was caught like a browser.
    with oc.RedirectCatcher() as catcher:
        port = catcher.redirect_uri.split(":")[2].split("/")[0]
        page = requests.get(
            catcher.redirect_uri + "?code=c&state=s",
            headers={"Host": host.format(port=port)},
            timeout=5,
        )
        assert page.status_code == 421
        assert "evil" not in page.text
        with pytest.raises(TimeoutError):
            catcher.wait(0.3)


def test_localhost_and_the_address_itself_are_accepted_as_host() -> None:
    with oc.RedirectCatcher() as catcher:
        port = catcher.redirect_uri.split(":")[2].split("/")[0]
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}"):
            page = requests.get(catcher.redirect_uri, headers={"Host": host}, timeout=5)
            assert page.status_code == 200
            assert catcher.wait(1)
