"""Hostile rows written with raw SQL never reach the admin's terminal as escape sequences.

A row written behind the store's back (raw SQL, a shared PostgreSQL, an older
version) may carry OSC 52 (writes the clipboard), OSC 0 (retitles the window),
CSI (clears the screen), a C1 CSI or a bidi override. Every command is run as
a child process and the very bytes it writes are checked.
"""

from __future__ import annotations

import json
import os
import pty
import select
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from authclients.store import Store
from authclients.store.clock import ManualClock
from authclients.store.jwt_tokens import OIDC_SCOPES
from tests.tui.cli.runner import REPO, run_subprocess

OSC52 = "\x1b]52;c;cHduZWQ=\x07"
TITLE = "\x1b]0;PWNED\x07"
CLEAR = "\x1b[2J"
C1_CSI = "\x9b31m"
RLO = "\u202e"

CLIENT_NAME = f"Web{TITLE}{C1_CSI}app"
REDIRECT = f"https://app.example/cb{OSC52}"
SCOPES = f"read{CLEAR} wr{RLO}ite"
USERNAME = f"al{TITLE}ice{RLO}"
TOKEN_NAME = f"lap{OSC52}top{C1_CSI}"
SCOPE_NAME = f"sc{TITLE}ope{C1_CSI}"

MODULE = (sys.executable, "-m", "authclients.tui.cli")
UNSAFE = [chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0))] + [
    chr(c) for c in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
]
"""Every control a terminal could obey: C0 but newline and tab, DEL, C1, bidi marks."""


def assert_terminal_safe(data: bytes, where: str) -> None:
    assert b"\x1b" not in data, (where, data)
    assert b"\x07" not in data, (where, data)
    text = data.decode("utf-8")  # a lone C1 byte would not even decode
    found = sorted({f"U+{ord(ch):04X}" for ch in text if ch in UNSAFE})
    assert not found, (where, found, text)


