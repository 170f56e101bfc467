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
class _Component:
    """A connected block of rows and atoms left after peeling, with its row space.

    ``rows[pivots]`` are independent and ``A[rows[pivots]][:, atoms]^T = basis @ r11``
    (one pivoted QR): ``basis`` is an orthonormal basis of the block's row space.
    """

    rows: IntArray
    atoms: IntArray
    basis: FloatArray  # |atoms| x r
    r11: FloatArray  # r x r, upper triangular
    pivots: IntArray  # r, positions in ``rows``


@dataclass(frozen=True)
class _Structure:
    """What the published rows determine, before looking at their values.

    ``peeled`` lists rounds of (rows, atoms): a published row left with a single atom fixes
    that atom, which then leaves every other row. The rest splits into ``components``
    (connected blocks of rows and atoms); ``loose`` atoms are in no row any more.
    """

    peeled: list[tuple[IntArray, IntArray]]
    components: list[_Component]
    loose: IntArray


def _connected_blocks(pattern: Any) -> list[tuple[IntArray, IntArray]]:
    """Independent blocks of a system: (rows, atoms) of each connected component.

    ``pattern`` is a sparse (rows x atoms) matrix; rows and atoms are the nodes of a
    bipartite graph with an edge per non-zero coefficient. An atom in no row is a block
    of its own without rows.
    """
    coo = _sparse.coo_array(pattern)
    n_rows, n_atoms = coo.shape
    n_nodes = n_rows + n_atoms
    graph = _sparse.coo_array((np.ones(coo.nnz), (coo.row, coo.col + n_rows)),
                              shape=(n_nodes, n_nodes))
    n_blocks, labels = _csgraph.connected_components(graph, directed=False)
    blocks = []
    for side in (labels[:n_rows], labels[n_rows:]):
        order = np.argsort(side, kind="stable")
        splits = np.searchsorted(side[order], np.arange(n_blocks + 1))
        blocks.append([order[splits[k]:splits[k + 1]].astype(np.int64)
                       for k in range(n_blocks)])
    return list(zip(blocks[0], blocks[1], strict=True))


def _structure(rows: FloatArray) -> _Structure:
    n_rows, n_atoms = rows.shape
    pattern = _sparse.csr_array((rows != 0).astype(np.float64))
    atom_open = np.ones(n_atoms, dtype=bool)
    row_open = np.ones(n_rows, dtype=bool)
    peeled: list[tuple[IntArray, IntArray]] = []
    # Peeling is Gaussian elimination on singleton rows, done on the sparsity pattern: a
    # published group of its own (a leaf) fixes its atom without any dense algebra.
    while True:
        left = pattern @ atom_open.astype(np.float64)
        row_open &= left > 0
        single = np.flatnonzero(row_open & (left == 1))
        if single.size == 0:
            break
        hits = pattern[single].multiply(atom_open[None, :]).tocsr()
        hits.eliminate_zeros()
        atoms = np.asarray(hits.indices, dtype=np.int64)  # one per row, in row order
        atoms, first = np.unique(atoms, return_index=True)
        peeled.append((single[first].astype(np.int64), atoms))
        atom_open[atoms] = False
        row_open[single] = False

    live_rows = np.flatnonzero(row_open)
    open_atoms = np.flatnonzero(atom_open)
    components = []
    loose = []
    for block_rows, block_atoms in _connected_blocks(pattern[live_rows][:, open_atoms]):
        if block_rows.size == 0:
            loose.append(open_atoms[block_atoms])
            continue
        chosen_rows, chosen_atoms = live_rows[block_rows], open_atoms[block_atoms]
        matrix = rows[np.ix_(chosen_rows, chosen_atoms)]
        q, r, piv = _linalg.qr(matrix.T, mode="economic", pivoting=True)
        diag = np.abs(np.diag(r))
        # numpy.linalg.matrix_rank's cut-off, on the pivots of a rank-revealing QR.
        cutoff = diag[0] * max(matrix.shape) * np.finfo(np.float64).eps
        rank = int(np.count_nonzero(diag > cutoff))
        components.append(_Component(
            chosen_rows, chosen_atoms, np.asarray(q[:, :rank], dtype=np.float64),
            np.asarray(r[:rank, :rank], dtype=np.float64),
            np.asarray(piv[:rank], dtype=np.int64)))
    loose_atoms = np.concatenate(loose) if loose else np.zeros(0, dtype=np.int64)
    return _Structure(peeled, components, loose_atoms.astype(np.int64))


