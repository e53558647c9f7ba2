"""The embedded OAuth 2.0 endpoint over HTTP/1.1: it parses, dispatches and serialises.

Every decision is made by ``store.oauth``; this package turns bytes into
parameters and answers into bytes, hardened against hostile input
(RFC 6749 §3.2, §5.2; RFC 6750 §3; RFC 7009; RFC 7662; RFC 8414).
"""

from authclients.store.endpoint.request_log import LoggedRequest, RequestLog
from authclients.store.endpoint.serve import run_headless
from authclients.store.endpoint.server import PortInUse, TokenEndpoint
from authclients.store.endpoint.workers import run_workers

__all__ = [
    "LoggedRequest",
    "PortInUse",
    "RequestLog",
    "TokenEndpoint",
    "run_headless",
    "run_workers",
]
