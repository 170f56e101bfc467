"""Assessment rounds, the links respondents use, and what they answer.

Results are never stored: they are derived from :class:`Response` rows by the analysis
core each time they are asked for.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from tracelead.organisations.models import Group

# Disclosure thresholds can be raised per assessment but never set below this floor.
MIN_THRESHOLD = 3
DEFAULT_THRESHOLD = 5
DEFAULT_COMMENT_THRESHOLD = 10


class RaterKind(models.TextChoices):
    SELF = "self", "Self (the leader rating themselves)"
    MEMBER = "member", "Member of the group"
    STAKEHOLDER = "stakeholder", "Stakeholder outside the group"


class AssessmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Not open yet"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Assessment(models.Model):
    """One round of an instrument for one group."""

    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="assessments")
    title = models.CharField(max_length=200)
    instrument_key = models.CharField(max_length=50, default="trace")
    instrument_version = models.CharField(max_length=20)
    rater_kinds = models.JSONField(default=list)
    threshold = models.PositiveSmallIntegerField(
        default=DEFAULT_THRESHOLD, validators=[MinValueValidator(MIN_THRESHOLD)]
    )
    comment_threshold = models.PositiveSmallIntegerField(
        default=DEFAULT_COMMENT_THRESHOLD, validators=[MinValueValidator(MIN_THRESHOLD)]
    )
    opens_on = models.DateField()
    closes_on = models.DateField()
    open_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opens_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(threshold__gte=MIN_THRESHOLD)
                & models.Q(comment_threshold__gte=MIN_THRESHOLD),
                name="thresholds_at_least_floor",
            ),
            models.CheckConstraint(
                condition=models.Q(closes_on__gte=models.F("opens_on")),
                name="closes_after_opening",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.group})"

    def status_on(self, day: dt.date) -> AssessmentStatus:
        if day < self.opens_on:
            return AssessmentStatus.SCHEDULED
        if day > self.closes_on:
            return AssessmentStatus.CLOSED
        return AssessmentStatus.OPEN

    @property
    def status(self) -> AssessmentStatus:
        return self.status_on(timezone.localdate())

    @property
    def thresholds_locked(self) -> bool:
        """Thresholds are fixed once the first answers arrive."""
        return self.responses.exists() or self.drafts.exists()

    def rater_kind_labels(self) -> list[str]:
        return [RaterKind(kind).label for kind in self.rater_kinds]


class Invitation(models.Model):
    """An unguessable link for one respondent. Its token never reaches a response."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="invitations")
    token = models.CharField(max_length=64, unique=True)
    rater_kind = models.CharField(max_length=20, choices=RaterKind.choices)
    label = models.CharField(
        max_length=200, blank=True, help_text="For the facilitator's mail merge only."
    )
    used = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.label or f"Invitation {self.pk}"


class ResponseDraft(models.Model):
    """Answers saved page by page before submission; deleted when the response is submitted.

    A draft belongs either to an invitation or, for the open link, to a device (a random
    key held in a cookie, stored here only as a hash).
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="drafts")
    invitation = models.OneToOneField(
        Invitation, on_delete=models.CASCADE, null=True, blank=True, related_name="draft"
    )
    # NULL, not "", for invitation drafts: the unique constraint must ignore them.
    device_hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    rater_kind = models.CharField(max_length=20, choices=RaterKind.choices, blank=True)
    answers = models.JSONField(default=dict)
    free_text = models.JSONField(default=dict)
    page = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "device_hash"],
                condition=models.Q(device_hash__isnull=False),
                name="one_draft_per_device",
            ),
            models.CheckConstraint(
                condition=models.Q(invitation__isnull=False) | models.Q(device_hash__isnull=False),
                name="draft_has_an_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"Draft {self.pk} of {self.assessment_id}"


def pack_answers(item_keys: Sequence[str], answers: Mapping[str, Any]) -> str:
    """Answers as one digit per item ("0" for Don't know or no answer); see Response."""
    digits = []
    for key in item_keys:
        value = answers.get(key)
        digits.append(str(value) if isinstance(value, int) and 0 < value < 10 else "0")
    return "".join(digits)


class Response(models.Model):
    """One respondent's submitted answers, with nothing that identifies them.

    ``answers`` maps item keys to 1..A, or to null for "Don't know". The random primary
    key and the date (the round's close date, not the moment of submission) keep the order
    of arrival from linking a response to an invitation.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="responses")
    rater_kind = models.CharField(max_length=20, choices=RaterKind.choices)
    answers = models.JSONField()
    # The same answers as one digit per item in the instrument's order ("0" for Don't
    # know or unanswered), so that many groups' responses decode in one NumPy call.
    packed = models.CharField(max_length=1000, blank=True, default="")
    free_text = models.JSONField(default=dict)
    submitted_on = models.DateField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Response {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.packed:
            from tracelead.instruments import get_instrument

            assessment = self.assessment
            instrument = get_instrument(assessment.instrument_key, assessment.instrument_version)
            self.packed = pack_answers(instrument.item_keys, self.answers)
        super().save(*args, **kwargs)


class OpenLinkSubmission(models.Model):
    """Marks that a device has submitted through an assessment's open link."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="open_link_submissions"
    )
    device_hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "device_hash"], name="one_submission_per_device"
            )
        ]

    def __str__(self) -> str:
        return f"Open-link submission {self.pk}"
