"""Edits that do not clobber: versions, StaleEdit field by field, force, partial updates."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from authclients.store import StaleEdit, Store
from authclients.store.records import ClientInfo, UserInfo

REPO = Path(__file__).resolve().parents[2]


def test_every_save_moves_the_version_on(store: Store, client: ClientInfo) -> None:
    assert client.version == 1
    assert store.clients.update(client.id, name="Renamed").version == 2
    assert store.clients.rotate_secret(client.id).client.version == 3
    assert store.clients.get(client.id).version == 3


def test_a_save_from_a_stale_form_is_refused_field_by_field(
    store: Store, client: ClientInfo
) -> None:
    mine = store.clients.get(client.id)  # the form opens
    store.clients.update(client.id, name="Theirs", scopes="read")  # another admin saves

    with pytest.raises(StaleEdit) as caught:
        store.clients.update(client.id, base=mine, password=False)
    stale = caught.value
    assert stale.changes == {"name": ("Web app", "Theirs"), "scopes": ((), ("read",))}
    assert (stale.expected, stale.found) == (1, 2)
    assert stale.current.name == "Theirs"
    assert "name 'Web app' → 'Theirs'" in str(stale) and "overwrite" in str(stale)
    assert store.clients.get(client.id).password  # nothing written

    with pytest.raises(StaleEdit):
        store.clients.update(client.id, expected_version=1, password=False)
    forced = store.clients.update(client.id, base=mine, password=False, force=True)
    assert (forced.name, forced.password, forced.version) == ("Theirs", False, 3)
    # Reloading gives a form that saves.
    fresh = store.clients.get(client.id)
    assert store.clients.update(client.id, base=fresh, name="Mine").name == "Mine"


def test_a_rotated_secret_is_named_as_a_change(store: Store, client: ClientInfo) -> None:
    mine = store.clients.get(client.id)
    store.clients.rotate_secret(client.id)
    with pytest.raises(StaleEdit) as caught:
        store.clients.update(client.id, base=mine, name="x")
    assert set(caught.value.changes) == {"secret_hint"}


def test_users_refuse_a_stale_version(store: Store, alice: UserInfo) -> None:
    store.users.set_active("alice", False)
    with pytest.raises(StaleEdit) as caught:
        store.users.set_active("alice", True, base=alice)
    assert caught.value.changes == {"active": (True, False)}
    assert not store.users.get("alice").active
    now = store.users.get("alice")
    store.users.set_password("alice", "another passphrase")
    with pytest.raises(StaleEdit) as caught:
        store.users.set_active("alice", True, expected_version=now.version)
    assert caught.value.found == now.version + 1
    assert store.users.set_active("alice", True).active  # no version given: applied


UPDATER = textwrap.dedent(
    """
    import sys
    from authclients.store import Store
    target, client_id, field, value = sys.argv[1:5]
    store = Store.open(target, actor=field)
    store.clients.update(int(client_id), **{field: value})
    store.close()
    """
)


def test_two_processes_updating_different_fields_keep_both(
    store: Store, db_target: str, client: ClientInfo
) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", UPDATER, db_target, str(client.id), field, value],
            cwd=REPO,
            stderr=subprocess.PIPE,
            text=True,
        )
        for field, value in (("name", "From process one"), ("scopes", "admin"))
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    got = store.clients.get(client.id)
    assert (got.name, got.scopes, got.version) == ("From process one", ("admin",), 3)
