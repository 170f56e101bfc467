"""Reads of the relationships network, and the one place that decides what a view of it
may disclose.

:func:`network_for` fetches an academy's members and ties (optionally those of one
programme's enrolled members, and up to a date) and measures them with
:func:`tracelead.analysis.network.network_report`. :func:`figures` turns the report into
the words and numbers a page, a report or a workbook shows: with names for the academy's
facilitators, and anonymised for everyone else, where every count of people or ties under
the disclosure threshold reads "fewer than N" and no person is listed.
:func:`grouped_network` draws the anonymised network over organisations or sectors, and
:func:`person_graph` the facilitators' graph of people.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.utils import timezone

from tracelead.academy.models import Academy, Enrolment, Event, Member, Programme
from tracelead.analysis import network as analysis
from tracelead.analysis.polls import merge_small_categories
from tracelead.organisations.models import Sector
from tracelead.publishing.models import DEFAULT_THRESHOLD, Cycle

from .models import Connection, ConnectionKind

#: The sectors whose presence is reported: design.md's list, without "Other", which is
#: not a sector anyone could be missing.
SECTORS: tuple[str, ...] = tuple(s for s in Sector.values if s != Sector.OTHER)
SECTOR_LABELS: dict[str, str] = dict(Sector.choices)
SECTOR_ORDER: dict[str, int] = {code: n for n, code in enumerate(Sector.values)}
KIND_LABELS: dict[str, str] = dict(ConnectionKind.choices)
KINDS: tuple[str, ...] = tuple(ConnectionKind.values)
#: Seeds 003 and 004: people typically meet about five new people a month at work; the
#: programme's evaluation compares its workshops with that.
RULE_OF_THUMB = round(analysis.FIVE_A_MONTH)
#: Exact betweenness up to this many people (the issue's figure for academies); the
#: pivot-sampled estimate above it.
EXACT_UP_TO = 5_000
#: Brokers listed (the top of the betweenness ranking).
TOP_BROKERS = 10
#: People who bridge sectors listed by name on the facilitators' page.
BRIDGES_SHOWN = 50
#: The people's graph is laid out with a force-directed layout up to this many people;
#: above it, people sit in circles around their organisation (a layout in linear time),
#: and the organisations are laid out by force.
SPRING_UP_TO = 1_000
NOT_RECORDED = "Organisation not recorded"
#: A colour for each sector, the same in the browser's graph and the PDF's picture (NHS
#: identity colours where they fit, chosen to stay apart for the commonest colour-vision
#: differences together with the legend's names).
SECTOR_COLOURS: dict[str, str] = {
    Sector.ACUTE: "#005eb8", Sector.COMMUNITY: "#41b6e6", Sector.MENTAL_HEALTH: "#330072",
    Sector.PRIMARY_CARE: "#009639", Sector.LOCAL_AUTHORITY: "#ed8b00",
    Sector.SOCIAL_CARE: "#ae2573", Sector.VCFSE: "#006747", Sector.HOUSING: "#8a1538",
    Sector.PUBLIC_HEALTH: "#00a499", Sector.PATIENTS_PUBLIC: "#ffb81c",
    Sector.BUSINESS: "#425563", Sector.SPORT_LEISURE: "#78be20", Sector.EDUCATION: "#7c2855",
    Sector.OTHER: "#768692",
}
MIXED_COLOUR = "#aeb7bd"
SMALLER_TOGETHER = "Smaller organisations together"
OTHER_SECTORS = "Other sectors together"


# --- Fetching --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonRow:
    """A member in the network. ``name`` is for facilitators' views only."""

    key: int
    name: str
    organisation: str
    sector: str
    joined: dt.date
    left: bool


@dataclass(frozen=True)
class EventRow:
    pk: int
    title: str
    on: dt.date
    programme: str


@dataclass(frozen=True)
class Network:
    """An academy's (or one programme's) people and ties up to ``end``, and their report.

    ``baseline`` is the first day anyone joined or any tie is dated; ``latest`` the last
    day with an event held or a tie, so the time slider runs from one to the other.
    """

    academy: Academy
    programme: Programme | None
    people: list[PersonRow]
    ties: list[analysis.Tie]
    events: dict[int, EventRow]
    baseline: dt.date
    latest: dt.date
    start: dt.date
    end: dt.date
    exact: bool
    report: analysis.NetworkReport | None

    @property
    def by_key(self) -> dict[int, PersonRow]:
        return {p.key: p for p in self.people}


def network_threshold(academy: Academy) -> int:
    """The disclosure threshold for anonymised views: that of the system's latest reporting
    cycle, or the product's default (as live polls do)."""
    latest = Cycle.objects.filter(system_id=academy.system_id).order_by(
        "-created_at", "-id").first()
    return latest.threshold if latest else DEFAULT_THRESHOLD


def _organisation_label(org_name: str | None, typed: str) -> str:
    return (org_name or typed or "").strip()


def _people(academy: Academy, programme: Programme | None) -> list[PersonRow]:
    members = Member.objects.filter(academy=academy)
    if programme is not None:
        members = members.filter(pk__in=Enrolment.objects.filter(
            programme=programme).values("member_id"))
    rows = members.values_list("pk", "name", "organisation__name", "organisation_name",
                               "sector", "joined_at", "left_at").order_by("pk")
    return [PersonRow(key=pk, name=name, organisation=_organisation_label(org, typed),
                      sector=sector, joined=timezone.localdate(joined),
                      left=left is not None)
            for pk, name, org, typed, sector, joined, left in rows]


