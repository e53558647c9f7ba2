"""A changed credential ends access: users (password, deactivation, deletion) and clients
(secret rotation, a grant switched off), in one transaction, saying what ended."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from authclients.store import Store
from authclients.store.errors import InvalidGrant
from authclients.store.models import AccessToken, AuditEvent, AuthCode, RefreshToken, User
from authclients.store.records import ClientInfo, IssuedToken, UserInfo

from .conftest import PASSWORD

REPO = Path(__file__).resolve().parents[2]
NEW_PASSWORD = "a brand new passphrase"


def sign_in(store: Store, client: ClientInfo, user: UserInfo) -> IssuedToken:
    return store.tokens.issue(client, grant_type="password", user_id=user.id, with_refresh=True)


def pending_code(store: Store, client: ClientInfo, user: UserInfo) -> str:
    return store.tokens.create_auth_code(
        client,
        user_id=user.id,
        redirect_uri=client.redirect_uris[0],
        scopes=(),
        code_challenge=None,
        code_challenge_method=None,
    )


def assert_dead(store: Store, client: ClientInfo, issued: IssuedToken) -> None:
    assert store.tokens.authenticate_bearer(issued.access_token) is None
    with pytest.raises(InvalidGrant):
        store.tokens.find_refresh(issued.refresh_token, client.id)


def live_codes(user: UserInfo) -> int:
    return AuthCode.select().where((AuthCode.user == user.id) & (AuthCode.revoked == False)).count()


def audit_detail(action: str) -> str:
    row = AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
    return row.first().detail


# -- users ---------------------------------------------------------------------------


def test_a_new_password_ends_tokens_codes_and_sessions(
    store: Store, client: ClientInfo, alice: UserInfo
) -> None:
    issued = sign_in(store, client, alice)
    pending_code(store, client, alice)
    personal = store.tokens.create_personal_access_token("alice", "laptop")
    generation = store.users.session_generation(alice.id)
    assert store.users.session_valid(alice.id, generation)

    assert store.users.impact("alice").access_tokens == 2  # a preview changes nothing
    assert store.tokens.authenticate_bearer(issued.access_token) is not None

    changed = store.users.set_password("alice", NEW_PASSWORD)
    assert_dead(store, client, issued)
    assert store.tokens.authenticate_bearer(personal.access_token) is None
    assert live_codes(alice) == 0
    assert not store.users.session_valid(alice.id, generation)
    assert store.users.session_valid(alice.id, generation + 1)
    assert (changed.ended.access_tokens, changed.ended.refresh_tokens) == (2, 1)
    assert changed.ended.auth_codes == 1
    assert changed.version == alice.version + 1
    assert store.users.verify("alice", NEW_PASSWORD) is not None
    assert "ended 2 access tokens" in audit_detail("user.set_password")


def test_personal_tokens_can_be_kept(store: Store, client: ClientInfo, alice: UserInfo) -> None:
    issued = sign_in(store, client, alice)
    personal = store.tokens.create_personal_access_token("alice", "laptop")
    changed = store.users.set_password("alice", NEW_PASSWORD, keep_personal_tokens=True)
    assert_dead(store, client, issued)
    assert store.tokens.authenticate_bearer(personal.access_token) is not None
    assert changed.ended.access_tokens == 1 and changed.ended.personal_tokens_kept == 1


def test_deactivate_reset_reactivate_leaves_no_old_session(
    store: Store, client: ClientInfo, alice: UserInfo
) -> None:
    issued = sign_in(store, client, alice)
    generation = store.users.session_generation(alice.id)
    store.users.set_active("alice", False)
    assert store.users.session_generation(alice.id) is None  # no session while inactive
    assert_dead(store, client, issued)
    store.users.set_password("alice", NEW_PASSWORD)
    store.users.set_active("alice", True)
    assert not store.users.session_valid(alice.id, generation)
    assert store.users.session_generation(alice.id) == generation + 2


def test_the_check_reads_the_database_not_the_process(
    store: Store, db_target: str, alice: UserInfo
) -> None:
    generation = store.users.session_generation(alice.id)
    assert store.users.session_valid(alice.id, generation)  # this process has asked once
    script = (
        "import sys; from authclients.store import Store; "
        "s = Store.open(sys.argv[1], actor='other admin'); "
        "s.users.set_password('alice', sys.argv[2]); s.close()"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, db_target, NEW_PASSWORD],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert not store.users.session_valid(alice.id, generation)


def test_deleting_a_user_ends_every_session_and_their_id_names_no_one(
    store: Store, client: ClientInfo, alice: UserInfo
) -> None:
    issued = sign_in(store, client, alice)
    generation = store.users.session_generation(alice.id)
    assert store.users.delete("alice") == 1
    assert store.tokens.find(issued.access_token) is None
    assert not store.users.session_valid(alice.id, generation)
    newcomer = store.users.add("mallory", PASSWORD)
    assert newcomer.id != alice.id
    assert not store.users.session_valid(alice.id, generation)
    assert not store.users.session_valid(newcomer.id + 1, 0)


def test_a_failed_save_ends_nothing(store: Store, client: ClientInfo, alice: UserInfo) -> None:
    issued = sign_in(store, client, alice)
    with pytest.raises(Exception, match="at least"):
        store.users.set_password("alice", "short")
    assert store.tokens.authenticate_bearer(issued.access_token) is not None
    assert User.get_by_id(alice.id).session_generation == 0


# -- clients ---------------------------------------------------------------------------


def test_rotating_the_secret_ends_client_credentials_and_refresh_tokens(
    store: Store, client: ClientInfo, alice: UserInfo
) -> None:
    machine = store.tokens.issue(client, grant_type="client_credentials")
    user = sign_in(store, client, alice)
    personal = store.tokens.create_personal_access_token("alice", "laptop", client_id=client.id)

    preview = store.clients.impact(client.id, rotate_secret=True)
    assert (preview.access_tokens, preview.refresh_tokens) == (1, 1)
    assert store.tokens.authenticate_bearer(machine.access_token) is not None

    rotated = store.clients.rotate_secret(client.id)
    assert rotated.ended == preview
    assert rotated.ended.describe() == "ends 1 access token and 1 refresh token"
    assert store.tokens.authenticate_bearer(machine.access_token) is None
    with pytest.raises(InvalidGrant):
        store.tokens.find_refresh(user.refresh_token, client.id)
    # A user's access token lives to its short expiry; a personal token was no secret's.
    assert store.tokens.authenticate_bearer(user.access_token) is not None
    assert store.tokens.authenticate_bearer(personal.access_token) is not None
    assert rotated.client.version == client.version + 1


def test_a_grant_switched_off_ends_the_tokens_issued_under_it(
    store: Store, client: ClientInfo, alice: UserInfo
) -> None:
    password_grant = sign_in(store, client, alice)
    machine = store.tokens.issue(client, grant_type="client_credentials")
    pending_code(store, client, alice)

    preview = store.clients.impact(client.id, password=False)
    assert (preview.access_tokens, preview.refresh_tokens, preview.auth_codes) == (1, 1, 0)
    assert store.clients.impact(client.id, name="Renamed").nothing

    updated = store.clients.update(client.id, password=False)
    assert updated.ended == preview
    assert_dead(store, client, password_grant)
    assert store.tokens.authenticate_bearer(machine.access_token) is not None
    assert live_codes(alice) == 1

    updated = store.clients.update(client.id, authorization_code=False, redirect_uris=[])
    assert updated.ended.auth_codes == 1 and live_codes(alice) == 0
    assert "ended 1 pending authorization code" in audit_detail("client.update")


def test_refreshed_tokens_of_a_grant_end_with_it(
    store: Store, client: ClientInfo, alice: UserInfo
) -> None:
    first = sign_in(store, client, alice)
    grant = store.tokens.find_refresh(first.refresh_token, client.id)
    second = store.tokens.rotate_refresh(grant, client, ())
    ended = store.clients.update(client.id, password=False).ended
    assert ended.access_tokens == 1 and ended.refresh_tokens == 1
    assert_dead(store, client, second)
    assert RefreshToken.select().where(RefreshToken.revoked == False).count() == 0
    assert AccessToken.select().where(AccessToken.revoked == False).count() == 0
