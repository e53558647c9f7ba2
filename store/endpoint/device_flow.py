"""``/oauth/device`` for a real browser (RFC 8628 §3.3): sign in, enter the code, approve or deny.

The same rules as ``/oauth/authorize`` (``store.endpoint.authorize_flow``): a
GET writes nothing; every form carries a signed token (``form_tokens``),
bound to the browser's form cookie before sign-in and to its session after,
so no other site can post one; a decision form decides once; the pages refuse
to be framed. A typed user code is looked up only on a POST, and every code
that leads nowhere counts against the address like a wrong password.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from authclients.store.browser_sessions import BrowserSessionStore, LiveSession
from authclients.store.endpoint import device_pages, form_tokens, pages
from authclients.store.endpoint.authorize_flow import _csrf_failed, _same_origin
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
)
from authclients.store.endpoint.public_url import FORM_COOKIE, SESSION_COOKIE, PublicSite
from authclients.store.oauth.authorization_server import AuthorizationServer
from authclients.store.oauth.device import DEVICE_PATH, UserCodeRefused
from authclients.store.oauth.errors import InvalidRequest, SlowDown
from authclients.store.records import DeviceInfo

PURPOSE_SIGN_IN = "device_sign_in"
PURPOSE_CODE = "device_code"
PURPOSE_DECIDE = "device_decide"
"""Form token purposes; a decision's names its device request, so it decides that one only."""
CODE_FIELD_MAX = 32
"""A user code is 9 characters; what is longer is not kept for the next page."""
_NO_PARAMS: dict[str, str] = {}


