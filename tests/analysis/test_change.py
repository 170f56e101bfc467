"""compare_rounds and self_other_gap.

Oracles: scipy.stats.ttest_ind(equal_var=False) and pingouin (ttest, compute_effsize),
which implement the same Welch test and Hedges' g (same small-sample factor), so the
tolerance is 1e-9.
"""

from __future__ import annotations

import math

import numpy as np
import pingouin as pg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from tracelead.analysis import (
    compare_rounds,
    condition_profile,
    self_other_gap,
    self_other_gaps,
)

RNG = np.random.default_rng(7)
BEFORE = np.clip(RNG.normal(3.0, 0.8, 23), 1, 5)
AFTER = np.clip(RNG.normal(3.6, 0.6, 31), 1, 5)


def test_it_matches_scipy_welch_test():
    result = compare_rounds(BEFORE, AFTER)
    ref = stats.ttest_ind(AFTER, BEFORE, equal_var=False)
    assert result.welch_t == pytest.approx(ref.statistic, abs=1e-9)
    assert result.p_value == pytest.approx(ref.pvalue, abs=1e-9)
    assert result.welch_df == pytest.approx(ref.df, abs=1e-9)
    low, high = ref.confidence_interval(0.95)
    assert (result.ci_low, result.ci_high) == (pytest.approx(low, abs=1e-9),
                                               pytest.approx(high, abs=1e-9))
    assert result.difference == pytest.approx(AFTER.mean() - BEFORE.mean(), abs=1e-12)
    assert (result.n_before, result.n_after) == (23, 31)


def test_it_matches_pingouin_hedges_g_and_welch_interval():
    result = compare_rounds(BEFORE, AFTER, confidence=0.9)
    g = pg.compute_effsize(AFTER, BEFORE, paired=False, eftype="hedges")
    assert result.hedges_g == pytest.approx(g, abs=1e-9)
    table = pg.ttest(AFTER, BEFORE, correction=True, confidence=0.9)
    assert result.welch_df == pytest.approx(table["dof"].iloc[0], abs=1e-9)
    low, high = table["CI90"].iloc[0]
    assert result.ci_low == pytest.approx(low, abs=1e-9)
    assert result.ci_high == pytest.approx(high, abs=1e-9)


def test_it_flags_change_beyond_noise_only_when_the_interval_excludes_zero():
    assert compare_rounds([2, 3, 3, 2, 4], [4, 4, 3, 5, 4]).beyond_noise
    assert not compare_rounds([2, 3, 3, 2, 4], [3, 2, 3, 4, 2]).beyond_noise


def test_it_drops_missing_scores():
    with_nan = compare_rounds([2, 3, float("nan"), 3, 2, 4], [4, 4, 3, 5, 4])
    assert with_nan == compare_rounds([2, 3, 3, 2, 4], [4, 4, 3, 5, 4])


@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        ([3.0], [2.0, 4.0], "before_scores needs at least two non-missing scores; got 1"),
        ([2.0, 4.0], [float("nan")] * 3, "after_scores needs at least two non-missing scores"),
        ([3.0, 3.0], [4.0, 4.0], "both rounds have constant scores"),
    ],
)
def test_it_refuses_rounds_that_cannot_be_compared(before, after, message):
    with pytest.raises(ValueError, match=message):
        compare_rounds(before, after)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(1, 5), min_size=2, max_size=20),
       st.lists(st.floats(1, 5), min_size=2, max_size=20))
def test_swapping_rounds_negates_the_change(before, after):
    if np.var(before) == 0 and np.var(after) == 0:
        return
    a, b = compare_rounds(before, after), compare_rounds(after, before)
    assert a.difference == pytest.approx(-b.difference, abs=1e-9)
    assert a.hedges_g == pytest.approx(-b.hedges_g, abs=1e-9)
    assert a.p_value == pytest.approx(b.p_value, abs=1e-9)
    assert a.beyond_noise == b.beyond_noise


def test_it_measures_the_gap_between_self_and_others():
    others = [3.2, 3.8, 3.0, 3.4, 3.6]
    gap = self_other_gap(4.6, others, key="task")
    assert gap.gap == pytest.approx(1.2)
    low, high = stats.t.interval(0.95, 4, loc=np.mean(others), scale=stats.sem(others))
    assert (gap.other_ci_low, gap.other_ci_high) == (pytest.approx(low), pytest.approx(high))
    assert gap.self_outside_others_interval
    assert not self_other_gap(3.5, others).self_outside_others_interval


def test_it_gives_no_interval_for_a_single_other():
    gap = self_other_gap([4.0], [3.0])
    assert gap.gap == 1.0 and math.isnan(gap.other_ci_low)
    assert not gap.self_outside_others_interval


def test_it_refuses_a_gap_without_scores():
    with pytest.raises(ValueError, match="self_scores has no non-missing score"):
        self_other_gap(float("nan"), [3.0, 4.0])


def test_it_measures_gaps_for_every_condition_of_two_profiles():
    me = condition_profile([[5, 4]], ["task", "route"])
    them = condition_profile([[3, 4], [4, 4], [3, 5]], ["task", "route"])
    gaps = self_other_gaps(me, them)
    assert [g.key for g in gaps] == ["task", "route"]
    direct = self_other_gap(5.0, [3.0, 4.0, 3.0], key="task")
    assert gaps[0].gap == pytest.approx(direct.gap)
    assert gaps[0].other_ci_low == pytest.approx(direct.other_ci_low)
    assert gaps[0].self_outside_others_interval == direct.self_outside_others_interval
