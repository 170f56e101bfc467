"""The workbook read back with openpyxl: a Comments sheet when comments are included,
real dates, percentages formatted as percentages, headers in plain English and a native
Excel chart of the profile on the Summary sheet."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tracelead.reports import exports

pytestmark = pytest.mark.django_db
# Names of the code's fields that must never reach a reader as a column heading.
CODE_NAMES = re.compile(r"^[a-z]+(_[a-z]+)+$|level_mean|ci_low|ci_high|rwg_j|statement_key")


def _book(client: Any, assessment: Any, *, comments: bool = False) -> Any:
    url = reverse("report_group_export", args=[assessment.pk, "xlsx"])
    response = client.get(url + ("?comments=1" if comments else ""))
    assert response.status_code == 200
    return response, load_workbook(io.BytesIO(response.content))


def _facts(book: Any) -> dict[str, Any]:
    return {row[0].value: row[1] for row in book["Summary"].iter_rows(min_row=2)
            if row[0].value and len(row) > 1}


def test_the_comments_sheet_holds_the_comments_only_in_the_copy_with_comments(
    facilitator_client: Any, reports_data: Any
) -> None:
    now = reports_data["now"]
    response, book = _book(facilitator_client, now, comments=True)
    assert response["Content-Disposition"].endswith(f'-{now.pk}-with-comments.xlsx"')
    rows = list(book["Comments"].iter_rows(values_only=True))
    assert rows[0] == ("Question", "Comment")
    written = sorted(row[1] for row in rows[1:] if row[1].startswith("We keep"))
    assert written == sorted(f"We keep patients safe ({n})" for n in range(8))
    # Every comment sits under its question, and in the report's (alphabetical) order.
    assert {row[0] for row in rows[1:] if row[1].startswith("We keep")} == {
        next(p.prompt for p in _report(now).comments if p.texts)}
    assert [row[1] for row in rows[1:] if row[1].startswith("We keep")] == written

    response, board = _book(facilitator_client, now)
    assert response["Content-Disposition"].endswith(f'-{now.pk}-board.xlsx"')
    text = " ".join(str(v) for sheet in board for row in sheet.iter_rows(values_only=True)
                    for v in row if v is not None)
    assert "We keep patients safe" not in text
    assert list(board["Comments"].iter_rows(values_only=True))[1][0].startswith(
        "The comments are left out of this copy")


def _report(assessment: Any) -> Any:
    from tracelead.reports.builders import group_report

    return group_report(assessment)


def test_dates_are_dates_and_rates_are_percentages(
    facilitator_client: Any, reports_data: Any
) -> None:
    now = reports_data["now"]
    _, book = _book(facilitator_client, now)
    facts = _facts(book)
    opened = facts["Opened"]
    assert isinstance(opened.value, dt.datetime)
    assert opened.value.date() == now.opens_on
    assert "yyyy" in opened.number_format
    assert isinstance(facts["Closed"].value, dt.datetime)
    assert facts["Closed"].value.date() == now.closes_on
    assert isinstance(facts["Published"].value, dt.datetime)
    report = _report(now)
    # The fixture's answers came without invitations; with ten people invited, the eight
    # who answered are a rate of 80%.
    invited = dataclasses.replace(report, n_invitations=10, progress=dataclasses.replace(
        report.progress, open_link=False))
    rate = _facts(load_workbook(io.BytesIO(exports.group_xlsx(invited))))["Response rate"]
    assert rate.value == pytest.approx(0.8)
    assert rate.number_format == "0%"
    # The share who agree with each statement: a fraction shown as a percentage, equal to
    # the top two of the five answers over everyone who chose one of the five.
    items = book["Items"]
    header = [c.value for c in items[1]]
    share = header.index("Share who agree")
    for row, item in zip(items.iter_rows(min_row=2), report.items, strict=True):
        expected = (item.counts[3] + item.counts[4]) / sum(item.counts)
        assert row[share].value == pytest.approx(expected, abs=5e-4)
        assert row[share].number_format.endswith("%")
    # The earlier round that the change compares with, as a date too.
    change = book["Change"]
    opened_before = [c.value for c in change[1]].index("Compared round opened")
    assert change.cell(row=2, column=opened_before + 1).value == dt.datetime(2025, 1, 6)


def test_headers_are_in_plain_english(
    facilitator_client: Any, reports_data: Any, system: Any, finish_job: Any
) -> None:
    _, book = _book(facilitator_client, reports_data["now"], comments=True)
    assert [c.value for c in book["Profile"][1]] == [
        "Condition", "Role it calls for", "People who answered", "Level (mean, 1 to 5)",
        "95% interval from", "95% interval to", "Sharedness (rwg(j), 0 to 1)", "Agreement"]
    _, many = finish_job(facilitator_client, facilitator_client.post(
        reverse("report_system_export", args=[system.pk, "xlsx"])))
    assert many is not None
    heat = load_workbook(io.BytesIO(many))
    for workbook in (book, heat):
        for sheet in workbook:
            if sheet.title == "Summary":
                continue
            for cell in sheet[1]:
                assert cell.value is None or not CODE_NAMES.search(str(cell.value)), (
                    sheet.title, cell.value)
    header = [c.value for c in heat["Heatmap"][1]]
    assert header[:7] == ["Group", "Organisation", "Sector", "Space", "Round", "Round opened",
                          "People who answered"]
    first = next(iter(heat["Heatmap"].iter_rows(min_row=2)))
    assert isinstance(first[5].value, dt.datetime)
    assert isinstance(_facts(heat)["Published"].value, dt.datetime)


def test_the_summary_sheet_has_a_native_chart_of_the_profile(
    facilitator_client: Any, reports_data: Any
) -> None:
    from openpyxl.chart import BarChart

    _, book = _book(facilitator_client, reports_data["now"])
    charts = book["Summary"]._charts
    assert len(charts) == 1
    chart = charts[0]
    assert isinstance(chart, BarChart)
    # Its one series reads the levels from the Profile sheet; its categories the names.
    series = chart.series[0]
    assert series.val.numRef.f == "'Profile'!$D$2:$D$6"
    assert series.cat.strRef.f == "'Profile'!$A$2:$A$6" if series.cat.strRef else (
        series.cat.numRef.f == "'Profile'!$A$2:$A$6")
    assert (chart.y_axis.scaling.min, chart.y_axis.scaling.max) == (1, 5)
    profile = list(book["Profile"].iter_rows(min_row=2, max_row=6, values_only=True))
    assert [row[0] for row in profile] == [c.name for c in _report(reports_data["now"]).conditions]
    assert all(1 <= row[3] <= 5 for row in profile)
