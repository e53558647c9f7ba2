"""The console over PostgreSQL: the same app and store calls, a real server, a real endpoint.

The console's own tests run on SQLite; this flow proves nothing in it is SQLite-bound.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import requests

from authclients.store import Store
from authclients.store.endpoint import TokenEndpoint
from authclients.tui.app import create_app
from authclients.tui.clipboard import Clipboard
from authclients.tui.screens.secret_reveal import SecretRevealScreen
from tests.backends import POSTGRESQL
from tests.tui.conftest import FakeLocalClipboard, screen_text, settle, type_text
from tests.tui.test_clients import fill_new_client

pytestmark = pytest.mark.postgresql


@pytest.fixture
def backend() -> str:
    return POSTGRESQL


@pytest.fixture
def endpoint(store: Store) -> Iterator[TokenEndpoint]:
    ep = TokenEndpoint(store, port=0)
    ep.start()
    yield ep
    ep.stop()


def test_create_filter_and_use_a_client_from_the_console(
    store: Store, endpoint: TokenEndpoint
) -> None:
    store.clients.create("Batch job", client_credentials=True)
    store.clients.create("Legacy portal", password=True)

    async def flow() -> None:
        app = create_app(
            store,
            endpoint=endpoint,
            clipboard=Clipboard(FakeLocalClipboard(), over_ssh=False),
        )
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert "Batch job" in screen_text(app) and "Legacy portal" in screen_text(app)
            await fill_new_client(pilot, "Web App", "", ("client_credentials",))
            await pilot.press("ctrl+s")
            await settle(pilot)
            reveal = app.screen
            assert isinstance(reveal, SecretRevealScreen)
            secret = reveal.reveal.secret
            await pilot.press("escape")
            await settle(pilot)
            # The name filter is case-insensitive on PostgreSQL too (ILIKE, not LIKE).
            await pilot.press("slash")
            await type_text(pilot, "WEB")
            await settle(pilot)
            shown = screen_text(app)
            assert "Web App" in shown and "Batch job" not in shown
        created = store.clients.list("web").items
        assert [c.name for c in created] == ["Web App"]
        # The endpoint beside the console issues tokens to it from the same database.
        answer = await asyncio.to_thread(
            requests.post,
            f"{endpoint.url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(str(created[0].id), secret or ""),
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        assert store.tokens.find(answer.json()["access_token"]) is not None

    asyncio.run(flow())
