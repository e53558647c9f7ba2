"""The playground's device client (RFC 8628): its requests, and what each poll answer means."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest

from authclients.store import oauth_client as oc
from authclients.store.oauth_client.device import (
    APPROVED,
    CANCELLED,
    DENIED,
    EXPIRED,
    FAILED,
    WAITING,
)

TARGET = oc.Target.from_base("http://127.0.0.1:8765")
CLIENT = oc.ClientCredentials("7", "s3cret")
CODES = {
    "device_code": "dev-code-123",
    "user_code": "BCDF-GHJK",
    "verification_uri": "http://127.0.0.1:8765/oauth/device",
    "verification_uri_complete": "http://127.0.0.1:8765/oauth/device?user_code=BCDF-GHJK",
    "expires_in": 600,
    "interval": 5,
}


def answer(status: int, body: dict[str, object]) -> oc.Exchange:
    request = oc.device_token_request(TARGET, CLIENT, "dev-code-123")
    return oc.Exchange(request, oc.HttpResponse(status, "", (), json.dumps(body)))


def test_the_requests_are_rfc_8628s() -> None:
    ask = oc.device_code_request(TARGET, CLIENT, "read write")
    assert (ask.method, ask.url) == ("POST", "http://127.0.0.1:8765/oauth/device/code")
    assert parse_qs(ask.body) == {"scope": ["read write"]}
    assert dict(ask.headers)["Authorization"].startswith("Basic ")
    poll = oc.device_token_request(TARGET, oc.ClientCredentials("7"), "dev-code-123")
    assert poll.url == TARGET.token_url
    assert parse_qs(poll.body) == {
        "grant_type": ["urn:ietf:params:oauth:grant-type:device_code"],
        "device_code": ["dev-code-123"],
        "client_id": ["7"],
    }
    assert "dev-code-123" not in poll.display()  # masked like every credential
    assert "device_code=dev-code-123" in poll.curl(show_secrets=True)


def test_metadata_names_the_device_endpoint() -> None:
    other = TARGET.with_metadata({"device_authorization_endpoint": "https://x.example/dev"})
    assert other.device_url == "https://x.example/dev"
    assert other.token_url == TARGET.token_url


def test_codes_are_read_and_a_bad_answer_says_what_lacks() -> None:
    codes = oc.DeviceCodes.from_response(CODES)
    assert (codes.user_code, codes.expires_in, codes.interval) == ("BCDF-GHJK", 600, 5)
    lean = {k: v for k, v in CODES.items() if k not in ("interval", "verification_uri_complete")}
    assert oc.DeviceCodes.from_response(lean).interval == 5
    assert oc.DeviceCodes.from_response({**CODES, "interval": 0}).interval == 5
    assert oc.DeviceCodes.from_response({**CODES, "interval": "1"}).interval == 5
    with pytest.raises(oc.NotDeviceCodes, match="device_code, expires_in"):
        oc.DeviceCodes.from_response({**CODES, "device_code": "", "expires_in": True})
    with pytest.raises(oc.NotDeviceCodes):
        oc.DeviceCodes.from_response(None)


def test_pending_then_slow_down_then_tokens() -> None:
    polling = oc.DevicePolling.start(oc.DeviceCodes.from_response(CODES), now=1000.0)
    assert not polling.due(1004.0)
    assert polling.due(1005.0)
    polling.sent()
    assert not polling.due(1006.0)  # one poll out at a time
    polling.answered(answer(400, {"error": "authorization_pending"}), 1005.0)
    assert polling.next_poll_at == 1010.0
    polling.sent()
    polling.answered(answer(400, {"error": "slow_down"}), 1010.0)
    assert (polling.interval, polling.next_poll_at) == (10, 1020.0)
    assert "every 10 s" in polling.status(1012.0)
    assert "Next poll in 8 s" in polling.status(1012.0)
    polling.sent()
    polling.answered(answer(200, {"access_token": "at", "token_type": "Bearer"}), 1020.0)
    assert polling.state == APPROVED and not polling.due(2000.0)
    assert polling.answers == ["authorization_pending", "slow_down", "tokens"]


@pytest.mark.parametrize(
    ("body", "state"),
    [
        ({"error": "access_denied"}, DENIED),
        ({"error": "expired_token"}, EXPIRED),
        ({"error": "invalid_grant"}, FAILED),
        ({"oops": 1}, FAILED),
    ],
)
def test_an_end_stops_polling(body: dict[str, object], state: str) -> None:
    polling = oc.DevicePolling.start(oc.DeviceCodes.from_response(CODES), now=0.0)
    polling.sent()
    polling.answered(answer(400, body), 5.0)
    assert polling.state == state
    assert not polling.due(100.0)
    assert polling.status(100.0) == polling.message


def test_no_answer_backs_off_exponentially_and_expiry_ends_it() -> None:
    polling = oc.DevicePolling.start(oc.DeviceCodes.from_response(CODES), now=0.0)
    request = oc.device_token_request(TARGET, CLIENT, "x")
    for expected in (10, 20, 40, 60, 60):
        polling.sent()
        polling.answered(oc.Exchange(request, None, "connection refused"), 0.0)
        assert polling.next_poll_at == expected
    assert polling.state == WAITING
    assert polling.due(604.0)  # still polling up to an interval past expiry
    assert polling.state == WAITING
    assert not polling.due(600.0 + 5)  # an interval past expiry without expired_token
    assert polling.state == EXPIRED


def test_cancel_stops_and_a_late_answer_changes_nothing() -> None:
    polling = oc.DevicePolling.start(oc.DeviceCodes.from_response(CODES), now=0.0)
    polling.sent()
    polling.cancel()
    polling.answered(answer(200, {"access_token": "at"}), 5.0)
    assert polling.state == CANCELLED
    assert not polling.due(50.0)
