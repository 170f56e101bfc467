"""The report over many groups at once: every group at every level in one vectorised pass."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ParamSpec, TypeVar

import numpy as np
import numpy.typing as npt

from ._scipy import sparse as _sparse
from ._scipy import stats
from ._tree import as_parents, tree_depths
from ._validation import (
    BoolArray,
    FloatArray,
    IntArray,
    check_confidence,
    check_positive_int,
    check_scale_points,
)
from .agreement import rwg_j_from_variances, uniform_null_variance
from .disclosure import Families, node_thresholds, suppress_families
from .reliability import icc1_icc2_from_sums
from .sums import NodeSums, alpha_from_sums, check_values, node_sums, thread_count

__all__ = ["GroupsReport", "groups_report", "groups_report_from_sums"]



@dataclass(frozen=True)
class GroupsReport:
    """Figures for every group at every level (see :func:`groups_report`).

    Arrays are indexed by node (group) g, condition c, item i, answer option a. A node's
    figures include every respondent below it. Figures are computed for every node; the
    ``*suppressed`` flags say which may be shown, and a caller must honour them (the
    selector that applies the anonymity threshold should be the only reader).

    Attributes
    ----------
    conditions : tuple of str
        Condition keys in first-appearance order (the c axis).
    item_conditions : tuple of str
        The condition key of each item (the i axis).
    parents : ndarray of int, (G,)
        Parent of each node, -1 for a root.
    depth : ndarray of int, (G,)
        0 for roots, 1 for their children, ...
    n_respondents : ndarray of int, (G,)
        Respondents in the node (including those of its descendants).
    n : ndarray of int, (G, C)
        Respondents with a condition score.
    mean, sd, ci_low, ci_high : ndarray of float, (G, C)
        Mean and SD of the condition scores and the t-based interval of the mean (NaN
        where not computable, as in :func:`tracelead.analysis.condition_profile`).
    rwg_j : ndarray of float, (G, C)
        Sharedness of each condition in each node.
    item_counts : ndarray of int, (G, I, A)
        Answers 1..A per item.
    icc1, icc2 : ndarray of float, (G, C)
        ICC(1) and ICC(2) of the condition scores across the node's *children* (how much
        the children differ; respondents attached to the node itself are left out); NaN
        for nodes with fewer than two children with data.
    level_icc1, level_icc2 : ndarray of float, (D, C)
        ICC(1) and ICC(2) across all nodes of each depth (for example all teams).
    suppressed : ndarray of bool, (G,)
        The node must not be shown at all (primary and complementary suppression on
        ``n_respondents``).
    cell_suppressed : ndarray of bool, (G, C)
        The condition result must not be shown (suppression on ``n``, starting from
        ``suppressed``).
    item_suppressed : ndarray of bool, (G, I)
        The item distribution must not be shown (suppression on the item's answer count,
        starting from the hidden cells of its condition).
    alpha : ndarray of float, (C,)
        Cronbach's alpha of each condition over everyone in the matrix who answered all
        its items (:func:`tracelead.analysis.sums.alpha_from_sums`); a whole-population
        figure, so it is not suppressed per node.
    threshold : int
        The threshold applied: the largest of ``node_threshold``.
    node_threshold : ndarray of int, (G,)
        The threshold of each node (all equal unless per-node thresholds were given).
    """

    conditions: tuple[str, ...]
    item_conditions: tuple[str, ...]
    parents: IntArray
    depth: IntArray
    n_respondents: IntArray
    n: IntArray
    mean: FloatArray
    sd: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    rwg_j: FloatArray
    item_counts: IntArray
    icc1: FloatArray
    icc2: FloatArray
    level_icc1: FloatArray
    level_icc2: FloatArray
    suppressed: BoolArray
    cell_suppressed: BoolArray
    item_suppressed: BoolArray
    threshold: int
    node_threshold: IntArray
    alpha: FloatArray


_Summable = TypeVar("_Summable", np.float64, np.int64)


def _tree_levels(parents: IntArray, depth: IntArray) -> list[tuple[IntArray, Any]]:
    """For each level of the hierarchy, deepest first: the parents of its nodes and the
    sparse matrix with a 1 at (parent, child) for each of its nodes."""
    levels: list[tuple[IntArray, Any]] = []
    for d in range(int(depth.max(initial=0)), 0, -1):
        nodes = np.flatnonzero(depth == d)
        targets, row = np.unique(parents[nodes], return_inverse=True)
        levels.append((targets, _sparse.csr_matrix(
            (np.ones(nodes.size, dtype=np.int64), (row.reshape(-1), nodes)),
            shape=(targets.size, parents.shape[0]))))
    return levels


def _add_up_tree(total: npt.NDArray[_Summable], levels: list[tuple[IntArray, Any]]
                 ) -> npt.NDArray[_Summable]:
    """Subtree totals, in place: add each node's rows into its parent, deepest level first.

    One sparse product per level of the hierarchy (three for team, organisation, system),
    never one step per node: the parents of a level's nodes get ``M @ total`` (see
    :func:`_tree_levels`). The product reads each child's row once and copies nothing else
    (gathering the rows first would copy them all).
    """
    flat = total.reshape(total.shape[0], -1)
    for targets, children in levels:
        flat[targets] += children @ flat
    return total


# Nodes whose item statistics are worked out at a time: the (nodes, I) float64
# temporaries (512 x 35 items: 143 kB each) stay in the processor's second-level cache
# instead of a dozen passes over (G, I) arrays in memory.
_ITEM_ROWS = 512


def _item_spread(by_option: IntArray, centre: float, indicator: FloatArray,
                 out: tuple[IntArray, FloatArray, FloatArray], lo: int, hi: int) -> None:
    """Each node's answers per item, and per condition the sum of its items' variances and
    the number of items that have one, for the nodes ``lo..hi-1``.

    From the option counts :math:`c_k` (``by_option``, (A, G, I)): :math:`n = \\sum_k c_k`,
    and about the midpoint m, :math:`s = \\sum_k (k - m) c_k`, :math:`q = \\sum_k (k - m)^2
    c_k`, so that an item's variance is :math:`(q - s^2/n)/(n - 1)` (items answered at
    least twice; the rest add nothing and are not counted). The weights are whole numbers
    or halves and the counts far below :math:`2^{53}`, so ``s`` and ``q`` are exact in
    float64. Writes ``n`` (G, I) as integers, the variance sums (G, C) and the counts of
    items with a variance (G, C) into ``out``; ``indicator`` (I, C) has a 1 at each
    item's condition.
    """
    a, _, n_items = by_option.shape
    n_item, var_sum, usable_items = out
    offsets = np.arange(1, a + 1, dtype=np.float64) - centre
    weights = np.stack([offsets, offsets * offsets])  # (2, A)
    for first in range(lo, hi, _ITEM_ROWS):
        last = min(hi, first + _ITEM_ROWS)
        counts = by_option[:, first:last]
        n = np.sum(counts, axis=0, out=n_item[first:last])
        s, q = (weights @ counts.reshape(a, -1).astype(np.float64)).reshape(
            2, last - first, n_items)
        n_float = n.astype(np.float64)
        usable = n >= 2
        with np.errstate(invalid="ignore", divide="ignore"):
            np.multiply(s, s, out=s)
            np.divide(s, n_float, out=s)
            np.subtract(q, s, out=q)
            np.subtract(n_float, 1.0, out=n_float)
            np.divide(q, n_float, out=q)
        np.maximum(q, 0.0, out=q)
        q[~usable] = 0.0
        np.matmul(q, indicator, out=var_sum[first:last])
        np.matmul(usable.astype(np.float64), indicator, out=usable_items[first:last])


# Below about this many nodes the report's steps take a few milliseconds each and
# starting threads for them costs more than it saves (measured: 500 teams 11 ms on one
# thread, 14 ms on two; 8,000 teams 47 and 44 ms; 20,000 teams 99 and 86 ms).
_THREADED_NODES = 10_000

_P = ParamSpec("_P")
_R = TypeVar("_R")


class _Steps:
    """Independent steps of the report on a few threads (NumPy releases the interpreter
    lock in its loops, so they overlap), or one after another with one worker."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers) if workers > 1 else None

    def __enter__(self) -> _Steps:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def submit(self, fn: Callable[_P, _R], *args: _P.args, **kwargs: _P.kwargs
               ) -> Future[_R]:
        if self._pool is not None:
            return self._pool.submit(fn, *args, **kwargs)
        done: Future[_R] = Future()
        done.set_result(fn(*args, **kwargs))  # an error is raised here, as inline code would
        return done


