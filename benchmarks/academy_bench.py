"""Time the academy's reach and attendance pages at scale and print the figures as JSON.

    python benchmarks/academy_bench.py                       # 20,000 members, 2,000 events,
                                                             # 200,000 check-ins; SQLite
    DATABASE_URL=postgres://app@127.0.0.1:5544/tracelead python benchmarks/academy_bench.py
    python benchmarks/academy_bench.py --members 2000 --events 200 --attendances 20000

The data go into a throwaway database on the server ``DATABASE_URL`` names (Django's test
database, created and dropped by the run; SQLite: in memory), never into the database the
application uses. The pages are timed through Django's test client as a facilitator; the
target is under 0.5 s each on PostgreSQL. ``tracelead bench academy`` runs the same.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=2_000)
    parser.add_argument("--attendances", type=int, default=200_000)
    parser.add_argument("--organisations", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tl-academy-bench-") as data_dir:
        os.environ.setdefault("TRACELEAD_DATA_DIR", data_dir)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracelead.settings")
        try:
            import tracelead  # noqa: F401
        except ModuleNotFoundError:  # running from a checkout without installing
            sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
        import django

        django.setup()
        from tracelead.benchmarks.academy_bench import run

        figures = run(members=args.members, events=args.events, attendances=args.attendances,
                      organisations=args.organisations, repeat=args.repeat, seed=args.seed,
                      progress=lambda text: print(text, file=sys.stderr, flush=True))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
