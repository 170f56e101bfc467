"""Reporting cycles and their publications: the only results anyone may see.

A **cycle** is a reporting period of a system ("Autumn 2026") with one set of anonymity
thresholds; each group has at most one round in a cycle. A **publication** is the moment
a cycle's results become visible: the gate (:mod:`tracelead.publishing.gate`) decides once
what it shows, for every group of the system, and the decision is stored here, frozen.
Pages, exports, the API and the command line read publications, never live responses.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from tracelead.organisations.models import System

# Disclosure thresholds can be raised per cycle but never set below this floor.
MIN_THRESHOLD = 3
DEFAULT_THRESHOLD = 5
DEFAULT_COMMENT_THRESHOLD = 10


class Cycle(models.Model):
    """A reporting period of a system, with one set of thresholds for all its rounds."""

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="cycles")
    name = models.CharField(max_length=100)
    threshold = models.PositiveSmallIntegerField(
        default=DEFAULT_THRESHOLD, validators=[MinValueValidator(MIN_THRESHOLD)]
    )
    comment_threshold = models.PositiveSmallIntegerField(
        default=DEFAULT_COMMENT_THRESHOLD, validators=[MinValueValidator(MIN_THRESHOLD)]
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["system_id", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["system", "name"], name="cycle_name_unique"),
            models.CheckConstraint(
                condition=models.Q(threshold__gte=MIN_THRESHOLD)
                & models.Q(comment_threshold__gte=models.F("threshold")),
                name="cycle_thresholds_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def thresholds_locked(self) -> bool:
        """Thresholds are fixed once any round of the cycle has answers."""
        from tracelead.diagnostics.models import Response, ResponseDraft

        return (
            Response.objects.filter(assessment__cycle=self).exists()
            or ResponseDraft.objects.filter(assessment__cycle=self).exists()
        )


class PublicationKind(models.TextChoices):
    CLOSE = "close", "Rounds closed"
    POINT = "point", "Publishing point while a round is open"


class Publication(models.Model):
    """One frozen release of a cycle's results; ``table`` is what the gate decided.

    ``number`` counts the cycle's publications from 1. Every response first shown in this
    publication points here (``Response.publication``), so that later publications can be
    checked against this one as a system of equations over the same unknowns.
    """

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="publications")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=PublicationKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    note = models.CharField(max_length=300, blank=True)
    table: Any = models.JSONField(default=dict)

    class Meta:
        ordering = ["cycle_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "number"], name="publication_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.cycle} – publication {self.number}"
