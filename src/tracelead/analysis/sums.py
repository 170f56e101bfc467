"""Per-node sufficient statistics of a response matrix, gathered in one pass.

Every figure of the many-groups report (:func:`tracelead.analysis.groups_report`) follows
from a few additive sums per node (usually a team): how many respondents, per condition
the count, sum and sum of squares of the condition scores, and per item the count of each
answer option. Organisation and system figures are sums of their teams' sums, so the
response matrix is read once and everything after that costs O(groups).

:func:`node_sums` reads the matrix once, in blocks of rows, on one or more threads (NumPy
and SciPy release the interpreter lock in their loops), and never copies the whole
matrix. It also gathers the listwise sums behind Cronbach's alpha for each condition, so
:func:`alpha_from_sums` gives alpha without a second read.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ._validation import FloatArray, IntArray, check_positive_int, check_scale_points
from .profile import condition_index

__all__ = ["NodeSums", "alpha_from_sums", "node_sums"]

# Rows per block: the temporaries of one block (about 30 bytes per answer) stay in the
# processor's cache, whatever the number of respondents.
_BLOCK_ROWS = 16_384


@dataclass(frozen=True)
class NodeSums:
    """Additive statistics of the respondents attached directly to each node.

    Arrays are indexed by node g, condition c and item i. Scores are centred on the
    scale's midpoint ``(A + 1) / 2`` so that sums of squares keep their precision.

    Attributes
    ----------
    conditions : tuple of str
        Condition keys in first-appearance order (the c axis).
    item_conditions : tuple of str
        The condition key of each item (the i axis).
    item_codes : ndarray of int, (I,)
        The condition index of each item.
    scale_points : int
        Number of answer options A.
    n_respondents : ndarray of int, (G,)
        Respondents attached to the node.
    score_n, score_sum, score_sumsq : ndarray of float, (G, C)
        Count, sum and sum of squares of the centred condition scores (mean of the
        answered items of the condition, where at least ``min_items`` were answered).
    item_counts : ndarray of int, (G, I, A)
        How many gave each answer 1..A to each item.
    complete_n : ndarray of int, (C,)
        Respondents who answered every item of the condition (listwise).
    complete_item_sum, complete_item_sumsq : ndarray of int, (I,)
        Sum and sum of squares of each item's answers over those respondents (of the
        item's condition).
    complete_total_sum, complete_total_sumsq : ndarray of int, (C,)
        Sum and sum of squares of the condition's total score over those respondents.
    """

    conditions: tuple[str, ...]
    item_conditions: tuple[str, ...]
    item_codes: IntArray
    scale_points: int
    n_respondents: IntArray
    score_n: FloatArray
    score_sum: FloatArray
    score_sumsq: FloatArray
    item_counts: IntArray
    complete_n: IntArray
    complete_item_sum: IntArray
    complete_item_sumsq: IntArray
    complete_total_sum: IntArray
    complete_total_sumsq: IntArray


@dataclass
class _Accumulator:
    """One worker's running totals (workers never share one, so no locking)."""

    # (G * I * 2(A + 1)): answers 0..A (0 = missing) of respondents who left an item of
    # the condition blank, then of those who answered every one. int32: a node's count
    # in one bin is at most the number of respondents.
    items: npt.NDArray[np.int32]
    scores: FloatArray  # (G, 3, C)
    complete: IntArray  # (C,)
    total_sum: IntArray  # (C,)
    total_sumsq: IntArray  # (C,)


def check_values(values: npt.ArrayLike) -> FloatArray:
    """The response matrix as float64, not copied when it is float64 already.

    Infinite and other off-scale values are caught while the matrix is read.
    """
    try:
        x = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError("values must contain numbers or NaN for missing answers") from exc
    if x.ndim != 2:
        raise ValueError("values must be two-dimensional (respondents x items); got an array "
                         f"of shape {x.shape}")
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError("values is empty: it needs at least one of respondents and of items")
    return x


