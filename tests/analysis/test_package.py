"""The package's public face: the contract names, no Django, and working examples."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import tracelead.analysis as analysis

MODULES = ["agreement", "audit", "categories", "change", "disclosure", "exchange", "focus",
           "network", "polls", "profile", "reach", "reliability", "report"]


def test_it_exports_the_names_the_web_application_relies_on():
    from tracelead.analysis import (  # noqa: F401
        ChangeResult,
        ConditionResult,
        DisclosureDecision,
        Focus,
        GroupProfile,
        ItemDistribution,
        compare_rounds,
        condition_profile,
        disclose,
        focus_condition,
        groups_report,
        self_other_gap,
        suppress_hierarchy,
    )

    for name in analysis.__all__:
        assert hasattr(analysis, name), name


def test_it_imports_without_django():
    src = Path(__file__).resolve().parents[2] / "src"
    code = ("import sys; import tracelead.analysis; "
            "print(any(m == 'django' or m.startswith('django.') for m in sys.modules))")
    # a fixed command run with this interpreter, no outside input
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,  # noqa: S603
                         env={"PYTHONPATH": str(src)}, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("module", MODULES)
def test_its_docstring_examples_run(module):
    mod = importlib.import_module(f"tracelead.analysis.{module}")
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
