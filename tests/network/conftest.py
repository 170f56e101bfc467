"""Fixtures for the relationships tests: the academy's Northbrook academy (the same
fixtures as ``tests/academy``, loaded from there)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

# The academy's fixtures (academy, hospital, council, charity, make_member, make_event).
_spec = importlib.util.spec_from_file_location(
    "academy_fixtures", Path(__file__).resolve().parents[1] / "academy" / "conftest.py")
assert _spec is not None and _spec.loader is not None
_academy_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_academy_fixtures)
academy = _academy_fixtures.academy
hospital = _academy_fixtures.hospital
council = _academy_fixtures.council
charity = _academy_fixtures.charity
make_event = _academy_fixtures.make_event
make_member = _academy_fixtures.make_member
