"""Text the playground puts into its own input fields is shown safely too.

Textual's ``Input`` draws its value as it is: an ESC in it goes to the
terminal. The playground fills the redirect URL from the client's stored row
(raw SQL can write an escape there), so it must not put the raw value in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.widgets import Input

from authclients.store import Store
from authclients.tui.app import AuthClientsApp
from authclients.tui.screens.playground import PlaygroundScreen
from tests.tui.hostile_rows import screen_text, unsafe_characters, write_hostile_rows
from tests.tui.test_playground_terminal_safety import _idle


async def test_a_stored_redirect_url_is_not_drawn_raw(
    store: Store, db_path: Path, make_app: Callable[..., AuthClientsApp]
) -> None:
    rows = write_hostile_rows(store, db_path)
    client = store.clients.get(rows.client_id)
    app = make_app()
    async with app.run_test(size=(140, 50)) as pilot:
        await pilot.pause()
        app.open_playground(client)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PlaygroundScreen)
        await _idle(pilot, screen)
        screen.select_grant("authorization_code")
        await pilot.pause()
        field = screen.query_one("#pg-redirect-uri", Input)
        assert field.value.startswith("https://app.example/cb")
        drawn = "".join(field.render_line(y).text for y in range(field.size.height))
        assert unsafe_characters(drawn) == [], drawn
        assert unsafe_characters(screen_text(app.export_screenshot())) == []
