"""Reads of action plans: a round's plan, and the review of earlier actions that the next
round's report shows beside its change. Access is the caller's job (the views ask
:mod:`tracelead.organisations.access` for the round first)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from tracelead.diagnostics.models import Assessment
from tracelead.instruments import Instrument

from .models import Action, ActionStatus
from .services import instrument_of


def plan_of(assessment: Assessment) -> QuerySet[Action]:
    """The actions recorded from this round's report."""
    return Action.objects.filter(assessment=assessment).order_by("status", "due_on", "id")


def earlier_rounds(assessment: Assessment, *, since: Assessment | None = None
                   ) -> list[Assessment]:
    """The group's rounds that opened before this one: all those from ``since`` (the round
    the report compares with) on, or else only the latest one."""
    earlier = Assessment.objects.filter(
        group_id=assessment.group_id, opens_on__lt=assessment.opens_on
    ).exclude(pk=assessment.pk).order_by("-opens_on", "-id")
    if since is not None:
        return list(earlier.filter(opens_on__gte=since.opens_on))
    latest = earlier.first()
    return [latest] if latest is not None else []


@dataclass
class ConditionReview:
    """One condition: the actions taken on it since the earlier round, by status."""

    key: str
    name: str
    done: list[Action] = field(default_factory=list)
    other: list[Action] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.done or self.other)


@dataclass
class Review:
    rounds: list[Assessment]
    conditions: list[ConditionReview]

    @property
    def n_actions(self) -> int:
        return sum(len(c.done) + len(c.other) for c in self.conditions)

    @property
    def n_done(self) -> int:
        return sum(len(c.done) for c in self.conditions)

    @property
    def actions(self) -> list[Action]:
        """Every reviewed action, the done ones first."""
        return ([a for c in self.conditions for a in c.done]
                + [a for c in self.conditions for a in c.other])

    def of(self, key: str) -> ConditionReview | None:
        return next((c for c in self.conditions if c.key == key), None)


def review_for(assessment: Assessment, *, compared_with: int | None = None) -> Review:
    """The actions recorded from the group's earlier round(s), condition by condition, to
    set beside this round's change. ``compared_with`` is the id of the round the change
    is measured from (the report's ``change.previous_id``), if any."""
    since = None
    if compared_with is not None:
        since = Assessment.objects.filter(pk=compared_with, group_id=assessment.group_id).first()
    rounds = earlier_rounds(assessment, since=since)
    instrument: Instrument = instrument_of(assessment)
    reviews = [ConditionReview(scale.key, scale.name) for scale in instrument.scales]
    by_key = {r.key: r for r in reviews}
    actions = Action.objects.filter(assessment__in=rounds).order_by("due_on", "id")
    for action in actions:
        review = by_key.get(action.condition)
        if review is None:  # a condition of another instrument: listed under its key
            review = ConditionReview(action.condition, action.condition)
            by_key[action.condition] = review
            reviews.append(review)
        (review.done if action.status == ActionStatus.DONE else review.other).append(action)
    return Review(rounds=rounds, conditions=reviews)
