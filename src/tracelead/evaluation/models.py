"""A programme's evaluation on Kirkpatrick's four levels.

* **Reaction** (level 1): a short feedback form after each event.
* **Learning** (level 2): the same self-ratings before and after the programme, paired per
  member; a retrospective then-and-now form for those who missed the first.
* **Behaviour** (level 3): follow-up forms sent months after the programme.
* **Impact** (level 4): system measures with values over time, the programme's
  contribution and evidence attached.

Forms are answered by members through a personal link sent by email (one per member and
form, so that before and after can be paired), from their own member page, or, for an
event's feedback and reflections, by a code or QR code at the end of the session (no
account; one answer per device). Forms can also come from another tool's export
(Mentimeter, SurveyMonkey, Microsoft Forms): ``source`` says which, and ``source_key``
of a submission keeps a re-import from adding the same answers twice.

Pages show answers only as figures over at least the threshold and quotes only where the
person agreed that their words may be quoted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from tracelead.academy.models import Event, Member, Programme


class Level(models.IntegerChoices):
    REACTION = 1, "Reaction"
    LEARNING = 2, "Learning"
    BEHAVIOUR = 3, "Behaviour"
    IMPACT = 4, "Impact"


class FormKind(models.TextChoices):
    FEEDBACK = "feedback", "Feedback after an event"
    REFLECTION = "reflection", "Reflections after a session"
    BEFORE = "before", "Self-ratings before the programme"
    AFTER = "after", "Self-ratings after the programme"
    THEN_NOW = "then_now", "Then and now, looking back"
    FOLLOW_UP = "follow_up", "Follow-up months later"
    IMPORTED = "imported", "Answers from another tool"


#: The level each kind of form informs.
KIND_LEVEL = {
    FormKind.FEEDBACK: Level.REACTION, FormKind.REFLECTION: Level.REACTION,
    FormKind.BEFORE: Level.LEARNING, FormKind.AFTER: Level.LEARNING,
    FormKind.THEN_NOW: Level.LEARNING, FormKind.FOLLOW_UP: Level.BEHAVIOUR,
    FormKind.IMPORTED: Level.REACTION,
}


class Source(models.TextChoices):
    WEB = "web", "tracelead"
    MENTIMETER = "menti", "Mentimeter"
    SURVEYMONKEY = "surveymonkey", "SurveyMonkey"
    FORMS = "forms", "Microsoft Forms"


class Form(models.Model):
    """A questionnaire of a programme (and, for feedback and reflections, of one event)."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE,
                                  related_name="evaluation_forms")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="evaluation_forms")
    kind = models.CharField(max_length=20, choices=FormKind.choices)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    title = models.CharField(max_length=200)
    intro = models.TextField(blank=True)
    # The short code of the form's public page (/f/<code>/), for a QR code in the room.
    code = models.CharField(max_length=12, unique=True)
    # Public page open to anyone with the code (feedback, reflections); otherwise only
    # members with a personal link.
    open_to_code = models.BooleanField(default=False)
    # When the emails go (with a personal link each), and when a reminder follows.
    send_on = models.DateField(null=True, blank=True)
    remind_after_days = models.PositiveSmallIntegerField(default=7)
    closes_on = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.WEB)
    # The imported file's SHA-256: the same file imported twice is recognised.
    source_digest = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["programme_id", "created_at", "id"]

    def __str__(self) -> str:
        return self.title


class ItemKind(models.TextChoices):
    RATING = "rating", "Rating"
    TEXT = "text", "Open text"
    CHOICE = "choice", "One choice"
    CHOICES = "choices", "Several choices"


class Moment(models.TextChoices):
    """For a then-and-now form: whether the rating is of before the programme or now."""

    NONE = "", "–"
    THEN = "then", "Before the programme (looking back)"
    NOW = "now", "Now"


