"""Every command in README.md runs here (or in .ci/run), so the README cannot rot.

The README's ``sh`` blocks run in one bash session per section, as a reader
would paste them, against a real database and a real ``authclients serve`` on a
free port. Placeholders the README marks (``BASE=``, ``CODE=paste-...``) get
live values; the authorization code comes from the real sign-in and consent
pages, as a browser would get it.
"""

from __future__ import annotations

import base64
import contextlib
import html
import json
import os
import pty
import re
import select
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from tests.pgserver import PostgresServer, unavailable_reason

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent
RUN_COMMAND = "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/authclients"
TEST_COMMAND = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest"

RUN_ELSEWHERE = {
    "authclients": "test_the_console_opens_and_quits_in_a_terminal",
    "authclients --demo": "tests/tui/test_demo.py (DemoConsoleApp, --demo with --db refused)",
    "authclients screenshots": "tests/tui/test_screenshots.py",
    "authclients serve": "the served fixture, and test_scaling_serve_command",
}
"""Commands that hold a terminal or run long: which test runs them instead."""

Block = tuple[str, str]
"""(section heading, the block's text)."""


def sh_blocks() -> list[Block]:
    """The ```sh blocks, each with the ## heading it sits under."""
    blocks: list[Block] = []
    section = ""
    for match in re.finditer(r"^## ([^\n]+)$|^```(\w*)\n(.*?)^```$", README, re.M | re.S):
        if match.group(1):
            section = match.group(1).strip()
        elif match.group(2) == "sh":
            blocks.append((section, match.group(3)))
    return blocks


def _command(line: str) -> str:
    return line.split("#", 1)[0].strip()


def _runnable(block: str) -> bool:
    """False for blocks made only of commands that other tests run (the console, serve)."""
    commands = [_command(line) for line in block.splitlines() if _command(line)]
    return not all(c in RUN_ELSEWHERE for c in commands)


class Shell:
    """One bash session, fed block after block, like a terminal a reader pastes into."""

    MARK = "@@readme-block-done"

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        # Any failing command ends the session, and the test shows where.
        self.run("set -euo pipefail")

    def run(self, script: str, timeout: float = 30.0) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{script}\nprintf '\\n{self.MARK}\\n'\n")
        self.proc.stdin.flush()
        out: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError(
                    f"this README block failed (exit {self.proc.wait()}):\n{script}\n"
                    f"--- its output:\n{''.join(out)}"
                )
            if line.strip() == self.MARK:
                return "".join(out)
            out.append(line)
        raise AssertionError(f"this README block did not finish in {timeout} s:\n{script}")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()  # type: ignore[union-attr]
            self.proc.wait(timeout=10)


def json_documents(text: str) -> list[dict[str, object]]:
    """The JSON objects in ``text``: curl prints them with no newline between."""
    decoder = json.JSONDecoder()
    docs = []
    index = 0
    while (start := text.find("{", index)) != -1:
        doc, index = decoder.raw_decode(text, start)
        docs.append(doc)
    return docs


