"""How a computed figure leaves the analysis core: JSON has no NaN, and words for bands."""

from __future__ import annotations

import math

from tracelead.analysis import agreement_band

NOT_ENOUGH = "not enough answers"


def finite(value: float | None, digits: int | None = None) -> float | None:
    """``None`` for a missing or NaN figure (JSON has no NaN), else the float, rounded to
    ``digits`` if given."""
    if value is None or math.isnan(value):
        return None
    return float(value) if digits is None else round(float(value), digits)


def agreement_words(value: float | None) -> str:
    """LeBreton and Senter's band for an rwg(j), or "not enough answers" when there is none."""
    return NOT_ENOUGH if value is None or math.isnan(value) else agreement_band(value)
