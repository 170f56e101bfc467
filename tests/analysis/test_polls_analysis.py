"""The live polls' analysis: scale counts, Borda rankings, word counts, the TRACE pulse
and the merging of small categories before results are broken down by sector.

Expected values are worked by hand in the comments beside each test (no software was used
for them); tolerances are 1e-12 for sums of a few floats.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracelead.analysis import condition_profile
from tracelead.analysis.polls import (
    merge_small_categories,
    pulse,
    ranking_result,
    scale_result,
    word_counts,
)

CONDITIONS = ["task", "route", "alignment", "capability", "energy"]


# --- Scale -------------------------------------------------------------------------------


def test_a_scale_counts_each_point_and_takes_the_mean() -> None:
    # 5, 4, 4, 2 on 1..5: one 2, two 4s, one 5; mean 15 / 4 = 3.75.
    r = scale_result([5, 4, 4, 2], low=1, high=5)
    assert r.counts == (0, 1, 0, 2, 1)
    assert r.n == 4
    assert r.mean == pytest.approx(3.75, abs=1e-12)


def test_a_scale_from_zero_to_ten_has_eleven_points() -> None:
    r = scale_result([0, 10, 10, 7], low=0, high=10)
    assert len(r.counts) == 11
    assert r.counts[0] == 1 and r.counts[7] == 1 and r.counts[10] == 2
    assert r.mean == pytest.approx(27 / 4, abs=1e-12)


def test_a_scale_with_no_answers_has_zero_counts_and_no_mean() -> None:
    r = scale_result([], low=1, high=5)
    assert r.counts == (0, 0, 0, 0, 0) and r.n == 0
    assert math.isnan(r.mean)


@pytest.mark.parametrize("values", [[0], [6], [2.5], [float("nan")]])
def test_a_scale_refuses_answers_off_the_scale(values: list[float]) -> None:
    with pytest.raises(ValueError, match="whole numbers from 1 to 5"):
        scale_result(values, low=1, high=5)


def test_a_scale_needs_its_low_end_under_its_high_end() -> None:
    with pytest.raises(ValueError, match="low < high"):
        scale_result([3], low=5, high=5)


# --- Ranking -----------------------------------------------------------------------------


def test_a_ranking_adds_borda_points_worked_by_hand() -> None:
    # Three options, four people. Places (1 = first):
    #   A: 1, 2, 1, 2 -> total 6, mean 1.5,  points 4*3 - 6 = 6
    #   B: 2, 1, 3, 3 -> total 9, mean 2.25, points 12 - 9 = 3
    #   C: 3, 3, 2, 1 -> total 9, mean 2.25, points 3
    # B and C tie on points; the tie keeps the options' order, so A, B, C.
    r = ranking_result([[0, 1, 2], [1, 0, 2], [0, 2, 1], [2, 0, 1]], n_options=3)
    assert r.n == 4
    assert r.points == (6, 3, 3)
    assert r.mean_position == pytest.approx((1.5, 2.25, 2.25), abs=1e-12)
    assert r.order == (0, 1, 2)


def test_a_ranking_puts_the_most_points_first() -> None:
    # Two people both rank C first and A last: C 2+2 = 4, B 1+1 = 2, A 0.
    r = ranking_result([[2, 1, 0], [2, 1, 0]], n_options=3)
    assert r.points == (0, 2, 4)
    assert r.order == (2, 1, 0)


def test_a_ranking_refuses_an_option_twice() -> None:
    with pytest.raises(ValueError, match="once each"):
        ranking_result([[0, 0, 1]], n_options=3)


def test_a_ranking_with_no_answers_has_no_points_and_no_mean_place() -> None:
    r = ranking_result([], n_options=2)
    assert r.points == (0, 0)
    assert all(math.isnan(v) for v in r.mean_position)


# --- Word cloud --------------------------------------------------------------------------


def test_words_are_counted_once_per_person_after_folding_case_and_punctuation() -> None:
    # "Trust" and "TRUST!" from the same person count once; three people said trust.
    entries = [["Trust", "TRUST!", "time"], ["trust"], ["Data"], [" trust ", "data."]]
    assert word_counts(entries) == [("trust", 3), ("data", 2), ("time", 1)]


def test_word_counts_keep_only_the_most_frequent() -> None:
    entries = [["a", "b", "c"], ["a", "b"], ["a"]]
    assert word_counts(entries, limit=2) == [("a", 3), ("b", 2)]


def test_blank_words_are_not_counted() -> None:
    assert word_counts([["  ", "!!"], ["ok"]]) == [("ok", 1)]


# --- The TRACE pulse ---------------------------------------------------------------------

# Five people rate the five conditions (columns in CONDITIONS' order).
ROOM = np.array([
    [5, 2, 1, 3, 5],
    [4, 2, 5, 4, 5],
    [4, 2, 1, 3, 4],
    [3, 2, 5, 4, 5],
    [4, 2, 3, 3, 5],
], dtype=float)
# By hand, rwg = 1 - s^2 / 2 on five points (the uniform null variance (5^2 - 1) / 12 = 2),
# truncated to 0..1, with s^2 the sample variance (divisor n - 1 = 4):
#   task       5,4,4,3,4:   mean 4,   squares 1+0+0+1+0 = 2,   s^2 0.5,  rwg 0.75
#   route      2,2,2,2,2:   mean 2,   s^2 0,                                   rwg 1
#   alignment  1,5,1,5,3:   mean 3,   squares 4+4+4+4+0 = 16, s^2 4,  1 - 2 < 0 -> rwg 0
#   capability 3,4,3,4,3:   mean 3.4, squares .16*3 + .36*2 = 1.2, s^2 0.3,  rwg 0.85
#   energy     5,5,4,5,5:   mean 4.8, squares .04*4 + .64 = 0.8,  s^2 0.2,  rwg 0.9
HAND = {"task": (4.0, 0.75), "route": (2.0, 1.0), "alignment": (3.0, 0.0),
        "capability": (3.4, 0.85), "energy": (4.8, 0.9)}


def test_the_pulse_level_and_sharedness_are_those_worked_by_hand() -> None:
    result = pulse(ROOM, CONDITIONS)
    for c in result.profile.conditions:
        level, rwg = HAND[c.key]
        assert c.n == 5
        assert c.mean == pytest.approx(level, abs=1e-12)
        assert c.rwg_j == pytest.approx(rwg, abs=1e-12)


def test_the_pulse_equals_the_group_reports_condition_profile() -> None:
    result = pulse(ROOM, CONDITIONS)
    profile = condition_profile(ROOM, CONDITIONS)
    for mine, theirs in zip(result.profile.conditions, profile.conditions, strict=True):
        assert mine.key == theirs.key and mine.n == theirs.n
        assert mine.mean == theirs.mean
        assert mine.rwg_j == theirs.rwg_j


def test_the_pulse_talks_first_about_the_condition_the_room_is_split_on() -> None:
    # Alignment is rated 3 on average but spread from 1 to 5 (rwg 0): a split room.
    result = pulse(ROOM, CONDITIONS)
    assert result.focus is not None
    assert result.focus.condition == "alignment"
    assert result.focus.reason == "not_shared"


def test_the_pulse_counts_only_those_who_rated_a_condition() -> None:
    room = ROOM.copy()
    room[4, 0] = np.nan  # the fifth person skipped Task: 5, 4, 4, 3 -> mean 4
    result = pulse(room, CONDITIONS)
    task = result.profile.condition("task")
    assert task.n == 4
    assert task.mean == pytest.approx(4.0, abs=1e-12)
    # squares 1 + 0 + 0 + 1 = 2, s^2 = 2 / 3, rwg = 1 - 1/3
    assert task.rwg_j == pytest.approx(2 / 3, abs=1e-12)


def test_an_empty_pulse_has_no_focus() -> None:
    result = pulse(np.zeros((0, 5)), CONDITIONS)
    assert result.focus is None
    assert all(c.n == 0 for c in result.profile.conditions)


def test_a_pulse_refuses_a_condition_twice() -> None:
    with pytest.raises(ValueError, match="one statement per condition"):
        pulse([[1, 2]], ["task", "task"])


# --- Merging small categories ------------------------------------------------------------

SECTORS = ["acute", "community", "housing", "local_authority", "primary_care", "vcfse",
           "not_given"]
counts_strategy = st.dictionaries(st.sampled_from(SECTORS), st.integers(0, 30))


def test_the_documented_example_merges_down_to_two_groups() -> None:
    # acute 9 is shown; housing 1, vcfse 2 are under 5 and primary 6 joins them so the
    # merged group (9) is not one category.
    m = merge_small_categories({"acute": 9, "housing": 1, "primary": 6, "vcfse": 2},
                               threshold=5)
    assert m.shown == {"acute": 9}
    assert m.merged == ("housing", "primary", "vcfse")
    assert m.merged_count == 9 and not m.withheld


def test_one_small_category_never_stands_alone_as_the_merged_group() -> None:
    # housing 1 alone would be "the others" and name itself; the smallest shown sector
    # (acute 5, before local_authority 5 by name) joins it.
    m = merge_small_categories({"housing": 1, "acute": 5, "local_authority": 5}, threshold=5)
    assert m.shown == {"local_authority": 5}
    assert m.merged == ("acute", "housing")
    assert m.merged_count == 6


def test_a_breakdown_that_cannot_make_two_groups_is_withheld() -> None:
    m = merge_small_categories({"housing": 1, "local_authority": 5}, threshold=5)
    assert m.withheld and m.shown == {}


def test_the_threshold_must_be_a_whole_number_of_at_least_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        merge_small_categories({"a": 3}, threshold=0)
    with pytest.raises(ValueError, match="at least 1"):
        merge_small_categories({"a": 3}, threshold=True)


@given(counts=counts_strategy, threshold=st.integers(1, 10))
def test_every_group_shown_holds_at_least_the_threshold(counts: dict[str, int],
                                                        threshold: int) -> None:
    m = merge_small_categories(counts, threshold=threshold)
    if m.withheld:
        return
    assert all(n >= threshold for n in m.shown.values())
    if m.merged:
        assert m.merged_count >= threshold


@given(counts=counts_strategy, threshold=st.integers(1, 10))
def test_the_merged_group_is_never_a_single_category(counts: dict[str, int],
                                                     threshold: int) -> None:
    m = merge_small_categories(counts, threshold=threshold)
    if not m.withheld:
        assert len(m.merged) != 1


@given(counts=counts_strategy, threshold=st.integers(1, 10))
def test_merging_keeps_every_person_and_every_category(counts: dict[str, int],
                                                      threshold: int) -> None:
    m = merge_small_categories(counts, threshold=threshold)
    present = {c for c, n in counts.items() if n > 0}
    total = sum(counts.values())
    assert sum(m.shown.values()) + m.merged_count == total
    assert not set(m.shown) & set(m.merged)
    assert set(m.shown) | set(m.merged) == present
    for c, n in m.shown.items():
        assert counts[c] == n


@given(counts=counts_strategy, threshold=st.integers(1, 10))
def test_a_breakdown_shows_at_least_two_groups_or_none(counts: dict[str, int],
                                                      threshold: int) -> None:
    m = merge_small_categories(counts, threshold=threshold)
    groups = len(m.shown) + (1 if m.merged else 0)
    if m.withheld:
        assert m.shown == {}
    else:
        assert groups >= 2


@given(counts=counts_strategy, threshold=st.integers(1, 10))
def test_fewer_than_two_groups_worth_of_people_is_always_withheld(counts: dict[str, int],
                                                                   threshold: int) -> None:
    present = [n for n in counts.values() if n > 0]
    m = merge_small_categories(counts, threshold=threshold)
    if len(present) < 2 or sum(present) < 2 * threshold:
        assert m.withheld
