"""Disclosure control for small tables of people counted in categories.

A table here is a handful of *dimensions* (sex, ethnicity, age band, ...), each split into
categories that together count the same people. :func:`disclose_categories` decides, for
one such table and the tables published before it, which counts may be shown and whether
the table may be published at all. Pure Python: no NumPy needed for a few dozen cells.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from ._validation import check_positive_int

__all__ = ["CategoryDisclosure", "CellReason", "SmallChange", "disclose_categories"]

#: A table: dimension -> category -> count (the categories in a fixed order).
CategoryTable = Mapping[str, Mapping[str, int]]

#: Why a cell is shown or hidden: ``"small"`` for 1 to k-1 people (primary),
#: ``"small_total"`` when the dimension's total is under k (every cell hidden),
#: ``"complementary"`` when hidden so that a small cell cannot be worked out.
CellReason = Literal["shown", "small", "small_total", "complementary"]


@dataclass(frozen=True)
class SmallChange:
    """A count shown in both this table and an earlier one that moved by 1 to k-1.

    ``category`` is None for the dimension's total; ``earlier`` is the index of the
    earlier table in the ``earlier`` argument of :func:`disclose_categories`.
    """

    dimension: str
    category: str | None
    earlier: int
    before: int
    after: int

    @property
    def change(self) -> int:
        return self.after - self.before


@dataclass(frozen=True)
class CategoryDisclosure:
    """What may be shown of one table, and whether it may be published.

    Attributes
    ----------
    threshold : int
        The threshold k the decision was made with.
    reasons : dict
        dimension -> category -> :data:`CellReason`.
    total_shown : dict
        dimension -> whether the dimension's total may be shown (at least k people).
    small_changes : tuple of SmallChange
        Counts shown in both this table and an earlier one that changed by 1 to k-1.
        Empty when no earlier tables were given.
    """

    threshold: int
    reasons: dict[str, dict[str, CellReason]]
    total_shown: dict[str, bool]
    small_changes: tuple[SmallChange, ...]

    def shown(self, dimension: str, category: str) -> bool:
        return self.reasons[dimension][category] == "shown"

    @property
    def publishable(self) -> bool:
        """True when comparing this table with an earlier one reveals no small change."""
        return not self.small_changes


def _checked_table(table: object, name: str) -> dict[str, dict[str, int]]:
    if not isinstance(table, Mapping) or not table:
        raise ValueError(f"{name} must map each dimension to its categories' counts")
    out: dict[str, dict[str, int]] = {}
    for dimension, cells in table.items():
        if not isinstance(cells, Mapping) or not cells:
            raise ValueError(f"{name}[{dimension!r}] must map each category to a count")
        row: dict[str, int] = {}
        for category, count in cells.items():
            if isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 0:
                raise ValueError(f"{name}[{dimension!r}][{category!r}] must be a whole number "
                                 f"of people (0 or more); got {count!r}")
            row[str(category)] = int(count)
        out[str(dimension)] = row
    return out


def _suppress_dimension(cells: dict[str, int], threshold: int
                        ) -> tuple[dict[str, CellReason], bool]:
    total = sum(cells.values())
    if total < threshold:
        # Shown zeros would say which categories the few people are in.
        return dict.fromkeys(cells, "small_total"), False
    reasons: dict[str, CellReason] = {
        c: "small" if 0 < n < threshold else "shown" for c, n in cells.items()}
    order = list(cells)

    def hidden() -> list[str]:
        return [c for c in order if reasons[c] != "shown"]

    # One hidden cell is the total minus the shown ones; hidden cells that together hold
    # 1 to k-1 people are a small count by subtraction. Hide the next smallest non-zero.
    while len(hidden()) == 1 or 0 < sum(cells[c] for c in hidden()) < threshold:
        candidates = [c for c in order if reasons[c] == "shown" and cells[c] > 0]
        extra = min(candidates, key=lambda c: (cells[c], order.index(c)))
        reasons[extra] = "complementary"
    return reasons, True


def disclose_categories(table: CategoryTable, *, threshold: int,
                        earlier: Sequence[CategoryTable] = ()) -> CategoryDisclosure:
    """Decide which counts of a table of categories may be shown, and whether it may be
    published after ``earlier`` tables.

    Parameters
    ----------
    table : mapping of str to mapping of str to int
        Dimension -> category -> number of people. The categories of a dimension count
        the same people as every other dimension's (a "not stated" category takes the
        rest), but each dimension is judged on its own.
    threshold : int
        The threshold k: the fewest people a shown count may describe (at least 1).
    earlier : sequence of tables, optional
        Tables already published for the same population, in any order. Their cells are
        judged with the same ``threshold``.

    Returns
    -------
    CategoryDisclosure
        The reason each cell is shown or hidden, whether each dimension's total is shown,
        and the small changes against ``earlier`` (none means the table may be published).

    Raises
    ------
    ValueError
        If a table is empty, a dimension has no categories, a count is not a whole number
        of at least 0, or ``threshold`` is below 1.

    Notes
    -----
    For one dimension with counts :math:`n_1, \\dots, n_m` and total
    :math:`T = \\sum_j n_j`:

    1. The total is shown if and only if :math:`T \\ge k`. When :math:`T < k` every cell
       is hidden, zeros included.
    2. Primary suppression: cell :math:`j` is hidden when :math:`1 \\le n_j \\le k - 1`.
       A zero is shown (it describes nobody).
    3. Complementary suppression, with :math:`H` the hidden cells: while :math:`|H| = 1`
       or :math:`1 \\le \\sum_{j \\in H} n_j \\le k - 1`, the shown cell with the smallest
       :math:`n_j > 0` (ties: the first) is hidden too. Otherwise
       :math:`n_h = T - \\sum_{j \\notin H} n_j` for a lone hidden cell :math:`h`, and the
       hidden cells together would be a count under k. This is rule 3 of
       :func:`tracelead.analysis.disclosure.suppress_hierarchy` for a family of one level.
       The loop ends: once every non-zero cell is hidden, :math:`\\sum_H n_j = T \\ge k`.
    4. Over time: for an earlier table with counts :math:`n'_j` and total :math:`T'`, a
       *small change* is a cell shown in both with :math:`1 \\le |n_j - n'_j| \\le k - 1`,
       or totals shown in both with :math:`1 \\le |T - T'| \\le k - 1`. Comparing the two
       tables would show how one to k-1 people (those who came or went) are described.

    The rules protect each table against exact disclosure by subtraction and each pair of
    tables against differencing of shown cells. They do not audit the whole system of
    equations (cells hidden in one table and shown in another, differences across
    dimensions); ``docs/strategy.md`` lists what is left.

    References
    ----------
    Hundepool, A., et al. (2012). *Statistical Disclosure Control*. Wiley, sections 4.2
    (threshold rule), 5.2 (primary and secondary suppression) and 5.6 (linked tables and
    tables published over time).

    Examples
    --------
    Three people of one category among 40: their cell and the next smallest are hidden.

    >>> d = disclose_categories({"sex": {"Female": 25, "Male": 12, "Not stated": 3}},
    ...                         threshold=5)
    >>> d.reasons["sex"]
    {'Female': 'shown', 'Male': 'complementary', 'Not stated': 'small'}

    One more person in a category shown both times cannot be published:

    >>> d = disclose_categories({"sex": {"Female": 26, "Male": 12, "Not stated": 0}},
    ...                         threshold=5,
    ...                         earlier=[{"sex": {"Female": 25, "Male": 12, "Not stated": 0}}])
    >>> [(c.category, c.change) for c in d.small_changes]
    [('Female', 1), (None, 1)]

    Validated against: the hand-worked tables in ``tests/strategy/test_diversity.py``.
    """
    k = check_positive_int(threshold, "threshold")
    current = _checked_table(table, "table")
    reasons: dict[str, dict[str, CellReason]] = {}
    total_shown: dict[str, bool] = {}
    for dimension, cells in current.items():
        reasons[dimension], total_shown[dimension] = _suppress_dimension(cells, k)
    changes: list[SmallChange] = []
    for index, before_table in enumerate(earlier):
        before = _checked_table(before_table, f"earlier[{index}]")
        for dimension, cells in current.items():
            if dimension not in before:
                continue
            old_reasons, old_total_shown = _suppress_dimension(before[dimension], k)
            for category, count in cells.items():
                old = before[dimension].get(category)
                if (old is not None and reasons[dimension][category] == "shown"
                        and old_reasons[category] == "shown" and 1 <= abs(count - old) < k):
                    changes.append(SmallChange(dimension, category, index, old, count))
            new_total, old_total = sum(cells.values()), sum(before[dimension].values())
            if (total_shown[dimension] and old_total_shown
                    and 1 <= abs(new_total - old_total) < k):
                changes.append(SmallChange(dimension, None, index, old_total, new_total))
    return CategoryDisclosure(threshold=k, reasons=reasons, total_shown=total_shown,
                              small_changes=tuple(changes))
