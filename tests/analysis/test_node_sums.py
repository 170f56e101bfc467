"""node_sums: one read of the matrix gives the sums every report figure follows from."""

from __future__ import annotations

import numpy as np
import pytest

from tracelead.analysis import (
    alpha_from_sums,
    cronbach_alpha,
    groups_report,
    groups_report_from_sums,
    node_sums,
)
from tracelead.analysis import sums as sums_module

KEYS = ["task"] * 3 + ["route"] * 2 + ["energy"] * 2


def synthetic(rows: int = 400, nodes: int = 23, seed: int = 0):
    rng = np.random.default_rng(seed)
    group = np.sort(rng.integers(0, nodes, rows))
    values = rng.integers(1, 6, (rows, len(KEYS))).astype(float)
    values[rng.random(values.shape) < 0.15] = np.nan
    return values, group


def test_it_gives_the_sums_worked_out_by_hand():
    # Node 0: (4, 5 | 3) and (2, NaN | NaN); node 1: (NaN, NaN | 5). Centre 3.
    values = np.array([[4, 5, 3], [2, np.nan, np.nan], [np.nan, np.nan, 5]], dtype=float)
    s = node_sums(values, [0, 0, 1], ["task", "task", "route"])
    assert s.n_respondents.tolist() == [2, 1]
    # task scores: 4.5 - 3 = 1.5 and 2 - 3 = -1 in node 0; none in node 1.
    assert s.score_n[:, 0].tolist() == [2, 0]
    assert s.score_sum[:, 0].tolist() == [0.5, 0.0]
    assert s.score_sumsq[:, 0].tolist() == [3.25, 0.0]
    # route: 0 in node 0, 2 in node 1.
    assert s.score_sum[:, 1].tolist() == [0.0, 2.0]
    assert s.item_counts[0, 0].tolist() == [0, 1, 0, 1, 0]  # item 1 in node 0: a 2 and a 4
    assert s.item_counts[1].sum() == 1
    # Listwise for alpha: only the first respondent answered both task items.
    assert s.complete_n.tolist() == [1, 2]
    assert s.complete_item_sum.tolist() == [4, 5, 8]
    assert s.complete_total_sumsq.tolist() == [81, 34]


EQUAL_KEYS = ["task"] * 3 + ["route"] * 3 + ["energy"] * 3


@pytest.mark.parametrize(("keys", "block_rows"), [(KEYS, None), (EQUAL_KEYS, None),
                                                  (EQUAL_KEYS, 37)])
def test_its_alpha_equals_cronbach_alpha_listwise(monkeypatch, keys, block_rows):
    # Conditions of unequal and of equal sizes (the two ways the blank-leavers' answers
    # are picked out), and blocks of 37 rows, so that most end part-way through a
    # worker's scratch space.
    if block_rows:
        monkeypatch.setattr(sums_module, "_BLOCK_ROWS", block_rows)
    rng = np.random.default_rng(1)
    group = np.sort(rng.integers(0, 23, 2000))
    values = rng.integers(1, 6, (2000, len(keys))).astype(float)
    # Correlated items, so that alpha is far from zero.
    values[:, :3] = np.clip(values[:, :1] + np.random.default_rng(2).integers(-1, 2, (2000, 3)),
                            1, 5)
    values[np.random.default_rng(3).random(values.shape) < 0.05] = np.nan
    alpha = alpha_from_sums(node_sums(values, group, keys, workers=2))
    for key in ("task", "route", "energy"):
        cols = [k == key for k in keys]
        assert alpha[key] == pytest.approx(cronbach_alpha(values[:, cols]), abs=1e-12)
    assert alpha["task"] > 0.5


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_order_of_rows_blocks_and_threads_do_not_change_the_sums(monkeypatch, workers):
    monkeypatch.setattr(sums_module, "_BLOCK_ROWS", 37)  # nodes straddle blocks and shares
    monkeypatch.setattr(sums_module, "_SLICE_ROWS", 5)  # and slices within a block
    values, group = synthetic()
    whole = node_sums(values, group, KEYS, workers=1)
    shuffled = np.random.default_rng(4).permutation(group.size)
    other = node_sums(values[shuffled], group[shuffled], KEYS, workers=workers)
    np.testing.assert_array_equal(other.item_counts, whole.item_counts)
    np.testing.assert_array_equal(other.n_respondents, whole.n_respondents)
    np.testing.assert_allclose(other.score_sum, whole.score_sum, atol=1e-12)
    np.testing.assert_allclose(other.score_sumsq, whole.score_sumsq, atol=1e-12)
    np.testing.assert_array_equal(other.complete_item_sumsq, whole.complete_item_sumsq)
    counts, score_sum = plainly(values, group, KEYS, 23, 5)
    np.testing.assert_array_equal(other.item_counts, counts)
    np.testing.assert_allclose(other.score_sum, score_sum, atol=1e-12)


