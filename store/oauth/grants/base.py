"""The interface every grant implements, and the registry dispatching on ``grant_type``.

After authlib's ``BaseGrant``: each grant validates its parameters, then
issues (RFC 6749 §4, §6). The client is already authenticated when a grant
runs; the grant decides whether that client may use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from authclients.store.oauth.context import ServerContext
from authclients.store.oauth.errors import InvalidRequest, UnauthorizedClient, UnsupportedGrantType
from authclients.store.oauth.requests import TOKEN_MAX
from authclients.store.oauth.resources import requested_resources
from authclients.store.oauth.scopes import check_scopes
from authclients.store.records import ClientInfo, IssuedToken

TOKEN_PARAM_MAX = TOKEN_MAX
"""Our codes and tokens are 43 characters; anything much longer is not one of ours."""


class Grant:
    """The interface every grant implements (after authlib's ``BaseGrant``).

    Attributes:
        GRANT_TYPE: the ``grant_type`` value this class answers.
    """

    GRANT_TYPE: ClassVar[str] = ""

    def __init__(
        self, server: ServerContext, client: ClientInfo, params: Mapping[str, str]
    ) -> None:
        self.server = server
        self.store = server.store
        self.client = client
        self.params = params

    def check_client(self) -> None:
        """A grant the client has not enabled is ``unauthorized_client`` (RFC 6749 §5.2)."""
        if not self.client.allows(self.GRANT_TYPE):
            raise UnauthorizedClient(
                f"Client {self.client.id} may not use the {self.GRANT_TYPE} grant; "
                "an admin can enable it in the console."
            )

    def validate(self) -> None:
        """Check the request's parameters; raise an ``OAuthError`` when they are wrong."""
        self.check_client()
        self.resources = requested_resources(self.store, self.params)
        """The RFC 8707 ``resource`` values asked for: the token's audience (or a bound on it)."""

    def issue(self) -> IssuedToken:
        """Issue the token; it is committed before this returns."""
        raise NotImplementedError

    # -- shared checks ----------------------------------------------------------

    def required(self, name: str, maximum: int = TOKEN_PARAM_MAX) -> str:
        value = self.params.get(name, "")
        if not value:
            raise InvalidRequest(f"The {name} parameter is missing.")
        if len(value) > maximum:
            raise InvalidRequest(f"The {name} parameter is too long (at most {maximum}).")
        return value

    def requested_scopes(self, *, within: tuple[str, ...] | None = None) -> tuple[str, ...]:
        """The ``scope`` asked for (RFC 6749 §3.3), inside the client's and ``within``.

        No ``scope`` means the client's default: the scopes of the grant being
        refreshed, else none.
        """
        raw = self.params.get("scope", "")
        if not raw:
            return within if within is not None else ()
        return check_scopes(
            raw, self.client, within=within, defined=self.server.hot_path.defined_scopes
        )


class GrantRegistry:
    """Dispatches on ``grant_type`` (RFC 6749 §4): one class per grant type."""

    def __init__(self, *grants: type[Grant]) -> None:
        self._grants: dict[str, type[Grant]] = {}
        for grant in grants:
            self.register(grant)

    def register(self, grant: type[Grant]) -> None:
        self._grants[grant.GRANT_TYPE] = grant

    @property
    def grant_types(self) -> tuple[str, ...]:
        return tuple(self._grants)

    def lookup(self, grant_type: str) -> type[Grant]:
        if not grant_type:
            raise InvalidRequest("The grant_type parameter is missing.")
        grant = self._grants.get(grant_type)
        if grant is None:
            shown = grant_type if len(grant_type) <= 60 else grant_type[:59] + "..."
            raise UnsupportedGrantType(
                f"Unsupported grant_type {shown!r}; use one of: {', '.join(self._grants)}."
            )
        return grant
