"""The one place that decides what a report shows: the group report and many groups at once.

Every page, export (PDF, Excel, CSV, HTML) and CLI command renders from the objects built
here, so disclosure is decided once:

* :func:`group_report` builds a :class:`GroupReport` for one assessment;
* :func:`many_groups_report` builds a :class:`ManyGroupsReport` for a system (optionally
  one organisation of it) from the latest assessment of every group, in one vectorised
  pass of :func:`tracelead.analysis.groups_report`.

Disclosure along the group hierarchy
------------------------------------
A group's row in the many-groups report counts everyone in the groups nested in it (as
the analysis core does), so a parent row could reveal a hidden child by subtraction.
:func:`tracelead.analysis.suppress_hierarchy` (inside ``groups_report``) adds
complementary suppression. A parent group's *own* latest round is published too (on its
group report), so it enters the hierarchy as a child node of its own ("own responses");
the group report of a group's latest round then follows that node's decision. The
strictest threshold among the latest rounds of a system applies to the whole hierarchy,
so that every page and export of the system reaches the same decision.

Filters only hide rows: figures are computed for the whole system before any filter, and
nothing is added up over the rows that remain visible.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Count
from django.utils import timezone

from tracelead.analysis import (
    GroupProfile,
    GroupsReport,
    agreement_band,
    compare_rounds,
    condition_profile,
    condition_scores,
    disclose,
    focus_condition,
    groups_report,
    rwg,
    self_other_gaps,
)
from tracelead.diagnostics.models import Assessment, RaterKind, Response
from tracelead.diagnostics.presentation import focus_sentence
from tracelead.instruments import Instrument, Practice, get_instrument
from tracelead.organisations.models import Group, Organisation, Sector, Space, System

MEASURES = ("level", "sharedness")
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
    """Self against others. ``status``: shown, no_self_rater, no_self_response, others_below."""

    status: str
    rows: tuple[GapFigure, ...] = ()
    more_needed: int = 0


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

    ``status``: shown, no_previous, previous_below (every earlier round is below its
    threshold), current_below (this round is).
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
    """Everything one group's report shows, with disclosure already applied."""

    assessment: Assessment
    group: Group
    system: System
    instrument: Instrument
    threshold: int
    comment_threshold: int
    n_responses: int
    n_invitations: int
    n_invitations_used: int
    disclosed: bool
    hidden_by_hierarchy: bool
    more_needed: int
    comments_disclosed: bool
    comments_more_needed: int
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
    # How many more responses are needed says how many there are: only the people who
    # run the round (facilitators) see it below the threshold (counts follow the threshold).
    show_progress: bool = True

    @property
    def response_rate(self) -> float | None:
        if not self.n_invitations:
            return None
        return self.n_invitations_used / self.n_invitations

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
    status: str  # shown, hidden, no_results
    n: int = 0
    cells: tuple[Cell, ...] = ()
    # The group's own latest round (without nested groups): may its responses be exported,
    # and which items must be blanked? Decided by the same hierarchy pass.
    own_shown: bool = False
    own_items_hidden: tuple[bool, ...] = ()

    @property
    def shown(self) -> bool:
        return self.status == "shown"


@dataclass
class ManyGroupsReport:
    system: System
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


# --- The hierarchy pass, shared by both reports ----------------------------------------


@dataclass(frozen=True)
class _GroupInfo:
    id: int
    name: str
    parent_id: int | None
    organisation_id: int | None
    organisation: str
    sector: str
    space: str


@dataclass
class _Pass:
    groups: list[_GroupInfo]
    node: dict[int, int]  # group id -> its node (everyone in it and below)
    own: dict[int, int]  # group id -> node of its own latest round's respondents
    latest: dict[int, dict[str, Any]]  # group id -> latest assessment (values)
    instrument: Instrument
    threshold: int
    report: GroupsReport | None


