"""A client's name is shown literally in the playground's client picker.

The store lets a name hold brackets (``[link=...]`` is no control character),
and a ``Select`` reads a ``str`` prompt as markup: the name became a link.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Select, Static
from textual.widgets._select import SelectOverlay

from authclients.store import Store
from authclients.tui.app import AuthClientsApp
from authclients.tui.screens.playground import PlaygroundScreen
from tests.tui.test_playground_terminal_safety import _idle

NAME = "[link=https://evil.example/]Web[/link][reverse]"


async def test_the_client_picker_shows_a_name_literally(
    store: Store, make_app: Callable[..., AuthClientsApp]
) -> None:
    client = store.clients.create(NAME, client_credentials=True).client
    store.clients.create("Other", client_credentials=True)
    app = make_app()
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        app.open_playground(client)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PlaygroundScreen)
        await _idle(pilot, screen)
        picker = screen.query_one("#pg-client", Select)
        assert picker.value == client.id
        label = picker.query_one("#label", Static)
        shown = label.render()
        plain = getattr(shown, "plain", str(shown))
        assert f"{client.id} · {NAME}" in plain, plain
        spans = getattr(shown, "spans", [])
        assert not any("link" in str(getattr(span, "style", "")) for span in spans), spans
        overlay = picker.query_one(SelectOverlay)
        prompts = [str(overlay.get_option_at_index(i).prompt) for i in range(overlay.option_count)]
        assert any(f"{client.id} · {NAME}" in p for p in prompts), prompts
