"""Pilot flows on the users and tokens screens, the help and the command palette."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import DataTable, Input, Select

from authclients.store import Store, crypto
from authclients.store.clock import ManualClock
from authclients.store.records import STATE_ACTIVE, STATE_REVOKED
from authclients.tui.screens.clients import ClientsScreen
from authclients.tui.screens.confirm import ConfirmScreen
from authclients.tui.screens.help import HelpScreen
from authclients.tui.screens.secret_reveal import SecretRevealScreen
from authclients.tui.screens.token_form import TokenFormScreen
from authclients.tui.screens.tokens import TokensScreen
from authclients.tui.screens.user_form import UserFormScreen
from authclients.tui.screens.users import UsersScreen
from tests.tui.conftest import notifications, screen_text, settle, type_text

SIZE = (80, 24)


async def test_add_user_with_password_twice(store: Store, make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, UsersScreen)
        assert "No users yet" in screen_text(app)
        await pilot.press("a")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, UserFormScreen)
        assert form.query_one("#password", Input).password  # masked
        await type_text(pilot, "alice")
        await pilot.press("tab")
        await type_text(pilot, "s3cret-pw")
        await pilot.press("tab")
        await type_text(pilot, "s3cret-px")
        await pilot.press("enter")
        await settle(pilot)
        # Mismatch: said beside the second field, nothing saved, nothing lost.
        assert form.query_one("#again-error").display
        assert form.query_one("#username", Input).value == "alice"
        assert store.users.list() == []
        form.query_one("#again", Input).value = ""
        await type_text(pilot, "s3cret-pw")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, UsersScreen)
        assert store.users.verify("alice", "s3cret-pw") is not None
        assert "alice" in screen_text(app)


async def test_short_password_rejected_beside_field(store: Store, make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("u", "a")
        await settle(pilot)
        await type_text(pilot, "bob")
        await pilot.press("tab", "x", "tab", "x", "ctrl+s")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, UserFormScreen)
        assert "at least 8" in str(form.query_one("#password-error").render())
        assert store.users.list() == []


async def test_reset_password_deactivate_and_delete(store: Store, make_app) -> None:
    store.users.add("carol", "old-password")
    client = store.clients.create("App", password=True).client
    store.tokens.issue(client, grant_type="password", user_id=store.users.get("carol").id)
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, UserFormScreen)
        await type_text(pilot, "new-password")
        await pilot.press("tab")
        await type_text(pilot, "new-password")
        await pilot.press("enter")
        await settle(pilot)
        assert store.users.verify("carol", "new-password") is not None
        assert store.users.verify("carol", "old-password") is None
        # A new password ends what the old one gave (issue 11): carol's token is revoked.
        assert store.users.list()[0].active_tokens == 0

        await pilot.press("x")  # deactivate asks first
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "This ends no live token." in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert store.users.get("carol").active is False
        assert "deactivated" in screen_text(app)
        await pilot.press("x")  # activating does not ask
        await settle(pilot)
        assert store.users.get("carol").active is True

        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert store.users.list() == []
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)


async def test_tokens_of_a_client_relative_expiry_and_revoke(
    store: Store, clock: ManualClock, make_app
) -> None:
    a = store.clients.create("Alpha", client_credentials=True).client
    b = store.clients.create("Beta", client_credentials=True).client
    old = store.tokens.issue(a, grant_type="client_credentials")
    clock.advance(timedelta(days=3, hours=2))
    live = store.tokens.issue(a, grant_type="client_credentials")
    store.tokens.issue(b, grant_type="client_credentials")
    clock.advance(timedelta(minutes=8))
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("t")  # Alpha is highlighted
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TokensScreen)
        assert {t.client_id for t in screen.tokens} == {a.id}
        text = screen_text(app)
        assert "in 52 min" in text and "expired 3 d ago" in text

        await pilot.press("r")  # newest first: the live one
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert store.tokens.get(live.info.id).state == STATE_REVOKED
        assert store.tokens.get(old.info.id).state != STATE_ACTIVE


async def test_revoke_all_of_client_and_purge(store: Store, clock: ManualClock, make_app) -> None:
    a = store.clients.create("Alpha", client_credentials=True).client
    b = store.clients.create("Beta", client_credentials=True).client
    store.tokens.issue(a, grant_type="client_credentials")
    store.tokens.issue(a, grant_type="client_credentials")
    keep = store.tokens.issue(b, grant_type="client_credentials")
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("T")  # all tokens; newest first is Beta's
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TokensScreen) and len(screen.tokens) == 3
        await pilot.press("down", "R")
        await settle(pilot)
        assert "Alpha" in screen_text(app) and "2 live" in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert [t.state for t in store.tokens.list(client_id=a.id)] == [STATE_REVOKED] * 2
        assert store.tokens.get(keep.info.id).state == STATE_ACTIVE

        await pilot.press("x")  # purge: previews, asks, deletes the dead ones
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "2 expired or revoked" in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert [t.id for t in store.tokens.list()] == [keep.info.id]
        assert any("Purged 2 access tokens" in m for m in notifications(app))


async def test_create_personal_access_token_revealed_once(store: Store, make_app) -> None:
    store.users.add("dave", "password-1")
    store.clients.create("Personal", personal_access=True)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("T")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, TokenFormScreen)
        assert form.query_one("#user", Select).value == "dave"  # the only user
        form.query_one("#name", Input).focus()
        await type_text(pilot, "ci")
        await pilot.press("ctrl+s")
        await settle(pilot)
        reveal = app.screen
        assert isinstance(reveal, SecretRevealScreen)
        token = reveal.reveal.secret
        assert token and token in screen_text(app)
        info = store.tokens.authenticate_bearer(token)
        assert info is not None and info.username == "dave" and info.name == "ci"
        assert info.expires_at is not None  # one year by default, never "never" by accident
        from authclients.store.models import AccessToken

        assert AccessToken.get_by_id(info.id).token_hash == crypto.digest(token)
        await pilot.press("escape")
        await settle(pilot)
        assert "ci" in screen_text(app)


async def test_help_and_palette(store: Store, make_app) -> None:
    store.clients.create("Service", client_credentials=True)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        # The palette lists the screen's commands; choosing one runs it.
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "rotate")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Rotate" in screen_text(app)


async def test_database_failure_is_a_notification(store: Store, make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        original = store.clients.list

        def broken(*args, **kwargs):
            import peewee

            raise peewee.OperationalError("database is locked")

        store.clients.list = broken  # type: ignore[method-assign]
        try:
            await pilot.press("slash", "x")
            await settle(pilot)
        finally:
            store.clients.list = original  # type: ignore[method-assign]
        assert any("database is locked" in m and "try again" in m for m in notifications(app))
        assert app.is_running
        assert isinstance(app.screen.query_one(DataTable), DataTable)
