"""`tracelead bench analysis`: each baseline agrees with the core; a missing extra is named.

A small run (1,500 responses in 60 teams) through Typer's CliRunner, so the test suite
exercises the same code the benchmark runs at 1,000,000 responses.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from tracelead.benchmarks import analysis_bench
from tracelead.cli import app

SMALL = ["bench", "analysis", "--responses", "1500", "--teams", "60", "--organisations",
         "10", "--systems", "2", "--repeat", "1"]
runner = CliRunner()


@pytest.fixture(scope="module")
def small_run() -> dict:
    result = runner.invoke(app, SMALL)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_every_baseline_agrees_with_the_core_in_a_small_run(small_run):
    assert set(small_run["baselines"]) == {"per-group apply", "pandas vectorised", "Polars",
                                           "DuckDB"}
    for name, figures in small_run["baselines"].items():
        check = figures["check"]
        assert check["agree"], (name, check)
        assert max(check["max_abs_difference"].values()) < 1e-9, name
        assert check["missing_value_mismatches"] == 0, name
        assert {"mean", "sd", "ci_low", "ci_high", "rwg_j", "level_icc1", "level_icc2",
                "alpha", "n", "n_respondents", "suppressed"} <= set(check["figures_compared"])
    # The vectorised baselines also give item distributions and cell and item suppression.
    for name in ("pandas vectorised", "Polars", "DuckDB"):
        compared = set(small_run["baselines"][name]["check"]["figures_compared"])
        assert {"item_counts", "cell_suppressed", "item_suppressed"} <= compared
    assert small_run["all_baselines_agree"] is True
    # Each vectorised baseline is timed three times after a warm-up run, timed apart; the
    # core's one run here (--repeat 1) has none, and the minutes-long apply is timed once.
    for name in ("pandas vectorised", "Polars", "DuckDB"):
        assert len(small_run["baselines"][name]["seconds_all"]) == 3
        assert small_run["baselines"][name]["first_run_seconds"] > 0
    assert small_run["baselines"]["per-group apply"]["first_run_seconds"] is None
    assert small_run["core_first_run_seconds"] is None
    assert len(small_run["core_seconds_all"]) == 1


def test_the_headline_is_the_ratio_to_the_fastest_baseline(small_run):
    times = {name: b["seconds"] for name, b in small_run["baselines"].items()}
    fastest = min(times, key=times.get)
    assert small_run["fastest_baseline"] == fastest
    # The JSON rounds times to the millisecond; a small run's core takes a few, so the
    # ratio of the rounded times may differ from the printed one by that much.
    core = small_run["core_seconds"]
    slack = 0.0005 / core * (1 + times[fastest] / core) + 0.01
    assert small_run["speedup_over_fastest_baseline"] == pytest.approx(
        times[fastest] / core, abs=slack)
    assert small_run["goals"] == {"core_seconds_at_1m_max": 0.3,
                                  "speedup_over_fastest_baseline_min": 5.0,
                                  "peak_memory_over_input_max": 1.5}
    assert "speedup_over_fastest_baseline_min" in small_run["goals_met"]


def test_the_check_notices_a_figure_that_differs():
    values, group, parents, keys = analysis_bench.make_data(
        responses=800, items=10, teams=30, organisations=6, systems=2, seed=3)
    ours = analysis_bench.core_figures(analysis_bench.core(values, group, parents, keys))
    present = ours["n_respondents"] > 0
    assert analysis_bench.compare(ours, ours, present)["agree"]
    nudged = dict(ours, mean=ours["mean"] + np.where(np.arange(parents.size) == 5, 1e-6, 0.0)
                  [:, None])
    check = analysis_bench.compare(ours, nudged, present)
    assert not check["agree"]
    assert check["max_abs_difference"]["mean"] == pytest.approx(1e-6)
    flipped = ours["suppressed"].copy()
    flipped[np.flatnonzero(present)[0]] ^= True
    check = analysis_bench.compare(ours, dict(ours, suppressed=flipped), present)
    assert not check["agree"] and check["mismatched_counts"]["suppressed"] == 1


@pytest.mark.parametrize("module", ["polars", "duckdb", "pingouin"])
def test_a_missing_extra_is_named_before_the_core_runs(monkeypatch, module):
    monkeypatch.setitem(sys.modules, module, None)  # `import module` now fails

    def must_not_run(*args, **kwargs):
        raise AssertionError("the core ran before the missing extra was reported")

    monkeypatch.setattr(analysis_bench, "core", must_not_run)
    monkeypatch.setattr(analysis_bench, "make_data", must_not_run)
    result = runner.invoke(app, SMALL)
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert module in result.stderr
    assert "pip install -e '.[dev]'" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_without_baselines_no_extra_is_needed(monkeypatch):
    for module in ("polars", "duckdb", "pingouin", "pandas"):
        monkeypatch.setitem(sys.modules, module, None)
    result = runner.invoke(app, [*SMALL, "--no-baseline"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert "baselines" not in figures and figures["groups"] == 72


def test_it_refuses_an_unknown_baseline():
    result = runner.invoke(app, [*SMALL, "--only", "Excel"])
    assert result.exit_code == 2
    assert "Polars" in result.stderr
