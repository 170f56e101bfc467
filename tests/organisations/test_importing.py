"""Importing organisations and groups from CSV: all or nothing, problems by line and column."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tracelead.cli import app
from tracelead.organisations.importing import (
    MAX_BYTES,
    parse_structure_csv,
    structure_import,
)
from tracelead.organisations.models import Group, Organisation

GOOD = (
    b"organisation,sector,group,space,parent\n"
    b"Vale Trust,acute,Vale Trust leadership,organisation,\n"
    b"Vale Trust,,Ward 7,team,Vale Trust leadership\n"
    b"Vale Council,Local authority,Adult social care,team,\n"
    b",,Vale partnership board,system,\n"
)


def test_a_good_file_creates_organisations_and_nested_groups(system: Any) -> None:
    result = structure_import(system=system, data=GOOD)
    assert result.problems == []
    assert (result.organisations, result.groups) == (2, 4)
    ward = Group.objects.get(name="Ward 7")
    assert ward.parent.name == "Vale Trust leadership"
    assert ward.organisation.sector == "acute"
    assert Organisation.objects.get(name="Vale Council").sector == "local_authority"
    assert Group.objects.get(name="Vale partnership board").organisation is None


def test_a_bad_row_is_reported_by_line_and_column_and_nothing_is_written(system: Any) -> None:
    data = (
        b"group,space,organisation,sector\n"
        b"Ward 7,team,Vale Trust,acute\n"
        b"Ward 8,squad,Vale Trust,acute\n"
        b"Ward 9,team,New Org,\n"
        b",team,Vale Trust,acute\n"
    )
    result = structure_import(system=system, data=data)
    assert [str(p) for p in result.problems] == [
        "line 3, column “space”: must be one of self, team, organisation or system",
        "line 4, column “sector”: a new organisation needs a sector",
        "line 5, column “group”: the group's name is empty",
    ]
    assert Group.objects.count() == 0 and Organisation.objects.count() == 0


def test_missing_columns_loops_and_duplicates_are_refused(system: Any, team: Any) -> None:
    assert "missing column(s): space" in str(
        parse_structure_csv(b"organisation,sector,group\nA,acute,B\n").problems[0]
    )
    loop = b"organisation,sector,group,space,parent\n,,A,team,B\n,,B,team,A\n"
    assert any("loop" in p.message for p in structure_import(system=system, data=loop).problems)
    duplicate = f"organisation,sector,group,space\n{team.organisation},,{team.name},team\n".encode()
    problems = structure_import(system=system, data=duplicate).problems
    assert [(p.line, p.column) for p in problems] == [(2, "group")]


def test_oversized_and_non_text_files_are_refused_without_reading_rows() -> None:
    assert "larger than" in parse_structure_csv(b"x" * (MAX_BYTES + 1)).problems[0].message
    assert "not UTF-8" in parse_structure_csv(b"\xff\xfe\x00bad").problems[0].message


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_the_parser_never_raises_and_every_problem_names_a_line(data: bytes) -> None:
    parsed = parse_structure_csv(data)
    for problem in parsed.problems:
        assert problem.line >= 0 and problem.message
    assert all(row.group and row.space for row in parsed.rows)


def test_the_upload_page_imports_and_escapes_what_it_echoes(
    facilitator_client: Any, system: Any, finish_job: Any
) -> None:
    # The upload starts a background job; its page shows the problems or what was imported.
    url = f"/systems/{system.pk}/import/"
    assert facilitator_client.get(url).status_code == 200
    bad = SimpleUploadedFile(
        "s.csv", b"organisation,sector,group,space\n,<script>x</script>,A,team\n", "text/csv"
    )
    page, _ = finish_job(facilitator_client, facilitator_client.post(url, {"file": bad}))
    assert b"line 2, column" in page.content and b"<script>x</script>" not in page.content
    assert not Group.objects.filter(system=system).exists()
    good = SimpleUploadedFile("s.csv", GOOD, "text/csv")
    page, _ = finish_job(facilitator_client, facilitator_client.post(url, {"file": good}))
    assert b"Imported 2 organisations and 4 groups." in page.content
    assert Group.objects.filter(system=system).count() == 4
    # No file at all is refused on the page itself.
    assert facilitator_client.post(url, {}).status_code == 400


def test_a_viewer_cannot_import(viewer_client: Any, system: Any) -> None:
    assert viewer_client.get(f"/systems/{system.pk}/import/").status_code == 403


def test_the_command_line_imports_and_reports_problems(system: Any, tmp_path: Any) -> None:
    runner = CliRunner()
    good = tmp_path / "good.csv"
    good.write_bytes(GOOD)
    result = runner.invoke(app, ["import", "structure", str(system.pk), str(good)])
    assert result.exit_code == 0 and "Imported 2 organisations and 4 groups" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"organisation,sector,group,space\nX,nowhere,Y,team\n")
    result = runner.invoke(app, ["import", "structure", str(system.pk), str(bad)])
    assert result.exit_code == 1
    assert "bad.csv, line 2, column “sector”" in result.output
