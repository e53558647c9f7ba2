"""``authclients registration``, ``resources`` and ``clients enable|disable`` end to end."""

from __future__ import annotations

from collections.abc import Callable

from authclients.store import Store, crypto
from authclients.store.models import InitialAccessToken, ResourceServer
from tests.tui.cli.runner import CLI, create


def test_registration_mode_and_initial_tokens(run: CLI, open_store: Callable[..., Store]) -> None:
    shown = run("registration", "mode", "--json").json()
    assert shown == {"mode": "off", "start_disabled": False, "registered_clients": 0, "cap": 100}
    out = run("registration", "mode", "token", "--start-disabled").out
    assert "Registration: token (new clients start disabled)" in out
    assert "No usable initial access token yet" in out
    bad = run("registration", "mode", "sometimes")
    assert bad.code == 2 and "invalid choice" in bad.error_line()

    created = run("registration", "token", "create", "--expires-in", "1d", "--uses", "2", "--json")
    body = created.json()
    token = body["token"]
    assert body["uses_left"] == 2 and body["expires_at"]
    row = InitialAccessToken.get()
    assert row.token_hash == crypto.digest(token) and token not in str(row.__data__)
    listed = run("registration", "token", "list")
    assert token not in listed.out and f"…{token[-4:]}" in listed.out and "usable" in listed.out
    assert run("registration", "token", "revoke", str(body["id"])).code == 0
    assert "revoked" in run("registration", "token", "list").out
    assert not open_store().registrations.token_usable(token)
    for argv in (["--uses", "0"], ["--expires-in", "0d"], ["--expires-in", "soon"]):
        refused = run("registration", "token", "create", *argv)
        assert refused.code == 2, argv
    missing = run("registration", "token", "revoke", "99")
    assert missing.code == 1 and "registration token list" in missing.error_line()
    assert InitialAccessToken.select().count() == 1


def test_resources_add_list_delete(run: CLI) -> None:
    rs = create(run, "--name", "RS", "--client-credentials")
    public = create(run, "--name", "SPA", "--redirect", "https://a.example.com/cb", "--public")
    out = run(
        "resources", "add", "http://127.0.0.1:8000/mcp", "--name", "MCP", "--client", str(rs["id"])
    )
    assert out.code == 0 and "Defined resource server http://127.0.0.1:8000/mcp" in out.out
    for uri, why in (
        ("https://api.example.com#x", "fragment"),
        ("http://api.example.com", "loopback"),
        ("/relative", "absolute"),
        ("https://api.example.com/\x1b[2J", "control"),
        ("http://127.0.0.1:8000/mcp", "already defined"),
    ):
        refused = run("resources", "add", uri)
        # A value the store refuses is a usage error (exit 2), as everywhere in the CLI.
        assert refused.code == 2 and why in refused.error_line(), (uri, refused.err)
        assert "\x1b" not in refused.err
    refused = run("resources", "add", "https://b.example.com", "--client", str(public["id"]))
    assert refused.code == 2 and "public" in refused.error_line()
    listed = run("resources", "list", "--json").json()
    assert [(r["uri"], r["introspection_client"]) for r in listed["items"]] == [
        ("http://127.0.0.1:8000/mcp", rs["id"])
    ]
    assert run("resources", "delete", "http://127.0.0.1:8000/mcp").code == 2  # not a terminal
    assert run("resources", "delete", "http://127.0.0.1:8000/mcp", "--yes").code == 0
    assert ResourceServer.select().count() == 0
    assert run("resources", "delete", "http://x", "--yes").code == 1


def test_a_name_with_escapes_is_shown_visibly(run: CLI, open_store: Callable[..., Store]) -> None:
    store = open_store()
    ResourceServer.insert(
        uri="https://evil.example.com", name="ok\x1b]52;c;Zm9v\x07", created_at=store.clock.now()
    ).execute()
    out = run("resources", "list").out
    assert "\x1b" not in out and "\x07" not in out and "␛" in out


def test_clients_disable_and_enable(run: CLI, open_store: Callable[..., Store]) -> None:
    client = create(run, "--name", "Job", "--client-credentials")
    store = open_store()
    info = store.clients.get(client["id"])
    store.tokens.issue(info, grant_type="client_credentials")
    out = run("clients", "disable", str(client["id"]))
    assert out.code == 0 and "1 live token revoked" in out.out
    shown = run("clients", "show", str(client["id"]), "--json").json()
    assert (
        shown["disabled"] is True and shown["registered"] is False and shown["active_tokens"] == 0
    )
    assert open_store().clients.authenticate(client["id"], client["secret"]) is None
    assert run("clients", "enable", str(client["id"])).code == 0
    assert open_store().clients.authenticate(client["id"], client["secret"]) is not None
