"""Importing answers from Mentimeter, SurveyMonkey and Microsoft Forms exports.

Fran runs the Northbrook academy's "Whole-system workshops". She brings in the shipped
sample exports; Amira and Ben are members, so their responses pair with them by email.
Every expected number below was counted by hand from the sample files in
``src/tracelead/evaluation/samples`` (their rows are short enough to read).
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.db import IntegrityError
from django.utils import timezone
from typer.testing import CliRunner

from tracelead.cli import app
from tracelead.evaluation import importing
from tracelead.evaluation.models import Answer, Form, FormKind, Item, Level, Submission

SAMPLES = Path(importing.__file__).parent / "samples"
pytestmark = pytest.mark.django_db


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@pytest.fixture
def academy(system: Any) -> Any:
    from tracelead.academy import services

    return services.academy_create(system=system, name="Northbrook Leadership Academy",
                                   purpose="Leaders across the system.", places="Vale",
                                   privacy_notice="We keep your details to run the academy.")


@pytest.fixture
def programme(academy: Any) -> Any:
    from tracelead.academy import services
    from tracelead.academy.models import Offer

    offer = Offer.objects.create(academy=academy, name="Capability development", position=1)
    return services.programme_save(academy=academy, offer=offer, name="Whole-system workshops",
                                   purpose="Shared care for frail people.")


@pytest.fixture
def members(academy: Any, system: Any) -> dict[str, Any]:
    from tracelead.academy.models import Member
    from tracelead.organisations.models import Organisation, Sector

    hospital = Organisation.objects.create(system=system, name="Northbrook Hospitals",
                                           sector=Sector.ACUTE)
    now = timezone.now()
    return {name.split()[0].lower(): Member.objects.create(
        academy=academy, name=name, email=email, organisation=hospital,
        sector=hospital.sector, joined_at=now, consented_at=now)
        for name, email in (("Amira Khan", "Amira.Khan@example.org"),
                            ("Ben Okafor", "ben.okafor@example.org"))}


def make_event(academy: Any, programme: Any, title: str = "Workshop 3") -> Any:
    from tracelead.academy import services

    starts = timezone.now() - dt.timedelta(days=3)
    return services.event_create(academy=academy, programme=programme, kind="workshop",
                                 title=title, starts_at=starts,
                                 ends_at=starts + dt.timedelta(hours=3), venue="Vale")


def uses(parsed: importing.ParsedExport) -> list[tuple[str, str]]:
    return [(c.heading, p.use) for c, p in zip(parsed.columns, importing.guess_plan(parsed),
                                               strict=True)]


# --- Layouts found and columns guessed ---------------------------------------------------


@pytest.mark.parametrize(("name", "fmt", "unit", "responses"), [
    ("forms_feedback.xlsx", "forms", "row", 5),
    ("forms_feedback.csv", "forms", "line", 5),
    ("surveymonkey_follow_up.csv", "surveymonkey", "line", 3),
    ("menti_workshop.xlsx", "menti", "row", 5),
    ("menti_workshop.csv", "menti", "line", 5),
])
def test_each_sample_is_recognised_and_read_without_problems(
        name: str, fmt: str, unit: str, responses: int) -> None:
    parsed = importing.read_export(sample(name), name)
    assert parsed.problems == []
    assert (parsed.format, parsed.unit, len(parsed.respondents)) == (fmt, unit, responses)


def test_forms_columns_are_guessed_as_email_rating_choices_text_and_consent() -> None:
    parsed = importing.read_export(sample("forms_feedback.xlsx"), "forms_feedback.xlsx")
    assert uses(parsed) == [
        ("Email", "email"),
        ("How useful was the workshop to your work?", "rating"),
        ("Which parts of the day helped you most?", "choices"),
        ("What one thing would you change for next time?", "text"),
        ("May we quote your comments in the evaluation report?", "consent"),
    ]
    rating = importing.guess_plan(parsed)[1]
    assert (rating.scale_min, rating.scale_max) == (1, 5)
    assert parsed.not_read == ["Start time", "Name"]


def test_surveymonkey_option_columns_become_one_question_and_a_matrix_one_per_row() -> None:
    parsed = importing.read_export(sample("surveymonkey_follow_up.csv"), "x.csv")
    headings = [c.heading for c in parsed.columns]
    assert headings == [
        "Email Address",
        "Which of these have you done since the programme?",
        "Which of these have you done since the programme? – Other (please specify)",
        "How confident are you now working with people from other organisations?",
        "How often do you now do each of these with partners in other organisations? – "
        "Plan work together",
        "How often do you now do each of these with partners in other organisations? – "
        "Share information",
        "What has changed in how you work across organisational boundaries?",
        "May we quote what you wrote in the evaluation report?",
    ]
    first = parsed.respondents[0]
    assert first.key == "118230455101"
    assert first.values[1] == ("Contacted someone I met on the programme",
                               "Started joint work with another organisation")
    # "09/01/2026 08:19:02 AM": SurveyMonkey writes the month first.
    assert timezone.localtime(first.finished).replace(tzinfo=None) == dt.datetime(
        2026, 9, 1, 8, 19, 2)
    assert importing.guess_plan(parsed)[1].use == "choices"


def test_mentimeter_joins_a_voters_answers_across_sheets_and_skips_the_summary_sheet() -> None:
    parsed = importing.read_export(sample("menti_workshop.xlsx"), "menti_workshop.xlsx")
    assert parsed.not_read == ["sheet “Overview”"]
    assert uses(parsed) == [
        ("How would you rate today's session?", "rating"),
        ("In a word or two: what will you take back to your team?", "choices"),
        ("Which sector do you work in?", "choice"),
    ]
    voter = parsed.respondents[0]
    assert voter.key == "v-101"
    assert voter.values == {0: "4", 1: ("trust", "curiosity"), 2: "Acute care"}
    # v-103 gave no word: nothing for that question, not an empty answer.
    assert 1 not in parsed.respondents[2].values


def test_dates_are_read_day_first_only_when_a_day_over_12_shows_it() -> None:
    assert importing._day_first(["3/4/26 10:00", "14/3/26 09:00"]) is True
    assert importing._day_first(["3/4/26 10:00", "3/14/26 09:00"]) is False
    assert importing._when("3/14/26 10:02:11 PM", day_first=False).hour == 22
    with pytest.raises(ValueError, match="yesterday"):
        importing._when("yesterday", day_first=False)


# --- Broken files: every problem by line (or row) and column -----------------------------


@pytest.mark.parametrize(("name", "expected"), [
    ("broken_empty.csv", ["The file is empty."]),
    ("broken_not_a_spreadsheet.xlsx", ["The file is not a valid Excel (.xlsx) file."]),
    ("broken_forms_wrong_column_count.csv",
     ["line 4: has 10 columns but the headings have 9; a value may contain an unquoted "
      "comma, or a column is missing"]),
    ("broken_surveymonkey_one_heading_row.csv",
     ["The second line holds answers, not SurveyMonkey's second heading row (“Response” or "
      "the options under each question). Export the file again with both heading rows."]),
])
def test_a_broken_file_is_refused_with_its_problems(name: str, expected: list[str]) -> None:
    parsed = importing.read_export(sample(name), name)
    assert [str(p) for p in parsed.problems] == expected


def test_a_file_without_its_heading_row_is_not_recognised() -> None:
    parsed = importing.read_export(sample("broken_forms_no_header.csv"), "x.csv")
    assert len(parsed.problems) == 1
    assert str(parsed.problems[0]).startswith("The layout of the file was not recognised.")
    # Saying which tool made it does not help: the headings are still missing.
    forced = importing.read_export(sample("broken_forms_no_header.csv"), "x.csv", "forms")
    assert str(forced.problems[0]).startswith("The first line must name the columns as "
                                              "Microsoft Forms writes them")


def test_bad_ratings_are_reported_by_line_and_column_and_nothing_is_saved(
        programme: Any) -> None:
    outcome = importing.answers_import(programme=programme, commit=True,
                                       data=sample("broken_forms_bad_rating.csv"),
                                       filename="broken_forms_bad_rating.csv")
    assert [str(p) for p in outcome.problems] == [
        "line 3, column “How useful was the workshop to your work?”: 60 is outside the "
        "scale of 1 to 5",
        "line 5, column “How useful was the workshop to your work?”: “four” is not a whole "
        "number for a rating",
    ]
    assert not outcome.committed
    assert Form.objects.count() == Submission.objects.count() == 0


def test_a_mentimeter_problem_names_its_sheet(programme: Any) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "1. Rate today"
    for row in (["How would you rate today's session?"], ["Voter ID", "Response"],
                ["v-1", 4], ["", 5], ["v-3", 9]):
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    parsed = importing.read_export(data.getvalue(), "menti.xlsx")
    assert [str(p) for p in parsed.problems] == [
        "row 4, column “Voter ID”: the voter's id is empty"]
    # A single sheet is named only when the workbook has several; with two it is named.
    book.create_sheet("Notes").append(["Written after the session"])
    data = io.BytesIO()
    book.save(data)
    parsed = importing.read_export(data.getvalue(), "menti.xlsx")
    assert [str(p) for p in parsed.problems] == [
        "sheet “1. Rate today”, row 4, column “Voter ID”: the voter's id is empty"]


def test_a_rating_out_of_the_chosen_scale_names_the_mentimeter_sheet_and_row(
        programme: Any) -> None:
    parsed = importing.read_export(sample("menti_workshop.xlsx"), "m.xlsx")
    plan = importing.guess_plan(parsed)
    plan[0].scale_max = 4
    preview = importing.check_plan(parsed=parsed, plan=plan, programme=programme,
                                   digest="d")
    assert [str(p) for p in preview.problems] == [
        "sheet “1. Rate today”, row 4, column “Response”: 5 is outside the scale of 1 to 4",
        "sheet “1. Rate today”, row 7, column “Response”: 5 is outside the scale of 1 to 4",
    ]


# --- Writing ------------------------------------------------------------------------------


def test_forms_answers_are_imported_with_members_paired_and_consent_kept(
        programme: Any, members: dict[str, Any]) -> None:
    outcome = importing.answers_import(programme=programme, data=sample("forms_feedback.xlsx"),
                                       filename="forms_feedback.xlsx", commit=True)
    assert outcome.problems == [] and outcome.committed
    form = Form.objects.get()
    assert (form.kind, form.level, form.source) == (FormKind.IMPORTED, Level.REACTION, "forms")
    assert form.source_digest == importing.file_digest(sample("forms_feedback.xlsx"))
    assert form.title == "answers from Microsoft Forms (forms_feedback.xlsx)"
    items = list(Item.objects.filter(form=form).order_by("position"))
    assert [(i.kind, i.text) for i in items] == [
        ("rating", "How useful was the workshop to your work?"),
        ("choices", "Which parts of the day helped you most?"),
        ("text", "What one thing would you change for next time?"),
    ]
    assert items[1].choices == ["Case study", "Table discussions",
                                "Talk on the TRACE conditions"]
    submissions = list(Submission.objects.filter(form=form).order_by("source_key"))
    assert [s.source_key for s in submissions] == ["1", "2", "3", "4", "5"]
    assert [s.member for s in submissions] == [members["amira"], None, members["ben"], None,
                                               None]
    assert [s.quote_consent for s in submissions] == [True, False, True, False, True]
    assert timezone.localtime(submissions[0].submitted_at).replace(tzinfo=None) == \
        dt.datetime(2026, 3, 14, 10, 2, 11)
    # 5 ratings + 5 choices + 4 texts (response 4 left the text empty).
    assert Answer.objects.filter(submission__form=form).count() == 14
    first = {a.item.text: a for a in submissions[0].answers.all()}
    assert first["How useful was the workshop to your work?"].number == 5.0
    assert first["Which parts of the day helped you most?"].chosen == ["Case study",
                                                                       "Table discussions"]
    assert first["What one thing would you change for next time?"].text == \
        "More time with the council team"


def test_importing_the_same_file_again_creates_no_duplicates(
        programme: Any, members: dict[str, Any]) -> None:
    data = sample("surveymonkey_follow_up.csv")
    first = importing.answers_import(programme=programme, data=data, filename="f.csv",
                                     kind=FormKind.FOLLOW_UP, commit=True)
    # 8 columns: the email address and the consent are not questions.
    assert first.submissions_created == 3 and first.items_created == 6
    again = importing.answers_import(programme=programme, data=data, filename="f.csv",
                                     kind=FormKind.FOLLOW_UP, commit=True)
    assert again.committed and again.form_reused
    assert (again.items_created, again.submissions_created, again.preview.duplicates) == \
        (0, 0, 3)
    assert Form.objects.count() == 1 and Submission.objects.count() == 3
    assert Form.objects.get().level == Level.BEHAVIOUR


def test_a_mentimeter_export_becomes_an_events_feedback_form(programme: Any) -> None:
    event = make_event(programme.academy, programme)
    outcome = importing.answers_import(programme=programme, data=sample("menti_workshop.csv"),
                                       filename="menti_workshop.csv", event=event,
                                       commit=True)
    form = outcome.form
    assert form is not None
    assert (form.event, form.kind, form.source) == (event, FormKind.FEEDBACK, "menti")
    assert form.title == "Workshop 3: answers from Mentimeter (menti_workshop.csv)"
    words = Item.objects.get(form=form, kind="choices")
    assert words.choices == ["trust", "curiosity", "shared purpose", "listening"]
    assert Submission.objects.filter(form=form).count() == 5
    # Votes carry no consent column: nobody's words may be quoted.
    assert not Submission.objects.filter(form=form, quote_consent=True).exists()


def test_an_event_of_another_programme_or_feedback_without_an_event_is_refused(
        programme: Any) -> None:
    from tracelead.academy import services

    other = services.programme_save(academy=programme.academy, offer=programme.offer,
                                    name="Another programme")
    stray = make_event(programme.academy, other, "Somewhere else")
    outcome = importing.answers_import(programme=programme, data=sample("menti_workshop.csv"),
                                       filename="m.csv", event=stray, commit=True)
    assert [str(p) for p in outcome.problems] == [
        "The event is not one of the programme's events."]
    outcome = importing.answers_import(programme=programme, data=sample("menti_workshop.csv"),
                                       filename="m.csv", kind=FormKind.FEEDBACK, commit=True)
    assert [str(p) for p in outcome.problems] == [
        "Feedback and reflections belong to an event: choose the event."]
    assert Form.objects.count() == 0


def test_two_rows_of_the_same_member_are_a_problem(programme: Any,
                                                   members: dict[str, Any]) -> None:
    text = sample("forms_feedback.csv").decode().replace("anonymous", "ben.okafor@example.org",
                                                         1)
    outcome = importing.answers_import(programme=programme, data=text.encode(),
                                       filename="f.csv", commit=True)
    assert [str(p) for p in outcome.problems] == [
        "line 4, column “Email”: the same member as line 3; a member answers a form once"]
    assert Form.objects.count() == 0


def test_a_failure_while_writing_leaves_nothing_behind(programme: Any, monkeypatch: Any) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise IntegrityError("simulated")

    monkeypatch.setattr(Answer.objects, "bulk_create", broken)
    outcome = importing.answers_import(programme=programme, data=sample("forms_feedback.csv"),
                                       filename="f.csv", commit=True)
    assert not outcome.committed and outcome.problems
    assert Form.objects.count() == Item.objects.count() == Submission.objects.count() == 0


def test_the_lead_can_ignore_a_column_and_change_a_kind(programme: Any) -> None:
    parsed = importing.read_export(sample("forms_feedback.csv"), "f.csv")
    plan, errors = importing.plan_from_data(parsed, {"col-3-use": "ignore",
                                                     "col-1-use": "choice"})
    assert errors == {}
    preview = importing.check_plan(parsed=parsed, plan=plan, programme=programme, digest="x")
    assert [(d.kind, d.text) for d in preview.items] == [
        ("choice", "How useful was the workshop to your work?"),
        ("choices", "Which parts of the day helped you most?")]
    assert importing.plan_from_data(parsed, {"col-1-min": "4", "col-1-max": "2"})[1] == {
        "col-1-min": "The scale must run upwards within 0 to 10"}


# --- The command line ---------------------------------------------------------------------


def test_the_command_prints_what_it_would_create_and_saves_only_with_commit(
        programme: Any, members: dict[str, Any]) -> None:
    runner = CliRunner()
    path = str(SAMPLES / "forms_feedback.csv")
    dry = runner.invoke(app, ["import", path, "--programme", str(programme.pk)])
    assert dry.exit_code == 0, dry.output
    assert "Would create 1 form." in dry.output
    assert "Would create 5 submissions, 2 paired with a member by email." in dry.output
    assert "Nothing was saved: run again with --commit to import." in dry.output
    assert Form.objects.count() == 0
    done = runner.invoke(app, ["import", "answers", path, "--programme", str(programme.pk),
                               "--format", "forms", "--commit"])
    assert done.exit_code == 0, done.output
    assert "Created 5 submissions" in done.output
    assert Submission.objects.count() == 5
    again = runner.invoke(app, ["import", path, "--programme", str(programme.pk), "--commit"])
    assert "Skipped 5 responses imported before." in again.output
    assert Submission.objects.count() == 5


def test_the_command_exits_2_with_every_problem_of_a_bad_file(programme: Any) -> None:
    result = CliRunner().invoke(app, ["import", str(SAMPLES / "broken_forms_bad_rating.csv"),
                                      "--programme", str(programme.pk), "--commit"])
    assert result.exit_code == 2
    assert ("broken_forms_bad_rating.csv, line 3, column “How useful was the workshop to "
            "your work?”: 60 is outside the scale of 1 to 5") in result.output
    assert "Nothing was imported." in result.output
    assert Form.objects.count() == 0


def test_the_command_refuses_an_unknown_programme_or_format(programme: Any) -> None:
    runner = CliRunner()
    path = str(SAMPLES / "forms_feedback.csv")
    missing = runner.invoke(app, ["import", path, "--programme", "999999"])
    assert missing.exit_code == 1 and "No programme with id 999999." in missing.output
    wrong = runner.invoke(app, ["import", path, "--programme", str(programme.pk),
                                "--format", "typeform"])
    assert wrong.exit_code == 2 and "--format must be one of" in wrong.output
