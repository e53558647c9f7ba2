"""The device grant across two ``authclients serve`` processes on one database: approved in one,
polled in the other, and an approved device code raced to both is redeemed exactly once."""

from __future__ import annotations

import time

import pytest
import requests

from authclients.store import Store
from authclients.store.models import AccessToken
from authclients.store.records import CreatedClient, UserInfo
from tests.endpoint.conftest import PASSWORD, form_fields
from tests.race.conftest import Conn, at_once

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
ROUNDS = 25


@pytest.fixture
def tv(live: Store) -> CreatedClient:
    return live.clients.create("TV", device=True, public=True)


def poll_fields(tv: CreatedClient, device_code: str) -> dict[str, str]:
    return {
        "grant_type": DEVICE_GRANT,
        "device_code": device_code,
        "client_id": str(tv.client.id),
    }


def test_approved_on_one_process_redeemed_on_the_other(
    live: Store, two_servers: tuple[str, str], tv: CreatedClient, alice: UserInfo
) -> None:
    first, second = two_servers
    codes = requests.post(
        f"{first}/oauth/device/code", data={"client_id": str(tv.client.id)}
    ).json()
    device = Conn(second)
    pending = device.post("/oauth/token", poll_fields(tv, codes["device_code"]), None)
    assert pending.status == 400 and pending.body["error"] == "authorization_pending"

    # The person approves on the first process, signing in there.
    browser = requests.Session()
    page = browser.get(f"{first}/oauth/device", params={"user_code": codes["user_code"]})
    confirm = browser.post(
        f"{first}/oauth/device",
        data={
            **form_fields(page.text),
            "username": "alice",
            "password": PASSWORD,
            "user_code": codes["user_code"],
        },
    )
    assert confirm.status_code == 200 and "Approve" in confirm.text, confirm.text
    done = browser.post(
        f"{first}/oauth/device", data={**form_fields(confirm.text), "action": "approve"}
    )
    assert done.status_code == 200 and "is connected" in done.text

    # The device polls the second process (a wait of one interval is what it would do;
    # the servers run on the wall clock, so the earlier poll's time is honoured).
    time.sleep(codes["interval"])
    got = device.post("/oauth/token", poll_fields(tv, codes["device_code"]), None)
    assert got.status == 200, got
    me = Conn(first).get("/api/1.0/users/me", got.body["access_token"])
    assert me.status == 200 and me.body["user"]["username"] == "alice"
    device.close()


def test_an_approved_device_code_raced_to_both_processes_is_redeemed_once(
    live: Store, two_servers: tuple[str, str], tv: CreatedClient, alice: UserInfo
) -> None:
    conns = [Conn(url) for url in two_servers]
    for _ in range(ROUNDS):
        made = live.devices.request(tv.client.id)
        live.devices.approve(made.info.id, alice.id)
        fields = poll_fields(tv, made.device_code)
        answers = at_once([lambda c=c, f=fields: c.post("/oauth/token", f, None) for c in conns])
        statuses = sorted(a.status for a in answers)
        assert statuses == [200, 400], answers
        loser = next(a for a in answers if a.status == 400)
        assert loser.body["error"] == "invalid_grant", loser
        assert live.devices.get(made.info.id).status == "used"
    # Exactly one access token per device code.
    assert AccessToken.select().where(AccessToken.grant_type == "device").count() == ROUNDS
    for c in conns:
        c.close()
