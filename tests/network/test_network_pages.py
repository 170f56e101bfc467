"""The network page for Fran, who facilitates the academy: every figure of the report, by
name; the graph's data; the period and programme chosen in the form; the downloads; and,
in a real browser at 360 px, the graph drawn under our Content Security Policy with axe
finding nothing serious. The small network is described in ``network_story``."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.utils import timezone

from tracelead.analysis import network as analysis
from tracelead.core.models import AuditEvent
from tracelead.network import selectors
from tracelead.network.models import Connection

sys.path.insert(0, str(Path(__file__).resolve().parent))
import network_story

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(academy: Any, hospital: Any, council: Any, charity: Any, make_member: Any,
          make_event: Any) -> network_story.Story:
    return network_story.build(academy, hospital, council, charity, make_member, make_event)


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def figure(page: str, name: str) -> str:
    found = re.search(rf'id="fig-{name}">([^<]*)<', page)
    assert found, name
    return found.group(1).strip()


def direct_report(story: network_story.Story, *, start: dt.date, end: dt.date,
                  enrolled_only: bool = False) -> analysis.NetworkReport:
    """The report worked out here from the database, without the page's selector."""
    members = list(story.people.values())
    if enrolled_only:
        members = [story.people[n] for n in network_story.ENROLLED]
    keys = {m.pk for m in members}
    people = [analysis.Person(key=m.pk, organisation=m.organisation.name, sector=m.sector)
              for m in members]
    ties = [analysis.Tie(a=c.first_id, b=c.second_id, on=c.on, kind=c.kind, event=c.event_id)
            for c in Connection.objects.filter(academy=story.academy, on__lte=end)
            if c.first_id in keys and c.second_id in keys]
    return analysis.network_report(people, ties, start=start, end=end, exact=True,
                                   top=selectors.TOP_BROKERS, sectors=selectors.SECTORS)


def baseline(story: network_story.Story) -> dt.date:
    """The day everyone joined, in local time (the network's first day)."""
    return timezone.localdate(story.people["Asha"].joined_at)


def percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def test_fran_sees_every_figure_of_the_report_by_name(
        facilitator_client: Any, story: network_story.Story) -> None:
    page = text(facilitator_client.get(f"/academy/{story.academy.pk}/network/"))
    today = timezone.localdate()
    start = baseline(story)
    report = direct_report(story, start=start, end=today)
    assert figure(page, "people") == str(report.people) == "13"
    assert figure(page, "ties") == str(report.ties)
    assert figure(page, "density") == f"{report.density:.4f}"
    assert figure(page, "components") == str(report.components)
    assert figure(page, "largest") == str(report.largest_component)
    assert figure(page, "isolates") == str(report.isolates) == "2"
    assert figure(page, "cross-organisation") == percent(report.cross_organisation_share)
    assert figure(page, "cross-sector") == percent(report.cross_sector_share)
    assert figure(page, "new-ties") == str(report.new_ties)
    assert figure(page, "new-per-person") == f"{report.new_ties_per_person:.2f}"
    assert figure(page, "new-per-month") == f"{report.new_ties_per_person_per_month:.2f}"
    assert figure(page, "share-new") == percent(report.share_with_new_tie)
    assert figure(page, "growth-start") == str(report.growth[0])
    assert figure(page, "growth-end") == str(report.growth[1])
    assert "rule of thumb of about 5 new people a month" in page
    # Brokers in the report's order, by name, with their betweenness.
    brokers = re.search(r'id="network-brokers".*?</table>', page, re.S)
    assert brokers
    by_pk = {m.pk: m.name for m in story.people.values()}
    listed = re.findall(r'<th scope="row" class="nhsuk-table__cell">([^<]+)</th>',
                        brokers.group(0))
    assert listed == [by_pk[k] for k, _ in report.brokers]
    for _, score in report.brokers:
        assert f"{score:.3f}" in brokers.group(0)
    bridges = re.search(r'id="network-bridges".*?</table>', page, re.S)
    assert bridges and "Asha Patel" in bridges.group(0)
    assert bridges.group(0).count('<th scope="row"') == len(report.bridges)
    # Each event's new ties, and each sector's presence named plainly.
    for event, (attendees, new) in report.per_event.items():
        title = next(e.title for e in (story.workshop_1, story.workshop_2, story.evening)
                     if e.pk == event)
        row = re.search(rf"{re.escape(title)}.*?</tr>", page, re.S)
        assert row, title
        cells = re.findall(r"tl-figure\">([^<]*)<", row.group(0))
        assert cells[-2:] == [str(attendees), str(new)]
    sectors = re.search(r'id="network-sectors".*?</table>', page, re.S)
    assert sectors
    for code, (status, people) in report.sector_presence.items():
        label = selectors.sector_label(code)
        row = re.search(rf">{re.escape(label)}</th>\s*<td[^>]*>([^<]*)</td>\s*<td[^>]*>([^<]*)<",
                        sectors.group(0))
        assert row, label
        assert row.group(1).lower().startswith(status) and row.group(2) == str(people)
    assert "Missing: nobody" in sectors.group(0)
    # The picture's data, the downloads, and no "fewer than" for a facilitator.
    assert f'data-url="/academy/{story.academy.pk}/network/data.json"' in page
    assert f"/academy/{story.academy.pk}/network.pdf" in page
    assert f"/academy/{story.academy.pk}/network.xlsx" in page
    assert "fewer than" not in page


