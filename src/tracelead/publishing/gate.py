"""The disclosure gate: the only code that turns responses into figures anyone may see.

A cycle's results become visible in **publications**. :func:`publish` decides, once and for
every group of the system (in any viewer's scope or not), what a publication shows, checks
the decision together with every earlier publication of the cycle, and freezes it in
:class:`~tracelead.publishing.models.Publication`. Pages, exports, the API and the command
line read frozen publications through :mod:`tracelead.publishing.selectors`.

What is decided
---------------
* A round enters a publication when it closes, or at a facilitator's **publishing point**
  while it is open, which is refused unless at least a threshold's worth of responses
  arrived since the round was last published. A round's published responses only ever grow
  by at least its threshold: fewer late responses are held back (never shown).
* Every group has two nodes: its **own** round's respondents (the group report) and its
  **subtree**, everyone in it and the groups nested in it (the heatmap row). A subtree row
  of a group with nested groups is published only when every round under it has closed.
* Thresholds are the cycle's; a round whose open link let responses in without a verified
  email needs twice as many (its own node only). Primary and complementary suppression
  over the whole hierarchy come from :func:`tracelead.analysis.groups_report`.

The check against history
-------------------------
Every figure a publication shows is a linear equation in unknown **atoms**: the responses
of one round first published in one publication (a self rating is an atom of its own, shown
by consent). A node's count, condition sum or item counts at publication *j* covers the
atoms of its rounds with batch ``<= j``. Stacking the shown rows of every publication of the
cycle (the candidate included), the gate requires, per family of figures (respondent
counts, each condition, each item):

* **no exact disclosure**: no sensitive cell (a node shown nowhere because it had fewer
  respondents than its threshold, at any publication, or an atom smaller than the
  threshold, which includes any single response) lies in the row space of the shown rows
  (:func:`tracelead.analysis.determined_cells`);
* **no narrow disclosure**: for condition means, the audit interval of each sensitive cell,
  assuming the attacker knows every count, spans at least ``TRACELEAD_PROTECTION`` scale
  points (:func:`tracelead.analysis.audit_intervals`, linear programs solved by HiGHS).

When the candidate fails, the gate hides its smallest shown row that touches the exposed
cell and checks again; hiding only removes equations, so this ends, at worst with nothing
new shown. A publishing point that would then show nothing new of its round is refused.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tracelead.analysis import (
    GroupsReport,
    audit_intervals,
    compare_rounds,
    condition_profile,
    determined_cells,
    groups_report,
    rwg_from_counts,
    self_other_gaps,
)
from tracelead.core.figures import finite
from tracelead.diagnostics.models import Assessment, OpenLinkSubmission, RaterKind, Response
from tracelead.diagnostics.packing import unpack_answers
from tracelead.instruments import Instrument, get_instrument

from .models import Cycle, Publication, PublicationKind
from .tree import GroupTree, system_tree, tree_then

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.db.models import QuerySet

SELF = RaterKind.SELF.value

# JSON objects as stored in a JSONField and read back: a publication's frozen table (its
# shape is set by ``_table`` below; older tables may lack keys) and the parts of it, and a
# response's answers. Their values are whatever JSON holds, hence Any.
JSONObject = dict[str, Any]


class PublishRefused(Exception):
    """A publication was asked for that the gate will not make; the message says why."""


def protection_level() -> float:
    """Minimum width, in scale points, of a hidden condition mean's audit interval."""
    return float(getattr(settings, "TRACELEAD_PROTECTION", 1.0))


def unverified_threshold(cycle: Cycle, *, via_open_link: bool, verified: bool
                         ) -> tuple[int, bool]:
    """A round's figures threshold and whether its answers are unverified: the cycle's
    threshold, doubled when its open link let answers in without a verified address."""
    unverified = via_open_link and not verified
    return int(cycle.threshold) * (2 if unverified else 1), unverified


def round_threshold(assessment_id: int, cycle: Cycle, *, verified: bool) -> int:
    """The figures threshold of one round (``_eligible_rounds`` does a cycle in one query)."""
    via = OpenLinkSubmission.objects.filter(assessment_id=assessment_id).exists()
    return unverified_threshold(cycle, via_open_link=via, verified=verified)[0]


# --- Reading what the gate needs -----------------------------------------------------


@dataclass
class _Round:
    id: int
    group_id: int
    title: str
    opens_on: dt.date
    closes_on: dt.date
    rater_kinds: list[str]
    threshold: int
    unverified: bool
    eligible: bool = False
    final: bool = False
    held_back: bool = False


@dataclass
class _Responses:
    round_ids: np.ndarray  # (N,) assessment id
    batch: np.ndarray  # (N,) publication number, 0 if never published
    is_self: np.ndarray  # (N,) bool
    values: np.ndarray  # (N, I)
    # The ids of the responses not yet published when they were read, with their round.
    unpublished: dict[int, int] = field(default_factory=dict)


