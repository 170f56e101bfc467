"""Reads of what the gate published: the only way pages, exports, the API and the CLI see
results. Each read first makes any publication that is due (a round has closed), so that
what it returns is a frozen publication, served as stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.utils import timezone

from tracelead.diagnostics.models import Assessment, AssessmentStatus, Invitation, Response
from tracelead.diagnostics.packing import unpack_answers
from tracelead.instruments import get_instrument

from .gate import publish_due, round_threshold
from .models import Cycle, Publication


def latest_publication(cycle: Cycle, *, day: dt.date | None = None) -> Publication | None:
    """The cycle's newest publication, after making the one that is due, if any."""
    publish_due(cycle, day=day)
    return cycle.publications.order_by("-number").first()


def publication_of(cycle: Cycle, number: int | None) -> Publication | None:
    """One publication of a cycle by number (None: the newest)."""
    if number is None:
        return latest_publication(cycle)
    publish_due(cycle)
    return cycle.publications.filter(number=number).first()


@dataclass(frozen=True)
class Progress:
    """Response counts of a round while it is open: a count only at or over the threshold."""

    status: str
    threshold: int
    n: int | None
    invited: int
    unverified: bool

    @property
    def rate(self) -> float | None:
        if self.n is None or not self.invited:
            return None
        return min(1.0, self.n / self.invited)


def progress(assessment: Assessment) -> Progress:
    """How many have answered, shown only once the count reaches the round's threshold.

    Never per person, and never below the threshold (a count that moves by one says that
    one person has just answered).
    """
    threshold = round_threshold(assessment.pk, assessment.cycle,
                                verified=assessment.open_link_verify)
    n = Response.objects.filter(assessment=assessment).count()
    invited = Invitation.objects.filter(assessment=assessment).count()
    return Progress(status=assessment.status.value, threshold=threshold,
                    n=n if n >= threshold else None, invited=invited,
                    unverified=threshold > assessment.cycle.threshold)


@dataclass(frozen=True)
class PublishedRound:
    """One round as its cycle's newest publication shows it (``entry`` None: not in it)."""

    assessment: Assessment
    publication: Publication | None
    round: dict[str, Any] | None
    own: dict[str, Any] | None

    @property
    def published(self) -> bool:
        return self.round is not None

    @property
    def shown(self) -> bool:
        return self.own is not None and self.own.get("status") == "shown"


def published_round(assessment: Assessment, *, number: int | None = None) -> PublishedRound:
    publication = publication_of(assessment.cycle, number)
    if publication is None:
        return PublishedRound(assessment, None, None, None)
    entry = publication.table.get("rounds", {}).get(str(assessment.pk))
    if entry is None:
        return PublishedRound(assessment, publication, None, None)
    own = publication.table.get("own", {}).get(str(assessment.group_id))
    return PublishedRound(assessment, publication, entry, own)


def published_matrix(view: PublishedRound) -> np.ndarray:
    """The published responses of a shown round (respondents x items, NaN missing), for the
    response-level export: exactly the batches the publication includes, sorted so that
    no order of arrival survives."""
    if not view.shown or view.publication is None:
        return np.empty((0, 0))
    a = view.assessment
    instrument = get_instrument(a.instrument_key, a.instrument_version)
    rows = list(Response.objects.filter(
        assessment=a, publication__cycle=view.publication.cycle,
        publication__number__lte=view.publication.number,
    ).values_list("packed", "answers"))
    return unpack_answers([r[0] for r in rows], len(instrument.item_keys),
                          answers=[r[1] for r in rows], keys=instrument.item_keys)


def published_comments(view: PublishedRound) -> dict[str, list[str]] | None:
    """Comments by prompt, if the publication shows them; sorted, never dated."""
    if not view.shown or view.publication is None or view.round is None:
        return None
    upto = int(view.round.get("comments_upto") or 0)
    if upto < 1:
        return None
    texts = Response.objects.filter(
        assessment=view.assessment, publication__cycle=view.publication.cycle,
        publication__number__lte=upto,
    ).values_list("free_text", flat=True)
    by_prompt: dict[str, list[str]] = {}
    for free_text in texts:
        for key, value in (free_text or {}).items():
            text = str(value).strip()
            if text:
                by_prompt.setdefault(key, []).append(text)
    return {key: sorted(values) for key, values in by_prompt.items()}


def cycles_of(system_id: int) -> list[Cycle]:
    return list(Cycle.objects.filter(system_id=system_id).order_by("-created_at", "-id"))


def default_cycle(system_id: int) -> Cycle | None:
    """The newest cycle with a publication, else the newest cycle."""
    cycles = cycles_of(system_id)
    for cycle in cycles:
        if latest_publication(cycle) is not None:
            return cycle
    return cycles[0] if cycles else None


def open_rounds(cycle: Cycle) -> list[Assessment]:
    today = timezone.localdate()
    return [a for a in cycle.assessments.select_related("group", "cycle")
            if a.status_on(today) == AssessmentStatus.OPEN]
