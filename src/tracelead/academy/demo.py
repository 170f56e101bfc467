"""The demo's academy: Northbrook and Vale System Leadership Academy.

Generated from the demo's seed, so it is the same on every machine. Its story:

* a reach target of 2% of a 30,000-strong workforce (600 people) by a date four months
  away; about 430 members have joined over ten months and, at the current pace, the
  forecast falls short of the target;
* primary care has 1,700 staff and nobody from it has come to an event (a missing
  sector); social care, with only a handful of members, is under-represented (and thin
  in the relationships network), the voluntary sector over-represented;
* "Leading for Whole-System Change", six workshops under the capability offer, five held
  and one still to come: attendance is uneven (a core group came every time, newcomers
  joined late, some dropped off after the first sessions), and the coordination effort
  logged for it is far above the half-day a workshop that people tend to assume;
* monthly learning-community events and online sessions, one upcoming workshop already
  full with a waiting list;
* an exchange round that paired members across organisations, with visits and
  reflections recorded.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User

from tracelead.organisations.models import Organisation, Sector, System

from . import services
from .models import (
    Academy,
    Characteristic,
    CheckIn,
    CheckInMethod,
    Effort,
    EffortKind,
    Enrolment,
    Event,
    EventKind,
    ExchangePair,
    ExchangeRound,
    ExchangeVisit,
    Member,
    Offer,
    Programme,
    Registration,
    RegistrationStatus,
    RoleLevel,
    StaffGroup,
    Target,
    TargetKind,
    WorkforceDimension,
    WorkforceFigure,
)

LONDON = ZoneInfo("Europe/London")
PLACES = ("Northbrook", "Vale East", "Vale West")

CHARACTERISTICS = (
    ("Leads for the whole population",
     "Weighs what a decision means for everyone the system serves, not one organisation."),
    ("Builds trust across boundaries",
     "Makes and keeps relationships with people in other organisations and sectors."),
    ("Shares power with communities",
     "Involves the people who use services and the groups that speak for them."),
    ("Learns in complexity",
     "Tries small things, watches what happens and changes course openly."),
    ("Sustains energy",
     "Looks after their own energy and the energy of the people around them."),
)
OFFERS = (
    ("Community development", "A community of system leaders that meets, learns and "
     "connects across the whole system."),
    ("Capability development", "Programmes and workshops that build the skills of "
     "leading across boundaries."),
    ("Spread and scale of innovation", "Help to take what works in one place to others."),
)

# The academy's organisations beyond the diagnostic demo's three: (name, sector,
# headcount). Primary care is in the system but nobody from it comes (the missing sector).
MORE_ORGANISATIONS = (
    ("Northbrook Mental Health and Community Trust", Sector.MENTAL_HEALTH),
    ("Vale Primary Care Collaborative", Sector.PRIMARY_CARE),
    ("Vale Home Care Partnership", Sector.SOCIAL_CARE),
    ("Northbrook Homes", Sector.HOUSING),
)
HEADCOUNT: dict[str, int] = {
    Sector.ACUTE: 11_500, Sector.LOCAL_AUTHORITY: 5_200, Sector.VCFSE: 1_100,
    Sector.MENTAL_HEALTH: 4_600, Sector.PRIMARY_CARE: 1_700, Sector.SOCIAL_CARE: 4_900,
    Sector.HOUSING: 1_000,
}
# How likely a new member comes from each sector (primary care: nobody).
JOIN_WEIGHTS: dict[str, float] = {
    Sector.ACUTE: 0.36, Sector.LOCAL_AUTHORITY: 0.18, Sector.VCFSE: 0.16,
    Sector.MENTAL_HEALTH: 0.17, Sector.SOCIAL_CARE: 0.02, Sector.HOUSING: 0.07,
}
STAFF_GROUPS: dict[str, tuple[str, ...]] = {
    Sector.ACUTE: (StaffGroup.MEDICAL, StaffGroup.NURSING, StaffGroup.AHP,
                   StaffGroup.MANAGEMENT, StaffGroup.SCIENCE, StaffGroup.PHARMACY),
    Sector.MENTAL_HEALTH: (StaffGroup.NURSING, StaffGroup.PSYCHOLOGY, StaffGroup.MEDICAL,
                           StaffGroup.AHP, StaffGroup.MANAGEMENT),
    Sector.LOCAL_AUTHORITY: (StaffGroup.SOCIAL_WORK, StaffGroup.PUBLIC_HEALTH,
                             StaffGroup.MANAGEMENT),
    Sector.VCFSE: (StaffGroup.COMMUNITY, StaffGroup.LIVED_EXPERIENCE, StaffGroup.MANAGEMENT),
    Sector.SOCIAL_CARE: (StaffGroup.SOCIAL_WORK, StaffGroup.SUPPORT, StaffGroup.MANAGEMENT),
    Sector.HOUSING: (StaffGroup.MANAGEMENT, StaffGroup.SUPPORT, StaffGroup.COMMUNITY),
}
STAFF_GROUP_HEADCOUNT = {
    StaffGroup.NURSING: 8_400, StaffGroup.MEDICAL: 3_300, StaffGroup.AHP: 2_600,
    StaffGroup.SCIENCE: 900, StaffGroup.PHARMACY: 700, StaffGroup.PSYCHOLOGY: 800,
    StaffGroup.SOCIAL_WORK: 4_100, StaffGroup.PUBLIC_HEALTH: 400,
    StaffGroup.MANAGEMENT: 4_200, StaffGroup.SUPPORT: 3_100, StaffGroup.COMMUNITY: 1_100,
    StaffGroup.LIVED_EXPERIENCE: 400,
}
PLACE_HEADCOUNT = {"Northbrook": 14_000, "Vale East": 9_000, "Vale West": 7_000}

FIRST = (
    "Aisha", "Ben", "Carys", "Dev", "Ewa", "Farah", "Gareth", "Hana", "Idris", "Jo", "Kemi",
    "Liam", "Mei", "Nia", "Owen", "Priya", "Quentin", "Rosa", "Sam", "Tariq", "Una", "Vikram",
    "Wen", "Yusuf", "Zoe", "Amir", "Bethan", "Callum", "Dina", "Efe", "Fiona", "Grace",
    "Hamza", "Isla", "Jonah", "Kavya", "Leon", "Maya", "Noor", "Olu"
)
LAST = (
    "Adeyemi", "Brown", "Chen", "Davies", "Evans", "Fraser", "Ghosh", "Hughes", "Iqbal",
    "Jones", "Khan", "Lewis", "Morgan", "Nowak", "Okafor", "Patel", "Quinn", "Roberts",
    "Singh", "Thomas", "Usman", "Vaughan", "Walsh", "Xu", "Young", "Zielinski", "Ahmed",
    "Bell", "Campbell", "Doyle"
)

PROGRAMME = "Leading for Whole-System Change"
# Attendance of the six workshops: the core group that came every time, and how many
# others came to each session (the sixth is still to come).
CORE_GROUP = 16
OTHERS = (34, 27, 21, 24, 15)
LEARNING_EFFORT: dict[str, str] = {
    EffortKind.ADMINISTRATION: "4.5", EffortKind.FACILITATION: "7", EffortKind.PREPARATION: "6"}
REFLECTIONS = (
    "Seeing how the home care rota is put together changed how I plan discharges.",
    "I had never sat in on a council housing panel; we now call each other directly.",
    "We found we were both chasing the same families for the same information.",
    "The visit showed me how much the voluntary sector carries without being asked.",
)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def _organisations(system: System) -> list[Organisation]:
    existing = {o.name for o in system.organisations.all()}
    for name, sector in MORE_ORGANISATIONS:
        if name not in existing:
            Organisation.objects.create(system=system, name=name, sector=sector)
    return list(system.organisations.all())


def _members(academy: Academy, organisations: list[Organisation], rng: random.Random,
             start: dt.date, today: dt.date) -> list[Member]:
    by_sector: dict[str, list[Organisation]] = {}
    for organisation in organisations:
        by_sector.setdefault(organisation.sector, []).append(organisation)
    sectors = list(JOIN_WEIGHTS)
    weights = [JOIN_WEIGHTS[s] for s in sectors]
    days = (today - start).days
    members = []
    used: set[str] = set()
    for index in range(430):
        sector = rng.choices(sectors, weights)[0]
        organisation = rng.choice(by_sector[sector])
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}".lower()
        if email in used:
            email = f"{email}{index}"
        used.add(email)
        # More joined early, at the launch, than later.
        joined = start + dt.timedelta(days=int(days * rng.random() ** 1.6))
        members.append(Member(
            academy=academy, name=f"{first} {last}", email=f"{email}@example.org",
            organisation=organisation, sector=sector,
            staff_group=rng.choice(STAFF_GROUPS[sector]),
            place=rng.choices(PLACES, (0.5, 0.3, 0.2))[0],
            level=rng.choice([v for v in RoleLevel.values if v != RoleLevel.OTHER]),
            joined_at=_at(joined, 9) + dt.timedelta(minutes=index),
            consented_at=_at(joined, 9), exchange_opt_in=rng.random() < 0.12,
            exchange_sectors=rng.choice([[], [Sector.SOCIAL_CARE], [Sector.VCFSE],
                                         [Sector.LOCAL_AUTHORITY, Sector.HOUSING]]),
        ))
    return Member.objects.bulk_create(members)


def _event(academy: Academy, *, title: str, kind: str, day: dt.date, hours: int,
           programme: Programme | None = None, capacity: int | None = None,
           venue: str = "", link: str = "",
           characteristics: list[Characteristic] | None = None) -> Event:
    start = _at(day, 13 if kind == EventKind.ONLINE else 9, 30)
    return services.event_create(
        academy=academy, title=title, kind=kind, programme=programme, capacity=capacity,
        starts_at=start, ends_at=start + dt.timedelta(hours=hours), venue=venue, link=link,
        characteristics=characteristics or [],
    )


def _attend(event: Event, people: list[Member], rng: random.Random, *,
            no_show: float = 0.12, walk_ins: int = 0,
            extra: list[Member] | None = None) -> None:
    """Registrations for ``people`` (some do not come) and check-ins for those who came,
    plus ``walk_ins`` of ``extra`` who came without booking."""
    registrations, check_ins = [], []
    for person in people:
        registrations.append(Registration(event=event, member=person,
                                          status=RegistrationStatus.CONFIRMED))
        if rng.random() >= no_show:
            check_ins.append(CheckIn(event=event, member=person, method=rng.choice(
                [CheckInMethod.SELF, CheckInMethod.SELF, CheckInMethod.LIST]),
                at=event.starts_at - dt.timedelta(minutes=rng.randint(0, 25))))
    booked = {person.pk for person in people}
    candidates = [person for person in extra or [] if person.pk not in booked]
    for person in rng.sample(candidates, min(walk_ins, len(candidates))):
        check_ins.append(CheckIn(event=event, member=person, method=CheckInMethod.WALK_IN,
                                 at=event.starts_at + dt.timedelta(minutes=rng.randint(0, 20))))
    created = Registration.objects.bulk_create(registrations)
    # A registration's time is when it was made: a few weeks before the event.
    for row in created:
        Registration.objects.filter(pk=row.pk).update(
            created_at=event.starts_at - dt.timedelta(days=rng.randint(7, 40)))
    CheckIn.objects.bulk_create(check_ins)


def _effort(event: Event, amounts: Mapping[str, str]) -> None:
    Effort.objects.bulk_create(Effort(event=event, kind=kind, hours=Decimal(hours))
                               for kind, hours in amounts.items())


def academy_demo_load(*, system: System, facilitator: User, today: dt.date,
                      seed: int) -> Academy:
    """Create the demo academy in the demo system (called inside the demo's transaction)."""
    rng = random.Random(seed + 12)  # noqa: S311 - demo data, not a secret
    organisations = _organisations(system)
    academy = services.academy_create(
        system=system, name="Northbrook and Vale System Leadership Academy",
        purpose="A home for everyone who leads across Northbrook and Vale, whatever their "
                "organisation or role: to meet, learn together and take on the system's "
                "shared problems.",
        principles="Open to every sector and every level of role\n"
                   "Learning happens between organisations, not only inside them\n"
                   "People who use services are part of the community\n"
                   "We measure who we reach, and who we miss",
        places="\n".join(PLACES),
        privacy_notice="Northbrook and Vale ICB holds your details to run the academy: to "
                       "book you onto events, record who came, pair you for exchange "
                       "visits and count how far the academy reaches. Facilitators of the "
                       "academy see your name; everyone else sees only counts. Your details "
                       "are kept while you are a member; leave at any time from your own "
                       "page and your name and address are erased.",
    )
    academy.facilitators.add(facilitator)
    characteristics = [
        Characteristic.objects.create(academy=academy, name=name, description=text,
                                      position=index)
        for index, (name, text) in enumerate(CHARACTERISTICS, start=1)]
    offers = [Offer.objects.create(academy=academy, name=name, description=text,
                                   position=index)
              for index, (name, text) in enumerate(OFFERS, start=1)]
    start = today - dt.timedelta(days=300)
    members = _members(academy, organisations, rng, start, today)
    _workforce(academy, organisations)
    Target.objects.create(
        academy=academy, name="2% of the system's workforce", kind=TargetKind.SHARE,
        share_percent=Decimal("2.00"), starts_on=start,
        by_date=today + dt.timedelta(days=120), min_events=1)

    def joined_by(day: dt.date) -> list[Member]:
        return [m for m in members if m.joined_at.date() <= day]

    _programme(academy, offers[1], characteristics, members, joined_by, rng, today)
    # Monthly learning-community events and online sessions since the launch.
    for month in range(9):
        day = start + dt.timedelta(days=20 + 31 * month)
        if day >= today:
            break
        kind = EventKind.LEARNING_COMMUNITY if month % 2 == 0 else EventKind.ONLINE
        topic = ("Working with the voluntary sector", "Communities leading change",
                 "Data that the whole system trusts", "Conversations about money",
                 "Leading when nobody is in charge")[month % 5]
        event = _event(academy, title=f"Learning community: {topic}", kind=kind, day=day,
                       hours=2 if kind == EventKind.ONLINE else 3,
                       venue="" if kind == EventKind.ONLINE else "Vale Civic Centre",
                       link="https://meet.example.org/academy" if kind == EventKind.ONLINE
                       else "", characteristics=[characteristics[month % 5]])
        pool = joined_by(day - dt.timedelta(days=3))
        _attend(event, rng.sample(pool, min(len(pool), rng.randint(25, 55))), rng,
                walk_ins=3, extra=pool)
        _effort(event, {EffortKind.ADMINISTRATION: "3", EffortKind.FACILITATION: "3",
                        EffortKind.PREPARATION: "2"})
    # Skills workshops on each characteristic, one a month, the last one still to come.
    for index, characteristic in enumerate(characteristics):
        day = start + dt.timedelta(days=60 + 50 * index)
        event = _event(academy, title=f"Skills workshop: {characteristic.name.lower()}",
                       kind=EventKind.WORKSHOP, day=day, hours=3, capacity=40,
                       venue="Northbrook Education Centre", characteristics=[characteristic])
        if day < today:
            pool = joined_by(day - dt.timedelta(days=5))
            _attend(event, rng.sample(pool, min(len(pool), 40)), rng, no_show=0.18)
            _effort(event, LEARNING_EFFORT)
    upcoming = _event(academy, title="Skills workshop: leading in a crisis",
                      kind=EventKind.WORKSHOP, day=today + dt.timedelta(days=16), hours=3,
                      capacity=30, venue="Northbrook Education Centre",
                      characteristics=characteristics[3:4])
    for member in rng.sample(members, 36):
        services.registration_create(event=upcoming, member=member)
    _exchange(academy, members, rng, today)
    return academy


def _workforce(academy: Academy, organisations: list[Organisation]) -> None:
    per_sector: dict[str, list[Organisation]] = {}
    for organisation in organisations:
        per_sector.setdefault(organisation.sector, []).append(organisation)
    figures = []
    for sector, group in per_sector.items():
        for organisation in group:
            figures.append(WorkforceFigure(
                academy=academy, dimension=WorkforceDimension.ORGANISATION,
                organisation=organisation, headcount=HEADCOUNT[sector] // len(group)))
    figures += [WorkforceFigure(academy=academy, dimension=WorkforceDimension.STAFF_GROUP,
                                key=key, headcount=count)
                for key, count in STAFF_GROUP_HEADCOUNT.items()]
    figures += [WorkforceFigure(academy=academy, dimension=WorkforceDimension.PLACE, key=key,
                                headcount=count) for key, count in PLACE_HEADCOUNT.items()]
    WorkforceFigure.objects.bulk_create(figures)


def _programme(academy: Academy, offer: Offer, characteristics: list[Characteristic],
               members: list[Member], joined_by: object, rng: random.Random,
               today: dt.date) -> None:
    """Six workshops about six weeks apart; the sixth is still to come."""
    programme = Programme.objects.create(
        academy=academy, offer=offer, name=PROGRAMME,
        purpose="Partners in Northbrook and Vale cannot get people home from hospital "
                "quickly enough. Leaders from every sector work on that one shared "
                "problem together, across six workshops.",
        faculty="Dr Rhian Pryce (external facilitator)\nMarcus Obi (ICB organisational "
                "development)\nSally Trent (Vale Community Action)",
    )
    eligible = [m for m in members if m.sector != Sector.PRIMARY_CARE]
    core = rng.sample(eligible, CORE_GROUP)
    others = [m for m in eligible if m not in core]
    Enrolment.objects.bulk_create(Enrolment(programme=programme, member=m)
                                  for m in core + others[:90])
    came_before: list[Member] = []
    first_day = today - dt.timedelta(days=4 * 42 + 10)
    for session in range(6):
        day = first_day + dt.timedelta(days=42 * session)
        event = _event(academy, title=f"{PROGRAMME}: workshop {session + 1} of 6",
                       kind=EventKind.WORKSHOP, day=day, hours=6, programme=programme,
                       capacity=70, venue="Vale Civic Centre",
                       characteristics=characteristics[session % 5: session % 5 + 2])
        if day >= today:
            for member in core + others[:20]:
                services.registration_create(event=event, member=member)
            continue
        # Returning people from earlier sessions, and newcomers even late on.
        count = OTHERS[session]
        returning = [m for m in came_before if m not in core]
        again = rng.sample(returning, min(len(returning), count * 2 // 3))
        fresh = [m for m in others[:90] if m not in came_before]
        newcomers = rng.sample(fresh, count - len(again))
        came = core + again + newcomers
        registrations = [Registration(event=event, member=m,
                                      status=RegistrationStatus.CONFIRMED) for m in came]
        Registration.objects.bulk_create(registrations)
        CheckIn.objects.bulk_create(
            CheckIn(event=event, member=m, method=CheckInMethod.LIST,
                    at=event.starts_at - dt.timedelta(minutes=rng.randint(0, 20)))
            for m in came)
        came_before += [m for m in came if m not in came_before]
        _effort(event, {EffortKind.ADMINISTRATION: "11", EffortKind.FACILITATION: "14",
                        EffortKind.PREPARATION: "9"})


def _exchange(academy: Academy, members: list[Member], rng: random.Random,
              today: dt.date) -> None:
    """One exchange round: pairs across organisations and sectors, some visits done."""
    exchange = ExchangeRound.objects.create(academy=academy, name="Spring exchange")
    keen = [m for m in members if m.exchange_opt_in]
    rng.shuffle(keen)
    pairs: list[ExchangePair] = []
    waiting = list(keen)
    while len(waiting) >= 2:
        first = waiting.pop()
        partner = next((m for m in waiting if m.organisation_id != first.organisation_id
                        and m.sector != first.sector), None)
        if partner is None:
            continue
        waiting.remove(partner)
        low, high = sorted((first, partner), key=lambda m: m.pk)
        pairs.append(ExchangePair(round=exchange, academy=academy, first=low, second=high))
    ExchangePair.objects.bulk_create(pairs)
    for index, pair in enumerate(pairs[: len(pairs) * 2 // 3]):
        ExchangeVisit.objects.create(
            pair=pair, host=pair.second, visited_on=today - dt.timedelta(days=10 + 3 * index),
            reflection=REFLECTIONS[index % len(REFLECTIONS)])
