"""Stateless CSRF tokens of the sign-in and consent forms (signed double-submit).

Showing a sign-in page must not create server-side state (anyone can ask for
it ten thousand times), yet its form must be unforgeable. So the page carries
the authorization request's own parameters as hidden fields and a token

    nonce "." expiry "." HMAC-SHA256(key, purpose | binding | nonce | expiry | parameters)

where ``key`` is a per-database secret in the ``setting`` table (every
process on the database can check what another one served), ``parameters``
are the request's parameters exactly as the form sends them back (so a token
for one client or redirect URI is worthless for another), and ``expiry`` is
ten minutes away. ``binding`` ties the form to the browser:

- sign-in: a random value in the ``authclients_form`` cookie (HttpOnly,
  SameSite=Lax), set by the page when the browser has none. A cross-site
  page can neither read it nor make the browser send it with a POST, so it
  cannot sign a victim in as someone else (login CSRF), even with a token it
  fetched for itself. The cookie names no server state.
- consent: the id of the signed-in session (the SHA-256 of its cookie), so
  only that browser can approve or deny.

The nonce is unique per form; a consent form's nonce is recorded in its
session when answered, so one form decides once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Mapping

PURPOSE_SIGN_IN = "sign_in"
PURPOSE_CONSENT = "consent"
FORM_LIFETIME = 10 * 60
"""Seconds a sign-in or consent form stays usable."""
AUTHORIZE_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "resource",
    "nonce",
    "prompt",
    "max_age",
)
"""The authorization request parameters a form carries back (RFC 6749 §4.1.1, RFC 7636)."""

_TOKEN = re.compile(r"^([A-Za-z0-9_-]{16,64})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})$")
BINDING = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
"""What a browser binding (the form cookie's value) looks like."""


def request_params(params: Mapping[str, str]) -> dict[str, str]:
    """The authorization request's parameters among ``params``, in a fixed order."""
    return {name: params[name] for name in AUTHORIZE_PARAMS if params.get(name)}


def new_binding() -> str:
    return secrets.token_urlsafe(32)


def issue(
    key: bytes, purpose: str, binding: str, params: Mapping[str, str], now: float | None = None
) -> tuple[str, str]:
    """A token for one form; returns ``(token, nonce)``."""
    nonce = secrets.token_urlsafe(18)
    expiry = int((time.time() if now is None else now) + FORM_LIFETIME)
    return f"{nonce}.{expiry}.{_mac(key, purpose, binding, nonce, expiry, params)}", nonce


def check(
    key: bytes,
    purpose: str,
    binding: str | None,
    params: Mapping[str, str],
    token: str,
    now: float | None = None,
) -> str | None:
    """The token's nonce if it was issued for this purpose, binding and parameters and has
    not expired; None otherwise (never an exception, whatever the input)."""
    match = _TOKEN.fullmatch(token or "")
    if match is None or not binding:
        return None
    nonce, expiry_text, presented = match.groups()
    expiry = int(expiry_text)
    if expiry < (time.time() if now is None else now):
        return None
    expected = _mac(key, purpose, binding, nonce, expiry, params)
    if not hmac.compare_digest(presented.encode("ascii"), expected.encode("ascii")):
        return None
    return nonce


def _mac(
    key: bytes, purpose: str, binding: str, nonce: str, expiry: int, params: Mapping[str, str]
) -> str:
    # JSON keeps every field apart: no value can end one field and start the next.
    message = json.dumps(
        [purpose, binding, nonce, expiry, sorted(request_params(params).items())],
        ensure_ascii=True,
        separators=(",", ":"),
    )
    digest = hmac.new(key, message.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
