"""``authclients users`` end to end, against a real SQLite file."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from authclients.store import Store
from authclients.tui.cli import prompts
from tests.tui.cli.runner import CLI, add_user


def test_users_add_list_passwd_deactivate_delete(
    run: CLI, open_store: Callable[..., Store]
) -> None:
    add_user(run, "alice", "first password")
    add_user(run, "bob")

    listed = run("users", "list", "--json").json()
    assert listed["total"] == 2
    assert [u["username"] for u in listed["items"]] == ["alice", "bob"]
    assert "first password" not in run("users", "list").out

    taken = run("users", "add", "alice", "--password-stdin", stdin="whatever123\n")
    assert taken.code == 2 and "username: " in taken.error_line()
    short = run("users", "add", "carol", "--password-stdin", stdin="short\n")
    assert short.code == 2 and "password: Use at least 8 characters" in short.error_line()
    assert "short" not in short.err.replace("password", "")

    changed = run("users", "passwd", "alice", "--password-stdin", stdin="second password\n")
    assert changed.code == 0
    store = open_store()
    assert store.users.verify("alice", "first password") is None
    assert store.users.verify("alice", "second password") is not None

    deactivated = run("users", "deactivate", "alice", "--json").json()
    assert deactivated["active"] is False
    assert store.users.verify("alice", "second password") is None
    assert run("users", "activate", "alice", "--json").json()["active"] is True

    assert run("users", "delete", "bob").code == 2
    deleted = run("users", "delete", "bob", "--yes")
    assert deleted.code == 0 and "Deleted user bob" in deleted.out
    missing = run("users", "passwd", "bob", "--password-stdin", stdin="whatever123\n")
    assert missing.code == 1
    assert missing.error_line().endswith("user bob not found (see `authclients users list`)")


def test_password_prompt_asks_twice(
    run: CLI, monkeypatch: pytest.MonkeyPatch, open_store: Callable[..., Store]
) -> None:
    answers = iter(["typed password", "typo password"])
    monkeypatch.setattr(prompts, "prompt_password", lambda prompt: next(answers))
    mismatch = run("users", "add", "alice", tty=True)
    assert mismatch.code == 2 and "differ" in mismatch.error_line()

    answers = iter(["typed password", "typed password"])
    assert run("users", "add", "alice", tty=True).code == 0
    assert open_store().users.verify("alice", "typed password") is not None

    no_tty = run("users", "add", "bob")
    assert no_tty.code == 2 and "--password-stdin" in no_tty.error_line()


def test_a_password_on_the_command_line_is_refused_and_not_echoed(run: CLI) -> None:
    for argv in (
        ["users", "add", "alice", "s3cret-on-argv"],
        ["users", "add", "alice", "--password", "s3cret-on-argv"],
        ["users", "add", "alice", "--password=s3cret-on-argv"],
    ):
        result = run(*argv)
        assert result.code == 2
        assert "s3cret-on-argv" not in result.error_line()


def test_users_list_pages_with_the_total(run: CLI) -> None:
    for name in ("carol", "alice", "bob"):
        add_user(run, name)

    page = run("users", "list", "--limit", "2", "--offset", "1", "--json").json()
    assert page["total"] == 3 and page["offset"] == 1 and page["limit"] == 2
    assert [u["username"] for u in page["items"]] == ["bob", "carol"]

    human = run("users", "list", "--limit", "1", "--offset", "1")
    assert human.out.splitlines()[1].split()[0] == "bob"
    assert human.out.splitlines()[-1] == "2-2 of 3 users"
    assert run("users", "list", "--offset", "5").out == "No users on this page; 3 matched.\n"
    assert run("users", "list").out.splitlines()[-1] == "3 users"
    assert run("users", "list", "--limit", "0").code == 2
