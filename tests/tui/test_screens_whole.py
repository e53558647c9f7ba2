"""Issue 16, "Screens": every screen whole at 80x24 and 60x20 (layout, footers, dialogs, toasts).

Each test drives the real console with the Pilot and reads the terminal's rows
as text, so what it asserts is what an admin sees.
"""

from __future__ import annotations

import itertools

import pytest
from textual.geometry import Region
from textual.widgets import Button, DataTable, Input, Label
from textual.widgets._toast import Toast

from authclients.store import Store
from authclients.store.records import CreatedClient
from authclients.tui.screens.help import GRANTS_PARAGRAPHS, HelpScreen
from authclients.tui.screens.playground import PlaygroundScreen
from authclients.tui.screens.secret_reveal import Reveal, SecretRevealScreen
from authclients.tui.widgets.console_footer import ConsoleFooter
from tests.tui.conftest import settle
from tests.tui.screen_lines import screen_dump, screen_lines

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((60, 20), id="60x20")]
SECRET = "s3cr3t-0123456789abcdefghijklmnopqrstuvwxyzAB"


@pytest.fixture
def portal(store: Store) -> CreatedClient:
    store.users.add("alice", "password-alice")
    return store.clients.create(
        "Customer portal",
        ["https://portal.example.com/oauth/callback"],
        authorization_code=True,
        password=True,
    )


def visible(widget, screen_size) -> bool:
    """The whole widget is on screen (not cut by the terminal's edges or a scroll)."""
    region = widget.region
    return region.area > 0 and Region(0, 0, *screen_size).contains_region(region)


async def open_playground(pilot, client) -> PlaygroundScreen:
    pilot.app.push_screen(PlaygroundScreen(client))
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, PlaygroundScreen)
    return screen


