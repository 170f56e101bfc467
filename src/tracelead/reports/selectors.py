"""Reports built from what the gate published: the group report and many groups at once.

Every page, export (PDF, Excel, CSV, HTML), API answer and CLI command renders from the
objects built here, and these read only frozen publications through
:mod:`tracelead.publishing.selectors`; what a publication shows is decided once by
:mod:`tracelead.publishing.gate`. Nothing here reads responses.

* :func:`group_report` builds a :class:`GroupReport` for one round;
* :func:`many_groups_report` builds a :class:`ManyGroupsReport` for a system (optionally
  one organisation of it) in one cycle.

Filters and scopes only hide rows of the one published table: nothing is recomputed for a
viewer and nothing is added up over the rows that remain visible.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tracelead.analysis import (
    ConditionResult,
    GroupProfile,
    agreement_band,
    focus_condition,
)
from tracelead.diagnostics.models import Assessment, RaterKind
from tracelead.diagnostics.presentation import focus_sentence
from tracelead.instruments import Instrument, Practice, get_instrument
from tracelead.organisations.models import Group, Organisation, Sector, Space, System
from tracelead.publishing.models import Cycle, Publication
from tracelead.publishing.selectors import (
    Progress,
    cycles_of,
    default_cycle,
    progress,
    publication_of,
    published_comments,
    published_round,
    table_of,
)

MEASURES = ("level", "sharedness")
# One wording for "too few answered" and "hidden to protect a smaller group": telling the
# two apart would say whether the round reached its threshold.
WITHHELD_SENTENCE = ("This round's results are not shown: fewer people answered than the "
                     "anonymity threshold, or showing them would let someone work out the "
                     "answers of a smaller group alongside it.")
# rwg(j) above this counts as shared (the top of LeBreton and Senter's "weak agreement").
SHARED_ABOVE = 0.50


# --- The group report ----------------------------------------------------------------


@dataclass(frozen=True)
class ConditionFigure:
    """Level and sharedness of one condition; ``shown`` False means nothing else is set."""

    key: str
    name: str
    role: str | None
    shown: bool
    n: int = 0
    mean: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    rwg_j: float = math.nan
    band: str = ""
    sd: float = math.nan

    @property
    def shared(self) -> bool:
        return not math.isnan(self.rwg_j) and self.rwg_j > SHARED_ABOVE


@dataclass(frozen=True)
class ItemFigure:
    """How one statement was answered; ``agreement`` is the item's rwg (NaN if < 2 answers)."""

    key: str
    number: int
    text: str
    condition: str
    condition_name: str
    shown: bool
    counts: tuple[int, ...] = ()
    dont_know: int = 0
    mean: float = math.nan
    agreement: float = math.nan

    @property
    def answered(self) -> int:
        return sum(self.counts)

    @property
    def label(self) -> str:
        return f"{self.condition_name} {self.number}"

    def plain_split(self) -> str:
        """'5 agree, 3 disagree, 2 neither' from the counts of a five-point scale."""
        if not self.counts:
            return ""
        a = len(self.counts)
        low = sum(self.counts[: a // 2])
        high = sum(self.counts[(a + 1) // 2:])
        middle = self.answered - low - high
        parts = [f"{high} agree", f"{low} disagree"]
        if middle:
            parts.append(f"{middle} neither")
        return ", ".join(parts)


@dataclass(frozen=True)
class FocusFigure:
    condition: str
    name: str
    reason: str
    level: float
    sharedness: float
    band: str
    role: str | None
    role_description: str | None
    practices: tuple[Practice, ...]
    sentence: str


@dataclass(frozen=True)
class GapFigure:
    key: str
    name: str
    self_mean: float
    other_mean: float
    gap: float
    n_other: int
    outside: bool


@dataclass(frozen=True)
class SelfOther:
    """Self against others. ``status``: shown; no_self_rater (the round did not ask for a
    self rating); not_shown (not one self rating, or too few others: which of the two is
    not said, since either would tell a count below the threshold)."""

    status: str
    rows: tuple[GapFigure, ...] = ()


@dataclass(frozen=True)
class ChangeFigure:
    key: str
    name: str
    shown: bool
    before: float = math.nan
    after: float = math.nan
    difference: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    beyond_noise: bool = False
    testable: bool = False


@dataclass(frozen=True)
class Change:
    """Change since the previous round.

    ``status``: shown, no_previous, previous_below (the group's earlier rounds were all
    withheld: too few responses, or hidden to protect a smaller group; one wording for
    both). ``skipped_rounds`` counts the withheld rounds passed over.
    """

    status: str
    previous_id: int | None = None
    previous_title: str = ""
    previous_opens_on: dt.date | None = None
    skipped_rounds: int = 0
    rows: tuple[ChangeFigure, ...] = ()


@dataclass(frozen=True)
class CommentSet:
    prompt: str
    texts: tuple[str, ...]


@dataclass
class GroupReport:
    """Everything one group's report shows, read from its cycle's newest publication.

    ``state``: "not_published" (the round is not in a publication yet: only its progress
    counts are known), "withheld" (published but not shown: too few responses, or hidden to
    protect a smaller group; one wording for both, since telling them apart would say
    whether the round reached its threshold) or "shown".
    """

    assessment: Assessment
    group: Group
    system: System
    cycle: Cycle
    instrument: Instrument
    state: str
    threshold: int
    comment_threshold: int
    n_responses: int
    n_invitations: int
    progress: Progress
    publication_number: int | None = None
    published_at: dt.datetime | None = None
    unverified: bool = False
    held_back: bool = False
    comments_disclosed: bool = False
    conditions: list[ConditionFigure] = field(default_factory=list)
    items: list[ItemFigure] = field(default_factory=list)
    disagreements: list[ItemFigure] = field(default_factory=list)
    focus: FocusFigure | None = None
    self_other: SelfOther = field(default_factory=lambda: SelfOther("no_self_rater"))
    change: Change = field(default_factory=lambda: Change("no_previous"))
    comments: list[CommentSet] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    # Set on a copy made for an export that leaves the comments out (the default).
    comments_left_out: bool = False

    @property
    def disclosed(self) -> bool:
        return self.state == "shown"

    @property
    def hidden_by_hierarchy(self) -> bool:
        return self.state == "withheld"

    @property
    def response_rate(self) -> float | None:
        if not self.n_invitations or not self.disclosed or self.progress.open_link:
            return None
        return min(1.0, self.n_responses / self.n_invitations)

    @property
    def shown_conditions(self) -> list[ConditionFigure]:
        return [c for c in self.conditions if c.shown]


# --- Many groups ---------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    shown: bool
    n: int = 0
    mean: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    rwg_j: float = math.nan


@dataclass(frozen=True)
class HeatmapRow:
    group_id: int
    name: str
    organisation_id: int | None
    organisation: str
    sector: str
    sector_label: str
    space: str
    space_label: str
    depth: int
    nested_groups: int
    assessment_id: int | None
    assessment_title: str
    opens_on: dt.date | None
    # shown; hidden (published but not shown: too few, or protecting a smaller group; one
    # wording for both); pending (its rounds are not all published yet); no_results (no
    # round in this cycle)
    status: str
    n: int = 0
    cells: tuple[Cell, ...] = ()
    # The group's own round (without nested groups): is it shown in the publication?
    own_shown: bool = False

    @property
    def shown(self) -> bool:
        return self.status == "shown"


@dataclass
class ManyGroupsReport:
    system: System
    cycle: Cycle | None
    publication: Publication | None
    cycles: list[Cycle]
    organisation: Organisation | None
    instrument: Instrument
    conditions: list[tuple[str, str]]
    rows: list[HeatmapRow]
    threshold: int
    measure: str
    filters: dict[str, str]
    organisations: list[tuple[int, str]]
    sectors: list[tuple[str, str]]
    spaces: list[tuple[str, str]]
    summary: list[str] = field(default_factory=list)

    @property
    def shown_rows(self) -> list[HeatmapRow]:
        return [row for row in self.rows if row.shown]

    @property
    def n_hidden(self) -> int:
        return sum(1 for row in self.rows if row.status == "hidden")

    @property
    def n_no_results(self) -> int:
        return sum(1 for row in self.rows if row.status == "no_results")

    @property
    def n_pending(self) -> int:
        return sum(1 for row in self.rows if row.status == "pending")


# --- Building the group report -----------------------------------------------------------


def _number_word(n: int) -> str:
    words = ("No one", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine",
             "Ten", "Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen",
             "Seventeen", "Eighteen", "Nineteen", "Twenty")
    return words[n] if 0 <= n < len(words) else str(n)


def _band(value: float) -> str:
    return "not enough answers" if math.isnan(value) else agreement_band(value)


@dataclass(frozen=True)
class _GroupInfo:
    id: int
    name: str
    parent_id: int | None
    organisation_id: int | None
    organisation: str
    sector: str
    space: str


def _system_groups(system: System) -> list[_GroupInfo]:
    rows = Group.objects.filter(system=system).values_list(
        "id", "name", "parent_id", "organisation_id", "organisation__name",
        "organisation__sector", "space",
    )
    return [
        _GroupInfo(id=r[0], name=r[1], parent_id=r[2], organisation_id=r[3],
                   organisation=r[4] or "", sector=r[5] or "", space=r[6])
        for r in rows
    ]


def _condition_figures(instrument: Instrument, cells: list[dict[str, Any]]
                       ) -> list[ConditionFigure]:
    figures = []
    for scale, cell in zip(instrument.scales, cells, strict=True):
        if not cell["shown"]:
            figures.append(ConditionFigure(scale.key, scale.name, scale.role, False))
            continue
        rwg_j = _float(cell["rwg_j"])
        figures.append(ConditionFigure(
            scale.key, scale.name, scale.role, True, n=int(cell["n"]), mean=_float(cell["mean"]),
            ci_low=_float(cell["ci_low"]), ci_high=_float(cell["ci_high"]), rwg_j=rwg_j,
            band=_band(rwg_j), sd=_float(cell["sd"]),
        ))
    return figures


def _float(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _item_figures(instrument: Instrument, items: list[dict[str, Any]]) -> list[ItemFigure]:
    figures = []
    numbers: Counter[str] = Counter()
    for item, key, entry in zip(instrument.items, instrument.item_scale_keys, items,
                                strict=True):
        scale = instrument.scale(key)
        numbers[scale.key] += 1
        if not entry["shown"]:
            figures.append(ItemFigure(item.key, numbers[scale.key], item.text, scale.key,
                                      scale.name, False))
            continue
        figures.append(ItemFigure(
            item.key, numbers[scale.key], item.text, scale.key, scale.name, True,
            counts=tuple(int(c) for c in entry["counts"]), dont_know=int(entry["dont_know"]),
            mean=_float(entry["mean"]), agreement=_float(entry["agreement"]),
        ))
    return figures


def _focus(report: GroupReport) -> FocusFigure | None:
    shown = [c for c in report.conditions if c.shown and c.n > 0]
    if not shown:
        return None
    results = tuple(
        ConditionResult(key=c.key, n=c.n, mean=c.mean, sd=c.sd, ci_low=c.ci_low,
                        ci_high=c.ci_high, rwg_j=c.rwg_j,
                        n_items=len(report.instrument.scale(c.key).items))
        for c in shown
    )
    instrument = report.instrument
    focus = focus_condition(GroupProfile(n_respondents=report.n_responses, conditions=results,
                                         items=(), scale_points=instrument.scale_points))
    scale = instrument.scale(focus.condition)
    return FocusFigure(
        condition=scale.key, name=scale.name, reason=focus.reason, level=focus.level,
        sharedness=focus.sharedness, band=focus.band, role=scale.role,
        role_description=scale.role_description, practices=scale.practices,
        sentence=focus_sentence(focus, scale),
    )


def _self_other_of(assessment: Assessment, instrument: Instrument,
                   rows: list[dict[str, Any]] | None) -> SelfOther:
    if RaterKind.SELF.value not in assessment.rater_kinds:
        return SelfOther("no_self_rater")
    if rows is None:
        # One self rating and the others at the threshold were not both there: say no
        # more than that (how many others there are would be a count below the threshold).
        return SelfOther("not_shown")
    names = {s.key: s.name for s in instrument.scales}
    return SelfOther("shown", rows=tuple(
        GapFigure(r["key"], names[r["key"]], _float(r["self"]), _float(r["others"]),
                  _float(r["gap"]), int(r["n_other"]), bool(r["outside"])) for r in rows))


def _withheld_earlier(assessment: Assessment, instrument: Instrument,
                      previous_id: int | None) -> int:
    """The group's rounds in earlier cycles (newer than the round compared with, if any)
    that their cycle's newest publication withheld: the rounds a change skips over."""
    cycle = assessment.cycle
    earlier = Publication.objects.filter(cycle__system_id=cycle.system_id,
                                         cycle__created_at__lt=cycle.created_at)
    if previous_id is not None:
        since = (Assessment.objects.filter(pk=previous_id)
                 .values_list("cycle__created_at", flat=True).first())
        if since is not None:
            earlier = earlier.filter(cycle__created_at__gt=since)
    newest: dict[int, int] = {}
    for cycle_id, pk in earlier.order_by("cycle_id", "number").values_list("cycle_id", "pk"):
        newest[cycle_id] = pk
    key = str(assessment.group_id)
    skipped = 0
    for table in Publication.objects.filter(pk__in=newest.values()).values_list("table",
                                                                                 flat=True):
        own = table.get("own", {}).get(key)
        if own and own.get("status") != "shown" and table.get("instrument") == instrument.key:
            skipped += 1
    return skipped


def _change_of(instrument: Instrument, change: dict[str, Any] | None, *,
               skipped: int = 0) -> Change:
    if change is None:
        # The gate compares with the latest earlier round that was shown; when there is
        # none but earlier rounds were withheld, say so rather than "the first round".
        return Change("previous_below", skipped_rounds=skipped) if skipped else Change(
            "no_previous")
    names = {s.key: s.name for s in instrument.scales}
    rows = tuple(
        ChangeFigure(r["key"], names.get(r["key"], r["key"]), True, before=r["before"],
                     after=r["after"], difference=r["difference"],
                     ci_low=_float(r.get("ci_low")), ci_high=_float(r.get("ci_high")),
                     beyond_noise=bool(r.get("beyond_noise")), testable=bool(r["testable"]))
        if r["shown"] else ChangeFigure(r["key"], names.get(r["key"], r["key"]), False)
        for r in change["rows"]
    )
    return Change("shown", previous_id=change["previous_id"],
                  previous_title=change["previous_title"],
                  previous_opens_on=dt.date.fromisoformat(change["previous_opens_on"]),
                  skipped_rounds=skipped, rows=rows)


def group_report(assessment: Assessment, *, publication: int | None = None) -> GroupReport:
    """The report of one round, as its cycle's newest publication (or ``publication``)
    shows it. Access is the caller's job (``access.assessment_for``)."""
    instrument = get_instrument(assessment.instrument_key, assessment.instrument_version)
    view = published_round(assessment, number=publication)
    live = progress(assessment)
    cycle = assessment.cycle
    entry = view.round or {}
    threshold = int(entry.get("threshold") or live.threshold)
    report = GroupReport(
        assessment=assessment, group=assessment.group, system=assessment.group.system,
        cycle=cycle, instrument=instrument,
        state="not_published" if not view.published else (
            "shown" if view.shown else "withheld"),
        threshold=threshold, comment_threshold=max(cycle.comment_threshold, threshold),
        n_responses=int(view.own["n"]) if view.shown and view.own else 0,
        n_invitations=live.invited, progress=live,
        publication_number=view.publication.number if view.publication else None,
        published_at=view.publication.created_at if view.publication else None,
        unverified=bool(entry.get("unverified", live.unverified)),
        held_back=bool(entry.get("held_back")),
    )
    if not view.shown or view.own is None:
        report.summary = _group_summary(report)
        return report
    own = view.own
    report.conditions = _condition_figures(instrument, own["cells"])
    report.items = _item_figures(instrument, own["items"])
    ranked = sorted((it for it in report.items if it.shown and not math.isnan(it.agreement)),
                    key=lambda it: (it.agreement, it.key))
    report.disagreements = ranked[:3]
    report.focus = _focus(report)
    report.self_other = _self_other_of(assessment, instrument, own.get("self_other"))
    change = own.get("change")
    report.change = _change_of(instrument, change, skipped=_withheld_earlier(
        assessment, instrument, change["previous_id"] if change else None))
    comments = published_comments(view)
    if comments is not None:
        report.comments_disclosed = True
        report.comments = [CommentSet(prompt=p.text, texts=tuple(comments.get(p.key, [])))
                           for p in instrument.free_text]
    report.summary = _group_summary(report)
    return report


def _fmt(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}"


def _group_summary(report: GroupReport) -> list[str]:
    """Two to four plain sentences from the figures, for the top of the report."""
    if report.state == "not_published":
        closes = report.assessment.closes_on
        return [f"Results are published when this round closes on {closes:%-d %B %Y}, or "
                "earlier at a publishing point, and only if enough people have answered."]
    if report.state == "withheld":
        return [WITHHELD_SENTENCE]
    sentences = []
    who = f"{_number_word(report.n_responses)} {'person' if report.n_responses == 1 else 'people'}"
    if report.response_rate is not None:
        sentences.append(f"{who} answered ({report.response_rate * 100:.0f}% of those invited).")
    else:
        sentences.append(f"{who} answered.")
    shown = [c for c in report.shown_conditions if not math.isnan(c.mean)]
    if shown:
        best = max(shown, key=lambda c: c.mean)
        if best.shared and best.rwg_j > 0.70:
            how = "is widely shared"
        elif best.shared:
            how = "is fairly widely shared"
        else:
            how = "but people see it differently"
        joiner = " and" if best.shared else ","
        sentences.append(f"{best.name} is rated highest ({_fmt(best.mean)} out of 5){joiner} "
                         f"{how}.")
    focus = report.focus
    if focus is not None:
        job = f"a job for the leader as {focus.role}" if focus.role else "the next step"
        if focus.reason in ("rated_well_not_shared", "not_shared"):
            sentences.append(f"{focus.name} is rated {_fmt(focus.level)} and the group is split "
                             f"on it: this is where to focus, {job}.")
        elif focus.reason == "lowest_level":
            sentences.append(f"{focus.name} is rated lowest, at {_fmt(focus.level)}, and the "
                             f"group agrees it needs work: this is where to focus, {job}.")
        else:
            sentences.append(f"Every condition is rated well and shared; {focus.name} is the one "
                             f"to keep building, {job}.")
    change = report.change
    if change.status == "shown" and change.previous_opens_on is not None:
        since = change.previous_opens_on.strftime("%B %Y")
        moved = [r for r in change.rows if r.shown and r.beyond_noise]
        if moved:
            parts = [f"{r.name} has {'risen' if r.difference > 0 else 'fallen'} by "
                     f"{abs(r.difference):.1f}" for r in moved[:2]]
            sentences.append(f"Since {since}, {' and '.join(parts)}, more than chance would "
                             "explain.")
        else:
            sentences.append(f"Nothing has changed by more than chance since {since}.")
    return sentences[:4]


# --- Building the many-groups report --------------------------------------------------


def _depth_first(groups: list[_GroupInfo]) -> list[tuple[_GroupInfo, int]]:
    ids = {g.id for g in groups}
    children: dict[int | None, list[_GroupInfo]] = {}
    for g in groups:
        children.setdefault(g.parent_id if g.parent_id in ids else None, []).append(g)
    for siblings in children.values():
        siblings.sort(key=lambda g: g.name.lower())
    ordered: list[tuple[_GroupInfo, int]] = []
    stack = [(g, 0) for g in reversed(children.get(None, []))]
    while stack:
        g, depth = stack.pop()
        ordered.append((g, depth))
        stack.extend((c, depth + 1) for c in reversed(children.get(g.id, [])))
    return ordered


def many_groups_report(
    system: System,
    *,
    cycle: Cycle | None = None,
    publication: int | None = None,
    organisation: Organisation | None = None,
    sector: str = "",
    space: str = "",
    measure: str = "level",
    visible: set[int] | None = None,
) -> ManyGroupsReport:
    """Every group of a system (or one organisation) by condition, as a cycle's newest
    publication (or ``publication``) shows it.

    ``cycle`` defaults to the newest cycle with a publication. ``organisation``, ``sector``
    and ``space`` only hide rows; ``measure`` chooses what the heatmap colours. ``visible``
    (group ids, from ``access.groups_for``) leaves out the groups a user whose membership
    covers part of the system may not see, and every rollup row that includes a group
    outside it: a viewer sees a subset of the one published table, never a recomputation.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}; got {measure!r}")
    if organisation is not None and organisation.system_id != system.pk:
        raise ValueError("the organisation must belong to the system")
    if cycle is not None and cycle.system_id != system.pk:
        raise ValueError("the cycle must belong to the system")
    cycles = cycles_of(system.pk)
    cycle = cycle or default_cycle(system.pk, cycles=cycles)
    pub = publication_of(cycle, publication) if cycle is not None else None
    table = table_of(pub) if pub is not None else {}
    instrument = get_instrument(table.get("instrument", "trace"), table.get("version"))
    groups = _system_groups(system)
    rounds = ({a["group_id"]: a for a in Assessment.objects.filter(cycle=cycle).values(
        "id", "group_id", "title", "opens_on")} if cycle is not None else {})
    sector_labels = dict(Sector.choices)
    space_labels = dict(Space.choices)
    ordered = _depth_first(groups)
    # A row covers the groups that were under it when the publication was made (groups
    # may have moved since): its scope check and its count of nested groups use that tree.
    then = {int(g): p for g, p in table["tree"].items()} if "tree" in table else {
        g.id: g.parent_id for g in groups}
    children: dict[int, list[int]] = {}
    for gid, parent in then.items():
        if parent is not None:
            children.setdefault(int(parent), []).append(gid)

    def subtree(gid: int) -> list[int]:
        found, stack = [gid], [gid]
        while stack:
            for child in children.get(stack.pop(), []):
                found.append(child)
                stack.append(child)
        return found

    rows: list[HeatmapRow] = []
    for g, depth in ordered:
        if visible is not None and g.id not in visible:
            continue
        if organisation is not None and g.organisation_id != organisation.pk:
            continue
        if sector and g.sector != sector:
            continue
        if space and g.space != space:
            continue
        members = subtree(g.id)
        a = rounds.get(g.id)
        common: dict[str, Any] = {
            "group_id": g.id, "name": g.name, "organisation_id": g.organisation_id,
            "organisation": g.organisation, "sector": g.sector,
            "sector_label": sector_labels.get(g.sector, ""), "space": g.space,
            "space_label": space_labels.get(g.space, g.space), "depth": depth,
            "nested_groups": len(members) - 1,
            "assessment_id": a["id"] if a else None,
            "assessment_title": a["title"] if a else "",
            "opens_on": a["opens_on"] if a else None,
        }
        own = table.get("own", {}).get(str(g.id))
        common["own_shown"] = bool(own and own.get("status") == "shown")
        entry = table.get("subtree", {}).get(str(g.id))
        in_scope = visible is None or all(x in visible for x in members)
        if not any(x in rounds for x in members):
            rows.append(HeatmapRow(status="no_results", **common))
            continue
        if not entry or not in_scope or entry.get("status") != "shown":
            # Waiting for a round under it to close (public: the dates say so), or hidden.
            final = set(table.get("final", []))
            complete = all(rounds[x]["id"] in final for x in members if x in rounds)
            status = "pending" if in_scope and not complete else "hidden"
            rows.append(HeatmapRow(status=status, **common))
            continue
        cells = tuple(
            Cell(shown=True, n=int(c["n"]), mean=_float(c["mean"]), ci_low=_float(c["ci_low"]),
                 ci_high=_float(c["ci_high"]), rwg_j=_float(c["rwg_j"]))
            if c["shown"] else Cell(shown=False) for c in entry["cells"])
        rows.append(HeatmapRow(status="shown", n=int(entry["n"]), cells=cells, **common))
    in_view = [g for g in groups if visible is None or g.id in visible]
    present_orgs = sorted({(g.organisation_id, g.organisation) for g in in_view
                           if g.organisation_id}, key=lambda p: p[1].lower())
    present_sectors = sorted({g.sector for g in in_view if g.sector})
    present_spaces = [s for s in Space.values if any(g.space == s for g in in_view)]
    result = ManyGroupsReport(
        system=system, cycle=cycle, publication=pub, cycles=cycles,
        organisation=organisation, instrument=instrument,
        conditions=[(s.key, s.name) for s in instrument.scales], rows=rows,
        threshold=int(table.get("threshold") or (cycle.threshold if cycle else 5)),
        measure=measure,
        filters={"cycle": str(cycle.pk) if cycle else "",
                 "organisation": str(organisation.pk) if organisation else "",
                 "sector": sector, "space": space, "measure": measure},
        organisations=[(pk, name) for pk, name in present_orgs],
        sectors=[(s, sector_labels.get(s, s)) for s in present_sectors],
        spaces=[(s, space_labels[s]) for s in present_spaces],
    )
    result.summary = _many_summary(result)
    return result


def _many_summary(report: ManyGroupsReport) -> list[str]:
    scope = report.organisation.name if report.organisation else report.system.name
    total = len(report.rows)
    shown = report.shown_rows
    sentences = [
        f"{_number_word(total) if total <= 20 else total} "
        f"{'group' if total == 1 else 'groups'} in {scope} match this view; "
        f"{len(shown)} {'has' if len(shown) == 1 else 'have'} results to show."
    ]
    if report.n_hidden:
        sentences.append(
            f"{report.n_hidden} {'is' if report.n_hidden == 1 else 'are'} hidden because too few "
            "people answered, or to protect a smaller group alongside."
        )
    names = dict(report.conditions)
    keys = [k for k, _ in report.conditions]
    weakest: Counter[str] = Counter()
    least_shared: Counter[str] = Counter()
    for row in shown:
        levels = [(c.mean, k) for c, k in zip(row.cells, keys, strict=True)
                  if c.shown and not math.isnan(c.mean)]
        shares = [(c.rwg_j, k) for c, k in zip(row.cells, keys, strict=True)
                  if c.shown and not math.isnan(c.rwg_j)]
        if levels:
            weakest[min(levels)[1]] += 1
        if shares:
            least_shared[min(shares)[1]] += 1
    if len(shown) == 1:
        if weakest:
            sentences.append(f"{names[weakest.most_common(1)[0][0]]} is its lowest-rated "
                             "condition.")
        if least_shared:
            sentences.append(f"{names[least_shared.most_common(1)[0][0]]} is its least shared "
                             "condition.")
        return sentences[:4]
    if weakest:
        key, count = weakest.most_common(1)[0]
        sentences.append(f"{names[key]} is the lowest-rated condition in {count} of the "
                         f"{len(shown)} groups shown.")
    if least_shared:
        key, count = least_shared.most_common(1)[0]
        sentences.append(f"{names[key]} is the least shared condition in {count} of them.")
    return sentences[:4]
