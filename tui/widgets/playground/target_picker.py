"""The playground's target: the embedded endpoint or another server, and its endpoint URLs."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Collapsible, Input, Label, Select, Static

from authclients.store.oauth_client import Discovery, Target, metadata_rows
from authclients.tui.safe_display import literal
from authclients.tui.safe_text import printable

EMBEDDED = "embedded"
CUSTOM = "custom"
ENDPOINTS = (
    ("token", "Token"),
    ("authorize", "Authorize"),
    ("revoke", "Revoke"),
    ("introspect", "Introspect"),
    ("device", "Device"),
)
"""The editable endpoint URLs: ``Target`` attribute prefix and label."""


class TargetPicker(Vertical):
    """Embedded endpoint or another server, its base URL, Discover, and the endpoint URLs."""

    @dataclass
    class KindChanged(Message):
        """The admin switched between the embedded endpoint and another server."""

        embedded: bool

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="pg-section")
        self._discovered_issuer: tuple[str, str] = ("", "")
        """The base URL last discovered and the issuer its metadata named (RFC 9207)."""

    def compose(self) -> ComposeResult:
        with Horizontal(classes="pg-row"):
            yield Label("Target", classes="pg-label")
            yield Select(
                [("Embedded endpoint", EMBEDDED), ("Another server", CUSTOM)],
                value=EMBEDDED,
                allow_blank=False,
                id="pg-target-kind",
                compact=True,
            )
            yield Input(
                id="pg-base-url",
                placeholder="issuer or metadata URL: https://id.example/realms/dev",
                compact=True,
            )
            yield Button("Discover", id="pg-discover", compact=True, action="screen.discover")
        with Horizontal(classes="pg-row", id="pg-saved-row"):
            yield Label("Saved", classes="pg-label")
            yield Select[str](
                [],
                prompt="pick a saved server",
                id="pg-saved",
                compact=True,
            )
            yield Button("Save…", id="pg-save-target", compact=True, action="screen.save_target")
            yield Button(
                "Forget", id="pg-forget-target", compact=True, action="screen.forget_target"
            )
        with Collapsible(title="Endpoint URLs (editable)", id="pg-urls", collapsed=True):
            for key, label in ENDPOINTS:
                with Horizontal(classes="pg-row"):
                    yield Label(label, classes="pg-label")
                    yield Input(id=f"pg-url-{key}", compact=True)
        with Collapsible(title="Server metadata", id="pg-metadata", collapsed=True):
            yield Static(id="pg-metadata-source")
            yield Static(id="pg-metadata-table")

    def offer_saved(self, names: list[str], chosen: str = "") -> None:
        """The saved targets' names, quietly: offering is not choosing."""
        picker = self.query_one("#pg-saved", Select)
        with self.prevent(Select.Changed):
            # Text, not str: a Select reads a str prompt as markup.
            picker.set_options([(Text(printable(name)), name) for name in names])
            picker.value = chosen if chosen in names else Select.BLANK

    @property
    def saved_name(self) -> str:
        value = self.query_one("#pg-saved", Select).value
        return value if isinstance(value, str) else ""

    def choose_custom(self) -> None:
        """Switch to "Another server" (a saved target is never the embedded endpoint)."""
        self.query_one("#pg-target-kind", Select).value = CUSTOM

    @property
    def embedded(self) -> bool:
        return self.query_one("#pg-target-kind", Select).value == EMBEDDED

    @property
    def base_url(self) -> str:
        return self.query_one("#pg-base-url", Input).value.strip()

    def use_target(self, target: Target) -> None:
        """Show ``target``'s base URL and endpoint URLs."""
        # Quietly: the base URL's Changed would re-derive the URLs just set.
        with self.prevent(Input.Changed):
            self.query_one("#pg-base-url", Input).value = target.base_url
        self._show_urls(target)

    def _show_urls(self, target: Target) -> None:
        for key, _ in ENDPOINTS:
            self.query_one(f"#pg-url-{key}", Input).value = getattr(target, f"{key}_url")

    def read_target(self) -> Target:
        """The target as the inputs say now (the URLs may have been edited)."""
        base = self.base_url.rstrip("/")
        urls = {key: self.query_one(f"#pg-url-{key}", Input).value.strip() for key, _ in ENDPOINTS}
        default = Target.from_base(base)
        discovered_base, issuer = self._discovered_issuer
        return Target(
            base_url=base,
            token_url=urls["token"] or default.token_url,
            authorize_url=urls["authorize"] or default.authorize_url,
            revoke_url=urls["revoke"] or default.revoke_url,
            introspect_url=urls["introspect"] or default.introspect_url,
            device_url=urls["device"] or default.device_url,
            # The issuer its metadata named, while the base URL is still the one asked.
            issuer_url=issuer if discovered_base == base else "",
        )

    def apply_discovery(self, found: Discovery) -> Target:
        """Use the endpoints the discovered document names; show which document and what
        it says."""
        # An endpoint URL with control characters in it is no URL: it is not used.
        usable = {
            k: v for k, v in found.metadata.items() if not isinstance(v, str) or printable(v) == v
        }
        target = Target.from_base(found.issuer).with_metadata(usable)
        self._discovered_issuer = (target.base_url, target.issuer_url)
        self.use_target(target)
        self.query_one("#pg-metadata-source", Static).update(
            literal(f"{found.kind} at {found.url}")
        )
        rows = metadata_rows(found.metadata)
        width = min(max((len(name) for name, _ in rows), default=0), 28)
        table = "\n".join(f"{name:<{width}}  {value}" for name, value in rows)
        self.query_one("#pg-metadata-table", Static).update(literal(table, multiline=True))
        metadata = self.query_one("#pg-metadata", Collapsible)
        metadata.add_class("-found")
        metadata.collapsed = False
        return target

    @dataclass
    class SavedChosen(Message):
        """A saved target was picked by name."""

        name: str

    @on(Select.Changed, "#pg-saved")
    def _saved_chosen(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str):
            self.post_message(self.SavedChosen(event.value))

    def on_mount(self) -> None:
        self.query_one("#pg-saved-row").display = not self.embedded

    @on(Select.Changed, "#pg-target-kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        base = self.query_one("#pg-base-url", Input)
        embedded = event.value == EMBEDDED
        base.disabled = embedded
        # Saved targets are other servers.
        self.query_one("#pg-saved-row").display = not embedded
        if not embedded:
            base.focus()
        self.post_message(self.KindChanged(embedded))

    @on(Input.Submitted, "#pg-base-url")
    def _base_submitted(self) -> None:
        self.use_target(Target.from_base(self.query_one("#pg-base-url", Input).value))

    @on(Input.Changed, "#pg-base-url")
    def _base_changed(self, event: Input.Changed) -> None:
        # The endpoint URLs follow the base as it is typed (edit them after, or Discover),
        # so a request never goes to the previous server by surprise.
        if not self.embedded:
            self._show_urls(Target.from_base(event.value))
