"""Where browsers and clients reach the endpoint: ``serve --public-url`` or the bound address.

Behind a load balancer that terminates TLS the bound address
(``http://10.0.0.7:8765``) is not what anyone outside can use, so the issuer,
the metadata's URLs, the pages' form actions and the cookie's ``Secure`` flag
all follow the public URL. Without one they follow the bound address, as the
console's embedded endpoint always does.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

SESSION_COOKIE = "authclients_session"
FORM_COOKIE = "authclients_form"


def parse_public_url(text: str) -> str:
    """``text`` as an issuer: an absolute http(s) URL without query, fragment or credentials.

    The trailing slash is dropped (``https://auth.example.com/`` is
    ``https://auth.example.com``). Raises ``ValueError`` with a message for people.
    """
    raw = text.strip()
    if not raw or raw != text or any(ord(c) < 0x21 or ord(c) == 0x7F for c in raw):
        raise ValueError("the public URL must be one absolute URL, without spaces or controls")
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ValueError(f"{raw!r} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            "the public URL must start with https:// or http:// and name a host "
            "(example: https://auth.example.com)"
        )
    if parts.username is not None or parts.password is not None:
        raise ValueError("the public URL must not carry a user name or password")
    if parts.query or parts.fragment or raw.endswith(("?", "#")):
        raise ValueError("the public URL must not have a query (?...) or fragment (#...)")
    return raw.rstrip("/")


@dataclass(frozen=True)
class PublicSite:
    """The URL the endpoint is known by, and what follows from it for pages and cookies.

    Attributes:
        issuer: ``https://host[:port][/prefix]`` without a trailing slash.
    """

    issuer: str

    @property
    def secure(self) -> bool:
        return self.issuer.startswith("https://")

    @property
    def prefix(self) -> str:
        """The path the proxy serves us under (``""`` at the root)."""
        return urlsplit(self.issuer).path.rstrip("/")

    @property
    def authorize_path(self) -> str:
        """The form action of the sign-in and consent pages."""
        return f"{self.prefix}/oauth/authorize"

    @property
    def origin(self) -> str:
        parts = urlsplit(self.issuer)
        return f"{parts.scheme}://{parts.netloc}".lower()

    def cookie_name(self, base: str) -> str:
        """``__Host-`` on https at the root (no Domain, Path=/: a sibling host cannot plant
        it); ``__Secure-`` on https under a prefix; the bare name on plain http."""
        if not self.secure:
            return base
        return f"__Host-{base}" if not self.prefix else f"__Secure-{base}"

    def cookie(self, base: str, value: str, max_age: int | None = None) -> tuple[str, str]:
        """A ``Set-Cookie`` header: HttpOnly, SameSite=Lax, Secure on https."""
        path = "/" if self.secure and not self.prefix else f"{self.prefix}/oauth"
        attributes = [f"{self.cookie_name(base)}={value}", f"Path={path}", "HttpOnly"]
        attributes.append("SameSite=Lax")
        if self.secure:
            attributes.append("Secure")
        if max_age is not None:
            attributes.append(f"Max-Age={max_age}")
        return ("Set-Cookie", "; ".join(attributes))