def _ties(academy: Academy, keys: set[int], *,
          programme: Programme | None) -> list[analysis.Tie]:
    rows = Connection.objects.filter(academy=academy)
    ties = [analysis.Tie(a=first, b=second, on=on, kind=kind, event=event)
            for first, second, on, kind, event in rows.values_list(
                "first_id", "second_id", "on", "kind", "event_id").order_by("on", "pk")]
    if programme is None:
        return ties
    return [t for t in ties if t.a in keys and t.b in keys]


def _events(academy: Academy, ids: Iterable[int]) -> dict[int, EventRow]:
    rows = Event.objects.filter(academy=academy, pk__in=set(ids)).values_list(
        "pk", "title", "starts_at", "programme__name")
    return {pk: EventRow(pk=pk, title=title, on=timezone.localdate(starts),
                         programme=programme or "")
            for pk, title, starts, programme in rows}


def _last_event(academy: Academy, programme: Programme | None, today: dt.date) -> dt.date | None:
    events = Event.objects.filter(academy=academy, cancelled_at__isnull=True,
                                  starts_at__date__lte=today)
    if programme is not None:
        events = events.filter(programme=programme)
    last = events.order_by("-starts_at").values_list("starts_at", flat=True).first()
    return timezone.localdate(last) if last else None


def network_for(academy: Academy, *, programme: Programme | None = None,
                start: dt.date | None = None, end: dt.date | None = None,
                today: dt.date | None = None, measure: bool = True) -> Network:
    """The academy's network (or that of ``programme``'s enrolled members) as it stood on
    ``end`` (today by default), with its report unless ``measure`` is false (the graph
    needs none); new ties and growth are counted from ``start`` (the baseline by default)
    to ``end``."""
    if programme is not None and programme.academy_id != academy.pk:
        raise ValueError("the programme must be one of the academy's")
    today = today or timezone.localdate()
    everyone = _people(academy, programme)
    keys = {p.key for p in everyone}
    all_ties = _ties(academy, keys, programme=programme)
    days = [p.joined for p in everyone] + [t.on for t in all_ties]
    baseline = min(days) if days else today
    last_event = _last_event(academy, programme, today)
    last_tie = max((t.on for t in all_ties), default=None)
    latest = max([d for d in (last_event, last_tie, baseline) if d is not None])
    end = end or max(today, latest)
    start = min(start or baseline, end)  # a start after the end counts from the end
    people = [p for p in everyone if p.joined <= end]
    present = {p.key for p in people}
    # A tie dated before one of its people joined (a "worked since" date, an import)
    # counts from the day both are in the network.
    ties = [t for t in all_ties if t.on <= end and t.a in present and t.b in present]
    exact = len(people) <= EXACT_UP_TO
    report = None
    if measure:
        report = analysis.network_report(
            [analysis.Person(key=p.key, organisation=p.organisation or f"{NOT_RECORDED} {p.key}",
                             sector=p.sector) for p in people],
            ties, start=start, end=end, exact=exact, top=TOP_BROKERS, sectors=SECTORS)
    events = _events(academy, (t.event for t in ties if t.event is not None))
    return Network(academy=academy, programme=programme, people=people, ties=ties,
                   events=events, baseline=baseline, latest=latest, start=start, end=end,
                   exact=exact, report=report)


# --- Words and numbers ----------------------------------------------------------------------


def count_text(value: int, threshold: int | None) -> str:
    """A count of people or ties as shown: exact for facilitators (``threshold`` None), and
    "fewer than N" in anonymised views when it is under the threshold (none is none)."""
    if threshold is not None and 0 < value < threshold:
        return f"fewer than {threshold}"
    return f"{value:,}"


NOT_SHOWN = "not shown"


def counts_text(counts: Sequence[int], threshold: int | None, *, unlisted: int = 0
                ) -> list[str]:
    """Counts that add up to a published total (people by sector, ties by pair of groups),
    as shown: under the threshold "fewer than N"; and if what is hidden (with ``unlisted``,
    the part of the total no cell shows) would still add up to under the threshold, the
    smallest shown counts are hidden too ("not shown"), so that taking the shown counts
    from the total never gives a small count away (secondary suppression)."""
    if threshold is None:
        return [f"{c:,}" for c in counts]
    hidden = {i for i, c in enumerate(counts) if 0 < c < threshold}
    while (hidden or unlisted) and 0 < sum(counts[i] for i in hidden) + unlisted < threshold:
        rest = [i for i, c in enumerate(counts) if i not in hidden and c > 0]
        if not rest:
            break
        hidden.add(min(rest, key=lambda i: (counts[i], i)))
    return [(f"fewer than {threshold}" if c < threshold else NOT_SHOWN) if i in hidden
            else f"{c:,}" for i, c in enumerate(counts)]


def is_shown(value: int, threshold: int | None) -> bool:
    return threshold is None or value == 0 or value >= threshold


def _percent(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value * 100:.0f}%"