def test_the_period_and_the_programme_change_the_figures(
        facilitator_client: Any, story: network_story.Story) -> None:
    today = timezone.localdate()
    start, end = today - dt.timedelta(days=30), today - dt.timedelta(days=15)
    url = f"/academy/{story.academy.pk}/network/"
    page = text(facilitator_client.get(url, {"start": start.isoformat(),
                                             "end": end.isoformat()}))
    report = direct_report(story, start=start, end=end)
    assert figure(page, "new-ties") == str(report.new_ties)
    assert figure(page, "growth-start") == str(report.growth[0])
    assert figure(page, "growth-end") == str(report.growth[1])
    assert figure(page, "ties") == str(report.ties)
    assert f"New ties from {start:%-d %B %Y} to {end:%-d %B %Y}" in page
    page = text(facilitator_client.get(url, {"programme": story.programme.pk}))
    report = direct_report(story, start=baseline(story), end=today, enrolled_only=True)
    assert figure(page, "people") == "7" == str(report.people)
    assert figure(page, "ties") == str(report.ties)
    assert "Dan Hughes" not in page
    data = facilitator_client.get(f"/academy/{story.academy.pk}/network/data.json",
                                  {"programme": story.programme.pk}).json()
    assert len(data["nodes"]) == 7


def test_a_wrong_period_is_explained_and_the_whole_period_shown(
        facilitator_client: Any, story: network_story.Story) -> None:
    url = f"/academy/{story.academy.pk}/network/"
    response = facilitator_client.get(url, {"start": "2026-05-10", "end": "2026-05-01"})
    assert response.status_code == 400
    page = text(response)
    assert "The end date must be the same as or after the start date" in page
    assert figure(page, "people") == "13"
    assert facilitator_client.get(url, {"start": "someday"}).status_code == 400
    assert facilitator_client.get(url, {"programme": "999999"}).status_code == 400
    # An end before anyone joined shows an empty network, not an error.
    early = facilitator_client.get(url, {"end": "2001-01-01"})
    assert early.status_code == 200 and figure(text(early), "people") == "0"
    data = facilitator_client.get(f"{url}data.json", {"start": "someday"})
    assert data.status_code == 400 and "real date" in data.json()["errors"][0]
    # A start still to come (with no end) counts from today, on every view; no error.
    later = (dt.date.today() + dt.timedelta(days=40)).isoformat()
    for path in ("", "data.json"):
        assert facilitator_client.get(f"{url}{path}", {"start": later}).status_code == 200
    assert facilitator_client.get(f"/academy/{story.academy.pk}/network.xlsx",
                                  {"start": later}).status_code == 200


def test_the_graph_data_names_people_for_the_facilitator_only(
        facilitator_client: Any, story: network_story.Story) -> None:
    response = facilitator_client.get(f"/academy/{story.academy.pk}/network/data.json")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    data = response.json()
    assert data["mode"] == "people"
    assert sorted(n["name"] for n in data["nodes"]) == sorted(story.names)
    pairs = Connection.objects.filter(academy=story.academy).values_list(
        "first_id", "second_id").distinct()
    assert {(a, b) for a, b, _ in data["edges"]} == set(pairs)
    kinds = [k["code"] for k in data["kinds"]]
    asha, gita = story.people["Asha"].pk, story.people["Gita"].pk
    steps = next(s for a, b, s in data["edges"] if {a, b} == {asha, gita})
    assert sorted(kinds[k] for _, k in steps) == ["met", "worked"]
    assert all(0 <= n["x"] <= 1000 and 0 <= n["y"] <= 1000 for n in data["nodes"])
    assert data["timeline"]["days"] == (timezone.localdate(story.evening.starts_at)
                                        - baseline(story)).days


def test_the_downloads_are_audited_and_only_pdf_and_xlsx_exist(
        facilitator_client: Any, story: network_story.Story) -> None:
    pk = story.academy.pk
    pdf = facilitator_client.get(f"/academy/{pk}/network.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf["Content-Disposition"].startswith("attachment; filename=\"tracelead-")
    book = openpyxl.load_workbook(io.BytesIO(
        facilitator_client.get(f"/academy/{pk}/network.xlsx").content))
    assert {"Summary", "Sectors present", "Ties between organisations",
            "Ties between sectors"} <= set(book.sheetnames)
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True)
               if row and len(row) > 1}
    assert summary["People"] == 13
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORTED,
                                     what__startswith="relationships network").count() == 2
    for fmt in ("html", "csv", "json"):
        assert facilitator_client.get(f"/academy/{pk}/network.{fmt}").status_code == 404


