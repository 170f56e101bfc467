"""focus_condition: the documented rule that uses level and sharedness."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tracelead.analysis import (
    ConditionResult,
    GroupProfile,
    agreement_band,
    condition_profile,
    focus_condition,
)

TRACE_ROLES = {"task": "Architect", "route": "Architect", "alignment": "Composer",
               "capability": "Coach", "energy": "Champion"}


def profile_of(*conditions: tuple[str, float, float]) -> GroupProfile:
    """A profile from (key, mean, rwg_j) triples; the other fields do not enter the rule."""
    return GroupProfile(
        n_respondents=10,
        conditions=tuple(
            ConditionResult(key=k, n=10 if not math.isnan(m) else 0, mean=m, sd=1.0,
                            ci_low=m - 0.5, ci_high=m + 0.5, rwg_j=r, n_items=7)
            for k, m, r in conditions
        ),
        items=(),
    )


def test_it_puts_a_condition_rated_well_but_not_shared_first():
    focus = focus_condition(profile_of(("task", 4.3, 0.2), ("route", 2.1, 0.8),
                                       ("energy", 3.0, 0.75)), roles=TRACE_ROLES)
    assert (focus.condition, focus.reason, focus.role) == ("task", "rated_well_not_shared",
                                                          "Architect")
    assert focus.level == 4.3 and focus.sharedness == 0.2
    assert focus.band == "lack of agreement"


def test_it_chooses_the_lowest_shared_level_when_all_conditions_are_shared():
    focus = focus_condition(profile_of(("task", 3.9, 0.8), ("route", 2.5, 0.6),
                                       ("alignment", 3.1, 0.95)), roles=TRACE_ROLES)
    assert (focus.condition, focus.reason, focus.role) == ("route", "lowest_level", "Architect")
    assert [r.condition for r in focus.ranking] == ["route", "alignment", "task"]


def test_it_puts_the_least_shared_condition_first_among_unshared_ones():
    focus = focus_condition(profile_of(("task", 2.0, 0.45), ("route", 3.0, 0.1),
                                       ("alignment", 1.5, 0.9)))
    assert [(r.condition, r.reason) for r in focus.ranking] == [
        ("route", "not_shared"), ("task", "not_shared"), ("alignment", "lowest_level")]
    assert focus.role is None


def test_it_keeps_instrument_order_on_ties():
    focus = focus_condition(profile_of(("task", 3.0, 0.8), ("route", 3.0, 0.8)))
    assert focus.condition == "task"


def test_it_picks_the_lowest_strength_when_everything_is_strong():
    focus = focus_condition(profile_of(("task", 4.5, 0.95), ("route", 4.2, 0.92)))
    assert (focus.condition, focus.reason) == ("route", "strength")


def test_it_ranks_conditions_without_data_last():
    focus = focus_condition(profile_of(("task", math.nan, math.nan), ("route", 4.0, 0.9)))
    assert [r.reason for r in focus.ranking] == ["strength", "no_data"]


def test_it_treats_unknown_sharedness_of_one_respondent_by_level():
    profile = condition_profile([[2, 4]], ["task", "route"])
    focus = focus_condition(profile)
    assert (focus.condition, focus.reason, focus.band) == ("task", "lowest_level", "")


def test_it_finds_a_split_group_from_real_answers():
    answers = np.array([[5, 5, 4, 4], [1, 1, 4, 3], [5, 5, 4, 4], [1, 2, 3, 4]], dtype=float)
    profile = condition_profile(answers, ["task", "task", "route", "route"])
    focus = focus_condition(profile)
    assert (focus.condition, focus.reason) == ("task", "not_shared")


def test_its_threshold_sets_what_counts_as_shared():
    profile = profile_of(("task", 3.0, 0.6), ("route", 2.0, 0.9))
    assert focus_condition(profile).condition == "route"
    assert focus_condition(profile, agreement_threshold=0.7).condition == "task"


def test_it_rejects_options_out_of_range():
    profile = profile_of(("task", 3.0, 0.6))
    with pytest.raises(ValueError, match=r"agreement_threshold must be in \[0, 1\]"):
        focus_condition(profile, agreement_threshold=1.5)
    with pytest.raises(ValueError, match="good_level must be between 1 and scale_points"):
        focus_condition(profile, good_level=7)


def test_it_refuses_a_profile_without_any_score():
    with pytest.raises(ValueError, match="no condition has a score"):
        focus_condition(profile_of(("task", math.nan, math.nan)))


@pytest.mark.parametrize(
    ("value", "band"),
    [(0.0, "lack of agreement"), (0.30, "lack of agreement"), (0.305, "weak agreement"),
     (0.50, "weak agreement"), (0.51, "moderate agreement"), (0.70, "moderate agreement"),
     (0.71, "strong agreement"), (0.90, "strong agreement"), (0.91, "very strong agreement"),
     (1.0, "very strong agreement")],
)
def test_it_names_the_lebreton_senter_agreement_bands(value, band):
    assert agreement_band(value) == band


@pytest.mark.parametrize("value", [-0.1, 1.1, math.nan])
def test_it_rejects_an_agreement_value_outside_0_to_1(value):
    with pytest.raises(ValueError, match=r"rwg_j must be a number in \[0, 1\]"):
        agreement_band(value)
