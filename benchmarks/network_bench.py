"""Time the relationship network's measures at programme and system scale; print JSON.

    python benchmarks/network_bench.py                  # 5,000 people / 50,000 ties and
                                                        # 20,000 / 200,000 (several minutes)
    python benchmarks/network_bench.py --quick          # small sizes, under a minute
    python benchmarks/network_bench.py --skip-networkx  # networkx takes about 90 s at 5,000
    python benchmarks/network_bench.py --small 5000 50000 --large 20000 200000 --seed 1

What it measures (goals from issue 15, on a 2-core machine):

- the programme network (``--small``): ``network_report`` with exact betweenness,
  goal 6 s; and exact betweenness alone in networkx, rustworkx and igraph on the same
  graph (imports and graph building outside the timers; igraph is GPL and only ever
  imported here, as a development comparison), and tracelead's ``betweenness``, which
  picks the NumPy search or rustworkx;
- the system network (``--large``): ``network_report`` with every measure but brokers
  (``top=0``), goal 10 s; brokers from sampled betweenness (``exact=False``), goal 20 s,
  whose top 100 must share at least 90 people with the exact top 100; the exact
  betweenness is computed once for that, and its time reported.

The synthetic network is seeded. People belong to organisations of log-normal sizes, each
of one sector (weighted towards acute, primary care, community and local authority; a few
sectors thin, sport and leisure missing), and to programme cohorts of about 60 that cut
across organisations. Ties are 35% "knew" within an organisation (dated at joining),
45% "met" within a cohort (at one of its six monthly events) and 20% across the whole
system (met at a system event, or worked together), each end chosen in proportion to a
Pareto "sociability" (shape 1.8), which gives heavy-tailed degrees; 3% of the cohort ties
are also recorded as "worked" later. The report's window is the second year.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

try:
    from tracelead.analysis import network
except ModuleNotFoundError:  # running from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from tracelead.analysis import network

Person, Tie = network.Person, network.Tie

SECTORS = ("acute", "community", "mental_health", "primary_care", "local_authority",
           "social_care", "vcfse", "housing", "public_health", "patients_public",
           "business", "sport_leisure", "education", "other")
SECTOR_WEIGHTS = np.array([22, 12, 10, 15, 12, 10, 8, 3, 3, 2, 1, 0, 1, 1], dtype=float)
FIRST_DAY = dt.date(2024, 1, 1)
WINDOW = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
EVENTS_PER_COHORT = 6
SYSTEM_EVENTS = 24


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _pairs_within(rng: np.random.Generator, group: np.ndarray, sociability: np.ndarray,
                  count: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` pairs inside groups: a group in proportion to its size, then both people
    in proportion to their sociability (inverse transform on cumulative sums)."""
    order = np.argsort(group, kind="stable")
    cumulative = np.cumsum(sociability[order])
    labels = np.arange(int(group.max()) + 1)
    low = np.searchsorted(group[order], labels, side="left")
    high = np.searchsorted(group[order], labels, side="right")
    base = np.where(low > 0, cumulative[np.maximum(low - 1, 0)], 0.0)
    total = np.where(high > low, cumulative[np.maximum(high - 1, 0)] - base, 0.0)
    weight = (high - low) * (high - low >= 2)
    chosen = rng.choice(labels.size, size=count, p=weight / weight.sum())

    def pick() -> np.ndarray:
        target = base[chosen] + rng.random(count) * total[chosen]
        at = np.searchsorted(cumulative, target, side="right")
        return order[np.minimum(at, cumulative.size - 1)]

    return pick(), pick()


