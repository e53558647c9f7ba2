"""The client table reuses a row's rendering wherever the cursor is, unless the cursor is
on that row, and moves the lines it drew when it scrolls: what it draws after moving and
scrolling equals what Textual's own DataTable draws from scratch."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.widgets import DataTable

from authclients.store import Store
from authclients.tui.app import AuthClientsApp
from authclients.tui.screens.clients import ClientsScreen
from authclients.tui.widgets.client_table import ClientTable
from tests.tui.conftest import settle


async def _redrawn_from_scratch(app: AuthClientsApp, table: ClientTable, pilot: object) -> str:
    """The screen as the stock DataTable renders it, every cache emptied."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ClientTable, "_render_line_in_row", DataTable._render_line_in_row)
        table._row_render_cache.clear()
        table._cell_render_cache.clear()
        table._line_cache.clear()
        table.refresh()
        await settle(pilot)
        stock = app.export_screenshot()
    table._row_render_cache.clear()
    table._line_cache.clear()
    table.refresh()
    await settle(pilot)
    return stock


async def test_moving_and_scrolling_draw_what_a_fresh_render_draws(
    store: Store, make_app: Callable[..., AuthClientsApp]
) -> None:
    for n in range(60):
        store.clients.create(f"client {n:02d}", client_credentials=True)
    app = make_app()
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ClientsScreen)
        table = screen.table
        # Down past the bottom (each key scrolls), back up past the top, then down again.
        for keys in (["down"] * 30, ["up"] * 25, ["down"] * 3):
            await pilot.press(*keys)
            await settle(pilot)
            cached = app.export_screenshot()
            assert cached == await _redrawn_from_scratch(app, table, pilot)
        assert table.absolute_cursor == 8
        # Key by key where each key scrolls, at the bottom and at the top: each scroll
        # moves the lines drawn before. (Moves inside the window were checked above.)
        for to_the_edge, scrolling in ((["down"] * 15, ["down"] * 4), (["up"] * 18, ["up"] * 4)):
            await pilot.press(*to_the_edge)
            await settle(pilot)
            for key in scrolling:
                scrolled_from = table.scroll_y
                await pilot.press(key)
                await settle(pilot)
                assert table.scroll_y != scrolled_from, f"{key} at row {table.absolute_cursor}"
                assert app.export_screenshot() == await _redrawn_from_scratch(app, table, pilot)
        for key in ("pagedown", "end", "home"):
            await pilot.press(key)
            await settle(pilot)
            assert app.export_screenshot() == await _redrawn_from_scratch(app, table, pilot)
        # The hover cursor too: the mouse over a row, then elsewhere.
        await pilot.hover(ClientTable, offset=(10, 5))
        await settle(pilot)
        assert app.export_screenshot() == await _redrawn_from_scratch(app, table, pilot)
        await pilot.hover(ClientTable, offset=(10, 9))
        await settle(pilot)
        assert app.export_screenshot() == await _redrawn_from_scratch(app, table, pilot)
