"""The relationship network of a programme, an academy or a system.

People are the nodes and their ties the edges of an undirected graph: two people are
connected when they knew each other before, met at an event or have worked together
since (``docs/statistics.md``, section "Relationships", explains the measures for readers).
Seeds 003 and 004 treat these relationships as the unit of change, so the report says how
many new people each participant met and how that compares with the "five new people a
month" most of us meet, how far ties cross organisations and sectors, who connects parts
of the network that would otherwise be far apart (brokers, by betweenness), who reaches
several other sectors (bridges), and which sectors are missing from the room.

Everything here works on plain data: :class:`Person` and :class:`Tie` in, a frozen
:class:`NetworkReport` out. It knows nothing of Django or of names; the caller decides
what may be shown to whom (the gate's thresholds apply to every count shown anonymised).

Betweenness is computed by Brandes' algorithm in one of two engines, whichever should be
quicker: rustworkx (Rust, Apache-2.0, on every core), or breadth-first searches from 128
people at a time written here in NumPy and SciPy, about 2.5 times quicker on networks of
people, where everyone is a few steps from everyone, but slow along long chains. The
NumPy search from a sample of people is what makes brokers of a network of 20,000 people
quick enough for a web request.
"""

from __future__ import annotations

import datetime as dt
import importlib
import math
import numbers
import os
from collections.abc import Hashable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import numpy as np
import rustworkx as rx

from ._validation import FloatArray, IntArray, check_positive_int
from .disclosure import FIGURES_THRESHOLD

# SciPy ships no type hints and scipy-stubs is not a dependency; importing through importlib
# keeps mypy --strict clean (as audit.py does). Sparse matrices are read as Any.
_sparse: Any = importlib.import_module("scipy.sparse")
_csgraph: Any = importlib.import_module("scipy.sparse.csgraph")
SparseMatrix = Any

__all__ = [
    "DAYS_PER_MONTH",
    "DEFAULT_PIVOTS",
    "FIVE_A_MONTH",
    "KINDS",
    "NEW_KINDS",
    "THIN_PEOPLE",
    "THIN_SHARE",
    "EventTies",
    "NetworkReport",
    "Person",
    "Presence",
    "SectorPresence",
    "Tie",
    "betweenness",
    "network_report",
    "sampled_betweenness",
]

#: How many new people a month most of us meet, the rule of thumb seed 003 compares the
#: programme with (about five); :attr:`NetworkReport.new_ties_per_person_per_month` is
#: read against it.
FIVE_A_MONTH = 5.0

#: The kinds of tie, as :class:`tracelead.network.models.ConnectionKind` stores them:
#: knew each other before, met at an event, worked together since.
KINDS: tuple[str, ...] = ("knew", "met", "worked")
#: The kinds that can make a tie new; "knew" ties are the baseline.
NEW_KINDS: tuple[str, ...] = ("met", "worked")

#: A sector listed for the network is "thin" when it is present with fewer people than
#: this (the gate's figures threshold: fewer, and the sector cannot be shown as a group
#: of its own in any anonymised view) ...
THIN_PEOPLE = FIGURES_THRESHOLD
#: ... or with under this share of the people. At the rule-of-thumb pace of five new people
#: a month, someone meeting people at random would meet a person from a sector this small
#: less than once in ten months (5 x 0.02 = 0.1 a month).
THIN_SHARE = 0.02

#: Sampled sources :func:`network_report` uses for brokers when ``exact=False``. On four
#: synthetic system networks of 20,000 people and 200,000 ties (benchmarks/network_bench.py
#: and three more like it), five seeds each, this many pivots put 93 to 98 of the exact top
#: 100 in the sampled top 100 (1,000 pivots: 91 to 97), in about 1.7 s on two cores; the
#: goal is at least 90 within 20 s.
DEFAULT_PIVOTS = 2000

#: Days in an average month of the Gregorian calendar (365.2425 / 12).
DAYS_PER_MONTH = 365.2425 / 12

# rustworkx runs Brandes' algorithm on one thread below this many people and on every
# core above it; for a few dozen people the threads cost more than they save.
_PARALLEL_THRESHOLD = 50
# Sources searched together in one batch of the NumPy search: wide enough that NumPy's
# per-call cost is shared, narrow enough that a batch's arrays stay in cache.
_BATCH = 128
# What each engine costs on a 2-core machine (measured with benchmarks/network_bench.py
# and on paths and grids), to choose the quicker: rustworkx, per source and tie end; the
# NumPy search, per source and tie end (float64), and per level of a batch (its Python
# and NumPy calls, and its n x 128 arrays: the cost of long chains).
_RUSTWORKX_SECONDS_PER_TIE = 9e-9
_NUMPY_SECONDS_PER_TIE = 3.5e-9
_NUMPY_SECONDS_PER_LEVEL = 5e-4
_NUMPY_SECONDS_PER_LEVEL_AND_CELL = 4e-9

Engine = Literal["auto", "numpy", "rustworkx"]

Presence = Literal["present", "thin", "missing"]


@dataclass(frozen=True)
class Person:
    """A person in the network: a key (the member's id), their organisation (any string
    equal for two people of the same organisation) and their sector."""

    key: int
    organisation: str
    sector: str


