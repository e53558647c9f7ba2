"""How the CLI tests run ``authclients``: in-process results, JSON helpers, a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


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


def create(run: CLI, *argv: str) -> dict:
    result = run("clients", "create", *argv, "--json")
    assert result.code == 0, result.err
    return result.json()


def add_user(run: CLI, name: str, password: str = "correct horse") -> None:
    result = run("users", "add", name, "--password-stdin", stdin=password + "\n")
    assert result.code == 0, result.err


def run_subprocess(
    *argv: str, db: str, stdin: str | None = None, text: bool = True
) -> subprocess.CompletedProcess:
    """``argv --db db`` as a child process, with cheap bcrypt and no inherited database.

    ``text=False`` keeps stdout and stderr as the exact bytes written.
    """
    env = {**os.environ, "AUTHCLIENTS_BCRYPT_ROUNDS": "4"}
    env.pop("AUTHCLIENTS_DB", None)
    return subprocess.run(
        [*argv, "--db", db],
        input=stdin if text or stdin is None else stdin.encode(),
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=text,
        cwd=REPO,
        env=env,
        timeout=60,
    )
