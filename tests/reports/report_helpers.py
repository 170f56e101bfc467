"""Helpers for the report tests (imported by name, like browser_helpers)."""

from __future__ import annotations

from typing import Any

import numpy as np

SECRET_NAME = "Secret Squirrel team"
SECRET_COMMENT = "PURPLE-ELEPHANT-COMMENT"
PAYLOAD_NAME = '=HYPERLINK("x")'


def varied_rows(seed: int, n: int, keys: tuple[str, ...], *, centre: float = 3.5,
                dont_know: float = 0.05) -> list[dict[str, Any]]:
    """Answers spread around ``centre`` with a few "Don't know" (None)."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        values = np.clip(np.rint(rng.normal(centre, 1.0, len(keys))), 1, 5).astype(int)
        rows.append({k: (None if rng.random() < dont_know else int(v))
                     for k, v in zip(keys, values, strict=True)})
    return rows
