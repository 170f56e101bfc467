"""The fault-injection and load commands parse their options (they are run by hand)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
pytestmark = pytest.mark.no_database


def load(name: str):
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCHMARKS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
    return module


def test_fault_injection_reads_the_kill_counts_and_defaults_to_postgresql():
    args = load("fault_injection").parse_args(
        ["--submissions", "600", "--app-kills", "100", "--db-kills", "20"]
    )
    assert (args.database, args.submissions, args.app_kills, args.db_kills) == (
        "postgresql", 600, 100, 20,
    )


def test_fault_injection_kills_no_database_server_when_running_on_sqlite():
    args = load("fault_injection").parse_args(["--database", "sqlite", "--db-kills", "20"])
    assert args.db_kills == 0


@pytest.mark.parametrize(
    "argv", [["--submissions", "0"], ["--app-kills", "-1"], ["--open-link-share", "2"]]
)
def test_fault_injection_refuses_impossible_options(argv):
    with pytest.raises(SystemExit):
        load("fault_injection").parse_args(argv)


def test_load_reads_users_and_think_time():
    args = load("load").parse_args(["--users", "500", "--run-time", "2m", "--think", "5,15"])
    assert (args.users, args.run_time, args.think, args.database) == (
        500, "2m", "5,15", "postgresql",
    )


@pytest.mark.parametrize("think", ["fast", "5,1", "-1,2"])
def test_load_refuses_a_think_time_that_is_not_min_max(think):
    with pytest.raises(SystemExit):
        load("load").parse_args(["--think", think])


def test_load_reads_locusts_csv_figures(tmp_path):
    header = "Type,Name,Request Count,Failure Count,Requests/s,50%,95%,99%,Max Response Time\n"
    rows = ",Aggregated,100,0,12.5,40,180,400,900.2\nGET,GET introduction,20,0,2.5,30,90,95,96\n"
    (tmp_path / "run_stats.csv").write_text(header + rows)
    figures = load("load").read_stats(tmp_path / "run")
    assert figures["requests"] == 100 and figures["p95_ms"] == 180
    assert figures["pages"]["GET introduction"]["p99_ms"] == 95
