"""Assessment rounds, the links respondents use, and what they answer.

Results are never stored: they are derived from :class:`Response` rows by the analysis
core each time they are asked for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from tracelead.organisations.models import Group
from tracelead.publishing.models import (
    DEFAULT_COMMENT_THRESHOLD,
    DEFAULT_THRESHOLD,
    MIN_THRESHOLD,
    Cycle,
)

from .packing import pack_answers

__all__ = [
    "DEFAULT_COMMENT_THRESHOLD",
    "DEFAULT_THRESHOLD",
    "MIN_THRESHOLD",
    "Assessment",
    "AssessmentStatus",
    "Invitation",
    "OpenLinkCode",
    "OpenLinkSubmission",
    "RaterKind",
    "Response",
    "ResponseDraft",
    "pack_answers",
]


class RaterKind(models.TextChoices):
    SELF = "self", "Self (the leader rating themselves)"
    MEMBER = "member", "Member of the group"
    STAKEHOLDER = "stakeholder", "Stakeholder outside the group"


class AssessmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Not open yet"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Assessment(models.Model):
    """One round of an instrument for one group, in one reporting cycle of its system.

    The anonymity thresholds are the cycle's: every round of a cycle is published with the
    same ones, so that one round's setting cannot change what other groups show.
    """

    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="assessments")
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="assessments")
    title = models.CharField(max_length=200)
    instrument_key = models.CharField(max_length=50, default="trace")
    instrument_version = models.CharField(max_length=20)
    rater_kinds = models.JSONField(default=list)
    opens_on = models.DateField()
    closes_on = models.DateField()
    open_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # The open link can ask for an email address in these domains, confirmed by a one-time
    # code; without that, responses are unverified and the round's threshold is doubled.
    open_link_verify = models.BooleanField(default=False)
    open_link_domains = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opens_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_on__gte=models.F("opens_on")),
                name="closes_after_opening",
            ),
            models.UniqueConstraint(fields=["cycle", "group"], name="one_round_per_group_in_cycle"),
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
    def threshold(self) -> int:
        """The cycle's threshold for figures (see the gate for unverified open links)."""
        return int(self.cycle.threshold)

    @property
    def comment_threshold(self) -> int:
        return int(self.cycle.comment_threshold)

    @property
    def thresholds_locked(self) -> bool:
        """Thresholds are fixed once the first answers arrive in the cycle."""
        return bool(self.cycle.thresholds_locked)

    def rater_kind_labels(self) -> list[str]:
        return [RaterKind(kind).label for kind in self.rater_kinds]


class Invitation(models.Model):
    """An unguessable link for one respondent. Its token never reaches a response.

    Only a hash of the token is stored: the link is shown (or downloaded) once, when it is
    made, and can afterwards only be re-issued, which voids the old one. ``used`` is for the
    system (exactly-once submission, reminders); no page, export or API shows it per person.
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    rater_kind = models.CharField(max_length=20, choices=RaterKind.choices)
    label = models.CharField(
        max_length=200, blank=True, help_text="For the facilitator's mail merge only."
    )
    used = models.BooleanField(default=False)
    # Set when a used link is re-issued: the new link then looks like a link never started
    # (and can never submit), so that re-issuing and opening it tells nobody that this
    # person had answered.
    reissued_after_use = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    # The clear token, set only on the objects returned when a link is made or re-issued.
    token: str = ""

    def __str__(self) -> str:
        return self.label or f"Invitation {self.pk}"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


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
    # A personal link's draft is readable only from the device that started it (a random
    # key in a cookie, stored as a hash) or with the resume code shown to the respondent.
    holder_hash = models.CharField(max_length=64, blank=True, default="")
    resume_hash = models.CharField(max_length=128, blank=True, default="")
    # On a verifying open link: the keyed hash of the confirmed email address, until the
    # draft is submitted (then the claim moves to OpenLinkSubmission, never to Response).
    verified_hash = models.CharField(max_length=64, blank=True, default="")
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
            models.UniqueConstraint(
                fields=["assessment", "verified_hash"],
                condition=~models.Q(verified_hash=""),
                name="one_draft_per_verified_address",
            ),
        ]

    def __str__(self) -> str:
        return f"Draft {self.pk} of {self.assessment_id}"


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
    # The publication that first showed this response (NULL until then): the gate checks
    # each new publication against every earlier one over these batches.
    publication = models.ForeignKey(
        "publishing.Publication", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="responses",
    )

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
    """Marks that a device has submitted through the open link or, on a round whose open
    link verifies addresses, that an address has claimed its one response.

    ``device_hash`` is the SHA-256 of the device's random key, or the keyed hash
    (HMAC-SHA256 with the secret key) of the normalised address. An address's claim is
    written when its code is confirmed, before any answer exists, never when it submits.
    """

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


class OpenLinkCode(models.Model):
    """A one-time code sent to an email address to verify it on an open link.

    Nothing here is in clear: the address and the code are kept as keyed hashes, and the
    device that asked for the code as the hash of a random key in its cookie. A code lasts
    15 minutes, allows a few wrong tries and is deleted when it is confirmed.
    """

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="open_link_codes"
    )
    key_hash = models.CharField(max_length=64, db_index=True)
    email_hash = models.CharField(max_length=64)
    code_hash = models.CharField(max_length=64)
    rater_kind = models.CharField(max_length=20, choices=RaterKind.choices)
    attempts = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Open-link code {self.pk}"
