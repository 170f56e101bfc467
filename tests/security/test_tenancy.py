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
from tracelead.diagnostics.models import Assessment, Response
from tracelead.diagnostics.services import assessment_create
from tracelead.instruments import get_instrument
from tracelead.messaging.models import Job
from tracelead.organisations.models import Sector, Space, SystemMembership, SystemRole
from tracelead.organisations.services import group_create, organisation_create, system_create
from tracelead.publishing.gate import publish_due
from tracelead.publishing.services import cycle_create

# Public by design: respondents reach these by link, without an account (the unsubscribe
# link in a reminder carries its own signed invitee id).
# Academy members likewise reach their own pages by their personal link (m/), sign up
# (join/) and check in at the door (c/); tests/academy covers those links. Participants of
# a live poll join by its code (p/); tests/polls covers those pages.
# An invitation to view results is accepted from the link in its email (sharing/accept/;
# tests/actions/test_sharing.py covers it).
# Evaluation forms are answered by code (f/) or by a member's emailed link (e/);
# tests/evaluation covers those pages. A 360 rater answers by their own link (360/;
# tests/strategy/test_feedback_360.py covers it).
# Sign-in through an identity provider (sso/) is part of signing in, like accounts/;
# tests/accounts_sso covers it. The English/Cymraeg switch (language/) only sets a
# cookie for anyone; tests/test_welsh_catalogue.py and the Welsh browser test cover it.
PUBLIC = re.compile(
    r"^(r/|accounts/|sso/|email/unsubscribe/|join/|m/|c/|p/|f/|e/|sharing/accept/|360/"
    r"|language/|$)")
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
    elif route.startswith("cycles/<int:pk>"):
        kind = "cycle"
    elif route.startswith("jobs/<int:pk>"):
        kind = "job"  # a background job (a report file, an import) of someone else
    elif route.startswith("academy/<int:pk>"):
        kind = "academy"
    elif route.startswith("actions/<int:pk>"):
        kind = "action"  # one action of a group's action plan
    elif route.startswith("themes/<int:pk>"):
        kind = "themeset"  # a facilitator's themes of a round's or a poll's free text
    elif route.startswith("organisations/<int:pk>"):
        kind = "organisation"  # an organisation's leadership strategy
    if "<" in route and kind is None:
        raise AssertionError(f"map the object ids of {route!r} in test_tenancy")
    if kind is None:
        return []
    url = "/" + route.replace("<int:pk>", str(ids[kind]))
    if "<listkind:kind>" in url:
        return [u for kind in ("characteristics", "offers")
                for u in _fill(route.replace("<listkind:kind>", kind), ids)]
    for name in ACADEMY_PARTS:
        # An academy's own objects (an event, a member, ...) of the same target academy.
        url = url.replace(f"<int:{name}>", str(ids.get(name, 0)))
    # A round's free-text question; an upload waiting to be imported (none of its own
    # can be reached either); a themes action.
    url = url.replace("<slug:prompt>", "one_change").replace("<str:token>", "an-upload")
    url = url.replace("<slug:action>", "rename")
    # A behaviour of the strategy's framework, one of its positions, measures, milestones,
    # development plan's links and diversity snapshots.
    url = url.replace("<slug:key>", "innovation").replace(
        "<int:position>", str(ids.get("position", 0))).replace(
        "<int:outcome>", str(ids.get("outcome", 0))).replace(
        "<int:milestone>", str(ids.get("milestone", 0))).replace(
        "<int:link>", str(ids.get("link", 0))).replace(
        "<int:snapshot>", str(ids.get("snapshot", 0)))
    if "<str:fmt>" in url:
        return [url.replace("<str:fmt>", fmt) for fmt in FORMATS]
    assert "<" not in url, f"map the converters of {route!r} in test_tenancy"
    return [url]


ACADEMY_PARTS = ("item", "member", "programme", "event", "effort", "registration", "target",
                 "round_pk", "pair", "poll", "question", "form", "form_item", "measure",
                 "evidence")


