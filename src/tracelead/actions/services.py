"""Writes of a group's action plan, each in one transaction and in the audit log.

Who may write: anyone who may see the round's report, that is the facilitators who run
the group and the viewers of the group (or of its organisation or system). The plan is
the team's own record, so the team leader, who is usually a viewer, keeps it; access is
checked by the views through :func:`tracelead.organisations.access.assessment_for`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from tracelead.core.audit import audit_record
from tracelead.core.models import AuditEvent
from tracelead.diagnostics.models import Assessment
from tracelead.instruments import Instrument, get_instrument

from .models import Action, ActionStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def instrument_of(assessment: Assessment) -> Instrument:
    return get_instrument(assessment.instrument_key, assessment.instrument_version)


def _check(instrument: Instrument, *, title: str, condition: str, practice: str,
           owner: str, status: str) -> None:
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "Enter what the team will do"
    if not owner.strip():
        errors["owner"] = "Enter who will make sure it happens"
    keys = [scale.key for scale in instrument.scales]
    if condition not in keys:
        errors["condition"] = "Choose one of the conditions listed"
    elif practice and practice not in {p.title for p in instrument.scale(condition).practices}:
        errors["practice"] = "Choose a practice of the chosen condition, or none"
    if status not in ActionStatus.values:
        errors["status"] = "Choose one of the statuses listed"
    if errors:
        raise ValidationError(errors)


def _audit(user: User | AnonymousUser | None, action: Action, what: str) -> None:
    assessment = action.assessment
    audit_record(user=user, action=AuditEvent.Action.CHANGED,
                 what=f"action plan of {action.group.name}: {what}",
                 group_id=action.group_id, assessment_id=assessment.pk,
                 system_id=action.group.system_id)


@transaction.atomic
def action_create(*, assessment: Assessment, title: str, condition: str, owner: str,
                  practice: str = "", due_on: dt.date | None = None,
                  status: str = ActionStatus.NOT_STARTED, note: str = "",
                  created_by: User | AnonymousUser | None = None) -> Action:
    """Add an action to the plan made from one round's report."""
    _check(instrument_of(assessment), title=title, condition=condition, practice=practice,
           owner=owner, status=status)
    creator = created_by if created_by is not None and created_by.is_authenticated else None
    action = Action.objects.create(
        group=assessment.group, assessment=assessment, title=title.strip(),
        condition=condition, practice=practice, owner=owner.strip(), due_on=due_on,
        status=status, note=note.strip(), created_by=creator,
    )
    _audit(created_by, action, f"added “{action.title}” ({action.get_status_display()})")
    return action


@transaction.atomic
def action_update(*, action: Action, title: str, condition: str, owner: str,
                  practice: str = "", due_on: dt.date | None = None,
                  status: str = ActionStatus.NOT_STARTED, note: str = "",
                  changed_by: User | AnonymousUser | None = None) -> Action:
    """Change an action; the audit log says which of its fields changed."""
    locked = Action.objects.select_for_update().select_related(
        "assessment", "group").get(pk=action.pk)
    _check(instrument_of(locked.assessment), title=title, condition=condition,
           practice=practice, owner=owner, status=status)
    new = {"title": title.strip(), "condition": condition, "practice": practice,
           "owner": owner.strip(), "due_on": due_on, "status": status, "note": note.strip()}
    changed = [name for name, value in new.items() if getattr(locked, name) != value]
    if not changed:
        return locked
    before_status = locked.get_status_display()
    for name, value in new.items():
        setattr(locked, name, value)
    locked.save()
    words = []
    for name in changed:
        if name == "status":
            words.append(f"status {before_status} to {locked.get_status_display()}")
        else:
            words.append(name.replace("_on", " date"))
    _audit(changed_by, locked, f"changed “{locked.title}”: {', '.join(words)}")
    return locked