def _latest_assessments(system: System, instrument_key: str) -> dict[int, dict[str, Any]]:
    """The latest round that has opened, per group of the system, in one query."""
    today = timezone.localdate()
    latest: dict[int, dict[str, Any]] = {}
    rows = (
        Assessment.objects.filter(
            group__system=system, instrument_key=instrument_key, opens_on__lte=today
        )
        .order_by("group_id", "-opens_on", "-id")
        .values("id", "group_id", "title", "opens_on", "threshold", "instrument_version")
    )
    for row in rows:
        latest.setdefault(row["group_id"], row)
    return latest


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


def _tree_of(groups: list[_GroupInfo], group_id: int) -> list[_GroupInfo]:
    """The groups of the tree (same root) as ``group_id``: suppression is decided per tree."""
    parent = {g.id: g.parent_id for g in groups}

    def root(gid: int) -> int:
        seen = set()
        while parent.get(gid) is not None and gid not in seen:
            seen.add(gid)
            gid = parent[gid]  # type: ignore[assignment]
        return gid

    target = root(group_id)
    return [g for g in groups if root(g.id) == target]


def answers_matrix(answers: list[dict[str, Any]], keys: tuple[str, ...]) -> np.ndarray:
    """Respondents x items as floats; null ("Don't know") and missing keys become NaN."""
    if not answers:
        return np.empty((0, len(keys)))
    return np.array([list(map(a.get, keys)) for a in answers], dtype=float)


def response_matrix(assessment_ids: list[int], keys: tuple[str, ...]
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The responses of many assessments: each row's assessment id and answers (NaN missing).

    One query fetches every response's packed answers (one digit per item, see
    ``Response.packed``); they are decoded together with one ``np.frombuffer``. Rows whose
    packed form does not fit ``keys`` (another instrument version) fall back to JSON.
    """
    if not assessment_ids:
        return np.empty(0, dtype=np.int64), np.empty((0, len(keys)))
    # No primary key in the query: turning 50,000 UUIDs into Python objects would cost
    # more than everything else here together.
    rows = list(
        Response.objects.filter(assessment_id__in=assessment_ids)
        .order_by()
        .values_list("assessment_id", "packed")
    )
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    width = len(keys)
    fits = np.fromiter((len(r[1]) == width for r in rows), dtype=bool, count=len(rows))
    values = np.full((len(rows), width), np.nan)
    good = np.flatnonzero(fits)
    if good.size:
        buffer = "".join(rows[i][1] for i in good).encode("ascii")
        digits = np.frombuffer(buffer, dtype=np.uint8).reshape(good.size, width) - ord("0")
        decoded = digits.astype(float)
        decoded[digits == 0] = np.nan
        values[good] = decoded
    odd = sorted({int(ids[i]) for i in np.flatnonzero(~fits)})
    if odd:
        # Rows without a packed copy that fits (another instrument version): read those
        # rounds' answers as JSON instead, in place of their rows.
        keep = ~np.isin(ids, odd)
        extra = list(
            Response.objects.filter(assessment_id__in=odd)
            .order_by()
            .values_list("assessment_id", "answers")
        )
        ids = np.concatenate([ids[keep], np.array([r[0] for r in extra], dtype=np.int64)])
        values = np.vstack([values[keep], answers_matrix([r[1] for r in extra], keys)])
    return ids, values


def _hierarchy_pass(system: System, *, instrument_key: str = "trace",
                    tree_of: int | None = None) -> _Pass:
    """Every group's latest round, in one query for the responses and one ``groups_report``."""
    instrument = get_instrument(instrument_key)
    groups = _system_groups(system)
    latest = _latest_assessments(system, instrument_key)
    # The strictest threshold of the system's latest rounds applies to the whole hierarchy.
    threshold = max([row["threshold"] for row in latest.values()], default=5)
    if tree_of is not None:
        groups = _tree_of(groups, tree_of)
    ids = {g.id for g in groups}
    node = {g.id: i for i, g in enumerate(groups)}
    parents = [node.get(g.parent_id, -1) if g.parent_id in ids else -1 for g in groups]
    has_children = {g.parent_id for g in groups if g.parent_id in ids}
    own: dict[int, int] = {}
    for g in groups:
        if g.id in has_children and g.id in latest:
            own[g.id] = len(parents)
            parents.append(node[g.id])
        else:
            own[g.id] = node[g.id]
    by_assessment = {latest[g.id]["id"]: own[g.id] for g in groups if g.id in latest}
    assessment_ids, values = response_matrix(list(by_assessment), instrument.item_keys)
    report = None
    if len(assessment_ids):
        lookup = np.zeros(max(by_assessment) + 1, dtype=np.int64)
        lookup[list(by_assessment)] = list(by_assessment.values())
        group_index = lookup[assessment_ids]
        report = groups_report(
            values, group_index, instrument.item_scale_keys, parents=parents,
            threshold=threshold, scale_points=instrument.scale_points,
        )
    return _Pass(groups=groups, node=node, own=own, latest=latest, instrument=instrument,
                 threshold=threshold, report=report)


