"""Reads for assessments and their results.

Every result a page, the API or an export shows comes from :func:`assessment_results`,
which applies the assessment's disclosure thresholds through the analysis core's
``disclose``; access to assessments goes through :mod:`tracelead.organisations.access`.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import numpy as np

from tracelead.analysis import (
    ConditionResult,
    Focus,
    ItemDistribution,
    agreement_band,
    condition_profile,
    disclose,
    focus_condition,
)
from tracelead.instruments import Instrument, Item, Prompt, Scale, get_instrument

from .models import Assessment, Response


@dataclass(frozen=True)
class ConditionRow:
    scale: Scale
    result: ConditionResult
    band: str


@dataclass(frozen=True)
class ItemRow:
    item: Item
    scale: Scale
    distribution: ItemDistribution
    dont_know: int

    @property
    def answered(self) -> int:
        return int(sum(self.distribution.counts))

    def shares(self) -> list[float]:
        """Share of answers at each scale point, among those who gave a rating."""
        total = self.answered
        return [count / total if total else 0.0 for count in self.distribution.counts]


@dataclass(frozen=True)
class CommentSet:
    prompt: Prompt
    texts: list[str]


@dataclass
class AssessmentResults:
    assessment: Assessment
    instrument: Instrument
    n_responses: int
    n_invitations: int
    n_invitations_used: int
    disclosed: bool
    more_needed: int
    comments_disclosed: bool
    comments_more_needed: int
    conditions: list[ConditionRow] = field(default_factory=list)
    items: list[ItemRow] = field(default_factory=list)
    comments: list[CommentSet] = field(default_factory=list)
    focus: Focus | None = None

    @property
    def response_rate(self) -> float | None:
        if not self.n_invitations:
            return None
        return self.n_invitations_used / self.n_invitations

    @property
    def focus_scale(self) -> Scale | None:
        return self.instrument.scale(self.focus.condition) if self.focus else None


# Sharedness needs two ratings of an item; when everyone answered "Don't know" to a whole
# condition it is NaN, which has no agreement band.
NO_BAND = "not enough answers"


def sharedness_band(rwg_j: float) -> str:
    return NO_BAND if math.isnan(rwg_j) else agreement_band(rwg_j)


def answer_matrix(instrument: Instrument, responses: list[Response]) -> np.ndarray:
    """Respondents x items as floats; "Don't know" and unanswered become NaN."""
    keys = [item.key for item in instrument.items]
    matrix = np.full((len(responses), len(keys)), np.nan)
    for row, response in enumerate(responses):
        answers = response.answers
        for column, key in enumerate(keys):
            value = answers.get(key)
            if value is not None:
                matrix[row, column] = value
    return matrix


def assessment_results(assessment: Assessment, *, seed: int | None = None) -> AssessmentResults:
    """The results of one assessment, with nothing shown below its thresholds."""
    instrument = get_instrument(assessment.instrument_key, assessment.instrument_version)
    responses = list(Response.objects.filter(assessment=assessment).only("answers", "free_text"))
    invitations = assessment.invitations.all()
    n = len(responses)
    figures = disclose(n, threshold=assessment.threshold)
    comments = disclose(n, threshold=assessment.comment_threshold, kind="comments")
    results = AssessmentResults(
        assessment=assessment,
        instrument=instrument,
        n_responses=n,
        n_invitations=invitations.count(),
        n_invitations_used=invitations.filter(used=True).count(),
        disclosed=figures.shown,
        more_needed=max(0, figures.threshold - n),
        comments_disclosed=comments.shown,
        comments_more_needed=max(0, comments.threshold - n),
    )
    if not figures.shown:
        return results
    matrix = answer_matrix(instrument, responses)
    profile = condition_profile(
        matrix, instrument.item_scale_keys, scale_points=instrument.scale_points
    )
    results.conditions = [
        ConditionRow(
            scale=scale,
            result=profile.condition(scale.key),
            band=sharedness_band(profile.condition(scale.key).rwg_j),
        )
        for scale in instrument.scales
    ]
    for item, distribution in zip(instrument.items, profile.items, strict=True):
        dont_know = sum(
            1
            for response in responses
            if item.key in response.answers and response.answers[item.key] is None
        )
        results.items.append(
            ItemRow(
                item=item,
                scale=instrument.scale(distribution.condition),
                distribution=distribution,
                dont_know=dont_know,
            )
        )
    if any(condition.n > 0 for condition in profile.conditions):
        # With every answer "Don't know" there is no condition to choose a focus from.
        results.focus = focus_condition(profile)
    if comments.shown:
        shuffle = random.Random(seed)  # noqa: S311 - order only hides who wrote what
        for prompt in instrument.free_text:
            texts = [r.free_text[prompt.key] for r in responses if r.free_text.get(prompt.key)]
            shuffle.shuffle(texts)
            results.comments.append(CommentSet(prompt=prompt, texts=texts))
    return results
