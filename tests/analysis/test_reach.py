"""Reach: the forecast to the target date, representation against the workforce, and the
flow of people through a programme's sessions.

The expected numbers are worked out by hand in each test (the negative-binomial sums are
written out with exact fractions, independent of SciPy), or simulated by Monte Carlo with
the tolerance stated beside the test.
"""

from __future__ import annotations

import doctest
import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

from tracelead.analysis import reach
from tracelead.analysis.reach import (
    effort_per_participant_hour,
    programme_flow,
    reach_fan,
    reach_forecast,
    representation,
    share_target_people,
    weekly_counts,
)


def nb_pmf(k: int, r: int, p: Fraction) -> Fraction:
    """P(X = k) for X ~ NB(r, p): C(k + r - 1, k) p^r (1 - p)^k, exactly."""
    return math.comb(k + r - 1, k) * p**r * (1 - p) ** k


def nb_quantile(q: float, r: int, p: Fraction) -> int:
    """The smallest k whose cumulative probability reaches q."""
    total, k = Fraction(0), 0
    while True:
        total += nb_pmf(k, r, p)
        if total >= Fraction(q):
            return k
        k += 1


def test_its_docstring_examples_run() -> None:
    result = doctest.testmod(reach, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted >= 10


# --- The forecast -------------------------------------------------------------------


def test_one_person_a_week_gives_a_geometric_forecast_worked_by_hand() -> None:
    # n = 1 in T = 1 week, h = 1 week ahead: p = T / (T + h) = 1/2, and NB(1, 1/2) is
    # geometric: P(X = k) = (1/2)^(k+1), P(X >= 3) = (1/2)^3 = 0.125.
    # Quantiles: P(X = 0) = 0.5 >= 0.025, so the 2.5% point is 0; the 97.5% point is the
    # least k with 1 - (1/2)^(k+1) >= 0.975, that is (1/2)^(k+1) <= 0.025: k = 5.
    f = reach_forecast([1], reached=5, target=8, weeks_ahead=1)
    assert f.status == "forecast"
    assert f.expected == 6.0
    assert (f.low, f.high) == (5, 10)
    assert f.probability == pytest.approx(0.125, abs=1e-12)
    assert f.rate_per_week == 1.0 and f.dispersion == 1.0 and f.shortfall == 3


def test_the_forecast_matches_the_negative_binomial_sums_written_out() -> None:
    # Weekly counts 2, 1, 3, 2: n = 8 in T = 4 weeks; they vary less than a Poisson
    # process's (Pearson 1/2 + 1/2 = 1 over 3 degrees of freedom), so phi = 1.
    # h = 2 weeks: p = 4 / 6 = 2/3; point forecast 20 + 8 * 2 / 4 = 24.
    # Meeting 30 needs X >= 10: 1 - sum_{k=0}^{9} C(k + 7, k) (2/3)^8 (1/3)^k.
    p = Fraction(2, 3)
    by_hand = 1 - sum(nb_pmf(k, 8, p) for k in range(10))
    f = reach_forecast([2, 1, 3, 2], reached=20, target=30, weeks_ahead=2)
    assert f.dispersion == 1.0
    assert (f.window_new, f.window_weeks) == (8, 4.0)
    assert f.expected == pytest.approx(24.0)
    assert f.probability == pytest.approx(float(by_hand), abs=1e-12)
    assert f.low == 20 + nb_quantile(0.025, 8, p)
    assert f.high == 20 + nb_quantile(0.975, 8, p)


def test_batched_arrivals_widen_the_interval_as_in_the_quasi_poisson_hand_calculation(
) -> None:
    # Weekly counts 0, 6, 0, 6: n = 12 in T = 4 weeks, mean 3 a week. Pearson statistic
    # (9 + 9 + 9 + 9) / 3 = 12 over k - 1 = 3 degrees of freedom: phi = 4, so people are
    # counted in batches of 4: Y ~ NB(12 / 4 = 3, p = 4 / (4 + 4) = 1/2) and X = 4 Y.
    # Meeting 50 from 30 needs X >= 20, Y >= 5:
    #   1 - (1/8)(1 + 3/2 + 6/4 + 10/8 + 15/16) = 1 - 99/128 = 29/128.
    # Y's cumulative probabilities run .125, .3125, .5, ..., .9673 (k = 8), .9807 (k = 9):
    # the 97.5% point is 9, so the interval is 30 + 4 * [0, 9] = [30, 66].
    f = reach_forecast([0, 6, 0, 6], reached=30, target=50, weeks_ahead=4)
    assert f.dispersion == pytest.approx(4.0)
    assert f.expected == pytest.approx(42.0)
    assert f.probability == pytest.approx(29 / 128, abs=1e-12)
    assert (f.low, f.high) == (30, 66)
    # The Poisson option ignores the batching: NB(12, 1/2), mean the same, narrower.
    poisson = reach_forecast([0, 6, 0, 6], reached=30, target=50, weeks_ahead=4,
                             dispersion="poisson")
    half = Fraction(1, 2)
    assert poisson.dispersion == 1.0 and poisson.expected == pytest.approx(42.0)
    assert poisson.probability == pytest.approx(
        float(1 - sum(nb_pmf(k, 12, half) for k in range(20))), abs=1e-12)
    assert (poisson.low, poisson.high) == (30 + nb_quantile(0.025, 12, half),
                                           30 + nb_quantile(0.975, 12, half))
    assert poisson.high - poisson.low < f.high - f.low


def test_the_forecast_agrees_with_a_monte_carlo_simulation_of_gamma_rates() -> None:
    # Draw the rate from its Gamma(shape n, rate T) posterior, then the people reached in
    # h weeks from Poisson(rate * h). With 400,000 draws the probability's standard error
    # is under 0.001: the tolerance 0.004 is four of them. Quantiles of whole people agree
    # within one person; the mean within 0.5%.
    weekly = [2, 3, 1, 4, 2, 3, 2, 1, 3, 4, 2, 3]  # n = 30 in T = 12 (phi = 1: see below)
    f = reach_forecast(weekly, reached=100, target=160, weeks_ahead=20)
    assert f.dispersion == 1.0
    rng = np.random.default_rng(20261202)
    rates = rng.gamma(shape=30, scale=1 / 12, size=400_000)
    future = rng.poisson(rates * 20)
    assert f.probability == pytest.approx(np.mean(100 + future >= 160), abs=0.004)
    assert f.expected == pytest.approx(100 + future.mean(), rel=0.005)
    low, high = np.quantile(future, [0.025, 0.975])
    assert abs(f.low - (100 + low)) <= 1 and abs(f.high - (100 + high)) <= 1


def test_the_quasi_interval_keeps_most_of_its_coverage_when_people_come_in_batches(
) -> None:
    # A world where events happen at Poisson(0.6) a week and each brings 8 new people.
    # From each simulated 12-week history, forecast 12 weeks ahead and check whether the
    # 95% interval holds what then happened. Over 600 histories (Monte Carlo error about
    # 1 point) the quasi-Poisson interval holds it about 90% of the time: a little under
    # 95%, since phi is estimated from only 12 weeks; the bound is 87% to 99%. The Poisson
    # interval, which takes the 8 people of one event for 8 independent arrivals, holds
    # it about half the time (bound: under 70%).
    rng = np.random.default_rng(7)
    hits = {"quasi": 0, "poisson": 0}
    runs = 0
    while runs < 600:
        history = 8 * rng.poisson(0.6, size=12)
        if history.sum() == 0:
            continue
        runs += 1
        future = int(8 * rng.poisson(0.6 * 12))
        for option in hits:
            f = reach_forecast(history, reached=int(history.sum()), target=10**6,
                               weeks_ahead=12, dispersion=option)  # type: ignore[arg-type]
            hits[option] += f.low <= f.reached + future <= f.high
    assert 0.87 <= hits["quasi"] / runs <= 0.99
    assert hits["poisson"] / runs < 0.70


def test_with_one_by_one_arrivals_both_intervals_hold_about_95_percent() -> None:
    # People arrive one by one (Poisson, 3 a week): phi is about 1 and both options give
    # about 95% coverage over 600 simulated histories (bound 92% to 99%).
    rng = np.random.default_rng(11)
    hits = {"quasi": 0, "poisson": 0}
    for _ in range(600):
        history = rng.poisson(3, size=12)
        future = int(rng.poisson(3 * 12))
        for option in hits:
            f = reach_forecast(history, reached=int(history.sum()), target=10**6,
                               weeks_ahead=12, dispersion=option)  # type: ignore[arg-type]
            hits[option] += f.low <= f.reached + future <= f.high
    assert 0.92 <= hits["quasi"] / 600 <= 0.99
    assert 0.92 <= hits["poisson"] / 600 <= 0.99


def test_nothing_reached_yet_leaves_no_pace_to_forecast() -> None:
    f = reach_forecast([0, 0, 0], reached=0, target=40, weeks_ahead=10)
    assert f.status == "no_pace"
    assert (f.expected, f.low, f.high) == (0.0, 0, 0)
    assert math.isnan(f.probability)
    assert reach_forecast([], reached=0, target=40, weeks_ahead=10).status == "no_pace"


def test_a_passed_target_date_reports_what_was_reached_with_certainty() -> None:
    missed = reach_forecast([3, 4], reached=7, target=40, weeks_ahead=-2)
    assert missed.status == "date_passed"
    assert (missed.expected, missed.low, missed.high, missed.probability) == (7.0, 7, 7, 0.0)
    made = reach_forecast([3, 4], reached=45, target=40, weeks_ahead=0)
    assert made.status == "met" and made.probability == 1.0


def test_a_target_already_met_is_certain_and_still_projected_forward() -> None:
    f = reach_forecast([5, 5], reached=50, target=40, weeks_ahead=4)
    assert f.status == "met"
    assert f.probability == 1.0
    assert f.expected == pytest.approx(70.0)  # 50 + 10 * 4 / 2
    assert f.low >= 50


def test_only_the_last_weeks_of_the_window_set_the_pace() -> None:
    f = reach_forecast([100, 1, 1, 1], reached=103, target=200, weeks_ahead=3, window=3)
    assert (f.window_new, f.window_weeks, f.rate_per_week) == (3, 3.0, 1.0)
    everything = reach_forecast([100, 1, 1, 1], reached=103, target=200, weeks_ahead=3,
                                window=12)
    assert everything.window_new == 103


def test_a_week_only_begun_counts_for_the_share_of_it_that_has_passed() -> None:
    # 2 people last week and 1 in the first half of this one: 3 in 1.5 weeks.
    f = reach_forecast([2, 1], reached=3, target=10, weeks_ahead=1, current_week_fraction=0.5)
    assert f.window_weeks == 1.5 and f.rate_per_week == pytest.approx(2.0)


def test_the_fan_grows_from_the_people_reached_now_to_the_forecast_at_the_date() -> None:
    weekly = [2, 1, 3, 2]
    expected, low, high = reach_fan(weekly, reached=20, weeks_ahead=[0, 1, 2])
    assert expected.tolist() == pytest.approx([20.0, 22.0, 24.0])
    assert low[0] == high[0] == 20.0
    assert np.all(np.diff(high) >= 0)
    single = reach_forecast(weekly, reached=20, target=30, weeks_ahead=2)
    assert (low[2], high[2]) == (single.low, single.high)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"weekly_new": [1, -1]}, "weekly_new must hold whole numbers"),
    ({"weekly_new": [1.5]}, "weekly_new must hold whole numbers"),
    ({"window": 0}, "window must be a whole number"),
    ({"confidence": 1.5}, "confidence must be strictly between 0 and 1"),
    ({"dispersion": "gaussian"}, "dispersion must be one of 'quasi', 'poisson'"),
    ({"reached": -1}, "reached must be a whole number"),
    ({"weeks_ahead": float("nan")}, "weeks_ahead must be a finite number"),
    ({"current_week_fraction": 0}, "current_week_fraction must be more than 0"),
])
def test_bad_forecast_input_is_refused_with_a_message_naming_it(kwargs: dict[str, object],
                                                                message: str) -> None:
    arguments: dict[str, object] = {"weekly_new": [1, 2], "reached": 3, "target": 10,
                                    "weeks_ahead": 4, **kwargs}
    with pytest.raises(ValueError, match=message):
        reach_forecast(**arguments)  # type: ignore[arg-type]


