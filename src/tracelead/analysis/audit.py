"""The disclosure audit: what everything published reveals about each hidden cell.

Statistical offices run this after cell suppression (the *audit* of tau-Argus, ``attack()``
in R's sdcTable). Everything published is one system of linear equations over unknown
quantities (*atoms*); for each sensitive cell, a linear combination of atoms, two questions
are asked:

* :func:`determined_cells` - is the cell determined exactly (the rank test)?
* :func:`audit_intervals` - how narrowly is it bounded (the audit interval, two linear
  programs per cell)?

:func:`audit_disclosure` runs both and applies a protection level.
"""

from __future__ import annotations

import importlib
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ._validation import BoolArray, FloatArray, IntArray

__all__ = ["AuditResult", "audit_disclosure", "audit_intervals", "determined_cells"]

# SciPy ships no type hints and scipy-stubs is not a dependency; importing through importlib
# keeps mypy --strict clean with or without the stubs (as in ``_scipy.py``).
_linalg: Any = importlib.import_module("scipy.linalg")
_optimize: Any = importlib.import_module("scipy.optimize")
_sparse: Any = importlib.import_module("scipy.sparse")
_csgraph: Any = importlib.import_module("scipy.sparse.csgraph")

# Vectors per block when projecting onto the row space: bounds the temporary arrays.
_BLOCK = 1024


@dataclass(frozen=True)
class AuditResult:
    """The audit of every sensitive cell (see :func:`audit_disclosure`).

    Arrays are indexed by cell h, in the order of the ``cells`` rows.

    Attributes
    ----------
    determined : ndarray of bool, (H,)
        The cell's vector lies in the row space of the published rows: its value follows
        exactly from what was published.
    low, high : ndarray of float, (H,)
        The smallest and largest value of the cell consistent with everything published
        and the bounds (the audit interval); NaN where not computed (no
        ``published_values``). For a determined cell ``low == high``, its value.
    width : ndarray of float, (H,)
        ``(high - low) / divisor``: the interval on the scale of the figure (a mean when
        the divisor is the hidden group's count); NaN where not computed.
    exposed : ndarray of bool, (H,)
        ``determined`` or ``width < protection``; never for an all-zero cell (no cell).
    """

    determined: BoolArray
    low: FloatArray
    high: FloatArray
    width: FloatArray
    exposed: BoolArray

    @property
    def any_exposed(self) -> bool:
        """True if at least one cell is exposed."""
        return bool(self.exposed.any())

    @property
    def first_exposed(self) -> int | None:
        """Index of the first exposed cell, or None if no cell is exposed."""
        found = np.flatnonzero(self.exposed)
        return int(found[0]) if found.size else None


# --- input checks ---------------------------------------------------------------------


def _finite_array(values: npt.ArrayLike, name: str) -> FloatArray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must contain numbers") from exc
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must contain finite numbers (no NaN or infinity)")
    return arr


def _check_system(published_rows: npt.ArrayLike, cells: npt.ArrayLike
                  ) -> tuple[FloatArray, FloatArray]:
    """Return (rows P x U, cells H x U); an empty ``published_rows`` means P = 0."""
    c = _finite_array(cells, "cells")
    if c.ndim != 2:
        raise ValueError(f"cells must be two-dimensional (cells x atoms); got an array of "
                         f"shape {c.shape}")
    a = _finite_array(published_rows, "published_rows")
    if a.size == 0 and a.ndim < 2:
        a = np.zeros((0, c.shape[1]))
    if a.ndim != 2:
        raise ValueError(f"published_rows must be two-dimensional (published figures x "
                         f"atoms); got an array of shape {a.shape}")
    n_atoms = a.shape[1]
    if n_atoms == 0:
        raise ValueError("published_rows must have at least one atom column")
    if c.shape[1] != n_atoms:
        raise ValueError(f"cells must have one column per atom ({n_atoms}, the columns of "
                         f"published_rows); got shape {c.shape}")
    return a, c


