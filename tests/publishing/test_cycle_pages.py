"""Pages for a system's reporting cycles: the list, adding one, and changing one.

A cycle's thresholds apply to every round in it, so only a facilitator of the whole system
may change them, and only until the first answers arrive in any of its rounds.
"""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from tracelead.core.models import AuditEvent
from tracelead.publishing.models import Cycle


def text(response) -> str:
    return html.unescape(response.content.decode())


def plain(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def cycle_rows(response) -> list[list[str]]:
    """The cycles table's rows: [name, figures from, comments from, rounds, publications]."""
    table = response.content.decode().split('id="cycles"', 1)[1].split("</table>", 1)[0]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]:
        cells = [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split())
                 for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        rows.append(cells[:5])
    return rows


def cycle_form(**overrides):
    data = {"name": "Spring 2027", "threshold": "6", "comment_threshold": "12"}
    data.update(overrides)
    return data


@pytest.fixture
def spring(system):
    return Cycle.objects.create(system=system, name="Spring 2027", threshold=6,
                                comment_threshold=12)


# --- The list ---------------------------------------------------------------------------


def test_the_list_shows_each_cycles_thresholds_rounds_and_publications(
    facilitator_client, assessment, spring, other_assessment, add_responses, close_and_publish
):
    add_responses(assessment, [4] * 5)
    close_and_publish(assessment)

    response = facilitator_client.get(reverse("cycles", args=[assessment.group.system_id]))

    assert response.status_code == 200
    # Newest first; the other system's cycle (also named "Cycle 5/10") is not listed.
    assert cycle_rows(response) == [
        ["Spring 2027", "6", "12", "0", "0"],
        [assessment.cycle.name, "5", "10", "1", "1"],
    ]
    content = text(response)
    assert reverse("cycle_edit", args=[other_assessment.cycle_id]) not in content
    assert reverse("cycle_edit", args=[spring.pk]) in content
    assert reverse("cycle_create", args=[assessment.group.system_id]) in content


def test_a_viewer_sees_the_cycles_but_no_way_to_add_or_change_them(viewer_client, system, spring):
    response = viewer_client.get(reverse("cycles", args=[system.pk]))

    assert response.status_code == 200
    assert [row[0] for row in cycle_rows(response)] == ["Spring 2027"]
    assert reverse("cycle_edit", args=[spring.pk]) not in text(response)
    assert reverse("cycle_create", args=[system.pk]) not in text(response)


def test_another_systems_cycles_answer_404(facilitator_client, other_system):
    theirs = Cycle.objects.create(system=other_system, name="Southmoor autumn")

    responses = [
        facilitator_client.get(reverse("cycles", args=[other_system.pk])),
        facilitator_client.get(reverse("cycle_create", args=[other_system.pk])),
        facilitator_client.post(reverse("cycle_create", args=[other_system.pk]), cycle_form()),
        facilitator_client.get(reverse("cycle_edit", args=[theirs.pk])),
        facilitator_client.post(reverse("cycle_edit", args=[theirs.pk]),
                                cycle_form(name="Taken over", threshold="3",
                                           comment_threshold="3")),
    ]

    assert [r.status_code for r in responses] == [404] * 5
    assert all("Southmoor" not in text(r) for r in responses)
    theirs.refresh_from_db()
    assert (theirs.name, theirs.threshold, theirs.comment_threshold) == (
        "Southmoor autumn", 5, 10
    )
    assert not Cycle.objects.filter(name="Spring 2027").exists()


@pytest.mark.parametrize("name", ["cycles", "cycle_create"])
def test_an_anonymous_visitor_is_sent_to_sign_in(client, system, name):
    url = reverse(name, args=[system.pk])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


# --- Adding a cycle ------------------------------------------------------------------------


def test_it_adds_a_cycle_from_the_form_and_audits_it(facilitator_client, system):
    response = facilitator_client.post(
        reverse("cycle_create", args=[system.pk]), cycle_form(), follow=True
    )

    assert response.redirect_chain == [(reverse("cycles", args=[system.pk]), 302)]
    assert "Created the cycle Spring 2027." in plain(response)
    cycle = Cycle.objects.get()
    assert (cycle.system, cycle.name, cycle.threshold, cycle.comment_threshold) == (
        system, "Spring 2027", 6, 12
    )
    assert cycle.created_by.username == "fran.facilitator"
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGED)
    assert (event.username, event.system_id, event.what) == (
        "fran.facilitator", system.pk,
        "created cycle Spring 2027 (figures from 6, comments from 12)",
    )