def _decimal(value: float | None, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def sector_label(code: str) -> str:
    return SECTOR_LABELS.get(code, code or "Sector not recorded")


def sector_colour(code: str) -> str:
    return SECTOR_COLOURS.get(code, MIXED_COLOUR)


def listing(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True)
class EventFigure:
    pk: int
    title: str
    on: dt.date | None
    programme: str
    attendees_with_new_tie: str
    new_ties: str


@dataclass(frozen=True)
class BrokerFigure:
    rank: int
    name: str
    organisation: str
    sector: str
    betweenness: str


@dataclass(frozen=True)
class BridgeFigure:
    name: str
    organisation: str
    sector: str
    reached: str
    reached_count: int


@dataclass(frozen=True)
class SectorFigure:
    code: str
    label: str
    status: str
    people: str


@dataclass(frozen=True)
class Figures:
    """What a view shows of a :class:`Network`'s report. Counts are text: exact for
    facilitators (``named``), "fewer than N" under the threshold otherwise."""

    named: bool
    threshold: int | None
    start: dt.date
    end: dt.date
    people: str
    ties: str
    density: str
    components: str
    largest_component: str
    isolates: str
    cross_organisation_share: str
    cross_sector_share: str
    new_ties: str
    new_ties_per_person: str
    new_ties_per_person_per_month: str
    rule_of_thumb: str
    share_with_new_tie: str
    per_event: list[EventFigure]
    brokers: list[BrokerFigure]
    broker_count: str
    broker_sectors: list[tuple[str, str]]
    bridges: list[BridgeFigure]
    bridge_count: str
    bridge_sectors: list[tuple[str, str]]
    bridges_more: int
    sectors: list[SectorFigure]
    missing: list[str]
    thin: list[str]
    growth_start: str
    growth_end: str
    growth_added: str
    summary: list[str] = field(default_factory=list)
    exact: bool = True


def _per_person_words(value: float | None) -> str:
    return _decimal(value, 2)


def _rule_sentence(per_month: float | None, shown: bool) -> str:
    if not shown or per_month is None or math.isnan(per_month):
        return (f"The rule of thumb is that people meet about {RULE_OF_THUMB} new people a "
                "month at work; there are too few new ties in this period to compare with it.")
    times = per_month / RULE_OF_THUMB
    return (f"Each person met {_decimal(per_month)} new people a month on average, against a "
            f"rule of thumb of about {RULE_OF_THUMB} new people a month at work "
            f"({times:.1f} times the rule of thumb).")


def _sector_counts(keys: Iterable[int], people: dict[int, PersonRow],
                   threshold: int | None) -> list[tuple[str, str]]:
    """The sectors of some people, with how many; in anonymised views only the sectors
    with at least ``threshold`` of them are named, the rest counted together."""
    counts = Counter(people[k].sector for k in keys if k in people)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], SECTOR_ORDER.get(item[0], 99)))
    if threshold is None:
        return [(sector_label(code), f"{n:,}") for code, n in ordered]
    # The total is shown beside these, so "the rest" must itself hold at least the
    # threshold and more than one sector, or it would follow by subtraction: the same
    # merge as a poll's results by sector (nothing at all when that cannot be done).
    merge = merge_small_categories(dict(counts), threshold=threshold)
    if merge.withheld:
        return []
    named = [(sector_label(code), f"{n:,}") for code, n in merge.shown.items()]
    if merge.merged:
        named.append(("Other sectors together", f"{merge.merged_count:,}"))
    return named


OTHER_EVENTS = "Other events together"
OUTSIDE_EVENTS = "New ties made outside events"


def _event_figures(network: Network, r: analysis.NetworkReport,
                   cut: int | None) -> list[EventFigure]:
    """New ties by event. In anonymised views an event is listed on its own only when
    both its counts reach the threshold; the others are pooled into one row, and if that
    row would still be under the threshold the smallest listed events join it, so that
    no small count can be worked out by taking the listed ones from the total."""
    def row_of(key: int) -> EventRow | None:
        return network.events.get(key)

    def when(key: int) -> dt.date:
        row = row_of(key)
        return row.on if row is not None else dt.date.min

    counts = sorted(r.per_event.items(), key=lambda item: (when(item[0]), item[0]))
    listed = list(counts)
    pooled: list[tuple[int, Any]] = []
    # New ties made outside any event (worked together since): the total less the
    # events' rows. In anonymised views it is pooled with the small events, since the
    # total and the listed rows would otherwise give it away by subtraction.
    outside = max(r.new_ties - sum(c[1] for _, c in counts), 0) if cut is not None else 0
    if cut is not None:
        listed = [(k, c) for k, c in counts if c[0] >= cut and c[1] >= cut]
        pooled = [(k, c) for k, c in counts if not (c[0] >= cut and c[1] >= cut)]
        while (pooled or outside) and 0 < sum(c[1] for _, c in pooled) + outside < cut \
                and listed:
            smallest = min(listed, key=lambda item: (item[1][1], item[0]))
            listed.remove(smallest)
            pooled.append(smallest)
    rows = []
    for key, (attendees, new) in listed:
        row = row_of(key)
        rows.append(EventFigure(
            pk=key, title=row.title if row else "An event no longer listed",
            on=row.on if row else None, programme=row.programme if row else "",
            attendees_with_new_tie=count_text(attendees, cut), new_ties=count_text(new, cut)))
    if pooled or outside:
        title = f"{OTHER_EVENTS} ({len(pooled)})" if pooled else ""
        if outside:
            title = f"{title}, and {OUTSIDE_EVENTS.lower()}" if title else OUTSIDE_EVENTS
        rows.append(EventFigure(
            pk=0, title=title, on=None, programme="", attendees_with_new_tie="–",
            new_ties=count_text(sum(c[1] for _, c in pooled) + outside, cut)))
    return rows


