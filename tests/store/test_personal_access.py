"""Personal access tokens: lifetimes, the explicit "never", and who may have one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from authclients.store import NotFound, Store, ValidationError
from authclients.store.clock import ManualClock
from authclients.store.models import AuditEvent
from authclients.store.records import ClientInfo, Lifetimes, UserInfo
from authclients.store.tokens import NEVER


def test_default_lifetime_is_one_year(
    store: Store, client: ClientInfo, alice: UserInfo, clock: ManualClock
) -> None:
    store.scopes.add("read")
    store.scopes.add("write")
    pat = store.tokens.create_personal_access_token("alice", "laptop", scopes="read write")
    info = pat.info
    assert info.expires_at == clock.now() + timedelta(days=365)
    assert pat.expires_in == 365 * 86_400
    assert (info.name, info.grant_type, info.username) == ("laptop", "personal_access", "alice")
    assert info.scopes == ("read", "write") and info.client_id == client.id
    assert pat.refresh_token is None
    assert store.tokens.find(pat.access_token).id == info.id
    clock.advance(timedelta(days=365))
    assert store.tokens.find(pat.access_token).state == "expired"


def test_default_lifetime_comes_from_lifetimes(
    store: Store, client: ClientInfo, alice: UserInfo, clock: ManualClock
) -> None:
    short = Store(
        store.db,
        clock=clock,
        actor="tester",
        lifetimes=Lifetimes(personal_access=timedelta(days=30)),
    )
    pat = short.tokens.create_personal_access_token("alice", "ci")
    assert pat.info.expires_at == clock.now() + timedelta(days=30)


def test_never_expires_only_when_asked(
    store: Store, client: ClientInfo, alice: UserInfo, clock: ManualClock
) -> None:
    pat = store.tokens.create_personal_access_token("alice", "forever", lifetime=NEVER)
    assert pat.info.expires_at is None
    assert pat.expires_in is None
    assert "expires_in" not in pat.response()
    clock.advance(timedelta(days=365 * 50))
    assert store.tokens.find(pat.access_token).state == "active"
    assert store.tokens.introspect(pat.access_token)["active"] is True
    assert "exp" not in store.tokens.introspect(pat.access_token)
    detail = AuditEvent.get(AuditEvent.action == "token.create_personal").detail
    assert "never expires" in detail


def test_custom_lifetime(
    store: Store, client: ClientInfo, alice: UserInfo, clock: ManualClock
) -> None:
    pat = store.tokens.create_personal_access_token("alice", "a week", lifetime=timedelta(days=7))
    assert pat.info.expires_at == clock.now() + timedelta(days=7)
    assert pat.expires_in == 7 * 86_400
    clock.advance(timedelta(days=7))
    assert store.tokens.authenticate_bearer(pat.access_token) is None


@pytest.mark.parametrize(
    "lifetime",
    [timedelta(0), timedelta(days=-1), timedelta(days=3651), "forever", "Never", 30],
    ids=["zero", "negative", "over-10-years", "forever", "capitalised-never", "bare-int"],
)
def test_bad_lifetimes_are_refused(
    store: Store, client: ClientInfo, alice: UserInfo, lifetime: object
) -> None:
    with pytest.raises(ValidationError) as caught:
        store.tokens.create_personal_access_token("alice", "bad", lifetime=lifetime)
    assert set(caught.value.errors) == {"lifetime"}
    assert store.tokens.list() == []


def test_ten_years_is_the_longest_finite_lifetime(
    store: Store, client: ClientInfo, alice: UserInfo, clock: ManualClock
) -> None:
    pat = store.tokens.create_personal_access_token("alice", "long", lifetime=timedelta(days=3650))
    assert pat.info.expires_at == clock.now() + timedelta(days=3650)


def test_needs_a_client_with_personal_access(store: Store, alice: UserInfo) -> None:
    store.clients.create("Password only", password=True)
    with pytest.raises(ValidationError) as caught:
        store.tokens.create_personal_access_token("alice", "laptop")
    assert set(caught.value.errors) == {"client"}
    allowed = store.clients.create("PAT client", personal_access=True).client
    assert store.tokens.create_personal_access_token("alice", "laptop").info.client_id == allowed.id


def test_an_explicit_client_must_allow_personal_access(
    store: Store, client: ClientInfo, alice: UserInfo
) -> None:
    password_only = store.clients.create("Password only", password=True).client
    with pytest.raises(ValidationError) as caught:
        store.tokens.create_personal_access_token("alice", "x", client_id=password_only.id)
    assert set(caught.value.errors) == {"client"}
    store.clients.delete(client.id)
    with pytest.raises(ValidationError):
        store.tokens.create_personal_access_token("alice", "x", client_id=client.id)


def test_deactivated_or_unknown_user_is_refused(
    store: Store, client: ClientInfo, alice: UserInfo
) -> None:
    store.users.set_active("alice", False)
    with pytest.raises(ValidationError) as caught:
        store.tokens.create_personal_access_token("alice", "laptop")
    assert set(caught.value.errors) == {"user"}
    with pytest.raises(NotFound):
        store.tokens.create_personal_access_token("nobody", "laptop")
    assert store.tokens.list() == []


def test_name_and_scopes_are_validated_together(
    store: Store, client: ClientInfo, alice: UserInfo
) -> None:
    with pytest.raises(ValidationError) as caught:
        store.tokens.create_personal_access_token(
            "alice", "  ", scopes='bad"scope', lifetime=timedelta(0)
        )
    assert set(caught.value.errors) == {"name", "scopes", "lifetime"}


def test_scopes_must_be_within_the_clients(store: Store, alice: UserInfo) -> None:
    store.clients.create("Narrow", personal_access=True, scopes="read")
    with pytest.raises(ValidationError) as caught:
        store.tokens.create_personal_access_token("alice", "x", scopes="read admin")
    assert "admin" in caught.value.errors["scopes"]
    assert store.tokens.create_personal_access_token("alice", "x", scopes="read").info.scopes == (
        "read",
    )


def test_a_scope_nobody_defined_is_refused(
    store: Store, client: ClientInfo, alice: UserInfo
) -> None:
    # The client lists no scopes: it may still only carry defined ones.
    with pytest.raises(ValidationError) as caught:
        store.tokens.create_personal_access_token("alice", "x", scopes="admin superuser")
    assert "Not a defined scope: admin superuser" in caught.value.errors["scopes"]
    assert store.tokens.list() == []
    store.scopes.add("admin")
    pat = store.tokens.create_personal_access_token("alice", "x", scopes="admin")
    assert pat.info.scopes == ("admin",)
