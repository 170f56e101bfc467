"""The academy's JSON API: members, events and attendance, for the academy's facilitators.

Fran facilitates Northbrook ICS and its academy; Vic only views Northbrook; Olu facilitates
another system. The academy has Priya (hospital, nursing), Sam (council, social work) and
Tom (charity), and Lee, who left.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone

from tracelead.academy import services
from tracelead.academy.models import CheckInMethod, Member
from tracelead.core.models import ApiToken, AuditEvent

pytestmark = pytest.mark.django_db

BASE = "/api/v1"


def bearer(client: Any, user: Any) -> Any:
    _, clear = ApiToken.issue(user=user, name="tests")

    def get(path: str) -> Any:
        return client.get(BASE + path, HTTP_AUTHORIZATION=f"Bearer {clear}")

    return get


@pytest.fixture
def academy(system: Any) -> Any:
    return services.academy_create(system=system, name="Northbrook Leadership Academy",
                                   places="Northbrook\nVale")


@pytest.fixture
def organisations(system: Any) -> dict[str, Any]:
    from tracelead.organisations.models import Organisation, Sector

    return {key: Organisation.objects.create(system=system, name=name, sector=sector)
            for key, name, sector in (("hospital", "Northbrook Hospitals", Sector.ACUTE),
                                      ("council", "Vale Council", Sector.LOCAL_AUTHORITY),
                                      ("charity", "Vale Carers Trust", Sector.VCFSE))}


def make_member(academy: Any, name: str, organisation: Any, staff_group: str,
                place: str = "Northbrook") -> Any:
    now = timezone.now()
    return Member.objects.create(
        academy=academy, name=name, email=f"{name.lower().replace(' ', '.')}@example.org",
        organisation=organisation, sector=organisation.sector, staff_group=staff_group,
        place=place, level="manager", joined_at=now, consented_at=now)


@pytest.fixture
def people(academy: Any, organisations: dict[str, Any]) -> dict[str, Any]:
    hospital, council, charity = (organisations[k] for k in ("hospital", "council", "charity"))
    made = {
        "priya": make_member(academy, "Priya Shah", hospital, "nursing"),
        "sam": make_member(academy, "Sam Okoro", council, "social_work", place="Vale"),
        "tom": make_member(academy, "Tom Reid", charity, "community"),
        "lee": make_member(academy, "Lee Grant", council, "management"),
    }
    services.member_leave(member=made["lee"])
    Member.objects.filter(pk=made["sam"].pk).update(exchange_opt_in=True)
    return made


@pytest.fixture
def past_event(academy: Any, people: dict[str, Any]) -> Any:
    """A workshop held yesterday: Priya and Sam booked; Priya checked in on her phone, Tom
    was added at the door."""
    from tracelead.academy.models import Event, Registration, RegistrationStatus

    starts = timezone.now().replace(microsecond=0) - dt.timedelta(days=1)
    event = Event.objects.create(academy=academy, kind="workshop", title="Workshop 1",
                                 starts_at=starts, ends_at=starts + dt.timedelta(hours=3),
                                 capacity=2, code="ABCDEF")
    for member in (people["priya"], people["sam"]):
        Registration.objects.create(event=event, member=member,
                                    status=RegistrationStatus.CONFIRMED)
    services.check_in(event=event, member=people["priya"], method=CheckInMethod.SELF,
                      now=starts + dt.timedelta(minutes=5))
    services.check_in(event=event, member=people["tom"], method=CheckInMethod.WALK_IN,
                      now=starts + dt.timedelta(minutes=20))
    return event


def test_it_lists_the_academies_of_the_users_systems(client: Any, facilitator: Any,
                                                      academy: Any) -> None:
    response = bearer(client, facilitator)("/academies")

    assert response.status_code == 200
    assert response.json() == [{"id": academy.pk, "name": "Northbrook Leadership Academy",
                                "system_id": academy.system_id, "system": "Northbrook ICS",
                                "can_facilitate": True}]


def test_a_facilitator_lists_current_members_by_name_with_their_details(
        client: Any, facilitator: Any, academy: Any, people: dict[str, Any]) -> None:
    response = bearer(client, facilitator)(f"/academies/{academy.pk}/members")

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["page"], body["pages"], body["page_size"]) == (3, 1, 1, 50)
    assert [m["name"] for m in body["results"]] == ["Priya Shah", "Sam Okoro", "Tom Reid"]
    sam = body["results"][1]
    assert sam == {
        "id": people["sam"].pk, "name": "Sam Okoro", "email": "sam.okoro@example.org",
        "organisation_id": people["sam"].organisation_id, "organisation": "Vale Council",
        "sector": "local_authority", "staff_group": "social_work", "place": "Vale",
        "level": "manager", "joined_at": sam["joined_at"], "left_at": None,
        "exchange_opt_in": True,
    }
    assert AuditEvent.objects.filter(via="api", what__contains="members of").count() == 1


def test_members_who_left_are_listed_only_on_request_and_without_their_name(
        client: Any, facilitator: Any, academy: Any, people: dict[str, Any]) -> None:
    get = bearer(client, facilitator)

    left = get(f"/academies/{academy.pk}/members?status=left").json()
    everyone = get(f"/academies/{academy.pk}/members?status=all").json()

    assert [(m["id"], m["name"], m["email"], m["organisation"]) for m in left["results"]] == [
        (people["lee"].pk, "", None, "Vale Council")]
    assert left["results"][0]["left_at"] is not None
    assert everyone["count"] == 4


@pytest.mark.parametrize(("query", "expected"), [
    ("sector=local_authority", ["Sam Okoro"]),
    ("staff_group=nursing", ["Priya Shah"]),
    ("q=okoro", ["Sam Okoro"]),
    ("q=TOM.REID@example", ["Tom Reid"]),
    ("place=Vale", ["Sam Okoro"]),
    ("exchange_opt_in=true", ["Sam Okoro"]),
    ("exchange_opt_in=false", ["Priya Shah", "Tom Reid"]),
])
def test_members_can_be_filtered(client: Any, facilitator: Any, academy: Any,
                                 people: dict[str, Any], query: str, expected: list[str]) -> None:
    response = bearer(client, facilitator)(f"/academies/{academy.pk}/members?{query}")

    assert response.status_code == 200
    assert [m["name"] for m in response.json()["results"]] == expected


def test_members_can_be_filtered_by_organisation(client: Any, facilitator: Any, academy: Any,
                                                 people: dict[str, Any]) -> None:
    charity = people["tom"].organisation
    body = bearer(client, facilitator)(
        f"/academies/{academy.pk}/members?organisation_id={charity.pk}").json()

    assert [m["name"] for m in body["results"]] == ["Tom Reid"]


def test_members_come_a_page_at_a_time(client: Any, facilitator: Any, academy: Any,
                                       people: dict[str, Any]) -> None:
    get = bearer(client, facilitator)

    first = get(f"/academies/{academy.pk}/members?page_size=2").json()
    second = get(f"/academies/{academy.pk}/members?page_size=2&page=2").json()
    beyond = get(f"/academies/{academy.pk}/members?page_size=2&page=3").json()

    assert (first["count"], first["pages"]) == (3, 2)
    assert [m["name"] for m in first["results"]] == ["Priya Shah", "Sam Okoro"]
    assert [m["name"] for m in second["results"]] == ["Tom Reid"]
    assert beyond["results"] == []


@pytest.mark.parametrize("query", ["page=0", "page_size=201", "sector=moon", "status=gone",
                                   "organisation_id=-1", "page=abc"])
def test_bad_filters_answer_422_in_json(client: Any, facilitator: Any, academy: Any,
                                        query: str) -> None:
    response = bearer(client, facilitator)(f"/academies/{academy.pk}/members?{query}")

    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/json")
    assert query.split("=")[0] in json.dumps(response.json())


def later_event(academy: Any) -> Any:
    starts = timezone.now() + dt.timedelta(days=10)
    return services.event_create(academy=academy, kind="workshop", title="Workshop 2",
                                 starts_at=starts, ends_at=starts + dt.timedelta(hours=2))


def test_events_are_listed_with_their_counts(client: Any, facilitator: Any, academy: Any,
                                             past_event: Any) -> None:
    later = later_event(academy)

    body = bearer(client, facilitator)(f"/academies/{academy.pk}/events").json()

    assert body["count"] == 2
    first, second = body["results"]
    assert (first["id"], first["title"], first["capacity"]) == (past_event.pk, "Workshop 1", 2)
    # Two booked; two checked in (Priya on her phone and Tom at the door).
    assert (first["confirmed"], first["waiting"], first["checked_in"]) == (2, 0, 2)
    assert (second["id"], second["confirmed"], second["checked_in"]) == (later.pk, 0, 0)
    assert (first["cancelled"], first["counts_for_reach"]) == (False, True)


def test_events_can_be_filtered_by_date(client: Any, facilitator: Any, academy: Any,
                                        past_event: Any) -> None:
    later_event(academy)
    today = timezone.localdate().isoformat()

    body = bearer(client, facilitator)(f"/academies/{academy.pk}/events?starts_from={today}")

    assert [e["title"] for e in body.json()["results"]] == ["Workshop 2"]


def test_attendance_gives_member_ids_times_and_methods(
        client: Any, facilitator: Any, academy: Any, past_event: Any,
        people: dict[str, Any]) -> None:
    response = bearer(client, facilitator)(
        f"/academies/{academy.pk}/events/{past_event.pk}/attendance")

    assert response.status_code == 200
    body = response.json()
    assert (body["event_id"], body["checked_in"]) == (past_event.pk, 2)
    assert [(c["member_id"], c["method"]) for c in body["check_ins"]] == [
        (people["priya"].pk, "self"), (people["tom"].pk, "walk_in")]
    first_at = dt.datetime.fromisoformat(body["check_ins"][0]["at"])
    assert first_at == past_event.starts_at + dt.timedelta(minutes=5)
    # Ids only: no names in the attendance.
    assert "Priya" not in response.content.decode()


def test_a_viewer_gets_403_and_no_names(client: Any, viewer: Any, academy: Any,
                                        past_event: Any) -> None:
    get = bearer(client, viewer)

    responses = [get(f"/academies/{academy.pk}/members"), get(f"/academies/{academy.pk}/events"),
                 get(f"/academies/{academy.pk}/events/{past_event.pk}/attendance")]

    assert [r.status_code for r in responses] == [403, 403, 403]
    assert all(r["Content-Type"].startswith("application/json") for r in responses)
    assert "Priya" not in "".join(r.content.decode() for r in responses)
    assert get("/academies").json()[0]["can_facilitate"] is False


def test_another_systems_facilitator_gets_404(client: Any, other_facilitator: Any,
                                              academy: Any, past_event: Any) -> None:
    get = bearer(client, other_facilitator)

    responses = [get(f"/academies/{academy.pk}/members"), get(f"/academies/{academy.pk}/events"),
                 get(f"/academies/{academy.pk}/events/{past_event.pk}/attendance")]

    assert [r.status_code for r in responses] == [404, 404, 404]
    assert responses[0].json() == {"detail": "Not found."}
    assert get("/academies").json() == []


def test_an_event_of_another_academy_answers_404(client: Any, facilitator: Any, academy: Any,
                                                 other_system: Any, past_event: Any) -> None:
    other = services.academy_create(system=other_system, name="Southmoor Academy")

    response = bearer(client, facilitator)(
        f"/academies/{academy.pk}/events/{past_event.pk + 1000}/attendance")
    crossed = bearer(client, facilitator)(
        f"/academies/{other.pk}/events/{past_event.pk}/attendance")

    assert (response.status_code, crossed.status_code) == (404, 404)


def test_without_a_token_it_answers_401(client: Any, academy: Any) -> None:
    response = client.get(f"{BASE}/academies/{academy.pk}/members")

    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_the_openapi_description_lists_the_academy_endpoints(client: Any) -> None:
    paths = client.get(BASE + "/openapi.json").json()["paths"]

    assert set(paths) >= {
        "/api/v1/academies",
        "/api/v1/academies/{academy_id}/members",
        "/api/v1/academies/{academy_id}/events",
        "/api/v1/academies/{academy_id}/events/{event_id}/attendance",
    }
