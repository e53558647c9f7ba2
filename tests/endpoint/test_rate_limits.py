"""Brute force: 429 and Retry-After without bcrypt or the secret compare; state in the db."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import requests

from authclients.store import crypto, ratelimit
from authclients.store.clock import ManualClock
from authclients.store.migrations import ATTEMPT_KEY_SETTING
from authclients.store.models import FailedAttempt, Setting
from authclients.store.records import CreatedClient, UserInfo
from tests.endpoint.conftest import (
    PASSWORD,
    Counter,
    assert_refused,
    basic,
    form_fields,
    issued_rows,
)


def password_grant(url: str, client: CreatedClient, password: str) -> requests.Response:
    return requests.post(
        f"{url}/oauth/token",
        data={"grant_type": "password", "username": "alice", "password": password},
        auth=basic(client),
    )


def failures(kind: str, key: str) -> int:
    if kind == "password":  # usernames are kept as a keyed hash, never as typed
        secret = Setting.get(Setting.name == ATTEMPT_KEY_SETTING).value
        key = crypto.keyed_digest(secret, key)
    return (
        FailedAttempt.select().where(FailedAttempt.kind == kind, FailedAttempt.key == key).count()
    )


def test_password_brute_force_gets_429_without_bcrypt_and_across_endpoints(
    url: str,
    web: CreatedClient,
    alice: UserInfo,
    clock: ManualClock,
    bcrypt_checks: Counter,
    other_process: str,
) -> None:
    before = issued_rows()
    for _ in range(5):
        assert_refused(password_grant(url, web, "wrong"), 400, "invalid_grant", before)
    assert bcrypt_checks.calls == 5
    assert failures("password", "alice") == 5

    locked = password_grant(url, web, "wrong")
    assert_refused(locked, 429, "slow_down", before)
    assert 1 <= int(locked.headers["Retry-After"]) <= 60
    # Even the right password waits: the lock is on the username, not the guess.
    assert_refused(password_grant(url, web, PASSWORD), 429, "slow_down", before)
    # Another process over the same database.
    assert_refused(password_grant(other_process, web, PASSWORD), 429, "slow_down", before)
    assert bcrypt_checks.calls == 5

    clock.advance(timedelta(seconds=61))
    assert password_grant(url, web, PASSWORD).status_code == 200
    assert bcrypt_checks.calls == 6


def test_a_success_forgets_the_earlier_failures(
    url: str, web: CreatedClient, alice: UserInfo
) -> None:
    for _ in range(4):
        assert password_grant(url, web, "wrong").status_code == 400
    assert failures("password", "alice") == 4
    assert password_grant(url, web, PASSWORD).status_code == 200
    assert failures("password", "alice") == 0
    # So four more mistakes are not a lock-out.
    for _ in range(4):
        assert password_grant(url, web, "wrong").status_code == 400
    assert password_grant(url, web, PASSWORD).status_code == 200


@pytest.mark.parametrize("slow_writes", [False, True], ids=["fast-db", "slow-db"])
def test_concurrent_attack_runs_bcrypt_a_bounded_number_of_times(
    url: str,
    web: CreatedClient,
    alice: UserInfo,
    bcrypt_checks: Counter,
    slow_writes: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if slow_writes:
        # A database slow to record each failure (another process holding the lock):
        # the bound must not depend on the write being quick.
        real = ratelimit.RateLimiter.record_failure

        def slow(self, *args, **kwargs):
            time.sleep(0.2)
            return real(self, *args, **kwargs)

        monkeypatch.setattr(ratelimit.RateLimiter, "record_failure", slow)
    before = issued_rows()
    statuses: list[int] = []

    def attempt() -> None:
        statuses.append(password_grant(url, web, "wrong").status_code)

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # At most ``limit`` checks in flight, each re-counting the failures before bcrypt.
    assert bcrypt_checks.calls <= 9
    assert statuses.count(400) == bcrypt_checks.calls
    assert statuses.count(429) == 20 - bcrypt_checks.calls
    assert issued_rows() == before


def test_concurrent_honest_sign_ins_of_one_user_are_never_refused(
    url: str, web: CreatedClient, alice: UserInfo
) -> None:
    statuses: list[int] = []

    def attempt() -> None:
        statuses.append(password_grant(url, web, PASSWORD).status_code)

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 12


def test_sign_in_page_brute_force_gets_429(
    http: requests.Session, url: str, web: CreatedClient, alice: UserInfo, bcrypt_checks: Counter
) -> None:
    page = http.get(
        f"{url}/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": str(web.client.id),
            "redirect_uri": "https://app.example.com/callback",
        },
    )
    fields = form_fields(page.text)
    before = issued_rows()
    for _ in range(5):
        r = http.post(
            f"{url}/oauth/authorize", data={**fields, "username": "alice", "password": "nope"}
        )
        assert r.status_code == 401
    r = http.post(
        f"{url}/oauth/authorize", data={**fields, "username": "alice", "password": PASSWORD}
    )
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert "Approve" not in r.text
    assert bcrypt_checks.calls == 5
    assert issued_rows() == before


def test_client_secret_brute_force_gets_429_without_comparing(
    url: str,
    machine: CreatedClient,
    clock: ManualClock,
    secret_compares: Counter,
    other_process: str,
) -> None:
    before = issued_rows()
    wrong = (str(machine.client.id), "guess")
    for _ in range(5):
        r = requests.post(
            f"{url}/oauth/token", data={"grant_type": "client_credentials"}, auth=wrong
        )
        assert_refused(r, 401, "invalid_client", before)
    assert secret_compares.calls == 5
    assert failures("client", str(machine.client.id)) == 5
    for target in (url, other_process):
        r = requests.post(
            f"{target}/oauth/token", data={"grant_type": "client_credentials"}, auth=basic(machine)
        )
        assert_refused(r, 429, "slow_down", before)
        assert int(r.headers["Retry-After"]) >= 1
    assert secret_compares.calls == 5

    clock.advance(timedelta(seconds=61))
    r = requests.post(
        f"{url}/oauth/token", data={"grant_type": "client_credentials"}, auth=basic(machine)
    )
    assert r.status_code == 200


def test_failures_of_one_client_do_not_lock_out_another(
    url: str, machine: CreatedClient, web: CreatedClient
) -> None:
    for _ in range(6):
        requests.post(
            f"{url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(str(machine.client.id), "guess"),
        )
    r = requests.post(
        f"{url}/oauth/token", data={"grant_type": "client_credentials"}, auth=basic(web)
    )
    assert r.status_code == 200
