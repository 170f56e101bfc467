"""Load benchmark: simulated respondents answer the questionnaire against gunicorn.

    .venv/bin/python benchmarks/load.py --users 500 --spawn-rate 50 --run-time 3m

Starts its own PostgreSQL on loopback (Debian's, default durable settings) or uses a
SQLite file (``--database sqlite``), migrates it, creates an open assessment with enough
invitations, serves it with ``tracelead serve`` (gunicorn, ``--workers``, default
2 x cores + 1), and runs Locust headless with ``benchmarks/locustfile.py``: each user is
one respondent at a time, reading each page for ``--think`` seconds before answering.
Prints JSON: requests, failures, requests per second, the 50th, 95th and 99th
percentile and the maximum response time (ms), per kind of page as well, and how many
questionnaires were submitted. Exit status 1 if any request failed or p95 >= 1000 ms.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    COUNT,
    PYTHON,
    SETUP,
    Postgres,
    Server,
    Tally,
    django_script,
    environment,
    free_port,
    respondent,
    say,
    workspace,
)

HERE = Path(__file__).resolve().parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--spawn-rate", type=float, default=50)
    parser.add_argument("--run-time", default="3m", help="Locust's format: 90s, 2m, 1h")
    # The questionnaire takes about 8 minutes over 6 pages (80 s a page); 20-40 s is two
    # to four times faster than that. 5,15 is a stress test (about 8 times faster).
    parser.add_argument("--think", default="20,40",
                        help="seconds a respondent reads a page before answering: min,max")
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--conn-max-age", type=int, default=60,
                        help="TRACELEAD_CONN_MAX_AGE for the server (seconds)")
    parser.add_argument("--invitations", type=int, default=0,
                        help="invitations to create (default: 4 per user)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    low, _, high = args.think.partition(",")
    try:
        if not 0 <= float(low) <= float(high or low):
            raise ValueError
    except ValueError:
        parser.error("--think must be min,max seconds, e.g. 5,15")
    if args.users < 1 or args.workers < 1:
        parser.error("--users and --workers must be at least 1")
    return args


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return 0.0


def read_stats(prefix: Path) -> dict[str, object]:
    with (prefix.parent / f"{prefix.name}_stats.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    figures: dict[str, object] = {}
    pages = {}
    for row in rows:
        summary = {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "rps": round(_number(row["Requests/s"]), 1),
            "p50_ms": _number(row["50%"]),
            "p95_ms": _number(row["95%"]),
            "p99_ms": _number(row["99%"]),
            "max_ms": round(_number(row["Max Response Time"])),
        }
        if row["Name"] == "Aggregated":
            figures.update(summary)
        else:
            pages[row["Name"]] = summary
    figures["pages"] = pages
    return figures


def run(args: argparse.Namespace) -> dict[str, object]:
    with workspace(args.keep) as folder:
        postgres = None
        if args.database == "postgresql":
            postgres = Postgres(folder / "pg", free_port(), max_connections=300)
            say(f"starting PostgreSQL on 127.0.0.1:{postgres.port}")
            postgres.init()
        env = environment(folder / "data", postgres.url if postgres else None,
                          TRACELEAD_CONN_MAX_AGE=str(args.conn_max_age))
        server = None
        try:
            invitations = args.invitations or 4 * args.users
            say(f"migrating and creating {invitations} invitations")
            setup = django_script(SETUP, env, str(invitations), "0")
            warm = setup["tokens"][: 2 * args.workers]
            tokens = folder / "tokens.txt"
            tokens.write_text("\n".join(setup["tokens"][len(warm) :]))
            server = Server(env, free_port(), args.workers, folder / "server.log")
            server.start()
            server.wait_ready(f"/r/{setup['tokens'][-1]}/")
            # Warm-up, not measured: each worker compiles its templates on first use.
            with ThreadPoolExecutor(max_workers=args.workers) as pool:
                list(pool.map(lambda token: respondent(
                    server.base, token, "warm-up", 1, time.monotonic() + 120, Tally()), warm))
            say(f"gunicorn with {args.workers} workers on {server.base}; running Locust")
            prefix = folder / "locust"
            locust_env = {**env, "TRACELEAD_LOAD_TOKENS": str(tokens),
                          "TRACELEAD_LOAD_THINK": args.think}
            began = time.monotonic()
            subprocess.run(  # noqa: S603 - fixed argument list
                [PYTHON, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless",
                 "-u", str(args.users), "-r", str(args.spawn_rate), "--run-time",
                 args.run_time, "--host", server.base, "--csv", str(prefix),
                 "--only-summary", "--stop-timeout", "30", "--loglevel", "WARNING"],
                env=locust_env, check=False, cwd=folder,
            )
            seconds = round(time.monotonic() - began, 1)
            figures = read_stats(prefix)
            counted = django_script(COUNT, env, str(setup["assessment"]))
        finally:
            if server is not None:
                server.kill()
            if postgres is not None:
                postgres.stop()
    return {
        "database": args.database,
        "server": f"tracelead serve (gunicorn, {args.workers} workers)",
        "users": args.users,
        "think_seconds": args.think,
        "run_time": args.run_time,
        "seconds": seconds,
        **figures,
        "questionnaires_submitted": sum(counted.values()) - counted.get("warm-up", 0),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    figures = run(args)
    print(json.dumps(figures, indent=2))
    return 0 if figures["failures"] == 0 and figures["p95_ms"] < 1000 else 1


if __name__ == "__main__":
    sys.exit(main())
