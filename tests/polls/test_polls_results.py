"""A poll's results after the event: the page, its CSV and workbook, results by sector
under the disclosure threshold, keeping a TRACE pulse with a group, and the pulse on the
group's report.

Votes are written through the services (join, show the question, vote), and every
expected figure is worked by hand in the comments.
"""

from __future__ import annotations

import csv
import html
import io
import re
from html.parser import HTMLParser
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tracelead.polls import services
from tracelead.polls.models import Poll
from tracelead.polls.services import QuestionDraft

pytestmark = pytest.mark.django_db


class Tables(HTMLParser):
    """Each table's rows (lists of cell texts) by the table's id."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._id: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._id = dict(attrs).get("id") or f"table-{len(self.tables)}"
            self.tables[self._id] = []
        elif tag == "tr" and self._id is not None:
            self._row = []
        elif tag in {"td", "th"} and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "th"} and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._id is not None:
            self.tables[self._id].append(self._row)
            self._row = None
        elif tag == "table":
            self._id = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(response: Any) -> dict[str, list[list[str]]]:
    parser = Tables()
    parser.feed(response.content.decode())
    return parser.tables


def text_of(response: Any) -> str:
    """The page's words, without tags."""
    words = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(words).split())


def people(poll: Poll, n: int, *, sector: str = "", names: list[str] | None = None
           ) -> list[Any]:
    return [services.participant_join(poll=poll, sector=sector,
                                      name=names[i] if names else "")[0] for i in range(n)]


def answer(poll: Poll, position: int, votes: list[tuple[Any, Any]]) -> Any:
    """Show the question at ``position`` (which opens it) and cast the votes."""
    question = poll.questions.all()[position]
    services.poll_show(poll=poll, question=question)
    question.refresh_from_db()
    for participant, value in votes:
        services.vote_cast(question=question, participant=participant, answer=value)
    return question


def results_url(poll: Poll, name: str = "poll_results") -> str:
    return reverse(name, args=[poll.academy_id, poll.pk])


