"""A running ``authclients serve`` honours per-client lifetimes and picks up new defaults."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests

from authclients.tui.cli import main as cli
from tests.endpoint.conftest import serving


def _create(db: str, capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    capsys.readouterr()
    assert cli.main(["--db", db, "clients", "create", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _expires_in(url: str, client: dict) -> int:
    answer = requests.post(
        f"{url}/oauth/token",
        auth=(str(client["id"]), client["secret"]),
        data={"grant_type": "client_credentials"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["expires_in"])


def test_serve_uses_client_lifetimes_and_new_defaults_within_seconds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "live.db")
    own = _create(db, capsys, "--name", "Own", "--client-credentials", "--access-token-ttl", "5m")
    default = _create(db, capsys, "--name", "Default", "--client-credentials")
    assert own["lifetimes"]["access-token-ttl"] == "5m"
    assert default["lifetimes"]["access-token-ttl"] is None
    with serving(db) as (_proc, url):
        assert _expires_in(url, own) == 300
        assert _expires_in(url, default) == 3600
        assert cli.main(["--db", db, "settings", "set", "access-token-ttl", "15m"]) == 0
        changed = time.monotonic()
        seen = 3600
        while seen == 3600 and time.monotonic() - changed < 10:
            time.sleep(0.25)
            seen = _expires_in(url, default)
        took = time.monotonic() - changed
        assert seen == 900, "the running serve never picked up the new default"
        assert took < 6.5, f"the new default took {took:.1f} s to arrive"
        assert _expires_in(url, own) == 300  # the client's own value still wins
        # Switching the client back to the default is seen at once (it is the client's row).
        assert (
            cli.main(
                ["--db", db, "clients", "update", str(own["id"]), "--access-token-ttl", "default"]
            )
            == 0
        )
        assert _expires_in(url, own) == 900
