"""Booking a place: the waiting list, cancellation that frees a place for the next in line,
and check-in that counts once."""

from __future__ import annotations

from typing import Any

import pytest

from tracelead.academy import services
from tracelead.academy.models import CheckIn, CheckInMethod, Registration, RegistrationStatus
from tracelead.messaging.models import OutboxMessage

pytestmark = pytest.mark.django_db


def test_it_puts_people_on_the_waiting_list_once_the_event_is_full(
        make_member: Any, make_event: Any) -> None:
    event = make_event(capacity=2)
    ann, bob, cat = make_member("Ann"), make_member("Bob"), make_member("Cat")
    statuses = [services.registration_create(event=event, member=m).status
                for m in (ann, bob, cat)]
    assert statuses == ["confirmed", "confirmed", "waiting"]


def test_a_cancelled_place_goes_to_the_first_in_line_who_is_told_by_email(
        make_member: Any, make_event: Any) -> None:
    event = make_event(capacity=1)
    ann, bob, cat = make_member("Ann"), make_member("Bob"), make_member("Cat")
    first = services.registration_create(event=event, member=ann)
    services.registration_create(event=event, member=bob)
    services.registration_create(event=event, member=cat)
    promoted = services.registration_cancel(registration=first)
    assert [r.member for r in promoted] == [bob]
    by_member = dict(Registration.objects.filter(event=event).values_list("member__name",
                                                                        "status"))
    assert by_member == {"Ann": "cancelled", "Bob": "confirmed", "Cat": "waiting"}
    assert OutboxMessage.objects.filter(to="bob@example.org",
                                        subject__contains="You have a place").count() == 1


def test_booking_again_after_cancelling_joins_the_end_of_the_line(
        make_member: Any, make_event: Any) -> None:
    event = make_event(capacity=1)
    ann, bob = make_member("Ann"), make_member("Bob")
    services.registration_create(event=event, member=ann)
    waiting = services.registration_create(event=event, member=bob)
    services.registration_cancel(registration=waiting)
    again = services.registration_create(event=event, member=bob)
    assert again.status == RegistrationStatus.WAITING
    assert Registration.objects.filter(event=event, member=bob).count() == 1


def test_a_larger_capacity_lets_the_waiting_list_in(make_member: Any, make_event: Any) -> None:
    event = make_event(capacity=1)
    ann, bob = make_member("Ann"), make_member("Bob")
    services.registration_create(event=event, member=ann)
    services.registration_create(event=event, member=bob)
    services.event_update(event=event, capacity=2)
    assert Registration.objects.get(member=bob).status == RegistrationStatus.CONFIRMED


def test_checking_in_twice_records_one_attendance(make_member: Any, make_event: Any) -> None:
    event = make_event()
    ann = make_member("Ann")
    _, new = services.check_in(event=event, member=ann, method=CheckInMethod.SELF)
    _, again = services.check_in(event=event, member=ann, method=CheckInMethod.LIST)
    assert (new, again) == (True, False)
    assert CheckIn.objects.filter(event=event).count() == 1


def test_leaving_erases_the_name_and_address_and_frees_future_places(
        make_member: Any, make_event: Any) -> None:
    event = make_event(capacity=1)
    ann, bob = make_member("Ann"), make_member("Bob")
    services.registration_create(event=event, member=ann)
    services.registration_create(event=event, member=bob)
    services.member_leave(member=ann)
    ann.refresh_from_db()
    assert (ann.name, ann.email, ann.token_hash, ann.place) == ("", None, None, "")
    assert ann.sector == "acute" and ann.left_at is not None
    assert Registration.objects.get(member=bob).status == RegistrationStatus.CONFIRMED
    assert services.member_by_token(ann.token) is None
