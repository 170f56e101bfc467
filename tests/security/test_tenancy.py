"""Every URL and API endpoint, for every role, against objects outside the user's reach:
always 403 or 404, exports included.

The URL patterns are enumerated from the resolver, so a new page is covered as soon as
it exists; a pattern with an object id this test cannot map fails the test until it is
mapped here.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tracelead.core.models import ApiToken
from tracelead.diagnostics.models import Response
from tracelead.diagnostics.services import assessment_create
from tracelead.instruments import get_instrument
from tracelead.organisations.models import Sector, Space, SystemMembership, SystemRole
from tracelead.organisations.services import group_create, organisation_create, system_create

# Public by design: respondents reach these by link, without an account.
PUBLIC = re.compile(r"^(r/|accounts/|$)")
FORMATS = ["html", "pdf", "xlsx", "csv"]


def _routes() -> list[str]:
    """Every route of the site, as a string with Django's converters."""

    def walk(patterns: list[Any], prefix: str) -> list[str]:
        out: list[str] = []
        for pattern in patterns:
            route = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if route.startswith("admin/") or route.startswith("api/"):
                    continue  # admin: staff only (below); API: enumerated from its schema
                out.extend(walk(pattern.url_patterns, prefix + route))
            elif isinstance(pattern, URLPattern):
                out.append(prefix + route)
        return out

    return walk(get_resolver().url_patterns, "")


def _fill(route: str, ids: dict[str, int]) -> list[str]:
    """The concrete URLs of a route for the target objects; an unknown id fails loudly."""
    kind = None
    if route.startswith(("systems/<int:pk>", "reports/systems/<int:pk>")):
        kind = "system"
    elif route.startswith(("assessments/<int:pk>", "reports/assessments/<int:pk>")):
        kind = "assessment"
    if "<" in route and kind is None:
        raise AssertionError(f"map the object ids of {route!r} in test_tenancy")
    if kind is None:
        return []
    url = "/" + route.replace("<int:pk>", str(ids[kind]))
    if "<str:fmt>" in url:
        return [url.replace("<str:fmt>", fmt) for fmt in FORMATS]
    assert "<" not in url, f"map the converters of {route!r} in test_tenancy"
    return [url]


@dataclass
class World:
    users: dict[str, Any]
    # For each role: ids of a system and an assessment it must not reach.
    foreign: dict[str, dict[str, int]]
    own: dict[str, dict[str, int]]


def _assessment(group: Any) -> Any:
    today = dt.date.today()
    assessment = assessment_create(
        group=group, title=f"{group.name} round", instrument_key="trace",
        rater_kinds=["member"], threshold=3, comment_threshold=3,
        opens_on=today, closes_on=today,
    )
    keys = get_instrument("trace").item_keys
    for value in (2, 3, 4, 5):
        Response.objects.create(
            assessment=assessment, rater_kind="member", answers=dict.fromkeys(keys, value),
            free_text={"one_change": "More time together"}, submitted_on=today,
        )
    return assessment


@pytest.fixture
def world(db: Any, django_user_model: Any) -> World:
    a = system_create(name="System A")
    b = system_create(name="System B")
    a1 = organisation_create(system=a, name="A Trust", sector=Sector.ACUTE)
    a2 = organisation_create(system=a, name="A Council", sector=Sector.LOCAL_AUTHORITY)
    team_a1 = group_create(system=a, organisation=a1, name="A1 team", space=Space.TEAM)
    team_a2 = group_create(system=a, organisation=a2, name="A2 team", space=Space.TEAM)
    team_b = group_create(system=b, name="B board", space=Space.SYSTEM)
    in_a1, in_a2, in_b = _assessment(team_a1), _assessment(team_a2), _assessment(team_b)

    def user(name: str, **scope: Any) -> Any:
        account = django_user_model.objects.create_user(name)
        SystemMembership.objects.create(user=account, system=a, **scope)
        return account

    users = {
        "system facilitator": user("sys.fac", role=SystemRole.FACILITATOR),
        "system viewer": user("sys.view", role=SystemRole.VIEWER),
        "organisation facilitator": user(
            "org.fac", role=SystemRole.FACILITATOR, organisation=a1
        ),
        "group viewer": user("group.view", role=SystemRole.VIEWER, group=team_a1),
    }
    other_system = {"system": b.pk, "assessment": in_b.pk}
    foreign = {
        "system facilitator": other_system,
        "system viewer": other_system,
        # Within their own system, the other organisation's assessment is out of reach.
        "organisation facilitator": {"system": b.pk, "assessment": in_a2.pk},
        "group viewer": {"system": b.pk, "assessment": in_a2.pk},
    }
    own = {role: {"system": a.pk, "assessment": in_a1.pk} for role in users}
    return World(users=users, foreign=foreign, own=own)


