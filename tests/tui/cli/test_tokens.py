"""``authclients tokens`` end to end, against a real SQLite file."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from authclients.store import Store
from authclients.store.clock import ManualClock
from authclients.tui.cli import main as cli
from tests.tui.cli.runner import CLI, add_user, create


def test_create_pat_with_days_and_never(run: CLI, open_store: Callable[..., Store]) -> None:
    create(run, "--name", "PAT", "--personal-access", "--scopes", "read write")
    add_user(run, "alice")

    before = datetime.now(UTC)
    argv = ["--user", "alice", "--name", "ci", "--expires-in", "30", "--scopes", "read"]
    month = run("tokens", "create-pat", *argv, "--json").json()
    assert list(month)[:2] == ["id", "token"]
    expires = datetime.fromisoformat(month["expires_at"])
    assert timedelta(days=29) < expires - before < timedelta(days=31)
    assert month["scopes"] == ["read"] and month["username"] == "alice"

    never = run(
        "tokens", "create-pat", "--user", "alice", "--name", "kiosk", "--expires-in", "never"
    )
    assert never.code == 0
    assert "never expires" in never.out and cli.TOKEN_WARNING in never.out
    token = never.out.split("token: ", 1)[1].split()[0]
    store = open_store()
    assert store.tokens.find(token).expires_at is None
    assert store.tokens.find(month["token"]).state == "active"

    listed = run("tokens", "list", "--json")
    assert month["token"] not in listed.out and token not in listed.out
    assert month["token"] not in run("tokens", "list").out


@pytest.mark.parametrize(
    ("flags", "code", "expected"),
    [
        (["--expires-in", "-3"], 2, "--expires-in"),
        (["--expires-in", "0"], 2, "--expires-in"),
        (["--expires-in", "soon"], 2, "'never'"),
        (["--expires-in", "5000"], 2, "lifetime: "),
        (["--scopes", "admin"], 2, "scopes: "),
        (["--client", "99"], 2, "client: "),
    ],
)
def test_create_pat_refuses_bad_input(run: CLI, flags: list[str], code: int, expected: str) -> None:
    create(run, "--name", "PAT", "--personal-access", "--scopes", "read")
    add_user(run, "alice")
    result = run("tokens", "create-pat", "--user", "alice", "--name", "x", *flags)
    assert result.code == code
    assert expected in result.error_line()


def test_create_pat_unknown_user(run: CLI) -> None:
    create(run, "--name", "PAT", "--personal-access")
    result = run("tokens", "create-pat", "--user", "nobody", "--name", "x")
    assert result.code == 1 and "user nobody not found" in result.error_line()


def test_tokens_list_filters_and_revoke(run: CLI) -> None:
    first = create(run, "--name", "One", "--personal-access")
    second = create(run, "--name", "Two", "--personal-access")
    add_user(run, "alice")
    add_user(run, "bob")

    def pat(user: str, client: int) -> dict:
        argv = ["tokens", "create-pat", "--user", user, "--name", "t", "--client", str(client)]
        return run(*argv, "--json").json()

    a1, a2, b1, b2 = pat("alice", 1), pat("alice", 2), pat("bob", 1), pat("bob", 2)

    listed = run("tokens", "list", "--json").json()["items"]
    assert [t["id"] for t in listed] == [b2["id"], b1["id"], a2["id"], a1["id"]]
    by_client = run("tokens", "list", "--client", str(first["id"]), "--json").json()["items"]
    assert {t["id"] for t in by_client} == {a1["id"], b1["id"]}
    by_user = run("tokens", "list", "--user", "bob", "--json").json()["items"]
    assert {t["id"] for t in by_user} == {b1["id"], b2["id"]}

    one = run("tokens", "revoke", str(a1["id"]), "--json").json()
    assert one["state"] == "revoked"
    again = run("tokens", "revoke", str(a1["id"]))
    assert again.code == 0 and "already revoked" in again.out

    by_client = run("tokens", "revoke", "--client", str(second["id"]), "--json").json()
    assert by_client == {"client_id": second["id"], "revoked": 2}
    by_user = run("tokens", "revoke", "--user", "bob")
    assert by_user.code == 0 and "Revoked 1 live token of bob" in by_user.out

    active = run("tokens", "list", "--state", "active", "--json").json()["items"]
    assert active == []
    revoked = run("tokens", "list", "--state", "revoked", "--json").json()["items"]
    assert len(revoked) == 4

    human = run("tokens", "list")
    assert human.out.splitlines()[0].split()[:3] == ["ID", "CLIENT", "USER"]
    assert "4 tokens" in human.out


@pytest.mark.parametrize(
    ("argv", "code", "expected"),
    [
        (["tokens", "list", "--state", "gone"], 2, "--state: invalid choice"),
        (["tokens", "list", "--user", "nobody"], 1, "user nobody not found"),
        (["tokens", "revoke"], 2, "one of the arguments"),
        (["tokens", "revoke", "7", "--client", "1"], 2, "not allowed with"),
        (["tokens", "revoke", "7"], 1, "token 7 not found (see `authclients tokens list`)"),
        (["tokens", "revoke", "--client", "9"], 1, "client 9 not found"),
        (["tokens", "revoke", "a-pasted-token-value"], 2, "not the token"),
        (["tokens", "purge", "--older-than", "-1"], 2, "0 or more"),
    ],
)
def test_tokens_bad_input(run: CLI, argv: list[str], code: int, expected: str) -> None:
    result = run(*argv)
    assert result.code == code
    line = result.error_line()
    assert expected in line
    assert "a-pasted-token-value" not in line


def test_purge_dry_run_lists_then_purge_deletes(run: CLI, open_store: Callable[..., Store]) -> None:
    create(run, "--name", "PAT", "--personal-access")
    add_user(run, "alice")
    past = open_store(ManualClock(datetime.now(UTC) - timedelta(days=30)))
    old = past.tokens.create_personal_access_token("alice", "old", lifetime=timedelta(days=1))
    fresh = run("tokens", "create-pat", "--user", "alice", "--name", "fresh", "--json").json()

    dry = run("tokens", "purge", "--dry-run", "--json").json()
    assert dry["dry_run"] is True
    assert [t["id"] for t in dry["access_tokens"]] == [old.info.id]
    human = run("tokens", "purge", "--dry-run")
    assert "Would delete 1 access token" in human.out
    assert len(run("tokens", "list", "--json").json()["items"]) == 2

    kept = run("tokens", "purge", "--older-than", "60", "--json").json()
    assert kept["access_tokens"] == []

    done = run("tokens", "purge", "--json").json()
    assert done["dry_run"] is False and [t["id"] for t in done["access_tokens"]] == [old.info.id]
    remaining = run("tokens", "list", "--json").json()["items"]
    assert [t["id"] for t in remaining] == [fresh["id"]]


def test_tokens_list_pages_with_the_total_and_console_times(run: CLI) -> None:
    create(run, "--name", "PAT", "--personal-access")
    add_user(run, "alice")
    for name in ("one", "two", "three"):
        argv = ["tokens", "create-pat", "--user", "alice", "--name", name, "--expires-in", "30"]
        assert run(*argv).code == 0

    page = run("tokens", "list", "--limit", "2", "--offset", "1", "--json").json()
    assert list(page) == ["total", "offset", "limit", "items"]
    assert page["total"] == 3 and page["offset"] == 1 and page["limit"] == 2
    assert [t["name"] for t in page["items"]] == ["two", "one"]

    human = run("tokens", "list", "--limit", "1")
    lines = human.out.splitlines()
    assert lines[-1] == "1-1 of 3 tokens"
    # The console's relative times: "just now" (or "2 s ago" on a slow machine), "in 30 d".
    assert re.search(r"(just now|\d+ s ago)  +in 30 d$", lines[1]), lines[1]
    assert run("tokens", "list", "--offset", "9").out == "No tokens on this page; 3 matched.\n"
