"""``serve --public-url`` and ``--trust-proxy`` over real HTTP; RFC 9207 ``iss``; the form
tokens of the stateless sign-in page under attack."""

from __future__ import annotations

import select
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from authclients.store import Store
from authclients.store.endpoint import TokenEndpoint
from authclients.store.models import BrowserSession
from authclients.store.records import CreatedClient, UserInfo
from tests.backends import SQLITE
from tests.endpoint.conftest import AUTHCLIENTS, PASSWORD, REDIRECT, form_fields, query_of


@pytest.fixture
def backend() -> str:
    """HTTP, pages and cookies: the same on every database."""
    return SQLITE


PUBLIC = "https://auth.example.com"


def params_for(client: CreatedClient, **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": str(client.client.id),
        "redirect_uri": REDIRECT,
        "state": "st",
        **extra,
    }


@contextmanager
def serve(db: Path, *options: str) -> Iterator[str]:
    """``authclients serve --port 0 OPTIONS``; yields the bound URL."""
    proc = subprocess.Popen(
        [AUTHCLIENTS, "serve", "--db", str(db), "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "serve printed nothing"
        first = proc.stdout.readline()
        assert first.startswith("Listening on http://127.0.0.1:"), first
        yield first.split()[-1]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def public(store: Store) -> Iterator[TokenEndpoint]:
    ep = TokenEndpoint(store, port=0, public_url=PUBLIC + "/", trusted_proxies=["127.0.0.1"])
    with ep:
        yield ep


# -- the CLI's validation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("ftp://auth.example.com", "https://"),
        ("auth.example.com", "https://"),
        ("https://", "name a host"),
        ("https://auth.example.com/?x=1", "query"),
        ("https://auth.example.com/#top", "fragment"),
        ("https://user:pw@auth.example.com", "user name"),
        ("https://auth.example.com:99999", "not a valid URL"),
        ("https://auth.example.com/\x1b[2J", "controls"),
    ],
)
def test_a_bad_public_url_is_a_clear_error(db_path: Path, value: str, message: str) -> None:
    done = subprocess.run(
        [AUTHCLIENTS, "serve", "--db", str(db_path), "--port", "0", "--public-url", value],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2, done.stdout
    assert "--public-url" in done.stderr and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "\x1b" not in done.stderr


@pytest.mark.parametrize("value", ["10.0.0.300", "proxy.example.com", "10.0.0.0/33", ""])
def test_a_bad_trusted_proxy_is_a_clear_error(db_path: Path, value: str) -> None:
    done = subprocess.run(
        [AUTHCLIENTS, "serve", "--db", str(db_path), "--port", "0", "--trust-proxy", value],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "--trust-proxy" in done.stderr and "not an IP address" in done.stderr
    assert "Traceback" not in done.stderr


# -- the public URL -----------------------------------------------------------------------


def test_serve_public_url_sets_issuer_metadata_pages_and_cookies(
    db_path: Path, store: Store, web: CreatedClient, alice: UserInfo
) -> None:
    with serve(db_path, "--public-url", PUBLIC, "--trust-proxy", "127.0.0.1") as url:
        meta = requests.get(f"{url}/.well-known/oauth-authorization-server").json()
        assert meta["issuer"] == PUBLIC
        assert meta["authorization_endpoint"] == f"{PUBLIC}/oauth/authorize"
        assert meta["token_endpoint"] == f"{PUBLIC}/oauth/token"
        assert meta["authorization_response_iss_parameter_supported"] is True
        page = requests.get(f"{url}/oauth/authorize", params=params_for(web))
        assert 'action="/oauth/authorize"' in page.text
        form_cookie = page.headers["Set-Cookie"]
        assert form_cookie.startswith("__Host-authclients_form=")
        assert "Secure" in form_cookie and "Path=/;" in form_cookie
        assert "Domain" not in form_cookie and "HttpOnly" in form_cookie
        binding = form_cookie.split(";")[0]
        # What a browser behind TLS termination would send back (requests keeps Secure
        # cookies to https, so the cookie goes by hand).
        consent = requests.post(
            f"{url}/oauth/authorize",
            data={**form_fields(page.text), "username": "alice", "password": PASSWORD},
            headers={"Cookie": binding, "Origin": PUBLIC},
        )
        assert consent.status_code == 200 and "Approve" in consent.text, consent.text
        session_cookie = consent.headers["Set-Cookie"]
        assert (
            session_cookie.startswith("__Host-authclients_session=") and "Secure" in session_cookie
        )
        done = requests.post(
            f"{url}/oauth/authorize",
            data={**form_fields(consent.text), "action": "approve"},
            headers={"Cookie": session_cookie.split(";")[0], "Origin": PUBLIC},
            allow_redirects=False,
        )
        assert done.status_code == 302
        assert query_of(done.headers["Location"])["iss"] == PUBLIC


def test_a_public_url_with_a_path_prefixes_the_form_and_the_cookie(
    store: Store, web: CreatedClient
) -> None:
    with TokenEndpoint(store, port=0, public_url="https://example.com/sso") as ep:
        assert ep.issuer == "https://example.com/sso"
        page = requests.get(f"{ep.url}/oauth/authorize", params=params_for(web))
        assert 'action="/sso/oauth/authorize"' in page.text
        cookie = page.headers["Set-Cookie"]
        assert cookie.startswith("__Secure-authclients_form=") and "Path=/sso/oauth" in cookie
        meta = requests.get(f"{ep.url}/.well-known/oauth-authorization-server").json()
        assert meta["token_endpoint"] == "https://example.com/sso/oauth/token"


def test_without_a_public_url_the_issuer_is_the_bound_address(
    endpoint: TokenEndpoint, web: CreatedClient
) -> None:
    assert endpoint.issuer == endpoint.url
    meta = requests.get(f"{endpoint.url}/.well-known/oauth-authorization-server").json()
    assert meta["issuer"] == endpoint.url
    r = requests.get(
        f"{endpoint.url}/oauth/authorize",
        params=params_for(web, response_type="token"),
        allow_redirects=False,
    )
    assert r.status_code == 302
    assert query_of(r.headers["Location"]) == {
        "error": "unsupported_response_type",
        "error_description": "Only response_type=code is supported.",
        "state": "st",
        "iss": endpoint.url,  # RFC 9207 on an error redirect too
    }


def test_a_cross_origin_post_is_refused_behind_a_public_url(
    public: TokenEndpoint, web: CreatedClient, alice: UserInfo
) -> None:
    with requests.Session() as http:
        page = http.get(f"{public.url}/oauth/authorize", params=params_for(web))
        binding = page.headers["Set-Cookie"].split(";")[0]
        r = http.post(
            f"{public.url}/oauth/authorize",
            data={**form_fields(page.text), "username": "alice", "password": PASSWORD},
            headers={"Cookie": binding, "Origin": "https://evil.example"},
        )
    assert r.status_code == 403 and "CSRF" in r.text
    assert BrowserSession.select().count() == 0


# -- forwarded headers ----------------------------------------------------------------------


def test_forwarded_headers_are_ignored_from_an_untrusted_peer(
    endpoint: TokenEndpoint, web: CreatedClient
) -> None:
    requests.get(
        f"{endpoint.url}/.well-known/oauth-authorization-server",
        headers={"X-Forwarded-For": "203.0.113.9", "Forwarded": "for=198.51.100.1"},
    )
    assert endpoint.request_log.entries()[-1].address == "127.0.0.1"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-Forwarded-For": "203.0.113.9"}, "203.0.113.9"),
        ({"X-Forwarded-For": "6.6.6.6, 203.0.113.9"}, "203.0.113.9"),  # the spoofed hop is left
        ({"X-Forwarded-For": "203.0.113.9, 127.0.0.1"}, "203.0.113.9"),  # a chain of our proxies
        ({"Forwarded": 'for="[2001:db8::7]:4711";proto=https'}, "2001:db8::7"),
        ({"Forwarded": "for=198.51.100.1", "X-Forwarded-For": "203.0.113.9"}, "198.51.100.1"),
        ({"X-Forwarded-For": "not-an-address"}, "127.0.0.1"),
        ({"X-Forwarded-For": "\x1b]0;pwned\x07"}, "127.0.0.1"),
        ({}, "127.0.0.1"),
    ],
)
def test_a_trusted_proxy_names_the_client(
    public: TokenEndpoint, headers: dict[str, str], expected: str
) -> None:
    requests.get(f"{public.url}/.well-known/oauth-authorization-server", headers=headers)
    assert public.request_log.entries()[-1].address == expected


