"""A JWT's signature against its issuer's JWKS, and its claims the way a relying party checks them.

The signature is checked by joserfc with one algorithm allowed (the one the
header names, and only when it is an asymmetric one of ``ALLOWED_ALGS``) and
the one key the header's ``kid`` names. ``alg: none`` and every HMAC
algorithm are refused before any key is looked at: with a public key as the
HMAC secret anyone could sign (RFC 8725 §2.1, §3.1).
"""

from __future__ import annotations

import base64
import hashlib
import warnings
from dataclasses import dataclass

from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError, SecurityWarning
from joserfc.jws import JWSRegistry

from authclients.store.oauth_client.jwks import KeySetResult
from authclients.store.oauth_client.jwt_decode import MAX_NUMERIC_DATE, DecodedJwt, relative

ALLOWED_ALGS = (
    "ES256",
    "ES384",
    "ES512",
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "EdDSA",
    "Ed25519",
)
"""Asymmetric algorithms only: the playground holds public keys, never a shared secret."""
LEEWAY = 60
"""Seconds of clock skew forgiven on ``exp``, ``nbf`` and ``iat`` (OIDC Core §3.1.3.7)."""
_AT_HASH = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}


@dataclass(frozen=True)
class SignatureStatus:
    """Whether the signature holds: ``valid``, and the words to show either way."""

    valid: bool
    message: str
    kid: str | None = None


@dataclass(frozen=True)
class Check:
    """One relying-party check: its name, whether it passed, and what was found."""

    name: str
    ok: bool
    detail: str


def _registry(alg: str) -> JWSRegistry:
    registry = JWSRegistry(algorithms=[alg], strict_check_header=False)
    # Room for an x5c chain in the header; the payload is bounded by jwt_decode already.
    registry.max_header_length = 16 * 1024
    registry.max_payload_length = 32 * 1024
    return registry


def verify_signature(jwt: DecodedJwt, key_set: KeySetResult) -> SignatureStatus:
    """Check ``jwt``'s signature with the key its header names in ``key_set``; never raises."""
    alg, kid = jwt.alg, jwt.kid
    if alg.lower() == "none":
        return SignatureStatus(False, f"alg {alg} refused: an unsigned token proves nothing")
    if alg not in ALLOWED_ALGS:
        why = "an HMAC secret, not a public key" if alg.upper().startswith("HS") else "not allowed"
        shown = alg if len(alg) <= 40 else f"{alg[:40]}…"
        return SignatureStatus(False, f"alg {shown} refused: {why} (allowed: asymmetric only)")
    if "kid" in jwt.header and kid is None:
        return SignatureStatus(False, "kid in the header is not a string")
    if key_set.error:
        return SignatureStatus(False, key_set.error, kid)
    candidates = key_set.by_kid(kid)
    if not candidates:
        held = ", ".join(sorted({k for k, _, _ in key_set.keys if k})) or "none with a kid"
        if len(held) > 200:
            held = f"{held[:200]}…"
        why = f"unknown kid {_short(kid)}: the issuer's JWKS holds {held}"
        return SignatureStatus(False, why, kid)
    # Only keys whose type (and declared alg, if any) fit the header's alg are tried.
    fitting = [(key, jwk) for key, jwk in candidates if jwk.get("alg", alg) == alg]
    if not fitting:
        why = f"the key {_short(kid)} is declared for another alg than {alg}"
        return SignatureStatus(False, why, kid)
    last = ""
    for key, jwk in fitting:
        try:
            with warnings.catch_warnings():
                # joserfc warns that "EdDSA" is deprecated for "Ed25519" (RFC 9864): issuers
                # still sign with it, and the warning would land on the console's screen.
                warnings.simplefilter("ignore", SecurityWarning)
                jws.deserialize_compact(jwt.token, key, registry=_registry(alg))
        except BadSignatureError:
            last = "bad signature: the token was changed or signed with another key"
        except JoseError as exc:
            last = f"not verified: {exc.description or exc.error}"
        except (ValueError, TypeError) as exc:
            last = f"not verified: {type(exc).__name__}"
        else:
            used = kid if kid is not None else _jwk_kid(jwk)
            message = f"signature valid, key kid {used or '(none)'} ({alg})"
            return SignatureStatus(True, message, used)
    return SignatureStatus(False, last, kid)


def _jwk_kid(jwk: dict[str, object]) -> str | None:
    kid = jwk.get("kid")
    return kid if isinstance(kid, str) else None


# -- claims ---------------------------------------------------------------------------------


def _number(claims: dict[str, object], name: str) -> float | None:
    """A NumericDate claim, or None when missing, not a number, or beyond year 9999."""
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not -MAX_NUMERIC_DATE <= value <= MAX_NUMERIC_DATE:
        return None
    return float(value)


