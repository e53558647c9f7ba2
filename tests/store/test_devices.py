"""Device requests (RFC 8628) in the store: codes, approval, polling, redemption once, purge."""

from __future__ import annotations

from datetime import timedelta

import pytest

from authclients.store import NotFound, Store, ValidationError
from authclients.store import errors as store_errors
from authclients.store.clock import ManualClock
from authclients.store.devices import USER_CODE_ALPHABET, normalise_user_code
from authclients.store.models import AuditEvent, DeviceRequest
from authclients.store.records import ClientInfo, UserInfo
from tests.store.conftest import PASSWORD


@pytest.fixture
def tv(store: Store) -> ClientInfo:
    """A public client with the device grant and a scope list."""
    store.scopes.add("read")
    store.scopes.add("write")
    made = store.clients.create("Living room TV", device=True, public=True, scopes="read write")
    return made.client


def test_a_request_gives_a_device_code_once_and_a_readable_user_code(
    store: Store, tv: ClientInfo
) -> None:
    made = store.devices.request(tv.id, "read")
    assert len(made.device_code) >= 43
    assert made.expires_in == 600 and made.interval == 5
    code = made.user_code
    assert len(code) == 9 and code[4] == "-"
    assert all(c in USER_CODE_ALPHABET for c in code.replace("-", ""))
    row = DeviceRequest.get_by_id(made.info.id)
    # Stored as a digest and the normalised code: the device code is nowhere in the row.
    assert made.device_code not in str(row.__data__.values())
    assert row.user_code == code.replace("-", "")
    assert made.info.status == "pending" and made.info.scopes == ("read",)
    assert made.info.client_name == "Living room TV"


def test_user_codes_differ_between_requests(store: Store, tv: ClientInfo) -> None:
    codes = {store.devices.request(tv.id).user_code for _ in range(20)}
    assert len(codes) == 20


def test_a_client_without_the_grant_or_deleted_cannot_ask(store: Store, tv: ClientInfo) -> None:
    other = store.clients.create("Job", client_credentials=True).client
    with pytest.raises(ValidationError, match="device grant"):
        store.devices.request(other.id)
    store.clients.delete(tv.id)
    with pytest.raises(NotFound):
        store.devices.request(tv.id)


@pytest.mark.parametrize("typed", ["{}", "{}".lower(), " {} ", "{}"])
def test_find_by_user_code_ignores_case_dashes_and_spaces(
    store: Store, tv: ClientInfo, typed: str
) -> None:
    made = store.devices.request(tv.id)
    folded = made.user_code.replace("-", "")
    variants = {
        "{}": made.user_code,
        "{}".lower(): made.user_code.lower(),
        " {} ": f" {folded[:4]} {folded[4:]} ",
    }
    found = store.devices.find_by_user_code(variants.get(typed, folded))
    assert found.id == made.info.id


def test_find_by_user_code_explains_unknown_malformed_expired_and_decided(
    store: Store, tv: ClientInfo, alice: UserInfo, clock: ManualClock
) -> None:
    with pytest.raises(NotFound):
        store.devices.find_by_user_code("BCDF-GHJK")
    with pytest.raises(ValidationError, match="8 letters"):
        store.devices.find_by_user_code("AEIO-1234")
    with pytest.raises(ValidationError, match="8 letters"):
        store.devices.find_by_user_code("BCDF-GHJK-L")
    approved = store.devices.request(tv.id)
    store.devices.approve(approved.info.id, alice.id)
    with pytest.raises(ValidationError, match="already approved"):
        store.devices.find_by_user_code(approved.user_code)
    old = store.devices.request(tv.id)
    clock.advance(timedelta(minutes=10))
    with pytest.raises(ValidationError, match="expired"):
        store.devices.find_by_user_code(old.user_code)


def test_pending_lists_undecided_live_requests_newest_first(
    store: Store, tv: ClientInfo, alice: UserInfo, clock: ManualClock
) -> None:
    old = store.devices.request(tv.id)
    clock.advance(timedelta(minutes=6))
    first = store.devices.request(tv.id, "read")
    second = store.devices.request(tv.id, "write")
    decided = store.devices.request(tv.id)
    store.devices.deny(decided.info.id)
    assert [d.id for d in store.devices.pending()] == [
        second.info.id,
        first.info.id,
        old.info.id,
    ]
    clock.advance(timedelta(minutes=5))  # the oldest is 11 minutes old now
    assert [d.id for d in store.devices.pending()] == [second.info.id, first.info.id]
    assert store.devices.get(old.info.id).status == "expired"
    assert store.devices.get(decided.info.id).status == "denied"