def _rows(queryset: QuerySet[Response], fields: tuple[str, ...], width: int
          ) -> tuple[list[tuple[Any, ...]], list[JSONObject] | None]:
    """Rows of ``fields`` (the packed answers fourth); rounds with a packed form that does
    not fit the instrument (another version) are read again with their JSON answers.

    A row holds the values of whichever ``fields`` are asked for (ids, numbers, text),
    hence ``tuple[Any, ...]``."""
    rows = list(queryset.values_list(*fields))
    odd = sorted({r[0] for r in rows if len(r[3]) != width})
    if not odd:
        return rows, None
    rows = [r for r in rows if r[0] not in odd]
    extra = list(queryset.filter(assessment_id__in=odd).values_list(*fields, "answers"))
    answers = [{} for _ in rows] + [r[-1] for r in extra]
    return rows + [r[:-1] for r in extra], answers


def _responses(round_ids: list[int], instrument: Instrument) -> _Responses:
    """The rounds' responses, decoded from their packed answers in one NumPy call.

    Responses not yet published are read with their ids, so that exactly the ones this
    decision saw (not one that arrives while it runs) are marked as published.
    """
    width = len(instrument.item_keys)
    fields = ("assessment_id", "publication__number", "rater_kind", "packed")
    base = Response.objects.filter(assessment_id__in=round_ids).order_by()
    old, old_answers = _rows(base.filter(publication__isnull=False), fields, width)
    new, new_answers = _rows(base.filter(publication__isnull=True), (*fields, "pk"), width)
    rows = old + [r[:4] for r in new]
    answers = None
    if old_answers is not None or new_answers is not None:
        answers = (old_answers or [{} for _ in old]) + (new_answers or [{} for _ in new])
    # Rows that fit decode from their digits; the others from their answers.
    values = unpack_answers([r[3] for r in rows], width, answers=answers,
                            keys=instrument.item_keys)
    return _Responses(
        round_ids=np.array([r[0] for r in rows], dtype=np.int64),
        batch=np.array([r[1] or 0 for r in rows], dtype=np.int64),
        is_self=np.array([r[2] == SELF for r in rows], dtype=bool),
        values=values,
        unpublished={r[4]: r[0] for r in new},
    )


# --- The decision for one candidate publication ---------------------------------------


@dataclass
class _Layout:
    """Nodes of the hierarchy: a subtree node per group, and an own node per round of a
    group with nested groups (for a leaf group the two are one node)."""

    subtree: dict[int, int]
    own: dict[int, int]
    parents: list[int]
    group_of_node: list[int]


def _layout(tree: GroupTree, rounds: dict[int, _Round]) -> _Layout:
    subtree = {gid: i for i, gid in enumerate(tree.ids)}
    parents = [-1 if (p := tree.parent[g]) is None else subtree.get(p, -1) for g in tree.ids]
    group_of_node = list(tree.ids)
    own: dict[int, int] = {}
    with_round = {r.group_id for r in rounds.values()}
    for gid in tree.ids:
        if tree.children.get(gid) and gid in with_round:
            own[gid] = len(parents)
            parents.append(subtree[gid])
            group_of_node.append(gid)
        else:
            own[gid] = subtree[gid]
    return _Layout(subtree, own, parents, group_of_node)


@dataclass
class _Atoms:
    """Unknowns: (round, batch, self) with their sizes and per-condition sums."""

    keys: list[tuple[int, int, bool]]
    index: np.ndarray  # (N,) atom of each response
    n: np.ndarray  # (U,)
    n_cond: np.ndarray  # (U, C)
    sum_cond: np.ndarray  # (U, C)
    n_item: np.ndarray  # (U, I)
    threshold: np.ndarray  # (U,)


def _atoms(data: _Responses, scores: np.ndarray, rounds: dict[int, _Round]) -> _Atoms:
    triples = list(zip(data.round_ids.tolist(), data.batch.tolist(), data.is_self.tolist(),
                       strict=True))
    keys = sorted(set(triples))
    where = {k: i for i, k in enumerate(keys)}
    index = np.array([where[t] for t in triples], dtype=np.int64)
    u = len(keys)
    has_score = ~np.isnan(scores)
    n_cond = np.zeros((u, scores.shape[1]))
    sum_cond = np.zeros((u, scores.shape[1]))
    n_item = np.zeros((u, data.values.shape[1]))
    if len(index):
        np.add.at(n_cond, index, has_score)
        np.add.at(sum_cond, index, np.where(has_score, scores, 0.0))
        np.add.at(n_item, index, ~np.isnan(data.values))
    return _Atoms(
        keys=keys, index=index,
        n=np.bincount(index, minlength=u).astype(float) if len(index) else np.zeros(u),
        n_cond=n_cond, sum_cond=sum_cond, n_item=n_item,
        threshold=np.array([rounds[k[0]].threshold for k in keys], dtype=float),
    )


def _coverage(tree: GroupTree, then: GroupTree, atoms: _Atoms, rounds: dict[int, _Round],
              upto: int, included: set[int]) -> tuple[np.ndarray, np.ndarray]:
    """Which atoms each group's rows covered at a publication: (subtree rows, own rows), in
    the order of today's groups, with the subtrees of the hierarchy ``then``."""
    u = len(atoms.keys)
    group_of_round = {rid: r.group_id for rid, r in rounds.items()}
    # Self ratings are never pooled into a row (they are shown apart, beside the others).
    live = np.array([k[0] in included and k[1] <= upto and not k[2] for k in atoms.keys],
                    dtype=bool)
    atom_group = np.array([group_of_round[k[0]] for k in atoms.keys], dtype=np.int64)
    sub = np.zeros((len(tree.ids), u))
    own = np.zeros((len(tree.ids), u))
    for row, gid in enumerate(tree.ids):
        members = np.isin(atom_group, then.subtree(gid) if gid in then.parent else [gid])
        sub[row] = members & live
        own[row] = (atom_group == gid) & live
    return sub, own


