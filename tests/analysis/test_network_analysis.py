"""The relationship network's measures: hand-worked small networks, networkx on the same
graphs, invariants with hypothesis, and the input checks.

Expected values beside each assertion are worked by hand in the comments; the networkx
comparisons use networkx 3.6 (``nx.density``, ``nx.number_connected_components``,
``nx.number_of_isolates``, ``nx.betweenness_centrality(G, normalized=True)``) with the
tolerance stated.
"""

from __future__ import annotations

import datetime as dt
import doctest
import math
import random
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracelead.analysis import network
from tracelead.analysis.network import (
    DAYS_PER_MONTH,
    FIVE_A_MONTH,
    EventTies,
    NetworkReport,
    Person,
    SectorPresence,
    Tie,
    betweenness,
    network_report,
    sampled_betweenness,
)

TOLERANCE = 1e-9  # exact betweenness against networkx
SAMPLED_TOLERANCE = 1e-5  # sampled with every person a source: path counts in float32

D = dt.date


def test_its_examples_run():
    assert doctest.testmod(network).failed == 0


def test_it_imports_without_django():
    src = Path(__file__).resolve().parents[2] / "src"
    code = ("import sys; import tracelead.analysis.network; "
            "print(any(m == 'django' or m.startswith('django.') for m in sys.modules))")
    # a fixed command run with this interpreter, no outside input
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,  # noqa: S603
                         env={"PYTHONPATH": str(src)}, check=True)
    assert out.stdout.strip() == "False"


def test_five_a_month_is_the_seeds_rule_of_thumb():
    assert FIVE_A_MONTH == 5.0


# --- Betweenness on hand-worked graphs -----------------------------------------------------


def test_betweenness_of_a_path():
    scores = betweenness([(1, 2), (2, 3), (3, 4), (4, 5)])
    # n = 5; each person's share of the C(4, 2) = 6 pairs of the others:
    assert scores[1] == 0.0  # an end is on no one's path
    assert scores[2] == pytest.approx(3 / 6)  # {1,3}, {1,4}, {1,5}
    assert scores[3] == pytest.approx(4 / 6)  # {1,4}, {1,5}, {2,4}, {2,5}
    assert scores[4] == pytest.approx(3 / 6)  # mirror of 2
    assert scores[5] == 0.0


def test_betweenness_of_a_star():
    scores = betweenness([("hub", leaf) for leaf in "abcd"])
    assert scores["hub"] == 1.0  # on all C(4, 2) = 6 pairs of leaves
    assert all(scores[leaf] == 0.0 for leaf in "abcd")


def test_betweenness_of_two_cliques_joined_by_a_bridge():
    left, right = ["a1", "a2", "a3", "a4"], ["b1", "b2", "b3", "b4"]
    edges = [(u, v) for side in (left, right) for i, u in enumerate(side) for v in side[i + 1:]]
    scores = betweenness([*edges, ("a1", "b1")])
    # a1 is on every path from a2, a3, a4 to b1..b4: 3 x 4 = 12 of the C(7, 2) = 21 pairs
    # of the others; b1 likewise; everyone else's contacts all know each other.
    assert scores["a1"] == pytest.approx(12 / 21)
    assert scores["b1"] == pytest.approx(12 / 21)
    assert all(scores[p] == 0.0 for p in [*left[1:], *right[1:]])


def test_betweenness_shares_paths_of_equal_length():
    # A square 1-2-3-4-1: 1 and 3 are joined through 2 or through 4, so each has half.
    scores = betweenness([(1, 2), (2, 3), (3, 4), (4, 1)])
    # n = 4; person 2 has 1/2 of pair {1, 3} out of the C(3, 2) = 3 pairs of others.
    assert scores[2] == pytest.approx(0.5 / 3)


def test_betweenness_counts_isolates_in_the_normalisation():
    scores = betweenness([(1, 2), (2, 3)], nodes=[4, 5])
    # n = 5: 2 is on {1, 3} only, out of the C(4, 2) = 6 pairs of others.
    assert scores == {4: 0.0, 5: 0.0, 1: 0.0, 2: pytest.approx(1 / 6), 3: 0.0}


