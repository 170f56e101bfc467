"""Within-group agreement: how far a group shares a view (the *sharedness* of a result).

rwg and rwg(j) compare the observed variance of a group's ratings with the variance that
would be expected if everyone answered at random (a uniform "null" distribution over the
response options). The bands for reading them come from LeBreton and Senter (2008).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from ._validation import (
    FloatArray,
    as_float_1d,
    as_float_2d,
    check_on_scale,
    check_scale_points,
)

__all__ = [
    "AGREEMENT_BANDS",
    "SHARED_ABOVE",
    "WIDELY_SHARED_ABOVE",
    "AgreementBand",
    "Sharedness",
    "agreement_band",
    "rwg",
    "rwg_from_counts",
    "rwg_j",
    "rwg_j_from_variances",
    "sharedness",
    "uniform_null_variance",
]

AgreementBand = Literal[
    "lack of agreement", "weak agreement", "moderate agreement", "strong agreement",
    "very strong agreement",
]

#: Upper bounds (inclusive) of the LeBreton and Senter (2008, Table 3) bands.
AGREEMENT_BANDS: tuple[tuple[float, AgreementBand], ...] = (
    (0.30, "lack of agreement"),
    (0.50, "weak agreement"),
    (0.70, "moderate agreement"),
    (0.90, "strong agreement"),
    (1.00, "very strong agreement"),
)


#: rwg(j) above this counts as *shared*: the top of LeBreton and Senter's "weak agreement"
#: band, so only moderate (> .50) or better agreement counts. The product's one cut-point.
SHARED_ABOVE = 0.50
#: rwg(j) above this counts as *widely shared*: the top of their "moderate agreement" band.
WIDELY_SHARED_ABOVE = 0.70

Sharedness = Literal["widely shared", "partly shared", "not shared"]


def sharedness(rwg_j: float) -> Sharedness:
    """A condition's sharedness in words, from its rwg(j) (NaN: "not shared").

    Examples
    --------
    >>> sharedness(0.82), sharedness(0.6), sharedness(0.5), sharedness(float("nan"))
    ('widely shared', 'partly shared', 'not shared', 'not shared')
    """
    if not rwg_j > SHARED_ABOVE:  # also NaN
        return "not shared"
    return "widely shared" if rwg_j > WIDELY_SHARED_ABOVE else "partly shared"


def uniform_null_variance(scale_points: int) -> float:
    """Variance of the discrete uniform distribution on 1..A: (A^2 - 1) / 12.

    Parameters
    ----------
    scale_points : int
        Number of response options A (at least 2).

    Returns
    -------
    float
        The expected variance of ratings given entirely at random.

    Notes
    -----
    .. math:: \\sigma^2_{EU} = (A^2 - 1) / 12

    References
    ----------
    James, L. R., Demaree, R. G., & Wolf, G. (1984). Estimating within-group interrater
    reliability with and without response bias. *Journal of Applied Psychology*, 69(1),
    85-98.

    Examples
    --------
    >>> uniform_null_variance(5)
    2.0

    Validated against: the published value 2.0 for a five-point scale (LeBreton and
    Senter 2008, Table 2).
    """
    a = check_scale_points(scale_points)
    return (a * a - 1) / 12.0


def rwg(ratings: npt.ArrayLike, scale_points: int = 5) -> float:
    """Single-item within-group agreement rwg (James, Demaree and Wolf 1984).

    Parameters
    ----------
    ratings : array-like, shape (n_respondents,)
        One item's ratings within one group, whole numbers 1..A; NaN = missing (ignored).
    scale_points : int, default 5
        Number of response options A.

    Returns
    -------
    float
        rwg in [0, 1]; 1 means perfect agreement.

    Raises
    ------
    ValueError
        If fewer than two ratings are present, if a rating is off the scale, or if
        ``scale_points`` is below 2.

    Notes
    -----
    .. math:: r_{wg} = 1 - s_x^2 / \\sigma^2_{EU}, \\qquad \\sigma^2_{EU} = (A^2 - 1)/12

    where :math:`s_x^2` is the sample variance (divisor n - 1) of the ratings. Values
    below 0 (more variance than random answering) are truncated to 0, as James et al.
    (1984) recommend.

    References
    ----------
    James, L. R., Demaree, R. G., & Wolf, G. (1984). *Journal of Applied Psychology*,
    69(1), 85-98.
    LeBreton, J. M., & Senter, J. L. (2008). Answers to 20 questions about interrater
    reliability and interrater agreement. *Organizational Research Methods*, 11(4),
    815-852.

    Examples
    --------
    >>> rwg([4, 4, 5, 4, 3], scale_points=5)
    0.75

    Validated against: hand calculation, and the R package multilevel's ``rwg`` (which
    uses the same formula) on the worked values in ``tests/analysis/test_agreement.py``.
    """
    a = check_scale_points(scale_points)
    x = as_float_1d(ratings, "ratings")
    check_on_scale(x, a, "ratings")
    x = x[~np.isnan(x)]
    if x.size < 2:
        raise ValueError(
            f"rwg needs at least two ratings in the group; got {x.size} (a single respondent "
            "or all missing has no within-group variance)"
        )
    value = 1.0 - float(np.var(x, ddof=1)) / uniform_null_variance(a)
    return min(max(value, 0.0), 1.0)


def rwg_from_counts(counts: npt.ArrayLike, scale_points: int = 5) -> FloatArray:
    """rwg of many items (in many groups) at once, from how often each answer was given.

    Parameters
    ----------
    counts : array-like, shape (..., A)
        ``counts[..., k]`` is the number of answers ``k + 1``; the last axis has one entry
        per response option.
    scale_points : int, default 5
        Number of response options A (the length of the last axis).

    Returns
    -------
    ndarray of float, shape (...)
        rwg for each item, truncated to [0, 1]; NaN where fewer than two answers.

    Raises
    ------
    ValueError
        If the last axis is not ``scale_points`` long, or a count is negative.

    Notes
    -----
    The same statistic as :func:`rwg`, with the sample variance taken from the counts:

    .. math:: \\bar x = \\frac{\\sum_k c_k k}{n}, \\qquad
              s_x^2 = \\frac{\\sum_k c_k k^2 - n \\bar x^2}{n - 1}

    References
    ----------
    James, L. R., Demaree, R. G., & Wolf, G. (1984). *Journal of Applied Psychology*,
    69(1), 85-98.

    Examples
    --------
    >>> rwg_from_counts([[0, 0, 1, 3, 1]]).tolist()  # the ratings 3, 4, 4, 4, 5
    [0.75]

    Validated against: :func:`rwg` on the expanded ratings (property test in
    ``tests/analysis/test_agreement.py``).
    """
    a = check_scale_points(scale_points)
    c = np.asarray(counts, dtype=float)
    if c.ndim < 1 or c.shape[-1] != a:
        raise ValueError(f"counts must have {a} entries (one per response option) on their "
                         f"last axis; got shape {c.shape}")
    if (c < 0).any() or not np.isfinite(c).all():
        raise ValueError("counts must be finite and 0 or more")
    values = np.arange(1, a + 1, dtype=float)
    n = c.sum(axis=-1)
    total = c @ values
    squares = c @ (values * values)
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = (squares - total * total / n) / (n - 1)
        result = np.clip(1.0 - variance / uniform_null_variance(a), 0.0, 1.0)
    out: FloatArray = np.where(n >= 2, result, np.nan)
    return out


def rwg_j_from_variances(
    mean_variance: npt.ArrayLike, n_items: npt.ArrayLike, null_variance: float
) -> FloatArray:
    """Vectorised rwg(j) from the mean item variance and the number of items.

    Used by :func:`rwg_j`, :func:`tracelead.analysis.condition_profile` and
    :func:`tracelead.analysis.groups_report`, so all three agree exactly. NaN in, NaN out;
    where the mean variance exceeds the null variance the result is 0.
    """
    s2 = np.asarray(mean_variance, dtype=np.float64)
    j = np.asarray(n_items, dtype=np.float64)
    ratio = s2 / null_variance
    with np.errstate(invalid="ignore", divide="ignore"):
        num = j * (1.0 - ratio)
        out = num / (num + ratio)
    # 0/0 happens only if j == 0 (no usable items); leave NaN there.
    out = np.where(ratio > 1.0, 0.0, out)
    out = np.where(np.isnan(s2) | (j < 1), np.nan, out)
    return np.asarray(out, dtype=np.float64)


def rwg_j(ratings: npt.ArrayLike, scale_points: int = 5) -> float:
    """Multi-item within-group agreement rwg(j) (James, Demaree and Wolf 1984).

    Parameters
    ----------
    ratings : array-like, shape (n_respondents, n_items)
        The ratings of one group on J parallel items, whole numbers 1..A; NaN = missing.
    scale_points : int, default 5
        Number of response options A.

    Returns
    -------
    float
        rwg(j) in [0, 1].

    Raises
    ------
    ValueError
        If no item has at least two ratings, if a rating is off the scale, or if
        ``scale_points`` is below 2.

    Notes
    -----
    With :math:`\\bar{s}^2_{x_j}` the mean of the item sample variances (divisor n - 1)
    and :math:`\\sigma^2_{EU} = (A^2-1)/12`:

    .. math::
        r_{wg(J)} = \\frac{J\\,(1 - \\bar{s}^2_{x_j}/\\sigma^2_{EU})}
            {J\\,(1 - \\bar{s}^2_{x_j}/\\sigma^2_{EU}) + \\bar{s}^2_{x_j}/\\sigma^2_{EU}}

    When :math:`\\bar{s}^2_{x_j} > \\sigma^2_{EU}` the formula can leave [0, 1]; the
    result is then set to 0 (Lindell, Brandt and Whitney 1999 discuss why). Missing data:
    each item's variance uses the respondents who answered it; items with fewer than two
    answers are left out and J counts only the items used.

    References
    ----------
    James, L. R., Demaree, R. G., & Wolf, G. (1984). *Journal of Applied Psychology*,
    69(1), 85-98.
    Lindell, M. K., Brandt, C. J., & Whitney, D. J. (1999). A revised index of interrater
    agreement for multi-item ratings of a single target. *Applied Psychological
    Measurement*, 23(2), 127-135.

    Examples
    --------
    >>> round(rwg_j([[4, 4], [4, 5], [5, 4], [3, 4]], scale_points=5), 4)
    0.8706

    Validated against: hand calculation in ``tests/analysis/test_agreement.py`` and the
    formula of the R package multilevel's ``rwg.j``.
    """
    a = check_scale_points(scale_points)
    x = as_float_2d(ratings, "ratings", "respondents", "items")
    check_on_scale(x, a, "ratings")
    answered = (~np.isnan(x)).sum(axis=0)
    usable = answered >= 2
    if not usable.any():
        raise ValueError(
            "rwg_j needs at least one item with two or more ratings in the group; "
            f"got {x.shape[0]} respondent(s) with answers per item {answered.tolist()}"
        )
    variances = np.nanvar(x[:, usable], axis=0, ddof=1)
    result = rwg_j_from_variances(float(variances.mean()), int(usable.sum()),
                                  uniform_null_variance(a))
    return float(result)


def agreement_band(rwg_j: float) -> AgreementBand:
    """Name the conventional agreement band of an rwg or rwg(j) value.

    Parameters
    ----------
    rwg_j : float
        An agreement index in [0, 1].

    Returns
    -------
    str
        One of ``"lack of agreement"`` (0 to .30), ``"weak agreement"`` (.31 to .50),
        ``"moderate agreement"`` (.51 to .70), ``"strong agreement"`` (.71 to .90) and
        ``"very strong agreement"`` (.91 to 1.00).

    Raises
    ------
    ValueError
        If the value is NaN or outside [0, 1].

    Notes
    -----
    The published bands are written to two decimals, which leaves gaps (.30 to .31, ...).
    Here each band's upper bound is inclusive: a value is in the first band whose upper
    bound (.30, .50, .70, .90, 1.00) it does not exceed, so .305 is weak agreement.

    References
    ----------
    LeBreton, J. M., & Senter, J. L. (2008). *Organizational Research Methods*, 11(4),
    815-852, Table 3.

    Examples
    --------
    >>> agreement_band(0.62)
    'moderate agreement'

    Validated against: the band limits of LeBreton and Senter (2008, Table 3).
    """
    value = float(rwg_j)
    if np.isnan(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"rwg_j must be a number in [0, 1]; got {rwg_j!r}")
    for upper, name in AGREEMENT_BANDS:
        if value <= upper:
            return name
    return AGREEMENT_BANDS[-1][1]  # pragma: no cover - unreachable, value <= 1
