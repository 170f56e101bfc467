"""Reports built from what the gate published: the group report and many groups at once.

Every page, export (PDF, Excel, CSV, HTML), API answer and CLI command renders from the
objects built here, and these read only frozen publications through
:mod:`tracelead.publishing.selectors`; what a publication shows is decided once by
:mod:`tracelead.publishing.gate`. Nothing here reads responses.

* :func:`group_report` builds a :class:`~tracelead.reports.figures.GroupReport` for one
  round;
* :func:`many_groups_report` builds a :class:`~tracelead.reports.figures.ManyGroupsReport`
  for a system (optionally one organisation of it) in one cycle.

Filters and scopes only hide rows of the one published table: nothing is recomputed for a
viewer and nothing is added up over the rows that remain visible.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Mapping
from typing import Any

from tracelead.analysis import (
    ConditionResult,
    GroupProfile,
    focus_condition,
)
from tracelead.core.figures import agreement_words
from tracelead.diagnostics.models import Assessment, RaterKind
from tracelead.diagnostics.presentation import focus_sentence
from tracelead.instruments import Instrument, get_instrument
from tracelead.organisations.models import Organisation, Sector, Space, System
from tracelead.publishing.models import Cycle, Publication
from tracelead.publishing.selectors import (
    PublishedRound,
    cycles_of,
    default_cycle,
    progress,
    publication_of,
    published_comments,
    published_round,
    table_of,
)
from tracelead.publishing.tree import GroupTree, tree_then

from .figures import (
    MEASURES,
    Cell,
    Change,
    ChangeFigure,
    CommentSet,
    ConditionFigure,
    FocusFigure,
    GapFigure,
    GroupReport,
    HeatmapRow,
    ItemFigure,
    ManyGroupsReport,
    SelfOther,
)
from .hierarchy import GroupInfo, depth_first, system_groups
from .summaries import group_summary, many_groups_summary

# --- The group report --------------------------------------------------------------------


def group_report(assessment: Assessment, *, publication: int | None = None) -> GroupReport:
    """The report of one round, as its cycle's newest publication (or ``publication``)
    shows it. Access is the caller's job (``access.assessment_for``)."""
    instrument = get_instrument(assessment.instrument_key, assessment.instrument_version)
    view = published_round(assessment, number=publication)
    report = _report_frame(assessment, instrument, view)
    if view.shown and view.own is not None:
        _add_figures(report, view.own)
        _add_comments(report, view)
    report.summary = group_summary(report)
    return report


def _report_frame(assessment: Assessment, instrument: Instrument, view: PublishedRound
                  ) -> GroupReport:
    """The report's state, counts and publication, before any figure."""
    live = progress(assessment)
    cycle = assessment.cycle
    entry = view.round or {}
    threshold = int(entry.get("threshold") or live.threshold)
    return GroupReport(
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


def _add_figures(report: GroupReport, own: dict[str, Any]) -> None:
    """Fill in the figures of a shown round from its entry in the publication."""
    assessment, instrument = report.assessment, report.instrument
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


def _add_comments(report: GroupReport, view: PublishedRound) -> None:
    comments = published_comments(view)
    if comments is not None:
        report.comments_disclosed = True
        report.comments = [CommentSet(prompt=p.text, texts=tuple(comments.get(p.key, [])))
                           for p in report.instrument.free_text]


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
            band=agreement_words(rwg_j), sd=_float(cell["sd"]),
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


# --- The many-groups report --------------------------------------------------------------


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
    _check_many_groups_options(system, cycle=cycle, organisation=organisation,
                               measure=measure)
    cycles = cycles_of(system.pk)
    cycle = cycle or default_cycle(system.pk, cycles=cycles)
    pub = publication_of(cycle, publication) if cycle is not None else None
    table = table_of(pub) if pub is not None else {}
    instrument = get_instrument(table.get("instrument", "trace"), table.get("version"))
    groups = system_groups(system)
    organisations, sectors, spaces = _filter_choices(groups, visible)
    rows = _heatmap_rows(groups, table=table, rounds=_rounds_of(cycle), visible=visible,
                         organisation=organisation, sector=sector, space=space)
    result = ManyGroupsReport(
        system=system, cycle=cycle, publication=pub, cycles=cycles,
        organisation=organisation, instrument=instrument,
        conditions=[(s.key, s.name) for s in instrument.scales], rows=rows,
        threshold=int(table.get("threshold") or (cycle.threshold if cycle else 5)),
        measure=measure,
        filters={"cycle": str(cycle.pk) if cycle else "",
                 "organisation": str(organisation.pk) if organisation else "",
                 "sector": sector, "space": space, "measure": measure},
        organisations=organisations, sectors=sectors, spaces=spaces,
    )
    result.summary = many_groups_summary(result)
    return result


def _check_many_groups_options(system: System, *, cycle: Cycle | None,
                               organisation: Organisation | None, measure: str) -> None:
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}; got {measure!r}")
    if organisation is not None and organisation.system_id != system.pk:
        raise ValueError("the organisation must belong to the system")
    if cycle is not None and cycle.system_id != system.pk:
        raise ValueError("the cycle must belong to the system")


