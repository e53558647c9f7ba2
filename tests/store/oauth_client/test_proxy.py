"""The client and the proxy variables: loopback targets never go through a proxy (issue 10, 7b)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from authclients.store import Store
from authclients.store import oauth_client as oc
from authclients.store.endpoint import TokenEndpoint
from tests.backends import SQLITE


@pytest.fixture
def backend() -> str:
    """The proxy decision does not depend on the database: SQLite is enough."""
    return SQLITE


class FakeProxy(ThreadingHTTPServer):
    """A forward proxy on 127.0.0.1 that records each request line and answers it itself."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.seen: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ProxyHandler(BaseHTTPRequestHandler):
    server: FakeProxy

    def _answer(self) -> None:
        # A proxied request names the absolute URL: that is what the proxy saw.
        self.server.seen.append(f"{self.command} {self.path}")
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = json.dumps({"proxied": self.path}).encode()
        self.send_response(200, "Via the fake proxy")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = _answer
    do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProxy]:
    server = FakeProxy()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    for name in ("no_proxy", "NO_PROXY", "https_proxy", "HTTPS_PROXY", "ALL_PROXY", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", server.url)
    monkeypatch.setenv("all_proxy", server.url)
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def endpoint(store: Store) -> Iterator[TokenEndpoint]:
    ep = TokenEndpoint(store, port=0)
    ep.start()
    yield ep
    ep.stop()


def test_the_embedded_endpoint_is_reached_directly_with_http_proxy_set(
    proxy: FakeProxy, endpoint: TokenEndpoint, store: Store
) -> None:
    assert endpoint.url.startswith("http://127.0.0.1:")
    created = store.clients.create("Batch", [], client_credentials=True)
    target = oc.Target.from_base(endpoint.url)
    credentials = oc.ClientCredentials(str(created.client.id), created.secret)
    done = oc.exchange(oc.client_credentials_request(target, credentials), timeout=5)
    assert done.ok, done.error or done.response
    body = done.response.json()
    assert body is not None and body["token_type"] == "Bearer" and body["access_token"]
    metadata = oc.exchange(oc.discovery_request(endpoint.url), timeout=5)
    assert metadata.ok and "proxied" not in (metadata.response.json() or {})
    assert proxy.seen == []


@pytest.mark.parametrize("host", ["localhost", "127.0.0.2", "[::1]"])
def test_other_loopback_names_bypass_the_proxy(proxy: FakeProxy, host: str) -> None:
    # Nothing listens on port 9 (discard): a direct attempt is refused, a proxied one answered.
    done = oc.exchange(oc.HttpRequest("x", "GET", f"http://{host}:9/x"), timeout=2)
    assert done.response is None
    assert proxy.seen == []


def test_a_remote_host_goes_through_the_proxy(proxy: FakeProxy) -> None:
    done = oc.exchange(oc.discovery_request("http://example.invalid"), timeout=5)
    assert done.ok, done.error
    assert done.response.reason == "Via the fake proxy"
    assert proxy.seen == ["GET http://example.invalid/.well-known/oauth-authorization-server"]


def test_no_proxy_is_honoured_for_remote_hosts(
    proxy: FakeProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("no_proxy", "example.invalid")
    done = oc.exchange(oc.discovery_request("http://example.invalid"), timeout=5)
    # Direct, so the name does not resolve: no answer, and the proxy saw nothing.
    assert done.response is None
    assert proxy.seen == []


def test_is_loopback() -> None:
    for host in (
        "localhost",
        "LOCALHOST.",
        "127.0.0.1",
        "127.1.2.3",
        "::1",
        "[::1]",
        "a.localhost",
    ):
        assert oc.is_loopback(host), host
    for host in ("example.com", "10.0.0.1", "0.0.0.0", "128.0.0.1", "", "::2"):
        assert not oc.is_loopback(host), host