def _shown_flags(table: JSONObject, tree: GroupTree, n_cond: int, n_items: int
                 ) -> dict[str, np.ndarray]:
    """A frozen table's shown flags as arrays by group row (absent groups: not shown)."""
    g = len(tree.ids)
    flags = {
        "sub": np.zeros(g, bool), "sub_cells": np.zeros((g, n_cond), bool),
        "own": np.zeros(g, bool), "own_cells": np.zeros((g, n_cond), bool),
        "own_items": np.zeros((g, n_items), bool), "self": np.zeros(g, bool),
    }
    for row, gid in enumerate(tree.ids):
        sub = table.get("subtree", {}).get(str(gid))
        if sub and sub["status"] == "shown":
            flags["sub"][row] = True
            flags["sub_cells"][row] = [c["shown"] for c in sub["cells"]]
        own = table.get("own", {}).get(str(gid))
        if own and own["status"] == "shown":
            flags["own"][row] = True
            flags["own_cells"][row] = [c["shown"] for c in own["cells"]]
            flags["own_items"][row] = [it["shown"] for it in own["items"]]
            flags["self"][row] = bool(own.get("self_other"))
    return flags


@dataclass
class _Family:
    rows: list[np.ndarray]  # shown coverage rows over atoms
    owners: list[tuple[str, int, int] | None]  # candidate rows: (kind, group row, column)
    sensitive: list[np.ndarray]
    divisor: list[float]


def _check_history(
    *, tree: GroupTree, layout: _Layout, atoms: _Atoms, rounds: dict[int, _Round],
    earlier: list[tuple[int, JSONObject, set[int]]], candidate: dict[str, np.ndarray],
    k: int, included: set[int], node_n: dict[str, np.ndarray], instrument: Instrument,
) -> tuple[tuple[str, int, int] | None, np.ndarray]:
    """The first candidate row to hide (None when nothing sensitive is exposed), and the
    atoms of every sensitive cell."""
    n_cond = atoms.n_cond.shape[1]
    n_items = atoms.n_item.shape[1]
    self_atoms = np.array([k_[2] for k_ in atoms.keys], dtype=bool)
    moments = [(j, _shown_flags(t, tree, n_cond, n_items), inc, tree_then(t, tree))
               for j, t, inc in earlier]
    moments.append((k, candidate, included, tree))
    families: dict[tuple[str, int], _Family] = {}

    def family(kind: str, col: int) -> _Family:
        return families.setdefault((kind, col), _Family([], [], [], []))

    small_atoms = (atoms.n > 0) & (atoms.n < atoms.threshold) & ~self_atoms
    for j, flags, inc, then in moments:
        sub, own = _coverage(tree, then, atoms, rounds, j, inc)
        mine = j == k
        for row in range(len(tree.ids)):
            for cover, shown, cells, kind in (
                (sub[row], flags["sub"][row], flags["sub_cells"][row], "sub"),
                (own[row], flags["own"][row], flags["own_cells"][row], "own"),
            ):
                if not cover.any():
                    continue
                n_here = cover @ atoms.n
                limit = node_n["threshold" if kind == "sub" else "own_threshold"][row]
                if shown:
                    family("n", 0).rows.append(cover)
                    family("n", 0).owners.append((kind, row, -1) if mine else None)
                elif 0 < n_here < limit:
                    family("n", 0).sensitive.append(cover)
                    family("n", 0).divisor.append(1.0)
                for c in range(n_cond):
                    n_c = cover @ atoms.n_cond[:, c]
                    if shown and cells[c]:
                        family("c", c).rows.append(cover)
                        family("c", c).owners.append((kind, row, c) if mine else None)
                    elif 0 < n_c < limit:
                        family("c", c).sensitive.append(cover)
                        family("c", c).divisor.append(float(n_c))
                if kind == "own":
                    for i in range(n_items):
                        n_i = cover @ atoms.n_item[:, i]
                        if shown and flags["own_items"][row][i]:
                            family("i", i).rows.append(cover)
                            family("i", i).owners.append(("item", row, i) if mine else None)
                        elif 0 < n_i < limit:
                            family("i", i).sensitive.append(cover)
                            family("i", i).divisor.append(1.0)
                    if shown and flags["self"][row]:
                        rid = next(r.id for r in rounds.values()
                                   if r.group_id == tree.ids[row])
                        mask = np.array([a[0] == rid and a[2] and a[1] <= j
                                         for a in atoms.keys], dtype=float)
                        for c in range(n_cond):
                            family("c", c).rows.append(mask)
                            family("c", c).owners.append(None)
    units = np.eye(len(atoms.keys))
    for c in range(n_cond):
        for a in np.flatnonzero(small_atoms & (atoms.n_cond[:, c] > 0)):
            family("c", c).sensitive.append(units[a])
            family("c", c).divisor.append(float(atoms.n_cond[a, c]))
    for a in np.flatnonzero(small_atoms):
        family("n", 0).sensitive.append(units[a])
        family("n", 0).divisor.append(1.0)
    for i in range(n_items):
        for a in np.flatnonzero(small_atoms & (atoms.n_item[:, i] > 0)):
            family("i", i).sensitive.append(units[a])
            family("i", i).divisor.append(1.0)

    # Every atom of any sensitive cell: rows that cover one show no spread.
    hidden_atoms = np.zeros(len(atoms.keys), bool)
    for fam in families.values():
        for cell in fam.sensitive:
            hidden_atoms |= cell > 0
    protection = protection_level()
    scale = float(instrument.scale_points)
    for (kind, col), fam in families.items():
        if not fam.sensitive or not fam.rows:
            continue
        published = np.array(fam.rows)
        cells = np.array(fam.sensitive)
        exposed = determined_cells(published, cells)
        if kind == "c" and protection > 0 and not exposed.all():
            open_cells = np.flatnonzero(~exposed)
            lower = atoms.n_cond[:, col] * 1.0
            upper = atoms.n_cond[:, col] * scale
            values = published @ atoms.sum_cond[:, col]
            low, high = audit_intervals(published, values, cells[open_cells],
                                        lower=lower, upper=upper)
            width = (high - low) / np.maximum(np.array(fam.divisor)[open_cells], 1.0)
            exposed[open_cells] = width < protection - 1e-9
        if not exposed.any():
            continue
        first = int(np.flatnonzero(exposed)[0])
        return _row_to_hide(fam, published, cells[first], atoms,
                            determined=bool(determined_cells(published, cells[first:first + 1])[0])
                            ), hidden_atoms
    return None, hidden_atoms