def _rounds_of(cycle: Cycle | None) -> dict[int, Mapping[str, Any]]:
    """The cycle's rounds by group id."""
    if cycle is None:
        return {}
    return {a["group_id"]: a for a in Assessment.objects.filter(cycle=cycle).values(
        "id", "group_id", "title", "opens_on")}


def _heatmap_rows(groups: list[GroupInfo], *, table: dict[str, Any],
                  rounds: dict[int, Mapping[str, Any]], visible: set[int] | None,
                  organisation: Organisation | None, sector: str, space: str
                  ) -> list[HeatmapRow]:
    """A row per group in view, depth first. A row covers the groups that were under it
    when the publication was made (groups may have moved since): its scope check and its
    count of nested groups use that tree."""
    then = tree_then(table, GroupTree.from_parents({g.id: g.parent_id for g in groups}))
    labels = (dict(Sector.choices), dict(Space.choices))
    rows: list[HeatmapRow] = []
    for g, depth in depth_first(groups):
        if visible is not None and g.id not in visible:
            continue
        if organisation is not None and g.organisation_id != organisation.pk:
            continue
        if sector and g.sector != sector:
            continue
        if space and g.space != space:
            continue
        rows.append(_heatmap_row(g, depth, then.subtree(g.id), table=table,
                                 rounds=rounds, visible=visible, labels=labels))
    return rows


def _heatmap_row(g: GroupInfo, depth: int, members: list[int], *, table: dict[str, Any],
                 rounds: dict[int, Mapping[str, Any]], visible: set[int] | None,
                 labels: tuple[dict[str, str], dict[str, str]]) -> HeatmapRow:
    """One group's row; ``members`` are the group and those nested in it."""
    sector_labels, space_labels = labels
    a = rounds.get(g.id)
    own = table.get("own", {}).get(str(g.id))
    common: dict[str, Any] = {
        "group_id": g.id, "name": g.name, "organisation_id": g.organisation_id,
        "organisation": g.organisation, "sector": g.sector,
        "sector_label": sector_labels.get(g.sector, ""), "space": g.space,
        "space_label": space_labels.get(g.space, g.space), "depth": depth,
        "nested_groups": len(members) - 1,
        "assessment_id": a["id"] if a else None,
        "assessment_title": a["title"] if a else "",
        "opens_on": a["opens_on"] if a else None,
        "own_shown": bool(own and own.get("status") == "shown"),
    }
    entry = table.get("subtree", {}).get(str(g.id))
    in_scope = visible is None or all(x in visible for x in members)
    if not any(x in rounds for x in members):
        return HeatmapRow(status="no_results", **common)
    if not entry or not in_scope or entry.get("status") != "shown":
        # Waiting for a round under it to close (public: the dates say so), or hidden.
        final = set(table.get("final", []))
        complete = all(rounds[x]["id"] in final for x in members if x in rounds)
        status = "pending" if in_scope and not complete else "hidden"
        return HeatmapRow(status=status, **common)
    cells = tuple(
        Cell(shown=True, n=int(c["n"]), mean=_float(c["mean"]), ci_low=_float(c["ci_low"]),
             ci_high=_float(c["ci_high"]), rwg_j=_float(c["rwg_j"]))
        if c["shown"] else Cell(shown=False) for c in entry["cells"])
    return HeatmapRow(status="shown", n=int(entry["n"]), cells=cells, **common)


def _filter_choices(groups: list[GroupInfo], visible: set[int] | None
                    ) -> tuple[list[tuple[int, str]], list[tuple[str, str]],
                               list[tuple[str, str]]]:
    """The organisations, sectors and spaces the viewer's groups have, for the filters:
    (id or value, label) pairs."""
    in_view = [g for g in groups if visible is None or g.id in visible]
    present_orgs = sorted({(g.organisation_id, g.organisation) for g in in_view
                           if g.organisation_id}, key=lambda p: p[1].lower())
    present_sectors = sorted({g.sector for g in in_view if g.sector})
    present_spaces = [s for s in Space.values if any(g.space == s for g in in_view)]
    sector_labels = dict(Sector.choices)
    space_labels = dict(Space.choices)
    return (
        [(pk, name) for pk, name in present_orgs],
        [(s, sector_labels.get(s, s)) for s in present_sectors],
        [(s, space_labels[s]) for s in present_spaces],
    )
