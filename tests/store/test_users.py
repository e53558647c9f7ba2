"""Users: add, list, set password, deactivate, delete, verify."""

from __future__ import annotations

from datetime import timedelta

import pytest

from authclients.store import NotFound, Store, ValidationError
from authclients.store.clock import ManualClock
from authclients.store.errors import InvalidGrant
from authclients.store.models import AccessToken, AuditEvent, AuthCode, RefreshToken, User
from authclients.store.records import ClientInfo, UserInfo

from .conftest import PASSWORD


def test_add_then_verify(store: Store) -> None:
    added = store.users.add("alice", PASSWORD)
    assert added.username == "alice" and added.active
    assert store.users.verify("alice", PASSWORD).id == added.id
    assert store.users.verify("alice", PASSWORD + "!") is None
    assert store.users.verify("alice", "") is None
    assert store.users.verify("nobody", PASSWORD) is None
    assert store.users.get("alice").id == added.id


def test_the_password_is_stored_with_bcrypt(store: Store) -> None:
    store.users.add("alice", PASSWORD)
    stored = User.get(User.username == "alice").password_hash
    assert stored.startswith("$2") and PASSWORD not in stored


def test_duplicate_username_is_a_validation_error(store: Store) -> None:
    store.users.add("alice", PASSWORD)
    with pytest.raises(ValidationError) as caught:
        store.users.add("alice", "other password")
    assert set(caught.value.errors) == {"username"}
    assert "alice" in caught.value.errors["username"]
    # The first user's password is untouched.
    assert store.users.verify("alice", PASSWORD) is not None
    assert store.users.verify("alice", "other password") is None


def test_list_is_sorted_and_filtered(store: Store) -> None:
    for name in ("carol", "alice", "bob", "alicia"):
        store.users.add(name, PASSWORD)
    assert [u.username for u in store.users.list()] == ["alice", "alicia", "bob", "carol"]
    assert [u.username for u in store.users.list("ali")] == ["alice", "alicia"]
    assert store.users.list("zed") == []


def test_list_counts_active_tokens(store: Store, client: ClientInfo, alice: UserInfo) -> None:
    store.users.add("bob", PASSWORD)
    store.tokens.issue(client, grant_type="password", user_id=alice.id)
    store.tokens.issue(client, grant_type="password", user_id=alice.id)
    dead = store.tokens.issue(client, grant_type="password", user_id=alice.id)
    store.tokens.revoke(dead.info.id)
    counts = {u.username: u.active_tokens for u in store.users.list()}
    assert counts == {"alice": 2, "bob": 0}


def test_set_password(store: Store, alice: UserInfo, clock: ManualClock) -> None:
    clock.advance(timedelta(hours=1))
    updated = store.users.set_password("alice", "a new passphrase")
    assert updated.updated_at == alice.created_at + timedelta(hours=1)
    assert store.users.verify("alice", PASSWORD) is None
    assert store.users.verify("alice", "a new passphrase").id == alice.id
    with pytest.raises(NotFound):
        store.users.set_password("nobody", "a new passphrase")


def test_deactivate_stops_sign_in_and_revokes_tokens(
    store: Store, client: ClientInfo, alice: UserInfo
) -> None:
    bob = store.users.add("bob", PASSWORD)
    issued = store.tokens.issue(client, grant_type="password", user_id=alice.id, with_refresh=True)
    pat = store.tokens.create_personal_access_token("alice", "cli")
    bobs = store.tokens.issue(client, grant_type="password", user_id=bob.id)

    info = store.users.set_active("alice", False)

    assert not info.active
    assert store.users.verify("alice", PASSWORD) is None
    assert store.tokens.find(issued.access_token).state == "revoked"
    assert store.tokens.find(pat.access_token).state == "revoked"
    assert store.tokens.introspect(issued.refresh_token) == {"active": False}
    with pytest.raises(InvalidGrant):
        store.tokens.find_refresh(issued.refresh_token, client.id)
    assert store.tokens.find(bobs.access_token).state == "active"
    # A deactivated user cannot be given a new personal access token.
    with pytest.raises(ValidationError) as caught:
        store.tokens.create_personal_access_token("alice", "again")
    assert set(caught.value.errors) == {"user"}

    store.users.set_active("alice", True)
    assert store.users.verify("alice", PASSWORD).id == alice.id
    # Reactivation does not bring revoked tokens back.
    assert store.tokens.find(issued.access_token).state == "revoked"


def test_delete_removes_the_user_and_their_tokens(
    store: Store, client: ClientInfo, alice: UserInfo
) -> None:
    bob = store.users.add("bob", PASSWORD)
    issued = store.tokens.issue(client, grant_type="password", user_id=alice.id, with_refresh=True)
    store.tokens.create_personal_access_token("alice", "cli")
    code = store.tokens.create_auth_code(
        client,
        user_id=alice.id,
        redirect_uri=client.redirect_uris[0],
        scopes=(),
        code_challenge=None,
        code_challenge_method=None,
    )
    bobs = store.tokens.issue(client, grant_type="password", user_id=bob.id)

    assert store.users.delete("alice") == 2

    with pytest.raises(NotFound):
        store.users.get("alice")
    assert store.users.verify("alice", PASSWORD) is None
    assert store.tokens.find(issued.access_token) is None
    assert store.tokens.introspect(issued.access_token) == {"active": False}
    assert store.tokens.introspect(issued.refresh_token) == {"active": False}
    with pytest.raises(InvalidGrant):
        store.tokens.consume_auth_code(code, client.id)
    assert AccessToken.select().where(AccessToken.user == alice.id).count() == 0
    assert RefreshToken.select().count() == 0
    assert AuthCode.select().count() == 0
    assert store.tokens.find(bobs.access_token).state == "active"
    assert ("user.delete", str(alice.id)) in [(e.action, e.object_id) for e in AuditEvent.select()]
    with pytest.raises(NotFound):
        store.users.delete("alice")


def test_the_username_is_free_again_after_delete(store: Store, alice: UserInfo) -> None:
    store.users.delete("alice")
    again = store.users.add("alice", "brand new password")
    assert store.users.verify("alice", PASSWORD) is None
    assert store.users.verify("alice", "brand new password").id == again.id


def test_user_actions_are_audited_without_passwords(store: Store) -> None:
    store.users.add("alice", PASSWORD)
    store.users.set_password("alice", "second password")
    store.users.set_active("alice", False)
    store.users.delete("alice")
    events = list(AuditEvent.select().order_by(AuditEvent.id))
    assert [e.action for e in events] == [
        "user.add",
        "user.set_password",
        "user.deactivate",
        "user.delete",
    ]
    assert {e.actor for e in events} == {"tester"}
    for event in events:
        for text in (event.detail, event.object_id, event.action):
            assert PASSWORD not in text and "second password" not in text


def test_deactivate_kills_codes_approved_but_not_yet_exchanged(
    store: Store, alice: UserInfo
) -> None:
    web = store.clients.create(
        "Web", redirect_uris=["https://app.example.com/cb"], authorization_code=True
    ).client
    code = store.tokens.create_auth_code(
        web,
        user_id=alice.id,
        redirect_uri="https://app.example.com/cb",
        scopes=(),
        code_challenge="c" * 43,
        code_challenge_method="S256",
    )
    store.users.set_active("alice", False)
    with pytest.raises(InvalidGrant):
        store.tokens.consume_auth_code(code, web.id)
