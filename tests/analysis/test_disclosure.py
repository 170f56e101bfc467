"""Disclosure control: the threshold rule and complementary suppression in hierarchies."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import null_space

from tracelead.analysis import (
    COMMENTS_THRESHOLD,
    FIGURES_THRESHOLD,
    DisclosureDecision,
    disclose,
    suppress_hierarchy,
)


def test_it_hides_groups_under_threshold():
    decision = disclose(4)
    assert decision == DisclosureDecision(shown=False, n=4, threshold=5, kind="figures",
                                          reason="below_threshold")
    assert not decision


def test_it_shows_groups_at_the_threshold():
    assert disclose(5).shown and disclose(5).reason == "at_or_above_threshold"
    assert disclose(3, threshold=3).shown


def test_it_needs_more_respondents_before_showing_comments():
    assert (FIGURES_THRESHOLD, COMMENTS_THRESHOLD) == (5, 10)
    assert not disclose(9, kind="comments").shown
    assert disclose(10, kind="comments").shown
    assert disclose(7, kind="comments", threshold=7).threshold == 7


def test_it_hides_an_empty_group():
    assert not disclose(0).shown


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((-1,), {}, "n must be a whole number of respondents"),
        ((2.5,), {}, "n must be a whole number of respondents"),
        ((6,), {"kind": "text"}, "kind must be one of 'figures', 'comments'; got 'text'"),
        ((6,), {"threshold": 0}, "threshold must be an integer of at least 1"),
    ],
)
def test_it_rejects_bad_disclosure_input_naming_the_allowed_values(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        disclose(*args, **kwargs)


def test_it_hides_a_sibling_so_an_organisation_total_cannot_reveal_a_small_team():
    # organisation 30 = teams 3 + 12 + 15: without a second hidden team, 30 - 12 - 15 = 3.
    hidden = suppress_hierarchy([30, 3, 12, 15], [-1, 0, 0, 0], threshold=5)
    assert hidden.tolist() == [False, True, True, False]


def test_it_hides_enough_siblings_that_their_total_is_not_a_small_group():
    # teams 2 and 1 hidden: their total, 3, would be revealed; the smallest team joins them.
    hidden = suppress_hierarchy([29, 2, 1, 11, 15], [-1, 0, 0, 0, 0], threshold=5)
    assert hidden.tolist() == [False, True, True, True, False]


def test_it_hides_a_parent_whose_only_child_is_hidden():
    # system 40 -> organisation A 8 (one team of 3 and 5 at organisation level) and B 32.
    counts = [40, 8, 32, 3]
    parents = [-1, 0, 0, 1]
    hidden = suppress_hierarchy(counts, parents, threshold=5)
    # team 3 is hidden; A's own 5 respondents keep it safe inside A (8 = 3 + 5 unknown).
    assert hidden.tolist() == [False, False, False, True]


def test_it_carries_suppression_up_when_a_family_has_nothing_left_to_hide():
    # organisation 9 has one team of 9: equal figures. The team is shown, nothing hidden.
    assert not suppress_hierarchy([9, 9], [-1, 0], threshold=5).any()
    # the team forced hidden: its parent shows the same figures, so the parent goes too.
    hidden = suppress_hierarchy([9, 9], [-1, 0], threshold=5, already_suppressed=[False, True])
    assert hidden.tolist() == [True, True]


def test_it_leaves_a_flat_list_of_groups_to_the_threshold_rule():
    assert suppress_hierarchy([4, 5, 0, 12], [-1, -1, -1, -1], threshold=5).tolist() == [
        True, False, True, False]


@pytest.mark.parametrize(
    ("counts", "parents", "message"),
    [
        ([5, 5], [1, 0], "parents contains a cycle"),
        ([5, 5], [-1, 2], r"parents must hold -1 or a node index in 0..1"),
        ([5, 5], [-1, 1], "node 1 is its own parent"),
        ([5, 9], [-1, 0], "node 0 has 5 respondents but its children have 9"),
        ([5, -1], [-1, 0], "counts must be 0 or more"),
        ([5, 5], [-1], "parents must be one-dimensional with one entry per node"),
        ([5.5, 5], [-1, -1], "counts must be whole numbers"),
    ],
)
def test_it_rejects_an_invalid_hierarchy_with_a_clear_message(counts, parents, message):
    with pytest.raises(ValueError, match=message):
        suppress_hierarchy(counts, parents, threshold=5)


@st.composite
def hierarchies(draw):
    """Random forests (parent before child) with counts that add up, and a threshold."""
    size = draw(st.integers(1, 30))
    parents = [-1]
    for i in range(1, size):
        parents.append(draw(st.integers(-1, i - 1)))
    counts = [0] * size
    own = [draw(st.integers(0, 14)) for _ in range(size)]
    has_child = {p for p in parents if p >= 0}
    for i in range(size):
        if i in has_child and draw(st.booleans()):
            own[i] = draw(st.integers(0, 4))  # a few respondents attached above the leaves
        elif i in has_child:
            own[i] = 0
    for i in reversed(range(size)):
        counts[i] += own[i]
        if parents[i] >= 0:
            counts[parents[i]] += counts[i]
    threshold = draw(st.integers(2, 8))
    return np.array(counts), np.array(parents), threshold


def published_equations(counts, parents):
    """Equations parent - sum(children) - residual = 0, one per node with children.

    Unknowns are hidden nodes with respondents and positive residuals; hidden empty nodes
    and zero residuals are treated as known to an attacker (the strictest reading).
    """
    size = counts.size
    families = sorted({int(p) for p in parents if p >= 0})
    residual = counts.copy()
    for i, p in enumerate(parents):
        if p >= 0:
            residual[p] -= counts[i]
    rows = []
    for p in families:
        row = np.zeros(2 * size)
        row[p] = 1.0
        row[np.nonzero(parents == p)[0]] = -1.0
        row[size + p] = -1.0 if residual[p] > 0 else 0.0
        rows.append(row)
    return np.array(rows).reshape(len(rows), 2 * size), residual


@settings(max_examples=400, deadline=None)
@given(hierarchies())
def test_no_hidden_count_or_mean_can_be_derived_by_subtraction(case):
    counts, parents, threshold = case
    hidden = suppress_hierarchy(counts, parents, threshold=threshold)
    size = counts.size
    assert hidden[counts < threshold].all(), "primary suppression missed a small group"

    matrix, residual = published_equations(counts, parents)
    unknown = np.concatenate([hidden & (counts > 0), residual > 0])
    columns = np.nonzero(unknown)[0]
    if matrix.shape[0] == 0 or columns.size == 0:
        return
    # Published cells move to the right-hand side; a hidden value is determined by the
    # published ones exactly when it is fixed on the null space of the remaining system.
    # Sums of ratings obey the same equations as counts, so means are covered too.
    basis = null_space(matrix[:, columns])
    for position, column in enumerate(columns):
        if column >= size:
            continue  # a residual: never published as a group, checked below by size
        free = basis.shape[1] > 0 and np.abs(basis[position]).max() > 1e-9
        assert free, f"hidden node {column} (n={counts[column]}) is derivable"


@settings(max_examples=400, deadline=None)
@given(hierarchies())
def test_what_a_published_total_reveals_about_hidden_children_is_never_a_small_group(case):
    counts, parents, threshold = case
    hidden = suppress_hierarchy(counts, parents, threshold=threshold)
    for p in np.nonzero(~hidden)[0]:
        children = np.nonzero(parents == p)[0]
        if children.size == 0:
            continue
        residual = counts[p] - counts[children].sum()
        revealed = counts[children][hidden[children]].sum() + residual
        assert revealed == 0 or revealed >= threshold


# --- per-node thresholds ------------------------------------------------------------------

SYSTEM = [-1, 0, 0, 1, 1, 1, 2, 2, 2]
#          system 100 > organisation A 40 (teams 8, 12, 20) and B 60 (teams 6, 7, 47)
SYSTEM_COUNTS = [100, 40, 60, 8, 12, 20, 6, 7, 47]


def test_a_doubled_threshold_hides_only_its_own_team_and_the_sibling_it_needs():
    # At 5 every group is shown. Team 3's round was not verified: its threshold is 10.
    assert not suppress_hierarchy(SYSTEM_COUNTS, SYSTEM, threshold=5).any()
    thresholds = [5] * 9
    thresholds[3] = 10
    hidden = suppress_hierarchy(SYSTEM_COUNTS, SYSTEM, threshold=thresholds)
    # 8 < 10 hides team 3; A = 40 - 12 - 20 would give it back, so the smallest shown
    # sibling (team 4, 12) is hidden too: 8 + 12 = 20 >= 5 is what A's total reveals.
    assert np.flatnonzero(hidden).tolist() == [3, 4]
    # Organisation B keeps its threshold of 5: its teams of 6 and 7 stay shown, whereas a
    # threshold of 10 everywhere would hide them.
    assert np.flatnonzero(suppress_hierarchy(SYSTEM_COUNTS, SYSTEM, threshold=10)).tolist() \
        == [3, 4, 6, 7]


def test_what_a_parent_reveals_is_judged_by_the_parents_threshold():
    # Organisation 30 = teams 4 + 5 + 21, the organisation's own threshold 10 (doubled),
    # its teams' 5. Team 4 is hidden (4 < 5) and team 5 with it (rule 2); their total,
    # 30 - 21 = 9, is under the organisation's 10, so team 21 goes too (rule 3).
    assert suppress_hierarchy([30, 4, 5, 21], [-1, 0, 0, 0], threshold=[10, 5, 5, 5]
                              ).tolist() == [False, True, True, True]
    assert suppress_hierarchy([30, 4, 5, 21], [-1, 0, 0, 0], threshold=5
                              ).tolist() == [False, True, True, False]


def test_a_lone_residual_is_judged_by_the_parents_threshold():
    # Organisation 20 = one team of 14 + 6 people attached to the organisation itself.
    # The residual 6 is revealed (20 - 14): allowed under the organisation's threshold 5,
    # not under 10, where the team is hidden so that the 6 are not a figure of their own.
    assert suppress_hierarchy([20, 14], [-1, 0], threshold=[5, 5]).tolist() == [False, False]
    assert suppress_hierarchy([20, 14], [-1, 0], threshold=[10, 5]).tolist() == [False, True]
    assert suppress_hierarchy([20, 14], [-1, 0], threshold=[5, 10]).tolist() == [False, False]


@pytest.mark.parametrize(
    ("threshold", "message"),
    [
        ([5, 5], r"threshold must be an integer or have one entry per node \(4\)"),
        ([5, 0, 5, 5], "threshold must hold integers of at least 1; got 0 at node 1"),
        ([5, 2.5, 5, 5], "threshold must hold whole numbers of at least 1"),
        ([True, True, True, True], "threshold must hold whole numbers of at least 1"),
        (0, "threshold must be an integer of at least 1"),
    ],
)
def test_it_rejects_per_node_thresholds_it_cannot_use(threshold, message):
    with pytest.raises(ValueError, match=message):
        suppress_hierarchy([30, 3, 12, 15], [-1, 0, 0, 0], threshold=threshold)


@settings(max_examples=200, deadline=None)
@given(hierarchies())
def test_a_threshold_given_per_node_gives_what_the_same_number_gives(case):
    counts, parents, threshold = case
    np.testing.assert_array_equal(
        suppress_hierarchy(counts, parents, threshold=[threshold] * counts.size),
        suppress_hierarchy(counts, parents, threshold=threshold))


@st.composite
def hierarchies_with_node_thresholds(draw):
    """A random hierarchy where some nodes (unverified rounds) have a doubled threshold."""
    counts, parents, threshold = draw(hierarchies())
    doubled = np.array(draw(st.lists(st.booleans(), min_size=counts.size,
                                     max_size=counts.size)))
    return counts, parents, np.where(doubled, 2 * threshold, threshold)


@settings(max_examples=400, deadline=None)
@given(hierarchies_with_node_thresholds())
def test_per_node_thresholds_keep_every_hidden_count_underivable(case):
    counts, parents, thresholds = case
    hidden = suppress_hierarchy(counts, parents, threshold=thresholds)
    size = counts.size
    assert hidden[counts < thresholds].all(), "primary suppression missed a small group"
    # What a shown parent reveals about its hidden children is never under its threshold.
    for p in np.nonzero(~hidden)[0]:
        children = np.nonzero(parents == p)[0]
        if children.size:
            residual = counts[p] - counts[children].sum()
            revealed = counts[children][hidden[children]].sum() + residual
            assert revealed == 0 or revealed >= thresholds[p]
    matrix, residual = published_equations(counts, parents)
    columns = np.nonzero(np.concatenate([hidden & (counts > 0), residual > 0]))[0]
    if matrix.shape[0] == 0 or columns.size == 0:
        return
    basis = null_space(matrix[:, columns])
    for position, column in enumerate(columns):
        if column < size:
            assert basis.shape[1] > 0 and np.abs(basis[position]).max() > 1e-9, (
                f"hidden node {column} (n={counts[column]}) is derivable")


@st.composite
def hierarchies_with_columns(draw):
    """One random hierarchy, nodes relabelled at random (children may come before their
    parents), with several columns of counts that add up (a report's conditions or
    items) and some cells already hidden."""
    counts, parents, threshold = draw(hierarchies())
    size = counts.size
    columns = [counts]
    for _ in range(draw(st.integers(0, 4))):
        own = np.array([draw(st.integers(0, 9)) for _ in range(size)])
        column = own.copy()
        for i in reversed(range(size)):
            if parents[i] >= 0:
                column[parents[i]] += column[i]
        columns.append(column)
    matrix = np.column_stack(columns)
    forced = np.array([[draw(st.integers(0, 9)) == 0 for _ in columns] for _ in range(size)])
    label = np.array(draw(st.permutations(range(size))))  # node i is called label[i]
    relabelled = np.full(size, -1)
    relabelled[label] = np.where(parents >= 0, label[np.maximum(parents, 0)], -1)
    shuffled, shuffled_forced = np.empty_like(matrix), np.empty_like(forced)
    shuffled[label], shuffled_forced[label] = matrix, forced
    return shuffled, relabelled, threshold, shuffled_forced


@settings(max_examples=300, deadline=None)
@given(hierarchies_with_columns())
def test_columns_suppressed_together_are_each_suppressed_as_alone(case):
    # A report suppresses all its condition (or item) columns in one call; each column
    # must get exactly what the one-column rule (checked above for disclosure) gives it.
    from tracelead.analysis.disclosure import Families, suppress_families

    counts, parents, threshold, forced = case
    limit = np.full(counts.shape[0], threshold)
    together = suppress_families(Families.of(parents), counts.astype(np.int64), limit, forced)
    for k in range(counts.shape[1]):
        alone = suppress_hierarchy(counts[:, k], parents, threshold=threshold,
                                   already_suppressed=forced[:, k])
        assert np.array_equal(together[:, k], alone), f"column {k}"


def test_a_family_broken_in_one_column_only_changes_that_column():
    # Organisation 0 (teams 1-3). Column 0: team 1 has 3 < 5, so its smallest published
    # sibling (team 2, 6) is hidden too; column 1: every team at 5 or more, nothing hidden.
    from tracelead.analysis.disclosure import Families, suppress_families

    parents = np.array([-1, 0, 0, 0])
    counts = np.array([[19, 30], [3, 10], [6, 10], [10, 10]])
    hidden = suppress_families(Families.of(parents), counts, np.full(4, 5),
                               np.zeros((4, 2), dtype=bool))
    assert hidden.tolist() == [[False, False], [True, False], [True, False], [False, False]]


def test_a_one_dimensional_mask_with_columns_of_counts_is_refused():
    # With (G, K) counts a (G,) mask would be lined up with the columns, not the nodes
    # (silently wrong when G == K): it must be given as (G, 1).
    from tracelead.analysis.disclosure import Families, suppress_families

    parents = np.array([-1, 0])
    counts = np.array([[10, 10], [10, 10]])
    with pytest.raises(ValueError, match="one row per node"):
        suppress_families(Families.of(parents), counts, np.full(2, 5), np.array([True, False]))
    per_node = suppress_families(Families.of(parents), counts, np.full(2, 5),
                                 np.array([[True], [False]]))
    assert per_node.tolist() == [[True, True], [True, True]]  # node 0 forced; 1 then alone
