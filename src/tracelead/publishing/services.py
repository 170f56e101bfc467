"""Writes for cycles and publications, each in one transaction and in the audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from tracelead.core.audit import audit_record
from tracelead.core.models import AuditEvent
from tracelead.diagnostics.models import Assessment, AssessmentStatus
from tracelead.organisations.models import System

from .gate import PublishRefused, publish
from .models import MIN_THRESHOLD, Cycle, Publication, PublicationKind

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def _check_thresholds(threshold: int, comment_threshold: int) -> None:
    errors = {}
    if threshold < MIN_THRESHOLD:
        errors["threshold"] = f"The threshold for figures must be at least {MIN_THRESHOLD}."
    if comment_threshold < MIN_THRESHOLD:
        errors["comment_threshold"] = (
            f"The threshold for comments must be at least {MIN_THRESHOLD}."
        )
    elif comment_threshold < threshold:
        errors["comment_threshold"] = (
            "The threshold for comments cannot be lower than the one for figures."
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def cycle_create(*, system: System, name: str, threshold: int, comment_threshold: int,
                 created_by: User | AnonymousUser | None = None) -> Cycle:
    name = name.strip()
    _check_thresholds(threshold, comment_threshold)
    if Cycle.objects.filter(system=system, name__iexact=name).exists():
        raise ValidationError({"name": f"{system.name} already has a cycle called {name}."})
    creator = created_by if created_by is not None and created_by.is_authenticated else None
    cycle = Cycle.objects.create(system=system, name=name, threshold=threshold,
                                 comment_threshold=comment_threshold, created_by=creator)
    audit_record(user=created_by, action=AuditEvent.Action.CHANGED,
                 what=f"created cycle {name} (figures from {threshold}, comments from "
                 f"{comment_threshold})", system_id=system.pk)
    return cycle


@transaction.atomic
def cycle_update(*, cycle: Cycle, name: str, threshold: int, comment_threshold: int,
                 changed_by: User | AnonymousUser | None = None) -> Cycle:
    """Rename a cycle, or change its thresholds until the first answers of any round."""
    locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
    name = name.strip()
    changed = (threshold, comment_threshold) != (locked.threshold, locked.comment_threshold)
    if changed and locked.thresholds_locked:
        raise ValidationError(
            {"threshold": "The thresholds are fixed: answers have already arrived in this cycle."}
        )
    _check_thresholds(threshold, comment_threshold)
    if Cycle.objects.filter(system_id=locked.system_id, name__iexact=name).exclude(
            pk=locked.pk).exists():
        raise ValidationError({"name": f"There is already a cycle called {name}."})
    before = (locked.name, locked.threshold, locked.comment_threshold)
    locked.name, locked.threshold, locked.comment_threshold = name, threshold, comment_threshold
    locked.save()
    changes = []
    if name != before[0]:
        changes.append(f"name {name}")
    if changed:
        changes.append(f"thresholds {before[1]}/{before[2]} to {threshold}/{comment_threshold}")
    if changes:
        audit_record(user=changed_by, action=AuditEvent.Action.CHANGED,
                     what=f"cycle {before[0]}: {', '.join(changes)}", system_id=locked.system_id)
    return locked


def publishing_point(*, assessment: Assessment,
                     user: User | AnonymousUser | None = None) -> Publication:
    """Publish an open round's results now (refused below a threshold's worth of news)."""
    if assessment.status != AssessmentStatus.OPEN:
        raise PublishRefused("Only an open round can be published early; a closed round is "
                             "published when it closes.")
    publication = publish(assessment.cycle, kind=PublicationKind.POINT,
                          point_round=assessment.pk, user=user)
    if publication is None:  # pragma: no cover - a point always makes a publication
        raise PublishRefused("Nothing was published.")
    return publication