def test_an_academy_without_members_or_ties_has_its_page_and_downloads(
        facilitator_client: Any, academy: Any) -> None:
    page = text(facilitator_client.get(f"/academy/{academy.pk}/network/"))
    assert figure(page, "people") == "0" and figure(page, "ties") == "0"
    assert "No new ties were recorded at an event" in page
    data = facilitator_client.get(f"/academy/{academy.pk}/network/data.json").json()
    assert data["nodes"] == [] and data["edges"] == []
    for fmt in ("pdf", "xlsx"):
        assert facilitator_client.get(f"/academy/{academy.pk}/network.{fmt}").status_code == 200


def test_an_unpublished_network_tells_viewers_so_and_downloads_nothing(
        viewer_client: Any, academy: Any) -> None:
    page = text(viewer_client.get(f"/academy/{academy.pk}/network/"))
    assert "have not published the network yet" in page
    data = viewer_client.get(f"/academy/{academy.pk}/network/data.json")
    assert data.status_code == 404
    assert data.json() == {"errors": ["The network has not been published yet."]}
    for fmt in ("pdf", "xlsx"):
        assert viewer_client.get(f"/academy/{academy.pk}/network.{fmt}").status_code == 409


def test_the_academy_home_page_links_to_the_network(
        facilitator_client: Any, story: network_story.Story) -> None:
    page = text(facilitator_client.get(f"/academy/{story.academy.pk}/"))
    assert f"/academy/{story.academy.pk}/network/" in page
    assert f"/academy/{story.academy.pk}/network.pdf" in page


def test_the_picture_for_the_pdf_is_drawn_over_organisations_without_names(
        story: network_story.Story) -> None:
    from tracelead.network import exports

    network = selectors.network_for(story.academy, measure=False)
    grouped = selectors.grouped_network(network, grouping="organisation", threshold=5)
    svg = exports.network_svg(network, grouped)
    assert svg.startswith("<svg") and svg.count("<circle") >= 3
    assert "Northbrook Hospitals" in svg and "Vale Carers Trust" not in svg
    assert "Smaller organisations together" in svg
    assert not any(name in svg for name in story.names)


# --- In a real browser -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_graph_draws_on_a_phone_and_passes_axe(
        live_server: Any, browser: Any, academy: Any, hospital: Any, council: Any,
        charity: Any, make_member: Any, make_event: Any, facilitator: Any,
        viewer: Any) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
    from browser_helpers import (
        PHONE,
        Console,
        assert_accessible,
        assert_no_sideways_scroll,
        screenshot,
    )
    from playwright.sync_api import expect

    from tracelead.network.publication import publish

    story = network_story.build(academy, hospital, council, charity, make_member, make_event)
    publish(story.academy)
    for user, named in ((facilitator, True), (viewer, False)):
        console = Console()
        context = browser.new_context(viewport=PHONE)
        session = _session_cookie(user, live_server)
        context.add_cookies([session])
        page = console.watch(context.new_page())
        page.goto(f"{live_server.url}/academy/{story.academy.pk}/network/")
        expect(page.locator("#network-controls")).to_be_visible()
        expect(page.locator("#network-graph canvas").first).to_be_attached()
        expect(page.locator("#network-status")).to_contain_text("Showing")
        box = page.locator("#network-graph").bounding_box()
        assert box is not None and box["width"] <= PHONE["width"]
        # Back in time to before the workshops: fewer ties shown.
        before = page.locator("#network-status").inner_text()
        page.locator("#network-when").fill("5")
        expect(page.locator("#network-status")).not_to_have_text(before)
        page.locator("#network-kind").select_option("met")
        page.locator("#network-sector").select_option(index=1)
        if named:
            page.locator("#network-colour").select_option("organisation")
            expect(page.locator("#network-legend")).to_contain_text("Vale Council")
        else:
            page.locator("#network-by").select_option("sector")
            expect(page.locator("#network-legend")).to_contain_text("Acute")
            assert not any(name in page.content() for name in story.names)
        page.locator("#network-fit").click()
        assert_no_sideways_scroll(page, "the network page")
        assert_accessible(page, "the network page")
        screenshot(page, f"network-{'facilitator' if named else 'viewer'}-360.png")
        console.assert_clean()
        context.close()


def _session_cookie(user: Any, live_server: Any) -> dict[str, Any]:
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    return {"name": "sessionid", "value": cookie.value, "url": live_server.url}
