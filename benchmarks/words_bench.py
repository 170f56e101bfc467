"""Words at scale: 10,000 free-text answers embedded and grouped into themes.

    .venv/bin/python benchmarks/words_bench.py                   # 10,000, the sentence model
    .venv/bin/python benchmarks/words_bench.py --method tfidf    # the fallback
    .venv/bin/python benchmarks/words_bench.py --n 2000

The answers are made from sentence parts (seeded): eight topics, each with its own subjects
and verbs, and shared openings and endings, so that the themes are really there. Timed
separately: loading the model (once per process, as in a worker), then the whole of
``themes()``: embedding, grouping (average linkage on a 1,500 sample, silhouette,
nearest-centre assignment), keywords (class-based TF-IDF) and quotes. Peak memory is
the process's maximum resident set size (``ru_maxrss``). Prints JSON; exit status 1 if
``themes()`` takes 60 seconds or more, or fewer than six of the eight topics are
found as the largest theme of their own answers.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from collections import Counter

TOPICS = {
    "discharge": (["patients who are fit to leave", "older people on the wards",
                   "people waiting for a care package"],
                  ["get home from hospital sooner", "be discharged without delay",
                   "leave hospital on the day they are ready"]),
    "wellbeing": (["our nurses", "staff on the night shift", "the care workers"],
                  ["feel looked after and stay in their jobs", "get proper breaks and rest",
                   "have their wellbeing taken seriously"]),
    "crisis": (["people in a mental health crisis", "someone in crisis at night"],
               ["get one joined-up response", "be seen by the crisis team first time",
                "not be passed between police and ambulance"]),
    "data": (["the partner organisations", "the teams across the system"],
             ["share the same data", "use one shared care record",
              "stop arguing about whose numbers are right"]),
    "meetings": (["the leadership team", "our board"],
                 ["hold fewer meetings that only report upwards",
                  "spend meetings solving problems together", "keep meetings short"]),
    "recognition": (["people who go the extra mile", "volunteers and staff"],
                    ["are thanked for their effort", "get credit for the work they do",
                     "hear that their work made a difference"]),
    "waiting": (["patients on the surgical waiting list", "people waiting for operations"],
                ["wait less for planned surgery", "have their operations sooner",
                 "are not cancelled on the day"]),
    "prevention": (["residents in the poorest neighbourhoods", "families in the valley"],
                   ["stay well and out of hospital", "get help early before crises",
                    "find support in their community"]),
}
OPENINGS = ["I would like", "We need", "It would help if", "The one change is that",
            "Please make sure", "Most of all,"]
ENDINGS = ["", " this year", " as soon as possible", " across the whole system",
           " without more paperwork"]


def statements(n: int, seed: int = 7) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    texts, topics = [], []
    names = sorted(TOPICS)
    for _ in range(n):
        topic = rng.choice(names)
        subjects, verbs = TOPICS[topic]
        texts.append(f"{rng.choice(OPENINGS)} {rng.choice(subjects)} "
                     f"{rng.choice(verbs)}{rng.choice(ENDINGS)}.")
        topics.append(topic)
    return texts, topics


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--method", choices=["auto", "minilm", "tfidf"], default="auto")
    args = parser.parse_args(argv)

    from tracelead.analysis import text

    load = os.getloadavg()[0]

    texts, topics = statements(args.n)
    started = time.perf_counter()
    if args.method != "tfidf":
        text.embed(["warm up"], method=args.method)  # loads the model once, as a worker does
    loaded = time.perf_counter()
    result = text.themes(texts, method=args.method)
    finished = time.perf_counter()

    theme_of = {i: k for k, theme in enumerate(result.themes) for i in theme.members}
    found = 0
    for topic in TOPICS:
        mine = Counter(theme_of[i] for i, t in enumerate(topics) if t == topic)
        theme, count = mine.most_common(1)[0]
        # The topic's largest theme holds most of it and is mostly this topic.
        members = [topics[i] for i in result.themes[theme].members]
        if count / sum(mine.values()) >= 0.8 and Counter(members)[topic] / len(members) >= 0.8:
            found += 1
    seconds = finished - loaded
    figures = {
        "statements": args.n, "method": result.method, "cores": os.cpu_count(),
        "load_average_at_start": round(load, 2),
        "model_load_seconds": round(loaded - started, 2),
        "embed_and_group_seconds": round(seconds, 2),
        "statements_per_second": round(args.n / max(seconds, 1e-9)),
        "themes": len(result.themes),
        "topics_found": f"{found} of {len(TOPICS)}",
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print(json.dumps(figures, indent=2))
    return 0 if seconds < 60 and found >= 6 else 1


if __name__ == "__main__":
    sys.exit(main())