def _row_to_hide(fam: _Family, published: np.ndarray, target: np.ndarray, atoms: _Atoms, *,
                 determined: bool) -> tuple[str, int, int]:
    """The candidate row to hide for an exposed cell: the smallest new row that takes part
    in solving for it (a non-zero weight in the least-squares expression of the cell by the
    shown rows), or for a narrow interval the smallest new row that overlaps it; when no
    new row qualifies, everything new ("all")."""
    mine = [i for i, owner in enumerate(fam.owners) if owner is not None]
    if determined:
        weights = np.linalg.lstsq(published.T, target, rcond=None)[0]
        involved = [i for i in mine if abs(weights[i]) > 1e-9]
    else:
        involved = [i for i in mine if (fam.rows[i] * target).any()]
    if not involved:
        return ("all", -1, -1)
    smallest = min(involved, key=lambda i: (float(fam.rows[i] @ atoms.n), i))
    owner = fam.owners[smallest]
    return owner if owner is not None else ("all", -1, -1)


# --- Building the table ----------------------------------------------------------------


def _cell(shown: bool, n: float = 0, mean: float = math.nan, sd: float = math.nan,
          lo: float = math.nan, hi: float = math.nan, rwg_j: float = math.nan, *,
          spread: bool = True) -> JSONObject:
    """One condition of one row; without ``spread`` the SD, interval and sharedness are
    left out (they would tell the sum of squares of a hidden group inside the row)."""
    if not shown:
        return {"shown": False}
    if not spread:
        sd = lo = hi = rwg_j = math.nan
    return {"shown": True, "n": int(n), "mean": _num(mean), "sd": _num(sd),
            "ci_low": _num(lo), "ci_high": _num(hi), "rwg_j": _num(rwg_j),
            "spread": spread}


_num = finite


def _eligible_rounds(cycle: Cycle, latest: JSONObject | None, point_round: int | None,
                     day: dt.date) -> dict[int, _Round]:
    previous = (latest or {}).get("rounds", {})
    rounds: dict[int, _Round] = {}
    rows = Assessment.objects.filter(cycle=cycle).values(
        "id", "group_id", "title", "opens_on", "closes_on", "rater_kinds", "open_link_verify")
    # Rounds whose open link let anyone answer, in one query.
    via_open_link = set(OpenLinkSubmission.objects.filter(assessment__cycle=cycle)
                        .values_list("assessment_id", flat=True).distinct())
    for row in rows:
        # Once published as unverified, always unverified: switching verification on later
        # does not verify the answers that came before.
        unverified = unverified_threshold(
            cycle, via_open_link=row["id"] in via_open_link, verified=row["open_link_verify"]
        )[1] or bool(previous.get(str(row["id"]), {}).get("unverified"))
        r = _Round(
            id=row["id"], group_id=row["group_id"], title=row["title"],
            opens_on=row["opens_on"], closes_on=row["closes_on"],
            rater_kinds=list(row["rater_kinds"]),
            threshold=int(cycle.threshold) * (2 if unverified else 1), unverified=unverified,
        )
        closed = row["closes_on"] < day
        r.final = closed
        r.eligible = closed or row["id"] == point_round or str(row["id"]) in previous
        rounds[r.id] = r
    return rounds