def make_network(people: int, ties: int, seed: int) -> tuple[list[Any], list[Any]]:
    """A seeded synthetic network of ``people`` and ``ties`` distinct pairs (plus 3% of
    the cohort pairs again as "worked")."""
    rng = np.random.default_rng(seed)
    organisations = max(2, people // 25)
    size = rng.lognormal(0.0, 1.0, organisations)
    organisation = rng.choice(organisations, size=people, p=size / size.sum())
    sector_of = rng.choice(len(SECTORS), size=organisations,
                           p=SECTOR_WEIGHTS / SECTOR_WEIGHTS.sum())
    cohorts = max(1, people // 60)
    cohort = rng.integers(0, cohorts, size=people)
    sociability = rng.pareto(1.8, size=people) + 1.0
    joined = rng.integers(0, 365, size=people)  # day of joining in the first year
    cohort_start = rng.integers(0, 365 + 180, size=cohorts)

    pairs = np.zeros((0, 2), dtype=np.int64)
    kinds = np.zeros(0, dtype=np.int64)
    while len(pairs) < ties:
        need = int((ties - len(pairs)) * 1.3) + 10
        within_org, within_cohort = int(need * 0.35), int(need * 0.45)
        across = need - within_org - within_cohort
        oa, ob = _pairs_within(rng, organisation, sociability, within_org)
        ca, cb = _pairs_within(rng, cohort, sociability, within_cohort)
        p = sociability / sociability.sum()
        ra, rb = rng.choice(people, across, p=p), rng.choice(people, across, p=p)
        a, b = np.concatenate([oa, ca, ra]), np.concatenate([ob, cb, rb])
        kind = np.repeat([0, 1, 2], [within_org, within_cohort, across])
        keep = a != b
        fresh = np.column_stack([np.minimum(a, b)[keep], np.maximum(a, b)[keep]])
        pairs = np.concatenate([pairs, fresh])
        kinds = np.concatenate([kinds, kind[keep]])
        _, first = np.unique(pairs[:, 0] * people + pairs[:, 1], return_index=True)
        first.sort()
        pairs, kinds = pairs[first], kinds[first]
    pick = np.sort(rng.choice(len(pairs), ties, replace=False))
    pairs, kinds = pairs[pick], kinds[pick]

    person_list = [Person(int(i), f"org {organisation[i]}", SECTORS[sector_of[organisation[i]]])
                   for i in range(people)]
    tie_list = []
    for (a, b), kind in zip(pairs.tolist(), kinds.tolist(), strict=True):
        if kind == 0:
            day = max(joined[a], joined[b])
            tie_list.append(Tie(a, b, FIRST_DAY + dt.timedelta(days=int(day)), "knew"))
            continue
        if kind == 1:
            c = cohort[a] if rng.random() < 0.5 else cohort[b]
            k = int(rng.integers(EVENTS_PER_COHORT))
            day = int(cohort_start[c]) + 30 * k
            event = int(c) * EVENTS_PER_COHORT + k
            tie_list.append(Tie(a, b, FIRST_DAY + dt.timedelta(days=day), "met", event))
            if rng.random() < 0.03:
                later = day + int(rng.integers(30, 180))
                tie_list.append(Tie(a, b, FIRST_DAY + dt.timedelta(days=later), "worked"))
            continue
        if rng.random() < 0.5:
            k = int(rng.integers(SYSTEM_EVENTS))
            event = cohorts * EVENTS_PER_COHORT + k
            tie_list.append(Tie(a, b, FIRST_DAY + dt.timedelta(days=30 * k), "met", event))
        else:
            day = int(rng.integers(180, 720))
            tie_list.append(Tie(a, b, FIRST_DAY + dt.timedelta(days=day), "worked"))
    return person_list, tie_list


def timed(function: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Median wall time over ``repeat`` runs, and the last result."""
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def edges_at_end(ties: list[Any], end: dt.date) -> list[tuple[int, int]]:
    return sorted({(min(t.a, t.b), max(t.a, t.b)) for t in ties if t.on <= end})


def top_keys(scores: dict[Any, float], k: int) -> list[Any]:
    return sorted(scores, key=lambda key: (-scores[key], key))[:k]


def summary(report: Any) -> dict[str, Any]:
    return {
        "people": report.people, "ties": report.ties, "density": round(report.density, 6),
        "components": report.components, "largest_component": report.largest_component,
        "isolates": report.isolates,
        "cross_organisation_share": round(report.cross_organisation_share, 4),
        "cross_sector_share": round(report.cross_sector_share, 4),
        "new_ties": report.new_ties,
        "new_ties_per_person_per_month": round(report.new_ties_per_person_per_month, 3),
        "share_with_new_tie": round(report.share_with_new_tie, 4),
        "events": len(report.per_event), "bridges": len(report.bridges),
        "sector_presence": {s: p.status for s, p in report.sector_presence.items()},
        "growth": list(report.growth),
    }


def compare_libraries(people: list[Any], ties: list[Any], *, networkx: bool
                      ) -> dict[str, Any]:
    """Exact betweenness of the same graph in each library, imports and building untimed."""
    import igraph  # GPL: a development-only comparison, never imported by tracelead
    import networkx as nx
    import rustworkx as rx

    n = len(people)
    edges = edges_at_end(ties, WINDOW[1])
    results: dict[str, Any] = {"people": n, "ties": len(edges)}
    scale = 2.0 / ((n - 1) * (n - 2))  # igraph counts each unordered pair once

    rx_graph: Any = rx.PyGraph(multigraph=False)
    rx_graph.add_nodes_from(range(n))
    rx_graph.add_edges_from_no_data(edges)
    say(f"rustworkx exact betweenness, {n} people ...")
    seconds, rx_scores = timed(lambda: rx.betweenness_centrality(
        rx_graph, normalized=True, parallel_threshold=50))
    reference = np.array([rx_scores[i] for i in range(n)])
    results["rustworkx"] = {"seconds": round(seconds, 2), "threads": os.cpu_count()}

    ig_graph = igraph.Graph(n=n, edges=edges, directed=False)
    say("igraph exact betweenness ...")
    seconds, ig_scores = timed(lambda: ig_graph.betweenness(directed=False))
    results["igraph"] = {"seconds": round(seconds, 2), "threads": 1,
                         "max_difference": float(np.abs(np.array(ig_scores) * scale
                                                        - reference).max())}

    lo = np.array([a for a, _ in edges], dtype=np.int64)
    hi = np.array([b for _, b in edges], dtype=np.int64)
    engine = "numpy" if network._numpy_is_quicker(network._adjacency(n, lo, hi), n) \
        else "rustworkx"
    say(f"tracelead.analysis.network.betweenness (chooses {engine}; from the edge list) ...")
    seconds, ours = timed(lambda: network.betweenness(edges, nodes=range(n)))
    results["tracelead_betweenness"] = {
        "seconds": round(seconds, 2), "engine": engine, "threads": os.cpu_count(),
        "max_difference": float(np.abs(np.array([ours[i] for i in range(n)])
                                       - reference).max())}

    if networkx:
        nx_graph: Any = nx.Graph()
        nx_graph.add_nodes_from(range(n))
        nx_graph.add_edges_from(edges)
        say("networkx exact betweenness (about 90 s at 5,000 people) ...")
        seconds, nx_scores = timed(lambda: nx.betweenness_centrality(nx_graph,
                                                                     normalized=True))
        results["networkx"] = {"seconds": round(seconds, 2), "threads": 1,
                               "max_difference": float(np.abs(np.array(
                                   [nx_scores[i] for i in range(n)]) - reference).max())}
    else:
        results["networkx"] = {"skipped": "--skip-networkx"}
    return results


def programme_scale(people: int, ties: int, seed: int, repeat: int, networkx: bool
                    ) -> dict[str, Any]:
    say(f"building a network of {people} people and {ties} ties ...")
    person_list, tie_list = make_network(people, ties, seed)
    start, end = WINDOW
    seconds, report = timed(lambda: network.network_report(
        person_list, tie_list, start=start, end=end, exact=True, top=10, sectors=SECTORS),
        repeat)
    rest, _ = timed(lambda: network.network_report(
        person_list, tie_list, start=start, end=end, top=0, sectors=SECTORS), repeat)
    return {
        "people": people, "tie_records": len(tie_list),
        "report_exact_seconds": round(seconds, 2), "goal_seconds": 6.0,
        "met": seconds <= 6.0,
        "of_which_without_betweenness_seconds": round(rest, 2),
        "report": summary(report),
        "exact_betweenness_by_library": compare_libraries(person_list, tie_list,
                                                          networkx=networkx),
    }


def system_scale(people: int, ties: int, seed: int, repeat: int, exact: bool
                 ) -> dict[str, Any]:
    say(f"building a network of {people} people and {ties} ties ...")
    person_list, tie_list = make_network(people, ties, seed + 1)
    start, end = WINDOW
    say("network_report without brokers ...")
    seconds, report = timed(lambda: network.network_report(
        person_list, tie_list, start=start, end=end, top=0, sectors=SECTORS), repeat)
    say(f"network_report with sampled brokers ({network.DEFAULT_PIVOTS} pivots) ...")
    sampled_seconds, sampled_report = timed(lambda: network.network_report(
        person_list, tie_list, start=start, end=end, exact=False, top=100, sectors=SECTORS),
        repeat)
    edges = edges_at_end(tie_list, end)
    alone, _ = timed(lambda: network.sampled_betweenness(
        edges, nodes=range(people), pivots=network.DEFAULT_PIVOTS), repeat)
    figures: dict[str, Any] = {
        "people": people, "tie_records": len(tie_list), "report": summary(report),
        "report_without_brokers_seconds": round(seconds, 2), "goal_seconds": 10.0,
        "met": seconds <= 10.0,
        "sampled_brokers": {
            "pivots": network.DEFAULT_PIVOTS,
            "report_with_sampled_brokers_seconds": round(sampled_seconds, 2),
            "sampled_betweenness_alone_seconds": round(alone, 2),
            "goal_seconds": 20.0, "met_time": sampled_seconds <= 20.0,
        },
    }
    if exact:
        say("exact betweenness once, for the overlap (a minute or more) ...")
        exact_seconds, exact_scores = timed(lambda: network.betweenness(
            edges, nodes=range(people)))
        exact_top = set(top_keys(exact_scores, 100))
        sampled_top = {key for key, _ in sampled_report.brokers}
        overlap = len(exact_top & sampled_top)
        by_seed = []
        for other in range(1, 5):
            scores = network.sampled_betweenness(edges, nodes=range(people),
                                                 pivots=network.DEFAULT_PIVOTS, seed=other)
            by_seed.append(len(exact_top & set(top_keys(scores, 100))))
        figures["sampled_brokers"].update({
            "top_100_overlap": overlap, "goal_overlap": 90, "met_overlap": overlap >= 90,
            "top_100_overlap_seeds_1_to_4": by_seed,
        })
        figures["exact_betweenness_seconds"] = round(exact_seconds, 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", nargs=2, type=int, metavar=("PEOPLE", "TIES"),
                        default=[5_000, 50_000], help="the programme network")
    parser.add_argument("--large", nargs=2, type=int, metavar=("PEOPLE", "TIES"),
                        default=[20_000, 200_000], help="the system network")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (median)")
    parser.add_argument("--quick", action="store_true",
                        help="1,000 / 10,000 and 4,000 / 40,000, one run each")
    parser.add_argument("--skip-networkx", action="store_true",
                        help="leave networkx out of the comparison (about 90 s at 5,000)")
    parser.add_argument("--skip-exact-large", action="store_true",
                        help="no exact betweenness of the system network (no overlap)")
    args = parser.parse_args()
    if args.quick:
        args.small, args.large, args.repeat = [1_000, 10_000], [4_000, 40_000], 1
    began = time.perf_counter()
    figures: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_at_start": list(os.getloadavg())},
        "seed": args.seed,
        "programme": programme_scale(*args.small, args.seed, args.repeat,
                                     not args.skip_networkx),
        "system": system_scale(*args.large, args.seed, args.repeat,
                               not args.skip_exact_large),
    }
    figures["machine"]["load_average_at_end"] = list(os.getloadavg())
    figures["total_seconds"] = round(time.perf_counter() - began, 1)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
