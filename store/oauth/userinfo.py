"""The UserInfo endpoint (OpenID Connect Core §5.3) as an endpoint class."""

from __future__ import annotations

from authclients.store.jwt_tokens import SCOPE_OPENID, IdentityClaims
from authclients.store.oauth.context import ServerContext
from authclients.store.oauth.errors import InsufficientScope, InvalidToken


class UserInfoEndpoint:
    """Claims about the user an access token speaks for (OIDC Core §5.3.2).

    The token is an RFC 6750 bearer token, opaque or JWT, looked up by digest:
    revoked, expired, unknown or tampered is ``invalid_token``; a token without
    ``openid`` (or without a user: client credentials) is ``insufficient_scope``.
    """

    def __init__(self, server: ServerContext) -> None:
        self.server = server

    def claims(self, bearer: str) -> dict[str, object]:
        info = self.server.hot_path.authenticate_bearer(bearer)
        if info is None:
            raise InvalidToken("The access token is unknown, expired or revoked.")
        if SCOPE_OPENID not in info.scopes or info.user_id is None:
            raise InsufficientScope(
                "This token was not granted the openid scope for a user.", SCOPE_OPENID
            )
        user = self.server.store.users.find_by_id(info.user_id)
        if user is None or not user.active:
            raise InvalidToken("The user of this access token is no longer active.")
        identity = IdentityClaims(user.id, user.username, user.name, user.email)
        return identity.for_scopes(info.scopes)
