"""Shared fixtures for the instrument tests: a small valid instrument to break on purpose."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

try:
    import tracelead.instruments  # noqa: F401
except ModuleNotFoundError:  # the package is not installed yet: test the source tree
    sys.path.insert(0, str(REPO_ROOT / "src"))

from tracelead.instruments import ENV_VAR  # noqa: E402

# Line numbers matter: the error tests assert them. Keep one field per line.
MINI_YAML = """\
key: mini
version: "1.0"
title: Mini
description: A tiny instrument used by the tests.
introduction: Please answer for the group as it is now.
minutes: 2
response_scale:
  - value: 1
    label: "No"
  - value: 2
    label: "Yes"
dont_know_label: Not sure
scales:
  - key: direction
    name: Direction
    question: Do we agree where we are going?
    description: Shared direction.
    items:
      - key: direction_1
        text: We agree on where we are heading.
      - key: direction_2
        text: We know what matters most this year.
rater_kinds:
  - key: member
    label: Member
    description: Someone in the group.
"""

WriteYaml = Callable[..., Path]


@pytest.fixture
def mini_yaml() -> str:
    """A small valid instrument (one scale, two items) to copy and break."""
    return MINI_YAML


@pytest.fixture
def broken() -> Callable[[str, str], str]:
    """MINI_YAML with exactly one occurrence of ``old`` replaced by ``new``."""

    def replace(old: str, new: str) -> str:
        assert MINI_YAML.count(old) == 1, old
        return MINI_YAML.replace(old, new)

    return replace


@pytest.fixture(autouse=True)
def no_extra_instrument_dirs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts from the bundled instruments only, whatever the shell exports."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    yield


@pytest.fixture
def write_yaml(tmp_path: Path) -> WriteYaml:
    """Write YAML text to ``tmp_path/<name>`` (sub-folders allowed) and return the path."""

    def write(text: str, name: str = "mini.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write
