"""The event loop's own SQLite connection: never waits, never checkpoints, keeps pages."""

from __future__ import annotations

from pathlib import Path

from authclients.store import Store
from authclients.store.loop_connection import LOOP_CACHE_KIB, LoopConnection


def test_it_never_waits_never_checkpoints_and_caches_more(db_path: Path) -> None:
    store = Store.open(str(db_path))
    try:
        loop = LoopConnection.open_beside(store.db)
        assert loop is not None
        try:
            pragma = {
                name: loop.execute(f"PRAGMA {name}").fetchone()[0]
                for name in ("busy_timeout", "wal_autocheckpoint", "cache_size", "journal_mode")
            }
        finally:
            loop.close()
    finally:
        store.close()
    assert pragma == {
        "busy_timeout": 0,
        "wal_autocheckpoint": 0,
        "cache_size": -LOOP_CACHE_KIB,
        "journal_mode": "wal",
    }
