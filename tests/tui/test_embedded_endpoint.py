"""The console's embedded endpoint: a thread over the console's store that answers,
moves off a taken port and says so, and stops."""

from __future__ import annotations

import json
import socket
import sys
import urllib.request

import pytest

from authclients.store import Store
from authclients.tui.app import UI_SWITCH_INTERVAL, start_endpoint


def metadata(url: str) -> dict[str, object]:
    with urllib.request.urlopen(f"{url}/.well-known/oauth-authorization-server", timeout=10) as r:
        return json.loads(r.read())


@pytest.fixture(autouse=True)
def keep_switch_interval():
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)


def test_the_endpoint_serves_the_consoles_store_and_stops(store: Store) -> None:
    created = store.clients.create("Service", client_credentials=True)
    endpoint, note = start_endpoint(store, 0)
    assert endpoint is not None and note == ""
    try:
        assert endpoint.running and not endpoint.url.endswith(":0")
        # The UI thread gets the GIL back every millisecond while it runs.
        assert sys.getswitchinterval() == pytest.approx(UI_SWITCH_INTERVAL)
        request = urllib.request.Request(
            f"{endpoint.url}/oauth/token",
            data=(
                f"grant_type=client_credentials&client_id={created.client.id}"
                f"&client_secret={created.secret}"
            ).encode(),
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert json.loads(answer.read())["token_type"] == "Bearer"
        assert len(store.tokens.list(client_id=created.client.id)) == 1
    finally:
        endpoint.stop()
    assert not endpoint.running


def test_a_taken_port_moves_to_a_free_one_and_says_so(store: Store) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        endpoint, note = start_endpoint(store, port)
        try:
            assert endpoint is not None and endpoint.running
            assert note == f"port {port} was taken"
            assert not endpoint.url.endswith(f":{port}")
            assert "issuer" in metadata(endpoint.url)
        finally:
            if endpoint is not None:
                endpoint.stop()
