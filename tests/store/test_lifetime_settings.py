"""Default lifetimes in the database, per-client lifetimes, and the v9 migration."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import peewee as pw
import pytest

from authclients.store import Store, ValidationError
from authclients.store import lifetime_settings as settings_module
from authclients.store.clock import ManualClock
from authclients.store.lifetime_settings import (
    BY_KEY,
    BY_KIND,
    format_duration,
    parse_duration,
)
from authclients.store.migrations import CURRENT_VERSION, migrate, schema_version
from authclients.store.models import AuthCode, RefreshToken, Setting
from authclients.store.records import ClientInfo, ClientLifetimes, Lifetimes, UserInfo
from tests.backends import POSTGRESQL
from tests.pgserver import PostgresServer
from tests.store.test_tokens import issue_password, new_code


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("15m", 900),
        ("1h", 3600),
        ("30d", 2_592_000),
        ("2w", 1_209_600),
        ("1Y", 31_536_000),
    ],
)
def test_durations_are_read_with_their_unit(text: str, seconds: int) -> None:
    rule = BY_KIND["refresh"] if seconds >= 300 else BY_KIND["access"]
    assert parse_duration(text, rule) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("key", "text", "says"),
    [
        ("access-token-ttl", "15", "Give a number and a unit"),
        ("access-token-ttl", "1.5h", "Give a number and a unit"),
        ("access-token-ttl", "-5m", "Give a number and a unit"),
        ("access-token-ttl", "١٥m", "Give a number and a unit"),  # Arabic-Indic digits
        ("access-token-ttl", "9999999999d", "Give a number and a unit"),
        ("access-token-ttl", "30s", "At least 1m (from 1m to 30d)"),
        ("access-token-ttl", "31d", "At most 30d (from 1m to 30d)"),
        ("access-token-ttl", "never", "'never' is not allowed here"),
        ("auth-code-ttl", "11m", "At most 10m (from 1m to 10m)"),
        ("personal-token-ttl", "never", "tokens create-pat --expires-in never"),
        ("personal-token-ttl", "11y", "At most 10y"),
        ("refresh-token-ttl", "", "Give a number and a unit"),
        ("refresh-token-ttl", "6M", "M is ambiguous"),
    ],
)
def test_bad_durations_say_the_allowed_range(key: str, text: str, says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_duration(text, BY_KEY[key])
    message = caught.value.errors[key]
    assert says in message
    if len(text) > 3 and text != "never":
        assert text not in message  # never echoed: it may be a pasted secret


def test_format_picks_the_largest_exact_unit() -> None:
    assert [format_duration(timedelta(seconds=s)) for s in (90, 5400, 3600, 86_400 * 14)] == [
        "90s",
        "90m",
        "1h",
        "2w",
    ]
    assert format_duration(timedelta(days=365)) == "1y"


def test_defaults_set_in_the_database_are_used_by_every_grant(
    store: Store, client: ClientInfo, alice: UserInfo, clock: ManualClock
) -> None:
    assert store.lifetimes == Lifetimes()
    store.lifetime_settings.set(
        {
            "access": timedelta(minutes=15),
            "refresh": timedelta(days=14),
            "personal_access": timedelta(days=90),
            "auth_code": timedelta(minutes=2),
        }
    )
    now = clock.now()
    issued = issue_password(store, client, alice)
    assert issued.expires_in == 900
    assert RefreshToken.get().expires_at == now + timedelta(days=14)
    pat = store.tokens.create_personal_access_token("alice", "laptop")
    assert pat.info.expires_at == now + timedelta(days=90)
    new_code(store, client, alice)
    assert AuthCode.get().expires_at == now + timedelta(minutes=2)
    rotated = store.tokens.rotate_refresh(
        store.tokens.find_refresh(issued.refresh_token, client.id), client, ()
    )
    assert rotated.expires_in == 900
    # Back to the built-in default, and the audit log says who changed what.
    store.lifetime_settings.set({"access": None})
    assert store.lifetimes.access == timedelta(hours=1)
    assert store.lifetime_settings.stored()["access"] is None


def test_a_setting_out_of_range_is_refused_and_nothing_is_stored(store: Store) -> None:
    with pytest.raises(ValidationError) as caught:
        store.lifetime_settings.set(
            {"access": timedelta(days=31), "auth_code": timedelta(minutes=30)}
        )
    assert set(caught.value.errors) == {"access-token-ttl", "auth-code-ttl"}
    assert Setting.select().where(Setting.name.startswith("lifetime.")).count() == 0


def test_another_process_change_arrives_within_the_refresh_time(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Settings are cached, not read per token; a row written elsewhere shows up after it."""
    assert store.lifetimes.access == timedelta(hours=1)
    reads: list[int] = []
    real = settings_module.LifetimeSettings._read

    def counting(self: settings_module.LifetimeSettings) -> Lifetimes:
        reads.append(1)
        return real(self)

    monkeypatch.setattr(settings_module.LifetimeSettings, "_read", counting)
    # Written as another process would: straight into the table.
    Setting.create(name="lifetime.access", value="600")
    for _ in range(1000):
        assert store.lifetimes.access == timedelta(hours=1)
    assert reads == []  # a thousand tokens, no query
    monkeypatch.setattr(settings_module, "REFRESH_SECONDS", 0.0)
    assert store.lifetimes.access == timedelta(minutes=10)
    assert reads == [1]


