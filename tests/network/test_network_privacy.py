"""Names of the network appear only to the academy's facilitators. Vic views the whole
system: he gets the same page without names (organisations and sectors, small counts as
"fewer than 5"), a graph with no member's id or name, and downloads without names, as
does everyone else who downloads the report. Other systems and roles narrowed to one
organisation get 404. Then the whole demo, searched for every member's name."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.test import Client

from tracelead.academy.models import Academy, Member
from tracelead.organisations.models import SystemMembership, SystemRole

sys.path.insert(0, str(Path(__file__).resolve().parent))
import network_story

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(academy: Any, hospital: Any, council: Any, charity: Any, make_member: Any,
          make_event: Any) -> network_story.Story:
    """The story, published for viewers as it stands today."""
    from tracelead.network.publication import publish

    built = network_story.build(academy, hospital, council, charity, make_member, make_event)
    publish(built.academy)
    return built


def pdf_text(content: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content,  # noqa: S607 - poppler's tool
                          capture_output=True, check=True)
    return re.sub(r"\s+", " ", done.stdout.decode())


def workbook_text(content: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return "\n".join(str(c) for sheet in book.worksheets
                     for row in sheet.iter_rows(values_only=True) for c in row if c is not None)


def everything(client: Client, pk: int) -> dict[str, str]:
    """Every view of the network the client can ask for, as text."""
    page = client.get(f"/academy/{pk}/network/")
    data = client.get(f"/academy/{pk}/network/data.json")
    pdf = client.get(f"/academy/{pk}/network.pdf")
    xlsx = client.get(f"/academy/{pk}/network.xlsx")
    for response in (page, data, pdf, xlsx):
        assert response.status_code == 200
    return {"page": html.unescape(page.content.decode()), "data": data.content.decode(),
            "pdf": pdf_text(pdf.content), "xlsx": workbook_text(xlsx.content)}


def test_vic_sees_the_network_without_names_and_small_counts_hidden(
        viewer_client: Any, story: network_story.Story) -> None:
    views = everything(viewer_client, story.academy.pk)
    for what, body in views.items():
        for name in story.names:
            assert name not in body, (what, name)
    page = views["page"]
    assert "fewer than 5" in page
    # The charity's two people are counted with no organisation named; the hospital's six
    # and the council's five are shown exactly.
    assert "Vale Carers Trust" not in page
    assert "Smaller organisations together" in page and "Other sectors together" in page
    assert re.search(r'id="fig-people">13<', page)
    # The isolates (two) and the events' small counts read "fewer than 5".
    assert re.search(r'id="fig-isolates">fewer than 5<', page)
    # ... and so does the rest beside the largest group, which would give the isolates away.
    assert re.search(r'id="fig-largest">all but fewer than 5<', page)
    assert 'id="network-brokers"' not in page and 'id="network-bridges"' not in page
    # Workshop 2 (3 new ties) and the evening (1) are pooled; as 4 would still be under 5,
    # workshop 1 joins them, so that no event's small count can be worked out.
    assert "Other events together (3)" in page and "workshop 1" not in page.split(
        'id="network-events"')[1].split("</table>")[0]
    assert 'id="broker-count"' in page and 'id="bridge-count"' in page
    assert "People are not named here" in page
    assert "fewer than 5" in views["pdf"] and "fewer than 5" in views["xlsx"]
    assert "Vale Carers Trust" not in views["pdf"] + views["xlsx"] + views["data"]


def test_no_small_count_follows_from_the_totals(viewer_client: Any,
                                                story: network_story.Story) -> None:
    """13 people: the hospital's 6, the council's 5 and the charity's 2. With the charity
    hidden, 13 - 6 - 5 would give its 2, so the council's 5 is hidden as well."""
    from tracelead.network.selectors import counts_text

    page = html.unescape(viewer_client.get(f"/academy/{story.academy.pk}/network/")
                         .content.decode())
    sectors = page.split('id="network-sectors"')[1].split("</table>")[0]
    assert re.search(r">Local authority</th>\s*<td[^>]*>[^<]*</td>\s*<td[^>]*>not shown<",
                     sectors)
    assert re.search(r">Acute</th>\s*<td[^>]*>[^<]*</td>\s*<td[^>]*>6<", sectors)
    assert counts_text([6, 5, 2], 5) == ["6", "not shown", "fewer than 5"]
    assert counts_text([6, 5, 3, 2], 5) == ["6", "5", "fewer than 5", "fewer than 5"]
    assert counts_text([9, 0, 7], 5, unlisted=2) == ["9", "0", "not shown"]
    assert counts_text([9, 1], None) == ["9", "1"]


