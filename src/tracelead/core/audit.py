"""The audit log of who viewed and exported results (UK GDPR accountability)."""

from __future__ import annotations

from typing import Any

from .models import AuditEvent


def audit_record(
    *,
    user: Any,
    action: str,
    what: str,
    group_id: int | None = None,
    assessment_id: int | None = None,
    system_id: int | None = None,
    via: str = "web",
) -> AuditEvent:
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return AuditEvent.objects.create(
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "(command line)",
        action=action,
        what=what[:200],
        group_id=group_id,
        assessment_id=assessment_id,
        system_id=system_id,
        via=via,
    )


def audit_assessment(
    *, user: Any, action: str, assessment: Any, what: str, via: str = "web"
) -> AuditEvent:
    """Record that a user viewed or exported something of one assessment's results."""
    return audit_record(
        user=user,
        action=action,
        what=f"{what} of {assessment.title}",
        group_id=assessment.group_id,
        assessment_id=assessment.pk,
        system_id=assessment.group.system_id,
        via=via,
    )