def test_a_garbled_setting_written_behind_our_back_falls_back_to_the_default(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings_module, "REFRESH_SECONDS", 0.0)
    for value in ("-5", "abc", "99999999999999999999", "1"):
        Setting.delete().execute()
        Setting.create(name="lifetime.access", value=value)
        assert store.lifetimes.access == timedelta(hours=1), value


def test_a_client_own_lifetimes_win_over_the_defaults(
    store: Store, alice: UserInfo, clock: ManualClock
) -> None:
    created = store.clients.create(
        "Short lived",
        ["https://app.example.com/cb"],
        authorization_code=True,
        password=True,
        personal_access=True,
        lifetimes={"access": timedelta(minutes=5), "auth_code": timedelta(minutes=1)},
    )
    client = created.client
    assert client.lifetimes == ClientLifetimes(
        access=timedelta(minutes=5), auth_code=timedelta(minutes=1)
    )
    store.lifetime_settings.set({"access": timedelta(minutes=30), "refresh": timedelta(days=3)})
    now = clock.now()
    issued = issue_password(store, client, alice)
    assert issued.expires_in == 300
    assert RefreshToken.get().expires_at == now + timedelta(days=3)  # the default
    new_code(store, client, alice)
    assert AuthCode.get().expires_at == now + timedelta(minutes=1)

    updated = store.clients.update(
        client.id, lifetimes={"access": None, "personal_access": timedelta(days=7)}
    )
    assert updated.lifetimes == ClientLifetimes(
        auth_code=timedelta(minutes=1), personal_access=timedelta(days=7)
    )
    pat = store.tokens.create_personal_access_token("alice", "laptop", client_id=client.id)
    assert pat.info.expires_at == now + timedelta(days=7)
    assert issue_password(store, updated, alice).expires_in == 1800


def test_client_lifetimes_out_of_range_are_refused_with_the_other_errors(store: Store) -> None:
    with pytest.raises(ValidationError) as caught:
        store.clients.create(
            "",
            password=True,
            lifetimes={"access": timedelta(seconds=10), "refresh": timedelta(days=400)},
        )
    assert {"name", "access-token-ttl", "refresh-token-ttl"} <= set(caught.value.errors)
    assert store.clients.count() == 0


def test_a_client_lifetime_written_out_of_range_is_ignored(store: Store) -> None:
    created = store.clients.create("Tampered", password=True)
    store.db.execute_sql(
        "UPDATE client SET access_token_ttl = ?, auth_code_ttl = ? WHERE id = ?"
        if isinstance(store.db, pw.SqliteDatabase)
        else "UPDATE client SET access_token_ttl = %s, auth_code_ttl = %s WHERE id = %s",
        (10**9, 86_400, created.client.id),
    )
    assert store.clients.get(created.client.id).lifetimes.is_default


@pytest.fixture
def v5_target(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database made by version 5 (before per-client lifetimes), with one client."""
    if backend == POSTGRESQL:
        server: PostgresServer = request.getfixturevalue("pg_server")
        name, url = server.create_database()
        from playhouse.db_url import connect

        db = connect(url)
    else:
        url = str(tmp_path / "v5.db")
        db = pw.SqliteDatabase(url)
    assert migrate(db, target=5) == 5
    flag = "TRUE" if backend == POSTGRESQL else "1"
    off = "FALSE" if backend == POSTGRESQL else "0"
    db.execute_sql(
        "INSERT INTO client (name, secret_hint, redirect_uris, scopes, grant_authorization_code, "
        "grant_password, grant_personal_access, grant_client_credentials, public, revoked, "
        f"version, created_at, updated_at) VALUES ('Old', '', '', '', {off}, {flag}, {off}, "
        f"{off}, {off}, {off}, 1, 0, 0)"
    )
    db.close()
    yield url
    if backend == POSTGRESQL:
        server.drop_database(name)


def test_v9_adds_the_client_lifetime_columns_to_a_v5_database(v5_target: str) -> None:
    store = Store.open(v5_target)
    try:
        assert schema_version(store.db) == CURRENT_VERSION == 9
        columns = {c.name for c in store.db.get_columns("client")}
        wanted = {"access_token_ttl", "refresh_token_ttl", "personal_token_ttl", "auth_code_ttl"}
        assert wanted <= columns
        old = store.clients.list("Old").items[0]
        assert old.name == "Old" and old.lifetimes.is_default
        store.clients.update(old.id, lifetimes={"access": timedelta(minutes=20)})
        assert store.clients.get(old.id).lifetimes.access == timedelta(minutes=20)
        # Running the step again (another process racing) changes nothing.
        from authclients.store.migrations import _v9_client_lifetimes

        _v9_client_lifetimes(store.db)
    finally:
        store.close()


def test_a_stale_save_names_lifetimes_changed_elsewhere(store: Store) -> None:
    from authclients.store import StaleEdit

    loaded = store.clients.create("Shared", password=True).client
    store.clients.update(loaded.id, lifetimes={"access": timedelta(minutes=5)})
    with pytest.raises(StaleEdit) as caught:
        store.clients.update(loaded.id, name="Mine", base=loaded)
    before, now = caught.value.changes["lifetimes"]
    assert before.is_default and now.access == timedelta(minutes=5)