def _sectors_reached(network: Network, keys: set[int]) -> dict[int, set[str]]:
    """The other sectors each of these people has ties to."""
    people = network.by_key
    reached: dict[int, set[str]] = {k: set() for k in keys}
    for t in network.ties:
        a, b = people.get(t.a), people.get(t.b)
        if a is None or b is None or a.sector == b.sector:
            continue
        if t.a in reached:
            reached[t.a].add(b.sector)
        if t.b in reached:
            reached[t.b].add(a.sector)
    return reached


def figures(network: Network, *, named: bool, threshold: int | None = None) -> Figures:
    """The report in words and numbers. ``named`` (facilitators) lists brokers and
    bridges by name with exact counts; otherwise ``threshold`` is required and applies to
    every count of people and ties."""
    if not named and threshold is None:
        raise ValueError("an anonymised view needs the disclosure threshold")
    cut = None if named else threshold
    r = network.report
    if r is None:
        raise ValueError("the network was fetched without its report (measure=False)")
    people = network.by_key

    def shown(value: int) -> bool:
        return is_shown(value, cut)

    def share(value: float | None, total: int) -> str:
        # A share of a small count of a known total would give the count away.
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "–"
        part = round(value * total)
        if not shown(part):
            return f"fewer than {cut} of the {total:,}"
        # With the total shown, the rest (100% less the share) is a count as well: a
        # share of 39 in 40 says that one person did not.
        return _percent(value) if shown(total - part) else f"all but fewer than {cut}"

    enough_new = shown(r.new_ties)
    per_event = _event_figures(network, r, cut)
    brokers: list[BrokerFigure] = []
    bridges: list[BridgeFigure] = []
    if named:
        brokers = [BrokerFigure(rank=n, name=people[k].name or "A member who has left",
                                organisation=people[k].organisation or NOT_RECORDED,
                                sector=sector_label(people[k].sector), betweenness=f"{b:.3f}")
                   for n, (k, b) in enumerate(r.brokers, start=1) if k in people]
        listed = [k for k, _ in r.bridges[:BRIDGES_SHOWN] if k in people]
        reached = _sectors_reached(network, set(listed))
        bridges = [BridgeFigure(name=people[k].name or "A member who has left",
                                organisation=people[k].organisation or NOT_RECORDED,
                                sector=sector_label(people[k].sector),
                                reached=listing(sorted(sector_label(s) for s in reached[k])),
                                reached_count=len(reached[k]))
                   for k in listed]
    presence = list(r.sector_presence.items())
    texts = counts_text([n for _, (_, n) in presence], cut,
                        unlisted=r.people - sum(n for _, (_, n) in presence))
    sectors = [SectorFigure(code=code, label=sector_label(code), status=status, people=text)
               for (code, (status, _)), text in zip(presence, texts, strict=True)]
    missing = [s.label for s in sectors if s.status == "missing"]
    thin = [s.label for s in sectors if s.status == "thin"]
    at_start, at_end = r.growth
    largest = r.largest_component
    result = Figures(
        named=named, threshold=cut, start=network.start, end=network.end,
        people=count_text(r.people, cut), ties=count_text(r.ties, cut),
        density=_decimal(r.density, 4) if shown(r.ties) else "–",
        components=f"{r.components:,}" if named or shown(r.isolates) else
        f"{max(r.components - r.isolates, 0):,} of two people or more",
        # With the people and the largest group both exact, a small rest (the isolates,
        # say) would follow by subtraction.
        largest_component=count_text(largest, cut) if shown(r.people - largest)
        else f"all but fewer than {cut}",
        isolates=count_text(r.isolates, cut),
        cross_organisation_share=share(r.cross_organisation_share, r.ties),
        cross_sector_share=share(r.cross_sector_share, r.ties),
        new_ties=count_text(r.new_ties, cut),
        new_ties_per_person=_per_person_words(r.new_ties_per_person) if enough_new else "–",
        new_ties_per_person_per_month=_per_person_words(r.new_ties_per_person_per_month)
        if enough_new else "–",
        rule_of_thumb=_rule_sentence(r.new_ties_per_person_per_month,
                                     enough_new and r.new_ties > 0),
        share_with_new_tie=share(r.share_with_new_tie, r.people),
        per_event=per_event, brokers=brokers,
        broker_count=count_text(len(r.brokers), cut),
        broker_sectors=_sector_counts((k for k, _ in r.brokers), people, cut),
        bridges=bridges, bridge_count=count_text(len(r.bridges), cut),
        bridge_sectors=_sector_counts((k for k, _ in r.bridges), people, cut),
        bridges_more=max(len(r.bridges) - BRIDGES_SHOWN, 0) if named else 0,
        sectors=sectors, missing=missing, thin=thin,
        growth_start=count_text(at_start, cut), growth_end=count_text(at_end, cut),
        growth_added=count_text(max(at_end - at_start, 0), cut),
        exact=network.exact,
    )
    return _with_summary(result, r)


