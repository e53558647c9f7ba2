"""Locked users on the Users screen: the mark with its age, and the unlock key."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets._footer import FooterKey

from authclients.store import Store
from authclients.store.clock import ManualClock
from authclients.store.models import User
from authclients.tui.screens.confirm import ConfirmScreen
from authclients.tui.screens.users import UsersScreen
from tests.tui.conftest import notifications, screen_text, settle

SIZE = (80, 24)


def lock(username: str, at) -> None:
    """As the endpoint's lock-out rule leaves a user after too many failures."""
    User.update(locked_at=at, failure_runs=1).where(User.username == username).execute()


async def test_locked_user_is_marked_and_unlocked_with_a_confirm(
    store: Store, clock: ManualClock, make_app
) -> None:
    store.users.add("alice", "password-alice")
    store.users.add("carol", "password-carol")
    lock("carol", clock.now() - timedelta(minutes=5))
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, UsersScreen)
        assert "u" in {k.key for k in app.screen.query(FooterKey)}
        text = screen_text(app)
        assert "carol locked 5 min ago" in text
        assert "alice active" in text
        await pilot.press("u")  # alice: not locked
        await settle(pilot)
        assert "alice is not locked." in notifications(app)
        assert isinstance(app.screen, UsersScreen)
        await pilot.press("down", "u")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "carol was locked 5 min ago" in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        assert store.users.get("carol").locked_at is not None
        await pilot.press("u", "y")
        await settle(pilot)
        assert store.users.get("carol").locked_at is None
        assert "carol active" in screen_text(app)
        assert "carol unlocked: they may sign in again." in notifications(app)


async def test_a_locked_and_deactivated_user_says_both(
    store: Store, clock: ManualClock, make_app
) -> None:
    store.users.add("carol", "password-carol")
    store.users.set_active("carol", False)
    lock("carol", clock.now() - timedelta(days=3))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert "carol locked 3 d ago, deactivated" in screen_text(app)


async def test_unlock_is_in_the_palette(store: Store, clock: ManualClock, make_app) -> None:
    store.users.add("carol", "password-carol")
    lock("carol", clock.now())
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"user: unlock")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert store.users.get("carol").locked_at is None
