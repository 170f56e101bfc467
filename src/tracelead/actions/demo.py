"""Demo data: an action plan kept after a group's first round, so that its second round's
report shows what was done beside the change, and today's count of the open pulse round."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Count

from tracelead.diagnostics.models import Assessment, AssessmentStatus

from .models import Action, ActionStatus
from .services import instrument_of
from .tracking import tally_record

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from tracelead.organisations.models import System


def actions_demo_load(*, system: System, today: dt.date, facilitator: User | None) -> int:
    """Two actions (one done, one in progress) on the first round of the first group with
    two rounds; returns how many actions were made."""
    group_id = (Assessment.objects.filter(group__system=system).values("group_id")
                .annotate(rounds=Count("id")).filter(rounds__gte=2)
                .order_by("group__name").values_list("group_id", flat=True).first())
    made = 0
    if group_id is not None:
        first = Assessment.objects.filter(group_id=group_id).order_by("opens_on").first()
        if first is not None:
            instrument = instrument_of(first)
            task, energy = instrument.scale("task"), instrument.scale("energy")
            Action.objects.create(
                group_id=group_id, assessment=first, condition=task.key,
                title="Agree the team's three priorities at the away day",
                practice=task.practices[0].title if task.practices else "",
                owner="Team lead", status=ActionStatus.DONE,
                due_on=first.closes_on + dt.timedelta(days=60),
                note="Agreed and pinned up in the staff room.", created_by=facilitator)
            Action.objects.create(
                group_id=group_id, assessment=first, condition=energy.key,
                title="A monthly check-in on workload and morale",
                practice=energy.practices[0].title if energy.practices else "",
                owner="Deputy lead", status=ActionStatus.IN_PROGRESS,
                due_on=first.closes_on + dt.timedelta(days=120),
                note="Held twice so far.", created_by=facilitator)
            made = 2
    for assessment in Assessment.objects.filter(group__system=system):
        if assessment.status_on(today) == AssessmentStatus.OPEN:
            tally_record(assessment_id=assessment.pk, day=today)
    return made
