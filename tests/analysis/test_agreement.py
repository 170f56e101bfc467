"""rwg and rwg(j) (James, Demaree and Wolf 1984).

Expected values are hand calculations, written out beside each test. The null variance
of a five-point scale, (5^2 - 1) / 12 = 2, is the value tabled by LeBreton and Senter
(2008, Table 2) for the uniform distribution.
"""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracelead.analysis import rwg, rwg_j, uniform_null_variance

NAN = float("nan")


@pytest.mark.parametrize(("points", "variance"), [(2, 0.25), (5, 2.0), (7, 4.0), (9, 20 / 3)])
def test_its_uniform_null_variance_is_a_squared_minus_one_over_twelve(points, variance):
    assert uniform_null_variance(points) == pytest.approx(variance)


def test_it_computes_rwg_by_hand_calculation():
    # ratings 4 4 5 4 3: mean 4, sample variance (0+0+1+0+1)/4 = 0.5; rwg = 1 - 0.5/2.
    assert rwg([4, 4, 5, 4, 3]) == pytest.approx(0.75, abs=1e-12)
    # seven-point scale, ratings 6 7 5 6: variance (0+1+1+0)/3 = 2/3; null 4; 1 - 1/6.
    assert rwg([6, 7, 5, 6], scale_points=7) == pytest.approx(5 / 6, abs=1e-12)


def test_it_gives_full_agreement_for_constant_ratings():
    assert rwg([3, 3, 3]) == 1.0


def test_it_truncates_rwg_at_zero_when_ratings_split_to_the_extremes():
    # 1 1 5 5: variance 16/3 > 2, so 1 - 8/3 < 0, truncated to 0.
    assert rwg([1, 1, 5, 5]) == 0.0


def test_it_ignores_missing_ratings():
    assert rwg([4, NAN, 4, 5, 4, 3]) == rwg([4, 4, 5, 4, 3])


@pytest.mark.parametrize(
    ("ratings", "kwargs", "message"),
    [
        ([4], {}, "at least two ratings in the group; got 1"),
        ([NAN, NAN], {}, "at least two ratings in the group; got 0"),
        ([4, 5], {"scale_points": 1}, "scale_points must be an integer of at least 2"),
        ([4, 6], {}, "whole numbers from 1 to 5"),
        ([[4, 5]], {}, "one-dimensional"),
    ],
)
def test_it_rejects_rwg_input_it_cannot_use(ratings, kwargs, message):
    with pytest.raises(ValueError, match=message):
        rwg(ratings, **kwargs)


def test_it_computes_rwg_j_by_hand_calculation():
    # item 1: 4 4 5 3, variance 2/3; item 2: 4 5 4 4, variance 1/4; mean 11/24.
    # ratio r = (11/24)/2 = 11/48; rwg(j) = 2(1 - r) / (2(1 - r) + r) = 74/85.
    ratings = [[4, 4], [4, 5], [5, 4], [3, 4]]
    assert rwg_j(ratings) == pytest.approx(74 / 85, abs=1e-12)


def test_its_rwg_j_with_one_item_is_rwg():
    assert rwg_j([[4], [4], [5], [4], [3]]) == pytest.approx(rwg([4, 4, 5, 4, 3]), abs=1e-12)


def test_it_sets_rwg_j_to_zero_when_the_mean_variance_exceeds_the_null():
    assert rwg_j([[1, 5], [5, 1], [1, 5], [5, 1]]) == 0.0


def test_it_uses_each_items_answered_ratings_and_skips_items_without_two():
    with_gaps = [[4, 4, NAN], [4, 5, NAN], [5, 4, 2], [3, 4, NAN], [NAN, NAN, NAN]]
    assert rwg_j(with_gaps) == pytest.approx(74 / 85, abs=1e-12)


@pytest.mark.parametrize(
    ("ratings", "message"),
    [
        ([[4, 5]], "at least one item with two or more ratings"),
        ([[NAN, NAN], [NAN, NAN]], "at least one item with two or more ratings"),
        ([4, 5], "two-dimensional"),
    ],
)
def test_it_rejects_rwg_j_input_it_cannot_use(ratings, message):
    with pytest.raises(ValueError, match=message):
        rwg_j(ratings)


ratings_1d = st.lists(st.integers(1, 7).map(float), min_size=2, max_size=40)


@settings(max_examples=100, deadline=None)
@given(ratings_1d, st.integers(7, 11))
def test_rwg_stays_between_0_and_1(ratings, points):
    assert 0.0 <= rwg(ratings, scale_points=points) <= 1.0


matrices = st.integers(2, 15).flatmap(lambda n: st.integers(1, 6).flatmap(
    lambda k: st.lists(st.lists(st.one_of(st.integers(1, 5).map(float), st.just(NAN)),
                                min_size=k, max_size=k), min_size=n, max_size=n)))


@settings(max_examples=100, deadline=None)
@given(matrices, st.randoms(use_true_random=False))
def test_rwg_j_stays_in_bounds_and_ignores_item_and_respondent_order(rows, rnd):
    data = np.array(rows)
    if not ((~np.isnan(data)).sum(axis=0) >= 2).any():
        with pytest.raises(ValueError):
            rwg_j(data)
        return
    value = rwg_j(data)
    assert 0.0 <= value <= 1.0
    r = list(range(data.shape[0]))
    c = list(range(data.shape[1]))
    rnd.shuffle(r)
    rnd.shuffle(c)
    assert rwg_j(data[r][:, c]) == pytest.approx(value, abs=1e-12)
    # The same figure written out longhand, item by item (statistics.variance, n - 1).
    variances = [
        statistics.variance([v for v in column if not math.isnan(v)])
        for column in data.T
        if sum(not math.isnan(v) for v in column) >= 2
    ]
    ratio = statistics.fmean(variances) / ((5**2 - 1) / 12)
    j = len(variances)
    longhand = 0.0 if ratio > 1 else j * (1 - ratio) / (j * (1 - ratio) + ratio)
    assert value == pytest.approx(longhand, abs=1e-9)


@given(st.lists(st.lists(st.integers(0, 6), min_size=5, max_size=5), min_size=1, max_size=8))
def test_rwg_from_counts_equals_rwg_of_the_ratings_it_counts(rows: list[list[int]]) -> None:
    from tracelead.analysis import rwg_from_counts

    got = rwg_from_counts(rows)
    for counts, value in zip(rows, got, strict=True):
        ratings = np.repeat(np.arange(1, 6), counts)
        if ratings.size < 2:
            assert np.isnan(value)
        else:
            assert value == pytest.approx(rwg(ratings, 5), abs=1e-12)


def test_rwg_from_counts_refuses_counts_of_the_wrong_width() -> None:
    from tracelead.analysis import rwg_from_counts

    with pytest.raises(ValueError, match="5 entries"):
        rwg_from_counts([[1, 2, 3]])
