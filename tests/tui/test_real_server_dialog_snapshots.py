"""Snapshots of the playground's dialogs for other servers, at 80x24 and 120x40: the key
pair's public JWKS and naming a saved target.

Regenerate after an intended change of looks:
    .venv/bin/python -m pytest tests/tui/test_real_server_dialog_snapshots.py --snapshot-update
"""

from __future__ import annotations

import json

import pytest
from textual.pilot import Pilot

from authclients.store import Store
from authclients.tui.app import AuthClientsApp
from authclients.tui.screens.public_key import PublicKeyScreen
from authclients.tui.screens.save_target import SaveTargetScreen
from tests.tui.test_snapshots import SIZES, demo_store, fixed_secrets

__all__ = ["demo_store", "fixed_secrets"]  # fixtures, used by name

# A fixed public key, so the picture does not change with each run's random pair.
JWKS = json.dumps(
    {
        "keys": [
            {
                "crv": "P-256",
                "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
                "kty": "EC",
                "alg": "ES256",
                "use": "sig",
                "kid": "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
            }
        ]
    },
    indent=2,
)


@pytest.mark.parametrize("size", SIZES)
def test_public_key(snap_compare, demo_store: Store, make_app, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        await pilot.pause()
        pilot.app.push_screen(PublicKeyScreen("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", JWKS))
        await pilot.pause()

    app: AuthClientsApp = make_app()
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("keeps", [True, False], ids=["keyring", "no_keyring"])
def test_save_target(snap_compare, demo_store: Store, make_app, size, keeps: bool) -> None:
    async def run_before(pilot: Pilot) -> None:
        await pilot.pause()
        pilot.app.push_screen(SaveTargetScreen("id.example.com · cli", keeps_secrets=keeps))
        await pilot.pause()

    app: AuthClientsApp = make_app()
    assert snap_compare(app, terminal_size=size, run_before=run_before)
