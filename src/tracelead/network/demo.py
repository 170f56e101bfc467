"""The demo academy's relationships network: who knew whom, met whom and works with whom.

Generated from the demo's seed on top of the academy demo's members and check-ins, so it
is the same on every machine. Its story (seeds 003 and 004):

* at joining, people knew mostly colleagues in their own organisation;
* the whole-system programme's workshops made many new ties across organisations and
  sectors, above all among the core group who came to every session, so several of them
  became the network's brokers; some of those ties became joint work;
* the monthly learning-community events, online sessions and skills workshops added a few
  ties each;
* nobody from primary care is in the network (the missing sector), and social care and
  housing are thin.

People only "met" at an event both of them checked in at, as the members' own pages
require.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from django.utils import timezone

from tracelead.academy.models import Academy, CheckIn, Event, Member

from .models import Connection, ConnectionKind, ConnectionSource

# How many people each person met at one of the programme's workshops: the core group
# (who came to every session) more, everyone else a few.
CORE_MEETS = (6, 10)
OTHERS_MEET = (2, 4)
# The share of ties made at the programme's workshops that later became joint work, for
# ties with someone of the core group and for the others.
WORKED_CORE = 0.16
WORKED_OTHERS = 0.04
# At the academy's other events, the share of those who came who recorded anyone, and
# how many each recorded.
OTHER_EVENTS_SHARE = 0.15
OTHER_EVENTS_MEET = (1, 2)


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def network_demo_load(*, academy: Academy, today: dt.date, seed: int) -> int:
    """Record the demo academy's ties; returns how many (called inside the demo's
    transaction, after the academy demo)."""
    rng = random.Random(seed + 15)  # noqa: S311 - demo data, not a secret
    members = {m.pk: m for m in Member.objects.filter(academy=academy).order_by("joined_at",
                                                                                  "pk")}
    rows: list[Connection] = []
    known: set[tuple[int, int]] = set()

    def add(a: int, b: int, kind: str, on: dt.date, event: Event | None = None) -> None:
        first, second = _pair(a, b)
        rows.append(Connection(
            academy=academy, first_id=first, second_id=second, kind=kind, event=event, on=on,
            source=ConnectionSource.MEMBER, recorded_by_id=rng.choice((a, b))))
        known.add((first, second))

    # At joining: mostly colleagues in their own organisation, a few people elsewhere.
    by_organisation: dict[int | None, list[int]] = defaultdict(list)
    earlier: list[int] = []
    for member in members.values():
        colleagues = by_organisation[member.organisation_id]
        count = rng.choice((0, 1, 1, 2, 2, 2, 3, 4))
        chosen: set[int] = set()
        for _ in range(count):
            pool = colleagues if colleagues and rng.random() < 0.88 else earlier
            if pool:
                chosen.add(rng.choice(pool))
        for other in chosen:
            since = max(members[other].joined_at, member.joined_at)
            add(member.pk, other, ConnectionKind.KNEW, timezone.localdate(since))
        colleagues.append(member.pk)
        earlier.append(member.pk)

    events = list(Event.objects.filter(academy=academy, cancelled_at__isnull=True,
                                       starts_at__date__lt=today).order_by("starts_at"))
    came: dict[int, list[int]] = defaultdict(list)
    for event_id, member_id in CheckIn.objects.filter(event__in=events).values_list(
            "event_id", "member_id").order_by("event_id", "member_id"):
        came[event_id].append(member_id)
    workshops = [e for e in events if e.programme_id is not None and came[e.pk]]
    worked: set[tuple[int, int]] = set()
    core: set[int] = set.intersection(*(set(came[e.pk]) for e in workshops)) \
        if workshops else set()

    def partners(person: int, room: list[int], count: int) -> list[int]:
        """Whom one person met: new people first, from other sectors and organisations
        above all, and for the core group each other too."""
        me = members[person]
        weights = []
        for other in room:
            them = members[other]
            weight = 1.0
            if them.sector != me.sector:
                weight = 4.0
            elif them.organisation_id != me.organisation_id:
                weight = 2.5
            if _pair(person, other) in known:
                weight *= 0.3
            if person in core and other in core:
                weight *= 2.0
            weights.append(weight)
        chosen: set[int] = set()
        for _ in range(count * 3):
            if len(chosen) >= min(count, len(room)):
                break
            chosen.add(rng.choices(room, weights)[0])
        return sorted(chosen)

    for event in workshops:
        on = timezone.localdate(event.starts_at)
        met: set[tuple[int, int]] = set()
        for person in came[event.pk]:
            room = [m for m in came[event.pk] if m != person]
            low, high = CORE_MEETS if person in core else OTHERS_MEET
            for other in partners(person, room, rng.randint(low, high)):
                pair = _pair(person, other)
                if pair not in met:
                    met.add(pair)
                    add(person, other, ConnectionKind.MET, on, event)
        # Some of the ties made in the room became joint work in the weeks after.
        for a, b in sorted(met):
            share = WORKED_CORE if a in core or b in core else WORKED_OTHERS
            later = on + dt.timedelta(days=rng.randint(14, 70))
            if later < today and (a, b) not in worked and rng.random() < share:
                worked.add((a, b))
                add(a, b, ConnectionKind.WORKED, later)


    for event in events:
        if event.programme_id is not None or len(came[event.pk]) < 2:
            continue
        on = timezone.localdate(event.starts_at)
        room = came[event.pk]
        seen: set[tuple[int, int]] = set()
        for person in rng.sample(room, max(1, round(len(room) * OTHER_EVENTS_SHARE))):
            others = [m for m in room if m != person]
            for other in rng.sample(others, min(len(others), rng.randint(*OTHER_EVENTS_MEET))):
                pair = _pair(person, other)
                if pair not in seen:
                    seen.add(pair)
                    add(person, other, ConnectionKind.MET, on, event)
    Connection.objects.bulk_create(rows, batch_size=500)
    return len(rows)
