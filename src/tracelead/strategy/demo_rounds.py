"""The demo strategy's rounds: 360 feedback of the acute trust's ward managers, and a
direction, alignment and commitment round of its surgical division beside its TRACE.

* Six ward managers had 360 feedback last month and a summary went to the board: they are
  seen as compassionate and fair, least often as dealing early with poor performance; in
  their own reports they rate themselves higher than others do on using data. Their direct
  reports are shown; "others" are not, as only two of them answered for most leaders.
* One matron's round is open, so the facilitator sees only how many have answered.
* The Surgical Division management team, which improved between its two TRACE rounds,
  answered the DAC questionnaire in the same season: direction and commitment are strong,
  alignment a little behind, as its Alignment was on TRACE.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from tracelead.diagnostics.models import Assessment, Invitation, RaterKind, Response, pack_answers
from tracelead.diagnostics.services import new_token
from tracelead.instruments import get_instrument
from tracelead.organisations.models import Group, System
from tracelead.publishing.models import Cycle

from . import feedback
from .models import FeedbackRound, Strategy

# How often, on 1..5, others see each behaviour in a typical ward manager (self adds a
# little, most of all on using data).
WARD_MANAGER_LEVELS = {"compassion": 4.3, "improving-care": 3.8, "patients-and-carers": 3.9,
                       "accountability": 3.6, "innovation": 3.2, "using-data": 2.9,
                       "poor-performance": 2.5, "system-problems": 3.0,
                       "ward-leadership": 3.9}
SELF_LIFT = {"using-data": 1.0}
RATER_DOMAIN = "raters.northbrook.example"
WARD_MANAGERS = ["Grace Okafor", "Tom Hughes", "Priya Nair", "Dafydd Evans", "Maria Santos",
                 "Lewis Grant"]
# kind, how many asked, how many answer
RATERS = [("self", 1, 1), ("manager", 1, 1), ("peer", 4, 3), ("report", 6, 4),
          ("other", 3, 2)]


def _rate(rng: random.Random, level: float) -> int | None:
    if rng.random() < 0.06:
        return None  # not seen enough to say
    return min(5, max(1, round(level + rng.gauss(0, 0.7))))


def _run_round(strategy: Strategy, *, name: str, position_title: str, facilitator: Any,
               today: dt.date, rng: random.Random, lift: float, close: bool
               ) -> FeedbackRound:
    position = strategy.positions.get(title=position_title)
    round_ = feedback.round_create(
        strategy=strategy, leader_name=name,
        leader_email=name.lower().replace(" ", ".") + "@northbrook.example",
        position=position, closes_on=today + dt.timedelta(days=10), user=facilitator)
    for kind, asked, answering in RATERS:
        if not close and kind in ("report", "other"):
            answering = 1  # still arriving
        slug = name.lower().replace(" ", "-")
        links = feedback.raters_add(round_=round_, kind=kind, people=[
            (name, round_.leader_email) if kind == "self" else
            (f"{kind.title()} {n + 1}", f"{kind}{n + 1}.{slug}@{RATER_DOMAIN}")
            for n in range(asked)])
        for rater in links[:answering]:
            ratings = {key: _rate(rng, WARD_MANAGER_LEVELS.get(key, 3.4) + lift
                                  + (0.5 + SELF_LIFT.get(key, 0) if kind == "self" else 0))
                       for key in round_.behaviours}
            if all(v is None for v in ratings.values()):
                ratings[round_.behaviours[0]] = 4
            feedback.answer_submit(rater=rater, ratings=ratings)
    if close:
        feedback.round_close(round_)
    return round_


def feedback_demo_load(*, strategy: Strategy, facilitator: Any, today: dt.date,
                       seed: int) -> None:
    from django.utils import timezone

    from tracelead.messaging.models import OutboxMessage

    rng = random.Random(seed + 360)  # noqa: S311 - demo data, not a secret
    for name in WARD_MANAGERS:
        _run_round(strategy, name=name, position_title="Ward manager", facilitator=facilitator,
                   today=today, rng=rng, lift=rng.gauss(0, 0.25), close=True)
    feedback.summary_make(position=strategy.positions.get(title="Ward manager"),
                          user=facilitator)
    _run_round(strategy, name="Helen Carter", position_title="Matron",
               facilitator=facilitator, today=today, rng=rng, lift=0.2, close=False)
    # The raters' invitations went out when they were asked (the demo sends no email).
    OutboxMessage.objects.filter(status="pending").filter(
        to__endswith=RATER_DOMAIN).update(status="sent", body="", sent_at=timezone.now())
    OutboxMessage.objects.filter(status="pending", to__endswith="@northbrook.example",
                                 subject__startswith="360 feedback").update(
        status="sent", body="", sent_at=timezone.now())


def dac_demo_load(*, system: System, group: Group, opens: dt.date, closes: dt.date,
                  seed: int, before: Cycle) -> Assessment:
    """A closed DAC round of ``group`` in a cycle of its own (a cycle keeps one
    questionnaire), published with the system's other cycles. The cycle is dated just
    before ``before`` so that the heatmap still opens on the newest TRACE cycle."""
    rng = random.Random(seed + 3)  # noqa: S311 - demo data, not a secret
    instrument = get_instrument("dac")
    cycle = Cycle.objects.create(system=system, name=f"Direction, alignment and commitment "
                                                     f"{closes:%B %Y}")
    Cycle.objects.filter(pk=cycle.pk).update(
        created_at=before.created_at - dt.timedelta(seconds=1))
    assessment = Assessment.objects.create(
        group=group, cycle=cycle, title=f"{group.name}: direction, alignment and commitment",
        instrument_key=instrument.key, instrument_version=instrument.version,
        rater_kinds=[RaterKind.MEMBER.value], opens_on=opens, closes_on=closes)
    centres = {"direction": 3.9, "alignment": 3.3, "commitment": 3.8}
    answered = 9
    Invitation.objects.bulk_create(
        Invitation(assessment=assessment, token_hash=Invitation.hash_token(new_token()),
                   rater_kind=RaterKind.MEMBER, used=n < answered) for n in range(11))
    responses = []
    for _ in range(answered):
        levels = {scale: rng.gauss(centre, 0.4) for scale, centre in centres.items()}
        answers: dict[str, int | None] = {
            key: min(5, max(1, round(levels[scale] + rng.gauss(0, 0.5))))
            for key, scale in zip(instrument.item_keys, instrument.item_scale_keys,
                                  strict=True)}
        responses.append(Response(assessment=assessment, rater_kind=RaterKind.MEMBER,
                                  answers=answers,
                                  packed=pack_answers(instrument.item_keys, answers),
                                  submitted_on=closes))
    Response.objects.bulk_create(responses)
    return assessment