def test_betweenness_counts_a_repeated_tie_once():
    once = betweenness([(1, 2), (2, 3), (3, 1), (3, 4)])
    twice = betweenness([(1, 2), (2, 1), (2, 3), (3, 1), (1, 3), (3, 4), (4, 3)])
    assert once == twice


def test_betweenness_of_tiny_graphs_is_zero():
    assert betweenness([]) == {}
    assert betweenness([], nodes=["a"]) == {"a": 0.0}
    assert betweenness([("a", "b")]) == {"a": 0.0, "b": 0.0}


# --- Betweenness against networkx ----------------------------------------------------------


def random_graphs() -> list[nx.Graph[int]]:
    graphs: list[nx.Graph[int]] = [nx.path_graph(12), nx.star_graph(9), nx.barbell_graph(6, 0),
                                   nx.barbell_graph(5, 3), nx.karate_club_graph()]
    for seed in range(6):
        # Sparse enough to fall apart into several components, plus isolates.
        g = nx.gnm_random_graph(60, 55 + 15 * seed, seed=seed)
        g.add_nodes_from(range(60, 64))
        graphs.append(g)
    graphs.append(nx.powerlaw_cluster_graph(200, 3, 0.3, seed=7))
    return graphs


@pytest.mark.parametrize("graph", random_graphs(), ids=lambda g: f"n{g.number_of_nodes()}"
                         f"m{g.number_of_edges()}")
def test_betweenness_equals_networkx(graph: nx.Graph[int]):
    expected = nx.betweenness_centrality(graph, normalized=True)
    got = betweenness(graph.edges(), nodes=graph.nodes())
    assert got.keys() == expected.keys()
    assert max(abs(got[k] - expected[k]) for k in expected) < TOLERANCE


@pytest.mark.parametrize("engine", ["numpy", "rustworkx"])
@pytest.mark.parametrize("graph", [*random_graphs(), nx.grid_2d_graph(6, 7)],
                         ids=lambda g: f"n{g.number_of_nodes()}m{g.number_of_edges()}")
def test_both_engines_equal_networkx(graph: nx.Graph[int], engine: network.Engine):
    graph = nx.convert_node_labels_to_integers(graph)
    n = graph.number_of_nodes()
    expected = nx.betweenness_centrality(graph, normalized=True)
    pairs = np.array(list(graph.edges()), dtype=np.int64).reshape(-1, 2)
    lo, hi = network._distinct_pairs(n, pairs[:, 0], pairs[:, 1])
    got = network._exact_betweenness(n, lo, hi, engine)
    assert max(abs(got[k] - expected[k]) for k in expected) < TOLERANCE
    sampled = network._sampled_betweenness(n, lo, hi, n, 0, engine)
    assert max(abs(sampled[k] - expected[k]) for k in expected) < SAMPLED_TOLERANCE


@pytest.mark.parametrize("graph, numpy_quicker", [
    (nx.powerlaw_cluster_graph(3000, 5, 0.3, seed=1), True),  # everyone a few steps apart
    (nx.path_graph(3000), False),  # one long chain: a level per person
    (nx.grid_2d_graph(60, 60), False),  # 118 steps corner to corner
    (nx.disjoint_union(nx.powerlaw_cluster_graph(3000, 5, 0.3, seed=1), nx.path_graph(500)),
     False),  # a short world beside a long chain
], ids=["small world", "path", "grid", "small world and a chain"])
def test_it_picks_the_quicker_engine(graph: nx.Graph[int], numpy_quicker: bool):
    graph = nx.convert_node_labels_to_integers(graph)
    n = graph.number_of_nodes()
    pairs = np.array(list(graph.edges()), dtype=np.int64)
    lo, hi = network._distinct_pairs(n, pairs[:, 0], pairs[:, 1])
    assert network._numpy_is_quicker(network._adjacency(n, lo, hi), n) is numpy_quicker


@pytest.mark.parametrize("graph", random_graphs()[5:9], ids=lambda g: f"m{g.number_of_edges()}")
def test_betweenness_with_string_keys_equals_networkx(graph: nx.Graph[int]):
    named = nx.relabel_nodes(graph, {v: f"person {v}" for v in graph})
    expected = nx.betweenness_centrality(named, normalized=True)
    got = betweenness(named.edges(), nodes=named.nodes())
    assert max(abs(got[k] - expected[k]) for k in expected) < TOLERANCE


