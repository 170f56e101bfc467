"""Time the academy's reach and attendance pages at the scale of a large system.

Builds, in a throwaway database on the server that ``DATABASE_URL`` names (Django's test
database, ``test_<name>``, created and dropped here; in memory for SQLite), an academy of
20,000 members in 200 organisations, 2,000 events over two years (a third in programmes),
about 200,000 check-ins with their registrations, effort for every event, workforce
figures and a share target; then times the two pages through Django's test client as a
facilitator (middleware, templates and all), several times each, and prints the figures.
The target is under 0.5 s of server time for each page on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

Progress = Callable[[str], None]
TARGET_SECONDS = 0.5


def _noop(_: str) -> None:
    return None


def _load(*, members: int, events: int, attendances: int, organisations: int, seed: int,
          progress: Progress) -> tuple[int, int]:
    """Fill the database; returns the academy's id and the facilitator's user id."""
    from decimal import Decimal

    import numpy as np
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from tracelead.academy.models import (
        Academy,
        CheckIn,
        Effort,
        EffortKind,
        Event,
        EventKind,
        Member,
        Offer,
        Programme,
        Registration,
        RegistrationStatus,
        StaffGroup,
        Target,
        TargetKind,
        WorkforceDimension,
        WorkforceFigure,
    )
    from tracelead.organisations.models import (
        Organisation,
        Sector,
        System,
        SystemMembership,
        SystemRole,
    )

    rng = np.random.default_rng(seed)
    now = timezone.now()
    today = timezone.localdate()
    sectors = [s for s in Sector.values if s != Sector.OTHER]
    staff_groups = list(StaffGroup.values)
    places = [f"Place {i}" for i in range(1, 9)]
    batch = 5000
    with transaction.atomic():
        system = System.objects.create(name="Benchmark ICS")
        orgs = Organisation.objects.bulk_create([
            Organisation(system=system, name=f"Organisation {i}", sector=sectors[i % len(sectors)])
            for i in range(organisations)])
        academy = Academy.objects.create(system=system, name="Benchmark Academy",
                                         join_code="bench-" + str(seed),
                                         places="\n".join(places))
        offer = Offer.objects.create(academy=academy, name="Capability development")
        # Sizes of organisations vary, as in a system (a few large trusts, many small ones).
        weights = rng.pareto(1.2, size=organisations) + 0.2
        weights /= weights.sum()
        org_of = rng.choice(organisations, size=members, p=weights)
        joined = now - dt.timedelta(days=800)
        progress(f"Creating {members:,} members")
        member_rows = Member.objects.bulk_create([
            Member(academy=academy, name=f"Member {i}", email=f"member{i}@example.org",
                   organisation=orgs[int(org_of[i])], sector=orgs[int(org_of[i])].sector,
                   staff_group=staff_groups[int(rng.integers(len(staff_groups)))],
                   place=places[int(rng.integers(len(places)))], level="manager",
                   joined_at=joined, consented_at=joined)
            for i in range(members)], batch_size=batch)
        member_ids = np.array([m.pk for m in member_rows])
        programmes = Programme.objects.bulk_create([
            Programme(academy=academy, offer=offer, name=f"Programme {i}")
            for i in range(max(1, events // 30))])
        progress(f"Creating {events:,} events")
        # Two years of events, a tenth still to come; a third in programmes.
        offsets = np.sort(rng.uniform(-700, 75, size=events))
        kinds = list(EventKind.values)
        event_rows = Event.objects.bulk_create([
            Event(academy=academy, kind=kinds[i % len(kinds)], title=f"Event {i}",
                  starts_at=now + dt.timedelta(days=float(offsets[i])),
                  ends_at=now + dt.timedelta(days=float(offsets[i]), hours=3),
                  programme=programmes[i % len(programmes)] if i % 3 == 0 else None,
                  capacity=200, code=f"B{seed % 100:02d}{i:05d}",
                  counts_for_reach=bool(i % 10))
            for i in range(events)], batch_size=batch)
        past = [e for e in event_rows if e.starts_at <= now]
        per_event = max(1, min(members, math.ceil(attendances / max(1, len(past)))))
        progress(f"Creating about {attendances:,} check-ins and their registrations")
        check_ins: list[CheckIn] = []
        registrations: list[Registration] = []
        made = 0
        for event in past:
            if made >= attendances:
                break
            size = min(per_event, attendances - made)
            chosen = rng.choice(member_ids, size=size + size // 8, replace=False)
            came, no_shows = chosen[:size], chosen[size:]
            # Most came with a booked place; one in ten walked in.
            check_ins += [CheckIn(event=event, member_id=int(m), method="list",
                                  at=event.starts_at) for m in came]
            registrations += [Registration(event=event, member_id=int(m),
                                           status=RegistrationStatus.CONFIRMED)
                              for k, m in enumerate(came) if k % 10]
            registrations += [Registration(event=event, member_id=int(m),
                                           status=RegistrationStatus.CONFIRMED)
                              for m in no_shows]
            made += size
            if len(check_ins) >= batch:
                CheckIn.objects.bulk_create(check_ins, batch_size=batch)
                Registration.objects.bulk_create(registrations, batch_size=batch)
                check_ins, registrations = [], []
        CheckIn.objects.bulk_create(check_ins, batch_size=batch)
        Registration.objects.bulk_create(registrations, batch_size=batch)
        Effort.objects.bulk_create([
            Effort(event=e, kind=kind, hours=Decimal(int(rng.integers(1, 9))))
            for e in event_rows for kind in EffortKind.values], batch_size=batch)
        heads = np.maximum(50, (weights * 100_000).round()).astype(int)
        WorkforceFigure.objects.bulk_create(
            [WorkforceFigure(academy=academy, dimension=WorkforceDimension.ORGANISATION,
                             organisation=o, headcount=int(heads[i])) for i, o in enumerate(orgs)]
            + [WorkforceFigure(academy=academy, dimension=WorkforceDimension.STAFF_GROUP, key=g,
                               headcount=4000 + 500 * i) for i, g in enumerate(staff_groups)]
            + [WorkforceFigure(academy=academy, dimension=WorkforceDimension.PLACE, key=p,
                               headcount=12_000) for p in places])
        Target.objects.create(academy=academy, name="Two percent", kind=TargetKind.SHARE,
                              share_percent=Decimal(2), starts_on=today - dt.timedelta(days=730),
                              by_date=today + dt.timedelta(days=180))
        user = get_user_model().objects.create_user("bench.facilitator")
        SystemMembership.objects.create(user=user, system=system, role=SystemRole.FACILITATOR)
    return academy.pk, user.pk


def _time(fn: Callable[[], Any], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def _figures(times: list[float]) -> dict[str, Any]:
    return {"median_seconds": round(statistics.median(times), 3),
            "max_seconds": round(max(times), 3),
            "all_seconds": [round(t, 3) for t in times]}


def run(*, members: int = 20_000, events: int = 2_000, attendances: int = 200_000,
        organisations: int = 200, repeat: int = 7, seed: int = 1,
        progress: Progress = _noop) -> dict[str, Any]:
    """Build the academy in a throwaway database, time the pages, drop the database.
    Django must be set up (settings from the environment)."""
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    progress(f"Creating a throwaway {connection.vendor} database and migrating it")
    old_name = connection.settings_dict["NAME"]
    # Migrations print a line or two on stdout, which must hold the JSON alone.
    with contextlib.redirect_stdout(sys.stderr):
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        return _measure(members=members, events=events, attendances=attendances,
                        organisations=organisations, repeat=repeat, seed=seed,
                        progress=progress)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)


def _measure(*, members: int, events: int, attendances: int, organisations: int, repeat: int,
             seed: int, progress: Progress) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from tracelead.academy import selectors
    from tracelead.academy.models import Academy, CheckIn, Registration

    start = time.perf_counter()
    academy_id, user_id = _load(members=members, events=events, attendances=attendances,
                                organisations=organisations, seed=seed, progress=progress)
    load_s = time.perf_counter() - start
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would soon after a bulk load
    progress(f"Loaded in {load_s:.1f} s; timing the pages")
    client = Client()
    client.force_login(get_user_model().objects.get(pk=user_id))
    academy = Academy.objects.get(pk=academy_id)
    pages = {"reach": f"/academy/{academy_id}/reach/",
             "attendance": f"/academy/{academy_id}/attendance/"}
    figures: dict[str, Any] = {
        "database": connection.vendor,
        "members": members, "events": events, "organisations": organisations,
        "check_ins": CheckIn.objects.filter(event__academy_id=academy_id).count(),
        "registrations": Registration.objects.filter(event__academy_id=academy_id).count(),
        "load_seconds": round(load_s, 1), "repeat": repeat,
        "target_seconds": TARGET_SECONDS,
    }
    for name, url in pages.items():
        first = _time(lambda url=url: client.get(url), 1)[0]  # type: ignore[misc]
        queries: list[str] = []

        def count(execute: Any, sql: str, params: Any, many: bool, context: Any,
                  queries: list[str] = queries) -> Any:
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        times = _time(lambda url=url: client.get(url), repeat)  # type: ignore[misc]
        figures[f"{name}_page"] = {**_figures(times), "first_request_seconds": round(first, 3),
                                   "queries": len(queries), "bytes": len(response.content),
                                   "within_target": max(times) < TARGET_SECONDS}
    figures["reach_selector"] = _figures(_time(
        lambda: selectors.reach_report(academy, target=selectors.default_target(
            list(academy.targets.all()), timezone.localdate())), repeat))
    figures["attendance_selector"] = _figures(_time(
        lambda: selectors.attendance_report(academy, with_names=True), repeat))
    report = selectors.reach_report(academy, target=academy.targets.first())
    figures["reached"] = report.reached
    figures["target_people"] = report.target.people
    return figures
