"""Kill the server (and PostgreSQL) while respondents submit; count what survived.

    .venv/bin/python benchmarks/fault_injection.py --database postgresql \\
        --submissions 600 --app-kills 100 --db-kills 20
    .venv/bin/python benchmarks/fault_injection.py --database sqlite \\
        --submissions 600 --app-kills 100

The script makes its own database (a fresh PostgreSQL cluster on loopback with fsync on,
or a SQLite file in WAL mode with synchronous=FULL), migrates it, opens an assessment
with one invitation per respondent (and, with ``--open-link-share``, some respondents on
the open link with a device cookie), and starts the production server, ``tracelead
serve`` (gunicorn), in its own process group.

Respondent threads then work through the questionnaire as a browser would: GET the
introduction (for the CSRF cookie and field), POST start, POST the five condition pages,
POST the free-text page with ``action=submit``. Each respondent writes a unique marker in
its "one change" answer. Any connection error or 5xx makes the respondent start again
from its link, which resumes its saved draft, as a person pressing reload would.

Meanwhile a supervisor SIGKILLs the whole server (master and workers) ``--app-kills``
times and the whole PostgreSQL cluster (postmaster and backends) ``--db-kills`` times at
random moments, restarting each after the kill. Respondents are released in step with
the kills, so there is traffic in flight at every kill.

At the end every submission that was acknowledged (a 302 to /r/done/ reached the client)
must be in the database exactly once, and no marker may be there twice. The figures are
printed as JSON; the exit status is 1 if any acknowledged response is missing or any is
duplicated. Traffic goes only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import COUNT as COUNT_SCRIPT
from _harness import SETUP as SETUP_SCRIPT
from _harness import (
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


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--submissions", type=int, default=600)
    parser.add_argument("--app-kills", type=int, default=100)
    parser.add_argument("--db-kills", type=int, default=20,
                        help="PostgreSQL kills (ignored for SQLite, which runs in-process)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent respondents")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--server", choices=["gunicorn", "serve"], default="gunicorn",
                        help="gunicorn: tracelead.wsgi with --preload (restarts in half the "
                        "time); serve: `tracelead serve` itself")
    parser.add_argument("--open-link-share", type=float, default=0.25,
                        help="share of respondents on the open link instead of an invitation")
    parser.add_argument("--min-uptime", type=float, default=1.0,
                        help="least seconds the server answers before a kill")
    parser.add_argument("--max-uptime", type=float, default=3.0)
    parser.add_argument("--timeout", type=float, default=1800, help="give up after seconds")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    if args.database == "sqlite":
        args.db_kills = 0
    for name in ("submissions", "clients", "workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.app_kills < 0 or args.db_kills < 0:
        parser.error("kills cannot be negative")
    if not 0 <= args.open_link_share <= 1:
        parser.error("--open-link-share must be between 0 and 1")
    return args


def run(args: argparse.Namespace) -> dict[str, object]:
    rng = random.Random(args.seed)
    tally = Tally()
    begun = time.monotonic()
    with workspace(args.keep) as folder:
        postgres = None
        if args.database == "postgresql":
            postgres = Postgres(folder / "pg", free_port())
            say(f"starting PostgreSQL on 127.0.0.1:{postgres.port} (fsync on)")
            postgres.init()
        env = environment(folder / "data", postgres.url if postgres else None)
        server = None
        try:
            open_share = round(args.submissions * args.open_link_share)
            say("migrating and creating an assessment with invitations")
            setup = django_script(
                SETUP_SCRIPT, env, str(args.submissions - open_share), "1" if open_share else "0"
            )
            links = list(setup["tokens"]) + [setup["open_token"]] * open_share
            rng.shuffle(links)
            run_id = f"{args.seed}-{int(time.time())}"
            server = Server(env, free_port(), args.workers, folder / "server.log", args.server)
            ready_path = f"/r/{setup['open_token'] or links[0]}/"
            server.restart_until_ready(ready_path)

            deadline = time.monotonic() + args.timeout
            events = ["app"] * args.app_kills
            for n in range(args.db_kills):  # spread the database kills evenly
                events.insert(round((n + 0.5) * len(events) / args.db_kills), "db")
            outcomes: Counter[str] = Counter()
            futures = []
            released = 0
            kills = Counter()
            with ThreadPoolExecutor(max_workers=args.clients) as pool:

                def release(upto: int) -> None:
                    nonlocal released
                    while released < upto:
                        marker = f"fault-injection {run_id} respondent {released}"
                        futures.append(pool.submit(
                            respondent, server.base, links[released], marker,
                            rng.randrange(5), deadline, tally))
                        released += 1

                try:
                    for index, event in enumerate(events):
                        release(round((index + 1) * args.submissions / (len(events) + 1)))
                        time.sleep(rng.uniform(args.min_uptime, args.max_uptime))
                        if event == "app":
                            server.kill()
                            kills["app"] += 1
                        else:
                            postgres.kill()
                            kills["db"] += 1
                            time.sleep(rng.uniform(0, 0.3))
                            postgres.start()
                        kills["server exited by itself"] += server.restart_until_ready(ready_path)
                        if (index + 1) % 10 == 0:
                            say(f"  {index + 1}/{len(events)} kills, {len(tally.acknowledged)} "
                                f"acknowledged so far")
                    release(args.submissions)
                    for future in futures:
                        outcomes[future.result()] += 1
                except BaseException:
                    tally.stop.set()  # let the respondent threads end, so the pool can close
                    raise
            counted = Counter(django_script(COUNT_SCRIPT, env, str(setup["assessment"])))
        finally:
            tally.stop.set()
            if server is not None:
                server.kill()
            if postgres is not None:
                postgres.stop()
    acknowledged = tally.acknowledged
    present = sum(1 for marker in acknowledged if counted.get(marker) == 1)
    return {
        "database": args.database,
        "server": f"{args.server} ({args.workers} gunicorn workers)",
        "submissions": args.submissions,
        "kills": {"app_server": kills["app"], "postgresql": kills["db"]},
        "server_exited_by_itself": kills["server exited by itself"],
        "acknowledged": len(acknowledged),
        "present": present,
        "missing": sum(1 for marker in acknowledged if counted.get(marker, 0) == 0),
        "duplicated": sum(1 for n in counted.values() if n > 1),
        "responses_in_database": sum(counted.values()),
        "recorded_but_acknowledgement_lost": outcomes["used"],
        "gave_up": outcomes["gave up"],
        "client_retries": tally.counts["retries"],
        "client_errors": {k: v for k, v in tally.counts.items() if k != "retries"},
        "seconds": round(time.monotonic() - begun, 1),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # clean up on kill, too
    figures = run(args)
    print(json.dumps(figures, indent=2))
    ok = figures["present"] == figures["acknowledged"] and figures["duplicated"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
