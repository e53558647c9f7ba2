"""The ``scope`` parameter (RFC 6749 §3.3): parsed, then checked against the defined scopes,
the client and a bound.

Only scopes the server knows may be granted (Passport's ``tokensCan``): a
client with a scope list may ask for those, a client without one for any
*defined* scope, never an arbitrary string.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Set

from authclients.store import scopes as defined_scopes
from authclients.store import validation
from authclients.store.oauth.errors import InvalidScope
from authclients.store.records import ClientInfo

SCOPE_PARAM_MAX = 2000


def check_scopes(
    raw: str,
    client: ClientInfo,
    *,
    within: tuple[str, ...] | None = None,
    defined: Callable[[Iterable[str]], Set[str]] = defined_scopes.defined,
) -> tuple[str, ...]:
    """Parse a ``scope`` parameter and check it against the defined scopes, the client
    and an upper bound; ``InvalidScope`` names what is refused.

    ``defined`` answers which names are defined (the hot path's keeps the answer
    on the event loop until the next commit)."""
    if len(raw) > SCOPE_PARAM_MAX:
        raise InvalidScope(f"The scope is too long (at most {SCOPE_PARAM_MAX} characters).")
    # RFC 6749 §3.3: scope-tokens separated by spaces (%x20). Anything else, a newline,
    # a tab, NBSP or a C0 separator, is no separator but a character outside
    # scope-token: str.split() would have read "read\x1cwrite" as two scopes.
    tokens = [token for token in raw.split(" ") if token]
    bad = next((token for token in tokens if not validation.is_scope_token(token)), None)
    if bad is not None:
        raise InvalidScope(
            f"{_shown([bad[:60]])}: a scope is printable ASCII without spaces, quotes or "
            "backslashes, and scopes are separated by single spaces."
        )
    scopes, error = validation.clean_scopes(tokens)
    if error:
        raise InvalidScope(error)
    if client.scopes:
        outside = [s for s in scopes if s not in client.scopes]
        if outside:
            raise InvalidScope(f"Client {client.id} may not ask for: {_shown(outside)}.")
    if within is not None:
        wider = [s for s in scopes if s not in within]
        if wider:
            raise InvalidScope(
                f"A refreshed token may not be wider than the original: {_shown(wider)}."
            )
    known = defined(scopes)
    unknown = [s for s in scopes if s not in known]
    if unknown:
        raise InvalidScope(f"Unknown scope: {_shown(unknown)} (this server does not define it).")
    return scopes


def still_allowed(scopes: tuple[str, ...], client: ClientInfo) -> tuple[str, ...]:
    """``scopes`` less those the client may no longer have, in their order.

    The client's current list bounds them; a client with no list, the
    defined scopes. A refresh never carries a scope the admin has since
    taken away (issue 11, item 4).
    """
    if client.scopes:
        return tuple(s for s in scopes if s in client.scopes)
    known = defined_scopes.defined(scopes)
    return tuple(s for s in scopes if s in known)


def _shown(names: list[str], limit: int = 10) -> str:
    """At most ``limit`` names: a request of 2000 characters is not echoed whole."""
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return " ".join(names[:limit]) + more
