"""The playground's OAuth 2.0 client: requests as data, sent with the standard library.

Nothing here imports Textual or the server side: the playground builds
``HttpRequest`` values, shows them (masked) and as curl, sends them in a worker
with ``send`` or ``exchange``, and walks the authorization-code flow against an
HTML sign-in and consent form with ``AuthorizeDance``.
"""

from authclients.store.oauth_client.authorize import (
    AuthorizeDance,
    DanceError,
    IssuerMismatch,
    PageForm,
    Redirect,
    StateMismatch,
    authorize_url,
    parse_redirect,
    read_page,
)
from authclients.store.oauth_client.client_auth import (
    AUTH_METHODS,
    ClientCredentials,
    generate_key_pair,
    public_jwks,
)
from authclients.store.oauth_client.device import (
    DEVICE_GRANT_TYPE,
    DeviceCodes,
    DevicePolling,
    NotDeviceCodes,
    device_code_request,
    device_token_request,
)
from authclients.store.oauth_client.discovery import (
    API_PATH,
    METADATA_PATH,
    Discovery,
    Target,
    discover,
    discovery_request,
    metadata_rows,
)
from authclients.store.oauth_client.http import (
    DEFAULT_TIMEOUT,
    FORM_TYPE,
    MASK,
    Exchange,
    HttpRequest,
    HttpResponse,
    TransportError,
    exchange,
    is_loopback,
    send,
)
from authclients.store.oauth_client.loopback import CatcherClosed, RedirectCatcher
from authclients.store.oauth_client.pkce import Pkce, s256
from authclients.store.oauth_client.requests import (
    api_request,
    client_credentials_request,
    code_exchange_request,
    introspect_request,
    password_request,
    refresh_request,
    revoke_request,
)
from authclients.store.oauth_client.tokens import TokenSet, countdown

__all__ = [
    "API_PATH",
    "AUTH_METHODS",
    "DEFAULT_TIMEOUT",
    "DEVICE_GRANT_TYPE",
    "FORM_TYPE",
    "MASK",
    "METADATA_PATH",
    "AuthorizeDance",
    "CatcherClosed",
    "ClientCredentials",
    "DanceError",
    "DeviceCodes",
    "DevicePolling",
    "Discovery",
    "Exchange",
    "HttpRequest",
    "HttpResponse",
    "IssuerMismatch",
    "NotDeviceCodes",
    "PageForm",
    "Pkce",
    "Redirect",
    "RedirectCatcher",
    "StateMismatch",
    "Target",
    "TokenSet",
    "TransportError",
    "api_request",
    "authorize_url",
    "client_credentials_request",
    "code_exchange_request",
    "countdown",
    "device_code_request",
    "device_token_request",
    "discover",
    "discovery_request",
    "exchange",
    "generate_key_pair",
    "introspect_request",
    "is_loopback",
    "metadata_rows",
    "parse_redirect",
    "password_request",
    "public_jwks",
    "read_page",
    "refresh_request",
    "revoke_request",
    "s256",
    "send",
]
