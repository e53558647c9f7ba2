"""What the token endpoint does with tokens: issue, codes, refresh rotation, find, introspect.

Every presented code or token is looked up by its SHA-256 digest; a code or
refresh token is used once, even across processes (RFC 6749 §4.1.2, §6;
RFC 6819 §5.2.2.3; RFC 7009; RFC 7662).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import peewee as pw

from authclients.store import crypto
from authclients.store.errors import GrantSwitchedOff, InvalidGrant, NonceReused
from authclients.store.models import (
    AccessToken,
    AuthCode,
    RefreshToken,
    User,
)
from authclients.store.records import (
    STATE_ACTIVE,
    ClientInfo,
    IssuedToken,
    TokenInfo,
)
from authclients.store.token_rows import TokenRows


@dataclass(frozen=True)
class CodeGrant:
    """What an authorization code was issued for, once it has been consumed."""

    id: int
    client_id: int
    user_id: int
    redirect_uri: str
    scopes: tuple[str, ...]
    code_challenge: str | None
    code_challenge_method: str | None
    resources: tuple[str, ...] = ()
    """What the owner approved the code for (RFC 8707)."""
    nonce: str | None = None
    auth_time: datetime | None = None


@dataclass(frozen=True)
class RefreshGrant:
    """A live refresh token's context, before rotation."""

    id: int
    client_id: int
    user_id: int | None
    scopes: tuple[str, ...]
    family: str
    grant_type: str
    audience: tuple[str, ...] = ()
    """The audience of the family's current token: a refresh may narrow it, never widen."""


