"""Reads of what the gate published: the only way pages, exports, the API and the CLI see
results. Each read first makes any publication that is due (a round has closed), so that
what it returns is a frozen publication, served as stored.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from django.db import IntegrityError
from django.utils import timezone

from tracelead.diagnostics.models import (
    Assessment,
    AssessmentStatus,
    Invitation,
    OpenLinkSubmission,
    RaterKind,
    Response,
)
from tracelead.diagnostics.packing import unpack_answers
from tracelead.instruments import get_instrument

from .gate import JSONObject, PublishRefused, publish_due, round_threshold
from .models import Cycle, Publication

logger = logging.getLogger(__name__)


@lru_cache(maxsize=16)
def _table(pk: int, created_at: dt.datetime) -> JSONObject:
    # A publication never changes once made, so its decoded table can be kept; the
    # creation time is part of the key in case a deleted publication's id is reused.
    table: JSONObject = Publication.objects.values_list("table", flat=True).get(pk=pk)
    return table


def table_of(publication: Publication) -> JSONObject:
    """A publication's frozen table, decoded once per process."""
    return _table(publication.pk, publication.created_at)


def _publish_due_quietly(cycle: Cycle, day: dt.date | None) -> None:
    """Make a due publication on a read; a refusal or a simultaneous publication by another
    request leaves the newest publication to be served as it is (and is logged)."""
    try:
        publish_due(cycle, day=day)
    except (PublishRefused, IntegrityError) as problem:
        logger.warning("publication of cycle %s not made on read: %s", cycle.pk, problem)


def latest_publication(cycle: Cycle, *, day: dt.date | None = None) -> Publication | None:
    """The cycle's newest publication, after making the one that is due, if any (the gate
    publishes the system's earlier cycles that are due first)."""
    _publish_due_quietly(cycle, day)
    return cycle.publications.defer("table").order_by("-number").first()


def publication_of(cycle: Cycle, number: int | None) -> Publication | None:
    """One publication of a cycle by number (None: the newest)."""
    if number is None:
        return latest_publication(cycle)
    _publish_due_quietly(cycle, None)
    return cycle.publications.defer("table").filter(number=number).first()


@dataclass(frozen=True)
class Progress:
    """Response counts of a round while it is open: a count only at or over the threshold."""

    status: str
    threshold: int
    n: int | None
    invited: int
    unverified: bool
    # Answers came through the open link too: a rate over personal links would mislead.
    open_link: bool = False

    @property
    def rate(self) -> float | None:
        if self.n is None or not self.invited or self.open_link:
            return None
        return min(1.0, self.n / self.invited)


def progress(assessment: Assessment) -> Progress:
    """How many have answered, shown only once the count reaches the round's threshold.

    Never per person, and never below the threshold (a count that moves by one says that
    one person has just answered).
    """
    threshold = round_threshold(assessment.pk, assessment.cycle,
                                verified=assessment.open_link_verify)
    # The others only: a self rating is shown beside them and never counts towards it.
    n = Response.objects.filter(assessment=assessment).exclude(rater_kind=RaterKind.SELF).count()
    invited = Invitation.objects.filter(assessment=assessment).count()
    return Progress(status=assessment.status.value, threshold=threshold,
                    n=n if n >= threshold else None, invited=invited,
                    unverified=threshold > assessment.cycle.threshold,
                    open_link=OpenLinkSubmission.objects.filter(assessment=assessment).exists())


@dataclass(frozen=True)
class PublishedRound:
    """One round as its cycle's newest publication shows it (``entry`` None: not in it)."""

    assessment: Assessment
    publication: Publication | None
    round: JSONObject | None
    own: JSONObject | None

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
    table = table_of(publication)
    entry = table.get("rounds", {}).get(str(assessment.pk))
    if entry is None:
        return PublishedRound(assessment, publication, None, None)
    own = table.get("own", {}).get(str(assessment.group_id))
    return PublishedRound(assessment, publication, entry, own)


def published_matrix(view: PublishedRound) -> np.ndarray:
    """The published responses of a shown round (respondents x items, NaN missing), for the
    response-level export: exactly the batches the publication includes, sorted so that
    no order of arrival survives."""
    # A shown round always has its own entry; testing ``own`` too lets mypy see that.
    if not view.shown or view.publication is None or view.own is None:
        return np.empty((0, 0))
    a = view.assessment
    instrument = get_instrument(a.instrument_key, a.instrument_version)
    rows = list(Response.objects.filter(
        assessment=a, publication__cycle=view.publication.cycle,
        publication__number__lte=view.publication.number,
    ).exclude(rater_kind=RaterKind.SELF).values_list("packed", "answers"))
    if len(rows) != int(view.own.get("n", -1)):
        # The rows must be exactly those the frozen figures were computed on.
        raise RuntimeError(f"publication {view.publication.pk} does not match its responses")
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
    ).exclude(rater_kind=RaterKind.SELF).values_list("free_text", flat=True)
    by_prompt: dict[str, list[str]] = {}
    for free_text in texts:
        for key, value in (free_text or {}).items():
            text = str(value).strip()
            if text:
                by_prompt.setdefault(key, []).append(text)
    return {key: sorted(values) for key, values in by_prompt.items()}


def cycles_of(system_id: int) -> list[Cycle]:
    return list(Cycle.objects.filter(system_id=system_id).order_by("-created_at", "-id"))


def default_cycle(system_id: int, *, cycles: list[Cycle] | None = None) -> Cycle | None:
    """The newest cycle with a publication, else the newest cycle (``cycles``: the
    system's cycles, if already read)."""
    cycles = cycles_of(system_id) if cycles is None else cycles
    for cycle in cycles:
        _publish_due_quietly(cycle, None)
    published = set(Publication.objects.filter(cycle__system_id=system_id)
                    .values_list("cycle_id", flat=True).distinct())
    newest_first = sorted(cycles, key=lambda c: (c.created_at, c.pk), reverse=True)
    for cycle in newest_first:
        if cycle.pk in published:
            return cycle
    return newest_first[0] if newest_first else None


def open_rounds(cycle: Cycle) -> list[Assessment]:
    today = timezone.localdate()
    return [a for a in cycle.assessments.select_related("group", "cycle")
            if a.status_on(today) == AssessmentStatus.OPEN]
