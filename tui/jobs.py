"""Store calls off the UI thread: one helper so every screen handles failures the same way."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, TypeVar

import peewee as pw
from textual.dom import NoScreen
from textual.worker import Worker, get_current_worker

from authclients.store.db import bound_check_hint
from authclients.store.errors import NotFound, StoreError, ValidationError

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from authclients.store import Store

T = TypeVar("T")


def failure_message(exc: BaseException) -> str:
    """What went wrong, said so the admin knows what to do; never a traceback."""
    if isinstance(exc, NotFound):
        return (
            f"The {exc.kind} {exc.key} no longer exists (deleted elsewhere?). The list is reloaded."
        )
    if isinstance(exc, ValidationError):
        return " ".join(exc.errors.values())
    if isinstance(exc, StoreError):
        return str(exc)
    if isinstance(exc, pw.DatabaseError):
        # The CLI's hint, word for word: an admin reads one explanation wherever it failed.
        return f"The database failed: {exc} ({bound_check_hint()}), then try again."
    return f"Unexpected error: {type(exc).__name__}: {exc}"


def run_store_job(
    node: DOMNode,
    store: Store,
    job: Callable[[], T],
    done: Callable[[T], object],
    *,
    group: str,
    exclusive: bool = True,
    failed: Callable[[BaseException], object] | None = None,
) -> Worker[None]:
    """Run ``job`` (store calls) in a thread; then ``done(result)`` on the UI thread.

    A failure goes to ``failed`` (on the UI thread), or becomes an error
    notification. With ``exclusive``, a newer job of the same group supersedes
    an older one, whose result is then dropped (so a stale page never wins).

    Args:
        node: the screen or widget the worker belongs to.
        store: the store; its connection for the worker thread is closed at the end.
        job: the blocking work.
        done: receives the result on the UI thread.
        group: the worker group.
        exclusive: cancel older workers of the group.
        failed: receives the exception on the UI thread.
    """
    app = node.app

    def notify_failure(exc: BaseException) -> None:
        # The toast belongs to the worker's screen: it goes when that screen closes.
        try:
            screen = node.screen
        except NoScreen:  # detached: its screen is gone, and so is the toast's place
            return
        app.notify(
            failure_message(exc),
            title="Could not finish",
            severity="error",
            timeout=8,
            screen=screen,
        )

    def body() -> None:
        worker = get_current_worker()
        try:
            result = job()
        except Exception as exc:  # every failure becomes a message, never a traceback
            outcome = partial(failed or notify_failure, exc)
        else:
            outcome = partial(done, result)
        finally:
            # Peewee keeps one connection per thread; this thread ends now.
            store.close()
        if worker.is_cancelled:
            return
        with contextlib.suppress(RuntimeError):  # the app is closing: nobody to tell
            app.call_from_thread(outcome)

    return node.run_worker(body, thread=True, group=group, exclusive=exclusive, exit_on_error=False)
