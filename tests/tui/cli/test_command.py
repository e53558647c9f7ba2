"""The ``authclients`` command itself: --db, help, the console, entry points."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from authclients.tui.cli import main as cli
from tests.tui.cli.runner import run_subprocess


def test_db_is_taken_after_the_subcommand_and_from_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    late = tmp_path / "late.db"
    argv = ["clients", "create", "--name", "Late", "--client-credentials", "--db", str(late)]
    assert cli.main(argv) == 0
    assert late.exists()
    monkeypatch.setenv("AUTHCLIENTS_DB", str(late))
    capsys.readouterr()
    assert cli.main(["clients", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 1
    other = tmp_path / "other.db"
    assert (
        cli.main(["--db", str(other), "clients", "create", "--name", "O", "--password-grant"]) == 0
    )
    capsys.readouterr()
    assert cli.main(["--db", str(other), "clients", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 1


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["serve"],
        ["clients"],
        ["clients", "list"],
        ["clients", "create"],
        ["clients", "update"],
        ["clients", "delete"],
        ["clients", "rotate-secret"],
        ["users", "add"],
        ["tokens", "purge"],
        ["tokens", "create-pat"],
    ],
)
def test_every_command_has_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([*argv, "--help"]) == 0
    assert "usage: authclients" in capsys.readouterr().out


def test_no_command_opens_the_console(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import authclients.tui.app
    import authclients.tui.cli.console

    calls: list[tuple[object, ...]] = []
    monkeypatch.setattr(authclients.tui.cli.console, "has_terminal", lambda: True)
    monkeypatch.setattr(authclients.tui.app, "run_console", lambda *args: calls.append(args) or 7)
    assert cli.main(["--db", db, "--port", "9000", "--no-server"]) == 7
    assert calls == [(db, 9000, True)]


def test_module_entry_point_creates_and_fails_cleanly(db: str) -> None:
    module = [sys.executable, "-m", "authclients.tui.cli"]
    argv = ["clients", "create", "--name", "Sub", "--password-grant", "--json"]
    created = run_subprocess(*module, *argv, db=db)
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["secret"]

    refused = run_subprocess(*module, "clients", "delete", "1", db=db)
    assert refused.returncode == 2
    assert refused.stderr.startswith("authclients: error: ") and refused.stderr.count("\n") == 1

    bad = run_subprocess(
        *module, "clients", "create", "--name", "X", "--redirect", "ftp://x/", db=db
    )
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "redirect_uris: " in bad.stderr
    assert "Traceback" not in bad.stderr


def test_console_script_is_installed(db: str) -> None:
    script = Path(sys.executable).parent / "authclients"
    if not script.exists():
        pytest.skip("the authclients console script is not installed beside this Python")
    helped = run_subprocess(str(script), "serve", "--help", db=db)
    assert helped.returncode == 0 and "--host" in helped.stdout

    argv = ["users", "add", "alice", "--password-stdin"]
    added = run_subprocess(str(script), *argv, stdin="a long password\n", db=db)
    assert added.returncode == 0, added.stderr

    usage = run_subprocess(str(script), "tokens", "purge", "--older-than", "-2", db=db)
    assert usage.returncode == 2
    assert usage.stderr.startswith("authclients: error: argument --older-than")
    assert usage.stderr.count("\n") == 1


def test_an_unopenable_database_says_what_to_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    create = ["clients", "create", "--name", "X", "--password-grant"]
    assert cli.main(["--db", str(blocker / "x.db"), *create]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "that the folder is writable" in err

    # Nothing listens on port 1: the hint is about the server, and no password is shown.
    url = "postgresql://admin:s3cret-pass@127.0.0.1:1/auth"
    assert cli.main(["--db", url, "clients", "list"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the server is up" in err
    assert "s3cret-pass" not in err
