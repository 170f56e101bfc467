"""Personal data: the audit log, subject access, erasure and retention."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from typer.testing import CliRunner

from tracelead.cli import app
from tracelead.core.models import AuditEvent
from tracelead.core.privacy import apply_retention, erase_subject, subject_access
from tracelead.diagnostics.models import Invitation, Response, ResponseDraft
from tracelead.diagnostics.services import draft_save, draft_start, invitations_create
from tracelead.instruments import get_instrument
from tracelead.organisations.models import Person, Space, SystemMembership, SystemRole
from tracelead.organisations.services import group_create, system_create
from tracelead.reports.selectors import group_report

EMAIL = "sam.jones@example.nhs.uk"


@pytest.fixture
def world(db: Any, django_user_model: Any, make_assessment: Any) -> dict[str, Any]:
    user = django_user_model.objects.create_user("sam", email=EMAIL, first_name="Sam")
    system = system_create(name="Privacy ICS")
    SystemMembership.objects.create(user=user, system=system, role=SystemRole.FACILITATOR)
    group = group_create(system=system, name="Privacy team", space=Space.TEAM)
    Person.objects.create(system=system, name="Sam Jones", email=EMAIL, role_title="Nurse")
    assessment = make_assessment(group, title="Round", threshold=3, comment_threshold=3)
    today = assessment.closes_on
    mine, other = invitations_create(
        assessment=assessment, rater_kind="member", labels=[f"Sam Jones <{EMAIL}>", "Kim"]
    )
    draft_start(assessment=assessment, invitation=mine, rater_kind="member")
    instrument = get_instrument("trace")
    for value in (2, 4, 4):
        Response.objects.create(
            assessment=assessment,
            rater_kind="member",
            answers={key: value for key in instrument.item_keys},
            submitted_on=today,
        )
    return {"user": user, "assessment": assessment, "mine": mine, "other": other}


def test_viewing_results_and_exporting_links_is_audited(world: dict[str, Any]) -> None:
    client = Client()
    client.force_login(world["user"])
    assessment = world["assessment"]
    assert client.get(f"/assessments/{assessment.pk}/").status_code == 200
    # Links can be downloaded once, when made: make one, then download it.
    made = client.post(f"/assessments/{assessment.pk}/links/", {"rater_kind": "member", "count": 1})
    assert made.status_code == 302
    assert client.get(f"/assessments/{assessment.pk}/links.csv").status_code == 200
    events = list(AuditEvent.objects.order_by("at").values_list("username", "action", "group_id"))
    assert events == [
        ("sam", "viewed", assessment.group_id),
        ("sam", "exported", assessment.group_id),
    ]


def test_subject_access_lists_what_is_held_about_a_person(world: dict[str, Any]) -> None:
    data = subject_access(EMAIL.upper())
    assert [p["name"] for p in data["people"]] == ["Sam Jones"]
    assert [i["label"] for i in data["invitations"]] == [f"Sam Jones <{EMAIL}>"]
    assert [a["username"] for a in data["accounts"]] == ["sam"]
    assert data["accounts"][0]["memberships"] == [{"system": "Privacy ICS", "role": "facilitator"}]


def test_erasure_leaves_no_trace_and_no_result_moves(world: dict[str, Any],
                                                     close_and_publish: Any) -> None:
    close_and_publish(world["assessment"])
    before = group_report(world["assessment"])
    report = erase_subject(EMAIL)
    assert (report.people, report.invitation_labels, report.drafts, report.accounts) == (1, 1, 1, 1)
    assert not Person.objects.filter(email__iexact=EMAIL).exists()
    assert not Invitation.objects.filter(label__icontains=EMAIL).exists()
    assert Invitation.objects.get(pk=world["other"].pk).label == "Kim"
    world["user"].refresh_from_db()
    assert (world["user"].email, world["user"].first_name, world["user"].is_active) == (
        "",
        "",
        False,
    )
    assert not world["user"].has_usable_password()
    remaining = subject_access(EMAIL)
    assert (remaining["people"], remaining["invitations"], remaining["accounts"]) == ([], [], [])
    after = group_report(world["assessment"])
    assert after.state == before.state == "shown"
    assert after.n_responses == before.n_responses == 3
    assert [c.mean for c in after.conditions] == [c.mean for c in before.conditions]
    assert all(c.shown for c in after.conditions)
    assert after.publication_number == before.publication_number == 1


def test_retention_removes_identifiable_data_past_the_period(world: dict[str, Any]) -> None:
    assessment = world["assessment"]
    future = assessment.closes_on + dt.timedelta(days=400)
    AuditEvent.objects.create(username="sam", action="viewed", what="old")
    counted = apply_retention(days=365, today=future, dry_run=True)
    assert (counted.invitation_labels, counted.drafts) == (2, 1)
    assert Invitation.objects.exclude(label="").count() == 2  # a dry run changes nothing
    apply_retention(days=365, today=future)
    assert Invitation.objects.exclude(label="").count() == 0
    assert ResponseDraft.objects.count() == 0
    assert Response.objects.count() == 3
    # Within the period nothing goes.
    Invitation.objects.filter(pk=world["other"].pk).update(label="Kim")
    apply_retention(days=365, today=assessment.closes_on + dt.timedelta(days=10))
    assert Invitation.objects.get(pk=world["other"].pk).label == "Kim"


def test_the_command_line_exports_and_erases_a_person(world: dict[str, Any], tmp_path: Any) -> None:
    runner = CliRunner()
    out = tmp_path / "sar.json"
    result = runner.invoke(app, ["person", "export", EMAIL, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["people"][0]["email"] == EMAIL
    result = runner.invoke(app, ["person", "erase", EMAIL, "--yes"])
    assert result.exit_code == 0 and "1 people records" in result.output
    assert runner.invoke(app, ["person", "export", "not-an-email"]).exit_code == 2
    result = runner.invoke(app, ["retention", "--dry-run", "--days", "30"])
    assert result.exit_code == 0 and "Would delete" in result.output


def test_the_command_line_export_includes_the_persons_unsubmitted_draft(
    world: dict[str, Any], tmp_path: Any
) -> None:
    first, second = get_instrument("trace").item_keys[:2]
    mine = ResponseDraft.objects.get(invitation=world["mine"])
    draft_save(draft=mine, page=3, answers={first: 4, second: None},
               free_text={"one_change": "Fewer handovers"})
    # Kim's draft on the same round is not Sam's, and must not be in Sam's export.
    kims = draft_start(assessment=world["assessment"], invitation=world["other"],
                       rater_kind="member")
    draft_save(draft=kims, page=1, answers={first: 1}, free_text={"one_change": "Kim's idea"})
    out = tmp_path / "sar.json"

    result = CliRunner().invoke(app, ["person", "export", EMAIL, "-o", str(out)])

    assert result.exit_code == 0, result.output
    exported = json.loads(out.read_text())
    (draft,) = exported["unsubmitted_drafts"]
    assert draft["submitted"] is False and "not submitted" in draft["note"]
    assert (draft["assessment"], draft["page_reached"]) == ("Round", 3)
    assert draft["answers"] == {first: 4, second: None}
    assert draft["free_text"] == {"one_change": "Fewer handovers"}
    mine.refresh_from_db()
    assert draft["last_saved"] == mine.updated_at.isoformat()
    # The three submitted responses stay unlinked: no other answers anywhere in the file.
    assert "Kim's idea" not in out.read_text()
    assert [key for key in exported if "response" in key] == []


def test_reports_and_their_exports_are_audited_too(world: dict[str, Any],
                                                   close_and_publish: Any,
                                                   finish_job: Any) -> None:
    client = Client()
    client.force_login(world["user"])
    assessment = world["assessment"]
    system_id = assessment.group.system_id
    close_and_publish(assessment)
    cycle = assessment.cycle.name
    published = list(AuditEvent.objects.values_list("action", "what", "via"))
    assert published == [("published", f"publication 1 of {cycle}", "system")]
    AuditEvent.objects.all().delete()
    assert client.get(f"/reports/assessments/{assessment.pk}/").status_code == 200
    assert client.get(f"/reports/assessments/{assessment.pk}/report.csv").status_code == 200
    assert client.get(f"/reports/systems/{system_id}/").status_code == 200
    # The workbook of many groups is made by a background job, audited when asked for.
    _, workbook = finish_job(client, client.post(f"/reports/systems/{system_id}/report.xlsx"))
    assert workbook is not None
    events = list(AuditEvent.objects.order_by("at").values_list("action", "what"))
    assert events == [
        ("viewed", "group report of Round"),
        ("exported", "group report (csv) of Round"),
        ("viewed", f"heatmap of Privacy ICS, {cycle}"),
        ("exported", f"heatmap (xlsx) of Privacy ICS, {cycle}"),
    ]


def test_erasure_and_access_match_the_whole_address_not_part_of_another(
    world: dict[str, Any],
) -> None:
    """Erasing sam.jones@example.nhs.uk must not touch the links (and unsent drafts) of
    people whose addresses merely contain it."""
    lookalikes = invitations_create(
        assessment=world["assessment"], rater_kind="member",
        labels=[f"Tom <tom.{EMAIL}>", f"{EMAIL}.au", f"x{EMAIL}", f"Sam again, {EMAIL}."],
    )
    draft_start(assessment=world["assessment"], invitation=lookalikes[0], rater_kind="member")
    data = subject_access(EMAIL)
    assert sorted(i["label"] for i in data["invitations"]) == [
        f"Sam Jones <{EMAIL}>", f"Sam again, {EMAIL}."]
    report = erase_subject(EMAIL)
    assert (report.invitation_labels, report.drafts) == (2, 1)
    assert [Invitation.objects.get(pk=i.pk).label for i in lookalikes[:3]] == [
        f"Tom <tom.{EMAIL}>", f"{EMAIL}.au", f"x{EMAIL}"]
    assert ResponseDraft.objects.filter(invitation=lookalikes[0]).exists()
