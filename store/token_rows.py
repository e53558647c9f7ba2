"""The rows behind tokens: issuing one, revoking many, reading them back as ``TokenInfo``.

The base of ``TokenExchange`` and ``Tokens``, which share these steps.
"""

from __future__ import annotations

from datetime import timedelta

import peewee as pw

from authclients.store import crypto
from authclients.store.context import StoreContext
from authclients.store.errors import ValidationError
from authclients.store.jwt_tokens import new_access_token, token_format_of
from authclients.store.models import (
    AccessToken,
    Client,
    RefreshToken,
    User,
)
from authclients.store.records import (
    STATE_ACTIVE,
    STATE_EXPIRED,
    STATE_REVOKED,
    TOKEN_STATES,
    IssuedToken,
    Lifetimes,
    TokenInfo,
)


class TokenRows:
    """Row-level steps over access and refresh tokens, inside the caller's transaction."""

    def __init__(self, store: StoreContext) -> None:
        self._store = store

    def _issue(
        self,
        client_id: int,
        client_name: str,
        *,
        grant_type: str,
        user_id: int | None,
        scopes: tuple[str, ...],
        with_refresh: bool = False,
        auth_code_id: int | None = None,
        family: str | None = None,
        name: str = "",
        lifetime: timedelta | None = None,
        never_expires: bool = False,
        audience: tuple[str, ...] = (),
        token_format: str = "opaque",
        issuer: str | None = None,
        lifetimes: Lifetimes | None = None,
    ) -> IssuedToken:
        """``token_format`` ``jwt`` with an ``issuer`` signs an RFC 9068 token (else opaque)."""
        now = self._store.clock.now()
        # The client's own lifetimes where it has them (``Store.lifetimes_for``).
        lifetimes = lifetimes or self._store.lifetimes
        lifetime = lifetime or lifetimes.access
        expires_at = None if never_expires else now + lifetime
        token, jti = new_access_token(
            self._store.signing_keys,
            token_format=token_format,
            issuer=issuer,
            client_id=client_id,
            user_id=user_id,
            scopes=tuple(scopes),
            issued_at=now,
            expires_at=expires_at,
            audience=tuple(audience),
        )
        row = AccessToken.create(
            jti=jti,
            token_hash=crypto.digest(token),
            token_hint=crypto.hint(token),
            client=client_id,
            user=user_id,
            auth_code=auth_code_id,
            name=name,
            scopes=" ".join(scopes),
            grant_type=grant_type,
            created_at=now,
            expires_at=expires_at,
            audience=" ".join(audience),
        )
        refresh = None
        if with_refresh:
            refresh = crypto.new_secret()
            RefreshToken.create(
                token_hash=crypto.digest(refresh),
                access_token=row.id,
                family=family or crypto.new_secret()[:32],
                created_at=now,
                expires_at=now + lifetimes.refresh,
            )
        username = None
        if user_id is not None:
            username = User.select(User.username).where(User.id == user_id).scalar()
        info = TokenInfo.issued(
            id=row.id,
            client_id=client_id,
            client_name=client_name,
            user_id=user_id,
            username=username,
            name=name,
            scopes=tuple(scopes),
            grant_type=grant_type,
            created_at=now,
            expires_at=expires_at,
            token_hint=crypto.hint(token),
            token_format=token_format_of(jti),
        )
        expires_in = None if expires_at is None else int(lifetime.total_seconds())
        return IssuedToken(
            info=info, access_token=token, refresh_token=refresh, expires_in=expires_in
        )

    def _revoke_ids(self, ids: list[int]) -> int:
        """Revoke these access tokens and their refresh tokens; returns how many were live."""
        if not ids:
            return 0
        now = self._store.clock.now()
        live = 0
        for chunk in chunks(ids, 500):
            live += (
                AccessToken.select()
                .where(AccessToken.id.in_(chunk) & self._state_condition(STATE_ACTIVE))
                .count()
            )
            AccessToken.update(revoked=True, revoked_at=now).where(
                AccessToken.id.in_(chunk) & (AccessToken.revoked == False)
            ).execute()
            RefreshToken.update(revoked=True).where(RefreshToken.access_token.in_(chunk)).execute()
        return live

    def _state_condition(self, state: str) -> pw.Expression:
        now = self._store.clock.now()
        if state == STATE_ACTIVE:
            return (AccessToken.revoked == False) & (
                AccessToken.expires_at.is_null() | (AccessToken.expires_at > now)
            )
        if state == STATE_EXPIRED:
            return (AccessToken.revoked == False) & (AccessToken.expires_at <= now)
        if state == STATE_REVOKED:
            return AccessToken.revoked == True
        raise ValidationError.single("state", f"State is one of: {', '.join(TOKEN_STATES)}.")

    @staticmethod
    def _query() -> pw.ModelSelect:
        return (
            AccessToken.select(
                AccessToken, Client.id, Client.name, Client.revoked, User.id, User.username
            )
            .join(Client, on=(AccessToken.client == Client.id))
            .switch(AccessToken)
            .join(User, pw.JOIN.LEFT_OUTER, on=(AccessToken.user == User.id))
        )

    def _info(self, row: AccessToken) -> TokenInfo:
        now = self._store.clock.now()
        # A deleted client's tokens are dead even if their own row says otherwise: a
        # token whose INSERT raced the deletion (another process, or the endpoint's
        # writer queued behind the delete) commits unrevoked after it.
        if row.revoked or row.client.revoked:
            state = STATE_REVOKED
        elif row.expires_at is not None and row.expires_at <= now:
            state = STATE_EXPIRED
        else:
            state = STATE_ACTIVE
        user = getattr(row, "user", None) if row.user_id is not None else None
        return TokenInfo(
            id=row.id,
            client_id=row.client_id,
            client_name=row.client.name,
            user_id=row.user_id,
            username=user.username if user is not None else None,
            name=row.name,
            scopes=tuple(row.scopes.split()),
            grant_type=row.grant_type,
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked=row.revoked,
            revoked_at=row.revoked_at,
            last_used_at=row.last_used_at,
            token_hint=row.token_hint,
            state=state,
            token_format=token_format_of(row.jti),
        )


def chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
