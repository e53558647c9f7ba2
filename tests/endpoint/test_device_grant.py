"""The device authorization grant over real HTTP (RFC 8628 §3.1-3.5): codes, polling, every
error, metadata; and the whole flow against ``authclients serve`` with oauthlib's DeviceClient."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from oauthlib.oauth2 import DeviceClient

from authclients.store import Store
from authclients.store.clock import ManualClock
from authclients.store.models import DeviceRequest
from authclients.store.records import CreatedClient, UserInfo
from tests.endpoint.conftest import (
    PASSWORD,
    Counter,
    assert_refused,
    basic,
    form_fields,
    issued_rows,
    serving,
)

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture
def tv(store: Store) -> CreatedClient:
    """A public device client with a scope list."""
    store.scopes.add("read")
    store.scopes.add("write")
    store.scopes.add("admin")
    return store.clients.create("Living room TV", device=True, public=True, scopes="read write")


@pytest.fixture
def box(store: Store) -> CreatedClient:
    """A confidential device client."""
    return store.clients.create("Set-top box", device=True)


def device_code(url: str, client_id: int, **data: str) -> requests.Response:
    return requests.post(f"{url}/oauth/device/code", data={"client_id": str(client_id), **data})


def poll(url: str, client_id: int, code: str, **extra: object) -> requests.Response:
    return requests.post(
        f"{url}/oauth/token",
        data={"grant_type": DEVICE_GRANT, "device_code": code, "client_id": str(client_id)},
        **extra,
    )


def test_metadata_advertises_the_device_endpoint_and_grant(url: str) -> None:
    doc = requests.get(f"{url}/.well-known/oauth-authorization-server").json()
    assert doc["device_authorization_endpoint"] == f"{url}/oauth/device/code"
    assert DEVICE_GRANT in doc["grant_types_supported"]


def test_a_public_client_gets_codes(url: str, tv: CreatedClient) -> None:
    r = device_code(url, tv.client.id, scope="read")
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store"
    body = r.json()
    assert set(body) == {
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
        "interval",
    }
    assert body["verification_uri"] == f"{url}/oauth/device"
    assert body["verification_uri_complete"] == f"{url}/oauth/device?user_code={body['user_code']}"
    assert body["expires_in"] == 600 and body["interval"] == 5
    row = DeviceRequest.get()
    assert row.scopes == "read" and row.client_id == tv.client.id


def test_a_confidential_client_authenticates_as_at_the_token_endpoint(
    url: str, box: CreatedClient
) -> None:
    before = issued_rows()
    ok = requests.post(f"{url}/oauth/device/code", data={"scope": ""}, auth=basic(box))
    assert ok.status_code == 200, ok.text
    wrong = requests.post(
        f"{url}/oauth/device/code", data={"scope": ""}, auth=(str(box.client.id), "nope")
    )
    assert_refused(wrong, 401, "invalid_client", before)
    assert wrong.headers["WWW-Authenticate"].startswith("Basic")
    only_id = device_code(url, box.client.id)
    assert_refused(only_id, 401, "invalid_client", before)
    assert DeviceRequest.select().count() == 1


def test_refusals_are_rfc_errors_and_make_no_request(
    url: str, tv: CreatedClient, store: Store
) -> None:
    other = store.clients.create("Job", client_credentials=True, scopes="read")
    before = issued_rows()
    no_grant = requests.post(f"{url}/oauth/device/code", data={"scope": ""}, auth=basic(other))
    assert_refused(no_grant, 400, "unauthorized_client", before)
    assert_refused(device_code(url, tv.client.id, scope="admin"), 400, "invalid_scope", before)
    assert_refused(device_code(url, tv.client.id, scope="nope"), 400, "invalid_scope", before)
    assert_refused(
        device_code(url, tv.client.id, scope="read\nwrite"), 400, "invalid_scope", before
    )
    no_client = requests.post(f"{url}/oauth/device/code", data={"scope": ""})
    assert_refused(no_client, 401, "invalid_client", before)
    assert_refused(device_code(url, 999), 401, "invalid_client", before)
    assert_refused(device_code(url, tv.client.id, scope="x" * 5000), 400, "invalid_request", before)
    r = requests.get(f"{url}/oauth/device/code")
    assert r.status_code == 405 and r.json()["error"] == "invalid_request"
    garbage = requests.post(
        f"{url}/oauth/device/code",
        data=b"client_id=%zz",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert garbage.status_code == 400 and garbage.json()["error"] == "invalid_request"
    assert DeviceRequest.select().count() == 0


def test_polling_answers_every_rfc_8628_state(
    url: str, tv: CreatedClient, store: Store, alice: UserInfo, clock: ManualClock
) -> None:
    codes = device_code(url, tv.client.id, scope="read write").json()
    before = issued_rows()
    pending = poll(url, tv.client.id, codes["device_code"])
    assert_refused(pending, 400, "authorization_pending", before)
    # Polling again at once: slow_down, and the stored interval is 5 s longer.
    fast = poll(url, tv.client.id, codes["device_code"])
    assert_refused(fast, 400, "slow_down", before)
    assert store.devices.get(DeviceRequest.get().id).interval == 10
    clock.advance(timedelta(seconds=10))
    assert_refused(
        poll(url, tv.client.id, codes["device_code"]), 400, "authorization_pending", before
    )

    info = store.devices.find_by_user_code(codes["user_code"])
    store.devices.approve(info.id, alice.id)
    clock.advance(timedelta(seconds=10))
    done = poll(url, tv.client.id, codes["device_code"])
    assert done.status_code == 200, done.text
    assert done.headers["Cache-Control"] == "no-store"
    tokens = done.json()
    assert tokens["token_type"] == "Bearer" and tokens["scope"] == "read write"
    assert tokens["refresh_token"] and tokens["expires_in"] == 3600
    me = requests.get(
        f"{url}/api/1.0/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    ).json()
    assert me["user"]["username"] == "alice" and me["grant_type"] == "device"
    assert store.devices.get(info.id).access_token_id == store.tokens.list()[0].id

    # Single use: the same code again is invalid_grant and issues nothing.
    clock.advance(timedelta(seconds=10))
    after = issued_rows()
    assert_refused(poll(url, tv.client.id, codes["device_code"]), 400, "invalid_grant", after)

    # The refresh token works, as for the code and password grants.
    refreshed = requests.post(
        f"{url}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": str(tv.client.id),
        },
    )
    assert refreshed.status_code == 200, refreshed.text
    assert store.tokens.list()[0].grant_type == "device"


def test_denied_expired_unknown_and_another_clients_code(
    url: str, tv: CreatedClient, store: Store, clock: ManualClock, alice: UserInfo
) -> None:
    other = store.clients.create("Other TV", device=True, public=True)
    denied = device_code(url, tv.client.id).json()
    expired = device_code(url, tv.client.id).json()
    stolen = device_code(url, tv.client.id).json()
    store.devices.deny(store.devices.find_by_user_code(denied["user_code"]).id)
    store.devices.approve(store.devices.find_by_user_code(stolen["user_code"]).id, alice.id)
    before = issued_rows()
    assert_refused(poll(url, tv.client.id, denied["device_code"]), 400, "access_denied", before)
    # Another client presenting an approved code gets nothing, and burns nothing.
    assert_refused(poll(url, other.client.id, stolen["device_code"]), 400, "invalid_grant", before)
    assert_refused(poll(url, tv.client.id, "A" * 43), 400, "invalid_grant", before)
    assert_refused(poll(url, tv.client.id, ""), 400, "invalid_request", before)
    assert_refused(poll(url, tv.client.id, "A" * 600), 400, "invalid_request", before)
    assert poll(url, tv.client.id, stolen["device_code"]).status_code == 200
    clock.advance(timedelta(minutes=10))
    before = issued_rows()
    assert_refused(poll(url, tv.client.id, expired["device_code"]), 400, "expired_token", before)


def test_a_client_that_lost_the_grant_cannot_poll(
    url: str, tv: CreatedClient, store: Store, alice: UserInfo
) -> None:
    codes = device_code(url, tv.client.id).json()
    store.devices.approve(store.devices.find_by_user_code(codes["user_code"]).id, alice.id)
    store.clients.update(
        tv.client.id, device=False, authorization_code=True, redirect_uris=["https://a.example/cb"]
    )
    before = issued_rows()
    assert_refused(
        poll(url, tv.client.id, codes["device_code"]), 400, "unauthorized_client", before
    )


def test_a_password_change_after_approval_ends_it(
    url: str, tv: CreatedClient, store: Store, alice: UserInfo
) -> None:
    codes = device_code(url, tv.client.id).json()
    store.devices.approve(store.devices.find_by_user_code(codes["user_code"]).id, alice.id)
    store.users.set_password("alice", "a brand new passphrase")
    before = issued_rows()
    assert_refused(poll(url, tv.client.id, codes["device_code"]), 400, "invalid_grant", before)


def test_the_whole_flow_with_oauthlib_against_serve(tmp_path: Path) -> None:
    """A third-party RFC 8628 client, a browser walking the page, a separate serve process."""
    db = tmp_path / "serve.db"
    setup = Store.open(str(db), actor="tester")
    setup.scopes.add("read")
    client_id = setup.clients.create("TV app", device=True, public=True).client.id
    setup.users.add("alice", PASSWORD)
    setup.close()
    with serving(db) as (_proc, url):
        device = DeviceClient(str(client_id), scope=["read"])
        # oauthlib refuses plain http URIs in prepare_request_uri: send the body ourselves.
        asked = requests.post(
            f"{url}/oauth/device/code", data={"client_id": str(client_id), "scope": "read"}
        )
        assert asked.status_code == 200, asked.text
        codes = asked.json()
        body = device.prepare_request_body(codes["device_code"], include_client_id=True)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        first = requests.post(f"{url}/oauth/token", data=body, headers=headers)
        assert first.json()["error"] == "authorization_pending"

        browser = requests.Session()
        page = browser.get(codes["verification_uri_complete"])
        assert page.status_code == 200 and "Sign in to connect a device" in page.text
        assert f'value="{codes["user_code"]}"' in page.text
        confirm = browser.post(
            codes["verification_uri"],
            data={
                **form_fields(page.text),
                "username": "alice",
                "password": PASSWORD,
                "user_code": codes["user_code"],
            },
        )
        assert confirm.status_code == 200, confirm.text
        assert "Connect TV app?" in confirm.text and codes["user_code"] in confirm.text
        done = browser.post(
            codes["verification_uri"], data={**form_fields(confirm.text), "action": "approve"}
        )
        assert done.status_code == 200 and "is connected" in done.text

        # RFC 8628 §3.5: the device waits the interval before polling again.
        time.sleep(codes["interval"])
        got = requests.post(f"{url}/oauth/token", data=body, headers=headers)
        assert got.status_code == 200, got.text
        token = device.parse_request_body_response(got.text, scope=["read"])
        assert token["access_token"] and token["refresh_token"] and token["scope"] == ["read"]
        again = requests.post(f"{url}/oauth/token", data=body, headers=headers)
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
        me = requests.get(
            f"{url}/api/1.0/users/me",
            headers={"Authorization": f"Bearer {token['access_token']}"},
        )
        assert json.loads(me.text)["user"]["username"] == "alice"


def test_a_flood_of_device_requests_is_slowed_down(
    url: str, tv: CreatedClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A public client needs no secret to ask, so its waiting requests are capped."""
    from authclients.store import devices

    monkeypatch.setattr(devices, "PENDING_PER_CLIENT", 2)
    for _ in range(2):
        assert device_code(url, tv.client.id).status_code == 200
    flood = device_code(url, tv.client.id)
    assert flood.status_code == 429, flood.text
    assert flood.json()["error"] == "slow_down" and int(flood.headers["Retry-After"]) >= 1
    assert DeviceRequest.select().count() == 2


def test_polling_runs_no_bcrypt(
    url: str, tv: CreatedClient, store: Store, alice: UserInfo, bcrypt_checks: Counter
) -> None:
    """Devices poll every few seconds: the path is a digest lookup and one write, never bcrypt."""
    codes = device_code(url, tv.client.id).json()
    for _ in range(3):
        assert poll(url, tv.client.id, codes["device_code"]).status_code == 400
    store.devices.approve(store.devices.find_by_user_code(codes["user_code"]).id, alice.id)
    assert poll(url, tv.client.id, codes["device_code"]).status_code == 200
    assert bcrypt_checks.calls == 0
