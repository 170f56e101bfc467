"""The network everyone but the facilitators sees is a publication: computed once, checked
against every earlier one, stored and served as stored.

An insider (Vic, a viewer of the whole system) saves every view he can request, waits for
one more tie, and asks again; he lowers nothing and chooses nothing; he compares this
month's publication with last month's. Each attack below is one he could try, with the
hand-worked figures it would give him if the gate did not hold."""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from tracelead.network import publication, selectors
from tracelead.network.models import Connection, ConnectionKind, NetworkPublication
from tracelead.organisations.models import Organisation, Sector

sys.path.insert(0, str(Path(__file__).resolve().parent))
import network_story

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(academy: Any, hospital: Any, council: Any, charity: Any, make_member: Any,
          make_event: Any) -> network_story.Story:
    return network_story.build(academy, hospital, council, charity, make_member, make_event)


def views(client: Client, pk: int) -> dict[str, bytes]:
    """Everything a viewer can ask for about the network."""
    out = {}
    for path in ("network/", "network/data.json", "network.pdf", "network.xlsx"):
        response = client.get(f"/academy/{pk}/{path}")
        assert response.status_code == 200, path
        # The page's per-request nonce and form token aside, byte for byte.
        out[path] = re.sub(rb'(nonce|value)="[A-Za-z0-9+/=_-]{16,}"', b"", response.content)
    return out


def test_one_more_tie_changes_nothing_a_viewer_sees_until_the_next_publication(
        viewer_client: Any, facilitator: Any, story: network_story.Story) -> None:
    publication.publish(story.academy)
    before = views(viewer_client, story.academy.pk)
    # Finn and Kay, the two without ties, now record one: the live count goes from 9 to 10
    # new ties, and the isolates from 2 to 0.
    finn, kay = story.people["Finn"], story.people["Kay"]
    first, second = sorted((finn, kay), key=lambda m: m.pk)
    Connection.objects.create(academy=story.academy, first=first, second=second,
                              kind=ConnectionKind.WORKED, on=timezone.localdate(),
                              source="facilitator")
    after = views(viewer_client, story.academy.pk)
    assert after == before
    # The facilitator's live page has moved.
    client = Client()
    client.force_login(facilitator)
    live = client.get(f"/academy/{story.academy.pk}/network/").content.decode()
    assert 'id="fig-isolates">0<' in live


def test_a_second_publication_in_the_same_month_is_refused_with_the_day_it_can_be(
        facilitator: Any, story: network_story.Story) -> None:
    publication.publish(story.academy, today=dt.date(2026, 11, 3))
    with pytest.raises(publication.PublicationRefused, match="from 1 December 2026"):
        publication.publish(story.academy, today=dt.date(2026, 11, 30))
    assert NetworkPublication.objects.count() == 1
    publication.publish(story.academy, today=dt.date(2026, 12, 1))
    assert list(NetworkPublication.objects.values_list("number", flat=True)) == [1, 2]


def test_the_facilitator_publishes_from_the_page_and_a_refusal_changes_nothing(
        facilitator: Any, story: network_story.Story) -> None:
    client = Client()
    client.force_login(facilitator)
    pk = story.academy.pk
    page = client.get(f"/academy/{pk}/network/").content.decode()
    assert "Not published yet" in page and f"/academy/{pk}/network/publish/" in page
    done = client.post(f"/academy/{pk}/network/publish/", follow=True).content.decode()
    assert "is published for viewers (publication 1)" in done
    assert "See it as viewers do" in done
    again = client.post(f"/academy/{pk}/network/publish/", follow=True).content.decode()
    assert "once a calendar month" in again
    assert NetworkPublication.objects.count() == 1
    preview = client.get(f"/academy/{pk}/network/?view=published").content.decode()
    assert "as viewers see it: publication 1" in preview
    assert not any(name in preview for name in story.names)


def test_a_viewer_cannot_publish(viewer_client: Any, story: network_story.Story) -> None:
    response = viewer_client.post(f"/academy/{story.academy.pk}/network/publish/")
    assert response.status_code == 404
    assert not NetworkPublication.objects.exists()


def test_a_lowered_threshold_never_splits_what_was_published_pooled(
        story: network_story.Story) -> None:
    from tracelead.publishing.services import cycle_create

    cycle_create(system=story.academy.system, name="Autumn", threshold=7, comment_threshold=7)
    first = publication.publish(story.academy, today=dt.date(2026, 11, 3))
    cycle_create(system=story.academy.system, name="Winter", threshold=5, comment_threshold=5)
    assert selectors.network_threshold(story.academy) == 5
    second = publication.publish(story.academy, today=dt.date(2026, 12, 3))
    assert first.threshold == second.threshold == 7
    # At 7 the council's five are pooled: its name is in neither publication.
    assert "Vale Council" not in str(second.page) + str(second.graph)


# --- Two publications compared ---------------------------------------------------------------


