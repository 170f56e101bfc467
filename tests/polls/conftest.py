"""Fixtures for the live-poll tests: the academy's Northbrook academy (the same fixtures as
``tests/academy``, loaded from there) with a workshop today, a poll with one question of
each kind, and a TRACE pulse.

``vote_as(poll)`` gives a new phone (its own test client) that has joined the poll.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

# The academy's fixtures (academy, hospital, council, charity, make_member, make_event).
_spec = importlib.util.spec_from_file_location(
    "academy_fixtures", Path(__file__).resolve().parents[1] / "academy" / "conftest.py")
assert _spec is not None and _spec.loader is not None
_academy_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_academy_fixtures)
academy = _academy_fixtures.academy
hospital = _academy_fixtures.hospital
council = _academy_fixtures.council
charity = _academy_fixtures.charity
make_event = _academy_fixtures.make_event
make_member = _academy_fixtures.make_member


@pytest.fixture
def workshop(make_event: Any) -> Any:
    return make_event("Workshop 3: trust across boundaries", days=0)


@pytest.fixture
def poll(academy: Any, workshop: Any, facilitator: Any) -> Any:
    """A poll with one question of each kind, in this order: scale 1-5, single choice,
    multiple choice, word cloud, open text, ranking, ideas."""
    from tracelead.polls import services
    from tracelead.polls.services import QuestionDraft

    poll = services.poll_create(academy=academy, event=workshop, title="How are we doing?",
                                created_by=facilitator)
    drafts = [
        QuestionDraft(kind="scale", prompt="How much do you trust partners outside your "
                      "organisation?", low_label="Not at all", high_label="Completely"),
        QuestionDraft(kind="single", prompt="Where should we start?",
                      options=["Discharge", "Prevention", "Workforce"]),
        QuestionDraft(kind="multiple", prompt="Which sessions helped?",
                      options=["Story circle", "Systems mapping", "Exchange"]),
        QuestionDraft(kind="words", prompt="One word for today", max_entries=2),
        QuestionDraft(kind="text", prompt="What will you do differently?"),
        QuestionDraft(kind="ranking", prompt="Rank the priorities",
                      options=["Housing", "Hospital flow", "Loneliness"]),
        QuestionDraft(kind="ideas", prompt="Ideas for the next workshop", max_entries=2),
    ]
    for draft in drafts:
        services.question_save(poll=poll, question=None, draft=draft)
    return poll


@pytest.fixture
def pulse_poll(academy: Any, workshop: Any, facilitator: Any) -> Any:
    from tracelead.polls import services

    return services.pulse_create(academy=academy, event=workshop, created_by=facilitator)


@pytest.fixture
def vote_as(db: Any) -> Any:
    """``phone = vote_as(poll, name="Ann", sector="housing")``: a new device (test client)
    that joined the poll through its join page."""
    from django.test import Client

    def join(poll: Any, *, name: str = "", sector: str = "") -> Client:
        phone = Client()
        data = {"name": name, "sector": sector}
        response = phone.post(f"/p/{poll.code}/", data)
        assert response.status_code == 302, response.content[:500]
        return phone

    return join
