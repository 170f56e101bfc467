"""The profile of one group: level and sharedness per condition, and item distributions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ._scipy import stats
from ._validation import (
    FloatArray,
    IntArray,
    as_float_2d,
    check_confidence,
    check_on_scale,
    check_positive_int,
    check_scale_points,
)
from .agreement import rwg_j_from_variances, uniform_null_variance

__all__ = [
    "ConditionResult",
    "GroupProfile",
    "ItemDistribution",
    "condition_index",
    "condition_profile",
    "condition_scores",
    "mean_confidence_interval",
]


@dataclass(frozen=True)
class ConditionResult:
    """Level and sharedness of one condition in one group.

    Attributes
    ----------
    key : str
        The condition key from the instrument (for TRACE: task, route, ...).
    n : int
        Respondents with a condition score (at least ``min_items`` items answered).
    mean, sd : float
        Mean and sample standard deviation (n - 1) of the respondents' condition scores;
        ``sd`` is NaN when n < 2, ``mean`` is NaN when n == 0.
    ci_low, ci_high : float
        t-based confidence interval of the mean; NaN when n < 2.
    rwg_j : float
        rwg(j) over the condition's items (the sharedness); NaN when no item has two
        answers.
    n_items : int
        Number of items in the condition.
    """

    key: str
    n: int
    mean: float
    sd: float
    ci_low: float
    ci_high: float
    rwg_j: float
    n_items: int


@dataclass(frozen=True)
class ItemDistribution:
    """How one item was answered in one group.

    Attributes
    ----------
    index : int
        Column index of the item in ``responses``.
    condition : str
        The condition the item belongs to.
    n : int
        Respondents who answered the item.
    n_missing : int
        Respondents who did not answer (NaN, including "Don't know").
    counts : tuple of int
        ``counts[k]`` is the number of answers ``k + 1``, for k = 0..A-1.
    mean : float
        Mean answer; NaN when nobody answered.
    """

    index: int
    condition: str
    n: int
    n_missing: int
    counts: tuple[int, ...]
    mean: float


@dataclass(frozen=True)
class GroupProfile:
    """The profile of one group (see :func:`condition_profile`)."""

    n_respondents: int
    conditions: tuple[ConditionResult, ...]
    items: tuple[ItemDistribution, ...]
    scale_points: int = 5

    def condition(self, key: str) -> ConditionResult:
        """Return the result of condition ``key``; ``KeyError`` naming the keys if absent."""
        for result in self.conditions:
            if result.key == key:
                return result
        known = ", ".join(repr(c.key) for c in self.conditions)
        raise KeyError(f"no condition {key!r} in this profile; the conditions are {known}")


def condition_index(item_conditions: Sequence[str], n_items: int) -> tuple[tuple[str, ...],
                                                                          IntArray]:
    """Return the condition keys in first-appearance order and each item's condition code.

    Raises ``ValueError`` if the number of keys is not ``n_items`` or a key is not a
    non-empty string.
    """
    if isinstance(item_conditions, str):
        raise ValueError("item_conditions must be a sequence of condition keys, one per item, "
                         "not a single string")
    keys_per_item = list(item_conditions)
    if len(keys_per_item) != n_items:
        raise ValueError(
            f"item_conditions must give one condition key per item column: got "
            f"{len(keys_per_item)} keys for {n_items} items"
        )
    order: dict[str, int] = {}
    codes = np.empty(n_items, dtype=np.int64)
    for i, key in enumerate(keys_per_item):
        if not isinstance(key, str) or not key:
            raise ValueError(f"item_conditions[{i}] must be a non-empty string; got {key!r}")
        codes[i] = order.setdefault(key, len(order))
    return tuple(order), codes


def condition_scores(
    responses: npt.ArrayLike, item_conditions: Sequence[str], *, min_items: int = 1
) -> tuple[tuple[str, ...], FloatArray]:
    """Each respondent's score per condition: the mean of their answered items in it.

    Parameters
    ----------
    responses : array-like, shape (n_respondents, n_items)
        Answers, NaN = missing or "Don't know".
    item_conditions : sequence of str
        One condition key per item column.
    min_items : int, default 1
        A score needs at least this many answered items in the condition; otherwise NaN.

    Returns
    -------
    keys : tuple of str
        Condition keys in first-appearance order.
    scores : ndarray, shape (n_respondents, n_conditions)
        Condition scores, NaN where fewer than ``min_items`` items were answered.

    Notes
    -----
    Scoring by the mean of answered items (person-mean imputation in effect) is the usual
    treatment of sporadic item non-response in multi-item scales (Schafer and Graham
    2002); ``min_items`` sets how much must be answered.

    Examples
    --------
    >>> keys, s = condition_scores([[1, 3, 5], [2, float("nan"), 4]], ["task", "task", "route"])
    >>> keys, s.tolist()
    (('task', 'route'), [[2.0, 5.0], [2.0, 4.0]])

    Validated against: ``numpy.nanmean`` column groups in the tests.
    """
    x = as_float_2d(responses, "responses", "respondents", "items")
    minimum = check_positive_int(min_items, "min_items")
    keys, codes = condition_index(item_conditions, x.shape[1])
    answered = ~np.isnan(x)
    filled = np.where(answered, x, 0.0)
    # (items x conditions) indicator: one matrix product sums each condition's items.
    indicator = np.zeros((x.shape[1], len(keys)))
    indicator[np.arange(x.shape[1]), codes] = 1.0
    sums = filled @ indicator
    counts = answered.astype(np.float64) @ indicator
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = sums / counts
    scores[counts < minimum] = np.nan
    return keys, scores


def mean_confidence_interval(
    n: npt.ArrayLike, mean: npt.ArrayLike, sd: npt.ArrayLike, confidence: float
) -> tuple[FloatArray, FloatArray]:
    """Vectorised t-based interval ``mean +/- t_{(1+c)/2, n-1} * sd / sqrt(n)``; NaN if n < 2."""
    n_arr = np.asarray(n, dtype=np.float64)
    m = np.asarray(mean, dtype=np.float64)
    s = np.asarray(sd, dtype=np.float64)
    df = np.where(n_arr >= 2, n_arr - 1, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf(0.5 + confidence / 2.0, df) * s / np.sqrt(n_arr)
    half = np.where(n_arr >= 2, half, np.nan)
    return np.asarray(m - half, dtype=np.float64), np.asarray(m + half, dtype=np.float64)


def condition_profile(
    responses: npt.ArrayLike,
    item_conditions: Sequence[str],
    *,
    scale_points: int = 5,
    confidence: float = 0.95,
    min_items: int = 1,
) -> GroupProfile:
    """Profile one group: per condition n, mean, SD, confidence interval and rwg(j).

    Parameters
    ----------
    responses : array-like, shape (n_respondents, n_items)
        The group's answers, whole numbers 1..A; NaN = missing or "Don't know".
    item_conditions : sequence of str
        The condition key of each item column. Conditions are reported in order of first
        appearance.
    scale_points : int, default 5
        Number of response options A.
    confidence : float, default 0.95
        Coverage of the confidence interval of each condition mean.
    min_items : int, default 1
        Items a respondent must answer in a condition to get a condition score.

    Returns
    -------
    GroupProfile
        ``n_respondents`` (rows of ``responses``), one :class:`ConditionResult` per
        condition and one :class:`ItemDistribution` per item.

    Raises
    ------
    ValueError
        If ``responses`` is not two-dimensional, an answer is off the scale, the number of
        condition keys differs from the number of items, or an option is out of range.

    Notes
    -----
    For condition c with respondent scores :math:`y_1..y_n` (the mean of each
    respondent's answered items in c):

    .. math::
        \\bar y \\pm t_{(1+\\gamma)/2,\\,n-1}\\, s_y / \\sqrt{n}

    is the confidence interval at level :math:`\\gamma`. The sharedness is
    :func:`tracelead.analysis.rwg_j` over the condition's items, computed with each item's
    answered ratings. Statistics that need two respondents are NaN with fewer.

    References
    ----------
    James, L. R., Demaree, R. G., & Wolf, G. (1984). *Journal of Applied Psychology*,
    69(1), 85-98 (rwg(j)).
    Student (1908). The probable error of a mean. *Biometrika*, 6(1), 1-25 (t interval).

    Examples
    --------
    >>> p = condition_profile([[4, 5, 2], [4, 4, 3], [5, 4, 2]], ["task", "task", "route"])
    >>> p.condition("task").n, round(p.condition("task").mean, 3)
    (3, 4.333)

    Validated against: ``scipy.stats.t.interval`` and ``numpy`` for the interval and
    moments, and :func:`rwg_j` for the sharedness (``tests/analysis/test_profile.py``).
    """
    a = check_scale_points(scale_points)
    gamma = check_confidence(confidence)
    x = as_float_2d(responses, "responses", "respondents", "items")
    check_on_scale(x, a, "responses")
    keys, scores = condition_scores(x, item_conditions, min_items=min_items)
    _, codes = condition_index(item_conditions, x.shape[1])

    answered = ~np.isnan(x)
    n_item = answered.sum(axis=0)
    # Item distributions: counts of each answer 1..A per item, in one bincount.
    rows, cols = np.nonzero(answered)
    flat = cols * a + (x[rows, cols].astype(np.int64) - 1)
    counts = np.bincount(flat, minlength=x.shape[1] * a).reshape(x.shape[1], a)
    options = np.arange(1, a + 1, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        item_mean = counts @ options / n_item
        item_var = (counts @ (options**2) - n_item * item_mean**2) / (n_item - 1)
    item_var = np.where(n_item >= 2, np.maximum(item_var, 0.0), np.nan)

    n_cond = (~np.isnan(scores)).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n_cond > 0, np.nansum(scores, axis=0) / n_cond, np.nan)
        dev = np.where(np.isnan(scores), 0.0, scores - mean)
        sd = np.sqrt((dev**2).sum(axis=0) / (n_cond - 1))
    sd = np.where(n_cond >= 2, sd, np.nan)
    low, high = mean_confidence_interval(n_cond, mean, sd, gamma)

    null = uniform_null_variance(a)
    results = []
    for c, key in enumerate(keys):
        in_c = codes == c
        usable = in_c & (n_item >= 2)
        mean_var = float(item_var[usable].mean()) if usable.any() else float("nan")
        results.append(ConditionResult(
            key=key,
            n=int(n_cond[c]),
            mean=float(mean[c]),
            sd=float(sd[c]),
            ci_low=float(low[c]),
            ci_high=float(high[c]),
            rwg_j=float(rwg_j_from_variances(mean_var, int(usable.sum()), null)),
            n_items=int(in_c.sum()),
        ))
    items = tuple(
        ItemDistribution(
            index=i,
            condition=keys[codes[i]],
            n=int(n_item[i]),
            n_missing=int(x.shape[0] - n_item[i]),
            counts=tuple(int(v) for v in counts[i]),
            mean=float(item_mean[i]) if n_item[i] > 0 else float("nan"),
        )
        for i in range(x.shape[1])
    )
    return GroupProfile(
        n_respondents=int(x.shape[0]), conditions=tuple(results), items=items, scale_points=a
    )
