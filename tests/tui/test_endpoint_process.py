"""The console's endpoint in a child process: starts, answers, moves off a taken port, stops."""

from __future__ import annotations

import json
import socket
import urllib.request
from pathlib import Path

from store import Store
from tui.app import start_endpoint
from tui.endpoint_process import EndpointProcess


def metadata(url: str) -> dict[str, object]:
    with urllib.request.urlopen(f"{url}/.well-known/oauth-authorization-server", timeout=10) as r:
        return json.loads(r.read())


def test_child_endpoint_serves_the_consoles_database_and_stops(store: Store) -> None:
    created = store.clients.create("Service", client_credentials=True)
    endpoint = EndpointProcess(store.target, 0)
    endpoint.start()
    try:
        assert endpoint.running and not endpoint.url.endswith(":0")
        assert "token_endpoint" in metadata(endpoint.url)
        # It is the same database: a client made by the console gets tokens there.
        request = urllib.request.Request(
            f"{endpoint.url}/oauth/token",
            data=(
                f"grant_type=client_credentials&client_id={created.client.id}"
                f"&client_secret={created.secret}"
            ).encode(),
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert json.loads(answer.read())["token_type"] == "Bearer"
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


def test_when_no_child_can_open_the_database_the_endpoint_runs_in_a_thread(
    store: Store, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    opened_as = store.target
    store.target = str(blocker / "cannot" / "be.db")  # a folder under a file: no child opens it
    try:
        endpoint, note = start_endpoint(store, 0)
    finally:
        store.target = opened_as
    try:
        assert endpoint is not None and not isinstance(endpoint, EndpointProcess)
        assert note == ""
        assert "issuer" in metadata(endpoint.url)
    finally:
        if endpoint is not None:
            endpoint.stop()
