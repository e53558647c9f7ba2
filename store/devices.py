"""Device authorization requests (RFC 8628): codes, the approval, polling, redemption once.

A device asks for a pair of codes: a device code it keeps (stored as a digest,
like every secret we issue) and a short user code a person types elsewhere.
The person (on the approval page) or an admin (in the console) approves or
denies it; the device polls the token endpoint and gets its tokens exactly
once, even when two processes answer two of its polls at the same moment.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import peewee as pw

from authclients.store import crypto
from authclients.store.context import StoreContext
from authclients.store.errors import (
    AuthorizationPending,
    DeviceDenied,
    DeviceExpired,
    InvalidGrant,
    NotFound,
    PollTooFast,
    RateLimited,
    ValidationError,
)
from authclients.store.models import Client, DeviceRequest, User
from authclients.store.records import (
    DEVICE_APPROVED,
    DEVICE_DENIED,
    DEVICE_EXPIRED,
    DEVICE_PENDING,
    DEVICE_USED,
    DeviceInfo,
)
from authclients.store.records import DeviceRequest as NewDeviceRequest

USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
"""RFC 8628 §6.1's example: consonants only, no vowels (no words), no 0/O or 1/I to confuse."""
USER_CODE_LENGTH = 8
"""20^8 ≈ 2.6e10 codes (34 bits): with wrong codes rate-limited per address, out of reach."""
INTERVAL = 5
"""Seconds between polls (RFC 8628 §3.2's default)."""
SLOW_DOWN_STEP = 5
"""What ``slow_down`` adds to the interval (RFC 8628 §3.5)."""
POLL_GRACE = timedelta(milliseconds=250)
"""A poll this much early still counts as on time: network jitter, not impatience."""
PENDING_PER_CLIENT = 200
"""Live undecided requests one client may hold: a public client needs no secret to ask."""
LIST_MAX = 500

_FOLDED = str.maketrans("", "", "- \t\r\n")


def normalise_user_code(code: str) -> str:
    """``bcdf-ghjk``, ``BCDF GHJK`` and ``BCDFGHJK`` are one code: upper case, no separators."""
    return (code or "").upper().translate(_FOLDED)


