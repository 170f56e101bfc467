"""Exports: PDF (checked as PNG pages and text), Excel against the analysis core, CSV, CLI.

Exports read what a publication shows: figures and response rows match the analysis core
on the published responses, never on one that arrived since. For every format, a group
under the threshold never appears: not its name, its figures or its comments.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.urls import reverse
from openpyxl import load_workbook
from report_helpers import PAYLOAD_NAME, SECRET_COMMENT, SECRET_NAME
from typer.testing import CliRunner

from tracelead.analysis import condition_profile
from tracelead.cli import app
from tracelead.diagnostics.models import Response
from tracelead.diagnostics.packing import answers_matrix

pytestmark = pytest.mark.django_db
needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None,
                                   reason="poppler-utils (pdftoppm, pdftotext) not installed")


def _published_answers(assessment: Any) -> list[dict[str, Any]]:
    return list(Response.objects.filter(assessment=assessment, publication__isnull=False)
                .values_list("answers", flat=True))


def _profile(assessment: Any, trace: Any) -> Any:
    answers = _published_answers(assessment)
    return condition_profile(answers_matrix(answers, trace.item_keys), trace.item_scale_keys)


def _arrives_late(assessment: Any, add_responses: Any) -> None:
    """One more response after the publication (held back: not in any export)."""
    add_responses(assessment, [1])
    assert Response.objects.filter(assessment=assessment, publication__isnull=True).count() == 1


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,  # noqa: S603, S607
                          capture_output=True, text=True).stdout


def _pages(pdf: bytes, tmp_path: Path) -> list[np.ndarray]:
    """Each page as an RGB array, from pdftoppm's PPM output (no image library needed)."""
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "50", str(path), str(tmp_path / "page")],  # noqa: S603, S607
                   check=True)
    pages = []
    for ppm in sorted(tmp_path.glob("page-*.ppm")):
        data = ppm.read_bytes()
        header = data.split(b"\n", 3)  # P6, width height, 255, pixels
        width, height = (int(v) for v in header[1].split())
        pages.append(np.frombuffer(header[3][: width * height * 3], dtype=np.uint8)
                     .reshape(height, width, 3))
    return pages


def _near(pixels: np.ndarray, colour: str, tolerance: int = 40) -> int:
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(pixels.astype(int) - rgb).sum(axis=2) < tolerance).sum())


