"""Shared fixtures: a real SQLite file per test, a manual clock, cheap bcrypt."""

from __future__ import annotations

import os

# bcrypt at cost 12 takes ~250 ms a hash; the rules are the same at cost 4.
os.environ.setdefault("AUTHCLIENTS_BCRYPT_ROUNDS", "4")

from pathlib import Path

import pytest

from store import Store
from store.clock import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "authclients.db"


@pytest.fixture
def store(db_path: Path, clock: ManualClock) -> Store:
    s = Store.open(str(db_path), clock=clock, actor="tester")
    yield s
    s.close()
