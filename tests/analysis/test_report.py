"""groups_report: the vectorised many-groups report agrees with the one-group functions."""

from __future__ import annotations

import numpy as np
import pytest

from tracelead.analysis import (
    condition_profile,
    condition_scores,
    cronbach_alpha,
    groups_report,
    icc1,
    icc2,
    suppress_hierarchy,
)
from tracelead.analysis import report as report_module

KEYS = ["task"] * 3 + ["route"] * 2 + ["energy"] * 2


def synthetic(seed: int = 0):
    """Two systems > five organisations > 16 teams, some respondents at organisation level."""
    rng = np.random.default_rng(seed)
    parents = np.array([-1, -1, 0, 0, 1, 1, 1] + [2, 2, 3, 3, 3, 4, 4, 5, 5, 6] * 1
                       + [2, 3, 4, 5, 6, 6])
    size = parents.size
    teams = np.nonzero(~np.isin(np.arange(size), parents))[0]
    direct = np.concatenate([teams, [2, 4, 6]])
    sizes = rng.integers(1, 12, size=direct.size)
    group = np.repeat(direct, sizes)
    effect = rng.normal(scale=0.7, size=size)[group]
    values = np.round(np.clip(3 + effect[:, None] + rng.normal(size=(group.size, 7)), 1, 5))
    values[rng.random(values.shape) < 0.1] = np.nan
    return values, group, parents


def members(parents: np.ndarray, node: int, group: np.ndarray) -> np.ndarray:
    below = {node}
    changed = True
    while changed:
        new = below | {i for i, p in enumerate(parents) if p in below}
        changed, below = new != below, new
    return np.isin(group, list(below))


@pytest.mark.parametrize("item_rows", [None, 5])
def test_it_matches_condition_profile_for_every_group_at_every_level(monkeypatch, item_rows):
    # item_rows: the item statistics worked out five nodes at a time, so that blocks of
    # nodes end inside the hierarchy and the last one is short (23 nodes).
    if item_rows:
        monkeypatch.setattr(report_module, "_ITEM_ROWS", item_rows)
    values, group, parents = synthetic()
    report = groups_report(values, group, KEYS, parents=parents, threshold=5)
    assert report.conditions == ("task", "route", "energy")
    for node in range(parents.size):
        rows = members(parents, node, group)
        assert report.n_respondents[node] == rows.sum()
        if rows.sum() == 0:
            continue
        profile = condition_profile(values[rows], KEYS)
        for c, result in enumerate(profile.conditions):
            assert report.n[node, c] == result.n
            for field in ("mean", "sd", "ci_low", "ci_high", "rwg_j"):
                np.testing.assert_allclose(getattr(report, field)[node, c],
                                           getattr(result, field), atol=1e-9, equal_nan=True)
        for i, item in enumerate(profile.items):
            assert tuple(report.item_counts[node, i]) == item.counts


def test_its_iccs_match_the_one_way_anova_functions():
    values, group, parents = synthetic(1)
    report = groups_report(values, group, KEYS, parents=parents)
    _, scores = condition_scores(values, KEYS)
    teams = np.nonzero(report.depth == 2)[0]
    in_team = np.isin(group, teams)
    for c in range(3):
        ok = in_team & ~np.isnan(scores[:, c])
        assert report.level_icc1[2, c] == pytest.approx(icc1(scores[ok, c], group[ok]), abs=1e-9)
        assert report.level_icc2[2, c] == pytest.approx(icc2(scores[ok, c], group[ok]), abs=1e-9)
    # ICC across the children of organisation 3 (teams 9, 10, 11 and 18).
    children = np.nonzero(parents == 3)[0]
    ok = np.isin(group, children) & ~np.isnan(scores[:, 0])
    assert report.icc1[3, 0] == pytest.approx(icc1(scores[ok, 0], group[ok]), abs=1e-9)
    assert np.isnan(report.icc1[teams]).all()
    # Every node with children, every condition: the one-way ANOVA across its children,
    # each child with everyone below it.
    for node in np.unique(parents[parents >= 0]):
        label = np.full(group.size, -1)
        for child in np.nonzero(parents == node)[0]:
            label[members(parents, child, group)] = child
        for c in range(3):
            ok = (label >= 0) & ~np.isnan(scores[:, c])
            assert np.unique(label[ok]).size >= 2  # every family here has two with data
            want = icc1(scores[ok, c], label[ok]), icc2(scores[ok, c], label[ok])
            np.testing.assert_allclose([report.icc1[node, c], report.icc2[node, c]], want,
                                       atol=1e-9)


