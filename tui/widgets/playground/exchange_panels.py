"""The outcome line and the request, curl and response panels of the last exchange.

Everything here may come from another server ("Another server" is any URL):
header names and values, the reason phrase, JSON values, error texts. All of
it goes through ``printable`` so that no control character reaches the terminal.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from rich.text import Text
from textual.widgets import Static

from authclients.store.oauth_client import Exchange, HttpResponse
from authclients.tui.formatting import shell_lines
from authclients.tui.safe_text import printable, safe_json

NOTHING_SENT = "Nothing sent yet."
MASKED_NOTE = "\n(secrets masked: f2 shows them)"
STORE_ANSWER = "Made in the store, not over HTTP: the token, shown only this once."
"""Heads a personal token's answer, which has no HTTP status line to show."""


def _document(text: str) -> str:
    """A multi-line text made safe; CRLF line ends are line ends, not a visible ␍."""
    return printable(text.replace("\r\n", "\n"), multiline=True)


def response_text(response: HttpResponse) -> str:
    """Status line, headers and the body (JSON pretty-printed), every part made safe."""
    lines = [printable(f"HTTP/1.1 {response.status} {response.reason}".rstrip())]
    lines += [f"{printable(name)}: {printable(value)}" for name, value in response.headers]
    body = response.json()
    text = safe_json(body) if body is not None else _document(response.body)
    if text:
        lines += ["", text]
    return "\n".join(lines)


class OutcomeLine(Static):
    """One line on what happened (green, or red with ``-error``), and a hint below it."""

    def say(self, message: str, hint: str = "", *, error: bool = False) -> None:
        text = printable(message) + (f"\n→ {printable(hint)}" if hint else "")
        self.update(Text(text))
        self.set_class(error, "-error")


class RequestPanel(Static):
    """The request as an HTTP message, secrets masked unless shown."""

    def show(self, done: Exchange | None, *, show_secrets: bool) -> None:
        if done is None:
            self.update(NOTHING_SENT)
            return
        masked = "" if show_secrets else MASKED_NOTE
        self.update(Text(_document(done.request.display(show_secrets=show_secrets)) + masked))


class CurlPanel(Static):
    """The request as a curl command, or, for a token made in the store, the CLI line."""

    def show(self, done: Exchange | None, *, show_secrets: bool) -> None:
        if done is None:
            self.update(NOTHING_SENT)
            return
        if done.request.method == "STORE":
            params = dict(parse_qsl(done.request.body, keep_blank_values=True))
            options = [
                ("--user", params.get("username", "")),
                ("--name", params.get("name", "")),
                ("--scopes", params.get("scopes", "")),
                ("--expires-in", params.get("days", "")),
            ]
            # No days given: the CLI's default is the store's, as here.
            options = [(flag, value) for flag, value in options if flag != "--expires-in" or value]
            command = shell_lines(["authclients", "tokens", "create-pat"], options)
            self.update(
                Text(
                    "Not an HTTP request: the token is created in the store. The same from a "
                    "shell:\n" + _document(command)
                )
            )
            return
        masked = "" if show_secrets else MASKED_NOTE
        self.update(Text(_document(done.request.curl(show_secrets=show_secrets)) + masked))


class ResponsePanel(Static):
    """What came back (status, headers, body) and what to do about a failure."""

    def show(self, done: Exchange | None) -> None:
        if done is None:
            self.update("Nothing received yet.")
            return
        if done.response is None:
            text = f"No response: {printable(done.error)}\n→ {printable(done.hint)}"
            self.update(Text(text.rstrip("→ \n")))
            return
        if done.request.method == "STORE":
            body = done.response.json()
            document = safe_json(body) if body is not None else _document(done.response.body)
            self.update(Text(f"{STORE_ANSWER}\n\n{document}"))
            return
        text = response_text(done.response)
        if done.hint:
            text += f"\n\n→ {printable(done.hint)}"
        self.update(Text(text))
