"""Every token of a token response, read and checked: what the playground's Token tab shows.

``read_tokens`` is quick and local (decode and claim checks, no network), so
the decoded view shows at once; ``verify_tokens`` adds each signature's
status and is blocking (it may fetch the issuer's JWKS): run it in a worker.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from authclients.store.oauth_client.jwks import JwksCache, KeySetResult
from authclients.store.oauth_client.jwt_decode import DecodedJwt, NotJwt, decode
from authclients.store.oauth_client.jwt_verify import (
    Check,
    SignatureStatus,
    check_access_token,
    check_id_token,
    verify_signature,
)
from authclients.store.oauth_client.tokens import TokenSet

ACCESS = "access token"
ID_TOKEN = "id_token"
REFRESH = "refresh token"
REFRESH_SOURCE = "refresh"
"""The title of a refresh request (``requests.refresh_request``): its tokens' ``source``."""


@dataclass(frozen=True)
class InspectContext:
    """What a token is checked against.

    Attributes:
        issuer: the issuer asked (its metadata's, or the base URL).
        jwks_url: where the issuer publishes its keys.
        client_id: the client the tokens were issued to (the ``aud`` of an id_token).
        nonce: the nonce the authorization request sent; empty when none was.
        now: UNIX seconds by the app's clock.
    """

    issuer: str
    jwks_url: str
    client_id: str = ""
    nonce: str = ""
    now: float = 0.0


@dataclass(frozen=True)
class TokenReport:
    """One token: decoded or why not, its signature once checked, its claim checks."""

    label: str
    decoded: DecodedJwt | NotJwt
    signature: SignatureStatus | None = None
    """None until ``verify_tokens`` ran (or for a token that is not a JWT)."""
    checks: tuple[Check, ...] = ()

    @property
    def jwt(self) -> DecodedJwt | None:
        return self.decoded if isinstance(self.decoded, DecodedJwt) else None


def read_tokens(tokens: TokenSet, context: InspectContext) -> list[TokenReport]:
    """The access token, the id_token and the refresh token, decoded and their claims checked.

    A refresh token that is not a JWT is left out: it is meant to be opaque.
    """
    reports = []
    access = decode(tokens.access_token)
    checks: list[Check] = []
    if isinstance(access, DecodedJwt):
        checks = check_access_token(access, issuer=context.issuer, now=context.now)
    reports.append(TokenReport(ACCESS, access, checks=tuple(checks)))
    if tokens.id_token:
        id_token = decode(tokens.id_token)
        checks = []
        if isinstance(id_token, DecodedJwt):
            checks = check_id_token(
                id_token,
                issuer=context.issuer,
                client_id=context.client_id,
                nonce=context.nonce,
                access_token=tokens.access_token,
                now=context.now,
                refreshed=tokens.source == REFRESH_SOURCE,
            )
        reports.append(TokenReport(ID_TOKEN, id_token, checks=tuple(checks)))
    if tokens.refresh_token:
        refresh = decode(tokens.refresh_token)
        if isinstance(refresh, DecodedJwt):
            reports.append(TokenReport(REFRESH, refresh))
    return reports


def verify_tokens(
    reports: list[TokenReport], context: InspectContext, cache: JwksCache
) -> list[TokenReport]:
    """``reports`` with every JWT's signature checked against the issuer's JWKS. Blocking."""
    done = []
    for report in reports:
        jwt = report.jwt
        if jwt is None:
            done.append(report)
            continue
        status = verify_signature(jwt, _key_set_for(jwt, context, cache))
        done.append(replace(report, signature=status))
    return done


def _key_set_for(jwt: DecodedJwt, context: InspectContext, cache: JwksCache) -> KeySetResult:
    alg = jwt.alg
    if alg.lower() == "none" or alg.upper().startswith("HS"):
        # Refused before any key is needed: no fetch for a token that cannot pass.
        return KeySetResult(context.jwks_url)
    return cache.get(context.jwks_url, kid=jwt.kid)
