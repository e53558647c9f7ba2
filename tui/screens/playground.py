"""The token playground: a real OAuth 2.0 client in the terminal, wired to the endpoint."""

from __future__ import annotations

import contextlib
import json
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import ClassVar
from urllib.parse import parse_qsl, urlencode

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import (
    Button,
    Checkbox,
    Collapsible,
    ContentSwitcher,
    DataTable,
    Footer,
    Input,
    Label,
    RadioButton,
    RadioSet,
    Select,
    Static,
    TabbedContent,
    TabPane,
)

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
from authclients.tui.formatting import shell_lines
from authclients.tui.screens.authorize_here import AuthorizeHereScreen, AuthorizeOutcome
from authclients.tui.screens.base import ConsoleScreen
from authclients.tui.widgets.console_header import ConsoleHeader
from authclients.tui.widgets.playground.hints import HintContext, explain

GRANTS = (
    (GRANT_PASSWORD, "Password"),
    (GRANT_CLIENT_CREDENTIALS, "Client credentials"),
    (GRANT_AUTHORIZATION_CODE, "Auth code + PKCE"),
    (GRANT_REFRESH_TOKEN, "Refresh token"),
    (GRANT_PERSONAL_ACCESS, "Personal token"),
)
"""The grants offered, in the order shown."""
BY_HAND = -1
"""The client picker's value for a client typed by hand."""
CLIENT_LIMIT = 500
"""Clients offered in the picker (by id); any other can be typed by hand."""
EMBEDDED = "embedded"
CUSTOM = "custom"


@dataclass(frozen=True)
class GrantOffer:
    """A grant as the playground offers it for one client: usable, or why not."""

    grant: str
    label: str
    enabled: bool
    reason: str = ""


@dataclass
class PlaygroundMemory:
    """What outlives one opening of the playground within a run of the app."""

    history: list[oc.Exchange] = field(default_factory=list)
    tokens: oc.TokenSet | None = None


_MEMORY: weakref.WeakKeyDictionary[App[object], PlaygroundMemory] = weakref.WeakKeyDictionary()
"""One memory per app: "this run's requests" survive closing and reopening the screen."""


def grant_offers(client: ClientInfo | None, *, embedded: bool) -> list[GrantOffer]:
    """Which grants the chosen client may use here, and the reason for each that it may not.

    A client typed by hand is not known to us: every grant is offered and the
    server decides, except personal access tokens, which need a stored client.
    """
    offers: list[GrantOffer] = []
    for grant, label in GRANTS:
        reason = ""
        if grant == GRANT_PERSONAL_ACCESS:
            if not embedded:
                reason = "only for the embedded endpoint (made in the store)"
            elif client is None:
                reason = "choose a client from the list"
            elif not client.personal_access:
                reason = "“Personal access tokens” is off for this client"
        elif client is not None:
            if client.revoked:
                reason = "the client is revoked"
            elif grant == GRANT_PASSWORD and not client.password:
                reason = "“Password grant” is off for this client"
            elif grant == GRANT_CLIENT_CREDENTIALS and client.public:
                reason = "a public client has no secret"
            elif grant == GRANT_CLIENT_CREDENTIALS and not client.client_credentials:
                reason = "“Client credentials” is off for this client"
            elif grant == GRANT_AUTHORIZATION_CODE and not client.authorization_code:
                reason = "“Authorization code” is off for this client"
            elif grant == GRANT_AUTHORIZATION_CODE and not client.redirect_uris:
                reason = "the client has no redirect URL"
            elif grant == GRANT_REFRESH_TOKEN and not client.allows(GRANT_REFRESH_TOKEN):
                reason = "needs “Authorization code” or “Password grant”"
        offers.append(GrantOffer(grant, label, not reason, reason))
    return offers