# --- Targets and weeks ----------------------------------------------------------------


def test_a_share_target_rounds_the_people_up() -> None:
    assert share_target_people(2, 80_000) == 1600
    assert share_target_people(Decimal("2.00"), 80_000) == 1600
    assert share_target_people(2.5, 1_001) == 26  # 25.025 people: 26 to reach the share
    assert share_target_people("100", 7) == 7
    assert share_target_people(Decimal("0.01"), 0) == 0
    with pytest.raises(ValueError, match="more than 0 and at most 100"):
        share_target_people(0, 100)
    with pytest.raises(ValueError, match="more than 0 and at most 100"):
        share_target_people(150, 100)


def test_weekly_counts_put_each_person_in_the_week_they_were_reached() -> None:
    assert weekly_counts([0, 6, 7, 13, 14, 30], 5).tolist() == [2, 2, 1, 0, 1]
    assert weekly_counts([], 2).tolist() == [0, 0]


# --- Representation -------------------------------------------------------------------


def test_representation_ratios_and_the_under_representation_rule_by_hand() -> None:
    # Hospital 500 staff, 40 reached; council 400, 10; charity 100, 0; practice 50, 2.
    # R = 52, W = 1050. Shares reached: 40/52, 10/52, 0, 2/52; of the workforce: 500/1050,
    # 400/1050, 100/1050, 50/1050. Ratios: (40/52)/(500/1050) = 1.615..., council
    # (10/52)/(400/1050) = 0.5048, charity 0, practice (2/52)/(50/1050) = 0.8077.
    # Expected: 52 * 400/1050 = 19.81 for the council, 4.95 for the charity, 2.48 for the
    # practice. The council is under-represented (ratio < 0.8, expected >= 5, and
    # P(Binomial(52, 400/1050) <= 10) is about 0.0013); the charity has nobody reached
    # (missing) but fewer than 5 were expected, so it is not called under-represented.
    rep = representation([40, 10, 0, 2], [500, 400, 100, 50])
    assert rep.total_reached == 52 and rep.total_workforce == 1050
    assert rep.ratio == pytest.approx([(40 / 52) / (500 / 1050), (10 / 52) / (400 / 1050),
                                       0.0, (2 / 52) / (50 / 1050)])
    assert rep.expected == pytest.approx([52 * 500 / 1050, 52 * 400 / 1050,
                                          52 * 100 / 1050, 52 * 50 / 1050])
    assert rep.coverage == pytest.approx([0.08, 0.025, 0.0, 0.04])
    for i, (r, w) in enumerate([(40, 500), (10, 400), (0, 100), (2, 50)]):
        assert rep.p_value[i] == pytest.approx(
            stats.binomtest(r, 52, w / 1050, alternative="less").pvalue, rel=1e-9)
    assert rep.under.tolist() == [False, True, False, False]
    assert rep.missing.tolist() == [False, False, True, False]


