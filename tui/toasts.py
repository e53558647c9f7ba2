"""Toasts that belong to a screen: shown only while it is on top, one per kind.

Textual keeps one list of notifications for the whole app and shows all of
them on whichever screen is on top, so a playground warning followed the admin
to the client list, and five copies stacked five toasts. Here each toast
remembers the screen that raised it and a kind; the app shows only the top
screen's toasts, forgets those of closed screens, and a new toast replaces an
older one of the same kind on the same screen.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field

from textual.notifications import Notification, Notifications
from textual.screen import Screen


@dataclass
class ScreenToast(Notification):
    """A notification with the screen that raised it and what kind of news it is."""

    kind: str = ""
    """Toasts of one kind on one screen replace each other ("clipboard", a title...)."""
    owner: weakref.ReferenceType[Screen[object]] | None = field(
        default=None, compare=False, repr=False
    )
    """The screen that raised it (weak: a closed screen is not kept alive by its toasts)."""

    @property
    def screen(self) -> Screen[object] | None:
        return self.owner() if self.owner is not None else None


def stale_toasts(
    notifications: Iterable[Notification], stack: list[Screen[object]]
) -> list[Notification]:
    """The toasts to forget: those of closed screens, and those replaced by a newer one.

    Args:
        notifications: every notification the app holds.
        stack: the app's screen stack (a screen not in it was closed).
    """
    newest: dict[tuple[int, str], ScreenToast] = {}
    stale: list[Notification] = []
    alive = {id(s) for s in stack}
    for note in notifications:
        if not isinstance(note, ScreenToast):
            continue
        owner = note.screen
        if owner is None or id(owner) not in alive:
            stale.append(note)
            continue
        key = (id(owner), note.kind)
        kept = newest.get(key)
        if kept is None:
            newest[key] = note
        elif note.raised_at >= kept.raised_at:
            stale.append(kept)
            newest[key] = note
        else:
            stale.append(note)
    return stale


def toasts_for(notifications: Iterable[Notification], screen: Screen[object]) -> Notifications:
    """The notifications to show on ``screen``: its own, and any raised by no screen."""
    shown = Notifications()
    for note in notifications:
        owner = note.screen if isinstance(note, ScreenToast) else None
        if owner is None or owner is screen:
            shown.add(note)
    return shown
