"""bench_issue12's verdicts on given figures: the table cannot rot silently (nothing timed)."""

from __future__ import annotations

import subprocess
import sys

from tests.bench.bench_issue12 import ROOT, Figures, all_met, judge, p95, table

ALL_MET = Figures(
    cc_ratio=1.25,
    cc_p99_ms=9.9,
    cc_committed=True,
    non_2xx=0,
    introspect_rps=5000.0,
    cc_rps=5000.0,
    slow_2xx_share=0.99,
    slow_throughput_share=0.5,
    console_p95_ms=99.0,
    max_threads=8,
    threads_by_phase={"idle": 2, "password": 8},
)


def verdicts(figures: Figures) -> dict[str, bool | None]:
    return {v.target: v.met for v in judge(figures)}


def test_figures_at_their_bounds_meet_every_target() -> None:
    rows = judge(ALL_MET)
    assert len(rows) == 9
    assert all(v.met is True for v in rows), table(rows)
    assert all_met(rows)


def test_each_figure_just_past_its_bound_misses_its_own_target_only() -> None:
    past = {
        "cc_ratio": 1.19,
        "cc_p99_ms": 10.0,
        "cc_committed": False,
        "non_2xx": 1,
        "introspect_rps": 4999.0,
        "slow_2xx_share": 0.989,
        "slow_throughput_share": 0.49,
        "console_p95_ms": 100.0,
        "max_threads": 9,
    }
    for name, value in past.items():
        figures = Figures(**{**ALL_MET.__dict__, name: value})
        rows = judge(figures)
        missed = [v.target for v in rows if v.met is False]
        assert len(missed) == 1, (name, missed)
        assert not all_met(rows)
        assert "MISSED" in table(rows)


def test_a_part_left_out_is_not_measured_not_met_nor_missed() -> None:
    figures = Figures(**{**ALL_MET.__dict__, "console_p95_ms": None, "introspect_rps": None})
    rows = judge(figures)
    unmeasured = [v for v in rows if v.met is None]
    assert [v.target for v in unmeasured] == [
        "introspection >= client_credentials' rate",
        "console key-to-screen p95 < 100 ms under load",
    ]
    assert all(v.figure == "not measured" for v in unmeasured)
    assert all_met(rows)  # what was measured is met
    assert all_met(judge(Figures()))  # nothing measured, nothing missed


def test_the_table_shows_each_figure() -> None:
    text = table(judge(Figures(**{**ALL_MET.__dict__, "cc_ratio": 0.95, "max_threads": 12})))
    lines = text.splitlines()
    assert len(lines) == 10
    ratio = next(line for line in lines if line.startswith("client_credentials >= 1.2x"))
    assert "MISSED" in ratio and "0.95x" in ratio
    threads = next(line for line in lines if line.startswith("serve threads"))
    assert "MISSED" in threads and "12 (idle 2, password 8)" in threads
    assert "1.00x (5,000 vs 5,000/s)" in text


def test_p95_is_the_nearest_rank_of_the_sorted_samples() -> None:
    assert p95([float(x) for x in range(1, 101)]) == 95.0
    assert p95([3.0, 1.0, 2.0]) == 3.0
    assert p95([7.0]) == 7.0


def test_help_runs() -> None:
    done = subprocess.run(
        [sys.executable, "tests/bench/bench_issue12.py", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "--skip-console" in done.stdout and "--console-db" in done.stdout
