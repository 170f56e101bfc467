"""Programme evaluation: paired change in self-ratings (Kirkpatrick level 2) and the
trend of ratings across a programme's events (level 1).

Pure NumPy and SciPy; no Django.

References
----------
Kirkpatrick, D. L. & Kirkpatrick, J. D. (2006). *Evaluating Training Programs: The Four
Levels* (3rd ed.). Berrett-Koehler.
Cohen, J. (1988). *Statistical Power Analysis for the Behavioral Sciences* (2nd ed.).
Lakens, D. (2013). Calculating and reporting effect sizes to facilitate cumulative science:
a practical primer for t-tests and ANOVAs. *Frontiers in Psychology*, 4, 863.
Howard, G. S. (1980). Response-shift bias: a problem in evaluating interventions with
pre/post self-reports. *Evaluation Review*, 4(1), 93-106 (the retrospective
"then-and-now" design).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ._scipy import stats

__all__ = ["PairedChange", "RatingSummary", "paired_change", "rating_summary"]


@dataclass(frozen=True)
class PairedChange:
    """The change in one self-rating between two moments, paired per person.

    Attributes
    ----------
    n : int
        People with both ratings.
    mean_before, mean_after : float
        Means of the paired ratings.
    mean_change : float
        :math:`\\bar d`, the mean of ``after - before``.
    sd_change : float
        :math:`s_d`, the sample standard deviation of the differences (ddof 1); NaN if
        n < 2.
    ci_low, ci_high : float
        The 95% interval of the mean change,
        :math:`\\bar d \\pm t_{0.975,\\,n-1}\\, s_d / \\sqrt n`; NaN if n < 2.
    t, p : float
        The paired t statistic :math:`\\bar d / (s_d/\\sqrt n)` and its two-sided p;
        NaN if n < 2 or :math:`s_d = 0`.
    d_z : float
        Cohen's :math:`d_z = \\bar d / s_d`, the standardised mean change for paired
        data (Lakens 2013, eq. 6); NaN if n < 2 or :math:`s_d = 0`.
    """

    n: int
    mean_before: float
    mean_after: float
    mean_change: float
    sd_change: float
    ci_low: float
    ci_high: float
    t: float
    p: float
    d_z: float

    @property
    def beyond_chance(self) -> bool:
        """True when the 95% interval excludes no change."""
        return bool(self.n >= 2 and (self.ci_low > 0 or self.ci_high < 0))


def paired_change(before: npt.ArrayLike, after: npt.ArrayLike, *,
                  confidence: float = 0.95) -> PairedChange:
    """Mean paired change with its interval and effect size.

    ``before[i]`` and ``after[i]`` are one person's ratings; pairs with a missing value
    (NaN) on either side are left out.

    >>> r = paired_change([2, 3, 3, 4], [3, 4, 5, 4])
    >>> r.n, r.mean_change, round(r.sd_change, 4), round(r.d_z, 4)
    (4, 1.0, 0.8165, 1.2247)
    """
    b = np.asarray(before, dtype=np.float64).ravel()
    a = np.asarray(after, dtype=np.float64).ravel()
    if b.shape != a.shape:
        raise ValueError(f"before and after must be paired: {b.size} and {a.size} values")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    keep = np.isfinite(b) & np.isfinite(a)
    b, a = b[keep], a[keep]
    n = int(b.size)
    nan = math.nan
    if n == 0:
        return PairedChange(0, nan, nan, nan, nan, nan, nan, nan, nan, nan)
    d = a - b
    mean = float(d.mean())
    if n < 2:
        return PairedChange(n, float(b.mean()), float(a.mean()), mean, nan, nan, nan, nan,
                            nan, nan)
    sd = float(d.std(ddof=1))
    se = sd / math.sqrt(n)
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * se
    if sd > 0:
        t = mean / se
        p = float(2 * stats.t.sf(abs(t), n - 1))
        d_z = mean / sd
    else:
        t = p = d_z = nan
    return PairedChange(n, float(b.mean()), float(a.mean()), mean, sd, mean - half,
                        mean + half, t, p, d_z)


@dataclass(frozen=True)
class RatingSummary:
    """Ratings of one question at one event: count, mean and the share at the top two
    points of the scale."""

    n: int
    mean: float
    sd: float
    top_two_share: float


def rating_summary(values: Sequence[float] | npt.ArrayLike, *, scale_max: int
                   ) -> RatingSummary:
    """Count, mean, standard deviation (ddof 1) and the share rating ``scale_max - 1`` or
    more ("top two box").

    >>> rating_summary([5, 4, 3, 5], scale_max=5)
    RatingSummary(n=4, mean=4.25, sd=0.9574271077563381, top_two_share=0.75)
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    n = int(v.size)
    if n == 0:
        return RatingSummary(0, math.nan, math.nan, math.nan)
    sd = float(v.std(ddof=1)) if n > 1 else math.nan
    return RatingSummary(n, float(v.mean()), sd, float((v >= scale_max - 1).mean()))
