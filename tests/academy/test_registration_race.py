"""Fifty people press "Book a place" at the same instant for the last five places; fifty taps
of the same member's check-in arrive together.

Each thread has its own database connection and all are released by one barrier (as in
tests/durability/test_exactly_once.py). Booking locks the event's row (SELECT ... FOR UPDATE
on PostgreSQL; SQLite's IMMEDIATE transactions take the write lock at BEGIN), so the count
of confirmed places and the new row are decided one booking at a time. The same runs on
SQLite and, with DATABASE_URL set, on PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from concurrency import run_together
from tracelead.academy import services
from tracelead.academy.models import CheckIn, Registration, RegistrationStatus
from tracelead.messaging.models import OutboxMessage

THREADS = 50
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def nearly_full(make_event: Any, make_member: Any) -> Any:
    """A workshop of 10 places, 5 already taken."""
    event = make_event("Popular workshop", capacity=10)
    for n in range(5):
        services.registration_create(event=event, member=make_member(f"Early {n}"))
    return event


def test_fifty_bookings_for_the_last_five_places_confirm_five_and_queue_forty_five(
        nearly_full: Any, make_member: Any) -> None:
    people = [make_member(f"Person {n}") for n in range(THREADS)]

    def book(index: int) -> str:
        return services.registration_create(event=nearly_full, member=people[index]).status

    outcomes = run_together(THREADS, book)

    assert outcomes == {"confirmed": 5, "waiting": 45}
    counts = Counter(Registration.objects.filter(event=nearly_full)
                     .values_list("status", flat=True))
    assert counts == {RegistrationStatus.CONFIRMED: 10, RegistrationStatus.WAITING: 45}


def test_fifty_bookings_through_the_members_pages_confirm_exactly_five(
        nearly_full: Any, make_member: Any) -> None:
    tokens = [make_member(f"Person {n}").token for n in range(THREADS)]

    def book(index: int) -> str:
        response = Client().post(reverse("academy_member_book",
                                         args=[tokens[index], nearly_full.pk]))
        return str(response.status_code)

    outcomes = run_together(THREADS, book)

    assert outcomes == {"302": THREADS}
    counts = Counter(Registration.objects.filter(event=nearly_full)
                     .values_list("status", flat=True))
    assert counts == {RegistrationStatus.CONFIRMED: 10, RegistrationStatus.WAITING: 45}


def test_fifty_simultaneous_check_ins_of_one_member_record_one(
        make_event: Any, make_member: Any) -> None:
    event = make_event(days=1 / 24)
    ann = make_member("Ann Ames")

    def tap(index: int) -> str:
        method = ("self", "list", "walk_in")[index % 3]
        _, new = services.check_in(event=event, member=ann, method=method)
        return "new" if new else "already"

    outcomes = run_together(THREADS, tap)

    assert outcomes == {"new": 1, "already": THREADS - 1}
    assert CheckIn.objects.filter(event=event, member=ann).count() == 1


def test_fifty_simultaneous_check_ins_through_the_door_page_record_one(
        make_event: Any, make_member: Any) -> None:
    event = make_event(days=1 / 24)
    make_member("Ann Ames", email="ann@example.org")
    # The button on the page of the link emailed to Ann, tapped fifty times at once.
    assert services.check_in_link_send(event=event, email="ann@example.org")
    body = OutboxMessage.objects.get(to="ann@example.org").body
    link = body[body.index("/c/"):].split()[0]

    def tap(_index: int) -> str:
        return str(Client().post(link).status_code)

    outcomes = run_together(THREADS, tap)

    assert outcomes == {"302": THREADS}
    assert CheckIn.objects.filter(event=event).count() == 1
