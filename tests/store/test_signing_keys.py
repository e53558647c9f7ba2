"""Signing keys: first use, rotation, retirement, the JWKS; and schema version 7 on a
database made by version 5 (version 6 is another branch's: 7 must not need it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import peewee as pw
import pytest
from joserfc.jwk import ECKey, RSAKey

from authclients.store import NotFound, Store, ValidationError
from authclients.store.clock import ManualClock
from authclients.store.migrations import CURRENT_VERSION, migrate, schema_version
from authclients.store.models import AccessToken, Client, SigningKey, User
from authclients.store.signing_keys import CLOCK_SKEW, GRACE

AUTHCLIENTS = str(Path(sys.executable).parent / "authclients")


def test_the_first_key_is_made_on_first_use_and_kept(store: Store) -> None:
    assert store.signing_keys.list() == []
    signer = store.signing_keys.signer()
    again = Store(store.db, clock=store.clock).signing_keys.signer()
    assert signer.kid == again.kid and signer.alg == "ES256"
    [key] = store.signing_keys.list()
    assert key.state == "active" and key.kid == signer.kid
    assert "PRIVATE" not in repr(signer)


def test_rotation_states_and_the_published_window(store: Store, clock: ManualClock) -> None:
    old = store.signing_keys.signer().kid
    new = store.signing_keys.rotate("RS256")
    assert new.alg == "RS256" and new.state == "next"
    assert new.active_from == clock.now() + GRACE
    assert {k["kid"] for k in store.signing_keys.jwks()["keys"]} == {old, new.kid}
    assert store.signing_keys.signer().kid == old
    clock.advance(GRACE)
    assert store.signing_keys.signer().kid == new.kid
    states = {k.kid: k.state for k in store.signing_keys.list()}
    assert states == {old: "retiring", new.kid: "active"}
    clock.advance(store.lifetimes.access + CLOCK_SKEW)
    assert [k["kid"] for k in store.signing_keys.jwks()["keys"]] == [new.kid]
    assert {k.kid: k.state for k in store.signing_keys.list()}[old] == "retired"


def test_a_key_rotated_out_before_it_signed_is_never_kept(store: Store, clock: ManualClock) -> None:
    store.signing_keys.signer()
    skipped = store.signing_keys.rotate()
    latest = store.signing_keys.rotate()
    info = {k.kid: k for k in store.signing_keys.list()}
    assert info[skipped.kid].published_until == info[skipped.kid].active_from
    clock.advance(GRACE + timedelta(seconds=1))
    assert store.signing_keys.signer().kid == latest.kid
    assert skipped.kid not in {k["kid"] for k in store.signing_keys.jwks()["keys"]}


def test_retire_refuses_unknown_and_retired_keys(store: Store) -> None:
    kid = store.signing_keys.signer().kid
    with pytest.raises(NotFound):
        store.signing_keys.retire("no-such-kid")
    store.signing_keys.retire(kid)
    with pytest.raises(ValidationError):
        store.signing_keys.retire(kid)
    with pytest.raises(ValidationError):
        store.signing_keys.rotate("HS256")  # a shared secret would have to be published
    assert store.signing_keys.signer().kid != kid


def test_retiring_the_signer_promotes_the_published_next_key(
    store: Store, clock: ManualClock
) -> None:
    old = store.signing_keys.signer().kid
    waiting = store.signing_keys.rotate()
    store.signing_keys.retire(old)
    assert store.signing_keys.signer().kid == waiting.kid
    assert len(store.signing_keys.list()) == 2  # no third key was needed


# -- the private key never shows ---------------------------------------------------------------


def _private_parts(db_path: Path) -> list[str]:
    rows = pw.SqliteDatabase(str(db_path)).execute_sql("SELECT private_key FROM signing_key")
    parts = []
    for (pem,) in rows.fetchall():
        key = ECKey.import_key(pem) if len(pem) < 400 else RSAKey.import_key(pem)
        parts.append(str(key.as_dict(private=True)["d"]))
        parts.extend(line for line in pem.splitlines() if "-----" not in line)
    return parts


@pytest.mark.sqlite_only("reads the file's private keys to look for them in every output")
def test_no_cli_command_prints_a_private_key(store: Store, db_path: Path) -> None:
    store.signing_keys.signer()
    store.close()
    env = {**os.environ, "NO_COLOR": "1"}

    def run(*argv: str) -> str:
        done = subprocess.run(
            [AUTHCLIENTS, "--db", str(db_path), *argv],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        return done.stdout + done.stderr

    outputs = [
        run("keys", "list"),
        run("keys", "list", "--json"),
        run("keys", "rotate", "--yes", "--json"),
        run("keys", "rotate", "--alg", "RS256", "--yes"),
    ]
    kid = json.loads(run("keys", "list", "--json"))["items"][-1]["kid"]
    outputs += [run("keys", "retire", kid, "--yes"), run("keys", "list", "--json")]
    secrets = _private_parts(db_path)
    assert secrets
    for output in outputs:
        assert "PRIVATE KEY" not in output
        for part in secrets:
            assert part[:24] not in output


# -- schema version 7 on an older database -----------------------------------------------------


@pytest.mark.sqlite_only("builds a version 5 file by hand")
def test_version_7_on_a_version_5_database_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "v5.db"
    raw = pw.SqliteDatabase(str(path), pragmas={"foreign_keys": 1})
    assert migrate(raw, target=5) == 5
    raw.execute_sql(
        'INSERT INTO "user" (username, password_hash, active, session_generation, failure_runs, '
        "version, created_at, updated_at) VALUES ('old', 'x', 1, 0, 0, 1, 0, 0)"
    )
    raw.execute_sql(
        "INSERT INTO client (name, secret_hint, redirect_uris, scopes, grant_authorization_code, "
        "grant_password, grant_personal_access, grant_client_credentials, public, revoked, "
        "version, created_at, updated_at) VALUES ('Old app', '', '', 'openid', 0, 0, 0, 1, 0, 0, "
        "1, 0, 0)"
    )
    raw.execute_sql(
        "INSERT INTO access_token (token_hash, token_hint, client_id, name, scopes, grant_type, "
        "created_at, revoked) VALUES ('h', 'hint', 1, '', '', 'client_credentials', 0, 0)"
    )
    raw.close()

    store = Store.open(str(path), clock=ManualClock())
    try:
        assert schema_version(store.db) == CURRENT_VERSION
        assert Client.get_by_id(1).token_format == "opaque"
        assert store.clients.get(1).token_format == "opaque"
        user = User.get(User.username == "old")
        assert user.email is None and user.name is None
        assert AccessToken.get_by_id(1).jti is None
        assert store.tokens.get(1).token_format == "opaque"
        assert SigningKey.select().count() == 0
        # openid was defined by version 4 (a client listed it) and keeps its row.
        names = [s.name for s in store.scopes.list()]
        assert names == ["email", "openid", "profile"]
        # The new columns work: a JWT client issues, a user gets claims.
        store.clients.update(1, token_format="jwt")
        store.users.set_profile("old", email="old@example.com", name="Old Timer")
        assert store.users.get("old").email == "old@example.com"
    finally:
        store.close()
    # Opening again migrates nothing.
    again = Store.open(str(path), clock=ManualClock())
    assert schema_version(again.db) == CURRENT_VERSION
    again.close()