def node_sums(
    values: npt.ArrayLike,
    group_index: npt.ArrayLike,
    item_conditions: Sequence[str],
    *,
    size: int | None = None,
    scale_points: int = 5,
    min_items: int = 1,
    workers: int | None = None,
) -> NodeSums:
    """Gather each node's additive statistics in one read of the response matrix.

    Parameters
    ----------
    values : array-like, shape (n_respondents, n_items)
        Answers, whole numbers 1..A; NaN = missing. Float64 input is read in place.
    group_index : array-like of int, shape (n_respondents,)
        The node each respondent belongs to directly, 0..G-1. Respondents grouped by node
        (as a query ordered by team returns them) are read in place; otherwise each block
        of rows is gathered in node order.
    item_conditions : sequence of str
        Condition key of each item.
    size : int, optional
        Number of nodes G (default ``group_index.max() + 1``).
    scale_points : int, default 5
        Number of answer options A (at most 100).
    min_items : int, default 1
        Answered items needed for a condition score.
    workers : int, optional
        Threads reading blocks of rows (default: the usable processors, at most 8).

    Returns
    -------
    NodeSums

    Raises
    ------
    ValueError
        On off-scale or fractional answers (including infinities), group indices outside
        0..G-1, or options out of range.

    Notes
    -----
    Each block of rows is converted once to small integer codes (0 = missing), checked
    (every answered value must equal its code and lie in 1..A), and then reduced:

    - item answer counts per node and item with one ``np.bincount`` over
      ``node * I * (A + 1) + item * (A + 1) + code``;
    - condition sums and answered counts per respondent from the codes transposed
      (items as rows, so each condition is a contiguous run of rows), giving the score
      :math:`s_{rc} = \\bar x_{rc} - (A + 1)/2`;
    - per node :math:`\\sum 1`, :math:`\\sum s` and :math:`\\sum s^2` with
      ``np.add.reduceat`` over the runs of rows of each node;
    - for Cronbach's alpha, over the respondents who answered every item of a
      condition: :math:`n`, :math:`\\sum x_i`, :math:`\\sum x_i^2` per item and
      :math:`\\sum T`, :math:`\\sum T^2` of the total score, all exact integers.

    Memory beyond the input is O(G x I x A) per worker plus one block per worker.

    Examples
    --------
    >>> import numpy as np
    >>> s = node_sums(np.array([[4.0, 5.0], [2.0, np.nan]]), [0, 1], ["task", "task"])
    >>> s.n_respondents.tolist(), s.score_sum[:, 0].tolist()
    ([1, 1], [1.5, -1.0])

    Validated against: :func:`tracelead.analysis.condition_profile` and
    :func:`tracelead.analysis.cronbach_alpha` through ``tests/analysis/test_report.py``
    and ``tests/analysis/test_node_sums.py``.
    """
    a = check_scale_points(scale_points)
    if a > 100:
        raise ValueError(f"scale_points must be at most 100 here; got {a}")
    minimum = check_positive_int(min_items, "min_items")
    x = check_values(values)
    n_rows, n_items = x.shape
    keys, codes = condition_index(item_conditions, n_items)
    n_cond = len(keys)

    gi_raw = np.asarray(group_index)
    if gi_raw.ndim != 1 or gi_raw.shape[0] != n_rows:
        raise ValueError(f"group_index must give one node index per respondent ({n_rows}); "
                         f"got shape {gi_raw.shape}")
    if gi_raw.size and not np.issubdtype(gi_raw.dtype, np.integer):
        raise ValueError("group_index must hold integer node indices")
    gi = gi_raw.astype(np.int64, copy=False)
    if size is None:
        size = int(gi.max()) + 1
    if gi.min() < 0 or gi.max() >= size:
        raise ValueError(f"group_index must hold node indices in 0..{size - 1}")
    if workers is None:
        workers = min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                      else (os.cpu_count() or 1))
    workers = check_positive_int(workers, "workers")

    in_order = bool(np.all(gi[1:] >= gi[:-1]))
    order: IntArray | None = None if in_order else np.argsort(gi, kind="stable")
    # Items ordered by condition, so that a condition is a run of rows in the transposed
    # codes; `cond_starts` are the runs' first rows.
    by_condition = np.argsort(codes, kind="stable")
    cond_sizes = np.bincount(codes, minlength=n_cond)
    cond_starts = np.concatenate(([0], np.cumsum(cond_sizes)[:-1])).astype(np.intp)
    bins = a + 1
    # Per item (rows of the transposed codes, in condition order): its first bin and
    # its condition.
    item_offset_sorted = (by_condition.astype(np.intp) * (2 * bins))[:, None]
    item_condition_sorted = codes[by_condition]
    code_type = np.int8 if 2 * bins <= 127 else np.int16
    centre = (a + 1) / 2.0
    narrow = np.int8 if a * int(cond_sizes.max()) < 127 else np.int16

    def new_accumulator() -> _Accumulator:
        return _Accumulator(
            items=np.zeros(size * n_items * 2 * bins, dtype=np.int32),
            scores=np.zeros((size, 3, n_cond)),
            complete=np.zeros(n_cond, dtype=np.int64),
            total_sum=np.zeros(n_cond, dtype=np.int64),
            total_sumsq=np.zeros(n_cond, dtype=np.int64),
        )

    def read_block(start: int, stop: int, acc: _Accumulator) -> None:
        if order is None:
            block, g = x[start:stop], gi[start:stop]
        else:
            rows = order[start:stop]
            block, g = x[rows], node_of_row[start:stop]
        answered_cell = ~np.isnan(block)
        with np.errstate(invalid="ignore"):  # NaN and wild values: checked just below
            code = block.astype(np.int8)
        code *= answered_cell  # missing = 0
        # An answer is valid if it equals its code and the code is 1..A (as uint8,
        # code - 1 wraps 0 round to 255).
        wrong = code != block
        wrong |= (code.view(np.uint8) - np.uint8(1)) >= a
        wrong &= answered_cell
        if wrong.any():
            raise ValueError(f"values must hold whole numbers from 1 to {a} (scale_points) "
                             f"or NaN for missing; found {block[wrong][0]:g}")
        # Node runs: the block's rows are in node order.
        first = np.concatenate(([0], np.flatnonzero(g[1:] != g[:-1]) + 1))
        nodes = g[first]
        base = int(g[0])
        span = int(g[-1]) - base + 1

        by_item = code.T[by_condition]  # (I, rows): a condition is a run of rows
        present = answered_cell.T[by_condition]
        totals = np.empty((n_cond, g.size), dtype=narrow)
        answered = np.empty((n_cond, g.size), dtype=narrow)
        for c in range(n_cond):  # a handful of conditions, each a vectorised sum
            run = slice(cond_starts[c], cond_starts[c] + cond_sizes[c])
            np.add.reduce(by_item[run], axis=0, dtype=narrow, out=totals[c])
            np.add.reduce(present[run], axis=0, dtype=narrow, out=answered[c])
        scored = answered >= minimum
        with np.errstate(invalid="ignore", divide="ignore"):
            score = totals / np.maximum(answered, 1)
        score -= centre
        score *= scored  # no score: adds nothing
        stats = np.concatenate([scored.astype(np.float64), score, score * score])
        acc.scores[nodes] += np.add.reduceat(stats, first, axis=1).T.reshape(
            nodes.size, 3, n_cond)

        # Answer counts per node and item, split by whether the respondent answered every
        # item of the condition (those give alpha): one bincount over the block's answers
        # at node * I * 2(A + 1) + item * 2(A + 1) + (A + 1) * complete + code.
        complete = answered == cond_sizes[:, None]
        coded = complete[item_condition_sorted].astype(code_type)
        coded *= bins
        coded += by_item
        index = item_offset_sorted + (g - base) * (n_items * 2 * bins)
        index += coded
        counts = np.bincount(index.ravel(), minlength=span * n_items * 2 * bins)
        acc.items[base * n_items * 2 * bins:(base + span) * n_items * 2 * bins] += counts

        # The total score of complete respondents (their item sums come from the counts).
        whole = np.where(complete, totals, 0).astype(np.float64)
        acc.complete += np.count_nonzero(complete, axis=1)
        acc.total_sum += np.rint(whole.sum(axis=1)).astype(np.int64)
        acc.total_sumsq += np.rint(np.einsum("cr,cr->c", whole, whole)).astype(np.int64)

    # Each worker reads a contiguous share of rows that starts where a node starts, so
    # workers touch different nodes' answer counts and can share them without locking.
    total = new_accumulator()
    node_of_row = gi if order is None else gi[order]
    cuts = [0]
    for w in range(1, workers):
        at = int(np.searchsorted(node_of_row, node_of_row[w * n_rows // workers], "left"))
        if cuts[-1] < at < n_rows:
            cuts.append(at)
    cuts.append(n_rows)

    def work(first_row: int, stop_row: int) -> _Accumulator:
        acc = _Accumulator(items=total.items, scores=total.scores,
                           complete=np.zeros(n_cond, dtype=np.int64),
                           total_sum=np.zeros(n_cond, dtype=np.int64),
                           total_sumsq=np.zeros(n_cond, dtype=np.int64))
        for start in range(first_row, stop_row, _BLOCK_ROWS):
            read_block(start, min(start + _BLOCK_ROWS, stop_row), acc)
        return acc

    spans = list(itertools.pairwise(cuts))
    if len(spans) == 1:
        parts = [work(*spans[0])]
    else:
        with ThreadPoolExecutor(max_workers=len(spans)) as pool:
            parts = list(pool.map(lambda span: work(*span), spans))
    for part in parts:
        total.complete += part.complete
        total.total_sum += part.total_sum
        total.total_sumsq += part.total_sumsq

    split = total.items.reshape(size, n_items, 2, bins)
    item_counts = split[:, :, 0, 1:].astype(np.int64)
    item_counts += split[:, :, 1, 1:]
    listwise = split[:, :, 1, 1:].sum(axis=0, dtype=np.int64)  # (I, A)
    total.items = np.zeros(0, dtype=np.int32)  # let the counts by completeness go
    del split
    options = np.arange(1, a + 1, dtype=np.int64)
    return NodeSums(
        conditions=keys,
        item_conditions=tuple(item_conditions),
        item_codes=codes.astype(np.int64),
        scale_points=a,
        n_respondents=np.bincount(gi, minlength=size).astype(np.int64),
        score_n=total.scores[:, 0],
        score_sum=total.scores[:, 1],
        score_sumsq=total.scores[:, 2],
        item_counts=item_counts,
        complete_n=total.complete,
        complete_item_sum=listwise @ options,
        complete_item_sumsq=listwise @ (options * options),
        complete_total_sum=total.total_sum,
        complete_total_sumsq=total.total_sumsq,
    )


def alpha_from_sums(sums: NodeSums) -> dict[str, float]:
    """Cronbach's alpha of each condition (listwise) from :func:`node_sums`.

    Notes
    -----
    With k items, item variances :math:`\\sigma_i^2` and the variance of the total score
    :math:`\\sigma_T^2` over the respondents who answered every item of the condition,

    .. math:: \\alpha = \\frac{k}{k-1}\\left(1 - \\frac{\\sum_i \\sigma_i^2}{\\sigma_T^2}\\right)

    (the trace and the sum of the covariance matrix of
    :func:`tracelead.analysis.cronbach_alpha`). Each variance is
    :math:`(n\\sum x^2 - (\\sum x)^2) / (n(n-1))` from exact integer sums. NaN where a
    condition has fewer than two items or two complete respondents, or no variance.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16(3), 297-334.
    """
    out: dict[str, float] = {}
    for c, key in enumerate(sums.conditions):
        items = np.flatnonzero(sums.item_codes == c)
        n = int(sums.complete_n[c])
        k = items.size
        if k < 2 or n < 2:
            out[key] = float("nan")
            continue
        item_var = [(n * int(sums.complete_item_sumsq[i]) - int(sums.complete_item_sum[i]) ** 2)
                    / (n * (n - 1)) for i in items]
        total_var = (n * int(sums.complete_total_sumsq[c])
                     - int(sums.complete_total_sum[c]) ** 2) / (n * (n - 1))
        out[key] = (float(k / (k - 1) * (1.0 - sum(item_var) / total_var)) if total_var > 0
                    else float("nan"))
    return out
