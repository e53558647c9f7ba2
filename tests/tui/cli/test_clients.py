"""``authclients clients`` end to end, against a real SQLite file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from authclients.store import Store
from authclients.tui.cli import main as cli
from tests.tui.cli.runner import CLI, add_user, create


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
    assert result.code == 2
    assert expected in result.error_line()
    assert result.out == ""


def test_every_field_error_on_the_one_line(run: CLI) -> None:
    result = run("clients", "create", "--name", "", "--redirect", "file:///x", "--public")
    line = result.error_line()
    assert result.code == 2
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
    assert refused.code == 2 and "public: " in refused.error_line()

    client = run("clients", "update", cid, "--public", "--no-password-grant", "--json").json()
    assert client["public"] is True and client["secret_hint"] == ""

    human = run("clients", "update", cid, "--no-public")
    assert human.code == 0
    assert f"authclients clients rotate-secret {cid}" in human.out


@pytest.mark.parametrize(
    ("flags", "code", "expected"),
    [
        ([], 2, "nothing to change"),
        (["--no-authorization-code"], 2, "grants: Enable at least one grant type"),
        (["--remove-redirect", "https://gone.example/cb"], 2, "is not a redirect URL"),
        (["--redirect", "https://x.example/cb", "--clear-redirects"], 2, "not allowed with"),
        (["--redirect", "https://x.example/cb#frag"], 2, "redirect_uris: "),
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
    assert refused.code == 2 and "public: " in refused.error_line()


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
