"""The OAuth 2.0 authorization server over the store, free of HTTP: the endpoint's logic.

``store.server`` parses requests and serialises answers; everything decided
about clients, grants, codes and tokens is decided here (RFC 6749, RFC 7009,
RFC 7636, RFC 7662, RFC 8414).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit, urlunsplit

import peewee as pw

from authclients.store import crypto
from authclients.store.grants import GRANTS, GrantRegistry, check_challenge, check_scopes
from authclients.store.hot_path import HotPath
from authclients.store.oauth_errors import (
    InvalidClient,
    InvalidGrant,
    InvalidRequest,
    InvalidToken,
    OAuthError,
    UnauthorizedClient,
    UnsupportedResponseType,
)
from authclients.store.ratelimit import KIND_CLIENT, KIND_PASSWORD, RateLimiter
from authclients.store.records import GRANT_AUTHORIZATION_CODE, ClientInfo, IssuedToken, UserInfo

if TYPE_CHECKING:
    from authclients.store.service import Store

ENDPOINT_ACTOR = "endpoint"
STATE_MAX = 1024
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")


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


@dataclass(frozen=True)
class AuthorizationRequest:
    """A validated authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3)."""

    client_id: int
    client_name: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    code_challenge: str | None
    code_challenge_method: str | None


class AuthorizeError(Exception):
    """An authorization request that must NOT be redirected: unknown client or bad redirect URI.

    RFC 6749 §4.1.2.1: the user is told on a page of ours instead, which also
    names the RFC error code.
    """

    def __init__(self, message: str, error: str = "invalid_request") -> None:
        super().__init__(message)
        self.message = message
        self.error = error


class AuthorizeRedirectError(Exception):
    """An authorization error that goes back to the (validated) redirect URI (RFC 6749 §4.1.2.1)."""

    def __init__(self, request_uri: str, error: OAuthError, state: str | None) -> None:
        super().__init__(error.description)
        self.error = error
        self.location = redirect_location(
            request_uri,
            {"error": error.error, "error_description": error.description, "state": state},
        )


class AuthorizationServer:
    """The endpoint's decisions: client authentication, grants, codes, revocation, introspection.

    Attributes:
        store: the store acting as ``endpoint`` (so the audit log says who).
        limiter: the brute-force limits, kept in the database.
        grants: the grant registry dispatching on ``grant_type``.
    """

    def __init__(
        self,
        store: Store,
        *,
        limiter: RateLimiter | None = None,
        grants: GrantRegistry = GRANTS,
    ) -> None:
        self.store = store if store.actor == ENDPOINT_ACTOR else store.as_actor(ENDPOINT_ACTOR)
        self.limiter = limiter or RateLimiter(self.store)
        self.grants = grants
        # SQLite has one writer per file; its busy handler sleeps 1-100 ms when
        # threads of one process collide. Queuing our own writers on a lock is
        # far cheaper; other processes still meet SQLite's busy timeout.
        self._write_lock = threading.Lock() if _is_sqlite(self.store) else None
        self.hot_path = HotPath(self.store, self.writing)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold this process's writer lock around a write transaction (SQLite only)."""
        if self._write_lock is None:
            yield
            return
        with self._write_lock:
            yield

    # -- client authentication (RFC 6749 §2.3) ------------------------------------

    def authenticate_client(self, credentials: ClientCredentials) -> ClientInfo:
        """The authenticated client, or ``InvalidClient``; ``SlowDown`` when locked out.

        A confidential client must present its secret (Basic or body); a public
        client presents only its id. A revoked or deleted client never passes.
        """
        client_id = credentials.client_id
        if not client_id:
            raise InvalidClient(
                "Client authentication is missing: send HTTP Basic credentials, or "
                "client_id (and client_secret) in the body."
            )
        key = _client_key(client_id)
        if key is None:
            raise InvalidClient("Unknown client_id: client ids are positive integers.")
        secret = credentials.client_secret
        found = self.hot_path.client_for_auth(key, self.limiter.window)
        if found is None:
            # Nothing to guess a secret for; still hash, so timing says nothing.
            crypto.matches_digest(secret or "", None)
            raise InvalidClient("Client authentication failed: unknown client or wrong secret.")
        client, secret_hash, failures = found
        if client.public:
            if secret:
                raise InvalidClient("A public client has no secret: send only its client_id.")
            return client
        if not secret:
            raise InvalidClient(
                f"Client {client.id} is confidential: authenticate it with its secret."
            )
        if failures >= self.limiter.limit:
            # Raises SlowDown with Retry-After; the secret is not even compared.
            self.limiter.check(KIND_CLIENT, key)
        if not crypto.matches_digest(secret, secret_hash):
            with self.writing():
                self.limiter.record_failure(KIND_CLIENT, key)
            raise InvalidClient("Client authentication failed: unknown client or wrong secret.")
        if failures:
            with self.writing():
                self.limiter.clear(KIND_CLIENT, key)
        return client

    # -- the token endpoint (RFC 6749 §3.2) -------------------------------------

    def token(self, params: Mapping[str, str], credentials: ClientCredentials) -> IssuedToken:
        """Dispatch a token request on ``grant_type``; the token is committed when returned."""
        grant_class = self.grants.lookup(params.get("grant_type", ""))
        client = self.authenticate_client(credentials)
        grant = grant_class(self, client, params)
        grant.validate()
        return grant.issue()

    def sign_in(self, username: str, password: str) -> UserInfo:
        """Check a resource owner's password; locked out after ``limit`` failures a window.

        Raises ``SlowDown`` (without bcrypt) when locked out, ``InvalidGrant``
        when wrong (RFC 6749 §5.2: the owner credentials are invalid).
        """
        username = username.strip()
        self.limiter.check(KIND_PASSWORD, username)
        with self.limiter.slot(KIND_PASSWORD, username):
            # Attempts that failed while this one waited for its slot count too.
            failures = self.limiter.check(KIND_PASSWORD, username)
            user = self.store.users.verify(username, password)
            if user is None:
                # Recorded before the slot is freed: the next attempt in line must see it,
                # or a slow write lets every queued attempt run bcrypt.
                with self.writing():
                    self.limiter.record_failure(KIND_PASSWORD, username)
        if user is None:
            raise InvalidGrant("The username or password is incorrect.")
        if failures:
            with self.writing():
                self.limiter.clear(KIND_PASSWORD, username)
        return user

    def user_active(self, user_id: int) -> bool:
        """Is the resource owner still there and active? Their codes and refresh tokens die
        with them."""
        user = self.store.users.find_by_id(user_id)
        return user is not None and user.active

    # -- RFC 7009 and RFC 7662 ------------------------------------------------------

    def revoke(self, params: Mapping[str, str], credentials: ClientCredentials) -> int:
        """RFC 7009 §2.1: revoke a token of the requesting client; unknown tokens are fine.

        Returns the client id (for the request log). A token of another client
        is left alone but answered the same way, so nothing is revealed.
        """
        client = self.authenticate_client(credentials)
        token = _token_param(params)
        if self.store.tokens.owner_of(token) == client.id:
            with self.writing():
                self.store.tokens.revoke_token(token)
        return client.id

    def introspect(
        self, params: Mapping[str, str], credentials: ClientCredentials
    ) -> tuple[int, dict[str, object]]:
        """RFC 7662 §2: the token's claims, or ``{"active": false}``.

        A client sees only its own tokens: another client's token is reported
        inactive (RFC 7662 §4, against token scanning). Public clients cannot
        introspect: they cannot authenticate.
        """
        client = self.authenticate_client(credentials)
        if client.public:
            raise InvalidClient("A public client cannot use token introspection.")
        token = _token_param(params)
        body = self.store.tokens.introspect(token)
        if body.get("active") and body.get("client_id") != str(client.id):
            body = {"active": False}
        return client.id, body

    # -- the resource API (RFC 6750) ------------------------------------------------

    def resource_owner(self, bearer: str) -> dict[str, object]:
        """Who an access token speaks for; touches its last use. ``InvalidToken`` if not live."""
        if len(bearer) > 512:
            raise InvalidToken("The access token is malformed.")
        with self.writing():
            info = self.store.tokens.authenticate_bearer(bearer)
        if info is None:
            raise InvalidToken("The access token is unknown, expired or revoked.")
        user = None
        if info.user_id is not None:
            user = {"id": info.user_id, "username": info.username}
        return {
            "user": user,
            "client": {"id": info.client_id, "name": info.client_name},
            "scopes": list(info.scopes),
            "grant_type": info.grant_type,
            "expires_at": info.expires_at.isoformat() if info.expires_at else None,
        }

    # -- RFC 8414 ---------------------------------------------------------------------

    def metadata(self, issuer: str) -> dict[str, object]:
        """Authorization server metadata (RFC 8414 §2)."""
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/oauth/authorize",
            "token_endpoint": f"{issuer}/oauth/token",
            "revocation_endpoint": f"{issuer}/oauth/revoke",
            "introspection_endpoint": f"{issuer}/oauth/introspect",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": list(self.grants.grant_types),
            "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
            "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
            "introspection_endpoint_auth_methods_supported": list(AUTH_METHODS[:2]),
            "code_challenge_methods_supported": ["S256"],
        }

    # -- the authorization endpoint (RFC 6749 §4.1.1) -----------------------------------

    def validate_authorization_request(self, params: Mapping[str, str]) -> AuthorizationRequest:
        """Check an authorization request completely before anything is shown or redirected.

        The client and the redirect URI come first: when either is wrong,
        ``AuthorizeError`` (a page of ours, never a redirect). Then everything
        else, whose errors go back to the redirect URI (``AuthorizeRedirectError``).
        """
        client = self.store.clients.find_active(params.get("client_id", ""))
        if client is None:
            raise AuthorizeError("Unknown client: the application's client_id is not registered.")
        redirect_uri = params.get("redirect_uri", "")
        if not redirect_uri:
            raise AuthorizeError("The redirect_uri parameter is missing.")
        if redirect_uri not in client.redirect_uris:
            raise AuthorizeError(
                "The redirect_uri is not registered for this application (exact match required)."
            )
        state = params.get("state") or None
        if state is not None and len(state) > STATE_MAX:
            raise AuthorizeRedirectError(
                redirect_uri, InvalidRequest(f"state is too long (at most {STATE_MAX})."), None
            )
        try:
            response_type = params.get("response_type", "")
            if not response_type:
                raise InvalidRequest("The response_type parameter is missing.")
            if response_type != "code":
                raise UnsupportedResponseType("Only response_type=code is supported.")
            if not client.allows(GRANT_AUTHORIZATION_CODE):
                raise UnauthorizedClient(
                    f"Client {client.id} may not use the authorization_code grant."
                )
            challenge = params.get("code_challenge", "")
            method = params.get("code_challenge_method", "")
            if challenge:
                check_challenge(challenge, method)
            elif method:
                raise InvalidRequest("code_challenge_method given without a code_challenge.")
            elif client.public:
                raise InvalidRequest("A public client must use PKCE: send an S256 code_challenge.")
            raw_scope = params.get("scope", "")
            scopes = check_scopes(raw_scope, client) if raw_scope else ()
        except OAuthError as exc:
            raise AuthorizeRedirectError(redirect_uri, exc, state) from None
        return AuthorizationRequest(
            client_id=client.id,
            client_name=client.name,
            redirect_uri=redirect_uri,
            scopes=scopes,
            state=state,
            code_challenge=challenge or None,
            code_challenge_method=method or None,
        )

    def approve(self, request: AuthorizationRequest, user_id: int) -> str:
        """Issue a code for the signed-in owner; the redirect ``Location`` (RFC 6749 §4.1.2)."""
        client = self._still_allowed(request)
        with self.writing():
            code = self.store.tokens.create_auth_code(
                client,
                user_id=user_id,
                redirect_uri=request.redirect_uri,
                scopes=request.scopes,
                code_challenge=request.code_challenge,
                code_challenge_method=request.code_challenge_method,
            )
        return redirect_location(request.redirect_uri, {"code": code, "state": request.state})

    def deny(self, request: AuthorizationRequest) -> str:
        """The owner said no: ``error=access_denied`` (RFC 6749 §4.1.2.1)."""
        self._still_allowed(request)
        return redirect_location(
            request.redirect_uri,
            {
                "error": "access_denied",
                "error_description": "The user denied the request.",
                "state": request.state,
            },
        )

    def _still_allowed(self, request: AuthorizationRequest) -> ClientInfo:
        """Between the request and the decision the client may have been deleted or changed."""
        client = self.store.clients.find_active(request.client_id)
        if (
            client is None
            or not client.allows(GRANT_AUTHORIZATION_CODE)
            or request.redirect_uri not in client.redirect_uris
        ):
            raise AuthorizeError(
                "This application is no longer registered for sign-in.", "unauthorized_client"
            )
        return client


def redirect_location(uri: str, params: Mapping[str, str | None]) -> str:
    """``uri`` with ``params`` added to its query, keeping the query it had (RFC 6749 §3.1.2)."""
    parts = urlsplit(uri)
    extra = urlencode({k: v for k, v in params.items() if v})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=query))


def _client_key(client_id: str) -> str | None:
    """The canonical text of a presented client id, or None if it cannot be one."""
    if not client_id.isascii() or not client_id.isdigit() or len(client_id) > 18:
        return None
    value = int(client_id)
    return str(value) if value > 0 else None


def _token_param(params: Mapping[str, str]) -> str:
    token = params.get("token", "")
    if not token:
        raise InvalidRequest("The token parameter is missing.")
    if len(token) > 512:
        raise InvalidRequest("The token parameter is too long.")
    return token


def _is_sqlite(store: Store) -> bool:
    return isinstance(store.db, pw.SqliteDatabase)


__all__ = [
    "AuthorizationRequest",
    "AuthorizationServer",
    "AuthorizeError",
    "AuthorizeRedirectError",
    "ClientCredentials",
]
