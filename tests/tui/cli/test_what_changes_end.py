"""The CLI side of issue 11: scopes, unlock, and every change saying what it ended."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from authclients.store import Store
from authclients.store.models import User
from authclients.store.ratelimit import RateLimiter
from authclients.store.records import GRANT_CLIENT_CREDENTIALS, GRANT_PASSWORD
from tests.tui.cli.runner import CLI, add_user, create

PASSWORD = "correct horse"


def test_scopes_list_add_delete(run: CLI, open_store: Callable[..., Store]) -> None:
    # A new database knows OpenID Connect's scopes; an admin may forget them like any other.
    assert "3 scopes" in run("scopes", "list").out
    for name in ("email", "openid", "profile"):
        assert run("scopes", "delete", name, "--yes").code == 0
    assert "No scopes yet" in run("scopes", "list").out
    added = run("scopes", "add", "users:read", "--description", "Read user accounts", "--json")
    assert added.code == 0 and added.json()["name"] == "users:read"
    assert (
        run("scopes", "add", "users:read")
        .error_line()
        .endswith("name: Scope 'users:read' is already defined")
    )
    bad = run("scopes", "add", "two words")
    assert bad.code == 2 and "name: " in bad.error_line()

    created = create(run, "--name", "Cron", "--client-credentials", "--scopes", "users:read write")
    assert created["scopes_defined"] == ["write"]
    listed = run("scopes", "list", "--json").json()
    assert set(listed) == {"total", "offset", "limit", "items"}
    assert listed["total"] == 2
    assert [(s["name"], s["clients"]) for s in listed["items"]] == [
        ("users:read", [created["id"]]),
        ("write", [created["id"]]),
    ]
    table = run("scopes", "list").out
    assert "Read user accounts" in table and "2 scopes" in table
    page = run("scopes", "list", "--limit", "1", "--offset", "1", "--json").json()
    assert [s["name"] for s in page["items"]] == ["write"] and page["total"] == 2

    # Refused while a client lists it, and why.
    listed_by = run("scopes", "delete", "write", "--yes")
    assert listed_by.code == 2
    assert f"listed by client {created['id']}: remove it from them first" in listed_by.err
    # Not on a terminal: --yes, as every delete.
    run("clients", "update", str(created["id"]), "--scopes", "users:read")
    assert run("scopes", "delete", "write").code == 2
    deleted = run("scopes", "delete", "write", "--yes")
    assert deleted.code == 0 and "Deleted scope write" in deleted.out
    missing = run("scopes", "delete", "write", "--yes")
    assert missing.error_line().endswith("(see `authclients scopes list`)")


def test_create_and_update_say_which_scopes_they_defined(run: CLI) -> None:
    run("scopes", "add", "read")
    human = run("clients", "create", "--name", "Web", "--password-grant", "--scopes", "read x y")
    assert "Defined new scopes: x y (see `authclients scopes list`)." in human.out
    cid = human.out.split("client_id:")[1].split()[0]
    again = run("clients", "update", cid, "--scopes", "read x y z")
    assert "Defined new scope: z " in again.out
    quiet = run("clients", "update", cid, "--name", "Web 2")
    assert "Defined new" not in quiet.out


def test_a_personal_token_for_an_undefined_scope_is_refused(run: CLI) -> None:
    add_user(run, "alice", PASSWORD)
    create(run, "--name", "PAT", "--personal-access")
    refused = run(
        "tokens", "create-pat", "--user", "alice", "--name", "laptop", "--scopes", "admin"
    )
    assert refused.code == 2
    assert "scopes: Not a defined scope: admin" in refused.error_line()
    run("scopes", "add", "admin")
    ok = run(
        "tokens", "create-pat", "--user", "alice", "--name", "laptop", "--scopes", "admin", "--json"
    )
    assert ok.code == 0, ok.err


def _tokens_of_alice(store: Store, client_id: int) -> None:
    client = store.clients.get(client_id)
    user = store.users.get("alice")
    for _ in range(2):
        store.tokens.issue(client, grant_type=GRANT_PASSWORD, user_id=user.id, with_refresh=True)
    store.tokens.create_personal_access_token("alice", "laptop", client_id=client_id)


def test_passwd_and_deactivate_print_what_they_ended(
    run: CLI, open_store: Callable[..., Store]
) -> None:
    add_user(run, "alice", PASSWORD)
    cid = create(run, "--name", "Web", "--password-grant", "--personal-access")["id"]
    store = open_store()
    _tokens_of_alice(store, cid)

    kept = run(
        "users",
        "passwd",
        "alice",
        "--password-stdin",
        "--keep-personal-tokens",
        stdin="new pw 123\n",
    )
    assert kept.code == 0, kept.err
    assert kept.out.strip() == (
        "Set the password of alice; ended 2 access tokens and 2 refresh tokens; "
        "kept 1 personal access token; their browser sessions ended."
    )
    assert store.users.list("alice")[0].active_tokens == 1

    deactivated = run("users", "deactivate", "alice", "--json").json()
    assert deactivated["active"] is False
    assert deactivated["ended"] == {
        "access_tokens": 1,
        "refresh_tokens": 0,
        "auth_codes": 0,
        "personal_tokens_kept": 0,
    }


def test_delete_asks_with_what_it_ends_and_prints_it(
    run: CLI, open_store: Callable[..., Store]
) -> None:
    add_user(run, "alice", PASSWORD)
    cid = create(run, "--name", "Web", "--password-grant", "--personal-access")["id"]
    _tokens_of_alice(open_store(), cid)
    asked = run("users", "delete", "alice", tty=True, stdin="n\n")
    assert asked.code == 1
    assert "It ends 3 access tokens and 2 refresh tokens." in asked.err
    done = run("users", "delete", "alice", "--yes")
    assert done.out.strip() == "Deleted user alice; ended 3 access tokens and 2 refresh tokens."


def test_rotate_secret_asks_when_it_ends_tokens_and_says_what_it_ended(
    run: CLI, open_store: Callable[..., Store]
) -> None:
    body = create(run, "--name", "Cron", "--client-credentials")
    store = open_store()
    store.tokens.issue(store.clients.get(body["id"]), grant_type=GRANT_CLIENT_CREDENTIALS)

    refused = run("clients", "rotate-secret", str(body["id"]))
    assert refused.code == 2 and "pass --yes" in refused.error_line()
    asked = run("clients", "rotate-secret", str(body["id"]), tty=True, stdin="no\n")
    assert asked.code == 1 and "the secret is unchanged" in asked.err
    assert "this ends 1 access token." in asked.err
    assert store.clients.authenticate(body["id"], body["secret"]) is not None

    rotated = run("clients", "rotate-secret", str(body["id"]), tty=True, stdin="y\n")
    assert rotated.code == 0
    assert "The old secret ended 1 access token." in rotated.out
    assert store.clients.authenticate(body["id"], body["secret"]) is None
    # Nothing left to end: no question.
    again = run("clients", "rotate-secret", str(body["id"]), "--json")
    assert again.code == 0 and again.json()["ended"]["access_tokens"] == 0


def test_switching_a_grant_off_asks_and_says_what_it_ended(
    run: CLI, open_store: Callable[..., Store]
) -> None:
    add_user(run, "alice", PASSWORD)
    cid = create(run, "--name", "Web", "--password-grant", "--personal-access")["id"]
    _tokens_of_alice(open_store(), cid)

    refused = run("clients", "update", str(cid), "--no-password-grant")
    assert refused.code == 2 and "pass --yes" in refused.error_line()
    assert open_store().clients.get(cid).password is True
    asked = run("clients", "update", str(cid), "--no-password-grant", tty=True, stdin="\n")
    assert asked.code == 1 and "nothing was changed" in asked.err
    assert "Switching the password grant off ends 2 access tokens and 2 refresh tokens" in (
        asked.err
    )
    done = run("clients", "update", str(cid), "--no-password-grant", "--yes")
    assert done.code == 0
    assert (
        "Switching the password grant off ended 2 access tokens and 2 refresh tokens." in done.out
    )
    # A change that ends nothing asks nothing.
    assert run("clients", "update", str(cid), "--name", "Web 2").code == 0


def test_users_unlock_and_list_shows_locked(run: CLI, open_store: Callable[..., Store]) -> None:
    add_user(run, "alice", PASSWORD)
    add_user(run, "bob", PASSWORD)
    store = open_store()
    limiter = RateLimiter(store, lock_after=5, window=timedelta(0))
    for _ in range(5):
        limiter.record_password_failure("alice")
    assert User.get(User.username == "alice").locked_at is not None

    listed = run("users", "list")
    line = next(row for row in listed.out.splitlines() if row.startswith("alice"))
    assert "active, locked" in line
    items = run("users", "list", "--json").json()["items"]
    assert [(u["username"], u["locked"]) for u in items] == [("alice", True), ("bob", False)]

    unlocked = run("users", "unlock", "alice")
    assert unlocked.out.strip() == "Unlocked alice; they may sign in again."
    row = User.get(User.username == "alice")
    assert (row.locked_at, row.failure_runs) == (None, 0)
    assert run("users", "unlock", "bob", "--json").json()["was_locked"] is False
    assert (
        run("users", "unlock", "nobody")
        .error_line()
        .endswith("user nobody not found (see `authclients users list`)")
    )
