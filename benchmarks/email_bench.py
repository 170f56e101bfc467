"""Send a round's invitations to a local SMTP server while the web pages are in use.

    .venv/bin/python benchmarks/email_bench.py --invitees 10000
    .venv/bin/python benchmarks/email_bench.py --invitees 10000 --kills 50
    .venv/bin/python benchmarks/email_bench.py --database postgresql
    .venv/bin/python benchmarks/email_bench.py --sqlite-pause-share 0   # no pause

The script makes a throwaway data folder (SQLite in WAL mode with synchronous=FULL, or a
fresh PostgreSQL cluster with fsync on), migrates it, and queues one invitation per
address through ``invitees_invite`` (2,000 addresses a call, the most a request may
send). It starts a real SMTP server (aiosmtpd, in its own process, which notes each
message's recipient and Message-ID), the production web server (``tracelead serve``,
gunicorn) and then one worker process running ``outbox.deliver_due`` with
``TRACELEAD_EMAIL=smtp``, as ``tracelead worker`` would.

All along, a client loads two pages every ``--probe-interval`` seconds with a fresh
invitation each time: the questionnaire's introduction (a GET: reads) and "Start" (a POST
that saves a draft: a write, which on SQLite waits for the write lock the sender takes
for each message). Their latency is reported while idle (before sending) and while
sending. With ``--kills N`` the worker is also SIGKILLed N times at random moments and
restarted, and the duplicates and missing messages are counted. On SQLite the sender
pauses after each message so that the pages can write (outbox._let_others_write);
``--sqlite-pause-share 0`` shows what happens without the pause.

Prints JSON; the exit status is 1 if any invitee received no message, or more than one
other than the message in flight at a kill (outbox.py's documented window).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    PYTHON,
    TIMEOUT,
    Postgres,
    Server,
    csrf,
    django_script,
    environment,
    free_port,
    say,
    workspace,
)

SETUP = """
import datetime as dt, json, sys, time
import django
django.setup()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from django.utils import timezone
from tracelead.diagnostics import services as diagnostics
from tracelead.diagnostics.models import Assessment
from tracelead.messaging import services as messaging
from tracelead.organisations import services as orgs
from tracelead.organisations.models import Sector, Space
from tracelead.publishing import services as publishing

invitees, probes = int(sys.argv[1]), int(sys.argv[2])
system = orgs.system_create(name="Benchmark ICS")
trust = orgs.organisation_create(system=system, name="Benchmark Trust", sector=Sector.ACUTE)
group = orgs.group_create(system=system, organisation=trust, name="Benchmark team",
                          space=Space.TEAM)
cycle = publishing.cycle_create(system=system, name="Benchmark", threshold=5,
                                comment_threshold=10)
today = timezone.localdate()
assessment = diagnostics.assessment_create(
    group=group, cycle=cycle, title="Benchmark round", instrument_key="trace",
    rater_kinds=["member"], opens_on=today, closes_on=today + dt.timedelta(days=30))
# Set-up: the round opened yesterday, so the invitations are due now (not at 8:00).
Assessment.objects.filter(pk=assessment.pk).update(opens_on=today - dt.timedelta(days=1))
assessment.refresh_from_db()
addresses = [f"person{n:06d}@example.nhs.uk" for n in range(invitees)]
started = time.monotonic()
for start in range(0, invitees, messaging.MAX_EMAILS_PER_REQUEST):
    messaging.invitees_invite(assessment=assessment, rater_kind="member",
                              emails=addresses[start:start + messaging.MAX_EMAILS_PER_REQUEST])
queued = time.monotonic() - started
# Links for the page probes: invitations of the same round, not sent by email.
tokens = [i.token for i in diagnostics.invitations_create(
    assessment=assessment, rater_kind="member", count=probes)]
