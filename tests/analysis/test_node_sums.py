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


def test_its_alpha_equals_cronbach_alpha_listwise():
    values, group = synthetic(2000, seed=1)
    # Correlated items, so that alpha is far from zero.
    values[:, :3] = np.clip(values[:, :1] + np.random.default_rng(2).integers(-1, 2, (2000, 3)),
                            1, 5)
    values[np.random.default_rng(3).random(values.shape) < 0.05] = np.nan
    alpha = alpha_from_sums(node_sums(values, group, KEYS))
    for key in ("task", "route", "energy"):
        cols = [k == key for k in KEYS]
        assert alpha[key] == pytest.approx(cronbach_alpha(values[:, cols]), abs=1e-12)
    assert alpha["task"] > 0.5


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_order_of_rows_blocks_and_threads_do_not_change_the_sums(monkeypatch, workers):
    monkeypatch.setattr(sums_module, "_BLOCK_ROWS", 37)  # nodes straddle blocks and shares
    values, group = synthetic()
    whole = node_sums(values, group, KEYS, workers=1)
    shuffled = np.random.default_rng(4).permutation(group.size)
    other = node_sums(values[shuffled], group[shuffled], KEYS, workers=workers)
    np.testing.assert_array_equal(other.item_counts, whole.item_counts)
    np.testing.assert_array_equal(other.n_respondents, whole.n_respondents)
    np.testing.assert_allclose(other.score_sum, whole.score_sum, atol=1e-12)
    np.testing.assert_allclose(other.score_sumsq, whole.score_sumsq, atol=1e-12)
    np.testing.assert_array_equal(other.complete_item_sumsq, whole.complete_item_sumsq)


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
