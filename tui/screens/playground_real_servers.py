"""The playground's actions for servers that are not ours: discovery, the key pair that
``private_key_jwt`` signs with, and the loopback catcher of a real browser's redirect.

A mixin of ``PlaygroundScreen``, kept apart so the screen stays one job: it reads
the screen's widgets and reports through its exchange view, like the screen's own
actions do.
"""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import urlsplit

from authclients.store import oauth_client as oc
from authclients.store.records import GRANT_AUTHORIZATION_CODE
from authclients.tui.screens.public_key import PublicKeyScreen
from authclients.tui.widgets.playground.client_picker import ClientPicker

CATCHER_URI = "http://127.0.0.1/callback"
"""The catcher's redirect URI when the form's is not a loopback one (a free port is picked)."""
CATCH_SECONDS = 300.0


def is_loopback_http(uri: str) -> bool:
    """An ``http://127.0.0.1…`` (or ::1, localhost) URI the catcher can listen at."""
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "::1", "localhost")


class RealServerActions:
    """Discover, key pair and catch: the playground as a client of any server.

    Every other attribute it reads (``view``, ``picker``, ``memory``…) is the
    screen's; naming the screen's class here would be an import circle.
    """

    _catcher: oc.RedirectCatcher | None
    view: Any
    picker: Any
    memory: Any
    code_flow: Any
    target: oc.Target
    pending: int
    timeout: float

    def action_discover(self) -> None:
        """Find the server's metadata (RFC 8414, then OpenID Connect) in a worker."""
        asked = self.picker.base_url
        if not asked:
            self.view.say("Type the server's issuer (or its metadata URL) first.", error=True)
            return
        self.pending += 1
        timeout = self.timeout
        app = self.app
        self.view.say(f"Discovering {asked} …")

        def body() -> None:
            found = oc.discover(asked, send=lambda request: oc.exchange(request, timeout=timeout))
            with contextlib.suppress(RuntimeError):  # the app is closing: nobody to tell
                app.call_from_thread(self._discovered, found)

        self.run_worker(body, thread=True, group="pg-http", exit_on_error=False)

    def _discovered(self, found: oc.Discovery) -> None:
        self.pending -= 1
        if not self.is_attached:
            return
        for attempt in found.attempts:
            self.view.received(attempt)
        if not found.ok:
            self.view.say(
                f"Discovery: {found.error}",
                "The usual /oauth/... paths are kept; edit them under “Endpoint URLs”.",
                error=True,
            )
            return
        self.target = self.picker.apply_discovery(found)
        self.query_one(ClientPicker).offer_methods(self.target.auth_methods)
        self._show_authorize_url()
        self.view.say(f"Endpoints read from {found.kind} at {found.url}.")

    def action_key_pair(self) -> None:
        """Make (once per run) the key pair ``private_key_jwt`` signs with; show its JWKS."""
        if self.memory.key_pair is None:
            self.memory.key_pair = oc.generate_key_pair()
        key = self.memory.key_pair

        def answered(new_pair: bool | None) -> None:
            if new_pair:
                self.memory.key_pair = None
                self.action_key_pair()

        self.app.push_screen(PublicKeyScreen(str(key.kid), oc.public_jwks(key)), answered)

    def action_catch_redirect(self) -> None:
        """The code grant with a real browser: listen on loopback for its redirect."""
        self._stop_catcher()
        self.select_grant(GRANT_AUTHORIZATION_CODE)
        wanted = self.code_flow.redirect_uri
        try:
            catcher = oc.RedirectCatcher(wanted if is_loopback_http(wanted) else CATCHER_URI)
        except ValueError as exc:
            self.view.say(str(exc), error=True)
            return
        self._catcher = catcher
        self.code_flow.set_redirect_uri(catcher.redirect_uri)
        self._show_authorize_url()
        self.console.copy_text(self.code_flow.url, "Authorize URL")
        self.view.say(
            f"Waiting for the redirect to {catcher.redirect_uri} …",
            "Open the authorize URL (copied) in a browser on this machine and sign in; "
            f"register {catcher.redirect_uri.rsplit(':', 1)[0]}/… as a redirect URI of the "
            "client (any port: RFC 8252 §7.3).",
        )
        state, issuer, app = self.pkce.state, self.target.issuer, self.app

        def body() -> None:
            while True:
                try:
                    location = catcher.wait(CATCH_SECONDS)
                    oc.parse_redirect(location, state, issuer)
                except oc.StateMismatch as exc:
                    # Any local process can reach the catcher: report it, wait on.
                    message = str(exc)
                    app.call_from_thread(self.view.say, message, "Still waiting.", error=True)
                    continue
                except ValueError:
                    continue
                except (TimeoutError, oc.CatcherClosed) as exc:
                    if isinstance(exc, TimeoutError):
                        with contextlib.suppress(RuntimeError):
                            app.call_from_thread(self.view.say, str(exc), error=True)
                    return
                with contextlib.suppress(RuntimeError):
                    app.call_from_thread(self._caught, catcher, location)
                return

        self.run_worker(body, thread=True, group="pg-catch", exit_on_error=False)

    def _caught(self, catcher: oc.RedirectCatcher, location: str) -> None:
        if self._catcher is catcher:
            self._stop_catcher()
        if self.is_attached:
            self.use_redirect(location, exchange_code=True)

    def _stop_catcher(self) -> None:
        if self._catcher is not None:
            self._catcher.close()
            self._catcher = None

    def on_unmount(self) -> None:
        self._stop_catcher()
