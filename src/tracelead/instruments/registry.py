"""Find instruments by key and version among the bundled files and any extra directories.

Every ``*.yaml`` file in this package's directory is an instrument, and so is every
``*.yaml`` file in the directories listed in ``TRACELEAD_INSTRUMENT_DIRS``
(separated by ``os.pathsep``). Adding an instrument therefore needs a file, not code.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import InstrumentError
from .loader import load_instrument, version_sort_key
from .models import Instrument

ENV_VAR = "TRACELEAD_INSTRUMENT_DIRS"
BUNDLED_DIR = Path(__file__).resolve().parent


def instrument_dirs() -> tuple[Path, ...]:
    """The directories searched for instruments: the bundled one, then the extra ones.

    Raises
    ------
    InstrumentError
        If a directory named in ``TRACELEAD_INSTRUMENT_DIRS`` does not exist, so that a
        typing mistake in configuration is not mistaken for a missing instrument.
    """
    dirs = [BUNDLED_DIR]
    for entry in os.environ.get(ENV_VAR, "").split(os.pathsep):
        if not entry.strip():
            continue
        path = Path(entry.strip()).expanduser().resolve()
        if not path.is_dir():
            raise InstrumentError(f"{ENV_VAR}: {entry.strip()!r} is not a directory")
        if path not in dirs:
            dirs.append(path)
    return tuple(dirs)


def available_instruments() -> list[Instrument]:
    """Every instrument found, sorted by key and then by version (oldest first).

    Raises
    ------
    InstrumentError
        If any file is malformed (a broken instrument is a deployment error, reported
        rather than skipped), or if two files declare the same key and version.
    """
    found: dict[tuple[str, str], Instrument] = {}
    for directory in instrument_dirs():
        for path in sorted(directory.glob("*.yaml")):
            instrument = load_instrument(path)
            ident = (instrument.key, instrument.version)
            if ident in found:
                raise InstrumentError(
                    f"instrument {instrument.key!r} version {instrument.version!r} is "
                    f"defined twice: {found[ident].source_path} and {path}"
                )
            found[ident] = instrument
    return sorted(found.values(), key=lambda i: (i.key, version_sort_key(i.version)))


def get_instrument(key: str, version: str | None = None) -> Instrument:
    """The instrument with this key, at ``version`` or, when ``None``, the latest version.

    Raises
    ------
    InstrumentError
        If no instrument has this key, or it has no such version; the message lists
        what is available.
    """
    candidates = [i for i in available_instruments() if i.key == key]
    if not candidates:
        known = sorted({i.key for i in available_instruments()})
        raise InstrumentError(
            f"no instrument {key!r}; available instruments: {', '.join(known) or '(none)'}"
        )
    if version is None:
        return candidates[-1]
    for instrument in candidates:
        if instrument.version == version:
            return instrument
    raise InstrumentError(
        f"instrument {key!r} has no version {version!r}; "
        f"available versions: {', '.join(i.version for i in candidates)}"
    )
