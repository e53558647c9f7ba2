"""RFC 7591 dynamic client registration over real HTTP: modes, metadata, errors, limits."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
import requests

from authclients.store import Store
from authclients.store.clock import ManualClock
from authclients.store.models import Client
from authclients.store.registration import Registrations
from tests.endpoint.conftest import authorize, pkce_pair
from tests.endpoint.test_grants import assert_token_response

CALLBACK = "http://127.0.0.1:33418/callback"


def register(http: requests.Session, url: str, body: object, **headers: str) -> requests.Response:
    return http.post(f"{url}/oauth/register", json=body, headers=headers)


def clients() -> int:
    return Client.select().count()


def assert_registration_error(r: requests.Response, status: int, error: str, before: int) -> None:
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"] == "application/json"
    assert "Traceback" not in r.text
    body = r.json()
    assert body["error"] == error, body
    assert body.get("error_description")
    assert clients() == before, "a refused registration stored a client"


# -- off by default ------------------------------------------------------------------------


def test_off_by_default_is_404_and_not_advertised(
    store: Store, url: str, http: requests.Session
) -> None:
    before = clients()
    r = register(http, url, {"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"})
    assert_registration_error(r, 404, "not_found", before)
    metadata = http.get(f"{url}/.well-known/oauth-authorization-server").json()
    assert "registration_endpoint" not in metadata


# -- open ------------------------------------------------------------------------------------


def test_public_client_registers_and_signs_in_with_pkce(
    store: Store, url: str, http: requests.Session, alice
) -> None:
    store.registrations.set_mode("open")
    metadata = http.get(f"{url}/.well-known/oauth-authorization-server").json()
    assert metadata["registration_endpoint"] == f"{url}/oauth/register"
    r = register(
        http,
        url,
        {
            "client_name": "Claude Desktop",
            "redirect_uris": [CALLBACK],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
            "client_uri": "https://claude.example/",
            "software_id": "claude-desktop",
            "software_version": "1.2.3",
            "logo_uri": "https://claude.example/logo.png",
            "something_else": {"nested": True},
        },
    )
    assert r.status_code == 201, r.text
    assert r.headers["Cache-Control"] == "no-store"
    body = r.json()
    assert isinstance(body["client_id"], str) and body["client_id"].isdigit()
    assert "client_secret" not in body and "client_secret_expires_at" not in body
    assert body["token_endpoint_auth_method"] == "none"
    assert body["redirect_uris"] == [CALLBACK]
    assert body["grant_types"] == ["authorization_code", "refresh_token"]
    assert body["software_id"] == "claude-desktop"
    assert "something_else" not in body and "logo_uri" not in body  # not stored, not echoed
    assert body["client_id_issued_at"] == int(store.clock.now().timestamp())

    info = store.clients.get(int(body["client_id"]))
    assert info.registered and info.public and info.authorization_code and not info.password
    origin = store.registrations.origin(info.id)
    assert origin is not None
    assert (origin.client_uri, origin.software_id, origin.software_version) == (
        "https://claude.example/",
        "claude-desktop",
        "1.2.3",
    )
    assert json.loads(origin.metadata)["something_else"] == {"nested": True}

    verifier, challenge = pkce_pair()
    done = authorize(http, url, client_id=info.id, redirect_uri=CALLBACK, challenge=challenge)
    token = http.post(
        f"{url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": done.params["code"],
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
            "client_id": body["client_id"],
        },
    )
    assert_token_response(token, refresh=True)


def test_public_client_without_pkce_is_refused_at_authorize(
    store: Store, url: str, http: requests.Session
) -> None:
    store.registrations.set_mode("open")
    body = register(
        http, url, {"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"}
    ).json()
    r = http.get(
        f"{url}/oauth/authorize",
        params={"response_type": "code", "client_id": body["client_id"], "redirect_uri": CALLBACK},
        allow_redirects=False,
    )
    assert r.status_code == 302
    assert "error=invalid_request" in r.headers["Location"]


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_confidential_client_gets_its_secret_once(
    store: Store, url: str, http: requests.Session, method: str
) -> None:
    store.registrations.set_mode("open")
    r = register(
        http,
        url,
        {
            "client_name": "Batch",
            "grant_types": ["client_credentials"],
            "response_types": [],
            "token_endpoint_auth_method": method,
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["client_secret_expires_at"] == 0
    secret = body["client_secret"]
    info = store.clients.get(int(body["client_id"]))
    assert not info.public and info.client_credentials and info.secret_hint == secret[-4:]
    assert store.clients.authenticate(info.id, secret) is not None
    token = http.post(
        f"{url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(body["client_id"], secret),
    )
    assert_token_response(token, refresh=False)


def test_default_auth_method_is_client_secret_basic(
    store: Store, url: str, http: requests.Session
) -> None:
    store.registrations.set_mode("open")
    body = register(http, url, {"redirect_uris": ["https://app.example.com/cb"]}).json()
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["grant_types"] == ["authorization_code"] and body["response_types"] == ["code"]
    assert body["client_secret"]
    assert body["client_name"] == "Unnamed registered client"


# -- bad input: each refused with its RFC 7591 §3.2.2 error, nothing stored -----------------

BAD_BODIES = {
    "unknown grant": (
        {"redirect_uris": [CALLBACK], "grant_types": ["urn:evil"]},
        "invalid_client_metadata",
    ),
    "password grant": ({"grant_types": ["password"]}, "invalid_client_metadata"),
    "javascript redirect": ({"redirect_uris": ["javascript:alert(1)"]}, "invalid_redirect_uri"),
    "fragment redirect": (
        {"redirect_uris": ["https://app.example.com/cb#x"]},
        "invalid_redirect_uri",
    ),
    "plain http redirect": (
        {"redirect_uris": ["http://evil.example.com/cb"]},
        "invalid_redirect_uri",
    ),
    "wildcard redirect": ({"redirect_uris": ["https://*.example.com/cb"]}, "invalid_redirect_uri"),
    "a thousand redirects": (
        {"redirect_uris": [f"https://a.example.com/{i}" for i in range(1000)]},
        "invalid_redirect_uri",
    ),
    "twenty-one redirects": (
        {"redirect_uris": [f"https://a.example.com/{i}" for i in range(21)]},
        "invalid_redirect_uri",
    ),
    "redirects not a list": ({"redirect_uris": CALLBACK}, "invalid_redirect_uri"),
    "redirect not a string": ({"redirect_uris": [1]}, "invalid_redirect_uri"),
    "no redirect for code": ({"token_endpoint_auth_method": "none"}, "invalid_redirect_uri"),
    "escape in name": (
        {"redirect_uris": [CALLBACK], "client_name": "ok\x1b]52;c;evil\x07"},
        "invalid_client_metadata",
    ),
    "newline in name": (
        {"redirect_uris": [CALLBACK], "client_name": "a\nb"},
        "invalid_client_metadata",
    ),
    "bidi in name": (
        {"redirect_uris": [CALLBACK], "client_name": "abc\u202edcba"},
        "invalid_client_metadata",
    ),
    "name too long": (
        {"redirect_uris": [CALLBACK], "client_name": "x" * 256},
        "invalid_client_metadata",
    ),
    "name not a string": (
        {"redirect_uris": [CALLBACK], "client_name": ["x"]},
        "invalid_client_metadata",
    ),
    "unknown auth method": (
        {"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "private_key_jwt"},
        "invalid_client_metadata",
    ),
    "public client credentials": (
        {
            "grant_types": ["client_credentials"],
            "response_types": [],
            "token_endpoint_auth_method": "none",
        },
        "invalid_client_metadata",
    ),
    "token response type": (
        {"redirect_uris": [CALLBACK], "response_types": ["token"]},
        "invalid_client_metadata",
    ),
    "code without its grant": (
        {
            "redirect_uris": [CALLBACK],
            "grant_types": ["client_credentials"],
            "response_types": ["code"],
        },
        "invalid_client_metadata",
    ),
    "refresh alone": (
        {"grant_types": ["refresh_token"], "response_types": []},
        "invalid_client_metadata",
    ),
    "undefined scope": ({"redirect_uris": [CALLBACK], "scope": "admin"}, "invalid_client_metadata"),
    "bad scope token": ({"redirect_uris": [CALLBACK], "scope": 'a"b'}, "invalid_client_metadata"),
    "javascript client_uri": (
        {"redirect_uris": [CALLBACK], "client_uri": "javascript:alert(1)"},
        "invalid_client_metadata",
    ),
    "escape in software_id": (
        {"redirect_uris": [CALLBACK], "software_id": "x\x1b[2J"},
        "invalid_client_metadata",
    ),
    "NUL in software_version": (
        {"redirect_uris": [CALLBACK], "software_version": "1\x00"},
        "invalid_client_metadata",
    ),
    "an array": ([{"redirect_uris": [CALLBACK]}], "invalid_client_metadata"),
    "a string": ("hello", "invalid_client_metadata"),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_metadata_is_refused_and_nothing_stored(
    store: Store, url: str, http: requests.Session, case: str
) -> None:
    store.registrations.set_mode("open")
    body, error = BAD_BODIES[case]
    before = clients()
    assert_registration_error(register(http, url, body), 400, error, before)


@pytest.mark.parametrize(
    ("content_type", "data", "status", "error"),
    [
        (
            "application/x-www-form-urlencoded",
            b"redirect_uris=https://a.example.com/cb",
            400,
            "invalid_client_metadata",
        ),
        (
            "text/plain",
            b'{"redirect_uris": ["https://a.example.com/cb"]}',
            400,
            "invalid_client_metadata",
        ),
        ("application/json", b'{"redirect_uris": [', 400, "invalid_client_metadata"),
        ("application/json", b"\xff\xfe{}", 400, "invalid_client_metadata"),
        (
            "application/json",
            b'{"client_name": "a", "client_name": "b"}',
            400,
            "invalid_client_metadata",
        ),
        ("application/json", b"[" * 100_00 + b"]" * 100_00, 400, "invalid_client_metadata"),
        (
            "application/json",
            json.dumps({"redirect_uris": [CALLBACK], "pad": "x" * 50_000}).encode(),
            413,
            "invalid_request",
        ),
    ],
    ids=["form", "text", "truncated", "not utf-8", "duplicate member", "deep nesting", "too large"],
)
def test_bodies_that_are_not_json_metadata(
    store: Store,
    url: str,
    http: requests.Session,
    content_type: str,
    data: bytes,
    status: int,
    error: str,
) -> None:
    store.registrations.set_mode("open")
    before = clients()
    r = http.post(f"{url}/oauth/register", data=data, headers={"Content-Type": content_type})
    assert_registration_error(r, status, error, before)


def test_get_and_query_strings_are_refused(store: Store, url: str, http: requests.Session) -> None:
    store.registrations.set_mode("open")
    before = clients()
    r = http.get(f"{url}/oauth/register")
    assert r.status_code == 405 and r.headers["Allow"] == "POST"
    r = http.post(f"{url}/oauth/register?client_name=x", json={"redirect_uris": [CALLBACK]})
    assert_registration_error(r, 400, "invalid_request", before)


# -- token mode ----------------------------------------------------------------------------


def test_token_mode_needs_an_initial_access_token(
    store: Store, url: str, http: requests.Session
) -> None:
    store.registrations.set_mode("token")
    token, _info = store.registrations.create_token(uses=1)
    metadata = {"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"}
    before = clients()
    r = register(http, url, metadata)
    assert_registration_error(r, 401, "invalid_token", before)
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    r = register(http, url, metadata, Authorization="Bearer not-the-token")
    assert_registration_error(r, 401, "invalid_token", before)
    r = register(http, url, metadata, Authorization=f"Basic {token}")
    assert_registration_error(r, 401, "invalid_token", before)

    # A refused body does not spend the use.
    r = register(http, url, {"redirect_uris": ["javascript:x"]}, Authorization=f"Bearer {token}")
    assert_registration_error(r, 400, "invalid_redirect_uri", before)
    r = register(http, url, metadata, Authorization=f"Bearer {token}")
    assert r.status_code == 201, r.text
    # One use only.
    r = register(http, url, metadata, Authorization=f"Bearer {token}")
    assert_registration_error(r, 401, "invalid_token", before + 1)
    assert store.registrations.tokens()[0].used == 1


def test_expired_and_revoked_initial_tokens(
    store: Store, clock: ManualClock, url: str, http: requests.Session
) -> None:
    store.registrations.set_mode("token")
    expiring, _ = store.registrations.create_token(expires_in=timedelta(hours=1))
    revoked, info = store.registrations.create_token()
    store.registrations.revoke_token(info.id)
    metadata = {"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"}
    before = clients()
    r = register(http, url, metadata, Authorization=f"Bearer {revoked}")
    assert_registration_error(r, 401, "invalid_token", before)
    assert register(http, url, metadata, Authorization=f"Bearer {expiring}").status_code == 201
    clock.advance(timedelta(hours=1, seconds=1))
    r = register(http, url, metadata, Authorization=f"Bearer {expiring}")
    assert_registration_error(r, 401, "invalid_token", before + 1)


def test_the_last_use_goes_to_one_of_two_racing_registrations(store: Store, url: str) -> None:
    store.registrations.set_mode("token")
    token, _ = store.registrations.create_token(uses=1)
    metadata = {"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"}
    statuses: list[int] = []
    start = threading.Barrier(8)

    def attempt() -> None:
        with requests.Session() as http:
            start.wait()
            statuses.append(
                register(http, url, metadata, Authorization=f"Bearer {token}").status_code
            )

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201] + [401] * 7
    assert store.registrations.count() == 1


def test_new_registrations_can_start_disabled(
    store: Store, url: str, http: requests.Session
) -> None:
    store.registrations.set_mode("token")
    store.registrations.set_start_disabled(True)
    token, _ = store.registrations.create_token()
    r = register(
        http,
        url,
        {"grant_types": ["client_credentials"], "response_types": []},
        Authorization=f"Bearer {token}",
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["authclients_disabled"] is True
    auth = (body["client_id"], body["client_secret"])
    refused = http.post(f"{url}/oauth/token", data={"grant_type": "client_credentials"}, auth=auth)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert "disabled" in refused.json()["error_description"]
    store.clients.set_disabled(int(body["client_id"]), False)
    ok = http.post(f"{url}/oauth/token", data={"grant_type": "client_credentials"}, auth=auth)
    assert_token_response(ok, refresh=False)
    # Disabling again ends the token it won, and refuses the next.
    issued = ok.json()["access_token"]
    store.clients.set_disabled(int(body["client_id"]), True)
    me = http.get(f"{url}/api/1.0/users/me", headers={"Authorization": f"Bearer {issued}"})
    assert me.status_code == 401


def test_a_disabled_client_cannot_start_a_sign_in(
    store: Store, url: str, http: requests.Session
) -> None:
    store.registrations.set_mode("open")
    body = register(
        http, url, {"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"}
    ).json()
    store.clients.set_disabled(int(body["client_id"]), True)
    _verifier, challenge = pkce_pair()
    r = http.get(
        f"{url}/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": body["client_id"],
            "redirect_uri": CALLBACK,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
        allow_redirects=False,
    )
    assert r.status_code == 400 and "Location" not in r.headers


# -- limits --------------------------------------------------------------------------------


def test_per_address_rate_limit(
    store: Store, url: str, http: requests.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Registrations, "per_address", 3)
    store.registrations.set_mode("open")
    metadata = {"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"}
    for _ in range(3):
        assert register(http, url, metadata).status_code == 201
    before = clients()
    r = register(http, url, metadata)
    assert_registration_error(r, 429, "slow_down", before)
    assert int(r.headers["Retry-After"]) > 0
    store.clock.advance(timedelta(hours=1, seconds=1))
    assert register(http, url, metadata).status_code == 201


def test_cap_on_self_registered_clients(
    store: Store, url: str, http: requests.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Registrations, "cap", 2)
    store.registrations.set_mode("open")
    store.clients.create("Admin's own", client_credentials=True)  # does not count
    metadata = {"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"}
    first = register(http, url, metadata).json()
    assert register(http, url, metadata).status_code == 201
    before = clients()
    r = register(http, url, metadata)
    assert_registration_error(r, 403, "access_denied", before)
    assert "2 self-registered clients" in r.json()["error_description"]
    store.clients.delete(int(first["client_id"]))  # a deleted one frees its place
    assert register(http, url, metadata).status_code == 201


def test_cap_holds_for_concurrent_registrations(
    store: Store, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Registrations, "cap", 3)
    store.registrations.set_mode("open")
    metadata = {"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"}
    statuses: list[int] = []
    start = threading.Barrier(8)

    def attempt() -> None:
        with requests.Session() as http:
            start.wait()
            statuses.append(register(http, url, metadata).status_code)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201] * 3 + [403] * 5
    assert store.registrations.count() == 3


def test_a_client_cannot_choose_its_id_secret_or_grants_beyond_the_rules(
    store: Store, url: str, http: requests.Session
) -> None:
    store.registrations.set_mode("open")
    admin = store.clients.create("Admin's own", client_credentials=True)
    r = register(
        http,
        url,
        {
            "client_id": str(admin.client.id),
            "client_secret": "chosen-by-the-attacker",
            "client_id_issued_at": 0,
            "registered": False,
            "disabled": False,
            "redirect_uris": ["https://app.example.com/cb"],
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["client_id"] != str(admin.client.id)
    assert body["client_secret"] != "chosen-by-the-attacker"
    info = store.clients.get(int(body["client_id"]))
    assert info.registered and not info.password and not info.personal_access
    assert store.clients.authenticate(info.id, "chosen-by-the-attacker") is None
    assert store.clients.authenticate(admin.client.id, admin.secret) is not None


def test_two_serve_processes_share_one_initial_token_use(store: Store, db_target: str) -> None:
    """The use is spent by one conditional UPDATE: two processes cannot both win it."""
    from tests.endpoint.conftest import serving

    store.registrations.set_mode("token")
    token, _ = store.registrations.create_token(uses=1)
    metadata = {"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"}
    with serving(db_target) as (_one, first), serving(db_target) as (_two, second):
        statuses: list[int] = []
        start = threading.Barrier(6)

        def attempt(base: str) -> None:
            with requests.Session() as http:
                start.wait()
                r = register(http, base, metadata, Authorization=f"Bearer {token}")
                statuses.append(r.status_code)

        threads = [threading.Thread(target=attempt, args=(b,)) for b in (first, second) * 3]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(statuses) == [201] + [401] * 5
    assert store.registrations.count() == 1
