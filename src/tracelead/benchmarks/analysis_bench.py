"""Benchmark of the analysis core at NHS scale against four baselines, in one run.

``run()`` generates synthetic survey data (by default 1,000,000 responses to 35 items,
five conditions of seven items, in 20,000 teams within 200 organisations within 40
systems) and computes the full report for every group at every level with the core, in
one call of :func:`tracelead.analysis.groups_report`: it reads the matrix once
(:func:`tracelead.analysis.sums.node_sums`) and gives n, condition means, SDs,
intervals, rwg(j), ICC(1), ICC(2), item distributions, suppression and Cronbach's alpha
per condition.

The same figures are then computed by each baseline, on the same data, in the same run:

``per-group apply``
    pandas ``groupby().apply`` with a Python function per group and pingouin's ANOVA and
    alpha: the straightforward script (and the one earlier READMEs compared against).
``pandas vectorised``
    ``groupby().sum()``/``count()`` per team over the respondents, teams added up into
    organisations and systems, ICCs from the group sums: what a competent analyst writes.
``Polars`` and ``DuckDB``
    The same per-team sums as one ``group_by().agg()`` / one SQL ``GROUP BY``, rolled up
    the same way.

The three vectorised baselines do all the work over respondents in their own engine and
share one small NumPy step over groups (:func:`_finish`: t quantiles, rwg(j), ICCs, and
suppression with :func:`tracelead.analysis.suppress_hierarchy`, which the core runs
too), written apart from the core so that the check stays independent. Each baseline's
libraries are imported and its data frame is built before its clock starts (the frame's
building time is reported as ``load_seconds``). Each result is checked against the core:
every figure to 1e-9, counts and suppression exactly.

pandas, pingouin, Polars and DuckDB are development extras (``pip install -e '.[dev]'``);
:func:`check_extras` names any that are missing before anything runs.
"""

from __future__ import annotations

import importlib
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tracelead.analysis import GroupsReport, groups_report, suppress_hierarchy

CONDITIONS = ("task", "route", "alignment", "capability", "energy")
THRESHOLD = 5
SCALE_POINTS = 5
CENTRE = (SCALE_POINTS + 1) / 2.0
TOLERANCE = 1e-9
# The goals (issue 18), printed with the figures; benchmarks are not tests.
GOALS = {
    "core_seconds_at_1m_max": 0.3,
    "speedup_over_fastest_baseline_min": 5.0,
    "peak_memory_over_input_max": 1.5,
}
DEPTH_NAMES = ("system", "organisation", "team")


class MissingExtra(RuntimeError):
    """A baseline's library is not installed (a development extra)."""


@dataclass(frozen=True)
class Baseline:
    name: str
    modules: tuple[str, ...]
    prepare: Callable[[Any, np.ndarray, np.ndarray, np.ndarray, list[str]], Any]
    compute: Callable[[Any, np.ndarray, list[str]], dict[str, Any]]
    repeat: int


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


def core(values: np.ndarray, group: np.ndarray, parents: np.ndarray, keys: list[str],
         *, workers: int | None = None) -> GroupsReport:
    """The full report with the analysis core: one read of the matrix, then O(groups)."""
    return groups_report(values, group, keys, parents=parents, threshold=THRESHOLD,
                         scale_points=SCALE_POINTS, workers=workers)


def core_figures(r: GroupsReport) -> dict[str, Any]:
    """The core's figures under the names the baselines use."""
    return {
        "n_respondents": r.n_respondents, "n": r.n, "mean": r.mean, "sd": r.sd,
        "ci_low": r.ci_low, "ci_high": r.ci_high, "rwg_j": r.rwg_j,
        "level_icc1": r.level_icc1, "level_icc2": r.level_icc2,
        "item_counts": r.item_counts, "suppressed": r.suppressed,
        "cell_suppressed": r.cell_suppressed, "item_suppressed": r.item_suppressed,
        "alpha": r.alpha,
    }


