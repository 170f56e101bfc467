"""Invitees with email addresses, a round's messages, the outbox and background jobs.

Who has not answered is known to the system only: an ``Invitee`` is linked to its
``Invitation`` (whose ``used`` flag the reminders read), and no page, export or API shows
that pairing; pages show counts.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tracelead.diagnostics.models import Assessment, Invitation

DEFAULT_INVITATION_SUBJECT = "Your views on how {group} leads together"
DEFAULT_INVITATION_BODY = """Hello,

{organiser} is asking everyone in {group} how the group leads together: whether you share
a clear task, a route to it, aligned ways of working, the capability to do it and the
energy to keep going. It takes about ten minutes, on a phone or a computer.

Your answers are anonymous. Nobody sees an individual's answers, and results are shown
only for groups large enough that no one can be picked out.

Your personal link (please do not forward it):
{link}

The questionnaire closes on {close_date}. Questions? Contact {contact}.
"""
DEFAULT_REMINDER_SUBJECT = "Reminder: {group} questionnaire closes on {close_date}"
DEFAULT_REMINDER_BODY = """Hello,

If you have not yet answered the questionnaire on how {group} leads together, there is
still time: it closes on {close_date}. If you have already answered, thank you, and please
ignore this message; we cannot tell who has answered, so it goes to everyone we have not
heard from.

Your personal link:
{link}

Questions? Contact {contact}.

To stop reminders for this questionnaire: {unsubscribe_link}
"""


class RoundEmail(models.Model):
    """A round's invitation and reminder, written by its facilitator (or the defaults)."""

    assessment = models.OneToOneField(
        Assessment, on_delete=models.CASCADE, related_name="email_settings"
    )
    organiser = models.CharField(max_length=200)
    contact = models.CharField(max_length=254)
    invitation_subject = models.CharField(max_length=200, default=DEFAULT_INVITATION_SUBJECT)
    invitation_body = models.TextField(default=DEFAULT_INVITATION_BODY)
    reminder_subject = models.CharField(max_length=200, default=DEFAULT_REMINDER_SUBJECT)
    reminder_body = models.TextField(default=DEFAULT_REMINDER_BODY)
    # Days before the close on which reminders go, e.g. "7,2".
    reminder_days = models.CharField(max_length=50, default="7,2", blank=True)

    def __str__(self) -> str:
        return f"Messages of {self.assessment}"

    def reminder_day_list(self) -> list[int]:
        return sorted(
            {int(d) for d in self.reminder_days.split(",") if d.strip().isdigit()},
            reverse=True,
        )


class Invitee(models.Model):
    """An invitation sent by email. The clear link is kept only while it may be needed
    for a reminder (the invitation unused and the round open) and is wiped after."""

    invitation = models.OneToOneField(
        Invitation, on_delete=models.CASCADE, related_name="invitee"
    )
    email = models.EmailField()
    token = models.CharField(max_length=64, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # A bounce or a permanent failure: no further messages go to this address.
    failed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Invitee {self.pk}"


class OutboxMessage(models.Model):
    """One email to one person. Claimed, sent and marked in one transaction, so a worker
    that dies part-way leaves the row pending (sent again, once) or sent (never again)."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", "Invitation"
        REMINDER = "reminder", "Reminder"
        NOTICE = "notice", "Notice"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to send"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Not needed"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, null=True, blank=True, related_name="outbox"
    )
    invitee = models.ForeignKey(
        Invitee, on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    # Which reminder (days before the close) this is, so that each goes at most once.
    reminder_day = models.IntegerField(null=True, blank=True)
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    send_after = models.DateTimeField(db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The delivery service's id for the message (GOV.UK Notify), to look up its status.
    provider_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "send_after"], name="outbox_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["invitee", "kind", "reminder_day"],
                name="one_message_of_each_kind_per_invitee",
                condition=models.Q(invitee__isnull=False, reminder_day__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["invitee", "kind"],
                name="one_invitation_per_invitee",
                condition=models.Q(invitee__isnull=False, kind="invitation"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk} ({self.get_status_display()})"


class Job(models.Model):
    """A piece of background work that a person waits for, with its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=50)
    title = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)
    # Arguments the job needs, and what it made (a file's name in the data folder).
    params = models.JSONField(default=dict)
    result_name = models.CharField(max_length=200, blank=True)
    result_type = models.CharField(max_length=100, blank=True)
    # What the job found that its page shows, e.g. an import's problems by line and column.
    outcome = models.JSONField(default=dict, blank=True)
    # When a worker last took the job (each attempt): a job still running long after this
    # lost its worker. Empty for jobs taken before the field existed.
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0


class NoticeSent(models.Model):
    """A piece of scheduled work done once: a notice sent ("round-closed:12"), or a day's
    run of a daily task ("retention:2026-12-03"). The unique key is what makes it once."""

    key = models.CharField(max_length=100, unique=True)
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key