@pytest.mark.parametrize("graph", random_graphs(), ids=lambda g: f"n{g.number_of_nodes()}"
                         f"m{g.number_of_edges()}")
def test_sampled_betweenness_from_everyone_is_exact(graph: nx.Graph[int]):
    expected = nx.betweenness_centrality(graph, normalized=True)
    got = sampled_betweenness(graph.edges(), nodes=graph.nodes(), pivots=10_000)
    assert max(abs(got[k] - expected[k]) for k in expected) < SAMPLED_TOLERANCE


def test_sampled_betweenness_averages_to_the_exact_values():
    graph = nx.powerlaw_cluster_graph(40, 2, 0.3, seed=3)
    exact = nx.betweenness_centrality(graph)
    runs = 300
    mean = dict.fromkeys(graph, 0.0)
    for seed in range(runs):
        for key, value in sampled_betweenness(graph.edges(), pivots=4, seed=seed).items():
            mean[key] += value / runs
    # Unbiased: each person is a source in 4 of 40 draws on average, and the two linear
    # weights of every pair add up to one. 300 runs leave an error of about 0.01 at most.
    assert max(abs(mean[k] - exact[k]) for k in exact) < 0.03
    top_exact = sorted(exact, key=lambda k: -exact[k])[:3]
    top_mean = sorted(mean, key=lambda k: -mean[k])[:3]
    assert set(top_exact) == set(top_mean)


def test_sampled_betweenness_is_reproducible_and_depends_on_the_seed():
    graph = nx.powerlaw_cluster_graph(300, 3, 0.2, seed=1)
    first = sampled_betweenness(graph.edges(), pivots=20, seed=5)
    assert first == sampled_betweenness(graph.edges(), pivots=20, seed=5)
    assert first != sampled_betweenness(graph.edges(), pivots=20, seed=6)


def test_sampled_betweenness_survives_path_counts_too_large_for_float32():
    # A chain of 130 diamonds: the number of shortest paths from one end doubles at each,
    # to 2**130 > 3.4e38, float32's largest; the batch is redone in float64.
    edges = []
    for i in range(130):
        left, right = f"v{i}", f"v{i + 1}"
        edges += [(left, f"a{i}"), (f"a{i}", right), (left, f"b{i}"), (f"b{i}", right)]
    graph: nx.Graph[str] = nx.Graph(edges)
    expected = nx.betweenness_centrality(graph)
    got = sampled_betweenness(edges, pivots=10_000)  # a long chain: rustworkx's, exact
    assert max(abs(got[k] - expected[k]) for k in expected) < TOLERANCE
    keys, lo, hi = network._index_edges(edges, ())
    searched = network._sampled_betweenness(len(keys), lo, hi, len(keys), 0, "numpy")
    assert max(abs(searched[i] - expected[k]) for i, k in enumerate(keys)) < TOLERANCE


def test_sampled_betweenness_finds_the_brokers_of_a_large_network():
    graph = nx.powerlaw_cluster_graph(3000, 4, 0.3, seed=11)
    exact = betweenness(graph.edges())
    estimate = sampled_betweenness(graph.edges(), pivots=600, seed=0)
    top_exact = set(sorted(exact, key=lambda k: -exact[k])[:30])
    top_estimate = set(sorted(estimate, key=lambda k: -estimate[k])[:30])
    assert len(top_exact & top_estimate) >= 27


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_betweenness_does_not_depend_on_names_or_order(data: st.DataObject):
    n = data.draw(st.integers(3, 12))
    pairs = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
                               .filter(lambda p: p[0] != p[1]), max_size=30))
    relabel = data.draw(st.permutations(range(n)))
    scores = betweenness(pairs, nodes=range(n))
    shuffled = [(f"p{relabel[b]}", f"p{relabel[a]}") for a, b in reversed(pairs)]
    renamed = betweenness(shuffled, nodes=[f"p{relabel[v]}" for v in range(n)])
    for v in range(n):
        assert renamed[f"p{relabel[v]}"] == pytest.approx(scores[v], abs=TOLERANCE)
        assert 0.0 <= scores[v] <= 1.0 + TOLERANCE


