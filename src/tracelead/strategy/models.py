"""A board's collective leadership strategy for one organisation.

:class:`Strategy` holds the culture the board wants (a statement and its values).
:class:`Framework` rows are the versions of its behaviour framework: each change makes a
new version and the old ones stay as they were, as an instrument's versions do, so that
anything rated against a version can always be read against it. :class:`Position` rows
are the leadership inventory: the roles the organisation needs, how many, where they
sit, what they need and who could step in.
"""

from __future__ import annotations

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