def test_the_per_address_cap_follows_the_forwarded_address(
    store: Store, public: TokenEndpoint, web: CreatedClient, alice: UserInfo
) -> None:
    def sign_in(address: str) -> requests.Response:
        with requests.Session() as http:
            page = http.get(f"{public.url}/oauth/authorize", params=params_for(web))
            binding = page.headers["Set-Cookie"].split(";")[0]
            return http.post(
                f"{public.url}/oauth/authorize",
                data={**form_fields(page.text), "username": "alice", "password": PASSWORD},
                headers={"Cookie": binding, "X-Forwarded-For": address},
            )

    public.sessions.per_user = 100
    for _ in range(public.sessions.per_address + 3):
        assert sign_in("203.0.113.9").status_code == 200
    assert sign_in("203.0.113.10").status_code == 200
    key = public.sessions.address_key("203.0.113.9")
    assert (
        BrowserSession.select().where(BrowserSession.address_key == key).count()
        == public.sessions.per_address
    )
    assert BrowserSession.select().count() == public.sessions.per_address + 1


# -- the form tokens under attack -------------------------------------------------------------


def test_a_sign_in_form_is_bound_to_its_browser_and_its_request(
    http: requests.Session, endpoint: TokenEndpoint, web: CreatedClient, alice: UserInfo
) -> None:
    url = endpoint.url
    page = http.get(f"{url}/oauth/authorize", params=params_for(web))
    fields = form_fields(page.text)
    credentials = {"username": "alice", "password": PASSWORD}
    # Login CSRF: the attacker's own valid form, posted from the victim's browser (which has
    # another form cookie, or none: SameSite=Lax keeps it off a cross-site POST).
    with requests.Session() as victim:
        r = victim.post(f"{url}/oauth/authorize", data={**fields, **credentials})
        assert r.status_code == 403
        victim.get(f"{url}/oauth/authorize", params=params_for(web))
        r = victim.post(f"{url}/oauth/authorize", data={**fields, **credentials})
        assert r.status_code == 403
    # The token names the request: another redirect URI or state is refused.
    for change in (
        {"redirect_uri": "http://127.0.0.1:9999/cb"},
        {"state": "other"},
        {"scope": "admin"},
    ):
        r = http.post(f"{url}/oauth/authorize", data={**fields, **credentials, **change})
        assert r.status_code == 403, change
    # A tampered or garbage token never becomes a 500.
    for token in ("", "x", fields["form_token"] + "A", "a.b.c", "é" * 40, "1.99999999999.x"):
        r = http.post(f"{url}/oauth/authorize", data={**fields, **credentials, "form_token": token})
        assert r.status_code == 403, token
    assert BrowserSession.select().count() == 0
    # The untouched form works.
    r = http.post(f"{url}/oauth/authorize", data={**fields, **credentials})
    assert r.status_code == 200 and "Approve" in r.text


