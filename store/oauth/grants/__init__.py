"""One class per grant type of the token endpoint (RFC 6749 §4, §6), and ``GRANTS``."""

from authclients.store.oauth.grants.authorization_code import AuthorizationCodeGrant
from authclients.store.oauth.grants.base import Grant, GrantRegistry
from authclients.store.oauth.grants.client_credentials import ClientCredentialsGrant
from authclients.store.oauth.grants.device_code import DeviceCodeGrant
from authclients.store.oauth.grants.password import PasswordGrant
from authclients.store.oauth.grants.refresh_token import RefreshTokenGrant

GRANTS = GrantRegistry(
    AuthorizationCodeGrant,
    PasswordGrant,
    ClientCredentialsGrant,
    RefreshTokenGrant,
    DeviceCodeGrant,
)
"""Every grant the token endpoint serves, in the order RFC 8414 metadata lists them."""

__all__ = [
    "GRANTS",
    "AuthorizationCodeGrant",
    "ClientCredentialsGrant",
    "DeviceCodeGrant",
    "Grant",
    "GrantRegistry",
    "PasswordGrant",
    "RefreshTokenGrant",
]