def test_the_report_from_sums_is_the_report():
    values, group = synthetic()
    parents = np.concatenate([np.full(20, 23), np.full(3, 24), [-1, -1]])
    direct = groups_report(values, group, KEYS, parents=parents, threshold=4)
    via = groups_report_from_sums(node_sums(values, group, KEYS, size=25), parents=parents,
                                  threshold=4)
    np.testing.assert_array_equal(via.mean, direct.mean)
    np.testing.assert_array_equal(via.item_suppressed, direct.item_suppressed)
    np.testing.assert_array_equal(via.level_icc1, direct.level_icc1)


def test_the_report_from_sums_leaves_the_sums_as_they_were():
    values, group = synthetic()
    sums = node_sums(values, group, KEYS, size=25)
    before = sums.item_counts.copy()
    groups_report_from_sums(sums, parents=np.concatenate([np.full(23, 23), [24, -1]]))
    np.testing.assert_array_equal(sums.item_counts, before)


@pytest.mark.parametrize("bad", [0.0, 2.5, 6.0, -1.0, np.inf, -np.inf, 300.0])
def test_it_rejects_answers_off_the_scale(bad):
    values, group = synthetic(50)
    values[17, 3] = bad
    with pytest.raises(ValueError, match=r"whole numbers from 1 to 5 .* found"):
        node_sums(values, group, KEYS)


def test_it_reads_float64_input_without_copying_it():
    values, _ = synthetic()
    assert sums_module.check_values(values) is values


def plainly(values, group, keys, size, scale_points):
    """The sums node_sums gathers, worked out the plain way: a mask per node and option."""
    conditions = list(dict.fromkeys(keys))
    centre = (scale_points + 1) / 2
    counts = np.zeros((size, len(keys), scale_points), dtype=np.int64)
    score_sum = np.zeros((size, len(conditions)))
    for g in range(size):
        rows = values[group == g]
        for k in range(scale_points):
            counts[g, :, k] = (rows == k + 1).sum(axis=0)
        for c, key in enumerate(conditions):
            cols = rows[:, [kk == key for kk in keys]]
            answered = ~np.isnan(cols)
            scored = answered.any(axis=1)
            score_sum[g, c] = (np.nansum(cols[scored], axis=1) / answered[scored].sum(axis=1)
                               - centre).sum()
    return counts, score_sum


@pytest.mark.parametrize(("scale_points", "workers"), [(5, 1), (5, 2), (7, 2), (12, 1),
                                                        (100, 1)])
def test_item_counts_hold_for_a_node_bigger_than_a_packed_counter(scale_points, workers):
    # Counts are packed into 12-bit counters (at most 4,095), five options to a word: a
    # node of 9,000 respondents is counted apart, in runs cut inside a block; scales
    # above five options need more words; the items here are not in condition order.
    rng = np.random.default_rng(scale_points)
    keys = ["task", "route", "task", "energy", "route", "task"]
    group = np.sort(np.concatenate([np.full(9_000, 3), rng.integers(0, 6, 3_000)]))
    values = rng.integers(1, scale_points + 1, (group.size, len(keys))).astype(float)
    values[:, 0] = scale_points  # every option of the first item the same, in one field
    values[rng.random(values.shape) < 0.1] = np.nan
    s = node_sums(values, group, keys, size=7, scale_points=scale_points, workers=workers)
    counts, score_sum = plainly(values, group, keys, 7, scale_points)
    np.testing.assert_array_equal(s.item_counts, counts)
    assert s.item_counts[3, 0, -1] == np.count_nonzero(~np.isnan(values[group == 3, 0]))
    assert s.item_counts[3, 0, -1] > 4_095
    np.testing.assert_allclose(s.score_sum, score_sum, atol=1e-8)
    alpha = alpha_from_sums(s)
    for key in ("task", "route"):
        cols = [k == key for k in keys]
        assert alpha[key] == pytest.approx(cronbach_alpha(values[:, cols]), abs=1e-12)


def test_a_block_that_mixes_missing_and_wrong_answers_is_refused():
    # As many wrong values as missing ones would fool a count of differing cells alone.
    values, group = synthetic(50)
    values[:] = 3.0
    values[5, 2] = np.nan
    values[9, 4] = 2.5
    with pytest.raises(ValueError, match=r"found 2\.5"):
        node_sums(values, group, KEYS)
    values[9, 4] = 3.0
    values[11, 1] = 0.0  # a whole number, but not an option
    with pytest.raises(ValueError, match="found 0"):
        node_sums(values, group, KEYS)


def test_condition_totals_do_not_wrap_round_for_a_long_condition():
    # 330 items of 100 options: a respondent's total (33,000) outgrows 16 bits.
    s = node_sums(np.full((3, 330), 100.0), [0, 0, 1], ["a"] * 330, scale_points=100)
    assert s.score_sum[:, 0].tolist() == [99.0, 49.5]
    assert s.complete_total_sum.tolist() == [99_000]
    assert s.complete_total_sumsq.tolist() == [3 * 33_000 ** 2]
