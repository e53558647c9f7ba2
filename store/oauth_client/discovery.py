"""Where requests go: a server's base URL, its endpoints, and finding them by discovery.

Real servers publish their metadata in one of three places, and the playground
tries them in this order for an issuer ``https://host/realms/x``:

1. RFC 8414 §3.1, the well-known suffix *inserted* before the issuer's path:
   ``https://host/.well-known/oauth-authorization-server/realms/x``;
2. OpenID Connect Discovery 1.0 §4, the suffix *appended*:
   ``https://host/realms/x/.well-known/openid-configuration``;
3. RFC 8414 appended (``…/realms/x/.well-known/oauth-authorization-server``): not
   what the RFC says, but what some servers (and this one, for a path-less issuer,
   where 1 and 3 are the same URL) answer.

Whatever answered, its ``issuer`` must equal the issuer asked for (RFC 8414 §3.3,
OIDC Discovery §4.3): a document that names another issuer is refused, since
trusting it would let one server send the playground's credentials to another.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import urljoin, urlsplit, urlunsplit

from authclients.store.oauth_client.http import Exchange, HttpRequest, exchange, is_loopback

API_PATH = "/api/1.0/users/me"
METADATA_PATH = "/.well-known/oauth-authorization-server"
JWKS_PATH = "/oauth/jwks"
"""Where Passport-like servers (and the embedded endpoint) publish their signing keys."""
OPENID_PATH = "/.well-known/openid-configuration"
WELL_KNOWN = "/.well-known/"


@dataclass(frozen=True)
class Target:
    """A server's base URL and its endpoints (Passport's paths unless its metadata says else)."""

    base_url: str
    token_url: str
    authorize_url: str
    revoke_url: str
    introspect_url: str
    issuer_url: str = ""
    """The issuer its metadata names; empty: the base URL is taken for it."""
    device_url: str = ""
    """RFC 8628 ``device_authorization_endpoint``; empty: Passport's path."""
    jwks_url: str = ""
    """``jwks_uri``: the keys that sign its JWTs; empty when unknown."""
    userinfo_url: str = ""
    """OIDC ``userinfo_endpoint``; empty when unknown."""
    auth_methods: tuple[str, ...] = ()
    """``token_endpoint_auth_methods_supported``; empty: not said (RFC 8414: basic)."""
    iss_required: bool = False
    """It says it sends ``iss`` with every authorization response (RFC 9207 §3), so a
    redirect without one is refused (§2.4)."""

    @property
    def issuer(self) -> str:
        """Who must have answered an authorization request (RFC 9207 ``iss``)."""
        return self.issuer_url or self.base_url

    @classmethod
    def from_base(cls, base_url: str) -> Target:
        base = base_url.strip().rstrip("/")
        return cls(
            base_url=base,
            token_url=f"{base}/oauth/token",
            authorize_url=f"{base}/oauth/authorize",
            revoke_url=f"{base}/oauth/revoke",
            introspect_url=f"{base}/oauth/introspect",
            device_url=f"{base}/oauth/device/code",
            jwks_url=f"{base}{JWKS_PATH}",
        )

    def with_metadata(self, metadata: dict[str, object]) -> Target:
        """The endpoints a metadata document names; the others unchanged."""
        names = {
            "token_url": "token_endpoint",
            "authorize_url": "authorization_endpoint",
            "revoke_url": "revocation_endpoint",
            "introspect_url": "introspection_endpoint",
            "device_url": "device_authorization_endpoint",
            "jwks_url": "jwks_uri",
            "userinfo_url": "userinfo_endpoint",
            "issuer_url": "issuer",
        }
        found: dict[str, object] = {
            attr: value
            for attr, key in names.items()
            if isinstance(value := metadata.get(key), str) and _is_http_url(value)
        }
        if metadata.get("authorization_response_iss_parameter_supported") is True:
            found["iss_required"] = True
        methods = metadata.get("token_endpoint_auth_methods_supported")
        if isinstance(methods, list):
            found["auth_methods"] = tuple(m for m in methods if isinstance(m, str) and m)
        return replace(self, **found)

    def api_url(self, path: str) -> str:
        """``path`` against the base URL; a full URL is used as it is."""
        path = path.strip() or API_PATH
        if "://" in path:
            return path
        return urljoin(self.base_url + "/", path.lstrip("/"))