def _academy(system: Any, organisation: Any) -> dict[str, int]:
    """An academy with one of everything its pages take an id of."""
    from django.utils import timezone

    from tracelead.academy import services as academy
    from tracelead.academy.models import (
        Characteristic,
        Effort,
        ExchangePair,
        ExchangeRound,
        Member,
        Offer,
        Programme,
        Target,
    )

    made = academy.academy_create(system=system, name=f"{system.name} academy")
    now = timezone.now()
    offer = Offer.objects.create(academy=made, name="Offer")
    Characteristic.objects.create(academy=made, name="Trait")
    people = [Member.objects.create(academy=made, name=f"{system.name} member {n}",
                                    email=f"m{n}.{system.pk}@example.org",
                                    organisation=organisation, sector=organisation.sector,
                                    joined_at=now) for n in (1, 2)]
    programme = Programme.objects.create(academy=made, offer=offer, name="Programme")
    event = academy.event_create(academy=made, kind="workshop", title="Workshop",
                                 starts_at=now + dt.timedelta(days=3),
                                 ends_at=now + dt.timedelta(days=3, hours=2))
    registration = academy.registration_create(event=event, member=people[0])
    effort = Effort.objects.create(event=event, kind="administration", hours=2)
    target = Target.objects.create(academy=made, name="Target", kind="count", people=10,
                                   starts_on=now.date(), by_date=now.date())
    exchange = ExchangeRound.objects.create(academy=made, name="Round")
    pair = ExchangePair.objects.create(round=exchange, academy=made, first=people[0],
                                       second=people[1])
    from tracelead.polls import services as polls

    poll = polls.poll_create(academy=made, event=event, title="Poll")
    question = polls.question_save(poll=poll, question=None, draft=polls.QuestionDraft(
        kind="scale", prompt="How much do you trust partners?"))
    from django.core.files.base import ContentFile

    from tracelead.evaluation import services as evaluation
    from tracelead.evaluation.models import Evidence

    form = evaluation.form_create(programme=programme, kind="before")
    open_question = form.items.create(kind="text", text="What changed?", position=99)
    measure = evaluation.measure_save(programme=programme, name="Waiting list", unit="",
                                      better="lower")
    evidence = Evidence.objects.create(measure=measure, title="Minutes",
                                       file=ContentFile(b"%PDF-1.4", name="evidence.pdf"),
                                       content_type="application/pdf", size=8)
    return {"form": form.pk, "form_item": open_question.pk, "measure": measure.pk,
            "evidence": evidence.pk,
            "academy": made.pk, "item": offer.pk, "member": people[0].pk,
            "programme": programme.pk, "event": event.pk, "effort": effort.pk,
            "registration": registration.pk, "target": target.pk,
            "round_pk": exchange.pk, "pair": pair.pk, "poll": poll.pk,
            "question": question.pk}


@dataclass
class World:
    users: dict[str, Any]
    # For each role: ids of a system, an assessment and a cycle it must not reach.
    foreign: dict[str, dict[str, int]]
    own: dict[str, dict[str, int]]


def _assessment(group: Any, cycle: Any) -> Any:
    today = dt.date.today()
    assessment = assessment_create(
        group=group, cycle=cycle, title=f"{group.name} round", instrument_key="trace",
        rater_kinds=["member"], opens_on=today, closes_on=today,
    )
    keys = get_instrument("trace").item_keys
    for value in (2, 3, 4, 5):
        Response.objects.create(
            assessment=assessment, rater_kind="member", answers=dict.fromkeys(keys, value),
            free_text={"one_change": "More time together"}, submitted_on=today,
        )
    return assessment


def _close_and_publish(cycle: Any) -> None:
    """Set-up, as if time passed: the cycle's rounds closed yesterday and were published."""
    yesterday = dt.date.today() - dt.timedelta(days=1)
    Assessment.objects.filter(cycle=cycle).update(
        opens_on=yesterday - dt.timedelta(days=1), closes_on=yesterday)
    assert publish_due(cycle) is not None