def _short(value: object) -> str:
    """A claim's value inside a check's words: repr, cut (the value may be megabytes)."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:80]}… ({len(text)} characters)"


def _time_checks(claims: dict[str, object], now: float, *, iat_required: bool) -> list[Check]:
    checks = []
    exp = _number(claims, "exp")
    if exp is None:
        checks.append(Check("exp", False, "missing, not a number, or past the year 9999"))
    elif exp + LEEWAY <= now:
        checks.append(Check("exp", False, f"expired {relative(exp - now)}"))
    else:
        checks.append(Check("exp", True, f"expires {relative(exp - now)}"))
    iat = _number(claims, "iat")
    if iat is None:
        if iat_required:
            checks.append(Check("iat", False, "missing, not a number, or past the year 9999"))
    elif iat > now + LEEWAY:
        checks.append(Check("iat", False, f"issued {relative(iat - now)}: in the future"))
    elif exp is not None and iat > exp:
        checks.append(Check("iat", False, "issued after it expires"))
    else:
        checks.append(Check("iat", True, "issued in the past"))
    nbf = _number(claims, "nbf")
    if nbf is not None and nbf > now + LEEWAY:
        checks.append(Check("nbf", False, f"not valid before {relative(nbf - now)}"))
    return checks


def _issuer_check(claims: dict[str, object], issuer: str) -> Check:
    iss = claims.get("iss")
    # Exact string comparison (OIDC Core §3.1.3.7 step 2): no normalising of a slash.
    if iss == issuer:
        return Check("iss", True, f"{issuer}")
    got = _short(iss) if iss is not None else "missing"
    return Check("iss", False, f"{got}, expected {issuer!r}: a token from another issuer")


def at_hash(access_token: str, alg: str) -> str | None:
    """The ``at_hash`` of ``access_token`` for ``alg`` (OIDC Core §3.1.3.6); None if unknown."""
    digest = _AT_HASH.get(alg[-3:]) if alg[:2] in ("ES", "RS", "PS") else None
    if alg in ("EdDSA", "Ed25519"):
        digest = hashlib.sha512  # Ed25519's own hash, as the OpenID registry says
    if digest is None:
        return None
    full = digest(access_token.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(full[: len(full) // 2]).rstrip(b"=").decode("ascii")


def check_id_token(
    jwt: DecodedJwt,
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    access_token: str,
    now: float,
    refreshed: bool = False,
) -> list[Check]:
    """OIDC Core §3.1.3.7 steps 2-11 on an ``id_token`` (the signature is step 6, apart).

    Args:
        issuer: the issuer the playground asked (its metadata's, or the base URL).
        nonce: the nonce the authorization request sent; empty: none was sent.
        access_token: the access token of the same response, for ``at_hash``.
        now: UNIX seconds by the app's clock.
        refreshed: from a refresh grant, where the nonce may be left out (OIDC Core §12.2)
            but, when there, is the original one.
    """
    claims = jwt.claims
    checks = [_issuer_check(claims, issuer)]
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if client_id and client_id in audiences:
        checks.append(Check("aud", True, f"contains client {client_id}"))
    else:
        checks.append(Check("aud", False, f"{_short(aud)} does not contain client {client_id!r}"))
    if len(audiences) > 1:
        azp = claims.get("azp")
        ok = azp == client_id
        detail = f"azp {_short(azp)}" + (
            "" if ok else f", expected {client_id!r} (several audiences)"
        )
        checks.append(Check("azp", ok, detail))
    checks += _time_checks(claims, now, iat_required=True)
    got = claims.get("nonce")
    if nonce:
        if got == nonce:
            checks.append(Check("nonce", True, "the one sent"))
        elif got is None and refreshed:
            checks.append(Check("nonce", True, "none, as a refreshed id_token may have"))
        else:
            shown = _short(got) if got is not None else "missing"
            checks.append(Check("nonce", False, f"{shown}, sent {nonce!r}: a replayed token?"))
    elif got is not None:
        checks.append(Check("nonce", False, "present, but no nonce was sent"))
    if "at_hash" in claims:
        expected = at_hash(access_token, jwt.alg)
        ok = expected is not None and claims["at_hash"] == expected
        detail = "matches the access token" if ok else "does not match the access token"
        checks.append(Check("at_hash", ok, detail))
    return checks


def check_access_token(jwt: DecodedJwt, *, issuer: str, now: float) -> list[Check]:
    """RFC 9068 §4 as far as a client can check: ``typ``, ``iss``, the times, the claims."""
    typ = jwt.typ.lower()
    checks = [
        Check("typ", True, jwt.typ)
        if typ in ("at+jwt", "application/at+jwt")
        else Check("typ", False, f"{_short(jwt.typ or 'missing')}, not at+jwt (RFC 9068 §2.1)")
    ]
    checks.append(_issuer_check(jwt.claims, issuer))
    checks += _time_checks(jwt.claims, now, iat_required=True)
    required = ("iss", "exp", "aud", "sub", "client_id", "iat", "jti")
    missing = [name for name in required if name not in jwt.claims]
    detail = "missing " + ", ".join(missing) if missing else "all of RFC 9068 §2.2 present"
    checks.append(Check("claims", not missing, detail))
    return checks
