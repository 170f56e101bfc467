"""Facilitator pages for assessments: creating them, their links, the CSV and the QR code,
and who may see which."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from tracelead.diagnostics import services
from tracelead.diagnostics.models import Assessment, Invitation


def text(response) -> str:
    return html.unescape(response.content.decode())


def form_data(group, **overrides):
    today = timezone.localdate()
    data = {
        "title": "Ward 7 – autumn",
        "group": str(group.pk),
        "instrument": "trace",
        "rater_kinds": ["member", "stakeholder"],
        "threshold": "5",
        "comment_threshold": "10",
        "opens_on": today.isoformat(),
        "closes_on": (today + dt.timedelta(days=21)).isoformat(),
    }
    data.update(overrides)
    return data


# --- Creating an assessment ---------------------------------------------------------------


def test_the_new_assessment_form_offers_the_default_thresholds(facilitator_client, team):
    response = facilitator_client.get(reverse("assessment_create") + f"?group={team.pk}")

    content = text(response)
    assert response.status_code == 200
    assert 'name="threshold"' in content
    assert 'value="5"' in content
    assert 'value="10"' in content


def test_it_creates_an_assessment_from_the_form_and_goes_to_its_links(
    facilitator_client, facilitator, team
):
    response = facilitator_client.post(reverse("assessment_create"), form_data(team))

    assessment = Assessment.objects.get(title="Ward 7 – autumn")
    assert response.status_code == 302
    assert response["Location"] == reverse("assessment_invitations", args=[assessment.pk])
    assert assessment.group == team
    assert assessment.rater_kinds == ["member", "stakeholder"]
    assert (assessment.threshold, assessment.comment_threshold) == (5, 10)
    assert assessment.created_by == facilitator


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"threshold": "2"}, "The threshold for figures must be at least 3"),
        ({"comment_threshold": "1"}, "The threshold for comments must be at least 3"),
        ({"threshold": "five"}, "Enter the threshold as a whole number, like 5"),
        ({"rater_kinds": []}, "Choose at least one kind of rater"),
        ({"title": ""}, "Enter a title for the assessment"),
        ({"opens_on": "2026-02-31"}, "Enter the opening date as a real date"),
    ],
)
def test_it_refuses_an_invalid_assessment_with_an_error_summary_and_changes_nothing(
    facilitator_client, team, overrides, message
):
    response = facilitator_client.post(reverse("assessment_create"), form_data(team, **overrides))

    content = text(response)
    assert response.status_code == 400
    assert "nhsuk-error-summary" in content
    assert message in content
    assert not Assessment.objects.exists()


def test_it_refuses_a_closing_date_before_the_opening_date(facilitator_client, team):
    today = timezone.localdate()

    response = facilitator_client.post(
        reverse("assessment_create"),
        form_data(
            team,
            opens_on=today.isoformat(),
            closes_on=(today - dt.timedelta(days=1)).isoformat(),
        ),
    )

    assert response.status_code == 400
    assert "The closing date must be on or after the opening date" in text(response)
    assert not Assessment.objects.exists()


def test_it_refuses_a_group_of_another_system(facilitator_client, other_team):
    response = facilitator_client.post(reverse("assessment_create"), form_data(other_team))

    assert response.status_code == 400
    assert "nhsuk-error-summary" in text(response)
    assert "Select a valid choice" in text(response)
    assert not Assessment.objects.exists()


def test_a_viewer_cannot_open_an_assessment_for_their_system(viewer_client, team):
    response = viewer_client.post(reverse("assessment_create"), form_data(team))

    assert response.status_code == 400
    assert "nhsuk-error-summary" in text(response)
    assert "Select a valid choice" in text(response)
    assert not Assessment.objects.exists()


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


def test_thresholds_can_change_until_answers_arrive_and_then_are_fixed(
    facilitator_client, team, make_assessment
) -> None:
    import datetime as dt

    from tracelead.diagnostics.models import Assessment
    from tracelead.diagnostics.services import draft_start, invitations_create

    today = dt.date.today()
    assessment = make_assessment(team, title="Editable")
    url = f"/assessments/{assessment.pk}/edit/"
    form = {
        "title": "Edited",
        "threshold": "7",
        "comment_threshold": "12",
        "opens_on": today.isoformat(),
        "closes_on": today.isoformat(),
    }
    assert facilitator_client.post(url, form).status_code == 302
    assert Assessment.objects.get(pk=assessment.pk).threshold == 7
    (invitation,) = invitations_create(assessment=assessment, rater_kind="member", count=1)
    draft_start(assessment=assessment, invitation=invitation, rater_kind="member")
    page = facilitator_client.get(url).content.decode()
    assert "thresholds are fixed" in page and "disabled" in page
    weaker = {**form, "threshold": "3", "comment_threshold": "3", "title": "Weaker"}
    assert facilitator_client.post(url, weaker).status_code == 302
    saved = Assessment.objects.get(pk=assessment.pk)
    assert (saved.title, saved.threshold, saved.comment_threshold) == ("Weaker", 7, 12)