def _with_summary(f: Figures, r: analysis.NetworkReport) -> Figures:
    period = f"from {f.start:%-d %B %Y} to {f.end:%-d %B %Y}"
    lines = [f"The network has {f.people} {'person' if f.people == '1' else 'people'} and "
             f"{f.ties} {'tie' if f.ties == '1' else 'ties'} between them on "
             f"{f.end:%-d %B %Y}."]
    if r.ties:
        lines.append(f"Of the ties, {f.cross_organisation_share} cross organisations and "
                     f"{f.cross_sector_share} cross sectors.")
    lines.append(f"{f.new_ties} new {'tie was' if f.new_ties == '1' else 'ties were'} made "
                 f"{period} (people who met at an event or worked together); "
                 f"{f.share_with_new_tie} of people made at least one new connection.")
    if r.new_ties:
        lines.append(f.rule_of_thumb)
    if f.missing:
        lines.append(f"Missing: {listing(f.missing)}. Nobody from "
                     f"{'this sector' if len(f.missing) == 1 else 'these sectors'} is in the "
                     "network.")
    if f.thin:
        lines.append(f"Thin: {listing(f.thin)}. Only a few people from "
                     f"{'this sector' if len(f.thin) == 1 else 'these sectors'} are in the "
                     "network.")
    return dataclasses.replace(f, summary=lines)


# --- The anonymised network: organisations or sectors ---------------------------------------


Grouping = Literal["organisation", "sector"]


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    sector: str  # the sector code, or "" for a group of several sectors
    people: int
    members: frozenset[int]


@dataclass(frozen=True)
class GroupTie:
    a: str
    b: str
    ties: int
    # Dates of the ties, by kind: the time slider's steps.
    dates: dict[str, list[dt.date]]


@dataclass(frozen=True)
class GroupedNetwork:
    grouping: Grouping
    threshold: int
    groups: list[Group]
    edges: list[GroupTie]

    def people_shown(self) -> dict[str, int | None]:
        """Each group's people as an anonymised view may show them: None where the count
        is hidden (under the threshold, or hidden so that it cannot be worked out)."""
        texts = counts_text([g.people for g in self.groups], self.threshold)
        return {g.key: g.people if text == f"{g.people:,}" else None
                for g, text in zip(self.groups, texts, strict=True)}


def _merge_small(buckets: dict[tuple[str, str], set[int]], threshold: int, *,
                 smaller: Callable[[str], str], together: str) -> list[tuple[str, str, set[int]]]:
    """Groups (label, sector, people): those with fewer than ``threshold`` people are
    merged into one group per sector, and those still too small into one group for all,
    so that no small group's ties can be told apart."""
    kept: list[tuple[str, str, set[int]]] = []
    small: dict[str, set[int]] = defaultdict(set)
    for (label, sector), members in buckets.items():
        if len(members) >= threshold:
            kept.append((label, sector, members))
        else:
            small[sector] |= members
    leftover: set[int] = set()
    for sector, members in small.items():
        if len(members) >= threshold:
            kept.append((smaller(sector), sector, members))
        else:
            leftover |= members
    if leftover:
        if len(leftover) < threshold and kept:
            # Alone it could be one person, whose ties its rows would publish: the
            # smallest group kept joins it.
            smallest = min(range(len(kept)), key=lambda i: (len(kept[i][2]), kept[i][0]))
            leftover |= kept.pop(smallest)[2]
        kept.append((together, "", leftover))
    return kept


def grouped_network(network: Network, *, grouping: Grouping, threshold: int) -> GroupedNetwork:
    """The network drawn over organisations (or sectors): a node for each with at least
    ``threshold`` people (the smaller ones merged), and an edge for each pair of groups
    with ties between them, weighted by how many."""
    if grouping not in ("organisation", "sector"):
        raise ValueError(f"grouping must be organisation or sector; got {grouping!r}")
    buckets: dict[tuple[str, str], set[int]] = defaultdict(set)
    for p in network.people:
        if grouping == "organisation":
            buckets[(p.organisation or NOT_RECORDED, p.sector)].add(p.key)
        else:
            buckets[(sector_label(p.sector), p.sector)].add(p.key)
    if grouping == "organisation":
        merged = _merge_small(buckets, threshold,
                              smaller=lambda s: f"Smaller organisations: {sector_label(s)}",
                              together=SMALLER_TOGETHER)
    else:
        merged = _merge_small(buckets, threshold, smaller=sector_label,
                              together=OTHER_SECTORS)
    return grouped_from(network, grouping=grouping, threshold=threshold, merged=merged)


def atom_key(person: PersonRow) -> str:
    """The finest cell any anonymised view pools people by: their organisation (as shown)
    within their sector. Every group of either view is a union of these."""
    return f"{person.organisation or NOT_RECORDED}\x1f{person.sector}"