@dataclass(frozen=True)
class Tie:
    """A tie between people ``a`` and ``b`` that arose on ``on``.

    ``kind`` is one of :data:`KINDS`; ``event`` is the event where they met, for a "met"
    tie (None for the other kinds, and for a "met" tie whose event is not known). The same
    two people may have several ties (they knew each other, then worked together); the
    network counts them as connected once.
    """

    a: int
    b: int
    on: dt.date
    kind: str
    event: int | None = None


class EventTies(NamedTuple):
    """New ties made at one event: the people who made at least one there, and how many."""

    people: int
    new_ties: int


class SectorPresence(NamedTuple):
    """Whether a sector is in the network and with how many people.

    The count may be under the gate's threshold: apply the gate before showing it.
    """

    status: Presence
    people: int


@dataclass(frozen=True)
class NetworkReport:
    """The measures of a relationship network (see :func:`network_report`).

    The network is the people given and every tie dated on or before ``end``; "new" ties
    are those that arose within ``[start, end]``.

    Attributes
    ----------
    people : int
        :math:`n`, the people in the network (with or without ties).
    ties : int
        :math:`m`, the pairs of people connected by at least one tie on or before ``end``.
    density : float
        :math:`2m / (n(n-1))`, the share of all possible pairs that are connected (0 for
        fewer than two people).
    components : int
        Connected groups of people, each person alone counting as one.
    largest_component : int
        People in the largest of them.
    isolates : int
        People with no tie.
    cross_organisation_share, cross_sector_share : float
        Share of the connected pairs whose two people work in different organisations, or
        sectors (NaN with no ties).
    new_ties : int
        :math:`m_{new}`, pairs first connected within ``[start, end]`` by a "met" or
        "worked" tie, who had no "knew" tie.
    new_ties_per_person : float
        :math:`2 m_{new} / n`: the new people each person met, on average (a tie is a
        new person for each of its two people).
    new_ties_per_person_per_month : float
        ``new_ties_per_person`` divided by ``months``, to read against
        :data:`FIVE_A_MONTH`.
    share_with_new_tie : float
        Share of the people with at least one new tie.
    per_event : dict of int to EventTies
        For every event with a "met" tie within ``[start, end]``: the people who made a
        new tie there and the new ties made there (a pair that met at two events counts
        at the first).
    brokers : list of (int, float)
        The ``top`` people of highest betweenness (exact or sampled), highest first, ties
        broken by key; people with none are left out.
    bridges : list of (int, int)
        People tied to people of at least two sectors other than their own, with how many
        such sectors: most first, then by key.
    sector_presence : dict of str to SectorPresence
        For each sector asked about, in the order asked: "missing" (nobody), "thin" (fewer
        than :data:`THIN_PEOPLE` people or under :data:`THIN_SHARE` of them) or "present".
    growth : (int, int)
        Connected pairs with a tie dated before ``start`` (0 without a start), and on or
        before ``end``: the network grew by their difference within ``[start, end]``.
    months : float
        Length of ``[start, end]`` in months of :data:`DAYS_PER_MONTH` days, counting
        both ends; without a start or end, from the first or to the last tie (NaN with no
        ties to date it).
    """

    people: int
    ties: int
    density: float
    components: int
    largest_component: int
    isolates: int
    cross_organisation_share: float
    cross_sector_share: float
    new_ties: int
    new_ties_per_person: float
    new_ties_per_person_per_month: float
    share_with_new_tie: float
    per_event: dict[int, EventTies] = field(default_factory=dict)
    brokers: list[tuple[int, float]] = field(default_factory=list)
    bridges: list[tuple[int, int]] = field(default_factory=list)
    sector_presence: dict[str, SectorPresence] = field(default_factory=dict)
    growth: tuple[int, int] = (0, 0)
    months: float = math.nan


# --- Graphs as arrays -------------------------------------------------------------------


def _index_edges(edges: Iterable[tuple[Hashable, Hashable]], nodes: Iterable[Hashable]
                 ) -> tuple[list[Hashable], IntArray, IntArray]:
    """Number the people 0..n-1 (``nodes`` first, then as met in ``edges``) and return
    them with the distinct pairs (lo < hi) as two index arrays."""
    index: dict[Hashable, int] = {}
    try:
        for node in nodes:
            index.setdefault(node, len(index))
    except TypeError as exc:
        raise ValueError(f"nodes must be hashable keys of people: {exc}") from exc
    firsts: list[int] = []
    seconds: list[int] = []
    for edge in edges:
        try:
            a, b = edge
        except (TypeError, ValueError) as exc:
            raise ValueError(f"each edge must be a pair (a, b) of people; got {edge!r}") from exc
        try:
            i = index.setdefault(a, len(index))
            j = index.setdefault(b, len(index))
        except TypeError as exc:
            raise ValueError(f"people in edges must be hashable keys; got {edge!r}") from exc
        if i == j:
            raise ValueError(f"an edge joins two different people; {a!r} is tied to "
                             "themselves (a self-loop)")
        firsts.append(i)
        seconds.append(j)
    n = len(index)
    lo, hi = _distinct_pairs(n, np.asarray(firsts, dtype=np.int64),
                             np.asarray(seconds, dtype=np.int64))
    return list(index), lo, hi


