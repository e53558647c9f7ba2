"""What grants and endpoint classes need of the authorization server, as a protocol.

The server builds them and hands itself over; typing them against
``AuthorizationServer`` would make each import the module that imports them
(a circle). They type against ``ServerContext``, which the server satisfies.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Protocol

from authclients.store.hot_path import HotPath
from authclients.store.oauth.requests import ClientCredentials
from authclients.store.records import ClientInfo, UserInfo
from authclients.store.service import Store


class ServerContext(Protocol):
    """The store acting as the endpoint, its fast lane, and the shared checks.

    Attributes:
        store: the store acting as ``endpoint``.
        hot_path: precompiled SQL for client authentication and client tokens.
    """

    store: Store
    hot_path: HotPath
    issuer: Callable[[], str | None]
    """The issuer JWTs are signed for; None while no endpoint names one."""

    def writing(self) -> AbstractContextManager[None]:
        """The store's writer lock (SQLite only)."""
        ...

    def authenticate_client(self, credentials: ClientCredentials) -> ClientInfo:
        """The authenticated client, or ``InvalidClient``."""
        ...

    def sign_in(self, username: str, password: str, *, source: str | None = None) -> UserInfo:
        """The resource owner whose password this is, or ``InvalidGrant``."""
        ...

    def user_active(self, user_id: int) -> bool:
        """Is the resource owner still there and active?"""
        ...
