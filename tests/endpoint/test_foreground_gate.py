"""The console's UI goes first: the endpoint's loop waits while the UI says it is busy.

The gate on its own (real threads), then a real endpoint on 127.0.0.1 whose
token request waits for the gate, on the standard loop and on uvloop.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from authclients.store import Store
from authclients.store.endpoint import TokenEndpoint, transport
from authclients.store.endpoint.foreground import ForegroundGate
from tests.endpoint.conftest import basic
from tests.endpoint.event_loop_helpers import loops


def _waiting(gate: ForegroundGate) -> tuple[threading.Thread, list[float]]:
    waited: list[float] = []
    thread = threading.Thread(target=lambda: waited.append(gate.wait()))
    thread.start()
    return thread, waited


def test_an_idle_gate_does_not_wait() -> None:
    gate = ForegroundGate()
    assert gate.wait() == 0.0 and not gate.held


def test_a_busy_gate_holds_the_waiter_until_idle() -> None:
    gate = ForegroundGate(max_hold=10.0)
    gate.busy()
    assert gate.held
    thread, waited = _waiting(gate)
    thread.join(0.3)
    assert thread.is_alive(), "the waiter went on while the foreground was busy"
    gate.idle()
    thread.join(2.0)
    assert not thread.is_alive() and 0.25 <= waited[0] < 2.0
    assert not gate.held


def test_a_busy_mark_expires_on_its_own() -> None:
    # A UI that never says idle (it crashed mid-key) delays the endpoint, never stops it.
    gate = ForegroundGate(max_hold=0.2)
    gate.busy()
    started = time.monotonic()
    assert 0.1 <= gate.wait() <= 1.0
    assert time.monotonic() - started < 1.0
    assert not gate.held and gate.wait() == 0.0


def test_lower_priority_renices_only_the_thread_that_waits() -> None:
    gate = ForegroundGate()
    gate.lower_priority(7)
    seen: dict[str, int] = {}

    def loop_thread() -> None:
        gate.wait()
        seen["loop"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    thread = threading.Thread(target=loop_thread)
    thread.start()
    thread.join(5)
    assert seen["loop"] == min(19, max(before, 7))
    # This thread (the UI's stand-in) kept its own priority.
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before


@pytest.fixture(params=loops(), ids=lambda u: "uvloop" if u else "asyncio")
def endpoint_on(
    request: pytest.FixtureRequest, store: Store, monkeypatch
) -> Iterator[TokenEndpoint]:
    """A real endpoint on the standard loop or uvloop."""
    real = transport.new_event_loop
    monkeypatch.setattr(transport, "new_event_loop", lambda _use=None: real(request.param))
    endpoint = TokenEndpoint(store, port=0)
    endpoint.start()
    assert endpoint.running
    yield endpoint
    endpoint.stop()


def test_a_token_request_waits_while_the_console_is_busy(
    store: Store, endpoint_on: TokenEndpoint
) -> None:
    created = store.clients.create("svc", client_credentials=True)
    gate = endpoint_on.application.foreground
    gate.max_hold = 10.0
    answers: list[requests.Response] = []

    def ask() -> None:
        answers.append(
            requests.post(
                f"{endpoint_on.url}/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=basic(created),
                timeout=10,
            )
        )

    gate.busy()
    client = threading.Thread(target=ask)
    client.start()
    client.join(0.5)
    assert client.is_alive() and not answers, "answered while the console was busy"
    assert store.tokens.list(client_id=created.client.id) == []
    gate.idle()
    client.join(5)
    assert answers and answers[0].status_code == 200
    assert answers[0].json()["token_type"] == "Bearer"
    assert len(store.tokens.list(client_id=created.client.id)) == 1


def test_serve_never_waits_on_an_unused_gate(store: Store, endpoint_on: TokenEndpoint) -> None:
    created = store.clients.create("svc", client_credentials=True)
    with requests.Session() as http:
        started = time.monotonic()
        for _ in range(20):
            answer = http.post(
                f"{endpoint_on.url}/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=basic(created),
                timeout=10,
            )
            assert answer.status_code == 200
    assert time.monotonic() - started < 10
    assert not endpoint_on.application.foreground.held
