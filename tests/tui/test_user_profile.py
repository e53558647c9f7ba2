"""Editing a user's ID-token claims (email, full name) in the console."""

from __future__ import annotations

import pytest

from authclients.store import Store
from authclients.store.models import User
from authclients.tui.screens.user_profile import UserProfileScreen
from tests.tui.conftest import screen_text, settle, type_text
from tests.tui.test_snapshots import SIZES, demo_store, fixed_secrets, steps

__all__ = ["demo_store", "fixed_secrets"]  # fixtures, used by name

SIZE = (100, 30)


async def test_e_edits_the_claims_and_a_bad_email_keeps_the_dialog(store: Store, make_app) -> None:
    store.users.add("carol", "a-password")
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, UserProfileScreen)
        await type_text(pilot, "not an email")
        await pilot.press("tab")
        await type_text(pilot, "Carol Example")
        await pilot.press("ctrl+s")
        await settle(pilot)
        # Refused beside its field; nothing saved, the name typed is kept.
        assert isinstance(app.screen, UserProfileScreen)
        assert "email" in screen_text(app).lower()
        assert store.users.get("carol").email is None
        app.screen.query_one("#email").value = "carol@example.com"
        await pilot.press("ctrl+s")
        await settle(pilot)
        saved = store.users.get("carol")
        assert (saved.email, saved.name) == ("carol@example.com", "Carol Example")
        assert "Saved the email and name of carol" in screen_text(app)
        # Emptying a field clears the claim.
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#name").value = ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert store.users.get("carol").name is None


async def test_a_hostile_stored_name_shows_its_controls(store: Store, make_app) -> None:
    store.users.add("mallory", "a-password")
    User.update(name="Mal\x1b]0;pwned\x07lory").where(User.username == "mallory").execute()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        shown = app.screen.query_one("#name").value
        assert "\x1b" not in shown and "\x07" not in shown and "␛" in shown


@pytest.mark.parametrize("size", SIZES)
def test_profile_dialog(snap_compare, demo_store: Store, make_app, size) -> None:
    first = demo_store.users.list()[0].username
    demo_store.users.set_profile(first, email=f"{first}@example.com", name="Example User")
    assert snap_compare(make_app(), terminal_size=size, run_before=steps("u", "e"))
