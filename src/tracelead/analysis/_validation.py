"""Input checks shared by the analysis modules.

Every check raises :class:`ValueError` with a message that names the argument and what
is allowed, in the style of scikit-learn. ``assert`` is never used for input checks
because it disappears under ``python -O``.
"""

from __future__ import annotations

import numbers

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def as_float_1d(values: npt.ArrayLike, name: str) -> FloatArray:
    """Return ``values`` as a one-dimensional float array (NaN = missing)."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must contain numbers or NaN for missing answers") from exc
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got an array of shape {arr.shape}")
    if np.isinf(arr).any():
        raise ValueError(f"{name} must not contain infinite values; use NaN for missing")
    return arr


def as_float_2d(values: npt.ArrayLike, name: str, rows: str, cols: str) -> FloatArray:
    """Return ``values`` as a two-dimensional float array of ``rows`` x ``cols``."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must contain numbers or NaN for missing answers") from exc
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be two-dimensional ({rows} x {cols}); got an array of shape {arr.shape}"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty: it needs at least one of {rows} and of {cols}")
    if np.isinf(arr).any():
        raise ValueError(f"{name} must not contain infinite values; use NaN for missing")
    return arr


def check_scale_points(scale_points: object) -> int:
    """Return ``scale_points`` as an int, or raise if it is not an integer of at least 2."""
    if isinstance(scale_points, bool) or not isinstance(scale_points, numbers.Integral):
        raise ValueError(f"scale_points must be an integer of at least 2; got {scale_points!r}")
    if int(scale_points) < 2:
        raise ValueError(f"scale_points must be an integer of at least 2; got {scale_points}")
    return int(scale_points)


def check_confidence(confidence: object) -> float:
    """Return ``confidence`` as a float strictly between 0 and 1."""
    if isinstance(confidence, bool) or not isinstance(confidence, numbers.Real):
        raise ValueError(f"confidence must be a number between 0 and 1; got {confidence!r}")
    value = float(confidence)
    if not 0.0 < value < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1; got {confidence}")
    return value


def check_positive_int(value: object, name: str, minimum: int = 1) -> int:
    """Return ``value`` as an int of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer of at least {minimum}; got {value!r}")
    if int(value) < minimum:
        raise ValueError(f"{name} must be an integer of at least {minimum}; got {value}")
    return int(value)


def check_on_scale(values: FloatArray, scale_points: int, name: str) -> None:
    """Raise unless every non-missing value is a whole number from 1 to ``scale_points``."""
    answered = values[~np.isnan(values)]
    bad = (answered < 1) | (answered > scale_points) | (answered != np.round(answered))
    if bad.any():
        example = answered[bad][0]
        raise ValueError(
            f"{name} must hold whole numbers from 1 to {scale_points} (scale_points) or NaN "
            f"for missing; found {example:g}"
        )


def check_choice(value: object, name: str, allowed: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``allowed``; otherwise raise naming the choices."""
    if not isinstance(value, str) or value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {choices}; got {value!r}")
    return value
