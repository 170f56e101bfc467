"""A team records actions from its report; the next round's report shows what was done.

Story: Fran facilitates Northbrook; Vic views it (the team leader); Olu facilitates
another system and must not learn that Ward 7's plan exists.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import shutil
import subprocess
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tracelead.actions.models import Action, ActionStatus
from tracelead.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _text(page: Any) -> str:
    return html.unescape(page.content.decode())


def _add(client: Client, round_: Any, **fields: str) -> Any:
    data = {"title": "Agree our three priorities", "condition": "task", "practice": "",
            "owner": "Ward manager", "due_on": "2026-09-30", "status": "not_started",
            "note": ""}
    data.update(fields)
    return client.post(reverse("action_create", args=[round_.pk]), data)


def test_a_viewer_adds_an_action_from_the_report_and_it_is_audited(
    viewer: Any, two_rounds: Any
) -> None:
    before = two_rounds["before"]
    vic = _client(viewer)
    form = vic.get(reverse("action_create", args=[before.pk]))
    assert form.status_code == 200
    # The report's focus condition is chosen already and named as the focus.
    text = _text(form)
    assert "(where the report suggests focusing)" in text

    answer = _add(vic, before, title="Agree our three priorities", practice="")
    assert answer.status_code == 302
    action = Action.objects.get()
    assert (action.group_id, action.assessment_id, action.condition, action.owner) == (
        before.group_id, before.pk, "task", "Ward manager")
    assert str(action.due_on) == "2026-09-30"
    event = AuditEvent.objects.filter(action=AuditEvent.Action.CHANGED).latest("at")
    assert event.user == viewer and event.group_id == before.group_id
    assert "added “Agree our three priorities”" in event.what

    plan = vic.get(reverse("action_plan", args=[before.pk]))
    assert "Agree our three priorities" in _text(plan)
    assert "Ward manager" in _text(plan)


def test_it_refuses_an_action_without_title_owner_or_a_real_condition(
    facilitator: Any, two_rounds: Any
) -> None:
    page = _add(_client(facilitator), two_rounds["before"], title="", owner=" ",
                condition="courage")
    assert page.status_code == 400
    text = _text(page)
    assert "Enter what the team will do" in text
    assert "Enter who will make sure it happens" in text
    assert "Choose one of the conditions listed" in text
    assert not Action.objects.exists()


def test_a_practice_must_belong_to_the_chosen_condition(
    facilitator: Any, two_rounds: Any, trace: Any
) -> None:
    energy_practice = trace.scale("energy").practices[0].title
    page = _add(_client(facilitator), two_rounds["before"], condition="task",
                practice=energy_practice)
    assert page.status_code == 400
    assert "Choose a practice of the chosen condition, or none" in _text(page)
    ok = _add(_client(facilitator), two_rounds["before"], condition="energy",
              practice=energy_practice)
    assert ok.status_code == 302
    assert Action.objects.get().practice == energy_practice


def test_a_status_change_is_saved_and_audited_with_before_and_after(
    facilitator: Any, viewer: Any, two_rounds: Any
) -> None:
    _add(_client(facilitator), two_rounds["before"])
    action = Action.objects.get()
    vic = _client(viewer)
    edit = vic.get(reverse("action_edit", args=[action.pk]))
    assert edit.status_code == 200 and "Agree our three priorities" in _text(edit)
    done = vic.post(reverse("action_edit", args=[action.pk]), {
        "title": "Agree our three priorities", "condition": "task", "practice": "",
        "owner": "Ward manager", "due_on": "2026-09-30", "status": "done",
        "note": "Agreed at the June away day"})
    assert done.status_code == 302
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE and action.note == "Agreed at the June away day"
    event = AuditEvent.objects.latest("at")
    assert event.user == viewer
    assert "status Not started to Done" in event.what and "note" in event.what


def test_the_next_rounds_report_shows_what_was_done_beside_the_change(
    facilitator: Any, viewer: Any, two_rounds: Any
) -> None:
    from tracelead.actions import services
    from tracelead.reports.builders import group_report

    before, now = two_rounds["before"], two_rounds["now"]
    services.action_create(assessment=before, title="Agree our three priorities",
                           condition="task", owner="Ward manager", status="done",
                           created_by=facilitator)
    services.action_create(assessment=before, title="Monthly energy check-in",
                           condition="energy", owner="Matron", status="in_progress",
                           created_by=facilitator)
    services.action_create(assessment=now, title="A plan for next year", condition="route",
                           owner="Team", created_by=facilitator)
    report = group_report(now)
    assert report.change.status == "shown" and report.change.previous_id == before.pk
    task = next(c for c in report.change.rows if c.key == "task")

    page = _client(viewer).get(reverse("report_group", args=[now.pk]))
    text = _text(page)
    assert "What the team did since the previous round" in text
    assert "1 of the 2 actions recorded after “Ward 7 – winter” is done" in text
    review = text.split('id="actions-done"')[1].split("</table>")[0]
    task_row = review.split("Task")[1].split("</tr>")[0]
    assert f"{task.difference:+.2f}" in task_row
    assert "Agree our three priorities" in task_row
    energy_row = review.split("Energy")[1].split("</tr>")[0]
    assert "Monthly energy check-in" in energy_row and "(in progress)" in energy_row
    # This round's own actions are counted in its plan, not reviewed as earlier ones.
    assert "A plan for next year" not in review
    assert "1 action recorded from this report, 0 done." in text
    # The earlier round's report has no earlier round to review.
    earlier = _text(_client(viewer).get(reverse("report_group", args=[before.pk])))
    assert "What the team did since the previous round" not in earlier
    assert "2 actions recorded from this report, 1 done." in earlier


def test_another_systems_facilitator_cannot_see_or_change_the_plan(
    facilitator: Any, other_facilitator: Any, two_rounds: Any
) -> None:
    before = two_rounds["before"]
    _add(_client(facilitator), before)
    action = Action.objects.get()
    olu = _client(other_facilitator)
    assert olu.get(reverse("action_plan", args=[before.pk])).status_code == 404
    assert olu.get(reverse("action_create", args=[before.pk])).status_code == 404
    assert _add(olu, before).status_code == 404
    assert olu.get(reverse("action_edit", args=[action.pk])).status_code == 404
    posted = olu.post(reverse("action_edit", args=[action.pk]), {
        "title": "Hijacked", "condition": "task", "owner": "x", "status": "done"})
    assert posted.status_code == 404
    action.refresh_from_db()
    assert action.title == "Agree our three priorities"


def test_a_viewer_of_another_group_cannot_reach_the_plan(
    make_user: Any, system: Any, organisation: Any, two_rounds: Any, facilitator: Any
) -> None:
    from tracelead.organisations import services
    from tracelead.organisations.models import Space, SystemMembership, SystemRole

    other = services.group_create(system=system, organisation=organisation,
                                  name="Ward 9 team", space=Space.TEAM)
    leader = make_user("lee.ward9")
    SystemMembership.objects.create(user=leader, system=system, role=SystemRole.VIEWER,
                                    group=other)
    _add(_client(facilitator), two_rounds["before"])
    lee = _client(leader)
    assert lee.get(reverse("action_plan", args=[two_rounds["before"].pk])).status_code == 404
    action = Action.objects.get()
    assert lee.get(reverse("action_edit", args=[action.pk])).status_code == 404


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_the_board_pdf_and_the_workbook_carry_the_actions_beside_the_change(
    facilitator: Any, two_rounds: Any, tmp_path: Any
) -> None:
    from openpyxl import load_workbook

    from tracelead.actions import services
    from tracelead.reports.builders import group_report
    from tracelead.reports.exports import export_group

    before, now = two_rounds["before"], two_rounds["now"]
    services.action_create(assessment=before, title="=HYPERLINK(\"x\") Agree our priorities",
                           condition="task", owner="Ward manager", status="done",
                           due_on=dt.date(2025, 6, 30), created_by=facilitator)
    services.action_create(assessment=now, title="A plan for next year", condition="route",
                           owner="Team", created_by=facilitator)
    report = group_report(now)
    task = next(c for c in report.change.rows if c.key == "task")

    pdf = tmp_path / "board.pdf"
    pdf.write_bytes(export_group(report, "pdf").content)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,  # noqa: S603, S607
                          capture_output=True, text=True).stdout
    assert "What the team did since the previous round" in text
    assert "1 of the 1 action recorded after “Ward 7 – winter” is done" in " ".join(text.split())
    assert "Agree our priorities" in text

    book = load_workbook(io.BytesIO(export_group(report, "xlsx").content))
    rows = list(book["Actions"].iter_rows(values_only=True))
    assert rows[0][:3] == ("Recorded", "Condition", "Action")
    done = next(r for r in rows if r[1] == "Task")
    assert done[0] == "After “Ward 7 – winter”" and done[6] == "Done"
    assert done[2].startswith("'=")  # a formula typed as a title stays text
    assert done[5] == dt.datetime(2025, 6, 30)
    assert done[7] == pytest.approx(round(task.difference, 3))
    planned = next(r for r in rows if r[2] == "A plan for next year")
    assert planned[0] == "After this round (“Ward 7 – spring”)" and planned[1] == "Route"
