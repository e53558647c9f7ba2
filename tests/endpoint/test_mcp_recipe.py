"""The README's recipe, end to end: an MCP server under development behind authclients.

Everything is real: authclients' endpoint and an MCP server (the SDK's
``MCPServer``, FastMCP's name since mcp 2) each listen on 127.0.0.1; the MCP
server verifies every bearer token at authclients' introspection endpoint with
its own confidential client and checks ``aud``; the SDK's OAuth client
discovers (RFC 9728, then RFC 8414), registers (RFC 7591), signs in with the
code grant, PKCE and ``resource`` (RFC 8707) through the consent page, walked
like a browser, and calls a tool.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx2
import pytest
import requests
import uvicorn
from mcp.client.auth import OAuthClientProvider
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken as MCPAccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)
from pydantic import AnyUrl

from authclients.store import Store
from authclients.store.clock import ManualClock
from authclients.store.models import AccessToken, Client
from authclients.store.records import UserInfo
from tests.endpoint.conftest import PASSWORD

pytestmark = pytest.mark.sqlite_only("the recipe exercises the protocol; the store is the same")

CALLBACK = "http://127.0.0.1:33418/callback"
SCOPE = "mcp:tools"


class IntrospectionVerifier:
    """What the README tells an MCP server to do: ask authclients, trust only ``aud``."""

    def __init__(self, introspection_url: str, client_id: str, secret: str, resource: str):
        self.introspection_url = introspection_url
        self.auth = (client_id, secret)
        self.resource = resource

    async def verify_token(self, token: str) -> MCPAccessToken | None:
        async with httpx2.AsyncClient() as http:
            r = await http.post(self.introspection_url, data={"token": token}, auth=self.auth)
        if r.status_code != 200:
            return None
        claims = r.json()
        audience = claims.get("aud", [])
        audience = [audience] if isinstance(audience, str) else audience
        if not claims.get("active") or self.resource not in audience:
            return None
        return MCPAccessToken(
            token=token,
            client_id=claims["client_id"],
            scopes=claims.get("scope", "").split(),
            expires_at=claims.get("exp"),
            resource=self.resource,
            subject=claims.get("sub"),
            claims={"username": claims.get("username")},
        )


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
def clock() -> ManualClock:
    """Today: the MCP server checks ``exp`` against its own (real) clock."""
    return ManualClock(datetime.now(UTC))


@pytest.fixture
def mcp_server(store: Store, url: str) -> Iterator[str]:
    """An MCP server on 127.0.0.1 whose tokens come from authclients; yields its URL."""
    sock = free_socket()
    mcp_url = f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
    rs = store.clients.create("MCP server under development", client_credentials=True)
    store.resources.add(mcp_url, "MCP dev server", introspection_client_id=rs.client.id)
    store.scopes.add(SCOPE, "Call the MCP server's tools")
    store.registrations.set_mode("open")

    server = MCPServer(
        "recipe",
        token_verifier=IntrospectionVerifier(
            f"{url}/oauth/introspect", str(rs.client.id), rs.secret or "", mcp_url
        ),
        auth=AuthSettings(
            issuer_url=url,
            resource_server_url=mcp_url,
            required_scopes=[SCOPE],
            validate_token_resource=True,
        ),
    )

    @server.tool()
    def whoami() -> str:
        """The user the token speaks for."""
        token = get_access_token()
        return f"{(token.claims or {}).get('username')} via client {token.client_id}"

    config = uvicorn.Config(server.streamable_http_app(), log_level="warning", lifespan="on")
    web = uvicorn.Server(config)
    thread = threading.Thread(target=web.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not web.started:
        threading.Event().wait(0.05)
    try:
        yield mcp_url
    finally:
        web.should_exit = True
        thread.join(10)
        sock.close()


class MemoryStorage:
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


class Browser:
    """Walks authclients' sign-in and consent pages as a person with a browser would."""

    def __init__(self) -> None:
        self.redirected_to: str | None = None
        self.consent_page = ""

    def visit(self, authorization_url: str) -> None:
        with requests.Session() as http:
            page = http.get(authorization_url, allow_redirects=False)
            assert page.status_code == 200, page.text
            consent = http.post(
                page.url.split("?")[0],
                data=[*_hidden(page.text), ("username", "alice"), ("password", PASSWORD)],
                allow_redirects=False,
            )
            assert consent.status_code == 200, consent.text
            self.consent_page = consent.text
            done = http.post(
                page.url.split("?")[0],
                data=[*_hidden(consent.text), ("action", "approve")],
                allow_redirects=False,
            )
            assert done.status_code == 302, done.text
            self.redirected_to = done.headers["Location"]

    async def redirect_handler(self, authorization_url: str) -> None:
        await anyio.to_thread.run_sync(self.visit, authorization_url)

    async def callback_handler(self) -> AuthorizationCodeResult:
        assert self.redirected_to and self.redirected_to.startswith(CALLBACK)
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.redirected_to).query).items()}
        return AuthorizationCodeResult(
            code=query["code"], state=query.get("state"), iss=query.get("iss")
        )


