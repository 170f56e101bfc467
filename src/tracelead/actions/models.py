"""What a team does with its report, who it is shared with, and how a round fills up.

* :class:`Action`: one thing a group's team means to do about a condition of the TRACE
  model, recorded from a round's report and reviewed in the next round's report.
* :class:`ViewerInvitation`: a facilitator's invitation, by email, for someone without an
  account to become a viewer of a system, an organisation or a group.
* :class:`ResponseTally`: how many had answered an open round by the end of a day, kept
  only when the count was at or over the round's threshold (what the round's own page
  showed that day), so that the tracking chart never holds a count the gate would hide.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models

from tracelead.diagnostics.models import Assessment
from tracelead.organisations.models import Group, Organisation, System


class ActionStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


class Action(models.Model):
    """One action of a group's plan, about one condition (and perhaps one practice).

    ``assessment`` is the round whose report the action answers; the group is kept too,
    so that a group's plan survives the order in which its rounds are read.
    """

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="actions")
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(max_length=200)
    condition = models.CharField(max_length=50)
    practice = models.CharField(max_length=200, blank=True)
    owner = models.CharField(max_length=200)
    due_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=ActionStatus.choices,
                              default=ActionStatus.NOT_STARTED)
    note = models.TextField(blank=True, max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.title


class ViewerInvitation(models.Model):
    """An invitation to view a scope, for an address with no account yet.

    Only a hash of the token is kept; the clear link goes out once, in the email. The
    grant is made when the invitation is accepted (the person chooses a password).
    """

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(organisation__isnull=True) | models.Q(group__isnull=True),
                name="viewer_invitation_one_scope",
            )
        ]

    def __str__(self) -> str:
        return f"Invitation for {self.email}"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class ResponseTally(models.Model):
    """The count of an open round's responses (self ratings apart) at the end of a day.

    A row exists only for a day on which the count, once it changed, was at or over the
    round's threshold: the same number the round's page showed that day. Days below the
    threshold leave no row, so nothing stored says when the first few people answered.
    """

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="response_tallies"
    )
    day = models.DateField()
    n = models.PositiveIntegerField()
    invited = models.PositiveIntegerField(default=0)
    open_link = models.BooleanField(default=False)

    class Meta:
        ordering = ["assessment_id", "day"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "day"], name="one_tally_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id} on {self.day}: {self.n}"
