"""Resource indicators (RFC 8707): which protected resources a code or token is for.

``resource`` may be repeated on ``/oauth/authorize`` and ``/oauth/token``
(the HTTP layer joins the values with spaces, which no valid one contains).
Each must be an absolute URI without fragment that names a resource server
defined here; anything else is ``invalid_target``. A token request may ask
for some of what the owner granted, never more: a code exchange within the
code's resources, a refresh within the family's audience.
"""

from __future__ import annotations

from collections.abc import Mapping

from authclients.store.oauth.errors import InvalidTarget
from authclients.store.resources import RESOURCES_PER_REQUEST, check_resource_uri
from authclients.store.service import Store


def requested_resources(store: Store, params: Mapping[str, str]) -> tuple[str, ...]:
    """The ``resource`` values of a request, checked and known; ``()`` when none."""
    raw = params.get("resource", "")
    if not raw:
        return ()
    values: list[str] = []
    for value in raw.split(" "):
        if value not in values:
            values.append(value)
    if len(values) > RESOURCES_PER_REQUEST:
        raise InvalidTarget(f"At most {RESOURCES_PER_REQUEST} resource parameters.")
    for value in values:
        error = check_resource_uri(value)
        if error:
            raise InvalidTarget(f"resource {_short(value)!r}: {error}")
    unknown = store.resources.unknown(tuple(values))
    if unknown:
        raise InvalidTarget(
            f"resource {_short(unknown[0])!r} is not a resource server this authorization "
            "server knows (authclients resources add URI)."
        )
    return tuple(values)


def within(requested: tuple[str, ...], granted: tuple[str, ...]) -> tuple[str, ...]:
    """The audience of a token asked for ``requested`` under a grant of ``granted``.

    Nothing asked: all that was granted. Asked: a subset of it, or
    ``invalid_target`` (RFC 8707 §2.2: never wider than the grant).
    """
    if not requested:
        return granted
    wider = [r for r in requested if r not in granted]
    if wider:
        raise InvalidTarget(
            f"resource {_short(wider[0])!r} was not granted; a token may be narrowed to the "
            "granted resources, never widened."
        )
    return requested


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
