"""Academy members' personal data: Priya asks what is held about her (subject access), then
to be erased; retention leaves members as they are. Tom, her exchange partner, keeps what
is his."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone
from typer.testing import CliRunner

from tracelead.academy import services
from tracelead.academy.models import (
    CheckIn,
    CheckInMethod,
    ExchangePair,
    ExchangeRound,
    ExchangeVisit,
    Member,
    Registration,
    RegistrationStatus,
)
from tracelead.cli import app
from tracelead.core.privacy import apply_retention, erase_subject, subject_access

pytestmark = pytest.mark.django_db

EMAIL = "priya.shah@example.org"


@pytest.fixture
def story(academy: Any, make_member: Any, make_event: Any, council: Any,
          charity: Any) -> dict[str, Any]:
    """Priya (Vale Council) came to one workshop, is booked on the next (full: Ann waits),
    and visited Tom (a charity) in the exchange, writing a reflection; Tom visited her."""
    priya = make_member("Priya Shah", email=EMAIL, organisation=council, staff_group="ahp",
                        place="Vale", level="senior")
    tom = make_member("Tom Okafor", organisation=charity)
    ann = make_member("Ann Lee")
    past = make_event("Workshop 1", days=-14)
    Registration.objects.create(event=past, member=priya, status=RegistrationStatus.CONFIRMED)
    CheckIn.objects.create(event=past, member=priya, method=CheckInMethod.SELF,
                           at=past.starts_at + dt.timedelta(minutes=5))
    coming = make_event("Workshop 2", days=10, capacity=1)
    services.registration_create(event=coming, member=priya)
    services.registration_create(event=coming, member=ann)
    exchange = ExchangeRound.objects.create(academy=academy, name="Spring exchange")
    first, second = sorted([priya, tom], key=lambda m: m.pk)
    pair = ExchangePair.objects.create(round=exchange, academy=academy, first=first,
                                       second=second)
    ExchangeVisit.objects.create(pair=pair, host=tom, visited_on=dt.date(2026, 4, 2),
                                 reflection="Saw how the food bank triages.")
    ExchangeVisit.objects.create(pair=pair, host=priya, visited_on=dt.date(2026, 4, 9),
                                 reflection="Tom's own thoughts on the council.")
    return {"priya": priya, "tom": tom, "ann": ann, "past": past, "coming": coming}


def test_subject_access_lists_the_membership_bookings_check_ins_and_exchange(
        story: dict[str, Any]) -> None:
    data = subject_access("Priya.Shah@Example.org")
    [membership] = data["academy_memberships"]
    assert (membership["academy"], membership["name"], membership["email"],
            membership["organisation"], membership["sector"], membership["staff_group"],
            membership["place"], membership["level"]) == (
        "Northbrook Leadership Academy", "Priya Shah", EMAIL, "Vale Council",
        "local_authority", "ahp", "Vale", "senior")
    assert [(b["event"], b["status"]) for b in membership["bookings"]] == [
        ("Workshop 1", "confirmed"), ("Workshop 2", "confirmed")]
    assert [(c["event"], c["method"]) for c in membership["check_ins"]] == [
        ("Workshop 1", "self")]
    [pair] = membership["exchange_pairs"]
    # The partner by organisation only; her own reflection, not his.
    assert pair["round"] == "Spring exchange"
    assert pair["partner_organisation"] == "Vale Carers Trust"
    assert pair["visits"] == [
        {"visited_on": "2026-04-02", "host": "their partner",
         "reflection": "Saw how the food bank triages."},
        {"visited_on": "2026-04-09", "host": "this member", "reflection": None},
    ]
    assert "Tom" not in json.dumps(membership)


def test_subject_access_finds_nothing_for_someone_who_left(story: dict[str, Any]) -> None:
    services.member_leave(member=story["priya"])
    assert subject_access(EMAIL)["academy_memberships"] == []


def test_erasure_makes_the_member_leave_and_keeps_the_figures(story: dict[str, Any]) -> None:
    priya, ann, tom = story["priya"], story["ann"], story["tom"]
    report = erase_subject(EMAIL)
    assert report.academy_members == 1
    priya.refresh_from_db()
    assert (priya.name, priya.email, priya.token_hash, priya.staff_group, priya.place,
            priya.level) == ("", None, None, "", "", "")
    assert priya.left_at is not None
    # Kept: organisation, sector and her attendance at the past workshop.
    assert (priya.organisation.name, priya.sector) == ("Vale Council", "local_authority")
    assert CheckIn.objects.filter(member=priya, event=story["past"]).count() == 1
    # Her place at the coming workshop went to Ann, who was waiting.
    assert Registration.objects.get(member=priya, event=story["coming"]).status == "cancelled"
    assert Registration.objects.get(member=ann, event=story["coming"]).status == "confirmed"
    # Her reflection (on the visit Tom hosted) is gone, Tom's own stays; the pair stays
    # so it is never repeated.
    assert dict(ExchangeVisit.objects.values_list("host__name", "reflection")) == {
        "Tom Okafor": "", "": "Tom's own thoughts on the council."}
    assert ExchangePair.objects.count() == 1
    tom.refresh_from_db()
    assert tom.name == "Tom Okafor"
    assert not Member.objects.filter(email=EMAIL).exists()
    assert erase_subject(EMAIL).academy_members == 0


def test_retention_leaves_current_members_alone_and_left_members_erased(
        story: dict[str, Any]) -> None:
    priya, tom = story["priya"], story["tom"]
    old = timezone.now() - dt.timedelta(days=800)
    Member.objects.filter(pk=tom.pk).update(joined_at=old)
    services.member_leave(member=priya, now=old + dt.timedelta(days=1))
    apply_retention(days=30)
    tom.refresh_from_db()
    priya.refresh_from_db()
    assert (tom.name, tom.email) == ("Tom Okafor", "tom.okafor@example.org")
    assert (priya.name, priya.email, priya.sector) == ("", None, "local_authority")
    assert CheckIn.objects.filter(member=priya).count() == 1


def test_the_person_commands_export_and_erase_a_member(story: dict[str, Any]) -> None:
    runner = CliRunner()
    exported = runner.invoke(app, ["person", "export", EMAIL])
    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.output)
    assert data["academy_memberships"][0]["name"] == "Priya Shah"

    erased = runner.invoke(app, ["person", "erase", EMAIL, "--yes"])
    assert erased.exit_code == 0, erased.output
    assert "1 academy memberships (the member left)" in erased.output
    story["priya"].refresh_from_db()
    assert story["priya"].left_at is not None
    again = json.loads(runner.invoke(app, ["person", "export", EMAIL]).output)
    assert again["academy_memberships"] == []
