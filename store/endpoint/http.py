"""Form and HTTP Basic decoding for the OAuth routes, and their answers as ``Response`` values.

Reading a request off the wire is ``store.endpoint.http11``; serialising an
answer, ``store.endpoint.responses``. This module holds what the routes need
between the two (RFC 6749 §2.3.1, §3.2, Appendix B).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote_plus

from authclients.store.endpoint.http11 import Headers, Request
from authclients.store.endpoint.responses import NO_STORE, Response, json_response
from authclients.store.oauth.errors import InvalidClient, InvalidRequest, OAuthError
from authclients.store.oauth.requests import ClientCredentials

__all__ = [
    "NO_STORE",
    "Request",
    "Response",
    "client_credentials",
    "form_params",
    "json_response",
    "oauth_error_response",
    "page_response",
    "parse_form",
    "redirect_response",
    "request_form",
    "safe_client_id",
]

PARAM_MAX = 4096
"""Longest parameter value of any kind; each field has its own tighter limit too."""
MAX_FIELDS = 64
REPEATABLE = frozenset({"resource"})
"""Parameters that may be given more than once (RFC 8707 §2); every other may not."""

FORM = "application/x-www-form-urlencoded"
HTML_TYPE = "text/html; charset=utf-8"
PAGE_HEADERS = (
    *NO_STORE,
    ("X-Frame-Options", "DENY"),
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("Referrer-Policy", "no-referrer"),
)
"""RFC 6749 §10.13: the consent page refuses to be framed (clickjacking)."""

_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_PARAM_NAME = re.compile(r"^[A-Za-z0-9_.\-\[\]]{1,40}$")


def form_params(query: str, headers: Headers, body: bytes) -> dict[str, str]:
    """The parameters of a POST to an OAuth endpoint: form body only (RFC 6749 §3.2)."""
    if query:
        raise InvalidRequest(
            "Parameters (and above all credentials) go in the request body, never in "
            "the URL query (RFC 6749 section 3.2); the query string is refused."
        )
    types = headers.get_all("Content-Type") or []
    media, _, extra = (types[0] if len(types) == 1 else "").partition(";")
    if media.strip().lower() != FORM:
        raise InvalidRequest(f"Send the parameters as {FORM} (RFC 6749 section 3.2).")
    charset = extra.strip().lower()
    if charset and charset.replace(" ", "") not in ("charset=utf-8", "charset=us-ascii"):
        raise InvalidRequest("Only the UTF-8 charset is accepted.")
    return parse_form(body)


def request_form(request: Request) -> dict[str, str]:
    """``form_params`` of ``request``, parsed once and kept on it.

    The application reads ``grant_type`` to choose where a token request runs,
    and the route reads every parameter: one parse serves both. A body that
    does not parse raises each time (nothing is kept).
    """
    form = request.form
    if form is None:
        form = request.form = form_params(request.query, request.headers, request.body)
    return form


def parse_form(data: bytes | str, *, where: str = "body") -> dict[str, str]:
    """application/x-www-form-urlencoded into a dict (RFC 6749 Appendix B).

    Refuses broken encodings, repeated parameters (RFC 6749 §3.1), NUL
    characters and absurd lengths; a parameter without a value counts as
    omitted (RFC 6749 §3.1).
    """
    if isinstance(data, bytes):
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            raise InvalidRequest(
                f"The {where} has raw non-ASCII bytes; percent-encode them as UTF-8."
            ) from None
    else:
        text = data
    if _BAD_PERCENT.search(text):
        raise InvalidRequest(f"The {where} has a broken percent-encoding (% not followed by hex).")
    try:
        pairs = form_pairs(text)
    except UnicodeDecodeError:
        raise InvalidRequest(f"A parameter of the {where} is not valid UTF-8.") from None
    except ValueError:
        raise InvalidRequest(
            f"The {where} is not valid form encoding (name=value pairs joined by &, "
            f"at most {MAX_FIELDS})."
        ) from None
    params: dict[str, str] = {}
    for name, value in pairs:
        label = name if _PARAM_NAME.match(name) else "a parameter"
        if len(value) > PARAM_MAX or len(name) > 100:
            raise InvalidRequest(f"The {label} parameter is too long.")
        if "\x00" in value or "\x00" in name:
            raise InvalidRequest(f"The {label} parameter contains a NUL character.")
        if not value:
            continue
        if name in params and name in REPEATABLE:
            # RFC 8707 §2: resource may be repeated; joined by a space, which no valid
            # resource URI holds (``store.oauth.resources`` checks each part, so a value
            # holding a space is at worst the same as the parts sent separately).
            params[name] += " " + value
            continue
        if name in params:
            raise InvalidRequest(
                f"The {label} parameter is given more than once (RFC 6749 section 3.1)."
            )
        params[name] = value
    return params


def form_pairs(text: str) -> list[tuple[str, str]]:
    """``parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict",
    max_num_fields=MAX_FIELDS)``, without decoding what holds no ``%`` or ``+``.

    The same pairs and the same errors (``ValueError``, ``UnicodeDecodeError``):
    ``tests/endpoint/test_form_pairs.py`` compares them. Every token request is
    parsed here; ``parse_qsl`` decoded each name and value, escaped or not.
    """
    if not text:
        return []
    fields = text.split("&")
    if len(fields) > MAX_FIELDS:
        raise ValueError("too many fields")
    pairs = []
    for field in fields:
        name, equals, value = field.partition("=")
        if not equals:
            raise ValueError("a field without '='")
        if "%" in name or "+" in name:
            name = unquote_plus(name, errors="strict")
        if "%" in value or "+" in value:
            value = unquote_plus(value, errors="strict")
        pairs.append((name, value))
    return pairs


def safe_client_id(value: object) -> str | None:
    """A client id fit for the request log: digits only, else nothing."""
    text = str(value) if value is not None else ""
    return text if text.isascii() and text.isdigit() and len(text) <= 18 else None


# -- client credentials -----------------------------------------------------------------


def client_credentials(authorization: list[str], params: Mapping[str, str]) -> ClientCredentials:
    """HTTP Basic or body credentials, not both (RFC 6749 §2.3.1).

    Basic's id and secret are form-urlencoded before base64, as §2.3.1 says.
    A ``client_id`` in the body beside Basic is allowed when it is the same.
    """
    body_id = params.get("client_id")
    body_secret = params.get("client_secret")
    if len(authorization) > 1:
        raise InvalidRequest("The Authorization header is given more than once.")
    if authorization:
        scheme, _, value = authorization[0].strip().partition(" ")
        if scheme.lower() != "basic":
            raise InvalidClient("Authenticate the client with HTTP Basic (or in the body).")
        client_id, secret = _decode_basic(value.strip())
        if body_secret is not None:
            raise InvalidRequest(
                "Client credentials given twice (Authorization header and body); use one "
                "(RFC 6749 section 2.3.1)."
            )
        if body_id is not None and body_id != client_id:
            raise InvalidRequest("client_id in the body differs from the Authorization header.")
        return ClientCredentials(client_id, secret or None, "client_secret_basic")
    if body_secret is not None:
        return ClientCredentials(body_id, body_secret, "client_secret_post")
    return ClientCredentials(body_id, None, "none")


def _decode_basic(value: str) -> tuple[str, str]:
    if not value or len(value) > 2048:
        raise InvalidClient("Malformed HTTP Basic credentials.")
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
        raw_id, sep, raw_secret = decoded.partition(":")
        if not sep:
            raise ValueError("no colon")
        client_id = unquote_plus(raw_id, errors="strict")
        secret = unquote_plus(raw_secret, errors="strict")
    except (binascii.Error, ValueError):
        raise InvalidClient("Malformed HTTP Basic credentials.") from None
    if "\x00" in client_id or "\x00" in secret:
        raise InvalidClient("Malformed HTTP Basic credentials.")
    return client_id, secret


# -- answers ------------------------------------------------------------------------------


def oauth_error_response(
    error: OAuthError, *, status: int | None = None, close: bool = False
) -> Response:
    """The RFC 6749 §5.2 JSON answer of ``error``, with its own headers (``WWW-Authenticate``)."""
    return json_response(status or error.status, error.body(), error.headers.items(), close=close)


def page_response(status: int, html: str, headers: Iterable[tuple[str, str]] = ()) -> Response:
    return Response(status, html.encode("utf-8"), HTML_TYPE, (*PAGE_HEADERS, *headers))


def redirect_response(location: str) -> Response:
    return Response(302, b"", None, (("Location", location), *PAGE_HEADERS))
