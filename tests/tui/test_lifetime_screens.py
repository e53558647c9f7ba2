"""The Settings screen and the client form's Token lifetimes section: Pilot flows and snapshots."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from textual.widgets import Collapsible, Input, Label

from authclients.store import Store, crypto
from authclients.store.records import ClientLifetimes, Lifetimes
from authclients.tui.screens.client_form import ClientFormScreen
from authclients.tui.screens.clients import ClientsScreen
from authclients.tui.screens.settings import SettingsScreen
from tests.tui.conftest import settle
from tests.tui.test_snapshots import steps

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.fixture(autouse=True)
def fixed_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    counter = itertools.count(1)
    monkeypatch.setattr(
        crypto, "new_secret", lambda: f"{next(counter):04d}-snapshot-secret-0123456789abcdefghijklm"
    )


@pytest.fixture
def lifetime_store(store: Store) -> Store:
    store.target = "authclients.db"
    store.clients.create("Default lifetimes", password=True)
    store.clients.create(
        "Short-lived tokens",
        password=True,
        lifetimes={"access": timedelta(minutes=5), "refresh": timedelta(days=1)},
    )
    store.lifetime_settings.set({"personal_access": timedelta(days=90)})
    return store


@pytest.mark.parametrize("size", SIZES)
def test_settings_screen_snapshot(snap_compare, lifetime_store: Store, make_app, size) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=steps("L"))


@pytest.mark.parametrize("size", SIZES)
def test_settings_errors_snapshot(snap_compare, lifetime_store: Store, make_app, size) -> None:
    keys = ("L", "3,0,s", "tab", "x,y", "ctrl+s")
    assert snap_compare(make_app(), terminal_size=size, run_before=steps(*keys))


@pytest.mark.parametrize("size", SIZES)
def test_client_form_lifetimes_snapshot(
    snap_compare, lifetime_store: Store, make_app, size
) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await steps("down", "enter")(pilot)
        pilot.app.screen.query_one("#access-token-ttl", Input).focus()
        pilot.app.screen.query_one("#access-token-ttl", Input).cursor_blink = False
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_clients_list_marks_own_lifetimes_snapshot(
    snap_compare, lifetime_store: Store, make_app, size
) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=steps())


async def test_settings_saves_defaults_and_keeps_typed_text_on_error(
    lifetime_store: Store, make_app
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("L")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        personal = screen.query_one("#personal-token-ttl", Input)
        assert personal.value == "90d"  # as stored
        assert screen.query_one("#access-token-ttl", Input).value == ""  # built-in
        await pilot.press(*"45d", "tab", *"2w", "ctrl+s")
        await settle(pilot)
        error = screen.query_one("#access-token-ttl-error", Label)
        assert error.display and "At most 30d (from 1m to 30d)" in str(error.render())
        assert screen.query_one("#access-token-ttl", Input).value == "45d"
        assert screen.query_one("#refresh-token-ttl", Input).value == "2w"
        assert lifetime_store.lifetime_settings.stored()["refresh"] is None  # nothing saved
        access = screen.query_one("#access-token-ttl", Input)
        access.value = "20m"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not error.display
        stored = lifetime_store.lifetime_settings.stored()
        assert stored["access"] == timedelta(minutes=20)
        assert stored["refresh"] == timedelta(weeks=2)
        assert stored["personal_access"] == timedelta(days=90)
        assert lifetime_store.lifetimes.access == timedelta(minutes=20)
        # Emptying a field goes back to the built-in value.
        personal.value = ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert lifetime_store.lifetime_settings.stored()["personal_access"] is None
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)


async def test_settings_asks_before_discarding(lifetime_store: Store, make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("L")
        await settle(pilot)
        await pilot.press(*"5m", "escape")
        await settle(pilot)
        assert not isinstance(app.screen, SettingsScreen)  # the question
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        assert app.screen.query_one("#access-token-ttl", Input).value == "5m"


async def test_client_form_sets_and_clears_a_client_lifetime(
    lifetime_store: Store, make_app
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # "Default lifetimes": the section starts folded
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ClientFormScreen)
        section = form.query_one("#lifetimes", Collapsible)
        assert section.collapsed
        form.query_one("#name", Input).value = "Renamed"
        form.query_one("#auth-code-ttl", Input).value = "20m"
        await pilot.press("ctrl+s")
        await settle(pilot)
        # Refused before anything is sent; the section opens on the error; the name is kept.
        assert isinstance(app.screen, ClientFormScreen)
        assert not section.collapsed
        assert "At most 10m" in str(form.query_one("#auth-code-ttl-error", Label).render())
        assert form.query_one("#name", Input).value == "Renamed"
        assert lifetime_store.clients.get(1).name == "Default lifetimes"
        form.query_one("#auth-code-ttl", Input).value = "2m"
        form.query_one("#access-token-ttl", Input).value = "15m"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        saved = lifetime_store.clients.get(1)
        assert saved.name == "Renamed"
        assert saved.lifetimes == ClientLifetimes(
            access=timedelta(minutes=15), auth_code=timedelta(minutes=2)
        )

        await pilot.press("enter")
        await settle(pilot)
        form = app.screen
        assert not form.query_one("#lifetimes", Collapsible).collapsed  # it has its own
        form.query_one("#access-token-ttl", Input).value = ""
        form.query_one("#auth-code-ttl", Input).value = ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert lifetime_store.clients.get(1).lifetimes.is_default
        assert lifetime_store.lifetimes == Lifetimes(personal_access=timedelta(days=90))
