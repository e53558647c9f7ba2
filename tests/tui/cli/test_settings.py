"""``authclients settings`` and the clients' lifetime options."""

from __future__ import annotations

from tests.tui.cli.runner import CLI, create


def test_settings_show_lists_every_default_with_its_range(run: CLI) -> None:
    shown = run("settings", "show")
    assert shown.code == 0
    lines = shown.out.splitlines()
    assert lines[0].split() == ["KEY", "VALUE", "ALLOWED", "WHAT"]
    assert lines[1].split()[:3] == ["access-token-ttl", "1h", "(built-in)"]
    assert "1m to 30d" in lines[1]
    assert "auth-code-ttl" in lines[4] and "1m to 10m" in lines[4]
    body = run("settings", "show", "--json").json()
    assert body["personal-token-ttl"] == {
        "value": "1y",
        "default": True,
        "built_in": "1y",
        "min": "1d",
        "max": "10y",
    }


def test_settings_set_changes_the_default_and_back(run: CLI) -> None:
    done = run("settings", "set", "refresh-token-ttl", "14d")
    assert done.code == 0 and "Refresh tokens now live 2w by default" in done.out
    assert run("settings", "show", "--json").json()["refresh-token-ttl"]["value"] == "2w"
    back = run("settings", "set", "refresh-token-ttl", "default", "--json").json()
    assert back["value"] == "30d" and back["default"] is True


def test_settings_set_refuses_bad_values_with_the_range_and_exit_2(run: CLI) -> None:
    for value, says in (
        ("0m", "At least 1m (from 1m to 30d)"),
        ("45d", "At most 30d (from 1m to 30d)"),
        ("soon", "Give a number and a unit"),
        ("never", "'never' is not allowed here"),
        ("", "give a value for access-token-ttl"),
    ):
        refused = run("settings", "set", "access-token-ttl", value)
        assert refused.code == 2, value
        assert says in refused.error_line()
    unknown = run("settings", "set", "token-ttl", "1h")
    assert unknown.code == 2 and "invalid choice" in unknown.error_line()
    assert run("settings", "show", "--json").json()["access-token-ttl"]["default"] is True


def test_client_lifetime_options_show_list_and_update(run: CLI) -> None:
    own = create(run, "--name", "Short", "--password-grant", "--access-token-ttl", "10m")
    plain = create(run, "--name", "Plain", "--password-grant")
    assert own["lifetimes"] == {
        "access-token-ttl": "10m",
        "refresh-token-ttl": None,
        "personal-token-ttl": None,
        "auth-code-ttl": None,
    }
    listed = run("clients", "list").out.splitlines()
    assert "⧗ Short" in listed[1] and "⧗" not in listed[2]
    assert listed[-1].startswith("⧗ its own token lifetimes")
    shown = run("clients", "show", str(own["id"])).out
    assert "access tokens           10m (this client's own)" in shown
    assert "refresh tokens          30d (default)" in shown

    refused = run("clients", "update", str(plain["id"]), "--auth-code-ttl", "1h")
    assert refused.code == 2 and "auth-code-ttl: At most 10m" in refused.error_line()
    bad_create = run(
        "clients", "create", "--name", "X", "--password-grant", "--refresh-token-ttl", "1"
    )
    assert bad_create.code == 2 and "refresh-token-ttl: Give a number and a unit" in bad_create.err
    assert run("clients", "list", "--json").json()["total"] == 2

    back = run(
        "clients", "update", str(own["id"]), "--access-token-ttl", "default", "--json"
    ).json()
    assert back["lifetimes"]["access-token-ttl"] is None
    assert "⧗" not in run("clients", "list").out