def decide(cycle: Cycle, *, k: int, point_round: int | None = None,
           day: dt.date | None = None) -> tuple[JSONObject, list[int]]:
    """The table publication ``k`` of ``cycle`` would show, checked against history.

    Returns the table and the ids of the responses that join this publication (exactly
    those the decision read). Raises :class:`PublishRefused` for a publishing point that
    may not be made.
    """
    day = day or timezone.localdate()
    earlier_pubs = list(cycle.publications.order_by("number"))
    latest = earlier_pubs[-1].table if earlier_pubs else None
    rounds = _eligible_rounds(cycle, latest, point_round, day)
    instrument = _cycle_instrument(cycle)
    keys = instrument.item_keys
    tree = system_tree(cycle.system_id)
    layout = _layout(tree, rounds)
    data = _responses(list(rounds), instrument)
    # Which unpublished responses join: a round's published set grows only by at least
    # its threshold (or all at once, the first time it is published).
    # A self rating is shown beside the others, never pooled with them: only the others
    # count towards a threshold.
    joins: dict[int, bool] = {}
    for rid, r in rounds.items():
        mine = (data.round_ids == rid) & ~data.is_self
        new = int((mine & (data.batch == 0)).sum())
        before = int((mine & (data.batch > 0)).sum())
        if not r.eligible:
            joins[rid] = False
            continue
        joins[rid] = new > 0 and (before == 0 or new >= r.threshold)
        r.held_back = new > 0 and not joins[rid]
        if rid == point_round:
            if before == 0 and new < r.threshold:
                raise PublishRefused(
                    f"At least {r.threshold} responses are needed before this round's "
                    "results can be published."
                )
            if before > 0 and new < r.threshold:
                raise PublishRefused(
                    f"At least {r.threshold} new responses must arrive after the last "
                    "publication before this round can be published again; otherwise the "
                    "difference would single out the people who answered since."
                )
    batch = data.batch.copy()
    for rid, join in joins.items():
        if join:
            batch[(data.round_ids == rid) & (batch == 0)] = k
    data.batch = batch
    included = {rid for rid, r in rounds.items() if r.eligible}
    live = np.isin(data.round_ids, list(included)) & (batch > 0)
    with_self = live
    live = live & ~data.is_self

    # Figures for every node from the others' responses this publication includes.
    node_of_round = {rid: layout.own[r.group_id] for rid, r in rounds.items()}
    group_index = np.array([node_of_round[int(x)] for x in data.round_ids[live]], dtype=np.int64)
    n_nodes = len(layout.parents)
    node_threshold = np.full(n_nodes, int(cycle.threshold), dtype=np.int64)
    for r in rounds.values():
        node_threshold[layout.own[r.group_id]] = r.threshold
    values = data.values[live]
    # No published response yet (rounds closed empty): nothing to show, nothing to check.
    report = groups_report(
        values, group_index, instrument.item_scale_keys, parents=layout.parents,
        threshold=node_threshold, scale_points=instrument.scale_points,
    ) if n_nodes and len(values) else None

    conditions = [s.key for s in instrument.scales]
    cpos = [report.conditions.index(c) for c in conditions] if report is not None else []
    scale_keys = list(instrument.item_scale_keys)
    g = len(tree.ids)
    # Rollups are shown only when every round under them has closed and is published.
    complete = np.zeros(g, bool)
    with_round = {r.group_id: r for r in rounds.values()}
    for row, gid in enumerate(tree.ids):
        under = [with_round[x] for x in tree.subtree(gid) if x in with_round]
        # A closed round's late answers that were held back never join, so they do not
        # keep its rollups waiting.
        complete[row] = bool(under) and all(r.final and r.eligible for r in under)

    def node_flags(report: GroupsReport, node: int) -> tuple[bool, np.ndarray, np.ndarray]:
        shown = bool(not report.suppressed[node] and report.n_respondents[node] > 0)
        cells = np.array([shown and not report.cell_suppressed[node, c] for c in cpos])
        items = np.array([bool(cells[conditions.index(scale_keys[i])])
                          and not report.item_suppressed[node, i] for i in range(len(keys))])
        return shown, cells, items

    candidate = {
        "sub": np.zeros(g, bool), "sub_cells": np.zeros((g, len(cpos)), bool),
        "own": np.zeros(g, bool), "own_cells": np.zeros((g, len(cpos)), bool),
        "own_items": np.zeros((g, len(keys)), bool), "self": np.zeros(g, bool),
    }
    if report is not None:
        for row, gid in enumerate(tree.ids):
            own_round = with_round.get(gid)
            shown, cells, _ = node_flags(report, layout.subtree[gid])
            leaf = not tree.children.get(gid)
            if shown and (complete[row] or (leaf and own_round is not None
                                            and own_round.eligible)):
                candidate["sub"][row] = True
                candidate["sub_cells"][row] = cells
            if own_round is not None and own_round.eligible:
                shown, cells, items = node_flags(report, layout.own[gid])
                candidate["own"][row] = shown
                candidate["own_cells"][row] = cells
                candidate["own_items"][row] = items
                candidate["self"][row] = shown and _self_shown(data, own_round, with_self)
    scores = _condition_scores(data.values, scale_keys, conditions)
    atoms = _atoms(data, scores, rounds)
    earlier = [(p.number, p.table, {int(x) for x in p.table.get("rounds", {})})
               for p in earlier_pubs]
    own_threshold = np.array([with_round[gid].threshold if gid in with_round
                              else int(cycle.threshold) for gid in tree.ids], dtype=float)
    sub_threshold = np.array([int(node_threshold[layout.subtree[gid]]) for gid in tree.ids],
                             dtype=float)
    limits = {"threshold": sub_threshold, "own_threshold": own_threshold}
    spread_hidden = np.zeros(len(atoms.keys), bool)
    for _ in range(10 * (g + 1) * (len(keys) + 2)):
        hide, spread_hidden = _check_history(
            tree=tree, layout=layout, atoms=atoms, rounds=rounds, earlier=earlier,
            candidate=candidate, k=k, included=included, node_n=limits,
            instrument=instrument)
        if hide is None:
            break
        if hide[0] == "all":
            for name in candidate:
                candidate[name][:] = False
            continue
        _hide(candidate, hide, conditions, scale_keys)
    else:  # pragma: no cover - hiding only removes rows, so the loop ends well before
        raise PublishRefused("The gate could not settle what to show; nothing was published.")

    if point_round is not None:
        row = tree.ids.index(rounds[point_round].group_id)
        if not candidate["own"][row]:
            raise PublishRefused(
                "Publishing now would show nothing of this round: its results would have to "
                "be withheld to protect a smaller group. Wait for more responses or the close."
            )
    # Rows that cover a hidden group show no spread (SD, interval, sharedness): with the
    # mean and count, a spread gives the sum of squares, which can narrow a hidden
    # group's mean far below what the audit of sums allows.
    sub_cover, own_cover = _coverage(tree, tree, atoms, rounds, k, included)
    # NumPy's stubs type any(axis=...) as a bool or an array; over rows it is an array.
    spread = {"sub": ~cast(np.ndarray, (sub_cover[:, spread_hidden] > 0).any(axis=1)),
              "own": ~cast(np.ndarray, (own_cover[:, spread_hidden] > 0).any(axis=1))}
    table = _table(cycle=cycle, tree=tree, layout=layout, rounds=rounds, report=report,
                   candidate=candidate, cpos=cpos, instrument=instrument, data=data,
                   live=live, with_self=with_self, spread=spread, k=k)
    marked = [pk for pk, rid in data.unpublished.items() if joins.get(rid)]
    return table, marked


