"""The device verification page under attack: guessed user codes, CSRF, framing, replayed and
swapped decision forms, hostile names and oversized input, over real HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests

from authclients.store import Store
from authclients.store.endpoint import TokenEndpoint
from authclients.store.models import AuditEvent, DeviceRequest, FailedAttempt
from authclients.store.ratelimit import DEFAULT_SOURCE_LIMIT
from authclients.store.records import CreatedClient, UserInfo
from tests.endpoint.conftest import PASSWORD, form_fields

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


@pytest.fixture
def url(store: Store) -> Iterator[str]:
    ep = TokenEndpoint(store, port=0)
    ep.start()
    yield ep.url
    ep.stop()


@pytest.fixture
def alice(store: Store) -> UserInfo:
    return store.users.add("alice", PASSWORD)


@pytest.fixture
def tv(store: Store) -> CreatedClient:
    return store.clients.create(HOSTILE, device=True, public=True)


def signed_in(url: str, username: str = "alice") -> tuple[requests.Session, requests.Response]:
    """A browser signed in on the device page; the code page it lands on."""
    browser = requests.Session()
    page = browser.get(f"{url}/oauth/device")
    landed = browser.post(
        f"{url}/oauth/device",
        data={**form_fields(page.text), "username": username, "password": PASSWORD},
    )
    assert landed.status_code == 200, landed.text
    assert "Enter the code shown on your device" in landed.text
    return browser, landed


def confirm_page(browser: requests.Session, url: str, page: requests.Response, code: str):
    return browser.post(f"{url}/oauth/device", data={**form_fields(page.text), "user_code": code})


def test_guessing_user_codes_is_stopped_per_address(
    url: str, store: Store, tv: CreatedClient, alice: UserInfo
) -> None:
    real = store.devices.request(tv.client.id)
    browser, page = signed_in(url)
    for n in range(DEFAULT_SOURCE_LIMIT):
        guess = confirm_page(browser, url, page, f"BCDF-{'GHJK' if n % 2 else 'LMNP'}")
        assert guess.status_code == 400, guess.text
        assert "not one we gave out" in guess.text
        page = guess
    # The budget is spent: even the right code is not looked up now.
    refused = confirm_page(browser, url, page, real.user_code)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "Approve" not in refused.text
    assert store.devices.get(real.info.id).status == "pending"
    # Malformed guesses count too, and so do wrong passwords from the same address
    # (one budget): a fresh sign-in from this address is refused as well.
    other = requests.Session()
    sign_in = other.get(f"{url}/oauth/device")
    r = other.post(
        f"{url}/oauth/device",
        data={**form_fields(sign_in.text), "username": "alice", "password": "wrong password"},
    )
    assert r.status_code == 429


def test_malformed_and_oversized_codes_are_a_clear_error_never_a_500(
    url: str, store: Store, tv: CreatedClient, alice: UserInfo
) -> None:
    browser, page = signed_in(url)
    for typed in ("", "AEIO-U123", "x" * 3000, "\x1b[2J", "ＢＣＤＦ-ＧＨＪＫ"):
        r = confirm_page(browser, url, page, typed)
        assert r.status_code == 400, (typed, r.status_code)
        assert "Traceback" not in r.text and "\x1b" not in r.text
        page = r
    assert FailedAttempt.select().count() == 5


def test_a_get_with_a_code_writes_nothing_and_reflects_it_escaped(
    url: str, store: Store, tv: CreatedClient
) -> None:
    real = store.devices.request(tv.client.id)
    page = requests.get(f"{url}/oauth/device", params={"user_code": '"><script>x</script>'})
    assert page.status_code == 200
    assert "<script>x" not in page.text
    page = requests.get(f"{url}/oauth/device", params={"user_code": "ZZZZ-ZZZZ"})
    assert 'value="ZZZZ-ZZZZ"' in page.text
    assert FailedAttempt.select().count() == 0
    assert store.devices.get(real.info.id).status == "pending"


def test_every_page_refuses_framing(
    url: str, store: Store, tv: CreatedClient, alice: UserInfo
) -> None:
    made = store.devices.request(tv.client.id)
    browser, code_page = signed_in(url)
    confirm = confirm_page(browser, url, code_page, made.user_code)
    done = browser.post(f"{url}/oauth/device", data={**form_fields(confirm.text), "action": "deny"})
    for r in (requests.get(f"{url}/oauth/device"), code_page, confirm, done):
        assert r.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
        assert r.headers["Cache-Control"] == "no-store"


def test_hostile_client_names_are_escaped(
    url: str, store: Store, tv: CreatedClient, alice: UserInfo
) -> None:
    made = store.devices.request(tv.client.id)
    browser, page = signed_in(url)
    confirm = confirm_page(browser, url, page, made.user_code)
    assert confirm.status_code == 200
    assert "<script>" not in confirm.text and "<img" not in confirm.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in confirm.text
    done = browser.post(
        f"{url}/oauth/device", data={**form_fields(confirm.text), "action": "approve"}
    )
    assert "<script>" not in done.text


def test_forged_posts_are_refused(
    url: str, store: Store, tv: CreatedClient, alice: UserInfo
) -> None:
    made = store.devices.request(tv.client.id)
    # Login CSRF: a sign-in form without the browser's form cookie (another site posting).
    page = requests.get(f"{url}/oauth/device")
    forged = requests.post(
        f"{url}/oauth/device",
        data={**form_fields(page.text), "username": "alice", "password": PASSWORD},
    )
    assert forged.status_code == 403 and "CSRF" in forged.text
    # No token at all.
    browser, code_page = signed_in(url)
    r = browser.post(f"{url}/oauth/device", data={"action": "lookup", "user_code": made.user_code})
    assert r.status_code == 403
    # A decision form for one request cannot decide another.
    confirm = confirm_page(browser, url, code_page, made.user_code)
    second = store.devices.request(tv.client.id)
    swapped = {**form_fields(confirm.text), "device": str(second.info.id), "action": "approve"}
    assert browser.post(f"{url}/oauth/device", data=swapped).status_code == 403
    # Another user's browser cannot use alice's decision form.
    store.users.add("mallory", PASSWORD)
    mallory, _ = signed_in(url, "mallory")
    stolen = {**form_fields(confirm.text), "action": "approve"}
    assert mallory.post(f"{url}/oauth/device", data=stolen).status_code == 403
    # A browser with no session is sent to sign in, and nothing is decided.
    anonymous = requests.post(f"{url}/oauth/device", data=stolen)
    assert anonymous.status_code == 401 and "Sign in" in anonymous.text
    assert store.devices.get(made.info.id).status == "pending"
    assert store.devices.get(second.info.id).status == "pending"


def test_a_decision_form_decides_once(
    url: str, store: Store, tv: CreatedClient, alice: UserInfo
) -> None:
    made = store.devices.request(tv.client.id)
    browser, page = signed_in(url)
    confirm = confirm_page(browser, url, page, made.user_code)
    fields = form_fields(confirm.text)
    first = browser.post(f"{url}/oauth/device", data={**fields, "action": "deny"})
    assert first.status_code == 200 and "Request denied" in first.text
    replay = browser.post(f"{url}/oauth/device", data={**fields, "action": "approve"})
    assert replay.status_code == 400 and "already answered" in replay.text
    assert store.devices.get(made.info.id).status == "denied"
    decisions = AuditEvent.select().where(AuditEvent.action.startswith("device.")).count()
    assert decisions == 1
    # A fresh form for a decided code explains instead of deciding again.
    again = confirm_page(browser, url, replay, made.user_code)
    assert again.status_code == 400 and "already denied" in again.text


def test_foreign_origin_is_refused_behind_a_public_url(
    store: Store, tv: CreatedClient, alice: UserInfo
) -> None:
    ep = TokenEndpoint(store, port=0, public_url="https://auth.example.com")
    ep.start()
    try:
        page = requests.get(f"{ep.url}/oauth/device")
        assert 'action="/oauth/device"' in page.text
        cookie = re.search(r"__Host-authclients_form=([^;]+)", page.headers["Set-Cookie"])
        assert cookie and "Secure" in page.headers["Set-Cookie"]
        r = requests.post(
            f"{ep.url}/oauth/device",
            data={**form_fields(page.text), "username": "alice", "password": PASSWORD},
            headers={
                "Origin": "https://evil.example",
                "Cookie": f"__Host-authclients_form={cookie.group(1)}",
            },
        )
        assert r.status_code == 403
        # The device endpoint names the public URL for the verification page.
        codes = requests.post(
            f"{ep.url}/oauth/device/code", data={"client_id": str(tv.client.id)}
        ).json()
        assert codes["verification_uri"] == "https://auth.example.com/oauth/device"
    finally:
        ep.stop()
    assert DeviceRequest.select().count() == 1
