"""``authclients try`` against a real endpoint of ours: output, secrets, exit statuses."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from authclients.store import Store
from authclients.store.endpoint import TokenEndpoint
from tests.tui.cli.runner import CLI, add_user, create


@pytest.fixture
def serve(db: str) -> Iterator[Callable[[], TokenEndpoint]]:
    """Start the endpoint once the test has made its rows: each in-process CLI command
    opens the store anew, which must not happen under a running endpoint's feet."""
    started: list[tuple[Store, TokenEndpoint]] = []

    def start() -> TokenEndpoint:
        store = Store.open(db, actor="test")
        server = TokenEndpoint(store, port=0)
        server.start()
        started.append((store, server))
        return server

    yield start
    for store, server in started:
        server.stop()
        store.close()


def _try(run: CLI, url: str, *argv: str, stdin: str = ""):
    return run("try", "--issuer", url, *argv, stdin=stdin)


def test_client_credentials_prints_request_curl_and_answer_with_the_secret_masked(
    run: CLI, serve: Callable[[], TokenEndpoint]
) -> None:
    client = create(run, "--name", "svc", "--client-credentials")
    result = _try(
        run,
        serve().url,
        *("--client-id", str(client["id"]), "--client-secret-stdin"),
        *("--grant", "client_credentials"),
        stdin=client["secret"] + "\n",
    )

    assert result.code == 0, result.err
    assert "> client credentials" in result.out
    assert "POST /oauth/token HTTP/1.1" in result.out
    assert "$ curl -sS -i -X POST" in result.out and "Authorization: Basic ••••••" in result.out
    assert "< HTTP/1.1 200 OK" in result.out and '"access_token"' in result.out
    assert client["secret"] not in result.out + result.err
    assert "discovery: RFC 8414 authorization server metadata" in result.err


def test_json_output_and_an_oauth_error_exit_1_with_the_hint(
    run: CLI, serve: Callable[[], TokenEndpoint]
) -> None:
    client = create(run, "--name", "web", "--redirect", "https://a.example/cb")
    result = _try(
        run,
        serve().url,
        *("--client-id", str(client["id"]), "--client-secret-stdin"),
        *("--grant", "client_credentials", "--json"),
        stdin=client["secret"] + "\n",
    )

    assert result.code == 1
    answer = json.loads(result.out)
    assert answer["ok"] is False
    step = answer["steps"][-1]
    assert step["status"] == 400 and step["response"]["error"] == "unauthorized_client"
    assert "does not allow this grant" in step["hint"]
    assert client["secret"] not in result.out


def test_password_grant_reads_secret_then_password_from_stdin(
    run: CLI, serve: Callable[[], TokenEndpoint]
) -> None:
    add_user(run, "alice", "correct horse")
    client = create(run, "--name", "legacy", "--password-grant")
    result = _try(
        run,
        serve().url,
        *("--client-id", str(client["id"]), "--client-secret-stdin"),
        *("--grant", "password", "--username", "alice", "--password-stdin", "--json"),
        stdin=f"{client['secret']}\ncorrect horse\n",
    )

    assert result.code == 0, result.err
    step = json.loads(result.out)["steps"][-1]
    assert step["response"]["refresh_token"]
    assert "correct horse" not in step["request"] and "correct+horse" not in step["curl"]


@pytest.mark.parametrize(
    ("argv", "stdin", "said"),
    [
        (("--grant", "client_credentials"), "", "needs the client to authenticate"),
        (("--grant", "client_credentials", "--client-secret-stdin"), "", "stdin ended before"),
        (("--grant", "client_credentials", "--client-secret-stdin"), "\n", "is empty"),
        (("--grant", "password", "--client-secret-stdin"), "s\n", "--username"),
        (("--grant", "refresh_token"), "", "--refresh-token-stdin"),
        (
            ("--grant", "client_credentials", "--auth-method", "private_key_jwt"),
            "",
            "--private-key",
        ),
        (
            ("--grant", "client_credentials", "--auth-method", "client_secret_jwt"),
            "",
            "needs --client-secret-stdin",
        ),
        (
            ("--grant", "authorization_code", "--redirect-uri", "https://app.example/cb"),
            "",
            "127.0.0.1",
        ),
    ],
)
def test_usage_errors_exit_2_with_one_line(run: CLI, argv, stdin: str, said: str) -> None:
    result = run("try", "--issuer", "http://127.0.0.1:9", "--client-id", "1", *argv, stdin=stdin)
    assert result.code == 2, result.err
    assert said in result.error_line()


def test_a_private_key_file_that_is_not_a_key(run: CLI, tmp_path) -> None:
    bogus = tmp_path / "key.pem"
    bogus.write_text("-----BEGIN NOTHING-----\n")
    result = run(
        "try",
        *("--issuer", "http://127.0.0.1:9", "--client-id", "1", "--grant", "client_credentials"),
        *("--auth-method", "private_key_jwt", "--private-key", str(bogus)),
    )
    assert result.code == 2 and "not a PEM or JWK private key" in result.error_line()


def test_a_server_that_is_not_there_exits_1(run: CLI) -> None:
    result = run(
        "try",
        *("--issuer", "http://127.0.0.1:9", "--client-id", "1", "--client-secret-stdin"),
        *("--grant", "client_credentials"),
        stdin="s\n",
    )
    assert result.code == 1
    assert "did not answer" in result.err and "refused" in result.err


