"""Read a token as a JWS compact JWT without trusting it: header, claims, what they say.

Nothing here checks a signature (``jwt_verify`` does); this only decides
whether a string is a JWT at all and reads it under size limits, so that a
hostile token (huge, not base64url, not JSON, nested ten thousand deep)
becomes a ``NotJwt`` with a reason, never an exception.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from datetime import datetime

MAX_TOKEN_CHARS = 32 * 1024
"""Longer strings are not decoded: real JWTs are a few hundred bytes to a few KB."""
MAX_NESTING = 32
"""Deeper JSON is refused: no issuer nests claims that deep, and display must stay bounded."""
TIME_CLAIMS = ("exp", "iat", "nbf", "auth_time")
"""Claims that are NumericDate (RFC 7519 §2): shown as dates."""

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


@dataclass(frozen=True)
class NotJwt:
    """Why a token is not read as a JWT (``opaque`` when it simply is not one)."""

    reason: str
    opaque: bool = False
    """True for a token with no JWT shape at all (a random string): say "opaque"."""


@dataclass(frozen=True)
class DecodedJwt:
    """A JWS compact JWT read but not trusted (RFC 7515 §7.1, RFC 7519 §7.2).

    Attributes:
        token: the compact serialization as received.
        header: the protected header (a JSON object with a string ``alg``).
        claims: the payload (a JSON object).
    """

    token: str
    header: dict[str, object] = field(default_factory=dict)
    claims: dict[str, object] = field(default_factory=dict)

    @property
    def alg(self) -> str:
        return str(self.header.get("alg", ""))

    @property
    def kid(self) -> str | None:
        kid = self.header.get("kid")
        return kid if isinstance(kid, str) else None

    @property
    def typ(self) -> str:
        typ = self.header.get("typ")
        return typ if isinstance(typ, str) else ""


def _b64decode(part: str, what: str) -> bytes:
    if not _BASE64URL.fullmatch(part):
        raise ValueError(f"the {what} is not base64url (RFC 7515 §2)")
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise ValueError(f"the {what} is not base64url (RFC 7515 §2)") from None


def _depth(value: object) -> int:
    """How deeply ``value`` nests, counted without recursion (the value may be hostile)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in item)
    return deepest


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    # RFC 7515 §5.2: a header with a duplicate name MUST be rejected or use the last;
    # two readers that pick differently are how confusion attacks start.
    result: dict[str, object] = {}
    for name, value in pairs:
        if name in result:
            raise ValueError(f"duplicate member {name!r}")
        result[name] = value
    return result


def _no_constant(name: str) -> object:
    # NaN and Infinity are Python's, not JSON's (RFC 8259 §6): an exp of Infinity never expires.
    raise ValueError(f"{name} is not a JSON number")


def _json_object(raw: bytes, what: str) -> dict[str, object]:
    try:
        text = raw.decode("utf-8")
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise ValueError(f"the {what} is not UTF-8") from None
    except RecursionError:
        raise ValueError(f"the {what} nests too deeply") from None
    except ValueError as exc:
        raise ValueError(f"the {what} is not JSON ({exc})") from None
    if not isinstance(value, dict):
        raise ValueError(f"the {what} is JSON but not an object")
    if _depth(value) > MAX_NESTING:
        raise ValueError(f"the {what} nests deeper than {MAX_NESTING} levels")
    return value


def decode(token: str) -> DecodedJwt | NotJwt:
    """Read ``token`` as a JWS compact JWT, trusting nothing in it.

    Returns:
        The header and claims, or why it is not a JWT (never raises).
    """
    token = token.strip()
    if not token:
        return NotJwt("empty", opaque=True)
    if len(token) > MAX_TOKEN_CHARS:
        return NotJwt(f"{len(token)} characters, over the {MAX_TOKEN_CHARS} read at most")
    parts = token.split(".")
    if len(parts) == 5:
        return NotJwt("an encrypted JWT (JWE, RFC 7516): only its audience can read it")
    if len(parts) != 3:
        return NotJwt("no JWT shape (three base64url parts joined by dots)", opaque=True)
    try:
        header = _json_object(_b64decode(parts[0], "header"), "header")
        if not isinstance(header.get("alg"), str):
            raise ValueError("the header has no string 'alg' (RFC 7515 §4.1.1)")
        claims = _json_object(_b64decode(parts[1], "payload"), "payload")
        _b64decode(parts[2], "signature")
    except ValueError as exc:
        return NotJwt(str(exc))
    return DecodedJwt(token=token, header=header, claims=claims)


MAX_NUMERIC_DATE = 253402300799
"""9999-12-31T23:59:59Z: a later "date" is no date, and would not fit a datetime."""


def numeric_date(value: object) -> datetime | None:
    """A NumericDate claim as an aware local datetime; None when it is not a sane one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not -MAX_NUMERIC_DATE <= value <= MAX_NUMERIC_DATE:
        return None
    try:
        return datetime.fromtimestamp(value).astimezone()
    except (OverflowError, OSError, ValueError):
        return None


def relative(seconds: float) -> str:
    """``in 3 min``, ``2 h ago``, ``in 5 d``, ``now``: how far a time is from now."""
    ahead = seconds >= 0
    span = abs(int(seconds))
    if span < 5:
        return "now"
    if span < 60:
        amount = f"{span} s"
    elif span < 3600:
        amount = f"{span // 60} min"
    elif span < 86400:
        amount = f"{span // 3600} h"
    else:
        amount = f"{span // 86400} d"
    return f"in {amount}" if ahead else f"{amount} ago"
