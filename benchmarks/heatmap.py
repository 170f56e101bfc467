"""Time the many-groups heatmap page at scale and print the figures as JSON.

    python benchmarks/heatmap.py                          # 500 groups, 50,000 responses
    python benchmarks/heatmap.py --groups 1000 --responses 100000

Builds a throwaway SQLite database (a temporary folder, deleted afterwards) holding one
system: a board, organisation groups under it and teams under those, each team with a
round in an earlier reporting cycle and one in the latest; then times the publication of
each cycle by the gate (decided once per cycle, checked against history by rank tests and
audit intervals), the selector (``many_groups_report``, which reads the frozen
publication) and the whole page through Django's test client (middleware, CSP, template
and the chart spec), as a superuser. Targets: under 0.2 s median for the page, and
under 0.5 s for the first request after a server starts.

The first request is measured in a fresh process that starts the way a server does
(importing ``tracelead.wsgi``, which warms up: see ``tracelead.warmup``) and then calls
the WSGI application directly with the superuser's session cookie; its start-up time is
reported too. Earlier figures called the first test-client request "first", which also
paid for loading the middleware and importing every view.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _setup(data_dir: str) -> None:
    os.environ["TRACELEAD_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracelead.settings")
    try:
        import tracelead  # noqa: F401
    except ModuleNotFoundError:  # running from a checkout without installing
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def _load(groups: int, responses: int, organisations: int, seed: int) -> int:
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from tracelead.diagnostics.models import Assessment, Response, pack_answers
    from tracelead.instruments import get_instrument
    from tracelead.organisations.models import Group, Organisation, Sector, Space, System
    from tracelead.publishing.models import Cycle

    rng = random.Random(seed)
    keys = get_instrument("trace").item_keys
    today = timezone.localdate()
    sectors = [s for s, _ in Sector.choices]
    teams = groups - 1 - organisations
    with transaction.atomic():
        system = System.objects.create(name="Benchmark ICS")
        board = Group.objects.create(system=system, name="Board", space=Space.SYSTEM)
        orgs = [Organisation.objects.create(system=system, name=f"Organisation {i}",
                                            sector=sectors[i % len(sectors)])
                for i in range(organisations)]
        org_groups = [Group.objects.create(system=system, organisation=o, parent=board,
                                           name=f"{o.name} leadership",
                                           space=Space.ORGANISATION) for o in orgs]
        team_groups = Group.objects.bulk_create([
            Group(system=system, organisation=orgs[i % organisations],
                  parent=org_groups[i % organisations], name=f"Team {i}", space=Space.TEAM)
            for i in range(teams)
        ])
        old = dt.date(today.year - 1, 1, 6)
        earlier = Cycle.objects.create(system=system, name="Earlier cycle")
        current = Cycle.objects.create(system=system, name="Latest cycle")
        Assessment.objects.bulk_create([
            Assessment(group=g, cycle=earlier, title=f"{g.name} – round 1", instrument_key="trace",
                       instrument_version="1.0", rater_kinds=["member"], opens_on=old,
                       closes_on=old + dt.timedelta(days=30))
            for g in team_groups
        ])
        latest = Assessment.objects.bulk_create([
            Assessment(group=g, cycle=current, title=f"{g.name} – round 2",
                       instrument_key="trace",
                       instrument_version="1.0", rater_kinds=["member"],
                       opens_on=today - dt.timedelta(days=20),
                       closes_on=today - dt.timedelta(days=1))
            for g in team_groups
        ])
        batch = []
        for n in range(responses):
            # A few small teams (under the threshold) so that suppression has work to do.
            target = latest[n % len(latest)] if n % 97 else latest[rng.randrange(5)]
            level = 2 + (target.pk % 3)
            answers = {k: (None if rng.random() < 0.04 else
                           min(5, max(1, level + rng.choice((-1, 0, 0, 1, 1)))))
                       for k in keys}
            batch.append(Response(
                assessment=target, rater_kind="member", submitted_on=target.closes_on,
                answers=answers, packed=pack_answers(keys, answers),
            ))
            if len(batch) == 5000:
                Response.objects.bulk_create(batch)
                batch = []
        Response.objects.bulk_create(batch)
        # Every twentieth team has only two responses, below the threshold: the gate then
        # has primary and complementary suppression to decide and hidden cells to audit.
        for target in latest[::20]:
            keep = list(Response.objects.filter(assessment=target).values_list("pk", flat=True)[:2])
            Response.objects.filter(assessment=target).exclude(pk__in=keep).delete()
    return system.pk


_FIRST_REQUEST = r"""
import json, sys, time
t0 = time.perf_counter()
from tracelead.wsgi import application
startup = time.perf_counter() - t0
url, cookie = sys.argv[1], sys.argv[2]

