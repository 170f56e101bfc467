"""Importing members from CSV and Excel files: Fran uploads the list the academy kept in a
spreadsheet. Every broken file and bad row is reported where it is, and changes nothing."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from typer.testing import CliRunner

from tracelead.academy import importing
from tracelead.academy.importing import member_import
from tracelead.academy.models import Member
from tracelead.cli import app
from tracelead.core.models import AuditEvent
from tracelead.messaging.models import OutboxMessage

pytestmark = pytest.mark.django_db

GOOD_CSV = """Name,Email Address,Organisation,Sector,Profession,Place,Level of role,Joined
Priya Shah,Priya.Shah@Example.org,vale council,,Social work and social care,vale,senior,2026-03-31
Tom Okafor,tom@example.org,Vale Food Bank,VCFSE,community,,,31/01/2026
Ann Lee,ann@example.org,Northbrook Hospitals,,nursing,Northbrook,Team leader or supervisor,
"""


def csv_bytes(text: str) -> bytes:
    return text.encode("utf-8")


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def problems_of(academy: Any, data: bytes, filename: str = "members.csv") -> list[str]:
    before = Member.objects.count()
    result = member_import(academy=academy, data=data, filename=filename)
    assert result.created == 0
    assert Member.objects.count() == before, "a file with problems changed something"
    return [str(p) for p in result.problems]


def test_a_good_csv_adds_every_member_with_codes_or_labels_and_loose_headings(
        academy: Any, hospital: Any, council: Any) -> None:
    result = member_import(academy=academy, data=csv_bytes(GOOD_CSV))
    assert (result.created, result.problems, result.skipped) == (3, [], 0)
    rows = {m.email: m for m in Member.objects.select_related("organisation")}
    priya, tom, ann = (rows["priya.shah@example.org"], rows["tom@example.org"],
                       rows["ann@example.org"])
    assert (priya.name, priya.organisation, priya.sector, priya.staff_group, priya.place,
            priya.level) == ("Priya Shah", council, "local_authority", "social_work", "Vale",
                             "senior")
    assert priya.joined_at.date() == dt.date(2026, 3, 31)
    assert (tom.organisation, tom.organisation_name, tom.sector, tom.staff_group) == (
        None, "Vale Food Bank", "vcfse", "community")
    assert tom.joined_at.date() == dt.date(2026, 1, 31)
    assert (ann.organisation, ann.level, ann.place) == (hospital, "team_lead", "Northbrook")
    # No links until they ask for one.
    assert all(m.token_hash is None for m in rows.values())
    assert not OutboxMessage.objects.exists()


def test_an_xlsx_workbook_imports_with_dates_and_the_first_sheet(
        academy: Any, council: Any) -> None:
    data = xlsx_bytes([
        ["Full name", "E-mail", "Organization", "Staff group", "Joined", "Employee number"],
        ["Priya Shah", "priya@example.org", "Vale Council", "AHP", dt.datetime(2026, 2, 3),
         12345],
        [None, None, None, None, None, None],
        ["Tom Okafor", "tom@example.org", "Vale Council", None, None, 678],
    ])
    result = member_import(academy=academy, data=data, filename="members.xlsx")
    assert (result.created, result.problems) == (2, [])
    assert result.ignored_columns == ["Employee number"]
    priya = Member.objects.get(email="priya@example.org")
    assert (priya.staff_group, priya.joined_at.date()) == ("ahp", dt.date(2026, 2, 3))


def test_each_bad_row_is_reported_at_its_line_and_column_and_nothing_is_written(
        academy: Any, council: Any, make_member: Any) -> None:
    make_member("Ann", email="ann@example.org")
    text = (
        "name,email,organisation,sector,staff group,place,level,joined\n"
        "Priya,priya@example.org,Vale Council,,,,,\n"           # line 2: fine
        ",no-address,Vale Council,,,,,\n"                       # 3: name, email
        "Tom,tom@example.org,Somewhere Else,,,,,\n"             # 4: unlisted, no sector
        "Cat,cat@example.org,Other Org,pirates,,,,\n"           # 5: sector
        "Dee,dee@example.org,Vale Council,,wizard,Atlantis,boss,\n"  # 6: 3 columns
        "Eve,eve@example.org,Vale Council,,,,,2999-01-01\n"     # 7: future date
        "Fay,fay@example.org,Vale Council,,,,,yesterday\n"      # 8: not a date
        "Gus,PRIYA@example.org,Vale Council,,,,,\n"             # 9: same as line 2
        "=HYPERLINK(\"http://x\"),hal@example.org,Vale Council,,,,,\n"  # 10: formula
        "Ann,ann@example.org,Vale Council,,,,,\n"               # 11: existing: skipped
    )
    found = problems_of(academy, csv_bytes(text))
    expected_starts = [
        "line 3, column “email”: is not an email address",
        "line 3, column “name”: the name is empty",
        "line 4, column “sector”: “Somewhere Else” is not an organisation of the system",
        "line 5, column “sector”: is not one of the sectors",
        "line 6, column “level”: is not one of the levels",
        "line 6, column “place”: is not one of the academy's places: Northbrook, Vale",
        "line 6, column “staff group”: is not one of the professions",
        "line 7, column “joined”: is in the future",
        "line 8, column “joined”: is not a date",
        "line 9, column “email”: the same email address as line 2",
        "line 10, column “name”: must not start with =, +, - or @",
    ]
    assert len(found) == len(expected_starts), found
    for problem, start in zip(found, expected_starts, strict=True):
        assert problem.startswith(start), (problem, start)


def test_an_xlsx_problem_names_the_row_and_the_heading_as_written(
        academy: Any, council: Any) -> None:
    data = xlsx_bytes([
        ["Member Name", "Email address", "Organisation", "Profession"],
        ["Priya", "priya@example.org", "Vale Council", "nursing"],
        ["Tom", "tom@example.org", "Vale Council", "astronaut"],
        ["Hal", "hal@example.org", "=A2", "nursing"],
    ])
    found = problems_of(academy, data, "list.xlsx")
    assert found[0].startswith("row 3, column “Profession”: is not one of the professions")
    assert found[1] == "row 4, column “Organisation”: is a formula; replace it with its value"
    assert len(found) == 2


@pytest.mark.parametrize(("data", "filename", "message"), [
    (b"", "members.csv", "The file is empty."),
    (b"\n\n", "members.csv", "The file is empty."),
    (b"name,email,organisation\n", "members.csv",
     "The file has column headings but no members."),
    ("name,email,organisation\nZoë,z@example.org,Vale Council\n".encode("cp1252"),
     "members.csv", "The file is not UTF-8 text (byte 26 cannot be read)"),
    (b"full name,email\nPriya,priya@example.org\n", "members.csv",
     "line 1: the first row must name the columns; missing: organisation"),
    (b"email,e-mail address,name,organisation\n", "members.csv",
     "line 1, column “e-mail address”: this column and “email” both give the email"),
    (b"PK\x03\x04 this is not really a zip", "members.xlsx",
     "The file is not a valid Excel (.xlsx) file."),
    (b"name,email\n", "members.xlsx", "The file is not a valid Excel (.xlsx) file."),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "members.xls",
     "This is an old Excel file (.xls)"),
    (b"name,email,organisation\nPri\x00ya,p@example.org,Vale Council\n", "members.csv",
     "The file contains NUL characters"),
])
def test_a_broken_file_gets_a_clear_message_and_changes_nothing(
        academy: Any, council: Any, data: bytes, filename: str, message: str) -> None:
    found = problems_of(academy, data, filename)
    assert len(found) == 1 and found[0].startswith(message), found


def test_a_workbook_whose_first_row_is_empty_is_refused(academy: Any) -> None:
    data = xlsx_bytes([[None], ["name", "email", "organisation"]])
    found = problems_of(academy, data, "members.xlsx")
    assert found == ["The first row must name the columns (name, email, organisation, ...); "
                     "it is empty."]


def test_a_zip_that_unpacks_too_large_is_refused_before_it_is_read(
        academy: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(importing, "MAX_UNPACKED_BYTES", 1000)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", "<a/>" * 1000)
    found = problems_of(academy, buffer.getvalue(), "members.xlsx")
    assert found == ["The spreadsheet is too large once unpacked; split it into smaller "
                     "files."]


def test_files_over_the_limits_of_size_and_rows_are_refused(
        academy: Any, council: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(importing, "MAX_ROWS", 2)
    text = "name,email,organisation\n" + "".join(
        f"P{n},p{n}@example.org,Vale Council\n" for n in range(3))
    assert problems_of(academy, csv_bytes(text)) == [
        "line 4: the file has more than 2 members; split it"]
    monkeypatch.setattr(importing, "MAX_BYTES", 1024 * 1024)
    padded = text + "#" * (1024 * 1024)
    assert problems_of(academy, csv_bytes(padded)) == [
        "The file is larger than 1 MB; split it."]


def test_existing_members_are_skipped_and_counted_and_left_as_they_were(
        academy: Any, council: Any, make_member: Any) -> None:
    ann = make_member("Ann", email="ann@example.org", staff_group="nursing")
    text = ("name,email,organisation,profession\n"
            "Ann Renamed,ANN@example.org,Vale Council,medical\n"
            "Priya,priya@example.org,Vale Council,\n")
    result = member_import(academy=academy, data=csv_bytes(text))
    assert (result.created, result.skipped, result.skipped_lines) == (1, 1, [2])
    ann.refresh_from_db()
    assert (ann.name, ann.staff_group) == ("Ann", "nursing")


def test_semicolon_separated_csv_from_a_european_excel_is_read(
        academy: Any, council: Any) -> None:
    text = "Name;Email;Organisation\nPriya;priya@example.org;Vale Council\n"
    assert member_import(academy=academy, data=csv_bytes(text)).created == 1


def test_links_are_sent_only_when_asked(academy: Any, council: Any) -> None:
    text = "name,email,organisation\nPriya,priya@example.org,Vale Council\n"
    result = member_import(academy=academy, data=csv_bytes(text), send_links=True)
    assert (result.created, result.links_sent) == (1, 1)
    priya = Member.objects.get()
    assert priya.token_hash
    message = OutboxMessage.objects.get(to="priya@example.org")
    assert "/m/" in message.body and "Welcome to Northbrook Leadership Academy" in message.body


# --- The page ---------------------------------------------------------------------------


def upload(client: Any, academy: Any, data: bytes, name: str = "members.csv",
           **fields: str) -> Any:
    return client.post(f"/academy/{academy.pk}/members/import/", {
        "file": SimpleUploadedFile(name, data), "consent": "on", **fields})


def test_fran_imports_a_file_on_the_page_and_sees_what_was_skipped(
        facilitator_client: Any, facilitator: Any, academy: Any, council: Any,
        make_member: Any) -> None:
    make_member("Ann", email="ann@example.org")
    page = facilitator_client.get(f"/academy/{academy.pk}/members/import/")
    assert page.status_code == 200
    assert "An address that already belongs to a member is skipped" in page.content.decode()
    text = ("name,email,organisation,badge\nPriya,priya@example.org,Vale Council,x\n"
            "Ann,ann@example.org,Vale Council,y\n")
    response = upload(facilitator_client, academy, csv_bytes(text))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Imported 1 member" in html
    assert "1 row was skipped because the address is already a member's (line 3)" in html
    assert "Columns not read: badge." in html
    assert Member.objects.filter(email="priya@example.org").exists()
    assert "Imported 1 academy members" in AuditEvent.objects.get(user=facilitator).what


def test_the_page_lists_the_problems_with_their_lines_and_imports_nothing(
        facilitator_client: Any, academy: Any, council: Any) -> None:
    text = "name,email,organisation\nPriya,priya@example.org,Vale Council\nTom,nope,Vale Council\n"
    response = upload(facilitator_client, academy, csv_bytes(text))
    html = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was imported" in html
    assert "line 3, column “email”: is not an email address" in html
    assert not Member.objects.exists()


def test_the_page_asks_for_a_file_and_for_consent(
        facilitator_client: Any, academy: Any, council: Any) -> None:
    response = facilitator_client.post(f"/academy/{academy.pk}/members/import/", {})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Choose a CSV or Excel file to upload" in html
    assert "Confirm that the people in the file agreed to join" in html
    text = "name,email,organisation\nPriya,priya@example.org,Vale Council\n"
    no_consent = facilitator_client.post(f"/academy/{academy.pk}/members/import/", {
        "file": SimpleUploadedFile("m.csv", csv_bytes(text))})
    assert no_consent.status_code == 400
    assert not Member.objects.exists()


def test_the_page_sends_links_only_with_the_box_ticked(
        facilitator_client: Any, academy: Any, council: Any) -> None:
    text = "name,email,organisation\nPriya,priya@example.org,Vale Council\n"
    upload(facilitator_client, academy, csv_bytes(text), send_links="on")
    assert OutboxMessage.objects.filter(to="priya@example.org").count() == 1


def test_another_systems_facilitator_cannot_import(
        other_facilitator_client: Any, academy: Any) -> None:
    text = "name,email,organisation\nPriya,priya@example.org,Vale Council\n"
    response = upload(other_facilitator_client, academy, csv_bytes(text))
    assert response.status_code == 404
    assert not Member.objects.exists()


# --- The command line -----------------------------------------------------------------------


def test_the_command_imports_a_file_and_reports_problems_by_line(
        academy: Any, hospital: Any, council: Any, tmp_path: Path) -> None:
    runner = CliRunner()
    good = tmp_path / "members.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    result = runner.invoke(app, ["import", "members", str(academy.pk), str(good)])
    assert result.exit_code == 0, result.output
    assert "Imported 3 members into Northbrook Leadership Academy." in result.output
    assert Member.objects.count() == 3

    again = runner.invoke(app, ["import", "members", str(academy.pk), str(good)])
    assert again.exit_code == 0
    assert "Imported 0 members" in again.output
    assert "Skipped 3 rows whose address is already a member's (lines 2, 3, 4)" in again.output

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx_bytes([["Name", "Email", "Organisation"],
                                ["Zed", "zed@example.org", "Vale Council"],
                                ["Yan", "not an address", "Vale Council"]]))
    result = runner.invoke(app, ["import", "members", str(academy.pk), str(bad)])
    assert result.exit_code == 1
    assert "bad.xlsx, row 3, column “Email”: is not an email address" in result.output
    assert "Nothing was imported." in result.output
    assert not Member.objects.filter(email="zed@example.org").exists()


def test_the_command_refuses_an_unknown_academy_or_file(academy: Any, tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["import", "members", "999999", str(tmp_path / "x.csv")])
    assert missing.exit_code == 1 and "No academy with id 999999." in missing.output
    no_file = runner.invoke(app, ["import", "members", str(academy.pk),
                                  str(tmp_path / "x.csv")])
    assert no_file.exit_code == 1 and "No such file" in no_file.output


def test_the_command_sends_links_when_asked(
        academy: Any, council: Any, tmp_path: Path) -> None:
    file = tmp_path / "members.csv"
    file.write_text("name,email,organisation\nPriya,priya@example.org,Vale Council\n")
    result = CliRunner().invoke(app, ["import", "members", str(academy.pk), str(file),
                                      "--send-links"])
    assert result.exit_code == 0, result.output
    assert "Queued 1 emails with personal links." in result.output
    assert OutboxMessage.objects.filter(to="priya@example.org").count() == 1
