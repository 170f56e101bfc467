"""Benchmark the analysis core at NHS scale and print the figures as JSON.

    python benchmarks/analysis.py                      # 1,000,000 x 35, with baseline
    python benchmarks/analysis.py --responses 100000   # smaller
    python benchmarks/analysis.py --no-baseline        # core only
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

try:
    from tracelead.benchmarks.analysis_bench import run
except ModuleNotFoundError:  # running from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from tracelead.benchmarks.analysis_bench import run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=35)
    parser.add_argument("--teams", type=int, default=20_000)
    parser.add_argument("--organisations", type=int, default=200)
    parser.add_argument("--systems", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--baseline-max-responses", type=int, default=100_000)
    args = parser.parse_args()
    result = run(responses=args.responses, items=args.items, teams=args.teams,
                 organisations=args.organisations, systems=args.systems, seed=args.seed,
                 baseline=not args.no_baseline,
                 baseline_max_responses=args.baseline_max_responses,
                 progress=lambda message: print(message, file=sys.stderr))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