def test_its_alpha_is_cronbach_alpha_over_everyone_who_answered_a_whole_condition():
    values, group, parents = synthetic(2)
    report = groups_report(values, group, KEYS, parents=parents)
    for c, key in enumerate(report.conditions):
        items = values[:, [k == key for k in KEYS]]
        assert report.alpha[c] == pytest.approx(cronbach_alpha(items), abs=1e-12)


def test_its_suppression_is_suppress_hierarchy_on_respondent_and_cell_counts():
    values, group, parents = synthetic(2)
    report = groups_report(values, group, KEYS, parents=parents, threshold=6)
    expected = suppress_hierarchy(report.n_respondents, parents, threshold=6)
    np.testing.assert_array_equal(report.suppressed, expected)
    assert report.cell_suppressed[report.suppressed].all()
    assert report.cell_suppressed[report.n < 6].all()
    assert report.item_suppressed[report.suppressed].all()
    for i, key in enumerate(KEYS):
        c = report.conditions.index(key)
        assert report.item_suppressed[report.cell_suppressed[:, c], i].all()


def test_it_treats_groups_without_parents_as_a_flat_list():
    values = np.array([[4, 5], [4, 4], [2, 3], [3, 3], [5, 5]], dtype=float)
    report = groups_report(values, [0, 0, 1, 1, 1], ["task", "task"], threshold=3)
    assert report.parents.tolist() == [-1, -1]
    assert report.suppressed.tolist() == [True, False]
    assert report.mean[:, 0] == pytest.approx([4.25, 3.5])
    assert report.level_icc1.shape == (1, 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"group_index": [0, 0, 2]}, r"node indices in 0..1"),
        ({"group_index": [0, 0]}, "one node index per respondent"),
        ({"group_index": [0.0, 1.0, 1.0]}, "integer node indices"),
        ({"values": [[4, 9], [4, 4], [2, 3]]}, "whole numbers from 1 to 5"),
        ({"parents": [1, 0]}, "cycle"),
        ({"threshold": 0}, "threshold must be an integer of at least 1"),
        ({"threshold": [5, 5, 5]}, r"threshold must be an integer or have one entry per node"),
        ({"threshold": [5, 0]}, "threshold must hold integers of at least 1; got 0 at node 1"),
    ],
)
def test_it_rejects_report_input_it_cannot_use(kwargs, message):
    args = {"values": [[4, 5], [4, 4], [2, 3]], "group_index": [0, 0, 1],
            "parents": [-1, 0]} | kwargs
    with pytest.raises(ValueError, match=message):
        groups_report(args.pop("values"), args.pop("group_index"), ["task", "task"], **args)


def test_it_applies_a_threshold_per_node_to_groups_cells_and_items():
    values, group, parents = synthetic(3)
    report = groups_report(values, group, KEYS, parents=parents, threshold=5)
    assert report.threshold == 5 and report.node_threshold.tolist() == [5] * parents.size
    # Double the threshold of one team with respondents between 5 and 9 (an unverified
    # round): it is hidden now, and nothing outside its organisation changes.
    team = next(g for g in np.flatnonzero(report.depth == 2)
                if 5 <= report.n_respondents[g] < 10)
    thresholds = np.full(parents.size, 5)
    thresholds[team] = 10
    doubled = groups_report(values, group, KEYS, parents=parents, threshold=thresholds)
    assert doubled.threshold == 10
    assert doubled.node_threshold.tolist() == thresholds.tolist()
    np.testing.assert_array_equal(
        doubled.suppressed, suppress_hierarchy(doubled.n_respondents, parents,
                                               threshold=thresholds))
    assert doubled.suppressed[team] and not report.suppressed[team]
    assert doubled.cell_suppressed[team].all() and doubled.item_suppressed[team].all()
    outside = np.flatnonzero((parents != parents[team]) & (np.arange(parents.size)
                                                           != parents[team]))
    np.testing.assert_array_equal(doubled.suppressed[outside], report.suppressed[outside])


def test_threads_sharing_the_report_give_the_same_report(monkeypatch):
    # Three threads: the counts added up beside the condition figures, the nodes of the
    # item statistics in three shares of blocks of two, and the items suppressed in
    # three groups of columns; the same arrays as one thread doing it all in turn.
    monkeypatch.setattr(report_module, "_ITEM_ROWS", 2)
    monkeypatch.setattr(report_module, "_THREADED_NODES", 1)
    values, group, parents = synthetic(3)
    one = groups_report(values, group, KEYS, parents=parents, threshold=4, workers=1)
    three = groups_report(values, group, KEYS, parents=parents, threshold=4, workers=3)
    assert one.item_suppressed.any() and not one.item_suppressed.all()
    for name, value in vars(one).items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(three, name), value, err_msg=name)
        else:
            assert getattr(three, name) == value, name