def _check_vector(values: npt.ArrayLike, name: str, size: int, what: str) -> FloatArray:
    """A scalar (broadcast) or a vector of ``size`` finite numbers."""
    arr = _finite_array(values, name)
    if arr.ndim == 0:
        return np.full(size, float(arr))
    if arr.shape != (size,):
        raise ValueError(f"{name} must be a number or have one entry per {what} ({size}); "
                         f"got shape {arr.shape}")
    return arr


def _check_bounds(lower: npt.ArrayLike, upper: npt.ArrayLike, n_atoms: int
                  ) -> tuple[FloatArray, FloatArray]:
    lo = _check_vector(lower, "lower", n_atoms, "atom")
    hi = _check_vector(upper, "upper", n_atoms, "atom")
    bad = lo > hi
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise ValueError(f"lower must not exceed upper; atom {j} has lower {lo[j]:g} > "
                         f"upper {hi[j]:g}")
    return lo, hi


def _check_values(published_values: npt.ArrayLike, n_rows: int) -> FloatArray:
    values = _finite_array(published_values, "published_values")
    if values.size == 0 and n_rows == 0:
        return np.zeros(0)
    if values.shape != (n_rows,):
        raise ValueError(f"published_values must have one entry per row of published_rows "
                         f"({n_rows}); got shape {values.shape}")
    return values


def _check_tol(tol: object) -> float:
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not (
            0.0 < float(tol) < 1.0):
        raise ValueError(f"tol must be a number strictly between 0 and 1; got {tol!r}")
    return float(tol)


# --- linear algebra ---------------------------------------------------------------------


@dataclass(frozen=True)
class _RowSpace:
    """Orthonormal basis of the published rows' row space, from one pivoted QR of A^T.

    ``A[pivots]^T = basis @ r11``: the ``rank`` rows ``pivots`` are independent and span
    the row space.
    """

    basis: FloatArray  # U x r
    r11: FloatArray  # r x r, upper triangular
    pivots: IntArray  # r


