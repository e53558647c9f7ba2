"""The console's database errors carry the CLI's hint, word for word."""

from __future__ import annotations

from pathlib import Path

import peewee as pw
import pytest

from authclients.store import Store
from authclients.store.db import check_hint
from authclients.tui.app import run_console
from authclients.tui.cli import main as cli
from authclients.tui.jobs import failure_message

FILE_HINT = "check --db and that the folder is writable"


def test_a_failed_store_call_in_the_console_says_what_the_cli_says(store: Store) -> None:
    assert check_hint(False) == FILE_HINT
    message = failure_message(pw.OperationalError("attempt to write a readonly database"))
    assert f"({FILE_HINT})" in message
    assert "attempt to write a readonly database" in message
    assert FILE_HINT in failure_message(pw.IntegrityError("broken"))


def test_the_console_and_the_cli_give_one_hint_when_the_database_cannot_open(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    target = str(blocker / "x.db")
    assert run_console(target, no_server=True) == 1
    console_err = capsys.readouterr().err
    assert cli.main(["--db", target, "clients", "create", "--name", "X", "--password-grant"]) == 1
    cli_err = capsys.readouterr().err
    for err in (console_err, cli_err):
        assert err.startswith(f"authclients: error: cannot open the database {target}: ")
        assert err.rstrip().endswith(f"({FILE_HINT})")
        assert err.count("\n") == 1