@needs_poppler
def test_the_group_pdf_has_the_summary_and_draws_its_charts(
    facilitator_client: Any, reports_data: Any, tmp_path: Path
) -> None:
    response = facilitator_client.get(
        reverse("report_group_export", args=[reports_data["now"].pk, "pdf"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content, tmp_path)
    assert "In short" in text and "Eight people answered" in text
    # Axis titles exist only inside the SVG charts: the charts were drawn.
    assert "Level: mean from 1 to 5, with 95% interval" in " ".join(text.split())
    pages = _pages(response.content, tmp_path)
    assert len(pages) >= 1
    # The items charts use the dark red of "Strongly disagree"; nothing else in the PDF does.
    assert sum(_near(page, "#8a1538") for page in pages) > 50
    assert sum(_near(page, "#005eb8") for page in pages) > 200


@needs_poppler
def test_the_many_groups_pdf_draws_the_heatmap(
    facilitator_client: Any, reports_data: Any, system: Any, tmp_path: Path, finish_job: Any
) -> None:
    # Many groups' PDF is made by a background job (tests/messaging/test_jobs.py).
    _, pdf = finish_job(facilitator_client, facilitator_client.post(
        reverse("report_system_export", args=[system.pk, "pdf"])))
    assert pdf is not None
    text = _pdf_text(pdf, tmp_path)
    assert "In short" in text and "Heatmap of groups by condition" in text
    assert "Ward 7 team" in text
    pages = _pages(pdf, tmp_path)
    assert sum(_near(page, "#e8edee", 6) + _near(page, "#005eb8", 60) for page in pages) > 300


def test_the_workbook_matches_the_analysis_core_on_the_published_responses(
    facilitator_client: Any, reports_data: Any, system: Any, trace: Any, add_responses: Any,
    finish_job: Any
) -> None:
    now = reports_data["now"]
    expected = _profile(now, trace)
    assert expected.n_respondents == 8
    _arrives_late(now, add_responses)
    response = facilitator_client.get(reverse("report_group_export", args=[now.pk, "xlsx"]))
    book = load_workbook(io.BytesIO(response.content))
    assert {"Summary", "Profile", "Items", "Change"} <= set(book.sheetnames)
    rows = list(book["Profile"].iter_rows(values_only=True))
    header = rows[0]
    for row, result in zip(rows[1:], expected.conditions, strict=True):
        record = dict(zip(header, row, strict=False))
        assert record["People who answered"] == result.n
        assert record["Level (mean, 1 to 5)"] == pytest.approx(result.mean, abs=5e-4)
        assert record["95% interval from"] == pytest.approx(result.ci_low, abs=5e-4)
        assert record["Sharedness (rwg(j), 0 to 1)"] == pytest.approx(result.rwg_j, abs=5e-4)
    items = list(book["Items"].iter_rows(values_only=True))[1:]
    for row, dist in zip(items, expected.items, strict=True):
        assert tuple(row[3:8]) == dist.counts

    _, workbook = finish_job(facilitator_client, facilitator_client.post(
        reverse("report_system_export", args=[system.pk, "xlsx"])))
    heat = load_workbook(io.BytesIO(workbook))["Heatmap"]
    records = {r[0]: r for r in heat.iter_rows(values_only=True)}
    ward = records["Ward 7 team"]
    assert ward[6] == 8
    assert ward[7] == pytest.approx(expected.conditions[0].mean, abs=5e-4)
    assert ward[10] == pytest.approx(expected.conditions[0].rwg_j, abs=5e-4)


def _csv_answers(rows: list[list[str]]) -> list[tuple[str, ...]]:
    return sorted(tuple(row[6:]) for row in rows)


def _as_csv(answers: list[dict[str, Any]], keys: tuple[str, ...]) -> list[tuple[str, ...]]:
    return sorted(tuple("" if a.get(k) is None else str(a[k]) for k in keys) for a in answers)


def test_the_csv_is_anonymised_safe_and_holds_exactly_the_published_responses(
    facilitator_client: Any, reports_data: Any, system: Any, trace: Any, add_responses: Any
) -> None:
    now = reports_data["now"]
    published = _published_answers(now)
    _arrives_late(now, add_responses)
    _arrives_late(reports_data["payload_round"], add_responses)
    body = facilitator_client.get(
        reverse("report_system_export", args=[system.pk, "csv"])).content.decode()
    rows = list(csv.reader(io.StringIO(body)))
    header, data = rows[0], rows[1:]
    assert header[:6] == ["group", "organisation", "sector", "space", "round", "round_opened"]
    assert header[6:] == list(trace.item_keys)
    # Ward 7's Spring round and the payload team as published; not the secret team, not
    # Ward 7's Winter round (another cycle), not the responses that arrived since.
    assert len(data) == 8 + 6
    groups = {row[0] for row in data}
    assert groups == {"Ward 7 team", "'" + PAYLOAD_NAME}
    assert "We keep patients safe" not in body  # never free text
    ward = [row for row in data if row[0] == "Ward 7 team"]
    assert {row[4] for row in ward} == {now.title}
    assert _csv_answers(ward) == _as_csv(published, trace.item_keys)
    group_csv = facilitator_client.get(
        reverse("report_group_export", args=[now.pk, "csv"])).content.decode()
    group_rows = list(csv.reader(io.StringIO(group_csv)))
    assert len(group_rows) == 1 + 8
    assert _csv_answers(group_rows[1:]) == _as_csv(published, trace.item_keys)


@pytest.mark.parametrize("fmt", ["html", "pdf", "xlsx", "csv"])
def test_a_group_under_the_threshold_never_appears(
    fmt: str, facilitator_client: Any, reports_data: Any, system: Any, tmp_path: Path,
    finish_job: Any
) -> None:
    if fmt == "pdf" and shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    url = reverse("report_system_export", args=[system.pk, fmt])
    if fmt in ("pdf", "xlsx"):  # made by a background job
        _, content = finish_job(facilitator_client, facilitator_client.post(url))
        assert content is not None
    else:
        response = facilitator_client.get(url)
        assert response.status_code == 200
        content = response.content
    if fmt == "pdf":
        text = _pdf_text(content, tmp_path)
    elif fmt == "xlsx":
        book = load_workbook(io.BytesIO(content))
        text = "\n".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True)
                         for v in row if v is not None)
        heat = [r for r in book["Heatmap"].iter_rows(values_only=True)][1:]
        assert len(heat) == 2  # Ward 7 and the payload team only
    else:
        text = content.decode()
    assert SECRET_NAME not in text
    assert SECRET_COMMENT not in text
    assert "Squirrel" not in text
    if fmt in ("html", "csv"):
        secret = reports_data["secret_round"]
        assert str(secret.title) not in text
    group = facilitator_client.get(
        reverse("report_group_export", args=[reports_data["secret_round"].pk, fmt]))
    assert group.status_code == 409
    assert SECRET_COMMENT.encode() not in group.content


