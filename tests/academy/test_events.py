"""Programmes and events through the pages: Fran (facilitator) runs them, Vic (viewer) sees
counts only, Olu (another system) sees nothing; members book on their personal page."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tracelead.academy import services
from tracelead.academy.models import (
    Effort,
    Enrolment,
    Event,
    Programme,
    Registration,
    RegistrationStatus,
)
from tracelead.messaging.models import OutboxMessage

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")


@pytest.fixture
def offer(academy: Any) -> Any:
    return academy.offers.get(name="Community development")


@pytest.fixture
def programme(academy: Any, offer: Any) -> Any:
    return services.programme_save(academy=academy, offer=offer, name="Whole-system workshops",
                                   purpose="Fewer delayed discharges across Vale.",
                                   faculty="Dr Amina Shah\nTom Reed")


def text(response: Any) -> str:
    return response.content.decode()


def event_post(**changes: Any) -> dict[str, Any]:
    data = {"kind": "workshop", "title": "Working across boundaries",
            "description": "A morning on shared ownership.", "day": "2030-07-15",
            "starts": "09:30", "ends": "12:30", "venue": "Vale Civic Centre", "link": "",
            "capacity": "30", "programme": "", "counts_for_reach": "on"}
    data.update(changes)
    return data


# --- Programmes -------------------------------------------------------------------------


def test_fran_adds_a_programme_under_an_offer_and_sees_it_listed(
        facilitator_client: Any, academy: Any, offer: Any) -> None:
    response = facilitator_client.post(
        reverse("academy_programme_new", args=[academy.pk]),
        {"name": "Six workshops", "offer": offer.pk, "purpose": "Shared care for frail people",
         "faculty": "Dr Amina Shah\n\n  Tom Reed  "})
    programme = Programme.objects.get(academy=academy)
    assert response.status_code == 302
    assert response["Location"] == reverse("academy_programme", args=[academy.pk, programme.pk])
    assert programme.offer == offer and programme.faculty_list() == ["Dr Amina Shah", "Tom Reed"]
    listing = text(facilitator_client.get(reverse("academy_programmes", args=[academy.pk])))
    assert "Six workshops" in listing and "0 events, 0 enrolled members" in listing


@pytest.mark.parametrize(("change", "message"), [
    ({"offer": ""}, "Choose the offer the programme belongs to"),
    ({"name": "whole-system WORKSHOPS"}, "The academy already has a programme with this name"),
    ({"purpose": ""}, "Enter the shared challenge"),
])
def test_a_programme_with_missing_or_clashing_details_is_refused_and_nothing_changes(
        facilitator_client: Any, academy: Any, offer: Any, programme: Any,
        change: dict[str, str], message: str) -> None:
    data = {"name": "Another", "offer": offer.pk, "purpose": "A challenge", **change}
    response = facilitator_client.post(reverse("academy_programme_new", args=[academy.pk]), data)
    assert response.status_code == 400
    assert "There is a problem" in text(response) and message in text(response)
    assert list(Programme.objects.values_list("name", flat=True)) == ["Whole-system workshops"]


def test_an_offer_of_another_academy_cannot_be_chosen(
        facilitator_client: Any, academy: Any, other_system: Any) -> None:
    from tracelead.academy.models import Offer

    elsewhere = services.academy_create(system=other_system, name="Southmoor Academy")
    foreign = Offer.objects.create(academy=elsewhere, name="Theirs")
    response = facilitator_client.post(reverse("academy_programme_new", args=[academy.pk]),
                                       {"name": "X", "offer": foreign.pk, "purpose": "Y"})
    assert response.status_code == 400
    assert not Programme.objects.exists()


def test_the_programme_page_lists_its_events_in_date_order(
        facilitator_client: Any, academy: Any, programme: Any, make_event: Any) -> None:
    make_event("Session three", days=30, programme=programme)
    make_event("Session one", days=2, programme=programme)
    make_event("Unrelated event", days=3)
    make_event("Session two", days=10, programme=programme)
    page = text(facilitator_client.get(reverse("academy_programme",
                                               args=[academy.pk, programme.pk])))
    titles = re.findall(r"Session \w+|Unrelated event", page)
    assert titles == ["Session one", "Session two", "Session three"]
    assert "Fewer delayed discharges across Vale." in page
    assert "Dr Amina Shah, Tom Reed" in page


def test_fran_finds_a_member_by_email_enrols_them_and_removes_them(
        facilitator_client: Any, academy: Any, programme: Any, make_member: Any) -> None:
    priya = make_member("Priya Patel", email="priya.p@vale.gov.uk")
    make_member("Sam Jones")
    detail = reverse("academy_programme", args=[academy.pk, programme.pk])
    found = text(facilitator_client.get(detail, {"q": "VALE.GOV"}))
    assert "Priya Patel" in found and "Sam Jones" not in found

    response = facilitator_client.post(
        reverse("academy_programme_enrol", args=[academy.pk, programme.pk]),
        {"member": priya.pk, "q": "vale.gov"})
    assert response.status_code == 302
    assert list(programme.members.all()) == [priya]
    # Enrolled members are no longer offered by the search, and enrolling twice is harmless.
    assert "Priya Patel" not in text(facilitator_client.get(detail, {"q": "priya"})).split(
        "Enrol a member")[1]
    facilitator_client.post(reverse("academy_programme_enrol", args=[academy.pk, programme.pk]),
                            {"member": priya.pk})
    assert Enrolment.objects.filter(programme=programme).count() == 1

    facilitator_client.post(reverse("academy_programme_unenrol",
                                    args=[academy.pk, programme.pk]), {"member": priya.pk})
    assert not Enrolment.objects.exists()


def test_a_member_of_another_academy_cannot_be_enrolled(
        facilitator_client: Any, academy: Any, programme: Any, other_system: Any) -> None:
    from tracelead.academy.models import Member

    elsewhere = services.academy_create(system=other_system, name="Southmoor Academy")
    stranger = Member.objects.create(academy=elsewhere, name="Stranger", email="s@example.org",
                                     sector="acute", joined_at=timezone.now())
    response = facilitator_client.post(
        reverse("academy_programme_enrol", args=[academy.pk, programme.pk]),
        {"member": stranger.pk})
    assert response.status_code == 404
    assert not Enrolment.objects.exists()


def test_vic_sees_programme_counts_but_never_a_name_and_cannot_change_anything(
        viewer_client: Any, academy: Any, programme: Any, offer: Any, make_member: Any) -> None:
    services.programme_enrol(programme=programme, member=make_member("Priya Patel"))
    listing = text(viewer_client.get(reverse("academy_programmes", args=[academy.pk])))
    assert "1 enrolled member" in listing and "Add a programme" not in listing
    detail = viewer_client.get(reverse("academy_programme", args=[academy.pk, programme.pk]))
    assert detail.status_code == 200
    assert "Priya" not in text(detail) and "priya" not in text(detail)
    assert "Enrolled members" in text(detail)  # the count, in the summary

    for name, args, data in [
        ("academy_programme_new", [academy.pk], {"name": "X", "offer": offer.pk, "purpose": "Y"}),
        ("academy_programme_edit", [academy.pk, programme.pk], {"name": "X"}),
        ("academy_programme_enrol", [academy.pk, programme.pk], {"member": 1}),
        ("academy_programme_unenrol", [academy.pk, programme.pk], {"member": 1}),
    ]:
        assert viewer_client.post(reverse(name, args=args), data).status_code == 403
    assert Programme.objects.get().name == "Whole-system workshops"
    assert Enrolment.objects.count() == 1


def test_olu_from_another_system_finds_no_programme_or_event(
        other_facilitator_client: Any, academy: Any, programme: Any, make_event: Any) -> None:
    event = make_event()
    for name, args in [("academy_programmes", [academy.pk]),
                       ("academy_programme", [academy.pk, programme.pk]),
                       ("academy_events", [academy.pk]),
                       ("academy_event", [academy.pk, event.pk]),
                       ("academy_event_door", [academy.pk, event.pk]),
                       ("academy_event_registrations", [academy.pk, event.pk])]:
        assert other_facilitator_client.get(reverse(name, args=args)).status_code == 404


# --- Events -------------------------------------------------------------------------------


def test_fran_adds_an_event_whose_times_are_uk_local_time(
        facilitator_client: Any, academy: Any, programme: Any) -> None:
    trust = academy.characteristics.get(name="Builds trust across boundaries")
    response = facilitator_client.post(
        reverse("academy_event_new", args=[academy.pk]),
        event_post(programme=programme.pk, characteristics=[trust.pk], capacity=""))
    event = Event.objects.get()
    assert response.status_code == 302
    # 15 July is summer time (UTC+1): 09:30 in London is 08:30 UTC.
    assert event.starts_at == dt.datetime(2030, 7, 15, 8, 30, tzinfo=dt.UTC)
    assert event.ends_at == dt.datetime(2030, 7, 15, 11, 30, tzinfo=dt.UTC)
    assert event.capacity is None and event.programme == programme
    assert list(event.characteristics.all()) == [trust]
    assert len(event.code) == 6
    page = text(facilitator_client.get(reverse("academy_event", args=[academy.pk, event.pk])))
    assert "Monday 15 July 2030, 09:30 to 12:30" in page
    assert event.code in page


def test_a_winter_event_is_stored_in_greenwich_time(
        facilitator_client: Any, academy: Any) -> None:
    facilitator_client.post(reverse("academy_event_new", args=[academy.pk]),
                            event_post(day="2030-01-15"))
    assert Event.objects.get().starts_at == dt.datetime(2030, 1, 15, 9, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(("change", "message"), [
    ({"ends": "09:00"}, "The end time must be after the start time"),
    ({"venue": ""}, "Enter the place of the event"),
    ({"kind": "online", "venue": ""}, "Enter the link for the online session"),
    ({"day": "2030-02-30"}, "Enter a real date"),
    ({"starts": "half nine"}, "Enter the start time like 09:30"),
    ({"capacity": "0"}, "Enter at least 1 place"),
    ({"capacity": "ten"}, "Enter the number of places as a whole number"),
    ({"title": ""}, "Enter the title of the event"),
    ({"kind": "party"}, "Select a valid choice"),
])
def test_an_event_with_bad_details_is_refused_with_an_error_summary(
        facilitator_client: Any, academy: Any, change: dict[str, str], message: str) -> None:
    response = facilitator_client.post(reverse("academy_event_new", args=[academy.pk]),
                                       event_post(**change))
    assert response.status_code == 400
    assert "There is a problem" in text(response) and message in text(response)
    assert not Event.objects.exists()


def test_changing_an_event_keeps_its_code_and_more_places_let_the_waiting_list_in(
        facilitator_client: Any, academy: Any, make_event: Any, make_member: Any) -> None:
    event = make_event(capacity=1)
    code = event.code
    ann, bob = make_member("Ann"), make_member("Bob")
    services.registration_create(event=event, member=ann)
    services.registration_create(event=event, member=bob)
    edit = facilitator_client.get(reverse("academy_event_edit", args=[academy.pk, event.pk]))
    local = timezone.localtime(event.starts_at)
    assert f'value="{local:%Y-%m-%d}"' in text(edit) and f'value="{local:%H:%M}"' in text(edit)
    response = facilitator_client.post(
        reverse("academy_event_edit", args=[academy.pk, event.pk]),
        event_post(title="Renamed", day=f"{local:%Y-%m-%d}", starts="10:00", ends="12:00",
                   capacity="2"))
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.title, event.code, event.capacity) == ("Renamed", code, 2)
    assert Registration.objects.get(member=bob).status == RegistrationStatus.CONFIRMED


def test_the_event_list_shows_upcoming_and_past_events_with_their_counts(
        viewer_client: Any, academy: Any, make_event: Any, make_member: Any) -> None:
    soon = make_event("Coming workshop", days=5, capacity=1)
    ann, bob = make_member("Ann"), make_member("Bob")
    services.registration_create(event=soon, member=ann)
    services.registration_create(event=soon, member=bob)
    past = make_event("Last month's workshop", days=-30)
    services.check_in(event=past, member=ann, method="list")
    page = text(viewer_client.get(reverse("academy_events", args=[academy.pk])))
    upcoming, earlier = page.split("Past events")
    assert "Coming workshop" in upcoming and "1 of 1 place taken, 1 waiting, 0 came" in upcoming
    assert "Last month&#39;s workshop" in earlier
    assert "0 booked (no limit), 0 waiting, 1 came" in earlier
    assert "Add an event" not in page


def test_vic_sees_an_events_counts_but_no_names_no_code_and_cannot_change_it(
        viewer_client: Any, academy: Any, make_event: Any, make_member: Any) -> None:
    event = make_event(capacity=5)
    services.registration_create(event=event, member=make_member("Priya Patel"))
    page = viewer_client.get(reverse("academy_event", args=[academy.pk, event.pk]))
    assert page.status_code == 200
    assert "Priya" not in text(page) and event.code not in text(page)
    assert re.search(r'id="confirmed-count">1<', text(page))
    for name, data in [("academy_event_edit", event_post()), ("academy_event_cancel", {}),
                       ("academy_event_effort", {"kind": "administration", "hours": "2"}),
                       ("academy_event_register", {"member": 1}),
                       ("academy_event_door_tick", {"member": 1})]:
        assert viewer_client.post(reverse(name, args=[academy.pk, event.pk]),
                                  data).status_code == 403
    for name in ("academy_event_registrations", "academy_event_door", "academy_event_walk_in",
                 "academy_event_poster", "academy_event_qr"):
        assert viewer_client.get(reverse(name, args=[academy.pk, event.pk])).status_code == 403
    assert viewer_client.post(reverse("academy_event_new", args=[academy.pk]),
                              event_post()).status_code == 403
    assert Event.objects.count() == 1 and not Effort.objects.exists()
    assert Event.objects.get().cancelled_at is None


def test_cancelling_an_event_emails_everyone_booked_and_refuses_bookings(
        facilitator_client: Any, client: Any, academy: Any, make_event: Any,
        make_member: Any) -> None:
    event = make_event(capacity=1)
    ann, bob, cat = make_member("Ann"), make_member("Bob"), make_member("Cat")
    services.registration_create(event=event, member=ann)
    services.registration_create(event=event, member=bob)
    confirm = facilitator_client.get(reverse("academy_event_cancel", args=[academy.pk, event.pk]))
    assert "The 1 person with a place and the 1 on the waiting list" in text(confirm)
    assert Event.objects.get().cancelled_at is None  # looking at the question changes nothing
    facilitator_client.post(reverse("academy_event_cancel", args=[academy.pk, event.pk]))
    assert Event.objects.get().cancelled_at is not None
    told = set(OutboxMessage.objects.filter(subject__endswith="is cancelled")
               .values_list("to", flat=True))
    assert told == {"ann@example.org", "bob@example.org"}

    response = client.post(reverse("academy_member_book", args=[cat.token, event.pk]))
    assert response.status_code == 409
    assert "was cancelled, so it cannot be booked" in text(response)
    assert not Registration.objects.filter(member=cat).exists()
    # Ann gives up her cancelled place: nobody is promoted into a cancelled event.
    client.post(reverse("academy_member_cancel", args=[ann.token, event.pk]))
    assert Registration.objects.get(member=bob).status == RegistrationStatus.WAITING


# --- Coordination effort ---------------------------------------------------------------------


def test_effort_is_totalled_by_kind_and_per_participant_hour(
        facilitator_client: Any, academy: Any, make_event: Any, make_member: Any) -> None:
    event = make_event(days=-1, hours=3)
    for name in ("Ann", "Bob", "Cat", "Dee"):
        services.check_in(event=event, member=make_member(name), method="list")
    url = reverse("academy_event_effort", args=[academy.pk, event.pk])
    for kind, hours in [("administration", "2"), ("facilitation", "3.5"),
                        ("preparation", "0.25"), ("preparation", "0.25")]:
        response = facilitator_client.post(url, {"kind": kind, "hours": hours, "note": "x"})
        assert response.status_code == 302
    page = text(facilitator_client.get(reverse("academy_event", args=[academy.pk, event.pk])))
    # By hand: 2 + 3.5 + 0.5 = 6 hours of effort, for 4 people x 3 hours = 12 participant-hours.
    assert re.search(r'id="effort-total"><strong>6.00<', page)
    assert "Effort per participant-hour: <strong>0.50</strong>" in page
    assert "12.00" not in page and "4 people × 3.00 hours" in page

    entry = Effort.objects.filter(kind="facilitation").get()
    facilitator_client.post(reverse("academy_event_effort_remove",
                                    args=[academy.pk, event.pk, entry.pk]))
    assert sum(e.hours for e in Effort.objects.all()) == Decimal("2.5")


@pytest.mark.parametrize(("data", "message"), [
    ({"kind": "administration", "hours": "-1"}, "Enter at least 0.25 hours"),
    ({"kind": "administration", "hours": "lots"}, "Enter the hours as a number"),
    ({"kind": "catering", "hours": "2"}, "Select a valid choice"),
    ({"hours": "2"}, "Choose the kind of work"),
])
def test_bad_effort_is_refused_on_the_event_page(
        facilitator_client: Any, academy: Any, make_event: Any, data: dict[str, str],
        message: str) -> None:
    event = make_event()
    response = facilitator_client.post(reverse("academy_event_effort",
                                               args=[academy.pk, event.pk]), data)
    assert response.status_code == 400
    assert "There is a problem" in text(response) and message in text(response)
    assert "Coordination effort" in text(response)  # the event page, not a bare form
    assert not Effort.objects.exists()


# --- Booking on the member's page -------------------------------------------------------------


def test_ann_books_the_last_place_and_bob_is_first_on_the_waiting_list(
        client: Any, make_event: Any, make_member: Any) -> None:
    event = make_event("Systems thinking", capacity=1)
    ann, bob = make_member("Ann"), make_member("Bob")
    before = text(client.get(reverse("academy_member_events", args=[ann.token])))
    assert "1 place left." in before and "Book a place" in before

    response = client.post(reverse("academy_member_book", args=[ann.token, event.pk]))
    assert response.status_code == 302
    after = text(client.get(response["Location"]))
    assert "You have a place at Systems thinking." in after and "Give up my place" in after

    full = text(client.get(reverse("academy_member_events", args=[bob.token])))
    assert "All 1 places are taken" in full and "Join the waiting list" in full
    client.post(reverse("academy_member_book", args=[bob.token, event.pk]))
    page = text(client.get(reverse("academy_member_events", args=[bob.token])))
    assert "You are number 1 on the waiting list" in page
    assert "You are number 1 in line." in page
    statuses = dict(Registration.objects.values_list("member__name", "status"))
    assert statuses == {"Ann": "confirmed", "Bob": "waiting"}


def test_giving_up_a_place_passes_it_to_the_first_in_line_who_is_emailed(
        client: Any, make_event: Any, make_member: Any) -> None:
    event = make_event(capacity=1)
    ann, bob, cat = make_member("Ann"), make_member("Bob"), make_member("Cat")
    for member in (ann, bob, cat):
        client.post(reverse("academy_member_book", args=[member.token, event.pk]))
    assert "You are number 2 in line." in text(
        client.get(reverse("academy_member_events", args=[cat.token])))
    client.post(reverse("academy_member_cancel", args=[ann.token, event.pk]))
    statuses = dict(Registration.objects.values_list("member__name", "status"))
    assert statuses == {"Ann": "cancelled", "Bob": "confirmed", "Cat": "waiting"}
    assert OutboxMessage.objects.filter(to="bob@example.org",
                                        subject__startswith="You have a place").count() == 1
    assert "You are number 1 in line." in text(
        client.get(reverse("academy_member_events", args=[cat.token])))


def test_the_online_link_is_shown_only_to_members_with_a_place(
        client: Any, academy: Any, make_member: Any) -> None:
    starts = timezone.now() + dt.timedelta(days=3)
    event = services.event_create(academy=academy, kind="online", title="Online huddle",
                                  starts_at=starts, ends_at=starts + dt.timedelta(hours=1),
                                  link="https://meet.example.org/huddle")
    ann = make_member("Ann")
    assert "meet.example.org" not in text(
        client.get(reverse("academy_member_events", args=[ann.token])))
    client.post(reverse("academy_member_book", args=[ann.token, event.pk]))
    assert "https://meet.example.org/huddle" in text(
        client.get(reverse("academy_member_events", args=[ann.token])))


def test_a_started_event_cannot_be_booked(client: Any, make_event: Any,
                                          make_member: Any) -> None:
    event = make_event(days=-0.02)  # began half an hour ago
    ann = make_member("Ann")
    response = client.post(reverse("academy_member_book", args=[ann.token, event.pk]))
    assert response.status_code == 409 and "booking has closed" in text(response)
    assert not Registration.objects.exists()


def test_a_booking_cannot_be_given_up_once_the_event_has_started(
        client: Any, make_event: Any, make_member: Any) -> None:
    event = make_event("Systems thinking", capacity=1)
    ann, bob = make_member("Ann"), make_member("Bob")
    for member in (ann, bob):
        client.post(reverse("academy_member_book", args=[member.token, event.pk]))
    event.starts_at = timezone.now() - dt.timedelta(minutes=30)
    event.save()
    page = text(client.get(reverse("academy_member_events", args=[ann.token])))
    assert "Give up my place" not in page  # the page hides the button; a POST is refused
    response = client.post(reverse("academy_member_cancel", args=[ann.token, event.pk]))
    assert response.status_code == 409
    assert "Systems thinking has started: your booking can no longer be changed." in (
        text(response))
    statuses = dict(Registration.objects.values_list("member__name", "status"))
    assert statuses == {"Ann": "confirmed", "Bob": "waiting"}
    assert not OutboxMessage.objects.filter(subject__startswith="You have a place").exists()
    # Nor can Bob leave the waiting list of an event under way.
    assert client.post(reverse("academy_member_cancel",
                               args=[bob.token, event.pk])).status_code == 409
    assert Registration.objects.get(member=bob).status == "waiting"


def test_a_member_cannot_book_an_event_of_another_academy(
        client: Any, make_member: Any, other_system: Any) -> None:
    elsewhere = services.academy_create(system=other_system, name="Southmoor Academy")
    starts = timezone.now() + dt.timedelta(days=3)
    theirs = services.event_create(academy=elsewhere, kind="workshop", title="Theirs",
                                   starts_at=starts, ends_at=starts + dt.timedelta(hours=1),
                                   venue="Southmoor")
    ann = make_member("Ann")
    assert "Theirs" not in text(client.get(reverse("academy_member_events", args=[ann.token])))
    response = client.post(reverse("academy_member_book", args=[ann.token, theirs.pk]))
    assert response.status_code == 404
    assert not Registration.objects.exists()


def test_a_link_that_does_not_exist_answers_404_and_remembers_nobody(client: Any,
                                                                    academy: Any) -> None:
    response = client.get(reverse("academy_member_events", args=["not-a-real-link"]))
    assert response.status_code == 404
    assert "tl_academy_member" not in response.cookies


def test_a_member_who_left_can_no_longer_use_their_events_page(
        client: Any, make_event: Any, make_member: Any) -> None:
    ann = make_member("Ann")
    services.member_leave(member=ann)
    assert client.get(reverse("academy_member_events", args=[ann.token])).status_code == 404


# --- Bookings seen by the facilitator --------------------------------------------------------


def test_fran_sees_who_is_booked_in_order_and_books_a_member_for_them(
        facilitator_client: Any, academy: Any, make_event: Any, make_member: Any) -> None:
    event = make_event(capacity=1)
    ann, bob, cat = make_member("Ann Ames"), make_member("Bob Bell"), make_member("Cat Cole")
    services.registration_create(event=event, member=ann)
    services.registration_create(event=event, member=cat)
    url = reverse("academy_event_registrations", args=[academy.pk, event.pk])
    page = text(facilitator_client.get(url))
    assert page.index("Ann Ames") < page.index("Waiting list, in order") < page.index("Cat Cole")

    found = text(facilitator_client.get(url, {"q": "bell"}))
    assert "Bob Bell" in found.split("Book a member")[1]
    response = facilitator_client.post(
        reverse("academy_event_register", args=[academy.pk, event.pk]), {"member": bob.pk})
    assert response.status_code == 302
    assert Registration.objects.get(member=bob).status == RegistrationStatus.WAITING
    page = text(facilitator_client.get(url))
    assert re.search(r"1\.</span> Cat Cole.*2\.</span> Bob Bell", page, re.S)

    ann_booking = Registration.objects.get(member=ann)
    facilitator_client.post(reverse("academy_event_registration_cancel",
                                    args=[academy.pk, event.pk, ann_booking.pk]))
    statuses = dict(Registration.objects.values_list("member__name", "status"))
    assert statuses == {"Ann Ames": "cancelled", "Cat Cole": "confirmed", "Bob Bell": "waiting"}


def test_changing_an_event_that_has_happened_promotes_and_emails_nobody(
        facilitator_client: Any, academy: Any, make_event: Any, make_member: Any) -> None:
    event = make_event(capacity=1)
    ann, bob = make_member("Ann"), make_member("Bob")
    services.registration_create(event=event, member=ann)
    services.registration_create(event=event, member=bob)
    day = timezone.localdate() - dt.timedelta(days=2)
    past = dt.datetime.combine(day, dt.time(10, 0), tzinfo=LONDON)
    Event.objects.filter(pk=event.pk).update(starts_at=past, ends_at=past + dt.timedelta(hours=2))
    response = facilitator_client.post(
        reverse("academy_event_edit", args=[academy.pk, event.pk]),
        event_post(day=f"{day:%Y-%m-%d}", starts="10:00", ends="12:00", capacity="5"))
    assert response.status_code == 302
    assert Registration.objects.get(member=bob).status == RegistrationStatus.WAITING
    assert not OutboxMessage.objects.filter(to="bob@example.org").exists()
