"""The exchange: pairing members for shadowing visits across boundaries.

Two members may be paired when they work in different organisations, differ in sector or
in staff group, and were never paired before in the academy. Among all the ways to pair
the people taking part, :func:`pair_members` chooses one that pairs as many people as
possible and, among those, meets as many stated wishes ("I would most like to see the
inside of a council") as possible. It is plain data in, plain data out: no Django.
"""

from __future__ import annotations

import numbers
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import networkx as nx

__all__ = [
    "UNPAIRED_REASONS",
    "Candidate",
    "Pair",
    "Pairing",
    "Unpaired",
    "UnpairedReason",
    "can_pair",
    "crosses_boundary",
    "organisation_key",
    "pair_members",
    "wish_met",
]

UnpairedReason = Literal[
    "alone", "same_organisation", "same_sector_and_group", "paired_before", "partners_taken"
]

# Why someone was left without a partner, in the order they are tested: the first that
# holds is the reason given.
UNPAIRED_REASONS: Mapping[str, str] = {
    "alone": "nobody else is taking part in this round",
    "same_organisation": "everyone else taking part works in the same organisation",
    "same_sector_and_group": (
        "everyone else from another organisation works in the same sector and has the "
        "same staff group (or gave none)"
    ),
    "paired_before": (
        "nobody is left from another organisation whom they have not been paired with before"
    ),
    "partners_taken": (
        "everyone they could be paired with is already in a pair this round, and pairing "
        "them instead would leave someone else out"
    ),
}


@dataclass(frozen=True)
class Candidate:
    """One member taking part in a round.

    ``organisation`` is a key that is equal for two members exactly when they work in the
    same organisation (see :func:`organisation_key`). ``staff_group`` is ``""`` when the
    member did not say; ``wishes`` are the sectors they would most like to see (empty:
    any).
    """

    id: int
    organisation: str
    sector: str
    staff_group: str = ""
    wishes: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Pair:
    """Two members paired (``first`` has the lower id) and whether each one's wish is met:
    None for a member who stated no wish."""

    first: int
    second: int
    first_wish_met: bool | None
    second_wish_met: bool | None

    @property
    def wishes_met(self) -> int:
        return int(bool(self.first_wish_met)) + int(bool(self.second_wish_met))


@dataclass(frozen=True)
class Unpaired:
    """A member left without a partner, with the reason (a key of ``UNPAIRED_REASONS``)."""

    id: int
    reason: UnpairedReason

    @property
    def explanation(self) -> str:
        return UNPAIRED_REASONS[self.reason]


@dataclass(frozen=True)
class Pairing:
    """The result of :func:`pair_members`: pairs sorted by ``first``, the unpaired by id."""

    pairs: tuple[Pair, ...]
    unpaired: tuple[Unpaired, ...]
    seed: int

    @property
    def wishes_met(self) -> int:
        return sum(pair.wishes_met for pair in self.pairs)

    @property
    def people_paired(self) -> int:
        return 2 * len(self.pairs)


def organisation_key(organisation_id: int | None, organisation_name: str) -> str:
    """A key equal for two members of the same organisation: the listed organisation's id,
    or else the name they typed, compared without case or surrounding spaces.

    >>> organisation_key(None, " Vale Carers ") == organisation_key(None, "vale carers")
    True
    >>> organisation_key(7, "ignored")
    'id:7'
    """
    if organisation_id is not None:
        return f"id:{organisation_id}"
    return "name:" + " ".join(organisation_name.split()).casefold()


def crosses_boundary(a: Candidate, b: Candidate) -> bool:
    """Whether two members are of different organisations, and of a different sector or a
    different staff group. A staff group counts as different only when both members gave
    one: not knowing is not crossing a boundary."""
    if a.organisation == b.organisation:
        return False
    if a.sector != b.sector:
        return True
    return bool(a.staff_group) and bool(b.staff_group) and a.staff_group != b.staff_group


def can_pair(a: Candidate, b: Candidate, past: frozenset[frozenset[int]]) -> bool:
    """Whether ``a`` and ``b`` may be paired: they cross a boundary and were never paired."""
    return a.id != b.id and crosses_boundary(a, b) and frozenset((a.id, b.id)) not in past


def wish_met(member: Candidate, partner: Candidate) -> bool | None:
    """Whether the partner works in a sector the member wished to see (None: no wish)."""
    if not member.wishes:
        return None
    return partner.sector in member.wishes


def _check(candidates: Iterable[Candidate], past_pairs: Iterable[tuple[int, int]],
           seed: object) -> tuple[list[Candidate], frozenset[frozenset[int]], int]:
    people = list(candidates)
    for person in people:
        if not isinstance(person, Candidate):
            raise ValueError(f"candidates must be Candidate objects; got {person!r}")
    ids = [p.id for p in people]
    if len(set(ids)) != len(ids):
        raise ValueError("candidates must have distinct ids")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(f"seed must be an integer; got {seed!r}")
    past: set[frozenset[int]] = set()
    for entry in past_pairs:
        pair = frozenset(entry)
        if len(entry) != 2 or len(pair) != 2:
            raise ValueError(f"past_pairs must hold pairs of two different ids; got {entry!r}")
        past.add(pair)
    return sorted(people, key=lambda p: p.id), frozenset(past), int(seed)


