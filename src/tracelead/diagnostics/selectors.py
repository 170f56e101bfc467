"""Reads for assessments and their results."""

from __future__ import annotations

from typing import Any

from .models import Assessment


def assessment_results(assessment: Assessment, *, show_progress: bool = True) -> Any:
    """The results of one assessment, exactly as its group report decides.

    Disclosure (the threshold, cells with too few answers, and complementary suppression
    along the group hierarchy) is decided once, in ``tracelead.reports.selectors``; the
    assessment page and the API read the same object.
    """
    from tracelead.reports.selectors import group_report

    return group_report(assessment, show_progress=show_progress)
