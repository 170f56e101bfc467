"""360 feedback: ratings of one leader by kind of rater, with the small kinds withheld.

A 360 round asks raters of several kinds (the leader themself, their line manager, peers,
direct reports, others) to rate how often they see each behaviour of a framework. The
leader's report shows, for each behaviour, the mean rating of each kind and of everyone
but the leader. Peers, direct reports and others rate in confidence: a kind's cell is
shown only when at least ``k`` of its raters rated that behaviour (three by default, the
usual floor of 360 practice). Self and line manager are shown whatever their number: the
leader knows their own rating, and the line manager is told beforehand that their rating
is shown as theirs.

The "everyone but you" figure pools only the cells that are shown, so that it cannot be
set against the shown kinds to recover a withheld one: for behaviour *b*,

    others_mean[b] = sum over shown kinds j != self of total[j, b]
                     / sum over the same of n[j, b]

and it is itself a linear combination of shown figures.

:func:`pool_tables` adds several leaders' shown cells (the aggregate of a position's
holders): a pooled cell is shown only when at least ``min_leaders`` leaders contribute to
it, and kinds with one rater a leader (self, line manager) are left out, so that the board
never reads one leader's ratings from the aggregate, even knowing all the others'.

References
----------
Bracken, D. W., Timmreck, C. W., & Church, A. H. (2001). *The Handbook of Multisource
Feedback*. Jossey-Bass (anonymity of rater groups, minimum group sizes).
Hundepool, A., et al. (2012). *Statistical Disclosure Control*. Wiley, chapter 4
(threshold rule; publishing only combinations of publishable cells).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ._validation import BoolArray, FloatArray, IntArray, check_positive_int

__all__ = ["RATER_THRESHOLD", "FeedbackTable", "feedback_table", "pool_tables"]

#: Fewest raters of a confidential kind for its rating of a behaviour to be shown.
RATER_THRESHOLD = 3


@dataclass(frozen=True)
class FeedbackTable:
    """Shown figures of 360 ratings by kind (rows) and behaviour (columns).

    Attributes
    ----------
    n : IntArray
        Raters of each kind who rated each behaviour (0 where hidden).
    total : FloatArray
        Sum of their ratings (0 where hidden).
    mean : FloatArray
        ``total / n`` where shown, NaN elsewhere.
    shown : BoolArray
        Whether each cell may be shown.
    others_n, others_mean : arrays over behaviours
        Everyone but the self kind, pooled over shown cells only.
    leaders : IntArray
        How many leaders contribute to each cell (1 for one leader's table).
    """

    n: IntArray
    total: FloatArray
    mean: FloatArray
    shown: BoolArray
    others_n: IntArray
    others_mean: FloatArray
    leaders: IntArray


def _finish(n: IntArray, total: FloatArray, shown: BoolArray, leaders: IntArray,
            self_kind: int | None) -> FeedbackTable:
    n = np.where(shown, n, 0)
    total = np.where(shown, total, 0.0)
    leaders = np.where(shown, leaders, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, total / np.maximum(n, 1), np.nan)
    others = np.ones(n.shape[0], dtype=bool)
    if self_kind is not None:
        others[self_kind] = False
    others_n = n[others].sum(axis=0)
    others_total = total[others].sum(axis=0)
    others_mean = np.where(others_n > 0, others_total / np.maximum(others_n, 1), np.nan)
    return FeedbackTable(n=n.astype(np.int64), total=total.astype(np.float64),
                         mean=mean.astype(np.float64), shown=shown & (n > 0),
                         others_n=others_n.astype(np.int64),
                         others_mean=others_mean.astype(np.float64),
                         leaders=leaders.astype(np.int64))


def feedback_table(ratings: npt.ArrayLike, kinds: npt.ArrayLike, *, n_kinds: int,
                   always_shown: Sequence[int], self_kind: int | None,
                   k: int = RATER_THRESHOLD) -> FeedbackTable:
    """One leader's 360 table.

    Parameters
    ----------
    ratings : array (raters, behaviours)
        Each rater's rating of each behaviour, NaN for "not seen enough to say".
    kinds : int array (raters,)
        Each rater's kind, ``0 .. n_kinds - 1``.
    n_kinds : int
        Number of kinds (rows of the table).
    always_shown : sequence of int
        Kinds shown whatever their number (self, line manager).
    self_kind : int or None
        The kind left out of "everyone but you".
    k : int, default 3
        Fewest raters of any other kind for a cell to be shown.

    Examples
    --------
    Three peers rate a behaviour 4, 5 and 3; two direct reports rate it 2 and 2; the line
    manager rates it 4. Peers are shown (mean 4), direct reports are not, and everyone but
    you pools the peers and the manager: (4 + 5 + 3 + 4) / 4 = 4.

    >>> t = feedback_table([[4], [5], [3], [2], [2], [4]], [2, 2, 2, 3, 3, 1], n_kinds=4,
    ...                    always_shown=[0, 1], self_kind=0)
    >>> t.shown[:, 0].tolist(), float(t.others_mean[0])
    ([False, True, True, False], 4.0)
    """
    values = np.asarray(ratings, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"ratings must be raters x behaviours; got shape {values.shape}")
    kind = np.asarray(kinds, dtype=np.int64)
    if kind.shape != (values.shape[0],):
        raise ValueError("kinds must give one kind for each row of ratings")
    n_kinds = check_positive_int(n_kinds, "n_kinds")
    k = check_positive_int(k, "k")
    if kind.size and (kind.min() < 0 or kind.max() >= n_kinds):
        raise ValueError(f"kinds must lie in 0..{n_kinds - 1}")
    rated = ~np.isnan(values)
    if (values[rated] < 1).any() or (values[rated] > 5).any():
        raise ValueError("ratings must lie between 1 and 5, or be NaN for not seen")
    # One pass: a kind-by-rater indicator times the rated matrix.
    indicator = np.zeros((n_kinds, values.shape[0]), dtype=np.float64)
    indicator[kind, np.arange(values.shape[0])] = 1.0
    n = (indicator @ rated.astype(np.float64)).round().astype(np.int64)
    total = indicator @ np.where(rated, values, 0.0)
    always = np.zeros(n_kinds, dtype=bool)
    always[list(always_shown)] = True
    shown = (n >= k) | (always[:, None] & (n > 0))
    return _finish(n, total, shown, np.where(n > 0, 1, 0).astype(np.int64), self_kind)


def pool_tables(tables: Sequence[FeedbackTable], *, min_leaders: int,
                self_kind: int | None, leave_out: Sequence[int] = ()) -> FeedbackTable:
    """Add several leaders' tables over the same kinds and behaviours (shown cells only).

    A pooled cell is shown when at least ``min_leaders`` leaders contribute to it. Only
    shown cells are added, so the pool is a combination of figures each leader's own report
    already shows, and nothing withheld there can be recovered from it. Kinds in
    ``leave_out`` are not pooled at all (nor counted in "everyone but"): a kind with one
    rater per leader (the line manager) would let someone who rated all but one of the
    leaders subtract their own ratings and read the last leader's.
    """
    min_leaders = check_positive_int(min_leaders, "min_leaders")
    if not tables:
        raise ValueError("pool at least one table")
    shape = tables[0].n.shape
    if any(t.n.shape != shape for t in tables):
        raise ValueError("every table must have the same kinds and behaviours")
    kept = np.ones(shape[0], dtype=bool)
    kept[list(leave_out)] = False
    n = np.sum([t.n for t in tables], axis=0).astype(np.int64)
    total = np.sum([t.total for t in tables], axis=0).astype(np.float64)
    leaders = np.sum([t.shown.astype(np.int64) for t in tables], axis=0).astype(np.int64)
    shown = (leaders >= min_leaders) & kept[:, None]
    return _finish(n, total, shown, leaders, self_kind)