def format_user_code(code: str) -> str:
    """``BCDFGHJK`` as shown and read aloud: ``BCDF-GHJK``."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def well_formed_user_code(code: str) -> bool:
    """Eight letters of the alphabet, once folded: anything else cannot be a code of ours."""
    folded = normalise_user_code(code)
    return len(folded) == USER_CODE_LENGTH and all(c in USER_CODE_ALPHABET for c in folded)


@dataclass(frozen=True)
class DeviceGrant:
    """An approved device request just redeemed: what its tokens are issued for."""

    id: int
    client_id: int
    user_id: int
    user_generation: int | None
    scopes: tuple[str, ...]


class Devices:
    """Device requests: make, list, find by user code, approve, deny, poll and redeem."""

    def __init__(self, store: StoreContext) -> None:
        self._store = store

    # -- the device's side ----------------------------------------------------

    def request(self, client_id: int, scopes: str | tuple[str, ...] = "") -> NewDeviceRequest:
        """A new request for the client: its device code in full (once) and its user code.

        The caller (the endpoint) has authenticated the client and checked the
        scopes; this refuses a deleted client and one without the device grant,
        and a client already holding ``PENDING_PER_CLIENT`` live requests.
        """
        scope_text = " ".join(scopes.split() if isinstance(scopes, str) else scopes)
        now = self._store.clock.now()
        expires_at = now + self._store.lifetimes.device_code
        device_code = crypto.new_secret()
        with self._store.atomic():
            client = Client.get_or_none((Client.id == client_id) & (Client.revoked == False))
            if client is None:
                raise NotFound("client", client_id)
            if not client.grant_device:
                raise ValidationError.single(
                    "client", f"Client {client_id} may not use the device grant."
                )
            live = (
                DeviceRequest.select()
                .where(
                    (DeviceRequest.client == client_id)
                    & (DeviceRequest.status == DEVICE_PENDING)
                    & (DeviceRequest.expires_at > now)
                )
                .count()
            )
            if live >= PENDING_PER_CLIENT:
                raise RateLimited(
                    f"Client {client_id} has {live} device requests waiting; "
                    "let some expire or be decided first.",
                    60,
                )
            row = self._insert(client_id, device_code, scope_text, now, expires_at)
        return NewDeviceRequest(
            info=self._info(row, client.name, None),
            device_code=device_code,
            expires_in=int((expires_at - now).total_seconds()),
            interval=row.interval,
        )

    def poll(self, device_code: str, client_id: int) -> DeviceGrant:
        """The device's poll (RFC 8628 §3.4-3.5): the grant once approved, else why not.

        Raises ``AuthorizationPending``, ``PollTooFast`` (the interval grows by
        ``SLOW_DOWN_STEP``), ``DeviceDenied``, ``DeviceExpired``, or
        ``InvalidGrant`` for a code that is unknown, another client's, or
        already redeemed. Call it inside a transaction (``Store.atomic``) and
        issue the tokens in the same one: the redemption is a conditional
        UPDATE, so of two polls racing in two processes exactly one gets the
        grant. A refusal writes (the poll time, a longer interval): catch it
        inside the transaction so that write commits.
        """
        now = self._store.clock.now()
        row = DeviceRequest.get_or_none(
            DeviceRequest.device_code_hash == crypto.digest(device_code or "")
        )
        if row is None or row.client_id != client_id:
            raise InvalidGrant("The device code is unknown or was issued to another client.")
        if row.status == DEVICE_USED:
            raise InvalidGrant("The device code was already used to obtain tokens.")
        if row.expires_at <= now:
            raise DeviceExpired("The device code expired; request a new one.")
        if row.status == DEVICE_DENIED:
            raise DeviceDenied("The user denied the request.")
        if row.status == DEVICE_PENDING:
            self._pending(row, now)
        with self._store.writing():
            claimed = (
                DeviceRequest.update(status=DEVICE_USED, last_polled_at=now)
                .where(
                    (DeviceRequest.id == row.id)
                    & (DeviceRequest.status == DEVICE_APPROVED)
                    & (DeviceRequest.expires_at > now)
                )
                .execute()
            )
        if claimed != 1:
            raise InvalidGrant("The device code was already used to obtain tokens.")
        return DeviceGrant(
            id=row.id,
            client_id=row.client_id,
            user_id=row.user_id,
            user_generation=row.user_generation,
            scopes=tuple(row.scopes.split()),
        )

    def link_token(self, device_id: int, access_token_id: int) -> None:
        """Remember which access token a redeemed request gave (the console lists it)."""
        with self._store.writing():
            DeviceRequest.update(access_token=access_token_id).where(
                DeviceRequest.id == device_id
            ).execute()

    # -- the person's (or the admin's) side ----------------------------------------

    def get(self, device_id: int) -> DeviceInfo:
        row = self._query().where(DeviceRequest.id == device_id).first()
        if row is None:
            raise NotFound("device request", device_id)
        return self._row_info(row)

    def pending(self) -> list[DeviceInfo]:
        """Requests waiting for a decision and not expired, newest first."""
        now = self._store.clock.now()
        query = (
            self._query()
            .where(
                (DeviceRequest.status == DEVICE_PENDING)
                & (DeviceRequest.expires_at > now)
                & (Client.revoked == False)
            )
            .order_by(DeviceRequest.id.desc())
            .limit(LIST_MAX)
        )
        return [self._row_info(r) for r in query]

    def find_by_user_code(self, code: str) -> DeviceInfo:
        """The pending request whose user code this is, however it was typed.

        Raises ``ValidationError`` for something that cannot be a code, or a code
        that expired or was already decided; ``NotFound`` for an unknown one.
        """
        if not well_formed_user_code(code):
            raise ValidationError.single(
                "user_code",
                f"A code is {USER_CODE_LENGTH} letters, such as BCDF-GHJK; check what the "
                "device shows.",
            )
        folded = normalise_user_code(code)
        row = self._query().where(DeviceRequest.user_code == folded).first()
        if row is None:
            raise NotFound("user code", format_user_code(folded))
        info = self._row_info(row)
        if row.client.revoked:
            raise ValidationError.single(
                "user_code", "The application that asked for this code was deleted."
            )
        if info.status == DEVICE_EXPIRED:
            raise ValidationError.single(
                "user_code", "This code expired; start again on the device for a new one."
            )
        if info.status != DEVICE_PENDING:
            raise ValidationError.single("user_code", f"This code was already {info.status}.")
        return info

    def approve(self, device_id: int, user_id: int) -> DeviceInfo:
        """Approve the pending request for the user: the device's next poll gets tokens.

        Refused (``ValidationError``) when the request is no longer pending, the
        user is not active, or the client was deleted or lost the device grant.
        """
        now = self._store.clock.now()
        with self._store.atomic():
            row = self._decidable(device_id, now)
            user = User.get_or_none(User.id == user_id)
            if user is None:
                raise NotFound("user", user_id)
            if not user.active:
                raise ValidationError.single(
                    "user", f"{user.username} is deactivated; activate the user first."
                )
            client = Client.get_by_id(row.client_id)
            if client.revoked or not client.grant_device:
                raise ValidationError.single(
                    "client", f"Client {client.id} may no longer use the device grant."
                )
            self._decide(
                row.id,
                now,
                status=DEVICE_APPROVED,
                user=user.id,
                user_generation=user.session_generation,
            )
            self._store.audit.record(
                "device.approve",
                "device",
                row.id,
                f"client={client.id} {client.name!r}; user={user.username!r}; "
                f"scopes={row.scopes!r}",
            )
        return self.get(device_id)

    def deny(self, device_id: int) -> DeviceInfo:
        """Deny the pending request: the device's next poll is ``access_denied``."""
        now = self._store.clock.now()
        with self._store.atomic():
            row = self._decidable(device_id, now)
            self._decide(row.id, now, status=DEVICE_DENIED)
            client = Client.get_by_id(row.client_id)
            self._store.audit.record(
                "device.deny", "device", row.id, f"client={client.id} {client.name!r}"
            )
        return self.get(device_id)

    def deny_for_user(self, device_id: int, user_id: int) -> DeviceInfo:
        """Deny, as a signed-in person on the approval page (the audit names them)."""
        now = self._store.clock.now()
        with self._store.atomic():
            row = self._decidable(device_id, now)
            self._decide(row.id, now, status=DEVICE_DENIED, user=user_id)
            client = Client.get_by_id(row.client_id)
            username = User.select(User.username).where(User.id == user_id).scalar()
            self._store.audit.record(
                "device.deny",
                "device",
                row.id,
                f"client={client.id} {client.name!r}; user={username!r}",
            )
        return self.get(device_id)

    # -- internals ---------------------------------------------------------------

    def _insert(
        self,
        client_id: int,
        device_code: str,
        scopes: str,
        now: datetime,
        expires_at: datetime,
    ) -> DeviceRequest:
        """Insert with a fresh user code; a clash with a code in the table draws again."""
        for _ in range(5):
            user_code = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))
            try:
                with self._store.db.atomic():  # a savepoint: a clash must not end the transaction
                    return DeviceRequest.create(
                        device_code_hash=crypto.digest(device_code),
                        user_code=user_code,
                        client=client_id,
                        scopes=scopes,
                        status=DEVICE_PENDING,
                        interval=INTERVAL,
                        created_at=now,
                        expires_at=expires_at,
                    )
            except pw.IntegrityError:
                continue
        raise RuntimeError("could not draw an unused user code in 5 tries")

    def _pending(self, row: DeviceRequest, now: datetime) -> None:
        """Record the poll; too early (RFC 8628 §3.5) lengthens the interval for good."""
        early = (
            row.last_polled_at is not None
            and now - row.last_polled_at < timedelta(seconds=row.interval) - POLL_GRACE
        )
        interval = row.interval + SLOW_DOWN_STEP if early else row.interval
        with self._store.writing():
            DeviceRequest.update(last_polled_at=now, interval=interval).where(
                (DeviceRequest.id == row.id) & (DeviceRequest.status == DEVICE_PENDING)
            ).execute()
        if early:
            raise PollTooFast(f"Polled too often: wait {interval} seconds between polls.", interval)
        raise AuthorizationPending("The user has not approved or denied the request yet.")

    def _decidable(self, device_id: int, now: datetime) -> DeviceRequest:
        query = DeviceRequest.select().where(DeviceRequest.id == device_id)
        if isinstance(self._store.db, pw.PostgresqlDatabase):
            # Held to commit: a second decision waits, then sees this one's.
            query = query.for_update()
        row = query.first()
        if row is None:
            raise NotFound("device request", device_id)
        if row.status != DEVICE_PENDING:
            raise ValidationError.single(
                "device", f"Device request {device_id} was already {row.status}."
            )
        if row.expires_at <= now:
            raise ValidationError.single(
                "device", f"Device request {device_id} expired; the device must start again."
            )
        return row

    def _decide(self, device_id: int, now: datetime, **values: object) -> None:
        decided = (
            DeviceRequest.update(decided_at=now, decided_by=self._store.actor, **values)
            .where((DeviceRequest.id == device_id) & (DeviceRequest.status == DEVICE_PENDING))
            .execute()
        )
        if decided != 1:
            raise ValidationError.single(
                "device", f"Device request {device_id} was decided meanwhile."
            )

    @staticmethod
    def _query() -> pw.ModelSelect:
        return (
            DeviceRequest.select(
                DeviceRequest, Client.id, Client.name, Client.revoked, User.id, User.username
            )
            .join(Client, on=(DeviceRequest.client == Client.id))
            .switch(DeviceRequest)
            .join(User, pw.JOIN.LEFT_OUTER, on=(DeviceRequest.user == User.id))
        )

    def _row_info(self, row: DeviceRequest) -> DeviceInfo:
        user = row.user if row.user_id is not None else None
        return self._info(row, row.client.name, user.username if user is not None else None)

    def _info(self, row: DeviceRequest, client_name: str, username: str | None) -> DeviceInfo:
        status = row.status
        expired = row.expires_at <= self._store.clock.now()
        if expired and status in (DEVICE_PENDING, DEVICE_APPROVED):
            status = DEVICE_EXPIRED
        return DeviceInfo(
            id=row.id,
            client_id=row.client_id,
            client_name=client_name,
            user_code=format_user_code(row.user_code),
            scopes=tuple(row.scopes.split()),
            created_at=row.created_at,
            expires_at=row.expires_at,
            interval=row.interval,
            status=status,
            user_id=row.user_id,
            username=username,
            decided_at=row.decided_at,
            decided_by=row.decided_by,
            access_token_id=row.access_token_id,
        )
