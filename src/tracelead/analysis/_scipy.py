"""SciPy's distributions and sparse matrices, typed as ``Any``.

SciPy ships no type hints and ``scipy-stubs`` is not a dependency; importing through
importlib keeps ``mypy --strict`` clean with or without the stubs installed.
"""

from __future__ import annotations

import importlib
from typing import Any

stats: Any = importlib.import_module("scipy.stats")
sparse: Any = importlib.import_module("scipy.sparse")
