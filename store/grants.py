"""One class per grant type of the token endpoint, behind one interface (RFC 6749 §4, §6).

Each grant validates its parameters, then issues; ``GRANTS`` dispatches on
``grant_type``. The client is already authenticated when a grant runs; the
grant decides whether that client may use it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from authclients.store import errors as store_errors
from authclients.store import validation
from authclients.store.oauth_errors import (
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    OAuthError,
    UnauthorizedClient,
    UnsupportedGrantType,
)
from authclients.store.records import (
    GRANT_AUTHORIZATION_CODE,
    GRANT_CLIENT_CREDENTIALS,
    GRANT_PASSWORD,
    GRANT_REFRESH_TOKEN,
    ClientInfo,
    IssuedToken,
)

if TYPE_CHECKING:
    from authclients.store.authorization_server import AuthorizationServer
    from authclients.store.tokens import CodeGrant

TOKEN_PARAM_MAX = 512
"""Our codes and tokens are 43 characters; anything much longer is not one of ours."""
SCOPE_PARAM_MAX = 2000

_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
"""RFC 7636 §4.1: code-verifier = 43*128unreserved."""
_S256_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
"""RFC 7636 §4.2: BASE64URL(SHA256(verifier)) without padding is always 43 characters."""


class Grant:
    """The interface every grant implements (after authlib's ``BaseGrant``).

    Attributes:
        GRANT_TYPE: the ``grant_type`` value this class answers.
    """

    GRANT_TYPE: ClassVar[str] = ""

    def __init__(
        self, server: AuthorizationServer, client: ClientInfo, params: Mapping[str, str]
    ) -> None:
        self.server = server
        self.store = server.store
        self.client = client
        self.params = params

    def check_client(self) -> None:
        """A grant the client has not enabled is ``unauthorized_client`` (RFC 6749 §5.2)."""
        if not self.client.allows(self.GRANT_TYPE):
            raise UnauthorizedClient(
                f"Client {self.client.id} may not use the {self.GRANT_TYPE} grant; "
                "an admin can enable it in the console."
            )

    def validate(self) -> None:
        """Check the request's parameters; raise an ``OAuthError`` when they are wrong."""
        self.check_client()

    def issue(self) -> IssuedToken:
        """Issue the token; it is committed before this returns."""
        raise NotImplementedError

    # -- shared checks ----------------------------------------------------------

    def required(self, name: str, maximum: int = TOKEN_PARAM_MAX) -> str:
        value = self.params.get(name, "")
        if not value:
            raise InvalidRequest(f"The {name} parameter is missing.")
        if len(value) > maximum:
            raise InvalidRequest(f"The {name} parameter is too long (at most {maximum}).")
        return value

    def requested_scopes(self, *, within: tuple[str, ...] | None = None) -> tuple[str, ...]:
        """The ``scope`` asked for (RFC 6749 §3.3), inside the client's and ``within``.

        No ``scope`` means the client's default: the scopes of the grant being
        refreshed, else none.
        """
        raw = self.params.get("scope", "")
        if not raw:
            return within if within is not None else ()
        return check_scopes(raw, self.client, within=within)


def check_scopes(
    raw: str, client: ClientInfo, *, within: tuple[str, ...] | None = None
) -> tuple[str, ...]:
    """Parse a ``scope`` parameter and check it against the client and an upper bound."""
    if len(raw) > SCOPE_PARAM_MAX:
        raise InvalidScope(f"The scope is too long (at most {SCOPE_PARAM_MAX} characters).")
    if raw != raw.strip() or "  " in raw:
        # RFC 6749 §3.3: scope-tokens separated by single spaces.
        raw = " ".join(raw.split())
    scopes, error = validation.clean_scopes(raw)
    if error:
        raise InvalidScope(error)
    if client.scopes:
        outside = [s for s in scopes if s not in client.scopes]
        if outside:
            raise InvalidScope(f"Client {client.id} may not ask for: {' '.join(outside)}.")
    if within is not None:
        wider = [s for s in scopes if s not in within]
        if wider:
            raise InvalidScope(
                f"A refreshed token may not be wider than the original: {' '.join(wider)}."
            )
    return scopes


def s256(verifier: str) -> str:
    """RFC 7636 §4.2: BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))."""
    raw = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def check_challenge(challenge: str, method: str) -> None:
    """Validate PKCE parameters of an authorization request (RFC 7636 §4.3): S256 only."""
    if not method:
        raise InvalidRequest(
            "code_challenge_method is missing; only S256 is supported (plain is refused)."
        )
    if method != "S256":
        raise InvalidRequest(
            f"code_challenge_method {'plain' if method == 'plain' else 'given'} is not "
            "supported; use S256 (RFC 7636 §4.2)."
        )
    if not _S256_CHALLENGE.match(challenge):
        raise InvalidRequest("code_challenge must be 43 base64url characters (S256).")


class PasswordGrant(Grant):
    """Resource owner password credentials (RFC 6749 §4.3); bcrypt, with a refresh token."""

    GRANT_TYPE = GRANT_PASSWORD

    def validate(self) -> None:
        super().validate()
        self.username = self.required("username", validation.USERNAME_MAX)
        self.password = self.required("password", validation.PASSWORD_MAX)
        self.scopes = self.requested_scopes()

    def issue(self) -> IssuedToken:
        user = self.server.sign_in(self.username, self.password)
        with self.server.writing():
            return self.store.tokens.issue(
                self.client,
                grant_type=self.GRANT_TYPE,
                user_id=user.id,
                scopes=self.scopes,
                with_refresh=True,
            )


class ClientCredentialsGrant(Grant):
    """Client credentials (RFC 6749 §4.4): confidential clients only, no refresh token."""

    GRANT_TYPE = GRANT_CLIENT_CREDENTIALS

    def validate(self) -> None:
        super().validate()
        if self.client.public:
            raise UnauthorizedClient("A public client cannot use the client_credentials grant.")
        self.scopes = self.requested_scopes()

    def issue(self) -> IssuedToken:
        return self.server.hot_path.issue_client_token(self.client, self.GRANT_TYPE, self.scopes)


class AuthorizationCodeGrant(Grant):
    """Authorization code exchange (RFC 6749 §4.1.3) with PKCE S256 (RFC 7636 §4.5-4.6).

    The code is single use: a second presentation is ``invalid_grant`` and
    revokes every token issued from it (RFC 6749 §4.1.2).
    """

    GRANT_TYPE = GRANT_AUTHORIZATION_CODE

    def validate(self) -> None:
        super().validate()
        self.code = self.required("code")
        self.redirect_uri = self.required("redirect_uri", validation.URI_MAX)
        self.verifier = self.params.get("code_verifier", "")
        if self.verifier and not _VERIFIER.match(self.verifier):
            raise InvalidRequest(
                "code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1)."
            )

    def issue(self) -> IssuedToken:
        # Consume and issue in one transaction: a concurrent replay (in any
        # process) waits for our commit, then revokes what we issued. A failed
        # check still commits the consumption (the code is burnt) and a replay
        # still commits its revocations, because nothing is raised inside.
        failure: OAuthError | None = None
        issued: IssuedToken | None = None
        with self.server.writing(), self.store.db.atomic():
            try:
                grant = self.store.tokens.consume_auth_code(self.code, self.client.id)
            except store_errors.InvalidGrant as exc:
                failure = InvalidGrant(str(exc))
            else:
                try:
                    self._check(grant)
                except OAuthError as exc:
                    failure = exc
                else:
                    issued = self.store.tokens.issue(
                        self.client,
                        grant_type=self.GRANT_TYPE,
                        user_id=grant.user_id,
                        scopes=grant.scopes,
                        with_refresh=True,
                        auth_code_id=grant.id,
                    )
        if failure is not None:
            raise failure
        assert issued is not None
        return issued

    def _check(self, grant: CodeGrant) -> None:
        if not self.server.user_active(grant.user_id):
            raise InvalidGrant("The user who approved this code is no longer active.")
        if self.redirect_uri != grant.redirect_uri:
            raise InvalidGrant(
                "redirect_uri differs from the one of the authorization request (RFC 6749 §4.1.3)."
            )
        if grant.code_challenge:
            if not self.verifier:
                raise InvalidRequest("code_verifier is required: the code was issued with PKCE.")
            if grant.code_challenge_method != "S256" or not hmac.compare_digest(
                s256(self.verifier).encode("ascii"), grant.code_challenge.encode("utf-8")
            ):
                raise InvalidGrant("code_verifier does not match the code_challenge.")
        elif self.verifier:
            # OAuth 2.1 §4.1.3: a verifier without a challenge is a downgrade attempt.
            raise InvalidGrant("code_verifier given, but the code was issued without PKCE.")
        elif self.client.public:
            # /oauth/authorize never issues such a code; one made elsewhere is refused too.
            raise InvalidGrant("A public client's code must have been issued with PKCE (S256).")


class RefreshTokenGrant(Grant):
    """Refresh with rotation (RFC 6749 §6, RFC 6819 §5.2.2.3).

    The old refresh token dies; presenting it again revokes its whole family.
    A narrower scope may be asked for, never a wider one.
    """

    GRANT_TYPE = GRANT_REFRESH_TOKEN

    def validate(self) -> None:
        super().validate()
        self.refresh_token = self.required("refresh_token")

    def issue(self) -> IssuedToken:
        try:
            grant = self.store.tokens.find_refresh(self.refresh_token, self.client.id)
        except store_errors.InvalidGrant as exc:
            raise InvalidGrant(str(exc)) from None
        if grant.user_id is not None and not self.server.user_active(grant.user_id):
            raise InvalidGrant("The user of this refresh token is no longer active.")
        scopes = self.requested_scopes(within=grant.scopes)
        try:
            with self.server.writing():
                return self.store.tokens.rotate_refresh(grant, self.client, scopes)
        except store_errors.InvalidGrant as exc:
            raise InvalidGrant(str(exc)) from None


class GrantRegistry:
    """Dispatches on ``grant_type`` (RFC 6749 §4): one class per grant type."""

    def __init__(self, *grants: type[Grant]) -> None:
        self._grants: dict[str, type[Grant]] = {}
        for grant in grants:
            self.register(grant)

    def register(self, grant: type[Grant]) -> None:
        self._grants[grant.GRANT_TYPE] = grant

    @property
    def grant_types(self) -> tuple[str, ...]:
        return tuple(self._grants)

    def lookup(self, grant_type: str) -> type[Grant]:
        if not grant_type:
            raise InvalidRequest("The grant_type parameter is missing.")
        grant = self._grants.get(grant_type)
        if grant is None:
            shown = grant_type if len(grant_type) <= 60 else grant_type[:59] + "…"
            raise UnsupportedGrantType(
                f"Unsupported grant_type {shown!r}; use one of: {', '.join(self._grants)}."
            )
        return grant


GRANTS = GrantRegistry(
    AuthorizationCodeGrant, PasswordGrant, ClientCredentialsGrant, RefreshTokenGrant
)
"""Every grant the token endpoint serves, in the order RFC 8414 metadata lists them."""
