"""The token playground: a real OAuth 2.0 client in the terminal, wired to the endpoint.

The screen composes the widgets of ``tui/widgets/playground`` and owns the
work: it reads the store and sends requests in workers, and hands what comes
back to the panels.
"""

from __future__ import annotations

import contextlib
import json
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import ClassVar
from urllib.parse import urlencode

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Button, Footer, Input, TabbedContent, TabPane

from authclients.store import oauth_client as oc
from authclients.store.errors import NotFound
from authclients.store.records import (
    GRANT_AUTHORIZATION_CODE,
    GRANT_CLIENT_CREDENTIALS,
    GRANT_PASSWORD,
    GRANT_PERSONAL_ACCESS,
    GRANT_REFRESH_TOKEN,
    ClientInfo,
    ClientPage,
    IssuedToken,
)
from authclients.tui.safe_text import printable
from authclients.tui.screens.authorize_here import AuthorizeHereScreen, AuthorizeOutcome
from authclients.tui.screens.base import ConsoleScreen
from authclients.tui.widgets.console_header import ConsoleHeader
from authclients.tui.widgets.playground.actions import ActionBar
from authclients.tui.widgets.playground.client_picker import BY_HAND, ClientPicker
from authclients.tui.widgets.playground.exchange_panels import (
    CurlPanel,
    OutcomeLine,
    RequestPanel,
    ResponsePanel,
)
from authclients.tui.widgets.playground.grant_form import GrantForm
from authclients.tui.widgets.playground.grants import GRANTS, GrantOffer, grant_offers
from authclients.tui.widgets.playground.hints import HintContext, explain
from authclients.tui.widgets.playground.history import HistoryTable
from authclients.tui.widgets.playground.target_picker import TargetPicker
from authclients.tui.widgets.playground.token_panel import TokenPanel

__all__ = ["GRANTS", "GrantOffer", "PlaygroundScreen", "grant_offers"]

CLIENT_LIMIT = 500
"""Clients offered in the picker (by id); any other can be typed by hand."""


@dataclass
class PlaygroundMemory:
    """What outlives one opening of the playground within a run of the app."""

    history: list[oc.Exchange] = field(default_factory=list)
    tokens: oc.TokenSet | None = None


_MEMORY: weakref.WeakKeyDictionary[App[object], PlaygroundMemory] = weakref.WeakKeyDictionary()
"""One memory per app: "this run's requests" survive closing and reopening the screen."""


