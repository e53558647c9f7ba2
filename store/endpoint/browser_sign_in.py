"""What the two browser sign-in forms share (``/oauth/authorize`` and ``/oauth/device``):
the cookies they read, the form's browser binding, the password checks and the new session.

One place, so a rule made for one page (a length limit, a lockout answer, a fresh
session id against fixation) cannot be missing from the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from authclients.store.browser_sessions import BrowserSessionStore, SessionsFull
from authclients.store.endpoint import form_tokens, pages
from authclients.store.endpoint.http import Request, Response, page_response
from authclients.store.endpoint.public_url import FORM_COOKIE, SESSION_COOKIE, PublicSite
from authclients.store.oauth.authorization_server import AuthorizationServer
from authclients.store.oauth.errors import AccountLocked, InvalidGrant, SlowDown
from authclients.store.records import UserInfo

MAX_SAME_NAME = 4
"""Cookies of one name read at most (a sibling host may plant more)."""
FORM_COOKIE_AGE = 24 * 3600
"""Seconds the form's browser-binding cookie lives."""
INCORRECT = "The username or password is incorrect."


def cookie_values(request: Request, name: str) -> list[str]:
    """The named cookie's values, at most ``MAX_SAME_NAME`` of them (a browser sends one per
    path and domain it holds: a sibling host may have planted another)."""
    found: list[str] = []
    for header in request.headers.get_all("Cookie") or []:
        for part in header.split(";"):
            cookie_name, _, value = part.strip().partition("=")
            value = value.strip()
            if cookie_name == name and 0 < len(value) <= 128 and value not in found:
                found.append(value)
    return found[:MAX_SAME_NAME]


def form_binding(request: Request, site: PublicSite) -> tuple[str, list[tuple[str, str]]]:
    """The browser binding a sign-in form's token is tied to: the one the browser holds, or
    a new one with the Set-Cookie header that gives it (two or more held: a new one)."""
    held = [
        value
        for value in cookie_values(request, site.cookie_name(FORM_COOKIE))
        if form_tokens.BINDING.fullmatch(value)
    ]
    if len(held) == 1:
        return held[0], []
    binding = form_tokens.new_binding()
    return binding, [site.cookie(FORM_COOKIE, binding, FORM_COOKIE_AGE)]


@dataclass(frozen=True)
class SignInRefused:
    """Show the form again with this status and message (and these headers: Retry-After)."""

    status: int
    message: str
    headers: tuple[tuple[str, str], ...] = ()


def check_sign_in(
    authorization: AuthorizationServer, username: str, password: str
) -> tuple[UserInfo, int] | SignInRefused:
    """The user and their session generation, or why the form is shown again."""
    if not username or not password:
        return SignInRefused(400, "Enter your username and password.")
    if len(username) > 150 or len(password) > 1024:
        return SignInRefused(400, "The username or password is too long.")
    try:
        user = authorization.sign_in(username, password)
    except SlowDown as exc:
        return SignInRefused(429, exc.description, tuple(exc.headers.items()))
    except AccountLocked as exc:
        return SignInRefused(403, exc.description)
    except InvalidGrant:
        return SignInRefused(401, INCORRECT)
    generation = authorization.store.users.session_generation(user.id)
    if generation is None:  # deactivated between the password check and now
        return SignInRefused(401, INCORRECT)
    return user, generation


def start_session(
    sessions: BrowserSessionStore,
    request: Request,
    site: PublicSite,
    user: UserInfo,
    generation: int,
) -> str | Response:
    """A new session's cookie value, or the 503 page when the sessions are full.

    Always a new session id after sign-in: a cookie planted before it is worthless
    (fixation), and the browser's previous session ends here.
    """
    for old in cookie_values(request, site.cookie_name(SESSION_COOKIE)):
        sessions.end(old)
    try:
        return sessions.start(user.id, generation, request.address or "unknown")
    except SessionsFull as exc:
        return page_response(
            503, pages.error_page(str(exc), "temporarily_unavailable"), [("Retry-After", "60")]
        )