def _hidden(page: str) -> list[tuple[str, str]]:
    import html

    return [
        (name, html.unescape(value))
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
    ]


def test_the_sdk_discovers_registers_signs_in_and_calls_a_tool(
    store: Store, url: str, mcp_server: str, alice: UserInfo
) -> None:
    browser = Browser()
    storage = MemoryStorage()

    async def run() -> str:
        auth = OAuthClientProvider(
            server_url=mcp_server,
            client_metadata=OAuthClientMetadata(
                client_name="Recipe MCP client",
                redirect_uris=[AnyUrl(CALLBACK)],
                grant_types=["authorization_code", "refresh_token"],
                response_types=["code"],
                token_endpoint_auth_method="none",
            ),
            storage=storage,
            redirect_handler=browser.redirect_handler,
            callback_handler=browser.callback_handler,
        )
        async with (
            httpx2.AsyncClient(auth=auth, timeout=30) as http,
            streamable_http_client(mcp_server, http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            result = await session.call_tool("whoami", {})
            return result.content[0].text

    answer = anyio.run(run)

    registered = Client.get(Client.registered == True)
    assert answer == f"alice via client {registered.id}"
    assert registered.public and registered.name == "Recipe MCP client"
    assert storage.client is not None and storage.client.client_id == str(registered.id)
    # The consent page named the resource and said the name is the client's own claim.
    assert mcp_server in browser.consent_page and "registered itself" in browser.consent_page
    token = AccessToken.get(AccessToken.client == registered.id)
    assert token.audience == mcp_server and token.scopes == SCOPE
    assert storage.tokens is not None and storage.tokens.refresh_token


def test_the_mcp_server_refuses_tokens_not_meant_for_it(
    store: Store, url: str, mcp_server: str, alice: UserInfo
) -> None:
    other = "https://elsewhere.example.com"
    store.resources.add(other)
    app = store.clients.create("Script", password=True, scopes=SCOPE)
    with requests.Session() as http:
        for resource in (None, other):
            data = {
                "grant_type": "password",
                "username": "alice",
                "password": PASSWORD,
                "scope": SCOPE,
            }
            if resource:
                data["resource"] = resource
            token = http.post(
                f"{url}/oauth/token", data=data, auth=(str(app.client.id), app.secret or "")
            ).json()["access_token"]
            r = http.post(
                mcp_server,
                json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                headers={
                    "Authorization": f"Bearer {token}",
                    "Accept": "application/json, text/event-stream",
                },
            )
            assert r.status_code == 401, (resource, r.text)
            assert "resource_metadata=" in r.headers["WWW-Authenticate"]


def test_the_readme_recipe_commands_run_as_written(tmp_path) -> None:
    """Step 1 of the README's recipe, line by line (``serve`` aside: the fixtures serve)."""
    import json
    import os
    import shlex
    import subprocess

    from tests.endpoint.conftest import AUTHCLIENTS
    from tests.test_readme import sh_blocks

    (block,) = [b for section, b in sh_blocks() if section.startswith("An MCP server")]
    env = {**os.environ, "AUTHCLIENTS_DB": str(tmp_path / "mcp-dev.db")}
    outputs = []
    for line in block.splitlines():
        words = shlex.split(line)
        if not words or words[0] == "export" or words[:2] == ["authclients", "serve"]:
            continue
        assert words[0] == "authclients"
        done = subprocess.run(
            [AUTHCLIENTS, *words[1:]], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, (line, done.stderr)
        outputs.append(done.stdout)
    assert json.loads(outputs[0])["id"] == 1
    store = Store.open(str(tmp_path / "mcp-dev.db"))
    try:
        (resource,) = store.resources.list()
        assert (resource.uri, resource.introspection_client_id) == ("http://127.0.0.1:8000/mcp", 1)
        assert store.scopes.get("mcp:tools")
    finally:
        store.close()
    assert "serve --registration open" in block
