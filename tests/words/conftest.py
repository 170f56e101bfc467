"""Fixtures for the words tests: published rounds whose task statements have a known
structure, and a poll with open-text answers."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import words_fixtures as fx

# The academy's fixtures (academy, ...) for the poll's themes.
_spec = importlib.util.spec_from_file_location(
    "academy_fixtures_for_words", Path(__file__).resolve().parents[1] / "academy" / "conftest.py")
assert _spec is not None and _spec.loader is not None
_academy_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_academy_fixtures)
academy = _academy_fixtures.academy
make_event = _academy_fixtures.make_event



@pytest.fixture
def published_statements(make_assessment: Any, add_responses: Any,
                         close_and_publish: Any) -> Any:
    """``published_statements(group, statements, changes=..., opens_on=...)``: a round of
    ``group`` with one response per statement (all rated 4), closed and published."""

    def make(group: Any, statements: list[str], *, changes: list[str] | None = None,
             **overrides: Any) -> Any:
        assessment = make_assessment(group, **overrides)
        free_text = []
        for i, statement in enumerate(statements):
            entry = {"task_statement": statement} if statement else {}
            if changes and i < len(changes):
                entry["one_change"] = changes[i]
            free_text.append(entry)
        add_responses(assessment, [4] * len(statements), free_text=free_text)
        close_and_publish(assessment)
        return assessment

    return make


@pytest.fixture
def three_tasks() -> list[str]:
    return list(fx.THREE_TASKS)
