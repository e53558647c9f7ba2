"""What a request presents to the OAuth layer, already parsed: client credentials, a token.

The HTTP layer builds these from headers and form fields; the decisions take
them without knowing where they came from (RFC 6749 §2.3.1, RFC 7009 §2.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass

from authclients.store.oauth.errors import InvalidRequest

AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")
"""Client authentication methods, as RFC 8414 metadata names them."""
TOKEN_MAX = 512
"""Our codes and refresh tokens are 43 characters; anything much longer is not one of ours."""
ACCESS_TOKEN_MAX = 4096
"""A presented access token: 43 characters opaque, ~500 (ES256) to ~800 (RS256) as a JWT;
past this it is not one of ours, and it is refused before any work."""


@dataclass(frozen=True)
class ClientCredentials:
    """What a request presented to authenticate its client (RFC 6749 §2.3.1).

    Attributes:
        client_id: the presented id, as text; None when absent.
        client_secret: the presented secret; None when absent (public clients).
        method: ``client_secret_basic``, ``client_secret_post`` or ``none``.
    """

    client_id: str | None
    client_secret: str | None
    method: str


_SOURCE: ContextVar[str] = ContextVar("authclients_request_source", default="")


class request_from:
    """Name the address the request being answered came from, for the brute-force limits.

    The HTTP layer wraps each request in it; a password check deep inside a
    grant or the sign-in page reads it with ``request_source``, so the address
    reaches the limits without every signature in between carrying it. A
    class, not a generator: it wraps every request (~3 µs less each).
    """

    __slots__ = ("_source", "_token")

    def __init__(self, source: str) -> None:
        self._source = source or ""

    def __enter__(self) -> None:
        self._token = _SOURCE.set(self._source)

    def __exit__(self, *exc: object) -> None:
        _SOURCE.reset(self._token)


def request_source() -> str:
    """The address of the request being answered; empty outside one (the console, tests)."""
    return _SOURCE.get()


def client_key(client_id: str) -> str | None:
    """The canonical text of a presented client id, or None if it cannot be one."""
    if not client_id.isascii() or not client_id.isdigit() or len(client_id) > 18:
        return None
    value = int(client_id)
    return str(value) if value > 0 else None


def token_param(params: Mapping[str, str]) -> str:
    """The ``token`` parameter of a revocation or introspection request (RFC 7009, RFC 7662)."""
    token = params.get("token", "")
    if not token:
        raise InvalidRequest("The token parameter is missing.")
    if len(token) > ACCESS_TOKEN_MAX:
        raise InvalidRequest("The token parameter is too long.")
    return token
