"""The bundled behaviour frameworks are data: the default one is complete and in the
themes the seeds name; a broken file is refused with its name and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracelead.strategy.framework import FrameworkError, bundled, load

pytestmark = pytest.mark.no_database


def test_the_default_framework_covers_every_leader_roles_and_leaders_together() -> None:
    spec = bundled()["everyday-leadership"]
    kinds = {k: [b.title for b in spec.behaviours if b.kind == k]
             for k in ("every", "role", "collective")}
    assert kinds["every"] == [
        "Compassion and support", "Improving care", "Involving patients and carers",
        "Performance and accountability", "Innovation", "Using data well",
        "Handling poor performance", "Solving problems across the system"]
    assert {"Setting direction together", "Aligning the work", "Building commitment",
            "Solving problems across boundaries",
            "Involving staff in decisions"} == set(kinds["collective"])
    assert all(b.role for b in spec.behaviours if b.kind == "role")
    assert len({b.key for b in spec.behaviours}) == len(spec.behaviours)


@pytest.mark.parametrize(("text", "problem"), [
    ("key: x\nversion: 1\ntitle: X\n", "needs key, version, title and a list of behaviours"),
    ("key: x\ntitle: X\nbehaviours:\n  - {key: a, kind: every, title: A}\n",
     "behaviours[0]: description is required text"),
    ("key: x\ntitle: X\nbehaviours:\n  - {key: a, kind: boss, title: A, description: d}\n",
     "kind must be one of every, role, collective"),
    ("key: x\ntitle: X\nbehaviours:\n  - {key: a, kind: role, title: A, description: d}\n",
     "a role's behaviour names its role"),
    ("key: x\ntitle: X\nbehaviours:\n  - {key: a, kind: every, title: A, description: d}\n"
     "  - {key: a, kind: every, title: B, description: d}\n", "key 'a' must be unique"),
    ("key: [unclosed\n", "cannot be read"),
])
def test_a_broken_framework_file_is_refused_with_its_name(tmp_path: Path, text: str,
                                                         problem: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FrameworkError, match=r"broken\.yaml") as raised:
        load(path)
    assert problem in str(raised.value)