def test_a_small_shortfall_is_not_called_under_representation() -> None:
    # Ratio 0.75 but well within chance: 15 reached where 20 were expected of 100.
    rep = representation([15, 85], [200, 800])
    assert rep.ratio[0] == pytest.approx(0.75)
    assert rep.p_value[0] > 0.05
    assert not rep.under[0]


def test_people_in_categories_without_a_headcount_are_left_out_of_the_shares() -> None:
    rep = representation([3, 2, 5], [100, 100, 0])
    assert rep.total_reached == 5 and rep.left_out == 5
    assert rep.reached_share[:2].tolist() == [0.6, 0.4]
    assert math.isnan(rep.ratio[2]) and not rep.missing[2] and not rep.under[2]


def test_nobody_reached_leaves_every_ratio_undefined_and_every_category_missing() -> None:
    rep = representation([0, 0], [10, 30])
    assert np.isnan(rep.ratio).all()
    assert rep.missing.tolist() == [True, True]
    assert not rep.under.any()


def test_representation_refuses_arrays_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="same length"):
        representation([1, 2], [3])


# --- Attendance -----------------------------------------------------------------------


def test_the_flow_of_a_programme_counts_newcomers_drop_off_and_the_core_group() -> None:
    # Sessions 1 to 4. Asha comes to all four; Ben to 1 and 3; Chloe from session 2 on;
    # Dev only to session 4.
    #           s1 s2 s3 s4
    asha = [1, 1, 1, 1]
    ben = [1, 0, 1, 0]
    chloe = [0, 1, 1, 1]
    dev = [0, 0, 0, 1]
    flow = programme_flow([asha, ben, chloe, dev])
    assert flow.attended.tolist() == [2, 2, 3, 3]
    assert flow.newcomers.tolist() == [2, 1, 0, 1]  # Asha+Ben, Chloe, -, Dev
    assert flow.returning.tolist() == [0, 1, 3, 2]
    assert flow.dropped.tolist() == [0, 1, 0, 1]  # Ben after s1, Ben after s3
    assert flow.core.tolist() == [True, False, False, False]
    assert flow.sessions_attended.tolist() == [4, 2, 3, 1]
    assert flow.newcomers.sum() == 4  # everyone who came at least once


def test_a_programme_with_no_sessions_yet_has_an_empty_flow() -> None:
    flow = programme_flow(np.zeros((3, 0), dtype=bool))
    assert flow.attended.size == 0 and not flow.core.any()


def test_effort_per_participant_hour_by_event_and_overall() -> None:
    # 12 hours of effort for 20 people at a 3-hour workshop: 12 / 60 = 0.2 per
    # participant-hour. 9 hours for 5 people at a 2-hour session: 0.9. Nobody came to
    # the third (6 hours spent): no figure for it, but its effort counts overall:
    # (12 + 9 + 6) / (60 + 10) = 27 / 70.
    per_event, overall = effort_per_participant_hour([12, 9, 6], [20, 5, 0], [3, 2, 2])
    assert per_event[:2].tolist() == pytest.approx([0.2, 0.9])
    assert math.isnan(per_event[2])
    assert overall == pytest.approx(27 / 70)