# --- The report on a hand-worked network ---------------------------------------------------

# 1 and 2 work at Trust A (acute); 3 at the council; 4 at a charity and 5 at a food bank
# (both VCFSE); 6 at Trust A has no tie. The window is February and March 2025.
PEOPLE = [
    Person(1, "trust a", "acute"),
    Person(2, "trust a", "acute"),
    Person(3, "council", "local_authority"),
    Person(4, "charity", "vcfse"),
    Person(5, "food bank", "vcfse"),
    Person(6, "trust a", "acute"),
]
TIES = [
    Tie(1, 2, D(2025, 1, 6), "knew"),
    Tie(2, 3, D(2025, 1, 6), "knew"),
    Tie(1, 3, D(2025, 2, 3), "met", 10),
    Tie(1, 4, D(2025, 2, 3), "met", 10),
    Tie(3, 4, D(2025, 2, 3), "met", 10),
    Tie(2, 3, D(2025, 3, 3), "met", 11),  # knew each other: not new
    Tie(1, 3, D(2025, 3, 10), "worked"),  # already met: not new
    Tie(4, 5, D(2025, 3, 20), "worked"),  # new, at no event
    Tie(2, 5, D(2025, 5, 5), "met", 12),  # after the window
]
START, END = D(2025, 2, 1), D(2025, 3, 31)


@pytest.fixture(scope="module")
def report() -> NetworkReport:
    return network_report(PEOPLE, TIES, start=START, end=END,
                          sectors=["acute", "local_authority", "vcfse", "housing"])


def test_it_counts_the_network_as_at_the_end(report: NetworkReport):
    assert report.people == 6
    assert report.ties == 6  # pairs 1-2, 2-3, 1-3, 1-4, 3-4, 4-5 (2-5 comes after the end)
    assert report.density == pytest.approx(0.4)  # 2 x 6 / (6 x 5)
    assert report.components == 2  # {1, 2, 3, 4, 5} and {6}
    assert report.largest_component == 5
    assert report.isolates == 1  # 6


def test_it_measures_ties_across_boundaries(report: NetworkReport):
    # All pairs but 1-2 (both Trust A) cross organisations: 5 of 6.
    assert report.cross_organisation_share == pytest.approx(5 / 6)
    # 1-2 (acute) and 4-5 (VCFSE) stay within a sector: 4 of 6 cross.
    assert report.cross_sector_share == pytest.approx(4 / 6)


def test_it_counts_new_ties_against_five_a_month(report: NetworkReport):
    assert report.new_ties == 4  # 1-3, 1-4, 3-4 at event 10; 4-5 worked together
    assert report.new_ties_per_person == pytest.approx(8 / 6)  # 2 x 4 new people / 6
    assert report.months == pytest.approx(59 / DAYS_PER_MONTH)  # 28 + 31 days, 1.94 months
    assert report.new_ties_per_person_per_month == pytest.approx((8 / 6) / (59 / 30.436875))
    assert report.new_ties_per_person_per_month < FIVE_A_MONTH  # 0.69 a month
    assert report.share_with_new_tie == pytest.approx(4 / 6)  # 1, 3, 4, 5


def test_it_counts_new_ties_per_event(report: NetworkReport):
    assert report.per_event == {
        10: EventTies(people=3, new_ties=3),  # 1, 3 and 4 met each other
        11: EventTies(people=0, new_ties=0),  # 2 and 3 knew each other already
    }  # event 12 is after the window


def test_it_measures_growth_from_start_to_end(report: NetworkReport):
    assert report.growth == (2, 6)  # 1-2 and 2-3 before February; six pairs by April


def test_it_lists_brokers_by_betweenness(report: NetworkReport):
    # With n = 6 the normaliser is 2 / (5 x 4) = 0.1. 4 is on 1-5, 2-5 and 3-5 (3 pairs);
    # 2-4 and 2-5 each go half through 1 and half through 3 (1 pair each).
    assert report.brokers == [(4, pytest.approx(0.3)), (1, pytest.approx(0.1)),
                              (3, pytest.approx(0.1))]