def test_a_consent_form_is_bound_to_its_session(
    endpoint: TokenEndpoint, web: CreatedClient, alice: UserInfo, store: Store
) -> None:
    store.users.add("bob", PASSWORD)
    url = endpoint.url
    forms = {}
    for name in ("alice", "bob"):
        http = requests.Session()
        page = http.get(f"{url}/oauth/authorize", params=params_for(web))
        consent = http.post(
            f"{url}/oauth/authorize",
            data={**form_fields(page.text), "username": name, "password": PASSWORD},
        )
        forms[name] = (http, form_fields(consent.text))
    bob_http, _ = forms["bob"]
    _, alice_form = forms["alice"]
    # Bob's browser with alice's consent form: refused, no code for anyone.
    r = bob_http.post(
        f"{url}/oauth/authorize", data={**alice_form, "action": "approve"}, allow_redirects=False
    )
    assert r.status_code == 403 and "Location" not in r.headers


@pytest.mark.parametrize(
    "cookie",
    [
        "authclients_session=" + "A" * 5000,
        "; ".join(f"authclients_session=v{i:040d}" for i in range(200)),
        "authclients_session=\u00e9\u00e9; authclients_form=\u00ff",
        "authclients_session; authclients_form=; =; ;;",
        "authclients_session=\x7f\x01",
    ],
)
def test_hostile_cookies_get_the_sign_in_page_or_a_refusal_never_a_500(
    endpoint: TokenEndpoint, web: CreatedClient, alice: UserInfo, cookie: str
) -> None:
    url = f"{endpoint.url}/oauth/authorize"
    headers = {"Cookie": cookie.encode("utf-8").decode("latin-1")}
    page = requests.get(url, params=params_for(web), headers=headers)
    assert page.status_code in (200, 400, 431), page.text
    if page.status_code == 200:
        assert "Sign in" in page.text
        fields = form_fields(page.text)
        for action in ("sign_in", "approve", "deny"):
            r = requests.post(
                url,
                data={**fields, "action": action, "username": "alice", "password": PASSWORD},
                headers=headers,
                allow_redirects=False,
            )
            assert r.status_code in (401, 403), (action, r.status_code)
            assert "Location" not in r.headers
    assert BrowserSession.select().count() == 0


@pytest.mark.parametrize("trusted", [True, False])
def test_the_brute_force_limit_per_address_follows_a_trusted_proxys_address(
    store: Store, web: CreatedClient, alice: UserInfo, trusted: bool
) -> None:
    proxies = ["127.0.0.1"] if trusted else []
    with TokenEndpoint(store, port=0, trusted_proxies=proxies) as ep:
        ep.authorization.limiter.source_limit = 3

        def wrong_password(address: str, username: str) -> int:
            return requests.post(
                f"{ep.url}/oauth/token",
                data={"grant_type": "password", "username": username, "password": "wrong!!!1"},
                auth=(str(web.client.id), web.secret or ""),
                headers={"X-Forwarded-For": address},
            ).status_code

        for i in range(3):
            assert wrong_password("203.0.113.1", f"user{i}") in (400, 401)
        assert wrong_password("203.0.113.1", "user9") == 429
        # Another client behind the same proxy is its own address only when the proxy is
        # trusted; otherwise everyone is the proxy, and spoofing the header changes nothing.
        assert wrong_password("198.51.100.2", "user8") == (400 if trusted else 429)
