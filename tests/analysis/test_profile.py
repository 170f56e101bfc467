"""condition_profile: level, interval, sharedness and item distributions of one group."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from tracelead.analysis import (
    ConditionResult,
    GroupProfile,
    ItemDistribution,
    condition_profile,
    condition_scores,
    rwg_j,
)

NAN = float("nan")
KEYS = ["task", "task", "route", "route", "route"]
DATA = np.array([
    [4, 5, 3, 3, 2],
    [4, 4, 2, NAN, 3],
    [5, 5, 3, 4, 3],
    [3, 4, NAN, NAN, NAN],
    [4, NAN, 2, 2, 3],
])


def test_it_reports_conditions_in_first_appearance_order():
    profile = condition_profile(DATA, KEYS)
    assert [c.key for c in profile.conditions] == ["task", "route"]
    assert profile.n_respondents == 5
    assert isinstance(profile, GroupProfile)
    assert all(isinstance(c, ConditionResult) for c in profile.conditions)
    assert all(isinstance(i, ItemDistribution) for i in profile.items)


def test_it_scores_each_respondent_by_the_mean_of_answered_items():
    keys, scores = condition_scores(DATA, KEYS)
    assert keys == ("task", "route")
    np.testing.assert_allclose(scores[:, 0], [4.5, 4.0, 5.0, 3.5, 4.0])
    np.testing.assert_allclose(scores[:, 1], [8 / 3, 2.5, 10 / 3, NAN, 7 / 3])


def test_it_matches_numpy_and_scipy_for_mean_sd_and_t_interval():
    profile = condition_profile(DATA, KEYS, confidence=0.9)
    for c, key in enumerate(["task", "route"]):
        scores = condition_scores(DATA, KEYS)[1][:, c]
        scores = scores[~np.isnan(scores)]
        result = profile.condition(key)
        assert result.n == scores.size
        assert result.mean == pytest.approx(scores.mean(), abs=1e-12)
        assert result.sd == pytest.approx(scores.std(ddof=1), abs=1e-12)
        low, high = stats.t.interval(0.9, scores.size - 1, loc=scores.mean(),
                                     scale=stats.sem(scores))
        assert result.ci_low == pytest.approx(low, abs=1e-12)
        assert result.ci_high == pytest.approx(high, abs=1e-12)


def test_its_sharedness_is_rwg_j_of_the_condition_items():
    profile = condition_profile(DATA, KEYS)
    assert profile.condition("task").rwg_j == pytest.approx(rwg_j(DATA[:, :2]), abs=1e-12)
    assert profile.condition("route").rwg_j == pytest.approx(rwg_j(DATA[:, 2:]), abs=1e-12)
    assert profile.condition("route").n_items == 3


def test_it_counts_each_answer_per_item():
    profile = condition_profile(DATA, KEYS)
    first, fourth = profile.items[0], profile.items[3]
    assert first.counts == (0, 0, 1, 3, 1)
    assert (first.n, first.n_missing, first.condition, first.index) == (5, 0, "task", 0)
    assert first.mean == pytest.approx(4.0)  # 4, 4, 5, 3, 4
    assert fourth.counts == (0, 1, 1, 1, 0)
    assert (fourth.n, fourth.n_missing) == (3, 2)


def test_it_needs_min_items_answered_for_a_condition_score():
    profile = condition_profile(DATA, KEYS, min_items=2)
    assert profile.condition("route").n == 4  # the fourth respondent answered no route item
    assert profile.condition("task").n == 4  # the fifth answered one task item


def test_it_gives_nan_spread_for_a_single_respondent():
    profile = condition_profile([[4, 5, 3, 3, 2]], KEYS)
    task = profile.condition("task")
    assert task.n == 1 and task.mean == 4.5
    assert math.isnan(task.sd) and math.isnan(task.ci_low) and math.isnan(task.rwg_j)


def test_it_reports_perfect_sharedness_for_constant_answers():
    profile = condition_profile(np.full((6, 5), 4.0), KEYS)
    assert profile.condition("task").rwg_j == 1.0
    assert profile.condition("task").sd == 0.0


def test_it_reports_no_scores_when_everything_is_missing():
    profile = condition_profile(np.full((3, 5), NAN), KEYS)
    task = profile.condition("task")
    assert task.n == 0 and math.isnan(task.mean) and math.isnan(task.rwg_j)
    assert profile.items[0].n_missing == 3 and math.isnan(profile.items[0].mean)


def test_it_rejects_a_missing_condition_key_by_name():
    with pytest.raises(KeyError, match=r"'energy'.*'task', 'route'"):
        condition_profile(DATA, KEYS).condition("energy")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale_points": 1}, "scale_points must be an integer of at least 2"),
        ({"confidence": 1.5}, "confidence must be strictly between 0 and 1"),
        ({"min_items": 0}, "min_items must be an integer of at least 1"),
    ],
)
def test_it_rejects_options_out_of_range(kwargs, message):
    with pytest.raises(ValueError, match=message):
        condition_profile(DATA, KEYS, **kwargs)


def test_it_rejects_answers_off_the_scale():
    with pytest.raises(ValueError, match="whole numbers from 1 to 5"):
        condition_profile([[6, 1, 1, 1, 1]], KEYS)
    with pytest.raises(ValueError, match="whole numbers from 1 to 5"):
        condition_profile([[2.5, 1, 1, 1, 1]], KEYS)


def test_it_rejects_a_condition_list_of_the_wrong_length():
    with pytest.raises(ValueError, match="one condition key per item column: got 2 keys for 5"):
        condition_profile(DATA, ["task", "route"])


def test_it_rejects_one_dimensional_responses():
    with pytest.raises(ValueError, match=r"two-dimensional \(respondents x items\)"):
        condition_profile([1, 2, 3], ["task"] * 3)


answers = st.lists(
    st.lists(st.one_of(st.integers(1, 5).map(float), st.just(NAN)), min_size=5, max_size=5),
    min_size=1, max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(answers, st.randoms(use_true_random=False))
def test_it_does_not_depend_on_respondent_order(rows, rnd):
    data = np.array(rows)
    order = list(range(len(rows)))
    rnd.shuffle(order)
    a, b = condition_profile(data, KEYS), condition_profile(data[order], KEYS)
    for x, y in zip(a.conditions, b.conditions, strict=True):
        for field in ("n", "mean", "sd", "ci_low", "ci_high", "rwg_j"):
            u, v = getattr(x, field), getattr(y, field)
            assert (math.isnan(u) and math.isnan(v)) or u == pytest.approx(v, abs=1e-9)
    for x, y in zip(a.items, b.items, strict=True):
        assert (x.counts, x.n, x.n_missing) == (y.counts, y.n, y.n_missing)
        assert (math.isnan(x.mean) and math.isnan(y.mean)) or x.mean == pytest.approx(y.mean)


@settings(max_examples=60, deadline=None)
@given(answers)
def test_its_sharedness_stays_between_0_and_1_and_counts_add_up(rows):
    profile = condition_profile(np.array(rows), KEYS)
    for result in profile.conditions:
        assert math.isnan(result.rwg_j) or 0.0 <= result.rwg_j <= 1.0
    for item in profile.items:
        assert sum(item.counts) == item.n and item.n + item.n_missing == len(rows)
