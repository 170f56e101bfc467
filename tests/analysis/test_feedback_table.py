"""360 tables against hand calculations: which kinds are shown, what they show, and that
"everyone but you" pools only shown cells."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tracelead.analysis.feedback import feedback_table, pool_tables

NAN = math.nan
# Kinds: 0 self, 1 line manager, 2 peers, 3 direct reports, 4 others.
KW = {"n_kinds": 5, "always_shown": [0, 1], "self_kind": 0}


def test_small_kinds_are_withheld_and_left_out_of_everyone_but_you() -> None:
    # Behaviour A: self 5; manager 3; peers 4, 5, 3; reports 1, 1; others 2, 4, 3.
    # Behaviour B: as A, but one peer has not seen it (so peers drop to two).
    ratings = [[5, 5], [3, 2], [4, 4], [5, NAN], [3, 3], [1, 1], [1, 1], [2, 2], [4, 4],
               [3, 3]]
    kinds = [0, 1, 2, 2, 2, 3, 3, 4, 4, 4]
    t = feedback_table(ratings, kinds, **KW)
    assert t.shown[:, 0].tolist() == [True, True, True, False, True]
    assert t.shown[:, 1].tolist() == [True, True, False, False, True]
    assert t.mean[2, 0] == pytest.approx(4.0)
    assert t.mean[4, 0] == pytest.approx(3.0)
    assert np.isnan(t.mean[3, 0]) and t.n[3, 0] == 0 and t.total[3, 0] == 0
    # Everyone but you, A: manager 3 + peers 12 + others 9 over 7 raters.
    assert t.others_n[0] == 7 and t.others_mean[0] == pytest.approx(24 / 7)
    # B: manager 2 + others 9 over 4 raters (the two peers and two reports are left out).
    assert t.others_n[1] == 4 and t.others_mean[1] == pytest.approx(11 / 4)


def test_the_threshold_is_a_parameter_and_one_rater_kinds_stay_named() -> None:
    t = feedback_table([[4], [2], [5], [3]], [1, 2, 2, 2], **KW, k=4)
    assert t.shown[:, 0].tolist() == [False, True, False, False, False]
    assert t.others_mean[0] == pytest.approx(4.0)


def test_bad_input_is_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="between 1 and 5"):
        feedback_table([[6]], [0], **KW)
    with pytest.raises(ValueError, match="kinds must lie"):
        feedback_table([[3]], [5], **KW)
    with pytest.raises(ValueError, match="one kind for each row"):
        feedback_table([[3], [4]], [0], **KW)


def _leader(peer_ratings: list[float], manager: float) -> object:
    rows = [[manager]] + [[r] for r in peer_ratings]
    return feedback_table(rows, [1] + [2] * len(peer_ratings), **KW)


def test_pooling_shows_a_cell_only_from_enough_leaders_and_only_shown_cells() -> None:
    five = [_leader([4, 4, 4], 3), _leader([5, 5, 5], 3), _leader([3, 3, 3], 3),
            _leader([2, 2, 2], 3), _leader([1, 1], 5)]  # the last leader's peers are hidden
    pooled = pool_tables(five, min_leaders=4, self_kind=0)
    # Peers: four leaders' shown cells, 12 raters, sum 12 + 15 + 9 + 6 = 42.
    assert pooled.leaders[2, 0] == 4 and pooled.n[2, 0] == 12
    assert pooled.mean[2, 0] == pytest.approx(42 / 12)
    # Managers: five leaders, 3 + 3 + 3 + 3 + 5.
    assert pooled.mean[1, 0] == pytest.approx(17 / 5)
    assert pool_tables(five, min_leaders=5, self_kind=0).shown[:, 0].tolist() == [
        False, True, False, False, False]
    # Leaving the line manager out: someone who managed four of the five leaders could
    # otherwise take their own four ratings from 5 x the mean and read the fifth's.
    left = pool_tables(five, min_leaders=4, self_kind=0, leave_out=[0, 1])
    assert left.shown[:, 0].tolist() == [False, False, True, False, False]
    assert left.n[1, 0] == 0 and left.others_n[0] == 12
    assert left.others_mean[0] == pytest.approx(42 / 12)