def get():
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": url, "QUERY_STRING": "",
               "SERVER_NAME": "localhost", "SERVER_PORT": "80", "HTTP_HOST": "localhost",
               "HTTP_COOKIE": cookie, "wsgi.url_scheme": "http", "wsgi.input": sys.stdin.buffer,
               "wsgi.errors": sys.stderr, "wsgi.version": (1, 0), "wsgi.multithread": False,
               "wsgi.multiprocess": True, "wsgi.run_once": False}
    status = []
    start = time.perf_counter()
    body = b"".join(application(environ, lambda s, h, e=None: status.append(s)))
    return time.perf_counter() - start, status[0], len(body)

first, status, size = get()
second, _, _ = get()
print(json.dumps({"startup": startup, "first": first, "second": second, "status": status,
                  "bytes": size}))
"""


def _first_request_after_start(url: str, cookie: str) -> dict[str, Any]:
    """Start a fresh process as a server would and time its first request."""
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [src, *filter(None, [os.environ.get("PYTHONPATH")])]))
    # S603: runs this interpreter on the script above, with arguments made here.
    done = subprocess.run([sys.executable, "-c", _FIRST_REQUEST, url, cookie], env=env,  # noqa: S603
                          capture_output=True, text=True, check=True, timeout=600)
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _time(fn: object, repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--groups", type=int, default=500)
    parser.add_argument("--responses", type=int, default=50_000)
    parser.add_argument("--organisations", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tl-heatmap-") as data_dir:
        _setup(data_dir)
        start = time.perf_counter()
        system_id = _load(args.groups, args.responses, args.organisations, args.seed)
        load_s = time.perf_counter() - start
        print(f"Loaded in {load_s:.1f} s", file=sys.stderr)

        from django.contrib.auth import get_user_model
        from django.test import Client
        from django.test.utils import setup_test_environment

        from tracelead.organisations.models import System
        from tracelead.publishing.gate import publish_due
        from tracelead.publishing.models import Cycle
        from tracelead.reports.builders import many_groups_report

        setup_test_environment()
        system = System.objects.get(pk=system_id)
        publish_s = []
        for cycle in Cycle.objects.filter(system=system).order_by("pk"):
            start = time.perf_counter()
            publish_due(cycle)
            publish_s.append(round(time.perf_counter() - start, 3))
        admin = get_user_model().objects.create_superuser("bench", password=None)
        client = Client()
        client.force_login(admin)
        url = f"/reports/systems/{system_id}/"
        from django.conf import settings

        name = settings.SESSION_COOKIE_NAME
        cookie = f"{name}={client.cookies[name].value}"
        fresh = _first_request_after_start(url, cookie)
        assert str(fresh["status"]).startswith("200"), fresh["status"]
        page = client.get(url)
        assert page.status_code == 200, page.status_code
        report = many_groups_report(system)
        selector_s, _ = _time(lambda: many_groups_report(system), args.repeat)
        page_s, page_times = _time(lambda: client.get(url), args.repeat)
        filtered_s, _ = _time(lambda: client.get(url, {"measure": "sharedness",
                                                       "space": "team"}), args.repeat)
        print(json.dumps({
            "groups": len(report.rows),
            "responses": args.responses,
            "groups_shown": len(report.shown_rows),
            "groups_hidden": report.n_hidden,
            "publish_seconds_per_cycle": publish_s,
            "selector_seconds_median": round(selector_s, 3),
            "page_seconds_median": round(page_s, 3),
            "page_seconds_all": [round(t, 3) for t in page_times],
            "server_startup_seconds": round(float(fresh["startup"]), 3),
            "page_seconds_first_request_after_start": round(float(fresh["first"]), 3),
            "page_seconds_second_request_after_start": round(float(fresh["second"]), 3),
            "filtered_page_seconds_median": round(filtered_s, 3),
            "page_bytes": len(page.content),
            "target_seconds_median": 0.2,
            "target_seconds_first_request": 0.5,
            "within_target": page_s < 0.2 and float(fresh["first"]) < 0.5,
        }, indent=2))


if __name__ == "__main__":
    main()