def poll(store: Store, device_code: str, client_id: int):
    """As the grant does: inside a transaction, catching the refusal so its write commits."""
    with store.atomic():
        try:
            return store.devices.poll(device_code, client_id)
        except store_errors.StoreError as exc:
            refused = exc
    raise refused


def test_polling_pending_then_slow_down_grows_the_interval(
    store: Store, tv: ClientInfo, clock: ManualClock
) -> None:
    made = store.devices.request(tv.id)
    with pytest.raises(store_errors.AuthorizationPending):
        poll(store, made.device_code, tv.id)
    clock.advance(timedelta(seconds=2))
    with pytest.raises(store_errors.PollTooFast) as raised:
        poll(store, made.device_code, tv.id)
    assert raised.value.interval == 10 and raised.value.error == "slow_down"
    # 6 s later is on time for the old interval, early for the new one: slower again.
    clock.advance(timedelta(seconds=6))
    with pytest.raises(store_errors.PollTooFast) as raised:
        poll(store, made.device_code, tv.id)
    assert raised.value.interval == 15
    clock.advance(timedelta(seconds=15))
    with pytest.raises(store_errors.AuthorizationPending):
        poll(store, made.device_code, tv.id)
    assert store.devices.get(made.info.id).interval == 15


def test_approved_gives_the_grant_once(
    store: Store, tv: ClientInfo, alice: UserInfo, clock: ManualClock
) -> None:
    made = store.devices.request(tv.id, "read write")
    info = store.devices.approve(made.info.id, alice.id)
    assert info.status == "approved" and info.username == "alice"
    assert info.decided_by == "tester"
    grant = poll(store, made.device_code, tv.id)
    assert grant.user_id == alice.id and grant.scopes == ("read", "write")
    assert grant.user_generation == alice.session_generation
    with pytest.raises(store_errors.InvalidGrant, match="already used"):
        poll(store, made.device_code, tv.id)
    assert store.devices.get(made.info.id).status == "used"


def test_another_clients_or_an_unknown_code_is_invalid_grant(
    store: Store, tv: ClientInfo, alice: UserInfo
) -> None:
    other = store.clients.create("Other TV", device=True, public=True).client
    made = store.devices.request(tv.id)
    store.devices.approve(made.info.id, alice.id)
    with pytest.raises(store_errors.InvalidGrant, match="another client"):
        poll(store, made.device_code, other.id)
    with pytest.raises(store_errors.InvalidGrant):
        poll(store, "x" * 43, tv.id)
    with pytest.raises(store_errors.InvalidGrant):
        poll(store, "", tv.id)
    # The rightful client still gets it: the wrong client's try burnt nothing.
    assert poll(store, made.device_code, tv.id).user_id == alice.id


def test_denied_and_expired(store: Store, tv: ClientInfo, clock: ManualClock) -> None:
    denied = store.devices.request(tv.id)
    store.devices.deny(denied.info.id)
    with pytest.raises(store_errors.DeviceDenied) as raised:
        poll(store, denied.device_code, tv.id)
    assert raised.value.error == "access_denied"
    expired = store.devices.request(tv.id)
    clock.advance(timedelta(minutes=10))
    with pytest.raises(store_errors.DeviceExpired) as raised:
        poll(store, expired.device_code, tv.id)
    assert raised.value.error == "expired_token"


def test_an_approval_that_expires_before_the_poll_gives_nothing(
    store: Store, tv: ClientInfo, alice: UserInfo, clock: ManualClock
) -> None:
    made = store.devices.request(tv.id)
    store.devices.approve(made.info.id, alice.id)
    clock.advance(timedelta(minutes=10, seconds=1))
    with pytest.raises(store_errors.DeviceExpired):
        poll(store, made.device_code, tv.id)
    assert store.devices.get(made.info.id).status == "expired"


def test_a_decision_is_made_once(
    store: Store, tv: ClientInfo, alice: UserInfo, clock: ManualClock
) -> None:
    made = store.devices.request(tv.id)
    store.devices.deny(made.info.id)
    with pytest.raises(ValidationError, match="already denied"):
        store.devices.approve(made.info.id, alice.id)
    with pytest.raises(ValidationError, match="already denied"):
        store.devices.deny(made.info.id)
    late = store.devices.request(tv.id)
    clock.advance(timedelta(minutes=11))
    with pytest.raises(ValidationError, match="expired"):
        store.devices.approve(late.info.id, alice.id)
    with pytest.raises(NotFound):
        store.devices.approve(10_000, alice.id)