class TokenExchange(TokenRows):
    """Issuing and using tokens, as the endpoint (and the playground) does."""

    def issue(
        self,
        client: ClientInfo,
        *,
        grant_type: str,
        user_id: int | None = None,
        scopes: tuple[str, ...] = (),
        with_refresh: bool = False,
        auth_code_id: int | None = None,
        family: str | None = None,
        owner_generation: int | None = None,
        audience: tuple[str, ...] = (),
        issuer: str | None = None,
    ) -> IssuedToken:
        """Issue an access token (and a refresh token) in one transaction.

        The response is built only after the commit, so every token handed out
        is already in the database. With ``owner_generation`` (the user's
        session generation when their password was checked), a password change,
        deactivation or deletion committed since then refuses the token with
        ``InvalidGrant``: what the old credential won must not outlive it.
        """
        with self._store.atomic():
            if user_id is not None and owner_generation is not None:
                self._check_owner(user_id, owner_generation)
            return self._issue(
                client.id,
                client.name,
                grant_type=grant_type,
                user_id=user_id,
                scopes=scopes,
                with_refresh=with_refresh,
                auth_code_id=auth_code_id,
                family=family,
                audience=audience,
                token_format=client.token_format,
                issuer=issuer,
                lifetimes=self._store.lifetimes_for(client),
            )

    def create_auth_code(
        self,
        client: ClientInfo,
        *,
        user_id: int,
        redirect_uri: str,
        scopes: tuple[str, ...],
        code_challenge: str | None,
        code_challenge_method: str | None,
        resources: tuple[str, ...] = (),
        nonce: str | None = None,
        auth_time: datetime | None = None,
    ) -> str:
        """A fresh single-use code, stored as a digest; returned in full once.

        A ``nonce`` is taken once per client while a code carrying it may live
        (OIDC Core §15.5.2): the unique index on (client, nonce digest) refuses a
        second one even from another process, with ``NonceReused``.
        """
        code = crypto.new_secret()
        now = self._store.clock.now()
        nonce_key = None if nonce is None else crypto.digest(nonce)
        with self._store.atomic():
            if nonce_key is not None:
                # A nonce whose codes are all dead may come back (the index holds live ones).
                AuthCode.update(nonce_key=None).where(
                    (AuthCode.client == client.id)
                    & (AuthCode.nonce_key == nonce_key)
                    & (AuthCode.expires_at <= now)
                ).execute()
            try:
                with self._store.atomic():
                    self._insert_code(
                        code,
                        client,
                        user_id=user_id,
                        redirect_uri=redirect_uri,
                        scopes=scopes,
                        code_challenge=code_challenge,
                        code_challenge_method=code_challenge_method,
                        nonce=nonce,
                        nonce_key=nonce_key,
                        auth_time=auth_time,
                        now=now,
                        resources=resources,
                    )
            except pw.IntegrityError:
                if nonce_key is None:
                    raise
                raise NonceReused(
                    "This nonce was already used for this client; start again with a new one."
                ) from None
        return code

    def nonce_in_use(self, client_id: int, nonce: str) -> bool:
        """Does a code that may still live carry this nonce (same client)?"""
        return (
            AuthCode.select(AuthCode.id)
            .where(
                (AuthCode.client == client_id)
                & (AuthCode.nonce_key == crypto.digest(nonce))
                & (AuthCode.expires_at > self._store.clock.now())
            )
            .exists()
        )

    def _insert_code(
        self,
        code: str,
        client: ClientInfo,
        *,
        user_id: int,
        redirect_uri: str,
        scopes: tuple[str, ...],
        code_challenge: str | None,
        code_challenge_method: str | None,
        nonce: str | None,
        nonce_key: str | None,
        auth_time: datetime | None,
        now: datetime,
        resources: tuple[str, ...] = (),
    ) -> None:
        AuthCode.create(
            resources=" ".join(resources),
            nonce=nonce,
            nonce_key=nonce_key,
            auth_time=auth_time,
            code_hash=crypto.digest(code),
            client=client.id,
            user=user_id,
            redirect_uri=redirect_uri,
            scopes=" ".join(scopes),
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
            created_at=now,
            expires_at=now + self._store.lifetimes_for(client).auth_code,
        )

    def consume_auth_code(self, code: str, client_id: int) -> CodeGrant:
        """Mark the code used, exactly once, even across processes.

        A second presentation revokes every token issued from the code
        (RFC 6749 §4.1.2) and raises ``InvalidGrant``.
        """
        now = self._store.clock.now()
        row = AuthCode.get_or_none(AuthCode.code_hash == crypto.digest(code or ""))
        if row is None or row.client_id != client_id:
            raise InvalidGrant("The authorization code is unknown or was issued to another client.")
        if row.revoked:
            raise InvalidGrant("The authorization code was revoked.")
        with self._store.writing():
            claimed = (
                AuthCode.update(used_at=now)
                .where(
                    (AuthCode.id == row.id)
                    & AuthCode.used_at.is_null()
                    & (AuthCode.revoked == False)
                )
                .execute()
            )
        if claimed != 1:
            with self._store.atomic():
                AuthCode.update(revoked=True).where(AuthCode.id == row.id).execute()
                ids = [
                    t.id
                    for t in AccessToken.select(AccessToken.id).where(
                        AccessToken.auth_code == row.id
                    )
                ]
                count = self._revoke_ids(ids)
                self._store.as_actor("endpoint").audit.record(
                    "auth_code.replay",
                    "client",
                    row.client_id,
                    f"revoked {count} tokens issued from it",
                )
            raise InvalidGrant(
                "The authorization code was already used; tokens issued from it are revoked."
            )
        if row.expires_at <= now:
            raise InvalidGrant("The authorization code expired; start the authorization again.")
        return CodeGrant(
            id=row.id,
            client_id=row.client_id,
            user_id=row.user_id,
            redirect_uri=row.redirect_uri,
            scopes=tuple(row.scopes.split()),
            code_challenge=row.code_challenge,
            code_challenge_method=row.code_challenge_method,
            resources=tuple(row.resources.split()),
            nonce=row.nonce,
            auth_time=row.auth_time,
        )

    def find_refresh(
        self,
        refresh_token: str,
        client_id: int,
        *,
        grant_allowed: Callable[[str], bool] | None = None,
    ) -> RefreshGrant:
        """The refresh token's context, if it may still be used by this client.

        ``grant_allowed`` says whether the client may still use the grant that
        began the family: if not, ``GrantSwitchedOff``, even for a token that
        switching the grant off already revoked, so the client is told why.
        """
        row = (
            RefreshToken.select(RefreshToken, AccessToken)
            .join(AccessToken)
            .where(RefreshToken.token_hash == crypto.digest(refresh_token or ""))
            .first()
        )
        if row is None or row.access_token.client_id != client_id:
            raise InvalidGrant("The refresh token is unknown or was issued to another client.")
        origin = row.access_token.grant_type
        if grant_allowed is not None and not grant_allowed(origin):
            raise GrantSwitchedOff(
                f"Client {client_id} may no longer use the {origin} grant that issued this "
                "refresh token.",
                family=row.family,
                grant_type=origin,
            )
        if row.revoked:
            raise InvalidGrant("The refresh token was revoked.")
        if row.used_at is None and row.expires_at <= self._store.clock.now():
            raise InvalidGrant("The refresh token expired; sign in again.")
        access = row.access_token
        return RefreshGrant(
            id=row.id,
            client_id=access.client_id,
            user_id=access.user_id,
            scopes=tuple(access.scopes.split()),
            family=row.family,
            grant_type=access.grant_type,
            audience=tuple(access.audience.split()),
        )

    def rotate_refresh(
        self,
        grant: RefreshGrant,
        client: ClientInfo,
        scopes: tuple[str, ...],
        audience: tuple[str, ...] | None = None,
        *,
        issuer: str | None = None,
    ) -> IssuedToken:
        """Use the refresh token once: a new access and refresh token of the same family.

        Presenting it again revokes the whole family (RFC 6819 §5.2.2.3) and
        raises ``InvalidGrant``.
        """
        now = self._store.clock.now()
        with self._store.atomic():
            claimed = (
                RefreshToken.update(used_at=now)
                .where(
                    (RefreshToken.id == grant.id)
                    & RefreshToken.used_at.is_null()
                    & (RefreshToken.revoked == False)
                )
                .execute()
            )
            if claimed == 1:
                # The old access token dies with its refresh token.
                old = RefreshToken.get_by_id(grant.id)
                AccessToken.update(revoked=True, revoked_at=now).where(
                    (AccessToken.id == old.access_token_id) & (AccessToken.revoked == False)
                ).execute()
                return self._issue(
                    client.id,
                    client.name,
                    grant_type=grant.grant_type,
                    user_id=grant.user_id,
                    scopes=scopes,
                    with_refresh=True,
                    family=grant.family,
                    audience=grant.audience if audience is None else audience,
                    token_format=client.token_format,
                    issuer=issuer,
                    lifetimes=self._store.lifetimes_for(client),
                )
        count = self.revoke_family(grant.family)
        self._store.as_actor("endpoint").audit.record(
            "refresh_token.reuse", "client", client.id, f"revoked a family of {count} tokens"
        )
        raise InvalidGrant(
            "The refresh token was already used; every token of its line is revoked."
        )

    def revoke_family(self, family: str) -> int:
        with self._store.atomic():
            RefreshToken.update(revoked=True).where(RefreshToken.family == family).execute()
            ids = [
                r.access_token_id
                for r in RefreshToken.select(RefreshToken.access_token).where(
                    RefreshToken.family == family
                )
            ]
            return self._revoke_ids(ids)

    def find(self, token: str) -> TokenInfo | None:
        """The access token presented, in any state, by its digest."""
        row = self._query().where(AccessToken.token_hash == crypto.digest(token or "")).first()
        return self._info(row) if row else None

    def authenticate_bearer(self, token: str) -> TokenInfo | None:
        """The active access token presented, touching its last use; None if not active."""
        info = self.find(token)
        if info is None or info.state != STATE_ACTIVE:
            return None
        now = self._store.clock.now()
        with self._store.writing():
            AccessToken.update(last_used_at=now).where(AccessToken.id == info.id).execute()
        return info

    def introspect(self, token: str) -> dict[str, object]:
        """RFC 7662 §2.2: ``{"active": false}`` for anything not live, else its claims.

        Accepts an access token or a refresh token.
        """
        info = self.find(token)
        token_type = "access_token"
        if info is None:
            refresh = (
                RefreshToken.select(RefreshToken, AccessToken)
                .join(AccessToken)
                .where(RefreshToken.token_hash == crypto.digest(token or ""))
                .first()
            )
            if refresh is None or refresh.revoked or refresh.used_at is not None:
                return {"active": False}
            if refresh.expires_at <= self._store.clock.now():
                return {"active": False}
            info = self._info(
                self._query().where(AccessToken.id == refresh.access_token_id).first()
            )
            expires_at: datetime | None = refresh.expires_at
            token_type = "refresh_token"
        else:
            if info.state != STATE_ACTIVE:
                return {"active": False}
            expires_at = info.expires_at
        body: dict[str, object] = {
            "active": True,
            "scope": " ".join(info.scopes),
            "client_id": str(info.client_id),
            "token_type": "Bearer" if token_type == "access_token" else "refresh_token",
            "iat": int(info.created_at.timestamp()),
        }
        if expires_at is not None:
            body["exp"] = int(expires_at.timestamp())
        if info.username:
            body["username"] = info.username
            body["sub"] = str(info.user_id)
        return body

    def revoke_token(self, token: str) -> bool:
        """RFC 7009: revoke the access or refresh token presented; False when unknown."""
        digest = crypto.digest(token or "")
        with self._store.atomic():
            row = AccessToken.get_or_none(AccessToken.token_hash == digest)
            if row is not None:
                self._revoke_ids([row.id])
                return True
            refresh = RefreshToken.get_or_none(RefreshToken.token_hash == digest)
            if refresh is not None:
                # Revoking a refresh token ends its whole line (RFC 7009 §2.1).
                self.revoke_family(refresh.family)
                return True
        return False

    def owner_of(self, token: str) -> int | None:
        """The client id an access or refresh token was issued to (RFC 7009 §2.1 check)."""
        digest = crypto.digest(token or "")
        row = AccessToken.get_or_none(AccessToken.token_hash == digest)
        if row is not None:
            return row.client_id
        refresh = (
            RefreshToken.select(RefreshToken, AccessToken)
            .join(AccessToken)
            .where(RefreshToken.token_hash == digest)
            .first()
        )
        return refresh.access_token.client_id if refresh else None

    def _check_owner(self, user_id: int, generation: int) -> None:
        query = User.select(User.id).where(
            (User.id == user_id) & (User.active == True) & (User.session_generation == generation)
        )
        if isinstance(self._store.db, pw.PostgresqlDatabase):
            # Held to commit: a concurrent password change waits, then finds this token.
            # (SQLite's write transactions are serialised already.)
            query = query.for_update()
        if not query.exists():
            raise InvalidGrant("The user's credentials changed meanwhile; sign in again.")