def test_it_agrees_with_networkx_on_the_same_graph(report: NetworkReport):
    graph: nx.Graph[int] = nx.Graph()
    graph.add_nodes_from(p.key for p in PEOPLE)
    graph.add_edges_from((t.a, t.b) for t in TIES if t.on <= END)
    assert report.density == pytest.approx(nx.density(graph), abs=1e-12)
    assert report.components == nx.number_connected_components(graph)
    assert report.isolates == nx.number_of_isolates(graph)
    expected = nx.betweenness_centrality(graph)
    for key, score in report.brokers:
        assert score == pytest.approx(expected[key], abs=TOLERANCE)


def test_it_lists_people_who_bridge_sectors(report: NetworkReport):
    # 1 (acute) reaches LA and VCFSE; 3 (LA) reaches acute and VCFSE; 4 (VCFSE) reaches
    # acute and LA; 2 reaches only LA, 5 nobody outside VCFSE.
    assert report.bridges == [(1, 2), (3, 2), (4, 2)]


def test_it_says_which_sectors_are_present_thin_or_missing(report: NetworkReport):
    assert report.sector_presence == {
        "acute": SectorPresence("thin", 3),  # fewer than 5 people
        "local_authority": SectorPresence("thin", 1),
        "vcfse": SectorPresence("thin", 2),
        "housing": SectorPresence("missing", 0),
    }


def test_thin_means_fewer_than_five_people_or_under_two_percent():
    people = ([Person(i, f"org {i}", "acute") for i in range(979)]
              + [Person(1000 + i, "council", "local_authority") for i in range(20)]
              + [Person(2000, "school", "education")])
    presence = network_report(people, [], sectors=["local_authority", "education"],
                              top=0).sector_presence
    assert presence["local_authority"] == ("present", 20)  # 20 of 1,000 is 2%: not under
    assert presence["education"] == ("thin", 1)
    fewer = people[:100] + people[979:990]  # 11 of 111 council people: 10%, present
    assert network_report(fewer, [], sectors=["local_authority"]).sector_presence[
        "local_authority"] == ("present", 11)
    small = people[:100] + people[979:983]  # 4 people: thin however large their share
    assert network_report(small, [], sectors=["local_authority"]).sector_presence[
        "local_authority"] == ("thin", 4)
    share = people[:979] + people[979:989]  # 10 of 989 is 1.01%: thin
    assert network_report(share, [], sectors=["local_authority"]).sector_presence[
        "local_authority"] == ("thin", 10)


def test_without_a_window_every_tie_counts():
    report = network_report(PEOPLE, TIES)
    assert report.ties == 7  # the six pairs and 2-5
    assert report.growth == (0, 7)
    # New: 1-3, 1-4, 3-4, 4-5, 2-5 (2-5 met at event 12, 5 May).
    assert report.new_ties == 5
    # From the first tie (6 January) to the last (5 May): 120 days.
    assert report.months == pytest.approx(120 / DAYS_PER_MONTH)
    assert report.per_event == {10: (3, 3), 11: (0, 0), 12: (2, 1)}


def test_a_window_with_no_new_ties():
    report = network_report(PEOPLE, TIES, start=D(2025, 4, 1), end=D(2025, 4, 30))
    assert report.new_ties == 0
    assert report.new_ties_per_person_per_month == 0.0
    assert report.share_with_new_tie == 0.0
    assert report.per_event == {}
    assert report.growth == (6, 6)


def test_an_empty_network_has_undefined_shares():
    report = network_report([], [])
    assert (report.people, report.ties, report.components, report.isolates) == (0, 0, 0, 0)
    assert report.density == 0.0
    assert math.isnan(report.cross_organisation_share)
    assert math.isnan(report.share_with_new_tie)
    assert math.isnan(report.months)
    assert report.brokers == [] and report.bridges == []


def test_top_zero_lists_no_brokers_and_sampled_matches_exact_on_small_networks():
    assert network_report(PEOPLE, TIES, top=0).brokers == []
    exact = network_report(PEOPLE, TIES, end=END, top=2).brokers
    sampled = network_report(PEOPLE, TIES, end=END, top=2, exact=False).brokers
    assert exact == [(4, pytest.approx(0.3)), (1, pytest.approx(0.1))]  # 1 before 3 by key
    assert [k for k, _ in sampled] == [4, 1]
    assert [s for _, s in sampled] == pytest.approx([s for _, s in exact], abs=1e-6)


