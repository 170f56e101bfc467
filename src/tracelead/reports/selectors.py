"""The reads of the reports, under the name callers have long imported them by.

The reports live in :mod:`tracelead.reports.builders` (building them from a publication),
:mod:`tracelead.reports.figures` (what they hold), :mod:`tracelead.reports.hierarchy` (the
group tree the many-groups report walks) and :mod:`tracelead.reports.summaries` (their
plain-English sentences). New code imports from those.
"""

from .builders import group_report, many_groups_report
from .figures import MEASURES, GroupReport, ManyGroupsReport
from .summaries import WITHHELD_SENTENCE

__all__ = [
    "MEASURES",
    "WITHHELD_SENTENCE",
    "GroupReport",
    "ManyGroupsReport",
    "group_report",
    "many_groups_report",
]