print(json.dumps({"addresses": addresses, "tokens": tokens, "queue_seconds": queued}))
"""

WORKER = """
import dataclasses, json, sys
import django
django.setup()
from tracelead.messaging import outbox
if sys.argv[1:]:
    outbox.SQLITE_PAUSE_SHARE = float(sys.argv[1])
print(json.dumps(dataclasses.asdict(outbox.deliver_due())), flush=True)
"""

ROWS = """
import collections, json
import django
django.setup()
from tracelead.messaging.models import OutboxMessage
print(json.dumps(collections.Counter(OutboxMessage.objects.values_list("status", flat=True))))
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--invitees", type=int, default=10_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--probe-interval", type=float, default=0.2,
                        help="seconds between two loads of the pages")
    parser.add_argument("--idle-seconds", type=float, default=15,
                        help="how long to measure the pages before sending")
    parser.add_argument("--probe-links", type=int, default=4000,
                        help="invitations kept for the page probes (one per load)")
    parser.add_argument("--kills", type=int, default=0,
                        help="SIGKILL the worker this many times at random moments")
    parser.add_argument("--sqlite-pause-share", type=float, default=None,
                        help="the sender's pause after each message on SQLite, as a share "
                        "of the time it held the write lock (default: outbox.py's; 0: none)")
    parser.add_argument("--timeout", type=float, default=1800, help="give up after seconds")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    for name in ("invitees", "web_workers", "probe_links"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.probe_interval <= 0 or args.idle_seconds < 0:
        parser.error("--probe-interval must be positive and --idle-seconds not negative")
    if args.sqlite_pause_share is not None and args.sqlite_pause_share < 0:
        parser.error("--sqlite-pause-share cannot be negative")
    if not 0 <= args.kills < args.invitees:
        parser.error("--kills must be from 0 to fewer than --invitees")
    return args


# --- The SMTP server, in its own process (so that it does not share our interpreter) -----


def smtp_sink(port: int, log_path: str, received: Any, ready: Any) -> None:
    """Accept every message; write "time recipient Message-ID" for each to ``log_path``."""
    from email.parser import BytesHeaderParser

    from aiosmtpd.controller import Controller

    # SIGTERM ends the server cleanly: block it (in every thread) and wait for it below.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    out = open(log_path, "a", buffering=1)  # noqa: SIM115 - open until the process ends

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            headers = BytesHeaderParser().parsebytes(envelope.original_content)
            for recipient in envelope.rcpt_tos:
                out.write(f"{time.time():.6f} {recipient} {headers['Message-ID']}\n")
            with received.get_lock():
                received.value += 1
            return "250 2.0.0 Message accepted for delivery"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    signal.sigwait({signal.SIGTERM})
    controller.stop()
    out.close()


def read_log(path: Path) -> list[tuple[float, str, str]]:
    rows = []
    for line in path.read_text().splitlines():
        stamp, recipient, message_id = line.split(" ", 2)
        rows.append((float(stamp), recipient, message_id))
    return rows


# --- The page probe ----------------------------------------------------------------------


class Probe(threading.Thread):
    """Loads the introduction and presses Start, with a fresh invitation each time."""

    def __init__(self, base: str, tokens: list[str], interval: float) -> None:
        super().__init__(daemon=True)
        self.base, self.tokens, self.interval = base, tokens, interval
        self.stop = threading.Event()
        self.samples: list[tuple[float, str, float, bool]] = []  # (when, page, seconds, ok)

    def timed(self, page: str, call: Any, record: bool) -> requests.Response | None:
        begun = time.monotonic()
        try:
            response = call()
        except requests.RequestException:
            response = None
        ok = response is not None and response.status_code in (200, 302)
        if record:
            self.samples.append((begun, page, time.monotonic() - begun, ok))
        return response

    def load(self, *, record: bool = True) -> None:
        token = self.tokens.pop()
        session = requests.Session()
        url = f"{self.base}/r/{token}/"
        intro = self.timed("introduction", partial(session.get, url, timeout=TIMEOUT), record)
        if intro is not None and intro.status_code == 200:
            self.timed("start", partial(
                session.post, url, {"csrfmiddlewaretoken": csrf(intro)},
                headers={"Referer": url}, allow_redirects=False, timeout=TIMEOUT), record)

    def run(self) -> None:
        while not self.stop.is_set() and self.tokens:
            begun = time.monotonic()
            self.load()
            self.stop.wait(max(0.0, self.interval - (time.monotonic() - begun)))


def latency(samples: list[tuple[float, str, float, bool]], page: str, start: float,
            end: float) -> dict[str, float | int]:
    chosen = [s for s in samples if s[1] == page and start <= s[0] < end]
    times = sorted(s[2] for s in chosen if s[3])
    if not times:
        return {"requests": len(chosen), "failed": len(chosen)}
    quantiles = statistics.quantiles(times, n=100, method="inclusive") if len(times) > 1 else []
    return {
        "requests": len(chosen),
        "failed": sum(1 for s in chosen if not s[3]),
        "p50_ms": round(1000 * statistics.median(times), 1),
        "p95_ms": round(1000 * (quantiles[94] if quantiles else times[0]), 1),
        "max_ms": round(1000 * times[-1], 1),
    }


# --- The run -------------------------------------------------------------------------------


class Worker:
    def __init__(self, env: dict[str, str], log: Path, pause_share: float | None) -> None:
        self.log = log
        extra = [] if pause_share is None else [str(pause_share)]
        with log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our interpreter and our code
                [PYTHON, "-c", WORKER, *extra], env=env, stdout=out, stderr=out
            )

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()


