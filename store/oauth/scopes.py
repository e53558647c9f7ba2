"""The ``scope`` parameter (RFC 6749 §3.3): parsed, then checked against the client and a bound."""

from __future__ import annotations

from authclients.store import validation
from authclients.store.oauth.errors import InvalidScope
from authclients.store.records import ClientInfo

SCOPE_PARAM_MAX = 2000


def check_scopes(
    raw: str, client: ClientInfo, *, within: tuple[str, ...] | None = None
) -> tuple[str, ...]:
    """Parse a ``scope`` parameter and check it against the client and an upper bound."""
    if len(raw) > SCOPE_PARAM_MAX:
        raise InvalidScope(f"The scope is too long (at most {SCOPE_PARAM_MAX} characters).")
    if raw != raw.strip() or "  " in raw:
        # RFC 6749 §3.3: scope-tokens separated by single spaces.
        raw = " ".join(raw.split())
    scopes, error = validation.clean_scopes(raw)
    if error:
        raise InvalidScope(error)
    if client.scopes:
        outside = [s for s in scopes if s not in client.scopes]
        if outside:
            raise InvalidScope(f"Client {client.id} may not ask for: {' '.join(outside)}.")
    if within is not None:
        wider = [s for s in scopes if s not in within]
        if wider:
            raise InvalidScope(
                f"A refreshed token may not be wider than the original: {' '.join(wider)}."
            )
    return scopes
