"""No secret, token, code or password is ever stored in plaintext, nor audited."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from authclients.store import Store, crypto
from authclients.store.clock import ManualClock
from authclients.store.models import AuditEvent
from authclients.store.tokens import NEVER

from .conftest import PASSWORD


@pytest.fixture
def every_secret(store: Store) -> list[str]:
    """Create one of everything secret; returns each value handed out in full."""
    created = store.clients.create(
        "Web app",
        ["https://app.example.com/cb"],
        authorization_code=True,
        password=True,
        personal_access=True,
    )
    rotated = store.clients.rotate_secret(created.client.id)
    client = rotated.client
    alice = store.users.add("alice", PASSWORD)
    store.users.set_password("alice", "second secret password")
    issued = store.tokens.issue(client, grant_type="password", user_id=alice.id, with_refresh=True)
    rotated_pair = store.tokens.rotate_refresh(
        store.tokens.find_refresh(issued.refresh_token, client.id), client, ()
    )
    code = store.tokens.create_auth_code(
        client,
        user_id=alice.id,
        redirect_uri="https://app.example.com/cb",
        scopes=(),
        code_challenge=None,
        code_challenge_method=None,
    )
    from_code = store.tokens.issue(
        client,
        grant_type="authorization_code",
        user_id=alice.id,
        auth_code_id=store.tokens.consume_auth_code(code, client.id).id,
        with_refresh=True,
    )
    pat = store.tokens.create_personal_access_token("alice", "laptop")
    forever = store.tokens.create_personal_access_token("alice", "ci", lifetime=NEVER)
    store.tokens.revoke(forever.info.id)
    values = [
        created.secret,
        rotated.secret,
        PASSWORD,
        "second secret password",
        issued.access_token,
        issued.refresh_token,
        rotated_pair.access_token,
        rotated_pair.refresh_token,
        code,
        from_code.access_token,
        from_code.refresh_token,
        pat.access_token,
        forever.access_token,
    ]
    assert all(values) and len(set(values)) == len(values)
    return values


@pytest.mark.sqlite_only("reads the file's bytes")
def test_no_secret_reaches_the_database_or_wal_files(
    store: Store, db_path: Path, every_secret: list[str]
) -> None:
    wal = db_path.with_name(db_path.name + "-wal")
    # While open, the recent writes live in the WAL; on close SQLite checkpoints
    # them into the main file and removes the WAL. Look at both moments.
    assert wal.exists() and wal.stat().st_size > 0
    wal_bytes = wal.read_bytes()
    store.close()
    db_bytes = db_path.read_bytes()
    leftover = wal.read_bytes() if wal.exists() else b""

    for secret in every_secret:
        raw = secret.encode()
        for where, data in (("db", db_bytes), ("wal", wal_bytes), ("wal after close", leftover)):
            assert raw not in data, f"a secret in plaintext in the {where} file"
    # What is stored is the digest: finding every current one proves the bytes
    # searched hold the real rows (not the passwords, nor the secret replaced by rotate).
    current = [s for s in every_secret[1:] if s not in (PASSWORD, "second secret password")]
    assert len(current) == 10
    for secret in current:
        assert hashlib.sha256(secret.encode()).hexdigest().encode() in db_bytes
    # The hint (last 4 characters) is kept for display; it is allowed.
    assert every_secret[1][-4:].encode() in db_bytes


def test_the_audit_log_never_holds_a_secret(store: Store, every_secret: list[str]) -> None:
    events = list(AuditEvent.select())
    assert {
        "client.create",
        "client.rotate_secret",
        "user.add",
        "user.set_password",
        "token.create_personal",
        "token.revoke",
    } <= {e.action for e in events}
    for event in events:
        text = " ".join(
            (event.actor, event.action, event.object_type, event.object_id, event.detail)
        )
        for secret in every_secret:
            assert secret not in text
            assert crypto.digest(secret) not in text
    for entry in store.audit.recent():
        for secret in every_secret:
            assert secret not in repr(entry)


def test_rejected_secrets_are_not_echoed_in_errors(store: Store, every_secret: list[str]) -> None:
    from authclients.store.errors import InvalidGrant

    client_id = store.clients.list().items[0].id
    for secret in every_secret:
        for attempt in (
            lambda s=secret: store.tokens.consume_auth_code(s, client_id),
            lambda s=secret: store.tokens.find_refresh(s, client_id + 1),
        ):
            with pytest.raises(InvalidGrant) as caught:
                attempt()
            assert secret not in str(caught.value)


def test_generated_secrets_have_256_bits(store: Store, clock: ManualClock) -> None:
    values = {crypto.new_secret() for _ in range(200)}
    assert len(values) == 200
    for value in values:
        assert len(value) == 43  # 32 bytes in unpadded URL-safe base64
        assert set(value) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert crypto.SECRET_BYTES >= 32


def test_digest_checks(store: Store) -> None:
    secret = crypto.new_secret()
    stored = crypto.digest(secret)
    assert len(stored) == 64 and stored != secret
    assert crypto.matches_digest(secret, stored)
    assert not crypto.matches_digest(secret + "x", stored)
    assert not crypto.matches_digest(secret, None)
    assert not crypto.matches_digest(secret, "")


def test_bcrypt_cost_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTHCLIENTS_BCRYPT_ROUNDS", "5")
    assert crypto.hash_password("a password")[:7] == "$2b$05$"
    monkeypatch.delenv("AUTHCLIENTS_BCRYPT_ROUNDS")
    assert crypto.bcrypt_rounds() == 12
    monkeypatch.setenv("AUTHCLIENTS_BCRYPT_ROUNDS", "nonsense")
    assert crypto.bcrypt_rounds() == 12


def test_long_passwords_are_not_truncated_at_72_bytes() -> None:
    base = "p" * 72
    stored = crypto.hash_password(base + "A", rounds=4)
    assert crypto.check_password(base + "A", stored)
    assert not crypto.check_password(base + "B", stored)
    assert not crypto.check_password(base, stored)
