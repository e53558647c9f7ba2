"""Every action with the mouse alone at 80x24: footer keys, buttons, switches, headers, rows."""

from __future__ import annotations

from textual.widgets import Button, DataTable, Input, Select, Switch
from textual.widgets._footer import FooterKey

from authclients.store import Store
from authclients.tui.screens.client_form import ClientFormScreen
from authclients.tui.screens.clients import ClientsScreen
from authclients.tui.screens.confirm import ConfirmScreen
from authclients.tui.screens.secret_reveal import SecretRevealScreen
from authclients.tui.screens.tokens import TokensScreen
from authclients.tui.screens.users import UsersScreen
from authclients.tui.widgets.client_table import ClientTable
from tests.tui.conftest import notifications, settle, type_text

SIZE = (80, 24)


async def click(pilot, selector: str) -> None:
    """Click a widget of the top screen (the Pilot checks it is visible there) and settle."""
    widget = pilot.app.screen.query_one(selector)
    under, _ = pilot.app.get_widget_at(*widget.region.offset)
    # Nothing (a toast, another dialog) may cover it; its own parts (a Select's label) may.
    assert under is widget or widget in under.ancestors, f"{selector} is covered by {under}"
    await pilot.click(widget)
    await settle(pilot)


async def click_footer(pilot, key: str) -> None:
    """Click the footer entry of ``key``, as an admin without a keyboard would."""
    entries = [k for k in pilot.app.screen.query(FooterKey) if k.key == key]
    assert entries, f"no footer entry for {key!r}"
    assert await pilot.click(entries[0])
    await settle(pilot)


async def test_clients_screen_keys_are_all_in_the_footer(store: Store, make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown = {k.key for k in app.screen.query(FooterKey)}
        # q made room for o (Scopes) at 80 columns; the mouse quits from "Commands".
        assert {"n", "e", "d", "r", "c", "t", "p", "u", "o", "question_mark"} <= shown
        # ...and none of them is cut off at 80 columns.
        for entry in app.screen.query(FooterKey):
            assert entry.region.right <= SIZE[0], entry.key


async def test_create_copy_rotate_delete_with_the_mouse_only(
    store: Store, make_app, local_clipboard
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await click(pilot, "#empty-new")
        assert isinstance(app.screen, ClientFormScreen)
        await click(pilot, "#name")
        await type_text(pilot, "Clicked")
        await click(pilot, "#client_credentials")
        assert app.screen.query_one("#client_credentials", Switch).value
        await click(pilot, "#save")
        reveal = app.screen
        assert isinstance(reveal, SecretRevealScreen)
        await click(pilot, "#copy-secret")
        assert local_clipboard.copied == [reveal.reveal.secret]
        await click(pilot, "#copy-id")
        await click(pilot, "#reveal-done")
        assert isinstance(app.screen, ClientsScreen)
        client = store.clients.list().items[0]
        assert client.name == "Clicked" and client.client_credentials

        # The first click highlights a cell, a click on the highlighted one edits the row.
        table = app.screen.query_one(ClientTable)
        await pilot.click(table, offset=(10, 1))
        await pilot.click(table, offset=(10, 1))
        await settle(pilot)
        assert isinstance(app.screen, ClientFormScreen)
        await click(pilot, "#cancel")
        assert isinstance(app.screen, ClientsScreen)

        old_secret = reveal.reveal.secret
        await click_footer(pilot, "r")
        assert isinstance(app.screen, ConfirmScreen)
        await click(pilot, "#confirm-yes")
        assert isinstance(app.screen, SecretRevealScreen)
        await click(pilot, "#reveal-done")
        assert store.clients.authenticate(client.id, old_secret) is None

        await click_footer(pilot, "c")
        assert local_clipboard.copied[-1] == str(client.id)

        await click_footer(pilot, "d")
        assert isinstance(app.screen, ConfirmScreen)
        await click(pilot, "#confirm-yes")
        assert store.clients.count() == 0
        assert app.is_running and not any("Traceback" in m for m in notifications(app))


async def test_other_screens_with_the_mouse_only(store: Store, make_app) -> None:
    store.clients.create("Service", client_credentials=True)
    store.clients.create("Tokens for people", personal_access=True)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # Sort by clicking a header; filter by clicking the filter box.
        await pilot.click(ClientTable, offset=(10, 0))
        await settle(pilot)
        assert app.screen.query_one(ClientTable).sort_key == "name"
        await click(pilot, "#filter")
        assert app.screen.query_one("#filter", Input).has_focus
        # Typing goes to the filter, so its letter keys leave the footer until the list
        # is clicked again.
        assert "u" not in {k.key for k in app.screen.query(FooterKey)}
        await pilot.click(ClientTable, offset=(10, 1))
        await settle(pilot)

        await click_footer(pilot, "u")
        assert isinstance(app.screen, UsersScreen)
        await click(pilot, "#users-add")
        await click(pilot, "#username")
        await type_text(pilot, "dora")
        await click(pilot, "#password")
        await type_text(pilot, "secret-pass-1")
        await click(pilot, "#again")
        await type_text(pilot, "secret-pass-1")
        await click(pilot, "#user-save")
        assert store.users.get("dora").active
        await click_footer(pilot, "x")  # deactivate asks first
        await click(pilot, "#confirm-yes")
        assert not store.users.get("dora").active
        await click_footer(pilot, "x")  # activating does not need to ask
        assert store.users.get("dora").active
        await click_footer(pilot, "escape")
        assert isinstance(app.screen, ClientsScreen)

        await click(pilot, "#bar-all-tokens")
        assert isinstance(app.screen, TokensScreen)
        await click(pilot, "#tokens-new")
        await click(pilot, "#user")
        await pilot.click("SelectOverlay", offset=(2, 1))  # under the blank prompt
        await settle(pilot)
        assert app.screen.query_one("#user", Select).value == "dora"
        await click(pilot, "#name")
        await type_text(pilot, "laptop")
        await click(pilot, "#token-save")
        assert isinstance(app.screen, SecretRevealScreen)
        await click(pilot, "#reveal-done")
        assert len(store.tokens.list()) == 1
        table = app.screen.query_one(DataTable)
        assert table.row_count == 1
        await click_footer(pilot, "r")
        await click(pilot, "#confirm-yes")
        assert store.tokens.list()[0].state == "revoked"
        await click(pilot, "#tokens-purge")
        await click(pilot, "#confirm-yes")
        assert store.tokens.list() == []
        await click_footer(pilot, "escape")

        await click(pilot, "#bar-commands")
        assert app.screen.__class__.__name__ == "CommandPalette"
        assert isinstance(app.screen.query_one(Input), Input)
        assert any(isinstance(b, Button) for b in app.screen_stack[1].query(Button))
