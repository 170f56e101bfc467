"""A board's collective leadership strategy for one organisation.

:class:`Strategy` holds the culture the board wants (a statement and its values).
:class:`Framework` rows are the versions of its behaviour framework: each change makes a
new version and the old ones stay as they were, as an instrument's versions do, so that
anything rated against a version can always be read against it. :class:`Position` rows
are the leadership inventory: the roles the organisation needs, how many, where they
sit, what they need and who could step in.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models

from tracelead.organisations.models import Group, Organisation


class Strategy(models.Model):
    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE,
                                        related_name="strategy")
    culture = models.TextField(blank=True, max_length=2000)
    values: Any = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "strategies"

    def __str__(self) -> str:
        return f"Leadership strategy of {self.organisation}"


class BehaviourKind(models.TextChoices):
    EVERY_LEADER = "every", "For every leader"
    ROLE = "role", "For a role"
    COLLECTIVE = "collective", "A capability leaders need together"


class Framework(models.Model):
    """One version of the strategy's behaviour framework (never changed once made)."""

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE,
                                 related_name="frameworks")
    version = models.PositiveIntegerField()
    note = models.CharField(max_length=200, blank=True)
    # Where version 1 came from: the bundled default's key and version.
    source = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["strategy_id", "-version"]
        constraints = [models.UniqueConstraint(fields=["strategy", "version"],
                                               name="framework_version_once")]

    def __str__(self) -> str:
        return f"Behaviour framework version {self.version}"


class Behaviour(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE,
                                  related_name="behaviours")
    # Stable across versions: positions and ratings refer to behaviours by key.
    key = models.SlugField(max_length=60)
    kind = models.CharField(max_length=12, choices=BehaviourKind.choices)
    title = models.CharField(max_length=120)
    description = models.TextField(max_length=1000)
    # For a role's behaviours: which role (free text, as the board names it).
    role = models.CharField(max_length=120, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["framework_id", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["framework", "key"],
                                               name="behaviour_key_once_per_version")]

    def __str__(self) -> str:
        return self.title


class PositionKind(models.TextChoices):
    FORMAL = "formal", "Formal role"
    INFORMAL = "informal", "Informal influencers"


class Succession(models.TextChoices):
    READY_NOW = "ready_now", "Someone is ready now"
    READY_LATER = "ready_later", "Someone will be ready later"
    NONE = "none", "No one yet"


class Position(models.Model):
    """A leadership role the organisation needs (or a category of informal influencers
    the board names): how many, in post, where, with what, and who could step in."""

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="positions")
    title = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=PositionKind.choices,
                            default=PositionKind.FORMAL)
    needed = models.PositiveIntegerField()
    in_post = models.PositiveIntegerField(default=0)
    clinical = models.BooleanField(default=False)
    groups = models.ManyToManyField(Group, blank=True, related_name="+")
    # Keys of the framework's behaviours the role needs (stable across versions).
    behaviours: Any = models.JSONField(default=list, blank=True)
    skills = models.TextField(blank=True, max_length=1000)
    succession = models.CharField(max_length=12, choices=Succession.choices,
                                  default=Succession.NONE)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["strategy_id", "kind", "title", "id"]
        constraints = [models.UniqueConstraint(fields=["strategy", "title"],
                                               name="position_title_once")]

    def __str__(self) -> str:
        return self.title

    @property
    def vacant(self) -> int:
        return max(0, self.needed - self.in_post)


class Better(models.TextChoices):
    HIGHER = "higher", "Higher is better"
    LOWER = "lower", "Lower is better"


class Outcome(models.Model):
    """A measure the board judges the strategy by, for its organisation, over time."""

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="outcomes")
    name = models.CharField(max_length=120)
    unit = models.CharField(max_length=40, blank=True)
    better = models.CharField(max_length=10, choices=Better.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["strategy_id", "created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["strategy", "name"],
                                               name="outcome_name_once")]

    def __str__(self) -> str:
        return self.name


class OutcomeValue(models.Model):
    outcome = models.ForeignKey(Outcome, on_delete=models.CASCADE, related_name="values")
    on = models.DateField()
    value = models.FloatField()

    class Meta:
        ordering = ["outcome_id", "on"]
        constraints = [models.UniqueConstraint(fields=["outcome", "on"],
                                               name="outcome_one_value_a_day")]

    def __str__(self) -> str:
        return f"{self.value} on {self.on}"


class Phase(models.TextChoices):
    COMMITMENT = "commitment", "Board commitment"
    DISCOVERY = "discovery", "Discovery"
    DESIGN = "design", "Design"
    IMPLEMENTATION = "implementation", "Implementation"
    EVALUATION = "evaluation", "Evaluation"


class MilestoneStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"


class Milestone(models.Model):
    """A step of the strategy's process, in one of its phases."""

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE,
                                 related_name="milestones")
    phase = models.CharField(max_length=20, choices=Phase.choices)
    title = models.CharField(max_length=200)
    due_on = models.DateField()
    owner = models.CharField(max_length=120)
    status = models.CharField(max_length=12, choices=MilestoneStatus.choices,
                              default=MilestoneStatus.NOT_STARTED)
    evidence = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["strategy_id", "due_on", "id"]

    def __str__(self) -> str:
        return self.title


