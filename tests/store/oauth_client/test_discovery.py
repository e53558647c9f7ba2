"""Discovery of real servers: where metadata is looked for, and what is refused (issue 17)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from authclients.store import oauth_client as oc
from authclients.store.oauth_client.discovery import issuer_of, metadata_urls


class Documents(ThreadingHTTPServer):
    """Answers each path with a configured (status, content type, body); 404 otherwise."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.pages: dict[str, tuple[int, str, bytes]] = {}
        self.seen: list[str] = []

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def json_at(self, path: str, document: object) -> None:
        self.pages[path] = (200, "application/json", json.dumps(document).encode())


class _Handler(BaseHTTPRequestHandler):
    server: Documents

    def do_GET(self) -> None:
        self.server.seen.append(self.path)
        status, kind, body = self.server.pages.get(self.path, (404, "text/plain", b"no"))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[Documents]:
    documents = Documents()
    thread = threading.Thread(target=documents.serve_forever, daemon=True)
    thread.start()
    yield documents
    documents.shutdown()
    documents.server_close()


def test_candidates_insert_then_append_the_well_known_suffix() -> None:
    assert metadata_urls("https://id.example/realms/x/") == [
        "https://id.example/.well-known/oauth-authorization-server/realms/x",
        "https://id.example/realms/x/.well-known/openid-configuration",
        "https://id.example/realms/x/.well-known/oauth-authorization-server",
    ]
    # Without a path, inserted and appended RFC 8414 are one URL, tried once.
    assert metadata_urls("https://id.example") == [
        "https://id.example/.well-known/oauth-authorization-server",
        "https://id.example/.well-known/openid-configuration",
    ]


@pytest.mark.parametrize("url", metadata_urls("https://id.example/tenant/a"))
def test_issuer_of_inverts_each_candidate(url: str) -> None:
    assert issuer_of(url) == "https://id.example/tenant/a"


def test_rfc8414_with_the_path_inserted_wins_when_served(server: Documents) -> None:
    issuer = f"{server.origin}/tenant/a"
    server.json_at(
        "/.well-known/oauth-authorization-server/tenant/a",
        {"issuer": issuer, "token_endpoint": f"{server.origin}/t", "jwks_uri": "javascript:x"},
    )
    found = oc.discover(issuer)

    assert found.ok and found.kind == "RFC 8414 authorization server metadata"
    assert server.seen == ["/.well-known/oauth-authorization-server/tenant/a"]
    target = found.target()
    assert target.token_url == f"{server.origin}/t"
    # Endpoints it did not name stay Passport's under the issuer; a non-http URL is ignored.
    assert target.revoke_url == f"{issuer}/oauth/revoke"
    assert target.jwks_url == f"{issuer}/oauth/jwks"  # Passport's path, not javascript:


def test_a_document_naming_another_issuer_is_a_mix_up_not_a_fallback(server: Documents) -> None:
    server.json_at(
        "/.well-known/oauth-authorization-server",
        {"issuer": "https://evil.example", "token_endpoint": "https://evil.example/token"},
    )
    server.json_at("/.well-known/openid-configuration", {"issuer": server.origin})

    found = oc.discover(server.origin)

    assert not found.ok
    assert "names the issuer 'https://evil.example'" in found.error
    assert "RFC 8414 §3.3" in found.error
    # It stopped there: the next candidate was not taken instead.
    assert server.seen == ["/.well-known/oauth-authorization-server"]


def test_a_trailing_slash_is_the_same_issuer_and_the_documents_spelling_is_kept(
    server: Documents,
) -> None:
    server.json_at("/.well-known/openid-configuration", {"issuer": server.origin + "/"})
    found = oc.discover(server.origin)

    assert found.ok and found.issuer == server.origin + "/"


def test_html_where_json_was_expected_is_explained(server: Documents) -> None:
    server.pages["/.well-known/oauth-authorization-server"] = (200, "text/html", b"<html>hi</html>")
    found = oc.discover(server.origin)

    assert not found.ok
    assert found.attempts[0].hint.startswith("Not JSON")
    assert "No metadata found" in found.error and "by hand" in found.error


def test_a_server_that_never_answers_is_reported_not_waited_on_for_ever() -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)  # accepts connections, never answers
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        found = oc.discover(url, send=lambda request: oc.exchange(request, timeout=0.3))
    finally:
        silent.close()

    assert not found.ok
    assert "did not answer" in found.error and "within 0.3 s" in found.error


def test_a_huge_answer_is_not_read(server: Documents) -> None:
    body = b"{" + b" " * (oc.http.MAX_BODY + 10) + b"}"
    server.pages["/.well-known/oauth-authorization-server"] = (200, "application/json", body)
    found = oc.discover(server.origin)

    assert not found.ok
    assert "larger than 1048576 bytes" in found.attempts[0].error


def test_not_a_url() -> None:
    found = oc.discover("id.example/realms/x")
    assert not found.ok and "Not an http(s) URL" in found.error and not found.attempts


def test_metadata_rows_are_text() -> None:
    rows = oc.metadata_rows(
        {"issuer": "https://a", "grant_types_supported": ["a", "b"], "x": {"y": 1}}
    )
    assert rows == [("issuer", "https://a"), ("grant_types_supported", "a, b"), ("x", '{"y":1}')]
