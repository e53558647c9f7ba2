"""``/oauth/authorize`` for a real browser: the sign-in and consent pages and their answers.

What may be shown and where the browser goes is decided by
``store.oauth.authorize``; this module keeps the browser's session, checks
its CSRF token and picks the page (RFC 6749 §4.1.1-4.1.2, §10.12).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from authclients.store.endpoint import pages
from authclients.store.endpoint.http import (
    Request,
    Response,
    form_params,
    page_response,
    parse_form,
    redirect_response,
    safe_client_id,
)
from authclients.store.endpoint.sessions import COOKIE_NAME, BrowserSession, BrowserSessions
from authclients.store.oauth.authorization_server import AuthorizationServer
from authclients.store.oauth.authorize import (
    AuthorizationRequest,
    AuthorizeError,
    AuthorizeRedirectError,
)
from authclients.store.oauth.errors import AccountLocked, InvalidGrant, InvalidRequest, SlowDown


class AuthorizeFlow:
    """The two routes of ``/oauth/authorize``: ``show`` (GET) and ``answer`` (POST)."""

    def __init__(self, authorization: AuthorizationServer, sessions: BrowserSessions) -> None:
        self.authorization = authorization
        self.sessions = sessions

    def show(self, request: Request) -> Response:
        """GET: validate the request, then the sign-in or the consent page."""
        try:
            params = parse_form(request.query, where="query")
        except InvalidRequest as exc:
            return page_response(400, pages.error_page(exc.description, exc.error))
        if "client_secret" in params or "password" in params:
            return page_response(
                400, pages.error_page("Credentials never go in a URL; start again.")
            )
        request.client_id = safe_client_id(params.get("client_id"))
        try:
            authorize = self.authorization.validate_authorization_request(params)
        except AuthorizeError as exc:
            return page_response(400, pages.error_page(exc.message, exc.error))
        except AuthorizeRedirectError as exc:
            return redirect_response(exc.location)
        session, fresh = self._session(request, create=True)
        assert session is not None
        request_id = session.add_request(authorize)
        cookie = [_cookie(session)] if fresh else []
        if session.user_id is not None and self.authorization.user_active(session.user_id):
            page = pages.consent_page(
                authorize, request_id, session.csrf, username=session.username or ""
            )
        else:
            session.user_id = None
            page = pages.sign_in_page(authorize, request_id, session.csrf)
        return page_response(200, page, cookie)

    def answer(self, request: Request) -> Response:
        """POST: sign in, approve or deny, for a session whose CSRF token matches."""
        try:
            params = form_params(request.query, request.headers, request.body)
        except InvalidRequest as exc:
            return page_response(400, pages.error_page(exc.description, exc.error))
        session, _fresh = self._session(request, create=False)
        if session is None:
            return page_response(
                400,
                pages.error_page(
                    "Your sign-in session expired (or cookies are off); start again from the "
                    "application."
                ),
            )
        if not session.check_csrf(params.get("csrf_token", "")):
            return page_response(
                403,
                pages.error_page(
                    "This form did not come from this sign-in page (CSRF check failed).",
                    "invalid_request",
                ),
            )
        request_id = params.get("request", "")
        authorize = session.request(request_id)
        if authorize is None:
            return page_response(
                400,
                pages.error_page(
                    "This authorization request expired or was already answered; start again."
                ),
            )
        request.client_id = str(authorize.client_id)
        action = params.get("action", "")
        if action == "sign_in":
            return self._sign_in(session, request_id, authorize, params)
        if action not in ("approve", "deny"):
            return page_response(400, pages.error_page("Unknown action."))
        if session.user_id is None or not self.authorization.user_active(session.user_id):
            session.user_id = None
            page = pages.sign_in_page(authorize, request_id, session.csrf, error="Sign in first.")
            return page_response(401, page)
        session.finish(request_id)
        try:
            if action == "approve":
                location = self.authorization.approve(authorize, session.user_id)
            else:
                location = self.authorization.deny(authorize)
        except AuthorizeError as exc:
            return page_response(400, pages.error_page(exc.message, exc.error))
        return redirect_response(location)

    def _sign_in(
        self,
        session: BrowserSession,
        request_id: str,
        authorize: AuthorizationRequest,
        params: Mapping[str, str],
    ) -> Response:
        username = params.get("username", "")
        password = params.get("password", "")

        def again(status: int, error: str, headers: Iterable[tuple[str, str]] = ()) -> Response:
            page = pages.sign_in_page(
                authorize,
                request_id,
                session.csrf,
                error=error,
                username=username if len(username) <= 150 else "",
            )
            return page_response(status, page, list(headers))

        if not username or not password:
            return again(400, "Enter your username and password.")
        if len(username) > 150 or len(password) > 1024:
            return again(400, "The username or password is too long.")
        try:
            user = self.authorization.sign_in(username, password)
        except SlowDown as exc:
            return again(429, exc.description, exc.headers.items())
        except AccountLocked as exc:
            return again(403, exc.description)
        except InvalidGrant:
            return again(401, "The username or password is incorrect.")
        session.user_id = user.id
        session.username = user.username
        # A new session id after sign-in: a cookie planted before it is worthless.
        self.sessions.renew(session)
        page = pages.consent_page(authorize, request_id, session.csrf, username=user.username)
        return page_response(200, page, [_cookie(session)])

    def _session(self, request: Request, *, create: bool) -> tuple[BrowserSession | None, bool]:
        session = self.sessions.get(_cookie_value(request))
        if session is None and create:
            return self.sessions.create(), True
        return session, False


def _cookie_value(request: Request) -> str | None:
    for header in request.headers.get_all("Cookie") or []:
        for part in header.split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE_NAME:
                return value.strip()
    return None


def _cookie(session: BrowserSession) -> tuple[str, str]:
    return (
        "Set-Cookie",
        f"{COOKIE_NAME}={session.id}; Path=/oauth/authorize; HttpOnly; SameSite=Lax",
    )
