"""Live polls at academy events.

A **poll** is a sequence of questions for one event (or, with no event, a template that
polls are copied from). Participants join on their phone with the poll's short code, no
account: a random token in a cookie marks the device, and only its hash is kept, so one
device has one vote per question, which it can change until the question closes. The
presenter view steps through the questions and shows the results as votes arrive.

The **TRACE pulse** is a poll of five scale questions, one per condition; its results are
the conditions' levels and sharedness from the analysis core. A facilitator can keep a
pulse with a group's history (marked as a pulse, not the full questionnaire).

Nothing here lives in one process's memory: the presenter's position, the questions'
states and every vote are rows, so any application server can answer any request.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tracelead.academy.models import Academy, Event
from tracelead.organisations.models import Group, Sector


class PollKind(models.TextChoices):
    CUSTOM = "custom", "Poll"
    PULSE = "pulse", "TRACE pulse"


class QuestionKind(models.TextChoices):
    SCALE = "scale", "Scale"
    SINGLE = "single", "Single choice"
    MULTIPLE = "multiple", "Multiple choice"
    WORDS = "words", "Word cloud"
    TEXT = "text", "Open text"
    RANKING = "ranking", "Ranking"
    IDEAS = "ideas", "Ideas with votes"


class QuestionStatus(models.TextChoices):
    WAITING = "waiting", "Not opened yet"
    OPEN = "open", "Open for votes"
    CLOSED = "closed", "Closed"


class Poll(models.Model):
    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="polls")
    # No event: a template, copied into events' polls.
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="polls", null=True, blank=True
    )
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=PollKind.choices, default=PollKind.CUSTOM)
    # Anonymous polls never ask who is voting. Otherwise the join page says that names are
    # shown with open-text answers and ideas, and asks for one. Fixed once anyone joins.
    anonymous = models.BooleanField(default=True)
    # Ask participants their sector when they join (optional for them), for the results
    # by sector after the event, which the disclosure threshold governs.
    ask_sector = models.BooleanField(default=False)
    # Join code typed on phones or held in the QR code's link; templates have none.
    code = models.CharField(max_length=12, unique=True, null=True, blank=True)
    current = models.ForeignKey(
        "Question", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Bumped on every presenter step: phones and screens compare it to know when to
    # fetch the page again (an ETag), without any process remembering anything.
    version = models.PositiveIntegerField(default=0)
    ended_at = models.DateTimeField(null=True, blank=True)
    # The disclosure threshold of the results by sector, fixed when the poll ends (results
    # by sector exist only then), so that a later cycle's threshold never redraws them.
    sector_threshold = models.PositiveSmallIntegerField(null=True, blank=True)
    # A pulse kept with a group's diagnostic history. ``kept_at``: when first kept; from
    # then on the pulse's votes are final, even if it is taken off the group again.
    kept_group = models.ForeignKey(
        Group, on_delete=models.SET_NULL, null=True, blank=True, related_name="pulses"
    )
    kept_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_template(self) -> bool:
        return self.event_id is None

    @property
    def is_pulse(self) -> bool:
        return self.kind == PollKind.PULSE


class Question(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=QuestionKind.choices)
    prompt = models.CharField(max_length=300)
    # Choices (single, multiple) and the items to rank (ranking), in order.
    options = models.JSONField(default=list, blank=True)
    scale_min = models.SmallIntegerField(default=1)
    scale_max = models.SmallIntegerField(default=5)
    low_label = models.CharField(max_length=60, blank=True)
    high_label = models.CharField(max_length=60, blank=True)
    # Word cloud: words a person may give. Ideas: ideas a person may add.
    max_entries = models.PositiveSmallIntegerField(default=3)
    # The pulse's questions: the instrument scale (condition) each one rates.
    condition = models.CharField(max_length=40, blank=True)
    # Hidden results are shown to the room only when the facilitator reveals them.
    results_hidden = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=QuestionStatus.choices, default=QuestionStatus.WAITING
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.prompt

    @property
    def is_open(self) -> bool:
        return self.status == QuestionStatus.OPEN

    def scale_values(self) -> list[int]:
        return list(range(self.scale_min, self.scale_max + 1))


class Participant(models.Model):
    """One device that joined a poll. Only the hash of its cookie's token is kept."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="participants")
    token_hash = models.CharField(max_length=64)
    name = models.CharField(max_length=100, blank=True)
    sector = models.CharField(max_length=30, choices=Sector.choices, blank=True)
    # The day only: a time of joining could be matched with a check-in time.
    joined_on = models.DateField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["poll", "token_hash"], name="poll_device_once"),
        ]

    def __str__(self) -> str:
        return self.name or f"Participant {self.pk}"


class Vote(models.Model):
    """A device's answer to a question; changed in place until the question closes.

    ``answer`` holds a number (scale), a choice's index (single), indices (multiple), the
    words (word cloud), the text (open text) or the options' indices in ranked order.
    """

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="votes")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="votes")
    answer = models.JSONField()
    # Counts the changes of this vote: the presenter's ETag sums it, so a changed vote
    # shows even when application servers' clocks disagree.
    revision = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "participant"], name="poll_vote_once"),
        ]
        indexes = [models.Index(fields=["question", "updated_at"], name="poll_vote_changes")]

    def __str__(self) -> str:
        return f"Vote {self.pk} on question {self.question_id}"


class Idea(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="ideas")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="ideas")
    text = models.CharField(max_length=200)
    # A facilitator can take an idea off the screen (it stays in the results, marked).
    hidden = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text


class IdeaVote(models.Model):
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="upvotes")
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="idea_votes"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["idea", "participant"], name="poll_idea_vote_once"),
        ]

    def __str__(self) -> str:
        return f"Vote for idea {self.idea_id}"
