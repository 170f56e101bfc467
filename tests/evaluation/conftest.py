"""Fixtures for the evaluation tests: the academy's fixtures (loaded from
``tests/academy``) and a programme with three workshops."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

_spec = importlib.util.spec_from_file_location(
    "academy_fixtures_for_evaluation",
    Path(__file__).resolve().parents[1] / "academy" / "conftest.py")
assert _spec is not None and _spec.loader is not None
_academy_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_academy_fixtures)
academy = _academy_fixtures.academy
hospital = _academy_fixtures.hospital
council = _academy_fixtures.council
charity = _academy_fixtures.charity
make_event = _academy_fixtures.make_event
make_member = _academy_fixtures.make_member


@pytest.fixture
def programme(academy: Any) -> Any:
    """"Leading Together", under the academy's first offer."""
    from tracelead.academy import services

    return services.programme_save(academy=academy, offer=academy.offers.first(),
                                   name="Leading Together",
                                   purpose="Get people home from hospital sooner.")