# --- Development plan ----------------------------------------------------------------------


class DevelopmentLink(models.Model):
    """The development plan: a position developed through one of the academy's offers or
    programmes (the academy of the organisation's system), with what the board intends."""

    position = models.ForeignKey(Position, on_delete=models.CASCADE,
                                 related_name="development")
    offer = models.ForeignKey("academy.Offer", on_delete=models.CASCADE, null=True,
                              blank=True, related_name="+")
    programme = models.ForeignKey("academy.Programme", on_delete=models.CASCADE, null=True,
                                  blank=True, related_name="+")
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(offer__isnull=False, programme__isnull=True)
                           | models.Q(offer__isnull=True, programme__isnull=False)),
                name="development_link_one_target"),
        ]

    def __str__(self) -> str:
        return f"{self.position} through {self.programme or self.offer}"


# --- Diversity of post-holders ---------------------------------------------------------------


class DiversitySnapshot(models.Model):
    """Post-holders in the leadership positions and the organisation's workforce, counted
    in aggregated categories on one date. Shown only once published, and then frozen."""

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE,
                                 related_name="diversity")
    as_of = models.DateField()
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["strategy_id", "-as_of", "-id"]

    def __str__(self) -> str:
        return f"Diversity on {self.as_of}"


class DiversityFigure(models.Model):
    snapshot = models.ForeignKey(DiversitySnapshot, on_delete=models.CASCADE,
                                 related_name="figures")
    dimension = models.CharField(max_length=20)
    category = models.CharField(max_length=40)
    holders = models.PositiveIntegerField()
    workforce = models.PositiveIntegerField()

    class Meta:
        ordering = ["snapshot_id", "dimension", "id"]
        constraints = [models.UniqueConstraint(fields=["snapshot", "dimension", "category"],
                                               name="diversity_figure_once")]

    def __str__(self) -> str:
        return f"{self.dimension} {self.category}: {self.holders} of {self.workforce}"


# --- 360 feedback on the framework --------------------------------------------------------


class FeedbackKind(models.TextChoices):
    SELF = "self", "Self"
    MANAGER = "manager", "Line manager"
    PEER = "peer", "Peers"
    REPORT = "report", "Direct reports"
    OTHER = "other", "Others"


class FeedbackRound(models.Model):
    """360 feedback for one leader on the behaviours of one framework version.

    The leader sees their own report (``leader``); the organisation's facilitators run the
    round. The report is made only once the round is closed, so that no one can watch it
    change as answers arrive.
    """

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE,
                                 related_name="feedback_rounds")
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="+")
    position = models.ForeignKey(Position, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="feedback_rounds")
    leader_name = models.CharField(max_length=200)
    leader_email = models.EmailField(blank=True)
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                               null=True, blank=True, related_name="feedback_rounds")
    # The behaviours asked about, in order (keys of ``framework``'s behaviours).
    behaviours: Any = models.JSONField(default=list)
    closes_on = models.DateField()
    closed_at = models.DateTimeField(null=True, blank=True)
    # The position summary that counts this round (at most one: summaries never overlap).
    summary = models.ForeignKey("FeedbackSummary", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="rounds")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["strategy_id", "-created_at", "-id"]

    def __str__(self) -> str:
        return f"360 feedback for {self.leader_name}"


class FeedbackRater(models.Model):
    """An unguessable link for one rater, sent to them by email: the facilitator never
    sees it, and only its hash is kept. ``used`` serves the system (one answer per link);
    no page shows it per person."""

    round = models.ForeignKey(FeedbackRound, on_delete=models.CASCADE, related_name="raters")
    kind = models.CharField(max_length=10, choices=FeedbackKind.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    # The rater's name, for the facilitator's list while the round is open (emptied when
    # it closes), and a keyed hash of their address so that no one is asked twice.
    label = models.CharField(max_length=200, blank=True)
    address_hash = models.CharField(max_length=64)
    used = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["round_id", "id"]
        constraints = [models.UniqueConstraint(fields=["round", "address_hash"],
                                               name="feedback_rater_address_once")]

    token: str = ""

    def __str__(self) -> str:
        return self.label or f"Rater {self.pk}"


class FeedbackAnswer(models.Model):
    """One rater's ratings with nothing that identifies them: a random key, the kind, and
    ``ratings`` mapping behaviour keys to 1..5, or to null for "not seen enough"."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(FeedbackRound, on_delete=models.CASCADE, related_name="answers")
    kind = models.CharField(max_length=10, choices=FeedbackKind.choices)
    ratings: Any = models.JSONField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Answer {self.pk}"


class FeedbackSummary(models.Model):
    """A position's 360 aggregate over closed rounds of its holders, made once and frozen.
    Each round counts in one summary at most, so no two summaries can be subtracted."""

    position = models.ForeignKey(Position, on_delete=models.CASCADE,
                                 related_name="feedback_summaries")
    table: Any = models.JSONField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position_id", "-created_at", "-id"]

    def __str__(self) -> str:
        return f"360 summary of {self.position}"
