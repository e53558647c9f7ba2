"""The decoded tokens under the token panel: header and claims, the signature, the checks.

Every claim and header value came from a server and may be hostile (escape
sequences, bidi overrides, markup, megabytes, deep nesting): each reaches the
screen through ``printable`` as literal text, cut to ``MAX_VALUE_CHARS``.
"""

from __future__ import annotations

import json

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from authclients.store import oauth_client as oc
from authclients.store.oauth_client.jwt_decode import TIME_CLAIMS, numeric_date
from authclients.tui.safe_text import printable

MAX_VALUE_CHARS = 400
"""A longer claim value is cut, with its length said: the table must stay readable."""
OPAQUE = "opaque token (not a JWT): use Introspect to ask the server about it"
SECTIONS = (oc.jwt_inspect.ACCESS, oc.jwt_inspect.ID_TOKEN, oc.jwt_inspect.REFRESH)


def value_text(name: str, value: object, now: float) -> str:
    """A claim's value for the table: times as local dates with how far they are."""
    if name in TIME_CLAIMS and (moment := numeric_date(value)) is not None:
        assert isinstance(value, int | float)
        return f"{moment:%Y-%m-%d %H:%M:%S %Z} · {oc.relative(value - now)} ({value})"
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ": "))
    if len(text) > MAX_VALUE_CHARS:
        text = f"{text[:MAX_VALUE_CHARS]}… ({len(text)} characters)"
    return printable(text)


def members_table(title: str, members: dict[str, object], now: float) -> Table:
    """Name and value per member, as literal text (never markup)."""
    table = Table(title=None, show_header=True, box=None, padding=(0, 1), expand=True)
    table.add_column(title, style="bold", no_wrap=True, max_width=24)
    table.add_column("value", overflow="fold", ratio=1)
    for name, value in members.items():
        table.add_row(Text(printable(name)), Text(value_text(name, value, now)))
    return table


def _cut(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def _mark(ok: bool) -> tuple[str, str]:
    return ("✓ ", "$success") if ok else ("✗ ", "$error")


def status_content(report: oc.TokenReport) -> Content:
    """The signature line and one line per check, green or red, every detail made safe."""
    jwt = report.jwt
    if jwt is None:
        return Content("")
    signature = report.signature
    if signature is None:
        parts: list[str | tuple[str, str]] = [("… checking the signature against the JWKS", "")]
    else:
        parts = [_mark(signature.valid), (printable(signature.message), _mark(signature.valid)[1])]
    for check in report.checks:
        mark, style = _mark(check.ok)
        parts += ["\n", (mark, style), (f"{check.name:<8}", style), printable(check.detail)]
    return Content.assemble(*parts)


class JwtSection(Vertical):
    """One token: what it is, its signature and checks, its header and claims."""

    def __init__(self, label: str) -> None:
        super().__init__(classes="jwt-section")
        self.label = label
        self.report: oc.TokenReport | None = None

    def compose(self) -> ComposeResult:
        yield Static("", classes="jwt-title")
        yield Static("", classes="jwt-status")
        yield Static("", classes="jwt-members")

    def show(self, report: oc.TokenReport | None, now: float) -> None:
        self.report = report
        self.display = report is not None
        if report is None:
            return
        title, status, members = self.query(Static).results(Static)
        decoded = report.decoded
        if isinstance(decoded, oc.NotJwt):
            why = OPAQUE if decoded.opaque else f"not a JWT: {printable(decoded.reason)}"
            title.update(Content(f"{report.label}: {why}"))
            status.display = members.display = False
            return
        kid = f" · kid {_cut(decoded.kid)}" if decoded.kid is not None else ""
        title.update(Content(printable(f"{report.label}: JWT · {_cut(decoded.alg)}{kid}")))
        status.display = members.display = True
        status.update(status_content(report))
        header = members_table("header", decoded.header, now)
        claims = members_table("claim", decoded.claims, now)
        members.update(Group(header, Text(""), claims))


class JwtView(Vertical):
    """The decoded access token, id_token and (when it is a JWT) refresh token."""

    def compose(self) -> ComposeResult:
        for label in SECTIONS:
            yield JwtSection(label)

    def show(self, reports: list[oc.TokenReport], now: float) -> None:
        """Show ``reports`` (by label); sections with no report are hidden."""
        by_label = {report.label: report for report in reports}
        for section in self.query(JwtSection).results(JwtSection):
            section.show(by_label.get(section.label), now)