@pytest.fixture
def world(db: Any, django_user_model: Any) -> World:
    a = system_create(name="System A")
    b = system_create(name="System B")
    a1 = organisation_create(system=a, name="A Trust", sector=Sector.ACUTE)
    a2 = organisation_create(system=a, name="A Council", sector=Sector.LOCAL_AUTHORITY)
    team_a1 = group_create(system=a, organisation=a1, name="A1 team", space=Space.TEAM)
    team_a2 = group_create(system=a, organisation=a2, name="A2 team", space=Space.TEAM)
    # A council group nested in the trust's team: outside the trust facilitator's scope,
    # inside that of a viewer of the A1 team (and of everything nested in it).
    outreach = group_create(system=a, organisation=a2, name="A2 outreach", space=Space.TEAM,
                            parent=team_a1)
    team_b = group_create(system=b, name="B board", space=Space.SYSTEM)
    cycle_a = cycle_create(system=a, name="A autumn", threshold=3, comment_threshold=3)
    cycle_b = cycle_create(system=b, name="B autumn", threshold=3, comment_threshold=3)
    in_a1, in_a2 = _assessment(team_a1, cycle_a), _assessment(team_a2, cycle_a)
    _assessment(outreach, cycle_a)
    in_b = _assessment(team_b, cycle_b)
    _close_and_publish(cycle_a)
    _close_and_publish(cycle_b)

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
    # A job, with its file, is its creator's alone, even within one system.
    job = Job.objects.create(kind="system-report", title="A's PDF", status=Job.Status.DONE,
                             created_by=user("job.owner", role=SystemRole.FACILITATOR),
                             params={"system": a.pk}, result_name="a.pdf",
                             result_type="application/pdf")
    own_academy = _academy(a, a1)
    b_org = organisation_create(system=b, name="B Trust", sector=Sector.ACUTE)
    other_academy = _academy(b, b_org)
    from tracelead.actions.services import action_create

    action_b = action_create(assessment=in_b, title="B's action", condition="task",
                             owner="B lead").pk
    action_a2 = action_create(assessment=in_a2, title="A2's action", condition="task",
                              owner="A2 lead").pk
    from tracelead.words.models import ThemeSet

    themes_b = ThemeSet.objects.create(source="round", assessment=in_b,
                                       prompt_key="one_change", method="tfidf").pk
    themes_a2 = ThemeSet.objects.create(source="round", assessment=in_a2,
                                        prompt_key="one_change", method="tfidf").pk
    from tracelead.strategy import services as strategy

    def strategy_of(organisation: Any) -> dict[str, int]:
        """A started strategy with one position: what its pages take ids of."""
        made = strategy.strategy_create(organisation=organisation)
        held = strategy.position_save(strategy=made, title="Ward manager", needed=3, in_post=2)
        measure = strategy.outcomes_standard(strategy=made)[0]
        step = strategy.milestone_save(strategy=made, phase="design", title="Framework",
                                       due_on=dt.date.today(), owner="Chair")
        from tracelead.academy.models import Offer
        from tracelead.strategy.development import development_link_add
        from tracelead.strategy.models import DiversitySnapshot

        link = development_link_add(strategy=made, position=held, offer=Offer.objects.filter(
            academy__system_id=organisation.system_id).first())
        snapshot = DiversitySnapshot.objects.create(strategy=made, as_of=dt.date.today())
        from tracelead.strategy import feedback

        leader = feedback.round_create(strategy=made, leader_name="A leader", position=held,
                                       closes_on=dt.date.today())
        feedback.round_close(leader)
        return {"feedback_round": leader.pk,
                "organisation": organisation.pk, "position": held.pk, "outcome": measure.pk,
                "milestone": step.pk, "link": link.pk, "snapshot": snapshot.pk}

    strategy_b, strategy_a2 = strategy_of(b_org), strategy_of(a2)
    other_system = {"system": b.pk, "assessment": in_b.pk, "cycle": cycle_b.pk, "job": job.pk,
                    "action": action_b, "themeset": themes_b, **other_academy, **strategy_b}
    foreign = {
        "system facilitator": other_system,
        "system viewer": other_system,
        # Within their own system, the other organisation's assessment is out of reach
        # (a cycle belongs to the whole system: the scoped may read it, never change it).
        "organisation facilitator": {"system": b.pk, "assessment": in_a2.pk,
                                     "cycle": cycle_b.pk, "job": job.pk, "action": action_a2,
                                     "themeset": themes_a2, **other_academy,
                                     **strategy_a2},
        "group viewer": {"system": b.pk, "assessment": in_a2.pk, "cycle": cycle_b.pk,
                         "job": job.pk, "action": action_a2, "themeset": themes_a2,
                         **other_academy, **strategy_a2},
    }
    own = {role: {"system": a.pk, "assessment": in_a1.pk, "cycle": cycle_a.pk,
                  **own_academy} for role in users}
    # The academy's objects of another system, asked for under one's own academy's id.
    foreign["system facilitator, own academy"] = {**other_academy,
                                                  "academy": own_academy["academy"]}
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
    foreign = world.foreign[role]
    assert f"/academy/{foreign['academy']}/events/{foreign['event']}/door/" in checked
    assert {
        f"/systems/{foreign['system']}/cycles/",
        f"/systems/{foreign['system']}/cycles/new/",
        f"/cycles/{foreign['cycle']}/edit/",
        f"/assessments/{foreign['assessment']}/publish/",
    } <= set(checked)


