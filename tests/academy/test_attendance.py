"""Attendance: by event, by person, the flow of a programme, by sector, and the effort per
participant-hour, through HTTP. The figures are worked out by hand in ``reach_story``."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
import reach_story

from tracelead.academy import selectors
from tracelead.academy.models import CheckIn, Event, EventKind, Programme, Registration

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    words = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(words))


@pytest.fixture
def story(academy: Any, hospital: Any, council: Any, charity: Any) -> reach_story.Story:
    return reach_story.build(academy, hospital, council, charity)


def url(story: reach_story.Story) -> str:
    return f"/academy/{story.academy.pk}/attendance/"


def day(story: reach_story.Story, days: int) -> str:
    return f"{story.today + dt.timedelta(days=days):%-d %b %Y}"


def test_each_event_shows_registrations_attendance_no_shows_and_walk_ins(
        facilitator_client: Any, story: reach_story.Story) -> None:
    response = facilitator_client.get(url(story))
    assert response.status_code == 200
    page = text(response)
    # Workshop 1: Asha, Ben and Dev held places; Asha and Ben came; Dev did not.
    assert f"Workshop 1 Leading Together {day(story, -20)} 3 3 2 1 0" in page
    # Workshop 2: Asha held a place and came; Chloe came without one.
    assert f"Workshop 2 Leading Together {day(story, -6)} 1 1 2 0 1" in page
    # The evening: Ewa came without booking. Workshop 3 is still to come.
    assert f"Networking evening {day(story, -3)} 0 0 1 0 1" in page
    assert f"Workshop 3 Leading Together {day(story, 10)} 1 1 – – –" in page
    assert "All 3 events held 4 4 5 1 2" in page


def test_effort_is_shown_per_participant_hour_by_event_and_in_total(
        facilitator_client: Any, story: reach_story.Story) -> None:
    page = text(facilitator_client.get(url(story)))
    # 12 hours for 2 people x 3 hours = 2.00; 3 hours for 2 x 2 = 0.75; the evening had
    # no effort logged (0.00); 15 hours over 12 participant-hours = 1.25 overall.
    assert "Workshop 1 3.0 4.0 6.0 2.0 12.0 2.00" in page
    assert "Workshop 2 2.0 0.0 3.0 0.0 3.0 0.75" in page
    assert "Networking evening 2.0 0.0 0.0 0.0 0.0 0.00" in page
    assert "All events 4.0 9.0 2.0 15.0 1.25" in page
    assert ("15.0 hours of coordination effort were logged: 1.25 hours of effort for every "
            "hour a participant spent at an event (12 participant-hours).") in page


def test_attendance_is_broken_down_by_sector_for_each_event(
        facilitator_client: Any, story: reach_story.Story) -> None:
    page = text(facilitator_client.get(url(story)))
    assert "Event Acute Local authority" in page  # only sectors that came
    assert "Workshop 2 1 1" in page and "Workshop 1 2 0" in page


def test_the_programme_shows_newcomers_drop_off_and_its_core_group(
        facilitator_client: Any, story: reach_story.Story) -> None:
    page = text(facilitator_client.get(url(story)))
    assert f"Workshop 1 {day(story, -20)} 2 2 0 0" in page
    # Chloe is new at workshop 2, Asha returns, Ben (at workshop 1) dropped off.
    assert f"Workshop 2 {day(story, -6)} 2 1 1 1" in page
    assert ("3 people came to at least one of its 2 sessions held; 1 person came to every "
            "one: Asha Example.") in page


def test_the_facilitator_sees_attendance_by_person_with_names(
        facilitator_client: Any, story: reach_story.Story) -> None:
    page = text(facilitator_client.get(url(story)))
    assert "Asha Example Northbrook Hospitals 2" in page
    assert "Chloe Example Vale Council 1" in page
    assert "Dev Example" not in page  # never came
    assert "No events yet 1 1 event 3 2 events 1" in page


def test_a_viewer_sees_the_same_counts_and_not_one_name(
        viewer_client: Any, story: reach_story.Story) -> None:
    response = viewer_client.get(url(story))
    assert response.status_code == 200
    page = text(response)
    assert "All 3 events held 4 4 5 1 2" in page
    assert "1 person came to every one." in page
    assert "No events yet 1 1 event 3 2 events 1" in page
    assert "Names are shown only to the academy's facilitators" in page
    for name in reach_story.NAMES:
        assert name not in page


def test_another_programme_can_be_chosen_and_one_of_another_academy_cannot(
        facilitator_client: Any, story: reach_story.Story, other_system: Any) -> None:
    from tracelead.academy import services
    from tracelead.academy.models import Offer

    offer = Offer.objects.filter(academy=story.academy).first()
    quiet = Programme.objects.create(academy=story.academy, offer=offer, name="Quiet one")
    page = text(facilitator_client.get(url(story), {"programme": quiet.pk}))
    assert "Quiet one" in page and "No session of this programme has been held yet." in page
    elsewhere = services.academy_create(system=other_system, name="Southmoor Academy")
    theirs = Programme.objects.create(
        academy=elsewhere, name="Theirs",
        offer=Offer.objects.create(academy=elsewhere, name="Their offer"))
    assert facilitator_client.get(url(story), {"programme": theirs.pk}).status_code == 404
    assert facilitator_client.get(url(story), {"programme": "1;drop"}).status_code == 404


def test_the_events_come_a_page_at_a_time_newest_first(
        facilitator_client: Any, story: reach_story.Story) -> None:
    for n in range(30):
        starts = reach_story.at_noon(-100 - n)
        services_event = Event.objects.create(
            academy=story.academy, kind=EventKind.ONLINE, title=f"Old session {n}",
            starts_at=starts, ends_at=starts + dt.timedelta(hours=1), code=f"OLD{n:03d}")
        assert services_event.pk
    first = text(facilitator_client.get(url(story)))
    assert "Page 1 of 2 (34 events, newest first)." in first
    assert "Workshop 3" in first and "Old session 29" not in first
    second = text(facilitator_client.get(url(story), {"page": "2"}))
    assert "Old session 29" in second and "Workshop 3 Leading" not in second
    # Attendance is totalled over every event, whichever page is shown; registrations
    # are read for the events on the page only (the report totals them).
    assert "All 33 events held 5 Previous" in second and "Page 2 of 2" in second


def test_the_page_reads_the_academy_in_the_same_few_queries_whatever_its_size(
        story: reach_story.Story) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            selectors.attendance_report(story.academy, with_names=True)
            selectors.reach_report(story.academy, target=story.target)
        return len(context)

    small = queries()
    for n in range(10):
        starts = reach_story.at_noon(-40 - n)
        event = Event.objects.create(
            academy=story.academy, kind=EventKind.WORKSHOP, title=f"Extra {n}",
            starts_at=starts, ends_at=starts + dt.timedelta(hours=2), code=f"EXT{n:03d}",
            programme=Programme.objects.get(name="Leading Together"))
        for member in story.members.values():
            CheckIn.objects.create(event=event, member=member, method="list", at=starts)
            Registration.objects.create(event=event, member=member, status="confirmed")
    assert queries() == small <= 25


def test_the_totals_counted_in_the_database_agree_with_those_added_up_event_by_event(
        story: reach_story.Story) -> None:
    from django.utils import timezone

    now = timezone.now()
    rows = selectors._event_figures(story.academy, now, only=None)
    by_rows = selectors._totals(rows, people_attending=4, members=5)
    in_db = selectors._held_totals(story.academy, now, people_attending=4, members=5)
    assert (in_db.events_held, in_db.attended) == (by_rows.events_held, by_rows.attended) == (3, 5)
    assert in_db.effort == by_rows.effort == {"administration": 4.0, "facilitation": 9.0,
                                              "preparation": 2.0}
    assert in_db.participant_hours == pytest.approx(by_rows.participant_hours) == 12.0
    assert in_db.per_participant_hour == pytest.approx(1.25)
    assert in_db.no_shows is None and by_rows.no_shows == 1