class _Hostile(BaseHTTPRequestHandler):
    """Metadata for itself, then a token endpoint answering escape sequences."""

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        if self.path == "/.well-known/oauth-authorization-server":
            self._send(200, {"issuer": origin, "token_endpoint": f"{origin}/token"})
        else:
            self._send(404, {})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._send(400, {"error": "invalid_client\x1b]0;pwned\x07", "error_description": "\x1b[2J"})

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_hostile_servers_answer_reaches_the_terminal_with_controls_visible(run: CLI) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = run(
            "try",
            *("--issuer", f"http://127.0.0.1:{server.server_address[1]}", "--client-id", "1"),
            *("--client-secret-stdin", "--grant", "client_credentials"),
            stdin="s\n",
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.code == 1
    assert "\x1b" not in result.out + result.err and "\x07" not in result.out + result.err


def _approve_when_asked(store: Store, decide: str) -> threading.Thread:
    """What the person does on their phone: the first device request waiting is decided.

    Through the endpoint's own store: a second ``Store.open`` in this process would
    re-point the models' database under the running endpoint."""

    def body() -> None:
        for _ in range(200):
            pending = store.devices.pending()
            if pending:
                if decide == "approve":
                    store.devices.approve(pending[0].id, store.users.get("alice").id)
                else:
                    store.devices.deny(pending[0].id)
                return
            time.sleep(0.05)

    thread = threading.Thread(target=body)
    thread.start()
    return thread


@pytest.mark.parametrize(("decide", "status"), [("approve", 0), ("deny", 1)])
def test_device_grant_polls_until_the_code_is_decided(
    run: CLI, serve: Callable[[], TokenEndpoint], decide: str, status: int
) -> None:
    add_user(run, "alice", "correct horse")
    client = create(run, "--name", "TV", "--public", "--device")
    endpoint = serve()
    approver = _approve_when_asked(endpoint.store, decide)
    result = _try(
        run,
        endpoint.url,
        *("--client-id", str(client["id"]), "--grant", "device", "--json", "--wait", "60"),
    )
    approver.join(10)

    assert result.code == status, result.err
    assert "Code: " in result.err and "/oauth/device" in result.err
    assert "poll 1: " in result.err
    step = json.loads(result.out)["steps"][-1]
    if decide == "approve":
        assert step["response"]["access_token"] and step["response"]["token_type"] == "Bearer"
    else:
        assert step["response"]["error"] == "access_denied"


def _try_key(run: CLI, key_path: str):
    return run(
        "try",
        *("--issuer", "http://127.0.0.1:9", "--client-id", "1", "--grant", "client_credentials"),
        *("--auth-method", "private_key_jwt", "--private-key", key_path),
    )


def test_a_private_key_that_is_dev_zero_or_a_fifo_is_refused_at_once(run: CLI, tmp_path) -> None:
    # Found attacking issue 17: /dev/zero was read whole (memory without end) and a
    # FIFO with no writer blocked ``try`` forever.
    fifo = tmp_path / "key.fifo"
    os.mkfifo(fifo)
    results: list = []
    worker = threading.Thread(
        target=lambda: results.extend([_try_key(run, "/dev/zero"), _try_key(run, str(fifo))]),
        daemon=True,
    )
    worker.start()
    worker.join(10)
    if worker.is_alive():  # unblock the FIFO reader so the thread ends
        with open(fifo, "wb"):
            pass
        worker.join(5)
        pytest.fail("a FIFO or /dev/zero as --private-key hung `try`")
    for result in results:
        assert result.code == 2 and "not a regular file" in result.error_line()


def test_a_huge_or_deeply_nested_key_file_is_one_clear_error(run: CLI, tmp_path) -> None:
    huge = tmp_path / "huge.pem"
    huge.write_bytes(b"A" * (10 * 1024 * 1024))
    assert "larger than 64 KiB" in _try_key(run, str(huge)).error_line()
    deep = tmp_path / "deep.jwk"
    deep.write_bytes(b'{"k":' + b"[" * 30_000 + b"]" * 30_000 + b"}")
    result = _try_key(run, str(deep))
    assert result.code == 2 and "not valid JSON: not a JWK" in result.error_line()


def test_a_symlink_to_a_key_is_followed_and_a_dangling_one_is_one_line(run: CLI, tmp_path) -> None:
    link = tmp_path / "key.pem"
    link.symlink_to(tmp_path / "missing.pem")
    result = _try_key(run, str(link))
    assert result.code == 2 and "cannot read the private key" in result.error_line()


def test_forged_redirects_do_not_stretch_the_wait_past_its_deadline(
    run: CLI, serve: Callable[[], TokenEndpoint]
) -> None:
    # Found attacking issue 17: each forged redirect (any local process can send one)
    # restarted --wait's clock, so a forger kept ``try`` waiting for as long as it liked.

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = serve().url
    stop = threading.Event()

    def forge() -> None:
        while not stop.is_set():
            with contextlib.suppress(requests.RequestException):
                requests.get(f"http://127.0.0.1:{port}/cb?code=x&state=forged", timeout=1)
            time.sleep(0.3)

    forger = threading.Thread(target=forge, daemon=True)
    forger.start()
    started = time.monotonic()
    try:
        result = _try(
            run,
            url,
            *("--client-id", "1", "--grant", "authorization_code", "--auth-method", "none"),
            *("--redirect-uri", f"http://127.0.0.1:{port}/cb", "--wait", "2"),
        )
    finally:
        stop.set()
        forger.join(3)
    assert time.monotonic() - started < 5, result.err
    assert result.code == 1 and "No redirect reached" in result.err
    assert "ignored a redirect" in result.err