def grouped_from(network: Network, *, grouping: Grouping, threshold: int,
                 merged: list[tuple[str, str, set[int]]]) -> GroupedNetwork:
    """The grouped network for a given pooling of people: (label, sector, members) per
    group, as :func:`grouped_network` chooses it or as a publication widens it."""
    merged = list(merged)
    merged.sort(key=lambda g: (g[1] == "", SECTOR_ORDER.get(g[1], 99), -len(g[2]), g[0]))
    groups = [Group(key=f"g{n}", label=label, sector=sector, people=len(members),
                    members=frozenset(members))
              for n, (label, sector, members) in enumerate(merged, start=1)]
    where = {k: g.key for g in groups for k in g.members}
    dates: dict[tuple[str, str], dict[str, list[dt.date]]] = defaultdict(
        lambda: defaultdict(list))
    for t in network.ties:
        a, b = where.get(t.a), where.get(t.b)
        if a is None or b is None or a == b:
            continue
        pair = (a, b) if (int(a[1:]), a) < (int(b[1:]), b) else (b, a)
        dates[pair][t.kind].append(t.on)
    edges = [GroupTie(a=a, b=b, ties=sum(len(v) for v in by_kind.values()),
                      dates={k: sorted(v) for k, v in by_kind.items()})
             for (a, b), by_kind in sorted(dates.items(),
                                           key=lambda item: (int(item[0][0][1:]),
                                                             int(item[0][1][1:])))]
    return GroupedNetwork(grouping=grouping, threshold=threshold, groups=groups, edges=edges)


def within_groups(network: Network, grouped: GroupedNetwork) -> dict[str, int]:
    """Ties inside each group (between two people of the same organisation or sector)."""
    where = {k: g.key for g in grouped.groups for k in g.members}
    inside: Counter[str] = Counter()
    for t in network.ties:
        a, b = where.get(t.a), where.get(t.b)
        if a is not None and a == b:
            inside[a] += 1
    return dict(inside)


def tie_band(count: int, threshold: int) -> int:
    """A count of ties between two groups as the graph shows it: a band (0 for "fewer
    than N", then N to 2N-1, 2N to 4N-1, ...), so that moving the time slider never shows
    a small difference exactly."""
    band, low = 0, threshold
    while count >= low:
        band, low = band + 1, low * 2
    return band


def band_label(band: int, threshold: int) -> str:
    if band == 0:
        return f"fewer than {threshold} ties"
    low = threshold * 2 ** (band - 1)
    return f"{low:,} to {2 * low - 1:,} ties"


def _steps(dates: list[dt.date], threshold: int, baseline: dt.date) -> list[list[Any]]:
    """[day offset, band] each time the band changes. A line appears only once it holds
    at least ``threshold`` ties (band 1), and at the first of the month, so that the
    slider never dates a single tie."""
    steps: list[list[Any]] = []
    last = 0
    for n, exact_day in enumerate(dates, start=1):
        band = tie_band(n, threshold)
        day = max(exact_day.replace(day=1), baseline)
        if band != last:
            if steps and steps[-1][0] == (day - baseline).days:
                steps[-1][1] = band
            else:
                steps.append([(day - baseline).days, band])
            last = band
    return steps


# --- Layout -----------------------------------------------------------------------------------


def _spring(nodes: Sequence[Hashable], edges: Iterable[tuple[Hashable, Hashable, float]],
            *, seed: int) -> dict[Hashable, tuple[float, float]]:
    import rustworkx as rx

    graph = rx.PyGraph()
    index = {node: graph.add_node(node) for node in nodes}
    graph.add_edges_from([(index[a], index[b], float(w)) for a, b, w in edges
                          if a in index and b in index and a != b])
    if not nodes:
        return {}
    if len(nodes) == 1:
        return {nodes[0]: (0.0, 0.0)}
    positions = rx.spring_layout(graph, seed=seed, num_iter=60,
                                 weight_fn=lambda w: w, default_weight=1)
    return {nodes[i]: (float(positions[i][0]), float(positions[i][1])) for i in range(len(nodes))}


def _phyllotaxis(count: int) -> list[tuple[float, float]]:
    """Points spread evenly over a disc of radius about sqrt(count) (a sunflower)."""
    golden = math.pi * (3 - math.sqrt(5))
    return [(math.sqrt(i + 0.5) * math.cos(i * golden), math.sqrt(i + 0.5) * math.sin(i * golden))
            for i in range(count)]


def _components(nodes: Sequence[Hashable],
                edges: Iterable[tuple[Hashable, Hashable, float]]) -> list[list[Hashable]]:
    """Connected groups of nodes, largest first (union-find)."""
    parent = {node: node for node in nodes}

    def root(node: Hashable) -> Hashable:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b, _ in edges:
        if a in parent and b in parent:
            parent[root(a)] = root(b)
    groups: dict[Hashable, list[Hashable]] = defaultdict(list)
    for node in nodes:
        groups[root(node)].append(node)
    return sorted(groups.values(), key=lambda g: (-len(g), str(g[0])))


