"""Rows with escape sequences and markup, written by raw SQL, reach the screen as visible text.

Every screen and dialog is opened with real keys over a real SQLite file, and
the screenshot's characters, what the terminal would be sent, are checked: no
C0, C1, DEL or bidi character, the visible escapes instead, markup as typed.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from rich.text import Text
from textual import events
from textual.widgets import DataTable, Input

from authclients.store import Store
from authclients.tui.screens.client_form import TAINTED_MESSAGE, ClientFormScreen
from authclients.tui.screens.confirm import ConfirmScreen
from authclients.tui.screens.help import HelpScreen
from authclients.tui.screens.secret_reveal import SecretRevealScreen
from authclients.tui.screens.token_form import TokenFormScreen
from authclients.tui.screens.tokens import TokensScreen
from authclients.tui.screens.users import UsersScreen
from tests.tui.conftest import notifications, settle, type_text
from tests.tui.hostile_rows import (
    CLIENT_NAME,
    MARKUP_CLIENT_NAME,
    SHOWN_CLIENT_NAME,
    SHOWN_REDIRECT,
    SHOWN_SCOPES,
    SHOWN_USERNAME,
    screen_text,
    unsafe_characters,
    write_hostile_rows,
)

WIDE = (160, 40)
"""Wide enough that no hostile cell is cut short by an ellipsis."""


def shown(app) -> str:
    """What the terminal gets for the whole screen, checked to hold no control character."""
    text = screen_text(app.export_screenshot())
    assert unsafe_characters(text) == [], text
    return text


async def test_client_list_shows_escapes_and_markup_literally(
    store: Store, db_path: Path, make_app
) -> None:
    write_hostile_rows(store, db_path)
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        text = shown(app)
        assert SHOWN_CLIENT_NAME in text
        assert SHOWN_REDIRECT in text
        # Markup in a name is shown as typed, not applied.
        assert MARKUP_CLIENT_NAME in text


async def test_delete_and_rotate_dialogs_quote_names_safely(
    store: Store, db_path: Path, make_app
) -> None:
    write_hostile_rows(store, db_path)
    app = make_app()
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert SHOWN_CLIENT_NAME in shown(app)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert SHOWN_CLIENT_NAME in shown(app)
        await pilot.press("y")
        await settle(pilot)
        # The reveal: its title names the client, its curl line carries the redirect URL.
        assert isinstance(app.screen, SecretRevealScreen)
        text = shown(app)
        assert f"Secret rotated: {SHOWN_CLIENT_NAME}" in text
        assert "redirect_uri=https://app.example/cb␛]52;c;aGk=␇" in text
        await pilot.press("escape")
        await settle(pilot)
        # A toast that quotes the name: delete it.
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        toast = next(m for m in notifications(app) if m.startswith("Deleted"))
        assert SHOWN_CLIENT_NAME in toast
        assert unsafe_characters(toast) == []
        assert SHOWN_CLIENT_NAME in shown(app)


async def test_markup_in_a_toast_is_shown_as_typed(store: Store, make_app) -> None:
    store.clients.create(MARKUP_CLIENT_NAME, client_credentials=True)
    app = make_app()
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert f"Deleted “{MARKUP_CLIENT_NAME}”" in shown(app)


async def test_edit_form_shows_escapes_and_refuses_to_save_them_back(
    store: Store, db_path: Path, make_app
) -> None:
    rows = write_hostile_rows(store, db_path)
    app = make_app()
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ClientFormScreen)
        # Textual's Input draws its value raw: it holds the visible form instead.
        assert form.query_one("#name", Input).value == SHOWN_CLIENT_NAME
        assert form.query_one("#redirect_uris", Input).value == SHOWN_REDIRECT
        assert form.query_one("#scopes", Input).value == SHOWN_SCOPES
        text = shown(app)
        assert TAINTED_MESSAGE.split(",")[0] in text
        for key in ("name", "redirect_uris", "scopes"):
            assert form.query_one(f"#{key}-error").display
        await pilot.press("ctrl+s")
        await settle(pilot)
        # Refused: the form stays, the stored row is untouched.
        assert app.screen is form
        assert any(m.startswith("Not saved") for m in notifications(app))
        with sqlite3.connect(db_path) as raw:
            row = raw.execute("SELECT name FROM client WHERE id = ?", (rows.client_id,))
            (name,) = row.fetchone()
        raw.close()
        assert name == CLIENT_NAME
        # Typing new values saves them.
        for key, value in (
            ("name", "Clean app"),
            ("redirect_uris", "https://app.example/cb"),
            ("scopes", "read"),
        ):
            form.query_one(f"#{key}", Input).focus()
            form.query_one(f"#{key}", Input).value = ""
            await pilot.pause()
            await type_text(pilot, value)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, ClientFormScreen)
        saved = store.clients.get(rows.client_id)
        assert (saved.name, saved.redirect_uris, saved.scopes) == (
            "Clean app",
            ("https://app.example/cb",),
            ("read",),
        )


async def test_tokens_screen_and_token_form(store: Store, db_path: Path, make_app) -> None:
    write_hostile_rows(store, db_path)
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, TokensScreen)
        text = shown(app)
        assert f"Tokens of {SHOWN_CLIENT_NAME}" in text  # the header
        # Narrow columns cut the visible form, never a raw escape in half.
        assert "mal<U+009B>…" in text
        assert SHOWN_SCOPES in text
        assert "pat: [link=https://…" in text
        grant_cell = app.screen.query_one("#tokens", DataTable).get_row_at(0)[5]
        assert isinstance(grant_cell, Text) and grant_cell.spans == []  # no link, no style
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        text = shown(app)
        assert SHOWN_CLIENT_NAME in text
        assert f"of {SHOWN_USERNAME}" in text
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, TokenFormScreen)
        assert SHOWN_USERNAME in shown(app)  # the only user, chosen already


async def test_users_screen_dialogs_and_toasts(store: Store, db_path: Path, make_app) -> None:
    write_hostile_rows(store, db_path)
    app = make_app()
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, UsersScreen)
        assert SHOWN_USERNAME in shown(app)
        await pilot.press("p")
        await settle(pilot)
        assert f"New password for {SHOWN_USERNAME}" in shown(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert f"Deactivate {SHOWN_USERNAME}?" in shown(app)
        await pilot.press("y")
        await settle(pilot)
        assert f"{SHOWN_USERNAME} deactivated" in shown(app)
        assert all(unsafe_characters(m) == [] for m in notifications(app))
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        shown(app)


async def test_header_shows_database_and_endpoint_notes_literally(store: Store, make_app) -> None:
    app = make_app(endpoint=None, endpoint_note="could not start: \x1b]0;PWNED\x07 [bold]x[/]")
    app.database_label = "/srv/\x1b[2J[link=https://evil]db[/]"
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        text = shown(app)
        assert "/srv/␛[2J[link=https://evil]db[/]" in text
        assert "could not start: ␛]0;PWNED␇ [bold]x[/]" in text


async def test_a_pasted_escape_is_refused_by_the_fields(store: Store, make_app) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        name = app.screen.query_one("#name", Input)
        await type_text(pilot, "App")
        # A terminal's bracketed paste arrives as one Paste event for the focused field.
        name.post_message(events.Paste("\x1b]0;PWNED\x07"))
        await pilot.pause()
        assert name.value == "App"
        name.post_message(events.Paste(" two"))
        await pilot.pause()
        assert name.value == "App two"
        shown(app)
