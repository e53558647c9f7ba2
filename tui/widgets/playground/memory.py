"""What the playground remembers across openings within one run of the app."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.app import App

from authclients.store import oauth_client as oc

if TYPE_CHECKING:
    from joserfc.jwk import Key


@dataclass
class PlaygroundMemory:
    """This run's requests, the last tokens, and the key pair ``private_key_jwt`` signs
    with (never written anywhere: a new run makes a new one)."""

    history: list[oc.Exchange] = field(default_factory=list)
    tokens: oc.TokenSet | None = None
    jwks: oc.JwksCache = field(default_factory=oc.JwksCache)
    """Issuers' key sets by URL: fetched once for the run, again when a new kid shows up."""
    nonce: str = ""
    """The nonce the last tokens' authorization request sent (their id_token must echo it)."""
    revoked: bool = False
    """The last access token was revoked from the playground."""
    key_pair: Key | None = field(default=None, repr=False)


_MEMORY: weakref.WeakKeyDictionary[App[object], PlaygroundMemory] = weakref.WeakKeyDictionary()
"""One memory per app: "this run's requests" survive closing and reopening the screen."""


def memory_of(app: App[object]) -> PlaygroundMemory:
    """The memory of ``app``'s run, made on first use."""
    return _MEMORY.setdefault(app, PlaygroundMemory())
