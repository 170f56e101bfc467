"""Live polls in the demo: what the programme's rooms said.

* Workshop 4 of the whole-system programme ran a poll (sectors asked): trust in partners,
  one word for the partnership, where to start, what people did since the last workshop,
  what they will do differently, the priorities ranked and ideas for the next workshop,
  upvoted. Few people came from some sectors, so the results by sector merge those into
  "Other sectors together" (each figure covers at least the threshold's number of people).
* Workshop 5 ran the TRACE pulse. Everyone rated Energy high, but the room split on Task:
  the programme's partners did not yet share one account of what they were there to
  achieve (the finding seed 003 describes, found here in two minutes). The pulse is kept
  with the partnership board's history, marked as a pulse.
* Workshop 6, still to come, has a poll ready to present, made from the academy's template
  "Workshop opener", so a visitor can press Present and join on a phone.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from typing import Any

from django.utils import timezone

from tracelead.academy.models import Academy, CheckIn, Event, hash_token
from tracelead.organisations.models import Group

from . import services
from .models import Idea, IdeaVote, Participant, Poll, Question, QuestionStatus, Vote
from .selectors import poll_threshold
from .services import QuestionDraft

OPENER = [
    QuestionDraft(kind="words", prompt="One word for how working across organisations feels "
                  "today", max_entries=2),
    QuestionDraft(kind="scale", prompt="How far do you trust partners outside your own "
                  "organisation?", low_label="Not at all", high_label="Completely"),
    QuestionDraft(kind="single", prompt="Which part of the discharge pathway should we "
                  "look at first?", options=["Before admission", "On the ward",
                                              "The day of discharge", "The first week home"]),
]
WORKSHOP_4 = [
    *OPENER,
    QuestionDraft(kind="multiple", prompt="Since workshop 3, which of these have you done?",
                  options=["Met someone from the workshop again", "Visited another "
                           "organisation's service", "Started a piece of work together",
                           "None of these yet"]),
    QuestionDraft(kind="text", prompt="What will you do differently next week because of "
                  "today?"),
    QuestionDraft(kind="ranking", prompt="Rank what would get people home sooner",
                  options=["One shared discharge plan", "Care packages ready in time",
                           "Housing adaptations", "Transport home"]),
    QuestionDraft(kind="ideas", prompt="What should workshop 5 work on?", max_entries=2),
]
WORDS = ["hopeful", "tiring", "connected", "messy", "slow", "open", "stretched",
         "together", "curious", "complicated", "honest", "busy"]
DIFFERENTLY = [
    "Ring the ward before the care package is booked, not after.",
    "Invite the housing officer to our Monday huddle.",
    "Ask families what 'home' needs to look like on day one.",
    "Share our waiting list with the voluntary sector team.",
    "Stop sending referrals by email without a call.",
    "Meet the community team in person instead of on a screen.",
    "Use one discharge checklist with the council's team.",
    "Bring a patient story to our next board meeting.",
]
IDEAS = [
    ("Walk one patient's journey home together", 14),
    ("Agree what a 'ready for discharge' decision means", 11),
    ("Hear from carers about the first week", 9),
    ("Map who decides on care packages", 7),
    ("Share data on delays weekly", 4),
]
# The pulse at workshop 5: Energy high and shared, Task split down the middle.
PULSE_PATTERN = {
    "task": [1, 2, 4, 5, 5, 1, 2, 5],
    "route": [2, 3, 3, 2, 3, 2, 3, 3],
    "alignment": [2, 3, 2, 3, 3, 2, 2, 3],
    "capability": [3, 4, 3, 3, 4, 3, 3, 4],
    "energy": [4, 5, 4, 4, 5, 4, 5, 4],
}


def _people(poll: Poll, event: Event, rng: random.Random, *, sectors: bool) -> list[Participant]:
    """One participant per person who checked in (a phone each), with their sector."""
    came = list(CheckIn.objects.filter(event=event).select_related("member"))
    rng.shuffle(came)
    people = [Participant(poll=poll, token_hash=hash_token(secrets.token_urlsafe(16)),
                          sector=check_in.member.sector if sectors else "")
              for check_in in came[: max(len(came) - 3, 0)]]  # a few never took out a phone
    Participant.objects.bulk_create(people)
    return list(Participant.objects.filter(poll=poll).order_by("pk"))


def _ran(poll: Poll, event: Event) -> None:
    """The questions were opened and closed during the event; the poll ended with it."""
    Question.objects.filter(poll=poll).update(status=QuestionStatus.CLOSED,
                                              opened_at=event.starts_at,
                                              closed_at=event.ends_at)
    Poll.objects.filter(pk=poll.pk).update(
        ended_at=event.ends_at, version=1,
        sector_threshold=poll_threshold(poll) if poll.ask_sector else None)


def _votes(question: Question, people: list[Participant], answers: list[Any]) -> None:
    Vote.objects.bulk_create(Vote(question=question, participant=p, answer=a)
                             for p, a in zip(people, answers, strict=False))


def _workshop_4(academy: Academy, event: Event, facilitator: Any, rng: random.Random) -> None:
    poll = services.poll_create(academy=academy, event=event, ask_sector=True,
                                title="Workshop 4: where are we now?", created_by=facilitator)
    for draft in WORKSHOP_4:
        services.question_save(poll=poll, question=None, draft=draft)
    people = _people(poll, event, rng, sectors=True)
    words, scale, single, multiple, text, ranking, ideas = list(poll.questions.all())
    _votes(words, people, [rng.sample(WORDS, rng.choice([1, 2])) for _ in people])
    _votes(scale, people, [min(5, max(1, round(rng.gauss(3.4, 0.9)))) for _ in people])
    _votes(single, people, [rng.choices(range(4), weights=[2, 3, 6, 4])[0] for _ in people])
    done = []
    for _ in people:
        picked = [i for i, share in enumerate((0.7, 0.35, 0.25)) if rng.random() < share]
        done.append(picked or [3])
    _votes(multiple, people, done)
    _votes(text, people[::3], [rng.choice(DIFFERENTLY) for _ in people[::3]])
    orders = []
    for _ in people:
        order = [0, 1, 2, 3]
        rng.shuffle(order)
        if rng.random() < 0.6:  # most put one shared plan first
            order.remove(0)
            order.insert(0, 0)
        orders.append(order)
    _votes(ranking, people, orders)
    authors = rng.sample(people, len(IDEAS))
    for (text_of, votes), author in zip(IDEAS, authors, strict=True):
        idea = Idea.objects.create(question=ideas, participant=author, text=text_of)
        IdeaVote.objects.bulk_create(IdeaVote(idea=idea, participant=p)
                                     for p in rng.sample(people, min(votes, len(people))))
    _ran(poll, event)


def _workshop_5_pulse(academy: Academy, event: Event, facilitator: Any, rng: random.Random,
                      board: Group | None) -> None:
    poll = services.pulse_create(academy=academy, event=event, created_by=facilitator)
    people = _people(poll, event, rng, sectors=False)
    for question in poll.questions.all():
        pattern = PULSE_PATTERN[question.condition]
        _votes(question, people, [pattern[i % len(pattern)] for i in range(len(people))])
    _ran(poll, event)
    if board is not None:
        services.pulse_keep(poll=Poll.objects.get(pk=poll.pk), group=board)
        Poll.objects.filter(pk=poll.pk).update(kept_at=event.ends_at)


def polls_demo_load(*, academy: Academy, facilitator: Any, today: dt.date, seed: int) -> None:
    """Create the demo's polls (inside the demo's transaction), for workshops before and
    after ``today``."""
    rng = random.Random(seed + 13)  # noqa: S311 - demo data, not a secret
    workshops = list(Event.objects.filter(academy=academy, programme__isnull=False)
                     .order_by("starts_at"))
    past = [e for e in workshops if timezone.localdate(e.starts_at) < today]
    template = services.poll_create(academy=academy, event=None, title="Workshop opener",
                                    created_by=facilitator)
    for draft in OPENER:
        services.question_save(poll=template, question=None, draft=draft)
    if len(past) >= 2:
        _workshop_4(academy, past[-2], facilitator, rng)
        board = Group.objects.filter(system=academy.system, organisation__isnull=True,
                                     parent__isnull=True).order_by("pk").first()
        _workshop_5_pulse(academy, past[-1], facilitator, rng, board)
    upcoming = [e for e in workshops if timezone.localdate(e.starts_at) >= today]
    if upcoming:
        services.poll_copy(source=template, event=upcoming[0],
                           title="Workshop 6: opening questions", created_by=facilitator)
