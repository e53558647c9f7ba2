"""Rows written behind the console's back (raw SQL) with escape sequences and markup in them.

The store's input paths refuse control characters, so these rows are made
clean through the store and then rewritten with plain ``sqlite3`` on the
database file, as an older version or a hand-written UPDATE would.
"""

from __future__ import annotations

import html
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from authclients.store import Store

CLIENT_NAME = "\x1b]0;PWNED\x07x"
"""OSC 0: retitles the admin's window."""
REDIRECT_URI = "https://app.example/cb\x1b]52;c;aGk=\x07"
"""OSC 52: writes the admin's clipboard."""
SCOPES = "read \x1b[2J"
"""CSI 2J: clears the screen."""
USERNAME = "mal\x9b31mlory\u202e"
"""A one-byte C1 CSI and a right-to-left override."""
TOKEN_NAME = "[link=https://evil]x[/]"
"""Markup: must show as these characters, never become a link."""
MARKUP_CLIENT_NAME = "[bold]Loud[/]"

SHOWN_CLIENT_NAME = "␛]0;PWNED␇x"
SHOWN_REDIRECT = "https://app.example/cb␛]52;c;aGk=␇"
SHOWN_SCOPES = "read ␛[2J"
SHOWN_USERNAME = "mal<U+009B>31mlory<U+202E>"

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class HostileRows:
    client_id: int
    markup_client_id: int
    token_id: int


def write_hostile_rows(store: Store, db_path: Path) -> HostileRows:
    """One hostile client (with a user and a personal token) and one named with markup."""
    store.users.add("mallory", "password-1")
    client = store.clients.create(
        "Evil",
        ["https://app.example/cb"],
        authorization_code=True,
        personal_access=True,
        scopes="read",
    ).client
    loud = store.clients.create(MARKUP_CLIENT_NAME, client_credentials=True).client
    token = store.tokens.create_personal_access_token("mallory", "deploy", client_id=client.id)
    with sqlite3.connect(db_path) as raw:
        raw.execute(
            "UPDATE client SET name = ?, redirect_uris = ?, scopes = ? WHERE id = ?",
            (CLIENT_NAME, REDIRECT_URI, SCOPES, client.id),
        )
        raw.execute("UPDATE user SET username = ? WHERE username = 'mallory'", (USERNAME,))
        raw.execute(
            "UPDATE access_token SET name = ?, scopes = ? WHERE id = ?",
            (TOKEN_NAME, SCOPES, token.info.id),
        )
    raw.close()
    return HostileRows(client.id, loud.id, token.info.id)


def screen_text(svg: str) -> str:
    """The characters a screenshot (``App.export_screenshot``) puts on the terminal.

    Rich ends each screen line with a newline segment of its own: those are the
    screenshot's line breaks, not characters from the data, so they are dropped.
    """
    parts = re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.S)
    text = "".join(html.unescape(part) for part in parts)
    return text.replace("\xa0", " ").replace("\n", "")


def unsafe_characters(text: str) -> list[str]:
    """C0, DEL, C1 and bidi characters in ``text``, as code points."""
    return [f"U+{ord(char):04X}" for char in _UNSAFE.findall(text)]
