"""The Scopes screen: reached by key and palette, list with use counts, add, delete."""

from __future__ import annotations

from textual.widgets import Input
from textual.widgets._footer import FooterKey

from authclients.store import Store
from authclients.store.jwt_tokens import OIDC_SCOPES
from authclients.store.models import Scope
from authclients.tui.screens.clients import ClientsScreen
from authclients.tui.screens.confirm import ConfirmScreen
from authclients.tui.screens.help import HelpScreen
from authclients.tui.screens.scope_form import ScopeFormScreen
from authclients.tui.screens.scopes import ScopesScreen
from tests.tui.conftest import notifications, screen_text, settle, type_text
from tests.tui.hostile_rows import unsafe_characters

SIZE = (80, 24)


def forget_oidc_scopes() -> None:
    """As an admin may: these tests count rows, and a new database holds OpenID Connect's."""
    Scope.delete().where(Scope.name.in_(list(OIDC_SCOPES))).execute()


async def test_o_opens_scopes_listing_how_many_clients_use_each(store: Store, make_app) -> None:
    forget_oidc_scopes()
    store.scopes.add("write", "Change the user's data")
    store.clients.create("Reader", password=True, scopes="read")
    store.clients.create("Both", password=True, scopes="read write")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "o" in {k.key for k in app.screen.query(FooterKey)}
        await pilot.press("o")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ScopesScreen)
        assert [s.name for s in screen.scopes] == ["read", "write"]
        text = screen_text(app)
        assert "read — 2 (1, 2)" in text  # defined by the first client's save: no description
        assert "write Change the user's data 1 (2)" in text
        assert "2 scopes" in text
        assert {"a", "d", "escape"} <= {k.key for k in app.screen.query(FooterKey)}
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert "Forget the highlighted scope" in screen_text(app)
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)


async def test_the_palette_opens_scopes(store: Store, make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "go: scopes")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ScopesScreen)
        # A new database knows OpenID Connect's scopes.
        assert [s.name for s in app.screen.scopes] == ["email", "openid", "profile"]
        assert "Sign you in with OpenID Connect" in screen_text(app)


async def test_add_a_scope_with_messages_beside_the_fields(store: Store, make_app) -> None:
    store.scopes.add("read")
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ScopeFormScreen)
        await pilot.press("ctrl+s")  # empty
        await settle(pilot)
        assert form.query_one("#name-error").display
        assert "Give a scope name" in screen_text(app)
        await type_text(pilot, "orders write")  # a space: not a scope-token
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "without spaces" in screen_text(app)
        form.query_one("#name", Input).value = ""
        await type_text(pilot, "read")  # taken
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "already defined" in screen_text(app)
        form.query_one("#name", Input).value = ""
        await type_text(pilot, "orders:write")
        await pilot.press("tab")
        await type_text(pilot, "Place orders")
        assert form.query_one("#name", Input).value == "orders:write"  # nothing lost
        await pilot.press("enter")  # enter in the last field saves
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ScopesScreen)
        assert store.scopes.get("orders:write").description == "Place orders"
        assert screen.scopes[screen.query_one("#scopes").cursor_row].name == "orders:write"
        assert "Scope orders:write defined." in notifications(app)


async def test_a_refused_delete_says_why_and_an_unused_scope_goes(store: Store, make_app) -> None:
    forget_oidc_scopes()
    store.scopes.add("admin")
    client = store.clients.create("Reader", password=True, scopes="read").client
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("down", "d")  # "read", listed by the client
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "the delete will be refused" in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ScopesScreen)
        assert any(f"listed by client {client.id}" in m for m in notifications(app))
        assert [s.name for s in store.scopes.list()] == ["admin", "read"]
        await pilot.press("up", "d")  # "admin", unused
        await settle(pilot)
        assert "No new grant may ask for admin" in screen_text(app)
        await pilot.press("n")  # no: nothing happens
        await settle(pilot)
        assert [s.name for s in store.scopes.list()] == ["admin", "read"]
        await pilot.press("d", "y")
        await settle(pilot)
        assert [s.name for s in store.scopes.list()] == ["read"]
        assert [s.name for s in app.screen.scopes] == ["read"]


async def test_scopes_written_behind_the_console_show_their_escapes(store: Store, make_app) -> None:
    store.scopes.add("read", "plain")
    # As an older version or a hand-written UPDATE would leave it (the store refuses these).
    Scope.update(description="\x1b]0;PWNED\x07 [link=https://evil]x[/]").execute()
    app = make_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        text = screen_text(app)
        assert "␛]0;PWNED␇ [link=https://evil]x[/]" in text
        assert unsafe_characters(text.replace("\n", " ")) == []


async def test_a_scope_named_like_markup_stays_text(store: Store, make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        await type_text(pilot, "[b]x[/b]")  # a valid scope-token: printable ASCII, no space
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ScopesScreen)
        assert "[b]x[/b]" in screen_text(app)  # the cell shows the brackets, no bold
        assert "Scope [b]x[/b] defined." in notifications(app)
        await pilot.press("d")
        await settle(pilot)
        assert "Delete scope [b]x[/b]?" in screen_text(app)
