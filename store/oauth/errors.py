"""One exception class per OAuth 2.0 error code, each knowing its HTTP status and headers.

RFC 6749 §5.2 (token endpoint), §4.1.2.1 (authorization endpoint), RFC 6750 §3.1
(resource server), RFC 7009 §2.2.1 (revocation), RFC 8628 §3.5 (``slow_down``).
The HTTP layer serialises them; nothing in them ever holds a secret.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar

from authclients.store.errors import RateLimited

REALM = "authclients"

_SPELLED = {"\u00a7": "section ", "\u2026": "...", '"': "'", "\\": "/"}
"""Characters a sentence may hold that RFC 6749 §5.2 does not allow, and what is sent instead."""


def description_text(text: str) -> str:
    """``text`` in RFC 6749 §5.2's ``error_description`` set: %x20-21 / %x23-5B / %x5D-7E.

    Our sentences are written in that set already; this also holds for the
    parts a request supplies (an echoed grant_type or scope), whatever they hold.
    """
    if all(_allowed(ch) for ch in text):
        return text
    spelled = "".join(_SPELLED.get(ch, ch) for ch in text)
    return "".join(ch if _allowed(ch) else "?" for ch in spelled)


def _allowed(ch: str) -> bool:
    return 0x20 <= ord(ch) <= 0x7E and ch not in '"\\'


class OAuthError(Exception):
    """Base of every error the endpoint answers on purpose (never a 500 except ``ServerError``).

    Attributes:
        error: the RFC error code, sent as ``error``.
        status: the HTTP status.
        description: a human sentence, sent as ``error_description``; never a secret.
    """

    error: ClassVar[str] = "invalid_request"
    status: ClassVar[int] = 400

    def __init__(self, description: str = "", *, headers: dict[str, str] | None = None) -> None:
        description = description_text(description)
        super().__init__(description or self.error)
        self.description = description
        self._headers = dict(headers or {})

    @property
    def headers(self) -> dict[str, str]:
        """Extra response headers (``WWW-Authenticate``, ``Retry-After``, ``Allow``)."""
        return dict(self._headers)

    def body(self) -> dict[str, str]:
        """The RFC 6749 §5.2 JSON body."""
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


# -- RFC 6749 §5.2: the token endpoint -------------------------------------


class InvalidRequest(OAuthError):
    """A parameter is missing, repeated, malformed or not allowed (RFC 6749 §5.2)."""

    error = "invalid_request"


class InvalidClient(OAuthError):
    """Client authentication failed: 401 with ``WWW-Authenticate`` (RFC 6749 §5.2)."""

    error = "invalid_client"
    status = 401

    def __init__(self, description: str = "", *, scheme: str = "Basic") -> None:
        super().__init__(description, headers={"WWW-Authenticate": f'{scheme} realm="{REALM}"'})


class InvalidGrant(OAuthError):
    """The code, refresh token or resource owner credentials are not valid (RFC 6749 §5.2)."""

    error = "invalid_grant"


class AccountLocked(InvalidGrant):
    """The resource owner's account is locked after too many failed sign-ins (RFC 6749 §5.2:
    the owner credentials cannot be used); an admin must unlock it."""


class UnauthorizedClient(OAuthError):
    """The client is not allowed to use this grant type (RFC 6749 §5.2)."""

    error = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    """The server does not know this grant type (RFC 6749 §5.2)."""

    error = "unsupported_grant_type"


class InvalidScope(OAuthError):
    """The scope is malformed, unknown, or wider than allowed (RFC 6749 §5.2)."""

    error = "invalid_scope"


# -- RFC 6749 §4.1.2.1: the authorization endpoint -------------------------


class AccessDenied(OAuthError):
    """The resource owner denied the request (RFC 6749 §4.1.2.1)."""

    error = "access_denied"
    status = 403


class UnsupportedResponseType(OAuthError):
    """Only ``response_type=code`` is supported (RFC 6749 §4.1.2.1)."""

    error = "unsupported_response_type"


class TemporarilyUnavailable(OAuthError):
    """The server cannot handle the request now (RFC 6749 §4.1.2.1)."""

    error = "temporarily_unavailable"
    status = 503


# -- rate limits, server failures ------------------------------------------


class SlowDown(OAuthError):
    """Too many failed attempts: 429 with ``Retry-After``.

    ``slow_down`` is the error the IANA OAuth registry lists for the token
    endpoint (RFC 8628 §3.5); it says exactly what the client must do.
    """

    error = "slow_down"
    status = 429

    def __init__(self, description: str, *, retry_after: int) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(description, headers={"Retry-After": str(self.retry_after)})


class ServerError(OAuthError):
    """Something unexpected failed; the details are in the server log only (RFC 6749 §4.1.2.1)."""

    error = "server_error"
    status = 500


# -- RFC 7009 and RFC 6750 -------------------------------------------------


class UnsupportedTokenType(OAuthError):
    """The server cannot revoke this type of token (RFC 7009 §2.2.1)."""

    error = "unsupported_token_type"


class InvalidToken(OAuthError):
    """The bearer token is missing, expired, revoked or malformed: 401 (RFC 6750 §3.1).

    With ``code=False`` the header carries no error code, as RFC 6750 §3.1
    asks when the request had no authentication at all.
    """

    error = "invalid_token"
    status = 401

    def __init__(self, description: str = "", *, code: bool = True) -> None:
        challenge = f'Bearer realm="{REALM}"'
        if code:
            challenge += ', error="invalid_token"'
            if description:
                challenge += f', error_description="{_quoted(description)}"'
        super().__init__(description, headers={"WWW-Authenticate": challenge})


# -- RFC 8628 §3.5: a device polling the token endpoint ----------------------


class AuthorizationPending(OAuthError):
    """The user has not decided yet: poll again after the interval (RFC 8628 §3.5)."""

    error = "authorization_pending"


class PollSlowDown(OAuthError):
    """Polled too soon: 400 (not a 429 rate limit), and the interval grows by 5 seconds for
    this and every later poll (RFC 8628 §3.5)."""

    error = "slow_down"


class DeviceAccessDenied(OAuthError):
    """The user denied the device request: 400, as every RFC 8628 §3.5 poll answer."""

    error = "access_denied"


class ExpiredToken(OAuthError):
    """The device code expired: start a new device request (RFC 8628 §3.5)."""

    error = "expired_token"


# -- plain HTTP failures, still answered as JSON ---------------------------


class NotFoundError(OAuthError):
    """No such route: 404."""

    error = "not_found"
    status = 404


class MethodNotAllowed(OAuthError):
    """The route exists but not for this method: 405 with ``Allow``."""

    error = "invalid_request"
    status = 405

    def __init__(self, method: str, allowed: list[str]) -> None:
        allow = ", ".join(allowed)
        super().__init__(
            f"Method {_printable(method)} is not allowed here; use {allow}.",
            headers={"Allow": allow},
        )


class PayloadTooLarge(OAuthError):
    """The body is larger than the endpoint accepts: 413."""

    error = "invalid_request"
    status = 413


class HeaderTooLarge(OAuthError):
    """A request line or header is absurdly long, or there are too many headers."""

    error = "invalid_request"
    status = 431


@contextmanager
def slowed_down() -> Iterator[None]:
    """Turn the store's ``RateLimited`` into ``SlowDown``, as ``InvalidGrant`` is turned."""
    try:
        yield
    except RateLimited as exc:
        raise SlowDown(str(exc), retry_after=exc.retry_after) from None


def _quoted(text: str) -> str:
    """Safe inside a quoted-string of a header: printable ASCII without quotes or backslashes."""
    return "".join(ch for ch in text if 0x20 <= ord(ch) < 0x7F and ch not in '"\\')


def _printable(text: str, limit: int = 20) -> str:
    return _quoted(text)[:limit]
