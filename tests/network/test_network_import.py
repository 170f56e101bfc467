"""Fran imports ties between members from a file: every problem is reported by line and
column and nothing is imported; ties repeated in the file or already recorded are skipped
and counted. Vic (a viewer) and Olu (another system's facilitator) cannot import."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tracelead.academy import services as academy_services
from tracelead.academy.models import Member
from tracelead.network import services
from tracelead.network.models import Connection, ConnectionKind, ConnectionSource

pytestmark = pytest.mark.django_db

HEADER = "person_a,person_b,date,kind,event"


def text(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def people(make_member: Any, council: Any, charity: Any) -> dict[str, Any]:
    return {
        "priya": make_member("Priya Shah", email="priya@example.org"),
        "tom": make_member("Tom Shaw", email="tom@example.org", organisation=council),
        "ann": make_member("Ann Lee", email="ann@example.org", organisation=charity),
    }


@pytest.fixture
def workshop(make_event: Any) -> Any:
    return make_event("Workshop 1", days=-7)


def url(academy: Any) -> str:
    return reverse("network_import_page", args=[academy.pk])


def upload(client: Any, academy: Any, *lines: str, name: str = "ties.csv") -> Any:
    data = ("\n".join(lines) + "\n").encode()
    return client.post(url(academy), {"file": SimpleUploadedFile(name, data, "text/csv")})


def test_a_good_file_is_imported_and_repeats_are_counted(
        facilitator_client: Any, facilitator: Any, academy: Any, people: dict[str, Any],
        workshop: Any) -> None:
    services.connection_knew(member=people["ann"], others=[people["tom"]])
    response = upload(
        facilitator_client, academy, HEADER,
        "priya@example.org,tom@example.org,2025-09-01,knew,",
        f"Priya@Example.org, ann@example.org ,2026-01-10,met,{workshop.code.lower()}",
        f"tom@example.org,priya@example.org,2025-10-01,knew,{workshop.code}",  # repeat
        "ann@example.org,tom@example.org,2025-09-01,knew,",  # already recorded
        "priya@example.org,tom@example.org,2026-02-01,worked,",
        f"tom@example.org,ann@example.org,,met,{workshop.code}",
    )
    assert response.status_code == 200
    page = text(response)
    assert "Imported 4 ties" in page
    assert "1 row was skipped because it repeats a tie given earlier in the file (line 4)" in (
        page)
    assert "1 row was skipped because the tie was already recorded (line 5)" in page
    imported = Connection.objects.filter(source=ConnectionSource.IMPORT)
    assert imported.count() == 4
    assert {c.created_by_id for c in imported} == {facilitator.pk}
    met = imported.get(kind=ConnectionKind.MET, first__in=[people["priya"], people["ann"]],
                       second__in=[people["priya"], people["ann"]])
    assert (met.event_id, met.on) == (workshop.pk, dt.date(2026, 1, 10))
    # A met tie without a date takes the day of the event.
    [tom_ann_met] = imported.filter(kind=ConnectionKind.MET).exclude(pk=met.pk)
    assert tom_ann_met.on == timezone.localdate(workshop.starts_at)
    assert imported.get(kind=ConnectionKind.WORKED).on == dt.date(2026, 2, 1)


BAD_ROWS = [
    ("not-an-address,tom@example.org,2025-09-01,knew,",
     "line 2, column “person_a”: is not an email address"),
    ("priya@example.org,nobody@example.org,2025-09-01,knew,",
     "line 2, column “person_b”: is not the address of a current member of the academy"),
    ("priya@example.org,tom@example.org,31st of May,knew,",
     "line 2, column “date”: is not a date like 2026-03-31"),
    ("priya@example.org,tom@example.org,2999-01-01,knew,",
     "line 2, column “date”: is in the future"),
    ("priya@example.org,tom@example.org,2025-09-01,friends,",
     "line 2, column “kind”: is not one of knew, met or worked"),
    ("priya@example.org,tom@example.org,2025-09-01,met,",
     "line 2, column “event”: a tie of kind met needs the code of the event"),
    ("priya@example.org,tom@example.org,2025-09-01,met,NOPE99",
     "line 2, column “event”: is not the code of one of the academy's events"),
    ("priya@example.org,PRIYA@example.org,2025-09-01,knew,",
     "line 2, column “person_b”: is the same person as person_a"),
    ("priya@example.org,tom@example.org,,knew,", "line 2, column “date”: the date is empty"),
]


@pytest.mark.parametrize(("row", "problem"), BAD_ROWS)
def test_a_bad_row_is_reported_by_line_and_column_and_nothing_is_imported(
        facilitator_client: Any, academy: Any, people: dict[str, Any], row: str,
        problem: str) -> None:
    response = upload(facilitator_client, academy, HEADER, row,
                      "priya@example.org,ann@example.org,2025-09-01,knew,")
    assert response.status_code == 400
    page = text(response).replace("&#39;", "'")
    assert "Nothing was imported" in page
    assert problem in page
    assert not Connection.objects.exists()


def test_every_problem_of_a_file_is_listed(facilitator_client: Any, academy: Any,
                                           people: dict[str, Any]) -> None:
    response = upload(facilitator_client, academy, HEADER,
                      "priya@example.org,tom@example.org,2025-09-01,knew,",
                      "bad,tom@example.org,someday,sometimes,",
                      "ann@example.org,ann@example.org,2025-09-01,worked,")
    page = text(response)
    for problem in ("line 3, column “person_a”: is not an email address",
                    "line 3, column “date”: is not a date like 2026-03-31",
                    "line 3, column “kind”: is not one of knew, met or worked",
                    "line 4, column “person_b”: is the same person as person_a"):
        assert problem in page
    assert not Connection.objects.exists()


def test_a_member_who_left_cannot_be_given_a_tie(facilitator_client: Any, academy: Any,
                                                 people: dict[str, Any]) -> None:
    Member.objects.filter(pk=people["tom"].pk).update(left_at=timezone.now())
    response = upload(facilitator_client, academy, HEADER,
                      "priya@example.org,tom@example.org,2025-09-01,knew,")
    assert "is not the address of a current member of the academy" in text(response)
    assert not Connection.objects.exists()


def test_an_event_of_another_academy_is_not_found(
        facilitator_client: Any, academy: Any, people: dict[str, Any],
        other_system: Any) -> None:
    elsewhere = academy_services.academy_create(system=other_system, name="Southmoor academy")
    starts = timezone.now() - dt.timedelta(days=3)
    event = academy_services.event_create(academy=elsewhere, programme=None, kind="workshop",
                                          title="Elsewhere", starts_at=starts,
                                          ends_at=starts + dt.timedelta(hours=2),
                                          venue="", capacity=None)
    response = upload(facilitator_client, academy, HEADER,
                      f"priya@example.org,tom@example.org,,met,{event.code}")
    assert "is not the code of one of the academy" in text(response)
    assert not Connection.objects.exists()


def test_a_file_without_the_columns_is_refused(facilitator_client: Any, academy: Any,
                                               people: dict[str, Any]) -> None:
    response = upload(facilitator_client, academy, "a,b,when",
                      "priya@example.org,tom@example.org,2025-09-01")
    assert response.status_code == 400
    assert ("line 1: the first row must name the columns; missing: person_a, person_b, date, "
            "kind") in text(response)
    empty = facilitator_client.post(url(academy), {})
    assert empty.status_code == 400
    assert "Choose a CSV or Excel file to upload" in text(empty)


def test_an_excel_file_is_read_too(facilitator_client: Any, academy: Any,
                                   people: dict[str, Any]) -> None:
    import io

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Person A", "Person B", "Date", "Kind"])
    sheet.append(["priya@example.org", "tom@example.org", dt.date(2025, 9, 1), "Knew"])
    buffer = io.BytesIO()
    book.save(buffer)
    response = facilitator_client.post(url(academy), {"file": SimpleUploadedFile(
        "ties.xlsx", buffer.getvalue(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
    assert "Imported 1 tie" in text(response)
    assert Connection.objects.get().on == dt.date(2025, 9, 1)


def test_only_the_academys_facilitators_import(
        client: Any, viewer: Any, other_facilitator: Any, academy: Any,
        people: dict[str, Any]) -> None:
    assert client.get(url(academy)).status_code == 302  # to sign in
    client.force_login(viewer)
    assert client.get(url(academy)).status_code == 403
    assert upload(client, academy, HEADER,
                  "priya@example.org,tom@example.org,2025-09-01,knew,").status_code == 403
    client.force_login(other_facilitator)
    assert client.get(url(academy)).status_code == 404
    assert upload(client, academy, HEADER,
                  "priya@example.org,tom@example.org,2025-09-01,knew,").status_code == 404
    assert not Connection.objects.exists()


def test_the_import_page_explains_the_columns(facilitator_client: Any, academy: Any,
                                              workshop: Any) -> None:
    page = text(facilitator_client.get(url(academy)))
    assert "person_a" in page and "worked" in page
    assert workshop.code in page  # the codes of recent events, for the event column


@pytest.mark.django_db(transaction=True)
def test_the_import_page_works_on_a_phone(live_server: Any, browser: Any, facilitator: Any,
                                          academy: Any, people: dict[str, Any],
                                          workshop: Any) -> None:
    """At 360 px: a file with a problem, then a good one; axe finds nothing serious and
    nothing scrolls sideways."""
    import sys
    from pathlib import Path

    from django.test import Client

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
    from browser_helpers import (
        PHONE,
        Console,
        assert_accessible,
        assert_no_sideways_scroll,
        screenshot,
    )
    from playwright.sync_api import expect

    session = Client()
    session.force_login(facilitator)
    console = Console()
    context = browser.new_context(viewport=PHONE)
    context.add_cookies([{"name": "sessionid", "value": session.cookies["sessionid"].value,
                          "url": live_server.url}])
    page = console.watch(context.new_page())

    def check(what: str) -> None:
        assert_no_sideways_scroll(page, what)
        assert_accessible(page, what)
        screenshot(page, "network-import-" + what.replace(" ", "-") + ".png")

    def send(*lines: str) -> None:
        page.get_by_label("CSV or Excel (.xlsx) file").set_input_files({
            "name": "ties.csv", "mimeType": "text/csv",
            "buffer": ("\n".join(lines) + "\n").encode()})
        page.get_by_role("button", name="Import").click()

    page.goto(live_server.url + url(academy))
    expect(page.get_by_role("heading", level=1)).to_have_text("Import ties between members")
    check("page")
    send(HEADER, "priya@example.org,someone@example.org,2025-09-01,knew,")
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(
        "line 2, column “person_b”")
    check("problems")
    send(HEADER, "priya@example.org,tom@example.org,2025-09-01,knew,",
         f"priya@example.org,ann@example.org,,met,{workshop.code}")
    expect(page.get_by_role("heading", name="Imported 2 ties")).to_be_visible()
    check("done")
    console.assert_clean()
    context.close()