def csv_rows(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def workbook(response: Any) -> Any:
    return openpyxl.load_workbook(io.BytesIO(response.content))


def sheet_rows(book: Any, title: str) -> list[dict[str, Any]]:
    rows = list(book[title].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def every_cell(book: Any) -> str:
    return " ".join(str(c) for sheet in book.worksheets
                    for row in sheet.iter_rows(values_only=True) for c in row if c is not None)


# --- One question of each kind -----------------------------------------------------------


@pytest.fixture
def voted(poll: Poll) -> Poll:
    """Four people answer every question of the shared ``poll`` fixture."""
    a, b, c, d = people(poll, 4)
    # Scale 1-5: 5, 4, 4, 2 -> one 2, two 4s, one 5; mean 15 / 4 = 3.75.
    answer(poll, 0, [(a, 5), (b, 4), (c, 4), (d, 2)])
    # Single (Discharge, Prevention, Workforce): 0, 0, 1, 2 -> 2, 1, 1.
    answer(poll, 1, [(a, 0), (b, 0), (c, 1), (d, 2)])
    # Multiple (Story circle, Systems mapping, Exchange): {0,2}, {2}, {1,2}, {0} -> 2, 1, 3.
    answer(poll, 2, [(a, [0, 2]), (b, [2]), (c, [1, 2]), (d, [0])])
    # Words: trust from three people (once each), data from two, time from one.
    answer(poll, 3, [(a, ["Trust", "time"]), (b, ["trust"]), (c, ["Data"]),
                     (d, ["TRUST", "data"])])
    answer(poll, 4, [(a, "=HYPERLINK(\"http://evil.example\")"), (b, "Ask before fixing")])
    # Ranking (Housing, Hospital flow, Loneliness), places of each option:
    #   Housing 1,2,1,2 -> points 12 - 6 = 6, mean 1.5
    #   Hospital flow 2,1,3,3 -> 3, mean 2.25; Loneliness 3,3,2,1 -> 3, mean 2.25
    answer(poll, 5, [(a, [0, 1, 2]), (b, [1, 0, 2]), (c, [0, 2, 1]), (d, [2, 0, 1])])
    ideas = answer(poll, 6, [])
    budget = services.idea_add(question=ideas, participant=a, text="A shared budget")
    swaps = services.idea_add(question=ideas, participant=b, text="Rota swaps")
    services.idea_vote(idea=budget, participant=c, on=True)
    services.idea_vote(idea=budget, participant=d, on=True)
    services.idea_vote(idea=swaps, participant=a, on=True)
    services.idea_hide(idea=swaps, hidden=True)
    services.poll_end(poll=poll)
    return poll


def test_the_results_page_shows_each_question_with_the_figures_worked_by_hand(
        facilitator_client: Any, voted: Poll) -> None:
    page = facilitator_client.get(results_url(voted))
    assert page.status_code == 200
    found = tables(page)
    text = text_of(page)
    assert "4 people joined the poll" in text

    assert found["question-1-table"][1:] == [
        ["1 (Not at all)", "0", ""], ["2", "1", ""], ["3", "0", ""], ["4", "2", ""],
        ["5 (Completely)", "1", ""]]
    assert "Mean: 3.75" in text
    assert [r[:2] for r in found["question-2-table"][1:]] == [
        ["Discharge", "2"], ["Prevention", "1"], ["Workforce", "1"]]
    assert [r[:2] for r in found["question-3-table"][1:]] == [
        ["Story circle", "2"], ["Systems mapping", "1"], ["Exchange", "3"]]
    assert found["question-4-table"][1:] == [["trust", "3"], ["data", "2"], ["time", "1"]]
    assert "“Ask before fixing”" in text
    assert found["question-6-table"][1:] == [
        ["1", "Housing", "6", "1.5"], ["2", "Hospital flow", "3", "2.2"],
        ["3", "Loneliness", "3", "2.2"]]
    assert found["question-7-table"][1:] == [
        ["A shared budget", "2"], ["Rota swaps Taken off the screen", "1"]]
    sections = re.split(r"Question (\d) ·", text)[1:]
    answered = {int(number): re.search(r"(\d+) people (answered|added ideas)", body).group(0)
                for number, body in zip(sections[::2], sections[1::2], strict=True)}
    assert answered == {1: "4 people answered", 2: "4 people answered",
                        3: "4 people answered", 4: "4 people answered",
                        5: "2 people answered", 6: "4 people answered",
                        7: "2 people added ideas"}
    assert 'href="' + results_url(voted, "poll_results_csv") + '"' in page.content.decode()
    assert 'href="' + results_url(voted, "poll_results_xlsx") + '"' in page.content.decode()


def test_the_csv_has_one_row_per_result_line_and_defuses_formulas(
        facilitator_client: Any, voted: Poll) -> None:
    response = facilitator_client.get(results_url(voted, "poll_results_csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="tracelead-poll-')
    assert response["Cache-Control"] == "private, no-store"
    rows = csv_rows(response)
    assert "name" not in rows[0]  # an anonymous poll has no names to give
    scale = [r for r in rows if r["question"] == "1"]
    assert [(r["answer"], r["count"], r["mean"]) for r in scale] == [
        ("1 (Not at all)", "0", "3.75"), ("2", "1", "3.75"), ("3", "0", "3.75"),
        ("4", "2", "3.75"), ("5 (Completely)", "1", "3.75")]
    assert {r["answered"] for r in scale} == {"4"} and {r["kind"] for r in scale} == {"Scale"}
    multiple = {r["answer"]: r["count"] for r in rows if r["question"] == "3"}
    assert multiple == {"Story circle": "2", "Systems mapping": "1", "Exchange": "3"}
    words = [(r["answer"], r["count"]) for r in rows if r["question"] == "4"]
    assert words == [("trust", "3"), ("data", "2"), ("time", "1")]
    texts = [r["answer"] for r in rows if r["question"] == "5"]
    assert "'=HYPERLINK(\"http://evil.example\")" in texts
    assert not any(t.startswith("=") for r in rows for t in r.values() if t)
    ranking = [(r["answer"], r["borda_points"], r["mean_place"]) for r in rows
               if r["question"] == "6"]
    assert ranking == [("Housing", "6", "1.5"), ("Hospital flow", "3", "2.2"),
                       ("Loneliness", "3", "2.2")]
    ideas = [(r["answer"], r["count"], r["hidden"]) for r in rows if r["question"] == "7"]
    assert ideas == [("A shared budget", "2", "no"), ("Rota swaps", "1", "yes")]


def test_the_workbook_holds_the_same_results_and_defuses_formulas(
        facilitator_client: Any, voted: Poll) -> None:
    response = facilitator_client.get(results_url(voted, "poll_results_xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = workbook(response)
    assert book.sheetnames == ["Summary", "Results"]  # no sectors asked, so no "By sector"
    rows = sheet_rows(book, "Results")
    single = [(r["answer"], r["count"]) for r in rows if r["question"] == 2]
    assert single == [("Discharge", 2), ("Prevention", 1), ("Workforce", 1)]
    scale = [r for r in rows if r["question"] == 1]
    assert [r["count"] for r in scale] == [0, 1, 0, 2, 1]
    assert {r["mean"] for r in scale} == {3.75}
    texts = [r["answer"] for r in rows if r["question"] == 5]
    assert "'=HYPERLINK(\"http://evil.example\")" in texts
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True)
               if row and len(row) > 1}
    assert summary["People who joined"] == 4


def test_a_named_poll_shows_names_with_open_text_and_an_anonymous_one_never(
        facilitator_client: Any, academy: Any, workshop: Any) -> None:
    named = services.poll_create(academy=academy, event=workshop, title="Named round",
                                 anonymous=False)
    services.question_save(poll=named, question=None,
                           draft=QuestionDraft(kind="text", prompt="One thing to keep"))
    ann, ben = people(named, 2, names=["Ann Example", "Ben Example"])
    answer(named, 0, [(ann, "The story circle"), (ben, "Lunch together")])
    page = text_of(facilitator_client.get(results_url(named)))
    assert "“The story circle” – Ann Example" in page
    rows = csv_rows(facilitator_client.get(results_url(named, "poll_results_csv")))
    assert {(r["answer"], r["name"]) for r in rows} == {
        ("The story circle", "Ann Example"), ("Lunch together", "Ben Example")}


# --- Results by sector -------------------------------------------------------------------


def checked_in(event: Any, make_member: Any, sectors: dict[str, int]) -> None:
    """Members of these sectors checked in at the event (the record the sectors a poll's
    participants give are checked against)."""
    from django.utils import timezone

    from tracelead.academy.models import CheckIn
    from tracelead.organisations.models import Organisation

    for sector, n in sectors.items():
        organisation = Organisation.objects.create(
            system=event.academy.system, name=f"A {sector} organisation", sector=sector)
        for i in range(n):
            member = make_member(f"{sector} person {i}", organisation=organisation)
            CheckIn.objects.create(event=event, member=member, method="list",
                                   at=timezone.now())


def sector_round(academy: Any, workshop: Any) -> Poll:
    poll = services.poll_create(academy=academy, event=workshop, title="Sector round",
                                ask_sector=True)
    services.question_save(poll=poll, question=None, draft=QuestionDraft(
        kind="scale", prompt="How joined up does care feel?"))
    services.question_save(poll=poll, question=None, draft=QuestionDraft(
        kind="single", prompt="Who should lead?", options=["The council", "The hospital"]))
    housing = people(poll, 1, sector="housing")
    acute = people(poll, 5, sector="acute")
    council = people(poll, 5, sector="local_authority")
    answer(poll, 0, [(p, 5) for p in housing] + [(p, 4) for p in acute]
           + [(p, 2) for p in council])
    answer(poll, 1, [(p, 0) for p in housing] + [(p, 1) for p in council])
    return poll


@pytest.fixture
def by_sector(academy: Any, workshop: Any, make_member: Any) -> Poll:
    """Eleven people, who checked in: one from housing, five from acute, five from a
    local authority; the poll has ended.

    Question 1 (scale), everyone: acute all 4, local authority all 2, housing 5.
    With a threshold of 5, housing (1) alone cannot be "the others", so acute joins it:
    Local authority (5, mean 2.00) and Other sectors together (6, mean 25 / 6 = 4.17).
    Question 2 (single choice), only housing and the local authority answer: housing
    would be alone again and only one group would be left, so nothing is broken down.
    """
    checked_in(workshop, make_member, {"housing": 1, "acute": 5, "local_authority": 5})
    poll = sector_round(academy, workshop)
    services.poll_end(poll=poll)
    return poll


def test_results_by_sector_merge_a_lone_sector_and_never_show_it(
        facilitator_client: Any, by_sector: Poll) -> None:
    page = facilitator_client.get(results_url(by_sector))
    found = tables(page)
    assert [r[:3] for r in found["question-1-sector-table"][1:]] == [
        ["Local authority", "5", "2.00"], ["Other sectors together", "6", "4.17"]]
    text = text_of(page)
    assert "Housing" not in text and "Acute" not in text
    # The breakdown that would leave housing alone, or one group, is withheld with a reason.
    assert "question-2-sector-table" not in found
    assert "Results by sector are not shown: each group must hold at least 5 people" in text


def test_exports_by_sector_hold_only_the_merged_groups(
        facilitator_client: Any, by_sector: Poll) -> None:
    rows = csv_rows(facilitator_client.get(results_url(by_sector, "poll_results_csv")))
    groups = {(r["question"], r["group"], r["answered"]) for r in rows}
    assert groups == {("1", "Everyone", "11"), ("1", "Local authority", "5"),
                      ("1", "Other sectors together", "6"), ("2", "Everyone", "6"),
                      ("2", "", "")}
    merged = [r for r in rows if r["group"] == "Other sectors together"]
    assert [r["count"] for r in merged] == ["0", "0", "0", "5", "1"]
    assert {r["mean"] for r in merged} == {"4.17"}
    withheld = [r for r in rows if r["question"] == "2" and not r["group"]]
    assert withheld[0]["note"].startswith("Results by sector are not shown: each group")
    raw = "\n".join(",".join(r.values()) for r in rows).lower()
    assert "housing" not in raw and "acute" not in raw

    book = workbook(facilitator_client.get(results_url(by_sector, "poll_results_xlsx")))
    assert "By sector" in book.sheetnames
    sector = sheet_rows(book, "By sector")
    assert {r["group"] for r in sector} == {"Local authority", "Other sectors together", None}
    assert {(r["group"], r["answered"]) for r in sector if r["group"]} == {
        ("Local authority", 5), ("Other sectors together", 6)}
    cells = every_cell(book).lower()
    assert "housing" not in cells and "acute" not in cells


def test_no_breakdown_while_the_poll_runs_and_none_after_it_can_move(
        facilitator_client: Any, academy: Any, workshop: Any, make_member: Any) -> None:
    """Before the end a breakdown seen before and after one more vote would tell how it
    went: none is shown. After the end the votes are final."""
    checked_in(workshop, make_member, {"housing": 1, "acute": 5, "local_authority": 5})
    poll = sector_round(academy, workshop)
    running = facilitator_client.get(results_url(poll))
    assert "question-1-sector-table" not in tables(running)
    assert "Results by sector appear once the poll has ended" in text_of(running)
    services.poll_end(poll=poll)
    assert "question-1-sector-table" in tables(facilitator_client.get(results_url(poll)))
    poll.refresh_from_db()
    for refused in (lambda: services.poll_reopen(poll=poll),
                    lambda: services.question_open(poll=poll,
                                                   question=poll.questions.first())):
        with pytest.raises(ValidationError, match="votes are final"):
            refused()


def test_a_later_cycle_never_redraws_the_groups_of_an_ended_poll(
        facilitator_client: Any, by_sector: Poll, system: Any) -> None:
    from tracelead.publishing.services import cycle_create

    before = tables(facilitator_client.get(results_url(by_sector)))["question-1-sector-table"]
    cycle_create(system=system, name="Autumn", threshold=7, comment_threshold=10)
    after = tables(facilitator_client.get(results_url(by_sector)))["question-1-sector-table"]
    assert after == before


def test_a_stricter_cycle_threshold_at_the_end_withholds_every_breakdown(
        facilitator_client: Any, academy: Any, workshop: Any, make_member: Any,
        system: Any) -> None:
    from tracelead.publishing.services import cycle_create

    checked_in(workshop, make_member, {"housing": 1, "acute": 5, "local_authority": 5})
    poll = sector_round(academy, workshop)
    # The system's latest cycle when the poll ends decides: groups now need 7 people.
    cycle_create(system=system, name="Autumn", threshold=7, comment_threshold=10)
    services.poll_end(poll=poll)
    page = facilitator_client.get(results_url(poll))
    assert "question-1-sector-table" not in tables(page)
    assert "each group must hold at least 7 people" in text_of(page)
    rows = csv_rows(facilitator_client.get(results_url(poll, "poll_results_csv")))
    assert {r["group"] for r in rows} == {"Everyone", ""}


def test_a_sector_padded_with_extra_phones_withholds_the_breakdown(
        facilitator_client: Any, academy: Any, workshop: Any, make_member: Any) -> None:
    """One housing officer came; four more phones say "housing" (with known answers) so
    that housing would show alone and give away the officer's answer by subtraction."""
    checked_in(workshop, make_member, {"housing": 1, "acute": 5, "local_authority": 5})
    poll = sector_round(academy, workshop)
    padding = people(poll, 4, sector="housing")
    answer(poll, 0, [(p, 1) for p in padding])
    services.poll_end(poll=poll)
    page = facilitator_client.get(results_url(poll))
    assert "question-1-sector-table" not in tables(page)
    assert "More people said they came from a sector than checked in from it" in \
        text_of(page)
    assert "Housing" not in text_of(page)


# --- The pulse: its results and keeping it with a group ----------------------------------

# Five people rate the five conditions (columns: task, route, alignment, capability,
# energy). By hand (rwg = 1 - s^2 / 2 on five points, truncated at 0):
#   task 5,4,4,3,4 -> level 4.00, rwg 0.75; route all 2 -> 2.00, rwg 1.00;
#   alignment 1,5,1,5,3 -> 3.00, rwg 0 (s^2 = 4); capability 3,4,3,4,3 -> 3.40, rwg 0.85;
#   energy 5,5,4,5,5 -> 4.80, rwg 0.90. The split room on alignment is talked about first.
ROOM = [[5, 2, 1, 3, 5], [4, 2, 5, 4, 5], [4, 2, 1, 3, 4], [3, 2, 5, 4, 5], [4, 2, 3, 3, 5]]


def take_pulse(poll: Poll, room: list[list[int]], *, close: bool = True) -> Poll:
    statements = list(poll.questions.all())
    services.poll_show(poll=poll, question=statements[0])  # opens all five together
    for person, ratings in zip(people(poll, len(room)), room, strict=True):
        for question, value in zip(statements, ratings, strict=True):
            question.refresh_from_db()
            services.vote_cast(question=question, participant=person, answer=value)
    if close:
        services.question_close(poll=poll, question=statements[0])
    poll.refresh_from_db()
    return poll


def test_the_pulse_results_show_level_sharedness_and_where_to_start(
        facilitator_client: Any, pulse_poll: Poll, team: Any) -> None:
    take_pulse(pulse_poll, ROOM)
    page = facilitator_client.get(results_url(pulse_poll))
    found = tables(page)
    rows = {r[0].split(" (")[0]: r[1:] for r in found["pulse-table"][1:]}
    assert rows["Task"][0] == "4.00" and "(rwg 0.75)" in rows["Task"][1]
    assert rows["Route"][0] == "2.00" and rows["Route"][1].startswith("Widely shared")
    assert rows["Alignment"][0] == "3.00" and rows["Alignment"][1] == "Not shared (rwg 0.00)"
    assert rows["Capability"][0] == "3.40" and "(rwg 0.85)" in rows["Capability"][1]
    assert rows["Energy"][0] == "4.80" and "(rwg 0.90)" in rows["Energy"][1]
    text = text_of(page)
    assert "Talk about first: Alignment" in text
    assert "not the full TRACE questionnaire" in text
    assert 'action="' + results_url(pulse_poll, "poll_keep") + '"' in page.content.decode()
    assert f'<option value="{team.pk}">Ward 7 team (Northbrook Hospitals)</option>' in (
        page.content.decode())
    rows_csv = csv_rows(facilitator_client.get(results_url(pulse_poll, "poll_results_csv")))
    conditions = {r["answer"]: r for r in rows_csv if r["kind"] == "TRACE pulse condition"}
    assert conditions["Alignment"]["mean"] == "3.0"
    assert conditions["Alignment"]["sharedness_rwg"] == "0.0"
    assert conditions["Alignment"]["talk_about_first"] == "yes"
    book = workbook(facilitator_client.get(results_url(pulse_poll, "poll_results_xlsx")))
    pulse_sheet = {r["condition"]: r for r in sheet_rows(book, "Pulse")}
    assert pulse_sheet["Task"]["level"] == 4.0 and pulse_sheet["Task"]["sharedness_rwg"] == 0.75


def test_a_pulse_nobody_took_yet_still_has_a_results_page(
        facilitator_client: Any, pulse_poll: Poll) -> None:
    page = facilitator_client.get(results_url(pulse_poll))
    assert page.status_code == 200
    assert "0 people took the pulse" in text_of(page)


def test_keeping_a_pulse_whose_statements_are_open_is_refused(
        facilitator_client: Any, pulse_poll: Poll, team: Any) -> None:
    take_pulse(pulse_poll, ROOM, close=False)
    response = facilitator_client.post(results_url(pulse_poll, "poll_keep"),
                                       {"group": team.pk}, follow=True)
    assert "Close the pulse's statements first" in text_of(response)
    pulse_poll.refresh_from_db()
    assert pulse_poll.kept_group is None


def test_keeping_a_pulse_with_another_systems_group_is_refused(
        facilitator_client: Any, pulse_poll: Poll, other_team: Any) -> None:
    take_pulse(pulse_poll, ROOM)
    response = facilitator_client.post(results_url(pulse_poll, "poll_keep"),
                                       {"group": other_team.pk}, follow=True)
    assert "Choose a group of this system" in text_of(response)
    assert "Southmoor board" not in text_of(response)
    pulse_poll.refresh_from_db()
    assert pulse_poll.kept_group is None


def test_a_facilitator_keeps_a_closed_pulse_with_a_group_and_takes_it_off(
        facilitator_client: Any, pulse_poll: Poll, team: Any) -> None:
    take_pulse(pulse_poll, ROOM)
    response = facilitator_client.post(results_url(pulse_poll, "poll_keep"),
                                       {"group": team.pk}, follow=True)
    assert "Kept this pulse with Ward 7 team's history" in text_of(response)
    pulse_poll.refresh_from_db()
    assert pulse_poll.kept_group == team and pulse_poll.kept_at is not None
    facilitator_client.post(results_url(pulse_poll, "poll_keep"), {"group": ""})
    pulse_poll.refresh_from_db()
    assert pulse_poll.kept_group is None


def test_keeping_asks_for_a_post(facilitator_client: Any, pulse_poll: Poll) -> None:
    assert facilitator_client.get(results_url(pulse_poll, "poll_keep")).status_code == 403


# --- The pulse on the group's report -----------------------------------------------------


def test_the_group_report_shows_a_pulse_taken_by_at_least_the_threshold(
        client: Any, facilitator: Any, pulse_poll: Poll, academy: Any, workshop: Any,
        team: Any, assessment: Any) -> None:
    # The round's cycle (and the system's latest) has a threshold of 5.
    take_pulse(pulse_poll, ROOM)  # exactly 5 people
    services.pulse_keep(poll=pulse_poll, group=team)
    small = services.pulse_create(academy=academy, event=workshop)
    # Four people, all rating 2 then 3 alternately: level 2.50 everywhere.
    take_pulse(small, [[2] * 5, [3] * 5, [2] * 5, [3] * 5])
    services.pulse_keep(poll=small, group=team)

    client.force_login(facilitator)
    page = client.get(reverse("report_group", args=[assessment.pk]))
    assert page.status_code == 200
    text = text_of(page)
    assert "Pulses from live polls" in text
    assert "A pulse: five statements in a room, not the full questionnaire" in text
    assert "5 people took this pulse" in text
    rows = {r[0]: r[1:] for r in tables(page)[f"pulse-{pulse_poll.pk}-table"][1:]}
    assert rows["Task"] == ["4.00", "Widely shared (rwg 0.75)"]
    assert rows["Alignment"][0] == "3.00" and "(rwg 0.00)" in rows["Alignment"][1]
    assert rows["Energy"][0] == "4.80"
    # The small pulse: a sentence, and neither its figures nor its count.
    assert "Fewer than 5 people took this pulse, so its results are not shown" in text
    assert f"pulse-{small.pk}-table" not in tables(page)
    assert "2.50" not in text
    assert "4 people" not in text


def test_a_group_with_no_pulse_has_no_pulse_section(
        facilitator_client: Any, assessment: Any) -> None:
    page = facilitator_client.get(reverse("report_group", args=[assessment.pk]))
    assert page.status_code == 200
    assert "Pulses from live polls" not in text_of(page)


# --- Access ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["poll_results", "poll_results_csv", "poll_results_xlsx"])
def test_a_whole_system_viewer_may_not_read_poll_results(
        viewer_client: Any, voted: Poll, name: str) -> None:
    assert viewer_client.get(results_url(voted, name)).status_code == 403


def test_a_whole_system_viewer_may_not_keep_a_pulse(
        viewer_client: Any, pulse_poll: Poll, team: Any) -> None:
    take_pulse(pulse_poll, ROOM)
    response = viewer_client.post(results_url(pulse_poll, "poll_keep"), {"group": team.pk})
    assert response.status_code == 403
    pulse_poll.refresh_from_db()
    assert pulse_poll.kept_group is None


@pytest.mark.parametrize("name", ["poll_results", "poll_results_csv", "poll_results_xlsx"])
def test_another_systems_facilitator_gets_not_found(
        other_facilitator_client: Any, voted: Poll, name: str) -> None:
    assert other_facilitator_client.get(results_url(voted, name)).status_code == 404


def test_another_systems_facilitator_cannot_keep_a_pulse(
        other_facilitator_client: Any, pulse_poll: Poll, other_team: Any) -> None:
    take_pulse(pulse_poll, ROOM)
    response = other_facilitator_client.post(results_url(pulse_poll, "poll_keep"),
                                             {"group": other_team.pk})
    assert response.status_code == 404
    pulse_poll.refresh_from_db()
    assert pulse_poll.kept_group is None


def test_a_template_has_no_results_page(facilitator_client: Any, academy: Any) -> None:
    template = services.poll_create(academy=academy, event=None, title="Our usual questions")
    assert facilitator_client.get(results_url(template)).status_code == 404