def _row_space(rows: FloatArray) -> _RowSpace:
    n_rows, n_atoms = rows.shape
    if n_rows == 0 or not rows.any():
        return _RowSpace(np.zeros((n_atoms, 0)), np.zeros((0, 0)), np.zeros(0, np.int64))
    q, r, piv = _linalg.qr(rows.T, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    # numpy.linalg.matrix_rank's cut-off, on the pivots of a rank-revealing QR.
    cutoff = diag[0] * max(n_rows, n_atoms) * np.finfo(np.float64).eps
    rank = int(np.count_nonzero(diag > cutoff))
    return _RowSpace(np.asarray(q[:, :rank], dtype=np.float64),
                     np.asarray(r[:rank, :rank], dtype=np.float64),
                     np.asarray(piv[:rank], dtype=np.int64))


def _residual_norms(space: _RowSpace, vectors: FloatArray) -> FloatArray:
    """||v - Q Q^T v|| for each row v, in blocks (never the U x U projector)."""
    q = space.basis
    out = np.empty(vectors.shape[0])
    for start in range(0, vectors.shape[0], _BLOCK):
        block = vectors[start:start + _BLOCK]
        out[start:start + _BLOCK] = np.linalg.norm(block - (block @ q) @ q.T, axis=1)
    return out


def _atom_residual_norms(space: _RowSpace) -> FloatArray:
    """Residual norm of every unit vector e_j, computed explicitly (1 - ||Q_j||^2 is not
    accurate enough near 0)."""
    q = space.basis
    n_atoms = q.shape[0]
    out = np.empty(n_atoms)
    for start in range(0, n_atoms, _BLOCK):
        stop = min(start + _BLOCK, n_atoms)
        block = -(q[start:stop] @ q.T)
        block[np.arange(stop - start), np.arange(start, stop)] += 1.0
        out[start:stop] = np.linalg.norm(block, axis=1)
    return out


def _in_row_space(space: _RowSpace, vectors: FloatArray, tol: float) -> BoolArray:
    norms = np.linalg.norm(vectors, axis=1)
    return np.asarray(_residual_norms(space, vectors) <= tol * norms, dtype=np.bool_)


def _solution_in_row_space(space: _RowSpace, values: FloatArray) -> FloatArray:
    """The minimum-norm x with A x = b on the independent rows: x = Q y, R11^T y = b_piv.

    For every vector c in the row space, c @ x is the same for all solutions of the
    published system, so it is the value of a determined cell.
    """
    if space.pivots.size == 0:
        return np.zeros(space.basis.shape[0])
    y = _linalg.solve_triangular(space.r11, values[space.pivots], trans="T")
    return np.asarray(space.basis @ y, dtype=np.float64)


# --- the linear programs -----------------------------------------------------------------


def _feasible_point(rows: FloatArray, values: FloatArray, lo: FloatArray, hi: FloatArray
                    ) -> FloatArray:
    """One x with ``rows @ x == values`` and ``lo <= x <= hi``, or raise if there is none."""
    if rows.shape[0] == 0:
        return lo.copy()
    res = _optimize.linprog(np.zeros(rows.shape[1]), A_eq=_sparse.csr_array(rows),
                            b_eq=values, bounds=np.column_stack([lo, hi]), method="highs")
    if res.status == 2:
        raise ValueError("published_values are infeasible: no quantities between lower and "
                         "upper satisfy published_rows @ x == published_values (a figure "
                         "was mistyped, or the bounds are too narrow)")
    if res.status != 0:  # pragma: no cover - numerical trouble in the solver
        raise RuntimeError(f"the feasibility check failed: {res.message}")
    return np.asarray(res.x, dtype=np.float64)


class _Block:
    """One independent block of the reduced system, and the feasible points seen so far.

    ``minimum(g)`` is ``min g @ x`` subject to ``matrix @ x == b_eq`` and the bounds. The
    box alone gives the lower bound ``g @ z`` (z: each atom at the end its coefficient
    prefers); if a feasible point already reaches it, that is the minimum and no program
    is needed. Vertices found by earlier programs sit at their bounds in most atoms, so
    this settles many endpoints of loosely constrained cells.
    """

    def __init__(self, matrix: Any, b_eq: FloatArray, lo: FloatArray, hi: FloatArray,
                 seed: FloatArray) -> None:
        self.matrix = matrix
        self.b_eq = b_eq
        self.lo = lo
        self.hi = hi
        self.bounds = np.column_stack([lo, hi])
        self.points: list[FloatArray] = [seed]
        self._stack: FloatArray | None = None

    def minimum(self, g: FloatArray) -> float:
        box = float(np.where(g > 0, g * self.lo, g * self.hi).sum())
        if self.matrix is None:  # atoms in no published row: only their bounds limit them
            return box
        if self._stack is None:
            self._stack = np.vstack(self.points)
        slack = 1e-9 * (1.0 + float(np.abs(g) @ np.maximum(np.abs(self.lo), np.abs(self.hi))))
        if (self._stack @ g).min() <= box + slack:
            return box
        res = _optimize.linprog(g, A_eq=self.matrix, b_eq=self.b_eq, bounds=self.bounds,
                                method="highs")
        if res.status != 0:  # pragma: no cover - the system was checked feasible, is bounded
            raise RuntimeError(f"an audit linear program failed: {res.message}")
        self.points.append(np.asarray(res.x, dtype=np.float64))
        self._stack = None
        return float(res.fun)


def _intervals(rows: FloatArray, values: FloatArray, cells: FloatArray, lo: FloatArray,
               hi: FloatArray, tol: float) -> tuple[BoolArray, FloatArray, FloatArray]:
    """Determined flags and audit intervals of every cell (see :func:`audit_intervals`)."""
    n_cells = cells.shape[0]
    start = _feasible_point(rows, values, lo, hi)
    space = _row_space(rows)
    determined = _in_row_space(space, cells, tol)
    x_ls = _solution_in_row_space(space, values)
    low = np.full(n_cells, np.nan)
    high = np.full(n_cells, np.nan)
    low[determined] = high[determined] = cells[determined] @ x_ls
    todo = np.flatnonzero(~determined)
    if todo.size == 0:
        return determined, low, high

    # Fix the atoms the published rows determine and drop them from the programs; what is
    # left falls apart into independent blocks (connected components of rows and atoms),
    # and a cell's minimum is the sum of its minima over the blocks it touches.
    fixed = _atom_residual_norms(space) <= tol
    free = np.flatnonzero(~fixed)
    if free.size == 0:  # every atom is determined, so every cell is (up to rounding)
        low[todo] = high[todo] = cells[todo] @ x_ls
        return determined, low, high
    reduced_values = values - rows[:, fixed] @ x_ls[fixed]
    sub = rows[:, free]
    live = np.abs(sub).sum(axis=1) > 0
    sub, reduced_values = sub[live], reduced_values[live]
    n_live = sub.shape[0]
    # Rows are nodes 0..n_live-1 and free atoms the nodes after them; an edge joins a
    # row to every atom it contains.
    edge_row, edge_atom = np.nonzero(sub)
    n_nodes = n_live + free.size
    graph = _sparse.coo_array((np.ones(edge_row.size), (edge_row, edge_atom + n_live)),
                              shape=(n_nodes, n_nodes))
    n_blocks, labels = _csgraph.connected_components(graph, directed=False)
    row_label = np.asarray(labels[:n_live], dtype=np.int64)
    atom_label = np.asarray(labels[n_live:], dtype=np.int64)
    block_atoms = [np.flatnonzero(atom_label == k) for k in range(n_blocks)]
    blocks = []
    for k, a in enumerate(block_atoms):
        r = np.flatnonzero(row_label == k)
        blocks.append(_Block(_sparse.csr_array(sub[np.ix_(r, a)]) if r.size else None,
                             reduced_values[r], lo[free[a]], hi[free[a]], start[free[a]]))

    for h in todo:
        c_free = cells[h, free]
        lo_sum = hi_sum = float(cells[h, fixed] @ x_ls[fixed])
        for k in np.unique(atom_label[c_free != 0]):
            g = c_free[block_atoms[k]]
            lo_sum += blocks[k].minimum(g)
            hi_sum -= blocks[k].minimum(-g)
        low[h], high[h] = lo_sum, max(hi_sum, lo_sum)
    return determined, low, high


# --- public functions -------------------------------------------------------------------


def determined_cells(published_rows: npt.ArrayLike, cells: npt.ArrayLike, *,
                     tol: float = 1e-9) -> BoolArray:
    """The rank test: which cells follow exactly from the published figures.

    Parameters
    ----------
    published_rows : array-like, shape (P, U)
        One row per published figure: the coefficients of the figure in the U unknown
        quantities (atoms). P may be 0 (an empty list, or shape (0, U)).
    cells : array-like, shape (H, U)
        One row per sensitive cell, in the same atoms.
    tol : float, default 1e-9
        Relative tolerance of the projection residual (see Notes).

    Returns
    -------
    ndarray of bool, shape (H,)
        True where the cell's value is determined by the published figures.

    Raises
    ------
    ValueError
        If an array has the wrong shape (``cells`` must have the U columns of
        ``published_rows``), holds NaN or infinity, or ``tol`` is not in (0, 1).

    Notes
    -----
    Each published figure is a linear equation in hidden quantities: a parent's sum is the
    sum of its children's, a mean times its count is a sum. With the published rows as a
    matrix A (P x U) and the published values b, every x with ``A x = b`` is consistent
    with what was published. A cell c is determined when ``c @ x`` is the same for all of
    them, that is when c lies in the row space of A (for a single hidden quantity j: the
    unit vector e_j lies in the row space). Then ``c = A^T w`` for some w and
    ``c @ x = w @ b``, whatever the hidden values.

    The test takes one pivoted QR decomposition of ``A^T``, ``A^T Π = Q R``; the first r
    columns of Q (r: the pivots above ``max(P, U) * eps * |R_00|``, NumPy's
    ``matrix_rank`` cut-off) are an orthonormal basis of the row space. A cell is
    determined when its projection residual is small:

    .. math:: \\lVert c - Q_r Q_r^\\top c \\rVert \\le \\mathrm{tol} \\, \\lVert c \\rVert

    which is ``matrix_rank([A; c]) == matrix_rank(A)`` for all cells at once at the cost
    of one decomposition. An all-zero cell is trivially determined (its value is 0); it
    is no cell, and :func:`audit_disclosure` never reports it exposed.

    References
    ----------
    Hundepool, A., et al. (2012). *Statistical Disclosure Control*. Wiley, chapter 4
    (secondary cell suppression; a suppressed cell must not be derivable from the
    published ones).
    Golub, G. H., & Van Loan, C. F. (2013). *Matrix Computations* (4th ed.). Johns
    Hopkins, section 5.4 (QR with column pivoting).

    Examples
    --------
    An organisation of three teams; the organisation total and team 3 are published.
    Team 1 alone is not determined; teams 1 and 2 together are (total minus team 3):

    >>> rows = [[1, 1, 1], [0, 0, 1]]
    >>> determined_cells(rows, [[1, 0, 0], [1, 1, 0]]).tolist()
    [False, True]

    Validated against: ``numpy.linalg.matrix_rank`` of the published rows with and
    without each cell (hypothesis tests in ``tests/analysis/test_audit.py``).
    """
    limit = _check_tol(tol)
    rows, vectors = _check_system(published_rows, cells)
    return _in_row_space(_row_space(rows), vectors, limit)


def audit_intervals(published_rows: npt.ArrayLike, published_values: npt.ArrayLike,
                    cells: npt.ArrayLike, *, lower: npt.ArrayLike, upper: npt.ArrayLike,
                    tol: float = 1e-9) -> tuple[FloatArray, FloatArray]:
    """The audit interval of each cell: its smallest and largest consistent value.

    Parameters
    ----------
    published_rows : array-like, shape (P, U)
        One row per published figure, in the U unknown quantities (atoms). P may be 0.
    published_values : array-like, shape (P,)
        The published figures (exact sums, not rounded ones: the attacker is assumed to
        know them exactly, the strict reading).
    cells : array-like, shape (H, U)
        One row per sensitive cell.
    lower, upper : float or array-like, shape (U,)
        What anyone knows about each atom before anything is published: for the sum of
        the ratings of n people on a 1..A scale, ``n`` and ``n * A``; for a count, 0 and
        the group's size.
    tol : float, default 1e-9
        Tolerance of the rank test used to skip the programs of determined cells (see
        :func:`determined_cells`).

    Returns
    -------
    low, high : ndarray of float, shape (H,)
        The audit interval of each cell.

    Raises
    ------
    ValueError
        If an array has the wrong shape or is not finite, ``lower`` exceeds ``upper``, or
        the published system is infeasible (no x between the bounds reproduces the
        published values).

    Notes
    -----
    For each cell c (the audit of tau-Argus; ``attack()`` in sdcTable):

    .. math::

        \\mathrm{low} = \\min c^\\top x, \\quad \\mathrm{high} = \\max c^\\top x
        \\quad \\text{subject to} \\quad A x = b, \\; l \\le x \\le u

    two linear programs, solved with ``scipy.optimize.linprog(method="highs")`` on a
    sparse constraint matrix. The interval is exactly what an attacker who sees all of
    ``b`` and knows the bounds can deduce about the cell (for continuous values; integer
    data can only narrow it by rounding the endpoints).

    Work is saved in three ways that do not change the result. A determined cell (see
    :func:`determined_cells`) is a point, ``c @ x`` for the minimum-norm solution of the
    published rows, and needs no program. Atoms the published rows determine are fixed
    at their value and leave the programs (as in Gaussian-elimination reduction, e.g.
    ``ComputeIntervals`` in R's GaussSuppression). What remains splits into independent
    blocks (connected components of rows and atoms): a cell's minimum is the sum of its
    minima over the blocks it touches, and an atom in no published row contributes the
    end of its bounds.

    References
    ----------
    Hundepool, A., et al. (2012). *Statistical Disclosure Control*. Wiley, chapter 4
    (protection levels, the feasibility interval of a suppressed cell, and the audit).
    de Wolf, P.-P., et al. *τ-ARGUS user's manual*. Statistics Netherlands (the audit of
    a suppression pattern).
    Meindl, B. sdcTable: methods for statistical disclosure control in tabular data, R
    package, function ``attack()``.

    Examples
    --------
    Three teams of 3, 12 and 15 people rate on a 1-5 scale; the atoms are the teams'
    sums, between n and 5n. The organisation's sum 120 and team 3's sum 50 are published,
    so teams 1 and 2 sum to K = 70 and team 1's sum lies in
    ``[max(3, K - 60), min(15, K - 12)] = [10, 15]``:

    >>> rows, values = [[1, 1, 1], [0, 0, 1]], [120, 50]
    >>> low, high = audit_intervals(rows, values, [[1, 0, 0], [1, 1, 0]],
    ...                             lower=[3, 12, 15], upper=[15, 60, 75])
    >>> low.round(6).tolist(), high.round(6).tolist()
    ([10.0, 70.0], [15.0, 70.0])

    Validated against: hand calculation (above), and ``linprog`` on the whole, unreduced
    system for random systems (hypothesis tests in ``tests/analysis/test_audit.py``),
    which also check that the true value always lies in the interval.
    """
    limit = _check_tol(tol)
    rows, vectors = _check_system(published_rows, cells)
    values = _check_values(published_values, rows.shape[0])
    lo, hi = _check_bounds(lower, upper, rows.shape[1])
    _, low, high = _intervals(rows, values, vectors, lo, hi, limit)
    return low, high


def audit_disclosure(
    published_rows: npt.ArrayLike,
    cells: npt.ArrayLike,
    *,
    lower: npt.ArrayLike,
    upper: npt.ArrayLike,
    published_values: npt.ArrayLike | None = None,
    divisor: npt.ArrayLike | None = None,
    protection: float = 0.0,
    tol: float = 1e-9,
) -> AuditResult:
    """Audit hidden cells against everything published: rank test and audit interval.

    Parameters
    ----------
    published_rows : array-like, shape (P, U)
        One row per published figure, in the U unknown quantities (atoms). P may be 0.
    cells : array-like, shape (H, U)
        One row per sensitive (hidden) cell.
    lower, upper : float or array-like, shape (U,)
        Bounds of each atom known to anyone (see :func:`audit_intervals`).
    published_values : array-like, shape (P,), optional
        The published figures. Without them only the rank test runs: ``low``, ``high``
        and ``width`` are NaN and ``exposed`` is ``determined``.
    divisor : float or array-like, shape (H,), optional
        Turns each cell's interval into the figure's scale: the hidden group's count when
        the cell is a sum of ratings and the figure a mean. Default 1. Must be positive.
    protection : float, default 0.0
        The protection level: the narrowest audit interval, on the divisor's scale,
        that still protects a cell. For a condition mean, 1.0 asks that the mean be
        uncertain by at least one scale point. 0 flags determined cells only.
    tol : float, default 1e-9
        Tolerance of the rank test (see :func:`determined_cells`).

    Returns
    -------
    AuditResult
        ``determined``, ``low``, ``high``, ``width`` and ``exposed`` per cell, with
        ``any_exposed`` and ``first_exposed``.

    Raises
    ------
    ValueError
        If an array has the wrong shape or is not finite, ``lower`` exceeds ``upper``,
        ``divisor`` is not positive, ``protection`` is negative, or the published system
        is infeasible.

    Notes
    -----
    The model: every published figure is a linear equation in hidden quantities (a
    parent's sum is the sum of its children's; a mean times its count is a sum); with
    all of them as ``A x = b`` and what is known beforehand as ``l <= x <= u``, a cell
    c is

    * **determined** when c lies in the row space of A (the rank test,
      :func:`determined_cells`): its value is then known exactly;
    * **narrowly bounded** when its audit interval is narrow
      (:func:`audit_intervals`):

    .. math::

        \\mathrm{width} = \\frac{\\max c^\\top x - \\min c^\\top x}{d}, \\qquad
        \\mathrm{exposed} = \\mathrm{determined} \\lor (\\mathrm{width} < p)

    with d the divisor and p the protection level (the protection interval of
    Hundepool et al.; sdcTable's ``attack()`` uses p = 1e-8 on sums). The width can be
    narrow without the cell being determined: if everyone in two hidden teams answered
    5, their published total is the largest possible and fixes each team's sum. An
    all-zero cell is no cell: reported determined (its value is 0) but never exposed.
    Widths are never negative (rounding in the solver is clipped).

    References
    ----------
    Hundepool, A., et al. (2012). *Statistical Disclosure Control*. Wiley, chapter 4
    (secondary suppression, protection levels, the audit).
    de Wolf, P.-P., et al. *τ-ARGUS user's manual*. Statistics Netherlands.
    Meindl, B. sdcTable, R package, function ``attack()``.

    Examples
    --------
    The teams of :func:`audit_intervals`: team 1 (3 people) is hidden, and so is the
    combination of teams 1 and 2, which the published figures determine. With the
    group counts as divisors the widths are on the scale of a mean:

    >>> r = audit_disclosure([[1, 1, 1], [0, 0, 1]], [[1, 0, 0], [1, 1, 0]],
    ...                      lower=[3, 12, 15], upper=[15, 60, 75],
    ...                      published_values=[120, 50], divisor=[3, 15], protection=1.0)
    >>> r.determined.tolist(), r.width.round(3).tolist(), r.exposed.tolist()
    ([False, True], [1.667, 0.0], [False, True])
    >>> r.first_exposed
    1

    Validated against: the hand calculations in ``tests/analysis/test_audit.py``
    (differencing, the three-team interval, uniform maximum answers) and the property
    tests there.
    """
    limit = _check_tol(tol)
    rows, vectors = _check_system(published_rows, cells)
    n_cells, n_atoms = vectors.shape
    lo, hi = _check_bounds(lower, upper, n_atoms)
    scale = np.ones(n_cells) if divisor is None else _check_vector(divisor, "divisor",
                                                                     n_cells, "cell")
    if (scale <= 0).any():
        raise ValueError(f"divisor must be positive; got {scale[scale <= 0][0]:g}")
    if isinstance(protection, bool) or not isinstance(protection, numbers.Real) or not (
            np.isfinite(protection) and protection >= 0):
        raise ValueError(f"protection must be a finite number of 0 or more; got "
                         f"{protection!r}")
    is_cell = np.abs(vectors).sum(axis=1) > 0
    if published_values is None:
        determined = _in_row_space(_row_space(rows), vectors, limit)
        nan = np.full(n_cells, np.nan)
        return AuditResult(determined=determined, low=nan, high=nan.copy(),
                           width=nan.copy(), exposed=determined & is_cell)
    values = _check_values(published_values, rows.shape[0])
    determined, low, high = _intervals(rows, values, vectors, lo, hi, limit)
    width = np.maximum(high - low, 0.0) / scale
    exposed = (determined | (width < float(protection))) & is_cell
    return AuditResult(determined=determined, low=low, high=high, width=width,
                       exposed=exposed)