# -- the playground -------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
async def test_playground_opens_with_its_target_row_and_whole_footer(make_app, portal, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await open_playground(pilot, portal.client)
        lines = screen_lines(app)
        assert lines[1].lstrip().startswith("Target"), screen_dump(app)
        assert lines[-1].rstrip().endswith("? Help"), lines[-1]


async def test_playground_at_60x20_has_a_usable_api_path_and_call_api(make_app, portal):
    app = make_app()
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        screen = await open_playground(pilot, portal.client)
        assert screen.has_class("-narrow")
        api_path = screen.query_one("#pg-api-path", Input)
        assert api_path.size.width >= 30, api_path.size
        call_api = screen.query_one("#pg-call-api", Button)
        call_api.scroll_visible(animate=False)
        await pilot.pause()
        assert visible(call_api, (60, 20))
        assert "Call API ^o" in screen_dump(app)
        # And back to one row at 80 columns.
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert not screen.has_class("-narrow")


@pytest.mark.parametrize("size", SIZES)
async def test_introspect_label_is_apart_from_its_url(make_app, portal, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        screen = await open_playground(pilot, portal.client)
        screen.query_one("#pg-urls").collapsed = False
        await pilot.pause()
        screen.query_one("#pg-url-introspect").scroll_visible(animate=False)
        await pilot.pause()
        row = next(line for line in screen_lines(app) if "Introspect" in line and "http" in line)
        assert "Introspect http" in " ".join(row.split()), row
        assert "Introspecthttp" not in row


# -- help ------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
async def test_help_grants_wraps_to_the_dialog_without_stray_short_lines(make_app, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("question_mark", "g")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = screen_dump(app)
        assert "Authorization code + PKCE" in text
        # Every source paragraph is one line: the widget, not the source, wraps.
        assert all("\n" not in p for p in GRANTS_PARAGRAPHS)
        # No line inside a paragraph is short: double wrapping left a word or two on a
        # line of its own, then the paragraph went on below it.
        inner = [line.strip("█ ▇▁").strip() for line in screen_lines(app)[5:-1]]
        width = max(len(line) for line in inner)
        stray = [
            line
            for line, below in itertools.pairwise(inner)
            if line and below and len(line) < width // 2
        ]
        assert not stray, stray


async def test_help_names_what_the_focused_thing_is(make_app, portal):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_playground(pilot, portal.client)
        await pilot.press("question_mark")
        await settle(pilot)
        text = screen_dump(app)
        assert "In the focused RadioSet" not in text
        assert "In a list of choices (pick one)" in text


# -- the secret dialog -------------------------------------------------------------------


def reveal() -> Reveal:
    curl = (
        "curl -X POST http://127.0.0.1:8765/oauth/token \\\n"
        "  -d grant_type=client_credentials \\\n"
        "  -d client_id=12345 \\\n"
        f"  -d client_secret={SECRET}"
    )
    return Reveal(
        "Secret rotated: A client with a long name",
        "client_id",
        "12345",
        "Client secret",
        SECRET,
        note="Only its digest is stored.",
        curl_title="Getting an access token (client credentials):",
        curl=curl,
    )


@pytest.mark.parametrize("size", SIZES)
async def test_secret_dialog_buttons_reachable_and_secret_never_broken(make_app, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        app.push_screen(SecretRevealScreen(reveal()))
        await settle(pilot)
        dialog = app.screen
        for button in dialog.query(Button):
            assert visible(button, size), (button.id, button.region)
        assert visible(dialog.query_one(".dialog-title", Label), size)
        # The curl line is never wrapped inside the secret: the secret is whole on one
        # row once the body is scrolled to it, or cut at the edge (never continued below).
        body = dialog.query_one("#reveal-body")
        body.scroll_end(animate=False)
        await pilot.pause()
        rows = screen_lines(app)
        curl_rows = [r for r in rows if "client_secret=" in r]
        assert curl_rows, screen_dump(app)
        tail = SECRET[-6:]
        assert not any(r.strip(" █▇▁").startswith(tail) for r in rows)
        # Its footer shows its own keys, and ? Help.
        footer = " ".join(rows[-1].split())
        assert footer.startswith("c Copy secret i Copy id l Copy curl esc Done"), footer
        assert footer.endswith("? Help")


async def test_secret_dialog_help_lists_its_keys(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(SecretRevealScreen(reveal()))
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert "Copy the curl" in screen_dump(app) or "Copy curl" in screen_dump(app)


# -- footers -----------------------------------------------------------------------------


@pytest.mark.parametrize("keys", [(), ("u",), ("o",), ("T",), ("n",), ("p",)])
@pytest.mark.parametrize("size", SIZES)
async def test_every_footer_keeps_help(make_app, portal, size, keys):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        await pilot.pause()
        assert app.screen.query_one(ConsoleFooter)
        last = screen_lines(app)[-1].rstrip()
        # In a text field "?" types itself: there the footer offers f1.
        assert last.endswith(("? Help", "f1 Help")), (app.screen, last)


# -- toasts ------------------------------------------------------------------------------


def toasts(app) -> list[Toast]:
    return list(app.screen.query(Toast))


async def test_toasts_stay_off_table_headers_and_dialog_titles(make_app, portal):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("c")  # copy the client id: a toast
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        header = Region(table.region.x, table.region.y, table.region.width, 1)
        shown = toasts(app)
        assert shown
        for toast in shown:
            assert not toast.region.overlaps(header), (toast.region, header)
        app.push_screen(SecretRevealScreen(reveal()))
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        title = app.screen.query_one(".dialog-title", Label).region
        shown = toasts(app)
        assert shown
        for toast in shown:
            assert not toast.region.overlaps(title), (toast.region, title)
            for button in app.screen.query(Button):
                assert not toast.region.overlaps(button.region), button.id


async def test_the_same_kind_of_toast_replaces_the_last(make_app, portal):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        for _ in range(4):
            await pilot.press("c")
            await settle(pilot)
        assert len(toasts(app)) == 1
        assert len(list(app._notifications)) == 1


async def test_a_screens_toasts_do_not_follow_to_another_screen(make_app, portal):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        clients = app.screen
        screen = await open_playground(pilot, portal.client)
        assert toasts(app) == []  # the list's toast stays with the list
        screen.notify("No RFC 8414 metadata there", severity="warning", timeout=30)
        await settle(pilot)
        assert [t for t in toasts(app) if "RFC 8414" in str(t.render())]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is clients
        assert not any("RFC 8414" in str(t.render()) for t in toasts(app))
        assert not any("RFC 8414" in n.message for n in app._notifications)


# -- lists: Home/End, and the README's key table --------------------------------------------


async def test_home_and_end_move_the_client_list_cursor(make_app, store):
    for n in range(6):
        store.clients.create(f"client {n}", client_credentials=True)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        await pilot.press("end")
        await settle(pilot)
        assert table.cursor_row == 5
        await pilot.press("home")
        await settle(pilot)
        assert table.cursor_row == 0


async def test_home_and_end_move_the_users_list_cursor(make_app, store):
    for n in range(5):
        store.users.add(f"user{n}", "a good password here")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        table = app.screen.query_one("#users", DataTable)
        table.focus()
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_row == 4
        await pilot.press("home")
        await pilot.pause()
        assert table.cursor_row == 0


def test_readme_lists_the_list_keys() -> None:
    import re
    from pathlib import Path

    from textual.binding import Binding

    from authclients.tui.widgets.client_table import ClientTable
    from authclients.tui.widgets.list_table import ListTable

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    rows = dict(re.findall(r"^\| ([^|]+?) \| (.+) \|$", readme, re.M))
    for title, table in (("Clients", ClientTable), ("Lists (users, tokens, scopes)", ListTable)):
        listed = {part for key in re.findall(r"`([^`]+)`", rows[title]) for part in key.split("/")}
        for binding in Binding.make_bindings(table.BINDINGS):
            if binding.action in ("first", "last", "scroll_top", "scroll_bottom"):
                if binding.key.startswith("ctrl+"):
                    continue
                assert binding.key in listed, (title, binding.key)


# -- switches and radio buttons: a glyph for the state, a mark for the focus ----------------

COLOUR_SETTINGS = [
    pytest.param({"TEXTUAL_COLOR_SYSTEM": "256"}, id="256"),
    pytest.param({"TEXTUAL_COLOR_SYSTEM": "standard"}, id="16"),
    pytest.param({"NO_COLOR": "1"}, id="NO_COLOR"),
]


@pytest.mark.parametrize("env", COLOUR_SETTINGS)
async def test_switches_show_state_and_focus_without_colour(make_app, monkeypatch, env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("tab", "tab", "space")  # from the name: redirect, then the first grant
        await pilot.pause()
        rows = [" ".join(r.split()) for r in screen_lines(app)]
        assert any(r.startswith("▸[x] Authorization code") for r in rows), "\n".join(rows)
        assert any(r.startswith("[ ] Password grant") for r in rows)
        await pilot.press("tab")
        await pilot.pause()
        rows = [" ".join(r.split()) for r in screen_lines(app)]
        assert any(r.startswith("[x] Authorization code") for r in rows)
        assert any(r.startswith("▸[ ] Password grant") for r in rows)
        svg = app.export_screenshot()
        assert "▸" in svg


@pytest.mark.parametrize("env", COLOUR_SETTINGS)
async def test_radio_buttons_show_the_choice_and_focus_without_colour(
    make_app, portal, monkeypatch, env
):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_playground(pilot, portal.client)
        text = screen_dump(app)
        assert "▸● Password" in text, text
        assert "○ Auth code + PKCE" in text
        await pilot.press("right")  # the set points at the next grant; the choice stays
        await pilot.pause()
        text = screen_dump(app)
        assert "▸● Password" not in text and "● Password" in text
        assert "▸○" in text
