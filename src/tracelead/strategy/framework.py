"""The bundled behaviour frameworks: data files a strategy's first version is copied from.

Each ``*.yaml`` file here is a framework with a ``key``, a ``version``, a ``title`` and
its ``behaviours`` (``key``, ``kind``: ``every``, ``role`` or ``collective``, ``title``,
``description``; ``role`` for a role's behaviours). A broken file is a deployment error
and is reported with its name and the problem.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

DIRECTORY = Path(__file__).resolve().parent / "frameworks"
DEFAULT_KEY = "everyday-leadership"
KINDS = ("every", "role", "collective")
KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")


class FrameworkError(ValueError):
    """A bundled framework file that cannot be used."""


@dataclass(frozen=True)
class BehaviourSpec:
    key: str
    kind: str
    title: str
    description: str
    role: str = ""


@dataclass(frozen=True)
class FrameworkSpec:
    key: str
    version: str
    title: str
    behaviours: tuple[BehaviourSpec, ...]


def _text(entry: dict[str, object], field: str, where: str) -> str:
    value = entry.get(field)
    if not isinstance(value, str) or not value.strip():
        raise FrameworkError(f"{where}: {field} is required text")
    return value.strip()


def load(path: Path) -> FrameworkSpec:
    where = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise FrameworkError(f"{where}: cannot be read ({error})") from error
    if not isinstance(data, dict) or not isinstance(data.get("behaviours"), list):
        raise FrameworkError(f"{where}: needs key, version, title and a list of behaviours")
    behaviours = []
    seen: set[str] = set()
    for n, entry in enumerate(data["behaviours"]):
        at = f"{where}: behaviours[{n}]"
        if not isinstance(entry, dict):
            raise FrameworkError(f"{at}: must be a mapping")
        key = _text(entry, "key", at)
        if not KEY.match(key) or key in seen:
            raise FrameworkError(f"{at}: key {key!r} must be unique, lower case, "
                                 "letters, digits and hyphens")
        seen.add(key)
        kind = _text(entry, "kind", at)
        if kind not in KINDS:
            raise FrameworkError(f"{at}: kind must be one of {', '.join(KINDS)}")
        role = str(entry.get("role") or "").strip()
        if kind == "role" and not role:
            raise FrameworkError(f"{at}: a role's behaviour names its role")
        behaviours.append(BehaviourSpec(key, kind, _text(entry, "title", at),
                                        " ".join(_text(entry, "description", at).split()),
                                        role))
    return FrameworkSpec(_text(data, "key", where), str(data.get("version", "")).strip()
                         or "1.0", _text(data, "title", where), tuple(behaviours))


@functools.cache
def bundled() -> dict[str, FrameworkSpec]:
    """Every bundled framework by key."""
    found = {}
    for path in sorted(DIRECTORY.glob("*.yaml")):
        spec = load(path)
        found[spec.key] = spec
    return found