def test_last_month_s_pool_less_this_month_s_group_would_give_a_small_organisation_away(
        academy: Any, make_member: Any) -> None:
    """All in the acute sector, threshold 5. In October: Alder (5 people), Birch (3) and
    Cedar (2). Alder is shown; Birch and Cedar, 5 together, are pooled. In November three
    more join Birch (6): Birch is shown alone, and Cedar's 2, alone too few, would be
    pooled with the smallest group kept, Alder. Then October's pool (Birch and Cedar) less
    November's Birch is Cedar alone: two people's ties, by subtraction. The publication
    pools further instead."""
    system = academy.system
    orgs = {name: Organisation.objects.create(system=system, name=name, sector=Sector.ACUTE)
            for name in ("Alder", "Birch", "Cedar")}
    october = timezone.make_aware(dt.datetime(2026, 10, 1, 9))
    november = timezone.make_aware(dt.datetime(2026, 11, 10, 9))
    people: dict[str, list[Any]] = {name: [] for name in orgs}
    for name, count in (("Alder", 5), ("Birch", 3), ("Cedar", 2)):
        for n in range(count):
            people[name].append(make_member(f"{name} Person {n}", organisation=orgs[name],
                                            joined_at=october))
    for n in range(3, 6):
        people["Birch"].append(make_member(f"Birch Person {n}", organisation=orgs["Birch"],
                                           joined_at=november))
    first = publication.publish(academy, today=dt.date(2026, 10, 31))
    cells = {f"{name}\x1f{Sector.ACUTE}" for name in orgs}
    assert sorted(map(sorted, first.pooling["organisation"])) == [
        [f"Alder\x1f{Sector.ACUTE}"], [f"Birch\x1f{Sector.ACUTE}", f"Cedar\x1f{Sector.ACUTE}"]]

    # What the plain grouping would publish in November, and what it would give away.
    network = selectors.network_for(academy, end=dt.date(2026, 11, 30),
                                    today=dt.date(2026, 11, 30))
    plain = {g: selectors.grouped_network(network, grouping=g, threshold=5)
             for g in publication.GROUPINGS}
    plain_pooling = publication.pooling_of(plain, network)
    assert sorted(map(sorted, plain_pooling["organisation"])) == [
        [f"Alder\x1f{Sector.ACUTE}", f"Cedar\x1f{Sector.ACUTE}"], [f"Birch\x1f{Sector.ACUTE}"]]
    hidden = publication.hidden_cells(network, 5)
    assert hidden == [[f"Cedar\x1f{Sector.ACUTE}"]]
    assert publication.exposed([first.pooling], plain_pooling, hidden) == [0]

    second = publication.publish(academy, today=dt.date(2026, 11, 30))
    assert second.widened >= 1
    assert publication.exposed([first.pooling], second.pooling, hidden) == []
    organisation_groups = [set(g) for g in second.pooling["organisation"]]
    assert {f"Birch\x1f{Sector.ACUTE}"} not in organisation_groups
    assert set().union(*organisation_groups) == cells
    # The viewer's page for November says what it pooled, and names no small group.
    labels = {n["label"] for n in second.graph["views"]["organisation"]["nodes"]}
    assert "Cedar" not in labels and "Birch" not in labels


def test_the_organisation_and_sector_views_of_one_publication_isolate_no_small_sector(
        academy: Any, make_member: Any) -> None:
    """One publication, two views. Acute: Alder 6. Community: Dunmore 5. Mental health:
    Elm 2. Organisations: Alder and Dunmore shown, Elm's 2 pooled with the smallest kept
    (Dunmore). Sectors: acute and community shown, mental health's 2 pooled with community.
    Either way Elm is never a group of its own, and the two views do not subtract to it."""
    system = academy.system
    specs = (("Alder", Sector.ACUTE, 6), ("Dunmore", Sector.COMMUNITY, 5),
             ("Elm", Sector.MENTAL_HEALTH, 2))
    for name, sector, count in specs:
        org = Organisation.objects.create(system=system, name=name, sector=sector)
        for n in range(count):
            make_member(f"{name} Person {n}", organisation=org)
    made = publication.publish(academy)
    network = selectors.network_for(academy)
    hidden = publication.hidden_cells(network, 5)
    assert [f"Elm\x1f{Sector.MENTAL_HEALTH}"] in hidden
    assert publication.exposed([], made.pooling, hidden) == []
    # And the test would catch it: publishing Elm's sector alone beside everything else.
    leaky = {"organisation": made.pooling["organisation"],
             "sector": [[f"Elm\x1f{Sector.MENTAL_HEALTH}"],
                        [f"Alder\x1f{Sector.ACUTE}", f"Dunmore\x1f{Sector.COMMUNITY}"]]}
    assert publication.exposed([], leaky, hidden) != []


def test_the_stored_workbook_is_the_one_served(viewer_client: Any,
                                               story: network_story.Story) -> None:
    made = publication.publish(story.academy)
    served = viewer_client.get(f"/academy/{story.academy.pk}/network.xlsx")
    assert served.content == bytes(made.xlsx)
    assert f"network-{made.as_of.isoformat()}.xlsx" in served["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(served.content))
    assert book.sheetnames


def test_new_ties_outside_events_are_pooled_so_the_total_less_the_events_is_not_small(
        story: network_story.Story) -> None:
    """The story's 9 new ties: workshop 1 made 5 (6 people), workshop 2 made 3, the evening
    1. Add one tie made outside any event (Ella and Kay worked together): 10 in total.
    Listed events and the total would give that one tie away; it is pooled with workshop 2
    and the evening (3 + 1 + 1 = 5), and workshop 1 stays listed."""
    ella, kay = story.people["Ella"], story.people["Kay"]
    first, second = sorted((ella, kay), key=lambda m: m.pk)
    Connection.objects.create(academy=story.academy, first=first, second=second,
                              kind=ConnectionKind.WORKED, on=timezone.localdate(),
                              source="facilitator")
    network = selectors.network_for(story.academy)
    assert network.report is not None and network.report.new_ties == 10
    rows = selectors.figures(network, named=False, threshold=5).per_event
    assert [(r.title, r.new_ties) for r in rows] == [
        ("Leading Together: workshop 1", "5"),
        ("Other events together (2), and new ties made outside events", "5")]