class PlaygroundScreen(ConsoleScreen[None]):
    """Target, client, grant and its inputs; Send and friends; the panels; the history."""

    CSS_PATH = "../playground.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="playground.back"),
        Binding("ctrl+s", "send", "Send", id="playground.send", tooltip="Send the grant request"),
        Binding("ctrl+r", "refresh", "Refresh", id="playground.refresh"),
        Binding("ctrl+t", "introspect", "Introspect", id="playground.introspect"),
        Binding("ctrl+g", "revoke", "Revoke", id="playground.revoke"),
        Binding("ctrl+o", "call_api", "Call API", id="playground.call_api"),
        Binding("ctrl+y", "copy_token", "Copy token", id="playground.copy_token", show=False),
        Binding("ctrl+l", "copy_curl", "Copy curl", id="playground.copy_curl", show=False),
        Binding(
            "ctrl+n", "authorize_here", "Sign in here", id="playground.authorize_here", show=False
        ),
        Binding("f2", "toggle_secrets", "Secrets", id="playground.toggle_secrets", show=False),
        Binding("f3", "show_history", "History", id="playground.history", show=False),
    ]
    PALETTE = (
        ("playground: Send", "send", "Send the chosen grant's request (ctrl+s)"),
        ("playground: Refresh", "refresh", "Refresh with the last refresh token (ctrl+r)"),
        ("playground: Introspect", "introspect", "Introspect the access token (ctrl+t)"),
        ("playground: Revoke", "revoke", "Revoke the access token (ctrl+g)"),
        ("playground: Call API", "call_api", "GET the API path with the token (ctrl+o)"),
        ("playground: Copy token", "copy_token", "Copy the access token (ctrl+y)"),
        ("playground: Copy curl", "copy_curl", "Copy the last request as curl (ctrl+l)"),
        ("playground: Sign in and approve here", "authorize_here", "The code flow here (ctrl+n)"),
        ("playground: Copy authorize URL", "copy_authorize_url", "For a real browser"),
        ("playground: New state and verifier", "new_pkce", "A fresh PKCE pair and state"),
        ("playground: Discover endpoints", "discover", "Read the server's RFC 8414 metadata"),
        ("playground: Show or hide secrets", "toggle_secrets", "Mask secrets in panels (f2)"),
        ("playground: History", "show_history", "This run's requests (f3)"),
        ("playground: Back", "back", "Close the playground (esc)"),
    )

    AUTO_FOCUS = "#pg-grant"
    """The grants first: arrows choose one, tab walks into its inputs."""

    def __init__(
        self,
        client: ClientInfo | None = None,
        *,
        pkce: oc.Pkce | None = None,
        timeout: float = oc.DEFAULT_TIMEOUT,
    ) -> None:
        """Args:
        client: the client to start with (the highlighted one on the clients screen).
        pkce: fixed state and verifier (screenshots, tests); fresh ones otherwise.
        timeout: seconds before a request is given up.
        """
        super().__init__()
        self.initial_client = client
        self.timeout = timeout
        self.pkce = pkce or oc.Pkce.new()
        self.clients: dict[int, ClientInfo] = {client.id: client} if client else {}
        self.client: ClientInfo | None = client
        self.target = oc.Target.from_base("http://127.0.0.1")
        self.tokens: oc.TokenSet | None = None
        self.introspection: dict[str, object] | None = None
        self.memory = PlaygroundMemory()
        """Replaced on mount by the app's, shared with earlier openings."""
        self.history: list[oc.Exchange] = self.memory.history
        self.shown: oc.Exchange | None = None
        self.show_secrets = False
        self.pending = 0
        """Requests in flight (tests wait for zero)."""
        self.code = ""

    def compose(self) -> ComposeResult:
        yield ConsoleHeader("Token playground")
        with VerticalScroll(id="pg-body"):
            yield TargetPicker(id="pg-target")
            yield ClientPicker(self.initial_client, id="pg-client-picker")
            yield GrantForm(id="pg-grant-form")
            yield ActionBar(id="pg-action-bar")
            yield OutcomeLine("Choose a grant, fill it in, and Send (ctrl+s).", id="pg-outcome")
            with TabbedContent(id="pg-panels"):
                with TabPane("Request", id="tab-request"):
                    yield RequestPanel("", id="pg-request", classes="pg-panel")
                with TabPane("curl", id="tab-curl"):
                    yield CurlPanel("", id="pg-curl", classes="pg-panel")
                with TabPane("Response", id="tab-response"):
                    yield ResponsePanel("", id="pg-response", classes="pg-panel")
                with TabPane("Token", id="tab-token"):
                    yield TokenPanel("No token yet.", id="pg-token", classes="pg-panel")
                with TabPane("History", id="tab-history"):
                    yield HistoryTable(id="pg-history")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.memory = _MEMORY.setdefault(self.app, PlaygroundMemory())
        self.history = self.memory.history
        table = self.query_one(HistoryTable)
        for index, done in enumerate(self.history):
            table.add_exchange(index, done)
        if self.memory.tokens is not None:
            self.tokens = self.memory.tokens
            self.form.set_value("pg-refresh-token", self.tokens.refresh_token)
            self._show_token()
        self._use_target(oc.Target.from_base(self.console.endpoint_url))
        self._show_pkce()
        self._apply_client(self.initial_client)
        self._show_panels(None)
        self.set_interval(1.0, self._tick)
        clients = self.store.clients
        self.run_store(
            lambda: clients.list(limit=CLIENT_LIMIT), self._clients_loaded, group="pg-clients"
        )

    @property
    def form(self) -> GrantForm:
        return self.query_one(GrantForm)

    @property
    def picker(self) -> TargetPicker:
        return self.query_one(TargetPicker)

    # -- target ---------------------------------------------------------------------------

    @property
    def embedded(self) -> bool:
        return self.picker.embedded

    def _use_target(self, target: oc.Target) -> None:
        self.target = target
        self.picker.use_target(target)
        self._show_authorize_url()

    def _read_target(self) -> oc.Target:
        self.target = self.picker.read_target()
        return self.target

    def on_target_picker_kind_changed(self, event: TargetPicker.KindChanged) -> None:
        if event.embedded:
            self._use_target(oc.Target.from_base(self.console.endpoint_url))
        self._apply_grants()

    def on_target_picker_discover_requested(self) -> None:
        self.action_discover()

    def action_discover(self) -> None:
        base = self.picker.base_url
        if not base:
            self.notify("Type the server's base URL first.", severity="warning")
            return
        self._send(oc.discovery_request(base), "discovery", self._discovered)

    def _discovered(self, done: oc.Exchange) -> None:
        body = done.response.json() if done.response is not None else None
        if not done.ok or body is None:
            self.notify(
                "No RFC 8414 metadata there: the usual /oauth/... paths are kept; edit them "
                "under “Endpoint URLs” if the server uses others.",
                severity="warning",
                timeout=8,
            )
            return
        # An endpoint URL with control characters in it is no URL: it is not used.
        usable = {k: v for k, v in body.items() if not isinstance(v, str) or printable(v) == v}
        self._use_target(oc.Target.from_base(self.picker.base_url).with_metadata(usable))
        self.picker.show_urls()
        self.notify("Endpoints read from the server's metadata.")

    @on(Input.Changed, "#pg-url-authorize, #pg-redirect-uri, #pg-scope-code, #pg-client-id")
    def _authorize_inputs_changed(self) -> None:
        self._show_authorize_url()

    # -- client ---------------------------------------------------------------------------

    def _clients_loaded(self, page: ClientPage) -> None:
        self.clients = {c.id: c for c in page.items}
        if self.initial_client is not None:
            self.clients.setdefault(self.initial_client.id, self.initial_client)
        current = self.client.id if self.client is not None else BY_HAND
        self.query_one(ClientPicker).offer(self.clients.values(), current)

    def on_client_picker_chosen(self, event: ClientPicker.Chosen) -> None:
        client = self.clients.get(event.client_id)
        if (client.id if client else BY_HAND) == (self.client.id if self.client else BY_HAND):
            return  # the picker settling on the client we have: keep what was typed
        self._apply_client(client)

    def _apply_client(self, client: ClientInfo | None) -> None:
        """Fill the id, the secret (only if revealed in this run) and what the grants need."""
        self.client = client
        secret = self.console.secrets.get(client.id, "") if client else ""
        self.query_one(ClientPicker).fill(client, secret)
        redirect = self.form.value("pg-redirect-uri", strip=False)
        if client and client.redirect_uris and redirect not in client.redirect_uris:
            self.form.set_value("pg-redirect-uri", client.redirect_uris[0])
        self._apply_grants()

    def _hint_context(self, grant: str) -> HintContext:
        client_id = self.query_one(ClientPicker).client_id
        known = self.client
        if known is None and client_id.isdigit():
            # Typed by hand, but maybe one of ours: the hint can then name it.
            known = self.clients.get(int(client_id))
        return HintContext(
            grant=grant,
            client_id=client_id,
            client_name=known.name if known else "",
            public=bool(known and known.public),
            embedded=self.embedded,
            base_url=self.target.base_url,
        )

    # -- grants ---------------------------------------------------------------------------

    @property
    def grant(self) -> str:
        return self.form.grant

    def _apply_grants(self) -> None:
        self.form.apply_offers(grant_offers(self.client, embedded=self.embedded))

    def select_grant(self, grant: str) -> None:
        """Press the grant's radio button and show its inputs."""
        self.form.select_grant(grant)

    # -- authorization code ----------------------------------------------------------------

    def _show_pkce(self) -> None:
        self.form.show_pkce(self.pkce)
        self._show_authorize_url()

    def _authorize_url(self) -> str:
        target = self._read_target() if self.is_mounted else self.target
        client_id = self.query_one(ClientPicker).client_id
        form = self.form
        redirect, scope = form.value("pg-redirect-uri"), form.value("pg-scope-code")
        return oc.authorize_url(target, client_id, redirect, scope, self.pkce)

    def _show_authorize_url(self) -> None:
        self.form.show_authorize_url(self._authorize_url())

    @on(Button.Pressed, "#pg-new-pkce")
    def action_new_pkce(self) -> None:
        self.pkce = oc.Pkce.new()
        self._show_pkce()

    @on(Button.Pressed, "#pg-copy-authorize")
    def action_copy_authorize_url(self) -> None:
        self.console.copy_text(self._authorize_url(), "Authorize URL")

    @on(Button.Pressed, "#pg-authorize-here")
    def action_authorize_here(self) -> None:
        offers = grant_offers(self.client, embedded=self.embedded)
        code = next(o for o in offers if o.grant == GRANT_AUTHORIZATION_CODE)
        if not code.enabled:
            self._outcome(f"{code.label}: {code.reason}", error=True)
            return
        self.select_grant(GRANT_AUTHORIZATION_CODE)
        if not self.form.value("pg-redirect-uri"):
            self._outcome("Give a redirect URL registered for the client first.", error=True)
            return
        username = self.form.value("pg-username")
        self.pending += 1
        self.app.push_screen(
            AuthorizeHereScreen(self._authorize_url(), timeout=self.timeout, username=username),
            self._authorized,
        )

    def _authorized(self, outcome: AuthorizeOutcome | None) -> None:
        self.pending -= 1
        if outcome is None:
            return
        context = self._hint_context(GRANT_AUTHORIZATION_CODE)
        for done in outcome.exchanges:
            done.hint = done.hint or explain(done, context)
            self._record(done)
        if outcome.exchanges:
            self._show_panels(outcome.exchanges[-1])
        if outcome.location:
            self.use_redirect(outcome.location, exchange_code=True)
        elif outcome.error:
            last = outcome.exchanges[-1] if outcome.exchanges else None
            hint = last.hint if last is not None and last.response is None else ""
            if not hint and not self.embedded and outcome.error != "Cancelled.":
                # Other servers' sign-in pages are not ours: a browser knows them.
                hint = (
                    "This server's pages may not be readable here: Copy URL, open it in a "
                    "browser, and paste the URL it sends you to."
                )
            self._outcome(f"Authorization stopped: {outcome.error}", hint, error=True)

    @on(Button.Pressed, "#pg-use-redirect")
    @on(Input.Submitted, "#pg-redirect-paste")
    def _use_pasted(self) -> None:
        url = self.form.value("pg-redirect-paste")
        if not url:
            self.notify("Paste the URL your browser was sent to.", severity="warning")
            return
        self.use_redirect(url, exchange_code=False)

    def use_redirect(self, location: str, *, exchange_code: bool) -> None:
        """Read a redirect, check its state, show the code; exchange it when asked."""
        try:
            redirect = oc.parse_redirect(location, self.pkce.state)
        except oc.StateMismatch as exc:
            self.code = ""
            self.form.set_value("pg-code", "")
            self._outcome(str(exc), error=True)
            return
        except ValueError as exc:
            self._outcome(str(exc), error=True)
            return
        if redirect.error:
            said = f"{redirect.error}: {redirect.error_description}".rstrip(": ")
            hint = (
                "The user chose Deny: no code was issued."
                if redirect.error == "access_denied"
                else "The server refused the authorization request (see the redirect)."
            )
            self._outcome(f"Redirected with an error: {said}", hint, error=True)
            return
        self.code = redirect.code
        self.form.set_value("pg-code", redirect.code)
        self._outcome(f"Code received (state checked): {redirect.code[:10]}…")
        if exchange_code:
            self.action_send()

    # -- sending ----------------------------------------------------------------------------

    def _send(
        self,
        request: oc.HttpRequest,
        grant: str,
        then: Callable[[oc.Exchange], object] | None = None,
    ) -> None:
        """Send in a worker thread with the timeout; the result comes back to the UI."""
        self.pending += 1
        context = self._hint_context(grant)
        timeout = self.timeout
        # Taken now: once the screen is closed, ``self.app`` no longer answers.
        app = self.app
        self._outcome(f"{request.method} {request.url} …")

        def body() -> None:
            done = oc.exchange(request, timeout=timeout)
            done.hint = explain(done, context)
            with contextlib.suppress(RuntimeError):  # the app is closing: nobody to tell
                app.call_from_thread(self._received, done, then)

        self.run_worker(body, thread=True, group="pg-http", exit_on_error=False)

    def _received(self, done: oc.Exchange, then: Callable[[oc.Exchange], object] | None) -> None:
        self.pending -= 1
        if not self.is_attached:
            return  # the playground was closed while the request was out
        self._record(done)
        self._show_panels(done)
        if done.response is not None and done.ok:
            response = done.response
            title = done.request.title
            self._outcome(
                f"{response.status} {response.reason} · {title} · {response.elapsed_ms:.0f} ms"
            )
        else:
            self._outcome(
                done.error or f"{done.status_text} · {done.request.title}", done.hint, error=True
            )
        if then is not None:
            then(done)
        panels = self.query_one("#pg-panels", TabbedContent)
        if panels.active != "tab-history":
            panels.active = "tab-response"
        # At 80x24 the answer is below the form: bring it up, the form is a scroll away.
        self.call_after_refresh(self._reveal_outcome)

    def _reveal_outcome(self) -> None:
        body = self.query_one("#pg-body", VerticalScroll)
        body.scroll_to_widget(self.query_one(OutcomeLine), top=True, animate=False)

    def _token_received(self, done: oc.Exchange) -> None:
        body = done.response.json() if done.response is not None else None
        if not done.ok or not body or "access_token" not in body:
            return
        self.tokens = oc.TokenSet.from_response(body, self.now().timestamp(), done.request.title)
        self.memory.tokens = self.tokens
        self.introspection = None
        if self.tokens.refresh_token:
            self.form.set_value("pg-refresh-token", self.tokens.refresh_token)
        self._show_token()

    def _require_client(self) -> oc.ClientCredentials | None:
        creds = self.query_one(ClientPicker).credentials()
        if not creds.client_id:
            self._outcome("Choose a client, or type its id.", error=True)
            return None
        return creds

    @on(Button.Pressed, "#pg-send")
    def action_send(self) -> None:
        """Send the chosen grant's request (the personal token is made in the store)."""
        grant = self.grant
        if grant == GRANT_PERSONAL_ACCESS:
            self._create_personal_token()
            return
        creds = self._require_client()
        if creds is None:
            return
        target, value = self._read_target(), self.form.value
        if grant == GRANT_PASSWORD:
            password = value("pg-password", strip=False)
            scope = value("pg-scope-password")
            request = oc.password_request(target, creds, value("pg-username"), password, scope)
        elif grant == GRANT_CLIENT_CREDENTIALS:
            request = oc.client_credentials_request(target, creds, value("pg-scope-client"))
        elif grant == GRANT_AUTHORIZATION_CODE:
            code = value("pg-code")
            if not code:
                self._outcome(
                    "No code yet: Sign in and approve here (ctrl+n), or paste the redirected URL.",
                    error=True,
                )
                return
            redirect = value("pg-redirect-uri")
            request = oc.code_exchange_request(target, creds, code, redirect, self.pkce.verifier)
        else:
            refresh = value("pg-refresh-token")
            if not refresh:
                self._outcome("No refresh token: get one with a grant, or paste it.", error=True)
                return
            request = oc.refresh_request(target, creds, refresh, value("pg-scope-refresh"))
        self._send(request, grant, self._token_received)

    @on(Button.Pressed, "#pg-refresh")
    def action_refresh(self) -> None:
        refresh = self.tokens.refresh_token if self.tokens else ""
        refresh = refresh or self.form.value("pg-refresh-token")
        creds = self._require_client()
        if creds is None:
            return
        if not refresh:
            self._outcome("No refresh token in the last response.", error=True)
            return
        request = oc.refresh_request(self._read_target(), creds, refresh)
        self._send(request, GRANT_REFRESH_TOKEN, self._token_received)

    def _access_token(self) -> str | None:
        if self.tokens is None or not self.tokens.access_token:
            self._outcome("No access token yet: Send a grant first.", error=True)
            return None
        return self.tokens.access_token

    @on(Button.Pressed, "#pg-introspect")
    def action_introspect(self) -> None:
        token = self._access_token()
        creds = self._require_client() if token else None
        if token and creds:
            request = oc.introspect_request(self._read_target(), creds, token)
            self._send(request, "introspect", self._introspected)

    def _introspected(self, done: oc.Exchange) -> None:
        body = done.response.json() if done.response is not None else None
        if done.ok and body is not None:
            self.introspection = body
            self._show_token()

    @on(Button.Pressed, "#pg-revoke")
    def action_revoke(self) -> None:
        token = self._access_token()
        creds = self._require_client() if token else None
        if token and creds:
            request = oc.revoke_request(self._read_target(), creds, token, "access_token")
            self._send(request, "revoke", self._revoked)

    def _revoked(self, done: oc.Exchange) -> None:
        if done.ok:
            self.introspection = {"active": False, "note": "revoked from the playground"}
            self._show_token()

    @on(Button.Pressed, "#pg-call-api")
    @on(Input.Submitted, "#pg-api-path")
    def action_call_api(self) -> None:
        token = self._access_token()
        if token:
            path = self.query_one(ActionBar).api_path
            self._send(oc.api_request(self._read_target(), token, path), "api")

    # -- personal access tokens (the store, not HTTP) -------------------------------------

    def _create_personal_token(self) -> None:
        client = self.client
        if client is None or not self.embedded:
            self._outcome("Personal tokens: choose a stored client, embedded target.", error=True)
            return
        value = self.form.value
        username = value("pg-pat-username") or value("pg-username")
        name, scopes = value("pg-pat-name"), value("pg-pat-scopes")
        days_text = value("pg-pat-days") or "0"
        days = int(days_text) if days_text.lstrip("-").isdigit() else 0
        params = {"username": username, "name": name, "scopes": scopes, "days": str(days)}
        request = oc.HttpRequest(
            title="personal access token",
            method="STORE",
            url="authclients.store.tokens.create_personal_access_token",
            body=urlencode(params),
        )
        tokens = self.store.tokens
        self.pending += 1

        def job() -> IssuedToken:
            lifetime = timedelta(days=days)
            return tokens.create_personal_access_token(
                username, name, scopes=scopes, lifetime=lifetime, client_id=client.id
            )

        def done(issued: IssuedToken) -> None:
            response = oc.HttpResponse(
                200, "created in the store", (), json.dumps(issued.response())
            )
            # _received counts the pending job down, as for an HTTP answer.
            self._received(oc.Exchange(request, response), self._token_received)

        def failed(exc: BaseException) -> None:
            from authclients.tui.jobs import failure_message

            self.pending -= 1
            # Here a missing user was mistyped, not deleted elsewhere.
            why = f"No user named {username!r}." if isinstance(exc, NotFound) else None
            message = why or failure_message(exc)
            self._record(oc.Exchange(request, None, message))
            self._outcome(f"Not created: {message}", error=True)

        # Not exclusive: a second Send must not drop the first one's token, shown only once.
        self.run_store(job, done, group="pg-pat", exclusive=False, failed=failed)

    # -- copying, secrets, panels ------------------------------------------------------------

    @on(Button.Pressed, "#pg-copy-token")
    def action_copy_token(self) -> None:
        token = self._access_token()
        if token:
            self.console.copy_text(token, "Access token")

    @on(Button.Pressed, "#pg-copy-curl")
    def action_copy_curl(self) -> None:
        if self.shown is None or self.shown.request.method == "STORE":
            self.notify("No HTTP request to copy yet.", severity="warning")
            return
        self.console.copy_text(self.shown.request.curl(show_secrets=True), "curl command")

    @on(Button.Pressed, "#pg-secrets")
    def action_toggle_secrets(self) -> None:
        self.show_secrets = not self.show_secrets
        self.query_one(ActionBar).show_secrets_label(self.show_secrets)
        self._show_panels(self.shown)

    def action_show_history(self) -> None:
        self.query_one("#pg-panels", TabbedContent).active = "tab-history"
        # The pane shows on the next refresh; focusing it then scrolls it into view.
        self.call_after_refresh(self.query_one(HistoryTable).focus)

    def action_back(self) -> None:
        self.app.pop_screen()

    def _outcome(self, message: str, hint: str = "", *, error: bool = False) -> None:
        self.query_one(OutcomeLine).say(message, hint, error=error)

    def _record(self, done: oc.Exchange) -> None:
        self.history.append(done)
        self.query_one(HistoryTable).add_exchange(len(self.history) - 1, done)

    def on_history_table_chosen(self, event: HistoryTable.Chosen) -> None:
        done = self.history[event.index]
        self._show_panels(done)
        self._outcome(
            f"History #{event.index + 1}: {done.status_text} · {done.request.title}", done.hint
        )
        self.query_one("#pg-panels", TabbedContent).active = "tab-response"

    def _show_panels(self, done: oc.Exchange | None) -> None:
        self.shown = done
        self.query_one(RequestPanel).show(done, show_secrets=self.show_secrets)
        self.query_one(CurlPanel).show(done, show_secrets=self.show_secrets)
        self.query_one(ResponsePanel).show(done)

    def _show_token(self) -> None:
        now = self.now().timestamp()
        self.query_one(TokenPanel).show(self.tokens, self.introspection, now)

    def _tick(self) -> None:
        if self.tokens is not None and self.tokens.expires_in is not None:
            self._show_token()

    def show_exchange(self, done: oc.Exchange, *, token: bool = True) -> None:
        """Show an exchange as if it had just been received (screenshots build scenes so)."""
        self.pending += 1
        self._received(done, self._token_received if token else None)