# --- Building the group report -----------------------------------------------------------


def _number_word(n: int) -> str:
    words = ("No one", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine",
             "Ten", "Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen",
             "Seventeen", "Eighteen", "Nineteen", "Twenty")
    return words[n] if 0 <= n < len(words) else str(n)


def _band(value: float) -> str:
    return "not enough answers" if math.isnan(value) else agreement_band(value)


def _item_agreement(column: np.ndarray, scale_points: int) -> float:
    present = column[~np.isnan(column)]
    return rwg(present, scale_points) if present.size >= 2 else math.nan


def _responses_of(assessment_id: int) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    return list(
        Response.objects.filter(assessment_id=assessment_id).values_list(
            "rater_kind", "answers", "free_text"
        )
    )


def _change(assessment: Assessment, instrument: Instrument, current: np.ndarray,
            threshold: int, shown_keys: set[str]) -> Change:
    earlier = list(
        Assessment.objects.filter(
            group_id=assessment.group_id,
            instrument_key=assessment.instrument_key,
            opens_on__lt=assessment.opens_on,
        )
        .annotate(n=Count("responses"))
        .order_by("-opens_on", "-id")
        .values("id", "title", "opens_on", "threshold", "instrument_version", "n")
    )
    if not earlier:
        return Change("no_previous")
    chosen = next((row for row in earlier if disclose(row["n"], threshold=row["threshold"])),
                  None)
    if chosen is None:
        return Change("previous_below", skipped_rounds=len(earlier))
    before_instrument = get_instrument(assessment.instrument_key, chosen["instrument_version"])
    before_answers = [r[1] for r in _responses_of(chosen["id"])]
    before = answers_matrix(before_answers, before_instrument.item_keys)
    keys_b, scores_b = condition_scores(before, before_instrument.item_scale_keys)
    keys_a, scores_a = condition_scores(current, instrument.item_scale_keys)
    limit = max(threshold, chosen["threshold"])
    rows = []
    for scale in instrument.scales:
        if scale.key not in keys_b or scale.key not in keys_a:
            continue
        if scale.key not in shown_keys:
            # Withheld in this round (too few answers, or to protect a smaller group
            # alongside): its mean must not reach the page through the change either.
            rows.append(ChangeFigure(scale.key, scale.name, shown=False))
            continue
        b = scores_b[:, keys_b.index(scale.key)]
        a = scores_a[:, keys_a.index(scale.key)]
        b, a = b[~np.isnan(b)], a[~np.isnan(a)]
        if not (disclose(int(b.size), threshold=limit) and disclose(int(a.size), threshold=limit)):
            rows.append(ChangeFigure(scale.key, scale.name, shown=False))
            continue
        try:
            result = compare_rounds(b, a)
        except ValueError:  # both rounds constant: report the means, no interval
            rows.append(ChangeFigure(scale.key, scale.name, shown=True, before=float(b.mean()),
                                     after=float(a.mean()),
                                     difference=float(a.mean() - b.mean())))
            continue
        rows.append(ChangeFigure(
            scale.key, scale.name, shown=True, before=float(b.mean()), after=float(a.mean()),
            difference=result.difference, ci_low=result.ci_low, ci_high=result.ci_high,
            beyond_noise=result.beyond_noise, testable=True,
        ))
    return Change(
        "shown", previous_id=chosen["id"], previous_title=chosen["title"],
        previous_opens_on=chosen["opens_on"], skipped_rounds=earlier.index(chosen),
        rows=tuple(rows),
    )