class DeviceFlow:
    """The two routes of ``/oauth/device``: ``show`` (GET) and ``answer`` (POST)."""

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
        """GET: the sign-in page, or (signed in) the code page, with the link's code filled in."""
        try:
            params = parse_form(request.query, where="query")
        except InvalidRequest as exc:
            return page_response(400, pages.error_page(exc.description, exc.error))
        user_code = _kept_code(params.get("user_code", ""))
        site = self.site()
        session = self._session(request, site)
        if session is None:
            return self._sign_in_form(request, site, status=200, user_code=user_code)
        return self._code_form(session, site, status=200, user_code=user_code)

    def answer(self, request: Request) -> Response:
        """POST: sign in, look a code up, approve or deny, for a form this browser was given."""
        try:
            params = form_params(request.query, request.headers, request.body)
        except InvalidRequest as exc:
            return page_response(400, pages.error_page(exc.description, exc.error))
        site = self.site()
        if self.check_origin and not _same_origin(request, site):
            return _csrf_failed()
        action = params.get("action", "")
        if action not in ("sign_in", "lookup", "approve", "deny"):
            return page_response(400, pages.error_page("Unknown action."))
        key = self.sessions.form_key()
        token = params.get("form_token", "")
        user_code = params.get("user_code", "")
        if action == "sign_in":
            signed = any(
                form_tokens.check(key, PURPOSE_SIGN_IN, binding, _NO_PARAMS, token)
                for binding in cookie_values(request, site.cookie_name(FORM_COOKIE))
            )
            if not signed:
                return _csrf_failed()
            return self._sign_in(request, params, site)
        session = self._session(request, site)
        if session is None:
            return self._sign_in_form(
                request, site, status=401, error="Sign in first.", user_code=_kept_code(user_code)
            )
        if action == "lookup":
            if form_tokens.check(key, PURPOSE_CODE, session.key, _NO_PARAMS, token) is None:
                return _csrf_failed()
            return self._lookup(request, session, site, user_code)
        device_id = params.get("device", "")
        if not device_id.isdigit() or len(device_id) > 18:
            return _csrf_failed()
        nonce = form_tokens.check(
            key, f"{PURPOSE_DECIDE}:{device_id}", session.key, _NO_PARAMS, token
        )
        if nonce is None:
            return _csrf_failed()
        if not self.sessions.mark_answered(session.key, nonce):
            return self._code_form(
                session, site, status=400, error="This form was already answered."
            )
        try:
            device = self.authorization.device.decide(
                int(device_id), session.user_id, approve=action == "approve"
            )
        except UserCodeRefused as exc:
            return self._code_form(session, site, status=400, error=exc.message)
        request.client_id = str(device.client_id)
        return page_response(200, device_pages.done_page(device, approved=action == "approve"))

    # -- steps ----------------------------------------------------------------------------

    def _sign_in(self, request: Request, params: dict[str, str], site: PublicSite) -> Response:
        username = params.get("username", "")
        password = params.get("password", "")
        user_code = _kept_code(params.get("user_code", ""))

        def again(status: int, error: str, headers: Iterable[tuple[str, str]] = ()) -> Response:
            return self._sign_in_form(
                request,
                site,
                status=status,
                error=error,
                username=username,
                user_code=user_code,
                headers=headers,
            )

        checked = check_sign_in(self.authorization, username, password)
        if isinstance(checked, SignInRefused):
            return again(checked.status, checked.message, checked.headers)
        user, generation = checked
        value = start_session(self.sessions, request, site, user, generation)
        if isinstance(value, Response):
            return value
        session = LiveSession(self.sessions.key_of(value), user.id, user.username, ())
        cookie = [site.cookie(SESSION_COOKIE, value)]
        if not params.get("user_code", "").strip():
            return self._code_form(session, site, status=200, headers=cookie)
        return self._lookup(request, session, site, params["user_code"], headers=cookie)

    def _lookup(
        self,
        request: Request,
        session: LiveSession,
        site: PublicSite,
        user_code: str,
        headers: Iterable[tuple[str, str]] = (),
    ) -> Response:
        kept = _kept_code(user_code)
        try:
            device = self.authorization.device.find(user_code)
        except SlowDown as exc:
            return self._code_form(
                session,
                site,
                status=429,
                error=exc.description,
                user_code=kept,
                headers=[*headers, *exc.headers.items()],
            )
        except UserCodeRefused as exc:
            return self._code_form(
                session, site, status=400, error=exc.message, user_code=kept, headers=headers
            )
        request.client_id = str(device.client_id)
        return self._confirm(session, site, device, headers)

    # -- pages ----------------------------------------------------------------------------

    def _sign_in_form(
        self,
        request: Request,
        site: PublicSite,
        *,
        status: int,
        error: str | None = None,
        username: str = "",
        user_code: str = "",
        headers: Iterable[tuple[str, str]] = (),
    ) -> Response:
        binding, cookies = form_binding(request, site)
        token, _nonce = form_tokens.issue(
            self.sessions.form_key(), PURPOSE_SIGN_IN, binding, _NO_PARAMS
        )
        page = device_pages.sign_in_page(
            {"form_token": token},
            action=_action(site),
            error=error,
            username=username if len(username) <= 150 else "",
            user_code=user_code,
        )
        return page_response(status, page, [*cookies, *headers])

    def _code_form(
        self,
        session: LiveSession,
        site: PublicSite,
        *,
        status: int,
        error: str | None = None,
        user_code: str = "",
        headers: Iterable[tuple[str, str]] = (),
    ) -> Response:
        token, _nonce = form_tokens.issue(
            self.sessions.form_key(), PURPOSE_CODE, session.key, _NO_PARAMS
        )
        page = device_pages.code_page(
            {"form_token": token},
            action=_action(site),
            username=session.username,
            error=error,
            user_code=user_code,
        )
        return page_response(status, page, list(headers))

    def _confirm(
        self,
        session: LiveSession,
        site: PublicSite,
        device: DeviceInfo,
        headers: Iterable[tuple[str, str]] = (),
    ) -> Response:
        token, _nonce = form_tokens.issue(
            self.sessions.form_key(), f"{PURPOSE_DECIDE}:{device.id}", session.key, _NO_PARAMS
        )
        page = device_pages.confirm_page(
            {"device": str(device.id), "form_token": token},
            action=_action(site),
            username=session.username,
            device=device,
        )
        return page_response(200, page, list(headers))

    def _session(self, request: Request, site: PublicSite) -> LiveSession | None:
        for value in cookie_values(request, site.cookie_name(SESSION_COOKIE)):
            session = self.sessions.find(value)
            if session is not None:
                return session
        return None


def _action(site: PublicSite) -> str:
    return f"{site.prefix}{DEVICE_PATH}"


def _kept_code(code: str) -> str:
    """What goes back into the code field: short, printable, or nothing."""
    code = code.strip()
    if len(code) > CODE_FIELD_MAX or not code.isprintable():
        return ""
    return code
