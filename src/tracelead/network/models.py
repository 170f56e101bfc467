"""Connections: ties between two members of an academy, with when and how they arose.

A tie is undirected and stored once per pair and kind (``first`` is the member with the
lower id), however many people reported it. Kinds: the two knew each other before
(recorded at joining), they met at an event ("who did you meet today?"), or they have
worked together since. Names are seen only by the academy's facilitators and by each
member for their own ties; every other view is anonymised to organisations and sectors.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from tracelead.academy.models import Academy, Event, Member


class ConnectionKind(models.TextChoices):
    KNEW = "knew", "Knew each other before"
    MET = "met", "Met at an event"
    WORKED = "worked", "Worked together since"


class ConnectionSource(models.TextChoices):
    MEMBER = "member", "Recorded by a member"
    IMPORT = "import", "Imported from a file"
    FACILITATOR = "facilitator", "Added by a facilitator"


class Connection(models.Model):
    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="connections")
    first = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=ConnectionKind.choices)
    # The event where they met (kind "met"); none for the other kinds.
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, null=True, blank=True, related_name="connections"
    )
    # When the tie arose: the day the member joined (knew), the event's day (met), or the
    # day given (worked, imports).
    on = models.DateField()
    source = models.CharField(max_length=12, choices=ConnectionSource.choices)
    # Who said so (a member recording their own ties); none for imports.
    recorded_by = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(first__lt=F("second")),
                                   name="connection_pair_ordered"),
            models.UniqueConstraint(fields=["first", "second", "kind"],
                                    condition=Q(event__isnull=True),
                                    name="connection_once_per_kind"),
            models.UniqueConstraint(fields=["first", "second", "event"],
                                    condition=Q(event__isnull=False),
                                    name="connection_once_per_event"),
        ]
        indexes = [models.Index(fields=["academy", "on"])]

    def __str__(self) -> str:
        return f"{self.first_id}–{self.second_id} ({self.kind})"


class NetworkPublication(models.Model):
    """The anonymised network as everyone but the academy's facilitators sees it: computed
    once when a facilitator publishes it, checked against every earlier publication,
    stored and served as stored (see :mod:`tracelead.network.publication`).

    ``pooling`` keeps, per view, the organisation-and-sector cells each group pooled, so
    that the next publication can be checked against this one as equations over the same
    cells. ``page`` holds the page's figures and tables, ``graph`` the picture's data.
    """

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE,
                                related_name="network_publications")
    number = models.PositiveIntegerField()
    as_of = models.DateField()
    threshold = models.PositiveSmallIntegerField()
    people = models.PositiveIntegerField()
    pooling = models.JSONField()
    page = models.JSONField()
    graph = models.JSONField()
    pdf = models.BinaryField()
    xlsx = models.BinaryField()
    widened = models.PositiveSmallIntegerField(
        default=0, help_text="Groups pooled further so that no earlier publication, "
        "compared with this one, singles out a small organisation or sector.")
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+")
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["academy_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["academy", "number"],
                                    name="network_publication_number_unique"),
        ]

    def __str__(self) -> str:
        return f"Network of {self.academy} as published on {self.as_of:%d %B %Y}"
