"""The demo academy tells the story its module promises (src/tracelead/academy/demo.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from tracelead.academy.models import (
    Academy,
    CheckIn,
    Event,
    ExchangePair,
    Member,
    Registration,
    RegistrationStatus,
    WorkforceFigure,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 2)


DEMO_OPTIONS = {"today": TODAY}


@pytest.fixture
def academy(demo_once: object, db: object) -> Academy:
    return Academy.objects.get()


def test_a_few_hundred_members_joined_from_every_sector_but_primary_care(
        academy: Academy) -> None:
    members = Member.objects.filter(academy=academy)
    assert 300 <= members.count() <= 500
    sectors = set(members.values_list("sector", flat=True))
    assert "primary_care" not in sectors
    primary_care_staff = WorkforceFigure.objects.filter(
        academy=academy, organisation__sector="primary_care").values_list("headcount",
                                                                          flat=True)
    assert sum(primary_care_staff) > 1000


def test_a_core_group_came_to_every_held_workshop_of_the_programme(academy: Academy) -> None:
    held = Event.objects.filter(programme__isnull=False, starts_at__date__lt=TODAY)
    assert held.count() == 5
    attended = [set(CheckIn.objects.filter(event=e).values_list("member", flat=True))
                for e in held]
    core = set.intersection(*attended)
    assert len(core) == 16
    sizes = [len(a) for a in attended]
    assert sizes != sorted(sizes, reverse=True)  # uneven, not a steady decline
    assert max(sizes) - min(sizes) >= 15
    # Newcomers still arrive in the last held session.
    assert attended[-1] - set().union(*attended[:-1])


def test_an_upcoming_workshop_is_full_with_people_waiting(academy: Academy) -> None:
    full = [e for e in Event.objects.filter(starts_at__date__gt=TODAY, capacity__isnull=False)
            if Registration.objects.filter(event=e, status=RegistrationStatus.WAITING).exists()]
    assert len(full) == 1
    event = full[0]
    confirmed = Registration.objects.filter(event=event, status=RegistrationStatus.CONFIRMED)
    assert confirmed.count() == event.capacity


def test_exchange_pairs_cross_organisations_and_sectors(academy: Academy) -> None:
    pairs = ExchangePair.objects.filter(academy=academy).select_related("first", "second")
    assert pairs.count() >= 10
    for pair in pairs:
        assert pair.first.organisation_id != pair.second.organisation_id
        assert pair.first.sector != pair.second.sector