def _distinct_pairs(n: int, a: IntArray, b: IntArray) -> tuple[IntArray, IntArray]:
    """Each unordered pair once, as (lo, hi) with lo < hi, sorted."""
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    codes = np.unique(lo * n + hi)
    return codes // max(n, 1), codes % max(n, 1)


def _adjacency(n: int, lo: IntArray, hi: IntArray, dtype: type[np.floating[Any]] = np.float64
               ) -> SparseMatrix:
    """The symmetric 0/1 adjacency matrix of distinct pairs."""
    rows = np.concatenate([lo, hi])
    cols = np.concatenate([hi, lo])
    data = np.ones(rows.size, dtype=dtype)
    return _sparse.csr_matrix((data, (rows, cols)), shape=(n, n))


# --- Betweenness ------------------------------------------------------------------------


def _rustworkx_betweenness(n: int, lo: IntArray, hi: IntArray) -> FloatArray:
    values = np.zeros(n, dtype=np.float64)
    graph: rx.PyGraph[None, None] = rx.PyGraph(multigraph=False, node_count_hint=n,
                                               edge_count_hint=int(lo.size))
    graph.add_nodes_from([None] * n)
    graph.add_edges_from_no_data(list(zip(lo.tolist(), hi.tolist(), strict=True)))
    scores = rx.graph_betweenness_centrality(graph, normalized=True, endpoints=False,
                                             parallel_threshold=_PARALLEL_THRESHOLD)
    for node, score in scores.items():
        values[node] = score
    return values


