"""The paired change of self-ratings against a hand calculation and SciPy's paired t-test."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from tracelead.analysis.evaluation import paired_change, rating_summary


def test_the_paired_change_of_six_people_worked_by_hand() -> None:
    """Before 2 3 3 4 2 3, after 3 4 5 4 3 3: differences 1 1 2 0 1 0.
    Mean 5/6 = 0.8333; deviations 1/6 1/6 7/6 -5/6 1/6 -5/6, squares sum 1+1+49+25+1+25 = 102
    over 36 = 2.8333; variance 2.8333/5 = 0.56667; sd 0.75277; se 0.75277/sqrt 6 = 0.30732;
    t(0.975, 5) = 2.570582; half-width 0.78998; interval 0.0434 to 1.6233; d_z = 0.8333 /
    0.75277 = 1.1070; t = 2.7116."""
    r = paired_change([2, 3, 3, 4, 2, 3], [3, 4, 5, 4, 3, 3])
    assert r.n == 6
    assert r.mean_before == pytest.approx(17 / 6) and r.mean_after == pytest.approx(22 / 6)
    assert r.mean_change == pytest.approx(5 / 6)
    assert r.sd_change == pytest.approx(math.sqrt(102 / 36 / 5))
    assert r.ci_low == pytest.approx(0.0434, abs=1e-4)
    assert r.ci_high == pytest.approx(1.6233, abs=1e-4)
    assert r.d_z == pytest.approx(1.1070, abs=1e-4)
    assert r.t == pytest.approx(2.7116, abs=1e-4)
    assert r.beyond_chance


def test_the_paired_change_agrees_with_scipy_on_random_data() -> None:
    rng = np.random.default_rng(7)
    before = rng.integers(1, 6, 40).astype(float)
    after = np.clip(before + rng.normal(0.4, 1.0, 40).round(), 1, 5)
    r = paired_change(before, after)
    test = stats.ttest_rel(after, before)
    interval = test.confidence_interval(0.95)
    assert r.t == pytest.approx(test.statistic, rel=1e-12)
    assert r.p == pytest.approx(test.pvalue, rel=1e-10)
    assert (r.ci_low, r.ci_high) == pytest.approx((interval.low, interval.high), rel=1e-12)


def test_unpaired_and_missing_ratings_are_left_out() -> None:
    r = paired_change([2, math.nan, 3, 4], [3, 4, math.nan, 5])
    assert r.n == 2 and r.mean_change == 1.0 and r.sd_change == 0.0
    assert math.isnan(r.d_z) and math.isnan(r.t)  # no spread: no t, no effect size
    assert paired_change([], []).n == 0
    one = paired_change([2], [4])
    assert one.n == 1 and one.mean_change == 2 and math.isnan(one.ci_low)
    assert not one.beyond_chance
    with pytest.raises(ValueError, match="paired"):
        paired_change([1, 2], [1])


def test_no_change_is_not_beyond_chance() -> None:
    r = paired_change([3, 3, 4, 2, 3], [3, 4, 3, 2, 3])
    assert r.mean_change == 0 and r.ci_low < 0 < r.ci_high and not r.beyond_chance


def test_a_rating_summary_counts_the_top_two_points() -> None:
    s = rating_summary([5, 4, 3, 5, 1], scale_max=5)
    assert (s.n, s.mean, s.top_two_share) == (5, 3.6, 0.6)
    assert s.sd == pytest.approx(np.std([5, 4, 3, 5, 1], ddof=1))
    assert rating_summary([], scale_max=5).n == 0