def _client_label(client: ClientInfo) -> str:
    return f"{client.id} · {client.name}" + (" (public)" if client.public else "")


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

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield ConsoleHeader("Token playground")
        with VerticalScroll(id="pg-body"):
            with Horizontal(classes="pg-row"):
                yield Label("Target", classes="pg-label")
                yield Select(
                    [("Embedded endpoint", EMBEDDED), ("Another server", CUSTOM)],
                    value=EMBEDDED,
                    allow_blank=False,
                    id="pg-target-kind",
                    compact=True,
                )
                yield Input(id="pg-base-url", placeholder="https://server.example", compact=True)
                yield Button("Discover", id="pg-discover", compact=True)
            with Collapsible(title="Endpoint URLs (editable)", id="pg-urls", collapsed=True):
                for key, label in (
                    ("token", "Token"),
                    ("authorize", "Authorize"),
                    ("revoke", "Revoke"),
                    ("introspect", "Introspect"),
                ):
                    with Horizontal(classes="pg-row"):
                        yield Label(label, classes="pg-label")
                        yield Input(id=f"pg-url-{key}", compact=True)
            with Horizontal(classes="pg-row"):
                yield Label("Client", classes="pg-label")
                first = self.initial_client
                yield Select(
                    [
                        *([(_client_label(first), first.id)] if first else []),
                        ("Typed by hand", BY_HAND),
                    ],
                    value=first.id if first else BY_HAND,
                    allow_blank=False,
                    id="pg-client",
                    compact=True,
                )
            with Horizontal(classes="pg-row"):
                yield Label("Id", classes="pg-label")
                yield Input(id="pg-client-id", placeholder="client id", compact=True)
                yield Label("Secret", classes="pg-label-inline")
                yield Input(id="pg-secret", password=True, placeholder="none: public", compact=True)
                yield Checkbox(
                    "Basic",
                    True,
                    id="pg-basic",
                    compact=True,
                    tooltip="Send the secret with HTTP Basic; off: in the form body",
                )
            with RadioSet(id="pg-grant"):
                for grant, label in GRANTS:
                    yield RadioButton(label, id=f"pg-grant-{grant}")
            yield Static("", id="pg-grant-notes")
            with ContentSwitcher(id="pg-forms", initial=f"form-{GRANT_PASSWORD}"):
                yield from self._compose_forms()
            with Horizontal(id="pg-actions"):
                yield Button("Send ^s", id="pg-send", variant="primary", compact=True)
                yield Button("Refresh ^r", id="pg-refresh", compact=True)
                yield Button("Introspect ^t", id="pg-introspect", compact=True)
                yield Button("Revoke ^g", id="pg-revoke", compact=True)
                yield Button("Call API ^o", id="pg-call-api", compact=True)
            with Horizontal(classes="pg-row"):
                yield Label("API path", classes="pg-label")
                yield Input(oc.API_PATH, id="pg-api-path", compact=True)
                yield Button("Copy token", id="pg-copy-token", compact=True)
                yield Button("Copy curl", id="pg-copy-curl", compact=True)
                yield Button("Show secrets f2", id="pg-secrets", compact=True)
            yield Static("Choose a grant, fill it in, and Send (ctrl+s).", id="pg-outcome")
            with TabbedContent(id="pg-panels"):
                with TabPane("Request", id="tab-request"):
                    yield Static("", id="pg-request", classes="pg-panel")
                with TabPane("curl", id="tab-curl"):
                    yield Static("", id="pg-curl", classes="pg-panel")
                with TabPane("Response", id="tab-response"):
                    yield Static("", id="pg-response", classes="pg-panel")
                with TabPane("Token", id="tab-token"):
                    yield Static("No token yet.", id="pg-token", classes="pg-panel")
                with TabPane("History", id="tab-history"):
                    yield DataTable(id="pg-history", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    def _compose_forms(self) -> ComposeResult:
        with Vertical(id=f"form-{GRANT_PASSWORD}", classes="pg-form"):
            with Horizontal(classes="pg-row"):
                yield Label("Username", classes="pg-label")
                yield Input(id="pg-username", compact=True)
                yield Label("Password", classes="pg-label-inline")
                yield Input(id="pg-password", password=True, compact=True)
            yield from self._scope_row("pg-scope-password")
        with Vertical(id=f"form-{GRANT_CLIENT_CREDENTIALS}", classes="pg-form"):
            yield from self._scope_row("pg-scope-client")
        with Vertical(id=f"form-{GRANT_AUTHORIZATION_CODE}", classes="pg-form"):
            with Horizontal(classes="pg-row"):
                yield Label("Redirect", classes="pg-label")
                yield Input(id="pg-redirect-uri", placeholder="a registered URL", compact=True)
            yield from self._scope_row("pg-scope-code")
            yield Static("", id="pg-pkce")
            yield Static("", id="pg-authorize-url")
            with Horizontal(classes="pg-buttons"):
                yield Button(
                    "Sign in and approve here ^n",
                    id="pg-authorize-here",
                    variant="primary",
                    compact=True,
                )
                yield Button("Copy URL", id="pg-copy-authorize", compact=True)
                yield Button("New state", id="pg-new-pkce", compact=True)
            with Horizontal(classes="pg-row"):
                yield Label("Paste", classes="pg-label")
                yield Input(
                    id="pg-redirect-paste",
                    placeholder="the URL the browser was redirected to",
                    compact=True,
                )
                yield Button("Use", id="pg-use-redirect", compact=True)
            with Horizontal(classes="pg-row"):
                yield Label("Code", classes="pg-label")
                yield Input(id="pg-code", placeholder="from the redirect", compact=True)
        with Vertical(id=f"form-{GRANT_REFRESH_TOKEN}", classes="pg-form"):
            with Horizontal(classes="pg-row"):
                yield Label("Refresh", classes="pg-label")
                yield Input(
                    id="pg-refresh-token",
                    password=True,
                    placeholder="from the last response, or pasted",
                    compact=True,
                )
            yield from self._scope_row("pg-scope-refresh", "empty: the same scopes")
        with Vertical(id=f"form-{GRANT_PERSONAL_ACCESS}", classes="pg-form"):
            with Horizontal(classes="pg-row"):
                yield Label("Username", classes="pg-label")
                yield Input(id="pg-pat-username", compact=True)
                yield Label("Name", classes="pg-label-inline")
                yield Input("playground", id="pg-pat-name", compact=True)
            with Horizontal(classes="pg-row"):
                yield Label("Scopes", classes="pg-label")
                yield Input(id="pg-pat-scopes", placeholder="space-separated", compact=True)
                yield Label("Days", classes="pg-label-inline")
                yield Input("30", id="pg-pat-days", compact=True, type="integer")

    @staticmethod
    def _scope_row(
        input_id: str, placeholder: str = "space-separated; empty: none"
    ) -> ComposeResult:
        with Horizontal(classes="pg-row"):
            yield Label("Scope", classes="pg-label")
            yield Input(id=input_id, placeholder=placeholder, compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#pg-history", DataTable)
        table.add_columns("#", "Status", "What", "URL")
        self.memory = _MEMORY.setdefault(self.app, PlaygroundMemory())
        self.history = self.memory.history
        for index, done in enumerate(self.history):
            self._add_history_row(index, done)
        if self.memory.tokens is not None:
            self.tokens = self.memory.tokens
            self.query_one("#pg-refresh-token", Input).value = self.tokens.refresh_token
            self._show_token()
        self._use_target(self._embedded_target())
        self._show_pkce()
        self._apply_client(self.initial_client)
        self._show_panels(None)
        self.set_interval(1.0, self._tick)
        clients = self.store.clients
        self.run_store(
            lambda: clients.list(limit=CLIENT_LIMIT), self._clients_loaded, group="pg-clients"
        )

    # -- target ---------------------------------------------------------------------------

    @property
    def embedded(self) -> bool:
        return self.query_one("#pg-target-kind", Select).value == EMBEDDED

    def _embedded_target(self) -> oc.Target:
        return oc.Target.from_base(self.console.endpoint_url)

    def _use_target(self, target: oc.Target) -> None:
        self.target = target
        # Quietly: the base URL's Changed would re-derive the URLs just set.
        with self.prevent(Input.Changed):
            self.query_one("#pg-base-url", Input).value = target.base_url
        for key in ("token", "authorize", "revoke", "introspect"):
            self.query_one(f"#pg-url-{key}", Input).value = getattr(target, f"{key}_url")
        self._show_authorize_url()

    def _read_target(self) -> oc.Target:
        """The target as the inputs say now (the URLs may have been edited)."""
        base = self.query_one("#pg-base-url", Input).value.strip().rstrip("/")
        urls = {
            key: self.query_one(f"#pg-url-{key}", Input).value.strip()
            for key in ("token", "authorize", "revoke", "introspect")
        }
        default = oc.Target.from_base(base)
        self.target = oc.Target(
            base_url=base,
            token_url=urls["token"] or default.token_url,
            authorize_url=urls["authorize"] or default.authorize_url,
            revoke_url=urls["revoke"] or default.revoke_url,
            introspect_url=urls["introspect"] or default.introspect_url,
        )
        return self.target

    @on(Select.Changed, "#pg-target-kind")
    def _target_kind_changed(self, event: Select.Changed) -> None:
        base = self.query_one("#pg-base-url", Input)
        if event.value == EMBEDDED:
            self._use_target(self._embedded_target())
            base.disabled = True
        else:
            base.disabled = False
            base.focus()
        self._apply_grants()

    @on(Input.Submitted, "#pg-base-url")
    def _base_submitted(self) -> None:
        self._use_target(oc.Target.from_base(self.query_one("#pg-base-url", Input).value))

    @on(Input.Changed, "#pg-base-url")
    def _base_changed(self, event: Input.Changed) -> None:
        # The endpoint URLs follow the base as it is typed (edit them after, or Discover),
        # so a request never goes to the previous server by surprise.
        if self.embedded:
            return
        derived = oc.Target.from_base(event.value)
        for key in ("token", "authorize", "revoke", "introspect"):
            self.query_one(f"#pg-url-{key}", Input).value = getattr(derived, f"{key}_url")

    @on(Button.Pressed, "#pg-discover")
    def action_discover(self) -> None:
        base = self.query_one("#pg-base-url", Input).value.strip()
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
        base = self.query_one("#pg-base-url", Input).value
        self._use_target(oc.Target.from_base(base).with_metadata(body))
        self.query_one("#pg-urls", Collapsible).collapsed = False
        self.notify("Endpoints read from the server's metadata.")

    @on(Input.Changed, "#pg-url-authorize, #pg-redirect-uri, #pg-scope-code, #pg-client-id")
    def _authorize_inputs_changed(self) -> None:
        self._show_authorize_url()

    # -- client ---------------------------------------------------------------------------

    def _clients_loaded(self, page: ClientPage) -> None:
        self.clients = {c.id: c for c in page.items}
        if self.initial_client is not None:
            self.clients.setdefault(self.initial_client.id, self.initial_client)
        options: list[tuple[str, int]] = [
            (_client_label(c), c.id) for c in sorted(self.clients.values(), key=lambda c: c.id)
        ]
        options.append(("Typed by hand", BY_HAND))
        picker = self.query_one("#pg-client", Select)
        current = self.client.id if self.client is not None else BY_HAND
        with self.prevent(Select.Changed):
            picker.set_options(options)
            picker.value = current if current in self.clients or current == BY_HAND else BY_HAND

    @on(Select.Changed, "#pg-client")
    def _client_changed(self, event: Select.Changed) -> None:
        # The picker's value now, not the event's: a stale Changed from its mount
        # must not undo the client we were opened with.
        value = event.select.value
        client = self.clients.get(value) if isinstance(value, int) else None
        if (client.id if client else BY_HAND) == (self.client.id if self.client else BY_HAND):
            return  # the picker settling on the client we have: keep what was typed
        self._apply_client(client)

    def _apply_client(self, client: ClientInfo | None) -> None:
        """Fill the id, the secret (only if revealed in this run) and what the grants need."""
        self.client = client
        secret = self.query_one("#pg-secret", Input)
        client_id = self.query_one("#pg-client-id", Input)
        client_id.disabled = client is not None
        if client is not None:
            client_id.value = str(client.id)
            secret.value = self.console.secrets.get(client.id, "")
            secret.placeholder = (
                "none: public client"
                if client.public
                else f"not revealed this run: type it (…{client.secret_hint})"
            )
            redirect = self.query_one("#pg-redirect-uri", Input)
            if client.redirect_uris and redirect.value not in client.redirect_uris:
                redirect.value = client.redirect_uris[0]
        else:
            secret.placeholder = "none: public"
        self._apply_grants()

    def _credentials(self) -> oc.ClientCredentials:
        return oc.ClientCredentials(
            client_id=self.query_one("#pg-client-id", Input).value.strip(),
            secret=self.query_one("#pg-secret", Input).value.strip(),
            basic=self.query_one("#pg-basic", Checkbox).value,
        )

    def _hint_context(self, grant: str) -> HintContext:
        client_id = self.query_one("#pg-client-id", Input).value.strip()
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
        pressed = self.query_one("#pg-grant", RadioSet).pressed_button
        if pressed is None or pressed.id is None:
            return GRANT_PASSWORD
        return pressed.id.removeprefix("pg-grant-")

    def _apply_grants(self) -> None:
        offers = grant_offers(self.client, embedded=self.embedded)
        notes: list[str] = []
        for offer in offers:
            button = self.query_one(f"#pg-grant-{offer.grant}", RadioButton)
            button.disabled = not offer.enabled
            button.tooltip = offer.reason or None
            if not offer.enabled:
                notes.append(f"{offer.label}: {offer.reason}")
        self.query_one("#pg-grant-notes", Static).update("\n".join(notes))
        self.query_one("#pg-grant-notes").display = bool(notes)
        current = self.grant
        usable = [o.grant for o in offers if o.enabled]
        chosen = current if current in usable else (usable[0] if usable else GRANT_PASSWORD)
        self.select_grant(chosen)

    def select_grant(self, grant: str) -> None:
        """Press the grant's radio button and show its inputs."""
        button = self.query_one(f"#pg-grant-{grant}", RadioButton)
        if not button.value:
            button.value = True
        self.query_one("#pg-forms", ContentSwitcher).current = f"form-{grant}"

    @on(RadioSet.Changed, "#pg-grant")
    def _grant_changed(self, event: RadioSet.Changed) -> None:
        if event.pressed.id:
            grant = event.pressed.id.removeprefix("pg-grant-")
            self.query_one("#pg-forms", ContentSwitcher).current = f"form-{grant}"

    # -- authorization code ----------------------------------------------------------------

    def _show_pkce(self) -> None:
        self.query_one("#pg-pkce", Static).update(
            f"state {self.pkce.state}\nverifier {self.pkce.verifier}\n"
            f"challenge {self.pkce.challenge} (S256)"
        )
        self._show_authorize_url()

    def _authorize_url(self) -> str:
        target = self._read_target() if self.is_mounted else self.target
        return oc.authorize_url(
            target,
            self.query_one("#pg-client-id", Input).value.strip(),
            self.query_one("#pg-redirect-uri", Input).value.strip(),
            self.query_one("#pg-scope-code", Input).value.strip(),
            self.pkce,
        )

    def _show_authorize_url(self) -> None:
        self.query_one("#pg-authorize-url", Static).update(
            Text(f"authorize URL {self._authorize_url()}", overflow="fold")
        )

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
        if not self.query_one("#pg-redirect-uri", Input).value.strip():
            self._outcome("Give a redirect URL registered for the client first.", error=True)
            return
        username = self.query_one("#pg-username", Input).value.strip()
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
            done.hint = explain(done, context) if not done.hint else done.hint
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
        url = self.query_one("#pg-redirect-paste", Input).value.strip()
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
            self.query_one("#pg-code", Input).value = ""
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
        self.query_one("#pg-code", Input).value = redirect.code
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
        if done.ok:
            self._outcome(
                f"{done.response.status} {done.response.reason} · {done.request.title}"  # type: ignore[union-attr]
                f" · {done.response.elapsed_ms:.0f} ms"  # type: ignore[union-attr]
            )
        else:
            first = done.error or f"{done.status_text} · {done.request.title}"
            self._outcome(first, done.hint, error=True)
        if then is not None:
            then(done)
        panels = self.query_one("#pg-panels", TabbedContent)
        if panels.active != "tab-history":
            panels.active = "tab-response"
        # At 80x24 the answer is below the form: bring it up, the form is a scroll away.
        self.call_after_refresh(self._reveal_outcome)

    def _reveal_outcome(self) -> None:
        body = self.query_one("#pg-body", VerticalScroll)
        body.scroll_to_widget(self.query_one("#pg-outcome"), top=True, animate=False)

    def _token_received(self, done: oc.Exchange) -> None:
        body = done.response.json() if done.response is not None else None
        if not done.ok or not body or "access_token" not in body:
            return
        self.tokens = oc.TokenSet.from_response(body, self.now().timestamp(), done.request.title)
        self.memory.tokens = self.tokens
        self.introspection = None
        if self.tokens.refresh_token:
            self.query_one("#pg-refresh-token", Input).value = self.tokens.refresh_token
        self._show_token()

    def _require_client(self) -> oc.ClientCredentials | None:
        creds = self._credentials()
        if not creds.client_id:
            self._outcome("Choose a client, or type its id.", error=True)
            return None
        return creds

    def action_send(self) -> None:
        """Send the chosen grant's request (the personal token is made in the store)."""
        grant = self.grant
        if grant == GRANT_PERSONAL_ACCESS:
            self._create_personal_token()
            return
        creds = self._require_client()
        if creds is None:
            return
        target = self._read_target()
        value = self._value
        if grant == GRANT_PASSWORD:
            request = oc.password_request(
                target,
                creds,
                value("#pg-username"),
                self.query_one("#pg-password", Input).value,
                value("#pg-scope-password"),
            )
        elif grant == GRANT_CLIENT_CREDENTIALS:
            request = oc.client_credentials_request(target, creds, value("#pg-scope-client"))
        elif grant == GRANT_AUTHORIZATION_CODE:
            code = value("#pg-code")
            if not code:
                self._outcome(
                    "No code yet: Sign in and approve here (ctrl+n), or paste the redirected URL.",
                    error=True,
                )
                return
            request = oc.code_exchange_request(
                target, creds, code, value("#pg-redirect-uri"), self.pkce.verifier
            )
        else:
            refresh = value("#pg-refresh-token")
            if not refresh:
                self._outcome("No refresh token: get one with a grant, or paste it.", error=True)
                return
            request = oc.refresh_request(target, creds, refresh, value("#pg-scope-refresh"))
        self._send(request, grant, self._token_received)

    def _value(self, selector: str) -> str:
        return self.query_one(selector, Input).value.strip()

    @on(Button.Pressed, "#pg-send")
    def _send_pressed(self) -> None:
        self.action_send()

    @on(Button.Pressed, "#pg-refresh")
    def action_refresh(self) -> None:
        refresh = self.tokens.refresh_token if self.tokens else ""
        refresh = refresh or self._value("#pg-refresh-token")
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
            request = oc.api_request(self._read_target(), token, self._value("#pg-api-path"))
            self._send(request, "api")

    # -- personal access tokens (the store, not HTTP) -------------------------------------

    def _create_personal_token(self) -> None:
        client = self.client
        if client is None or not self.embedded:
            self._outcome("Personal tokens: choose a stored client, embedded target.", error=True)
            return
        username = self._value("#pg-pat-username") or self._value("#pg-username")
        name = self._value("#pg-pat-name")
        scopes = self._value("#pg-pat-scopes")
        days_text = self._value("#pg-pat-days") or "0"
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
            return tokens.create_personal_access_token(
                username,
                name,
                scopes=scopes,
                lifetime=timedelta(days=days),
                client_id=client.id,
            )

        def done(issued: IssuedToken) -> None:
            body = issued.response()
            response = oc.HttpResponse(200, "created in the store", (), json.dumps(body))
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

    # -- copying and secrets -----------------------------------------------------------------

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
        label = "Hide secrets f2" if self.show_secrets else "Show secrets f2"
        self.query_one("#pg-secrets", Button).label = label
        self._show_panels(self.shown)

    def action_show_history(self) -> None:
        self.query_one("#pg-panels", TabbedContent).active = "tab-history"
        # The pane shows on the next refresh; focusing it then scrolls it into view.
        self.call_after_refresh(self.query_one("#pg-history", DataTable).focus)

    def action_back(self) -> None:
        self.app.pop_screen()

    # -- panels -------------------------------------------------------------------------------

    def _outcome(self, message: str, hint: str = "", *, error: bool = False) -> None:
        outcome = self.query_one("#pg-outcome", Static)
        outcome.update(f"{message}\n→ {hint}" if hint else message)
        outcome.set_class(error, "-error")

    def _record(self, done: oc.Exchange) -> None:
        self.history.append(done)
        self._add_history_row(len(self.history) - 1, done)

    def _add_history_row(self, index: int, done: oc.Exchange) -> None:
        url = done.request.url
        self.query_one("#pg-history", DataTable).add_row(
            str(index + 1),
            done.status_text,
            done.request.title,
            url if len(url) <= 60 else url[:59] + "…",
            key=str(index),
        )

    @on(DataTable.RowSelected, "#pg-history")
    def _history_selected(self, event: DataTable.RowSelected) -> None:
        index = int(event.row_key.value or 0)
        done = self.history[index]
        self._show_panels(done)
        status = done.status_text
        self._outcome(f"History #{index + 1}: {status} · {done.request.title}", done.hint)
        self.query_one("#pg-panels", TabbedContent).active = "tab-response"

    def _show_panels(self, done: oc.Exchange | None) -> None:
        self.shown = done
        request = self.query_one("#pg-request", Static)
        curl = self.query_one("#pg-curl", Static)
        response = self.query_one("#pg-response", Static)
        if done is None:
            request.update("Nothing sent yet.")
            curl.update("Nothing sent yet.")
            response.update("Nothing received yet.")
            return
        show = self.show_secrets
        masked = "" if show else "\n(secrets masked: f2 shows them)"
        request.update(Text(done.request.display(show_secrets=show) + masked))
        if done.request.method == "STORE":
            params = dict(parse_qsl(done.request.body, keep_blank_values=True))
            options = [
                ("--user", params.get("username", "")),
                ("--name", params.get("name", "")),
                ("--scopes", params.get("scopes", "")),
                ("--expires-in", params.get("days", "")),
            ]
            curl.update(
                Text(
                    "Not an HTTP request: the token is created in the store. The same from a "
                    "shell:\n" + shell_lines(["authclients", "tokens", "create-pat"], options)
                )
            )
        else:
            curl.update(Text(done.request.curl(show_secrets=show) + masked))
        if done.response is None:
            response.update(Text(f"No response: {done.error}\n→ {done.hint}".rstrip("→ \n")))
        else:
            text = done.response.display()
            if done.hint:
                text += f"\n\n→ {done.hint}"
            response.update(Text(text))

    def _show_token(self) -> None:
        panel = self.query_one("#pg-token", Static)
        tokens = self.tokens
        if tokens is None:
            panel.update("No token yet.")
            return
        left = oc.countdown(tokens.seconds_left(self.now().timestamp()))
        lines = [
            f"access token  {tokens.access_token}",
            f"type          {tokens.token_type} · from {tokens.source}",
            f"expires       {left}",
            f"scopes        {tokens.scope or '(none)'}",
            f"refresh token {tokens.refresh_token or '(none)'}",
        ]
        if self.introspection is not None:
            lines.append("introspection " + json.dumps(self.introspection, indent=2))
        panel.update(Text("\n".join(lines), overflow="fold"))

    def _tick(self) -> None:
        if self.tokens is not None and self.tokens.expires_in is not None:
            self._show_token()

    # -- for screenshots and demos ---------------------------------------------------------

    def show_exchange(self, done: oc.Exchange, *, token: bool = True) -> None:
        """Show an exchange as if it had just been received (screenshots build scenes so)."""
        self.pending += 1
        self._received(done, self._token_received if token else None)
