"""Direction, alignment and commitment beside TRACE, for a group that has taken both.

A group's DAC report and its TRACE report are each built from their own published round
(:func:`tracelead.reports.builders.group_report`, which goes through the gate); this
module only sets the two side by side, outcome by outcome with the TRACE conditions that
feed each (``docs/dac.md``: our reading, not a validated model). Nothing is shown unless
both rounds are published and shown, and a hidden condition stays hidden here.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracelead.diagnostics.models import Assessment

from .builders import group_report
from .figures import ConditionFigure, GroupReport

#: The TRACE conditions that feed each DAC outcome (docs/dac.md).
FEEDS: dict[str, tuple[str, ...]] = {
    "direction": ("task", "route"),
    "alignment": ("alignment", "route"),
    "commitment": ("energy", "capability"),
}
PAIRED = {"dac": "trace", "trace": "dac"}
# Earlier rounds of the other questionnaire tried for one that is shown.
ROUNDS_TRIED = 5


@dataclass(frozen=True)
class BesideRow:
    outcome: ConditionFigure
    feeds: tuple[ConditionFigure, ...]


@dataclass(frozen=True)
class Beside:
    dac: GroupReport
    trace: GroupReport
    rows: tuple[BesideRow, ...]


def dac_beside_trace(report: GroupReport) -> Beside | None:
    """The group's DAC and TRACE reports side by side, or None when the group has no
    shown round of the other questionnaire (or this report is not shown)."""
    other_key = PAIRED.get(report.assessment.instrument_key)
    if other_key is None or not report.disclosed:
        return None
    candidates = (Assessment.objects.filter(group_id=report.group.pk, instrument_key=other_key)
                  .exclude(pk=report.assessment.pk).order_by("-opens_on", "-id"))
    other = next((r for r in (group_report(a) for a in candidates[:ROUNDS_TRIED])
                  if r.disclosed), None)
    if other is None:
        return None
    dac, trace = (report, other) if other_key == "trace" else (other, report)
    conditions = {c.key: c for c in trace.conditions}
    rows = tuple(BesideRow(c, tuple(conditions[k] for k in FEEDS.get(c.key, ())
                                    if k in conditions))
                 for c in dac.conditions)
    return Beside(dac=dac, trace=trace, rows=rows)