def random_network(seed: int, n: int, m: int) -> tuple[list[Person], list[Tie]]:
    rng = random.Random(seed)
    people = [Person(10 * i + 7, f"org {rng.randrange(n // 4 + 1)}",
                     rng.choice(["acute", "community", "vcfse", "housing"]))
              for i in range(n)]
    ties = []
    for _ in range(m):
        a, b = rng.sample(people, 2)
        kind = rng.choice(["knew", "met", "worked"])
        ties.append(Tie(a.key, b.key, D(2025, 1, 1) + dt.timedelta(days=rng.randrange(200)),
                        kind, rng.randrange(5) if kind == "met" else None))
    return people, ties


@pytest.mark.parametrize("seed", range(4))
def test_the_report_agrees_with_networkx_on_random_networks(seed: int):
    people, ties = random_network(seed, 120, 150)
    end = D(2025, 6, 1)
    report = network_report(people, ties, end=end, top=1000)
    graph: nx.Graph[int] = nx.Graph()
    graph.add_nodes_from(p.key for p in people)
    graph.add_edges_from((t.a, t.b) for t in ties if t.on <= end)
    assert report.ties == graph.number_of_edges()
    assert report.density == pytest.approx(nx.density(graph), abs=1e-12)
    assert report.components == nx.number_connected_components(graph)
    assert report.largest_component == max(len(c) for c in nx.connected_components(graph))
    assert report.isolates == nx.number_of_isolates(graph)
    expected = nx.betweenness_centrality(graph)
    positive = {k: v for k, v in expected.items() if v > 0}
    assert {k for k, _ in report.brokers} == set(positive)
    for key, score in report.brokers:
        assert score == pytest.approx(positive[key], abs=TOLERANCE)
    ranked = [s for _, s in report.brokers]
    assert ranked == sorted(ranked, reverse=True)


# --- Invariants ----------------------------------------------------------------------------


@st.composite
def networks(draw: st.DrawFn) -> tuple[list[Person], list[Tie]]:
    n = draw(st.integers(0, 10))
    people = [Person(k, draw(st.sampled_from(["a", "b", "c"])),
                     draw(st.sampled_from(["acute", "vcfse", "housing"])))
              for k in range(n)]
    ties = []
    if n >= 2:
        for _ in range(draw(st.integers(0, 25))):
            a, b = draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True))
            kind = draw(st.sampled_from(["knew", "met", "worked"]))
            on = D(2025, 1, 1) + dt.timedelta(days=draw(st.integers(0, 90)))
            event = draw(st.integers(0, 3)) if kind == "met" else None
            ties.append(Tie(a, b, on, kind, event))
    return people, ties


@settings(max_examples=80, deadline=None)
@given(networks(), st.integers(0, 90), st.integers(0, 90))
def test_shares_and_counts_stay_in_bounds(network_: tuple[list[Person], list[Tie]],
                                          first: int, second: int):
    people, ties = network_
    start = D(2025, 1, 1) + dt.timedelta(days=min(first, second))
    end = D(2025, 1, 1) + dt.timedelta(days=max(first, second))
    report = network_report(people, ties, start=start, end=end, top=5,
                            sectors=["acute", "vcfse", "housing", "education"])
    for share in (report.cross_organisation_share, report.cross_sector_share,
                  report.share_with_new_tie, report.density):
        assert math.isnan(share) or 0.0 <= share <= 1.0
    assert 0 <= report.new_ties <= report.ties
    assert report.growth[0] <= report.growth[1] == report.ties
    assert report.growth[1] - report.growth[0] >= report.new_ties
    assert report.isolates <= report.components <= report.people
    assert sum(e.new_ties for e in report.per_event.values()) <= report.new_ties
    assert all(0 <= e.people <= 2 * e.new_ties for e in report.per_event.values())
    assert len(report.brokers) <= 5
    assert all(0 < s <= 1 for _, s in report.brokers)
    assert sum(p.people for p in report.sector_presence.values()) <= report.people
    assert report.sector_presence["education"] == ("missing", 0)