def _hide(candidate: dict[str, np.ndarray], what: tuple[str, int, int],
          conditions: list[str], scale_keys: list[str]) -> None:
    kind, row, col = what
    if kind == "sub":
        if col < 0:
            candidate["sub"][row] = False
            candidate["sub_cells"][row] = False
        else:
            candidate["sub_cells"][row, col] = False
    elif kind == "own":
        if col < 0:
            for name in ("own", "own_cells", "own_items", "self"):
                candidate[name][row] = False
        else:
            candidate["own_cells"][row, col] = False
            for i, key in enumerate(scale_keys):
                if key == conditions[col]:
                    candidate["own_items"][row, i] = False
    else:
        candidate["own_items"][row, col] = False


def _self_shown(data: _Responses, r: _Round, live: np.ndarray) -> bool:
    """Self against others: one consented self rating, and others at the threshold."""
    if SELF not in r.rater_kinds:
        return False
    mine = live & (data.round_ids == r.id)
    n_self = int((mine & data.is_self).sum())
    return n_self == 1 and int((mine & ~data.is_self).sum()) >= r.threshold


def _condition_scores(values: np.ndarray, scale_keys: list[str], conditions: list[str]
                      ) -> np.ndarray:
    from tracelead.analysis import condition_scores

    if not len(values):
        return np.empty((0, len(conditions)))
    found, scores = condition_scores(values, scale_keys)
    return np.column_stack([scores[:, list(found).index(c)] for c in conditions])


def _cycle_instrument(cycle: Cycle) -> Instrument:
    """The cycle's instrument (a cycle's rounds share one; TRACE when it has none yet)."""
    row = (Assessment.objects.filter(cycle=cycle).order_by("id")
           .values("instrument_key", "instrument_version").first())
    if row is None:
        return get_instrument("trace")
    return get_instrument(row["instrument_key"], row["instrument_version"])


