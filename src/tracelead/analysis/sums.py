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
from typing import Any, NoReturn

import numpy as np
import numpy.typing as npt

from ._validation import BoolArray, FloatArray, IntArray, check_positive_int, check_scale_points
from .profile import condition_index

__all__ = ["NodeSums", "alpha_from_sums", "node_sums"]

# Rows per block: the temporaries of one block stay in the processor's cache, whatever
# the number of respondents (those of a row each; the biggest, the packed counts, are
# made a slice at a time). 32,768 rather than 16,384: half as many NumPy calls, and on
# two threads 0.32 s against 0.35 s median for 1M x 35 (30 alternating runs).
_BLOCK_ROWS = 32_768
# Rows converted at a time: one slice of float64 answers (35 items: 560 kB) stays in a
# second-level cache.
_SLICE_ROWS = 2_048
# Answer counts are packed five to a 64-bit word, 12 bits each.
_FIELDS = 5
_FIELD_BITS = 12
_FIELD_MAX = (1 << _FIELD_BITS) - 1
_FIELD_MASK = np.uint64(_FIELD_MAX)
_ONE = np.uint64(1)


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
        How many gave each answer 1..A to each item (from :func:`node_sums`, a view of
        an array laid out option by option).
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
    """One worker's scratch space and running totals (never shared, so no locking)."""

    code: npt.NDArray[np.int8]  # (rows, I): one block's answers as codes, 0 = missing
    mismatch: BoolArray  # (rows, I)
    stats: FloatArray  # (3C, rows): scored, centred score and its square
    scored: BoolArray  # (C, rows)
    shift: npt.NDArray[np.signedinteger[Any]]  # (I, rows): where each answer's count sits
    cells: npt.NDArray[np.uint64]  # (I, rows): each answer as a packed count
    others_code: npt.NDArray[np.int8]  # (I, rows): the answers of respondents who left
    # part of the condition blank (others 0)
    other_sum: IntArray  # (I,): the sum of those answers
    other_sumsq: IntArray  # (I,): ... and of their squares
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
    Each block of rows is converted once to small integer codes (0 = missing) and
    checked: a code that differs from its value must be a NaN (every NaN differs, so
    there must be exactly as many differing cells as NaNs), and every other code must be
    an option 1..A. Then, with the codes transposed (items as rows, so that a condition
    is a contiguous run of rows):

    - item answer counts per node: each answer k becomes the 64-bit word
      ``1 << 12(k - 1)`` (five 12-bit counters to a word; more words above five options),
      and one ``np.add.reduceat`` over the node runs adds up every option at once
      (a bit-sliced, "SIMD within a register" count); the words are unpacked once per
      node at the end. A node's total is at most its respondents, so a counter overflows
      only for a node with more than 4,095, which is counted apart and unpacked per run
      of at most 4,095 rows;
    - condition sums and answered counts per respondent, giving the score
      :math:`s_{rc} = \\bar x_{rc} - (A + 1)/2`; per node :math:`\\sum 1`,
      :math:`\\sum s` and :math:`\\sum s^2` with ``np.add.reduceat`` over the node runs;
    - for Cronbach's alpha, over the respondents who answered every item of a
      condition: :math:`n`, :math:`\\sum x_i`, :math:`\\sum x_i^2` per item (everyone's,
      from the counts, less those of the respondents who left an item blank) and
      :math:`\\sum T`, :math:`\\sum T^2` of the total score, all exact integers.

    Memory beyond the input is O(G x I x A) plus one block per worker.

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
    # Respondents grouped by node (as a query ordered by team returns them): the lowest
    # and highest node are the first and last, and each node's respondents one run.
    in_order = bool(np.all(gi[1:] >= gi[:-1]))
    low, high = (int(gi[0]), int(gi[-1])) if in_order and gi.size else (int(gi.min()),
                                                                           int(gi.max()))
    if size is None:
        size = high + 1
    if low < 0 or high >= size:
        raise ValueError(f"group_index must hold node indices in 0..{size - 1}")
    workers = thread_count(workers)

    order: IntArray | None = None if in_order else np.argsort(gi, kind="stable")
    node_of_row = gi if order is None else gi[order]
    n_respondents = (np.diff(np.searchsorted(gi, np.arange(size + 1))) if in_order
                     else np.bincount(gi, minlength=size)).astype(np.int64)
    # Items ordered by condition, so that a condition is a run of rows in the transposed
    # codes (None: they are already).
    sorted_items = np.argsort(codes, kind="stable")
    by_condition = None if bool(np.all(sorted_items == np.arange(n_items))) else sorted_items
    cond_sizes = np.bincount(codes, minlength=n_cond)
    ends = np.cumsum(cond_sizes)
    runs = [slice(int(end - k), int(end)) for end, k in zip(ends, cond_sizes, strict=True)]
    equal_runs = bool(np.all(cond_sizes == cond_sizes[0]))
    centre = (a + 1) / 2.0
    # Condition totals per respondent: the smallest integer type that holds A x items.
    most = a * int(cond_sizes.max())
    narrow = np.int8 if most <= 127 else np.int16 if most <= 32_767 else np.int32
    words = -(-a // _FIELDS)
    shift_type, unsigned_shift = ((np.int8, np.uint8) if _FIELD_BITS * a <= 127
                                  else (np.int16, np.uint16))
    # Packed answer counts per node and item; nodes with more respondents than a counter
    # holds are counted unpacked, block by block.
    packed_total = np.zeros((words, size, n_items), dtype=np.uint64)
    big = n_respondents > _FIELD_MAX
    big_nodes = np.flatnonzero(big)
    big_slot = np.zeros(size, dtype=np.int64)
    big_slot[big_nodes] = np.arange(big_nodes.size)
    big_counts = np.zeros((big_nodes.size, n_items, a), dtype=np.int64)
    scores = np.zeros((size, 3, n_cond))

    def read_block(start: int, stop: int, acc: _Accumulator) -> None:
        if order is None:
            block, g = x[start:stop], gi[start:stop]
        else:
            block, g = x[order[start:stop]], node_of_row[start:stop]
        rows = g.size
        code = acc.code[:rows]
        mismatch = acc.mismatch[:rows]
        # A cell whose code differs from its value is missing (NaN) or not a whole number
        # that fits; every NaN differs, so all the differing cells are NaN exactly when
        # there are as many of each. Read in slices small enough for the processor's
        # second-level cache, so that only the first of the three reads of the answers
        # comes from memory.
        n_missing = n_nan = 0
        for lo in range(0, rows, _SLICE_ROWS):
            part = block[lo:lo + _SLICE_ROWS]
            part_code = code[lo:lo + _SLICE_ROWS]
            with np.errstate(invalid="ignore"):  # NaN and wild values: caught here
                np.copyto(part_code, part, casting="unsafe")
            differ = np.not_equal(part_code, part, out=mismatch[lo:lo + _SLICE_ROWS])
            k = int(np.count_nonzero(differ))
            if k:
                n_missing += k
                n_nan += int(np.count_nonzero(np.isnan(part)))
        if n_missing:
            if n_nan != n_missing:
                odd = block[mismatch]
                _off_scale(odd[~np.isnan(odd)][0], a)
            code *= ~mismatch  # missing = 0
        # Every answered code must be one of the options 1..A (negatives are 128 and
        # above as uint8).
        if (int(np.count_nonzero(code)) != code.size - n_missing
                or int(code.view(np.uint8).max()) > a):
            _off_scale(block[((code.view(np.uint8) - np.uint8(1)) >= a) & ~mismatch][0], a)

        # Node runs: the block's rows are in node order.
        first = np.concatenate(([0], np.flatnonzero(g[1:] != g[:-1]) + 1))
        nodes = g[first]
        # Items as rows, in condition order: a condition is a run of rows.
        by_item = code.T.copy() if by_condition is None else code.T[by_condition]
        present = by_item != 0
        if equal_runs:  # conditions of one size: one sum over a reshaped view
            totals = by_item.reshape(n_cond, -1, rows).sum(axis=1, dtype=narrow)
            answered = present.reshape(n_cond, -1, rows).sum(axis=1, dtype=narrow)
        else:
            totals = np.empty((n_cond, rows), dtype=narrow)
            answered = np.empty((n_cond, rows), dtype=narrow)
            for c in range(n_cond):  # a handful of conditions, each a vectorised sum
                np.add.reduce(by_item[runs[c]], axis=0, dtype=narrow, out=totals[c])
                np.add.reduce(present[runs[c]], axis=0, dtype=narrow, out=answered[c])
        stats = acc.stats[:, :rows]  # per respondent and condition: scored, s, s squared
        scored = np.greater_equal(answered, minimum, out=acc.scored[:, :rows])
        stats[:n_cond] = scored
        with np.errstate(invalid="ignore", divide="ignore"):
            np.divide(totals, np.maximum(answered, 1), out=stats[n_cond:2 * n_cond])
        stats[n_cond:2 * n_cond] -= centre
        stats[n_cond:2 * n_cond] *= stats[:n_cond]  # no score: adds nothing
        np.multiply(stats[n_cond:2 * n_cond], stats[n_cond:2 * n_cond],
                    out=stats[2 * n_cond:])
        scores[nodes] += np.add.reduceat(stats, first, axis=1).T.reshape(
            nodes.size, 3, n_cond)

        # Answer counts per node and item, packed: an answer k adds 1 << 12(k - 1) to a
        # 64-bit word (five 12-bit counters, options 5w+1..5w+5 in word w), so that one
        # reduceat over the node runs counts every option at once. No counter overflows:
        # a node's running total is at most its respondents, and a node with more than
        # 4,095 is counted apart, unpacked, in runs of at most 4,095 rows. A shift of 64
        # or more gives 0 in NumPy: missing answers, and the
        # options of other words, add nothing.
        shift = acc.shift[:, :rows]
        np.copyto(shift, by_item)
        np.multiply(shift, _FIELD_BITS, out=shift)
        np.subtract(shift, _FIELD_BITS, out=shift)
        # Counted in runs of at most 4,095 rows: only a node with more respondents than
        # that (counted apart) can have a run longer, which is cut into several.
        segment = first
        if rows > _FIELD_MAX:
            length = np.diff(first, append=rows)
            if int(length.max()) > _FIELD_MAX:
                segment = np.unique(np.concatenate(
                    [first] + [np.arange(s, s + k, _FIELD_MAX)
                               for s, k in zip(first, length, strict=True)
                               if k > _FIELD_MAX]))
        segment_node = g[segment]
        in_big = big[segment_node]
        some_big = bool(in_big.any())
        if some_big:
            slots = big_slot[segment_node[in_big]]
        # The packed cells are made and added up a slice of rows at a time, so that they
        # are still in the second-level cache when added.
        pieces = _slices(segment, rows)
        packed_t = np.empty((n_items, segment.size), dtype=np.uint64)
        for word in range(words):
            if word:
                np.subtract(shift, _FIELDS * _FIELD_BITS, out=shift)
            for s0, s1, lo, hi in pieces:
                cells = np.left_shift(_ONE, shift[:, lo:hi].view(unsigned_shift),
                                      out=acc.cells[:, :hi - lo])
                np.add.reduceat(cells, segment[s0:s1] - lo, axis=1, out=packed_t[:, s0:s1])
            packed = packed_t.T  # (segments, I)
            fields = slice(word * _FIELDS, min(a, (word + 1) * _FIELDS))
            if some_big:  # a big node may have several segments: np.add.at adds each
                np.add.at(big_counts[:, :, fields], slots,
                          _unpack(packed[in_big][:, :, None], fields))
                packed[in_big] = 0
            packed_total[word, segment_node] += packed  # other nodes: one segment each

        # For Cronbach's alpha, the respondents who answered the whole condition: their
        # item sums are everyone's (from the counts) less those of the others.
        complete = answered == cond_sizes[:, None]
        others = acc.others_code[:, :rows]
        if equal_runs:  # each condition's rows times its mask, broadcast (no repeat)
            np.multiply(by_item.reshape(n_cond, -1, rows), ~complete[:, None, :],
                        out=others.reshape(n_cond, -1, rows))
        else:
            np.multiply(by_item, np.repeat(~complete, cond_sizes, axis=0), out=others)
        # (In one block, int32 sums cannot overflow: 32,768 rows x 100 x 100.)
        acc.other_sum += others.sum(axis=1, dtype=np.int32)
        square = others if a * a <= 127 else others.astype(np.int16)
        acc.other_sumsq += np.multiply(square, square, out=square).sum(axis=1, dtype=np.int32)
        whole = totals * complete
        acc.complete += complete.sum(axis=1)
        acc.total_sum += whole.sum(axis=1, dtype=np.int64)
        square = whole.astype(np.int64)
        acc.total_sumsq += np.multiply(square, square, out=square).sum(axis=1)

    # Each worker reads a contiguous share of rows that starts where a node starts, so
    # workers touch different nodes' sums and can share them without locking.
    cuts = [0]
    for w in range(1, workers):
        at = int(np.searchsorted(node_of_row, node_of_row[w * n_rows // workers], "left"))
        if cuts[-1] < at < n_rows:
            cuts.append(at)
    cuts.append(n_rows)

    def work(first_row: int, stop_row: int) -> _Accumulator:
        block_rows = min(_BLOCK_ROWS, stop_row - first_row)
        acc = _Accumulator(
            code=np.empty((block_rows, n_items), dtype=np.int8),
            mismatch=np.empty((block_rows, n_items), dtype=bool),
            stats=np.empty((3 * n_cond, block_rows)),
            scored=np.empty((n_cond, block_rows), dtype=bool),
            shift=np.empty((n_items, block_rows), dtype=shift_type),
            cells=np.empty((n_items, block_rows), dtype=np.uint64),
            others_code=np.empty((n_items, block_rows), dtype=np.int8),
            other_sum=np.zeros(n_items, dtype=np.int64),
            other_sumsq=np.zeros(n_items, dtype=np.int64),
            complete=np.zeros(n_cond, dtype=np.int64),
            total_sum=np.zeros(n_cond, dtype=np.int64),
            total_sumsq=np.zeros(n_cond, dtype=np.int64))
        for start in range(first_row, stop_row, _BLOCK_ROWS):
            read_block(start, min(start + _BLOCK_ROWS, stop_row), acc)
        return acc

    # The counts are laid out option by option, (A, G, I): each option's counts are
    # unpacked into contiguous memory, and the report adds them up and weighs them one
    # option at a time. ``item_counts`` is the (G, I, A) view of them.
    by_option = np.empty((a, size, n_items), dtype=np.int64)

    def unpack(lo: int, hi: int) -> IntArray:
        """Unpack the counts of nodes lo..hi-1; return their totals per option and item."""
        field = np.empty((hi - lo, n_items), dtype=np.uint64)
        for option in range(a):
            np.right_shift(packed_total[option // _FIELDS, lo:hi],
                           np.uint64(option % _FIELDS * _FIELD_BITS), out=field)
            np.bitwise_and(field, _FIELD_MASK, out=by_option[option, lo:hi],
                           casting="unsafe")
        totals: IntArray = by_option[:, lo:hi].sum(axis=1)  # (A, I)
        return totals

    spans = list(itertools.pairwise(cuts))
    node_cuts = [size * w // len(spans) for w in range(len(spans) + 1)]
    if len(spans) == 1:
        parts = [work(*spans[0])]
        per_option = [unpack(0, size)]
    else:
        with ThreadPoolExecutor(max_workers=len(spans)) as pool:
            parts = list(pool.map(lambda span: work(*span), spans))
            # The unpacking is shared out too, by node index (each share of rows holds
            # its own nodes, but not in index ranges, so it waits for all the counting).
            per_option = list(pool.map(lambda span: unpack(*span),
                                       itertools.pairwise(node_cuts)))
    total = parts[0]
    for part in parts[1:]:
        for name in ("other_sum", "other_sumsq", "complete", "total_sum", "total_sumsq"):
            getattr(total, name)[...] += getattr(part, name)

    by_option[:, big_nodes] = big_counts.transpose(2, 0, 1)
    everyone = sum(per_option[1:], per_option[0]).T  # (I, A), items in condition order
    if big_nodes.size:  # counted apart: their packed words were left at zero
        everyone = everyone + big_counts.sum(axis=0)
    options = np.arange(1, a + 1, dtype=np.int64)
    item_sum = everyone @ options - total.other_sum
    item_sumsq = everyone @ (options * options) - total.other_sumsq
    if by_condition is not None:  # back to the items' own order
        unsort = np.argsort(by_condition)
        by_option = np.ascontiguousarray(by_option[:, :, unsort])
        item_sum, item_sumsq = item_sum[unsort], item_sumsq[unsort]
    counts = np.moveaxis(by_option, 0, 2)
    return NodeSums(
        conditions=keys,
        item_conditions=tuple(item_conditions),
        item_codes=codes.astype(np.int64),
        scale_points=a,
        n_respondents=n_respondents,
        score_n=scores[:, 0],
        score_sum=scores[:, 1],
        score_sumsq=scores[:, 2],
        item_counts=counts,
        complete_n=total.complete,
        complete_item_sum=item_sum,
        complete_item_sumsq=item_sumsq,
        complete_total_sum=total.total_sum,
        complete_total_sumsq=total.total_sumsq,
    )


def thread_count(workers: int | None) -> int:
    """Threads to use: ``workers``, or by default the usable processors (at most 8)."""
    if workers is None:
        return min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                   else (os.cpu_count() or 1))
    return check_positive_int(workers, "workers")


def _slices(starts: IntArray, rows: int) -> list[tuple[int, int, int, int]]:
    """Slices of about ``_SLICE_ROWS`` rows that begin where a run begins: for each, the
    runs it holds (``starts[s0:s1]``) and its rows ``lo:hi``."""
    cut = np.unique(np.searchsorted(starts, np.arange(0, rows, _SLICE_ROWS))).tolist()
    bounds = [*starts.tolist(), rows]
    return [(s0, s1, bounds[s0], bounds[s1])
            for s0, s1 in itertools.pairwise([*cut, starts.size]) if s0 < s1]


def _unpack(packed: npt.NDArray[np.uint64], options: slice) -> IntArray:
    """The 12-bit counters of packed words for these options (0-based), on a new last axis.

    ``packed`` has a last axis of length one; option k sits in field k mod 5.
    """
    fields = np.arange(options.start, options.stop, dtype=np.uint64) % np.uint64(_FIELDS)
    return ((packed >> (fields * np.uint64(_FIELD_BITS))) & _FIELD_MASK).astype(np.int64)


def _off_scale(value: float, a: int) -> NoReturn:
    raise ValueError(f"values must hold whole numbers from 1 to {a} (scale_points) "
                     f"or NaN for missing; found {value:g}")


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
