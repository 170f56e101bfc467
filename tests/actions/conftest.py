"""Two published rounds of one team, a year apart, for the action-plan tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest


def spread_rows(seed: int, n: int, keys: tuple[str, ...], centre: float) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    return [
        {k: int(v) for k, v in zip(keys, np.clip(np.rint(rng.normal(centre, 0.8, len(keys))),
                                                   1, 5), strict=True)}
        for _ in range(n)
    ]


@pytest.fixture
def two_rounds(system: Any, team: Any, make_assessment: Any, add_responses: Any,
               close_and_publish: Any, trace: Any) -> dict[str, Any]:
    """Ward 7's "Winter 2025" round (7 answers around 2.5) and its "Spring 2026" round
    (8 answers around 4), both closed and published."""
    from tracelead.publishing.gate import publish_due
    from tracelead.publishing.services import cycle_create

    winter = cycle_create(system=system, name="Winter 2025", threshold=5, comment_threshold=10)
    before = make_assessment(team, cycle=winter, title="Ward 7 – winter",
                             opens_on=dt.date(2025, 1, 6), closes_on=dt.date(2025, 2, 6))
    add_responses(before, spread_rows(1, 7, trace.item_keys, 2.5))
    publish_due(winter)
    spring = cycle_create(system=system, name="Spring 2026", threshold=5, comment_threshold=10)
    now = make_assessment(team, cycle=spring, title="Ward 7 – spring")
    add_responses(now, spread_rows(2, 8, trace.item_keys, 4.0))
    close_and_publish(now)
    return {"before": before, "now": now, "winter": winter, "spring": spring}