def _table(*, cycle: Cycle, tree: GroupTree, layout: _Layout, rounds: dict[int, _Round],
           report: GroupsReport | None, candidate: dict[str, np.ndarray], cpos: list[int],
           instrument: Instrument, data: _Responses, live: np.ndarray,
           with_self: np.ndarray, spread: dict[str, np.ndarray], k: int) -> JSONObject:
    """The frozen table. Without a report (no response published yet) every candidate row
    is hidden, so the figures below are read only when there is one."""
    with_round = {r.group_id: r for r in rounds.values()}
    table: JSONObject = {
        "instrument": instrument.key, "version": instrument.version,
        "threshold": int(cycle.threshold), "comment_threshold": int(cycle.comment_threshold),
        "protection": protection_level(), "number": k,
        "final": sorted(rid for rid, r in rounds.items() if r.eligible and r.final),
        # The hierarchy this publication was decided on, for checking later ones.
        "tree": {str(gid): tree.parent[gid] for gid in tree.ids},
        "rounds": {}, "subtree": {}, "own": {},
    }
    agreement = (rwg_from_counts(report.item_counts, instrument.scale_points)
                 if report is not None else None)
    previous = _previous_rounds(cycle, instrument)
    for rid, r in rounds.items():
        if not r.eligible:
            continue
        mine = live & (data.round_ids == rid)
        n = int(mine.sum())
        row = tree.ids.index(r.group_id)
        shown = bool(candidate["own"][row])
        comments_from = _comment_batch(data, rid, live, int(cycle.comment_threshold))
        table["rounds"][str(rid)] = {
            "group": r.group_id, "threshold": r.threshold, "unverified": r.unverified,
            "final": r.final, "held_back": r.held_back,
            "n": n if shown else None,
            "comments_upto": comments_from if shown else 0,
        }
    for row, gid in enumerate(tree.ids):
        node = layout.subtree[gid]
        if report is not None and candidate["sub"][row]:
            table["subtree"][str(gid)] = {
                "status": "shown", "n": int(report.n_respondents[node]),
                "cells": [_cell(bool(candidate["sub_cells"][row, j]), report.n[node, c],
                                report.mean[node, c], report.sd[node, c],
                                report.ci_low[node, c], report.ci_high[node, c],
                                report.rwg_j[node, c], spread=bool(spread["sub"][row]))
                          for j, c in enumerate(cpos)],
            }
        else:
            table["subtree"][str(gid)] = {"status": "not_shown"}
        own_round = with_round.get(gid)
        if own_round is None or not own_round.eligible:
            continue
        if report is None or agreement is None or not candidate["own"][row]:
            table["own"][str(gid)] = {"status": "not_shown", "round": own_round.id}
            continue
        node = layout.own[gid]
        mine = live & (data.round_ids == own_round.id)
        counts = report.item_counts[node]
        answered = counts.sum(axis=1)
        items: list[JSONObject] = []
        for i in range(len(instrument.item_keys)):
            if not candidate["own_items"][row, i]:
                items.append({"shown": False})
                continue
            c = counts[i].astype(np.int64)
            mean = float((c * np.arange(1, len(c) + 1)).sum() / c.sum()) if c.sum() else math.nan
            items.append({"shown": True, "counts": c.tolist(),
                          "dont_know": int(mine.sum() - answered[i]), "mean": _num(mean),
                          "agreement": _num(float(agreement[node, i]))
                          if spread["own"][row] else None})
        table["own"][str(gid)] = {
            "status": "shown", "round": own_round.id, "n": int(report.n_respondents[node]),
            "cells": [_cell(bool(candidate["own_cells"][row, j]), report.n[node, c],
                            report.mean[node, c], report.sd[node, c], report.ci_low[node, c],
                            report.ci_high[node, c], report.rwg_j[node, c],
                            spread=bool(spread["own"][row]))
                      for j, c in enumerate(cpos)],
            "items": items,
            "self_other": _self_other(data, with_self & (data.round_ids == own_round.id),
                                      instrument, candidate["own_cells"][row])
            if candidate["self"][row] else None,
            "change": _change(previous.get(gid), data.values[mine], instrument,
                              candidate["own_cells"][row]),
        }
    return table


def _comment_batch(data: _Responses, rid: int, live: np.ndarray, threshold: int) -> int:
    """The last batch whose comments may show: comments grow only by a threshold's worth."""
    mine = live & (data.round_ids == rid)
    batches = sorted(set(data.batch[mine].tolist()))
    shown_upto, shown_n, total = 0, 0, 0
    for b in batches:
        total += int((mine & (data.batch == b)).sum())
        if total >= threshold and total - shown_n >= threshold:
            shown_upto, shown_n = b, total
    return shown_upto


def _self_other(data: _Responses, mine: np.ndarray, instrument: Instrument,
                cells: np.ndarray) -> list[JSONObject]:
    keys = instrument.item_scale_keys
    conditions = [s.key for s in instrument.scales]
    me = condition_profile(data.values[mine & data.is_self], keys,
                           scale_points=instrument.scale_points)
    others = condition_profile(data.values[mine & ~data.is_self], keys,
                               scale_points=instrument.scale_points)
    rows = []
    for gap in self_other_gaps(me, others):
        if not cells[conditions.index(gap.key)]:
            continue
        rows.append({"key": gap.key, "self": _num(gap.self_mean), "others": _num(gap.other_mean),
                     "gap": _num(gap.gap), "n_other": int(gap.n_other),
                     "outside": bool(gap.self_outside_others_interval)})
    return rows


@dataclass(frozen=True)
class _Previous:
    """A group's round in the latest earlier cycle whose newest publication shows it."""

    round_id: int
    title: str
    opens_on: dt.date
    cycle: str
    cells: list[JSONObject]
    values: np.ndarray
    item_scale_keys: tuple[str, ...]