class Item(models.Model):
    """One question. Ratings with the same ``key`` on a programme's before, after and
    then-and-now forms are the same self-rating, paired per member."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=ItemKind.choices)
    text = models.CharField(max_length=500)
    hint = models.CharField(max_length=500, blank=True)
    key = models.SlugField(max_length=60, blank=True)
    moment = models.CharField(max_length=4, choices=Moment.choices, default="", blank=True)
    scale_min = models.SmallIntegerField(default=1)
    scale_max = models.SmallIntegerField(default=5)
    low_label = models.CharField(max_length=60, blank=True)
    high_label = models.CharField(max_length=60, blank=True)
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=False)

    class Meta:
        ordering = ["form_id", "position", "id"]

    def __str__(self) -> str:
        return self.text


class Submission(models.Model):
    """One person's answers to a form: a member (personal link or member page), a device
    (the public code; only a hash of its random cookie), or a row of an imported file."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="submissions")
    member = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="evaluation_submissions")
    device_hash = models.CharField(max_length=64, blank=True)
    source_key = models.CharField(max_length=200, blank=True)
    quote_consent = models.BooleanField(default=False)
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["form_id", "submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["form", "member"], condition=Q(member__isnull=False),
                                    name="evaluation_one_submission_per_member"),
            models.UniqueConstraint(fields=["form", "device_hash"],
                                    condition=~Q(device_hash=""),
                                    name="evaluation_one_submission_per_device"),
            models.UniqueConstraint(fields=["form", "source_key"],
                                    condition=~Q(source_key=""),
                                    name="evaluation_one_submission_per_imported_row"),
        ]

    def __str__(self) -> str:
        return f"Answers to {self.form_id} at {self.submitted_at:%Y-%m-%d}"


class Answer(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE,
                                   related_name="answers")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="answers")
    number = models.FloatField(null=True, blank=True)
    text = models.TextField(blank=True)
    chosen = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["submission", "item"],
                                               name="evaluation_one_answer_per_item")]

    def __str__(self) -> str:
        return f"Answer to item {self.item_id}"


class Invite(models.Model):
    """A member's personal link to one form, sent by email; only its hash is kept."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="invites")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["form", "member"],
                                               name="evaluation_one_invite_per_member")]

    def __str__(self) -> str:
        return f"Link to form {self.form_id} for member {self.member_id}"


class Measure(models.Model):
    """A system measure the programme hopes to move (level 4)."""

    class Better(models.TextChoices):
        HIGHER = "higher", "Higher is better"
        LOWER = "lower", "Lower is better"
        DONE = "done", "Achieved or not (1 or 0)"

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE,
                                  related_name="evaluation_measures")
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=60, blank=True)
    better = models.CharField(max_length=10, choices=Better.choices)
    contribution = models.TextField(
        blank=True, help_text="What the programme contributed, in the lead's words.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["programme_id", "created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["programme", "name"],
                                               name="evaluation_measure_name_unique")]

    def __str__(self) -> str:
        return self.name


class MeasureValue(models.Model):
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="values")
    on = models.DateField()
    value = models.FloatField()
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["measure_id", "on", "id"]
        constraints = [models.UniqueConstraint(fields=["measure", "on"],
                                               name="evaluation_one_value_a_day")]

    def __str__(self) -> str:
        return f"{self.value} on {self.on}"


class Evidence(models.Model):
    """A file attached to a measure (a board paper, a pathway agreed, a letter)."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="evidence")
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to="evaluation/evidence/%Y/%m/")
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["measure_id", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.title


class QuoteSource(models.TextChoices):
    REFLECTION = "reflection", "A reflection"
    FEEDBACK = "feedback", "Feedback after an event"
    POLL = "poll", "A live poll"
    FOLLOW_UP = "follow_up", "A follow-up"
    INTERVIEW = "interview", "Interview notes"
    THEME = "theme", "A theme in free text"


class Quote(models.Model):
    """Words the lead pins to a level as evidence. Shown only with ``consent``: answers
    carry the person's own choice; interview notes, the lead's record that consent was
    given."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE,
                                  related_name="evaluation_quotes")
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    text = models.TextField()
    source = models.CharField(max_length=20, choices=QuoteSource.choices)
    answer = models.ForeignKey(Answer, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")
    consent = models.BooleanField(default=False)
    pinned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+")
    pinned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["programme_id", "level", "pinned_at", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class Evaluation(models.Model):
    """The lead's own words for the evaluation: a summary and the recommendations."""

    programme = models.OneToOneField(Programme, on_delete=models.CASCADE,
                                     related_name="evaluation")
    summary = models.TextField(blank=True)
    recommendations = models.TextField(blank=True, help_text="One recommendation a line.")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Evaluation of programme {self.programme_id}"