def run(args: argparse.Namespace) -> dict[str, object]:
    rng = random.Random(args.seed)
    begun = time.monotonic()
    context = multiprocessing.get_context("spawn")
    with workspace(args.keep) as folder:
        postgres = None
        if args.database == "postgresql":
            postgres = Postgres(folder / "pg", free_port())
            say(f"starting PostgreSQL on 127.0.0.1:{postgres.port} (fsync on)")
            postgres.init()
        smtp_port, web_port = free_port(), free_port()
        env = environment(
            folder / "data", postgres.url if postgres else None,
            TRACELEAD_EMAIL="smtp", TRACELEAD_SMTP_HOST="127.0.0.1",
            TRACELEAD_SMTP_PORT=str(smtp_port),
            TRACELEAD_SITE_URL=f"http://127.0.0.1:{web_port}",
        )
        say(f"migrating and queueing {args.invitees:,} invitations")
        warm_up = 4 * args.web_workers + 1
        setup = django_script(SETUP, env, str(args.invitees), str(args.probe_links + warm_up))
        addresses, tokens = setup["addresses"], setup["tokens"]

        log = folder / "smtp.log"
        received = context.Value("i", 0)
        ready = context.Event()
        sink = context.Process(target=smtp_sink, args=(smtp_port, str(log), received, ready))
        sink.start()
        server = Server(env, web_port, args.web_workers, folder / "server.log")
        probe = None
        kills: list[tuple[int, float]] = []  # (messages received, when restarted)
        try:
            if not ready.wait(30):
                raise RuntimeError("the SMTP server did not start")
            server.restart_until_ready(f"/r/{tokens[-1]}/")
            tokens.pop()
            probe = Probe(server.base, tokens, args.probe_interval)
            for _ in range(4 * args.web_workers):  # warm each gunicorn worker up first
                probe.load(record=False)
            idle_start = time.monotonic()
            probe.start()
            time.sleep(args.idle_seconds)
            say("sending")
            send_start = time.monotonic()
            deadline = send_start + args.timeout
            targets = sorted(rng.sample(range(1, args.invitees), args.kills))
            worker = Worker(env, folder / "worker.log", args.sqlite_pause_share)
            starts = 1
            while True:
                if targets and received.value >= targets[0]:
                    time.sleep(rng.uniform(0, 0.02))  # a random point in the message's cycle
                    worker.kill()
                    time.sleep(0.2)  # let the SMTP server read what the worker had sent
                    kills.append((received.value, time.time()))
                    targets.pop(0)
                    worker = Worker(env, folder / "worker.log", args.sqlite_pause_share)
                    starts += 1
                    continue
                if worker.process.poll() is not None:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError("sending did not finish in time")
                time.sleep(0.005)
            send_end = time.monotonic()
            if worker.process.returncode != 0:
                raise RuntimeError(f"the worker failed; see {worker.log}")
            time.sleep(min(5.0, args.idle_seconds))  # the pages once more, after sending
            probe.stop.set()
            probe.join()
            statuses = django_script(ROWS, env)
        finally:
            if probe is not None:
                probe.stop.set()
            server.kill()
            if sink.is_alive():
                os.kill(sink.pid, signal.SIGTERM)
            sink.join(10)
            if postgres is not None:
                postgres.stop()
        messages = read_log(log)

    per_address = Counter(recipient for _, recipient, _ in messages)
    duplicated = [a for a, n in per_address.items() if n > 1]
    ids = {a: {m for _, r, m in messages if r == a} for a in duplicated}
    # The message in flight at each kill: the last one accepted before the restart.
    in_flight = set()
    for _, restarted in kills:
        before = [r for stamp, r, _ in messages if stamp < restarted]
        if before:
            in_flight.add(before[-1])
    first, last = messages[0][0], messages[-1][0]
    samples = probe.samples if probe is not None else []
    return {
        "invitees": args.invitees,
        "database": args.database,
        "web_server": f"tracelead serve ({args.web_workers} gunicorn workers)",
        "sqlite_pause_share": "outbox.py's" if args.sqlite_pause_share is None
        else args.sqlite_pause_share,
        "queueing_seconds": round(setup["queue_seconds"], 2),
        "sending": {
            "worker_seconds": round(send_end - send_start, 2),
            "first_to_last_message_seconds": round(last - first, 2),
            "messages_per_second": round((len(messages) - 1) / (last - first), 1)
            if last > first else None,
            "worker_starts": starts,
            "kills_after_message": [n for n, _ in kills],
        },
        "outcome": {
            "received": len(messages),
            "missing": sum(1 for a in addresses if per_address[a] == 0),
            "duplicated": len(duplicated),
            "duplicated_in_flight_at_a_kill": sum(1 for a in duplicated if a in in_flight),
            "duplicated_with_one_message_id": sum(1 for a in duplicated if len(ids[a]) == 1),
            "rows": statuses,
        },
        "pages": {
            phase: {page: latency(samples, page, start, end)
                    for page in ("introduction", "start")}
            for phase, (start, end) in {
                "idle": (idle_start, send_start),
                "while_sending": (send_start, send_end),
            }.items()
        },
        "measures": {
            "queueing_seconds": "invitees_invite for every address, 2,000 a call: outbox "
            "rows, invitations and invitees written",
            "worker_seconds": "from starting the worker process (Django start-up included) "
            "until it exits with nothing left to send, restarts included",
            "first_to_last_message_seconds": "between the SMTP server accepting the first "
            "and the last message",
            "messages_per_second": "messages accepted by the SMTP server per second, first "
            "to last",
            "introduction": "GET of a respondent's introduction page (a read), a fresh "
            "invitation each time",
            "start": "POST of the introduction's Start button (saves a draft: a write)",
            "p50_ms/p95_ms/max_ms": "latency seen by the client, in milliseconds",
        },
        "seconds": round(time.monotonic() - begun, 1),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    figures = run(args)
    print(json.dumps(figures, indent=2))
    outcome: Any = figures["outcome"]
    ok = outcome["missing"] == 0 and outcome["duplicated"] == min(
        outcome["duplicated_in_flight_at_a_kill"], outcome["duplicated_with_one_message_id"]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