def _self_other(assessment: Assessment, instrument: Instrument, matrix: np.ndarray,
                kinds: list[str], shown_keys: set[str], threshold: int) -> SelfOther:
    if RaterKind.SELF.value not in assessment.rater_kinds:
        return SelfOther("no_self_rater")
    is_self = np.array([k == RaterKind.SELF.value for k in kinds], dtype=bool)
    if not is_self.any():
        return SelfOther("no_self_response")
    n_other = int((~is_self).sum())
    # A self rating is one known person, shown to the group it belongs to; the others'
    # side is a group of people and must meet the threshold on its own.
    if not disclose(n_other, threshold=threshold):
        return SelfOther("others_below", more_needed=threshold - n_other)
    keys = instrument.item_scale_keys
    mine = condition_profile(matrix[is_self], keys, scale_points=instrument.scale_points)
    theirs = condition_profile(matrix[~is_self], keys, scale_points=instrument.scale_points)
    names = {s.key: s.name for s in instrument.scales}
    rows = tuple(
        GapFigure(g.key, names[g.key], g.self_mean, g.other_mean, g.gap, g.n_other,
                  g.self_outside_others_interval)
        for g in self_other_gaps(mine, theirs)
        if g.key in shown_keys and disclose(g.n_other, threshold=threshold)
    )
    return SelfOther("shown", rows=rows)


