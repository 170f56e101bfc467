"""Benchmark the analysis core at NHS scale against four baselines; print JSON.

    python benchmarks/analysis.py                          # 1,000,000 x 35, all baselines
    python benchmarks/analysis.py --responses 100000       # smaller
    python benchmarks/analysis.py --no-baseline --scaling 100000 1000000 5000000
    python benchmarks/analysis.py --only Polars --only DuckDB

The baselines (per-group apply, pandas vectorised, Polars, DuckDB) run on the full data
in the same run and are checked against the core; see
``tracelead.benchmarks.analysis_bench``. Same as ``tracelead bench analysis``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

try:
    from tracelead.benchmarks.analysis_bench import BASELINES, MissingExtra, run
except ModuleNotFoundError:  # running from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from tracelead.benchmarks.analysis_bench import BASELINES, MissingExtra, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=35)
    parser.add_argument("--teams", type=int, default=20_000)
    parser.add_argument("--organisations", type=int, default=200)
    parser.add_argument("--systems", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--only", action="append", choices=list(BASELINES))
    parser.add_argument("--scaling", type=int, nargs="*", default=[])
    args = parser.parse_args()
    try:
        result = run(responses=args.responses, items=args.items, teams=args.teams,
                     organisations=args.organisations, systems=args.systems, seed=args.seed,
                     baseline=not args.no_baseline, baselines=args.only, repeat=args.repeat,
                     workers=args.workers, scaling=args.scaling,
                     progress=lambda message: print(message, file=sys.stderr))
    except MissingExtra as error:
        print(error, file=sys.stderr)
        raise SystemExit(1) from None
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