def _packed(nodes: Sequence[Hashable], edges: list[tuple[Hashable, Hashable, float]], *,
            seed: int) -> dict[Hashable, tuple[float, float]]:
    """Each connected group laid out by force in a square whose side grows with the root
    of its size, the largest first and the others on shelves below it: a force layout of
    the whole would fling people without ties to the far edges and shrink everyone else
    into the middle."""
    parts = _components(nodes, edges)
    if not parts:
        return {}
    total = sum(len(p) for p in parts)
    width = max(math.sqrt(len(parts[0])), math.sqrt(total))
    gap = 0.6
    placed: dict[Hashable, tuple[float, float]] = {}
    x = y = row = 0.0
    for part in parts:
        side = math.sqrt(len(part))
        if len(part) == 1:
            local = {part[0]: (0.5, 0.5)}
        elif len(part) == 2:
            local = {part[0]: (0.15, 0.5), part[1]: (0.85, 0.5)}
        else:
            members = set(part)
            local = _fit(_spring(part, [e for e in edges if e[0] in members], seed=seed), 1.0)
        if x > 0 and x + side > width:
            x, y, row = 0.0, y + row + gap, 0.0
        for node, (px, py) in local.items():
            placed[node] = (x + px * side, y + py * side)
        x += side + gap
        row = max(row, side)
    return placed


def layout(nodes: Sequence[Hashable], edges: Sequence[tuple[Hashable, Hashable]], *,
           clusters: dict[Hashable, str] | None = None, seed: int = 7,
           size: float = 1000.0) -> dict[Hashable, tuple[float, float]]:
    """Positions for drawing, in a square of ``size``: force-directed (rustworkx's
    Fruchterman-Reingold, each connected group on its own) for up to
    :data:`SPRING_UP_TO` nodes; above that, with ``clusters`` (a node's organisation),
    the clusters are laid out by force and their people spread on a disc around them."""
    weights = Counter((a, b) if str(a) < str(b) else (b, a) for a, b in edges if a != b)
    if len(nodes) <= SPRING_UP_TO or clusters is None:
        raw = _packed(list(nodes), [(a, b, float(w)) for (a, b), w in weights.items()],
                      seed=seed)
        return _fit(raw, size)
    members: dict[str, list[Hashable]] = defaultdict(list)
    for node in nodes:
        members[clusters.get(node, "")].append(node)
    links: Counter[tuple[str, str]] = Counter()
    for (a, b), w in weights.items():
        ca, cb = clusters.get(a, ""), clusters.get(b, "")
        if ca != cb:
            links[(ca, cb) if ca < cb else (cb, ca)] += w
    names = sorted(members)
    centres = _fit(_packed(names, [(a, b, float(w)) for (a, b), w in links.items()],
                           seed=seed), 1.0)
    total = sum(len(v) for v in members.values())
    spread: dict[Hashable, tuple[float, float]] = {}
    for name in names:
        cx, cy = centres[name]
        people = members[name]
        # Each organisation's disc takes a share of the picture that grows with its people.
        radius = 0.35 * math.sqrt(len(people) / total) / math.sqrt(len(people))
        for node, (dx, dy) in zip(people, _phyllotaxis(len(people)), strict=True):
            spread[node] = (cx + dx * radius, cy + dy * radius)
    return _fit(spread, size)


def _fit(raw: dict[Hashable, tuple[float, float]],
         size: float) -> dict[Hashable, tuple[float, float]]:
    if not raw:
        return {}
    xs = [x for x, _ in raw.values()]
    ys = [y for _, y in raw.values()]
    left, top = min(xs), min(ys)
    span = max(max(xs) - left, max(ys) - top) or 1.0
    # A tenth of a unit at the page's size (1000), finer for a unit square.
    digits = max(1, 5 - len(str(int(size))))
    return {node: (round((x - left) / span * size, digits), round((y - top) / span * size, digits))
            for node, (x, y) in raw.items()}


# --- What the browser draws -------------------------------------------------------------------


def _day(network: Network, day: dt.date) -> int:
    return (day - network.baseline).days


def _timeline(network: Network) -> dict[str, Any]:
    last = max(network.end if network.end < network.latest else network.latest,
               network.baseline)
    return {"baseline": network.baseline.isoformat(), "days": (last - network.baseline).days,
            "end": (network.end - network.baseline).days}


def person_graph(network: Network) -> dict[str, Any]:
    """The facilitators' graph: a node per person (named), an edge per pair with the day
    and kind of each of its ties, positions laid out on the server."""
    organisations = sorted({p.organisation or NOT_RECORDED for p in network.people})
    sectors = sorted({p.sector for p in network.people},
                     key=lambda s: SECTOR_ORDER.get(s, 99))
    org_index = {name: n for n, name in enumerate(organisations)}
    sector_index = {code: n for n, code in enumerate(sectors)}
    pairs: dict[tuple[int, int], list[list[int]]] = defaultdict(list)
    kind_index = {k: n for n, k in enumerate(KINDS)}
    for t in network.ties:
        a, b = (t.a, t.b) if t.a < t.b else (t.b, t.a)
        pairs[(a, b)].append([_day(network, t.on), kind_index[t.kind]])
    keys = [p.key for p in network.people]
    positions = layout(keys, list(pairs), clusters={
        p.key: p.organisation or NOT_RECORDED for p in network.people})
    return {
        "mode": "people",
        "timeline": _timeline(network),
        "kinds": [{"code": k, "label": KIND_LABELS[k]} for k in KINDS],
        "sectors": [{"code": s, "label": sector_label(s), "colour": sector_colour(s)}
                    for s in sectors],
        "organisations": organisations,
        "nodes": [{"id": p.key, "name": p.name or "A member who has left",
                   "org": org_index[p.organisation or NOT_RECORDED],
                   "sector": sector_index[p.sector], "joined": _day(network, p.joined),
                   "x": positions[p.key][0], "y": positions[p.key][1]}
                  for p in network.people],
        "edges": [[a, b, steps] for (a, b), steps in pairs.items()],
    }


