"""Answers packed as one digit per item, and decoded many at a time.

A response keeps its answers twice: as JSON (item key to 1..A, or null for "Don't know")
and packed, one character per item in the instrument's order, "0" for "Don't know" or no
answer, so that many responses decode in one ``np.frombuffer``. Packing refuses a scale
that one digit cannot hold rather than silently losing answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

# One digit per answer: 1..9 are answers, 0 is missing.
MAX_PACKED_SCALE = 9


def pack_answers(item_keys: Sequence[str], answers: Mapping[str, Any]) -> str:
    """Answers as one digit per item ("0" for Don't know or no answer)."""
    digits = []
    for key in item_keys:
        value = answers.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > MAX_PACKED_SCALE:
            raise ValueError(
                f"answer {value} to {key!r} does not fit one digit; packed answers hold "
                f"scales of at most {MAX_PACKED_SCALE} points"
            )
        digits.append(str(value) if isinstance(value, int) and value > 0 else "0")
    return "".join(digits)


def answers_matrix(answers: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> np.ndarray:
    """Respondents x items as floats; null ("Don't know") and missing keys become NaN."""
    if not answers:
        return np.empty((0, len(keys)))
    return np.array([[a.get(k) for k in keys] for a in answers], dtype=float)


def unpack_answers(packed: Sequence[str], width: int,
                   answers: Sequence[Mapping[str, Any]] | None = None,
                   keys: Sequence[str] | None = None) -> np.ndarray:
    """Decode packed rows into respondents x items (NaN missing) with one ``np.frombuffer``.

    Rows whose packed form does not have ``width`` digits (another instrument version, or
    written before packing existed) are read from ``answers`` with ``keys`` instead.
    """
    n = len(packed)
    values = np.full((n, width), np.nan)
    fits = np.fromiter((len(p) == width for p in packed), dtype=bool, count=n)
    good = np.flatnonzero(fits)
    if good.size:
        buffer = "".join(packed[int(i)] for i in good).encode("ascii")
        digits = np.frombuffer(buffer, dtype=np.uint8).reshape(good.size, width) - ord("0")
        decoded = digits.astype(float)
        decoded[digits == 0] = np.nan
        values[good] = decoded
    odd = np.flatnonzero(~fits)
    if odd.size:
        if answers is None or keys is None:
            raise ValueError("some packed rows do not fit; pass their answers and keys")
        values[odd] = answers_matrix([answers[int(i)] for i in odd], keys)
    return values
