"""Fixtures for the CLI tests: ``main()`` in-process on a real SQLite file."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from authclients.store import Store
from authclients.store.clock import ManualClock
from authclients.tui.cli import main as cli
from authclients.tui.cli import prompts
from tests.tui.cli.runner import CLI, Run


@pytest.fixture
def db(db_path: Path) -> str:
    """An existing, empty database: commands that only read refuse a missing file."""
    Store.open(str(db_path)).close()
    return str(db_path)


@pytest.fixture
def run(db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CLI:
    """``run("clients", "list", stdin="...")``: main() in-process on the test database."""

    def invoke(*argv: str, stdin: str = "", tty: bool = False) -> Run:
        capsys.readouterr()
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        monkeypatch.setattr(prompts, "stdin_is_tty", lambda: tty)
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
