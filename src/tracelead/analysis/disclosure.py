"""Disclosure control: the one place that decides what may be shown.

Two layers:

* :func:`disclose` decides for one cell (a group, a condition result, an item
  distribution, a set of comments) from its count and the threshold;
* :func:`suppress_hierarchy` decides for a whole hierarchy of groups at once (team within
  organisation within system), adding complementary suppression so that no hidden group
  can be recovered by subtracting published figures.

:mod:`tracelead.analysis.audit` checks the result against everything published (the rank
test and audit intervals).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ._scipy import sparse as _sparse
from ._tree import as_parents
from ._validation import BoolArray, IntArray, check_choice, check_positive_int

__all__ = [
    "COMMENTS_THRESHOLD",
    "FIGURES_THRESHOLD",
    "DisclosureDecision",
    "DisclosureKind",
    "disclose",
    "node_thresholds",
    "suppress_hierarchy",
]

#: Default minimum number of respondents for figures and distributions.
FIGURES_THRESHOLD = 5
#: Default minimum number of respondents before free-text comments are shown.
COMMENTS_THRESHOLD = 10

DisclosureKind = Literal["figures", "comments"]
_DEFAULTS: dict[str, int] = {"figures": FIGURES_THRESHOLD, "comments": COMMENTS_THRESHOLD}


@dataclass(frozen=True)
class DisclosureDecision:
    """Whether a cell may be shown.

    Attributes
    ----------
    shown : bool
        True if the cell may be shown.
    n : int
        The count the decision was made on.
    threshold : int
        The threshold applied.
    kind : str
        ``"figures"`` or ``"comments"``.
    reason : str
        ``"at_or_above_threshold"`` or ``"below_threshold"`` (machine-readable).
    """

    shown: bool
    n: int
    threshold: int
    kind: DisclosureKind
    reason: Literal["at_or_above_threshold", "below_threshold"]

    def __bool__(self) -> bool:
        return self.shown


def _check_count(n: object, name: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise ValueError(f"{name} must be a whole number of respondents (0 or more); got {n!r}")
    if int(n) < 0:
        raise ValueError(f"{name} must be a whole number of respondents (0 or more); got {n}")
    return int(n)


def disclose(n: int, *, threshold: int | None = None, kind: str = "figures"
             ) -> DisclosureDecision:
    """Decide whether a cell with ``n`` respondents may be shown.

    Parameters
    ----------
    n : int
        Respondents behind the cell (a group, a condition result, an item distribution)
        or, for comments, the respondents of the group whose comments would be shown.
    threshold : int, optional
        The assessment's threshold. Default: 5 for ``kind="figures"``, 10 for
        ``kind="comments"``.
    kind : {"figures", "comments"}, default "figures"
        Figures and distributions, or free-text comments (which identify people more
        easily, hence the higher default).

    Returns
    -------
    DisclosureDecision
        ``shown`` is True when ``n >= threshold``. The decision is truthy when shown.

    Raises
    ------
    ValueError
        If ``n`` is negative or not whole, ``threshold`` is below 1, or ``kind`` is not
        one of the allowed values.

    Notes
    -----
    This is the primary suppression rule (a minimum cell size, as in the NHS Staff Survey
    and official statistics). One cell on its own can be judged this way; when several
    related cells are published (a team and its organisation), use
    :func:`suppress_hierarchy` as well so that hidden cells cannot be derived by
    difference.

    References
    ----------
    Hundepool, A., et al. (2012). *Statistical Disclosure Control*. Wiley, chapter 4
    (threshold rule for frequency and magnitude tables).

    Examples
    --------
    >>> disclose(4).shown
    False
    >>> disclose(12, kind="comments").shown
    True

    Validated against: the threshold table in ``tests/analysis/test_disclosure.py``.
    """
    checked_kind = check_choice(kind, "kind", ("figures", "comments"))
    count = _check_count(n)
    limit = _DEFAULTS[checked_kind] if threshold is None else check_positive_int(
        threshold, "threshold")
    shown = count >= limit
    return DisclosureDecision(
        shown=shown, n=count, threshold=limit,
        kind="figures" if checked_kind == "figures" else "comments",
        reason="at_or_above_threshold" if shown else "below_threshold",
    )


def node_thresholds(threshold: int | npt.ArrayLike, n_nodes: int) -> IntArray:
    """Return ``threshold`` as one int of at least 1 per node.

    A scalar applies to every node; an array gives each node its own threshold.

    Raises
    ------
    ValueError
        If a threshold is not a whole number of at least 1, or the array does not have
        one entry per node.
    """
    if np.ndim(threshold) == 0:
        limit = check_positive_int(threshold, "threshold")
        return np.full(n_nodes, limit, dtype=np.int64)
    raw = np.asarray(threshold)
    if raw.shape != (n_nodes,):
        raise ValueError(f"threshold must be an integer or have one entry per node "
                         f"({n_nodes}); got shape {raw.shape}")
    if raw.size and (raw.dtype == np.bool_ or not (
            np.issubdtype(raw.dtype, np.integer) or (
                np.issubdtype(raw.dtype, np.floating) and np.isfinite(raw).all()
                and (raw == np.round(raw)).all()))):
        raise ValueError("threshold must hold whole numbers of at least 1, one per node")
    out = raw.astype(np.int64)
    if (out < 1).any():
        node = int(np.flatnonzero(out < 1)[0])
        raise ValueError(f"threshold must hold integers of at least 1; got {int(out[node])} "
                         f"at node {node}")
    return out


def suppress_hierarchy(
    counts: npt.ArrayLike,
    parents: npt.ArrayLike,
    *,
    threshold: int | npt.ArrayLike = FIGURES_THRESHOLD,
    already_suppressed: npt.ArrayLike | None = None,
) -> BoolArray:
    """Primary and complementary suppression over a hierarchy of groups.

    Parameters
    ----------
    counts : array-like of int, shape (n_nodes,)
        Respondents per node, each node counting everyone below it (an organisation's
        count includes its teams). A node may also have respondents of its own, not in any
        child: its *residual*, ``count - sum(children's counts)``, which is never
        published.
    parents : array-like of int, shape (n_nodes,)
        Index of each node's parent, or -1 for a root.
    threshold : int or array-like of int, shape (n_nodes,), default 5
        Minimum count for a node to be shown: one value for every node, or one per node
        (for example a doubled threshold for the node of a round whose responses were not
        verified, which leaves every other node's threshold as it was).
    already_suppressed : array-like of bool, optional
        Nodes that must be hidden whatever their count (for example the groups hidden at
        respondent level, when suppressing the cells of one condition).

    Returns
    -------
    ndarray of bool, shape (n_nodes,)
        True for every node that must not be shown (count, mean or distribution).

    Raises
    ------
    ValueError
        If the arrays differ in length, a count is negative, a threshold is below 1, the
        parents contain a cycle or an invalid index, or a parent's count is smaller than
        the sum of its children's.

    Notes
    -----
    Every node with children gives one published equation,
    ``parent = sum(children) + residual``, for counts and equally for sums of ratings
    (hence means). The *unknowns* of a family are its hidden cells with respondents: the
    hidden children, a residual above 0, and the parent if hidden. With ``t[g]`` the
    threshold of node g (the same for all nodes when ``threshold`` is a number), the
    rules, applied to every family with parent p until nothing changes:

    1. Primary: hide every node g with ``count[g] < t[g]`` (and ``already_suppressed``).
    2. A family must not have exactly one unknown, or that one can be solved by
       subtraction (an organisation's total minus all but one of its teams; or a hidden
       parent equal to the sum of its published children). A lone residual of at least
       ``t[p]`` is allowed: it is a group big enough to be shown.
    3. When the parent is published, the hidden children and residual together must have
       0 or at least ``t[p]`` respondents, since their total is revealed as the parent
       minus the published children.

    The residual and the hidden children's total are figures of the parent's family, so
    rules 2 and 3 use the parent's threshold; a stricter threshold on one node therefore
    hides that node (and the siblings rule 2 or 3 then requires), and changes no other
    node's threshold.

    A family breaking rule 2 or 3 gets its smallest published child with respondents
    hidden as well (ties: the lowest index); if it has none, the parent is hidden, which
    carries the check one level up. Hiding only ever grows, so the loop stops; each pass
    is vectorised over all families.

    Why this is enough: the equations form a tree (a node appears in its parent's
    equation and in its own). If every equation holds 0 or at least 2 unknowns, then for
    any unknown one can build a change of the hidden values that keeps every published
    figure fixed (raise it, lower another unknown of the same equation, and continue
    through the tree), so no hidden value is determined. The property tests check this
    with the null space of the equations on random hierarchies.

    References
    ----------
    Hundepool, A., et al. (2012). *Statistical Disclosure Control*. Wiley, sections 5.2
    (primary and secondary suppression) and 5.3 (hierarchical tables).
    Cox, L. H. (1980). Suppression methodology and statistical disclosure control.
    *Journal of the American Statistical Association*, 75(370), 377-385.

    Examples
    --------
    An organisation of 30 with three teams; team 1 has 3 respondents:

    >>> suppress_hierarchy([30, 3, 12, 15], [-1, 0, 0, 0], threshold=5).tolist()
    [False, True, True, False]

    Team 2's round was not verified, so its threshold is doubled to 10 (from 5); team 2
    (8 respondents) is hidden, and team 3, the smallest other team, with it:

    >>> suppress_hierarchy([40, 20, 8, 12], [-1, 0, 0, 0], threshold=[5, 5, 10, 5]).tolist()
    [False, False, True, True]

    Validated against: property tests (hypothesis) on random hierarchies and per-node
    thresholds checking that no hidden count is determined by the published ones
    (null-space test).
    """
    raw = np.asarray(counts)
    if raw.ndim != 1:
        raise ValueError(f"counts must be one-dimensional; got shape {raw.shape}")
    if raw.size and not np.issubdtype(raw.dtype, np.integer) and (
            not np.issubdtype(raw.dtype, np.floating) or not np.isfinite(raw).all()
            or (raw != np.round(raw)).any()):
        raise ValueError("counts must be whole numbers of respondents")
    n = raw.astype(np.int64)
    if (n < 0).any():
        raise ValueError(f"counts must be 0 or more; got {int(n[n < 0][0])}")
    size = n.shape[0]
    limit = node_thresholds(threshold, size)
    par = as_parents(parents, size)
    if already_suppressed is None:
        forced = np.zeros(size, dtype=bool)
    else:
        forced = np.asarray(already_suppressed, dtype=bool)
        if forced.shape != (size,):
            raise ValueError(f"already_suppressed must have one entry per node ({size}); got "
                             f"shape {forced.shape}")

    return suppress_families(Families.of(par), n, limit, forced)


@dataclass(frozen=True)
class Families:
    """The parent-child structure of a valid forest, worked out once and shared by every
    :func:`suppress_hierarchy` pass over it (a report makes one per condition and item).

    ``child`` lists the nodes with a parent, ``child_parent`` their parents, in the order
    (parent, node index); ``n_children`` counts each node's children and ``heads`` lists
    the nodes that have children (the families), in increasing order, and
    ``head_position`` gives each head's place among them (-1 for other nodes);
    ``starts`` is where each head's children begin in ``child``.
    """

    size: int
    parents: IntArray
    child: IntArray
    child_parent: IntArray
    n_children: IntArray
    heads: IntArray
    head_position: IntArray
    starts: IntArray

    @classmethod
    def of(cls, parents: IntArray) -> Families:
        """From a parent array already checked by ``as_parents``."""
        child = np.nonzero(parents >= 0)[0]
        order = np.argsort(parents[child], kind="stable")
        child = child[order]
        size = int(parents.shape[0])
        n_children = np.bincount(parents[child], minlength=size)
        heads = np.nonzero(n_children)[0]
        head_position = np.full(size, -1, dtype=np.int64)
        head_position[heads] = np.arange(heads.size)
        starts = np.cumsum(n_children[heads]) - n_children[heads]
        return cls(size=size, parents=parents, child=child, child_parent=parents[child],
                   n_children=n_children, heads=heads, head_position=head_position,
                   starts=starts)

    @cached_property
    def children_matrix(self) -> Any:
        """Sparse (heads x nodes) with a 1 at (family, child): ``M @ n`` sums each
        family's children's counts, column by column."""
        return _sparse.csr_matrix(
            (np.ones(self.child.size, dtype=np.int64),
             (self.head_position[self.child_parent], self.child)),
            shape=(self.heads.size, self.size))


def suppress_families(fam: Families, n: IntArray, limit: IntArray, forced: BoolArray
                      ) -> BoolArray:
    """The rules of :func:`suppress_hierarchy` on checked input (see its notes).

    ``n`` holds one count per node (G,), or K columns of them (G, K), each column
    suppressed on its own, all at once (a report's conditions, or its items);
    ``forced`` has the shape of ``n``, or (G, 1) for the same nodes in every column (a
    (G,) mask with (G, K) counts is refused: NumPy would line it up with the columns).
    The unknowns and hidden totals of every family and column are counted once and then
    updated with the nodes each round hides, so a round costs O(families x K + newly
    hidden), not O(nodes x K); the families' sums are one sparse product.
    """
    forced = np.asarray(forced, dtype=bool)
    if forced.ndim != n.ndim or forced.shape[0] != n.shape[0]:
        raise ValueError(f"forced must have one row per node, like the counts {n.shape}; "
                         f"got shape {forced.shape}")
    if n.ndim == 1:
        one: BoolArray = suppress_families(fam, n[:, None], limit, forced[:, None])[:, 0]
        return one
    columns = n.shape[1]
    hidden: BoolArray = (n < limit[:, None]) | forced
    heads = fam.heads
    if not heads.size or not n.size:
        return hidden
    head_n = n[heads]
    child_sum = fam.children_matrix @ n
    head_residual = head_n - child_sum
    if (head_residual < 0).any():
        row, column = np.argwhere(head_residual < 0)[0]
        raise ValueError(f"counts: node {int(heads[row])} has {int(head_n[row, column])} "
                         f"respondents but its children have {int(child_sum[row, column])}; "
                         "a parent counts everyone below it")
    head_limit = limit[heads][:, None]
    residual_unknown = head_residual > 0
    lone_residual_ok = residual_unknown & (head_residual >= head_limit)
    residual_total = np.where(residual_unknown, head_residual, 0)
    own_unknown = head_n > 0

    # The hidden children with respondents, counted per family and column from their
    # positions (few, once primary suppression has run), then kept up to date.
    def count_hidden(node: IntArray, column: IntArray) -> tuple[IntArray, IntArray]:
        keep = (n[node, column] > 0) & (fam.parents[node] >= 0)
        node, column = node[keep], column[keep]
        cell = fam.head_position[fam.parents[node]] * columns + column
        counted = np.bincount(cell, minlength=head_n.size).reshape(head_n.shape)
        total = np.bincount(cell, weights=n[node, column], minlength=head_n.size)
        return counted, np.rint(total).astype(np.int64).reshape(head_n.shape)

    unknowns, hidden_total = count_hidden(*np.divmod(np.flatnonzero(hidden & (n > 0)),
                                                     columns))
    for _ in range(fam.size + 1):
        head_hidden = hidden[heads]
        u = unknowns + residual_unknown + (head_hidden & own_unknown)
        total = hidden_total + residual_total
        broken = (((u == 1) & ~lone_residual_ok)
                  | (~head_hidden & (total > 0) & (total < head_limit)))
        family, column = np.divmod(np.flatnonzero(broken), columns)
        if not family.size:
            break
        # For each broken family and column: the smallest published child with
        # respondents (ties: the lowest index), or, if there is none, the head itself.
        sizes = fam.n_children[heads[family]]
        pair = np.repeat(np.arange(family.size), sizes)
        offset = np.arange(pair.size) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        child = fam.child[fam.starts[family][pair] + offset]
        child_column = column[pair]
        open_ = ~hidden[child, child_column] & (n[child, child_column] > 0)
        pair, child, child_column = pair[open_], child[open_], child_column[open_]
        fix = heads[family].copy()
        if pair.size:
            order = np.lexsort((child, n[child, child_column], pair))
            pair, child = pair[order], child[order]
            first = np.ones(pair.size, dtype=bool)
            first[1:] = pair[1:] != pair[:-1]
            fix[pair[first]] = child[first]
        node, fix_column = np.divmod(np.unique(fix * columns + column), columns)
        newly = ~hidden[node, fix_column]
        node, fix_column = node[newly], fix_column[newly]
        if not node.size:  # pragma: no cover - cannot happen for valid input
            break
        hidden[node, fix_column] = True
        more, more_total = count_hidden(node, fix_column)
        unknowns += more
        hidden_total += more_total
    return hidden