def _residual_norms(structure: _Structure, vectors: FloatArray) -> FloatArray:
    """||v - P v|| for each row v, P the projection on the row space.

    Peeled atoms are in the row space (their unit vectors are published rows, up to
    elimination) and contribute nothing; loose atoms are orthogonal to it; each
    component contributes its own residual, computed in blocks of vectors.
    """
    squares = (vectors[:, structure.loose] ** 2).sum(axis=1)
    for comp in structure.components:
        q = comp.basis
        for start in range(0, vectors.shape[0], _BLOCK):
            block = vectors[start:start + _BLOCK, comp.atoms]
            resid = block - (block @ q) @ q.T
            squares[start:start + _BLOCK] += (resid**2).sum(axis=1)
    return np.asarray(np.sqrt(squares), dtype=np.float64)


def _in_row_space(structure: _Structure, vectors: FloatArray, tol: float) -> BoolArray:
    norms = np.linalg.norm(vectors, axis=1)
    return np.asarray(_residual_norms(structure, vectors) <= tol * norms, dtype=np.bool_)


def _determined_atoms(structure: _Structure, n_atoms: int, tol: float) -> BoolArray:
    """Atoms whose unit vector lies in the row space (residual computed explicitly:
    1 - ||Q_j||^2 is not accurate enough near 0)."""
    out = np.zeros(n_atoms, dtype=bool)
    for _, atoms in structure.peeled:
        out[atoms] = True
    for comp in structure.components:
        q = comp.basis
        size = comp.atoms.size
        for start in range(0, size, _BLOCK):
            stop = min(start + _BLOCK, size)
            block = -(q[start:stop] @ q.T)
            block[np.arange(stop - start), np.arange(start, stop)] += 1.0
            out[comp.atoms[start:stop]] = np.linalg.norm(block, axis=1) <= tol
    return out


def _solution(structure: _Structure, rows: FloatArray, values: FloatArray) -> FloatArray:
    """One x with ``rows @ x == values`` (if the system is consistent).

    Peeled atoms in the order they were peeled, then in each component the minimum-norm
    solution of its independent rows: x = Q y with R11^T y = b. For every vector c in the
    row space, ``c @ x`` is the same for all solutions, so it is a determined cell's value.
    """
    x = np.zeros(rows.shape[1])
    for r, atoms in structure.peeled:
        x[atoms] = (values[r] - rows[r] @ x) / rows[r, atoms]
    for comp in structure.components:
        if comp.pivots.size == 0:
            continue
        chosen = comp.rows[comp.pivots]
        rhs = values[chosen] - rows[chosen] @ x
        y = _linalg.solve_triangular(comp.r11, rhs, trans="T")
        x[comp.atoms] = comp.basis @ y
    return x


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
        # Feasible points, one per row, in an array that doubles when full.
        self.points = np.empty((8, lo.size))
        self.points[0] = seed
        self.n_points = 1

    def _remember(self, point: FloatArray) -> None:
        if self.n_points == self.points.shape[0]:
            self.points = np.concatenate([self.points, np.empty_like(self.points)])
        self.points[self.n_points] = point
        self.n_points += 1

    def minimum(self, g: FloatArray) -> float:
        support = np.flatnonzero(g)
        gs = g[support]
        lo, hi = self.lo[support], self.hi[support]
        box = float(np.where(gs > 0, gs * lo, gs * hi).sum())
        if self.matrix is None:  # atoms in no published row: only their bounds limit them
            return box
        slack = 1e-9 * (1.0 + float(np.abs(gs) @ np.maximum(np.abs(lo), np.abs(hi))))
        if (self.points[:self.n_points, support] @ gs).min() <= box + slack:
            return box
        res = _optimize.linprog(g, A_eq=self.matrix, b_eq=self.b_eq, bounds=self.bounds,
                                method="highs")
        if res.status != 0:  # pragma: no cover - the system was checked feasible, is bounded
            raise RuntimeError(f"an audit linear program failed: {res.message}")
        self._remember(np.asarray(res.x, dtype=np.float64))
        return float(res.fun)


