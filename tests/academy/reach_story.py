"""The small academy the reach, attendance and report tests share, worked out by hand.

Northbrook ICS: Northbrook Hospitals (acute, 120 staff), Vale Council (local authority,
60) and Vale Carers Trust (VCFSE, 20): a workforce of 200. Vale Housing (housing) is in the
system too, with no figure and no member.

Members: Asha (hospital, nursing, Northbrook), Ben (hospital, medical, Northbrook), Chloe
(council, social work, Vale), Dev (charity, community roles, Vale) and Ewa (hospital,
allied health).

"Leading Together" is a programme of workshops:

* Workshop 1, 20 days ago, 3 hours. Asha, Ben and Dev hold places; Asha and Ben come, Dev
  does not (a no-show). Effort: 4 h administration, 6 h facilitation, 2 h preparation =
  12 h, for 2 people x 3 hours: 2.0 hours of effort per participant-hour.
* Workshop 2, 6 days ago, 2 hours. Asha holds a place and comes; Chloe comes without one
  (a walk-in). Effort: 3 h facilitation, for 2 x 2 participant-hours: 0.75.
* Workshop 3, in 10 days: Ben holds a place.

A networking evening 3 days ago (2 hours, not counting towards reach) is attended by Ewa.

So, counting from 30 days ago with "reached" = at least one counting event: Asha, Ben and
Chloe are reached (3 of the 200). With "at least two events", only Asha. Weeks from the
start (30 days ago): workshop 1 falls on day 10 (week 1), workshop 2 on day 24 (week 3);
today is day 30, in week 4, of which 3 days of 7 have passed. New people per week:
0, 2, 0, 1, 0.

The target "Five percent" is 5% of 200 = 10 people by 60 days from now.

Totals: effort 4 + 6 + 2 + 3 = 15 h; participant-hours 2x3 + 2x2 + 1x2 = 12; overall
15 / 12 = 1.25 hours of effort per participant-hour. The programme: workshop 1 had 2
newcomers; workshop 2 had 1 newcomer (Chloe), 1 returning (Asha), 1 drop-off (Ben); the
core group is Asha alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

NAMES = ("Asha", "Ben", "Chloe", "Dev", "Ewa")


@dataclass
class Story:
    academy: Any
    members: dict[str, Any]
    events: dict[str, Any]
    target: Any
    today: dt.date


def at_noon(days: int) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))


def build(academy: Any, hospital: Any, council: Any, charity: Any) -> Story:
    from tracelead.academy import services
    from tracelead.academy.models import (
        CheckIn,
        CheckInMethod,
        Effort,
        EventKind,
        Member,
        Offer,
        Programme,
        Registration,
        RegistrationStatus,
        Target,
        TargetKind,
        WorkforceDimension,
        WorkforceFigure,
    )
    from tracelead.organisations.models import Organisation, Sector

    Organisation.objects.create(system=academy.system, name="Vale Housing",
                                sector=Sector.HOUSING)
    joined = at_noon(-60)
    people = {}
    for name, organisation, staff_group, place in (
            ("Asha", hospital, "nursing", "Northbrook"), ("Ben", hospital, "medical", "Northbrook"),
            ("Chloe", council, "social_work", "Vale"), ("Dev", charity, "community", "Vale"),
            ("Ewa", hospital, "ahp", "Northbrook")):
        people[name] = Member.objects.create(
            academy=academy, name=f"{name} Example", email=f"{name.lower()}@example.org",
            organisation=organisation, sector=organisation.sector, staff_group=staff_group,
            place=place, level="manager", joined_at=joined, consented_at=joined)
    programme = Programme.objects.create(academy=academy, name="Leading Together",
                                         offer=Offer.objects.filter(academy=academy).first())

    def event(title: str, days: int, hours: int, **extra: Any) -> Any:
        starts = at_noon(days)
        return services.event_create(academy=academy, kind=extra.pop("kind", EventKind.WORKSHOP),
                                     title=title, starts_at=starts,
                                     ends_at=starts + dt.timedelta(hours=hours), **extra)

    events = {
        "w1": event("Workshop 1", -20, 3, programme=programme),
        "w2": event("Workshop 2", -6, 2, programme=programme),
        "w3": event("Workshop 3", 10, 3, programme=programme),
        "evening": event("Networking evening", -3, 2, kind=EventKind.LEARNING_COMMUNITY,
                         counts_for_reach=False),
    }
    confirmed = RegistrationStatus.CONFIRMED
    for key, names in (("w1", ("Asha", "Ben", "Dev")), ("w2", ("Asha",)), ("w3", ("Ben",))):
        for name in names:
            Registration.objects.create(event=events[key], member=people[name], status=confirmed)
    for key, name, method in (("w1", "Asha", CheckInMethod.LIST), ("w1", "Ben", CheckInMethod.SELF),
                              ("w2", "Asha", CheckInMethod.SELF),
                              ("w2", "Chloe", CheckInMethod.WALK_IN),
                              ("evening", "Ewa", CheckInMethod.SELF)):
        CheckIn.objects.create(event=events[key], member=people[name], method=method,
                               at=events[key].starts_at)
    for key, kind, hours in (("w1", "administration", "4"), ("w1", "facilitation", "6"),
                             ("w1", "preparation", "2"), ("w2", "facilitation", "3")):
        Effort.objects.create(event=events[key], kind=kind, hours=Decimal(hours))
    org = WorkforceDimension.ORGANISATION
    for organisation, headcount in ((hospital, 120), (council, 60), (charity, 20)):
        WorkforceFigure.objects.create(academy=academy, dimension=org,
                                       organisation=organisation, headcount=headcount)
    for dimension, key, headcount in (
            (WorkforceDimension.STAFF_GROUP, "nursing", 50),
            (WorkforceDimension.STAFF_GROUP, "medical", 20),
            (WorkforceDimension.STAFF_GROUP, "social_work", 30),
            (WorkforceDimension.PLACE, "Northbrook", 140),
            (WorkforceDimension.PLACE, "Vale", 60)):
        WorkforceFigure.objects.create(academy=academy, dimension=dimension, key=key,
                                       headcount=headcount)
    today = timezone.localdate()
    target = Target.objects.create(
        academy=academy, name="Five percent", kind=TargetKind.SHARE,
        share_percent=Decimal("5.00"), starts_on=today - dt.timedelta(days=30),
        by_date=today + dt.timedelta(days=60), min_events=1)
    return Story(academy=academy, members=people, events=events, target=target, today=today)
