"""Questionnaires as data: versioned YAML instruments and the loader that checks them.

>>> from tracelead.instruments import get_instrument
>>> trace = get_instrument("trace")
>>> [scale.key for scale in trace.scales]
['task', 'route', 'alignment', 'capability', 'energy']

An instrument file is validated on load; a malformed one raises
:class:`InstrumentError` naming the file, the line and the field. Extra instruments are
picked up from the directories in ``TRACELEAD_INSTRUMENT_DIRS`` without code changes.
"""

from __future__ import annotations

from .errors import InstrumentError
from .loader import load_instrument, parse_instrument
from .models import (
    Instrument,
    Item,
    Practice,
    Prompt,
    RaterKind,
    ResponseOption,
    Scale,
    Space,
    Translation,
)
from .registry import ENV_VAR, available_instruments, get_instrument, instrument_dirs

__all__ = [
    "ENV_VAR",
    "Instrument",
    "InstrumentError",
    "Item",
    "Practice",
    "Prompt",
    "RaterKind",
    "ResponseOption",
    "Scale",
    "Space",
    "Translation",
    "available_instruments",
    "get_instrument",
    "instrument_dirs",
    "load_instrument",
    "parse_instrument",
]