def test_the_new_cycle_form_offers_thresholds_of_5_and_10(facilitator_client, system):
    content = text(facilitator_client.get(reverse("cycle_create", args=[system.pk])))

    assert re.search(r'name="threshold"[^>]*value="5"', content)
    assert re.search(r'name="comment_threshold"[^>]*value="10"', content)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"threshold": "8", "comment_threshold": "7"},
         "The threshold for comments cannot be lower than the one for figures"),
        ({"threshold": "2"}, "The threshold for figures must be at least 3"),
        ({"threshold": "3", "comment_threshold": "2"},
         "The threshold for comments must be at least 3"),
        ({"threshold": "five"}, "Enter the threshold as a whole number, like 5"),
        ({"name": ""}, "Enter a name for the cycle"),
        ({"name": "autumn 2026"}, "Northbrook ICS already has a cycle called autumn 2026."),
    ],
)
def test_it_refuses_an_invalid_cycle_with_an_error_summary_and_changes_nothing(
    facilitator_client, system, overrides, message
):
    Cycle.objects.create(system=system, name="Autumn 2026")

    response = facilitator_client.post(
        reverse("cycle_create", args=[system.pk]), cycle_form(**overrides)
    )

    assert response.status_code == 400
    assert "nhsuk-error-summary" in text(response)
    assert message in text(response)
    assert list(Cycle.objects.values_list("name", flat=True)) == ["Autumn 2026"]
    assert not AuditEvent.objects.exists()


# --- Changing a cycle ----------------------------------------------------------------------


def test_thresholds_can_change_while_no_round_of_the_cycle_has_answers(
    facilitator_client, assessment
):
    cycle = assessment.cycle
    response = facilitator_client.post(
        reverse("cycle_edit", args=[cycle.pk]),
        cycle_form(name="Autumn 2026", threshold="7", comment_threshold="12"),
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("cycles", args=[cycle.system_id])
    cycle.refresh_from_db()
    assert (cycle.name, cycle.threshold, cycle.comment_threshold) == ("Autumn 2026", 7, 12)
    # The round reads its thresholds from the cycle.
    assessment.refresh_from_db()
    assert (assessment.threshold, assessment.comment_threshold) == (7, 12)
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGED)
    assert event.what == "cycle Cycle 5/10: name Autumn 2026, thresholds 5/10 to 7/12"


def test_a_comment_threshold_below_the_figures_one_is_refused_and_changes_nothing(
    facilitator_client, spring
):
    response = facilitator_client.post(
        reverse("cycle_edit", args=[spring.pk]),
        cycle_form(threshold="9", comment_threshold="8"),
    )

    assert response.status_code == 400
    assert "nhsuk-error-summary" in text(response)
    assert "The threshold for comments cannot be lower than the one for figures" \
        in text(response)
    spring.refresh_from_db()
    assert (spring.threshold, spring.comment_threshold) == (6, 12)
    assert not AuditEvent.objects.exists()


def test_once_answers_arrive_the_thresholds_are_fixed_but_the_name_can_change(
    facilitator_client, assessment, add_responses
):
    cycle = assessment.cycle
    url = reverse("cycle_edit", args=[cycle.pk])
    add_responses(assessment, [4])

    page = text(facilitator_client.get(url))
    response = facilitator_client.post(
        url, cycle_form(name="Autumn 2026", threshold="3", comment_threshold="3")
    )

    assert "Answers have arrived in this cycle, so its thresholds are fixed." in page
    assert re.search(r'name="threshold"[^>]*disabled', page)
    assert re.search(r'name="comment_threshold"[^>]*disabled', page)
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert (cycle.name, cycle.threshold, cycle.comment_threshold) == ("Autumn 2026", 5, 10)
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGED)
    assert event.what == "cycle Cycle 5/10: name Autumn 2026"


def test_a_viewer_gets_403_for_adding_or_changing_a_cycle(viewer_client, system, spring):
    responses = [
        viewer_client.get(reverse("cycle_create", args=[system.pk])),
        viewer_client.post(reverse("cycle_create", args=[system.pk]),
                           cycle_form(name="Viewer's cycle")),
        viewer_client.get(reverse("cycle_edit", args=[spring.pk])),
        viewer_client.post(reverse("cycle_edit", args=[spring.pk]),
                           cycle_form(threshold="3", comment_threshold="3")),
    ]

    assert [r.status_code for r in responses] == [403] * 4
    assert list(Cycle.objects.values_list("name", "threshold", "comment_threshold")) == [
        ("Spring 2027", 6, 12)
    ]
    assert not AuditEvent.objects.exists()


def test_a_facilitator_of_one_group_cannot_change_the_systems_cycles(
    client, make_user, system, team, spring
):
    """A cycle's thresholds apply to every group of the system, so they are not a
    group facilitator's to change."""
    from tracelead.organisations.models import SystemMembership, SystemRole

    lead = make_user("gail.groupfacilitator")
    SystemMembership.objects.create(user=lead, system=system, group=team,
                                    role=SystemRole.FACILITATOR)
    client.force_login(lead)

    response = client.post(reverse("cycle_edit", args=[spring.pk]),
                           cycle_form(threshold="3", comment_threshold="3"))

    assert response.status_code == 403
    spring.refresh_from_db()
    assert (spring.threshold, spring.comment_threshold) == (6, 12)
