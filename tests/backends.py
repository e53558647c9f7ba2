"""The database backends the store and endpoint tests run on, for ``params=BACKENDS``."""

from __future__ import annotations

import pytest

SQLITE = "sqlite"
POSTGRESQL = "postgresql"

BACKENDS = [
    pytest.param(SQLITE, id=SQLITE),
    pytest.param(POSTGRESQL, id=POSTGRESQL, marks=pytest.mark.postgresql),
]
"""A folder's conftest parametrizes its ``backend`` fixture with these."""