def _is_http_url(value: str) -> bool:
    # A control character or space (an escape sequence, a CR LF) makes it no URL: it
    # would reach the terminal or a request line, so such an endpoint is never used.
    if any(ord(c) < 0x21 or 0x7F <= ord(c) < 0xA0 for c in value):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def discovery_request(url: str) -> HttpRequest:
    """GET one metadata document: ``url`` if it is one, else RFC 8414's at ``url``'s root."""
    url = url.strip()
    if WELL_KNOWN not in url:
        url = url.rstrip("/") + METADATA_PATH
    return HttpRequest("discovery", "GET", url, (("Accept", "application/json"),))


def metadata_urls(issuer: str) -> list[str]:
    """Where an issuer's metadata may be, in the order they are tried (module docstring)."""
    parts = urlsplit(issuer.strip())
    path = parts.path.rstrip("/")
    root = (parts.scheme, parts.netloc)
    candidates = [
        urlunsplit((*root, METADATA_PATH + path, "", "")),
        urlunsplit((*root, path + OPENID_PATH, "", "")),
        urlunsplit((*root, path + METADATA_PATH, "", "")),
    ]
    return list(dict.fromkeys(candidates))


def issuer_of(metadata_url: str) -> str:
    """The issuer a metadata URL belongs to: the inverse of ``metadata_urls``."""
    parts = urlsplit(metadata_url.strip())
    path = parts.path
    if path.startswith(METADATA_PATH + "/"):
        path = path[len(METADATA_PATH) :]
    elif path.endswith(OPENID_PATH):
        path = path[: -len(OPENID_PATH)]
    elif path.endswith(METADATA_PATH):
        path = path[: -len(METADATA_PATH)]
    return urlunsplit((parts.scheme, parts.netloc, path.rstrip("/"), "", ""))


@dataclass
class Discovery:
    """What discovery tried and what it found.

    Attributes:
        asked: the issuer (or metadata URL) the user typed.
        issuer: the issuer the document must name.
        attempts: every request sent, with its answer, in order (for the history).
        url: the metadata URL whose document was used; empty when none was.
        metadata: that document.
        error: why nothing was used; empty on success.
    """

    asked: str
    issuer: str
    attempts: list[Exchange] = field(default_factory=list)
    url: str = ""
    metadata: dict[str, object] = field(default_factory=dict)
    error: str = ""
    refused: bool = False
    """A document was found and refused (mix-up, downgrade): nothing to fall back on."""

    @property
    def ok(self) -> bool:
        return bool(self.url) and not self.error

    @property
    def kind(self) -> str:
        """Which standard the used document follows, in words."""
        if not self.url:
            return ""
        if urlsplit(self.url).path.endswith(OPENID_PATH):
            return "OpenID Connect Discovery"
        return "RFC 8414 authorization server metadata"

    def target(self) -> Target:
        """The endpoints found (Passport's paths under the issuer for any not named)."""
        return Target.from_base(self.issuer).with_metadata(self.metadata)


Send = Callable[[HttpRequest], Exchange]


