"""The home screen: the client list, paged from the store, with every client action."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Label, Static

from authclients.store.demo import DemoData, seed_demo
from authclients.store.records import ClientInfo, ClientPage, CreatedClient, Impact, UpdatedClient
from authclients.tui.formatting import count_text, curl_for, plural
from authclients.tui.safe_display import TYPED_TEXT, literal
from authclients.tui.screens.base import ConsoleScreen
from authclients.tui.screens.client_form import ClientFormResult, ClientFormScreen
from authclients.tui.screens.confirm import ConfirmScreen
from authclients.tui.screens.demo_welcome import show_demo
from authclients.tui.screens.secret_reveal import Reveal, SecretRevealScreen
from authclients.tui.widgets.client_table import SORTABLE, ClientTable
from authclients.tui.widgets.console_footer import ConsoleFooter
from authclients.tui.widgets.console_header import ConsoleHeader


class ClientsScreen(ConsoleScreen[None]):
    """Client list with filter, sort, paging, and create/edit/delete/rotate/copy."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # At 80 columns these ten just fit the footer (the palette key hides below 100);
        # q is left out of it (see below) to make room for Scopes.
        Binding("n", "new", "New", id="clients.new", tooltip="Create a client"),
        Binding(
            "e",
            "edit",
            "Edit",
            id="clients.edit",
            key_display="⏎/e",
            tooltip="Edit the highlighted client (enter or e)",
        ),
        Binding("d", "delete", "Delete", id="clients.delete", tooltip="Delete; revokes tokens"),
        Binding("r", "rotate", "Rotate", id="clients.rotate", tooltip="Issue a new secret"),
        Binding("c", "copy_id", "Copy", id="clients.copy_id", tooltip="Copy the client id"),
        Binding("t", "tokens", "Tokens", id="clients.tokens", tooltip="This client's tokens"),
        Binding(
            "p",
            "playground",
            "Play",
            id="clients.playground",
            tooltip="Open the token playground with this client",
        ),
        Binding("u", "users", "Users", id="clients.users", tooltip="Resource owners"),
        Binding("o", "scopes", "Scopes", id="clients.scopes", tooltip="The scopes tokens carry"),
        # Shown on screen as the filter bar's label, so left out of the full 80-column footer.
        # Priority: handled as the key arrives, so a key typed right behind it (one read
        # over SSH) already goes to the filter; see action_filter.
        Binding("slash", "filter", "Filter", id="clients.filter", show=False, priority=True),
        Binding("s", "sort", "Sort", id="clients.sort", show=False),
        Binding("S", "reverse", "Reverse", id="clients.reverse", show=False),
        Binding("T", "all_tokens", "All tokens", id="clients.all_tokens", show=False),
        Binding(
            "v",
            "devices",
            "Devices",
            id="clients.devices",
            show=False,
            tooltip="Devices waiting for someone to approve their code",
        ),
        Binding("k", "keys", "Keys", id="clients.keys", show=False, tooltip="Signing keys"),
        Binding(
            "x",
            "toggle_disabled",
            "Disable/enable",
            id="clients.toggle_disabled",
            show=False,
            tooltip="Disable the highlighted client (its tokens end) or enable it again",
        ),
        Binding(
            "R",
            "resources",
            "Resources",
            id="clients.resources",
            show=False,
            tooltip="Resource servers and dynamic registration",
        ),
        Binding(
            "L",
            "settings",
            "Settings",
            id="clients.settings",
            show=False,
            tooltip="Default token lifetimes",
        ),
        # Left out of the footer so that Scopes fits at 80 columns; q and ^q still quit.
        Binding("q", "app.quit", "Quit", id="clients.quit", show=False),
        # Only while there is no client at all (check_action); the empty list says so itself.
        Binding(
            "D",
            "demo",
            "Demo data",
            id="clients.demo",
            show=False,
            tooltip="Add a demo user and one client per grant",
        ),
    ]
    PALETTE = (
        ("client: New", "new", "Create a client (n)"),
        ("client: Edit", "edit", "Edit the highlighted client (enter, e)"),
        ("client: Delete", "delete", "Delete the highlighted client and revoke its tokens (d)"),
        ("client: Rotate secret", "rotate", "Issue a new secret; the old one stops working (r)"),
        ("client: Copy id", "copy_id", "Copy the highlighted client's id (c)"),
        ("client: Tokens", "tokens", "The highlighted client's tokens (t)"),
        ("client: Playground", "playground", "Try the client's grants (p)"),
        ("client: Filter", "filter", "Filter by name or id (/)"),
        ("client: Sort by next column", "sort", "Cycle the sort column (s)"),
        ("client: Reverse sort", "reverse", "Reverse the sort order (S)"),
        ("tokens: All tokens", "all_tokens", "Every client's tokens (T)"),
        ("scopes: Scopes", "scopes", "The scopes tokens may carry: list, add, delete (o)"),
        ("devices: Devices", "devices", "Device requests waiting: approve or deny (v)"),
        ("keys: Signing keys", "keys", "The keys that sign JWTs: rotate, retire (k)"),
        ("client: Disable or enable", "toggle_disabled", "Stop or allow its tokens (x)"),
        ("resources: Resources and registration", "resources", "RFC 8707 / RFC 7591 (R)"),
        ("settings: Token lifetimes", "settings", "The default token lifetimes (L)"),
    )

    AUTO_FOCUS = "#clients"
    """The table, not the filter: keys must reach the screen's bindings at once."""

    def __init__(self) -> None:
        super().__init__()
        self.filter_text = ""
        self._select_id: int | None = None
        """A client to put the cursor on once the next page arrives (just created)."""
        self.loaded = False
        """True once the first page has been shown (the benchmark waits for it)."""
        self._no_clients = False
        """True while the store has no client at all: the demo key is offered then."""

    def compose(self) -> ComposeResult:
        yield ConsoleHeader("Clients")
        with Horizontal(id="filter-bar"):
            yield Label("Filter /", id="filter-label")
            yield Input(placeholder="name or id", id="filter", compact=True, restrict=TYPED_TEXT)
        with Vertical(id="clients-body"):
            yield ClientTable(id="clients", on_move=self._update_position)
            with Vertical(id="empty"):
                yield Static("", id="empty-message")
                yield Button("+ New client (n)", id="empty-new", variant="primary", compact=True)
                yield Button("Add demo data (D)", id="empty-demo", compact=True)
        with Horizontal(id="page-bar"):
            yield Button("◀ Prev", id="page-prev", compact=True)
            yield Label("", id="page-info")
            yield Button("Next ▶", id="page-next", compact=True)
            # For the mouse: what the footer has no room for at 80 columns.
            yield Button("All tokens", id="bar-all-tokens", compact=True)
            yield Button("Commands", id="bar-commands", compact=True)
        yield ConsoleFooter()

    @property
    def table(self) -> ClientTable:
        return self.query_one(ClientTable)

    def on_mount(self) -> None:
        self.query_one("#empty").display = False
        self.load(0, 0)

    # -- loading ---------------------------------------------------------------

    def load(
        self, offset: int, cursor: int, keep_id: int | None = None, *, follow: bool = False
    ) -> None:
        """Ask the store for one window of the list, in a worker.

        Args:
            offset: the window's first row.
            cursor: the absolute row to put the cursor on.
            keep_id: put the cursor on this client instead, if the window holds it.
            follow: keep the cursor on the client it is on when the rows arrive (a
                refresh must not undo the keys pressed while it ran).
        """
        table = self.table
        text, sort, descending = self.filter_text, table.sort_key, table.descending
        clients = self.store.clients

        def job() -> ClientPage:
            return clients.list(
                text, sort=sort, descending=descending, offset=offset, limit=ClientTable.WINDOW
            )

        self.run_store(
            job, lambda page: self._show(page, cursor, keep_id, follow), group="clients-page"
        )

    def reload(self) -> None:
        """Reload the window around the cursor, keeping the same client under it."""
        table = self.table
        if self._select_id is not None:
            self.reload_to(self._select_id)
            return
        target = table.absolute_cursor
        # The same window, not one re-centred on the cursor: a window that moved is
        # rebuilt and redrawn whole, one that did not changes only the rows that
        # changed (usually none), and under endpoint load this runs every second.
        start = table.window_start if table.items else max(0, target - ClientTable.WINDOW // 2)
        self.load(start, target, follow=True)

    def reload_to(self, client_id: int) -> None:
        """Reload and put the cursor on this client (new: with the default sort, last)."""
        table = self.table
        self._select_id = client_id
        if table.sort_key == "id" and not table.descending and not self.filter_text:
            self.load(max(0, table.match_count + 1 - ClientTable.WINDOW), table.match_count)
        else:
            target = table.absolute_cursor
            self.load(max(0, target - ClientTable.WINDOW // 2), target, client_id)

    def refresh_data(self) -> None:
        """Someone (maybe another process) changed clients or tokens: show it."""
        if self.loaded and self.table.paging is False:
            self.reload()

    def _show(
        self, page: ClientPage, cursor: int, keep_id: int | None = None, follow: bool = False
    ) -> None:
        table = self.table
        if follow and table.current is not None:
            keep_id, cursor = table.current.id, table.absolute_cursor
        if page.total and page.offset >= page.total:
            # The list shrank under us (deletes): come back to its end.
            self.load(max(0, page.total - ClientTable.WINDOW), page.total - 1, keep_id)
            return
        wanted = self._select_id if self._select_id is not None else keep_id
        self._select_id = None
        for index, client in enumerate(page.items):
            if client.id == wanted:
                cursor = page.offset + index
                break
        self.table.show_page(page, cursor)
        self._update_chrome()
        self.loaded = True

    def on_screen_resume(self) -> None:
        # Back from another screen: live-token counts or names may have changed.
        if self.loaded:
            self.reload()

    def _focus_list(self) -> None:
        """Focus the table, or the empty state's button; never leave the filter by accident."""
        if self.query_one("#filter", Input).has_focus:
            return
        if self.table.display:
            self.table.focus()
        else:
            self.query_one("#empty-new", Button).focus()

    def _update_chrome(self) -> None:
        table = self.table
        total = table.match_count
        empty = total == 0
        self.query_one("#empty").display = empty
        if table.display == empty:
            table.display = not empty
            self._focus_list()
        if empty:
            message = (
                f"No client matches “{self.filter_text}”. Press escape in the filter to clear it."
                if self.filter_text
                else "No clients yet. Press n (or click below) to create the first one,\n"
                "or D for demo data: a user and one client per grant, to try things out."
            )
            self.query_one("#empty-message", Static).update(literal(message, multiline=True))
        # Only a list just read from the store says the database is empty.
        no_clients = empty and not self.filter_text
        self.query_one("#empty-demo").display = no_clients
        if no_clients != self._no_clients:
            self._no_clients = no_clients
            # Only on a change: each refresh rebuilds the footer (~25 ms).
            self.refresh_bindings()
        self._update_position()

    def _update_position(self) -> None:
        """The page bar's "row N · first-last of total": on every cursor move."""
        table = self.table
        total = table.match_count
        first = table.window_start + 1 if total else 0
        last = table.window_start + len(table.items)
        where = f"row {table.absolute_cursor + 1:,}" if total else "no rows"
        # Its size is fixed by the stylesheet: no layout pass (~35 ms at 120x40) per key.
        # The filter text was typed (or pasted) by the admin: shown literally all the same.
        self.query_one("#page-info", Label).update(
            literal(
                f"{where} · {count_text(first)}–{count_text(last)} of {count_text(total)}"
                + (f" · filter “{self.filter_text}”" if self.filter_text else "")
            ),
            layout=False,
        )

    @on(ClientTable.PageWanted)
    def _page_wanted(self, message: ClientTable.PageWanted) -> None:
        message.stop()
        self.load(message.offset, message.cursor)

    @on(DataTable.RowSelected, "#clients")
    def _selected(self) -> None:
        self.action_edit()

    @on(DataTable.HeaderSelected, "#clients")
    def _header(self, message: DataTable.HeaderSelected) -> None:
        key = str(message.column_key.value)
        table = self.table
        descending = not table.descending if key == table.sort_key else False
        self._sort(key, descending)

    def _sort(self, key: str, descending: bool) -> None:
        self.table.set_sort(key, descending)
        self.load(0, 0)
        direction = "descending" if descending else "ascending"
        self.notify(f"Sorted by {key.replace('_', ' ')}, {direction}.", timeout=2)

    # -- filter ------------------------------------------------------------------

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        text = event.value.strip()
        if text == self.filter_text:
            return  # a space typed between words: same result, no query
        self.filter_text = text
        self.load(0, 0)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.table.focus()

    def key_escape(self) -> None:
        """Escape in the filter clears it, then returns to the table."""
        filter_input = self.query_one("#filter", Input)
        if filter_input.has_focus:
            if filter_input.value:
                filter_input.value = ""
            else:
                self.table.focus()

    def key_down(self) -> None:
        if self.query_one("#filter", Input).has_focus:
            self.table.focus()

    # -- actions -----------------------------------------------------------------

    def _current(self) -> ClientInfo | None:
        client = self.table.current
        if client is None:
            self.notify("No client highlighted. Create one with n.", severity="warning")
        return client

    def action_filter(self) -> None:
        filter_input = self.query_one("#filter", Input)
        if filter_input.has_focus:
            # The priority binding took a "/" typed in the filter: it is part of the text.
            filter_input.insert_text_at_cursor("/")
            return
        # At once, not with Widget.focus (deferred), for the key right behind it.
        self.set_focus(filter_input)

    def action_sort(self) -> None:
        table = self.table
        index = (SORTABLE.index(table.sort_key) + 1) % len(SORTABLE)
        self._sort(SORTABLE[index], False)

    def action_reverse(self) -> None:
        self._sort(self.table.sort_key, not self.table.descending)

    def action_new(self) -> None:
        self.app.push_screen(ClientFormScreen(), self._form_closed)

    def action_edit(self) -> None:
        client = self._current()
        if client:
            self.app.push_screen(ClientFormScreen(client), self._form_closed)

    def _form_closed(self, result: ClientFormResult | None) -> None:
        if result is None:
            return
        if result.created is not None:
            # A new client: show its secret, then find it in the list.
            self._reveal(result.created, "Client created")
            self.reload_to(result.client.id)
        else:
            ended = ""
            if isinstance(result.client, UpdatedClient) and not result.client.ended.nothing:
                ended = f" It {result.client.ended.describe().replace('ends', 'ended', 1)}."
            self.notify(f"Client {result.client.id} “{result.client.name}” saved.{ended}")
            self.reload()

    def _reveal(self, created: CreatedClient, title: str) -> None:
        client = created.client
        if created.secret:
            self.console.secrets[client.id] = created.secret
        curl_title, curl = curl_for(client, created.secret, self.console.endpoint_url)
        note = ""
        if not self.console.endpoint_running:
            note = "The endpoint is not running here; the curl line uses its usual address."
        self.app.push_screen(
            SecretRevealScreen(
                Reveal(
                    title=f"{title}: {client.name}",
                    id_label="client_id",
                    id_value=str(client.id),
                    secret_label="Client secret",
                    secret=created.secret,
                    note=note,
                    curl_title=curl_title,
                    curl=curl,
                )
            )
        )

    def action_delete(self) -> None:
        client = self._current()
        if client is None:
            return
        clients = self.store.clients

        def confirm(live: int) -> None:
            if live:
                tokens = f"Its {plural(live, 'live token')} will be revoked"
            else:
                tokens = "It has no live tokens"
            self.app.push_screen(
                ConfirmScreen(
                    f"Delete client {client.id}?",
                    f"Delete “{client.name}” (client_id={client.id})? {tokens}, and every "
                    "application using it loses access at once.",
                ),
                lambda yes: self._delete(client) if yes else None,
            )

        self.run_store(
            lambda: clients.live_token_count(client.id),
            confirm,
            group="clients-count",
        )

    def _delete(self, client: ClientInfo) -> None:
        clients = self.store.clients

        def done(revoked: int) -> None:
            self.console.secrets.pop(client.id, None)
            self.notify(f"Deleted “{client.name}”; revoked {plural(revoked, 'token')}.")
            self.reload()

        self.run_store(
            lambda: clients.delete(client.id),
            done,
            group="clients-write",
            exclusive=False,
        )

    def action_rotate(self) -> None:
        client = self._current()
        if client is None:
            return
        if client.public:
            self.notify(
                f"“{client.name}” is a public client: it has no secret. Edit it and turn "
                "off “Public client” to give it one.",
                severity="warning",
            )
            return
        clients = self.store.clients

        def rotate(yes: bool | None) -> None:
            if not yes:
                return

            def done(created: CreatedClient) -> None:
                self._reveal(created, "Secret rotated")
                if not created.ended.nothing:
                    self.notify(f"Rotated: {created.ended.describe().replace('ends', 'ended', 1)}.")
                self.reload()

            self.run_store(
                lambda: clients.rotate_secret(client.id),
                done,
                group="clients-write",
                exclusive=False,
            )

        def confirm(impact: Impact) -> None:
            self.app.push_screen(
                ConfirmScreen(
                    f"Rotate the secret of client {client.id}?",
                    f"“{client.name}” gets a new secret; the old one stops working at once. "
                    "What the old secret obtains on its own ends with it: its client "
                    "credentials tokens and every refresh token of the client. Users' access "
                    "tokens run to their expiry; personal access tokens are untouched.",
                    confirm="Rotate",
                    ends=impact,
                ),
                rotate,
            )

        self.run_store(
            lambda: clients.impact(client.id, rotate_secret=True), confirm, group="clients-count"
        )

    def action_copy_id(self) -> None:
        client = self._current()
        if client:
            self.console.copy_text(str(client.id), f"Client id {client.id}")

    def action_tokens(self) -> None:
        client = self._current()
        if client:
            self.console.open_tokens(client)

    def action_all_tokens(self) -> None:
        self.console.open_tokens(None)

    def action_resources(self) -> None:
        self.console.open_resources()

    def action_toggle_disabled(self) -> None:
        client = self._current()
        if client is None:
            return
        clients = self.store.clients

        def apply(yes: bool | None) -> None:
            if not yes:
                return

            def done(ended: int) -> None:
                state = "enabled" if client.disabled else f"disabled; revoked {ended} tokens"
                self.notify(f"“{client.name}” {state}.", markup=False)
                self.reload()

            self.run_store(
                lambda: clients.set_disabled(client.id, not client.disabled),
                done,
                group="clients-write",
                exclusive=False,
            )

        if client.disabled:
            apply(True)  # enabling ends nothing: no question
            return
        origin = " It registered itself." if client.registered else ""
        self.app.push_screen(
            ConfirmScreen(
                f"Disable client {client.id}?",
                f"Disable “{client.name}” (client_id={client.id})?{origin} Its live tokens and "
                "codes end now, and it gets no new ones until enabled again with x.",
                confirm="Disable",
            ),
            apply,
        )

    def action_users(self) -> None:
        self.console.open_users()

    def action_scopes(self) -> None:
        self.console.open_scopes()

    def action_devices(self) -> None:
        self.console.open_devices()

    def action_keys(self) -> None:
        self.console.open_keys()

    def action_settings(self) -> None:
        self.console.open_settings()

    def action_playground(self) -> None:
        self.console.open_playground(self._current())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Demo data only into an empty database: never mixed into real clients by a stray key.
        if action == "demo":
            return self._no_clients
        return True

    def action_demo(self) -> None:
        """Ask first: demo data is real rows, live while the endpoint listens."""
        if not self._no_clients:
            return
        console = self.console
        where = (
            f"while the endpoint listens ({console.endpoint_url}), anyone who reaches it can "
            "use them with the secrets shown next"
            if console.endpoint_running
            else "they work as soon as an endpoint serves this database"
        )
        self.app.push_screen(
            ConfirmScreen(
                "Add demo data to this database?",
                f"Demo data: a user “demo” with a random password and four live clients, one "
                f"per grant, each with a secret. They are real rows in {console.database_label}, "
                f"kept until you delete them, and {where}.",
                confirm="Add demo data",
                danger=False,
            ),
            lambda yes: self._seed_demo() if yes else None,
        )

    def _seed_demo(self) -> None:
        if not self._no_clients:
            return  # a client appeared while the question was open
        self._no_clients = False  # one yes, one set of demo data
        store = self.store

        def done(demo: DemoData) -> None:
            show_demo(self.console, demo, temporary=False)
            self.reload()

        self.run_store(lambda: seed_demo(store), done, group="clients-write", exclusive=False)

    @on(Button.Pressed, "#empty-demo")
    def _demo_pressed(self) -> None:
        self.action_demo()

    @on(Button.Pressed, "#empty-new")
    def _new_pressed(self) -> None:
        self.action_new()

    @on(Button.Pressed, "#bar-all-tokens")
    def _all_tokens_pressed(self) -> None:
        self.action_all_tokens()

    @on(Button.Pressed, "#bar-commands")
    def _commands_pressed(self) -> None:
        self.app.action_command_palette()

    @on(Button.Pressed, "#page-next")
    def _next_pressed(self) -> None:
        table = self.table
        table.go_to(table.window_start + len(table.items))

    @on(Button.Pressed, "#page-prev")
    def _prev_pressed(self) -> None:
        table = self.table
        table.go_to(table.window_start - 1 if table.window_start else 0)
