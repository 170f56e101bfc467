"""Reads of the academy that span relations: who was reached when, reach by organisation,
sector, profession and place against the workforce, and attendance.

Counting happens in the database (``values()`` with aggregates, a handful of queries per
page whatever the size of the academy); the statistics happen in
:mod:`tracelead.analysis.reach`. Names leave these functions only when the caller asks
for them (``with_names``), which the views do for the academy's facilitators alone.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    Q,
    Sum,
    TextField,
    Window,
)
from django.db.models.functions import Cast, RowNumber
from django.utils import timezone

from tracelead.analysis.reach import (
    FOUR_FIFTHS,
    MIN_EXPECTED,
    ReachForecast,
    effort_per_participant_hour,
    programme_flow,
    reach_fan,
    reach_forecast,
    representation,
    share_target_people,
    weekly_counts,
)
from tracelead.organisations.models import Organisation, Sector

from .models import (
    Academy,
    CheckIn,
    Effort,
    EffortKind,
    Event,
    Member,
    Programme,
    Registration,
    RegistrationStatus,
    StaffGroup,
    Target,
    TargetKind,
    WorkforceDimension,
    WorkforceFigure,
)

#: Weeks over which the forecast measures the pace.
FORECAST_WINDOW = 12
CONFIDENCE = 0.95
EVENTS_PER_PAGE = 25
PEOPLE_PER_PAGE = 50
SECTOR_LABELS = dict(Sector.choices)
STAFF_GROUP_LABELS = dict(StaffGroup.choices)
NOT_RECORDED = "Not recorded"


def _fetch(queryset: Any) -> list[tuple[Any, ...]]:
    """The rows of a ``values_list`` query as the database gives them: the SQL is the
    ORM's, but tens of thousands of plain values need none of Django's per-row
    conversions (a fifth of the page's time at 20,000 members). Only for columns that
    come back as they are stored: integers and text."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def listing(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def percent(value: float, digits: int = 0) -> str:
    return "–" if value is None or math.isnan(value) else f"{value * 100:.{digits}f}%"


# --- Who was reached, and when -------------------------------------------------------------


@dataclass(frozen=True)
class ReachedPeople:
    """One entry per person reached: the day they were reached (the day of the event
    that made them reached) and what they told the academy about themselves."""

    member_ids: list[int]
    reached_on: list[dt.date]
    organisation_ids: list[int | None]
    sectors: list[str]
    staff_groups: list[str]
    places: list[str]

    def __len__(self) -> int:
        return len(self.member_ids)


def reached_people(academy: Academy, *, starts_on: dt.date, until: dt.date,
                   min_events: int = 1) -> ReachedPeople:
    """Members reached from ``starts_on`` to ``until`` (both included): those who came to
    at least ``min_events`` events that count for reach (not cancelled), reached on the
    day of the ``min_events``-th. Members who have left stay counted (their organisation
    and sector are kept; profession and place are erased). Two queries."""
    qualifying = CheckIn.objects.filter(
        event__academy=academy, event__counts_for_reach=True, event__cancelled_at__isnull=True,
        event__starts_at__gte=_start_of(starts_on),
        event__starts_at__lt=_start_of(until + dt.timedelta(days=1)),
    )
    if min_events <= 1:
        pairs = _fetch(qualifying.values("member_id").annotate(
            first=Cast(Min("event__starts_at"), TextField())).values_list("member_id", "first"))
    else:
        # The time of each member's n-th qualifying event: a window function numbers their
        # events in order, and only the n-th is kept.
        pairs = _fetch(qualifying.annotate(
            nth=Window(RowNumber(), partition_by=[F("member_id")],
                       order_by=[F("event__starts_at").asc(), F("event_id").asc()]),
            event_at=Cast("event__starts_at", TextField()),
        ).filter(nth=min_events).values_list("member_id", "event_at"))
    # Times travel as text and become local days here, once per distinct time: there are
    # as many as events, far fewer than people (parsing a timestamp per person would cost
    # more than the query).
    days = {text: _local_day(text) for text in {at for _, at in pairs}}
    attributes = {row[0]: row[1:] for row in _fetch(Member.objects.filter(
        academy=academy).values_list("pk", "organisation_id", "sector", "staff_group", "place")
        .order_by())}
    people = ReachedPeople([], [], [], [], [], [])
    for member_id, at in pairs:
        organisation_id, sector, staff_group, place = attributes[member_id]
        people.member_ids.append(member_id)
        people.reached_on.append(days[at])
        people.organisation_ids.append(organisation_id)
        people.sectors.append(sector)
        people.staff_groups.append(staff_group)
        people.places.append(place)
    return people


def _local_day(text: str) -> dt.date:
    """The local day of a time written by the database (PostgreSQL: with its offset;
    SQLite: UTC without one)."""
    when = dt.datetime.fromisoformat(text.replace(" ", "T"))
    if timezone.is_naive(when):
        when = when.replace(tzinfo=dt.UTC)
    return timezone.localtime(when).date()


# --- The target --------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetView:
    """A target with its people worked out (a share of the workforce becomes people)."""

    target: Target | None
    name: str
    kind: str
    people: int | None
    share_percent: Decimal | None
    workforce_total: int
    starts_on: dt.date
    by_date: dt.date | None
    min_events: int

    @property
    def definition(self) -> str:
        events = ("one event that counts" if self.min_events == 1
                  else f"{self.min_events} events that count")
        return (f"someone is reached once they have come to at least {events} towards "
                f"reach, from {self.starts_on:%-d %B %Y}")


def workforce_total(academy: Academy) -> int:
    """The whole workforce: the sum of the organisations' headcounts."""
    total = WorkforceFigure.objects.filter(
        academy=academy, dimension=WorkforceDimension.ORGANISATION).aggregate(
        total=Sum("headcount"))["total"]
    return int(total or 0)


def target_view(academy: Academy, target: Target | None, *, total: int | None = None,
                today: dt.date | None = None) -> TargetView:
    total = workforce_total(academy) if total is None else total
    if target is None:
        first = Event.objects.filter(academy=academy, counts_for_reach=True,
                                     cancelled_at__isnull=True).aggregate(
            first=Min("starts_at"))["first"]
        starts_on = (timezone.localtime(first).date() if first
                     else today or timezone.localdate())
        return TargetView(target=None, name="", kind="", people=None, share_percent=None,
                          workforce_total=total, starts_on=starts_on, by_date=None,
                          min_events=1)
    people: int | None
    if target.kind == TargetKind.SHARE:
        share = target.share_percent
        people = share_target_people(share, total) if share is not None and total else None
    else:
        people = target.people
    return TargetView(target=target, name=target.name, kind=target.kind, people=people,
                      share_percent=target.share_percent, workforce_total=total,
                      starts_on=target.starts_on, by_date=target.by_date,
                      min_events=target.min_events)


def default_target(targets: list[Target], today: dt.date) -> Target | None:
    """The target to show first: the next one due, else the latest."""
    upcoming = [t for t in targets if t.by_date >= today]
    if upcoming:
        return min(upcoming, key=lambda t: (t.by_date, t.pk))
    return max(targets, key=lambda t: (t.by_date, t.pk)) if targets else None


# --- Breakdowns against the workforce -----------------------------------------------------------


@dataclass(frozen=True)
class BreakdownRow:
    key: str
    label: str
    reached: int
    workforce: int | None
    reached_share: float
    workforce_share: float
    coverage: float
    ratio: float
    expected: float
    under: bool
    missing: bool


@dataclass(frozen=True)
class Breakdown:
    key: str
    title: str
    singular: str
    rows: list[BreakdownRow]
    has_workforce: bool
    left_out: int
    sentences: list[str]


def _breakdown(key: str, title: str, singular: str, categories: list[tuple[str, str]],
               reached: Counter[str], workforce: dict[str, int],
               unplaced_label: str) -> Breakdown:
    """Rows for every category with a headcount or someone reached, compared with the
    workforce by :func:`tracelead.analysis.reach.representation`."""
    known = {k for k, _ in categories}
    extra = sorted(k for k in reached if k not in known)
    labels = dict(categories)
    keys = [k for k, _ in categories if reached.get(k) or workforce.get(k)]
    keys += [k for k in extra if reached.get(k)]
    counts = np.array([reached.get(k, 0) for k in keys], dtype=np.int64)
    heads = np.array([workforce.get(k, 0) for k in keys], dtype=np.int64)
    rep = representation(counts, heads)
    rows = [
        BreakdownRow(
            key=k, label=labels.get(k) or (k if k else unplaced_label),
            reached=int(counts[i]), workforce=int(heads[i]) if heads[i] else None,
            reached_share=float(rep.reached_share[i]),
            workforce_share=float(rep.workforce_share[i]), coverage=float(rep.coverage[i]),
            ratio=float(rep.ratio[i]), expected=float(rep.expected[i]),
            under=bool(rep.under[i]), missing=bool(rep.missing[i]),
        )
        for i, k in enumerate(keys)
    ]
    has_workforce = rep.total_workforce > 0
    sentences: list[str] = []
    if not has_workforce:
        sentences.append(f"There are no workforce figures by {singular} yet, so reach "
                         "cannot be set against the workforce; the table shows who was "
                         "reached.")
    else:
        under = [r for r in rows if r.under]
        if under:
            parts = [f"{r.label} ({r.reached:,} reached where about {r.expected:.0f} would be "
                     f"in proportion to its workforce)" for r in under]
            sentences.append("Under-represented: " + listing(parts) + ".")
        else:
            sentences.append(f"No {singular} is under-represented by the rule below.")
        missing = [r.label for r in rows if r.missing]
        if missing and key != "sector":
            sentences.append(f"Nobody reached yet from: {listing(missing)}.")
        if rep.left_out:
            sentences.append(f"{plural(rep.left_out, 'person', 'people')} reached "
                             f"{'is' if rep.left_out == 1 else 'are'} in "
                             f"{'a ' + singular if key == 'organisation' else singular + 's'} "
                             "with no workforce figure, and left out of the shares.")
    rows.sort(key=lambda r: (-(r.workforce or 0), -r.reached, r.label))
    return Breakdown(key=key, title=title, singular=singular, rows=rows,
                     has_workforce=has_workforce, left_out=rep.left_out, sentences=sentences)


def breakdowns(academy: Academy, people: ReachedPeople) -> tuple[list[Breakdown], list[str]]:
    """Reach by organisation, sector, profession and place against the workforce, and
    sentences naming the sectors that are missing."""
    organisations = list(Organisation.objects.filter(system_id=academy.system_id)
                         .values_list("pk", "name", "sector"))
    figures = list(WorkforceFigure.objects.filter(academy=academy).values_list(
        "dimension", "organisation_id", "key", "headcount"))
    org_heads = {str(o): h for d, o, _, h in figures if d == WorkforceDimension.ORGANISATION}
    staff_heads = {k: h for d, _, k, h in figures if d == WorkforceDimension.STAFF_GROUP}
    place_heads = {k: h for d, _, k, h in figures if d == WorkforceDimension.PLACE}
    org_sector = {str(pk): sector for pk, _, sector in organisations}
    sector_heads: dict[str, int] = {}
    for org, heads in org_heads.items():
        sector = org_sector.get(org)
        if sector:
            sector_heads[sector] = sector_heads.get(sector, 0) + heads

    by_org = Counter(str(o) if o is not None else "" for o in people.organisation_ids)
    by_sector = Counter(people.sectors)
    by_staff = Counter(people.staff_groups)
    by_place = Counter(people.places)
    org_names = sorted(((str(pk), name) for pk, name, _ in organisations), key=lambda x: x[1])
    places = [(p, p) for p in academy.place_list()]
    result = [
        _breakdown("organisation", "By organisation", "organisation", org_names, by_org,
                   org_heads, "Organisations not in the system's list"),
        _breakdown("sector", "By sector", "sector", list(Sector.choices), by_sector,
                   sector_heads, NOT_RECORDED),
        _breakdown("staff_group", "By profession or staff group", "profession or staff group",
                   list(StaffGroup.choices), by_staff, staff_heads, NOT_RECORDED),
        _breakdown("place", "By place", "place", places, by_place, place_heads, NOT_RECORDED),
    ]
    # Missing sectors: in the system with a workforce but nobody reached; and in the
    # system but with no member of the academy at all.
    sentences = []
    system_sectors = {sector for _, _, sector in organisations}
    unreached = [SECTOR_LABELS[s] for s, _ in Sector.choices
                 if sector_heads.get(s) and not by_sector.get(s)]
    if unreached:
        sentences.append("Sectors of the system with a workforce but nobody reached yet: "
                         f"{listing(unreached)}.")
    with_members = set(Member.objects.filter(academy=academy).order_by()
                       .values_list("sector", flat=True).distinct())
    no_members = [SECTOR_LABELS[s] for s, _ in Sector.choices
                  if s in system_sectors and s not in with_members]
    if no_members:
        sentences.append("Sectors of the system from which nobody has joined the academy: "
                         f"{listing(no_members)}.")
    return result, sentences


# --- The reach page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekPoint:
    starts_on: dt.date
    ends_on: dt.date
    new: int
    cumulative: int


@dataclass(frozen=True)
class FanPoint:
    on: dt.date
    expected: float
    low: int
    high: int


@dataclass(frozen=True)
class ReachReport:
    academy: Academy
    today: dt.date
    targets: list[Target]
    target: TargetView
    reached: int
    reached_by_date: int | None
    members: int
    weeks: list[WeekPoint]
    forecast: ReachForecast | None
    fan: list[FanPoint]
    method: list[str]
    summary: list[str]
    breakdowns: list[Breakdown]
    missing_sectors: list[str]
    rule: str = field(default="")


RULE = (f"A group is called under-represented when its share of the people reached is "
        f"under {FOUR_FIFTHS:.0%} of its share of the workforce (a representation ratio "
        f"under {FOUR_FIFTHS}, the “four-fifths rule”), at least {MIN_EXPECTED:.0f} people "
        "would have been reached from it had reach followed the workforce, and a shortfall "
        "that large would happen by chance less than 5 times in 100 (a one-sided binomial "
        "test). Smaller groups are shown but not judged.")


def _weeks(weeks: float) -> str:
    """The pace's window in words: its weeks, the current one counting as begun."""
    whole = math.ceil(weeks - 1e-9)
    text = "week" if whole == 1 else f"{whole} weeks"
    return text if whole == weeks else f"{text} (this one so far)"


def _method(forecast: ReachForecast) -> list[str]:
    lines = [
        f"The forecast takes the pace of the last {_weeks(forecast.window_weeks)} "
        f"({plural(forecast.window_new, 'person', 'people')} newly reached, about "
        f"{forecast.rate_per_week:.1f} a week) and assumes it carries on to the target date.",
        f"The range is where the number reached would fall {CONFIDENCE:.0%} of the time if "
        "people keep arriving at random at a pace like this one: it allows for the pace "
        "itself being uncertain, and for weeks that bring more or fewer people "
        "(a Poisson process whose rate has a gamma distribution, which gives a "
        "negative-binomial forecast).",
    ]
    if forecast.dispersion > 1.0:
        lines.append(
            f"People arrived in batches (at events), so weekly numbers varied "
            f"{forecast.dispersion:.1f} times as much as a steady flow would; the range "
            "is widened to match.")
    lines.append("A programme planned to grow, pause or end is not foreseen.")
    return lines


def _summary(view: TargetView, reached: int, reached_by_date: int | None,
             forecast: ReachForecast | None, today: dt.date) -> list[str]:
    lines: list[str] = []
    if view.target is None:
        lines.append(f"{plural(reached, 'person has', 'people have')} been reached "
                     f"since {view.starts_on:%-d %B %Y}. Set a target to follow progress "
                     "against it.")
        return lines
    if view.by_date is None:
        return lines
    by = f"{view.by_date:%-d %B %Y}"
    if view.people is None:
        lines.append(f"{plural(reached, 'person', 'people')} reached so far. The target is "
                     f"{view.share_percent}% of the workforce by {by}, but no organisation "
                     "has a workforce figure yet, so it cannot be turned into people.")
        return lines
    share = reached / view.people if view.people else math.nan
    lines.append(f"{plural(reached, 'person', 'people')} reached of the {view.people:,} the "
                 f"target asks for by {by} ({percent(share)}).")
    if forecast is None:
        lines.append(f"Reach is counted from {view.starts_on:%-d %B %Y}, which has not "
                     "come yet.")
    elif forecast.status == "date_passed" or (forecast.status == "met" and today > view.by_date):
        done = reached_by_date if reached_by_date is not None else reached
        verdict = "met" if done >= view.people else "not met"
        lines.append(f"The target date has passed: by {by}, {plural(done, 'person', 'people')} "
                     f"had been reached, so the target was {verdict}.")
    elif forecast.status == "met":
        lines.append("The target is met.")
    elif forecast.status == "no_pace":
        lines.append(f"Nobody was newly reached in the last {_weeks(forecast.window_weeks)}, "
                     "so there is no pace to forecast from.")
    else:
        lines.append(
            f"At the recent pace, about {forecast.expected:,.0f} people will have been "
            f"reached by {by} ({CONFIDENCE:.0%} range {forecast.low:,} to {forecast.high:,}); "
            f"the chance of meeting the target is about {percent(forecast.probability)}.")
    return lines


def reach_report(academy: Academy, *, target: Target | None = None,
                 today: dt.date | None = None) -> ReachReport:
    """Everything the reach page, its chart and the academy report show."""
    today = today or timezone.localdate()
    targets = list(Target.objects.filter(academy=academy))
    view = target_view(academy, target, today=today)
    start = view.starts_on
    people = reached_people(academy, starts_on=start, until=today,
                            min_events=view.min_events)
    reached = len(people)
    members = Member.objects.filter(academy=academy, left_at__isnull=True).count()
    days_so_far = (today - start).days
    weeks: list[WeekPoint] = []
    forecast = None
    fan: list[FanPoint] = []
    reached_by_date = None
    if days_so_far >= 0:
        n_weeks = days_so_far // 7 + 1
        offsets = np.array([(d - start).days for d in people.reached_on], dtype=np.int64)
        new = weekly_counts(offsets, n_weeks)
        cumulative = np.cumsum(new)
        weeks = [WeekPoint(starts_on=start + dt.timedelta(days=7 * i),
                           ends_on=min(today, start + dt.timedelta(days=7 * i + 6)),
                           new=int(new[i]), cumulative=int(cumulative[i]))
                 for i in range(n_weeks)]
        if view.by_date is not None:
            reached_by_date = int(np.sum(offsets <= (view.by_date - start).days))
            fraction = (days_so_far % 7 + 1) / 7
            ahead_days = (view.by_date - today).days
            forecast = reach_forecast(
                new, reached=reached, target=view.people or 0, weeks_ahead=ahead_days / 7,
                window=FORECAST_WINDOW, current_week_fraction=fraction,
                confidence=CONFIDENCE)
            if ahead_days > 0 and forecast.window_new > 0:
                steps = [*range(0, ahead_days, 7), ahead_days]
                expected, low, high = reach_fan(
                    new, reached=reached, weeks_ahead=np.array(steps) / 7,
                    window=FORECAST_WINDOW, current_week_fraction=fraction,
                    confidence=CONFIDENCE)
                fan = [FanPoint(on=today + dt.timedelta(days=d), expected=float(expected[i]),
                                low=int(low[i]), high=int(high[i]))
                       for i, d in enumerate(steps)]
    if view.target is not None and view.people is None and forecast is not None:
        forecast = None  # a share with no workforce: there is no number to forecast against
    parts, missing = breakdowns(academy, people)
    return ReachReport(
        academy=academy, today=today, targets=targets, target=view, reached=reached,
        reached_by_date=reached_by_date, members=members, weeks=weeks, forecast=forecast,
        fan=fan, method=_method(forecast) if forecast is not None and
        forecast.status in ("forecast", "met") and forecast.window_new else [],
        summary=_summary(view, reached, reached_by_date, forecast, today),
        breakdowns=parts, missing_sectors=missing, rule=RULE,
    )


# --- Attendance -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventFigures:
    pk: int
    title: str
    kind: str
    kind_label: str
    starts_at: dt.datetime
    hours: float
    programme: str
    held: bool
    cancelled: bool
    registered: int
    confirmed: int
    waiting: int
    attended: int
    no_shows: int | None
    walk_ins: int
    effort: dict[str, float]
    effort_total: float
    per_participant_hour: float
    sectors: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class AttendanceTotals:
    """Totals over the events held; those of registrations only when every event's
    registrations were read (the report), else ``None``."""

    events_held: int
    registered: int | None
    confirmed: int | None
    attended: int
    no_shows: int | None
    walk_ins: int | None
    effort: dict[str, float]
    effort_total: float
    participant_hours: float
    per_participant_hour: float
    people_attending: int
    members: int


@dataclass(frozen=True)
class PersonRow:
    pk: int
    name: str
    organisation: str
    attended: int
    last_attended: dt.datetime | None


@dataclass(frozen=True)
class SessionRow:
    pk: int
    title: str
    starts_at: dt.datetime
    attended: int
    newcomers: int
    returning: int
    dropped: int


@dataclass(frozen=True)
class ProgrammeAttendance:
    programme: Programme
    sessions: list[SessionRow]
    people: int
    core_count: int
    core_names: list[str]


@dataclass(frozen=True)
class AttendanceReport:
    academy: Academy
    events: list[EventFigures]
    page: int
    pages: int
    event_count: int
    totals: AttendanceTotals
    effort_kinds: list[tuple[str, str]]
    sector_columns: list[tuple[str, str]]
    distribution: list[tuple[str, int]]
    people: list[PersonRow] | None
    people_page: int
    people_pages: int
    programmes: list[Programme]
    programme: ProgrammeAttendance | None
    flows: list[ProgrammeAttendance] = field(default_factory=list)


def _hours(starts: dt.datetime, ends: dt.datetime) -> float:
    return (ends - starts).total_seconds() / 3600


def _event_figures(academy: Academy, now: dt.datetime, *,
                   only: set[int] | None) -> list[EventFigures]:
    """Registrations, attendance and effort of the events in ``only`` (``None``: every
    event of the academy), newest first: four aggregate queries.

    A page shows a few events at a time: reading those alone keeps its cost independent
    of how many events and registrations the academy holds.
    """
    events = Event.objects.filter(academy=academy)
    check_ins = CheckIn.objects.filter(event__academy=academy)
    efforts_of = Effort.objects.filter(event__academy=academy)
    if only is not None:
        events = events.filter(pk__in=only)
        check_ins = check_ins.filter(event_id__in=only)
        efforts_of = efforts_of.filter(event_id__in=only)
    rows_of_events = list(events.order_by("-starts_at", "-id").values(
        "pk", "title", "kind", "starts_at", "ends_at", "cancelled_at", "programme__name"))
    registrations = _registration_counts(academy, only)
    attended = dict(check_ins.values("event_id").annotate(n=Count("pk"))
                    .values_list("event_id", "n"))
    efforts: dict[int, dict[str, float]] = {}
    for event_id, kind, hours in efforts_of.values("event_id", "kind").annotate(
            total=Sum("hours")).values_list("event_id", "kind", "total"):
        efforts.setdefault(event_id, {})[kind] = float(hours)
    kinds = dict(Event._meta.get_field("kind").choices or [])
    rows = []
    for e in rows_of_events:
        confirmed, waiting, booked_came = registrations.get(e["pk"], (0, 0, 0))
        came = attended.get(e["pk"], 0)
        held = e["starts_at"] <= now and e["cancelled_at"] is None
        effort = efforts.get(e["pk"], {})
        hours = _hours(e["starts_at"], e["ends_at"])
        total_effort = float(sum(effort.values()))
        rows.append(EventFigures(
            pk=e["pk"], title=e["title"], kind=e["kind"], kind_label=str(kinds.get(e["kind"],
                                                                                 e["kind"])),
            starts_at=e["starts_at"], hours=hours, programme=e["programme__name"] or "",
            held=held, cancelled=e["cancelled_at"] is not None,
            registered=confirmed + waiting, confirmed=confirmed, waiting=waiting,
            attended=came, no_shows=confirmed - booked_came if held else None,
            walk_ins=came - booked_came, effort=effort,
            effort_total=total_effort,
            per_participant_hour=(total_effort / (came * hours) if came and hours
                                  else math.nan),
        ))
    return rows


def _registration_counts(academy: Academy, event_ids: set[int] | None
                         ) -> dict[int, tuple[int, int, int]]:
    """Per event: confirmed places, places on the waiting list, and confirmed places whose
    holder checked in; for the events in ``event_ids`` (``None``: all the academy's).

    One pass over the registrations, each joined to its check-in (if any) on the pair
    (event, member). A check-in has no foreign key to its registration, so the ORM cannot
    write this join; its alternatives (EXISTS per row, or a semi-join and a second
    aggregate) cost two to three times as much at 200,000 check-ins.
    """
    if event_ids is not None and not event_ids:
        return {}
    registration, check_in, event = (Registration._meta.db_table, CheckIn._meta.db_table,
                                     Event._meta.db_table)
    confirmed, waiting = RegistrationStatus.CONFIRMED.value, RegistrationStatus.WAITING.value
    params: list[Any] = [confirmed, waiting, confirmed, academy.pk]
    where = "e.academy_id = %s"
    if event_ids is not None:
        ids = sorted(event_ids)
        where += f" AND r.event_id IN ({', '.join(['%s'] * len(ids))})"
        params += ids
    sql = (
        "SELECT r.event_id, COUNT(*) FILTER (WHERE r.status = %s), "  # noqa: S608 - names from the models, values as parameters
        "COUNT(*) FILTER (WHERE r.status = %s), COUNT(c.id) FILTER (WHERE r.status = %s) "
        f"FROM {registration} r JOIN {event} e ON e.id = r.event_id "
        f"LEFT JOIN {check_in} c ON c.event_id = r.event_id AND c.member_id = r.member_id "
        f"WHERE {where} GROUP BY r.event_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in cursor.fetchall()}


def _held_totals(academy: Academy, now: dt.datetime, *, people_attending: int,
                 members: int) -> AttendanceTotals:
    """The totals of :func:`_totals`, counted in the database for the page (three
    aggregate queries, whatever the number of events); registrations are not totalled
    (the report does)."""
    held = Q(event__academy=academy, event__starts_at__lte=now,
             event__cancelled_at__isnull=True)
    lengths = dict(Event.objects.filter(academy=academy, starts_at__lte=now,
                                        cancelled_at__isnull=True).annotate(
        length=ExpressionWrapper(F("ends_at") - F("starts_at"), output_field=DurationField())
    ).values_list("pk", "length"))
    came = dict(CheckIn.objects.filter(held).values("event_id").annotate(n=Count("pk"))
                .values_list("event_id", "n"))
    events_held, attended = len(lengths), sum(came.values())
    participant_hours = sum(n * lengths[pk].total_seconds() for pk, n in came.items()) / 3600
    effort = {k: 0.0 for k in EffortKind.values}
    for kind, hours in Effort.objects.filter(held).values("kind").annotate(
            total=Sum("hours")).values_list("kind", "total"):
        effort[kind] = float(hours or 0)
    total_effort = sum(effort.values())
    return AttendanceTotals(
        events_held=events_held, registered=None, confirmed=None, attended=attended,
        no_shows=None, walk_ins=None, effort=effort, effort_total=total_effort,
        participant_hours=participant_hours,
        per_participant_hour=total_effort / participant_hours if participant_hours
        else math.nan, people_attending=people_attending, members=members)


def _with_sectors(academy: Academy, rows: list[EventFigures]) -> tuple[list[EventFigures],
                                                                     list[tuple[str, str]]]:
    """Attendance by sector for the given events (one query)."""
    by_event: dict[int, dict[str, int]] = {}
    for event_id, sector, count in CheckIn.objects.filter(
            event_id__in=[r.pk for r in rows]).values("event_id", "member__sector").annotate(
            n=Count("pk")).values_list("event_id", "member__sector", "n"):
        by_event.setdefault(event_id, {})[sector] = count
    present = {s for counts in by_event.values() for s in counts}
    columns = [(code, label) for code, label in Sector.choices if code in present]
    updated = [EventFigures(**{**r.__dict__, "sectors": by_event.get(r.pk, {})}) for r in rows]
    return updated, columns


def _totals(rows: list[EventFigures], *, people_attending: int, members: int
            ) -> AttendanceTotals:
    held = [r for r in rows if r.held]
    effort: dict[str, float] = {k: 0.0 for k in EffortKind.values}
    for r in rows:
        for kind, hours in r.effort.items():
            effort[kind] = effort.get(kind, 0.0) + hours
    _, overall = effort_per_participant_hour(
        [r.effort_total for r in held], [r.attended for r in held], [r.hours for r in held])
    return AttendanceTotals(
        events_held=len(held), registered=sum(r.registered for r in held),
        confirmed=sum(r.confirmed for r in held), attended=sum(r.attended for r in held),
        no_shows=sum(r.no_shows or 0 for r in held), walk_ins=sum(r.walk_ins for r in held),
        effort=effort, effort_total=sum(effort.values()),
        participant_hours=sum(r.attended * r.hours for r in held),
        per_participant_hour=overall, people_attending=people_attending, members=members,
    )


DISTRIBUTION_BANDS = ((0, 0, "No events yet"), (1, 1, "1 event"), (2, 2, "2 events"),
                      (3, 5, "3 to 5 events"), (6, 10, "6 to 10 events"),
                      (11, 10**9, "More than 10 events"))


def _attendance_counts(academy: Academy) -> dict[int, int]:
    """Events each member came to (members who came at least once)."""
    return dict(_fetch(CheckIn.objects.filter(event__academy=academy).values("member_id")
                       .annotate(n=Count("pk")).values_list("member_id", "n").order_by()))


def _distribution(academy: Academy, counts: dict[int, int]
                  ) -> tuple[list[tuple[str, int]], int, int]:
    """How many members came to how many events (counts, never names)."""
    members = Member.objects.filter(academy=academy, left_at__isnull=True).count()
    values = np.array(list(counts.values()), dtype=np.int64)
    # Members who left keep their past attendance; those never attending are current ones,
    # so only current members' attendance is taken from them.
    left = set(Member.objects.filter(academy=academy, left_at__isnull=False)
               .values_list("pk", flat=True))
    current_attenders = sum(1 for pk, count in counts.items() if count > 0 and pk not in left)
    never = max(0, members - current_attenders)
    bands = []
    for low, high, label in DISTRIBUTION_BANDS:
        if low == 0:
            bands.append((label, never))
        else:
            bands.append((label, int(np.sum((values >= low) & (values <= high)))))
    return bands, len(counts), members


def _people(academy: Academy, counts: dict[int, int], page: int | None
            ) -> tuple[list[PersonRow], int, int]:
    """Members by events attended, most first, then by name (names: for facilitators
    only); ``page`` ``None``: all of them. The counts are already known, so only the
    names are read for everyone, and the rest for the people on the page."""
    # The database sorts by name; a stable sort by count keeps that order within a count.
    by_name = [pk for (pk,) in _fetch(Member.objects.filter(academy=academy)
                                      .order_by("name", "pk").values_list("pk"))
               if pk in counts]
    attended = np.array([counts[pk] for pk in by_name], dtype=np.int64)
    order = [by_name[i] for i in np.argsort(-attended, kind="stable")]
    pages = max(1, math.ceil(len(order) / PEOPLE_PER_PAGE))
    number = 1 if page is None else min(max(1, page), pages)
    chosen = order if page is None else order[(number - 1) * PEOPLE_PER_PAGE:
                                              number * PEOPLE_PER_PAGE]
    details = {m["pk"]: m for m in Member.objects.filter(pk__in=chosen).values(
        "pk", "name", "organisation__name", "organisation_name", "left_at")}
    last = dict(CheckIn.objects.filter(member_id__in=chosen).values("member_id")
                .annotate(last=Max("event__starts_at")).values_list("member_id", "last"))
    rows = [PersonRow(pk=pk, name=details[pk]["name"] if details[pk]["left_at"] is None
                      else "A former member",
                      organisation=details[pk]["organisation__name"]
                      or details[pk]["organisation_name"],
                      attended=counts[pk], last_attended=last.get(pk))
            for pk in chosen]
    return rows, number, pages


def programme_attendance(programme: Programme, *, now: dt.datetime, with_names: bool
                         ) -> ProgrammeAttendance:
    """Newcomers, returners and drop-off at each session held, and the core group who came
    to every one of them."""
    sessions = list(Event.objects.filter(programme=programme, cancelled_at__isnull=True,
                                         starts_at__lte=now).order_by("starts_at", "pk")
                    .values_list("pk", "title", "starts_at"))
    index = {pk: j for j, (pk, _, _) in enumerate(sessions)}
    pairs = list(CheckIn.objects.filter(event_id__in=index).values_list("member_id",
                                                                        "event_id"))
    people = sorted({m for m, _ in pairs})
    row = {m: i for i, m in enumerate(people)}
    matrix = np.zeros((len(people), len(sessions)), dtype=bool)
    for member_id, event_id in pairs:
        matrix[row[member_id], index[event_id]] = True
    flow = programme_flow(matrix)
    rows = [SessionRow(pk=pk, title=title, starts_at=starts, attended=int(flow.attended[j]),
                       newcomers=int(flow.newcomers[j]), returning=int(flow.returning[j]),
                       dropped=int(flow.dropped[j]))
            for j, (pk, title, starts) in enumerate(sessions)]
    core_ids = [people[i] for i in np.flatnonzero(flow.core)] if sessions else []
    names: list[str] = []
    if with_names and core_ids:
        names = [name or "A former member" for name in Member.objects.filter(
            pk__in=core_ids).order_by("name", "pk").values_list("name", flat=True)]
    return ProgrammeAttendance(programme=programme, sessions=rows, people=len(people),
                               core_count=len(core_ids), core_names=names)


def attendance_report(academy: Academy, *, with_names: bool, page: int | None = 1,
                      people_page: int | None = 1, programme: Programme | None = None,
                      every_programme: bool = False, now: dt.datetime | None = None
                      ) -> AttendanceReport:
    """The attendance page: ``page`` of the events and ``people_page`` of the people
    (``None``: all, for the report), and the flow of ``programme`` (by default the one
    that met last), or of every programme with ``every_programme``."""
    now = now or timezone.now()
    counts = _attendance_counts(academy)
    distribution, attending, members = _distribution(academy, counts)
    if page is None:
        shown = _event_figures(academy, now, only=None)
        number, pages, event_count = 1, 1, len(shown)
        totals = _totals(shown, people_attending=attending, members=members)
    else:
        ids = list(Event.objects.filter(academy=academy).order_by("-starts_at", "-id")
                   .values_list("pk", flat=True))
        paginator = Paginator(ids, EVENTS_PER_PAGE)
        current = paginator.get_page(page)
        number, pages, event_count = current.number, paginator.num_pages, len(ids)
        shown = _event_figures(academy, now, only=set(current.object_list))
        if pages == 1:
            totals = _totals(shown, people_attending=attending, members=members)
        else:
            totals = _held_totals(academy, now, people_attending=attending, members=members)
    shown, sector_columns = _with_sectors(academy, shown)
    people: list[PersonRow] | None = None
    people_number, people_pages = 1, 1
    if with_names:
        people, people_number, people_pages = _people(academy, counts, people_page)
    programmes = list(Programme.objects.filter(academy=academy).order_by("name"))
    chosen = programme
    if chosen is None and programmes:
        latest = (Event.objects.filter(academy=academy, programme__isnull=False,
                                       cancelled_at__isnull=True, starts_at__lte=now)
                  .order_by("-starts_at").values_list("programme_id", flat=True).first())
        chosen = next((p for p in programmes if p.pk == latest), programmes[0])
    flow = (programme_attendance(chosen, now=now, with_names=with_names)
            if chosen is not None else None)
    flows = ([programme_attendance(p, now=now, with_names=with_names) for p in programmes]
             if every_programme else [flow] if flow is not None else [])
    return AttendanceReport(
        academy=academy, events=shown, page=number, pages=pages, event_count=event_count,
        totals=totals,
        effort_kinds=list(EffortKind.choices), sector_columns=sector_columns,
        distribution=distribution, people=people, people_page=people_number,
        people_pages=people_pages, programmes=programmes, programme=flow, flows=flows,
    )


def template_helpers() -> dict[str, Any]:
    """Helpers the reach, attendance and report templates share."""
    return {"percent": percent, "plural": plural, "SECTOR_LABELS": SECTOR_LABELS,
            "STAFF_GROUP_LABELS": STAFF_GROUP_LABELS}