def _previous_rounds(cycle: Cycle, instrument: Instrument) -> dict[int, _Previous]:
    """For every group, its round in the latest earlier cycle that shows it, with the
    responses that publication included: read once per publication, in two queries."""
    found: dict[int, tuple[Publication, JSONObject]] = {}
    seen: set[int] = set()
    earlier = (Publication.objects.filter(cycle__system_id=cycle.system_id,
                                          cycle__created_at__lt=cycle.created_at)
               .order_by("-cycle__created_at", "-cycle_id", "-number").select_related("cycle"))
    for pub in earlier:
        if pub.cycle_id in seen:
            continue
        seen.add(pub.cycle_id)  # only each cycle's newest publication counts
        if pub.table.get("instrument") != instrument.key:
            continue
        for gid, own in pub.table.get("own", {}).items():
            if own.get("status") == "shown" and int(gid) not in found:
                found[int(gid)] = (pub, own)
    if not found:
        return {}
    rounds = {row["id"]: row for row in Assessment.objects.filter(
        pk__in=[own["round"] for _, own in found.values()]).values(
        "id", "title", "opens_on", "instrument_version")}
    rows = Response.objects.filter(assessment_id__in=list(rounds)).values_list(
        "assessment_id", "publication__cycle_id", "publication__number", "packed", "answers")
    by_round: dict[int, list[tuple[str, JSONObject]]] = {}
    limit = {own["round"]: (pub.cycle_id, pub.number) for pub, own in found.values()}
    for rid, cycle_id, number, packed, answers in rows:
        if number is not None and cycle_id == limit[rid][0] and number <= limit[rid][1]:
            by_round.setdefault(rid, []).append((packed, answers))
    previous = {}
    for gid, (pub, own) in found.items():
        row = rounds.get(own["round"])
        if row is None:
            continue
        before = get_instrument(instrument.key, row["instrument_version"])
        mine = by_round.get(row["id"], [])
        values = unpack_answers([m[0] for m in mine], len(before.item_keys),
                                answers=[m[1] for m in mine], keys=before.item_keys)
        previous[gid] = _Previous(row["id"], row["title"], row["opens_on"], pub.cycle.name,
                                  own["cells"], values, tuple(before.item_scale_keys))
    return previous


def _change(before: _Previous | None, current: np.ndarray, instrument: Instrument,
            cells: np.ndarray) -> JSONObject | None:
    """Change since the group's round in the latest earlier cycle with published figures."""
    if before is None:
        return None
    conditions = [s.key for s in instrument.scales]
    sb = _condition_scores(before.values, list(before.item_scale_keys), conditions)
    sa = _condition_scores(current, list(instrument.item_scale_keys), conditions)
    rows = []
    for c, key in enumerate(conditions):
        b, a = sb[:, c][~np.isnan(sb[:, c])], sa[:, c][~np.isnan(sa[:, c])]
        if not (cells[c] and before.cells[c]["shown"] and b.size and a.size):
            rows.append({"key": key, "shown": False})
            continue
        try:
            result = compare_rounds(b, a)
        except ValueError:  # both rounds constant: the means, no interval
            rows.append({"key": key, "shown": True, "before": float(b.mean()),
                         "after": float(a.mean()), "difference": float(a.mean() - b.mean()),
                         "testable": False})
            continue
        rows.append({"key": key, "shown": True, "before": float(b.mean()),
                     "after": float(a.mean()), "difference": result.difference,
                     "ci_low": result.ci_low, "ci_high": result.ci_high,
                     "beyond_noise": result.beyond_noise, "testable": True})
    return {"previous_id": before.round_id, "previous_title": before.title,
            "previous_opens_on": before.opens_on.isoformat(), "previous_cycle": before.cycle,
            "rows": rows}


# --- Publishing --------------------------------------------------------------------------


def due(cycle: Cycle, *, day: dt.date | None = None) -> bool:
    """Has a round of the cycle closed since its latest publication?"""
    day = day or timezone.localdate()
    # Only the list of final rounds is read from the stored table, not the whole table.
    final = set(cycle.publications.order_by("-number").values_list("table__final", flat=True)
                .first() or [])
    closed = Assessment.objects.filter(cycle=cycle, closes_on__lt=day).values_list("id", flat=True)
    return any(rid not in final for rid in closed)


def publish(cycle: Cycle, *, kind: str = PublicationKind.CLOSE, point_round: int | None = None,
            user: User | AnonymousUser | None = None, day: dt.date | None = None
            ) -> Publication | None:
    """Make the next publication of a cycle: decide, check against history, freeze, audit.

    With ``kind="close"`` nothing is made unless a round has closed since the last
    publication. Raises :class:`PublishRefused` (nothing changes) for a refused point.
    """
    from tracelead.core.audit import audit_record
    from tracelead.core.models import AuditEvent

    # A publication freezes the change since each group's round in an earlier cycle, so
    # the earlier cycles that are due are published first.
    for earlier in Cycle.objects.filter(system_id=cycle.system_id,
                                        created_at__lt=cycle.created_at).order_by("-created_at"):
        if due(earlier, day=day):
            publish(earlier, day=day)
            break  # that call has published the cycles before it
    with transaction.atomic():
        locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
        if kind == PublicationKind.CLOSE and not due(locked, day=day):
            return None
        number = (locked.publications.order_by("-number").values_list("number", flat=True)
                  .first() or 0) + 1
        table, marked = decide(locked, k=number, point_round=point_round, day=day)
        publication = Publication.objects.create(
            cycle=locked, number=number, kind=kind, table=table,
            created_by=user if user is not None and user.is_authenticated else None,
            note="" if point_round is None else f"publishing point for round {point_round}",
        )
        Response.objects.filter(pk__in=marked, publication__isnull=True).update(
            publication=publication)
        audit_record(user=user, action=AuditEvent.Action.PUBLISHED,
                     what=f"publication {number} of {locked.name}"
                     + (f" (publishing point, round {point_round})" if point_round else ""),
                     system_id=locked.system_id, assessment_id=point_round,
                     via="web" if getattr(user, "is_authenticated", False) else "system")
    return publication


def publish_due(cycle: Cycle, *, day: dt.date | None = None) -> Publication | None:
    """Publish the cycle if a round has closed since its last publication (idempotent)."""
    if not due(cycle, day=day):
        return None
    return publish(cycle, day=day)
