"""Each attack that issue 8 reproduced, tried again through the pages, exports and API.

The story: Northbrook Hospitals has a directorate (an organisation-space group) with three
teams: wards A (8 people), B (6) and C (2, below the threshold of 5). Fran facilitates the
whole system; Vic views it; Olga views only the directorate's organisation; Tom leads ward
C and views only his team. The respondent-side attacks (a facilitator reading a saved draft
through a personal link, stuffing an open link, "self" on the open link) are tested in
``tests/diagnostics/test_drafts_private.py`` and ``test_open_link_verify.py``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tracelead.core.models import AuditEvent
from tracelead.diagnostics.models import Assessment, OpenLinkSubmission
from tracelead.organisations import services as org_services
from tracelead.organisations.models import Sector, Space, SystemMembership, SystemRole
from tracelead.publishing.models import Cycle, Publication

FIGURE = re.compile(r"\d+\.\d\d")


@pytest.fixture
def world(db: Any, system: Any, organisation: Any, facilitator: Any, viewer: Any,
          make_user: Any, make_assessment: Any, add_responses: Any,
          close_and_publish: Any) -> dict[str, Any]:
    directorate = org_services.group_create(system=system, organisation=organisation,
                                            name="Medicine directorate", space=Space.ORGANISATION)
    wards = {
        name: org_services.group_create(system=system, organisation=organisation,
                                        parent=directorate, name=f"Ward {name}", space=Space.TEAM)
        for name in "ABC"
    }
    spring = Cycle.objects.create(system=system, name="Spring 2026")
    rounds = {name: make_assessment(group, cycle=spring, title=f"Ward {name} spring")
              for name, group in wards.items()}
    for name, size, level in (("A", 8, 4), ("B", 6, 3), ("C", 2, 1)):
        add_responses(rounds[name], [level] * (size - 1) + [level + 1 if level < 5 else 4],
                      free_text=[{"one_change": f"Ward {name} change {i}"} for i in range(size)])
    close_and_publish(*rounds.values())
    olga = make_user("olga.orgviewer")
    SystemMembership.objects.create(user=olga, system=system, role=SystemRole.VIEWER,
                                    organisation=organisation)
    tom = make_user("tom.teamlead")
    SystemMembership.objects.create(user=tom, system=system, role=SystemRole.VIEWER,
                                    group=wards["C"])
    return {"system": system, "organisation": organisation, "directorate": directorate,
            "wards": wards, "rounds": rounds, "spring": spring, "facilitator": facilitator,
            "viewer": viewer, "olga": olga, "tom": tom}


def _figures(client: Any, url: str) -> list[str]:
    """The numbers with two decimals a page shows (means, intervals, sharedness)."""
    return FIGURE.findall(client.get(url).content.decode())


def _heatmap(client: Any, system: Any, cycle: Any) -> dict[str, Any]:
    body = client.get(f"/api/v1/cycles/{cycle.pk}/groups").json()
    return {row["name"]: (row["status"], row["n"], [c["mean"] for c in row["cells"]])
            for row in body["groups"]}


# 1. Differencing over time ---------------------------------------------------------------

def test_a_new_round_for_a_sibling_never_changes_an_earlier_cycles_figures(
    world: dict[str, Any], client: Any, make_assessment: Any, add_responses: Any,
    close_and_publish: Any,
) -> None:
    client.force_login(world["viewer"])
    saved = _heatmap(client, world["system"], world["spring"])
    saved_page = _figures(client, f"/reports/systems/{world['system'].pk}/?cycle="
                                  f"{world['spring'].pk}")
    # An ordinary action: a new round for ward B, in a new cycle, with answers, then closed.
    autumn = Cycle.objects.create(system=world["system"], name="Autumn 2026")
    later = make_assessment(world["wards"]["B"], cycle=autumn, title="Ward B autumn")
    add_responses(later, [2] * 6)
    close_and_publish(later)
    assert _heatmap(client, world["system"], world["spring"]) == saved
    assert _figures(client, f"/reports/systems/{world['system'].pk}/?cycle="
                            f"{world['spring'].pk}") == saved_page
    # The directorate's spring row never counts ward C alone: hidden C stays unsolvable.
    status, n, _ = saved["Medicine directorate"]
    assert status != "shown" or n == 16


def test_dates_cannot_move_into_the_past_and_every_change_is_audited(
    world: dict[str, Any], client: Any, make_assessment: Any,
) -> None:
    client.force_login(world["facilitator"])
    closed = world["rounds"]["A"]
    today = timezone.localdate()
    # A closed, published round cannot be reopened or re-dated at will.
    page = client.post(f"/assessments/{closed.pk}/edit/", {
        "title": closed.title, "opens_on": closed.opens_on.isoformat(),
        "closes_on": (today + dt.timedelta(days=7)).isoformat()})
    assert page.status_code == 400 and "cannot change" in page.content.decode()
    closed.refresh_from_db()
    assert closed.closes_on < today
    autumn = Cycle.objects.create(system=world["system"], name="Autumn 2026")
    open_round = make_assessment(world["wards"]["A"], cycle=autumn,
                                 opens_on=today + dt.timedelta(days=2),
                                 closes_on=today + dt.timedelta(days=12))
    opened = open_round.opens_on.isoformat()
    past = client.post(f"/assessments/{open_round.pk}/edit/", {
        "title": "x", "opens_on": (today - dt.timedelta(days=1)).isoformat(),
        "closes_on": (today + dt.timedelta(days=12)).isoformat()})
    assert "cannot be in the past" in past.content.decode()
    moved = client.post(f"/assessments/{open_round.pk}/edit/", {
        "title": "x", "opens_on": opened,
        "closes_on": (today + dt.timedelta(days=20)).isoformat()})
    assert moved.status_code == 302
    event = AuditEvent.objects.filter(action=AuditEvent.Action.CHANGED,
                                      assessment_id=open_round.pk).get()
    assert event.username == world["facilitator"].username and "dates" in event.what


# 2. Live results isolate one named person ------------------------------------------------

def test_while_a_round_is_open_one_more_answer_changes_no_figure_anywhere(
    world: dict[str, Any], client: Any, make_assessment: Any, add_responses: Any,
) -> None:
    autumn = Cycle.objects.create(system=world["system"], name="Autumn 2026")
    live = make_assessment(world["wards"]["A"], cycle=autumn, title="Ward A autumn")
    add_responses(live, [4] * 7, free_text=[{"one_change": f"early {i}"} for i in range(7)])
    client.force_login(world["facilitator"])
    urls = [f"/assessments/{live.pk}/", f"/reports/assessments/{live.pk}/",
            f"/reports/systems/{world['system'].pk}/?cycle={autumn.pk}"]

    def snapshot() -> list[Any]:
        pages = [_figures(client, url) for url in urls]
        api = client.get(f"/api/v1/assessments/{live.pk}/results").json()
        api.pop("responses_so_far")
        heat = _heatmap(client, world["system"], autumn)
        csv = client.get(f"/reports/assessments/{live.pk}/report.csv")
        return [pages, api, heat, csv.status_code]

    before = snapshot()
    add_responses(live, [1], free_text=[{"one_change": "THE NAMED PERSON'S WORDS"}])
    after = snapshot()
    assert before == after
    assert before[1]["state"] == "not_published" and before[1]["conditions"] == []
    assert before[3] == 409  # no response-level export of an unpublished round
    for url in urls:
        assert "THE NAMED PERSON" not in client.get(url).content.decode()
    # The count is shown (at or over the threshold) but never who answered.
    page = client.get(f"/assessments/{live.pk}/").content.decode()
    assert "<strong>8</strong> responses so far" in page


def test_a_publishing_point_needs_a_thresholds_worth_of_new_answers(
    world: dict[str, Any], client: Any, make_assessment: Any, add_responses: Any,
) -> None:
    autumn = Cycle.objects.create(system=world["system"], name="Autumn 2026")
    live = make_assessment(world["wards"]["A"], cycle=autumn, title="Ward A autumn")
    add_responses(live, [4] * 5)
    client.force_login(world["facilitator"])
    assert client.post(f"/assessments/{live.pk}/publish/").status_code == 302
    first = Publication.objects.get(cycle=autumn)
    add_responses(live, [1] * 4)  # four new answers: fewer than the threshold of 5
    page = client.post(f"/assessments/{live.pk}/publish/", follow=True).content.decode()
    assert "At least 5 new responses" in page
    assert Publication.objects.filter(cycle=autumn).count() == 1
    client.force_login(world["viewer"])
    body = client.get(f"/api/v1/assessments/{live.pk}/results").json()
    assert body["publication"] == first.number and body["n_responses"] == 5
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PUBLISHED,
                                     assessment_id=live.pk).count() == 1


# 4. The threshold filled with one's own answers --------------------------------------------

def test_unverified_open_link_answers_double_the_threshold_and_the_report_says_so(
    world: dict[str, Any], client: Any, make_assessment: Any, add_responses: Any,
    close_and_publish: Any,
) -> None:
    autumn = Cycle.objects.create(system=world["system"], name="Autumn 2026")
    stuffed = make_assessment(world["wards"]["C"], cycle=autumn, title="Ward C autumn")
    add_responses(stuffed, [3] * 7)  # 2 colleagues and 5 answers the leader added
    OpenLinkSubmission.objects.create(assessment=stuffed, device_hash="a" * 64)
    close_and_publish(stuffed)
    client.force_login(world["tom"])
    body = client.get(f"/api/v1/assessments/{stuffed.pk}/results").json()
    assert body["threshold"] == 10 and body["unverified"] is True
    assert body["state"] == "withheld" and body["conditions"] == []
    assert client.get(f"/reports/assessments/{stuffed.pk}/report.csv").status_code == 409


# 5. A scoped viewer and a group outside their scope ----------------------------------------

def test_a_scoped_viewer_cannot_difference_a_group_outside_their_scope(
    world: dict[str, Any], client: Any, make_assessment: Any, add_responses: Any,
    close_and_publish: Any,
) -> None:
    other = org_services.organisation_create(system=world["system"], name="Vale Council",
                                             sector=Sector.LOCAL_AUTHORITY)
    guest = org_services.group_create(system=world["system"], organisation=other,
                                      parent=world["directorate"], name="Council liaison",
                                      space=Space.TEAM)
    autumn = Cycle.objects.create(system=world["system"], name="Autumn 2026")
    own = make_assessment(world["directorate"], cycle=autumn, title="Directorate autumn")
    add_responses(own, [4] * 6)
    outside = make_assessment(guest, cycle=autumn, title="Liaison autumn")
    add_responses(outside, [2] * 6)
    close_and_publish(own, outside)
    client.force_login(world["facilitator"])
    whole = _heatmap(client, world["system"], autumn)
    assert whole["Medicine directorate"][0] == "shown"  # the rollup exists
    client.force_login(world["olga"])
    scoped = _heatmap(client, world["system"], autumn)
    # Olga sees the directorate's own round but not its rollup (it holds the council team).
    assert scoped["Medicine directorate"][0] != "shown"
    assert "Council liaison" not in scoped
    assert client.get(f"/api/v1/assessments/{own.pk}/results").json()["state"] == "shown"
    page = client.get(f"/reports/systems/{world['system'].pk}/?cycle={autumn.pk}").content
    assert b"Council liaison" not in page


# 6. Self against others -----------------------------------------------------------------

def test_the_self_side_needs_one_self_rating_and_others_at_the_threshold(
    world: dict[str, Any], client: Any, make_assessment: Any, add_responses: Any,
    close_and_publish: Any,
) -> None:
    autumn = Cycle.objects.create(system=world["system"], name="Autumn 2026")
    pair = make_assessment(world["wards"]["B"], cycle=autumn, title="Ward B autumn",
                           rater_kinds=("self", "member"))
    add_responses(pair, [5, 5], rater_kind="self")  # two "selves" would be a pair's mean
    add_responses(pair, [3] * 6)
    close_and_publish(pair)
    client.force_login(world["facilitator"])
    page = client.get(f"/reports/assessments/{pair.pk}/").content.decode()
    assert 'id="self-other-withheld"' in page and "Self against others is shown when" in page


# 7. One round's setting hides other groups -------------------------------------------------

def test_a_stricter_cycle_never_changes_what_another_cycle_shows(
    world: dict[str, Any], client: Any,
) -> None:
    facilitator_client = Client()
    facilitator_client.force_login(world["facilitator"])
    client.force_login(world["viewer"])
    saved = _heatmap(client, world["system"], world["spring"])
    response = facilitator_client.post(f"/systems/{world['system'].pk}/cycles/new/", {
        "name": "Strict winter", "threshold": 8, "comment_threshold": 12})
    assert response.status_code == 302
    assert _heatmap(client, world["system"], world["spring"]) == saved
    assert saved["Ward A"][0] == "shown" and saved["Ward A"][1] == 8
    refused = facilitator_client.post(f"/systems/{world['system'].pk}/cycles/new/", {
        "name": "Odd", "threshold": 8, "comment_threshold": 6})
    assert "cannot be lower than the one for figures" in refused.content.decode()
    assert not Cycle.objects.filter(name="Odd").exists()


# 8. Opening a new round wipes a group from the heatmap -------------------------------------

def test_an_empty_new_round_leaves_the_published_heatmap_and_pdf_as_they_were(
    world: dict[str, Any], client: Any, make_assessment: Any,
) -> None:
    client.force_login(world["viewer"])
    url = f"/reports/systems/{world['system'].pk}/?cycle={world['spring'].pk}"
    before = _heatmap(client, world["system"], world["spring"])
    pdf_before = client.get(f"/reports/systems/{world['system'].pk}/report.csv?cycle="
                            f"{world['spring'].pk}").content
    autumn = Cycle.objects.create(system=world["system"], name="Autumn 2026")
    make_assessment(world["wards"]["A"], cycle=autumn, title="Ward A autumn")
    assert _heatmap(client, world["system"], world["spring"]) == before
    assert client.get(f"/reports/systems/{world['system'].pk}/report.csv?cycle="
                      f"{world['spring'].pk}").content == pdf_before
    assert "No results yet" not in client.get(url).content.decode().split("Ward A")[1][:400]


# No per-person status ----------------------------------------------------------------------

def test_no_page_or_export_shows_which_invitee_answered(
    world: dict[str, Any], facilitator_client: Any,
) -> None:
    rnd = world["rounds"]["A"]
    for url in (f"/assessments/{rnd.pk}/", f"/assessments/{rnd.pk}/links/",
                f"/reports/assessments/{rnd.pk}/"):
        page = facilitator_client.get(url).content.decode().lower()
        assert "links used" not in page and "used:" not in page
    assert Assessment.objects.filter(pk=rnd.pk).exists()


def test_a_rollup_waiting_for_open_rounds_reads_as_not_published_not_hidden(
    world: dict[str, Any], client: Any, make_assessment: Any, add_responses: Any,
) -> None:
    autumn = Cycle.objects.create(system=world["system"], name="Autumn 2026")
    live = make_assessment(world["wards"]["A"], cycle=autumn, title="Ward A autumn")
    add_responses(live, [4] * 6)
    client.force_login(world["facilitator"])
    assert client.post(f"/assessments/{live.pk}/publish/").status_code == 302
    rows = _heatmap(client, world["system"], autumn)
    assert rows["Ward A"][0] == "shown"  # its own publishing point
    # The directorate's row waits for its open round: that is not a hidden group.
    assert rows["Medicine directorate"][0] == "pending"


def test_no_response_rate_over_personal_links_when_the_open_link_was_used(
    world: dict[str, Any], client: Any, make_assessment: Any, add_responses: Any,
    close_and_publish: Any,
) -> None:
    from tracelead.diagnostics import services

    autumn = Cycle.objects.create(system=world["system"], name="Autumn 2026")
    mixed = make_assessment(world["wards"]["A"], cycle=autumn, title="Ward A autumn",
                            open_link_verify=True)
    services.invitations_create(assessment=mixed, rater_kind="member", count=2)
    add_responses(mixed, [4] * 6)
    OpenLinkSubmission.objects.create(assessment=mixed, device_hash="b" * 64)
    close_and_publish(mixed)
    client.force_login(world["viewer"])
    body = client.get(f"/api/v1/assessments/{mixed.pk}/results").json()
    assert body["state"] == "shown" and body["n_responses"] == 6
    assert body["response_rate"] is None  # 6 answers over 2 links would read as 100%
    assert "of the 2 people sent a personal link" not in client.get(
        f"/reports/assessments/{mixed.pk}/").content.decode()