def _intervals(rows: FloatArray, values: FloatArray, cells: FloatArray, lo: FloatArray,
               hi: FloatArray, tol: float) -> tuple[BoolArray, FloatArray, FloatArray]:
    """Determined flags and audit intervals of every cell (see :func:`audit_intervals`)."""
    n_cells = cells.shape[0]
    start = _feasible_point(rows, values, lo, hi)
    structure = _structure(rows)
    determined = _in_row_space(structure, cells, tol)
    x_ls = _solution(structure, rows, values)
    low = np.full(n_cells, np.nan)
    high = np.full(n_cells, np.nan)
    low[determined] = high[determined] = cells[determined] @ x_ls
    todo = np.flatnonzero(~determined)
    if todo.size == 0:
        return determined, low, high

    # Fix the atoms the published rows determine and drop them from the programs; what is
    # left falls apart into independent blocks (connected components of rows and atoms),
    # and a cell's minimum is the sum of its minima over the blocks it touches.
    fixed = _determined_atoms(structure, rows.shape[1], tol)
    free = np.flatnonzero(~fixed)
    if free.size == 0:  # every atom is determined, so every cell is (up to rounding)
        low[todo] = high[todo] = cells[todo] @ x_ls
        return determined, low, high
    reduced_values = values - rows[:, fixed] @ x_ls[fixed]
    sub = rows[:, free]
    live = np.abs(sub).sum(axis=1) > 0
    sub, reduced_values = sub[live], reduced_values[live]
    blocks = []
    atom_block = np.empty(free.size, dtype=np.int64)
    block_atoms = []
    for k, (r, a) in enumerate(_connected_blocks(_sparse.coo_array(sub != 0))):
        atom_block[a] = k
        block_atoms.append(a)
        blocks.append(_Block(_sparse.csr_array(sub[np.ix_(r, a)]) if r.size else None,
                             reduced_values[r], lo[free[a]], hi[free[a]], start[free[a]]))

    for h in todo:
        c_free = cells[h, free]
        lo_sum = hi_sum = float(cells[h, fixed] @ x_ls[fixed])
        for k in np.unique(atom_block[c_free != 0]):
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

    The test projects every cell onto an orthonormal basis Q of the row space and
    compares the residual with the cell's length:

    .. math:: \\lVert c - Q Q^\\top c \\rVert \\le \\mathrm{tol} \\, \\lVert c \\rVert

    which is ``matrix_rank([A; c]) == matrix_rank(A)`` for all cells at once, without a
    decomposition per cell. The basis is built in three steps that keep the dense algebra
    small: rows left with a single hidden quantity (a published leaf, or a total whose
    other quantities are already known) fix that quantity, repeatedly (Gaussian
    elimination on singleton rows, on the sparsity pattern); the remaining rows split
    into independent blocks (connected components of rows and quantities); each block
    gets one pivoted QR decomposition of its transpose, ``A_k^T Π = Q R``, keeping the
    columns of Q whose pivots exceed ``max(P_k, U_k) * eps * |R_00|`` (NumPy's
    ``matrix_rank`` cut-off). The pieces are orthogonal, so the residual is exactly that
    of the whole row space. An all-zero cell is trivially determined (its value is 0);
    it is no cell, and :func:`audit_disclosure` never reports it exposed.

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
    return _in_row_space(_structure(rows), vectors, limit)


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

    Work is saved in four ways that do not change the result. A determined cell (see
    :func:`determined_cells`) is a point, ``c @ x`` for any solution x of the published
    rows, and needs no program. Quantities the published rows determine are fixed at
    their value and leave the programs (as the Gaussian reduction of ``ComputeIntervals``
    in R's GaussSuppression). What remains splits into independent blocks (connected
    components of rows and quantities): a cell's minimum is the sum of its minima over
    the blocks it touches, and a quantity in no published row contributes the end of its
    bounds. Finally, the bounds alone give ``min c @ x >= sum_j min(c_j l_j, c_j u_j)``;
    when a feasible point found earlier (by the feasibility check or another program)
    already reaches that value, it is the minimum and no program is solved.

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
        determined = _in_row_space(_structure(rows), vectors, limit)
        nan = np.full(n_cells, np.nan)
        return AuditResult(determined=determined, low=nan, high=nan.copy(),
                           width=nan.copy(), exposed=determined & is_cell)
    values = _check_values(published_values, rows.shape[0])
    determined, low, high = _intervals(rows, values, vectors, lo, hi, limit)
    width = np.maximum(high - low, 0.0) / scale
    exposed = (determined | (width < float(protection))) & is_cell
    return AuditResult(determined=determined, low=low, high=high, width=width,
                       exposed=exposed)
