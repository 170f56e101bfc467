"""Reach of a development programme: progress against a target, a forecast to the target
date with its uncertainty, representation against the workforce, and attendance flows.

Everything here works on plain counts and arrays; :mod:`tracelead.academy.selectors`
fetches them from the database. The methods are explained for readers in
``docs/statistics.md`` (section "Reach").
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal

import numpy as np
import numpy.typing as npt

from ._scipy import stats
from ._validation import BoolArray, FloatArray, IntArray, check_choice, check_confidence

__all__ = [
    "FOUR_FIFTHS",
    "MIN_EXPECTED",
    "SIGNIFICANCE",
    "Dispersion",
    "ForecastStatus",
    "ProgrammeFlow",
    "ReachForecast",
    "Representation",
    "effort_per_participant_hour",
    "programme_flow",
    "reach_fan",
    "reach_forecast",
    "representation",
    "share_target_people",
    "weekly_counts",
]

#: A group is under-represented only when its representation ratio is below this: the
#: "four-fifths rule" for adverse impact (Uniform Guidelines on Employee Selection
#: Procedures, 29 CFR 1607.4(D), 1978).
FOUR_FIFTHS = 0.8
#: ... and at least this many of the reached would be expected from it if reach followed
#: the workforce (fewer, and no shortfall can be told from chance).
MIN_EXPECTED = 5.0
#: ... and the one-sided exact binomial test of its shortfall has a p-value below this.
SIGNIFICANCE = 0.05

ForecastStatus = Literal["forecast", "met", "date_passed", "no_pace"]
Dispersion = Literal["quasi", "poisson"]
DISPERSIONS: tuple[str, ...] = ("quasi", "poisson")


def _count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 0:
        raise ValueError(f"{name} must be a whole number of at least 0; got {value!r}")
    return int(value)


def _counts_1d(values: npt.ArrayLike, name: str) -> IntArray:
    arr = np.asarray(values)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got an array of shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{name} must hold whole numbers of people")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr != np.round(arr)):
        raise ValueError(f"{name} must hold whole numbers of people, 0 or more")
    return arr.astype(np.int64)


# --- Targets ---------------------------------------------------------------------------


def share_target_people(share_percent: float | Decimal | Fraction | str,
                        workforce_total: int) -> int:
    """How many people a target of a share of the workforce asks for.

    Parameters
    ----------
    share_percent : number
        The share, in percent (2 means 2%). Decimals and strings are read exactly.
    workforce_total : int
        The whole workforce (for an academy: the sum of its organisations' headcounts).

    Returns
    -------
    int
        :math:`\\lceil s/100 \\times W \\rceil`: rounded up, since reaching 2% of 1,001
        people means reaching 21 of them, not 20.02.

    Examples
    --------
    >>> share_target_people(2, 80_000)
    1600
    >>> share_target_people("2.5", 1_001)
    26
    """
    total = _count(workforce_total, "workforce_total")
    if isinstance(share_percent, bool):
        raise ValueError("share_percent must be a number from 0 to 100")
    try:
        share = Fraction(str(share_percent)) if isinstance(share_percent, float | str) \
            else Fraction(share_percent)
    except (TypeError, ValueError, ZeroDivisionError) as exc:
        raise ValueError(f"share_percent must be a number from 0 to 100; got {share_percent!r}"
                         ) from exc
    if not 0 < share <= 100:
        raise ValueError(f"share_percent must be more than 0 and at most 100; got {share_percent}")
    return math.ceil(share * total / 100)


# --- Progress --------------------------------------------------------------------------


def weekly_counts(day_offsets: npt.ArrayLike, weeks: int) -> IntArray:
    """How many people were newly reached in each week, from the day each was reached.

    Parameters
    ----------
    day_offsets : array-like of int
        For each person, the day they were reached, counted from the first day (0) of
        week 0. Days before 0 or in week ``weeks`` or later are left out.
    weeks : int
        Number of weeks to count.

    Returns
    -------
    ndarray of int, shape (weeks,)
        Week *i* covers days :math:`7i` to :math:`7i + 6`.

    Examples
    --------
    >>> weekly_counts([0, 3, 7, 20, 21, -1], 3).tolist()
    [2, 1, 1]
    """
    days = np.asarray(day_offsets, dtype=np.int64).reshape(-1)
    if isinstance(weeks, bool) or not isinstance(weeks, numbers.Integral) or weeks < 0:
        raise ValueError(f"weeks must be a whole number of at least 0; got {weeks!r}")
    week = days // 7
    week = week[(week >= 0) & (week < int(weeks))]
    return np.bincount(week, minlength=int(weeks)).astype(np.int64)


@dataclass(frozen=True)
class ReachForecast:
    """Where reach is heading by the target date (see :func:`reach_forecast`).

    Attributes
    ----------
    status : {"forecast", "met", "date_passed", "no_pace"}
        ``met``: the target is already reached; ``date_passed``: the date is past and the
        target was not met; ``no_pace``: nobody was newly reached in the window, so
        there is no pace to project; ``forecast``: the rest.
    reached, target : int
        People reached so far, and people the target asks for.
    weeks_ahead : float
        Weeks from now to the target date (0 once it has passed).
    window_weeks : float
        :math:`T`, the weeks the pace was measured over.
    window_new : int
        :math:`n`, the people newly reached in those weeks.
    rate_per_week : float
        :math:`n/T`.
    dispersion : float
        :math:`\\phi`, how much more the weekly counts vary than a Poisson process's
        (1 with ``dispersion="poisson"``).
    expected : float
        Point forecast of the people reached by the date: :math:`c + n h / T`.
    low, high : int
        The prediction interval of the people reached by the date.
    probability : float
        Probability that the target is met by the date (NaN with ``no_pace``).
    confidence : float
        Coverage of the interval.
    """

    status: ForecastStatus
    reached: int
    target: int
    weeks_ahead: float
    window_weeks: float
    window_new: int
    rate_per_week: float
    dispersion: float
    expected: float
    low: int
    high: int
    probability: float
    confidence: float

    @property
    def shortfall(self) -> int:
        """People still to reach (0 once met)."""
        return max(0, self.target - self.reached)


@dataclass(frozen=True)
class _Pace:
    n: int
    t: float
    phi: float


def _pace(weekly_new: npt.ArrayLike, window: int, current_week_fraction: float,
          dispersion: str) -> _Pace:
    counts = _counts_1d(weekly_new, "weekly_new")
    if isinstance(window, bool) or not isinstance(window, numbers.Integral) or window < 1:
        raise ValueError(f"window must be a whole number of weeks, at least 1; got {window!r}")
    fraction = float(current_week_fraction)
    if not 0.0 < fraction <= 1.0:
        raise ValueError("current_week_fraction must be more than 0 and at most 1; got "
                         f"{current_week_fraction!r}")
    check_choice(dispersion, "dispersion", DISPERSIONS)
    recent = counts[-int(window):]
    k = recent.size
    if k == 0:
        return _Pace(0, 0.0, 1.0)
    exposure = np.ones(k)
    exposure[-1] = fraction
    n = int(recent.sum())
    t = float(exposure.sum())
    phi = 1.0
    if dispersion == "quasi" and k >= 2 and n > 0:
        fitted = n / t * exposure
        pearson = float(np.sum((recent - fitted) ** 2 / fitted))
        phi = max(1.0, pearson / (k - 1))
    return _Pace(n, t, phi)


def _predict(pace: _Pace, horizons: FloatArray, gamma: float
             ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Mean and interval of the people newly reached within each horizon (weeks)."""
    h = np.maximum(horizons, 0.0)
    mean = pace.n * h / pace.t
    r = pace.n / pace.phi
    p = pace.t / (pace.t + h)
    tail = (1.0 - gamma) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        low = pace.phi * stats.nbinom.ppf(tail, r, p)
        high = pace.phi * stats.nbinom.ppf(1.0 - tail, r, p)
    # h = 0: nothing more can happen (p = 1 gives a point mass at 0).
    low = np.where(h > 0, np.floor(low), 0.0)
    high = np.where(h > 0, np.ceil(high), 0.0)
    return mean, low, high


def reach_forecast(
    weekly_new: npt.ArrayLike,
    *,
    reached: int,
    target: int,
    weeks_ahead: float,
    window: int = 12,
    current_week_fraction: float = 1.0,
    confidence: float = 0.95,
    dispersion: Dispersion = "quasi",
) -> ReachForecast:
    """Forecast the people reached by the target date, with a prediction interval and the
    probability of meeting the target.

    Parameters
    ----------
    weekly_new : array-like of int, shape (weeks,)
        People newly reached in each week so far, oldest first; the last week is the
        current one.
    reached : int
        :math:`c`, people reached so far.
    target : int
        People the target asks for.
    weeks_ahead : float
        :math:`h`, weeks from now to the target date (0 or less: the date has passed).
    window : int, default 12
        The pace is measured over the last ``window`` weeks (all of them if fewer).
    current_week_fraction : float, default 1.0
        The share of the current (last) week that has passed, so that a week only begun
        does not drag the pace down.
    confidence : float, default 0.95
        Coverage of the prediction interval.
    dispersion : {"quasi", "poisson"}, default "quasi"
        ``"poisson"``: new people arrive one by one as a Poisson process. ``"quasi"``:
        the same, with the variance scaled by the over-dispersion of the weekly counts,
        since people are reached in batches (at events) rather than one at a time.

    Returns
    -------
    ReachForecast

    Notes
    -----
    New people reached are treated as a Poisson process with an unknown weekly rate
    :math:`\\lambda`. Over the window, :math:`n` people were newly reached in :math:`T`
    weeks (the current week counting for the share of it that has passed). With the
    scale-invariant prior :math:`p(\\lambda) \\propto 1/\\lambda`, the posterior of the
    rate is :math:`\\text{Gamma}(\\text{shape}=n, \\text{rate}=T)`, whose mean is the pace
    observed, :math:`n/T`. The number :math:`X` newly reached in the next :math:`h`
    weeks, Poisson with mean :math:`\\lambda h` given the rate, then has the
    negative-binomial predictive distribution (the gamma-Poisson mixture)

    .. math::
        P(X = x) = \\binom{x + n - 1}{x} \\left(\\frac{T}{T+h}\\right)^{n}
                   \\left(\\frac{h}{T+h}\\right)^{x},

    that is :math:`X \\sim NB(r = n, p = T/(T+h))`, with mean :math:`nh/T` and
    variance :math:`nh/T \\cdot (1 + h/T)`: Poisson noise plus the uncertainty of the
    pace. The point forecast is :math:`c + nh/T`; the interval runs between the
    :math:`(1-\\gamma)/2` and :math:`(1+\\gamma)/2` quantiles of :math:`c + X`, and the
    probability of meeting a target :math:`m` is :math:`P(X \\ge m - c)`.

    People come to events in groups, so weekly counts usually vary more than a Poisson
    process allows, and the Poisson interval is then too narrow. With
    ``dispersion="quasi"`` the over-dispersion is estimated as in a quasi-Poisson model
    (McCullagh and Nelder 1989, section 4.5), from the Pearson statistic of the
    :math:`k` weekly counts :math:`x_i` with exposures :math:`t_i`:

    .. math::
        \\hat\\phi = \\max\\left(1, \\frac{1}{k-1} \\sum_i
        \\frac{(x_i - t_i n/T)^2}{t_i n/T}\\right),

    and people are counted in batches of :math:`\\hat\\phi`: :math:`X = \\hat\\phi Y`
    with :math:`Y \\sim NB(n/\\hat\\phi, T/(T+h))`. The mean is unchanged and the
    variance is multiplied by :math:`\\hat\\phi`. When the weekly counts vary no more
    than a Poisson process's, :math:`\\hat\\phi = 1` and both options agree. Interval
    ends are rounded outwards to whole people.

    Nobody newly reached in the window (:math:`n = 0`) leaves no pace to project, and
    the status is ``no_pace``. The forecast assumes the recent pace goes on: a
    programme planned to grow or end is not foreseen.

    References
    ----------
    Gelman, A., et al. (2013). *Bayesian Data Analysis* (3rd ed.), section 2.6 (the
    Poisson model, its gamma posterior and negative-binomial predictive distribution).
    CRC Press.
    McCullagh, P., & Nelder, J. A. (1989). *Generalized Linear Models* (2nd ed.),
    section 4.5 (over-dispersion). Chapman and Hall.

    Examples
    --------
    One person reached in the one week so far, one week to go: :math:`X` is geometric
    with :math:`p = 1/2`, so 3 more people (5 to 8) has probability :math:`(1/2)^3`.

    >>> f = reach_forecast([1], reached=5, target=8, weeks_ahead=1)
    >>> f.expected, f.low, f.high, f.probability
    (6.0, 5, 10, 0.125)

    Validated against: a hand calculation of the negative-binomial sums
    (``tests/analysis/test_reach.py``), and a Monte Carlo simulation of gamma rates and
    Poisson (and batched) arrivals, to the tolerances stated there.
    """
    gamma = check_confidence(confidence)
    c = _count(reached, "reached")
    m = _count(target, "target")
    try:
        h = float(weeks_ahead)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"weeks_ahead must be a number of weeks; got {weeks_ahead!r}") from exc
    if math.isnan(h) or math.isinf(h):
        raise ValueError(f"weeks_ahead must be a finite number of weeks; got {weeks_ahead!r}")
    pace = _pace(weekly_new, window, current_week_fraction, dispersion)
    rate = pace.n / pace.t if pace.t > 0 else 0.0
    met = c >= m

    def result(status: ForecastStatus, ahead: float, expected: float, low: int, high: int,
               probability: float) -> ReachForecast:
        return ReachForecast(
            status=status, reached=c, target=m, weeks_ahead=ahead, window_weeks=pace.t,
            window_new=pace.n, rate_per_week=rate, dispersion=pace.phi, expected=expected,
            low=low, high=high, probability=probability, confidence=gamma)

    if h <= 0:
        return result("met" if met else "date_passed", 0.0, float(c), c, c,
                      1.0 if met else 0.0)
    if pace.n == 0:
        return result("met" if met else "no_pace", h, float(c), c, c,
                      1.0 if met else math.nan)
    mean, low, high = _predict(pace, np.array([h]), gamma)
    need = m - c
    if need <= 0:
        probability = 1.0
    else:
        # P(phi * Y >= need) = P(Y >= ceil(need / phi)) = sf(ceil(need / phi) - 1).
        steps = math.ceil(need / pace.phi - 1e-9)
        p = pace.t / (pace.t + h)
        probability = float(stats.nbinom.sf(steps - 1, pace.n / pace.phi, p))
    return result("met" if met else "forecast", h, c + float(mean[0]), c + int(low[0]),
                  c + int(high[0]), probability)


