"""``/oauth/authorize`` for a real browser: the sign-in and consent pages and their answers.

What may be shown and where the browser goes is decided by
``store.oauth.authorize``; this module picks the page (RFC 6749 §4.1.1-4.1.2,
§10.12). The pages keep no state of their own: each form carries the
authorization request back with a signed token (``store.endpoint.form_tokens``),
and the request is validated again when the form returns. The only state is
the signed-in session, in the database (``store.browser_sessions``), written
when a sign-in succeeds and checked against its user on every request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from authclients.store.browser_sessions import BrowserSessionStore, LiveSession
from authclients.store.endpoint import form_tokens, pages
from authclients.store.endpoint.browser_sign_in import (
    SignInRefused,
    check_sign_in,
    cookie_values,
    form_binding,
    start_session,
)
from authclients.store.endpoint.http import (
    Request,
    Response,
    form_params,
    page_response,
    parse_form,
    redirect_response,
    safe_client_id,
)
from authclients.store.endpoint.public_url import FORM_COOKIE, SESSION_COOKIE, PublicSite
from authclients.store.oauth.authorization_server import AuthorizationServer
from authclients.store.oauth.authorize import (
    AuthorizationRequest,
    AuthorizeError,
    AuthorizeRedirectError,
)
from authclients.store.oauth.errors import (
    ConsentRequired,
    InvalidRequest,
    LoginRequired,
    OAuthError,
)

COOKIE_NAME = SESSION_COOKIE


class AuthorizeFlow:
    """The two routes of ``/oauth/authorize``: ``show`` (GET) and ``answer`` (POST).

    Attributes:
        site: the public URL (issuer, form action, cookie names), read per request
            because the embedded endpoint learns its port only when it starts.
    """

    def __init__(
        self,
        authorization: AuthorizationServer,
        sessions: BrowserSessionStore,
        site: Callable[[], PublicSite],
        *,
        check_origin: bool = False,
    ) -> None:
        self.authorization = authorization
        self.sessions = sessions
        self.site = site
        self.check_origin = check_origin

    def show(self, request: Request) -> Response:
        """GET: validate the request, then the consent page (signed in) or the sign-in page.

        Nothing is written to the database here, whoever asks and how often.
        """
        try:
            params = parse_form(request.query, where="query")
        except InvalidRequest as exc:
            return page_response(400, pages.error_page(exc.description, exc.error))
        if "client_secret" in params or "password" in params:
            return page_response(
                400, pages.error_page("Credentials never go in a URL; start again.")
            )
        request.client_id = safe_client_id(params.get("client_id"))
        site = self.site()
        try:
            authorize = self.authorization.validate_authorization_request(params)
        except AuthorizeError as exc:
            return page_response(400, pages.error_page(exc.message, exc.error))
        except AuthorizeRedirectError as exc:
            return redirect_response(exc.location(site.issuer))
        kept = form_tokens.request_params(params)
        session = self._session(request, site)
        if session is not None and not self._recent_enough(authorize, session, showing=True):
            session = None  # prompt=login or max_age: this request wants a new sign-in
        if "none" in authorize.prompt:
            # OIDC Core §3.1.2.6: no page at all. Consent is always asked here, so a
            # signed-in user still needs a page: consent_required.
            error: OAuthError = (
                LoginRequired("The user must sign in.")
                if session is None
                else ConsentRequired("The user must approve this application.")
            )
            failure = AuthorizeRedirectError(authorize.redirect_uri, error, authorize.state)
            return redirect_response(failure.location(site.issuer))
        if session is not None:
            return self._consent(authorize, kept, session, site)
        return self._sign_in_form(request, authorize, kept, site, status=200)

    def _recent_enough(
        self, authorize: AuthorizationRequest, session: LiveSession, *, showing: bool
    ) -> bool:
        """May this session's sign-in answer ``authorize`` (OIDC ``prompt=login``, ``max_age``)?

        Showing the page, ``prompt=login`` always wants a new sign-in and
        ``max_age`` is measured now. Answering it, the page was shown up to a
        form's lifetime ago, so that much more is allowed: a session older than
        any form cannot be the sign-in this request asked for (and ``max_age=0``,
        a sign-in just now, still lets the user take a moment to approve).
        """
        if session.signed_in_at is None:
            return not authorize.prompt and authorize.max_age is None
        age = (self.authorization.store.clock.now() - session.signed_in_at).total_seconds()
        slack = 0 if showing else form_tokens.FORM_LIFETIME
        if "login" in authorize.prompt and (showing or age > slack):
            return False
        return authorize.max_age is None or age <= authorize.max_age + slack

    def answer(self, request: Request) -> Response:
        """POST: sign in, approve or deny, for a form this browser was given."""
        try:
            params = form_params(request.query, request.headers, request.body)
        except InvalidRequest as exc:
            return page_response(400, pages.error_page(exc.description, exc.error))
        site = self.site()
        if self.check_origin and not _same_origin(request, site):
            return _csrf_failed()
        kept = form_tokens.request_params(params)
        action = params.get("action", "")
        if action not in ("sign_in", "approve", "deny"):
            return page_response(400, pages.error_page("Unknown action."))
        key = self.sessions.form_key()
        if action == "sign_in":
            signed = any(
                form_tokens.check(
                    key, form_tokens.PURPOSE_SIGN_IN, binding, kept, params.get("form_token", "")
                )
                for binding in cookie_values(request, site.cookie_name(FORM_COOKIE))
            )
            if not signed:
                return _csrf_failed()
            authorize = self._revalidate(request, kept, site)
            if isinstance(authorize, Response):
                return authorize
            return self._sign_in(request, authorize, kept, params, site)
        session = self._session(request, site)
        if session is None:
            # Signed out meanwhile (expired, or the user was changed or removed): the
            # browser signs in again; an old cookie never reaches a consent decision.
            authorize = self._revalidate(request, kept, site)
            if isinstance(authorize, Response):
                return authorize
            return self._sign_in_form(
                request, authorize, kept, site, status=401, error="Sign in first."
            )
        nonce = form_tokens.check(
            key, form_tokens.PURPOSE_CONSENT, session.key, kept, params.get("form_token", "")
        )
        if nonce is None:
            return _csrf_failed()
        authorize = self._revalidate(request, kept, site)
        if isinstance(authorize, Response):
            return authorize
        if not self._recent_enough(authorize, session, showing=False):
            return self._sign_in_form(
                request,
                authorize,
                kept,
                site,
                status=401,
                error="This application asks you to sign in again.",
            )
        if not self.sessions.mark_answered(session.key, nonce):
            return page_response(
                400,
                pages.error_page(
                    "This authorization request was already answered; start again from the "
                    "application."
                ),
            )
        try:
            if action == "approve":
                location = self.authorization.approve(
                    authorize, session.user_id, site.issuer, auth_time=session.signed_in_at
                )
            else:
                location = self.authorization.deny(authorize, site.issuer)
        except AuthorizeError as exc:
            return page_response(400, pages.error_page(exc.message, exc.error))
        except AuthorizeRedirectError as exc:
            return redirect_response(exc.location(site.issuer))
        return redirect_response(location)

    def _session(self, request: Request, site: PublicSite) -> LiveSession | None:
        """The live session among the browser's session cookies, if any."""
        for value in cookie_values(request, site.cookie_name(SESSION_COOKIE)):
            session = self.sessions.find(value)
            if session is not None:
                return session
        return None

    # -- the pages ----------------------------------------------------------------------

    def _revalidate(
        self, request: Request, kept: Mapping[str, str], site: PublicSite
    ) -> AuthorizationRequest | Response:
        """The request the form carries, checked again: the client may have changed since."""
        request.client_id = safe_client_id(kept.get("client_id"))
        try:
            return self.authorization.validate_authorization_request(kept)
        except AuthorizeError as exc:
            return page_response(400, pages.error_page(exc.message, exc.error))
        except AuthorizeRedirectError as exc:
            return redirect_response(exc.location(site.issuer))

    def _sign_in_form(
        self,
        request: Request,
        authorize: AuthorizationRequest,
        kept: Mapping[str, str],
        site: PublicSite,
        *,
        status: int,
        error: str | None = None,
        username: str = "",
        headers: Iterable[tuple[str, str]] = (),
    ) -> Response:
        binding, cookies = form_binding(request, site)
        token, _nonce = form_tokens.issue(
            self.sessions.form_key(), form_tokens.PURPOSE_SIGN_IN, binding, kept
        )
        page = pages.sign_in_page(
            authorize,
            {**kept, "form_token": token},
            action=site.authorize_path,
            error=error,
            username=username if len(username) <= 150 else "",
        )
        return page_response(status, page, [*cookies, *headers])

    def _consent(
        self,
        authorize: AuthorizationRequest,
        kept: Mapping[str, str],
        session: LiveSession,
        site: PublicSite,
        cookies: Iterable[tuple[str, str]] = (),
    ) -> Response:
        token, _nonce = form_tokens.issue(
            self.sessions.form_key(), form_tokens.PURPOSE_CONSENT, session.key, kept
        )
        page = pages.consent_page(
            authorize,
            {**kept, "form_token": token},
            username=session.username,
            action=site.authorize_path,
        )
        return page_response(200, page, list(cookies))

    def _sign_in(
        self,
        request: Request,
        authorize: AuthorizationRequest,
        kept: Mapping[str, str],
        params: Mapping[str, str],
        site: PublicSite,
    ) -> Response:
        username = params.get("username", "")
        password = params.get("password", "")

        def again(status: int, error: str, headers: Iterable[tuple[str, str]] = ()) -> Response:
            return self._sign_in_form(
                request,
                authorize,
                kept,
                site,
                status=status,
                error=error,
                username=username,
                headers=headers,
            )

        checked = check_sign_in(self.authorization, username, password)
        if isinstance(checked, SignInRefused):
            return again(checked.status, checked.message, checked.headers)
        user, generation = checked
        value = start_session(self.sessions, request, site, user, generation)
        if isinstance(value, Response):
            return value
        session = LiveSession(
            self.sessions.key_of(value),
            user.id,
            user.username,
            (),
            self.authorization.store.clock.now(),
        )
        return self._consent(authorize, kept, session, site, [site.cookie(SESSION_COOKIE, value)])


def _same_origin(request: Request, site: PublicSite) -> bool:
    """A browser's ``Origin`` on a form POST must be the public site's (absent: older
    browsers and non-browser clients, left to the form token)."""
    origins = request.headers.get_all("Origin") or []
    return all(origin.strip().lower() == site.origin for origin in origins)


def _csrf_failed() -> Response:
    return page_response(
        403,
        pages.error_page(
            "This form did not come from this sign-in page, or it is too old "
            "(CSRF check failed); start again from the application.",
            "invalid_request",
        ),
    )
