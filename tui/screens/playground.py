"""The token playground: a real OAuth 2.0 client in the terminal, wired to the endpoint.

The screen composes the widgets of ``tui/widgets/playground`` and owns the
work: it reads the store and sends requests in workers, and hands what comes
back to the panels.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Input

from authclients.store import oauth_client as oc
from authclients.store.errors import NotFound
from authclients.store.grant_types import GRANT_DEVICE
from authclients.store.oauth_client.saved_targets import SavedTargets
from authclients.store.records import (
    GRANT_AUTHORIZATION_CODE,
    GRANT_PERSONAL_ACCESS,
    GRANT_REFRESH_TOKEN,
    ClientInfo,
    ClientPage,
    IssuedToken,
)
from authclients.tui.screens.authorize_here import AuthorizeHereScreen, AuthorizeOutcome
from authclients.tui.screens.base import ConsoleScreen
from authclients.tui.screens.playground_device import DeviceGrantActions
from authclients.tui.screens.playground_real_servers import RealServerActions
from authclients.tui.widgets.console_footer import ConsoleFooter
from authclients.tui.widgets.console_header import ConsoleHeader
from authclients.tui.widgets.playground import keys
from authclients.tui.widgets.playground.actions import ActionBar
from authclients.tui.widgets.playground.client_picker import BY_HAND, ClientPicker
from authclients.tui.widgets.playground.code_flow import stopped_hint
from authclients.tui.widgets.playground.code_flow_form import CodeFlowForm
from authclients.tui.widgets.playground.exchange_panels import (
    OutcomeLine,
)
from authclients.tui.widgets.playground.exchange_view import ExchangeView
from authclients.tui.widgets.playground.grant_form import GrantForm
from authclients.tui.widgets.playground.grant_requests import (
    NotReady,
    PersonalTokenOrder,
    follow_up_request,
    grant_request,
)
from authclients.tui.widgets.playground.grants import grant_offers
from authclients.tui.widgets.playground.hints import HintContext, explain, hint_context
from authclients.tui.widgets.playground.memory import PlaygroundMemory, memory_of
from authclients.tui.widgets.playground.target_picker import TargetPicker

CLIENT_LIMIT = 500


"""Clients offered in the picker (by id); any other can be typed by hand."""
NARROW_WIDTH = 80
"""Below this many columns the rows stack (``-narrow``): Textual has no media queries."""


class PlaygroundScreen(DeviceGrantActions, RealServerActions, ConsoleScreen[None]):
    """Target, client, grant and its inputs; Send and friends; the panels; the history."""

    CSS_PATH: ClassVar[list[str]] = ["../playground.tcss", "../device_flow.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = keys.BINDINGS
    PALETTE = keys.PALETTE

    AUTO_FOCUS = "#pg-grant"
    """The grants first: arrows choose one, tab walks into its inputs."""

    def __init__(
        self,
        client: ClientInfo | None = None,
        *,
        pkce: oc.Pkce | None = None,
        timeout: float = oc.DEFAULT_TIMEOUT,
        saved_targets: SavedTargets | None = None,
    ) -> None:
        """Args:
        client: the client to start with (the highlighted one on the clients screen).
        pkce: fixed state and verifier (screenshots, tests); fresh ones otherwise.
        timeout: seconds before a request is given up.
        saved_targets: where named servers are kept (the config folder's file).
        """
        super().__init__()
        self.initial_client = client
        self.timeout = timeout
        self.first_pkce = pkce or oc.Pkce.new()
        self.clients: dict[int, ClientInfo] = {client.id: client} if client else {}
        self.client: ClientInfo | None = client
        self.target = oc.Target.from_base("http://127.0.0.1")
        self.tokens: oc.TokenSet | None = None
        self.introspection: dict[str, object] | None = None
        self.reports: list[oc.TokenReport] = []
        """The last tokens decoded and, once the worker is back, verified."""
        self.memory = PlaygroundMemory()
        """Replaced on mount by the app's, shared with earlier openings."""
        self.history: list[oc.Exchange] = self.memory.history
        self.pending = 0
        """Requests in flight (tests wait for zero)."""
        self._catcher: oc.RedirectCatcher | None = None
        self.saved_targets = saved_targets or SavedTargets()

    def compose(self) -> ComposeResult:
        yield ConsoleHeader("Token playground")
        with VerticalScroll(id="pg-body"):
            yield TargetPicker(id="pg-target")
            yield ClientPicker(self.initial_client, id="pg-client-picker")
            yield GrantForm(self.first_pkce, id="pg-grant-form")
            yield ActionBar(id="pg-action-bar")
            yield ExchangeView(id="pg-exchange")
        yield ConsoleFooter()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < NARROW_WIDTH, "-narrow")

    def on_mount(self) -> None:
        self.set_class(self.app.size.width < NARROW_WIDTH, "-narrow")
        self.memory = memory_of(self.app)
        self.history = self.memory.history
        self.view.restore(self.history)
        if self.memory.tokens is not None:
            self.tokens = self.memory.tokens
            self.form.set_value("pg-refresh-token", self.tokens.refresh_token)
            self._show_token()
        # The store's default, not a number of our own: the playground agrees with the CLI.
        default_days = self.store.lifetimes.personal_access.days
        self.form.set_value("pg-pat-days", str(default_days))
        self._use_target(oc.Target.from_base(self.console.endpoint_url))
        self._apply_client(self.initial_client)
        if self.tokens is not None:
            self._inspect_tokens()
        self.view.show(None)
        self.device.clock = lambda: self.now().timestamp()
        self.set_interval(1.0, self._tick)
        self.load_saved_targets()
        clients = self.store.clients
        self.run_store(
            lambda: clients.list(limit=CLIENT_LIMIT), self._clients_loaded, group="pg-clients"
        )
        # Focusing the grants scrolls them into view; the Target row above must stay in it.
        self.call_after_refresh(self._scroll_home)

    def _scroll_home(self) -> None:
        self.query_one("#pg-body", VerticalScroll).scroll_home(animate=False)

    @property
    def form(self) -> GrantForm:
        return self.query_one(GrantForm)

    @property
    def code_flow(self) -> CodeFlowForm:
        return self.query_one(CodeFlowForm)

    @property
    def pkce(self) -> oc.Pkce:
        """The state and verifier of the current authorization request."""
        return self.code_flow.pkce if self.is_mounted else self.first_pkce

    @property
    def view(self) -> ExchangeView:
        return self.query_one(ExchangeView)

    @property
    def shown(self) -> oc.Exchange | None:
        """The exchange in the panels (copy curl copies its request)."""
        return self.view.shown if self.is_mounted else None

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

    @on(Input.Changed, "#pg-url-authorize, #pg-client-id")
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
        where = {"embedded": self.embedded, "base_url": self.target.base_url}
        return hint_context(grant, client_id, self.client, self.clients, **where)

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

    def _show_authorize_url(self) -> None:
        client_id = self.query_one(ClientPicker).client_id
        self.code_flow.point_at(self._read_target(), client_id)

    def action_new_pkce(self) -> None:
        self.code_flow.new_pkce()

    def action_copy_authorize_url(self) -> None:
        self._show_authorize_url()
        self.console.copy_text(self.code_flow.url, "Authorize URL")

    def action_authorize_here(self) -> None:
        if self.grant == GRANT_DEVICE:
            self._approve_device_here()
            return
        offers = grant_offers(self.client, embedded=self.embedded)
        code = next(o for o in offers if o.grant == GRANT_AUTHORIZATION_CODE)
        if not code.enabled:
            self.view.say(f"{code.label}: {code.reason}", error=True)
            return
        self.select_grant(GRANT_AUTHORIZATION_CODE)
        if not self.form.value("pg-redirect-uri"):
            self.view.say("Give a redirect URL registered for the client first.", error=True)
            return
        username = self.form.value("pg-username")
        self._show_authorize_url()
        self.pending += 1
        self.app.push_screen(
            AuthorizeHereScreen(self.code_flow.url, timeout=self.timeout, username=username),
            self._authorized,
        )

    def _authorized(self, outcome: AuthorizeOutcome | None) -> None:
        self.pending -= 1
        if outcome is None:
            return
        context = self._hint_context(GRANT_AUTHORIZATION_CODE)
        for done in outcome.exchanges:
            done.hint = done.hint or explain(done, context)
            self.view.record(done)
        if outcome.exchanges:
            self.view.show(outcome.exchanges[-1])
        if outcome.location:
            self.use_redirect(outcome.location, exchange_code=True)
        elif outcome.error:
            last = outcome.exchanges[-1] if outcome.exchanges else None
            hint = stopped_hint(outcome.error, last, embedded=self.embedded)
            self.view.say(f"Authorization stopped: {outcome.error}", hint, error=True)

    def on_code_flow_form_read(self, event: CodeFlowForm.Read) -> None:
        reading = event.reading
        self.view.say(reading.message, reading.hint, error=reading.error)

    def use_redirect(self, location: str, *, exchange_code: bool) -> None:
        """Read a redirect, check its state, show the code; exchange it when asked."""
        target = self.target
        reading = self.code_flow.use_redirect(location, target.issuer, target.iss_required)
        self.view.say(reading.message, reading.hint, error=reading.error)
        if reading.code and exchange_code:
            self.action_send()

    # -- sending ----------------------------------------------------------------------------

    def _send(
        self,
        request: oc.HttpRequest,
        grant: str,
        then: Callable[[oc.Exchange], object] | None = None,
        *,
        reveal: bool = True,
    ) -> None:
        """Send in a worker thread with the timeout; the result comes back to the UI.

        ``reveal=False`` leaves the scroll where it is (a device's polls, every few seconds).
        """
        self.pending += 1
        context = self._hint_context(grant)
        timeout = self.timeout
        # Taken now: once the screen is closed, ``self.app`` no longer answers.
        app = self.app
        self.view.say(f"{request.method} {request.url} …")

        def body() -> None:
            done = oc.exchange(request, timeout=timeout)
            done.hint = explain(done, context)
            with contextlib.suppress(RuntimeError):  # the app is closing: nobody to tell
                app.call_from_thread(self._received, done, then, reveal=reveal)

        self.run_worker(body, thread=True, group="pg-http", exit_on_error=False)

    def _received(
        self,
        done: oc.Exchange,
        then: Callable[[oc.Exchange], object] | None,
        *,
        reveal: bool = True,
    ) -> None:
        self.pending -= 1
        if not self.is_attached:
            return  # the playground was closed while the request was out
        self.view.received(done)
        if then is not None:
            then(done)
        self.view.to_response()
        if reveal:
            # At 80x24 the answer is below the form: bring it up, the form is a scroll away.
            self.call_after_refresh(self._reveal_outcome)

    def _reveal_outcome(self) -> None:
        body = self.query_one("#pg-body", VerticalScroll)
        body.scroll_to_widget(self.query_one(OutcomeLine), top=True, animate=False)

    def _token_received(self, done: oc.Exchange, *, nonce: str | None = None) -> None:
        """Keep and show the tokens; ``nonce``: what the authorization request sent (None:
        not a code exchange, keep the one held: a refreshed id_token may echo it)."""
        body = done.response.json() if done.response is not None else None
        if not done.ok or not body or "access_token" not in body:
            return
        self.tokens = oc.TokenSet.from_response(body, self.now().timestamp(), done.request.title)
        self.memory.tokens = self.tokens
        if nonce is not None:
            self.memory.nonce = nonce
        self.memory.revoked = False
        self.introspection = None
        if self.tokens.refresh_token:
            self.form.set_value("pg-refresh-token", self.tokens.refresh_token)
        self._show_token()
        self._inspect_tokens()

    def _inspect_tokens(self, *, verify: bool = True) -> None:
        """Show the tokens decoded and their claims checked now; check their signatures in a
        worker (JWKS over HTTP), or, without ``verify``, keep the signatures already checked."""
        tokens = self.tokens
        if tokens is None:
            return
        target = self._read_target()
        context = oc.InspectContext(
            issuer=target.issuer,
            jwks_url=target.jwks_url,
            client_id=self.query_one(ClientPicker).client_id,
            nonce=self.memory.nonce,
            now=self.now().timestamp(),
        )
        reports = oc.read_tokens(tokens, context)
        if not verify:
            # The clock moved: the times and their checks again, the signatures as they were.
            signatures = {report.label: report.signature for report in self.reports}
            reports = [replace(r, signature=signatures.get(r.label)) for r in reports]
        self.reports = reports
        self.view.show_decoded(reports, context.now)
        if not verify or not any(report.jwt for report in reports):
            return
        self.pending += 1
        app, cache = self.app, self.memory.jwks

        def body() -> None:
            try:
                verified = oc.verify_tokens(reports, context, cache)
            except Exception as exc:  # a bug of ours must not leave "checking…" for ever
                failed = oc.SignatureStatus(False, f"not verified: {type(exc).__name__}")
                verified = [replace(r, signature=failed) if r.jwt else r for r in reports]
            with contextlib.suppress(RuntimeError):  # the app is closing: nobody to tell
                app.call_from_thread(self._verified, tokens, verified)

        self.run_worker(body, thread=True, group="pg-jwt", exit_on_error=False)

    def _verified(self, tokens: oc.TokenSet, reports: list[oc.TokenReport]) -> None:
        self.pending -= 1
        # Newer tokens may have come meanwhile: their own check is on its way.
        if self.is_attached and tokens is self.tokens:
            self.reports = reports
            self._inspect_tokens(verify=False)

    def action_send(self) -> None:
        """Send the chosen grant's request (the personal token is made in the store)."""
        grant = self.grant
        if grant == GRANT_PERSONAL_ACCESS:
            self._create_personal_token()
            return
        if grant == GRANT_DEVICE:
            self._request_device_codes()
            return
        creds = self.query_one(ClientPicker).credentials(self.memory.key_pair)
        try:
            request = grant_request(
                grant, self._read_target(), creds, self.form.value, self.pkce.verifier
            )
        except (NotReady, ValueError) as exc:
            self.view.say(str(exc), error=True)
            return
        then = self._token_received
        if grant == GRANT_AUTHORIZATION_CODE:
            openid = "openid" in self.form.value("pg-scope-code").split()
            then = partial(self._token_received, nonce=self.pkce.nonce if openid else "")
        self._send(request, grant, then)

    def _follow_up(self, action: str, then: Callable[[oc.Exchange], object] | None) -> None:
        """Refresh, introspect, revoke or call the API with the last tokens."""
        try:
            request = follow_up_request(
                action,
                self._read_target(),
                self.query_one(ClientPicker).credentials(self.memory.key_pair),
                self.tokens,
                typed_refresh=self.form.value("pg-refresh-token"),
                api_path=self.query_one(ActionBar).api_path,
            )
        except (NotReady, ValueError) as exc:
            self.view.say(str(exc), error=True)
            return
        self._send(request, action, then)

    def action_refresh(self) -> None:
        self._follow_up(GRANT_REFRESH_TOKEN, self._token_received)

    def action_introspect(self) -> None:
        self._follow_up("introspect", self._introspected)

    def _introspected(self, done: oc.Exchange) -> None:
        body = done.response.json() if done.response is not None else None
        if done.ok and body is not None:
            self.introspection = body
            self._show_token()

    def action_revoke(self) -> None:
        self._follow_up("revoke", self._revoked)

    def _revoked(self, done: oc.Exchange) -> None:
        if done.ok:
            self.memory.revoked = True
            self.introspection = None
            self._show_token()

    @on(Input.Submitted, "#pg-api-path")
    def action_call_api(self) -> None:
        self._follow_up("api", None)

    # -- personal access tokens (the store, not HTTP) -------------------------------------

    def _create_personal_token(self) -> None:
        client = self.client
        if client is None or not self.embedded:
            self.view.say("Personal tokens: choose a stored client, embedded target.", error=True)
            return
        order = PersonalTokenOrder.from_form(self.form.value)
        request = order.as_request()
        self.pending += 1

        def done(issued: IssuedToken) -> None:
            # _received counts the pending job down, as for an HTTP answer.
            self._received(order.answered(issued), self._token_received)

        def failed(exc: BaseException) -> None:
            from authclients.tui.jobs import failure_message

            self.pending -= 1
            # Here a missing user was mistyped, not deleted elsewhere.
            why = f"No user named {order.username!r}." if isinstance(exc, NotFound) else None
            message = why or failure_message(exc)
            self.view.record(oc.Exchange(request, None, message))
            self.view.say(f"Not created: {message}", error=True)

        # Not exclusive: a second Send must not drop the first one's token, shown only once.
        job = partial(order.create, self.store.tokens, client.id)
        self.run_store(job, done, group="pg-pat", exclusive=False, failed=failed)

    # -- copying, secrets, panels ------------------------------------------------------------

    def action_copy_token(self) -> None:
        if self.tokens is None or not self.tokens.access_token:
            self.view.say("No access token yet: Send a grant first.", error=True)
            return
        self.console.copy_text(self.tokens.access_token, "Access token")

    def action_copy_curl(self) -> None:
        if self.shown is None or self.shown.request.method == "STORE":
            self.notify("No HTTP request to copy yet.", severity="warning")
            return
        self.console.copy_text(self.shown.request.curl(show_secrets=True), "curl command")

    def action_toggle_secrets(self) -> None:
        self.query_one(ActionBar).show_secrets_label(self.view.toggle_secrets())

    def action_show_history(self) -> None:
        self.view.show_history()

    def action_back(self) -> None:
        self.app.pop_screen()

    def _show_token(self) -> None:
        now = self.now().timestamp()
        self.view.show_tokens(self.tokens, self.introspection, now, revoked=self.memory.revoked)

    def _tick(self) -> None:
        if self.tokens is not None and self.tokens.expires_in is not None:
            self._show_token()
            self._inspect_tokens(verify=False)

    def show_exchange(self, done: oc.Exchange, *, token: bool = True) -> None:
        """Show an exchange as if it had just been received (screenshots build scenes so)."""
        self.pending += 1
        self._received(done, self._token_received if token else None)