def test_no_academy_page_reaches_another_academy_s_objects_through_one_s_own(
        world: World) -> None:
    """A facilitator of academy A asks for B's events, members, pairs ... under A's id."""
    client = Client()
    client.force_login(world.users["system facilitator"])
    ids = world.foreign["system facilitator, own academy"]
    checked = []
    for route in _routes():
        if not route.startswith("academy/<int:pk>/") or not any(
                f"<int:{part}>" in route for part in ACADEMY_PARTS):
            continue
        for url in _fill(route, ids):
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                assert response.status_code in {403, 404}, (method, url, response.status_code)
            checked.append(url)
    assert len(checked) >= 15, checked


def test_an_academy_viewer_sees_counts_but_cannot_change_or_see_names(world: World) -> None:
    client = Client()
    client.force_login(world.users["system viewer"])
    own = world.own["system viewer"]
    academy = own["academy"]
    assert client.get(f"/academy/{academy}/").status_code == 200
    members = client.get(f"/academy/{academy}/members/")
    assert members.status_code == 200 and b"System A member" not in members.content
    for url in [f"/academy/{academy}/set-up/", f"/academy/{academy}/members/new/",
                f"/academy/{academy}/members/{own['member']}/",
                f"/academy/{academy}/events/new/",
                f"/academy/{academy}/events/{own['event']}/door/",
                f"/academy/{academy}/events/{own['event']}/registrations/",
                f"/academy/{academy}/exchange/{own['round_pk']}/"]:
        assert client.get(url).status_code == 403, url
        assert client.post(url).status_code == 403, url
    for fmt in ("pdf", "xlsx"):
        report = client.get(f"/academy/{academy}/report.{fmt}")
        assert report.status_code == 200, fmt
    # Live polls hold what people typed in the room: facilitators only, every page.
    poll_pages = [url for route in _routes() if "/polls/" in route
                  for url in _fill(route, own)]
    assert len(poll_pages) >= 12, poll_pages
    for url in poll_pages:
        assert client.get(url).status_code == 403, url
        assert client.post(url).status_code == 403, url


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
        f"/assessments/{own['assessment']}/publish/",
        f"/systems/{own['system']}/cycles/new/",
        f"/cycles/{own['cycle']}/edit/",
    ]:
        assert client.get(url).status_code == 403, url
        assert client.post(url).status_code == 403, url
    # ...but reads their system's results and cycles.
    assert client.get(f"/assessments/{own['assessment']}/").status_code == 200
    assert client.get(f"/systems/{own['system']}/cycles/").status_code == 200


@pytest.mark.parametrize("role", ["organisation facilitator", "group viewer"])
def test_only_a_facilitator_of_the_whole_system_changes_its_cycles(world: World,
                                                                  role: str) -> None:
    """A cycle's thresholds apply to every group of the system, not just the user's part."""
    client = Client()
    client.force_login(world.users[role])
    own = world.own[role]
    for url in (f"/systems/{own['system']}/cycles/new/", f"/cycles/{own['cycle']}/edit/"):
        assert client.get(url).status_code == 403, (role, url)
        assert client.post(url, {"name": "Mine", "threshold": 3,
                                 "comment_threshold": 3}).status_code == 403, (role, url)
    listing = client.get(f"/systems/{own['system']}/cycles/")
    assert listing.status_code == 200 and "A autumn" in listing.content.decode()
    facilitator = Client()
    facilitator.force_login(world.users["system facilitator"])
    assert facilitator.get(f"/cycles/{own['cycle']}/edit/").status_code == 200


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
            assert b"A2 team" not in body, (role, fmt)
            # The A1 team's own responses are theirs (CSV); its heatmap row (HTML) adds a
            # nested council group, which only the A1 team's viewer may see.
            if fmt == "csv" or role == "group viewer":
                assert b"A1 team" in body, (role, fmt)
        if role == "organisation facilitator":
            assert b"A2 outreach" not in body


def _rows(client: Client, cycle: int) -> dict[str, dict[str, Any]]:
    response = client.get(f"/api/v1/cycles/{cycle}/groups")
    assert response.status_code == 200
    return {row["name"]: row for row in response.json()["groups"]}