def environment(db: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["AUTHCLIENTS_DB"] = db
    env.setdefault("AUTHCLIENTS_BCRYPT_ROUNDS", "4")
    return env


def serve(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    """Start ``authclients ARGS`` (a serve command); return it and the URL it printed."""
    proc = subprocess.Popen(
        [str(BIN / "authclients"), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.startswith("Listening on http://"), first + (
        proc.stderr.read() if proc.stderr else ""
    )
    return proc, first.removeprefix("Listening on ").strip()


def stop(proc: subprocess.Popen[str], url: str, issuer: str | None = None) -> None:
    """Ask it something first (it works, and its signal handlers are in place), then SIGTERM."""
    with urllib.request.urlopen(f"{url}/.well-known/oauth-authorization-server", timeout=10) as r:
        assert json.load(r)["issuer"] == (issuer or url)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """The README's ``authclients serve``, on a free port instead of 8765."""
    env = environment(str(tmp_path / "served.db"))
    proc, url = serve(["serve", "--port", "0"], env)
    yield url, env
    stop(proc, url)


# -- the set-up commands ---------------------------------------------------------------------


def test_the_two_setup_commands_are_there_exactly() -> None:
    lines = README.splitlines()
    assert RUN_COMMAND in lines and TEST_COMMAND in lines
    # .ci/run runs the first line that looks like the test command: it must be ours.
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    pattern = re.search(r'grep -m1 -E "([^"]+)" README.md', ci)
    assert pattern is not None
    first = next(line for line in lines if re.search(pattern.group(1), line))
    assert first == TEST_COMMAND


def test_every_authclients_command_is_run_somewhere() -> None:
    """Each block runs below, or each of its commands is in ``RUN_ELSEWHERE``."""
    blocks = sh_blocks()
    sections = {section for section, _ in blocks}
    assert {"Command line", "The endpoint"} <= sections
    for _, block in blocks:
        if not _runnable(block):
            for line in block.splitlines():
                assert _command(line) in RUN_ELSEWHERE, line


# -- the command line -------------------------------------------------------------------------


def test_command_line_block_runs_as_written(tmp_path: Path) -> None:
    env = environment(str(tmp_path / "unused.db"))
    shell = Shell(tmp_path, env)
    try:
        outputs = [
            shell.run(block)
            for section, block in sh_blocks()
            if section == "Command line" and _runnable(block)
        ]
    finally:
        shell.close()
    assert len(outputs) == 1
    out = outputs[0]
    # The block's own `export` chose the database, in the current folder.
    assert (tmp_path / "authclients.db").exists()
    assert "Created confidential client 1 (Web app)" in out
    assert '"name": "Nightly job"' in out and '"secret": ' in out
    assert "Created personal access token" in out
    assert '"total": 1,\n  "offset": 0,\n  "limit": 1,\n  "items": [' in out
    assert "Deleted client 4 (Nightly job)" in out


# -- the endpoint -----------------------------------------------------------------------------


def test_endpoint_examples_run_against_a_real_server(
    served: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    base, env = served
    shell = Shell(tmp_path, env)
    docs_seen: list[dict[str, object]] = []
    last_output = ""
    try:
        for section, block in sh_blocks():
            if section != "The endpoint" or not _runnable(block):
                continue
            script = _substitute(block, base, last_output)
            out = shell.run(script)
            docs = json_documents(out)
            curls = len(re.findall(r"^\s*curl |\$\(curl ", block, re.M))
            captured = len(re.findall(r"=\$\(curl ", block))
            revokes = block.count("/oauth/revoke")
            assert len(docs) == curls - captured - revokes, (block, out)
            for doc in docs:
                assert "error" not in doc, (block, doc)
            _check(block, docs, base)
            docs_seen.extend(docs)
            last_output = out
    finally:
        shell.close()
    grants = {d.get("grant_type") for d in docs_seen if "user" in d}
    assert {"password", "personal_access"} <= grants


def _substitute(block: str, base: str, previous_output: str) -> str:
    """Live values for the README's placeholders: the real port, a real code."""
    lines = []
    for line in block.splitlines():
        if line.startswith("BASE="):
            line = f"BASE={shlex.quote(base)}"
        elif line.startswith("CODE=paste-"):
            line = f"CODE={shlex.quote(_code_from_browser(previous_output, base))}"
        lines.append(line)
    return "\n".join(lines)


def _check(block: str, docs: list[dict[str, object]], base: str) -> None:
    """What each kind of example must answer, beyond "JSON without an error"."""
    if "/.well-known/" in block:
        assert docs[-1]["issuer"] == base
        assert docs[-1]["token_endpoint"] == f"{base}/oauth/token"
    if "grant_type=password" in block and "ANSWER=" not in block:
        assert docs[0]["token_type"] == "Bearer" and docs[0]["refresh_token"]
        assert docs[0]["scope"] == "read"
    if "/oauth/introspect" in block:
        active = [d["active"] for d in docs if "active" in d]
        assert active == [True, False]  # before and after the revoke
        assert any(d.get("refresh_token") for d in docs)  # the refresh answer
    if "grant_type=client_credentials" in block:
        assert docs[0]["access_token"] and "refresh_token" not in docs[0]
    if "grant_type=authorization_code" in block:
        assert docs[0]["access_token"] and docs[0]["scope"] == "read"
    if "--token-format jwt" in block:
        header = docs[0]["access_token"].split(".")[0]  # type: ignore[union-attr]
        assert json.loads(base64.urlsafe_b64decode(header + "=="))["typ"] == "at+jwt"
        assert docs[1]["keys"] and docs[-1]["jwks_uri"] == f"{base}/oauth/jwks"
    if "/api/1.0/users/me" in block:
        me = next(d for d in docs if "user" in d)
        assert me["user"]["username"] == "bob"  # type: ignore[index]


def _code_from_browser(output: str, base: str) -> str:
    """Do what the reader does in a browser: open the URL, sign in as bob, approve."""
    url = next(line.strip() for line in output.splitlines() if line.startswith(base))
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect()
    )
    page = opener.open(url, timeout=10).read().decode()
    page = _post(opener, base, page, action="sign_in", username="bob", password=PASSWORD)
    try:
        _post(opener, base, page, action="approve")
    except urllib.error.HTTPError as redirect:
        assert redirect.code == 302, redirect.read()
        location = urllib.parse.urlsplit(redirect.headers["Location"])
        query = urllib.parse.parse_qs(location.query)
        assert query["state"] == ["xyz"]
        return query["code"][0]
    raise AssertionError("approving did not redirect with a code")


PASSWORD = "correct horse battery"


def _post(opener: urllib.request.OpenerDirector, base: str, page: str, **fields: str) -> str:
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    data = {name: html.unescape(value) for name, value in hidden.items()} | fields
    body = urllib.parse.urlencode(data).encode()
    return opener.open(f"{base}/oauth/authorize", body, timeout=10).read().decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def test_scaling_serve_command(tmp_path: Path) -> None:
    """The "Past one machine" line, on a free local port, against PostgreSQL if there is one."""
    start = README.index("\nauthclients serve --host") + 1
    line = README[start : README.index("\n```", start)].replace("\\\n", " ")
    args = shlex.split(line)[1:]
    issuer = args[args.index("--public-url") + 1]
    args[args.index("--port") + 1] = "0"
    args[args.index("--host") + 1] = "127.0.0.1"  # the test listens on loopback only
    db_index = args.index("--db") + 1
    assert args[db_index].startswith("postgresql://")
    if unavailable_reason() is None:
        with PostgresServer() as server:
            _, url = server.create_database()
            args[db_index] = url
            proc, listening = serve(args, environment(url))
            stop(proc, listening, issuer)
    else:
        args[db_index] = f"sqlite:///{tmp_path / 'scaled.db'}"
        proc, listening = serve(args, environment(args[db_index]))
        stop(proc, listening, issuer)


# -- the console ------------------------------------------------------------------------------


def test_the_console_opens_and_quits_in_a_terminal(tmp_path: Path) -> None:
    """The run command's last step, `authclients`, in a real pseudo-terminal at 80x24."""
    env = environment(str(tmp_path / "console.db"))
    env["TERM"] = "xterm-256color"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pid, fd = pty.fork()
    if pid == 0:  # the child: become the console
        os.execve(str(BIN / "authclients"), ["authclients", "--port", str(port)], env)
    try:
        import fcntl
        import struct
        import termios

        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        seen = _read_until(fd, b"No clients yet", 20.0)
        assert b"No clients yet" in seen, seen[-2000:]
        os.write(fd, b"\x11")  # ctrl+q
        _read_until(fd, b"\x00never", 5.0)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.close(fd)


def _read_until(fd: int, needle: bytes, timeout: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the child closed the terminal: it exited
                break
            if not chunk:
                break
            seen += chunk
    return seen


# -- the key table ----------------------------------------------------------------------------

README_KEY_NAMES = {"escape": "esc", "question_mark": "?", "slash": "/"}


def test_key_table_lists_every_key_of_every_screen() -> None:
    from textual.binding import Binding

    from authclients.tui.app import AuthClientsApp
    from authclients.tui.screens.client_form import ClientFormScreen
    from authclients.tui.screens.clients import ClientsScreen
    from authclients.tui.screens.keys import KeysScreen
    from authclients.tui.screens.playground import PlaygroundScreen
    from authclients.tui.screens.scopes import ScopesScreen
    from authclients.tui.screens.secret_reveal import SecretRevealScreen
    from authclients.tui.screens.tokens import TokensScreen
    from authclients.tui.screens.users import UsersScreen

    rows = dict(re.findall(r"^\| ([^|]+?) \| (.+) \|$", README, re.M))
    screens = {
        "Clients": ClientsScreen,
        "Client form": ClientFormScreen,
        "Secret shown once": SecretRevealScreen,
        "Users": UsersScreen,
        "Scopes": ScopesScreen,
        "Signing keys": KeysScreen,
        "Tokens": TokensScreen,
        "Playground": PlaygroundScreen,
        "Everywhere": AuthClientsApp,
    }
    for title, screen in screens.items():
        listed = set(re.findall(r"`([^`]+)`", rows[title]))
        listed |= {part for key in listed for part in key.split("/")}
        for binding in Binding.make_bindings(screen.BINDINGS):
            if binding.description:
                key = README_KEY_NAMES.get(binding.key, binding.key)
                assert key in listed, f"README's {title} row lacks {key} ({binding.description})"
