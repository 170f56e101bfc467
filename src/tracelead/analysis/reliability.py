"""Reliability: internal consistency of scales and intraclass correlations of groups."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ._validation import FloatArray, as_float_1d, as_float_2d, check_choice

__all__ = [
    "cronbach_alpha",
    "icc1",
    "icc1_icc2_from_sums",
    "icc2",
    "mcdonald_omega",
    "pairwise_covariance",
    "shrout_fleiss_icc",
]


def pairwise_covariance(x: FloatArray) -> FloatArray:
    """Covariance matrix using, for each pair of columns, the rows where both are present.

    The means are those of the pair-complete rows, as in ``pandas.DataFrame.cov``. Entries
    with fewer than two pair-complete rows are NaN.
    """
    present = ~np.isnan(x)
    m = present.astype(np.float64)
    filled = np.where(present, x, 0.0)
    n_pair = m.T @ m
    sums = filled.T @ m  # sums[i, j]: sum of column i over rows where i and j are present
    products = filled.T @ filled
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (products - sums * sums.T / n_pair) / (n_pair - 1.0)
    return np.where(n_pair >= 2, cov, np.nan)


def cronbach_alpha(items: npt.ArrayLike, nan_policy: str = "listwise") -> float:
    """Cronbach's alpha of a scale.

    Parameters
    ----------
    items : array-like, shape (n_respondents, n_items)
        Item scores; NaN = missing.
    nan_policy : {"listwise", "pairwise"}, default "listwise"
        ``"listwise"`` drops respondents with any missing item; ``"pairwise"`` builds the
        covariance matrix from all respondents who answered each pair of items.

    Returns
    -------
    float
        Alpha; 1 for identical items. It can be negative when items covary negatively.

    Raises
    ------
    ValueError
        With fewer than two items, fewer than two usable respondents, a total score with
        no variance (constant answers), or an unknown ``nan_policy``.

    Notes
    -----
    With k items and covariance matrix C,

    .. math::
        \\alpha = \\frac{k}{k-1}\\left(1 - \\frac{\\operatorname{tr} C}{\\sum_{ij} C_{ij}}\\right)

    which equals the usual form with item variances and the variance of the total score.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16(3), 297-334.

    Examples
    --------
    >>> round(cronbach_alpha([[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 5]]), 4)
    0.9825

    Validated against: pingouin ``cronbach_alpha`` (both NaN policies) to 1e-9.
    """
    policy = check_choice(nan_policy, "nan_policy", ("listwise", "pairwise"))
    x = as_float_2d(items, "items", "respondents", "items")
    k = x.shape[1]
    if k < 2:
        raise ValueError(f"cronbach_alpha needs at least two items; got {k}")
    if policy == "listwise":
        x = x[~np.isnan(x).any(axis=1)]
        if x.shape[0] < 2:
            raise ValueError(
                f"cronbach_alpha needs at least two respondents with every item answered; "
                f"got {x.shape[0]} (try nan_policy='pairwise')"
            )
        cov = np.cov(x, rowvar=False, ddof=1)
    else:
        cov = pairwise_covariance(x)
        if np.isnan(cov).any():
            raise ValueError("cronbach_alpha needs at least two respondents answering every "
                             "pair of items")
    total = float(cov.sum())
    if total <= 0.0:
        raise ValueError("the total score has no variance (constant answers), so alpha is "
                         "undefined")
    return float(k / (k - 1) * (1.0 - np.trace(cov) / total))


def mcdonald_omega(items: npt.ArrayLike, *, max_iter: int = 1000, tol: float = 1e-10) -> float:
    """McDonald's omega total from a one-factor model.

    Parameters
    ----------
    items : array-like, shape (n_respondents, n_items)
        Item scores; respondents with any missing item are dropped (listwise).
    max_iter : int, default 1000
        Iterations of the factor estimation.
    tol : float, default 1e-10
        Convergence tolerance on the communalities.

    Returns
    -------
    float
        Omega total in [0, 1].

    Raises
    ------
    ValueError
        With fewer than three items (a one-factor model needs three to be identified),
        fewer than ``n_items + 1`` complete respondents, or an item without variance.

    Notes
    -----
    The one-factor model :math:`C = \\lambda\\lambda^\\top + \\Psi` is fitted to the
    *correlation* matrix R by iterated principal axis factoring: start from squared
    multiple correlations :math:`h_i^2 = 1 - 1/(R^{-1})_{ii}`, put the communalities on
    the diagonal, take the first eigenpair :math:`(e, v)` and set
    :math:`\\lambda = v\\sqrt{e}`, :math:`h^2 = \\lambda^2`, until the communalities change
    by less than ``tol``. At convergence this is the unweighted least squares (minres)
    solution. Communalities are capped at 1 (a Heywood case). Then

    .. math::
        \\omega_t = \\frac{(\\sum_i \\lambda_i)^2}
            {(\\sum_i \\lambda_i)^2 + \\sum_i (1 - \\lambda_i^2)}

    the share of the variance of the (standardised) total score due to the common factor,
    as reported by ``psych::omega`` with one factor and by Revelle and Zinbarg (2009).

    References
    ----------
    McDonald, R. P. (1999). *Test Theory: A Unified Treatment*. Erlbaum, chapter 6.
    Revelle, W., & Zinbarg, R. E. (2009). Coefficients alpha, beta, omega, and the glb.
    *Psychometrika*, 74(1), 145-154.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(500, 1))
    >>> x = f @ [[0.8, 0.7, 0.6, 0.5]] + rng.normal(scale=0.6, size=(500, 4))
    >>> 0.7 < mcdonald_omega(x) < 0.9
    True

    Validated against: data built to have an exactly one-factor correlation matrix with
    known loadings (omega recovered to 1e-8), and equality with alpha for standardised
    tau-equivalent items (``tests/analysis/test_reliability.py``).
    """
    x = as_float_2d(items, "items", "respondents", "items")
    k = x.shape[1]
    if k < 3:
        raise ValueError(f"mcdonald_omega needs at least three items for a one-factor model; "
                         f"got {k}")
    x = x[~np.isnan(x).any(axis=1)]
    if x.shape[0] <= k:
        raise ValueError(f"mcdonald_omega needs more complete respondents than items; got "
                         f"{x.shape[0]} for {k} items")
    sd = x.std(axis=0, ddof=1)
    if (sd == 0).any():
        raise ValueError(f"item {int(np.nonzero(sd == 0)[0][0])} has no variance (constant "
                         "answers), so omega is undefined")
    r: FloatArray = np.asarray(np.corrcoef(x, rowvar=False), dtype=np.float64)
    try:
        h2 = 1.0 - 1.0 / np.diag(np.linalg.inv(r))
    except np.linalg.LinAlgError:
        h2 = np.max(np.abs(r - np.eye(k)), axis=0)
    h2 = np.clip(h2, 0.0, 1.0)
    loadings = np.sqrt(h2)
    for _ in range(max_iter):
        reduced = r.copy()
        np.fill_diagonal(reduced, h2)
        values, vectors = np.linalg.eigh(reduced)
        loadings = vectors[:, -1] * np.sqrt(max(values[-1], 0.0))
        new_h2 = np.minimum(loadings**2, 1.0)
        done = float(np.max(np.abs(new_h2 - h2))) < tol
        h2 = new_h2
        if done:
            break
    if loadings.sum() < 0:
        loadings = -loadings
    common = float(loadings.sum()) ** 2
    unique = float(np.sum(1.0 - np.minimum(loadings**2, 1.0)))
    return common / (common + unique)


def icc1_icc2_from_sums(
    n: npt.ArrayLike, sums: npt.ArrayLike, sumsq: npt.ArrayLike, cluster: npt.ArrayLike,
    n_clusters: int,
) -> tuple[FloatArray, FloatArray]:
    """Vectorised ICC(1) and ICC(2) for many clusters of groups from sufficient statistics.

    Each group g has ``n[g]`` values with sum ``sums[g]`` and sum of squares
    ``sumsq[g]``; ``cluster[g]`` (0..n_clusters-1, or -1 to leave the group out) says which
    one-way ANOVA it belongs to. Groups with n = 0 are ignored. Returns arrays of length
    ``n_clusters``, NaN where a cluster has fewer than two groups or no within-group
    degrees of freedom. ``n``, ``sums`` and ``sumsq`` may also have shape (G, C), for C
    variables at once (each column its own ANOVA); the results then have shape
    (n_clusters, C). Used by :func:`icc1`, :func:`icc2` and the many-groups report.
    """
    n_g = np.asarray(n, dtype=np.float64)
    s_g = np.asarray(sums, dtype=np.float64)
    q_g = np.asarray(sumsq, dtype=np.float64)
    one_column = n_g.ndim == 1
    if one_column:
        n_g, s_g, q_g = n_g[:, None], s_g[:, None], q_g[:, None]
    cols = n_g.shape[1]
    c = np.asarray(cluster, dtype=np.int64)
    keep = (n_g > 0) & (c >= 0)[:, None]
    # One bincount over (cluster, column) pairs.
    cell = (c[:, None] * cols + np.arange(cols))[keep]
    n_g, s_g, q_g = n_g[keep], s_g[keep], q_g[keep]
    bins = n_clusters * cols

    def add(weights: FloatArray | None = None) -> FloatArray:
        return np.bincount(cell, weights=weights, minlength=bins).astype(np.float64).reshape(
            n_clusters, cols)

    groups = add()
    total_n = add(n_g)
    total_s = add(s_g)
    between_part = s_g**2 / n_g
    with np.errstate(invalid="ignore", divide="ignore"):
        ss_between = add(between_part) - total_s**2 / total_n
        ss_within = add(q_g - between_part)
        ms_between = np.maximum(ss_between, 0.0) / (groups - 1.0)
        ms_within = np.maximum(ss_within, 0.0) / (total_n - groups)
        k = total_n / groups
        icc_1 = (ms_between - ms_within) / (ms_between + (k - 1.0) * ms_within)
        icc_2 = (ms_between - ms_within) / ms_between
    valid = (groups >= 2) & (total_n > groups)
    icc_1 = np.where(valid, icc_1, np.nan).astype(np.float64)
    icc_2 = np.where(valid, icc_2, np.nan).astype(np.float64)
    if one_column:
        return icc_1[:, 0], icc_2[:, 0]
    return icc_1, icc_2


def _oneway(values: npt.ArrayLike, groups: npt.ArrayLike) -> tuple[float, float]:
    x = as_float_1d(values, "values")
    g = np.asarray(groups)
    if g.ndim != 1 or g.shape[0] != x.shape[0]:
        raise ValueError(f"groups must give one group label per value ({x.shape[0]}); got "
                         f"shape {g.shape}")
    keep = ~np.isnan(x)
    if g.dtype.kind == "f":
        keep &= ~np.isnan(g)
    x, g = x[keep], g[keep]
    if x.size == 0:
        raise ValueError("values has no non-missing value")
    _, code = np.unique(g, return_inverse=True)
    code = code.reshape(-1)
    n_groups = int(code.max()) + 1
    if n_groups < 2:
        raise ValueError("ICC needs at least two groups with values; got 1")
    if x.size <= n_groups:
        raise ValueError(f"ICC needs more values than groups (some group with two or more); "
                         f"got {x.size} values in {n_groups} groups")
    centre = x.mean()  # centring keeps the sums of squares accurate
    xc = x - centre
    n_g = np.bincount(code, minlength=n_groups)
    s_g = np.bincount(code, weights=xc, minlength=n_groups)
    q_g = np.bincount(code, weights=xc * xc, minlength=n_groups)
    if float(q_g.sum()) == 0.0:
        raise ValueError("values are constant, so there is no variance to partition")
    one, two = icc1_icc2_from_sums(n_g, s_g, q_g, np.zeros(n_groups, dtype=np.int64), 1)
    return float(one[0]), float(two[0])


def icc1(values: npt.ArrayLike, groups: npt.ArrayLike) -> float:
    """ICC(1): the share of variance in individual values due to group membership.

    Parameters
    ----------
    values : array-like, shape (n,)
        One value per respondent (for example a condition score); NaN dropped.
    groups : array-like, shape (n,)
        The group label of each respondent (any sortable labels). Groups may differ in
        size.

    Returns
    -------
    float
        ICC(1); it can be negative when groups differ less than chance.

    Raises
    ------
    ValueError
        With fewer than two groups, no group of two or more, constant values, or
        mismatched lengths.

    Notes
    -----
    From the one-way ANOVA of values by group, with N values in G groups:

    .. math::
        MSB = \\frac{\\sum_g n_g(\\bar x_g - \\bar x)^2}{G-1},\\quad
        MSW = \\frac{\\sum_g\\sum_i (x_{gi} - \\bar x_g)^2}{N-G},\\quad
        ICC(1) = \\frac{MSB - MSW}{MSB + (k-1)\\,MSW}

    with k the mean group size N/G, as in ``multilevel::ICC1`` (Bliese 2000). For groups
    of equal size this is Shrout and Fleiss's ICC(1,1).

    References
    ----------
    Bliese, P. D. (2000). Within-group agreement, non-independence, and reliability:
    Implications for data aggregation and analysis. In K. J. Klein & S. W. J. Kozlowski
    (Eds.), *Multilevel Theory, Research, and Methods in Organizations* (pp. 349-381).
    Jossey-Bass.
    Bliese, P. D. (2022). multilevel: Multilevel Functions. R package, ``ICC1``.

    Examples
    --------
    >>> round(icc1([1, 2, 3, 4, 5, 6], ["a", "a", "a", "b", "b", "b"]), 4)
    0.8065

    Validated against: pingouin ``intraclass_corr`` ICC1 on balanced groups, and
    ``scipy.stats.f_oneway`` (ICC(2) = 1 - 1/F) on unbalanced groups, to 1e-9.
    """
    return _oneway(values, groups)[0]


def icc2(values: npt.ArrayLike, groups: npt.ArrayLike) -> float:
    """ICC(2): the reliability of the group means.

    Parameters
    ----------
    values, groups : array-like, shape (n,)
        As for :func:`icc1`.

    Returns
    -------
    float
        ICC(2) = (MSB - MSW) / MSB, equivalently 1 - 1/F.

    Raises
    ------
    ValueError
        As for :func:`icc1`.

    Notes
    -----
    .. math:: ICC(2) = \\frac{MSB - MSW}{MSB}

    with MSB and MSW from the one-way ANOVA of :func:`icc1`, as in ``multilevel::ICC2``
    (Bliese 2000). For equal group sizes it is Shrout and Fleiss's ICC(1,k).

    References
    ----------
    Bliese, P. D. (2000), see :func:`icc1`.

    Examples
    --------
    >>> round(icc2([1, 2, 3, 4, 5, 6], ["a", "a", "a", "b", "b", "b"]), 4)
    0.9259

    Validated against: ``scipy.stats.f_oneway`` (1 - 1/F) and pingouin ICC1k, to 1e-9.
    """
    return _oneway(values, groups)[1]


def shrout_fleiss_icc(ratings: npt.ArrayLike) -> dict[str, float]:
    """The six intraclass correlations of Shrout and Fleiss (1979).

    Parameters
    ----------
    ratings : array-like, shape (n_targets, k_judges)
        Each judge rates each target. Targets with any missing rating are dropped.

    Returns
    -------
    dict
        Keys ``"ICC(1,1)"``, ``"ICC(2,1)"``, ``"ICC(3,1)"``, ``"ICC(1,k)"``,
        ``"ICC(2,k)"`` and ``"ICC(3,k)"``.

    Raises
    ------
    ValueError
        With fewer than two complete targets or two judges, or no variance.

    Notes
    -----
    With n targets, k judges and the mean squares of the two-way ANOVA (BMS between
    targets, JMS between judges, EMS residual; WMS within targets of the one-way ANOVA):

    .. math::
        ICC(1,1) &= \\frac{BMS - WMS}{BMS + (k-1)WMS}\\qquad
        ICC(1,k) = \\frac{BMS - WMS}{BMS}\\\\
        ICC(2,1) &= \\frac{BMS - EMS}{BMS + (k-1)EMS + k(JMS - EMS)/n}\\qquad
        ICC(2,k) = \\frac{BMS - EMS}{BMS + (JMS - EMS)/n}\\\\
        ICC(3,1) &= \\frac{BMS - EMS}{BMS + (k-1)EMS}\\qquad
        ICC(3,k) = \\frac{BMS - EMS}{BMS}

    The computation is two matrix reductions, so a million targets by 35 judges takes
    well under a second.

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: Uses in assessing
    rater reliability. *Psychological Bulletin*, 86(2), 420-428.

    Examples
    --------
    >>> data = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9],
    ...         [6, 2, 4, 7]]
    >>> {k: round(v, 2) for k, v in shrout_fleiss_icc(data).items()}["ICC(3,1)"]
    0.71

    Validated against: Shrout and Fleiss (1979, Table 4) and pingouin
    ``intraclass_corr`` to 1e-9.
    """
    x = as_float_2d(ratings, "ratings", "targets", "judges")
    x = x[~np.isnan(x).any(axis=1)]
    n, k = x.shape
    if n < 2:
        raise ValueError(f"shrout_fleiss_icc needs at least two targets with every rating "
                         f"present; got {n}")
    if k < 2:
        raise ValueError(f"shrout_fleiss_icc needs at least two judges; got {k}")
    x = x - x.mean()
    row_means = x.mean(axis=1)
    col_means = x.mean(axis=0)
    ss_total = float((x * x).sum())
    ss_rows = k * float((row_means**2).sum())
    ss_cols = n * float((col_means**2).sum())
    ss_error = ss_total - ss_rows - ss_cols
    bms = ss_rows / (n - 1)
    jms = ss_cols / (k - 1)
    ems = ss_error / ((n - 1) * (k - 1))
    wms = (ss_total - ss_rows) / (n * (k - 1))
    if bms == 0.0 or ss_total == 0.0:
        raise ValueError("the targets do not differ (no between-target variance), so the "
                         "ICCs are undefined")
    return {
        "ICC(1,1)": (bms - wms) / (bms + (k - 1) * wms),
        "ICC(2,1)": (bms - ems) / (bms + (k - 1) * ems + k * (jms - ems) / n),
        "ICC(3,1)": (bms - ems) / (bms + (k - 1) * ems),
        "ICC(1,k)": (bms - wms) / bms,
        "ICC(2,k)": (bms - ems) / (bms + (jms - ems) / n),
        "ICC(3,k)": (bms - ems) / bms,
    }
