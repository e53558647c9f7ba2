"""The ``scope`` parameter is scope-tokens separated by single spaces (RFC 6749 §3.3).

``str.split()`` also splits on newlines, tabs, NBSP and the C0 separators
(0x1C-0x1F), so ``scope=read%1Cwrite`` was read as ``read write`` and granted:
characters outside the scope-token set (%x21 / %x23-5B / %x5D-7E) were taken
as separators instead of being refused with ``invalid_scope``.
Real HTTP against ``authclients serve`` on a real SQLite file.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.endpoint.conftest import AUTHCLIENTS, serving

PASSWORD = "correct horse battery"


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    monkeypatch.setenv("AUTHCLIENTS_BCRYPT_ROUNDS", "4")
    db = tmp_path / "scopes.db"
    out = subprocess.run(
        [
            AUTHCLIENTS,
            "--db",
            str(db),
            "clients",
            "create",
            "--name",
            "Legacy",
            "--password-grant",
            "--scopes",
            "read write",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    secret = out.split('"secret": "', 1)[1].split('"', 1)[0]
    subprocess.run(
        [AUTHCLIENTS, "--db", str(db), "users", "add", "alice", "--password-stdin"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    with serving(db) as (_, url):
        yield url, secret


@pytest.mark.parametrize("separator", ["%0A", "%09", "%1C", "%1F", "%C2%A0", "%E2%80%83"])
def test_a_scope_holding_a_non_space_separator_is_invalid_scope(
    served: tuple[str, str], separator: str
) -> None:
    url, secret = served
    body = (
        "grant_type=password&username=alice&password=correct+horse+battery"
        f"&scope=read{separator}write"
    )
    r = requests.post(
        f"{url}/oauth/token",
        data=body,
        auth=("1", secret),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "invalid_scope", r.text


def test_single_spaces_still_separate(served: tuple[str, str]) -> None:
    url, secret = served
    r = requests.post(
        f"{url}/oauth/token",
        data={
            "grant_type": "password",
            "username": "alice",
            "password": PASSWORD,
            "scope": "write read",
        },
        auth=("1", secret),
        timeout=30,
    )
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "write read"
