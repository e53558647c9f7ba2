"""Authorization code exchange (RFC 6749 §4.1.3) with PKCE S256 (RFC 7636 §4.5-4.6)."""

from __future__ import annotations

import dataclasses

from authclients.store import errors as store_errors
from authclients.store import validation
from authclients.store.jwt_tokens import SCOPE_OPENID, IdentityClaims, id_token
from authclients.store.oauth.errors import (
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    OAuthError,
    UnauthorizedClient,
)
from authclients.store.oauth.grants.base import Grant
from authclients.store.oauth.pkce import check_verifier_syntax, verifier_matches
from authclients.store.oauth.resources import within
from authclients.store.oauth.scopes import still_allowed
from authclients.store.records import GRANT_AUTHORIZATION_CODE, ClientInfo, IssuedToken
from authclients.store.token_exchange import CodeGrant


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
        check_verifier_syntax(self.verifier)

    def issue(self) -> IssuedToken:
        # Consume and issue in one transaction: a concurrent replay (in any
        # process) waits for our commit, then revokes what we issued. A failed
        # check still commits the consumption (the code is burnt) and a replay
        # still commits its revocations, because nothing is raised inside.
        failure: OAuthError | None = None
        issued: IssuedToken | None = None
        with self.store.atomic():
            try:
                grant = self.store.tokens.consume_auth_code(self.code, self.client.id)
            except store_errors.InvalidGrant as exc:
                failure = InvalidGrant(str(exc))
            else:
                # The client as it is now, inside this transaction (row locked on
                # PostgreSQL): a narrowing or switch-off committed since the client
                # authenticated binds this exchange too.
                client = self.store.clients.find_active(self.client.id, lock=True)
                try:
                    if client is None or not client.allows(self.GRANT_TYPE):
                        raise UnauthorizedClient(
                            f"Client {self.client.id} may no longer use the "
                            f"{self.GRANT_TYPE} grant."
                        )
                    self._check(grant)
                    scopes = self._scopes(grant, client)
                    audience = within(self.resources, grant.resources)
                except OAuthError as exc:
                    failure = exc
                else:
                    issuer = self.server.issuer()
                    issued = self.store.tokens.issue(
                        client,
                        grant_type=self.GRANT_TYPE,
                        user_id=grant.user_id,
                        scopes=scopes,
                        with_refresh=True,
                        auth_code_id=grant.id,
                        audience=audience,
                        issuer=issuer,
                    )
                    if SCOPE_OPENID in scopes and issuer is not None:
                        issued = self._with_id_token(issued, grant, issuer)
        if failure is not None:
            raise failure
        assert issued is not None
        return issued

    def _with_id_token(self, issued: IssuedToken, grant: CodeGrant, issuer: str) -> IssuedToken:
        """OIDC Core §3.1.3.3: the ID token beside the access token, for the user who signed in.

        Only from the code grant: a refresh answers without one (§12.2 leaves it
        optional, and the original sign-in is what an ID token vouches for).
        """
        user = self.store.users.find_by_id(grant.user_id)
        if user is None:
            raise InvalidGrant("The user who approved this code no longer exists.")
        token = id_token(
            self.store.signing_keys,
            issuer=issuer,
            client_id=self.client.id,
            identity=IdentityClaims(user.id, user.username, user.name, user.email),
            scopes=issued.info.scopes,
            issued_at=issued.info.created_at,
            expires_at=issued.info.expires_at or issued.info.created_at,
            auth_time=grant.auth_time,
            nonce=grant.nonce,
            access_token=issued.access_token,
        )
        return dataclasses.replace(issued, id_token=token)

    def _scopes(self, grant: CodeGrant, client: ClientInfo) -> tuple[str, ...]:
        """The approved scopes the client may still have: the admin may have narrowed them
        in the minutes between approval and exchange."""
        scopes = still_allowed(grant.scopes, client)
        if grant.scopes and not scopes:
            raise InvalidScope(
                f"Client {client.id} may no longer have any scope the user approved; "
                "start the authorization again."
            )
        return scopes

    def _check(self, grant: CodeGrant) -> None:
        if not self.server.user_active(grant.user_id):
            raise InvalidGrant("The user who approved this code is no longer active.")
        if self.redirect_uri != grant.redirect_uri:
            raise InvalidGrant(
                "redirect_uri differs from the one of the authorization request "
                "(RFC 6749 section 4.1.3)."
            )
        if grant.code_challenge:
            if not self.verifier:
                raise InvalidRequest("code_verifier is required: the code was issued with PKCE.")
            if not verifier_matches(
                self.verifier, grant.code_challenge, grant.code_challenge_method
            ):
                raise InvalidGrant("code_verifier does not match the code_challenge.")
        elif self.verifier:
            # OAuth 2.1 §4.1.3: a verifier without a challenge is a downgrade attempt.
            raise InvalidGrant("code_verifier given, but the code was issued without PKCE.")
        elif self.client.public:
            # /oauth/authorize never issues such a code; one made elsewhere is refused too.
            raise InvalidGrant("A public client's code must have been issued with PKCE (S256).")
