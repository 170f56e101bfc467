"""The demo's polls tell the story their module promises (src/tracelead/polls/demo.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from tracelead.polls import selectors
from tracelead.polls.models import Poll, QuestionKind

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 2)


DEMO_OPTIONS = {"today": TODAY}


@pytest.fixture
def polls(demo_once: object, db: object) -> dict[str, Poll]:
    return {p.title: p for p in Poll.objects.select_related("event", "kept_group")}


def test_the_pulse_at_workshop_5_finds_the_room_split_on_task(polls: dict[str, Poll]) -> None:
    pulse = polls["TRACE pulse"]
    assert pulse.event is not None and "workshop 5 of 6" in pulse.event.title
    result = selectors.pulse_results(pulse)
    by_key = {c["key"]: c for c in result["conditions"]}
    assert by_key["task"]["sharedness"] == "not shared"
    assert by_key["energy"]["level"] >= 4 and by_key["energy"]["sharedness"] == "widely shared"
    assert result["focus"]["key"] == "task"
    assert pulse.kept_group is not None and pulse.kept_group.organisation_id is None
    assert result["people"] >= 5  # over the threshold: the board's page shows it


def test_workshop_4_merges_the_lone_small_sectors_before_any_breakdown(
        polls: dict[str, Poll]) -> None:
    poll = polls["Workshop 4: where are we now?"]
    assert poll.ask_sector and poll.participants.count() >= 20
    scale = poll.questions.get(kind=QuestionKind.SCALE)
    breakdown = selectors.by_sector(scale, selectors.poll_threshold(poll))
    assert breakdown is not None and not breakdown["withheld"]
    assert all(g["n"] >= breakdown["threshold"] for g in breakdown["groups"])
    assert breakdown["groups"][-1]["label"] == "Other sectors together"
    assert {q.kind for q in poll.questions.all()} == set(QuestionKind.values)


def test_workshop_6_has_a_poll_ready_from_the_template(polls: dict[str, Poll]) -> None:
    template = polls["Workshop opener"]
    ready = polls["Workshop 6: opening questions"]
    assert template.event is None and ready.event is not None
    assert [q.prompt for q in ready.questions.all()] == [
        q.prompt for q in template.questions.all()]
    assert ready.code and ready.participants.count() == 0 and ready.ended_at is None
