"""Facilitator pages for assessments: creating them, their links, the CSV and the QR code,
and who may see which."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tracelead.core.models import AuditEvent
from tracelead.diagnostics import services
from tracelead.diagnostics.models import Assessment, Invitation
from tracelead.publishing.models import Cycle


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def cycle(system):
    return Cycle.objects.create(system=system, name="Autumn 2026", threshold=6,
                                comment_threshold=12)


def form_data(group, cycle=None, /, **overrides):
    today = timezone.localdate()
    data = {
        "title": "Ward 7 – autumn",
        "group": str(group.pk),
        "instrument": "trace",
        "rater_kinds": ["member", "stakeholder"],
        "cycle": str(cycle.pk) if cycle else "",
        "opens_on": today.isoformat(),
        "closes_on": (today + dt.timedelta(days=21)).isoformat(),
    }
    data.update(overrides)
    return data


# --- Creating an assessment ---------------------------------------------------------------


def test_the_new_assessment_form_offers_the_systems_cycles_and_no_thresholds(
    facilitator_client, team, cycle, other_system
):
    Cycle.objects.create(system=team.system, name="Spring 2027")
    Cycle.objects.create(system=other_system, name="Southmoor autumn")

    response = facilitator_client.get(reverse("assessment_create") + f"?group={team.pk}")

    content = text(response)
    assert response.status_code == 200
    offered = dict(re.findall(r'<option value="(\d*)"\s*>([^<]*)</option>',
                              content.split('name="cycle"', 1)[1].split("</select>", 1)[0]))
    assert sorted(offered.values()) == [
        "Autumn 2026 (Northbrook ICS; figures from 6, comments from 12)",
        "Choose a cycle",
        "Spring 2027 (Northbrook ICS; figures from 5, comments from 10)",
    ]
    assert offered[str(cycle.pk)].startswith("Autumn 2026")
    assert "Southmoor" not in content
    assert 'name="threshold"' not in content
    assert 'name="comment_threshold"' not in content


def test_it_creates_an_assessment_from_the_form_and_goes_to_its_links(
    facilitator_client, facilitator, team, cycle
):
    response = facilitator_client.post(reverse("assessment_create"), form_data(team, cycle))

    assessment = Assessment.objects.get(title="Ward 7 – autumn")
    assert response.status_code == 302
    assert response["Location"] == reverse("assessment_invitations", args=[assessment.pk])
    assert assessment.group == team
    assert assessment.cycle == cycle
    assert assessment.rater_kinds == ["member", "stakeholder"]
    assert (assessment.threshold, assessment.comment_threshold) == (6, 12)
    assert assessment.created_by == facilitator


YESTERDAY = (timezone.localdate() - dt.timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"cycle": ""}, "Choose the reporting cycle"),
        ({"cycle": "999999"}, "Choose one of the cycles listed"),
        ({"opens_on": YESTERDAY}, "The open date cannot be in the past."),
        ({"rater_kinds": []}, "Choose at least one kind of rater"),
        ({"title": ""}, "Enter a title for the assessment"),
        ({"opens_on": "2026-02-31"}, "Enter the opening date as a real date"),
    ],
)
def test_it_refuses_an_invalid_assessment_with_an_error_summary_and_changes_nothing(
    facilitator_client, team, cycle, overrides, message
):
    response = facilitator_client.post(
        reverse("assessment_create"), form_data(team, cycle, **overrides)
    )

    content = text(response)
    assert response.status_code == 400
    assert "nhsuk-error-summary" in content
    assert message in content
    assert not Assessment.objects.exists()


def test_it_refuses_a_closing_date_before_the_opening_date(facilitator_client, team, cycle):
    today = timezone.localdate()

    response = facilitator_client.post(
        reverse("assessment_create"),
        form_data(
            team,
            cycle,
            opens_on=today.isoformat(),
            closes_on=(today - dt.timedelta(days=1)).isoformat(),
        ),
    )

    assert response.status_code == 400
    assert "The closing date must be on or after the opening date" in text(response)
    assert not Assessment.objects.exists()


def test_it_refuses_a_group_of_another_system(facilitator_client, other_team, cycle):
    response = facilitator_client.post(reverse("assessment_create"), form_data(other_team, cycle))

    assert response.status_code == 400
    assert "nhsuk-error-summary" in text(response)
    assert "Select a valid choice" in text(response)
    assert not Assessment.objects.exists()


def test_a_viewer_cannot_open_an_assessment_for_their_system(viewer_client, team, cycle):
    response = viewer_client.post(reverse("assessment_create"), form_data(team, cycle))

    assert response.status_code == 400
    assert "nhsuk-error-summary" in text(response)
    assert "Select a valid choice" in text(response)
    assert not Assessment.objects.exists()


def test_it_refuses_a_cycle_of_a_system_the_facilitator_does_not_manage(
    facilitator_client, team, other_system
):
    elsewhere = Cycle.objects.create(system=other_system, name="Southmoor autumn")

    response = facilitator_client.post(reverse("assessment_create"), form_data(team, elsewhere))

    assert response.status_code == 400
    assert "nhsuk-error-summary" in text(response)
    assert "Choose one of the cycles listed" in text(response)
    assert not Assessment.objects.exists()


def test_it_refuses_a_cycle_of_another_system_the_facilitator_also_manages(
    facilitator_client, facilitator, team, other_team, other_system
):
    from tracelead.organisations.models import SystemMembership, SystemRole

    SystemMembership.objects.create(user=facilitator, system=other_system,
                                    role=SystemRole.FACILITATOR)
    elsewhere = Cycle.objects.create(system=other_system, name="Southmoor autumn")

    response = facilitator_client.post(reverse("assessment_create"), form_data(team, elsewhere))

    assert response.status_code == 400
    assert "nhsuk-error-summary" in text(response)
    assert "Choose a cycle of the group's own system" in text(response)
    assert not Assessment.objects.exists()


def test_it_refuses_a_second_round_of_a_group_in_one_cycle(
    facilitator_client, team, cycle, make_assessment
):
    today = timezone.localdate()
    first = make_assessment(team, cycle=cycle, closes_on=today + dt.timedelta(days=3))
    later = {"opens_on": (today + dt.timedelta(days=30)).isoformat(),
             "closes_on": (today + dt.timedelta(days=40)).isoformat()}

    response = facilitator_client.post(
        reverse("assessment_create"), form_data(team, cycle, **later)
    )

    assert response.status_code == 400
    assert "nhsuk-error-summary" in text(response)
    assert "Ward 7 team already has a round in Autumn 2026: one a cycle." in text(response)
    assert list(Assessment.objects.all()) == [first]


def test_it_refuses_a_round_overlapping_another_round_of_the_group(
    facilitator_client, team, cycle, make_assessment
):
    first = make_assessment(team)  # open today, in a cycle of its own

    response = facilitator_client.post(reverse("assessment_create"), form_data(team, cycle))

    assert response.status_code == 400
    assert "nhsuk-error-summary" in text(response)
    assert (
        f"Ward 7 team already has a round from {first.opens_on:%-d %B %Y} to "
        f"{first.closes_on:%-d %B %Y}; choose dates that do not overlap it."
    ) in text(response)
    assert list(Assessment.objects.all()) == [first]


# --- Links, the CSV and the QR code ---------------------------------------------------------


def test_it_creates_links_from_the_form(facilitator_client, assessment):
    response = facilitator_client.post(
        reverse("assessment_invitations", args=[assessment.pk]),
        {"rater_kind": "member", "count": "3", "labels": ""},
    )

    assert response.status_code == 302
    assert Invitation.objects.filter(assessment=assessment, rater_kind="member").count() == 3
    page = text(facilitator_client.get(reverse("assessment_invitations", args=[assessment.pk])))
    assert "3 created so far." in page
    assert "used" not in page


def test_it_refuses_a_links_request_without_a_count_or_people(facilitator_client, assessment):
    response = facilitator_client.post(
        reverse("assessment_invitations", args=[assessment.pk]),
        {"rater_kind": "member", "count": "", "labels": ""},
    )

    assert response.status_code == 400
    assert "Enter how many links you need, or list the people to invite" in text(response)
    assert not Invitation.objects.exists()


def test_the_links_page_shows_the_open_link_and_its_qr_code(facilitator_client, assessment):
    response = facilitator_client.get(reverse("assessment_invitations", args=[assessment.pk]))

    assessment.refresh_from_db()
    content = text(response)
    assert response.status_code == 200
    assert f"http://testserver/r/{assessment.open_token}/" in content
    assert "<svg" in content


def test_the_csv_lists_one_row_per_new_link_with_its_full_link(facilitator_client, assessment):
    facilitator_client.post(
        reverse("assessment_invitations", args=[assessment.pk]),
        {"rater_kind": "member", "labels": "ann@example.org\nBo Li\nCy"},
    )

    response = facilitator_client.get(reverse("invitations_csv", args=[assessment.pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["label", "rater_kind", "link"]
    assert [row[:2] for row in rows[1:]] == [
        ["ann@example.org", "member"], ["Bo Li", "member"], ["Cy", "member"]
    ]
    # Each link is the full address of one invitation (only its hash is stored).
    for label, _kind, link in rows[1:]:
        token = link.removeprefix("http://testserver/r/").removesuffix("/")
        assert Invitation.objects.get(token_hash=Invitation.hash_token(token)).label == label


@pytest.mark.parametrize(
    ("label", "cell"),
    [
        (
            '=HYPERLINK("http://evil.example","Click")',
            '\'=HYPERLINK("http://evil.example","Click")',
        ),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("Dr Ann Smith", "Dr Ann Smith"),
    ],
)
def test_the_csv_neutralises_labels_that_look_like_formulas(
    facilitator_client, assessment, label, cell
):
    facilitator_client.post(
        reverse("assessment_invitations", args=[assessment.pk]),
        {"rater_kind": "member", "labels": label},
    )

    response = facilitator_client.get(reverse("invitations_csv", args=[assessment.pk]))

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][0] == cell


def test_the_qr_code_is_an_svg_of_the_open_link(facilitator_client, assessment):
    response = facilitator_client.get(reverse("open_link_qr", args=[assessment.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.lstrip().startswith(b"<?xml") or b"<svg" in response.content[:200]
    assessment.refresh_from_db()
    assert assessment.open_token


# --- Tenancy --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["assessment", "assessment_invitations", "invitations_csv", "open_link_qr"]
)
def test_a_facilitator_of_another_system_gets_404_for_an_assessment(
    other_facilitator_client, assessment, name
):
    services.invitations_create(assessment=assessment, rater_kind="member", labels=["Ann"])

    response = other_facilitator_client.get(reverse(name, args=[assessment.pk]))

    assert response.status_code == 404
    assert assessment.title not in text(response)
    assert "Ann" not in text(response)


def test_a_facilitator_of_another_system_cannot_create_links(other_facilitator_client, assessment):
    response = other_facilitator_client.post(
        reverse("assessment_invitations", args=[assessment.pk]),
        {"rater_kind": "member", "count": "5"},
    )

    assert response.status_code == 404
    assert not Invitation.objects.exists()


def test_the_assessment_list_shows_only_the_users_assessments(
    facilitator_client, assessment, other_assessment
):
    content = text(facilitator_client.get(reverse("assessments")))

    assert assessment.title in content
    assert other_assessment.title not in content


@pytest.mark.parametrize("name", ["assessment_invitations", "invitations_csv", "open_link_qr"])
def test_a_viewer_gets_403_for_links(viewer_client, assessment, name):
    response = viewer_client.get(reverse(name, args=[assessment.pk]))

    assert response.status_code == 403
    assessment.refresh_from_db()
    assert assessment.open_token is None


def test_a_viewer_cannot_post_new_links(viewer_client, assessment):
    response = viewer_client.post(
        reverse("assessment_invitations", args=[assessment.pk]),
        {"rater_kind": "member", "count": "5"},
    )

    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_a_viewer_sees_results_without_the_links_button(viewer_client, assessment):
    response = viewer_client.get(reverse("assessment", args=[assessment.pk]))

    assert response.status_code == 200
    assert reverse("assessment_invitations", args=[assessment.pk]) not in text(response)


@pytest.mark.parametrize(
    "name",
    ["assessment", "assessment_invitations", "invitations_csv", "open_link_qr"],
)
def test_an_anonymous_visitor_is_sent_to_sign_in(client, assessment, name):
    url = reverse(name, args=[assessment.pk])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_an_anonymous_visitor_is_sent_to_sign_in_from_the_lists(client):
    for url in (reverse("assessments"), reverse("assessment_create")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


# --- Changing a round's title and dates ------------------------------------------------


def edit_data(assessment, **overrides):
    data = {
        "title": assessment.title,
        "opens_on": assessment.opens_on.isoformat(),
        "closes_on": assessment.closes_on.isoformat(),
    }
    data.update(overrides)
    return data


def test_the_edit_page_has_no_thresholds_and_names_the_cycle_that_sets_them(
    facilitator_client, assessment
):
    response = facilitator_client.get(reverse("assessment_edit", args=[assessment.pk]))

    content = text(response)
    assert response.status_code == 200
    assert f"The anonymity thresholds are those of the cycle {assessment.cycle.name}." in content
    assert 'name="threshold"' not in content
    assert 'name="comment_threshold"' not in content
    assert 'name="closes_on"' in content


def test_a_date_change_through_the_page_is_saved_and_in_the_audit_log(
    facilitator_client, assessment
):
    later = assessment.closes_on + dt.timedelta(days=7)

    response = facilitator_client.post(
        reverse("assessment_edit", args=[assessment.pk]),
        edit_data(assessment, title="Extended", closes_on=later.isoformat()),
    )

    assert response.status_code == 302
    saved = Assessment.objects.get(pk=assessment.pk)
    assert (saved.title, saved.closes_on) == ("Extended", later)
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGED)
    assert (event.username, event.assessment_id, event.via) == (
        "fran.facilitator", assessment.pk, "web"
    )
    assert event.what == (
        f"dates {assessment.opens_on}–{assessment.closes_on} to "
        f"{assessment.opens_on}–{later} of Extended"
    )


@pytest.mark.parametrize(
    ("field", "days", "message"),
    [
        ("closes_on", -1, "The close date cannot be in the past."),
        ("opens_on", 1, "This round has opened; its open date is fixed."),
    ],
)
def test_a_refused_date_change_shows_an_error_summary_and_changes_nothing(
    facilitator_client, assessment, field, days, message
):
    day = timezone.localdate() + dt.timedelta(days=days)

    response = facilitator_client.post(
        reverse("assessment_edit", args=[assessment.pk]),
        edit_data(assessment, title="Changed", **{field: day.isoformat()}),
    )

    assert response.status_code == 400
    assert "nhsuk-error-summary" in text(response)
    assert message in text(response)
    saved = Assessment.objects.get(pk=assessment.pk)
    assert (saved.title, saved.opens_on, saved.closes_on) == (
        assessment.title, assessment.opens_on, assessment.closes_on
    )
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CHANGED).exists()


def test_a_viewer_cannot_change_a_round(viewer_client, assessment):
    url = reverse("assessment_edit", args=[assessment.pk])
    later = assessment.closes_on + dt.timedelta(days=7)

    shown = viewer_client.get(url)
    posted = viewer_client.post(url, edit_data(assessment, closes_on=later.isoformat()))

    assert (shown.status_code, posted.status_code) == (403, 403)
    assert Assessment.objects.get(pk=assessment.pk).closes_on == assessment.closes_on
