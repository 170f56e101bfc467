"""Benchmark of the analysis core at NHS scale against a straightforward pandas baseline.

``run()`` generates synthetic survey data (by default 1,000,000 responses to 35 items,
five conditions of seven items, in 20,000 teams within 200 organisations within 40
systems), computes the full report for every group at every level with
:func:`tracelead.analysis.groups_report` (n, condition means, SD, intervals, rwg(j),
ICC(1), ICC(2), suppression) plus Cronbach's alpha per condition, and then the same
figures with a plain pandas groupby-apply that uses pingouin where pingouin has the
statistic (alpha, the one-way ANOVA behind ICC(1)/ICC(2)). It checks that both agree and
returns the times, their ratio and the peak memory.

The baseline is slow; above ``baseline_max_responses`` it runs on a random subset of
whole systems (so every team and organisation in it is complete) and its time is
extrapolated linearly in the number of responses. The output says so
(``baseline_subsample`` and ``baseline_seconds_extrapolated``).

pandas and pingouin are development dependencies (``.[dev]``); they are imported only
when the baseline runs.
"""

from __future__ import annotations

import importlib
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from tracelead.analysis import cronbach_alpha, groups_report

CONDITIONS = ("task", "route", "alignment", "capability", "energy")
THRESHOLD = 5