def reach_fan(
    weekly_new: npt.ArrayLike,
    *,
    reached: int,
    weeks_ahead: npt.ArrayLike,
    window: int = 12,
    current_week_fraction: float = 1.0,
    confidence: float = 0.95,
    dispersion: Dispersion = "quasi",
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The forecast of :func:`reach_forecast` at several horizons at once, for a chart.

    Parameters
    ----------
    weekly_new, reached, window, current_week_fraction, confidence, dispersion
        As in :func:`reach_forecast`.
    weeks_ahead : array-like of float
        Horizons in weeks from now.

    Returns
    -------
    expected, low, high : ndarray of float
        People reached by each horizon: the point forecast and the interval. With no
        pace (nobody newly reached in the window) all three stay at ``reached``.

    Examples
    --------
    >>> expected, low, high = reach_fan([1], reached=5, weeks_ahead=[0, 1])
    >>> expected.tolist(), low.tolist(), high.tolist()
    ([5.0, 6.0], [5.0, 5.0], [5.0, 10.0])
    """
    gamma = check_confidence(confidence)
    c = _count(reached, "reached")
    h = np.asarray(weeks_ahead, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(h)):
        raise ValueError("weeks_ahead must hold finite numbers of weeks")
    pace = _pace(weekly_new, window, current_week_fraction, dispersion)
    if pace.n == 0:
        flat = np.full(h.shape, float(c))
        return flat, flat.copy(), flat.copy()
    mean, low, high = _predict(pace, h, gamma)
    return c + mean, c + low, c + high


# --- Representation against the workforce -------------------------------------------


@dataclass(frozen=True)
class Representation:
    """Reach of each category (organisation, sector, staff group, place) against its share
    of the workforce (see :func:`representation`). Arrays are in the order given.

    Attributes
    ----------
    reached, workforce : ndarray of int
        People reached, and headcount (0: no figure).
    reached_share : ndarray of float
        Share of the people reached (among categories with a headcount).
    workforce_share : ndarray of float
        Share of the workforce.
    coverage : ndarray of float
        Share of the category's own workforce reached, :math:`r_i / w_i`.
    ratio : ndarray of float
        Representation ratio: reached share over workforce share (1: in proportion).
    expected : ndarray of float
        People that would have been reached had reach followed the workforce.
    p_value : ndarray of float
        One-sided exact binomial test of a shortfall, :math:`P(X \\le r_i)`.
    under : ndarray of bool
        Under-represented by the rule of :func:`representation`.
    missing : ndarray of bool
        A headcount, but nobody reached.
    total_reached, total_workforce : int
        :math:`R` and :math:`W`, over the categories with a headcount.
    left_out : int
        People reached in categories with no headcount (outside the shares).
    """

    reached: IntArray
    workforce: IntArray
    reached_share: FloatArray
    workforce_share: FloatArray
    coverage: FloatArray
    ratio: FloatArray
    expected: FloatArray
    p_value: FloatArray
    under: BoolArray
    missing: BoolArray
    total_reached: int
    total_workforce: int
    left_out: int


def representation(
    reached: npt.ArrayLike,
    workforce: npt.ArrayLike,
    *,
    ratio_below: float = FOUR_FIFTHS,
    min_expected: float = MIN_EXPECTED,
    alpha: float = SIGNIFICANCE,
) -> Representation:
    """Compare who was reached with who works in the system, category by category.

    Parameters
    ----------
    reached : array-like of int, shape (k,)
        People reached in each category.
    workforce : array-like of int, shape (k,)
        Headcount of each category; 0 for a category with no figure, which is left out
        of the shares (its people reached are counted in ``left_out``).
    ratio_below : float, default 0.8
        Representation ratio under which a category may be called under-represented.
    min_expected : float, default 5
        Fewest people a category should have had reached, had reach followed the
        workforce, for a shortfall to be judged at all.
    alpha : float, default 0.05
        Significance level of the one-sided binomial test.

    Returns
    -------
    Representation

    Notes
    -----
    With :math:`r_i` reached and :math:`w_i` employed in category :math:`i`, and
    :math:`R = \\sum r_i`, :math:`W = \\sum w_i` over categories with a headcount:

    .. math::
        \\text{ratio}_i = \\frac{r_i / R}{w_i / W} = \\frac{r_i / w_i}{R / W},
        \\qquad E_i = R\\, w_i / W .

    A category is **under-represented** when all three hold: its ratio is below
    ``ratio_below`` (0.8, the "four-fifths rule" used to screen for adverse impact);
    :math:`E_i \\ge` ``min_expected`` (with fewer expected, a shortfall of a person or
    two means nothing); and the shortfall is unlikely by chance: if each of the
    :math:`R` people reached came from category :math:`i` with probability
    :math:`w_i/W`, the count would be :math:`\\text{Binomial}(R, w_i/W)`, and
    :math:`P(X \\le r_i) <` ``alpha``. The test is not corrected for the number of
    categories: the rule screens for whom to look at, alongside the ratio and the
    expected count, rather than proving a difference. A category is **missing** when it
    has a headcount and nobody was reached.

    References
    ----------
    Equal Employment Opportunity Commission et al. (1978). Uniform Guidelines on
    Employee Selection Procedures, 29 CFR 1607.4(D) (the four-fifths rule).
    Morris, S. B., & Lobsenz, R. E. (2000). Significance tests and confidence intervals
    for the adverse impact ratio. *Personnel Psychology*, 53(1), 89-111.

    Examples
    --------
    >>> rep = representation([40, 10, 0], [500, 400, 100])
    >>> rep.ratio.round(2).tolist(), rep.under.tolist(), rep.missing.tolist()
    ([1.6, 0.5, 0.0], [False, True, True], [False, False, True])

    Validated against: hand calculations and ``scipy.stats.binomtest`` for the p-values
    (``tests/analysis/test_reach.py``).
    """
    r = _counts_1d(reached, "reached")
    w = _counts_1d(workforce, "workforce")
    if r.shape != w.shape:
        raise ValueError(f"reached and workforce must have the same length; got {r.size} "
                         f"and {w.size}")
    for name, value in (("ratio_below", ratio_below), ("min_expected", min_expected)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0:
            raise ValueError(f"{name} must be a number of at least 0; got {value!r}")
    level = check_confidence(alpha)
    has = w > 0
    big_r = int(r[has].sum())
    big_w = int(w[has].sum())
    left_out = int(r[~has].sum())
    nan = np.full(r.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        workforce_share = np.where(has, w / big_w, nan) if big_w else nan.copy()
        reached_share = np.where(has, r / big_r, nan) if big_r else nan.copy()
        coverage = np.where(has, r / np.where(has, w, 1), nan)
        ratio = reached_share / workforce_share
        expected = np.where(has, big_r * workforce_share, nan)
    p_value = nan.copy()
    if big_r and big_w:
        p_value[has] = stats.binom.cdf(r[has], big_r, w[has] / big_w)
    with np.errstate(invalid="ignore"):
        under = has & (ratio < float(ratio_below)) & (expected >= float(min_expected)) & (
            p_value < level)
    missing = has & (r == 0)
    return Representation(
        reached=r, workforce=w, reached_share=reached_share, workforce_share=workforce_share,
        coverage=coverage, ratio=ratio, expected=expected, p_value=p_value,
        under=np.asarray(under, dtype=np.bool_), missing=missing, total_reached=big_r,
        total_workforce=big_w, left_out=left_out,
    )


# --- Attendance -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgrammeFlow:
    """Who came to each session of a programme (see :func:`programme_flow`).

    Attributes
    ----------
    attended : ndarray of int, shape (sessions,)
        People at each session.
    newcomers : ndarray of int
        People at their first session of the programme.
    returning : ndarray of int
        People who had come to an earlier session.
    dropped : ndarray of int
        People at the previous session who did not come to this one (0 for the first).
    core : ndarray of bool, shape (people,)
        Came to every session.
    sessions_attended : ndarray of int, shape (people,)
        Sessions each person came to.
    """

    attended: IntArray
    newcomers: IntArray
    returning: IntArray
    dropped: IntArray
    core: BoolArray
    sessions_attended: IntArray


def programme_flow(attendance: npt.ArrayLike) -> ProgrammeFlow:
    """Newcomers, returners, drop-off and the core group of a series of sessions.

    Parameters
    ----------
    attendance : array-like of bool, shape (people, sessions)
        Who came to which session, sessions in the order they were held.

    Returns
    -------
    ProgrammeFlow

    Notes
    -----
    With :math:`a_{ij}` true when person :math:`i` came to session :math:`j`: a
    newcomer at :math:`j` has :math:`a_{ij}` and no :math:`a_{il}` for :math:`l < j`;
    a drop-off at :math:`j > 0` has :math:`a_{i,j-1}` and not :math:`a_{ij}`; the core
    group came to every session, :math:`\\bigwedge_j a_{ij}`. Newcomers summed over the
    sessions count everyone who came at least once.

    Examples
    --------
    >>> flow = programme_flow([[1, 1, 1], [1, 0, 1], [0, 1, 0]])
    >>> flow.newcomers.tolist(), flow.dropped.tolist(), flow.core.tolist()
    ([2, 1, 0], [0, 1, 1], [True, False, False])
    """
    a = np.asarray(attendance)
    if a.ndim != 2:
        raise ValueError("attendance must be two-dimensional (people x sessions); got an "
                         f"array of shape {a.shape}")
    if a.size and not np.isin(a, (0, 1)).all():
        raise ValueError("attendance must hold true/false (or 1/0) for each person and session")
    a = a.astype(np.bool_)
    people, sessions = a.shape
    if sessions == 0:
        empty = np.zeros(0, dtype=np.int64)
        return ProgrammeFlow(empty, empty.copy(), empty.copy(), empty.copy(),
                             np.zeros(people, dtype=np.bool_), np.zeros(people, dtype=np.int64))
    seen_before = np.zeros_like(a)
    seen_before[:, 1:] = np.logical_or.accumulate(a, axis=1)[:, :-1]
    newcomers = (a & ~seen_before).sum(axis=0)
    dropped = np.zeros(sessions, dtype=np.int64)
    dropped[1:] = (a[:, :-1] & ~a[:, 1:]).sum(axis=0)
    attended = a.sum(axis=0)
    return ProgrammeFlow(
        attended=attended.astype(np.int64), newcomers=newcomers.astype(np.int64),
        returning=(attended - newcomers).astype(np.int64), dropped=dropped,
        core=np.asarray(a.all(axis=1), dtype=np.bool_),
        sessions_attended=a.sum(axis=1).astype(np.int64),
    )


def effort_per_participant_hour(effort_hours: npt.ArrayLike, attendees: npt.ArrayLike,
                                event_hours: npt.ArrayLike) -> tuple[FloatArray, float]:
    """Coordination effort per participant-hour, event by event and overall.

    Parameters
    ----------
    effort_hours : array-like of float, shape (events,)
        Hours of coordination spent on each event (all kinds).
    attendees : array-like of int, shape (events,)
        People who came to each event.
    event_hours : array-like of float, shape (events,)
        Length of each event in hours.

    Returns
    -------
    per_event : ndarray of float
        :math:`e_j / (a_j d_j)`; NaN for an event nobody came to.
    overall : float
        :math:`\\sum e_j / \\sum a_j d_j` (NaN when nobody came to any): the effort of
        all events spread over all the participant-hours, so larger events weigh more.

    Examples
    --------
    >>> per_event, overall = effort_per_participant_hour([12, 6], [20, 0], [3, 2])
    >>> per_event.tolist()[0], round(overall, 2)
    (0.2, 0.3)
    """
    e = np.asarray(effort_hours, dtype=np.float64).reshape(-1)
    a = np.asarray(attendees, dtype=np.float64).reshape(-1)
    d = np.asarray(event_hours, dtype=np.float64).reshape(-1)
    if not (e.shape == a.shape == d.shape):
        raise ValueError("effort_hours, attendees and event_hours must have the same length")
    for name, arr in (("effort_hours", e), ("attendees", a), ("event_hours", d)):
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise ValueError(f"{name} must hold numbers of at least 0")
    hours = a * d
    with np.errstate(divide="ignore", invalid="ignore"):
        per_event = np.where(hours > 0, e / np.where(hours > 0, hours, 1.0), np.nan)
    total = float(hours.sum())
    overall = float(e.sum()) / total if total > 0 else math.nan
    return per_event, overall
