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
from authclients.store.oauth_client.discovery import elsewhere
from authclients.store.oauth_client.saved_targets import (
    SavedTarget,
    SavedTargetError,
    SavedTargets,
)
from authclients.store.records import GRANT_AUTHORIZATION_CODE
from authclients.tui.screens.public_key import PublicKeyScreen
from authclients.tui.screens.save_target import SaveTargetScreen
from authclients.tui.widgets.playground.client_picker import ClientPicker

CATCHER_URI = "http://127.0.0.1/callback"
"""The catcher's redirect URI when the form's is not a loopback one (a free port is picked)."""
CATCH_SECONDS = 300.0
SCOPE_INPUTS = ("pg-scope-client", "pg-scope-password", "pg-scope-code")
"""A saved target's scope fills each grant's scope input."""


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
    saved_targets: SavedTargets
    form: Any
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
        away = elsewhere(self.target)
        # Allowed (Google does it), but the client's secret goes there: say where.
        hint = "; ".join(f"the {name} is on another host: {url}" for name, url in away)
        self.view.say(
            f"Endpoints read from {found.kind} at {found.url}.", hint[:1].upper() + hint[1:]
        )

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
        required = self.target.iss_required

        def body() -> None:
            while True:
                try:
                    location = catcher.wait(CATCH_SECONDS)
                    oc.parse_redirect(location, state, issuer, required)
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

    # -- saved targets ------------------------------------------------------------------

    def load_saved_targets(self) -> None:
        """Offer the saved targets (a file read, off the UI thread like any I/O)."""
        saved, app = self.saved_targets, self.app

        def body() -> None:
            names = [t.name for t in saved.list()]
            with contextlib.suppress(RuntimeError):
                app.call_from_thread(self._offer_saved, names, saved.problem)

        self.run_worker(body, thread=True, group="pg-saved", exit_on_error=False)

    def _offer_saved(self, names: list[str], problem: str, chosen: str = "") -> None:
        if not self.is_attached:
            return
        self.picker.offer_saved(names, chosen)
        if problem:
            self.view.say(problem, "Save a target again to replace the file.", error=True)

    def on_target_picker_saved_chosen(self, event: Any) -> None:
        """Fill the server and client of a saved target; its secret from the keyring."""
        saved, app, name = self.saved_targets, self.app, event.name

        def body() -> None:
            target = saved.get(name)
            secret = saved.secret(name) if target else ""
            with contextlib.suppress(RuntimeError):
                app.call_from_thread(self._use_saved, target, secret)

        self.run_worker(body, thread=True, group="pg-saved", exit_on_error=False)

    def _use_saved(self, target: SavedTarget | None, secret: str) -> None:
        if target is None or not self.is_attached:
            return
        self.picker.choose_custom()
        self.picker.use_target(oc.Target.from_base(target.issuer))
        clients = self.query_one(ClientPicker)
        clients.type_in(target.client_id, target.auth_method)
        clients.set_secret(secret)
        for scope_input in SCOPE_INPUTS:
            self.form.set_value(scope_input, target.scope)
        if target.redirect_uri:
            self.code_flow.set_redirect_uri(target.redirect_uri)
        kept = "its secret from the keyring" if secret else "type its secret (none kept)"
        self.view.say(f"Saved target {target.name}: {kept}; discovering its endpoints.")
        self.action_discover()

    def action_save_target(self) -> None:
        if self.picker.embedded:
            self.view.say("Saved targets are other servers: choose “Another server”.", error=True)
            return
        clients = self.query_one(ClientPicker)
        host = urlsplit(self.picker.base_url).hostname or "server"
        suggested = self.picker.saved_name or f"{host} · {clients.client_id or 'client'}"
        keeps = self.saved_targets.keeps_secrets
        self.app.push_screen(SaveTargetScreen(suggested, keeps_secrets=keeps), self._save_named)

    def _save_named(self, name: str | None) -> None:
        if not name:
            return
        clients = self.query_one(ClientPicker)
        grant_scope = next((self.form.value(i) for i in SCOPE_INPUTS if self.form.value(i)), "")
        target = SavedTarget(
            name=name,
            issuer=self.target.issuer or self.picker.base_url,
            client_id=clients.client_id,
            auth_method=clients.method,
            scope=grant_scope,
            redirect_uri=self.code_flow.redirect_uri,
        )
        saved, app, secret = self.saved_targets, self.app, clients.secret

        def body() -> None:
            try:
                kept = saved.save(target, secret)
            except (SavedTargetError, OSError) as exc:
                message = f"Not saved: {exc}"
                with contextlib.suppress(RuntimeError):
                    app.call_from_thread(self.view.say, message, error=True)
                return
            names = [t.name for t in saved.list()]
            note = "secret in the OS keyring" if kept else "no secret kept: asked each run"
            with contextlib.suppress(RuntimeError):
                app.call_from_thread(self._offer_saved, names, "", name)
                app.call_from_thread(self.view.say, f"Saved {name} ({note}).")

        self.run_worker(body, thread=True, group="pg-saved", exit_on_error=False)

    def action_forget_target(self) -> None:
        name = self.picker.saved_name
        if not name:
            self.view.say("Pick a saved target to forget first.", error=True)
            return
        saved, app = self.saved_targets, self.app

        def body() -> None:
            saved.delete(name)
            names = [t.name for t in saved.list()]
            with contextlib.suppress(RuntimeError):
                app.call_from_thread(self._offer_saved, names, "")
                app.call_from_thread(self.view.say, f"Forgot {name} and its secret.")

        self.run_worker(body, thread=True, group="pg-saved", exit_on_error=False)
