"""Read-only commands create nothing, list a read-only database, say plainly when empty."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from authclients.store import Store
from authclients.store.migrations import migrate
from authclients.tui.cli import main as cli
from tests.tui.cli.runner import CLI, create

READ_ONLY_COMMANDS = [
    ["clients", "list"],
    ["clients", "list", "--json"],
    ["clients", "show", "1"],
    ["users", "list"],
    ["tokens", "list"],
    ["scopes", "list"],
    ["settings", "show"],
]


@pytest.mark.parametrize("argv", READ_ONLY_COMMANDS)
def test_a_mistyped_db_creates_no_folder_and_no_file(
    tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    typo = tmp_path / "srv" / "authclient" / "authclients.db"
    assert cli.main(["--db", str(typo), *argv]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"authclients: error: the database {typo} does not exist; check --db or "
        "$AUTHCLIENTS_DB (a command that changes something creates it)\n"
    )
    assert not (tmp_path / "srv").exists()


def test_the_environment_variable_and_a_sqlite_url_are_checked_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AUTHCLIENTS_DB", str(tmp_path / "nowhere" / "a.db"))
    assert cli.main(["users", "list"]) == 2
    assert cli.main(["--db", f"sqlite:///{tmp_path}/gone/b.db", "scopes", "list"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_command_that_changes_something_still_creates_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = tmp_path / "new" / "authclients.db"
    assert (
        cli.main(["--db", str(fresh), "clients", "create", "--name", "A", "--password-grant"]) == 0
    )
    assert fresh.exists()
    assert cli.main(["--db", str(fresh), "clients", "list"]) == 0
    assert "A" in capsys.readouterr().out


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("lock", ["file", "folder"])
def test_a_read_only_database_can_be_listed_and_stays_as_it_was(
    run: CLI, db: str, lock: str
) -> None:
    made = create(run, "--name", "Kept", "--password-grant")
    path = Path(db)
    folder = path.parent
    before = _digest(path)
    target = path if lock == "file" else folder
    old_mode = stat.S_IMODE(target.stat().st_mode)
    target.chmod(0o400 if lock == "file" else 0o500)
    try:
        for argv in READ_ONLY_COMMANDS:
            argv = [*argv[:-1], str(made["id"])] if argv[-1] == "1" else argv
            result = run(*argv)
            assert result.code == 0, (argv, result.err)
        listed = run("clients", "list", "--json").json()
        assert [c["name"] for c in listed["items"]] == ["Kept"]
        assert stat.S_IMODE(target.stat().st_mode) == (0o400 if lock == "file" else 0o500)
    finally:
        target.chmod(old_mode)
    assert _digest(path) == before, "listing changed the read-only file"


def test_a_read_only_database_of_an_older_version_says_how_to_upgrade(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import peewee as pw

    path = tmp_path / "old.db"
    db = pw.SqliteDatabase(str(path))
    migrate(db, target=4)
    db.close()
    path.chmod(0o400)
    assert cli.main(["--db", str(path), "clients", "list"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "read-only and at schema version 4" in err and "write access to upgrade" in err
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as check:
        assert check.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == 4


def test_an_id_too_large_says_so(run: CLI) -> None:
    for action in (["clients", "show"], ["clients", "delete"], ["tokens", "revoke"]):
        result = run(*action, "99999999999999999999999")
        assert result.code == 2
        line = result.error_line()
        assert "the id is too large" in line
        assert "99999999999999999999999" not in line
    assert "whole number of 1 or more" in run("clients", "show", "0").error_line()
    assert "whole number of 1 or more" in run("clients", "show", "x1").error_line()


def test_an_empty_table_says_so_plainly(run: CLI) -> None:
    assert run("clients", "list").out == "No clients yet.\n"
    assert run("users", "list").out == "No users yet.\n"
    assert run("tokens", "list").out == "No tokens yet.\n"
    # A new database defines OpenID Connect's scopes; without them the list is empty.
    for name in ("email", "openid", "profile"):
        assert run("scopes", "delete", name, "--yes").code == 0
    assert run("scopes", "list").out.startswith("No scopes yet")
    assert run("clients", "list", "--filter", "zzz").out == "No clients match.\n"
    create(run, "--name", "One", "--password-grant")
    assert run("clients", "list", "--offset", "5").out == "No clients on this page; 1 matched.\n"


def test_validation_failures_exit_2_and_lookups_that_find_nothing_exit_1(run: CLI) -> None:
    bad = run("clients", "create", "--name", "", "--password-grant")
    assert bad.code == 2 and bad.error_line().startswith("authclients: error: name: ")
    missing = run("clients", "show", "42")
    assert missing.code == 1 and "client 42 not found" in missing.error_line()


def test_the_store_refuses_to_create_a_missing_file_when_asked_to_open_an_existing_one(
    tmp_path: Path,
) -> None:
    from authclients.store.errors import MissingDatabase

    with pytest.raises(MissingDatabase):
        Store.open(str(tmp_path / "x" / "y.db"), existing=True)
    assert list(tmp_path.iterdir()) == []
    assert os.listdir(tmp_path) == []
