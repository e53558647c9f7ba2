"""The authorization endpoint's decisions (RFC 6749 §4.1.1-4.1.2): validate, approve, deny.

The pages a browser sees are ``store.endpoint.pages``; this module decides
what they may show and where the browser goes next.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode, urlsplit, urlunsplit

from authclients.store.errors import NonceReused
from authclients.store.oauth.context import ServerContext
from authclients.store.oauth.errors import (
    InvalidRequest,
    OAuthError,
    UnauthorizedClient,
    UnsupportedResponseType,
)
from authclients.store.oauth.pkce import check_challenge
from authclients.store.oauth.redirect_uris import is_registered
from authclients.store.oauth.resources import requested_resources
from authclients.store.oauth.scopes import check_scopes
from authclients.store.records import GRANT_AUTHORIZATION_CODE, ClientInfo
from authclients.store.validation import has_control_characters

STATE_MAX = 1024
NONCE_MAX = 512
"""OIDC sets no limit; a nonce is a random value, and this is far more than one needs."""
PROMPT_VALUES = ("none", "login", "consent", "select_account")
MAX_AGE_DIGITS = 9
"""``max_age`` in seconds: up to ~31 years, past which it means nothing."""


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
    resources: tuple[str, ...] = ()
    """RFC 8707: the resources the code (and its tokens) will be for."""
    client_registered: bool = False
    """The client registered itself: the consent page says its name is unverified."""
    nonce: str | None = None
    """OpenID Connect: echoed in the ID token; once per client while its codes may live."""
    prompt: tuple[str, ...] = ()
    """OpenID Connect ``prompt``: ``login`` signs in again, ``none`` never shows a page."""
    max_age: int | None = None
    """OpenID Connect: seconds a sign-in may be old; an older one signs in again."""


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
    """An authorization error that goes back to the (validated) redirect URI (RFC 6749 §4.1.2.1).

    Where exactly depends on the issuer, which the response names (RFC 9207):
    ``location(issuer)``.
    """

    def __init__(self, request_uri: str, error: OAuthError, state: str | None) -> None:
        super().__init__(error.description)
        self.error = error
        self.request_uri = request_uri
        self.state = state

    def location(self, issuer: str) -> str:
        """The redirect ``Location``, with ``iss`` (RFC 9207 §2)."""
        return redirect_location(
            self.request_uri,
            {
                "error": self.error.error,
                "error_description": self.error.description,
                "state": self.state,
            },
            issuer,
        )


class AuthorizationEndpoint:
    """Validates authorization requests and turns the owner's answer into a redirect."""

    def __init__(self, server: ServerContext) -> None:
        self.server = server
        self.store = server.store

    def validate(self, params: Mapping[str, str]) -> AuthorizationRequest:
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
        if not is_registered(redirect_uri, client.redirect_uris):
            raise AuthorizeError(
                "The redirect_uri is not registered for this application (exact match "
                "required; only a loopback IP address may differ in its port)."
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
            resources = requested_resources(self.store, params)
            nonce, prompt, max_age = _oidc_params(params)
            if nonce is not None and self.store.tokens.nonce_in_use(client.id, nonce):
                raise InvalidRequest(_NONCE_REUSED)
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
            resources=resources,
            client_registered=client.registered,
            nonce=nonce,
            prompt=prompt,
            max_age=max_age,
        )

    def approve(
        self,
        request: AuthorizationRequest,
        user_id: int,
        issuer: str,
        *,
        auth_time: datetime | None = None,
    ) -> str:
        """Issue a code for the signed-in owner; the redirect ``Location`` (RFC 6749 §4.1.2),
        naming ``issuer`` (RFC 9207). ``auth_time``: when the owner signed in (OIDC).

        A nonce another live code of the client carries is refused here too, by the
        database (two approvals racing in two processes): ``AuthorizeRedirectError``.
        """
        client = self._still_allowed(request)
        try:
            code = self.store.tokens.create_auth_code(
                client,
                user_id=user_id,
                redirect_uri=request.redirect_uri,
                scopes=request.scopes,
                code_challenge=request.code_challenge,
                code_challenge_method=request.code_challenge_method,
                nonce=request.nonce,
                auth_time=auth_time,
                resources=request.resources,
            )
        except NonceReused:
            raise AuthorizeRedirectError(
                request.redirect_uri, InvalidRequest(_NONCE_REUSED), request.state
            ) from None
        return redirect_location(
            request.redirect_uri, {"code": code, "state": request.state}, issuer
        )

    def deny(self, request: AuthorizationRequest, issuer: str) -> str:
        """The owner said no: ``error=access_denied`` (RFC 6749 §4.1.2.1), with ``iss``."""
        self._still_allowed(request)
        return redirect_location(
            request.redirect_uri,
            {
                "error": "access_denied",
                "error_description": "The user denied the request.",
                "state": request.state,
            },
            issuer,
        )

    def _still_allowed(self, request: AuthorizationRequest) -> ClientInfo:
        """Between the request and the decision the client may have been deleted or changed."""
        client = self.store.clients.find_active(request.client_id)
        if (
            client is None
            or not client.allows(GRANT_AUTHORIZATION_CODE)
            or not is_registered(request.redirect_uri, client.redirect_uris)
        ):
            raise AuthorizeError(
                "This application is no longer registered for sign-in.", "unauthorized_client"
            )
        return client


_NONCE_REUSED = "This nonce was already used by this client; send a new one with each request."


def _oidc_params(params: Mapping[str, str]) -> tuple[str | None, tuple[str, ...], int | None]:
    """OIDC Core §3.1.2.1: ``nonce``, ``prompt`` and ``max_age``, checked."""
    nonce = params.get("nonce") or None
    if nonce is not None:
        if len(nonce) > NONCE_MAX:
            raise InvalidRequest(f"nonce is too long (at most {NONCE_MAX}).")
        if has_control_characters(nonce):
            raise InvalidRequest("nonce holds control characters.")
    prompt = tuple((params.get("prompt") or "").split(" ")) if params.get("prompt") else ()
    unknown = [p for p in prompt if p not in PROMPT_VALUES]
    if unknown:
        raise InvalidRequest(f"prompt is a list of: {', '.join(PROMPT_VALUES)}.")
    if "none" in prompt and len(prompt) > 1:
        raise InvalidRequest("prompt=none cannot be combined with other values.")
    raw_age = params.get("max_age", "")
    max_age = None
    if raw_age:
        if not (raw_age.isascii() and raw_age.isdigit()) or len(raw_age) > MAX_AGE_DIGITS:
            raise InvalidRequest("max_age is a number of seconds.")
        max_age = int(raw_age)
    return nonce, prompt, max_age


def redirect_location(uri: str, params: Mapping[str, str | None], issuer: str) -> str:
    """``uri`` with ``params`` and ``iss`` added to its query, keeping the query it had
    (RFC 6749 §3.1.2; RFC 9207 §2: every authorization response names its issuer, so a
    client talking to several servers can tell which one answered — mix-up attacks)."""
    parts = urlsplit(uri)
    extra = urlencode({k: v for k, v in {**params, "iss": issuer}.items() if v})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=query))