@settings(max_examples=40, deadline=None)
@given(networks(), st.randoms(use_true_random=False))
def test_the_report_does_not_depend_on_the_order_of_ties(
        network_: tuple[list[Person], list[Tie]], rng: random.Random):
    people, ties = network_
    shuffled = list(ties)
    rng.shuffle(shuffled)
    first = network_report(people, ties, start=D(2025, 2, 1))
    second = network_report(people, shuffled, start=D(2025, 2, 1))
    assert first.per_event == second.per_event
    assert (first.new_ties, first.growth, first.bridges) == (
        second.new_ties, second.growth, second.bridges)
    assert [k for k, _ in first.brokers] == [k for k, _ in second.brokers]


# --- Input checks --------------------------------------------------------------------------


@pytest.mark.parametrize("edges, message", [
    ([(1, 1)], "self-loop"),
    ([(1, 2, 3)], "pair"),
    ([5], "pair"),
    ([([1], 2)], "hashable"),
])
def test_betweenness_refuses_bad_edges(edges: list[object], message: str):
    with pytest.raises(ValueError, match=message):
        betweenness(edges)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message):
        sampled_betweenness(edges, pivots=2)  # type: ignore[arg-type]


@pytest.mark.parametrize("pivots", [0, -3, 2.5, True, "10"])
def test_sampled_betweenness_refuses_bad_pivots(pivots: object):
    with pytest.raises(ValueError, match="pivots"):
        sampled_betweenness([(1, 2)], pivots=pivots)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [-1, 1.5, None])
def test_sampled_betweenness_refuses_bad_seeds(seed: object):
    with pytest.raises(ValueError, match="seed"):
        sampled_betweenness([(1, 2)], pivots=1, seed=seed)  # type: ignore[arg-type]


@pytest.mark.parametrize("ties, message", [
    ([Tie(1, 1, D(2025, 1, 1), "knew")], "two different people"),
    ([Tie(1, 9, D(2025, 1, 1), "knew")], "9 is not one of them"),
    ([Tie(9, 1, D(2025, 1, 1), "knew")], "9 is not one of them"),
    ([Tie(1, 2, D(2025, 1, 1), "friends")], "'knew', 'met', 'worked'"),
    ([Tie(1, 2, dt.datetime(2025, 1, 1, 9, 0), "knew")], "datetime.date"),
    ([Tie(1, 2, "2025-01-01", "knew")], "datetime.date"),  # type: ignore[arg-type]
    ([Tie(1, 2, D(2025, 1, 1), "knew", event=4)], "only a 'met' tie"),
    ([Tie(1, 2, D(2025, 1, 1), "met", event=-1)], "event id"),
    ([(1, 2)], "Tie objects"),
])
def test_the_report_refuses_bad_ties(ties: list[Tie], message: str):
    people = [Person(1, "a", "acute"), Person(2, "b", "vcfse")]
    with pytest.raises(ValueError, match=message):
        network_report(people, ties)


@pytest.mark.parametrize("kwargs, message", [
    ({"start": D(2025, 3, 1), "end": D(2025, 2, 1)}, "start must not be after end"),
    ({"start": "2025-01-01"}, "start must be a date"),
    ({"end": dt.datetime(2025, 1, 1)}, "end must be a date"),
    ({"top": -1}, "top"),
    ({"exact": "yes"}, "exact"),
    ({"sectors": "acute"}, "not one string"),
    ({"sectors": [3]}, "sectors must be strings"),
])
def test_the_report_refuses_bad_options(kwargs: dict[str, object], message: str):
    with pytest.raises(ValueError, match=message):
        network_report([Person(1, "a", "acute")], [], **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("people, message", [
    ([Person(1, "a", "acute"), Person(1, "b", "vcfse")], "given twice"),
    ([Person("1", "a", "acute")], "integer"),  # type: ignore[arg-type]
    ([Person(1, None, "acute")], "strings"),  # type: ignore[arg-type]
    ([(1, "a", "acute")], "Person objects"),
])
def test_the_report_refuses_bad_people(people: list[Person], message: str):
    with pytest.raises(ValueError, match=message):
        network_report(people, [])