def grouped_graph(network: Network, threshold: int, *,
                  grouped: dict[Grouping, GroupedNetwork] | None = None) -> dict[str, Any]:
    """The anonymised graph, over organisations and over sectors: no member's id or name,
    counts of people under the threshold as "fewer than N", and ties between groups in
    bands (see :func:`tie_band`) over time. ``grouped`` gives the views' pooling where a
    publication chose it (:mod:`.publication`)."""
    views = {}
    for grouping in ("organisation", "sector"):
        chosen = (grouped or {}).get(grouping) or grouped_network(
            network, grouping=grouping, threshold=threshold)
        views[grouping] = _grouped_view(network, chosen)
    sectors = sorted({p.sector for p in network.people}, key=lambda s: SECTOR_ORDER.get(s, 99))
    return {
        "mode": "groups",
        "threshold": threshold,
        "timeline": _timeline(network),
        "kinds": [{"code": k, "label": KIND_LABELS[k]} for k in KINDS],
        "sectors": [{"code": s, "label": sector_label(s), "colour": sector_colour(s)}
                    for s in sectors],
        "mixedColour": MIXED_COLOUR,
        "views": views,
    }


def _grouped_view(network: Network, grouped: GroupedNetwork) -> dict[str, Any]:
    threshold = grouped.threshold
    positions = layout([g.key for g in grouped.groups],
                       [(e.a, e.b) for e in grouped.edges for _ in range(min(e.ties, 50))])
    codes = {s: n for n, s in enumerate(sorted({p.sector for p in network.people},
                                                key=lambda s: SECTOR_ORDER.get(s, 99)))}
    nodes = []
    shown = grouped.people_shown()
    texts = counts_text([g.people for g in grouped.groups], threshold)
    for g, text in zip(grouped.groups, texts, strict=True):
        nodes.append({"id": g.key, "label": g.label,
                      "sector": codes.get(g.sector, -1),
                      "sectorLabel": sector_label(g.sector) if g.sector else "Several sectors",
                      "people": shown[g.key],
                      "peopleText": f"{text} people" if text != NOT_SHOWN
                      else "people not shown",
                      "x": positions[g.key][0], "y": positions[g.key][1]})
    top = tie_band(max((e.ties for e in grouped.edges), default=0), threshold)
    edges = []
    for e in grouped.edges:
        every = sorted(d for v in e.dates.values() for d in v)
        edges.append({"source": e.a, "target": e.b,
                      "steps": {"all": _steps(every, threshold, network.baseline),
                                **{k: _steps(e.dates.get(k, []), threshold, network.baseline)
                                   for k in KINDS}}})
    return {"nodes": nodes, "edges": edges,
            "bands": [{"band": band, "label": band_label(band, threshold)}
                      for band in range(top + 1)] if grouped.edges else []}


# --- The graph as tables (its text alternative) -----------------------------------------------


@dataclass(frozen=True)
class GroupRow:
    label: str
    sector: str
    people: str
    within: str
    across: str
    reached: int


@dataclass(frozen=True)
class PairRow:
    a: str
    b: str
    ties: str
    count: int


def group_tables(network: Network, grouped: GroupedNetwork, *,
                 threshold: int | None) -> tuple[list[GroupRow], list[PairRow]]:
    """Each group with its people and ties (inside it, and to other groups), and each pair
    of groups with ties between them, most ties first. Counts as :func:`count_text`."""
    inside = within_groups(network, grouped)
    across: Counter[str] = Counter()
    reached: dict[str, set[str]] = defaultdict(set)
    for e in grouped.edges:
        across[e.a] += e.ties
        across[e.b] += e.ties
        reached[e.a].add(e.b)
        reached[e.b].add(e.a)
    labels = {g.key: g.label for g in grouped.groups}
    edges = sorted(grouped.edges, key=lambda e: (-e.ties, labels[e.a], labels[e.b]))
    # People by group add up to everyone; ties within groups and between pairs of groups
    # to every tie: each set is suppressed as a whole.
    people = counts_text([g.people for g in grouped.groups], threshold)
    ties = counts_text([inside.get(g.key, 0) for g in grouped.groups]
                       + [e.ties for e in edges], threshold)
    rows = [GroupRow(label=g.label,
                     sector=sector_label(g.sector) if g.sector else "Several sectors",
                     people=people[n], within=ties[n],
                     across=count_text(across.get(g.key, 0), threshold),
                     reached=len(reached.get(g.key, ())))
            for n, g in enumerate(grouped.groups)]
    pairs = [PairRow(a=labels[e.a], b=labels[e.b], ties=ties[len(rows) + n], count=e.ties)
             for n, e in enumerate(edges)]
    return rows, pairs
