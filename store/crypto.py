"""Secret and token generation, hashing and constant-time checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import bcrypt

SECRET_BYTES = 32
"""256 bits of randomness in every client secret, token and code."""

HINT_LENGTH = 4
DEFAULT_BCRYPT_ROUNDS = 12


def _random_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


_secret_source: Callable[[], str] = _random_secret
"""Where ``new_secret`` draws from: ``secrets``, except inside ``deterministic_secrets``."""


def new_secret() -> str:
    """A fresh URL-safe secret of 256 bits (43 characters)."""
    return _secret_source()


@contextmanager
def deterministic_secrets(seed: str) -> Iterator[None]:
    """Make ``new_secret`` predictable from ``seed`` for the duration of the block.

    Only for ``authclients screenshots``, whose throw-away databases must give the
    same pictures on every run. Anyone who knows the seed knows every secret made
    inside the block, so nothing real may ever be created here.
    """
    global _secret_source
    # itertools.count: the endpoint's threads may draw at the same time.
    counter = itertools.count(1)

    def derived() -> str:
        raw = hashlib.sha256(f"{seed}:{next(counter)}".encode()).digest()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

    previous, _secret_source = _secret_source, derived
    try:
        yield
    finally:
        _secret_source = previous


def digest(value: str) -> str:
    """SHA-256 hex digest: what we store for secrets and tokens we generated.

    Our secrets carry 256 bits of entropy, so a fast unsalted hash is safe and
    lets a presented token be found with one indexed lookup.
    """
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def keyed_digest(key: str, value: str) -> str:
    """HMAC-SHA256 (hex) of ``value`` under ``key``: equal inputs still meet in an index,
    but without the key the stored digest says nothing, even of a short guessable input."""
    return hmac.new(
        key.encode(), value.encode("utf-8", "surrogatepass"), hashlib.sha256
    ).hexdigest()


def hint(value: str) -> str:
    """The last characters of a secret, kept so admins can tell secrets apart."""
    return value[-HINT_LENGTH:]


def matches_digest(presented: str, stored_digest: str | None) -> bool:
    """Does ``presented`` hash to ``stored_digest``? Constant time in the digest."""
    if not stored_digest:
        # Still hash, so a missing secret takes as long as a wrong one.
        hmac.compare_digest(digest(presented), "0" * 64)
        return False
    return hmac.compare_digest(digest(presented), stored_digest)


def bcrypt_rounds() -> int:
    """Cost factor: 12 by default; ``AUTHCLIENTS_BCRYPT_ROUNDS`` lowers it for tests."""
    raw = os.environ.get("AUTHCLIENTS_BCRYPT_ROUNDS", "")
    try:
        rounds = int(raw) if raw else DEFAULT_BCRYPT_ROUNDS
    except ValueError:
        rounds = DEFAULT_BCRYPT_ROUNDS
    return min(max(rounds, 4), 31)


def hash_password(password: str, rounds: int | None = None) -> str:
    """A bcrypt hash of a human-chosen password.

    bcrypt reads at most 72 bytes; longer passwords are pre-hashed so that no
    part of them is silently ignored.
    """
    salt = bcrypt.gensalt(rounds or bcrypt_rounds())
    return bcrypt.hashpw(_bcrypt_input(password), salt).decode("ascii")


def check_password(password: str, password_hash: str) -> bool:
    """bcrypt's own check, which compares in constant time."""
    try:
        return bcrypt.checkpw(_bcrypt_input(password), password_hash.encode("ascii"))
    except ValueError:
        return False


_DUMMY_HASHES: dict[int, str] = {}


def burn_password_check(password: str, like: str | None = None) -> None:
    """Spend what a real check costs, so unknown users cannot be told from known ones.

    ``like`` is a stored hash whose cost to match (the users' passwords may
    have been hashed at another cost than this process's setting); without
    one, this process's cost.
    """
    rounds = _rounds_of(like) or bcrypt_rounds()
    dummy = _DUMMY_HASHES.get(rounds)
    if dummy is None:
        dummy = _DUMMY_HASHES[rounds] = hash_password(new_secret(), rounds)
    check_password(password, dummy)


def _rounds_of(password_hash: str | None) -> int | None:
    """The cost of a ``$2b$NN$...`` hash, or None if it is not one."""
    parts = (password_hash or "").split("$")
    if len(parts) < 4 or not parts[2].isdigit():
        return None
    rounds = int(parts[2])
    return rounds if 4 <= rounds <= 31 else None


def _bcrypt_input(password: str) -> bytes:
    raw = password.encode("utf-8", "surrogatepass")
    if len(raw) > 72:
        raw = base64.b64encode(hashlib.sha256(raw).digest())
    return raw