@pytest.fixture
def hostile_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Client 1, user 1 and two personal tokens (one long dead), then hostile text by raw SQL."""
    monkeypatch.setenv("AUTHCLIENTS_BCRYPT_ROUNDS", "4")
    path = tmp_path / "hostile.db"
    past = Store.open(str(path), clock=ManualClock(datetime.now(UTC) - timedelta(days=30)))
    try:
        past.clients.create(
            "Web", ["https://app.example/cb"], authorization_code=True, personal_access=True
        )
        past.users.add("alice", "a long password")
        past.tokens.create_personal_access_token("alice", "old", lifetime=timedelta(days=1))
    finally:
        past.close()
    store = Store.open(str(path))
    try:
        store.tokens.create_personal_access_token("alice", "laptop", scopes="")
    finally:
        store.close()
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE client SET name = ?, redirect_uris = ?, scopes = ?",
            (CLIENT_NAME, REDIRECT, SCOPES),
        )
        db.execute('UPDATE "user" SET username = ?', (USERNAME,))
        db.execute("UPDATE access_token SET name = ?, scopes = ?", (TOKEN_NAME, SCOPES))
        db.execute(
            "INSERT INTO scope (name, description, created_at) VALUES (?, ?, 0)",
            (SCOPE_NAME, f"what{OSC52}it does"),
        )
    return str(path)


def run_raw(db: str, *argv: str) -> tuple[int, bytes, bytes]:
    """The command as a child process; its exact stdout and stderr bytes."""
    done = run_subprocess(*MODULE, *argv, db=db, text=False)
    return done.returncode, done.stdout, done.stderr


HUMAN_COMMANDS = [
    ["clients", "list"],
    ["clients", "show", "1"],
    ["users", "list"],
    ["tokens", "list"],
    ["tokens", "purge", "--older-than", "0", "--dry-run"],
    ["tokens", "revoke", "2"],
    ["clients", "rotate-secret", "1"],
    ["users", "deactivate", USERNAME],
    ["users", "unlock", USERNAME],
    ["scopes", "list"],
    ["tokens", "revoke", "--user", USERNAME],
    ["clients", "delete", "1", "--yes"],
]


@pytest.mark.parametrize("argv", HUMAN_COMMANDS, ids=lambda argv: " ".join(argv[:2]))
def test_human_output_shows_controls_instead_of_sending_them(
    hostile_db: str, argv: list[str]
) -> None:
    code, out, err = run_raw(hostile_db, *argv)
    assert code == 0, err
    assert_terminal_safe(out, "stdout")
    assert_terminal_safe(err, "stderr")
    # The client's or user's name is still there for the admin to see, made visible.
    assert "␛]0;PWNED␇" in out.decode(), out.decode()


def test_show_lists_every_hostile_field_visibly(hostile_db: str) -> None:
    code, out, _ = run_raw(hostile_db, "clients", "show", "1")
    text = out.decode()
    assert code == 0
    assert "Web␛]0;PWNED␇<U+009B>31mapp" in text
    assert "https://app.example/cb␛]52;c;cHduZWQ=␇" in text
    assert "read␛[2J" in text and "wr<U+202E>ite" in text


JSON_COMMANDS = [
    (["clients", "list", "--json"], lambda body: body["items"][0]["name"], CLIENT_NAME),
    (["clients", "show", "1", "--json"], lambda body: body["redirect_uris"][0], REDIRECT),
    (["users", "list", "--json"], lambda body: body["items"][0]["username"], USERNAME),
    (["tokens", "list", "--json"], lambda body: body["items"][0]["name"], TOKEN_NAME),
    (
        ["scopes", "list", "--json"],
        # OpenID Connect's scopes are defined in every database (version 7): skip them.
        lambda body: next(i["name"] for i in body["items"] if i["name"] not in OIDC_SCOPES),
        SCOPE_NAME,
    ),
    (
        ["tokens", "purge", "--older-than", "0", "--dry-run", "--json"],
        lambda body: body["access_tokens"][0]["client_name"],
        CLIENT_NAME,
    ),
]


@pytest.mark.parametrize(
    ("argv", "pick", "expected"),
    JSON_COMMANDS,
    ids=[" ".join(argv[:2]) for argv, _, _ in JSON_COMMANDS],
)
def test_json_escapes_every_control_and_keeps_the_values(
    hostile_db: str, argv: list[str], pick: object, expected: str
) -> None:
    code, out, err = run_raw(hostile_db, *argv)
    assert code == 0, err
    assert_terminal_safe(out, "stdout")
    body = json.loads(out)
    assert pick(body) == expected  # type: ignore[operator]
    assert "\\u009b" in out.decode() or "\\u202e" in out.decode()


def test_list_envelopes_page_with_the_total(hostile_db: str) -> None:
    for argv in (["clients", "list"], ["users", "list"], ["tokens", "list"]):
        code, out, err = run_raw(hostile_db, *argv, "--limit", "1", "--offset", "1", "--json")
        assert code == 0, err
        body = json.loads(out)
        assert list(body) == ["total", "offset", "limit", "items"], argv
        assert body["offset"] == 1 and body["limit"] == 1
    tokens = json.loads(run_raw(hostile_db, "tokens", "list", "--limit", "1", "--json")[1])
    assert tokens["total"] == 2 and len(tokens["items"]) == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["clients", "create", "--name", "X", "--client-credentials", "--scopes", "read \x1b[31mw"],
        ["clients", "create", "--name", f"X{TITLE}", "--redirect", f"https://a.example/{OSC52}"],
        ["clients", "update", "1", "--remove-redirect", f"https://gone.example/{TITLE}"],
        ["clients", "update", "1", "--personal-access"],  # the stored values are refused
        ["tokens", "list", "--user", f"nobody{TITLE}{RLO}"],
        ["tokens", "list", "--state", f"gone{CLEAR}{C1_CSI}"],
        ["clients", "list", "--sort", f"name{TITLE}"],
        ["clients", "list", f"--bogus{CLEAR}{RLO}"],
        ["users", "passwd", f"nobody{OSC52}", "--password-stdin"],
        ["tokens", "create-pat", "--user", USERNAME, "--name", "x", "--scopes", f"a{C1_CSI}"],
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_errors_that_echo_input_are_terminal_safe(hostile_db: str, argv: list[str]) -> None:
    code, out, err = run_raw(hostile_db, *argv)
    assert code in (1, 2)
    assert out == b""
    assert err.startswith(b"authclients: error: ") and err.count(b"\n") == 1, err
    assert_terminal_safe(err, "stderr")


def test_a_real_terminal_receives_no_escape_sequence(hostile_db: str) -> None:
    """``clients list`` and ``tokens list`` with stdout and stderr on a pseudo-terminal."""
    env = {**os.environ, "AUTHCLIENTS_BCRYPT_ROUNDS": "4"}
    env.pop("AUTHCLIENTS_DB", None)
    for argv in (["clients", "list"], ["tokens", "list"], ["users", "list"]):
        pid, fd = pty.fork()
        if pid == 0:  # the child: its stdin, stdout and stderr are the terminal
            os.chdir(REPO)
            os.execve(sys.executable, [*MODULE, *argv, "--db", hostile_db], env)
        seen = b""
        try:
            while True:
                ready, _, _ = select.select([fd], [], [], 30)
                if not ready:
                    break
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
        finally:
            _, status = os.waitpid(pid, 0)
            os.close(fd)
        assert os.waitstatus_to_exitcode(status) == 0, seen
        assert b"PWNED" in seen, seen  # the row was printed, made visible
        assert_terminal_safe(seen.replace(b"\r\n", b"\n"), " ".join(argv))
