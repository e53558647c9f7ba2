"""The ``authclients`` CLI end to end, against a real SQLite file."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from authclients.store import Store
from authclients.store.clock import ManualClock
from authclients.tui import cli

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> object:
        return json.loads(self.out)

    def error_line(self) -> str:
        """The one stderr line of a failure, checked to be exactly one line."""
        assert self.err.endswith("\n") and self.err.count("\n") == 1, self.err
        assert self.err.startswith("authclients: error: "), self.err
        assert "Traceback" not in self.err
        return self.err.strip()


CLI = Callable[..., Run]


@pytest.fixture
def db(db_path: Path) -> str:
    return str(db_path)


@pytest.fixture
def run(db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CLI:
    """``run("clients", "list", stdin="...")``: main() in-process on the test database."""

    def invoke(*argv: str, stdin: str = "", tty: bool = False) -> Run:
        capsys.readouterr()
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        monkeypatch.setattr(cli, "_stdin_is_tty", lambda: tty)
        code = cli.main(["--db", db, *argv])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def open_store(db: str) -> Iterator[Callable[..., Store]]:
    """Open the same file the CLI writes, to check what it did."""
    opened: list[Store] = []

    def opener(clock: ManualClock | None = None) -> Store:
        store = Store.open(db, clock=clock, actor="test")
        opened.append(store)
        return store

    yield opener
    for store in opened:
        store.close()


def create(run: CLI, *argv: str) -> dict:
    result = run("clients", "create", *argv, "--json")
    assert result.code == 0, result.err
    return result.json()


def add_user(run: CLI, name: str, password: str = "correct horse") -> None:
    result = run("users", "add", name, "--password-stdin", stdin=password + "\n")
    assert result.code == 0, result.err


# -- clients ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "grants"),
    [
        (["--redirect", "https://app.example/cb"], ["authorization_code"]),
        (["--password-grant"], ["password"]),
        (["--personal-access"], ["personal_access"]),
        (["--client-credentials"], ["client_credentials"]),
        (
            ["--redirect", "http://127.0.0.1:9/cb", "--password-grant", "--client-credentials"],
            ["authorization_code", "password", "client_credentials"],
        ),
    ],
)
def test_create_each_grant_prints_the_secret_once(
    run: CLI, db_path: Path, open_store: Callable[..., Store], flags: list[str], grants: list[str]
) -> None:
    body = create(run, "--name", "Web app", *flags, "--scopes", "read write")

    assert list(body)[:3] == ["id", "name", "secret"]
    assert body["name"] == "Web app"
    assert body["grant_types"] == grants
    assert body["scopes"] == ["read", "write"]
    assert len(body["secret"]) >= 43 and body["secret_hint"] == body["secret"][-4:]
    assert datetime.fromisoformat(body["created_at"]).tzinfo == UTC
    assert open_store().clients.authenticate(body["id"], body["secret"]) is not None
    stored = b"".join(
        p.read_bytes() for p in db_path.parent.iterdir() if p.name.startswith(db_path.name)
    )
    assert body["secret"].encode() not in stored


def test_create_human_output_and_public_client(run: CLI) -> None:
    result = run("clients", "create", "--name", "Web", "--redirect", "https://a.example/cb")
    assert result.code == 0
    assert "client_secret: " in result.out
    assert cli.SECRET_WARNING in result.out

    public = create(run, "--name", "Mobile", "--public", "--redirect", "com.example.app:/cb")
    assert public["public"] is True and public["secret"] is None


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--name", "X", "--redirect", "http://evil.example/cb"], "redirect_uris: "),
        (["--name", "X", "--redirect", "javascript:alert(1)"], "redirect_uris: "),
        (["--name", "X"], "grants: Enable at least one grant type"),
        (["--name", "X", "--public", "--password-grant"], "public: A public client"),
        (["--name", "  ", "--client-credentials", "--redirect", "nope"], "name: "),
    ],
)
def test_create_refuses_bad_input_in_one_line(run: CLI, flags: list[str], expected: str) -> None:
    result = run("clients", "create", *flags)
    assert result.code == 1
    assert expected in result.error_line()
    assert result.out == ""


def test_every_field_error_on_the_one_line(run: CLI) -> None:
    result = run("clients", "create", "--name", "", "--redirect", "file:///x", "--public")
    line = result.error_line()
    assert result.code == 1
    assert "name: " in line and "; redirect_uris: " in line


def test_list_json_filters_sorts_pages_and_counts(run: CLI) -> None:
    for name in ["delta web", "alpha web", "charlie", "bravo web", "echo web"]:
        create(run, "--name", name, "--client-credentials")

    page = run("clients", "list", "--json").json()
    assert page["total"] == 5 and [c["id"] for c in page["items"]] == [1, 2, 3, 4, 5]

    result = run(
        "clients",
        "list",
        "--filter",
        "web",
        "--sort",
        "name",
        "--desc",
        "--limit",
        "2",
        "--offset",
        "1",
        "--json",
    )
    page = result.json()
    assert page["total"] == 4 and page["offset"] == 1 and page["limit"] == 2
    assert [c["name"] for c in page["items"]] == ["delta web", "bravo web"]
    assert all("secret" not in c for c in page["items"])

    by_id = run("clients", "list", "--filter", "3", "--json").json()
    assert [c["name"] for c in by_id["items"]] == ["charlie"]

    human = run("clients", "list", "--sort", "name")
    assert human.code == 0
    assert human.out.splitlines()[0].split() == [
        "ID",
        "NAME",
        "GRANTS",
        "SECRET",
        "TOKENS",
        "REDIRECT",
    ]
    assert "alpha web" in human.out.splitlines()[1]
    assert "1-5 of 5 clients" in human.out


def test_list_rejects_bad_sort_and_limit(run: CLI) -> None:
    result = run("clients", "list", "--sort", "secret_hash")
    assert result.code == 2 and "--sort" in result.error_line()
    result = run("clients", "list", "--limit", "0")
    assert result.code == 2 and "page size" in result.error_line()


def test_show_and_not_found(run: CLI) -> None:
    body = create(run, "--name", "Web", "--redirect", "https://a.example/cb", "--password-grant")

    shown = run("clients", "show", str(body["id"]), "--json").json()
    assert shown["name"] == "Web" and "secret" not in shown
    assert body["secret"] not in run("clients", "show", str(body["id"])).out

    missing = run("clients", "show", "42")
    assert missing.code == 1
    assert missing.error_line() == (
        "authclients: error: client 42 not found (see `authclients clients list`)"
    )
    bad = run("clients", "show", "abc")
    assert bad.code == 2 and "client id" in bad.error_line()


def test_update_changes_only_what_is_given(run: CLI) -> None:
    body = create(run, "--name", "Web", "--redirect", "https://a.example/cb", "--password-grant")
    cid = str(body["id"])

    updated = run("clients", "update", cid, "--name", "Web 2", "--personal-access", "--json")
    assert updated.code == 0
    client = updated.json()
    assert client["name"] == "Web 2"
    assert client["grant_types"] == ["authorization_code", "password", "personal_access"]
    assert client["redirect_uris"] == ["https://a.example/cb"]

    client = run("clients", "update", cid, "--no-password-grant", "--json").json()
    assert client["grant_types"] == ["authorization_code", "personal_access"]

    client = run(
        "clients", "update", cid, "--add-redirect", "http://localhost:8080/cb", "--json"
    ).json()
    assert client["redirect_uris"] == ["https://a.example/cb", "http://localhost:8080/cb"]
    client = run(
        "clients", "update", cid, "--remove-redirect", "https://a.example/cb", "--json"
    ).json()
    assert client["redirect_uris"] == ["http://localhost:8080/cb"]
    client = run("clients", "update", cid, "--redirect", "https://b.example/cb", "--json").json()
    assert client["redirect_uris"] == ["https://b.example/cb"]

    client = run("clients", "update", cid, "--clear-redirects", "--json").json()
    assert client["redirect_uris"] == [] and client["grant_types"] == ["personal_access"]

    client = run("clients", "update", cid, "--scopes", "read", "--json").json()
    assert client["scopes"] == ["read"]


def test_update_public_round_trip_drops_and_restores_the_secret(run: CLI) -> None:
    body = create(run, "--name", "App", "--redirect", "https://a.example/cb", "--password-grant")
    cid = str(body["id"])

    refused = run("clients", "update", cid, "--public")
    assert refused.code == 1 and "public: " in refused.error_line()

    client = run("clients", "update", cid, "--public", "--no-password-grant", "--json").json()
    assert client["public"] is True and client["secret_hint"] == ""

    human = run("clients", "update", cid, "--no-public")
    assert human.code == 0
    assert f"authclients clients rotate-secret {cid}" in human.out


@pytest.mark.parametrize(
    ("flags", "code", "expected"),
    [
        ([], 2, "nothing to change"),
        (["--no-authorization-code"], 1, "grants: Enable at least one grant type"),
        (["--remove-redirect", "https://gone.example/cb"], 1, "is not a redirect URL"),
        (["--redirect", "https://x.example/cb", "--clear-redirects"], 2, "not allowed with"),
        (["--redirect", "https://x.example/cb#frag"], 1, "redirect_uris: "),
    ],
)
def test_update_refuses_bad_input(run: CLI, flags: list[str], code: int, expected: str) -> None:
    body = create(run, "--name", "Web", "--redirect", "https://a.example/cb")
    result = run("clients", "update", str(body["id"]), *flags)
    assert result.code == code
    assert expected in result.error_line()


def test_update_unknown_client(run: CLI) -> None:
    result = run("clients", "update", "42", "--name", "X")
    assert result.code == 1 and "client 42 not found" in result.error_line()


def test_rotate_secret_replaces_the_old_one(run: CLI, open_store: Callable[..., Store]) -> None:
    body = create(run, "--name", "Cron", "--client-credentials")

    rotated = run("clients", "rotate-secret", str(body["id"]), "--json").json()
    assert rotated["id"] == body["id"] and rotated["secret"] != body["secret"]
    store = open_store()
    assert store.clients.authenticate(body["id"], body["secret"]) is None
    assert store.clients.authenticate(body["id"], rotated["secret"]) is not None

    human = run("clients", "rotate-secret", str(body["id"]))
    assert cli.SECRET_WARNING in human.out

    public = create(run, "--name", "Mobile", "--public", "--redirect", "https://m.example/cb")
    refused = run("clients", "rotate-secret", str(public["id"]))
    assert refused.code == 1 and "public: " in refused.error_line()


def test_delete_with_yes_revokes_every_token(run: CLI, open_store: Callable[..., Store]) -> None:
    body = create(run, "--name", "PAT", "--personal-access")
    add_user(run, "alice")
    pat = run("tokens", "create-pat", "--user", "alice", "--name", "laptop", "--json").json()

    result = run("clients", "delete", str(body["id"]), "--yes", "--json")
    assert result.code == 0
    assert result.json() == {"id": body["id"], "name": "PAT", "deleted": True, "revoked": 1}
    store = open_store()
    assert store.tokens.find(pat["token"]).state == "revoked"
    assert store.clients.authenticate(body["id"], body["secret"]) is None
    assert run("clients", "show", str(body["id"])).code == 1


def test_delete_without_a_terminal_needs_yes(run: CLI) -> None:
    body = create(run, "--name", "Web", "--client-credentials")
    result = run("clients", "delete", str(body["id"]))
    assert result.code == 2 and "pass --yes" in result.error_line()
    assert run("clients", "show", str(body["id"])).code == 0


def test_delete_on_a_terminal_asks_first(run: CLI) -> None:
    body = create(run, "--name", "Web", "--personal-access")
    cid = str(body["id"])
    add_user(run, "alice")
    assert run("tokens", "create-pat", "--user", "alice", "--name", "t").code == 0

    declined = run("clients", "delete", cid, stdin="n\n", tty=True)
    assert declined.code == 1
    assert "Delete client 1 (Web)? It revokes 1 live token. [y/N]" in declined.err
    assert run("clients", "show", cid).code == 0

    accepted = run("clients", "delete", cid, stdin="y\n", tty=True)
    assert accepted.code == 0 and "Deleted client 1 (Web); revoked 1 live token" in accepted.out
    assert run("clients", "show", cid).code == 1


def test_list_sorts_by_live_tokens_and_grants(run: CLI) -> None:
    create(run, "--name", "Idle", "--personal-access")
    busy = create(run, "--name", "Busy", "--personal-access", "--password-grant")
    add_user(run, "alice")
    argv = ["tokens", "create-pat", "--user", "alice", "--name", "t", "--client", str(busy["id"])]
    assert run(*argv).code == 0

    page = run("clients", "list", "--sort", "active_tokens", "--desc", "--json").json()
    assert [(c["name"], c["active_tokens"]) for c in page["items"]] == [("Busy", 1), ("Idle", 0)]
    page = run("clients", "list", "--sort", "grants", "--json").json()
    assert [c["name"] for c in page["items"]] == ["Idle", "Busy"]


# -- users -----------------------------------------------------------------------------------


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
    assert taken.code == 1 and "username: " in taken.error_line()
    short = run("users", "add", "carol", "--password-stdin", stdin="short\n")
    assert short.code == 1 and "password: Use at least 8 characters" in short.error_line()
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
    monkeypatch.setattr(cli, "_prompt_password", lambda prompt: next(answers))
    mismatch = run("users", "add", "alice", tty=True)
    assert mismatch.code == 1 and "differ" in mismatch.error_line()

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


# -- tokens ----------------------------------------------------------------------------------


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
        (["--expires-in", "5000"], 1, "lifetime: "),
        (["--scopes", "admin"], 1, "scopes: "),
        (["--client", "99"], 1, "client: "),
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


# -- the command itself ----------------------------------------------------------------------


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
    assert cli.main(["--db", str(tmp_path / "other.db"), "clients", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 0


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

    calls: list[tuple[object, ...]] = []
    monkeypatch.setattr(authclients.tui.app, "run_console", lambda *args: calls.append(args) or 7)
    assert cli.main(["--db", db, "--port", "9000", "--no-server"]) == 7
    assert calls == [(db, 9000, True)]


def _subprocess(*argv: str, db: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "AUTHCLIENTS_BCRYPT_ROUNDS": "4"}
    env.pop("AUTHCLIENTS_DB", None)
    return subprocess.run(
        [*argv, "--db", db],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )


def test_module_entry_point_creates_and_fails_cleanly(db: str) -> None:
    module = [sys.executable, "-m", "authclients.tui.cli"]
    argv = ["clients", "create", "--name", "Sub", "--password-grant", "--json"]
    created = _subprocess(*module, *argv, db=db)
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["secret"]

    refused = _subprocess(*module, "clients", "delete", "1", db=db)
    assert refused.returncode == 2
    assert refused.stderr.startswith("authclients: error: ") and refused.stderr.count("\n") == 1

    bad = _subprocess(*module, "clients", "create", "--name", "X", "--redirect", "ftp://x/", db=db)
    assert bad.returncode == 1
    assert bad.stderr.count("\n") == 1 and "redirect_uris: " in bad.stderr
    assert "Traceback" not in bad.stderr


def test_console_script_is_installed(db: str) -> None:
    script = Path(sys.executable).parent / "authclients"
    if not script.exists():
        pytest.skip("the authclients console script is not installed beside this Python")
    helped = _subprocess(str(script), "serve", "--help", db=db)
    assert helped.returncode == 0 and "--host" in helped.stdout

    argv = ["users", "add", "alice", "--password-stdin"]
    added = _subprocess(str(script), *argv, stdin="a long password\n", db=db)
    assert added.returncode == 0, added.stderr

    usage = _subprocess(str(script), "tokens", "purge", "--older-than", "-2", db=db)
    assert usage.returncode == 2
    assert usage.stderr.startswith("authclients: error: argument --older-than")
    assert usage.stderr.count("\n") == 1


def test_an_unopenable_database_says_what_to_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert cli.main(["--db", str(blocker / "x.db"), "clients", "list"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "that the folder is writable" in err

    # Nothing listens on port 1: the hint is about the server, and no password is shown.
    url = "postgresql://admin:s3cret-pass@127.0.0.1:1/auth"
    assert cli.main(["--db", url, "clients", "list"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the server is up" in err
    assert "s3cret-pass" not in err
