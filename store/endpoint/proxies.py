"""Who is really asking: the peer's address, or the client's as named by a proxy we trust.

``X-Forwarded-For`` and ``Forwarded`` (RFC 7239) are easy to forge, so they
are read only when the TCP peer is one of the proxies given with
``serve --trust-proxy``. The list is then walked from the right (the hop our
proxy appended) past every trusted proxy; the first other address is the
client. An entry that is not an IP address (``unknown``, an obfuscated
identifier, garbage) stops the walk: the hop that wrote it is the best we know.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxies:
    """The networks whose forwarding headers are believed."""

    def __init__(self, networks: Iterable[str | IPNetwork] = ()) -> None:
        self.networks: tuple[IPNetwork, ...] = tuple(
            n if not isinstance(n, str) else parse_network(n) for n in networks
        )

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusts(self, address: str) -> bool:
        ip = _ip(address)
        return ip is not None and any(ip in network for network in self.networks)

    def client_address(
        self, peer: str | None, forwarded: Sequence[str], x_forwarded_for: Sequence[str]
    ) -> str | None:
        """The client's address: ``peer`` unless ``peer`` is trusted and a header says more.

        ``Forwarded`` wins over ``X-Forwarded-For`` when both are sent.
        """
        if peer is None or not self.networks or not self.trusts(peer):
            return peer
        hops = _forwarded_for(forwarded) if forwarded else _x_forwarded_for(x_forwarded_for)
        address = peer
        for hop in reversed(hops):
            ip = _ip(hop)
            if ip is None:
                break
            address = str(ip)
            if not any(ip in network for network in self.networks):
                break
        return address


def parse_network(text: str) -> IPNetwork:
    """An IP address or CIDR network; ``ValueError`` with a readable message otherwise."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise ValueError(
            f"{text!r} is not an IP address or network (examples: 10.0.0.5, 10.0.0.0/8, ::1)"
        ) from None


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("::ffff:") and "." in text:
        text = text[7:]  # an IPv4 peer on a dual-stack socket
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _x_forwarded_for(values: Sequence[str]) -> list[str]:
    return [hop.strip() for value in values for hop in value.split(",")]


def _forwarded_for(values: Sequence[str]) -> list[str]:
    """The ``for=`` of each element of ``Forwarded`` (RFC 7239 §4), ports and brackets removed."""
    hops: list[str] = []
    for value in values:
        for element in value.split(","):
            found = "unknown"  # an element without for= breaks the chain
            for pair in element.split(";"):
                name, _, raw = pair.strip().partition("=")
                if name.strip().lower() == "for":
                    found = _node(raw.strip())
            hops.append(found)
    return hops


def _node(raw: str) -> str:
    """RFC 7239 §6 node: ``1.2.3.4``, ``"1.2.3.4:80"``, ``"[2001:db8::1]:4711"``."""
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        raw = raw[1:-1]
    if raw.startswith("["):
        return raw[1:].partition("]")[0]
    if raw.count(":") == 1:
        return raw.partition(":")[0]
    return raw