def _t_interval(n: IntArray, mean: FloatArray, sd: FloatArray, confidence: float
                ) -> tuple[FloatArray, FloatArray]:
    """:func:`tracelead.analysis.profile.mean_confidence_interval`, with the t quantile
    computed once per distinct n (a few hundred) rather than once per cell; the same
    arithmetic, so the same numbers."""
    n_arr = n.astype(np.float64)
    # The distinct n from a count of each (n is at most the respondents), not a sort.
    distinct = np.flatnonzero(np.bincount(n.ravel())) if n.size else np.zeros(0, np.int64)
    distinct = distinct[distinct >= 2]
    quantile_of = np.full(int(n.max(initial=0)) + 1, np.nan)
    quantile_of[distinct] = stats.t.ppf(0.5 + confidence / 2.0, distinct - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = quantile_of[n] * sd / np.sqrt(n_arr)
    half = np.where(n_arr >= 2, half, np.nan)
    return np.asarray(mean - half, dtype=np.float64), np.asarray(mean + half, dtype=np.float64)


def groups_report(
    values: npt.ArrayLike,
    group_index: npt.ArrayLike,
    item_conditions: Sequence[str],
    *,
    parents: npt.ArrayLike | None = None,
    threshold: int | npt.ArrayLike = 5,
    scale_points: int = 5,
    confidence: float = 0.95,
    min_items: int = 1,
    workers: int | None = None,
) -> GroupsReport:
    """Report every group of a hierarchy at once: n, means, intervals, rwg(j), ICCs, suppression.

    Parameters
    ----------
    values : array-like, shape (n_respondents, n_items)
        Answers, whole numbers 1..A; NaN = missing.
    group_index : array-like of int, shape (n_respondents,)
        The node each respondent belongs to directly (usually a team), 0..G-1.
    item_conditions : sequence of str
        Condition key of each item.
    parents : array-like of int, shape (G,), optional
        Parent of each node, -1 for a root (team -> organisation -> system). Default: no
        hierarchy, G = ``group_index.max() + 1`` roots.
    threshold : int or array-like of int, shape (G,), default 5
        Anonymity threshold for :func:`tracelead.analysis.suppress_hierarchy`: one for
        every node, or one per node (for example doubled for the node of a round whose
        responses were not verified). The same per-node thresholds apply to groups,
        condition results and item distributions.
    scale_points : int, default 5
        Number of response options A.
    confidence : float, default 0.95
        Coverage of the intervals.
    min_items : int, default 1
        Answered items needed for a condition score.
    workers : int, optional
        Threads reading the matrix (see :func:`tracelead.analysis.sums.node_sums`), and
        sharing the steps of the report after it (default: the usable processors, at
        most 8).

    Returns
    -------
    GroupsReport
        Plain NumPy arrays; see the class for shapes.

    Raises
    ------
    ValueError
        On off-scale answers, group indices outside 0..G-1, an invalid hierarchy, or
        options out of range.

    Notes
    -----
    The formulas are those of :func:`tracelead.analysis.condition_profile` (mean, SD, t
    interval, rwg(j)) and :func:`tracelead.analysis.icc1` / :func:`icc2`, computed from
    additive sufficient statistics: per node and condition the count, sum and sum of
    squares of the scores (centred on the scale midpoint for accuracy), and per node and
    item the counts of each answer (from which the item variances follow). They are
    gathered by :func:`tracelead.analysis.sums.node_sums` in one read of the matrix (no
    copy of it), then added up the hierarchy one level at a time (one sparse product per
    level); nothing after the read depends on the number of respondents.
    Memory beyond the input is O(G x I x A) plus one block of rows per thread.

    References
    ----------
    See :func:`tracelead.analysis.condition_profile`, :func:`tracelead.analysis.rwg_j`,
    :func:`tracelead.analysis.icc1` and :func:`tracelead.analysis.suppress_hierarchy`.

    Examples
    --------
    >>> import numpy as np
    >>> values = np.array([[4, 5], [4, 4], [2, 3], [3, 3], [5, 5], [4, 5]], dtype=float)
    >>> r = groups_report(values, [0, 0, 1, 1, 1, 1], ["task", "task"], parents=[2, 2, -1],
    ...                   threshold=3)
    >>> r.n_respondents.tolist(), r.suppressed.tolist()  # team 1 hidden too: 6 - 2 = 4
    ([2, 4, 6], [True, True, False])

    Validated against: :func:`tracelead.analysis.condition_profile` on each group and
    :func:`tracelead.analysis.icc1` / ``icc2`` in ``tests/analysis/test_report.py``; and
    a pandas groupby-apply with pingouin in ``benchmarks/analysis.py``.
    """
    a = check_scale_points(scale_points)
    gamma = check_confidence(confidence)
    check_positive_int(min_items, "min_items")
    x = check_values(values)
    n_rows = x.shape[0]
    gi_raw = np.asarray(group_index)
    if gi_raw.ndim != 1 or gi_raw.shape[0] != n_rows:
        raise ValueError(f"group_index must give one node index per respondent ({n_rows}); "
                         f"got shape {gi_raw.shape}")
    if gi_raw.size and not np.issubdtype(gi_raw.dtype, np.integer):
        raise ValueError("group_index must hold integer node indices")
    gi = gi_raw.astype(np.int64, copy=False)
    if parents is None:
        size = int(gi.max()) + 1 if gi.size else 0
        par = np.full(size, -1, dtype=np.int64)
    else:
        par = np.asarray(parents)
        size = int(par.shape[0]) if par.ndim == 1 else -1
        par = as_parents(par, size)
    # (node_sums checks that group_index holds nodes 0..size-1.)
    depth = tree_depths(par)
    limit = node_thresholds(threshold, size)
    # One number for the report: the strictest node's threshold (the scalar if no nodes).
    if size:
        top = int(limit.max())
    elif np.ndim(threshold) == 0:
        top = check_positive_int(threshold, "threshold")
    else:
        top = 1

    threads = thread_count(workers)
    sums = node_sums(x, gi, item_conditions, size=size, scale_points=a, min_items=min_items,
                     workers=threads)
    # These sums are ours alone, so their answer counts may be added up in place.
    return _report_from_sums(sums, par, depth, limit, top, gamma, consume=True,
                             workers=threads)


def groups_report_from_sums(
    sums: NodeSums,
    *,
    parents: npt.ArrayLike | None = None,
    threshold: int | npt.ArrayLike = 5,
    confidence: float = 0.95,
    workers: int | None = None,
) -> GroupsReport:
    """:func:`groups_report` from sums already gathered by :func:`node_sums`.

    For a caller that has the sums already (for example to report the same respondents
    under another hierarchy or threshold without reading them again). The sums are left
    as they were (the answer counts are copied to be added up the tree, which
    :func:`groups_report` does in place). ``parents``, ``threshold``, ``confidence`` and
    ``workers`` are as in :func:`groups_report`; ``parents`` must have one entry
    per node of ``sums``.

    Examples
    --------
    >>> import numpy as np
    >>> from tracelead.analysis.sums import node_sums
    >>> s = node_sums(np.array([[4.0], [5.0], [2.0]]), [0, 0, 1], ["task"], size=3)
    >>> groups_report_from_sums(s, parents=[2, 2, -1], threshold=1).mean[:, 0].tolist()
    [4.5, 2.0, 3.6666666666666665]
    """
    gamma = check_confidence(confidence)
    size = int(sums.n_respondents.shape[0])
    par = (np.full(size, -1, dtype=np.int64) if parents is None
           else as_parents(np.asarray(parents), size))
    limit = node_thresholds(threshold, size)
    top = int(limit.max()) if size else check_positive_int(threshold, "threshold")
    return _report_from_sums(sums, par, tree_depths(par), limit, top, gamma, consume=False,
                             workers=thread_count(workers))


def _report_from_sums(sums: NodeSums, par: IntArray, depth: IntArray, limit: IntArray,
                      top: int, gamma: float, *, consume: bool, workers: int
                      ) -> GroupsReport:
    """Everything after the one read of the matrix: O(groups) work on the node sums.

    With ``consume`` the answer counts of ``sums`` are added up the tree in place
    (``sums`` is then spent); otherwise a copy is. ``workers`` threads share the steps
    that do not depend on one another.
    """
    keys, codes = sums.conditions, sums.item_codes
    item_conditions = sums.item_conditions
    alpha = alpha_from_sums(sums)
    a = sums.scale_points
    centre = (a + 1) / 2.0
    size = sums.item_counts.shape[0]
    n_cond = len(keys)
    respondents = sums.n_respondents
    # Everything below is additive, so subtree totals are sums up the tree: the few
    # per-condition sums in float64, the answer counts as exact integers (option by
    # option: each option's counts are one contiguous (G, I) matrix).
    levels = _tree_levels(par, depth)
    by_option = np.moveaxis(sums.item_counts, 2, 0)  # (A, G, I); a view when from node_sums
    by_option = np.ascontiguousarray(by_option) if consume else by_option.copy(order="C")
    n_items = by_option.shape[2]
    with _Steps(workers if size >= _THREADED_NODES else 1) as steps:
        # The answer counts (most of the work) are added up on the other threads while
        # this one works out the condition figures.
        adding = [steps.submit(_add_up_tree, option_counts, levels)
                  for option_counts in by_option]
        total = _add_up_tree(np.concatenate([
            respondents[:, None].astype(np.float64), sums.score_n, sums.score_sum,
            sums.score_sumsq], axis=1), levels)
        n_resp = np.rint(total[:, 0]).astype(np.int64)
        c_stats = total[:, 1:1 + 3 * n_cond].reshape(size, 3, n_cond)
        cnt, s_sum, s_sq = c_stats[:, 0], c_stats[:, 1], c_stats[:, 2]

        # ICCs across each node's children, and across all the nodes of each depth (a
        # node's depth is its cluster), every condition at once, on the other threads
        # too. The family structure is worked out once for the ICCs and the suppression
        # below. Only the nodes with children (the families' heads, a few hundred) have
        # an ICC across their children: one cluster per head, then spread out over the
        # nodes.
        families = Families.of(par)
        family = np.where(par >= 0, families.head_position[par], -1)
        across_children = steps.submit(icc1_icc2_from_sums, cnt, s_sum, s_sq, family,
                                       families.heads.size)
        across_levels = steps.submit(icc1_icc2_from_sums, cnt, s_sum, s_sq, depth,
                                     int(depth.max(initial=0)) + 1)

        n = np.rint(cnt).astype(np.int64)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = centre + s_sum / cnt
            var = (s_sq - s_sum**2 / cnt) / (cnt - 1.0)
        mean = np.where(n > 0, mean, np.nan)
        sd = np.where(n >= 2, np.sqrt(np.maximum(var, 0.0)), np.nan)
        ci_low, ci_high = _t_interval(n, mean, sd, gamma)

        # Suppression: the groups, then every condition's cells, then every item's
        # distribution (each starting from what the one before hides), the columns of
        # each side by side.
        no_one = np.zeros(size, dtype=bool)
        suppressed = suppress_families(families, n_resp, limit, no_one)
        cell_suppressed = suppress_families(families, n, limit, suppressed[:, None])

        # The item statistics, once the counts are added up: the nodes shared out
        # between the threads, in blocks that stay in the cache.
        for step in adding:
            step.result()
        counts_tot = np.moveaxis(by_option, 0, 2)
        indicator = np.zeros((n_items, n_cond))
        indicator[np.arange(n_items), codes] = 1.0
        spread = (np.empty((size, n_items), dtype=np.int64), np.empty((size, n_cond)),
                  np.empty((size, n_cond)))
        share = -(-size // (steps.workers * _ITEM_ROWS)) * _ITEM_ROWS
        for part in [steps.submit(_item_spread, by_option, centre, indicator, spread, lo,
                                  min(size, lo + share)) for lo in range(0, size, share)]:
            part.result()
        n_item_int, var_sum, j = spread
        head_1, head_2 = across_children.result()
        icc_1 = np.full((size, n_cond), np.nan)
        icc_2 = np.full((size, n_cond), np.nan)
        icc_1[families.heads], icc_2[families.heads] = head_1, head_2
        level_1, level_2 = across_levels.result()
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_var = np.where(j > 0, var_sum / j, np.nan)
        rwg = rwg_j_from_variances(mean_var, j, uniform_null_variance(a))

        # Each item is suppressed on its own, so the items are shared out too.
        forced = cell_suppressed[:, codes]
        item_suppressed = np.empty((size, n_items), dtype=bool)
        columns = [c for c in np.array_split(np.arange(n_items), steps.workers) if c.size]
        hiding = [steps.submit(suppress_families, families,
                               np.ascontiguousarray(n_item_int[:, c]), limit,
                               np.ascontiguousarray(forced[:, c])) for c in columns]
        for c, hidden in zip(columns, hiding, strict=True):
            item_suppressed[:, c] = hidden.result()
    return GroupsReport(
        conditions=keys, item_conditions=item_conditions, parents=par, depth=depth,
        n_respondents=n_resp, n=n, mean=mean, sd=sd, ci_low=ci_low, ci_high=ci_high,
        rwg_j=rwg, item_counts=counts_tot, icc1=icc_1, icc2=icc_2, level_icc1=level_1,
        level_icc2=level_2, suppressed=suppressed, cell_suppressed=cell_suppressed,
        item_suppressed=item_suppressed, threshold=top,
        node_threshold=limit,
        alpha=np.array([alpha[key] for key in keys], dtype=np.float64),
    )
