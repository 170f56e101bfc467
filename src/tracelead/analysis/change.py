"""Change between two rounds, and self-ratings against the ratings of others."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ._scipy import stats
from ._validation import FloatArray, as_float_1d, check_confidence
from .profile import GroupProfile

__all__ = ["ChangeResult", "SelfOtherGap", "compare_rounds", "self_other_gap", "self_other_gaps"]


@dataclass(frozen=True)
class ChangeResult:
    """Change in one condition between two independent rounds (see :func:`compare_rounds`).

    ``difference`` is after minus before; ``beyond_noise`` is True when the confidence
    interval of the difference excludes 0.
    """

    difference: float
    ci_low: float
    ci_high: float
    hedges_g: float
    welch_t: float
    welch_df: float
    p_value: float
    n_before: int
    n_after: int
    beyond_noise: bool


def _present(values: npt.ArrayLike, name: str) -> FloatArray:
    x = as_float_1d(values, name)
    return x[~np.isnan(x)]


def compare_rounds(
    before_scores: npt.ArrayLike, after_scores: npt.ArrayLike, *, confidence: float = 0.95
) -> ChangeResult:
    """Compare one condition between two rounds: difference, interval, Hedges' g, Welch test.

    Parameters
    ----------
    before_scores, after_scores : array-like, shape (n,)
        Respondents' condition scores in each round, treated as independent samples
        (respondents are anonymous, so rounds cannot be paired). NaN values are dropped.
    confidence : float, default 0.95
        Coverage of the interval of the difference.

    Returns
    -------
    ChangeResult

    Raises
    ------
    ValueError
        If a round has fewer than two scores, or both rounds have no variance (the
        difference then has no standard error).

    Notes
    -----
    With means :math:`\\bar x_1, \\bar x_2`, variances :math:`s_1^2, s_2^2` (divisor n - 1)
    and sizes :math:`n_1, n_2` (1 = before, 2 = after):

    .. math::
        d = \\bar x_2 - \\bar x_1, \\quad SE = \\sqrt{s_1^2/n_1 + s_2^2/n_2},\\quad t = d/SE

        \\nu = \\frac{(s_1^2/n_1 + s_2^2/n_2)^2}
                    {(s_1^2/n_1)^2/(n_1-1) + (s_2^2/n_2)^2/(n_2-1)}

    (Welch 1947); the interval is :math:`d \\pm t_{(1+\\gamma)/2,\\nu} SE` and the p-value
    is two-sided. Hedges' g is Cohen's d on the pooled SD,
    :math:`s_p = \\sqrt{((n_1-1)s_1^2 + (n_2-1)s_2^2)/(n_1+n_2-2)}`, times the small-sample
    correction :math:`J = 1 - 3/(4(n_1+n_2) - 9)` (Hedges and Olkin 1985, eq. 5.10's
    usual approximation, as in pingouin).

    References
    ----------
    Welch, B. L. (1947). The generalization of 'Student's' problem when several different
    population variances are involved. *Biometrika*, 34(1-2), 28-35.
    Hedges, L. V., & Olkin, I. (1985). *Statistical Methods for Meta-Analysis*. Academic
    Press.

    Examples
    --------
    >>> r = compare_rounds([2, 3, 3, 2, 4], [4, 4, 3, 5, 4])
    >>> round(r.difference, 2), r.beyond_noise
    (1.2, True)

    Validated against: ``scipy.stats.ttest_ind(equal_var=False)`` and pingouin's
    ``ttest`` (t, df, p, CI) and ``compute_effsize(eftype="hedges")`` to 1e-9.
    """
    gamma = check_confidence(confidence)
    x1 = _present(before_scores, "before_scores")
    x2 = _present(after_scores, "after_scores")
    for name, x in (("before_scores", x1), ("after_scores", x2)):
        if x.size < 2:
            raise ValueError(f"{name} needs at least two non-missing scores; got {x.size}")
    n1, n2 = x1.size, x2.size
    v1, v2 = float(np.var(x1, ddof=1)), float(np.var(x2, ddof=1))
    if v1 == 0.0 and v2 == 0.0:
        raise ValueError(
            "both rounds have constant scores, so the change has no standard error; "
            "report the two means instead of a test"
        )
    diff = float(x2.mean() - x1.mean())
    a1, a2 = v1 / n1, v2 / n2
    se = float(np.sqrt(a1 + a2))
    df = (a1 + a2) ** 2 / (a1**2 / (n1 - 1) + a2**2 / (n2 - 1))
    t = diff / se
    p = float(2.0 * stats.t.sf(abs(t), df))
    half = float(stats.t.ppf(0.5 + gamma / 2.0, df)) * se
    pooled = np.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2))
    g = diff / pooled * (1.0 - 3.0 / (4.0 * (n1 + n2) - 9.0))
    low, high = diff - half, diff + half
    return ChangeResult(
        difference=diff, ci_low=low, ci_high=high, hedges_g=float(g), welch_t=float(t),
        welch_df=float(df), p_value=p, n_before=int(n1), n_after=int(n2),
        beyond_noise=bool(low > 0.0 or high < 0.0),
    )


@dataclass(frozen=True)
class SelfOtherGap:
    """Self-rating against the ratings of others, for one condition.

    Attributes
    ----------
    key : str
        Condition key ("" when computed from bare scores).
    self_mean : float
        Mean of the self scores (usually one leader's score).
    other_mean : float
        Mean of the others' scores.
    gap : float
        ``self_mean - other_mean``: positive when the self rates the condition higher
        than others do (a possible blind spot), negative when lower (a hidden strength).
    n_self, n_other : int
        Scores used on each side.
    other_ci_low, other_ci_high : float
        t-based interval of the others' mean (NaN if fewer than two others).
    self_outside_others_interval : bool
        True when the self mean lies outside the others' interval: the gap is larger than
        the uncertainty in the others' mean.
    """

    key: str
    self_mean: float
    other_mean: float
    gap: float
    n_self: int
    n_other: int
    other_ci_low: float
    other_ci_high: float
    self_outside_others_interval: bool


def self_other_gap(
    self_scores: npt.ArrayLike,
    other_scores: npt.ArrayLike,
    *,
    key: str = "",
    confidence: float = 0.95,
) -> SelfOtherGap:
    """Gap between self-ratings and others' ratings of one condition.

    Parameters
    ----------
    self_scores : float or array-like
        The self score(s) for the condition (one leader, or several self-raters). NaN
        values are dropped.
    other_scores : array-like
        The condition scores given by others (members, stakeholders). NaN dropped.
    key : str, optional
        Condition key, carried into the result.
    confidence : float, default 0.95
        Coverage of the interval around the others' mean.

    Returns
    -------
    SelfOtherGap

    Raises
    ------
    ValueError
        If either side has no scores.

    Notes
    -----
    .. math:: \\text{gap} = \\bar x_{self} - \\bar x_{others}

    The others' interval is :math:`\\bar x_o \\pm t_{(1+\\gamma)/2, n_o-1} s_o/\\sqrt{n_o}`.
    A single self-rating has no sampling error of its own, so the comparison asks whether
    the self score falls inside the range of plausible values for the others' mean; this
    is descriptive feedback in the tradition of 360-degree self-other agreement research
    (Fleenor et al. 2010), not a hypothesis test.

    References
    ----------
    Fleenor, J. W., Smither, J. W., Atwater, L. E., Braddy, P. W., & Sturm, R. E. (2010).
    Self-other rating agreement in leadership: A review. *The Leadership Quarterly*,
    21(6), 1005-1034.

    Examples
    --------
    >>> g = self_other_gap(4.6, [3.2, 3.8, 3.0, 3.4, 3.6])
    >>> round(g.gap, 2), g.self_outside_others_interval
    (1.2, True)

    Validated against: hand calculation and ``scipy.stats.t.interval``.
    """
    gamma = check_confidence(confidence)
    s = _present(self_scores, "self_scores")
    o = _present(other_scores, "other_scores")
    if s.size == 0:
        raise ValueError("self_scores has no non-missing score")
    if o.size == 0:
        raise ValueError("other_scores has no non-missing score")
    self_mean, other_mean = float(s.mean()), float(o.mean())
    if o.size >= 2:
        half = float(stats.t.ppf(0.5 + gamma / 2.0, o.size - 1)) * float(
            np.std(o, ddof=1)) / np.sqrt(o.size)
        low, high = other_mean - half, other_mean + half
        outside = bool(self_mean < low or self_mean > high)
    else:
        low = high = float("nan")
        outside = False
    return SelfOtherGap(
        key=key, self_mean=self_mean, other_mean=other_mean, gap=self_mean - other_mean,
        n_self=int(s.size), n_other=int(o.size), other_ci_low=float(low),
        other_ci_high=float(high), self_outside_others_interval=outside,
    )


def self_other_gaps(self_profile: GroupProfile, others_profile: GroupProfile
                    ) -> tuple[SelfOtherGap, ...]:
    """Self-other gap for every condition of two profiles of the same instrument.

    Uses the condition means and intervals already in the profiles
    (:func:`tracelead.analysis.condition_profile` of the self rows and of the others'
    rows). Conditions without a score on either side are skipped. The definitions are
    those of :func:`self_other_gap`.

    Examples
    --------
    >>> from tracelead.analysis import condition_profile
    >>> me = condition_profile([[5, 4]], ["task", "route"])
    >>> them = condition_profile([[3, 4], [4, 4], [3, 5]], ["task", "route"])
    >>> [(g.key, round(g.gap, 2)) for g in self_other_gaps(me, them)]
    [('task', 1.67), ('route', -0.33)]

    Validated against: :func:`self_other_gap` on the same scores in the tests.
    """
    gaps = []
    for mine in self_profile.conditions:
        try:
            theirs = others_profile.condition(mine.key)
        except KeyError:
            continue
        if mine.n == 0 or theirs.n == 0:
            continue
        outside = bool(not np.isnan(theirs.ci_low)
                       and (mine.mean < theirs.ci_low or mine.mean > theirs.ci_high))
        gaps.append(SelfOtherGap(
            key=mine.key, self_mean=mine.mean, other_mean=theirs.mean,
            gap=mine.mean - theirs.mean, n_self=mine.n, n_other=theirs.n,
            other_ci_low=theirs.ci_low, other_ci_high=theirs.ci_high,
            self_outside_others_interval=outside,
        ))
    return tuple(gaps)