def test_a_scoped_user_sees_a_rollup_only_when_every_group_in_it_is_in_their_scope(
    world: World,
) -> None:
    """A1 team's heatmap row adds the council's outreach group nested in it: the trust's
    facilitator (who may not see that group) must not get it, or subtracting the A1 team's
    own round would give the outreach group's figures."""
    cycle = world.own["system facilitator"]["cycle"]
    clients = {}
    for role in ("system facilitator", "organisation facilitator", "group viewer"):
        clients[role] = Client()
        clients[role].force_login(world.users[role])
    everything = _rows(clients["system facilitator"], cycle)
    assert everything["A1 team"]["status"] == "shown" and everything["A1 team"]["n"] == 8
    trust = _rows(clients["organisation facilitator"], cycle)
    assert set(trust) == {"A1 team"}
    assert trust["A1 team"]["status"] == "hidden"
    assert trust["A1 team"]["n"] is None and trust["A1 team"]["cells"] == []
    # The group viewer covers the A1 team and everything nested in it: the rollup is theirs.
    team = _rows(clients["group viewer"], cycle)
    assert set(team) == {"A1 team", "A2 outreach"}
    assert team["A1 team"] == everything["A1 team"]
    page = clients["organisation facilitator"].get(
        f"/reports/systems/{world.own['organisation facilitator']['system']}/").content
    assert b"A2 outreach" not in page and b">8<" not in page
    # The trust's own round is still theirs to read in full, on its group report.
    results = clients["organisation facilitator"].get(
        f"/api/v1/assessments/{world.own['organisation facilitator']['assessment']}/results")
    assert results.json()["state"] == "shown" and results.json()["n_responses"] == 4


def test_admin_pages_need_a_staff_account(world: World) -> None:
    client = Client()
    client.force_login(world.users["system facilitator"])
    for url in ["/admin/", "/admin/organisations/system/", "/admin/diagnostics/assessment/"]:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url


@pytest.mark.parametrize("scope", ApiToken.Scope.values)
@pytest.mark.parametrize("role", ROLES)
def test_no_api_endpoint_reaches_another_organisation_or_system(
    world: World, role: str, scope: str
) -> None:
    _, token = ApiToken.issue(user=world.users[role], name="tenancy", scope=scope)
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
    if scope == ApiToken.Scope.READ:
        # A read token changes nothing, not even in its own scope.
        own = client.post(
            f"/api/v1/assessments/{world.own[role]['assessment']}/invitations",
            {"rater_kind": "member", "count": 1},
            content_type="application/json",
        )
        assert own.status_code == 403
        assert own.json() == {"detail": "This token can only read."}
    cycles = {row["id"] for row in client.get("/api/v1/cycles").json()}
    assert world.foreign[role]["cycle"] not in cycles
    assert world.own[role]["cycle"] in cycles
    assert client.get(f"/api/v1/cycles/{world.foreign[role]['cycle']}/groups"
                      ).status_code in {403, 404}
    assert client.get(f"/api/v1/cycles/{world.own[role]['cycle']}/groups").status_code == 200
    # The academy's endpoints: another system's academy, and its events, answer 404.
    other, their_event = world.foreign[role]["academy"], world.foreign[role]["event"]
    assert other not in {row["id"] for row in client.get("/api/v1/academies").json()}
    for path in ("members", "events", f"events/{their_event}/attendance",
                 f"events/{their_event}/polls"):
        assert client.get(f"/api/v1/academies/{other}/{path}").status_code == 404, path
    # A leader's 360 report: another organisation's or system's round answers 404.
    assert client.get(f"/api/v1/feedback/{world.foreign[role]['feedback_round']}"
                      ).status_code == 404
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert set(paths) == {
        "/api/v1/assessments",
        "/api/v1/assessments/{assessment_id}/invitations",
        "/api/v1/assessments/{assessment_id}/results",
        "/api/v1/cycles",
        "/api/v1/cycles/{cycle_id}/groups",
        "/api/v1/academies",
        "/api/v1/academies/{academy_id}/members",
        "/api/v1/academies/{academy_id}/events",
        "/api/v1/academies/{academy_id}/events/{event_id}/attendance",
        "/api/v1/academies/{academy_id}/events/{event_id}/polls",
        "/api/v1/feedback/{round_id}",
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
    own = world.own["system viewer"]
    for url in (f"/api/v1/assessments/{own['assessment']}/results", "/api/v1/cycles",
                f"/api/v1/cycles/{own['cycle']}/groups"):
        assert client.get(url).status_code == 401, url
