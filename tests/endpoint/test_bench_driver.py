"""The benchmark's wrk driver, which other tools import, loads a running endpoint correctly."""

from __future__ import annotations

import shutil

import pytest

from authclients.store import Store
from authclients.store.endpoint import TokenEndpoint
from tests.bench.bench_endpoint import SCENARIOS, request_for, run_wrk, seed, wrk_script

pytestmark = [
    pytest.mark.sqlite_only("the driver is the same on every database"),
    pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed"),
]


def test_every_scenario_answers_200_under_wrk(store: Store, endpoint: TokenEndpoint) -> None:
    ids = seed(store)
    for scenario in SCENARIOS:
        result = run_wrk(endpoint.url, scenario, seconds=1, connections=4, ids=ids)
        assert result["requests"] > 0, result
        assert result["non_2xx"] == 0 and result["socket_errors"] == 0, result
        assert 0 < result["p50_ms"] <= result["p99_ms"], result


def test_the_driver_counts_refusals(store: Store, endpoint: TokenEndpoint) -> None:
    ids = seed(store)
    wrong = {"client_id": ids.client_id, "secret": "wrong", "token": ids.token}
    result = run_wrk(endpoint.url, "introspect", seconds=1, connections=2, ids=wrong)
    assert result["requests"] > 0 and result["non_2xx"] == result["requests"]


def test_the_lua_script_quotes_what_it_sends() -> None:
    script = wrk_script(request_for("users_me", {"client_id": "1", "secret": 's"x', "token": "t"}))
    assert 'wrk.headers["Authorization"] = "Bearer t"' in script
    assert 'wrk.method = "GET"' in script
