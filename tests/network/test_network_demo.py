"""The demo's network tells the story its module promises (src/tracelead/network/demo.py):
people knew mostly colleagues at joining; the programme's workshops made new ties across
organisations and sectors, most among the core group, several of whom became brokers;
some ties became joint work; primary care is missing and a sector is thin; the
learning-community events added a few ties; and people met only where both checked in."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from typing import Any

import pytest

from tracelead.academy.models import Academy, CheckIn, Event
from tracelead.network import selectors
from tracelead.network.demo import network_demo_load
from tracelead.network.models import Connection, ConnectionKind

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 2)


DEMO_OPTIONS = {"today": TODAY}


@pytest.fixture
def academy(demo_once: object, db: object) -> Academy:
    return Academy.objects.get()


def _core(academy: Academy) -> set[int]:
    workshops = Event.objects.filter(academy=academy, programme__isnull=False,
                                     check_ins__isnull=False).distinct()
    sets = [set(CheckIn.objects.filter(event=e).values_list("member_id", flat=True))
            for e in workshops]
    return set.intersection(*sets)


def test_the_demo_network_tells_its_story(academy: Academy) -> None:
    network = selectors.network_for(academy, today=TODAY)
    report = network.report
    assert report is not None
    people = network.by_key
    core = _core(academy)
    assert len(core) >= 10
    # At joining, people knew mostly colleagues in their own organisation.
    knew = [t for t in network.ties if t.kind == ConnectionKind.KNEW]
    same = sum(people[t.a].organisation == people[t.b].organisation for t in knew)
    assert same / len(knew) > 0.7
    # The programme's workshops made many new ties across organisations and sectors.
    workshop_ties = [t for t in network.ties if t.kind == ConnectionKind.MET
                     and network.events[t.event].programme]
    across = sum(people[t.a].sector != people[t.b].sector for t in workshop_ties)
    assert len(workshop_ties) > 300 and across / len(workshop_ties) > 0.6
    assert report.new_ties > 300 and report.share_with_new_tie > 0
    assert report.cross_sector_share > 0.3
    # Most of the top brokers are from the core group who came to every session.
    top = [key for key, _ in report.brokers]
    assert sum(key in core for key in top) >= len(top) // 2
    # Some ties became joint work; learning-community events added a few ties.
    assert 10 <= sum(t.kind == ConnectionKind.WORKED for t in network.ties) < 200
    others = Counter(network.events[t.event].title for t in network.ties
                     if t.kind == ConnectionKind.MET and not network.events[t.event].programme)
    assert len(others) >= 5 and max(others.values()) < 25
    # Primary care is missing, and at least one sector is thin.
    assert report.sector_presence["primary_care"] == ("missing", 0)
    assert any(status == "thin" for status, _ in report.sector_presence.values())
    figures = selectors.figures(network, named=True)
    assert "Primary care" in " ".join(figures.summary)


def test_people_met_only_where_both_checked_in(academy: Academy) -> None:
    came = set(CheckIn.objects.filter(event__academy=academy).values_list("event_id",
                                                                          "member_id"))
    met = Connection.objects.filter(academy=academy, kind=ConnectionKind.MET)
    assert met.exists()
    for first, second, event in met.values_list("first_id", "second_id", "event_id"):
        assert (event, first) in came and (event, second) in came


def test_loading_the_network_is_quick(academy: Academy, django_assert_max_num_queries: Any
                                      ) -> None:
    Connection.objects.filter(academy=academy).delete()
    started = time.perf_counter()
    with django_assert_max_num_queries(40):
        count = network_demo_load(academy=academy, today=TODAY, seed=20261122)
    assert time.perf_counter() - started < 5
    assert count == Connection.objects.filter(academy=academy).count() > 1000
