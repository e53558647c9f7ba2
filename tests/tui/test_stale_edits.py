"""A save from a stale client or user form: the dialog, and what reload, overwrite, cancel do."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Switch

from authclients.store import Store
from authclients.store.clock import ManualClock
from authclients.store.records import STATE_ACTIVE, STATE_REVOKED
from authclients.tui.screens.client_form import ClientFormScreen
from authclients.tui.screens.clients import ClientsScreen
from authclients.tui.screens.confirm import ConfirmScreen
from authclients.tui.screens.stale_edit import StaleEditScreen
from authclients.tui.screens.user_form import UserFormScreen
from authclients.tui.screens.users import UsersScreen
from tests.tui.conftest import notifications, screen_text, settle, type_text

SIZE = (80, 24)


def dialog_rows(app) -> list[tuple[str, str, str]]:
    table = app.screen.query_one("#stale-changes", DataTable)
    return [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


async def open_and_rename(pilot, new_name: str) -> ClientFormScreen:
    """From the list: edit the highlighted client and type a new name over the old one."""
    await pilot.press("enter")
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, ClientFormScreen)
    old = form.query_one("#name", Input).value
    await pilot.press("end", *["backspace"] * len(old))
    await type_text(pilot, new_name)
    return form


async def test_stale_client_save_lists_changes_and_cancel_keeps_the_form(
    store: Store, clock: ManualClock, make_app
) -> None:
    client = store.clients.create("Web", password=True).client
    other = Store.open(store.target, clock=clock, actor="other-admin")  # a second console
    app = make_app()
    try:
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await settle(pilot)
            form = await open_and_rename(pilot, "Web v2")
            # Meanwhile another admin narrows the scopes and saves.
            other.clients.update(client.id, scopes="read", base=client)
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, StaleEditScreen)
            rows = dialog_rows(app)
            assert ("Scopes", "read", "(empty: any defined scope)") in rows
            assert all(row[0] != "Name" for row in rows)  # theirs did not touch the name
            assert "changed meanwhile" in screen_text(app)
            # Cancel: back to the form, nothing lost, nothing written.
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is form
            assert form.query_one("#name", Input).value == "Web v2"
            now = store.clients.get(client.id)
            assert (now.name, now.scopes) == ("Web", ("read",))
            assert "Not saved" in " ".join(notifications(app))
    finally:
        other.close()


async def test_reload_shows_theirs_and_the_next_save_keeps_them(store: Store, make_app) -> None:
    client = store.clients.create("Web", password=True).client
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        form = await open_and_rename(pilot, "Web v2")
        store.clients.update(client.id, scopes="read", base=client)  # behind the form's back
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, StaleEditScreen)
        await pilot.press("r")
        await settle(pilot)
        assert app.screen is form
        # Theirs, shown; mine dropped.
        assert form.query_one("#name", Input).value == "Web"
        assert form.query_one("#scopes", Input).value == "read"
        assert not form.dirty
        # Renamed again from the reloaded form: saved, and the narrowed scopes stay.
        await pilot.press("end", "backspace", "backspace", "backspace")
        await type_text(pilot, "Web v3")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        now = store.clients.get(client.id)
        assert (now.name, now.scopes, now.version) == ("Web v3", ("read",), 3)


async def test_overwrite_saves_mine_and_asks_before_ending_a_grant_they_switched_on(
    store: Store, make_app
) -> None:
    client = store.clients.create("Web", password=True).client
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await open_and_rename(pilot, "Web v2")
        # Another admin switches client credentials on, and a machine gets a token with it.
        switched = store.clients.update(client.id, client_credentials=True, base=client)
        token = store.tokens.issue(switched, grant_type="client_credentials")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, StaleEditScreen)
        assert ("Client credentials", "on", "off") in dialog_rows(app)
        await pilot.press("o")
        await settle(pilot)
        # Mine has it off: overwriting switches it off, so the console says what that ends.
        assert isinstance(app.screen, ConfirmScreen)
        text = screen_text(app)
        assert "Switch off Client credentials?" in text
        assert "This ends 1 access token." in text
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        now = store.clients.get(client.id)
        assert (now.name, now.client_credentials, now.password) == ("Web v2", False, True)
        assert store.tokens.get(token.info.id).state == STATE_REVOKED
        assert any("ended 1 access token" in m for m in notifications(app))


async def test_stale_password_form_overwrite_and_reload(store: Store, make_app) -> None:
    store.users.add("carol", "old-password")
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, UserFormScreen)
        store.users.set_active("carol", False)  # another admin, meanwhile
        await type_text(pilot, "new-password")
        await pilot.press("tab")
        await type_text(pilot, "new-password")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, StaleEditScreen)
        assert dialog_rows(app) == [("State", "deactivated", "new password")]
        await pilot.press("r")  # reload: the form stays, emptied, on the user as saved
        await settle(pilot)
        assert app.screen is form
        assert form.user is not None and form.user.active is False
        assert form.query_one("#password", Input).value == ""
        store.users.set_active("carol", True)  # and again
        await type_text(pilot, "new-password")
        await pilot.press("tab")
        await type_text(pilot, "new-password")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, StaleEditScreen)
        await pilot.press("o")  # overwrite: the new password is set all the same
        await settle(pilot)
        assert isinstance(app.screen, UsersScreen)
        assert store.users.verify("carol", "new-password") is not None


async def test_deactivate_from_a_stale_list_asks_and_reload_shows_the_user_as_saved(
    store: Store, make_app
) -> None:
    store.users.add("carol", "old-password")
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        store.users.set_password("carol", "other-password")  # elsewhere
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, StaleEditScreen)
        assert dialog_rows(app) == [("Password or sessions", "changed", "deactivate")]
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, UsersScreen)
        assert store.users.get("carol").active is True  # nothing was done
        assert app.screen.users[0].version == store.users.get("carol").version
        await pilot.press("x", "y")  # from the fresh list: no question of staleness
        await settle(pilot)
        assert store.users.get("carol").active is False


async def test_switch_values_survive_a_cancelled_stale_dialog(store: Store, make_app) -> None:
    client = store.clients.create("Web", password=True, client_credentials=True).client
    token = store.tokens.issue(client, grant_type="client_credentials")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ClientFormScreen)
        form.query_one("#client_credentials", Switch).value = False
        store.clients.update(client.id, name="Renamed", base=client)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, StaleEditScreen)  # stale first, before any question
        await pilot.press("c")
        await settle(pilot)
        assert form.query_one("#client_credentials", Switch).value is False
        assert store.tokens.get(token.info.id).state == STATE_ACTIVE


async def test_stale_dialog_shows_a_hostile_name_written_meanwhile_as_visible_escapes(
    store: Store, make_app
) -> None:
    from authclients.store.models import Client
    from tests.tui.hostile_rows import unsafe_characters

    client = store.clients.create("Web", password=True).client
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_and_rename(pilot, "Web v2")
        # Written behind the console's back (raw SQL would do the same): an OSC retitle.
        Client.update(name="\x1b]0;PWNED\x07x", version=Client.version + 1).where(
            Client.id == client.id
        ).execute()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, StaleEditScreen)
        assert ("Name", "␛]0;PWNED␇x", "Web v2") in dialog_rows(app)
        assert unsafe_characters(screen_text(app).replace("\n", " ")) == []
        await pilot.press("r")  # reloaded: the field holds the visible form, refused as is
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClientFormScreen)
        assert "control characters" in screen_text(app)


async def test_the_form_warns_as_soon_as_the_client_changes_elsewhere(
    store: Store, make_app
) -> None:
    import time

    client = store.clients.create("Web", password=True).client
    app = make_app(poll_interval=0.2)  # the change watcher, as in real use
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ClientFormScreen)
        await pilot.pause(0.5)
        assert not form.query_one("#form-notice").display  # nothing changed yet
        store.clients.update(client.id, scopes="read", base=client)
        start = time.monotonic()
        while not form.query_one("#form-notice").display:
            assert time.monotonic() - start < 5, screen_text(app)
            await pilot.pause(0.05)
        assert "changed elsewhere since you opened this form" in screen_text(app)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, StaleEditScreen)
        await pilot.press("r")
        await settle(pilot)
        assert not form.query_one("#form-notice").display  # reloaded: up to date again
