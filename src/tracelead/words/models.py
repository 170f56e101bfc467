"""Words: task convergence of a published round, and the facilitator's themes of free text.

A :class:`RoundConvergence` is worked out once for the task statements that a publication
shows (``comments_upto``: the last publication whose responses' comments are shown) and
kept, like the publication itself: the same statements always give the same figures.

A :class:`ThemeSet` is a facilitator's thematic analysis of one free-text set (a round's
answers to one prompt, a poll's open texts, or the answers to one open question of an
evaluation form): the texts as they were when the themes
were made, then :class:`Theme` rows that the facilitator renames, merges and splits, and
:class:`PinnedQuote` rows kept for the evaluation.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from tracelead.diagnostics.models import Assessment
from tracelead.evaluation.models import Item as FormItem
from tracelead.polls.models import Poll


class RoundConvergence(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Being worked out"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="+")
    comments_upto = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    method = models.CharField(max_length=10, blank=True)
    n = models.PositiveIntegerField(default=0)
    score = models.FloatField(null=True, blank=True)
    band = models.CharField(max_length=20, blank=True)
    mean_similarity = models.FloatField(null=True, blank=True)
    # [{"representative": str, "size": int}], largest first; [str], furthest first.
    clusters: Any = models.JSONField(default=list)
    outliers: Any = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "comments_upto"],
                                    name="convergence_once_per_statements"),
        ]

    def __str__(self) -> str:
        return f"Convergence of round {self.assessment_id} (publication {self.comments_upto})"


class ThemeSource(models.TextChoices):
    ROUND = "round", "A round's answers"
    POLL = "poll", "A poll's open texts"
    FORM = "form", "Answers to an evaluation question"


class ThemeSet(models.Model):
    source = models.CharField(max_length=10, choices=ThemeSource.choices)
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, null=True,
                                   blank=True, related_name="+")
    prompt_key = models.CharField(max_length=50, blank=True)
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+")
    form_item = models.ForeignKey(FormItem, on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="+")
    # For a form's answers: the evaluation Answer of each text (same order as ``texts``),
    # so that a pinned quote carries its author's choice about being quoted.
    answer_ids: Any = models.JSONField(default=list, blank=True)
    method = models.CharField(max_length=10)
    texts: Any = models.JSONField(default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "prompt_key"],
                                    condition=models.Q(assessment__isnull=False),
                                    name="themes_once_per_round_prompt"),
            models.UniqueConstraint(fields=["poll"], condition=models.Q(poll__isnull=False),
                                    name="themes_once_per_poll"),
            models.UniqueConstraint(fields=["form_item"],
                                    condition=models.Q(form_item__isnull=False),
                                    name="themes_once_per_form_item"),
        ]

    def __str__(self) -> str:
        return f"Themes {self.pk} ({self.source})"


class Theme(models.Model):
    theme_set = models.ForeignKey(ThemeSet, on_delete=models.CASCADE, related_name="themes")
    label = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    # Indices into the set's texts; quotes: the most representative members first.
    members: Any = models.JSONField(default=list)
    keywords: Any = models.JSONField(default=list)
    quotes: Any = models.JSONField(default=list)

    class Meta:
        ordering = ["theme_set_id", "position", "id"]

    def __str__(self) -> str:
        return self.label


class PinnedQuote(models.Model):
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="pins")
    index = models.PositiveIntegerField()
    text = models.TextField()
    # The quote was flagged as possibly identifying and the facilitator checked it.
    checked = models.BooleanField(default=False)
    pinned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+")
    pinned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["theme_id", "index"]
        constraints = [
            models.UniqueConstraint(fields=["theme", "index"], name="pin_once_per_theme"),
        ]

    def __str__(self) -> str:
        return self.text[:60]