def group_report(assessment: Assessment, *, show_progress: bool = True) -> GroupReport:
    """The report of one assessment (access is the caller's job: use ``assessment_for``).

    ``show_progress`` False (for viewers) leaves out how many more responses a round
    below its threshold needs, since that gives away how many it has.
    """
    group = assessment.group
    instrument = get_instrument(assessment.instrument_key, assessment.instrument_version)
    responses = _responses_of(assessment.pk)
    n = len(responses)
    invitations = assessment.invitations.aggregate(
        total=Count("id"), used=Count("id", filter=_used_filter())
    )
    threshold = assessment.threshold
    flags: dict[str, Any] | None = None
    hierarchy = _hierarchy_pass(group.system, instrument_key=assessment.instrument_key,
                                tree_of=group.pk)
    latest = hierarchy.latest.get(group.pk)
    if latest is not None and latest["id"] == assessment.pk:
        # This round feeds the many-groups report: follow its decision exactly.
        threshold = max(threshold, hierarchy.threshold)
        flags = _own_flags(hierarchy, group.pk)
    figures_ok = bool(disclose(n, threshold=threshold))
    hidden_by_hierarchy = bool(figures_ok and flags is not None and flags["suppressed"])
    disclosed = figures_ok and not hidden_by_hierarchy
    comment_threshold = max(assessment.comment_threshold, threshold)
    comments_ok = bool(disclose(n, threshold=comment_threshold, kind="comments"))
    report = GroupReport(
        assessment=assessment, group=group, system=group.system, instrument=instrument,
        threshold=threshold, comment_threshold=comment_threshold, n_responses=n,
        n_invitations=invitations["total"], n_invitations_used=invitations["used"],
        disclosed=disclosed, hidden_by_hierarchy=hidden_by_hierarchy,
        more_needed=max(0, threshold - n), comments_disclosed=disclosed and comments_ok,
        comments_more_needed=max(0, comment_threshold - n),
        show_progress=show_progress,
    )
    if not disclosed:
        report.summary = _group_summary(report)
        return report

    matrix = answers_matrix([r[1] for r in responses], instrument.item_keys)
    profile = condition_profile(matrix, instrument.item_scale_keys,
                                scale_points=instrument.scale_points)
    cond_index = {c.key: i for i, c in enumerate(profile.conditions)}
    shown_results = []
    for scale in instrument.scales:
        result = profile.condition(scale.key)
        hidden = (flags["cells"][cond_index[scale.key]] if flags is not None
                  else not disclose(result.n, threshold=threshold))
        if hidden:
            report.conditions.append(ConditionFigure(scale.key, scale.name, scale.role, False))
            continue
        shown_results.append(result)
        report.conditions.append(ConditionFigure(
            scale.key, scale.name, scale.role, True, n=result.n, mean=result.mean,
            ci_low=result.ci_low, ci_high=result.ci_high, rwg_j=result.rwg_j,
            band=_band(result.rwg_j), sd=result.sd,
        ))
    shown_keys = {c.key for c in report.conditions if c.shown}
    dont_know = [sum(1 for r in responses if k in r[1] and r[1][k] is None)
                 for k in instrument.item_keys]
    numbers: Counter[str] = Counter()
    for i, (item, distribution) in enumerate(zip(instrument.items, profile.items, strict=True)):
        scale = instrument.scale(distribution.condition)
        numbers[scale.key] += 1
        hidden = (flags["items"][i] if flags is not None
                  else not disclose(distribution.n, threshold=threshold))
        hidden = hidden or scale.key not in shown_keys
        if hidden:
            report.items.append(ItemFigure(item.key, numbers[scale.key], item.text, scale.key,
                                           scale.name, False))
            continue
        report.items.append(ItemFigure(
            item.key, numbers[scale.key], item.text, scale.key, scale.name, True,
            counts=distribution.counts, dont_know=dont_know[i], mean=distribution.mean,
            agreement=_item_agreement(matrix[:, i], instrument.scale_points),
        ))
    ranked = sorted((it for it in report.items if it.shown and not math.isnan(it.agreement)),
                    key=lambda it: (it.agreement, it.key))
    report.disagreements = ranked[:3]

    if shown_results and any(r.n > 0 for r in shown_results):
        focus = focus_condition(GroupProfile(n_respondents=n, conditions=tuple(shown_results),
                                             items=(), scale_points=instrument.scale_points))
        scale = instrument.scale(focus.condition)
        report.focus = FocusFigure(
            condition=scale.key, name=scale.name, reason=focus.reason, level=focus.level,
            sharedness=focus.sharedness, band=focus.band, role=scale.role,
            role_description=scale.role_description, practices=scale.practices,
            sentence=focus_sentence(focus, scale),
        )
    report.self_other = _self_other(assessment, instrument, matrix, [r[0] for r in responses],
                                    shown_keys, threshold)
    report.change = _change(assessment, instrument, matrix, threshold, shown_keys)
    if report.comments_disclosed:
        for prompt in instrument.free_text:
            # Sorted, not in order of arrival, so that no comment can be matched to a
            # response or an invitation.
            texts = sorted(str(r[2][prompt.key]).strip() for r in responses
                           if r[2].get(prompt.key) and str(r[2][prompt.key]).strip())
            report.comments.append(CommentSet(prompt=prompt.text, texts=tuple(texts)))
    report.summary = _group_summary(report)
    return report


def _used_filter() -> Any:
    from django.db.models import Q

    return Q(used=True)


def _own_flags(hierarchy: _Pass, group_id: int) -> dict[str, Any]:
    report = hierarchy.report
    if report is None:
        n_cond = len(hierarchy.instrument.scales)
        return {"suppressed": True, "cells": [True] * n_cond,
                "items": [True] * len(hierarchy.instrument.items)}
    node = hierarchy.own[group_id]
    return {
        "suppressed": bool(report.suppressed[node]),
        "cells": [bool(v) for v in report.cell_suppressed[node]],
        "items": [bool(v) for v in report.item_suppressed[node]],
    }


def _fmt(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}"


