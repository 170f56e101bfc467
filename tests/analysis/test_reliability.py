"""Cronbach's alpha, McDonald's omega, ICC(1)/ICC(2) and the Shrout-Fleiss ICCs.

Reference values:
* Shrout and Fleiss (1979), Table 2 (data: 6 targets x 4 judges) and Table 4 (the six
  ICCs to two decimals: .17, .29, .71, .44, .62, .91).
* pingouin (0.7 here) ``cronbach_alpha`` and ``intraclass_corr``: the same formulas, so
  the tolerance is 1e-9.
* scipy ``f_oneway``: ICC(2) = 1 - 1/F for any group sizes (Bliese 2000, eq. 4).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from tracelead.analysis import cronbach_alpha, icc1, icc2, mcdonald_omega, shrout_fleiss_icc

NAN = float("nan")

# Shrout and Fleiss (1979), Table 2: rows are targets, columns judges 1-4.
SHROUT_FLEISS = np.array([
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
], dtype=float)
# Table 4 of the paper (k = 4).
PUBLISHED = {"ICC(1,1)": 0.17, "ICC(2,1)": 0.29, "ICC(3,1)": 0.71,
             "ICC(1,k)": 0.44, "ICC(2,k)": 0.62, "ICC(3,k)": 0.91}
# pingouin 0.7 names the two-way models by McGraw and Wong: A = absolute agreement
# (Shrout-Fleiss case 2), C = consistency (case 3). Older pingouin used ICC1..ICC3k.
PINGOUIN_NAMES = {"ICC(1,1)": "ICC(1,1)", "ICC(A,1)": "ICC(2,1)", "ICC(C,1)": "ICC(3,1)",
                  "ICC(1,k)": "ICC(1,k)", "ICC(A,k)": "ICC(2,k)", "ICC(C,k)": "ICC(3,k)",
                  "ICC1": "ICC(1,1)", "ICC2": "ICC(2,1)", "ICC3": "ICC(3,1)",
                  "ICC1k": "ICC(1,k)", "ICC2k": "ICC(2,k)", "ICC3k": "ICC(3,k)"}


def long_format(ratings: np.ndarray) -> pd.DataFrame:
    n, k = ratings.shape
    return pd.DataFrame({"target": np.repeat(np.arange(n), k),
                         "judge": np.tile(np.arange(k), n), "rating": ratings.ravel()})


def pingouin_iccs(ratings: np.ndarray) -> dict[str, float]:
    table = pg.intraclass_corr(long_format(ratings), targets="target", raters="judge",
                               ratings="rating")
    return {PINGOUIN_NAMES[t]: float(v) for t, v in zip(table["Type"], table["ICC"],
                                                         strict=True)}


def test_it_reproduces_shrout_and_fleiss_published_iccs():
    result = shrout_fleiss_icc(SHROUT_FLEISS)
    assert set(result) == set(PUBLISHED)
    for key, value in PUBLISHED.items():
        assert round(result[key], 2) == value, key


def test_it_matches_pingouin_intraclass_corr_to_1e9():
    rng = np.random.default_rng(3)
    for ratings in (SHROUT_FLEISS, rng.integers(1, 6, size=(40, 7)).astype(float)):
        ours, theirs = shrout_fleiss_icc(ratings), pingouin_iccs(ratings)
        for key in PUBLISHED:
            assert ours[key] == pytest.approx(theirs[key], abs=1e-9), key


def test_it_drops_targets_with_a_missing_rating_for_shrout_fleiss():
    with_gap = np.vstack([SHROUT_FLEISS, [1, NAN, 3, 4]])
    assert shrout_fleiss_icc(with_gap) == shrout_fleiss_icc(SHROUT_FLEISS)


@pytest.mark.parametrize(
    ("ratings", "message"),
    [
        ([[1, 2, 3]], "at least two targets"),
        ([[1], [2]], "at least two judges"),
        ([[3, 3], [3, 3]], "targets do not differ"),
        ([[NAN, NAN], [NAN, NAN]], "at least two targets"),
    ],
)
def test_it_rejects_ratings_without_the_icc_structure(ratings, message):
    with pytest.raises(ValueError, match=message):
        shrout_fleiss_icc(ratings)


def test_its_icc1_and_icc2_match_a_hand_calculation():
    # groups a: 1 2 3 (mean 2), b: 4 5 6 (mean 5); grand mean 3.5.
    # MSB = 3(1.5^2 + 1.5^2)/1 = 13.5; MSW = (2 + 2)/4 = 1; k = 3.
    # ICC(1) = 12.5 / (13.5 + 2) = 25/31; ICC(2) = 12.5 / 13.5 = 25/27.
    values, groups = [1, 2, 3, 4, 5, 6], ["a", "a", "a", "b", "b", "b"]
    assert icc1(values, groups) == pytest.approx(25 / 31, abs=1e-12)
    assert icc2(values, groups) == pytest.approx(25 / 27, abs=1e-12)


def test_its_icc1_and_icc2_equal_shrout_fleiss_one_way_for_equal_groups():
    rng = np.random.default_rng(11)
    ratings = rng.integers(1, 6, size=(30, 6)).astype(float) + rng.integers(0, 2, (30, 1))
    values = ratings.ravel()
    groups = np.repeat(np.arange(30), 6)
    theirs = pingouin_iccs(ratings)
    assert icc1(values, groups) == pytest.approx(theirs["ICC(1,1)"], abs=1e-9)
    assert icc2(values, groups) == pytest.approx(theirs["ICC(1,k)"], abs=1e-9)


def test_its_icc2_is_one_minus_one_over_f_for_unequal_groups():
    rng = np.random.default_rng(5)
    sizes = rng.integers(2, 30, size=50)
    groups = np.repeat(np.arange(50), sizes)
    values = rng.normal(size=groups.size) + rng.normal(scale=0.5, size=50)[groups]
    f = stats.f_oneway(*[values[groups == g] for g in range(50)]).statistic
    assert icc2(values, groups) == pytest.approx(1 - 1 / f, abs=1e-9)
    # ICC(1) from the same F with k = N/G: (F - 1) / (F - 1 + k).
    k = groups.size / 50
    assert icc1(values, groups) == pytest.approx((f - 1) / (f - 1 + k), abs=1e-9)


def test_its_iccs_ignore_missing_values():
    values = [1, 2, 3, NAN, 4, 5, 6]
    groups = ["a", "a", "a", "b", "b", "b", "b"]
    assert icc1(values, groups) == pytest.approx(25 / 31, abs=1e-12)


@pytest.mark.parametrize(
    ("values", "groups", "message"),
    [
        ([1, 2, 3], ["a", "a", "a"], "at least two groups"),
        ([1, 2], ["a", "b"], "more values than groups"),
        ([3, 3, 3, 3], ["a", "a", "b", "b"], "values are constant"),
        ([1, 2, 3], ["a", "b"], "one group label per value"),
        ([NAN, NAN], ["a", "b"], "no non-missing value"),
    ],
)
def test_it_rejects_values_an_icc_cannot_use(values, groups, message):
    with pytest.raises(ValueError, match=message):
        icc1(values, groups)


def test_its_alpha_matches_pingouin_listwise_and_pairwise():
    rng = np.random.default_rng(2)
    base = rng.normal(size=(200, 1))
    data = np.round(np.clip(3 + base + rng.normal(scale=0.8, size=(200, 7)), 1, 5))
    data[rng.random(data.shape) < 0.08] = NAN
    frame = pd.DataFrame(data)
    for policy in ("listwise", "pairwise"):
        expected = pg.cronbach_alpha(frame, nan_policy=policy)[0]
        assert cronbach_alpha(data, nan_policy=policy) == pytest.approx(expected, abs=1e-9)


def test_its_alpha_defaults_to_listwise_deletion():
    data = [[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 5], [NAN, 1, 5]]
    assert cronbach_alpha(data) == cronbach_alpha(data[:4])


@pytest.mark.parametrize(
    ("items", "kwargs", "message"),
    [
        ([[1], [2], [3]], {}, "at least two items"),
        ([[1, 2]], {}, "at least two respondents with every item answered"),
        ([[NAN, NAN], [NAN, NAN]], {}, "at least two respondents"),
        ([[3, 3], [3, 3], [3, 3]], {}, "no variance"),
        ([[1, 2], [2, 3]], {"nan_policy": "drop"}, "nan_policy must be one of 'listwise', "
                                                   "'pairwise'"),
    ],
)
def test_it_rejects_items_alpha_cannot_use(items, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cronbach_alpha(items, **kwargs)


columns = st.lists(st.integers(1, 5).map(float), min_size=3, max_size=25)


@settings(max_examples=80, deadline=None)
@given(columns, st.integers(2, 8))
def test_alpha_of_identical_items_is_one(column, k):
    if len(set(column)) == 1:
        return
    data = np.column_stack([column] * k)
    assert cronbach_alpha(data) == pytest.approx(1.0, abs=1e-9)


@settings(max_examples=80, deadline=None)
@given(st.integers(3, 20).flatmap(lambda n: st.lists(
    st.lists(st.integers(1, 5).map(float), min_size=4, max_size=4), min_size=n, max_size=n)),
    st.randoms(use_true_random=False))
def test_alpha_ignores_item_and_respondent_order(rows, rnd):
    data = np.array(rows)
    if np.var(data.sum(axis=1)) == 0:
        return
    r, c = list(range(len(rows))), list(range(4))
    rnd.shuffle(r)
    rnd.shuffle(c)
    for policy in ("listwise", "pairwise"):
        assert cronbach_alpha(data[r][:, c], nan_policy=policy) == pytest.approx(
            cronbach_alpha(data, nan_policy=policy), abs=1e-9)


def data_with_exact_correlation(loadings: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Data whose sample correlation matrix is exactly the one-factor matrix of loadings."""
    rng = np.random.default_rng(seed)
    k = loadings.size
    target = np.outer(loadings, loadings)
    np.fill_diagonal(target, 1.0)
    z = rng.normal(size=(n, k))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T
    return z @ np.linalg.cholesky(target).T * rng.uniform(0.5, 2, k) + 3


def test_its_omega_recovers_the_omega_of_an_exact_one_factor_model():
    loadings = np.array([0.8, 0.7, 0.6, 0.5, 0.75, 0.65])
    data = data_with_exact_correlation(loadings, 300, seed=1)
    expected = loadings.sum() ** 2 / (loadings.sum() ** 2 + (1 - loadings**2).sum())
    assert mcdonald_omega(data) == pytest.approx(expected, abs=1e-8)


def test_its_omega_equals_alpha_for_standardised_equal_loadings():
    data = data_with_exact_correlation(np.full(5, 0.6), 200, seed=2)
    standardised = (data - data.mean(axis=0)) / data.std(axis=0, ddof=1)
    assert mcdonald_omega(data) == pytest.approx(cronbach_alpha(standardised), abs=1e-8)


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([[1, 2], [2, 3], [3, 3]], "at least three items"),
        ([[1, 2, 3], [2, 3, 4], [3, 3, 3]], "more complete respondents than items"),
        ([[1, 2, 3]] * 2 + [[1, 3, 4], [1, 1, 2]], "item 0 has no variance"),
    ],
)
def test_it_rejects_items_omega_cannot_use(items, message):
    with pytest.raises(ValueError, match=message):
        mcdonald_omega(items)
