"""Named people and a small academy for the academy tests.

Northbrook ICS (the shared ``system`` fixture) starts an academy with two characteristics
and two offers; three organisations of different sectors take part. ``facilitator``
(whole-system facilitator) runs it, ``viewer`` sees counts, ``other_facilitator`` belongs
to another system and sees nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest


@pytest.fixture
def academy(system: Any) -> Any:
    from tracelead.academy import services
    from tracelead.academy.models import Characteristic, Offer

    academy = services.academy_create(
        system=system, name="Northbrook Leadership Academy",
        purpose="Grow leaders who work across the whole system.",
        principles="Open to everyone\nLearning together",
        places="Northbrook\nVale", privacy_notice="We keep your details to run the academy.",
    )
    Characteristic.objects.create(academy=academy, name="Builds trust across boundaries",
                                  position=1)
    Characteristic.objects.create(academy=academy, name="Works with communities", position=2)
    Offer.objects.create(academy=academy, name="Community development", position=1)
    Offer.objects.create(academy=academy, name="Capability development", position=2)
    return academy


@pytest.fixture
def hospital(system: Any) -> Any:
    from tracelead.organisations.models import Organisation, Sector

    return Organisation.objects.create(system=system, name="Northbrook Hospitals",
                                       sector=Sector.ACUTE)


@pytest.fixture
def council(system: Any) -> Any:
    from tracelead.organisations.models import Organisation, Sector

    return Organisation.objects.create(system=system, name="Vale Council",
                                       sector=Sector.LOCAL_AUTHORITY)


@pytest.fixture
def charity(system: Any) -> Any:
    from tracelead.organisations.models import Organisation, Sector

    return Organisation.objects.create(system=system, name="Vale Carers Trust",
                                       sector=Sector.VCFSE)


@pytest.fixture
def make_member(academy: Any, hospital: Any) -> Any:
    """``make_member("Priya", organisation=council, staff_group="nursing")``: a member who
    consented, joined now (or at ``joined_at``), with a personal link in ``member.token``."""
    from django.utils import timezone

    from tracelead.academy import services
    from tracelead.academy.models import Member

    def make(name: str, *, email: str | None = None, organisation: Any = None,
             staff_group: str = "nursing", place: str = "Northbrook", level: str = "manager",
             joined_at: dt.datetime | None = None) -> Any:
        organisation = organisation or hospital
        now = joined_at or timezone.now()
        member = Member.objects.create(
            academy=academy, name=name,
            email=email or f"{name.lower().replace(' ', '.')}@example.org",
            organisation=organisation, sector=organisation.sector, staff_group=staff_group,
            place=place, level=level, joined_at=now, consented_at=now,
        )
        services.member_link(member)
        return member

    return make


@pytest.fixture
def make_event(academy: Any) -> Any:
    """``make_event("Workshop 1", days=7, capacity=30)``: an event ``days`` from now."""
    from django.utils import timezone

    from tracelead.academy import services
    from tracelead.academy.models import EventKind

    def make(title: str = "Workshop 1", *, days: float = 7, hours: float = 3,
             capacity: int | None = None, programme: Any = None,
             kind: str = EventKind.WORKSHOP) -> Any:
        starts = timezone.now() + dt.timedelta(days=days)
        return services.event_create(
            academy=academy, programme=programme, kind=kind, title=title,
            starts_at=starts, ends_at=starts + dt.timedelta(hours=hours),
            venue="Vale Civic Centre", capacity=capacity,
        )

    return make
