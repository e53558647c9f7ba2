"""The endpoint's routes: each path and method to the OAuth decision that answers it.

A route takes a ``Request`` and returns a ``Response``; the transport
(``store.endpoint.transport``) reads the one and writes the other, and
``store.endpoint.application`` decides which thread runs the route. Every
failure becomes a JSON error, never a traceback (as oauthlib's endpoints do):
``OAuthError`` as itself, a database that is busy or gone as 503, anything
else as a logged 500.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable

import peewee as pw

from authclients.store.endpoint.authorize_flow import AuthorizeFlow
from authclients.store.endpoint.device_flow import DeviceFlow
from authclients.store.endpoint.http import (
    NO_STORE,
    Request,
    Response,
    client_credentials,
    json_response,
    oauth_error_response,
    parse_form,
    request_form,
    safe_client_id,
)
from authclients.store.endpoint.proxies import TrustedProxies
from authclients.store.endpoint.public_url import PublicSite
from authclients.store.endpoint.sessions import BrowserSessions
from authclients.store.oauth.authorization_server import AuthorizationServer
from authclients.store.oauth.errors import (
    InvalidRequest,
    InvalidToken,
    MethodNotAllowed,
    NotFoundError,
    OAuthError,
    ServerError,
    TemporarilyUnavailable,
)
from authclients.store.oauth.requests import ClientCredentials, request_from
from authclients.store.signing_keys import JWKS_MAX_AGE

log = logging.getLogger("authclients.endpoint")

_B64TOKEN = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")
"""RFC 6750 §2.1: b64token."""

Route = Callable[[Request], Response]


class Router:
    """Dispatches on path and method; turns every failure into a JSON answer.

    Attributes:
        authorization: the OAuth decisions.
        flow: the sign-in and consent pages of ``/oauth/authorize``.
    """

    def __init__(
        self,
        authorization: AuthorizationServer,
        sessions: BrowserSessions,
        issuer: Callable[[], str],
        *,
        proxies: TrustedProxies | None = None,
        check_origin: bool = False,
    ) -> None:
        self.authorization = authorization
        self.flow = AuthorizeFlow(
            authorization, sessions, lambda: PublicSite(issuer()), check_origin=check_origin
        )
        self.proxies = proxies or TrustedProxies()
        self._issuer = issuer
        authorization.issuer = issuer
        self.routes: dict[str, dict[str, Route]] = {
            "/oauth/token": {"POST": self._token},
            "/oauth/authorize": {"GET": self.flow.show, "POST": self.flow.answer},
            "/oauth/revoke": {"POST": self._revoke},
            "/oauth/introspect": {"POST": self._introspect},
            "/.well-known/oauth-authorization-server": {"GET": self._metadata},
            "/api/1.0/users/me": {"GET": self._users_me},
            # RFC 7591 registration, RFC 9728 protected resource metadata.
            "/oauth/register": {"POST": self._register},
            "/.well-known/oauth-protected-resource": {"GET": self._protected_resource},
            # OpenID Connect (Discovery 1.0, Core §5.3) and the keys our JWTs are signed with.
            "/.well-known/openid-configuration": {"GET": self._openid_configuration},
            "/oauth/jwks": {"GET": self._jwks},
            "/oauth/userinfo": {"GET": self._userinfo, "POST": self._userinfo},
        }
        # RFC 8628: the device authorization endpoint and the verification page.
        self.device_flow = DeviceFlow(
            authorization, sessions, lambda: PublicSite(issuer()), check_origin=check_origin
        )
        self.routes["/oauth/device/code"] = {"POST": self._device_code}
        self.routes["/oauth/device"] = {
            "GET": self.device_flow.show,
            "POST": self.device_flow.answer,
        }

    def handle(self, request: Request) -> Response:
        """The answer to ``request``, whatever happens: every failure is a JSON error."""
        # The address behind a trusted proxy (else the peer) is what the brute-force
        # limits, the session caps and the request log see.
        if self.proxies.networks:
            request.address = self.proxies.client_address(
                request.source or None,
                request.headers.get_all("Forwarded") or [],
                request.headers.get_all("X-Forwarded-For") or [],
            )
        else:  # no --trust-proxy: the peer, whatever the headers say
            request.address = request.source or None
        try:
            route = self.routes.get(request.path)
            if route is None:
                raise NotFoundError(
                    "No such endpoint here; see /.well-known/oauth-authorization-server."
                )
            # HEAD is answered as GET; the transport drops the body (RFC 9110 §9.3.2).
            handler = route.get(request.route_method)
            if handler is None:
                raise MethodNotAllowed(request.method, list(route))
            with request_from(request.address or ""):
                return handler(request)
        except Exception as exc:
            return self.failure(request, exc)

    def failure(self, request: Request, exc: Exception) -> Response:
        """The JSON answer to ``exc``, raised while answering ``request``.

        ``OAuthError`` as itself, a database busy or gone as 503, anything else
        as a logged 500.
        """
        if isinstance(exc, OAuthError):
            return oauth_error_response(exc)
        if isinstance(exc, pw.OperationalError | pw.InterfaceError):
            if not _transient(exc):
                _repeats.log(
                    logging.ERROR,
                    exc,
                    "Database error answering %s %s",
                    request.method[:16],
                    request.path[:200],
                    traceback=True,
                )
                return _server_error()
            # The database said no for now (PostgreSQL out of connections or restarting,
            # SQLite locked past its busy timeout); the transaction was rolled back, so
            # the client may simply retry. Driver messages about connections carry no
            # request parameters.
            _repeats.log(
                logging.WARNING,
                exc,
                "Database unavailable answering %s %s: %s",
                request.method[:16],
                request.path[:200],
                _first_line(exc),
            )
            return oauth_error_response(
                TemporarilyUnavailable(
                    "The database is busy or unreachable; retry soon.",
                    headers={"Retry-After": "1"},
                ),
                close=True,
            )
        # Method and path only: parameters and headers may hold secrets.
        _repeats.log(
            logging.ERROR,
            exc,
            "Unexpected error answering %s %s",
            request.method[:16],
            request.path[:200],
            traceback=True,
        )
        return _server_error()

    # -- the OAuth routes ---------------------------------------------------------------

    def _token(self, request: Request) -> Response:
        params = request_form(request)
        credentials = self._credentials(request, params)
        issued = self.authorization.token(params, credentials)
        return json_response(200, issued.response())

    def _device_code(self, request: Request) -> Response:
        params = request_form(request)
        credentials = self._credentials(request, params)
        answer = self.authorization.device_authorization(params, credentials, self._issuer())
        return json_response(200, answer)

    def _revoke(self, request: Request) -> Response:
        params = request_form(request)
        self.authorization.revoke(params, self._credentials(request, params))
        return Response(200, b"", None, NO_STORE)

    def _introspect(self, request: Request) -> Response:
        params = request_form(request)
        _client, claims = self.authorization.introspect(params, self._credentials(request, params))
        return json_response(200, claims)

    def _metadata(self, request: Request) -> Response:
        return json_response(200, self.authorization.metadata(self._issuer()))

    def _register(self, request: Request) -> Response:
        if request.query:
            raise InvalidRequest("The registration endpoint takes no query string.")
        types = request.headers.get_all("Content-Type") or []
        answer = self.authorization.registration.register(
            content_type=types[0] if len(types) == 1 else "",
            body=request.body,
            authorization=request.headers.get_all("Authorization") or [],
            source=request.address or "",
        )
        request.client_id = safe_client_id(answer["client_id"])
        return json_response(201, answer)

    def _protected_resource(self, request: Request) -> Response:
        return json_response(200, self.authorization.protected_resource.document(self._issuer()))

    def _users_me(self, request: Request) -> Response:
        try:
            owner = self.authorization.resource_owner(_bearer(request), self._issuer())
        except InvalidToken as exc:
            # RFC 9728 §5.1: a client that was refused learns where to find out how to get in.
            raise exc.pointing_to(
                f"{self._issuer()}/.well-known/oauth-protected-resource"
            ) from None
        request.client_id = str(owner["client"]["id"])  # type: ignore[index]
        return json_response(200, owner)

    def _openid_configuration(self, request: Request) -> Response:
        return json_response(200, self.authorization.openid_configuration(self._issuer()))

    def _jwks(self, request: Request) -> Response:
        body = json.dumps(self.authorization.jwks(), separators=(",", ":")).encode("ascii")
        # Cacheable, unlike every other answer: a rotated-in key signs only after
        # this long (``signing_keys.GRACE``), so a cached copy always has it.
        cache = ("Cache-Control", f"public, max-age={JWKS_MAX_AGE}")
        return Response(200, body, "application/jwk-set+json", (cache,))

    def _userinfo(self, request: Request) -> Response:
        if request.method == "POST" and request.body:
            # OIDC Core §5.3.1 allows the RFC 6750 §2.2 form body; one way only keeps
            # the token out of request bodies that a proxy might log.
            raise InvalidRequest(
                "Send the access token in the Authorization header (RFC 6750 section 2.1)."
            )
        return json_response(200, self.authorization.userinfo(_bearer(request)))

    @staticmethod
    def _credentials(request: Request, params: dict[str, str]) -> ClientCredentials:
        credentials = client_credentials(request.headers.get_all("Authorization") or [], params)
        request.client_id = safe_client_id(credentials.client_id)
        return credentials


def _bearer(request: Request) -> str:
    """The RFC 6750 §2.1 bearer token of ``request``; tokens in the URL are refused."""
    if request.query and "access_token" in parse_form(request.query, where="query"):
        raise InvalidRequest(
            "Send the access token in the Authorization header (RFC 6750 section 2.1); "
            "tokens in the URL are refused."
        )
    headers = request.headers.get_all("Authorization") or []
    if len(headers) > 1:
        raise InvalidRequest("The Authorization header is given more than once.")
    if not headers:
        raise InvalidToken("No access token: send Authorization: Bearer <token>.", code=False)
    scheme, _, token = headers[0].strip().partition(" ")
    if scheme.lower() != "bearer":
        raise InvalidToken("Use the Bearer scheme: Authorization: Bearer <token>.", code=False)
    token = token.strip()
    if not token or not _B64TOKEN.match(token):
        raise InvalidToken("The access token is malformed.")
    return token


def _server_error() -> Response:
    return oauth_error_response(
        ServerError("The server failed unexpectedly; it has been logged."), close=True
    )


class RepeatedFailures:
    """A lasting fault (a disk error, a database gone) fails every request alike: its log
    line once a minute per kind of failure, not once per request (thousands a second)."""

    WINDOW_S = 60.0
    KINDS_MAX = 100

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._seen: dict[tuple[int, str, str], list[float | int]] = {}

    def log(
        self, level: int, exc: Exception, message: str, *args: object, traceback: bool = False
    ) -> None:
        """Log ``message`` unless the same failure was logged within the window; the next
        line logged for it says how many were left out."""
        key = (level, type(exc).__name__, _first_line(exc))
        now = self._clock()
        seen = self._seen.get(key)
        if seen is not None and now - seen[0] < self.WINDOW_S:
            seen[1] += 1
            return
        left_out = int(seen[1]) if seen is not None else 0
        if len(self._seen) >= self.KINDS_MAX:
            self._seen.clear()
        self._seen[key] = [now, 0]
        if left_out:
            message += " (and %d more like it since the last one logged)"
            args = (*args, left_out)
        log.log(level, message, *args, exc_info=exc if traceback else None)


_repeats = RepeatedFailures()


def _transient(exc: Exception) -> bool:
    """Worth a retry: SQLite busy or locked; PostgreSQL connections refused or dropped.

    SQLite also reports lasting faults (no such table, read-only file, disk I/O)
    as OperationalError; those stay 500s rather than invite endless retries.
    """
    if isinstance(exc, pw.InterfaceError):
        return True  # a connection that died under us (peewee's rollback says so)
    text = str(exc).lower()
    lasting = ("no such", "readonly", "read-only", "disk i/o", "malformed", "syntax error")
    return not any(word in text for word in lasting)


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]