def _reason(person: Candidate, people: list[Candidate],
            past: frozenset[frozenset[int]]) -> UnpairedReason:
    others = [p for p in people if p.id != person.id]
    if not others:
        return "alone"
    elsewhere = [p for p in others if p.organisation != person.organisation]
    if not elsewhere:
        return "same_organisation"
    across = [p for p in elsewhere if crosses_boundary(person, p)]
    if not across:
        return "same_sector_and_group"
    if all(frozenset((person.id, p.id)) in past for p in across):
        return "paired_before"
    return "partners_taken"


def pair_members(
    candidates: Iterable[Candidate],
    *,
    past_pairs: Iterable[tuple[int, int]] = (),
    seed: int = 0,
) -> Pairing:
    """Pair members across boundaries: as many people as possible, then as many wishes met.

    Parameters
    ----------
    candidates : iterable of Candidate
        The members taking part (opted in, not left), with distinct ids.
    past_pairs : iterable of (int, int)
        Every pair made before in the academy, in any round and either order; none of them
        is made again.
    seed : int, keyword-only
        Chooses among equally good pairings; the same seed and data give the same pairing.

    Returns
    -------
    Pairing
        The pairs (each with whether each member's wish is met) and the people left
        unpaired, each with a reason (see ``UNPAIRED_REASONS``).

    Notes
    -----
    The people are the nodes of a graph; an edge joins two people who may be paired
    (:func:`can_pair`). Its weight is

        w(a, b) = 1 + [a wished for b's sector] + [b wished for a's sector],

    an integer of 1, 2 or 3 (a member who stated no wish adds nothing). A matching is a set
    of edges with no person in two of them. ``networkx.max_weight_matching`` with
    ``maxcardinality=True`` (Edmonds' blossom algorithm, after Galil 1986; exact for
    integer weights, O(n³)) returns, among the matchings with the most edges, one of the
    greatest total weight. All those matchings have the same number of edges, so the
    constant 1 adds the same to each and the total ranks them by wishes met: the result
    pairs the most people possible and, subject to that, meets the most wishes possible.

    The seed shuffles the order in which people and edges enter the graph; the algorithm
    is deterministic for a given order, and the order decides only between equally good
    matchings. The result does not depend on the order of ``candidates``.

    References
    ----------
    J. Edmonds, "Paths, trees, and flowers", Canadian Journal of Mathematics 17 (1965).
    Z. Galil, "Efficient algorithms for finding maximum matching in graphs", ACM Computing
    Surveys 18 (1986).

    Validated against a brute-force search over every matching of small random inputs
    (tests/analysis/test_exchange.py): same number of pairs, same wishes met.

    Examples
    --------
    >>> ann = Candidate(1, "id:1", "acute", "nursing", frozenset({"local_authority"}))
    >>> bo = Candidate(2, "id:2", "local_authority", "social_work")
    >>> cy = Candidate(3, "id:1", "acute", "medical")
    >>> result = pair_members([ann, bo, cy])
    >>> [(p.first, p.second, p.first_wish_met) for p in result.pairs]
    [(1, 2, True)]
    >>> [(u.id, u.reason) for u in result.unpaired]
    [(3, 'partners_taken')]
    """
    people, past, seed_value = _check(candidates, past_pairs, seed)
    order = list(people)
    random.Random(seed_value).shuffle(order)  # noqa: S311 - a tie-break, not a secret
    graph: nx.Graph[int] = nx.Graph()
    graph.add_nodes_from(p.id for p in order)
    for i, a in enumerate(order):
        for b in order[i + 1:]:
            if can_pair(a, b, past):
                weight = 1 + int(bool(wish_met(a, b))) + int(bool(wish_met(b, a)))
                graph.add_edge(a.id, b.id, weight=weight)
    matching = nx.max_weight_matching(graph, maxcardinality=True, weight="weight")
    by_id = {p.id: p for p in people}
    pairs = []
    for u, v in matching:
        first, second = by_id[min(u, v)], by_id[max(u, v)]
        pairs.append(Pair(first.id, second.id, wish_met(first, second),
                          wish_met(second, first)))
    pairs.sort(key=lambda p: p.first)
    paired = {p.first for p in pairs} | {p.second for p in pairs}
    unpaired = tuple(Unpaired(p.id, _reason(p, people, past))
                     for p in people if p.id not in paired)
    return Pairing(pairs=tuple(pairs), unpaired=unpaired, seed=seed_value)
