"""Is a requested redirect URI one the client registered? (RFC 6749 §3.1.2.3, RFC 8252 §7.3)

Exact string comparison, except for a native app's loopback redirect: a
registered ``http://127.0.0.1/...`` or ``http://[::1]/...`` matches the same
URI with any port, because the app listens on whatever port the operating
system gives it at the moment (RFC 8252 §7.3). Scheme, host, path and query
must still be identical, and the requested URI must be written plainly
(``http://127.0.0.1:PORT/path?query``: no user info, no fragment, a port of
1 to 65535), so nothing but the port can differ.

``localhost`` is deliberately not treated as loopback: RFC 8252 §8.3 says
clients should not use it, as the name may resolve to a non-loopback
interface or be hijacked by the local network's resolver; a registered
``http://localhost/...`` needs an exact match like any other URI.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import SplitResult, urlsplit

LOOPBACK_HOSTS = ("127.0.0.1", "[::1]")
"""The literal loopback addresses of RFC 8252 §7.3, as written in a URI's authority."""


def is_registered(requested: str, registered: Iterable[str]) -> bool:
    """Does ``requested`` match one of ``registered`` (exactly, or as a loopback URI)?"""
    loopback = _loopback_parts(requested)
    for uri in registered:
        if requested == uri:
            return True
        if loopback is not None:
            mine = _loopback_parts(uri)
            if mine is not None and mine == loopback:
                return True
    return False


def _loopback_parts(uri: str) -> tuple[str, str, str] | None:
    """``(host, path, query)`` of a plainly written ``http`` loopback URI; None otherwise."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme != "http" or parts.fragment or "#" in uri:
        return None
    host = _authority_host(parts)
    if host not in LOOPBACK_HOSTS or port == 0:
        return None
    # Rebuilt from its parts, the URI must be what was sent: no user info, no
    # "%2e" tricks in the authority, nothing a parser could read two ways.
    rebuilt = f"http://{host}{f':{port}' if port is not None else ''}{parts.path}"
    if parts.query or uri.endswith("?"):
        rebuilt += f"?{parts.query}"
    if rebuilt != uri:
        return None
    return host, parts.path, parts.query if not uri.endswith("?") else "?"


def _authority_host(parts: SplitResult) -> str:
    netloc = parts.netloc
    if "@" in netloc:
        return ""
    if netloc.startswith("["):
        return netloc[: netloc.find("]") + 1]
    return netloc.partition(":")[0]