def _group_summary(report: GroupReport) -> list[str]:
    """Two to four plain sentences from the figures, for the top of the report."""
    if not report.disclosed:
        if report.hidden_by_hierarchy:
            return ["These results are withheld: showing them would let someone work out "
                    "the answers of a smaller group alongside this one."]
        if not report.show_progress:
            return [f"Results are shown once at least {report.threshold} people have answered."]
        return [f"Results are shown once at least {report.threshold} people have answered; "
                f"{report.more_needed} more {'is' if report.more_needed == 1 else 'are'} "
                "needed."]
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
    organisation: Organisation | None = None,
    sector: str = "",
    space: str = "",
    measure: str = "level",
    instrument_key: str = "trace",
    visible: set[int] | None = None,
) -> ManyGroupsReport:
    """Every group of a system (or of one organisation) by condition, from latest rounds.

    ``organisation``, ``sector`` and ``space`` only hide rows; ``measure`` ("level" or
    "sharedness") chooses what the heatmap colours. Access is the caller's job
    (``access.system_for``), and ``organisation`` must belong to ``system``. ``visible``
    (group ids, from ``access.groups_for``) hides the rows of groups a user whose
    membership covers only part of the system may not see; like the filters, it changes
    no figure.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}; got {measure!r}")
    if organisation is not None and organisation.system_id != system.pk:
        raise ValueError("the organisation must belong to the system")
    hierarchy = _hierarchy_pass(system, instrument_key=instrument_key)
    instrument = hierarchy.instrument
    report = hierarchy.report
    conditions = [(s.key, s.name) for s in instrument.scales]
    cond_pos = ([report.conditions.index(k) for k, _ in conditions] if report is not None
                else [])
    sector_labels = dict(Sector.choices)
    space_labels = dict(Space.choices)
    ordered = _depth_first(hierarchy.groups)
    parent_of = {g.id: g.parent_id for g in hierarchy.groups}
    nested: Counter[int] = Counter()
    for g, _ in ordered:
        p = g.parent_id
        seen: set[int] = set()
        while p is not None and p in parent_of and p not in seen:
            seen.add(p)
            nested[p] += 1
            p = parent_of[p]
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
        latest = hierarchy.latest.get(g.id)
        node = hierarchy.node[g.id]
        common = {
            "group_id": g.id, "name": g.name, "organisation_id": g.organisation_id,
            "organisation": g.organisation, "sector": g.sector,
            "sector_label": sector_labels.get(g.sector, ""), "space": g.space,
            "space_label": space_labels.get(g.space, g.space), "depth": depth,
            "nested_groups": nested[g.id],
            "assessment_id": latest["id"] if latest else None,
            "assessment_title": latest["title"] if latest else "",
            "opens_on": latest["opens_on"] if latest else None,
        }
        if report is None or int(report.n_respondents[node]) == 0:
            rows.append(HeatmapRow(status="no_results", **common))
            continue
        own = hierarchy.own[g.id]
        common["own_shown"] = bool(latest is not None and not report.suppressed[own]
                                   and report.n_respondents[own] > 0)
        common["own_items_hidden"] = tuple(bool(v) for v in report.item_suppressed[own])
        if report.suppressed[node]:
            rows.append(HeatmapRow(status="hidden", **common))
            continue
        cells = tuple(
            Cell(shown=False) if report.cell_suppressed[node, c] else Cell(
                shown=True, n=int(report.n[node, c]), mean=float(report.mean[node, c]),
                ci_low=float(report.ci_low[node, c]), ci_high=float(report.ci_high[node, c]),
                rwg_j=float(report.rwg_j[node, c]),
            )
            for c in cond_pos
        )
        rows.append(HeatmapRow(status="shown", n=int(report.n_respondents[node]), cells=cells,
                               **common))
    in_view = [g for g in hierarchy.groups if visible is None or g.id in visible]
    present_orgs = sorted({(g.organisation_id, g.organisation) for g in in_view
                           if g.organisation_id}, key=lambda p: p[1].lower())
    present_sectors = sorted({g.sector for g in in_view if g.sector})
    present_spaces = [s for s in Space.values if any(g.space == s for g in in_view)]
    result = ManyGroupsReport(
        system=system, organisation=organisation, instrument=instrument,
        conditions=conditions, rows=rows, threshold=hierarchy.threshold, measure=measure,
        filters={"organisation": str(organisation.pk) if organisation else "",
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
    if weakest:
        key, count = weakest.most_common(1)[0]
        sentences.append(f"{names[key]} is the lowest-rated condition in {count} of the "
                         f"{len(shown)} groups shown.")
    if least_shared:
        key, count = least_shared.most_common(1)[0]
        sentences.append(f"{names[key]} is the least shared condition in {count} of them.")
    return sentences[:4]