def discover(asked: str, *, send: Send = exchange) -> Discovery:
    """Find ``asked``'s metadata (an issuer, or a metadata URL typed whole).

    Stops at the first JSON object that answers 200; a document whose ``issuer``
    differs from the one asked for is an error, not a fallback to the next
    candidate, since a server answering for another issuer is a mix-up to report.
    """
    asked = asked.strip()
    if not _is_http_url(asked):
        return Discovery(asked, asked, error=f"Not an http(s) URL: {asked!r}.")
    direct = WELL_KNOWN in urlsplit(asked).path
    issuer = issuer_of(asked) if direct else asked.rstrip("/")
    result = Discovery(asked, issuer)
    for url in [asked] if direct else metadata_urls(issuer):
        attempt = send(HttpRequest("discovery", "GET", url, (("Accept", "application/json"),)))
        result.attempts.append(attempt)
        metadata = _metadata(attempt)
        if metadata is None:
            continue
        named = metadata.get("issuer")
        if not isinstance(named, str) or not _same(named, issuer):
            result.error = (
                f"The document at {url} names the issuer {_short(named)!r}, not {issuer!r} "
                "(RFC 8414 §3.3): refusing it, since another server could be answering."
            )
            attempt.hint = result.error
            result.refused = True
            return result
        if plain := _downgraded(named, metadata):
            result.error = (
                f"The document at {url} sends {plain} over plain http while the issuer is "
                "https: refusing it, since secrets and codes would cross the network in "
                "clear (RFC 6749 §3.2, RFC 9700 §2.6)."
            )
            attempt.hint = result.error
            result.refused = True
            return result
        # The document's own spelling is the one RFC 9207 ``iss`` will be compared with.
        result.url, result.metadata, result.issuer = url, metadata, named
        return result
    result.error = _nothing_found(issuer, result.attempts)
    return result


ENDPOINT_KEYS = (
    "authorization_endpoint",
    "token_endpoint",
    "revocation_endpoint",
    "introspection_endpoint",
    "device_authorization_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
)


def _downgraded(issuer: str, metadata: dict[str, object]) -> str:
    """The first endpoint an https issuer's document puts on plain http (not loopback)."""
    if urlsplit(issuer).scheme != "https":
        return ""
    for key in ENDPOINT_KEYS:
        value = metadata.get(key)
        if isinstance(value, str) and _is_http_url(value):
            parts = urlsplit(value)
            if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
                return key
    return ""


def elsewhere(target: Target) -> list[tuple[str, str]]:
    """The endpoints a target's metadata puts at another origin than its issuer's.

    Allowed (Google's token endpoint is oauth2.googleapis.com for the issuer
    accounts.google.com) and authenticated by the same TLS, so not refused: but the
    client's secret goes there, so the person is told where.
    """
    home = _origin(target.issuer)
    named = (
        ("token endpoint", target.token_url),
        ("authorization endpoint", target.authorize_url),
        ("device authorization endpoint", target.device_url),
        ("revocation endpoint", target.revoke_url),
        ("introspection endpoint", target.introspect_url),
    )
    return [(name, url) for name, url in named if url and _origin(url) != home]


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return (parts.scheme, (parts.hostname or "").lower(), port or default)


def _short(value: object, limit: int = 120) -> object:
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + "…"
    return value


def _same(a: str, b: str) -> bool:
    """Equal but for a trailing slash (Auth0's issuers end in one, people type them
    without): the same origin and path, so no other server can pass for this one."""
    return a.rstrip("/") == b.rstrip("/")


def _metadata(attempt: Exchange) -> dict[str, object] | None:
    response = attempt.response
    if response is None or response.status != 200:
        return None
    try:
        value = json.loads(response.body)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than Python's stack
        attempt.hint = "Not JSON: this URL answers something else (an HTML page?)."
        return None
    if not isinstance(value, dict):
        attempt.hint = "JSON, but not an object: not a metadata document."
        return None
    return value


def _nothing_found(issuer: str, attempts: list[Exchange]) -> str:
    if attempts and all(a.response is None for a in attempts):
        return f"{issuer} did not answer: {attempts[-1].error}"
    return (
        f"No metadata found for {issuer} (tried {len(attempts)} well-known URLs). "
        "Give the metadata URL itself, or type the endpoints by hand."
    )


def metadata_rows(metadata: dict[str, object]) -> list[tuple[str, str]]:
    """The document as (name, value) rows: lists joined, nested values as compact JSON."""
    rows = []
    for key, value in metadata.items():
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            text = ", ".join(value)
        elif isinstance(value, str):
            text = value
        else:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        rows.append((str(key), text))
    return rows