def test_the_cli_writes_every_format(reports_data: Any, system: Any, tmp_path: Path) -> None:
    runner = CliRunner()
    now = reports_data["now"]
    for fmt in ("html", "xlsx", "csv", "pdf"):
        out = tmp_path / f"group.{fmt}"
        result = runner.invoke(app, ["report", "group", str(now.pk), "--format", fmt,
                                     "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 500
        assert "Building the" in result.output
    out = tmp_path / "system.csv"
    organisation = reports_data["payload"].organisation
    result = runner.invoke(app, ["report", "system", str(system.pk), "--organisation",
                                 str(organisation.pk), "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0, result.output
    groups = {row[0] for row in csv.reader(io.StringIO(out.read_text()))}
    assert groups == {"group", "'" + PAYLOAD_NAME}


def test_the_cli_reports_the_cycle_it_is_given(reports_data: Any, system: Any,
                                              tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "winter.csv"
    winter = reports_data["winter"]
    result = runner.invoke(app, ["report", "system", str(system.pk), "--cycle", str(winter.pk),
                                 "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(out.read_text())))[1:]
    assert len(rows) == 7
    assert {(row[0], row[4]) for row in rows} == {("Ward 7 team", reports_data["before"].title)}
    default = tmp_path / "default.csv"
    assert runner.invoke(app, ["report", "system", str(system.pk), "--format", "csv",
                               "-o", str(default)]).exit_code == 0
    assert len(list(csv.reader(io.StringIO(default.read_text())))) == 1 + 8 + 6  # Spring
    missing = runner.invoke(app, ["report", "system", str(system.pk), "--cycle", "999999",
                                  "-o", str(tmp_path / "x.csv")])
    assert missing.exit_code == 1 and "No cycle" in missing.output


def test_the_cli_refuses_a_round_under_the_threshold(reports_data: Any, tmp_path: Path
                                                     ) -> None:
    out = tmp_path / "secret.pdf"
    result = CliRunner().invoke(app, ["report", "group", str(reports_data["secret_round"].pk),
                                      "--format", "pdf", "-o", str(out)])
    assert result.exit_code == 1
    assert "Nothing written" in result.output
    assert not out.exists()
    missing = CliRunner().invoke(app, ["report", "system", "999999", "-o", str(out)])
    assert missing.exit_code == 1 and "No system" in missing.output


def test_comments_stay_out_of_exports_unless_the_facilitator_includes_them(
    reports_data: Any, facilitator_client: Any, tmp_path: Path
) -> None:
    now = reports_data["now"]
    url = reverse("report_group_export", args=[now.pk, "html"])
    plain = facilitator_client.get(url).content.decode()
    assert "We keep patients safe" not in plain and "comments are left out" in plain
    included = facilitator_client.get(url + "?comments=1").content.decode()
    assert "We keep patients safe" in included
    runner = CliRunner()
    out = tmp_path / "r.html"
    args = ["report", "group", str(now.pk), "--format", "html", "-o", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    assert "We keep patients safe" not in out.read_text()
    assert runner.invoke(app, [*args, "--comments"]).exit_code == 0
    assert "We keep patients safe" in out.read_text()
