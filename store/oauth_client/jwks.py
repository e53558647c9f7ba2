"""An issuer's JSON Web Key Set (RFC 7517 §5): fetched over HTTP with limits, cached per URL.

Blocking: call it from a worker thread. One ``JwksCache`` lives for the run of
the app, so every token of an issuer is checked against one fetch, and a key
set is fetched again only when a token names a ``kid`` it does not hold (the
issuer rotated), at most once per ``REFETCH_AFTER`` seconds.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry, Key

# Looked up as ``http.send`` at call time: the screenshots point it at the real port.
from authclients.store.oauth_client import http
from authclients.store.oauth_client.http import HttpRequest, TransportError

MAX_JWKS_BYTES = 256 * 1024
"""A key set larger than this is refused: a few dozen RSA keys fit in a tenth of it."""
MAX_KEYS = 100
JWKS_TIMEOUT = 5.0
"""Seconds for the whole answer: the decoded token is shown meanwhile, only the status waits."""
REFETCH_AFTER = 30.0
"""An unknown ``kid`` fetches the set again only if the copy held is older than this."""


@dataclass(frozen=True)
class KeySetResult:
    """The usable public keys of a key set, or why there are none.

    Attributes:
        url: where it was fetched from.
        keys: (kid or None, key, the JWK's own members) for each usable signing key.
        error: why the set could not be used ("JWKS unreachable: …"); empty when fetched.
        skipped: keys left out, each with why (a symmetric key, an unknown type).
        fetched_at: monotonic seconds of the fetch.
    """

    url: str
    keys: tuple[tuple[str | None, Key, dict[str, object]], ...] = ()
    error: str = ""
    skipped: tuple[str, ...] = field(default_factory=tuple)
    fetched_at: float = 0.0

    def by_kid(self, kid: str | None) -> list[tuple[Key, dict[str, object]]]:
        """The keys that ``kid`` names; every key when the token names none."""
        return [(key, jwk) for k, key, jwk in self.keys if kid is None or k == kid]


def read_key_set(url: str, document: object) -> KeySetResult:
    """The public signing keys in a parsed JWKS document; private or symmetric ones refused."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        return KeySetResult(url, error=f'JWKS at {url} is not a key set (no "keys" list)')
    entries = document["keys"]
    if len(entries) > MAX_KEYS:
        return KeySetResult(url, error=f"JWKS at {url} has {len(entries)} keys, over {MAX_KEYS}")
    keys: list[tuple[str | None, Key, dict[str, object]]] = []
    skipped: list[str] = []
    for index, jwk in enumerate(entries):
        if not isinstance(jwk, dict):
            skipped.append(f"key {index}: not an object")
            continue
        kid = jwk.get("kid") if isinstance(jwk.get("kid"), str) else None
        name = f"key {kid!r}" if kid is not None else f"key {index}"
        kty = jwk.get("kty")
        if kty not in ("EC", "RSA", "OKP"):
            # "oct" above all: a shared secret has no place in a public key set, and
            # taking one would let anyone who read it sign tokens (RFC 8725 §3.1).
            skipped.append(f"{name}: kty {kty!r} is not a public signing key type")
            continue
        if "d" in jwk:
            skipped.append(f"{name}: a private key published in a JWKS is not used")
            continue
        if jwk.get("use", "sig") != "sig":
            skipped.append(f"{name}: use {jwk.get('use')!r}, not sig")
            continue
        try:
            key = JWKRegistry.import_key(dict(jwk))
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            skipped.append(f"{name}: not a valid {kty} key ({type(exc).__name__})")
            continue
        keys.append((kid, key, jwk))
    return KeySetResult(url, tuple(keys), skipped=tuple(skipped), fetched_at=time.monotonic())


def fetch_key_set(url: str, *, timeout: float = JWKS_TIMEOUT) -> KeySetResult:
    """GET ``url`` and read it as a JWKS; every failure is a result with ``error``."""
    if not url:
        return KeySetResult(url, error="no JWKS URL known for this server: Discover it first")
    request = HttpRequest("jwks", "GET", url, (("Accept", "application/json"),))
    try:
        response = http.send(request, timeout=timeout, max_bytes=MAX_JWKS_BYTES)
    except TransportError as exc:
        return KeySetResult(url, error=f"JWKS unreachable: {exc.message}")
    if not response.ok:
        return KeySetResult(url, error=f"JWKS unreachable: {url} answered {response.status}")
    document = response.json()
    if document is None:
        kind = response.header("Content-Type") or "no content type"
        return KeySetResult(url, error=f"JWKS at {url} is not a JSON object ({kind})")
    return read_key_set(url, document)


class JwksCache:
    """Key sets by URL for the run; thread-safe, one fetch at a time per cache."""

    def __init__(self, *, timeout: float = JWKS_TIMEOUT) -> None:
        self.timeout = timeout
        self._sets: dict[str, KeySetResult] = {}
        self._lock = threading.Lock()
        self.fetches = 0
        """How many times a key set was fetched (tests check the cache holds)."""

    def seed(self, url: str, document: dict[str, object]) -> KeySetResult:
        """Hold ``document`` as the key set at ``url`` without fetching it (snapshots, demos)."""
        result = read_key_set(url, document)
        with self._lock:
            self._sets[url] = result
        return result

    def get(self, url: str, *, kid: str | None = None) -> KeySetResult:
        """The key set at ``url``: the held one, or fetched when none is held, the last
        fetch failed, or ``kid`` is not in it and the copy is older than ``REFETCH_AFTER``."""
        with self._lock:
            held = self._sets.get(url)
            if held is not None and not held.error:
                known = kid is None or any(k == kid for k, _, _ in held.keys)
                if known or time.monotonic() - held.fetched_at < REFETCH_AFTER:
                    return held
            fetched = fetch_key_set(url, timeout=self.timeout)
            self.fetches += 1
            if not fetched.error or held is None or held.error:
                self._sets[url] = fetched
            return fetched
