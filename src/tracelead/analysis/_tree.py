"""Checks and walks over a forest given as a parent-index array (-1 = root)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ._validation import IntArray

__all__ = ["as_parents", "tree_depths"]


def as_parents(parents: npt.ArrayLike, n_nodes: int, name: str = "parents") -> IntArray:
    """Return ``parents`` as an int64 array, or raise if it is not a valid forest.

    A valid forest has one entry per node, each -1 (a root) or the index of another node,
    and no cycles.
    """
    arr = np.asarray(parents)
    if arr.ndim != 1 or arr.shape[0] != n_nodes:
        raise ValueError(f"{name} must be one-dimensional with one entry per node ({n_nodes}); "
                         f"got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer) and (
            not np.issubdtype(arr.dtype, np.floating) or (arr != np.round(arr)).any()):
        raise ValueError(f"{name} must hold integer node indices or -1 for a root")
    out = arr.astype(np.int64)
    bad = (out < -1) | (out >= n_nodes)
    if bad.any():
        raise ValueError(f"{name} must hold -1 or a node index in 0..{n_nodes - 1}; "
                         f"got {int(out[bad][0])} at node {int(np.nonzero(bad)[0][0])}")
    if (out == np.arange(n_nodes)).any():
        node = int(np.nonzero(out == np.arange(n_nodes))[0][0])
        raise ValueError(f"{name}: node {node} is its own parent")
    tree_depths(out)  # raises on a cycle
    return out


def tree_depths(parents: IntArray) -> IntArray:
    """Depth of every node (roots 0) by pointer jumping: O(n log depth), no loop per node.

    Raises ``ValueError`` if the parent links contain a cycle.
    """
    n = parents.shape[0]
    depth = (parents >= 0).astype(np.int64)
    jump = parents.copy()
    for _ in range(max(1, int(np.ceil(np.log2(max(n, 2))))) + 2):
        active = jump >= 0
        if not active.any():
            return depth
        idx = np.nonzero(active)[0]
        targets = jump[idx]
        depth[idx] += depth[targets]
        jump[idx] = jump[targets]
    raise ValueError("parents contains a cycle: following parent links must reach a root (-1)")
