"""Control characters are shown, never obeyed."""

from __future__ import annotations

import json

import pytest

from authclients.tui.safe_text import printable, safe_json

HOSTILE = [
    "\x1b]52;c;aGVsbG8=\x07",  # OSC 52: writes the clipboard
    "\x1b]0;PWNED\x07",  # OSC 0: window title
    "\x1b[2J",  # clears the screen
    "\x9b31m",  # CSI as one C1 byte
    "\x9d0;t\x9c",  # OSC/ST as C1
    "a\x7fb",
    "\u202eevil\u202c",  # right-to-left override
    "\u2066x\u2069",
    "\r\n\t\x00\x08",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_no_control_character_survives(text: str) -> None:
    shown = printable(text)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in shown)
    assert not any(c in shown for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def test_escape_shows_as_a_picture() -> None:
    assert printable("\x1b]0;PWNED\x07") == "␛]0;PWNED␇"
    assert printable("\x9b") == "<U+009B>"
    assert printable("a\x7f") == "a␡"
    assert printable("\u202e") == "<U+202E>"


def test_plain_text_is_unchanged() -> None:
    assert printable("Web app — コールバック ✓") == "Web app — コールバック ✓"
    assert printable(42) == "42"


def test_multiline_keeps_newlines_and_tabs_only() -> None:
    assert printable("a\n\tb\x1b", multiline=True) == "a\n\tb␛"
    assert printable("a\nb") == "a␊b"


def test_safe_json_round_trips_and_escapes_c1() -> None:
    value = {"name": "x\x1b[2J\x9b\u202e\x7fコ"}
    text = safe_json(value)
    assert json.loads(text) == value
    assert not any(ord(c) < 0x20 and c not in "\n" for c in text)
    assert not any(0x7F <= ord(c) <= 0x9F for c in text)
    assert "\u202e" not in text
    assert "コ" in text
