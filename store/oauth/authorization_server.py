"""The OAuth 2.0 authorization server over the store, free of HTTP: the endpoint's logic.

``store.endpoint`` parses requests and serialises answers; everything decided
about clients, grants, codes and tokens is decided here and in the grant and
endpoint classes it holds (RFC 6749, RFC 7009, RFC 7636, RFC 7662, RFC 8414).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime

from authclients.store import crypto
from authclients.store import errors as store_errors
from authclients.store.hot_path import HotPath
from authclients.store.oauth.authorize import (
    AuthorizationEndpoint,
    AuthorizationRequest,
    AuthorizeError,
    AuthorizeRedirectError,
)
from authclients.store.oauth.device import DeviceAuthorizationEndpoint
from authclients.store.oauth.errors import (
    AccountLocked,
    InvalidClient,
    InvalidGrant,
    InvalidToken,
    SlowDown,
    slowed_down,
)
from authclients.store.oauth.grants import GRANTS, GrantRegistry
from authclients.store.oauth.introspection import IntrospectionEndpoint
from authclients.store.oauth.metadata import MetadataEndpoint
from authclients.store.oauth.protected_resource import ProtectedResourceEndpoint
from authclients.store.oauth.registration import RegistrationEndpoint
from authclients.store.oauth.requests import (
    ACCESS_TOKEN_MAX,
    ClientCredentials,
    client_key,
    request_source,
)
from authclients.store.oauth.revocation import RevocationEndpoint
from authclients.store.oauth.userinfo import UserInfoEndpoint
from authclients.store.ratelimit import KIND_CLIENT, KIND_PASSWORD, PasswordState, RateLimiter
from authclients.store.records import ClientInfo, IssuedToken, UserInfo
from authclients.store.service import Store

ENDPOINT_ACTOR = "endpoint"
BEARER_MAX = ACCESS_TOKEN_MAX


class AuthorizationServer:
    """The endpoint's decisions: client authentication, grants, codes, revocation, introspection.

    Attributes:
        store: the store acting as ``endpoint`` (so the audit log says who).
        limiter: the brute-force limits, kept in the database.
        grants: the grant registry dispatching on ``grant_type``.
        hot_path: precompiled SQL for client authentication and client tokens.
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
        self.hot_path = HotPath(self.store)
        self._unsettled_failures: dict[str, int] = {}
        """Wrong client secrets handed to the writer thread and not yet committed (loop only)."""
        self.authorize_endpoint = AuthorizationEndpoint(self)
        self.revocation = RevocationEndpoint(self)
        self.introspection = IntrospectionEndpoint(self)
        self.metadata_endpoint = MetadataEndpoint(grants.grant_types)
        self.device = DeviceAuthorizationEndpoint(self, self.limiter)
        self.registration = RegistrationEndpoint(self)
        self.protected_resource = ProtectedResourceEndpoint(self.store)
        self.issuer: Callable[[], str | None] = lambda: None
        """The issuer tokens are signed for: the router sets it (the embedded endpoint
        learns its port only when it starts); None signs nothing (opaque tokens)."""
        self.userinfo_endpoint = UserInfoEndpoint(self)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """The store's writer lock around a write (SQLite only; see ``Store.writing``)."""
        with self.store.writing():
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
        key = client_key(client_id)
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
            _refuse_disabled(client)
            return client
        if not secret:
            raise InvalidClient(
                f"Client {client.id} is confidential: authenticate it with its secret."
            )
        # Failures the writer thread has not committed yet count too: guesses sent
        # side by side must not all be compared while the first ones wait for the lock.
        failures += self._unsettled_failures.get(key, 0)
        if failures >= self.limiter.limit:
            # Raises SlowDown with Retry-After; the secret is not even compared.
            with slowed_down():
                self.limiter.check(KIND_CLIENT, key)
            raise SlowDown(
                "Too many failed client authentication attempts for this client; try again in 1 s.",
                retry_after=1,
            )
        if not crypto.matches_digest(secret, secret_hash):
            self._record_client_failure(key)
            raise InvalidClient("Client authentication failed: unknown client or wrong secret.")
        if failures:
            self.hot_path.write_off_loop(lambda: self.limiter.clear(KIND_CLIENT, key))
        _refuse_disabled(client)
        return client

    def _record_client_failure(self, key: str) -> None:
        """Count a wrong secret; on the event loop the writer thread commits it.

        Until that commit the failure is counted here (on the loop thread only),
        so the limit holds for guesses answered meanwhile.
        """
        pending = self.hot_path.write_off_loop(
            lambda: self.limiter.record_failure(KIND_CLIENT, key)
        )
        if pending is None:
            return
        unsettled = self._unsettled_failures
        unsettled[key] = unsettled.get(key, 0) + 1

        def settled(_done: object) -> None:
            left = unsettled.get(key, 0) - 1
            if left > 0:
                unsettled[key] = left
            else:
                unsettled.pop(key, None)

        pending.add_done_callback(settled)

    # -- the token endpoint (RFC 6749 §3.2) -------------------------------------

    def token(self, params: Mapping[str, str], credentials: ClientCredentials) -> IssuedToken:
        """Dispatch a token request on ``grant_type``; the token is committed when returned."""
        grant_class = self.grants.lookup(params.get("grant_type", ""))
        client = self.authenticate_client(credentials)
        grant = grant_class(self, client, params)
        grant.validate()
        return grant.issue()

    def sign_in(self, username: str, password: str, *, source: str | None = None) -> UserInfo:
        """Check a resource owner's password, within the brute-force limits (``RateLimiter``).

        Raises ``SlowDown`` (429, without bcrypt) while the username waits after
        a run of failures or ``source`` (default: the address of the request
        being answered) has failed too often; ``AccountLocked`` (without bcrypt)
        once the account is locked; ``InvalidGrant`` when wrong (RFC 6749 §5.2:
        the owner credentials are invalid).
        """
        username = username.strip()
        source = request_source() if source is None else source
        self._check_password(username, source)
        with self.limiter.slot(KIND_PASSWORD, username):
            # Attempts that failed while this one waited for its slot count too.
            state = self._check_password(username, source)
            # An unknown or deactivated username pays a bcrypt check as well: same time.
            user = self.store.users.verify(username, password)
            if user is None:
                # Recorded before the slot is freed: the next attempt in line must see it,
                # or a slow write lets every queued attempt run bcrypt.
                self.limiter.record_password_failure(username, source)
        if user is None:
            raise InvalidGrant("The username or password is incorrect.")
        if not state.clean:
            self.limiter.clear_password(username)
        return user

    def _check_password(self, username: str, source: str) -> PasswordState:
        try:
            with slowed_down():
                return self.limiter.check_password(username, source)
        except store_errors.AccountLocked as exc:
            raise AccountLocked(str(exc)) from None

    def user_active(self, user_id: int) -> bool:
        """Is the resource owner still there and active? Their codes and refresh tokens die
        with them."""
        user = self.store.users.find_by_id(user_id)
        return user is not None and user.active

    # -- RFC 7009, RFC 7662, RFC 8414: their endpoint classes ------------------------

    def revoke(self, params: Mapping[str, str], credentials: ClientCredentials) -> int:
        """RFC 7009 §2.1 (``RevocationEndpoint``); returns the client id."""
        return self.revocation.revoke(params, credentials)

    def introspect(
        self, params: Mapping[str, str], credentials: ClientCredentials
    ) -> tuple[int, dict[str, object]]:
        """RFC 7662 §2 (``IntrospectionEndpoint``): the client id and the claims."""
        return self.introspection.introspect(params, credentials)

    def device_authorization(
        self, params: Mapping[str, str], credentials: ClientCredentials, issuer: str
    ) -> dict[str, object]:
        """RFC 8628 §3.1-3.2 (``DeviceAuthorizationEndpoint``): codes for a device."""
        return self.device.authorize(params, credentials, issuer)

    def metadata(self, issuer: str) -> dict[str, object]:
        """Authorization server metadata (RFC 8414 §2, ``MetadataEndpoint``).

        ``registration_endpoint`` only while registration is on (RFC 7591 §3).
        """
        document = self.metadata_endpoint.document(issuer)
        if self.registration.enabled():
            document["registration_endpoint"] = f"{issuer}/oauth/register"
        return document

    def openid_configuration(self, issuer: str) -> dict[str, object]:
        """OpenID Connect Discovery 1.0 §3: the RFC 8414 document plus the OIDC fields."""
        document = self.metadata_endpoint.openid_document(issuer)
        if self.registration.enabled():
            document["registration_endpoint"] = f"{issuer}/oauth/register"
        return document

    def jwks(self) -> dict[str, object]:
        """The published signing keys (RFC 7517 §5)."""
        return self.store.signing_keys.jwks()

    def userinfo(self, bearer: str) -> dict[str, object]:
        """OIDC Core §5.3 (``UserInfoEndpoint``)."""
        if len(bearer) > BEARER_MAX:
            raise InvalidToken("The access token is malformed.")
        return self.userinfo_endpoint.claims(bearer)

    # -- the resource API (RFC 6750) ------------------------------------------------

    def resource_owner(self, bearer: str, issuer: str | None = None) -> dict[str, object]:
        """Who an access token speaks for; touches its last use. ``InvalidToken`` if not live.

        With ``issuer``: a token bound to resource servers (RFC 8707) is accepted
        only if one of them is this built-in API (the issuer's origin, or its
        ``/api/1.0``): a token meant for an MCP server must not work here.
        """
        if len(bearer) > BEARER_MAX:
            raise InvalidToken("The access token is malformed.")
        found = self.hot_path.bearer_and_audience(bearer)
        if found is None:
            raise InvalidToken("The access token is unknown, expired or revoked.")
        info, audience = found
        if issuer is not None and audience and not {issuer, issuer + "/api/1.0"} & set(audience):
            raise InvalidToken(
                "The access token is for another resource server (its audience); ask for "
                "one without resource, or with this API's URL."
            )
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

    # -- the authorization endpoint (RFC 6749 §4.1): ``AuthorizationEndpoint`` ----------

    def validate_authorization_request(self, params: Mapping[str, str]) -> AuthorizationRequest:
        """See ``AuthorizationEndpoint.validate``."""
        return self.authorize_endpoint.validate(params)

    def approve(
        self,
        request: AuthorizationRequest,
        user_id: int,
        issuer: str,
        *,
        auth_time: datetime | None = None,
    ) -> str:
        """Issue a code; the redirect ``Location`` with ``iss`` (RFC 6749 §4.1.2, RFC 9207)."""
        return self.authorize_endpoint.approve(request, user_id, issuer, auth_time=auth_time)

    def deny(self, request: AuthorizationRequest, issuer: str) -> str:
        """``error=access_denied`` with ``iss`` (RFC 6749 §4.1.2.1, RFC 9207)."""
        return self.authorize_endpoint.deny(request, issuer)


def _refuse_disabled(client: ClientInfo) -> None:
    """A disabled client is known but gets nothing (checked after its secret, so a wrong
    secret still counts towards the brute-force limit)."""
    if client.disabled:
        raise InvalidClient(
            f"Client {client.id} is disabled; an admin can enable it in the console "
            f"(authclients clients enable {client.id})."
        )


__all__ = [
    "AuthorizationRequest",
    "AuthorizationServer",
    "AuthorizeError",
    "AuthorizeRedirectError",
    "ClientCredentials",
]