def test_the_viewer_s_graph_carries_no_member_id_or_name(
        viewer_client: Any, story: network_story.Story) -> None:
    data = viewer_client.get(f"/academy/{story.academy.pk}/network/data.json").json()
    assert data["mode"] == "groups" and data["threshold"] == 5
    ids = {m.pk for m in story.people.values()}
    for grouping, view in data["views"].items():
        assert {"nodes", "edges", "bands"} == set(view), grouping
        for node in view["nodes"]:
            assert set(node) == {"id", "label", "sector", "sectorLabel", "people",
                                 "peopleText", "x", "y"}
            assert re.fullmatch(r"g\d+", node["id"])
            assert node["people"] is None or node["people"] >= 5
        for edge in view["edges"]:
            assert set(edge) == {"source", "target", "steps"}
            for steps in edge["steps"].values():
                # [day, band]: a day offset and a band of counts, never a member.
                assert all(len(step) == 2 for step in steps)
    labels = {n["label"] for n in data["views"]["organisation"]["nodes"]}
    # The charity's two people alone would be a group of two whose ties are published: the
    # smallest group kept (the council's five) joins them.
    assert labels == {"Northbrook Hospitals", "Smaller organisations together"}
    # Every circle holds at least five people: none is a small group whose lines would
    # describe one or two people's ties.
    assert {n["peopleText"] for v in data["views"].values() for n in v["nodes"]} == {
        "6 people", "7 people"}
    assert not set(re.findall(r'"id":\s*(\d+)', str(data))) & {str(i) for i in ids}


def test_the_facilitator_s_downloads_name_nobody_either(
        facilitator_client: Any, story: network_story.Story) -> None:
    pk = story.academy.pk
    pdf = pdf_text(facilitator_client.get(f"/academy/{pk}/network.pdf").content)
    xlsx = workbook_text(facilitator_client.get(f"/academy/{pk}/network.xlsx").content)
    for name in story.names:
        assert name not in pdf and name not in xlsx, name
    assert "names nobody" in pdf and "fewer than 5" in xlsx


def test_a_cycle_s_threshold_applies(viewer_client: Any, story: network_story.Story) -> None:
    from tracelead.network.models import NetworkPublication
    from tracelead.network.publication import publish
    from tracelead.publishing.services import cycle_create

    cycle_create(system=story.academy.system, name="Autumn", threshold=7, comment_threshold=7)
    # The next publication takes the raised threshold.
    NetworkPublication.objects.all().delete()
    publish(story.academy)
    page = html.unescape(viewer_client.get(f"/academy/{story.academy.pk}/network/")
                         .content.decode())
    assert "fewer than 7" in page
    # The council's five people are now under the threshold too.
    assert "Vale Council" not in page


def test_other_systems_and_narrow_roles_get_404(
        client: Client, story: network_story.Story, other_facilitator: Any,
        make_user: Any, hospital: Any) -> None:
    pk = story.academy.pk
    urls = [f"/academy/{pk}/network/", f"/academy/{pk}/network/data.json",
            f"/academy/{pk}/network.pdf", f"/academy/{pk}/network.xlsx",
            f"/academy/{pk}/network.csv", f"/academy/{pk}/network.html"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(other_facilitator)
    for url in urls:
        assert client.get(url).status_code == 404, url
    trust = make_user("tia.trust")
    SystemMembership.objects.create(user=trust, system=story.academy.system,
                                    role=SystemRole.FACILITATOR, organisation=hospital)
    client.force_login(trust)
    for url in urls:
        assert client.get(url).status_code == 404, url


# --- The demo --------------------------------------------------------------------------------


def test_no_view_of_the_demo_s_network_but_the_facilitators_names_a_member(
        make_user: Any) -> None:
    from tracelead.demo import demo_load

    demo_load(today=dt.date(2026, 12, 2))
    academy = Academy.objects.get()
    names = set(Member.objects.filter(academy=academy).exclude(name="")
                .values_list("name", flat=True))
    assert len(names) > 100
    vic = make_user("vic.demo.viewer")
    SystemMembership.objects.create(user=vic, system=academy.system, role=SystemRole.VIEWER)
    client = Client()
    client.force_login(vic)
    for what, body in everything(client, academy.pk).items():
        found = sorted(name for name in names if name in body)
        assert not found, (what, found[:5])
    # The facilitator's page names people (the demo's own facilitator).
    from django.contrib.auth import get_user_model

    from tracelead.demo import DEMO_USERNAME

    client.force_login(get_user_model().objects.get(username=DEMO_USERNAME))
    page = client.get(f"/academy/{academy.pk}/network/").content.decode()
    assert any(name in html.unescape(page) for name in names)


def test_a_viewer_cannot_choose_overlapping_scopes_to_subtract(
        viewer_client: Any, facilitator: Any, story: network_story.Story) -> None:
    """Two periods a day apart, each over the threshold, would give the ties of that day
    by difference: a viewer's page, graph and downloads ignore any programme or dates."""
    pk = story.academy.pk
    narrowed = "?start=2000-01-01&end=2000-01-02"
    for path in ("network/", "network/data.json", "network.xlsx"):
        whole = viewer_client.get(f"/academy/{pk}/{path}")
        asked = viewer_client.get(f"/academy/{pk}/{path}{narrowed}")
        assert asked.status_code == whole.status_code == 200
        if path.endswith(".xlsx"):
            assert workbook_text(asked.content) == workbook_text(whole.content)
        elif path.endswith(".json"):
            assert asked.json() == whole.json()
        else:
            assert 'name="start"' not in asked.content.decode()
            assert re.search(r'id="fig-people">13<', html.unescape(asked.content.decode()))
    # The academy's facilitators still choose their period.
    facilitator_client = Client()
    facilitator_client.force_login(facilitator)
    page = facilitator_client.get(f"/academy/{pk}/network/{narrowed}")
    assert page.status_code == 200 and 'name="start"' in page.content.decode()
