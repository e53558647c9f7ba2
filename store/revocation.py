"""Ending access in bulk: count, then revoke, the live tokens and codes a change ends.

Clients (secret rotation, a grant switched off) and users (password change,
deactivation, deletion) end access the same way, inside their own
transaction, and report what they ended with the same ``Impact``.
"""

from __future__ import annotations

from datetime import datetime

import peewee as pw

from authclients.store.models import AccessToken, AuthCode, RefreshToken
from authclients.store.records import GRANT_PERSONAL_ACCESS, Impact


def live_access(now: datetime) -> pw.Expression:
    return (AccessToken.revoked == False) & (
        AccessToken.expires_at.is_null() | (AccessToken.expires_at > now)
    )


def live_refresh(now: datetime) -> pw.Expression:
    return (
        (RefreshToken.revoked == False)
        & RefreshToken.used_at.is_null()
        & (RefreshToken.expires_at > now)
    )


def live_code(now: datetime) -> pw.Expression:
    return (AuthCode.revoked == False) & AuthCode.used_at.is_null() & (AuthCode.expires_at > now)


def end_access(
    now: datetime,
    *,
    access: pw.Expression | None = None,
    refresh: pw.Expression | None = None,
    codes: pw.Expression | None = None,
    kept: pw.Expression | None = None,
    dry_run: bool = False,
) -> Impact:
    """Revoke the access tokens matching ``access`` (with every refresh token of theirs),
    the refresh tokens matching ``refresh`` (their access tokens live on to expiry) and
    the codes matching ``codes``; returns how many of each were live.

    ``kept`` counts live access tokens deliberately left alone. With
    ``dry_run`` nothing changes: the preview a confirmation shows.
    """
    impact = Impact(
        access_tokens=_count_access(access, now),
        refresh_tokens=_count_refresh(access, refresh, now),
        auth_codes=(AuthCode.select().where(codes & live_code(now)).count() if codes else 0),
        personal_tokens_kept=_count_access(kept, now),
    )
    if dry_run:
        return impact
    if access is not None:
        ids = AccessToken.select(AccessToken.id).where(access)
        RefreshToken.update(revoked=True).where(
            RefreshToken.access_token.in_(ids) & (RefreshToken.revoked == False)
        ).execute()
        AccessToken.update(revoked=True, revoked_at=now).where(
            access & (AccessToken.revoked == False)
        ).execute()
    if refresh is not None:
        RefreshToken.update(revoked=True).where(
            RefreshToken.id.in_(_refresh_ids(refresh)) & (RefreshToken.revoked == False)
        ).execute()
    if codes is not None:
        AuthCode.update(revoked=True).where(codes & (AuthCode.revoked == False)).execute()
    return impact


def not_personal() -> pw.Expression:
    return AccessToken.grant_type != GRANT_PERSONAL_ACCESS


def _count_access(condition: pw.Expression | None, now: datetime) -> int:
    if condition is None:
        return 0
    return AccessToken.select().where(condition & live_access(now)).count()


def _refresh_ids(condition: pw.Expression) -> pw.ModelSelect:
    """Ids of refresh tokens matching a condition that may name their access token."""
    return (
        RefreshToken.select(RefreshToken.id)
        .join(AccessToken, on=(RefreshToken.access_token == AccessToken.id))
        .where(condition)
    )


def _count_refresh(
    access: pw.Expression | None, refresh: pw.Expression | None, now: datetime
) -> int:
    conditions = [c for c in (access, refresh) if c is not None]
    if not conditions:
        return 0
    either = conditions[0] if len(conditions) == 1 else (conditions[0] | conditions[1])
    return (
        RefreshToken.select()
        .join(AccessToken, on=(RefreshToken.access_token == AccessToken.id))
        .where(either & live_refresh(now))
        .count()
    )
