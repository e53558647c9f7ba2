"""Text from the store or the network made safe to put on an admin's terminal.

A row written behind our back (raw SQL, a shared PostgreSQL, an older
version) or a remote server's answer may carry escape sequences: OSC 52
writes the admin's clipboard, OSC 0 retitles the window, CSI clears the
screen. Input paths refuse control characters, but output never relies on
that: everything shown goes through :func:`printable`.
"""

from __future__ import annotations

import json
import re

_C0_PICTURES = {code: chr(0x2400 + code) for code in range(0x20)}
"""C0 controls as Unicode's Control Pictures: ESC shows as ␛, NUL as ␀."""
_DEL_PICTURE = "\u2421"
_BIDI = frozenset(
    chr(code) for code in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
)
"""Bidirectional marks, embeddings, overrides and isolates (Trojan Source, CVE-2021-42574)."""
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f" + "".join(sorted(_BIDI)) + "]")
UNSAFE_CHARACTERS = _UNSAFE.pattern
"""A regex character class of everything :func:`printable` replaces."""
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f" + "".join(sorted(_BIDI)) + "]")


def _picture(match: re.Match[str], keep: str) -> str:
    char = match.group()
    if char in keep:
        return char
    code = ord(char)
    if code < 0x20:
        return _C0_PICTURES[code]
    if code == 0x7F:
        return _DEL_PICTURE
    return f"<U+{code:04X}>"


def printable(text: object, *, multiline: bool = False) -> str:
    """``text`` with every control character made visible instead of obeyed.

    C0 controls become their Control Pictures (ESC → ␛), DEL becomes ␡, C1
    controls and bidi overrides become ``<U+009B>``. With ``multiline`` a
    newline and a tab stay as they are, for panels that show a document.

    Args:
        text: anything; it is shown as ``str(text)``.
        multiline: keep ``\\n`` and ``\\t``.

    Returns:
        Text that cannot move the cursor, retitle the window or write the clipboard.
    """
    value = text if isinstance(text, str) else str(text)
    keep = "\n\t" if multiline else ""
    if not _UNSAFE.search(value):
        return value
    return _UNSAFE.sub(lambda match: _picture(match, keep), value)


def safe_json(value: object, *, indent: int | None = 2) -> str:
    """JSON for a terminal: C0 is escaped by ``json`` itself; C1, DEL and bidi as ``\\uXXXX``.

    Such characters can only stand inside JSON strings, where the escape means
    the same thing, so a reader of the JSON gets the very same values.
    """
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    return _UNSAFE_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