ROLES = ["system facilitator", "system viewer", "organisation facilitator", "group viewer"]


@pytest.mark.parametrize("role", ROLES)
def test_no_page_or_export_reaches_another_organisation_or_system(
    world: World, role: str
) -> None:
    client = Client()
    client.force_login(world.users[role])
    checked = []
    for route in _routes():
        if PUBLIC.match(route):
            continue
        for url in _fill(route, world.foreign[role]):
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                assert response.status_code in {403, 404}, (role, method, url, response.status_code)
                checked.append(url)
    assert len(set(checked)) >= 8, checked


def test_a_viewer_cannot_change_or_export_links_of_their_own_system(world: World) -> None:
    client = Client()
    client.force_login(world.users["system viewer"])
    own = world.own["system viewer"]
    for url in [
        f"/systems/{own['system']}/organisations/new/",
        f"/systems/{own['system']}/groups/new/",
        f"/assessments/{own['assessment']}/links/",
        f"/assessments/{own['assessment']}/links.csv",
        f"/assessments/{own['assessment']}/qr.svg",
    ]:
        assert client.get(url).status_code == 403, url
        assert client.post(url).status_code == 403, url
    # ...but reads their system's results.
    assert client.get(f"/assessments/{own['assessment']}/").status_code == 200


def test_scoped_users_see_only_their_part_of_their_own_system(world: World) -> None:
    for role in ("organisation facilitator", "group viewer"):
        client = Client()
        client.force_login(world.users[role])
        page = client.get(f"/systems/{world.own[role]['system']}/").content.decode()
        assert "A1 team" in page and "A2 team" not in page, role
        listing = client.get("/assessments/").content.decode()
        assert "A1 team round" in listing and "A2 team round" not in listing, role
        for fmt in ("html", "csv"):
            report = client.get(f"/reports/systems/{world.own[role]['system']}/report.{fmt}")
            assert report.status_code == 200, (role, fmt)
            body = b"".join(report) if report.streaming else report.content
            assert b"A1 team" in body and b"A2 team" not in body, (role, fmt)


def test_admin_pages_need_a_staff_account(world: World) -> None:
    client = Client()
    client.force_login(world.users["system facilitator"])
    for url in ["/admin/", "/admin/organisations/system/", "/admin/diagnostics/assessment/"]:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url


@pytest.mark.parametrize("role", ROLES)
def test_no_api_endpoint_reaches_another_organisation_or_system(
    world: World, role: str
) -> None:
    _, token = ApiToken.issue(user=world.users[role], name="tenancy")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    foreign = world.foreign[role]["assessment"]
    listed = {row["id"] for row in client.get("/api/v1/assessments").json()}
    assert foreign not in listed and world.own[role]["assessment"] in listed
    assert client.get(f"/api/v1/assessments/{foreign}/results").status_code in {403, 404}
    response = client.post(
        f"/api/v1/assessments/{foreign}/invitations",
        {"rater_kind": "member", "count": 1},
        content_type="application/json",
    )
    assert response.status_code in {403, 404}
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert set(paths) == {
        "/api/v1/assessments",
        "/api/v1/assessments/{assessment_id}/invitations",
        "/api/v1/assessments/{assessment_id}/results",
    }, "a new API endpoint needs a tenancy check here"


def test_an_anonymous_respondent_reaches_no_page_or_export_beyond_their_link(
    world: World,
) -> None:
    client = Client()
    for route in _routes():
        if PUBLIC.match(route):
            continue
        for url in _fill(route, world.foreign["system facilitator"]) or ["/" + route]:
            if "<" in url:
                continue
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                # Signed out, every staff page sends to sign-in and shows nothing.
                assert response.status_code == 302, (method, url, response.status_code)
                assert response["Location"].startswith("/accounts/login/"), url
    api = client.get(f"/api/v1/assessments/{world.own['system viewer']['assessment']}/results")
    assert api.status_code == 401
