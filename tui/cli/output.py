"""What the CLI writes: lines, tables, JSON and errors, all terminal-safe.

Every value a command shows may come from a row written behind our back (raw
SQL, a shared PostgreSQL, an older version), so nothing reaches stdout or
stderr except through :func:`say`, :func:`print_json` or :func:`error`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from authclients.store.records import Impact
from authclients.tui.safe_text import printable, safe_json

PROG = "authclients"
SECRET_WARNING = "Store this secret now: it will not be shown again."
TOKEN_WARNING = "Store this token now: it will not be shown again."


def say(*lines: str) -> None:
    """Print each line on stdout with every control character made visible.

    A newline inside a line shows as ␊: a value must not be able to forge a line.
    """
    for line in lines:
        print(printable(line))


def ask(question: str) -> None:
    """A prompt on stderr (stdout stays clean for scripts), without a newline."""
    sys.stderr.write(printable(question))
    sys.stderr.flush()


def error(message: str, status: int) -> int:
    """The one stderr line of a failure; returns ``status`` for ``main`` to exit with."""
    print(f"{PROG}: error: {printable(one_line(message))}", file=sys.stderr)
    return status


def print_json(value: object) -> None:
    """Indented JSON with C1, DEL and bidi controls escaped; it parses to the same values."""
    print(safe_json(value, indent=2))


def envelope(total: int, offset: int, limit: int, items: list[dict[str, Any]]) -> dict[str, Any]:
    """The one shape of every list command's ``--json``."""
    return {"total": total, "offset": offset, "limit": limit, "items": items}


def empty_page(nouns: str, total: int, *, filtered: bool) -> str:
    """What a list command says when its page has no rows.

    Args:
        nouns: the plural, ``clients``.
        total: how many matched in all (the page is past them when there are some).
        filtered: whether a filter narrowed the list.
    """
    if total:
        return f"No {nouns} on this page; {total} matched."
    return f"No {nouns} match." if filtered else f"No {nouns} yet."


def one_line(text: str) -> str:
    return " ".join(text.split())


def iso(moment: datetime | None) -> str | None:
    """UTC in ISO 8601 with a ``Z``, for JSON."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    """Columns as wide as their widest cell, two spaces apart; numbers right-aligned.

    Cells are made printable before they are measured, so ``␛`` counts as the
    one column it takes and the columns stay aligned.
    """
    safe_rows = [[printable(cell) for cell in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in safe_rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(headers), *(line(r) for r in safe_rows)]


def ended_text(impact: Impact, *, done: bool = True) -> str:
    """``ended 3 access tokens and 1 refresh token`` (or ``ends …`` for a preview)."""
    text = impact.describe()
    if done:
        text = text.replace("ends", "ended", 1)
    if impact.personal_tokens_kept:
        text += f"; {'kept' if done else 'keeps'} " + plural(
            impact.personal_tokens_kept, "personal access token"
        )
    return text


def impact_json(impact: Impact) -> dict[str, int]:
    """What a change ended, for ``--json``."""
    return {
        "access_tokens": impact.access_tokens,
        "refresh_tokens": impact.refresh_tokens,
        "auth_codes": impact.auth_codes,
        "personal_tokens_kept": impact.personal_tokens_kept,
    }