def _peak_rss_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def make_data(*, responses: int, items: int, teams: int, organisations: int, systems: int,
              seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Synthetic answers, each respondent's team, the parent array and item conditions.

    Nodes are numbered systems, then organisations, then teams. Team sizes are skewed
    (log-normal), so some teams fall under the threshold; 3% of answers are missing.
    """
    rng = np.random.default_rng(seed)
    per_condition = max(1, items // len(CONDITIONS))
    keys = [CONDITIONS[min(i // per_condition, len(CONDITIONS) - 1)] for i in range(items)]
    org_parent = np.concatenate([np.arange(systems),
                                 rng.integers(0, systems, organisations - systems)])
    team_parent = systems + np.concatenate([np.arange(organisations),
                                            rng.integers(0, organisations,
                                                         teams - organisations)])
    parents = np.concatenate([np.full(systems, -1), org_parent, team_parent]).astype(np.int64)
    weights = rng.lognormal(0.0, 1.0, teams)
    team = rng.choice(teams, size=responses, p=weights / weights.sum())
    order = np.argsort(team, kind="stable")  # respondents arrive grouped, as from a query
    group = (systems + organisations + team[order]).astype(np.int64)
    effect = rng.normal(0.0, 0.25, (parents.size, len(CONDITIONS))).astype(np.float32)
    codes = np.array([CONDITIONS.index(k) for k in keys])
    values = np.empty((responses, items))
    block = 100_000
    for start in range(0, responses, block):
        g = group[start:start + block]
        latent = effect[g][:, codes] + rng.normal(0, 0.6, (g.size, 1)).astype(np.float32)
        noise = rng.normal(0, 0.8, (g.size, items)).astype(np.float32)
        answers = np.clip(np.rint(3.3 + latent + noise), 1, 5)
        answers[rng.random((g.size, items)) < 0.03] = np.nan
        values[start:start + block] = answers
    return values, group, parents, keys


def core(values: np.ndarray, group: np.ndarray, parents: np.ndarray,
         keys: list[str]) -> dict[str, Any]:
    """The full report with the analysis core."""
    report = groups_report(values, group, keys, parents=parents, threshold=THRESHOLD)
    alpha = {c: cronbach_alpha(values[:, [k == c for k in keys]]) for c in report.conditions}
    return {"report": report, "alpha": alpha}


def _suppress_loop(counts: dict[int, int], parents: dict[int, int], threshold: int
                   ) -> set[int]:
    """The suppression rule written plainly, one family at a time (the baseline's)."""
    children: dict[int, list[int]] = {}
    for node, parent in parents.items():
        if parent >= 0:
            children.setdefault(parent, []).append(node)
    hidden = {node for node, n in counts.items() if n < threshold}
    changed = True
    while changed:
        changed = False
        for parent, kids in sorted(children.items()):
            residual = counts[parent] - sum(counts[k] for k in kids)
            unknown_kids = [k for k in kids if k in hidden and counts[k] > 0]
            unknowns = len(unknown_kids) + (residual > 0) + (
                parent in hidden and counts[parent] > 0)
            total = sum(counts[k] for k in unknown_kids) + max(residual, 0)
            lone_ok = unknowns == 1 and residual >= threshold and parent not in hidden
            broken = (unknowns == 1 and not lone_ok) or (
                parent not in hidden and 0 < total < threshold)
            if broken:
                shown = sorted((counts[k], k) for k in kids if k not in hidden and counts[k] > 0)
                hidden.add(shown[0][1] if shown else parent)
                changed = True
    return hidden


def pandas_baseline(values: np.ndarray, group: np.ndarray, parents: np.ndarray,
             keys: list[str]) -> dict[str, Any]:
    """The same figures with pandas groupby-apply and pingouin: the straightforward way."""
    # Development dependencies without type information: imported as Any, and only here.
    pd: Any = importlib.import_module("pandas")
    pg: Any = importlib.import_module("pingouin")
    stats: Any = importlib.import_module("scipy.stats")

    items = [f"i{j}" for j in range(values.shape[1])]
    df = pd.DataFrame(values, columns=items)
    df["team"] = group
    df["org"] = parents[group]
    df["system"] = parents[df["org"].to_numpy()]
    for c in CONDITIONS:
        cols = [it for it, k in zip(items, keys, strict=True) if k == c]
        df[c] = df[cols].mean(axis=1)
    by_condition = {c: [it for it, k in zip(items, keys, strict=True) if k == c]
                    for c in CONDITIONS}

    def summarise(frame: Any) -> Any:
        out: dict[str, float] = {"n_respondents": float(len(frame))}
        for c in CONDITIONS:
            s = frame[c].dropna()
            n = len(s)
            mean, sd = s.mean(), s.std(ddof=1)
            half = stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n) if n >= 2 else np.nan
            variances = frame[by_condition[c]].var(ddof=1)  # pandas skips NaN per item
            variances = variances[frame[by_condition[c]].count() >= 2]
            if len(variances):
                ratio = variances.mean() / 2.0  # null variance of a five-point scale
                j = len(variances)
                rwg = 0.0 if ratio > 1 else j * (1 - ratio) / (j * (1 - ratio) + ratio)
            else:
                rwg = np.nan
            out |= {f"{c}_n": n, f"{c}_mean": mean, f"{c}_sd": sd,
                    f"{c}_ci_low": mean - half, f"{c}_ci_high": mean + half, f"{c}_rwg": rwg}
        return pd.Series(out)

    levels: dict[str, Any] = {}
    iccs: dict[str, dict[str, tuple[float, float]]] = {}
    for level in ("team", "org", "system"):
        levels[level] = df.groupby(level).apply(summarise)
        iccs[level] = {}
        for c in CONDITIONS:
            table = pg.anova(data=df[[level, c]].dropna(), dv=c, between=level, detailed=True)
            msb, msw = table["MS"].iloc[0], table["MS"].iloc[1]
            k = df[c].notna().sum() / df.loc[df[c].notna(), level].nunique()
            iccs[level][c] = ((msb - msw) / (msb + (k - 1) * msw), (msb - msw) / msb)
    counts = {int(i): 0 for i in range(parents.size)}
    for level in ("team", "org", "system"):
        for node, n in levels[level]["n_respondents"].items():
            counts[int(node)] = int(n)
    present = {node for node, n in counts.items() if n > 0}
    hidden = _suppress_loop({k: counts[k] for k in present},
                            {k: int(parents[k]) for k in present}, THRESHOLD)
    alpha = {c: float(pg.cronbach_alpha(df[by_condition[c]], nan_policy="listwise")[0])
             for c in CONDITIONS}
    return {"levels": levels, "iccs": iccs, "hidden": hidden, "alpha": alpha}


def compare(ours: dict[str, Any], theirs: dict[str, Any], parents: np.ndarray
            ) -> dict[str, Any]:
    """Largest absolute difference between core and baseline, per kind of figure."""
    report = ours["report"]
    worst: dict[str, float] = {"mean": 0.0, "sd": 0.0, "ci": 0.0, "rwg_j": 0.0, "icc": 0.0,
                               "alpha": 0.0}
    mismatched_counts = 0
    depth_of = {"system": 0, "org": 1, "team": 2}
    for level, table in theirs["levels"].items():
        nodes = table.index.to_numpy().astype(np.int64)
        mismatched_counts += int((report.n_respondents[nodes]
                                  != table["n_respondents"].to_numpy()).sum())
        for ci, c in enumerate(report.conditions):
            pairs = {"mean": (report.mean, "mean"), "sd": (report.sd, "sd"),
                     "rwg_j": (report.rwg_j, "rwg")}
            for name, (ours_arr, col) in pairs.items():
                diff = np.abs(ours_arr[nodes, ci] - table[f"{c}_{col}"].to_numpy())
                worst[name] = max(worst[name], float(np.nanmax(diff, initial=0.0)))
            for side, ours_arr in (("ci_low", report.ci_low), ("ci_high", report.ci_high)):
                diff = np.abs(ours_arr[nodes, ci] - table[f"{c}_{side}"].to_numpy())
                worst["ci"] = max(worst["ci"], float(np.nanmax(diff, initial=0.0)))
            one, two = theirs["iccs"][level][c]
            d = depth_of[level]
            worst["icc"] = max(worst["icc"], abs(report.level_icc1[d, ci] - one),
                               abs(report.level_icc2[d, ci] - two))
    for c in report.conditions:
        worst["alpha"] = max(worst["alpha"], abs(ours["alpha"][c] - theirs["alpha"][c]))
    present = np.nonzero(report.n_respondents > 0)[0]
    ours_hidden = set(present[report.suppressed[present]].tolist())
    same_suppression = ours_hidden == theirs["hidden"]
    agree = (mismatched_counts == 0 and same_suppression
             and all(v < 1e-8 for v in worst.values()))
    return {"agree": agree, "max_abs_difference": worst, "count_mismatches": mismatched_counts,
            "same_suppression": same_suppression}


def run(*, responses: int = 1_000_000, items: int = 35, teams: int = 20_000,
        organisations: int = 200, systems: int = 40, seed: int = 1, baseline: bool = True,
        progress: Callable[[str], None] | None = None,
        baseline_max_responses: int = 100_000) -> dict[str, Any]:
    """Run the benchmark and return its figures as a JSON-ready dict.

    Parameters
    ----------
    responses, items, teams, organisations, systems : int
        Size of the synthetic data (items are split evenly over the five conditions).
    seed : int
        Seed of the data generator.
    baseline : bool
        Also run the pandas/pingouin baseline and compare the figures.
    progress : callable, optional
        Called with a short message at each stage.
    baseline_max_responses : int
        Above this, the baseline runs on a random subset of whole systems with about this
        many responses, and its full time is extrapolated linearly.

    Returns
    -------
    dict
        ``core_seconds``, ``core_peak_traced_bytes`` (tracemalloc, during the core),
        ``peak_rss_bytes`` (process high-water mark after the core, input included),
        and with ``baseline``: ``baseline_seconds`` (measured), ``baseline_responses``,
        ``baseline_subsample``, ``baseline_seconds_extrapolated``, ``speedup`` and the
        agreement check.
    """
    say = progress or (lambda message: None)
    if organisations < systems or teams < organisations:
        raise ValueError("need systems <= organisations <= teams")
    say(f"generating {responses:,} responses x {items} items in {teams:,} teams, "
        f"{organisations} organisations, {systems} systems")
    t0 = time.perf_counter()
    values, group, parents, keys = make_data(
        responses=responses, items=items, teams=teams, organisations=organisations,
        systems=systems, seed=seed)
    result: dict[str, Any] = {
        "responses": responses, "items": items, "teams": teams,
        "organisations": organisations, "systems": systems, "seed": seed,
        "generate_seconds": round(time.perf_counter() - t0, 3),
    }
    say("core: full report for every group at every level")
    tracemalloc.start()
    t0 = time.perf_counter()
    ours = core(values, group, parents, keys)
    core_seconds = time.perf_counter() - t0
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    report = ours["report"]
    result |= {
        "core_seconds": round(core_seconds, 3),
        "core_peak_traced_bytes": int(traced_peak),
        "peak_rss_bytes": _peak_rss_bytes(),
        "groups": int(parents.size),
        "groups_suppressed": int(report.suppressed.sum()),
        "cells_suppressed": int(report.cell_suppressed.sum()),
        "team_icc1": dict(zip(report.conditions, np.round(report.level_icc1[2], 4).tolist(),
                              strict=True)),
        "team_icc2": dict(zip(report.conditions, np.round(report.level_icc2[2], 4).tolist(),
                              strict=True)),
    }
    if not baseline:
        return result

    rng = np.random.default_rng(seed + 1)
    if responses > baseline_max_responses:
        system_of = parents[parents[group]]
        per_system = np.bincount(system_of, minlength=systems)
        chosen: list[int] = []
        total = 0
        for s in rng.permutation(systems):
            if total >= baseline_max_responses:
                break
            chosen.append(int(s))
            total += int(per_system[s])
        keep_rows = np.isin(system_of, chosen)
        keep_nodes = np.isin(np.arange(parents.size), chosen) | np.isin(parents, chosen)
        keep_nodes |= np.isin(parents, np.nonzero(keep_nodes)[0])
        sub_values, sub_group = values[keep_rows], group[keep_rows]
        subsample = True
    else:
        keep_nodes = np.ones(parents.size, dtype=bool)
        sub_values, sub_group = values, group
        subsample = False
    # Renumber the subset's nodes so both sides see the same small hierarchy.
    new_id = np.cumsum(keep_nodes) - 1
    sub_parents = np.where(parents[keep_nodes] >= 0, new_id[np.maximum(parents[keep_nodes], 0)],
                           -1)
    sub_group = new_id[sub_group]
    n_sub = int(sub_values.shape[0])
    say(f"baseline: pandas groupby-apply + pingouin on {n_sub:,} responses"
        + (" (subsample of whole systems)" if subsample else ""))
    t0 = time.perf_counter()
    theirs = pandas_baseline(sub_values, sub_group, sub_parents, keys)
    baseline_seconds = time.perf_counter() - t0
    say("checking that both agree")
    t0 = time.perf_counter()
    ours_sub = core(sub_values, sub_group, sub_parents, keys)
    core_sub_seconds = time.perf_counter() - t0
    check = compare(ours_sub, theirs, sub_parents)
    extrapolated = baseline_seconds * responses / n_sub
    result |= {
        "baseline_responses": n_sub,
        "baseline_subsample": subsample,
        "baseline_seconds": round(baseline_seconds, 3),
        "baseline_seconds_extrapolated": round(extrapolated, 1),
        "core_seconds_on_baseline_data": round(core_sub_seconds, 3),
        "speedup": round(extrapolated / core_seconds, 1),
        "speedup_same_data": round(baseline_seconds / core_sub_seconds, 1),
        "agreement": check,
        "note": ("baseline time measured on a subsample of whole systems and extrapolated "
                 "linearly in responses" if subsample else "baseline run on the full data"),
    }
    return result
