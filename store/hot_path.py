"""Precompiled SQL for the endpoint's hottest requests: client authentication, a
client_credentials token, and the access-token read of introspection and ``users/me``.

Profiling showed Peewee building the SQL of each query costing about five
times what SQLite spends running it (734 µs of 840 µs per token request).
These statements are written once, with bind parameters, against the same
tables and with the same values as ``Clients.authenticate`` and
``Tokens.issue``; ``tests/endpoint/test_hot_path.py`` checks they agree.
Plain SQL-92 plus ``RETURNING`` (SQLite 3.35+, PostgreSQL), so it runs on both.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Iterable, Set
from datetime import datetime, timedelta

from authclients.store import crypto
from authclients.store import scopes as scope_table
from authclients.store.context import StoreContext
from authclients.store.group_commit import GroupCommitter
from authclients.store.jwt_tokens import new_access_token, token_format_of
from authclients.store.lifetime_settings import client_lifetimes
from authclients.store.models import UTCDateTimeField
from authclients.store.ratelimit import KIND_CLIENT
from authclients.store.records import (
    STATE_ACTIVE,
    STATE_EXPIRED,
    STATE_REVOKED,
    ClientInfo,
    IssuedToken,
    TokenInfo,
)
from authclients.store.stable_reads import StableReads

_UTC = UTCDateTimeField()
log = logging.getLogger("authclients.endpoint")

TOUCH_RESOLUTION = timedelta(seconds=1)
"""A token's last use is recorded to this resolution: a use within it of the
recorded one writes nothing (the console shows last use to the second)."""

KEPT_SCOPE_SETS_UP_TO = 16
"""Scopes in one request whose answer is kept. A scope parameter holds up to 2,000
characters: 1,024 kept answers of 500 made-up names each held ~56 MB (measured), for
any client without a scope list of its own; real requests name a handful."""

_deferred: contextvars.ContextVar[list[Awaitable[int]] | None] = contextvars.ContextVar(
    "authclients_deferred_commits", default=None
)


class deferring_commits:
    """On the event loop: token writes made inside are queued, not waited for.

    Yields the list that receives one future per queued write (a new client
    token, a token's last use); the caller must await them all before it
    answers (every token is committed before its answer). A class, not a
    generator: it wraps every request on the loop, where a generator's
    context manager cost ~3 µs.
    """

    __slots__ = ("_pending", "_reset")

    def __enter__(self) -> list[Awaitable[int]]:
        self._pending: list[Awaitable[int]] = []
        self._reset = _deferred.set(self._pending)
        return self._pending

    def __exit__(self, *exc: object) -> None:
        _deferred.reset(self._reset)


class HotPath:
    """The token endpoint's fast lane over one store."""

    def __init__(self, store: StoreContext) -> None:
        self._store = store
        p = store.db.param
        self._client_sql = (
            "SELECT c.id, c.name, c.redirect_uris, c.scopes, c.grant_authorization_code, "
            "c.grant_password, c.grant_personal_access, c.grant_client_credentials, c.public, "
            "c.revoked, c.secret_hint, c.created_at, c.updated_at, c.secret_hash, "
            f'(SELECT COUNT(*) FROM failed_attempt f WHERE f.kind = {p} AND f."key" = {p} '
            f"AND f.at > {p}), c.version, c.grant_device, c.token_format, c.disabled, "
            "c.access_token_ttl, c.refresh_token_ttl, c.personal_token_ttl, c.auth_code_ttl "
            f"FROM client c WHERE c.id = {p} AND c.revoked = {p}"
        )
        self._client_version_sql = f"SELECT version, revoked FROM client WHERE id = {p}"
        insert = (
            "INSERT INTO access_token (token_hash, token_hint, client_id, user_id, "
            "auth_code_id, name, scopes, grant_type, created_at, expires_at, revoked, jti)"
        )
        values = f"({p}, {p}, {p}, NULL, NULL, {p}, {p}, {p}, {p}, {p}, {p}, {p})"
        self._insert_sql = f"{insert} VALUES {values} RETURNING id"
        self.committer = GroupCommitter(store, insert, values)
        # Same columns and same state rules as ``TokenRows._query`` / ``_info``.
        self._token_sql = (
            "SELECT a.id, a.client_id, c.name, c.revoked, a.user_id, u.username, a.name, "
            "a.scopes, a.grant_type, a.created_at, a.expires_at, a.revoked, a.revoked_at, "
            "a.last_used_at, a.token_hint, a.jti, a.audience "
            "FROM access_token a JOIN client c ON c.id = a.client_id "
            f'LEFT OUTER JOIN "user" u ON u.id = a.user_id WHERE a.token_hash = {p}'
        )
        self._touch_sql = f"UPDATE access_token SET last_used_at = {p} WHERE id = {p}"
        self._stable_reads: StableReads | None = None
        self._stable_reads_of: object = None
        self._checked_this_turn = False

    def stable_reads(self) -> StableReads | None:
        """On the event loop over a SQLite file: the reads it keeps until another commit.

        None elsewhere (a pool thread, PostgreSQL, no endpoint running): read each time.
        """
        pending = _deferred.get()
        if pending is None or not self.committer.running:
            return None
        connection = self.committer.loop_connection()
        if connection is None:
            return None
        reads = self._stable_reads
        if reads is None or self._stable_reads_of is not connection:
            reads = self._stable_reads = StableReads(connection.data_version)
            self._stable_reads_of = connection
        if not self._checked_this_turn:
            # Once per turn of the loop, not per request (the pragma costs ~3 µs, a
            # turn answers ~6 requests): a change committed while one turn is answered
            # is seen by the next turn, a millisecond later; a token that raced it is
            # still revoked in its batch's transaction (``GroupCommitter``).
            reads.recheck()
            self._checked_this_turn = True
            asyncio.get_running_loop().call_soon(self._turn_ended)
        return reads

    def _turn_ended(self) -> None:
        self._checked_this_turn = False

    def write_off_loop(self, write: Callable[[], object]) -> asyncio.Future[int] | None:
        """Run ``write`` now, or on the event loop hand it to the writer thread.

        On the loop the answer waits for the returned future (it is queued with the
        request's other commits); None when ``write`` already ran here. The loop's
        Peewee connection waits up to its busy timeout (10 s) for SQLite's lock, and
        every connection of the loop would wait with it.
        """
        deferred = _deferred.get()
        if deferred is None or not self.committer.running:
            write()
            return None
        future = self.committer.submit_write(write)
        # Shielded: a request cancelled (its client gone) must not settle what callers
        # of the returned future count on before the write is done.
        deferred.append(asyncio.shield(future))
        return future

    def defined_scopes(self, names: Iterable[str]) -> Set[str]:
        """Which of ``names`` are defined scopes (``store.scopes.defined``), kept on the loop."""
        reads = self.stable_reads()
        if reads is None:
            return scope_table.defined(names)
        wanted = frozenset(names)
        if len(wanted) > KEPT_SCOPE_SETS_UP_TO:
            return scope_table.defined(wanted)
        return reads.get(
            ("scopes", wanted),
            lambda: frozenset(scope_table.defined(wanted)),
            keep=_always,
        )

    def access_token_and_audience(self, token: str) -> tuple[TokenInfo, tuple[str, ...]] | None:
        """The access token presented, in any state, and the resource servers it is bound to
        (RFC 8707): one read by its digest's unique index. The same answer as
        ``Tokens.find`` (and ``ResourceServers.audience_of``), without Peewee building
        the query."""
        row = self._store.db.execute_sql(self._token_sql, (crypto.digest(token),)).fetchone()
        if row is None:
            return None
        expires_at = _as_datetime(row[10]) if row[10] is not None else None
        revoked = bool(row[11])
        # A deleted client's tokens are dead even if their own row says otherwise
        # (see ``TokenRows._info``).
        if revoked or bool(row[3]):
            state = STATE_REVOKED
        elif expires_at is not None and expires_at <= self._store.clock.now():
            state = STATE_EXPIRED
        else:
            state = STATE_ACTIVE
        info = TokenInfo(
            id=row[0],
            client_id=row[1],
            client_name=row[2],
            user_id=row[4],
            username=row[5] if row[4] is not None else None,
            name=row[6],
            scopes=tuple(row[7].split()),
            grant_type=row[8],
            created_at=_as_datetime(row[9]),
            expires_at=expires_at,
            revoked=revoked,
            revoked_at=_as_datetime(row[12]) if row[12] is not None else None,
            last_used_at=_as_datetime(row[13]) if row[13] is not None else None,
            token_hint=row[14],
            state=state,
            token_format=token_format_of(row[15]),
        )
        return info, tuple((row[16] or "").split())

    def introspect_with_audience(
        self, token: str
    ) -> tuple[dict[str, object], tuple[str, ...]] | None:
        """RFC 7662 §2.2 claims of an access token, as ``Tokens.introspect`` gives them, and
        its audience, from one read. None when no access token has this digest: it may
        be a refresh token, which ``Tokens.introspect`` answers (rare: left to the ORM)."""
        found = self.access_token_and_audience(token)
        if found is None:
            return None
        info, audience = found
        if info.state != STATE_ACTIVE:
            return {"active": False}, ()
        body: dict[str, object] = {
            "active": True,
            "scope": " ".join(info.scopes),
            "client_id": str(info.client_id),
            "token_type": "Bearer",
            "iat": int(info.created_at.timestamp()),
        }
        if info.expires_at is not None:
            body["exp"] = int(info.expires_at.timestamp())
        if info.username:
            body["username"] = info.username
            body["sub"] = str(info.user_id)
        return body, audience

    def authenticate_bearer(self, token: str) -> TokenInfo | None:
        """The active access token presented, its last use recorded; None if not active.

        As ``Tokens.authenticate_bearer``, with the write batched by the group
        committer (awaited by the caller on the loop, see ``deferring_commits``)
        and skipped when the recorded use is less than ``TOUCH_RESOLUTION`` old.
        """
        found = self.bearer_and_audience(token)
        return found[0] if found is not None else None

    def bearer_and_audience(self, token: str) -> tuple[TokenInfo, tuple[str, ...]] | None:
        """``authenticate_bearer`` and the token's audience (RFC 8707), from one read."""
        found = self.access_token_and_audience(token)
        if found is None or found[0].state != STATE_ACTIVE:
            return None
        info = found[0]
        now = self._store.clock.now()
        if info.last_used_at is not None and now - info.last_used_at < TOUCH_RESOLUTION:
            # Used within the last second already: a token called flat out would
            # otherwise cost a write per request for a column shown to the second.
            return found
        deferred = _deferred.get()
        if deferred is not None and self.committer.running:
            deferred.append(self.committer.submit_touch(info.id, now))
        elif self.committer.running:
            self.committer.touch(info.id, now)
        else:
            with self._store.writing():
                self._store.db.execute_sql(self._touch_sql, (_UTC.db_value(now), info.id)).close()
        return found

    def client_for_auth(
        self, key: str, window: timedelta
    ) -> tuple[ClientInfo, str | None, int] | None:
        """The active client ``key``, its secret digest and its failures in ``window``.

        One indexed read where ``Clients.authenticate`` plus a rate-limit check
        would take two statements and ~450 µs of query building; on the loop,
        none while nothing was committed since (``stable_reads``). A client with
        recent failures is read each time: its count falls as the window slides.
        """
        reads = self.stable_reads()
        if reads is None:
            return self._read_client(key, window)
        return reads.get(
            ("client", key),
            lambda: self._read_client(key, window),
            keep=_without_failures,
        )

    def _read_client(
        self, key: str, window: timedelta
    ) -> tuple[ClientInfo, str | None, int] | None:
        since = _UTC.db_value(self._store.clock.now() - window)
        row = self._store.db.execute_sql(
            self._client_sql, (KIND_CLIENT, key, since, int(key), False)
        ).fetchone()
        if row is None:
            return None
        info = ClientInfo(
            id=row[0],
            name=row[1],
            redirect_uris=tuple(u for u in row[2].split("\n") if u),
            scopes=tuple(row[3].split()),
            authorization_code=bool(row[4]),
            password=bool(row[5]),
            personal_access=bool(row[6]),
            client_credentials=bool(row[7]),
            public=bool(row[8]),
            revoked=bool(row[9]),
            secret_hint=row[10],
            created_at=_as_datetime(row[11]),
            updated_at=_as_datetime(row[12]),
            version=int(row[15]),
            device=bool(row[16]),
            token_format=row[17],
            disabled=bool(row[18]),
            lifetimes=client_lifetimes(row[19:23]),
        )
        return info, row[13], int(row[14])

    def issue_client_token(
        self,
        client: ClientInfo,
        grant_type: str,
        scopes: tuple[str, ...],
        issuer: str | None = None,
    ) -> IssuedToken:
        """A token without user or refresh token, committed when this returns.

        With the endpoint running, the group committer writes it with others;
        otherwise one INSERT in autocommit mode is its own transaction. A
        ``jwt`` client's token is signed for ``issuer`` (``new_access_token``).
        """
        now = self._store.clock.now()
        lifetime = client.lifetimes.access or self._store.lifetimes.access
        expires_at = now + lifetime
        token, jti = new_access_token(
            self._store.signing_keys,
            token_format=client.token_format,
            issuer=issuer,
            client_id=client.id,
            user_id=None,
            scopes=scopes,
            issued_at=now,
            expires_at=expires_at,
        )
        hint = crypto.hint(token)
        params = (
            crypto.digest(token),
            hint,
            client.id,
            "",
            " ".join(scopes),
            grant_type,
            _UTC.db_value(now),
            _UTC.db_value(expires_at),
            False,
            jti,
        )
        deferred = _deferred.get()
        if deferred is not None and self.committer.running:
            # On the event loop: queue the INSERT; the caller awaits its commit (the
            # batch checks the client inside its transaction) before answering, so
            # the id is not known yet (the answer never shows it).
            deferred.append(self.committer.submit(params, check=(client.id, client.version)))
            token_id = 0
            revoked = False
        else:
            if self.committer.running:
                token_id = self.committer.insert(params)
            else:
                with self._store.writing():
                    cursor = self._store.db.execute_sql(self._insert_sql, params)
                    # Read to the end and close: SQLite commits the implicit
                    # transaction of an INSERT ... RETURNING only when it is reset.
                    token_id = cursor.fetchall()[0][0]
                    cursor.close()
            revoked = self._revoke_if_client_changed(client, token_id, now)
        info = TokenInfo.issued(
            id=token_id,
            client_id=client.id,
            client_name=client.name,
            user_id=None,
            username=None,
            name="",
            scopes=tuple(scopes),
            grant_type=grant_type,
            created_at=now,
            expires_at=expires_at,
            token_hint=hint,
            token_format=token_format_of(jti),
        )
        if revoked:
            info = dataclasses.replace(info, revoked=True, revoked_at=now, state=STATE_REVOKED)
        return IssuedToken(
            info=info,
            access_token=token,
            refresh_token=None,
            expires_in=int(lifetime.total_seconds()),
        )

    def _revoke_if_client_changed(self, client: ClientInfo, token_id: int, now: datetime) -> bool:
        """Revoke the token just committed if its client changed meanwhile; True if it did."""
        if not self._client_changed(client):
            return False
        self._revoke(token_id, now)
        return True

    def _client_changed(self, client: ClientInfo) -> bool:
        """Has the client changed since it was authenticated (``client.version``)?

        The client is read and its secret checked before the token is written,
        outside that write: a secret rotation, a grant switched off or a delete
        may commit in between, after its revocation ran. Read after the token's
        commit, a change means the token was won with what that change ended.
        """
        row = self._store.db.execute_sql(self._client_version_sql, (client.id,)).fetchone()
        return row is None or int(row[0]) != client.version or bool(row[1])

    def _revoke(self, token_id: int, now: datetime) -> None:
        """End a token the moment it was issued: as if the change had committed just after it."""
        p = self._store.db.param
        with self._store.atomic():
            self._store.db.execute_sql(
                f"UPDATE access_token SET revoked = {p}, revoked_at = {p} WHERE id = {p}",
                (True, _UTC.db_value(now), token_id),
            )


def _always(_value: object) -> bool:
    return True


def _without_failures(found: tuple[ClientInfo, str | None, int] | None) -> bool:
    return found is not None and found[2] == 0


def _as_datetime(value: int | datetime) -> datetime:
    return value if isinstance(value, datetime) else _UTC.python_value(value)
