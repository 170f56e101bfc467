"""The academy report for a board: PDF and Excel through the export route, with the figures
of ``reach_story`` (3 of 10 reached, 1.25 hours of effort per participant-hour), names for
the academy's facilitators only, and the download audited."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from typing import Any

import openpyxl
import pytest
import reach_story

from tracelead.academy.models import Event
from tracelead.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(academy: Any, hospital: Any, council: Any, charity: Any) -> reach_story.Story:
    return reach_story.build(academy, hospital, council, charity)


def pdf_text(content: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content,  # noqa: S607 - poppler's tool
                          capture_output=True, check=True)
    return re.sub(r"\s+", " ", done.stdout.decode())


def workbook(content: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(content))


def cells(book: Any) -> list[str]:
    return [str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
            for c in row if c is not None]


def summary(book: Any) -> dict[str, Any]:
    return {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True)
            if row and row[0] is not None and len(row) > 1}


def test_the_facilitator_downloads_a_pdf_with_the_reach_figures_and_the_core_group(
        facilitator_client: Any, story: reach_story.Story) -> None:
    response = facilitator_client.get(f"/academy/{story.academy.pk}/report.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="tracelead-')
    assert response["Cache-Control"] == "private, no-store"
    assert response.content.startswith(b"%PDF")
    words = pdf_text(response.content)
    assert "3 people reached of the 10 the target asks for" in words
    assert "5% of the workforce: 10 people" in words
    assert "Vale Carers Trust" in words and "Nobody reached" in words
    assert "How the forecast is made" in words
    assert "All events 4.0 9.0 2.0 15.0 1.25" in words
    assert "1 person came to every one: Asha Example." in words
    assert "<svg" not in words  # the chart is drawn, not printed as text
    assert AuditEvent.objects.filter(action="exported", system_id=story.academy.system_id,
                                     what__startswith="academy report (pdf, with names)"
                                     ).count() == 1


def test_the_viewer_pdf_has_the_figures_and_no_names(viewer_client: Any,
                                                     story: reach_story.Story) -> None:
    response = viewer_client.get(f"/academy/{story.academy.pk}/report.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    words = pdf_text(response.content)
    assert "3 people reached of the 10" in words
    assert "1 person came to every one." in words
    assert "it names no member" in words
    for name in reach_story.NAMES:
        assert name not in words


def test_the_workbook_holds_the_figures_and_for_the_facilitator_the_names(
        facilitator_client: Any, story: reach_story.Story) -> None:
    response = facilitator_client.get(f"/academy/{story.academy.pk}/report.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = workbook(response.content)
    facts = summary(book)
    assert facts["People reached"] == 3
    assert facts["People the target asks for"] == 10
    assert facts["Whole workforce (sum of organisations' headcounts)"] == 200
    assert facts["Effort per participant-hour (hours)"] == 1.25
    organisations = {row[0]: row[1:] for row in book["Reach by organisation"].iter_rows(
        min_row=2, values_only=True)}
    assert organisations["Northbrook Hospitals"][:2] == (2, 120)
    assert organisations["Northbrook Hospitals"][5] == pytest.approx(1.111)
    assert organisations["Vale Carers Trust"][-1] == "yes"
    assert [row[2] for row in book["Progress"].iter_rows(min_row=2, values_only=True)] == [
        0, 2, 0, 1, 0]
    events = {row[1]: row for row in book["Events"].iter_rows(min_row=2, values_only=True)}
    assert events["Workshop 1"][5:10] == (3, 3, 2, 1, 0)
    assert events["Workshop 1"][-2] == 2
    people = {row[0]: row[2] for row in book["Attendance per person"].iter_rows(
        min_row=2, values_only=True)}
    assert people == {"Asha Example": 2, "Ben Example": 1, "Chloe Example": 1,
                      "Ewa Example": 1}
    assert [row[1] for row in book["Core groups"].iter_rows(min_row=2, values_only=True)] == [
        "Asha Example"]


def test_the_viewer_workbook_holds_the_figures_and_no_names(
        viewer_client: Any, story: reach_story.Story) -> None:
    book = workbook(viewer_client.get(f"/academy/{story.academy.pk}/report.xlsx").content)
    assert summary(book)["People reached"] == 3
    assert "Attendance per person" not in book.sheetnames
    assert "Core groups" not in book.sheetnames
    everything = " ".join(cells(book))
    for name in reach_story.NAMES:
        assert name not in everything


def test_text_that_looks_like_a_formula_is_made_inert_in_the_workbook(
        facilitator_client: Any, story: reach_story.Story) -> None:
    Event.objects.filter(pk=story.events["w1"].pk).update(title='=HYPERLINK("http://x")')
    book = workbook(facilitator_client.get(f"/academy/{story.academy.pk}/report.xlsx").content)
    titles = [row[1] for row in book["Events"].iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(\"http://x\")" in titles


def test_an_unknown_format_or_someone_else_gets_nothing(
        facilitator_client: Any, other_facilitator_client: Any,
        story: reach_story.Story) -> None:
    assert facilitator_client.get(f"/academy/{story.academy.pk}/report.csv").status_code == 404
    assert other_facilitator_client.get(
        f"/academy/{story.academy.pk}/report.xlsx").status_code == 404
    assert not AuditEvent.objects.filter(action="exported").exists()