def _frame_columns(keys: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    items = [f"i{j}" for j in range(len(keys))]
    by_condition = {c: [it for it, k in zip(items, keys, strict=True) if k == c]
                    for c in CONDITIONS}
    return items, by_condition


def _pandas_frame(pd: Any, values: np.ndarray, group: np.ndarray, parents: np.ndarray,
                  keys: list[str]) -> Any:
    items, _ = _frame_columns(keys)
    df = pd.DataFrame(values, columns=items)
    df["team"] = group
    df["org"] = parents[group]
    df["system"] = parents[df["org"].to_numpy()]
    return df


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


# --- baseline 1: per-group apply (pandas + pingouin) -------------------------------------

def _apply_prepare(mods: Any, values: np.ndarray, group: np.ndarray, parents: np.ndarray,
                   keys: list[str]) -> Any:
    return _pandas_frame(mods["pandas"], values, group, parents, keys)


def _apply_compute(df: Any, parents: np.ndarray, keys: list[str]) -> dict[str, Any]:
    """pandas groupby-apply with a Python function per group, and pingouin."""
    pd: Any = importlib.import_module("pandas")
    pg: Any = importlib.import_module("pingouin")
    stats: Any = importlib.import_module("scipy.stats")
    _, by_condition = _frame_columns(keys)
    df = df.copy()
    for c in CONDITIONS:
        df[c] = df[by_condition[c]].mean(axis=1)

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


def _apply_figures(theirs: dict[str, Any], parents: np.ndarray) -> dict[str, Any]:
    """The per-group apply's tables as arrays by node (NaN or 0 where it has no row)."""
    size, n_cond = parents.size, len(CONDITIONS)
    out: dict[str, Any] = {"n_respondents": np.zeros(size, dtype=np.int64),
                           "n": np.zeros((size, n_cond), dtype=np.int64)}
    for name in ("mean", "sd", "ci_low", "ci_high", "rwg_j"):
        out[name] = np.full((size, n_cond), np.nan)
    column = {"mean": "mean", "sd": "sd", "ci_low": "ci_low", "ci_high": "ci_high",
              "rwg_j": "rwg"}
    out["level_icc1"] = np.full((3, n_cond), np.nan)
    out["level_icc2"] = np.full((3, n_cond), np.nan)
    for depth, level in enumerate(("system", "org", "team")):
        table = theirs["levels"][level]
        nodes = table.index.to_numpy().astype(np.int64)
        out["n_respondents"][nodes] = table["n_respondents"].to_numpy().astype(np.int64)
        for ci, c in enumerate(CONDITIONS):
            out["n"][nodes, ci] = table[f"{c}_n"].to_numpy().astype(np.int64)
            for name, col in column.items():
                out[name][nodes, ci] = table[f"{c}_{col}"].to_numpy()
            out["level_icc1"][depth, ci], out["level_icc2"][depth, ci] = (
                theirs["iccs"][level][c])
    hidden = np.zeros(size, dtype=bool)
    hidden[sorted(theirs["hidden"])] = True
    out["suppressed"] = hidden
    out["alpha"] = np.array([theirs["alpha"][c] for c in CONDITIONS])
    return out


# --- the vectorised baselines: per-team sums in an engine, then _finish --------------------

def _team_sums_layout(keys: list[str]) -> list[str]:
    """Column order of a per-team sums table (after the node id)."""
    items, _ = _frame_columns(keys)
    cols = ["size"]
    for c in CONDITIONS:
        cols += [f"{c}_n", f"{c}_s", f"{c}_q"]
    for it in items:
        cols += [f"{it}_n", f"{it}_s", f"{it}_q"]
        cols += [f"{it}_a{a}" for a in range(1, SCALE_POINTS + 1)]
    return cols


def _finish(level_sums: dict[int, tuple[np.ndarray, np.ndarray]], complete: np.ndarray,
            parents: np.ndarray, keys: list[str]) -> dict[str, Any]:
    """Figures from per-node sums, the same step for the three vectorised baselines.

    ``level_sums[depth]`` = (node ids, table in :func:`_team_sums_layout` order);
    ``complete`` holds per condition the listwise n, per-item sums and sums of squares and
    the total score's sum and sum of squares (raw answers, for alpha). Formulas: mean and
    SD of the centred scores, ``t(0.975, n - 1) * SD / sqrt(n)``, rwg(j) with the null
    variance 2 of a five-point scale, ICCs from the one-way ANOVA on node sums, alpha
    from item and total variances.
    """
    stats: Any = importlib.import_module("scipy.stats")
    items, by_condition = _frame_columns(keys)
    size, n_cond, n_items = parents.size, len(CONDITIONS), len(items)
    width = 1 + 3 * n_cond + n_items * (3 + SCALE_POINTS)
    table = np.zeros((size, width))
    for nodes, sums in level_sums.values():
        table[nodes] = sums
    n_resp = np.rint(table[:, 0]).astype(np.int64)
    cond = table[:, 1:1 + 3 * n_cond].reshape(size, n_cond, 3)
    per_item = table[:, 1 + 3 * n_cond:].reshape(size, n_items, 3 + SCALE_POINTS)
    cnt, s, q = cond[:, :, 0], cond[:, :, 1], cond[:, :, 2]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(cnt > 0, CENTRE + s / cnt, np.nan)
        sd = np.where(cnt >= 2, np.sqrt(np.maximum((q - s * s / cnt) / (cnt - 1), 0.0)),
                      np.nan)
        df = np.where(cnt >= 2, cnt - 1, np.nan)
        distinct, where = np.unique(df, return_inverse=True)
        half = stats.t.ppf(0.975, distinct)[where.reshape(df.shape)] * sd / np.sqrt(cnt)
        i_n, i_s, i_q = per_item[:, :, 0], per_item[:, :, 1], per_item[:, :, 2]
        i_var = (i_q - i_s * i_s / i_n) / (i_n - 1)
    usable = i_n >= 2
    rwg = np.full((size, n_cond), np.nan)
    for ci, c in enumerate(CONDITIONS):
        cols = [items.index(it) for it in by_condition[c]]
        j = usable[:, cols].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(usable[:, cols], i_var[:, cols], 0.0).sum(axis=1) / j / 2.0
            value = j * (1 - ratio) / (j * (1 - ratio) + ratio)
        rwg[:, ci] = np.where(j > 0, np.where(ratio > 1, 0.0, value), np.nan)
    icc1 = np.full((3, n_cond), np.nan)
    icc2 = np.full((3, n_cond), np.nan)
    for depth, (nodes, _) in level_sums.items():
        n_g, s_g, q_g = cnt[nodes], s[nodes], q[nodes]
        for ci in range(n_cond):
            keep = n_g[:, ci] > 0
            n_c, s_c, q_c = n_g[keep, ci], s_g[keep, ci], q_g[keep, ci]
            groups, total = keep.sum(), n_c.sum()
            between = s_c * s_c / n_c
            msb = (between.sum() - s_c.sum() ** 2 / total) / (groups - 1)
            msw = (q_c - between).sum() / (total - groups)
            k = total / groups
            icc1[depth, ci] = (msb - msw) / (msb + (k - 1) * msw)
            icc2[depth, ci] = (msb - msw) / msb
    counts = np.rint(per_item[:, :, 3:]).astype(np.int64)
    n = np.rint(cnt).astype(np.int64)
    n_item = np.rint(i_n).astype(np.int64)
    hidden = suppress_hierarchy(n_resp, parents, threshold=THRESHOLD)
    cell = np.column_stack([suppress_hierarchy(n[:, c], parents, threshold=THRESHOLD,
                                               already_suppressed=hidden)
                            for c in range(n_cond)])
    codes = [CONDITIONS.index(k) for k in keys]
    item = np.column_stack([suppress_hierarchy(n_item[:, i], parents, threshold=THRESHOLD,
                                               already_suppressed=cell[:, codes[i]])
                            for i in range(n_items)])
    alpha = np.full(n_cond, np.nan)
    for ci, c in enumerate(CONDITIONS):
        k = len(by_condition[c])
        row = complete[ci]
        m = row[0]
        item_s, item_q = row[1:1 + k], row[1 + k:1 + 2 * k]
        t_s, t_q = row[1 + 2 * k], row[2 + 2 * k]
        item_var = (item_q - item_s * item_s / m) / (m - 1)
        total_var = (t_q - t_s * t_s / m) / (m - 1)
        alpha[ci] = k / (k - 1) * (1 - item_var.sum() / total_var)
    return {"n_respondents": n_resp, "n": n, "mean": mean, "sd": sd, "ci_low": mean - half,
            "ci_high": mean + half, "rwg_j": rwg, "level_icc1": icc1, "level_icc2": icc2,
            "item_counts": counts, "suppressed": hidden, "cell_suppressed": cell,
            "item_suppressed": item, "alpha": alpha}


def _pandas_compute(df: Any, parents: np.ndarray, keys: list[str]) -> dict[str, Any]:
    """Vectorised pandas: sums per team with groupby, added up into organisations and
    systems, then :func:`_finish`."""
    pd: Any = importlib.import_module("pandas")
    items, by_condition = _frame_columns(keys)
    x = df[items]
    centred = x - CENTRE
    scores = pd.DataFrame({c: x[by_condition[c]].mean(axis=1) - CENTRE for c in CONDITIONS})
    team = df["team"]
    grouped = pd.concat([scores, centred], axis=1).groupby(team)
    n = grouped.count()
    s = grouped.sum()
    q = (pd.concat([scores, centred], axis=1) ** 2).groupby(team).sum()
    answers = {a: x.eq(a).groupby(team).sum() for a in range(1, SCALE_POINTS + 1)}
    parts = [grouped.size().rename("size")]
    for c in CONDITIONS:
        parts += [n[c].rename(f"{c}_n"), s[c].rename(f"{c}_s"), q[c].rename(f"{c}_q")]
    for it in items:
        parts += [n[it].rename(f"{it}_n"), s[it].rename(f"{it}_s"), q[it].rename(f"{it}_q")]
        parts += [answers[a][it].rename(f"{it}_a{a}") for a in range(1, SCALE_POINTS + 1)]
    teams = pd.concat(parts, axis=1).astype(np.float64)
    orgs = teams.groupby(parents[teams.index.to_numpy()]).sum()
    systems = orgs.groupby(parents[orgs.index.to_numpy()]).sum()
    complete = []
    for c in CONDITIONS:
        rows = x[by_condition[c]].dropna()
        total = rows.sum(axis=1)
        complete.append(np.concatenate([[len(rows)], rows.sum().to_numpy(),
                                        (rows ** 2).sum().to_numpy(),
                                        [total.sum(), (total ** 2).sum()]]))
    level_sums = {d: (t.index.to_numpy().astype(np.int64), t.to_numpy())
                  for d, t in enumerate((systems, orgs, teams))}
    return _finish(level_sums, np.array(complete), parents, keys)


def _polars_prepare(mods: Any, values: np.ndarray, group: np.ndarray, parents: np.ndarray,
                    keys: list[str]) -> Any:
    pl = mods["polars"]
    items, _ = _frame_columns(keys)
    frame = pl.DataFrame(values, schema=items, nan_to_null=True)
    return frame.with_columns(pl.Series("team", group))


def _polars_compute(frame: Any, parents: np.ndarray, keys: list[str]) -> dict[str, Any]:
    """Polars: one lazy group_by().agg() per team, rolled up with two more group_bys."""
    pl: Any = importlib.import_module("polars")
    items, by_condition = _frame_columns(keys)
    scores = [(pl.mean_horizontal(by_condition[c]) - CENTRE).alias(c) for c in CONDITIONS]
    aggs = [pl.len().cast(pl.Float64).alias("size")]
    for c in CONDITIONS:
        aggs += [pl.col(c).count().cast(pl.Float64).alias(f"{c}_n"),
                 pl.col(c).sum().alias(f"{c}_s"), (pl.col(c) ** 2).sum().alias(f"{c}_q")]
    for it in items:
        centred = pl.col(it) - CENTRE
        aggs += [pl.col(it).count().cast(pl.Float64).alias(f"{it}_n"),
                 centred.sum().alias(f"{it}_s"), (centred ** 2).sum().alias(f"{it}_q")]
        aggs += [(pl.col(it) == a).sum().cast(pl.Float64).alias(f"{it}_a{a}")
                 for a in range(1, SCALE_POINTS + 1)]
    teams = (frame.lazy().with_columns(scores).group_by("team").agg(aggs).sort("team")
             .collect())
    layout = _team_sums_layout(keys)
    org = pl.Series("up", parents[teams["team"].to_numpy()])
    orgs = (teams.with_columns(org).group_by("up").agg([pl.col(c).sum() for c in layout])
            .sort("up"))
    system = pl.Series("up2", parents[orgs["up"].to_numpy()])
    systems = (orgs.with_columns(system).group_by("up2")
               .agg([pl.col(c).sum() for c in layout]).sort("up2"))
    complete = []
    for c in CONDITIONS:
        cols = by_condition[c]
        total = pl.sum_horizontal(cols)
        row = frame.lazy().filter(pl.all_horizontal(pl.col(cols).is_not_null())).select(
            [pl.len().cast(pl.Float64)] + [pl.col(it).sum().alias(f"{it}_s") for it in cols]
            + [(pl.col(it) ** 2).sum().alias(f"{it}_q") for it in cols]
            + [total.sum().alias("t_s"), (total ** 2).sum().alias("t_q")]).collect()
        complete.append(row.to_numpy()[0])
    level_sums = {
        0: (systems["up2"].to_numpy(), systems.select(layout).to_numpy()),
        1: (orgs["up"].to_numpy(), orgs.select(layout).to_numpy()),
        2: (teams["team"].to_numpy(), teams.select(layout).to_numpy()),
    }
    return _finish(level_sums, np.array(complete, dtype=np.float64), parents, keys)


def _duckdb_prepare(mods: Any, values: np.ndarray, group: np.ndarray, parents: np.ndarray,
                    keys: list[str]) -> Any:
    con = mods["duckdb"].connect()
    # DuckDB reads a pandas frame in place and takes its NaN as NULL.
    con.register("answers", _pandas_frame(mods["pandas"], values, group, parents, keys))
    return con


def _duckdb_compute(con: Any, parents: np.ndarray, keys: list[str]) -> dict[str, Any]:
    """DuckDB: one SQL GROUP BY per team, rolled up by organisation and system in SQL."""
    items, by_condition = _frame_columns(keys)
    score_sql = ", ".join(
        f"({' + '.join(f'coalesce({it}, 0)' for it in cols)}) / "
        f"nullif({' + '.join(f'({it} IS NOT NULL)::INT' for it in cols)}, 0) - {CENTRE}"
        f" AS {c}" for c, cols in by_condition.items())
    aggs = ["count(*)::DOUBLE AS size"]
    for c in CONDITIONS:
        aggs += [f"count({c})::DOUBLE AS {c}_n", f"sum({c}) AS {c}_s",
                 f"sum({c} * {c}) AS {c}_q"]
    for it in items:
        aggs += [f"count({it})::DOUBLE AS {it}_n", f"sum({it} - {CENTRE}) AS {it}_s",
                 f"sum(({it} - {CENTRE}) * ({it} - {CENTRE})) AS {it}_q"]
        aggs += [f"count_if({it} = {a})::DOUBLE AS {it}_a{a}"
                 for a in range(1, SCALE_POINTS + 1)]
    layout = _team_sums_layout(keys)
    # S608 below: every name in these queries is made here (i0, i1, ..., the condition
    # keys), never taken from input.
    con.execute(f"""CREATE OR REPLACE TEMP TABLE team_sums AS
        SELECT team, any_value(org) AS org, any_value(system) AS system, {', '.join(aggs)}
        FROM (SELECT team, org, system, {', '.join(items)}, {score_sql} FROM answers)
        GROUP BY team ORDER BY team""")  # noqa: S608
    sums = ", ".join(f"sum({c})" for c in layout)
    by_team = f"SELECT team, {', '.join(layout)} FROM team_sums"  # noqa: S608
    by_org = f"SELECT org, {sums} FROM team_sums GROUP BY org ORDER BY org"  # noqa: S608
    by_system = (f"SELECT system, {sums} FROM team_sums "  # noqa: S608
                 "GROUP BY system ORDER BY system")
    tables = {2: con.execute(by_team).fetchnumpy(), 1: con.execute(by_org).fetchnumpy(),
              0: con.execute(by_system).fetchnumpy()}
    level_sums = {}
    for depth, result in tables.items():
        columns = list(result.values())
        level_sums[depth] = (np.asarray(columns[0], dtype=np.int64),
                             np.column_stack([np.asarray(v, dtype=np.float64)
                                              for v in columns[1:]]))
    complete = []
    for c in CONDITIONS:
        cols = by_condition[c]
        total = " + ".join(cols)
        row = con.execute(
            f"SELECT count(*)::DOUBLE, {', '.join(f'sum({it})' for it in cols)}, "  # noqa: S608
            f"{', '.join(f'sum({it} * {it})' for it in cols)}, sum({total}), "
            f"sum(({total}) * ({total})) FROM answers WHERE "
            + " AND ".join(f"{it} IS NOT NULL" for it in cols)).fetchone()
        complete.append(np.array(row, dtype=np.float64))
    return _finish(level_sums, np.array(complete), parents, keys)


def _pandas_prepare(mods: Any, values: np.ndarray, group: np.ndarray, parents: np.ndarray,
                    keys: list[str]) -> Any:
    return _pandas_frame(mods["pandas"], values, group, parents, keys)


BASELINES: dict[str, Baseline] = {
    "per-group apply": Baseline("per-group apply", ("pandas", "pingouin", "scipy.stats"),
                                _apply_prepare, _apply_compute, repeat=1),
    "pandas vectorised": Baseline("pandas vectorised", ("pandas", "scipy.stats"),
                                  _pandas_prepare, _pandas_compute, repeat=3),
    "Polars": Baseline("Polars", ("polars", "scipy.stats"), _polars_prepare, _polars_compute,
                       repeat=3),
    "DuckDB": Baseline("DuckDB", ("duckdb", "pandas", "scipy.stats"), _duckdb_prepare,
                       _duckdb_compute, repeat=3),
}


def check_extras(names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Import every library the chosen baselines need, or raise :class:`MissingExtra`.

    Runs before the data is generated and before the core, so a missing extra stops the
    benchmark at once with a message that names it and how to install it.
    """
    unknown = [n for n in names if n not in BASELINES]
    if unknown:
        raise ValueError(f"unknown baseline(s) {unknown}; choose from {list(BASELINES)}")
    loaded: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    for name in names:
        mods: dict[str, Any] = {}
        for module in BASELINES[name].modules:
            try:
                mods[module] = importlib.import_module(module)
            except ImportError:
                missing.append(module.split(".")[0])
        loaded[name] = mods
    if missing:
        unique = sorted(set(missing))
        raise MissingExtra(
            f"The baselines need {', '.join(unique)}, which {'is' if len(unique) == 1 else 'are'}"
            " not installed. Install the development extras with pip install -e '.[dev]', "
            "or run without baselines (--no-baseline).")
    return loaded


def compare(ours: dict[str, Any], theirs: dict[str, Any], present: np.ndarray
            ) -> dict[str, Any]:
    """Largest absolute difference per figure (nodes with respondents), and mismatches."""
    worst: dict[str, float] = {}
    mismatches: dict[str, int] = {}
    nan_mismatches = 0
    for name, mine in ours.items():
        if name not in theirs:
            continue
        other = np.asarray(theirs[name])
        a = mine[present] if mine.shape[:1] == present.shape else mine
        b = other[present] if other.shape[:1] == present.shape else other
        if a.dtype.kind == "f":
            nan_mismatches += int((np.isnan(a) != np.isnan(b)).sum())
            diff = np.abs(a - b)
            worst[name] = float(np.nanmax(diff, initial=0.0))
        else:
            mismatches[name] = int((a != b).sum())
    agree = (nan_mismatches == 0 and all(v == 0 for v in mismatches.values())
             and all(v < TOLERANCE for v in worst.values()))
    return {"agree": agree, "max_abs_difference": worst, "mismatched_counts": mismatches,
            "missing_value_mismatches": nan_mismatches, "figures_compared": sorted(
                list(worst) + list(mismatches))}


def _median_seconds(fn: Callable[[], Any], repeat: int
                    ) -> tuple[float, list[float], Any, float | None]:
    """Median time of ``repeat`` runs, after one warm-up run when there are several.

    The first run in a process pays for first-time memory mappings and lazy imports, in
    the core and in every library alike, so it is timed apart (returned last) and left
    out of the median; the single run of the per-group apply, minutes long, is timed as
    it is.
    """
    first = None
    if repeat > 1:
        start = time.perf_counter()
        fn()
        first = time.perf_counter() - start
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result, first


def run(*, responses: int = 1_000_000, items: int = 35, teams: int = 20_000,
        organisations: int = 200, systems: int = 40, seed: int = 1, baseline: bool = True,
        baselines: Sequence[str] | None = None, repeat: int = 3, workers: int | None = None,
        scaling: Sequence[int] = (), progress: Callable[[str], None] | None = None,
        ) -> dict[str, Any]:
    """Run the benchmark and return its figures as a JSON-ready dict.

    Parameters
    ----------
    responses, items, teams, organisations, systems : int
        Size of the synthetic data (items are split evenly over the five conditions).
    seed : int
        Seed of the data generator.
    baseline : bool
        Also run the baselines and check them against the core.
    baselines : sequence of str, optional
        Which of :data:`BASELINES` to run (default all), each on the full data.
    repeat : int
        Timed runs of the core (each vectorised baseline has three), after one warm-up
        run timed apart (``core_first_run_seconds``, ``first_run_seconds``); the median
        is reported.
    workers : int, optional
        Threads of the core (default: the usable processors).
    scaling : sequence of int
        Also time the core alone at these numbers of responses (same teams, organisations
        and systems), to show how its time grows.
    progress : callable, optional
        Called with a short message at each stage.

    Returns
    -------
    dict
        ``core_seconds`` (median of ``repeat`` runs), ``core_seconds_all`` and
        ``core_first_run_seconds`` (the warm-up run);
        ``input_bytes``, ``core_peak_traced_bytes`` (tracemalloc, a separate run) and
        ``peak_memory_over_input`` ((input + peak) / input); per baseline its median
        seconds, all runs, ``load_seconds`` (building its frame, untimed) and the check
        against the core; ``fastest_baseline``, ``speedup_over_fastest_baseline``;
        ``scaling``; ``goals`` and ``goals_met``.

    Raises
    ------
    MissingExtra
        Before anything runs, if a chosen baseline's library is not installed.
    """
    say = progress or (lambda message: None)
    if organisations < systems or teams < organisations:
        raise ValueError("need systems <= organisations <= teams")
    chosen = (list(BASELINES) if baselines is None else list(baselines)) if baseline else []
    loaded = check_extras(chosen)
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
    say(f"core: full report for every group at every level ({repeat} runs)")
    core_s, core_all, ours, core_first = _median_seconds(
        lambda: core(values, group, parents, keys, workers=workers), repeat)
    tracemalloc.start()
    core(values, group, parents, keys, workers=workers)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    report = ours
    input_bytes = int(values.nbytes + group.nbytes + parents.nbytes)
    result |= {
        "core_seconds": round(core_s, 3),
        "core_seconds_all": [round(t, 3) for t in core_all],
        "core_first_run_seconds": None if core_first is None else round(core_first, 3),
        "core_workers": workers if workers is not None else "all usable processors",
        "input_bytes": input_bytes,
        "core_peak_traced_bytes": int(traced_peak),
        "peak_memory_over_input": round((input_bytes + traced_peak) / input_bytes, 3),
        "groups": int(parents.size),
        "groups_suppressed": int(report.suppressed.sum()),
        "cells_suppressed": int(report.cell_suppressed.sum()),
        "team_icc1": dict(zip(report.conditions, np.round(report.level_icc1[2], 4).tolist(),
                              strict=True)),
        "alpha": dict(zip(report.conditions, np.round(report.alpha, 4).tolist(),
                          strict=True)),
    }
    figures = core_figures(ours)
    present = report.n_respondents > 0
    measured: dict[str, Any] = {}
    for name in chosen:
        spec = BASELINES[name]
        say(f"baseline {name}: building its frame")
        t0 = time.perf_counter()
        data = spec.prepare(loaded[name], values, group, parents, keys)
        load_s = time.perf_counter() - t0
        say(f"baseline {name}: timing ({spec.repeat} run{'s' if spec.repeat > 1 else ''})")
        seconds, times, theirs, first = _median_seconds(
            lambda spec=spec, data=data: spec.compute(data, parents, keys), spec.repeat)
        if name == "per-group apply":
            theirs = _apply_figures(theirs, parents)
        measured[name] = {"seconds": round(seconds, 3), "seconds_all": [round(t, 3)
                                                                         for t in times],
                          "first_run_seconds": None if first is None else round(first, 3),
                          "load_seconds": round(load_s, 3),
                          "ratio_to_core": round(seconds / core_s, 1),
                          "check": compare(figures, theirs, present)}
        del data
    if measured:
        fastest = min(measured, key=lambda n: measured[n]["seconds"])
        result |= {"baselines": measured, "fastest_baseline": fastest,
                   "speedup_over_fastest_baseline": round(
                       measured[fastest]["seconds"] / core_s, 2),
                   "all_baselines_agree": all(m["check"]["agree"] for m in measured.values())}

    rows = []
    for size in scaling:
        say(f"scaling: core alone at {size:,} responses")
        v, g, p, k = make_data(responses=size, items=items, teams=teams,
                               organisations=organisations, systems=systems, seed=seed)
        seconds, _, _, _ = _median_seconds(lambda v=v, g=g, p=p, k=k: core(v, g, p, k,
                                                                         workers=workers),
                                        repeat)
        rows.append({"responses": size, "core_seconds": round(seconds, 3),
                     "seconds_per_million": round(seconds / size * 1e6, 3)})
        del v, g
    if rows:
        result["scaling"] = rows
    result["goals"] = GOALS
    met: dict[str, bool] = {"peak_memory_over_input_max": result["peak_memory_over_input"]
                            <= GOALS["peak_memory_over_input_max"]}
    if responses == 1_000_000:
        met["core_seconds_at_1m_max"] = core_s < GOALS["core_seconds_at_1m_max"]
    if measured:
        met["speedup_over_fastest_baseline_min"] = (
            result["speedup_over_fastest_baseline"] >= GOALS["speedup_over_fastest_baseline_min"])
    result["goals_met"] = met
    return result
