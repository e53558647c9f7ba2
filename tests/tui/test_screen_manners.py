"""Issue 16: the user form asks before discarding, Tokens says when no client allows personal
tokens before its form, and counts read as English ("1 token", "no live token")."""

from __future__ import annotations

from textual.widgets import Static

from authclients.store import Store
from authclients.tui.formatting import plural
from authclients.tui.screens.confirm import ConfirmScreen
from authclients.tui.screens.token_form import TokenFormScreen
from authclients.tui.screens.tokens import TokensScreen
from authclients.tui.screens.user_form import UserFormScreen
from authclients.tui.screens.users import UsersScreen
from tests.tui.conftest import notifications, settle, type_text


async def test_user_form_asks_before_discarding_what_was_typed(make_app, store: Store):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        users = app.screen
        assert isinstance(users, UsersScreen)
        # Nothing typed: escape closes at once.
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, UserFormScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is users
        # Typed: escape asks; "no" keeps the form and what was typed.
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        await type_text(pilot, "carol")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is form
        assert form.query_one("#username").value == "carol"
        # The Cancel button asks too; "yes" discards, and nothing was saved.
        await pilot.click("#user-cancel")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is users
        assert store.users.count() == 0


async def test_tokens_screen_says_before_the_form_that_no_client_allows_personal_tokens(
    make_app, store: Store
):
    store.users.add("alice", "password-alice")
    store.clients.create("Only machines", client_credentials=True)
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("T")
        await settle(pilot)
        assert isinstance(app.screen, TokensScreen)
        await pilot.press("n")
        await settle(pilot)
        assert not isinstance(app.screen, TokenFormScreen)
        assert any("No client allows personal access tokens" in n for n in notifications(app))
        # Once a client allows them, the form opens.
        store.clients.create("Personal", personal_access=True)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, TokenFormScreen)


def test_counts_read_as_english() -> None:
    assert plural(0, "live token") == "0 live tokens"
    assert plural(1, "live token") == "1 live token"
    assert plural(2, "token") == "2 tokens"


async def test_revoke_all_of_a_client_without_live_tokens_says_so(make_app, store: Store):
    client = store.clients.create("Quiet app", client_credentials=True).client
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_tokens(client)
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        text = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert "0 live tokens" not in text and "All 0" not in text
        assert "has no live token now" in text


async def test_one_live_token_is_one_token(make_app, store: Store):
    client = store.clients.create("Busy app", client_credentials=True).client
    store.tokens.issue(client, grant_type="client_credentials")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_tokens(client)
        await settle(pilot)
        info = str(app.screen.query_one("#tokens-info").render())
        assert info.startswith("1 token, 1 live"), info
        await pilot.press("R")
        await settle(pilot)
        text = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert "The one live token of “Busy app”" in text