def _numpy_is_quicker(adjacency: SparseMatrix, sources: int) -> bool:
    """Whether searching from ``sources`` people in NumPy should take less time than
    rustworkx's search from everyone.

    The NumPy search pays for every level of a batch, so it loses on networks with long
    chains (a path, a grid). Its depth is at most the diameter, and the diameter at most
    twice the eccentricity of anyone in the component: one breadth-first search from a
    person in each component, stopped once the NumPy search has lost, settles it.
    """
    n = adjacency.shape[0]
    ends = int(adjacency.nnz)
    rust = n * ends * _RUSTWORKX_SECONDS_PER_TIE
    work = sources * ends * _NUMPY_SECONDS_PER_TIE
    per_level = -(-sources // _BATCH) * (_NUMPY_SECONDS_PER_LEVEL
                                         + _NUMPY_SECONDS_PER_LEVEL_AND_CELL * n * _BATCH)
    affordable = (rust - work) / per_level  # levels the NumPy search can afford
    if affordable < 2:
        return False
    _, labels = _csgraph.connected_components(adjacency, directed=False)
    seeds = np.unique(labels, return_index=True)[1]
    reached = np.zeros(n, dtype=bool)
    reached[seeds] = True
    frontier = reached
    for _ in range(int(affordable // 2)):
        frontier = (np.asarray(adjacency @ frontier.astype(np.float64)) > 0) & ~reached
        if not frontier.any():
            return True
        reached |= frontier
    return bool(reached.all())


def _numpy_dependencies(adjacency: SparseMatrix, sources: IntArray,
                        dtype: type[np.floating[Any]]) -> FloatArray | None:
    """Sum of everyone's dependencies on ``sources``, batch by batch on every core; in
    float32 a batch whose path counts overflow is repeated in float64. None if they
    overflow float64 too."""
    degree = np.diff(adjacency.indptr).astype(np.int64)
    fast = adjacency.astype(dtype)
    batches = [np.sort(sources[i:i + _BATCH]) for i in range(0, sources.size, _BATCH)]

    def run(batch: IntArray) -> FloatArray | None:
        result = _source_dependencies(fast, degree, batch, dtype)
        if result is None and dtype is not np.float64:
            result = _source_dependencies(adjacency, degree, batch, np.float64)
        return result

    total = np.zeros(adjacency.shape[0], dtype=np.float64)
    with ThreadPoolExecutor(max_workers=min(_workers(), len(batches))) as pool:
        for part in pool.map(run, batches):  # in order: the sum does not depend on timing
            if part is None:
                return None
            total += part
    return total


def _exact_betweenness(n: int, lo: IntArray, hi: IntArray, engine: Engine = "auto"
                       ) -> FloatArray:
    if n < 3 or lo.size == 0:
        return np.zeros(n, dtype=np.float64)
    if engine != "rustworkx":
        adjacency = _adjacency(n, lo, hi)
        if engine == "numpy" or _numpy_is_quicker(adjacency, n):
            total = _numpy_dependencies(adjacency, np.arange(n), np.float64)
            if total is not None:
                # Over every source the two scaled shares of a pair add up to one.
                return total * (2.0 / ((n - 1) * (n - 2)))
    return _rustworkx_betweenness(n, lo, hi)


def betweenness(edges: Iterable[tuple[Hashable, Hashable]], *,
                nodes: Iterable[Hashable] = ()) -> dict[Hashable, float]:
    """Exact betweenness centrality of each person, normalised as networkx normalises it
    for an undirected graph.

    Parameters
    ----------
    edges : iterable of (hashable, hashable)
        The ties, as pairs of people's keys (ints, strings: anything hashable). A pair
        given twice, in either order, is one tie; a person tied to themselves is refused.
    nodes : iterable of hashable, keyword-only
        People to count even if they have no tie (isolates). They score 0 but enter
        :math:`n` in the normalisation, as nodes of a networkx graph do.

    Returns
    -------
    dict
        Betweenness per person: every person in ``nodes``, then every other person in
        ``edges`` in the order first met. Values lie in [0, 1].

    Notes
    -----
    The betweenness of :math:`v` (Freeman 1977) is

    .. math:: c_B(v) = \\frac{2}{(n-1)(n-2)} \\sum_{\\{s,t\\},\\ s \\ne v \\ne t}
              \\frac{\\sigma_{st}(v)}{\\sigma_{st}}

    over unordered pairs of other people, where :math:`\\sigma_{st}` counts the shortest
    paths between :math:`s` and :math:`t` and :math:`\\sigma_{st}(v)` those through
    :math:`v`. It is the share of the pairs' shortest paths a person sits on: 1 for the
    centre of a star, 0 for a person whose contacts all know each other. Pairs in different
    components contribute nothing. With fewer than three people every value is 0.

    Computed by Brandes' algorithm, O(nm) for :math:`m` ties, on every core, in whichever
    engine should be quicker for the network (estimated from its size and from one
    breadth-first search per component):

    - breadth-first searches from 128 people at a time in NumPy and SciPy, in float64
      (the engine of :func:`sampled_betweenness`, with every person a source): about
      2.5 times quicker than rustworkx on networks of people (1.8 s against 4.5 s for
      5,000 people and 50,000 ties on two cores), where every search is a few levels deep;
    - rustworkx (``graph_betweenness_centrality(normalized=True, endpoints=False)``),
      whose cost does not grow with the depth of the searches, for long chains and grids.

    Both normalise as networkx does for an undirected graph:
    ``networkx.betweenness_centrality(G, normalized=True)`` divides the sum over ordered
    pairs by :math:`(n-1)(n-2)`, which is the formula above.

    References
    ----------
    L. C. Freeman, "A set of measures of centrality based on betweenness", Sociometry 40
    (1977) 35-41.
    U. Brandes, "A faster algorithm for betweenness centrality", Journal of Mathematical
    Sociology 25 (2001) 163-177.

    Validated against ``networkx.betweenness_centrality`` (networkx 3.6) to 1e-9, with
    each engine, on paths, stars, two cliques joined by a bridge, grids and random graphs
    with several components and isolates, with int and string keys
    (tests/analysis/test_network_analysis.py).

    Examples
    --------
    >>> betweenness([("ann", "bo"), ("bo", "cy")])
    {'ann': 0.0, 'bo': 1.0, 'cy': 0.0}
    >>> betweenness([(1, 2), (2, 3)], nodes=[4])  # 2 is on 1 of the 3 pairs of others
    {4: 0.0, 1: 0.0, 2: 0.3333333333333333, 3: 0.0}
    """
    keys, lo, hi = _index_edges(edges, nodes)
    return dict(zip(keys, _exact_betweenness(len(keys), lo, hi).tolist(), strict=True))


def _workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


Level = tuple[IntArray, FloatArray]


def _forward(adjacency: SparseMatrix, degree: IntArray, sources: IntArray,
             dtype: type[np.floating[Any]]) -> list[Level]:
    """Breadth-first searches from every source at once: the levels of the search.

    Column :math:`j` belongs to source ``sources[j]``. Level :math:`d` is the rows of the
    people at distance :math:`d` from some source, with :math:`\\sigma`, their number of
    shortest paths from each source (0 in the columns where they are at another
    distance). A level is expanded from the people just reached (push) or into the people
    not yet reached (pull), whichever touches fewer ties (Beamer, Asanović and Patterson
    2012).
    """
    n = adjacency.shape[0]
    width = sources.size
    columns = np.arange(width)
    seen = np.zeros((n, width), dtype=bool)
    seen[sources, columns] = True
    reached = np.bincount(sources, minlength=n)  # columns in which each person is reached
    rows = np.unique(sources)
    counts = np.zeros((rows.size, width), dtype=dtype)
    counts[np.searchsorted(rows, sources), columns] = 1
    levels = [(rows, counts)]
    marker = np.zeros(n, dtype=bool)
    while True:
        unreached = np.flatnonzero(reached < width)
        if unreached.size == 0:
            return levels
        if int(degree[rows].sum()) <= int(degree[unreached].sum()):
            step = adjacency[rows]
            marker[step.indices] = True
            candidates = np.flatnonzero(marker)
            marker[candidates] = False
            paths = np.asarray(step.T @ counts)[candidates]
        else:
            candidates = unreached
            expanded = np.zeros((n, width), dtype=dtype)
            expanded[rows] = counts
            paths = np.asarray(adjacency[candidates] @ expanded)
        new = (paths > 0) & ~seen[candidates]
        keep = new.any(axis=1)
        if not keep.any():
            return levels
        rows, new, counts = candidates[keep], new[keep], paths[keep]
        counts *= new  # only where reached for the first time
        seen[rows] |= new
        reached[rows] += new.sum(axis=1)
        levels.append((rows, counts))


def _source_dependencies(adjacency: SparseMatrix, degree: IntArray, sources: IntArray,
                         dtype: type[np.floating[Any]]) -> FloatArray | None:
    """Sum over ``sources`` of each person's linearly scaled dependency on them, or None
    if a count of shortest paths overflows ``dtype`` (the caller then repeats the batch
    in float64)."""
    n = adjacency.shape[0]
    width = sources.size
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is checked just below
        levels = _forward(adjacency, degree, sources, dtype)
    if not all(np.isfinite(counts).all() for _, counts in levels):
        return None
    # Back from the farthest level: with the scaling of Geisberger et al., a person v one
    # step before w on a path from s takes sigma_sv / sigma_sw * d(s,v) / d(s,w) of w's
    # share (1 for w itself, plus w's own dependency). A person's dependency in a column
    # is complete once the level after theirs is done, so each level's is computed once.
    total = np.zeros(n, dtype=np.float64)
    dependency: FloatArray | None = None  # of the people at the current level
    for level in range(len(levels) - 1, 1, -1):
        here, here_counts = levels[level]
        before, before_counts = levels[level - 1]
        share = np.zeros_like(here_counts)
        np.divide(1.0 if dependency is None else 1.0 + dependency, here_counts * level,
                  out=share, where=here_counts > 0)
        if int(degree[here].sum()) <= int(degree[before].sum()):
            pulled = np.asarray(adjacency[here].T @ share)[before]
        else:
            spread = np.zeros((n, width), dtype=dtype)
            spread[here] = share
            pulled = np.asarray(adjacency[before] @ spread)
        dependency = (before_counts * pulled * (level - 1)).astype(dtype, copy=False)
        total[before] += dependency.sum(axis=1, dtype=np.float64)
    return total


def _sampled_betweenness(n: int, lo: IntArray, hi: IntArray, pivots: int, seed: int,
                         engine: Engine = "auto") -> FloatArray:
    if n < 3 or lo.size == 0:
        return np.zeros(n, dtype=np.float64)
    k = min(pivots, n)
    sources = np.random.default_rng(seed).choice(n, size=k, replace=False)
    adjacency = _adjacency(n, lo, hi)
    if engine == "rustworkx" or (engine == "auto" and not _numpy_is_quicker(adjacency, k)):
        return _rustworkx_betweenness(n, lo, hi)  # exact, and here quicker than a sample
    total = _numpy_dependencies(adjacency, sources, np.float32)
    if total is None:
        return _rustworkx_betweenness(n, lo, hi)
    # Each pair's scaled shares from its two ends add up to one, hence the 2.
    return total * (2.0 * n / k / ((n - 1) * (n - 2)))


def sampled_betweenness(edges: Iterable[tuple[Hashable, Hashable]], *, pivots: int,
                        seed: int = 0, nodes: Iterable[Hashable] = ()
                        ) -> dict[Hashable, float]:
    """Betweenness estimated from shortest paths out of a random sample of people.

    Parameters
    ----------
    edges : iterable of (hashable, hashable)
        The ties, as for :func:`betweenness`.
    pivots : int, keyword-only
        :math:`k`, how many people to search from (at least 1; more than the people in the
        network means all of them, which gives the exact values).
    seed : int, keyword-only
        Chooses the sample; the same seed and edges give the same values.
    nodes : iterable of hashable, keyword-only
        People to count even without a tie, as for :func:`betweenness`.

    Returns
    -------
    dict
        Estimated betweenness per person, in the order of :func:`betweenness`, on the same
        scale (normalised as networkx normalises an undirected graph).

    Notes
    -----
    Brandes' algorithm sums, over every source :math:`s`, the dependency of each person on
    :math:`s`; Brandes and Pich (2007) sum over :math:`k` sources drawn at random without
    replacement and scale by :math:`n/k`, as ``networkx.betweenness_centrality(G, k=...)``
    does. Here each pair's contribution is also weighted by how far along the path the
    person sits (the "linear scaling" of Geisberger, Sanders and Schultes 2008):

    .. math:: \\hat c_B(v) = \\frac{2n}{k(n-1)(n-2)} \\sum_{s \\in S} \\sum_{t \\ne s, v}
              \\frac{\\sigma_{st}(v)}{\\sigma_{st}} \\frac{d(s,v)}{d(s,t)}

    Over all sources the two weights of a pair, :math:`d(s,v)/d(s,t)` and
    :math:`d(t,v)/d(t,s)`, add up to 1, so the estimate is unbiased and equals the exact
    value when :math:`S` is everyone. The weighting stops people next to a sampled source
    from being credited with all of that source's paths, which is the largest error of the
    plain estimator: on a synthetic network of 20,000 people and 200,000 ties, 500 pivots
    put 91 of the exact top 100 in the sampled top 100 on average over five seeds, where
    the plain estimator put 83 (and 89 with 1,000 pivots).

    The sources are searched in batches of 128, one breadth-first search per column of
    NumPy arrays, with SciPy sparse products for each level, on every core.
    Counts of shortest paths are kept in float32 (their sampling error is far larger than
    the rounding), and a batch is repeated in float64 if a count overflows. On networks
    with long chains, where each level of the search costs more than its ties, the exact
    values from rustworkx are returned instead when they should come sooner.

    References
    ----------
    U. Brandes and C. Pich, "Centrality estimation in large networks", International
    Journal of Bifurcation and Chaos 17 (2007) 2303-2318.
    R. Geisberger, P. Sanders and D. Schultes, "Better approximation of betweenness
    centrality", Proceedings of ALENEX (2008) 90-100.
    S. Beamer, K. Asanović and D. Patterson, "Direction-optimizing breadth-first search",
    Proceedings of SC12 (2012).

    Validated against :func:`betweenness` (equal to 1e-5 when every person is a source)
    and, for a sample, against the mean over seeds converging on the exact values
    (tests/analysis/test_network_analysis.py); the benchmark measures how well its top
    100 matches the exact top 100 (benchmarks/network_bench.py).

    Examples
    --------
    >>> scores = sampled_betweenness([(1, 2), (2, 3), (3, 4)], pivots=4)
    >>> {key: round(value, 6) for key, value in scores.items()}
    {1: 0.0, 2: 0.666667, 3: 0.666667, 4: 0.0}
    """
    k = check_positive_int(pivots, "pivots")
    seed_value = _check_seed(seed)
    keys, lo, hi = _index_edges(edges, nodes)
    values = _sampled_betweenness(len(keys), lo, hi, k, seed_value)
    return dict(zip(keys, values.tolist(), strict=True))


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or int(seed) < 0:
        raise ValueError(f"seed must be a whole number of at least 0; got {seed!r}")
    return int(seed)


# --- The report -------------------------------------------------------------------------


def _check_day(value: object, name: str) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValueError(f"{name} must be a date (datetime.date, without a time); "
                         f"got {value!r}")
    return value


@dataclass(frozen=True)
class _Ties:
    """The ties as arrays: people's indices, day numbers, kinds and events."""

    a: IntArray
    b: IntArray
    day: IntArray
    kind: IntArray  # index into KINDS
    event: IntArray  # -1: none


def _check_people(people: Sequence[Person]) -> dict[int, int]:
    index: dict[int, int] = {}
    for person in people:
        if not isinstance(person, Person):
            raise ValueError(f"people must be Person objects; got {person!r}")
        key = person.key
        if isinstance(key, bool) or not isinstance(key, numbers.Integral):
            raise ValueError(f"a person's key must be an integer; got {key!r}")
        if not isinstance(person.organisation, str) or not isinstance(person.sector, str):
            raise ValueError(f"a person's organisation and sector must be strings; got "
                             f"{person!r}")
        if int(key) in index:
            raise ValueError(f"each person must be given once; {key} is given twice")
        index[int(key)] = len(index)
    return index


def _check_ties(ties: Sequence[Tie], index: dict[int, int]) -> _Ties:
    kind_code = {kind: code for code, kind in enumerate(KINDS)}
    count = len(ties)
    a = np.empty(count, dtype=np.int64)
    b = np.empty(count, dtype=np.int64)
    day = np.empty(count, dtype=np.int64)
    kind = np.empty(count, dtype=np.int64)
    event = np.empty(count, dtype=np.int64)
    for row, tie in enumerate(ties):
        if not isinstance(tie, Tie):
            raise ValueError(f"ties must be Tie objects; got {tie!r}")
        try:
            a[row] = index[tie.a]
            b[row] = index[tie.b]
        except (KeyError, TypeError):
            unknown = tie.a if tie.a not in index else tie.b
            raise ValueError(f"every tie must join people given in people; {unknown!r} is "
                             f"not one of them ({tie!r})") from None
        if tie.a == tie.b:
            raise ValueError(f"a tie joins two different people; {tie.a!r} is tied to "
                             "themselves")
        if tie.kind not in kind_code:
            choices = ", ".join(repr(k) for k in KINDS)
            raise ValueError(f"a tie's kind must be one of {choices}; got {tie.kind!r}")
        kind[row] = kind_code[tie.kind]
        if isinstance(tie.on, dt.datetime) or not isinstance(tie.on, dt.date):
            raise ValueError(f"a tie's date (on) must be a datetime.date without a time; got "
                             f"{tie.on!r}")
        day[row] = tie.on.toordinal()
        if tie.event is None:
            event[row] = -1
        elif tie.kind != "met":
            raise ValueError(f"only a 'met' tie names an event; got a {tie.kind!r} tie at "
                             f"event {tie.event!r}")
        elif isinstance(tie.event, bool) or not isinstance(tie.event, numbers.Integral) \
                or int(tie.event) < 0:
            raise ValueError(f"a tie's event must be an event id (a whole number) or None; "
                             f"got {tie.event!r}")
        else:
            event[row] = int(tie.event)
    return _Ties(a, b, day, kind, event)


def _codes(values: Sequence[str]) -> IntArray:
    """Equal strings get equal small integers."""
    table: dict[str, int] = {}
    return np.fromiter((table.setdefault(v, len(table)) for v in values), dtype=np.int64,
                       count=len(values))


def _share(part: int, whole: int) -> float:
    return part / whole if whole else math.nan


def network_report(people: Sequence[Person], ties: Sequence[Tie], *,
                   start: dt.date | None = None, end: dt.date | None = None,
                   exact: bool = True, top: int = 10,
                   sectors: Sequence[str] = ()) -> NetworkReport:
    """Every measure of a relationship network, as at ``end``, with what grew since ``start``.

    Parameters
    ----------
    people : sequence of Person
        Everyone in scope (a programme's participants, an academy's members), with or
        without ties; keys distinct.
    ties : sequence of Tie
        Ties between them (any tie naming someone not in ``people`` is refused). Ties dated
        after ``end`` are left out.
    start, end : datetime.date or None, keyword-only
        The window for new ties and growth, both days included. Without ``start`` the
        window opens at the beginning; without ``end`` every tie is counted.
    exact : bool, keyword-only
        Brokers from exact betweenness (:func:`betweenness`), or estimated from
        :data:`DEFAULT_PIVOTS` sampled people (:func:`sampled_betweenness`, seed 0) for
        networks too large to wait for.
    top : int, keyword-only
        How many brokers to list; 0 lists none and skips betweenness altogether.
    sectors : sequence of str, keyword-only
        Sectors to report as present, thin or missing (the design's list of sectors).

    Returns
    -------
    NetworkReport
        See its attributes for each measure.

    Notes
    -----
    The network has the :math:`n` people and an edge for each pair with at least one tie
    on or before ``end``; :math:`m` is the number of such pairs.

    - Density is :math:`2m/(n(n-1))` (Wasserman and Faust 1994, 4.2); components are
      found with ``scipy.sparse.csgraph.connected_components``.
    - A pair crosses organisations (sectors) when its two people's organisations
      (sectors) differ; the shares are over the :math:`m` pairs.
    - A **new tie** is a pair whose first tie is a "met" or "worked" tie dated within
      ``[start, end]`` and who never had a "knew" tie, at whatever date: people who knew
      each other before are the baseline, and meeting again is not meeting someone new.
      Each new tie is a new person for both its people, so
      :math:`\\text{new ties per person} = 2 m_{new}/n`, and per month it is divided by
      the window's length in months, :math:`(\\text{days} + 1)/30.44`, to compare with
      the "five new people a month" of :data:`FIVE_A_MONTH`. Seed 003 reports up to 160
      new people over six workshops, around four times that pace.
    - Per event, a new tie counts at the event of its first "met" tie; the people counted
      are those who made at least one new tie there.
    - **Brokers** are the people of highest betweenness (see :func:`betweenness`): they
      sit on many of the shortest paths between others, the "structural holes" of Burt
      (1992), so they can carry ideas between parts of the system.
    - **Bridges** are people with ties to people of at least two sectors other than their
      own: the loose, far-reaching ties of Granovetter (1973), counted by sector.
    - A listed sector is **missing** with no people, **thin** with fewer than
      :data:`THIN_PEOPLE` (5, the gate's figures threshold: too few to show as a group of
      their own) or under :data:`THIN_SHARE` (2%) of the people (at five new people a
      month, fewer than one meeting with the sector in ten months by chance), and
      **present** otherwise.
    - **Growth** is the number of connected pairs before ``start`` and on or before
      ``end``.

    Undefined shares (no people, no ties) are NaN.

    References
    ----------
    S. Wasserman and K. Faust, *Social Network Analysis: Methods and Applications*
    (Cambridge University Press, 1994).
    M. S. Granovetter, "The strength of weak ties", American Journal of Sociology 78
    (1973) 1360-1380.
    R. S. Burt, *Structural Holes: The Social Structure of Competition* (Harvard
    University Press, 1992).

    Validated against hand-worked small networks and against networkx 3.6 (density,
    components, isolates, betweenness) on random networks
    (tests/analysis/test_network_analysis.py).

    Examples
    --------
    >>> import datetime as dt
    >>> people = [Person(1, "trust", "acute"), Person(2, "council", "local_authority"),
    ...           Person(3, "charity", "vcfse"), Person(4, "trust", "acute")]
    >>> ties = [Tie(1, 4, dt.date(2025, 1, 6), "knew"),
    ...         Tie(1, 2, dt.date(2025, 2, 3), "met", event=7),
    ...         Tie(1, 3, dt.date(2025, 2, 3), "met", event=7)]
    >>> report = network_report(people, ties, start=dt.date(2025, 2, 1),
    ...                         end=dt.date(2025, 2, 28), sectors=["acute", "housing"])
    >>> report.ties, report.new_ties, report.new_ties_per_person, report.growth
    (3, 2, 1.0, (1, 3))
    >>> report.per_event
    {7: EventTies(people=3, new_ties=2)}
    >>> report.brokers, report.bridges
    ([(1, 1.0)], [(1, 2)])
    >>> report.sector_presence["acute"], report.sector_presence["housing"]
    (SectorPresence(status='thin', people=2), SectorPresence(status='missing', people=0))
    """
    index = _check_people(people)
    table = _check_ties(ties, index)
    start_day = None if start is None else _check_day(start, "start").toordinal()
    end_day = None if end is None else _check_day(end, "end").toordinal()
    if start_day is not None and end_day is not None and start_day > end_day:
        raise ValueError(f"start must not be after end; got start={start}, end={end}")
    if not isinstance(exact, bool):
        raise ValueError(f"exact must be True or False; got {exact!r}")
    top_count = check_positive_int(top, "top", minimum=0)
    if isinstance(sectors, str):
        raise ValueError("sectors must be a sequence of sector names, not one string")
    wanted = list(dict.fromkeys(sectors))
    if not all(isinstance(s, str) for s in wanted):
        raise ValueError(f"sectors must be strings; got {wanted!r}")

    n = len(index)
    keys = np.fromiter(index, dtype=np.int64, count=n)
    organisation = _codes([p.organisation for p in people])
    sector_names = [p.sector for p in people]
    sector = _codes(sector_names)

    in_view = np.ones(table.a.size, dtype=bool) if end_day is None else table.day <= end_day
    lo_all = np.minimum(table.a, table.b)
    hi_all = np.maximum(table.a, table.b)
    code = lo_all * n + hi_all  # one number per pair
    pairs = np.unique(code[in_view])
    lo, hi = pairs // max(n, 1), pairs % max(n, 1)
    m = int(pairs.size)

    # Structure, as at the end.
    adjacency = _adjacency(n, lo, hi)
    degree = np.diff(adjacency.indptr)
    if n:
        components, labels = _csgraph.connected_components(adjacency, directed=False)
        largest = int(np.bincount(labels).max())
    else:
        components, largest = 0, 0
    density = 2.0 * m / (n * (n - 1)) if n > 1 else 0.0

    # New ties: each pair's first tie (earliest day; on a day, "met" before "worked",
    # then the lowest event), unless the pair ever had a "knew" tie.
    order = np.lexsort((table.event, table.kind, table.day, code))
    first = order[np.unique(code[order], return_index=True)[1]]
    knew = np.isin(code[first], code[table.kind == KINDS.index("knew")])
    is_new = ~knew & in_view[first]
    if start_day is not None:
        is_new &= table.day[first] >= start_day
    new = first[is_new]
    new_people = np.zeros(n, dtype=bool)
    new_people[table.a[new]] = True
    new_people[table.b[new]] = True
    new_count = int(new.size)
    per_person = 2.0 * new_count / n if n else math.nan

    days = table.day[in_view]
    window_start = start_day if start_day is not None else (
        int(days.min()) if days.size else None)
    window_end = end_day if end_day is not None else (int(days.max()) if days.size else None)
    months = math.nan
    if window_start is not None and window_end is not None and window_end >= window_start:
        months = (window_end - window_start + 1) / DAYS_PER_MONTH

    # Events: every event with a "met" tie in the window, with the new ties made there.
    met_in_window = in_view & (table.kind == KINDS.index("met")) & (table.event >= 0)
    if start_day is not None:
        met_in_window &= table.day >= start_day
    per_event: dict[int, EventTies] = {
        int(e): EventTies(0, 0) for e in np.unique(table.event[met_in_window])}
    at_event = new[table.event[new] >= 0]
    events, where = np.unique(table.event[at_event], return_inverse=True)
    made = np.bincount(where, minlength=events.size)
    event_people = np.unique(np.concatenate([where * n + table.a[at_event],
                                             where * n + table.b[at_event]]))
    makers = np.bincount(event_people // max(n, 1), minlength=events.size)
    for e, people_there, ties_there in zip(events.tolist(), makers.tolist(), made.tolist(),
                                           strict=True):
        per_event[e] = EventTies(people_there, ties_there)

    # Brokers.
    brokers: list[tuple[int, float]] = []
    if top_count and m:
        scores = (_exact_betweenness(n, lo, hi) if exact
                  else _sampled_betweenness(n, lo, hi, DEFAULT_PIVOTS, 0))
        ranked = np.lexsort((keys, -scores))
        ranked = ranked[scores[ranked] > 0][:top_count]
        brokers = [(int(keys[i]), float(scores[i])) for i in ranked]

    # Bridges: distinct other sectors among each person's contacts.
    ends = np.concatenate([lo, hi])
    others = np.concatenate([hi, lo])
    crossing = sector[ends] != sector[others]
    n_sectors = int(sector.max()) + 1 if n else 1
    reached = np.unique(ends[crossing] * n_sectors + sector[others[crossing]])
    reach = np.bincount(reached // n_sectors, minlength=n)
    bridge_rows = np.flatnonzero(reach >= 2)
    bridge_rows = bridge_rows[np.lexsort((keys[bridge_rows], -reach[bridge_rows]))]
    bridges = [(int(keys[i]), int(reach[i])) for i in bridge_rows]

    # Sectors asked about.
    counts: dict[str, int] = {}
    for name in sector_names:
        counts[name] = counts.get(name, 0) + 1
    presence: dict[str, SectorPresence] = {}
    for name in wanted:
        size = counts.get(name, 0)
        status: Presence = "missing" if size == 0 else (
            "thin" if size < THIN_PEOPLE or size < THIN_SHARE * n else "present")
        presence[name] = SectorPresence(status, size)

    before = 0 if start_day is None else int(np.unique(code[table.day < start_day]).size)
    return NetworkReport(
        people=n,
        ties=m,
        density=density,
        components=int(components),
        largest_component=largest,
        isolates=int(np.count_nonzero(degree == 0)),
        cross_organisation_share=_share(int(np.count_nonzero(organisation[lo] !=
                                                             organisation[hi])), m),
        cross_sector_share=_share(int(np.count_nonzero(sector[lo] != sector[hi])), m),
        new_ties=new_count,
        new_ties_per_person=per_person,
        new_ties_per_person_per_month=per_person / months if n else math.nan,
        share_with_new_tie=_share(int(np.count_nonzero(new_people)), n),
        per_event=per_event,
        brokers=brokers,
        bridges=bridges,
        sector_presence=presence,
        growth=(before, m),
        months=months,
    )
