"""Tokens: issue, find, introspect, list, revoke, refresh rotation, authorization codes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from authclients.store import NotFound, Store, ValidationError
from authclients.store.clock import ManualClock
from authclients.store.errors import InvalidGrant
from authclients.store.models import AccessToken, AuditEvent, AuthCode, RefreshToken
from authclients.store.records import ClientInfo, IssuedToken, Lifetimes, UserInfo

HOUR = timedelta(hours=1)


def issue_password(store: Store, client: ClientInfo, user: UserInfo, **kwargs) -> IssuedToken:
    kwargs.setdefault("with_refresh", True)
    return store.tokens.issue(client, grant_type="password", user_id=user.id, **kwargs)


def new_code(store: Store, client: ClientInfo, user: UserInfo, **kwargs) -> str:
    return store.tokens.create_auth_code(
        client,
        user_id=user.id,
        redirect_uri=client.redirect_uris[0],
        scopes=kwargs.pop("scopes", ("read",)),
        code_challenge=kwargs.pop("code_challenge", "c" * 43),
        code_challenge_method=kwargs.pop("code_challenge_method", "S256"),
    )


# -- issue and find -------------------------------------------------------------


def test_issue_returns_the_token_once_and_stores_its_metadata(
    store: Store, client: ClientInfo, alice: UserInfo, clock: ManualClock
) -> None:
    issued = issue_password(store, client, alice, scopes=("read", "write"))
    assert len(issued.access_token) >= 43 and len(issued.refresh_token) >= 43
    assert issued.access_token != issued.refresh_token
    assert issued.expires_in == 3600
    info = issued.info
    assert (info.client_id, info.user_id, info.username) == (client.id, alice.id, "alice")
    assert info.scopes == ("read", "write") and info.grant_type == "password"
    assert info.state == "active" and info.token_hint == issued.access_token[-4:]
    assert info.created_at == clock.now() and info.expires_at == clock.now() + HOUR
    assert issued.response() == {
        "token_type": "Bearer",
        "access_token": issued.access_token,
        "expires_in": 3600,
        "refresh_token": issued.refresh_token,
        "scope": "read write",
    }


def test_find_by_the_presented_token(store: Store, client: ClientInfo, alice: UserInfo) -> None:
    issued = issue_password(store, client, alice)
    other = issue_password(store, client, alice)
    found = store.tokens.find(issued.access_token)
    assert found == issued.info
    assert store.tokens.find(other.access_token).id == other.info.id
    assert store.tokens.find(issued.access_token + "x") is None
    assert store.tokens.find("") is None
    # A refresh token is not an access token.
    assert store.tokens.find(issued.refresh_token) is None
    assert store.tokens.get(issued.info.id) == issued.info
    with pytest.raises(NotFound):
        store.tokens.get(10_000)


def test_client_credentials_token_has_no_user(store: Store, client: ClientInfo) -> None:
    issued = store.tokens.issue(client, grant_type="client_credentials", scopes=("svc",))
    assert issued.refresh_token is None
    assert "refresh_token" not in issued.response()
    found = store.tokens.find(issued.access_token)
    assert (found.user_id, found.username) == (None, None)
    body = store.tokens.introspect(issued.access_token)
    assert body["active"] is True and "username" not in body and "sub" not in body


def test_authenticate_bearer_touches_last_use(
    store: Store, client: ClientInfo, alice: UserInfo, clock: ManualClock
) -> None:
    issued = issue_password(store, client, alice)
    assert store.tokens.find(issued.access_token).last_used_at is None
    clock.advance(timedelta(minutes=3))
    assert store.tokens.authenticate_bearer(issued.access_token).id == issued.info.id
    assert store.tokens.find(issued.access_token).last_used_at == clock.now()
    assert store.tokens.authenticate_bearer("nope") is None


# -- introspection ---------------------------------------------------------------


def test_introspect_an_active_access_token(
    store: Store, client: ClientInfo, alice: UserInfo, clock: ManualClock
) -> None:
    issued = issue_password(store, client, alice, scopes=("read",))
    assert store.tokens.introspect(issued.access_token) == {
        "active": True,
        "scope": "read",
        "client_id": str(client.id),
        "token_type": "Bearer",
        "iat": int(clock.now().timestamp()),
        "exp": int((clock.now() + HOUR).timestamp()),
        "username": "alice",
        "sub": str(alice.id),
    }


def test_introspect_an_expired_token(
    store: Store, client: ClientInfo, alice: UserInfo, clock: ManualClock
) -> None:
    issued = issue_password(store, client, alice)
    clock.advance(HOUR - timedelta(seconds=1))
    assert store.tokens.introspect(issued.access_token)["active"] is True
    clock.advance(timedelta(seconds=1))
    assert store.tokens.introspect(issued.access_token) == {"active": False}
    # The refresh token outlives it.
    assert store.tokens.introspect(issued.refresh_token)["active"] is True


def test_introspect_a_revoked_token(store: Store, client: ClientInfo, alice: UserInfo) -> None:
    issued = issue_password(store, client, alice)
    store.tokens.revoke(issued.info.id)
    assert store.tokens.introspect(issued.access_token) == {"active": False}
    assert store.tokens.introspect(issued.refresh_token) == {"active": False}


def test_introspect_unknown_tokens(store: Store) -> None:
    for token in ("", "nope", "x" * 5000, "\x00\ud800"):
        assert store.tokens.introspect(token) == {"active": False}


def test_introspect_a_refresh_token(
    store: Store, client: ClientInfo, alice: UserInfo, clock: ManualClock
) -> None:
    issued = issue_password(store, client, alice, scopes=("read",))
    body = store.tokens.introspect(issued.refresh_token)
    assert body["active"] is True
    assert body["token_type"] == "refresh_token"
    assert body["client_id"] == str(client.id) and body["username"] == "alice"
    assert body["exp"] == int((clock.now() + timedelta(days=30)).timestamp())
    clock.advance(timedelta(days=30))
    assert store.tokens.introspect(issued.refresh_token) == {"active": False}


def test_introspect_a_used_refresh_token(store: Store, client: ClientInfo, alice: UserInfo) -> None:
    issued = issue_password(store, client, alice)
    grant = store.tokens.find_refresh(issued.refresh_token, client.id)
    store.tokens.rotate_refresh(grant, client, ())
    assert store.tokens.introspect(issued.refresh_token) == {"active": False}


# -- list -------------------------------------------------------------------------


def test_list_by_client_user_and_state(
    store: Store, client: ClientInfo, alice: UserInfo, clock: ManualClock
) -> None:
    bob = store.users.add("bob", "bob's password")
    other = store.clients.create("Other", password=True).client
    old = issue_password(store, client, alice)
    clock.advance(2 * HOUR)  # old is now expired
    revoked = issue_password(store, client, bob)
    store.tokens.revoke(revoked.info.id)
    live = issue_password(store, client, alice)
    elsewhere = issue_password(store, other, bob)
    service = store.tokens.issue(client, grant_type="client_credentials")

    def ids(**kwargs) -> list[int]:
        return [t.id for t in store.tokens.list(**kwargs)]

    everything = [service, elsewhere, live, revoked, old]
    assert ids() == [t.info.id for t in everything]  # newest first
    assert ids(client_id=client.id) == [t.info.id for t in (service, live, revoked, old)]
    assert ids(client_id=other.id) == [elsewhere.info.id]
    assert ids(username="alice") == [live.info.id, old.info.id]
    assert ids(username="bob") == [elsewhere.info.id, revoked.info.id]
    assert ids(state="active") == [t.info.id for t in (service, elsewhere, live)]
    assert ids(state="expired") == [old.info.id]
    assert ids(state="revoked") == [revoked.info.id]
    assert ids(client_id=client.id, username="alice", state="active") == [live.info.id]
    assert ids(limit=2) == [service.info.id, elsewhere.info.id]
    assert ids(offset=3, limit=10) == [revoked.info.id, old.info.id]
    states = {t.id: t.state for t in store.tokens.list()}
    assert states[old.info.id] == "expired" and states[revoked.info.id] == "revoked"
    with pytest.raises(NotFound):
        store.tokens.list(username="nobody")
    with pytest.raises(ValidationError) as caught:
        store.tokens.list(state="stale")
    assert set(caught.value.errors) == {"state"}


# -- revoke -------------------------------------------------------------------------


def test_revoke_one(store: Store, client: ClientInfo, alice: UserInfo, clock: ManualClock) -> None:
    issued = issue_password(store, client, alice)
    bystander = issue_password(store, client, alice)
    clock.advance(timedelta(minutes=1))
    info = store.tokens.revoke(issued.info.id)
    assert info.state == "revoked" and info.revoked_at == clock.now()
    assert store.tokens.authenticate_bearer(issued.access_token) is None
    with pytest.raises(InvalidGrant):
        store.tokens.find_refresh(issued.refresh_token, client.id)
    assert store.tokens.find(bystander.access_token).state == "active"
    assert ("token.revoke", str(issued.info.id)) in [
        (e.action, e.object_id) for e in AuditEvent.select()
    ]
    with pytest.raises(NotFound):
        store.tokens.revoke(9999)


def test_revoke_all_of_a_client(store: Store, client: ClientInfo, alice: UserInfo) -> None:
    other = store.clients.create("Other", password=True).client
    mine = [issue_password(store, client, alice) for _ in range(3)]
    already = issue_password(store, client, alice)
    store.tokens.revoke(already.info.id)
    theirs = issue_password(store, other, alice)
    assert store.tokens.revoke_all_of_client(client.id) == 3
    assert all(store.tokens.find(t.access_token).state == "revoked" for t in mine)
    assert store.tokens.find(theirs.access_token).state == "active"
    assert store.tokens.list(client_id=client.id, state="active") == []
    # The client itself lives on.
    assert store.clients.get(client.id).active_tokens == 0


def test_revoke_all_of_a_user(store: Store, client: ClientInfo, alice: UserInfo) -> None:
    bob = store.users.add("bob", "bob's password")
    alices = [issue_password(store, client, alice) for _ in range(2)]
    bobs = issue_password(store, client, bob)
    assert store.tokens.revoke_all_of_user(alice.id) == 2
    assert all(store.tokens.find(t.access_token).state == "revoked" for t in alices)
    assert all(store.tokens.introspect(t.refresh_token) == {"active": False} for t in alices)
    assert store.tokens.find(bobs.access_token).state == "active"
    # Revoking again finds nothing live.
    assert store.tokens.revoke_all_of_user(alice.id) == 0


def test_revoke_by_presented_token(store: Store, client: ClientInfo, alice: UserInfo) -> None:
    first = issue_password(store, client, alice)
    assert store.tokens.revoke_token(first.access_token) is True
    assert store.tokens.find(first.access_token).state == "revoked"
    second = issue_password(store, client, alice)
    # Revoking a refresh token ends its access token too (its whole line).
    assert store.tokens.revoke_token(second.refresh_token) is True
    assert store.tokens.find(second.access_token).state == "revoked"
    assert store.tokens.revoke_token("unknown") is False
    assert store.tokens.owner_of(second.refresh_token) == client.id
    assert store.tokens.owner_of("unknown") is None


# -- refresh rotation ------------------------------------------------------------------


def test_refresh_rotation(
    store: Store, client: ClientInfo, alice: UserInfo, clock: ManualClock
) -> None:
    first = issue_password(store, client, alice, scopes=("read", "write"))
    clock.advance(timedelta(minutes=30))
    grant = store.tokens.find_refresh(first.refresh_token, client.id)
    assert (grant.user_id, grant.scopes, grant.grant_type) == (
        alice.id,
        ("read", "write"),
        "password",
    )
    second = store.tokens.rotate_refresh(grant, client, ("read",))

    assert second.access_token != first.access_token
    assert second.refresh_token not in (None, first.refresh_token)
    assert second.info.scopes == ("read",) and second.info.user_id == alice.id
    assert second.info.expires_at == clock.now() + HOUR
    # The old pair is dead, the new one works.
    assert store.tokens.find(first.access_token).state == "revoked"
    assert store.tokens.find(second.access_token).state == "active"
    assert store.tokens.find_refresh(second.refresh_token, client.id).family == grant.family


def test_refresh_reuse_revokes_the_whole_family(
    store: Store, client: ClientInfo, alice: UserInfo
) -> None:
    first = issue_password(store, client, alice)
    second = store.tokens.rotate_refresh(
        store.tokens.find_refresh(first.refresh_token, client.id), client, ()
    )
    third = store.tokens.rotate_refresh(
        store.tokens.find_refresh(second.refresh_token, client.id), client, ()
    )
    unrelated = issue_password(store, client, alice)

    # An attacker replays the first refresh token.
    stale = store.tokens.find_refresh(first.refresh_token, client.id)
    with pytest.raises(InvalidGrant):
        store.tokens.rotate_refresh(stale, client, ())

    assert store.tokens.find(third.access_token).state == "revoked"
    with pytest.raises(InvalidGrant):
        store.tokens.find_refresh(third.refresh_token, client.id)
    assert store.tokens.introspect(third.refresh_token) == {"active": False}
    assert store.tokens.find(unrelated.access_token).state == "active"
    assert store.tokens.find_refresh(unrelated.refresh_token, client.id)
    assert "refresh_token.reuse" in [e.action for e in AuditEvent.select()]


def test_refresh_token_of_another_client_is_refused(
    store: Store, client: ClientInfo, alice: UserInfo
) -> None:
    other = store.clients.create("Other", password=True).client
    issued = issue_password(store, client, alice)
    with pytest.raises(InvalidGrant):
        store.tokens.find_refresh(issued.refresh_token, other.id)
    with pytest.raises(InvalidGrant):
        store.tokens.find_refresh("unknown", client.id)
    # The refusal did not burn the token for its real client.
    assert store.tokens.find_refresh(issued.refresh_token, client.id)


def test_expired_refresh_token_is_refused(
    store: Store, client: ClientInfo, alice: UserInfo, clock: ManualClock
) -> None:
    issued = issue_password(store, client, alice)
    clock.advance(timedelta(days=30) - timedelta(seconds=1))
    assert store.tokens.find_refresh(issued.refresh_token, client.id)
    clock.advance(timedelta(seconds=1))
    with pytest.raises(InvalidGrant):
        store.tokens.find_refresh(issued.refresh_token, client.id)


# -- authorization codes --------------------------------------------------------------------


def test_auth_code_is_consumed_once(
    store: Store, client: ClientInfo, alice: UserInfo, clock: ManualClock
) -> None:
    code = new_code(store, client, alice)
    row = AuthCode.get()
    assert row.expires_at == clock.now() + timedelta(minutes=10)
    grant = store.tokens.consume_auth_code(code, client.id)
    assert (grant.client_id, grant.user_id) == (client.id, alice.id)
    assert grant.redirect_uri == client.redirect_uris[0] and grant.scopes == ("read",)
    assert (grant.code_challenge, grant.code_challenge_method) == ("c" * 43, "S256")
    assert AuthCode.get_by_id(grant.id).used_at == clock.now()


def test_auth_code_replay_revokes_the_tokens_issued_from_it(
    store: Store, client: ClientInfo, alice: UserInfo
) -> None:
    code = new_code(store, client, alice)
    grant = store.tokens.consume_auth_code(code, client.id)
    issued = store.tokens.issue(
        client,
        grant_type="authorization_code",
        user_id=alice.id,
        auth_code_id=grant.id,
        with_refresh=True,
    )
    bystander = issue_password(store, client, alice)

    with pytest.raises(InvalidGrant) as caught:
        store.tokens.consume_auth_code(code, client.id)
    assert code not in str(caught.value)

    assert store.tokens.find(issued.access_token).state == "revoked"
    assert store.tokens.introspect(issued.refresh_token) == {"active": False}
    assert store.tokens.find(bystander.access_token).state == "active"
    assert "auth_code.replay" in [e.action for e in AuditEvent.select()]
    # And a third try is still refused.
    with pytest.raises(InvalidGrant):
        store.tokens.consume_auth_code(code, client.id)


def test_expired_auth_code_is_refused(
    store: Store, client: ClientInfo, alice: UserInfo, clock: ManualClock
) -> None:
    fresh = new_code(store, client, alice)
    stale = new_code(store, client, alice)
    clock.advance(timedelta(minutes=10) - timedelta(seconds=1))
    assert store.tokens.consume_auth_code(fresh, client.id)
    clock.advance(timedelta(seconds=1))
    with pytest.raises(InvalidGrant):
        store.tokens.consume_auth_code(stale, client.id)


def test_auth_code_of_another_client_or_unknown_is_refused(
    store: Store, client: ClientInfo, alice: UserInfo
) -> None:
    other = store.clients.create("Other", ["https://o.example.com/cb"], authorization_code=True)
    code = new_code(store, client, alice)
    with pytest.raises(InvalidGrant):
        store.tokens.consume_auth_code(code, other.client.id)
    with pytest.raises(InvalidGrant):
        store.tokens.consume_auth_code("unknown", client.id)
    # The wrong client did not burn the code.
    assert store.tokens.consume_auth_code(code, client.id)


# -- lifetimes and the clock ----------------------------------------------------------------


def test_default_lifetimes(
    store: Store, client: ClientInfo, alice: UserInfo, clock: ManualClock
) -> None:
    now = clock.now()
    issued = issue_password(store, client, alice)
    pat = store.tokens.create_personal_access_token("alice", "cli")
    new_code(store, client, alice)
    assert issued.info.expires_at == now + timedelta(hours=1)
    assert RefreshToken.get().expires_at == now + timedelta(days=30)
    assert pat.info.expires_at == now + timedelta(days=365)
    assert AuthCode.get().expires_at == now + timedelta(minutes=10)
    assert Lifetimes() == Lifetimes(
        access=timedelta(hours=1),
        refresh=timedelta(days=30),
        personal_access=timedelta(days=365),
        auth_code=timedelta(minutes=10),
    )


def test_custom_lifetimes_are_honoured(
    store: Store, client: ClientInfo, alice: UserInfo, clock: ManualClock
) -> None:
    custom = Store(
        store.db,
        clock=clock,
        actor="tester",
        lifetimes=Lifetimes(
            access=timedelta(minutes=5),
            refresh=timedelta(days=2),
            personal_access=timedelta(days=7),
            auth_code=timedelta(minutes=1),
        ),
    )
    now = clock.now()
    issued = custom.tokens.issue(client, grant_type="password", user_id=alice.id, with_refresh=True)
    pat = custom.tokens.create_personal_access_token("alice", "cli")
    code = new_code(custom, client, alice)
    assert issued.info.expires_at == now + timedelta(minutes=5)
    assert issued.expires_in == 300
    assert RefreshToken.get().expires_at == now + timedelta(days=2)
    assert pat.info.expires_at == now + timedelta(days=7)
    assert pat.expires_in == 7 * 86_400
    assert AuthCode.get().expires_at == now + timedelta(minutes=1)
    clock.advance(timedelta(minutes=1))
    with pytest.raises(InvalidGrant):
        custom.tokens.consume_auth_code(code, client.id)
    # Rotation issues the new pair with the same custom lifetimes.
    rotated = custom.tokens.rotate_refresh(
        custom.tokens.find_refresh(issued.refresh_token, client.id), client, ()
    )
    assert rotated.info.expires_at == clock.now() + timedelta(minutes=5)


def test_tokens_expire_when_the_clock_moves(
    store: Store, client: ClientInfo, alice: UserInfo, clock: ManualClock
) -> None:
    issued = issue_password(store, client, alice)
    clock.advance(timedelta(minutes=59, seconds=59))
    assert store.tokens.authenticate_bearer(issued.access_token) is not None
    assert store.clients.get(client.id).active_tokens == 1
    clock.advance(timedelta(seconds=1))
    assert store.tokens.authenticate_bearer(issued.access_token) is None
    assert store.tokens.find(issued.access_token).state == "expired"
    assert store.clients.get(client.id).active_tokens == 0
    assert store.users.list()[0].active_tokens == 0
    assert [t.id for t in store.tokens.list(state="expired")] == [issued.info.id]
    # Only the access token: its refresh token still rotates.
    grant = store.tokens.find_refresh(issued.refresh_token, client.id)
    assert store.tokens.rotate_refresh(grant, client, ()).info.state == "active"


def test_tokens_are_stored_as_digests_with_a_hint(
    store: Store, client: ClientInfo, alice: UserInfo
) -> None:
    import hashlib

    issued = issue_password(store, client, alice)
    row = AccessToken.get_by_id(issued.info.id)
    assert row.token_hash == hashlib.sha256(issued.access_token.encode()).hexdigest()
    assert row.token_hint == issued.access_token[-4:]
    refresh = RefreshToken.get()
    assert refresh.token_hash == hashlib.sha256(issued.refresh_token.encode()).hexdigest()


def test_a_token_committed_after_its_client_was_deleted_is_dead(
    store: Store, client: ClientInfo
) -> None:
    """The race of issuing against deleting: the endpoint authenticated the client, the
    deletion committed, then the token's INSERT committed, unrevoked."""
    store.clients.delete(client.id)
    late = store.tokens.issue(client, grant_type="client_credentials")  # the stale ClientInfo
    assert AccessToken.get_by_id(late.info.id).revoked is False
    assert store.tokens.find(late.access_token).state == "revoked"
    assert store.tokens.authenticate_bearer(late.access_token) is None
    assert store.tokens.introspect(late.access_token) == {"active": False}


def test_a_token_that_raced_its_clients_deletion_is_listed_as_revoked(
    store: Store, alice: UserInfo
) -> None:
    doomed = store.clients.create("Doomed", password=True).client
    store.clients.delete(doomed.id)
    # The row as an INSERT that committed just after the delete leaves it: unrevoked.
    issued = store.tokens.issue(doomed, grant_type="password", user_id=alice.id)
    AccessToken.update(revoked=False).where(
        AccessToken.id == store.tokens.find(issued.access_token).id
    ).execute()

    assert store.tokens.find(issued.access_token).state == "revoked"
    assert [t.id for t in store.tokens.list(state="active")] == []
    assert [t.client_id for t in store.tokens.list(state="revoked")] == [doomed.id]
