"""A symbolic link swapped in at the database path after its checks, before SQLite opens
it, must not be followed: SQLite opens by name, so the checks alone leave a window.

The swap is made certain by wrapping the checks (``_prepare_file``): right after
they pass, the file is replaced by a link to a victim file, as another user who
can write the folder would do. The victim must stay untouched.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from authclients.store import Store, StoreError
from authclients.store import db as db_module

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the opened file is checked via /proc"
)


@pytest.mark.parametrize("existing", [True, False])
def test_a_link_swapped_in_after_the_checks_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, existing: bool
) -> None:
    path = tmp_path / "auth.db"
    if existing:
        Store.open(str(path)).close()
    victim = tmp_path / "victim"
    victim.write_bytes(b"")
    checks = db_module._prepare_file

    def checks_then_swap(p: Path) -> None:
        checks(p)
        os.replace(p, tmp_path / "moved-away.db")
        os.symlink(victim, p)

    monkeypatch.setattr(db_module, "_prepare_file", checks_then_swap)
    with pytest.raises(StoreError, match=r"symbolic link|changed"):
        Store.open(str(path)).close()
    assert victim.read_bytes() == b"", "SQLite wrote through the swapped-in link"
