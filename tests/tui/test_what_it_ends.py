"""Confirmations that say what a change ends, and the "Keep personal access tokens" box."""

from __future__ import annotations

from textual.widgets import Checkbox, Switch

from authclients.store import Store
from authclients.store.records import STATE_ACTIVE, STATE_REVOKED
from authclients.tui.screens.client_form import ClientFormScreen
from authclients.tui.screens.clients import ClientsScreen
from authclients.tui.screens.confirm import ConfirmScreen
from authclients.tui.screens.secret_reveal import SecretRevealScreen
from authclients.tui.screens.user_form import UserFormScreen
from authclients.tui.screens.users import UsersScreen
from tests.tui.conftest import notifications, screen_text, settle, type_text

SIZE = (80, 24)


def carol_with_tokens(store: Store) -> tuple[int, int]:
    """carol: one password-grant token with its refresh token, one personal access token."""
    client = store.clients.create("App", password=True, personal_access=True).client
    carol = store.users.add("carol", "old-password")
    store.tokens.issue(client, grant_type="password", user_id=carol.id, with_refresh=True)
    pat = store.tokens.create_personal_access_token("carol", "laptop")
    grant_token = next(t.id for t in store.tokens.list(client_id=client.id) if t.id != pat.info.id)
    return grant_token, pat.info.id


async def test_rotate_says_what_the_old_secret_ends_and_ends_it(store: Store, make_app) -> None:
    client = store.clients.create("Service", password=True, client_credentials=True).client
    user = store.users.add("dave", "password-dave")
    machine = [store.tokens.issue(client, grant_type="client_credentials") for _ in range(2)]
    person = store.tokens.issue(client, grant_type="password", user_id=user.id, with_refresh=True)
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "This ends 2 access tokens and 1 refresh token." in screen_text(app)
        await pilot.press("n")  # nothing ends on no
        await settle(pilot)
        assert all(store.tokens.get(t.info.id).state == STATE_ACTIVE for t in machine)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, SecretRevealScreen)
        assert all(store.tokens.get(t.info.id).state == STATE_REVOKED for t in machine)
        # The user's access token lives on to its expiry; its refresh token is gone.
        assert store.tokens.get(person.info.id).state == STATE_ACTIVE
        assert any("ended 2 access tokens and 1 refresh token" in m for m in notifications(app))


async def test_switching_a_grant_off_asks_with_the_count_and_no_keeps_the_form(
    store: Store, make_app
) -> None:
    client = store.clients.create("App", password=True, client_credentials=True).client
    user = store.users.add("erin", "password-erin")
    token = store.tokens.issue(client, grant_type="password", user_id=user.id, with_refresh=True)
    machine = store.tokens.issue(client, grant_type="client_credentials")
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ClientFormScreen)
        # name, redirect, code switch, password switch: turned off with the space key.
        await pilot.press("tab", "tab", "tab", "space")
        assert form.query_one("#password", Switch).value is False
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        text = screen_text(app)
        assert "Switch off Password grant?" in text
        assert "This ends 1 access token and 1 refresh token." in text
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is form and form.query_one("#password", Switch).value is False
        assert store.clients.get(client.id).password is True
        assert store.tokens.get(token.info.id).state == STATE_ACTIVE
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        assert store.clients.get(client.id).password is False
        assert store.tokens.get(token.info.id).state == STATE_REVOKED
        assert store.tokens.get(machine.info.id).state == STATE_ACTIVE  # another grant's


async def test_a_save_that_switches_nothing_off_does_not_ask(store: Store, make_app) -> None:
    client = store.clients.create("App", password=True).client
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("end", "!")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        assert store.clients.get(client.id).name == "App!"


async def test_password_change_keeps_personal_tokens_only_when_ticked(
    store: Store, make_app
) -> None:
    grant_token, pat = carol_with_tokens(store)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, UserFormScreen)
        text = screen_text(app)
        assert "This ends 2 access tokens and 1 refresh token." in text
        await type_text(pilot, "new-password")
        await pilot.press("tab")
        await type_text(pilot, "new-password")
        await pilot.press("tab", "space")  # the checkbox, by keyboard
        assert form.query_one("#keep-personal-tokens", Checkbox).value is True
        text = screen_text(app)
        assert "ends 1 access token and 1 refresh token; it keeps 1 personal" in text
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, UsersScreen)
        assert store.users.verify("carol", "new-password") is not None
        assert store.tokens.get(grant_token).state == STATE_REVOKED
        assert store.tokens.get(pat).state == STATE_ACTIVE


async def test_password_change_ends_personal_tokens_by_default(store: Store, make_app) -> None:
    grant_token, pat = carol_with_tokens(store)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        await type_text(pilot, "new-password")
        await pilot.press("tab")
        await type_text(pilot, "new-password")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, UsersScreen)
        assert store.tokens.get(grant_token).state == STATE_REVOKED
        assert store.tokens.get(pat).state == STATE_REVOKED


async def test_deactivate_with_keep_key_and_the_count_following_the_box(
    store: Store, make_app
) -> None:
    grant_token, pat = carol_with_tokens(store)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        assert "This ends 2 access tokens and 1 refresh token." in screen_text(app)
        assert dialog.query_one("#keep-personal-tokens", Checkbox).value is False
        await pilot.press("k")
        await pilot.pause()
        assert "it keeps 1 personal access token." in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert store.users.get("carol").active is False
        assert store.tokens.get(grant_token).state == STATE_REVOKED
        assert store.tokens.get(pat).state == STATE_ACTIVE


async def test_deactivate_by_default_ends_personal_tokens_too(store: Store, make_app) -> None:
    _grant_token, pat = carol_with_tokens(store)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert store.users.get("carol").active is False
        assert store.tokens.get(pat).state == STATE_REVOKED


async def test_delete_says_what_it_ends_and_offers_no_keep_box(store: Store, make_app) -> None:
    carol_with_tokens(store)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        # The personal access token counts: it goes too.
        assert "This ends 2 access tokens and 1 refresh token." in screen_text(app)
        # A deleted user's tokens go with the row: there is nothing to keep.
        assert not dialog.query("#keep-personal-tokens")
        await pilot.press("k", "y")
        await settle(pilot)
        assert store.users.list() == []
