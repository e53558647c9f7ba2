"""``authclients --demo``: the console on a throw-away database full of demo data."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

from authclients.store.demo import DemoData, seed_demo, temporary_store
from authclients.store.listen_address import DEFAULT_PORT
from authclients.tui.app import AuthClientsApp, start_endpoint
from authclients.tui.hangup import HangupGuard
from authclients.tui.preferences import PreferencesFile
from authclients.tui.screens.demo_welcome import show_demo


class DemoConsoleApp(AuthClientsApp):
    """The console, which reveals the demo data once it is on screen."""

    def __init__(self, store: Any, demo: DemoData, **kwargs: Any) -> None:
        super().__init__(store, **kwargs)
        self.demo = demo

    def on_ready(self) -> None:
        # Ready comes after the app's own mount has pushed the client list.
        show_demo(self, self.demo, temporary=True)


def run_demo(port: int = DEFAULT_PORT, no_server: bool = False) -> int:
    """Seed a temporary database, run the console over it, delete it on the way out.

    Returns:
        The process exit code.
    """
    try:
        with temporary_store() as store:
            demo = seed_demo(store)
            endpoint, note = (None, "--no-server") if no_server else start_endpoint(store, port)
            app = DemoConsoleApp(
                store,
                demo,
                endpoint=endpoint,
                endpoint_note=note,
                preferences=PreferencesFile.default(),
            )
            # A closed SSH session (SIGHUP) or a kill (SIGTERM) deletes the demo data
            # first, then stops the endpoint, even if the UI thread never returns.
            folder = Path(store.target).parent
            cleanups = [lambda: shutil.rmtree(folder, ignore_errors=True)]
            if endpoint is not None:
                cleanups.append(endpoint.stop)
            guard = HangupGuard(app, cleanups)
            guard.install()
            try:
                app.run()
            finally:
                if endpoint is not None:
                    endpoint.stop()
                guard.done()
    except OSError as exc:
        print(f"authclients: cannot create the demo database: {exc}", file=sys.stderr)
        return 1
    return guard.exit_code or app.return_code or 0