def test_approval_refuses_a_deactivated_user_and_a_client_without_the_grant(
    store: Store, tv: ClientInfo, alice: UserInfo
) -> None:
    made = store.devices.request(tv.id)
    store.users.set_active("alice", False)
    with pytest.raises(ValidationError, match="deactivated"):
        store.devices.approve(made.info.id, alice.id)
    bob = store.users.add("bob", PASSWORD)
    store.clients.update(
        tv.id, device=False, authorization_code=True, redirect_uris=["https://x.example/cb"]
    )
    with pytest.raises(ValidationError, match="device grant"):
        store.devices.approve(made.info.id, bob.id)


def test_decisions_are_audited_with_client_and_user(
    store: Store, tv: ClientInfo, alice: UserInfo
) -> None:
    one = store.devices.request(tv.id, "read")
    two = store.devices.request(tv.id)
    store.devices.approve(one.info.id, alice.id)
    store.devices.deny(two.info.id)
    events = {
        e.action: e for e in AuditEvent.select().where(AuditEvent.action.startswith("device."))
    }
    approve, deny = events["device.approve"], events["device.deny"]
    assert approve.actor == "tester" and approve.object_id == str(one.info.id)
    assert f"client={tv.id}" in approve.detail and "user='alice'" in approve.detail
    assert deny.object_id == str(two.info.id) and f"client={tv.id}" in deny.detail
    # Never the device code.
    assert one.device_code not in approve.detail


def test_purge_removes_expired_requests_only(
    store: Store, tv: ClientInfo, alice: UserInfo, clock: ManualClock
) -> None:
    old = store.devices.request(tv.id)
    store.devices.approve(old.info.id, alice.id)
    poll(store, old.device_code, tv.id)
    clock.advance(timedelta(days=2))
    live = store.devices.request(tv.id)
    dry = store.tokens.purge(1, dry_run=True)
    assert dry.device_requests == 1
    assert DeviceRequest.select().count() == 2
    done = store.tokens.purge(1)
    assert done.device_requests == 1
    assert [r.id for r in DeviceRequest.select()] == [live.info.id]


def test_a_flood_of_requests_from_one_client_is_capped(
    store: Store, tv: ClientInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from authclients.store import devices

    monkeypatch.setattr(devices, "PENDING_PER_CLIENT", 3)
    for _ in range(3):
        store.devices.request(tv.id)
    with pytest.raises(store_errors.RateLimited, match="3 device requests waiting"):
        store.devices.request(tv.id)


def test_normalise_user_code() -> None:
    assert normalise_user_code(" bcdf-ghjk\n") == "BCDFGHJK"
    assert normalise_user_code("") == ""


def test_the_client_flag_round_trips(store: Store) -> None:
    made = store.clients.create("Box", device=True).client
    assert made.device and made.grant_types == ("device",)
    assert made.allows("urn:ietf:params:oauth:grant-type:device_code")
    assert made.allows("refresh_token")
    off = store.clients.update(made.id, device=False, client_credentials=True)
    assert not off.device and not off.allows("device")
    with pytest.raises(ValidationError, match="at least one grant"):
        store.clients.update(made.id, client_credentials=False)


def test_a_deleted_clients_requests_are_neither_listed_nor_found(
    store: Store, tv: ClientInfo
) -> None:
    made = store.devices.request(tv.id)
    store.clients.delete(tv.id)
    assert store.devices.pending() == []
    with pytest.raises(ValidationError, match="deleted"):
        store.devices.find_by_user_code(made.user_code)


def test_a_user_code_clash_draws_again(
    store: Store, tv: ClientInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clash with a code in the table (unique index) draws again, inside the same
    transaction (a savepoint on PostgreSQL, where a failed INSERT would end it)."""
    from authclients.store import devices

    first = store.devices.request(tv.id)
    taken = iter(first.user_code.replace("-", "") * 2 + "BCDFGHJK")
    monkeypatch.setattr(devices.secrets, "choice", lambda _alphabet: next(taken))
    second = store.devices.request(tv.id)
    assert second.user_code == "BCDF-GHJK"
    assert len(store.devices.pending()) == 2
