"""The disclosure audit: the rank test and audit intervals over everything published."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

import tracelead.analysis as analysis
from tracelead.analysis import (
    AuditResult,
    audit_disclosure,
    audit_intervals,
    determined_cells,
)

# An organisation of three teams, atoms = the teams' sums of ratings on a 1-5 scale.
# Published: the organisation's sum and team 3's sum. Teams of 3, 12 and 15 people.
ORG_ROWS = [[1, 1, 1], [0, 0, 1]]
TEAM_1, TEAMS_1_2 = [1, 0, 0], [1, 1, 0]
COUNTS = np.array([3, 12, 15])
LOWER, UPPER = COUNTS * 1, COUNTS * 5


def test_it_is_exported_from_the_package():
    for name in ("AuditResult", "audit_disclosure", "audit_intervals", "determined_cells"):
        assert name in analysis.__all__


def test_a_team_is_hidden_by_its_sibling_but_the_pair_is_determined():
    # Team 1 + team 2 = organisation - team 3: the pair's vector [1, 1, 0] is row 1 - row 2.
    # Team 1 alone, [1, 0, 0], is not a combination a*[1, 1, 1] + b*[0, 0, 1].
    assert determined_cells(ORG_ROWS, [TEAM_1, TEAMS_1_2]).tolist() == [False, True]


@pytest.mark.parametrize(
    ("residual", "team_1"),
    [
        # K = teams 1 + 2. Team 1 = K - team 2, team 2 in [12, 60], team 1 in [3, 15]:
        # team 1 in [max(3, K - 60), min(15, K - 12)].
        (40, (3, 15)),  # [max(3, -20), min(15, 28)]
        (20, (3, 8)),  # [max(3, -40), min(15, 8)]
        (70, (10, 15)),  # [max(3, 10), min(15, 58)]
        (66, (6, 15)),  # [max(3, 6), min(15, 54)]
    ],
)
def test_a_teams_interval_is_what_the_organisation_total_leaves(residual, team_1):
    team_3 = 50
    values = [residual + team_3, team_3]
    low, high = audit_intervals(ORG_ROWS, values, [TEAM_1, TEAMS_1_2], lower=LOWER,
                                upper=UPPER)
    np.testing.assert_allclose(low, [team_1[0], residual], atol=1e-7)
    np.testing.assert_allclose(high, [team_1[1], residual], atol=1e-7)


def test_a_hidden_atom_is_determined_by_differencing_two_publications():
    # Publication 1: a + b + c = 12. Publication 2 (after a re-scoping): a + b = 7.
    # c = 12 - 7 = 5 exactly, though c was never published; a and b stay uncertain:
    # a = 7 - b with b in [0, 10] gives a in [0, 7].
    rows = [[1, 1, 1], [1, 1, 0]]
    cells = [[0, 0, 1], [1, 0, 0], [0, 1, 0]]
    assert determined_cells(rows, cells).tolist() == [True, False, False]
    result = audit_disclosure(rows, cells, lower=0, upper=10, published_values=[12, 7],
                              protection=1.0)
    assert result.determined.tolist() == [True, False, False]
    np.testing.assert_allclose(result.low, [5, 0, 0], atol=1e-7)
    np.testing.assert_allclose(result.high, [5, 7, 7], atol=1e-7)
    assert result.exposed.tolist() == [True, False, False]
    assert result.any_exposed and result.first_exposed == 0


def test_uniform_maximum_answers_expose_a_team_that_is_not_determined():
    # Everyone in teams 1 and 2 answered 5: K = 3*5 + 12*5 = 75, the largest possible.
    # Team 1 in [max(3, 75 - 60), min(15, 75 - 12)] = [15, 15]: its mean is known to be 5.
    values = [75 + 50, 50]
    result = audit_disclosure(ORG_ROWS, [TEAM_1], lower=LOWER, upper=UPPER,
                              published_values=values, divisor=[3], protection=1.0)
    assert not result.determined[0]
    np.testing.assert_allclose([result.low[0], result.high[0]], [15, 15], atol=1e-7)
    assert result.width[0] == pytest.approx(0.0, abs=1e-7)
    assert result.exposed.tolist() == [True]


def test_the_protection_level_is_compared_on_the_scale_of_the_mean():
    # K = 70: team 1's sum in [10, 15], so its mean (divisor 3) in [3.33, 5]: width 5/3.
    values = [70 + 50, 50]
    loose = audit_disclosure(ORG_ROWS, [TEAM_1], lower=LOWER, upper=UPPER,
                             published_values=values, divisor=[3], protection=1.0)
    strict = audit_disclosure(ORG_ROWS, [TEAM_1], lower=LOWER, upper=UPPER,
                              published_values=values, divisor=[3], protection=2.0)
    assert loose.width[0] == pytest.approx(5 / 3, abs=1e-7)
    assert not loose.any_exposed and loose.first_exposed is None
    assert strict.exposed.tolist() == [True] and strict.first_exposed == 0


def test_without_published_values_only_the_rank_test_runs():
    result = audit_disclosure(ORG_ROWS, [TEAM_1, TEAMS_1_2], lower=LOWER, upper=UPPER,
                              protection=100.0)
    assert isinstance(result, AuditResult)
    assert result.determined.tolist() == [False, True]
    assert result.exposed.tolist() == [False, True]
    assert np.isnan(result.low).all() and np.isnan(result.high).all()
    assert np.isnan(result.width).all()


def test_an_all_zero_cell_is_no_cell_and_never_exposed():
    result = audit_disclosure(ORG_ROWS, [[0, 0, 0], TEAM_1], lower=LOWER, upper=UPPER,
                              published_values=[120, 50], protection=100.0)
    # Its value, 0, is trivially determined, but nothing is hidden in it.
    assert result.determined.tolist() == [True, False]
    assert result.exposed.tolist() == [False, True]
    assert (result.low[0], result.high[0]) == (0.0, 0.0)


def test_nothing_published_leaves_each_cell_its_bounds():
    for rows in ([], np.zeros((0, 3))):
        assert determined_cells(rows, [TEAM_1, [0, 0, 0]]).tolist() == [False, True]
        low, high = audit_intervals(rows, [], [TEAM_1, [1, -1, 0]], lower=LOWER,
                                    upper=UPPER)
        # [1, -1, 0]: team 1 - team 2 in [3 - 60, 15 - 12].
        np.testing.assert_allclose(low, [3, -57])
        np.testing.assert_allclose(high, [15, 3])


def test_it_refuses_an_infeasible_publication():
    # Team 3's sum 80 exceeds its largest possible sum, 15 * 5 = 75.
    with pytest.raises(ValueError, match="published_values are infeasible"):
        audit_intervals(ORG_ROWS, [120, 80], [TEAM_1], lower=LOWER, upper=UPPER)
    # a + b = 5 and a + b = 6 contradict each other whatever the bounds.
    with pytest.raises(ValueError, match="published_values are infeasible"):
        audit_disclosure([[1, 1], [1, 1]], [[1, 0]], lower=0, upper=10,
                         published_values=[5, 6])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cells": [[1, 0]]}, r"cells must have one column per atom \(3"),
        ({"cells": [1, 0, 0]}, "cells must be two-dimensional"),
        ({"cells": [[1, np.nan, 0]]}, "cells must contain finite numbers"),
        ({"published_rows": [1, 1, 1]}, "published_rows must be two-dimensional"),
        ({"published_rows": [[1, np.inf, 1]]}, "published_rows must contain finite"),
        ({"published_values": [120]}, "published_values must have one entry per row"),
        ({"published_values": [120, np.nan]}, "published_values must contain finite"),
        ({"lower": [3, 12]}, r"lower must be a number or have one entry per atom \(3\)"),
        ({"upper": [[15, 60, 75]]}, "upper must be a number or have one entry per atom"),
        ({"lower": [3, 12, 80]}, "lower must not exceed upper; atom 2"),
        ({"divisor": [3, 0]}, "divisor must be positive"),
        ({"divisor": [3, 3, 3]}, r"divisor must be a number or have one entry per cell \(2\)"),
        ({"protection": -1.0}, "protection must be a finite number of 0 or more"),
        ({"protection": float("nan")}, "protection must be a finite number of 0 or more"),
        ({"tol": 0.0}, "tol must be a number strictly between 0 and 1"),
    ],
)
def test_it_rejects_input_it_cannot_use_naming_the_argument(kwargs, message):
    args = {"published_rows": ORG_ROWS, "cells": [TEAM_1, TEAMS_1_2], "lower": LOWER,
            "upper": UPPER, "published_values": [120, 50], "divisor": [3, 15]} | kwargs
    with pytest.raises(ValueError, match=message):
        audit_disclosure(args.pop("published_rows"), args.pop("cells"), **args)


def test_the_rank_test_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="cells must have one column per atom"):
        determined_cells([[1, 1]], [[1, 0, 0]])
    with pytest.raises(ValueError, match="tol must be a number strictly between 0 and 1"):
        determined_cells([[1, 1]], [[1, 0]], tol=True)


# --- properties ---------------------------------------------------------------------------


@st.composite
def systems(draw, *, integer_rows=False):
    """Random 0/1 (or small integer) published rows, cells, bounds and a true x."""
    n_atoms = draw(st.integers(1, 9))
    n_rows = draw(st.integers(0, 9))
    n_cells = draw(st.integers(1, 6))
    entries = st.integers(0, 3) if integer_rows else st.integers(0, 1)
    rows = np.array(draw(st.lists(st.lists(entries, min_size=n_atoms, max_size=n_atoms),
                                  min_size=n_rows, max_size=n_rows)),
                    dtype=float).reshape(n_rows, n_atoms)
    cells = np.array(draw(st.lists(st.lists(st.integers(-1, 1), min_size=n_atoms,
                                            max_size=n_atoms),
                                   min_size=n_cells, max_size=n_cells)), dtype=float)
    counts = np.array(draw(st.lists(st.integers(0, 12), min_size=n_atoms,
                                    max_size=n_atoms)), dtype=float)
    # The true answers: anywhere in [n, 5n], and often at an end (everyone answered 1 or 5).
    where = draw(st.lists(st.sampled_from([0.0, 1.0, 0.5, 0.25, 0.9]), min_size=n_atoms,
                          max_size=n_atoms))
    truth = counts + 4 * counts * np.array(where)
    return rows, cells, counts, counts * 5, truth


def reference_intervals(rows, values, cells, lower, upper):
    """Two plain linprog calls per cell on the whole system, no reduction or shortcut."""
    bounds = np.column_stack([lower, upper])
    low, high = [], []
    for cell in cells:
        if rows.shape[0] == 0:
            low.append(np.minimum(cell * lower, cell * upper).sum())
            high.append(np.maximum(cell * lower, cell * upper).sum())
            continue
        low.append(linprog(cell, A_eq=rows, b_eq=values, bounds=bounds, method="highs").fun)
        high.append(-linprog(-cell, A_eq=rows, b_eq=values, bounds=bounds,
                             method="highs").fun)
    return np.array(low), np.array(high)


@settings(max_examples=300, deadline=None)
@given(systems(integer_rows=True))
def test_the_rank_test_agrees_with_matrix_rank_for_every_cell(case):
    rows, cells, *_ = case
    expected = [np.linalg.matrix_rank(np.vstack([rows, cell])) == np.linalg.matrix_rank(rows)
                if rows.shape[0] else not cell.any() for cell in cells]
    assert determined_cells(rows, cells).tolist() == expected


@settings(max_examples=200, deadline=None)
@given(systems())
def test_the_true_value_always_lies_in_its_audit_interval(case):
    rows, cells, lower, upper, truth = case
    values = rows @ truth
    result = audit_disclosure(rows, cells, lower=lower, upper=upper, published_values=values)
    true_cells = cells @ truth
    # linprog (HiGHS) meets constraints to its feasibility tolerance, 1e-7; sums here are
    # below 200, so 1e-6 is a safe margin.
    assert (result.low <= true_cells + 1e-6).all()
    assert (true_cells <= result.high + 1e-6).all()
    assert (result.width >= 0).all()
    # Determined cells are points.
    np.testing.assert_allclose(result.low[result.determined], result.high[result.determined],
                               atol=1e-7)
    np.testing.assert_allclose(result.low[result.determined], true_cells[result.determined],
                               atol=1e-7)
    assert (result.exposed == (result.determined & cells.any(axis=1))).all()


@settings(max_examples=150, deadline=None)
@given(systems(integer_rows=True))
def test_the_intervals_equal_plain_linear_programs_on_the_whole_system(case):
    rows, cells, lower, upper, truth = case
    values = rows @ truth
    low, high = audit_intervals(rows, values, cells, lower=lower, upper=upper)
    expected_low, expected_high = reference_intervals(rows, values, cells, lower, upper)
    np.testing.assert_allclose(low, expected_low, atol=1e-6)
    np.testing.assert_allclose(high, expected_high, atol=1e-6)


def test_it_audits_a_hierarchy_of_thousands_of_atoms_in_separate_blocks():
    # 300 organisations x 10 teams = 3,000 team sums. Published: each organisation's sum
    # and 7 of its 10 teams; a second publication re-groups teams 0-4 and 5-9 of each.
    # The 3 hidden teams of an organisation stay uncertain, and each organisation is its
    # own block of programs.
    rng = np.random.default_rng(7)
    n_orgs, per_org = 300, 10
    n_atoms = n_orgs * per_org
    org = np.repeat(np.arange(n_orgs), per_org)
    position = np.tile(np.arange(per_org), n_orgs)
    hidden = np.isin(position, [0, 1, 5])
    rows = np.vstack([
        (org[None, :] == np.arange(n_orgs)[:, None]).astype(float),
        np.eye(n_atoms)[~hidden],
        ((org[None, :] == np.arange(n_orgs)[:, None]) & (position < 5)).astype(float),
    ])
    counts = rng.integers(1, 12, n_atoms).astype(float)
    truth = rng.uniform(counts, 5 * counts)
    result = audit_disclosure(rows, np.eye(n_atoms)[hidden], lower=counts,
                              upper=5 * counts, published_values=rows @ truth,
                              divisor=counts[hidden], protection=0.5)
    true_cells = truth[hidden]
    # Teams 0 and 1 share their group-of-five total with nobody else hidden: their sum is
    # known, each alone is not; team 5 is alone in its group of five: determined.
    assert result.determined.tolist() == (position[hidden] == 5).tolist()
    assert (result.low <= true_cells + 1e-6).all() and (true_cells <= result.high + 1e-6).all()
