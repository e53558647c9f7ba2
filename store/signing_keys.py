"""The keys that sign JWTs: made on first use, rotated with a grace period, published as a JWKS.

A key's life: *next* (published, not yet signing: relying parties that
cached the JWKS fetch it before it matters), *active* (signs), *retiring*
(stopped signing, still published until every token it signed has expired),
*retired* (gone from the JWKS). The private key stays in the database file
(mode 0600); nothing here returns it, and ``SigningKeyInfo`` has no field for
it. JOSE work is joserfc's (RFC 7515, 7517, 7518, 7638): no crypto of our own.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from authclients.store.context import StoreContext
from authclients.store.errors import NotFound, ValidationError
from authclients.store.models import SigningKey

ES256 = "ES256"
RS256 = "RS256"
ALGORITHMS = (ES256, RS256)
DEFAULT_ALG = ES256

JWKS_MAX_AGE = 300
"""Seconds a relying party may cache ``/oauth/jwks`` (its ``Cache-Control: max-age``)."""
GRACE = timedelta(seconds=JWKS_MAX_AGE)
"""A rotated-in key signs only after this: every cached JWKS has expired and holds it by then."""
CLOCK_SKEW = timedelta(minutes=5)
"""Extra time a stopped key stays published, for relying parties whose clocks run late."""
CACHE_SECONDS = 5.0
"""How long a process signs with the key it read before reading again. A rotation's
grace period is far longer, so every process has the new key before it is needed."""

STATE_NEXT = "next"
STATE_ACTIVE = "active"
STATE_RETIRING = "retiring"
STATE_RETIRED = "retired"
KEY_STATES = (STATE_NEXT, STATE_ACTIVE, STATE_RETIRING, STATE_RETIRED)


@dataclass(frozen=True)
class SigningKeyInfo:
    """A signing key as an admin sees it: never its private half."""

    kid: str
    alg: str
    state: str
    created_at: datetime
    active_from: datetime
    retired_at: datetime | None
    published_until: datetime | None


class Signer:
    """One private key, loaded for signing; built only by ``SigningKeys.signer``."""

    def __init__(self, kid: str, alg: str, key: ECKey | RSAKey) -> None:
        self.kid = kid
        self.alg = alg
        self._key = key

    def sign(self, claims: dict[str, object], *, typ: str = "JWT") -> str:
        """A compact JWS of ``claims`` with ``alg``, ``kid`` and ``typ`` in its header."""
        header = {"alg": self.alg, "typ": typ, "kid": self.kid}
        return jwt.encode(header, claims, self._key, algorithms=[self.alg])

    def __repr__(self) -> str:  # never the key, even in a traceback's locals
        return f"Signer(kid={self.kid!r}, alg={self.alg!r})"


class SigningKeys:
    """List, rotate and retire signing keys; the JWKS; the signer of this moment."""

    def __init__(self, store: StoreContext) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._cached: tuple[Signer, float] | None = None
        """The signer and the monotonic-free clock time (seconds) until which it stays."""

    # -- reading ----------------------------------------------------------------

    def list(self) -> list[SigningKeyInfo]:
        """Every key, newest first, with its state now."""
        now = self._store.clock.now()
        rows = list(SigningKey.select().order_by(SigningKey.id.desc()))
        active = _active_row(rows, now)
        return [_info(row, now, active) for row in rows]

    def jwks(self) -> dict[str, object]:
        """The public keys relying parties may meet (RFC 7517 §5): next, active and retiring.

        Generates the first key if there is none, so the document is never empty
        once anything could have been signed.
        """
        self.signer()
        now = self._store.clock.now()
        rows = SigningKey.select().order_by(SigningKey.id.desc())
        keys = [
            json.loads(row.public_jwk)
            for row in rows
            if row.published_until is None or row.published_until > now
        ]
        return {"keys": keys}

    def signer(self) -> Signer:
        """The key that signs now: cached for ``CACHE_SECONDS``, made on first use."""
        now = self._store.clock.now()
        cached = self._cached
        if cached is not None and now.timestamp() < cached[1]:
            return cached[0]
        with self._lock:
            rows = list(SigningKey.select().order_by(SigningKey.id.desc()))
            row = _active_row(rows, now)
            if row is None:
                row = self._first_key(now)
                rows = list(SigningKey.select().order_by(SigningKey.id.desc()))
            signer = Signer(row.kid, row.alg, _load_private(row))
            until = now.timestamp() + CACHE_SECONDS
            # Never past the moment another key takes over or this one stops.
            for other in rows:
                for moment in (other.active_from, other.retired_at):
                    if moment is not None and moment > now:
                        until = min(until, moment.timestamp())
            self._cached = (signer, until)
            return signer

    def forget(self) -> None:
        """Drop the cached signer (after a change made through this object)."""
        self._cached = None

    # -- changing ---------------------------------------------------------------

    def rotate(self, alg: str = DEFAULT_ALG, *, grace: timedelta = GRACE) -> SigningKeyInfo:
        """A new key, published at once, signing after ``grace``; the keys before it stop then.

        Every key still signing (or due to) stops at the new key's start and stays
        published until the tokens it signed have expired.
        """
        alg = _check_alg(alg)
        if grace < timedelta(0):
            raise ValidationError.single("grace", "The grace period cannot be negative.")
        now = self._store.clock.now()
        with self._store.atomic():
            signing = SigningKey.select().where(SigningKey.retired_at.is_null()).exists()
            # With no key before it, nothing is cached anywhere: no reason to wait.
            start = now + grace if signing else now
            self._stop_all(start)
            row = self._create(alg, now, start)
            self._store.audit.record(
                "key.rotate",
                "signing_key",
                row.kid,
                f"alg={alg}; signs from {start:%Y-%m-%d %H:%M:%S}Z",
            )
        self.forget()
        return self.get(row.kid)

    def retire(self, kid: str) -> SigningKeyInfo:
        """Stop signing with ``kid`` now; it stays published until what it signed has expired.

        Retiring the key that signs makes the next one sign at once (already
        published), or, without one, a new key of the same algorithm.
        """
        now = self._store.clock.now()
        with self._store.atomic():
            row = SigningKey.get_or_none(SigningKey.kid == (kid or "").strip())
            if row is None:
                raise NotFound("signing key", kid)
            rows = list(SigningKey.select().order_by(SigningKey.id.desc()))
            was_active = (active := _active_row(rows, now)) is not None and active.id == row.id
            if row.retired_at is not None and row.retired_at <= now:
                raise ValidationError.single("kid", f"Key {row.kid} is already retired.")
            signed = row.active_from <= now
            row.retired_at = now
            # A key that never signed has nothing out there to verify: drop it at once.
            row.published_until = now + self._keep() if signed else now
            row.save()
            detail = "was signing" if was_active else ("never signed" if not signed else "")
            if was_active:
                waiting = [
                    r
                    for r in rows
                    if r.id != row.id and r.active_from > now and r.retired_at is None
                ]
                if waiting:
                    successor = waiting[0]
                    successor.active_from = now
                    successor.save()
                else:
                    successor = self._create(row.alg, now, now)
                detail += f"; {successor.kid} signs from now"
            self._store.audit.record("key.retire", "signing_key", row.kid, detail)
        self.forget()
        return self.get(row.kid)

    def get(self, kid: str) -> SigningKeyInfo:
        for info in self.list():
            if info.kid == kid:
                return info
        raise NotFound("signing key", kid)

    # -- internals ------------------------------------------------------------------

    def _keep(self) -> timedelta:
        """How long a key stays published after it stops: the longest token it signs, plus skew."""
        return self._store.lifetimes.access + CLOCK_SKEW

    def _stop_all(self, at: datetime) -> None:
        keep_until = at + self._keep()
        for row in SigningKey.select().where(SigningKey.retired_at.is_null()):
            row.retired_at = at
            row.published_until = keep_until if row.active_from < at else at
            row.save()

    def _first_key(self, now: datetime) -> SigningKey:
        """No key signs now: make one that signs at once (re-checked inside the write)."""
        with self._store.atomic():
            rows = list(SigningKey.select().order_by(SigningKey.id.desc()))
            row = _active_row(rows, now)
            if row is not None:
                return row
            row = self._create(DEFAULT_ALG, now, now)
            self._store.audit.record("key.create", "signing_key", row.kid, f"alg={DEFAULT_ALG}")
            return row

    def _create(self, alg: str, now: datetime, active_from: datetime) -> SigningKey:
        if alg == RS256:
            key: ECKey | RSAKey = RSAKey.generate_key(2048, private=True)
        else:
            key = ECKey.generate_key("P-256", private=True)
        kid = key.thumbprint()  # RFC 7638: names the key by its public half
        public = {**key.as_dict(private=False), "kid": kid, "alg": alg, "use": "sig"}
        return SigningKey.create(
            kid=kid,
            alg=alg,
            private_key=key.as_pem(private=True).decode("ascii"),
            public_jwk=json.dumps(public, sort_keys=True),
            created_at=now,
            active_from=active_from,
        )


def _check_alg(alg: str) -> str:
    value = (alg or "").strip().upper()
    if value not in ALGORITHMS:
        raise ValidationError.single("alg", f"The algorithm is one of: {', '.join(ALGORITHMS)}.")
    return value


def _active_row(rows: list[SigningKey], now: datetime) -> SigningKey | None:
    """The key that signs at ``now``: the latest started among those not stopped."""
    live = [
        r for r in rows if r.active_from <= now and (r.retired_at is None or r.retired_at > now)
    ]
    if not live:
        return None
    return max(live, key=lambda r: (r.active_from, r.id))


def _info(row: SigningKey, now: datetime, active: SigningKey | None) -> SigningKeyInfo:
    if active is not None and row.id == active.id:
        state = STATE_ACTIVE
    elif row.retired_at is not None and row.retired_at <= now:
        published = row.published_until is None or row.published_until > now
        state = STATE_RETIRING if published else STATE_RETIRED
    elif row.active_from > now:
        state = STATE_NEXT
    else:
        # Started and not stopped, but a later key signs (two made at once): still published.
        state = STATE_RETIRING
    return SigningKeyInfo(
        kid=row.kid,
        alg=row.alg,
        state=state,
        created_at=row.created_at,
        active_from=row.active_from,
        retired_at=row.retired_at,
        published_until=row.published_until,
    )


def _load_private(row: SigningKey) -> ECKey | RSAKey:
    if row.alg == RS256:
        return RSAKey.import_key(row.private_key)
    return ECKey.import_key(row.private_key)
