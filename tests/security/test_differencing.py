"""No hidden group can be recovered by subtraction from anything a viewer can request.

On the seeded demo system, a viewer of the whole system requests the heatmap under every
filter (organisation, sector, space, and both measures) and every group's report. Each
published figure is a count (or sum) over a set of rounds: a group's heatmap row covers its
own latest round and those of every group inside it; a group report covers its own round.
A hidden round's count can be derived by adding and subtracting published figures exactly
when its unit vector lies in the row space of the coverage matrix; the test checks with
NumPy's rank that none does. Means are sums over the same sets, so the same check covers
them. Showing a hidden group's "more responses needed" would publish its count directly,
so the viewer must not see it.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from tracelead.demo import demo_load
from tracelead.diagnostics.models import Assessment
from tracelead.organisations.models import Group
from tracelead.reports.selectors import group_report, many_groups_report


@pytest.fixture
def demo(db: Any, settings: Any) -> Any:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return demo_load()


def _latest_rounds(system: Any) -> dict[int, Assessment]:
    latest: dict[int, Assessment] = {}
    for assessment in Assessment.objects.filter(group__system=system).order_by("opens_on", "pk"):
        latest[assessment.group_id] = assessment
    return latest


def test_no_hidden_round_can_be_solved_for_from_every_view_a_viewer_can_request(
    demo: Any,
) -> None:
    system = demo.system
    groups = list(Group.objects.filter(system=system))
    children: dict[int | None, list[int]] = {}
    for group in groups:
        children.setdefault(group.parent_id, []).append(group.pk)

    def subtree(pk: int) -> set[int]:
        found, stack = {pk}, [pk]
        while stack:
            for child in children.get(stack.pop(), []):
                found.add(child)
                stack.append(child)
        return found

    latest = _latest_rounds(system)
    units = sorted(latest)  # one unknown per group's latest round: its number of responses
    column = {pk: i for i, pk in enumerate(units)}
    true_n = np.array([latest[pk].responses.count() for pk in units], dtype=float)

    rows: list[np.ndarray] = []
    published: list[float] = []
    hidden: set[int] = set()
    organisations = [""] + [str(o.pk) for o in system.organisations.all()]
    sectors = ["", *sorted({g.organisation.sector for g in groups if g.organisation})]
    spaces = ["", "self", "team", "organisation", "system"]
    views = 0
    for org, sector, space, measure in itertools.product(
        organisations, sectors, spaces, ("level", "sharedness")
    ):
        organisation = system.organisations.get(pk=org) if org else None
        report = many_groups_report(
            system, organisation=organisation, sector=sector, space=space, measure=measure
        )
        views += 1
        for row in report.rows:
            if row.status == "hidden":
                hidden.add(row.group_id)
            if not row.shown:
                continue
            coverage = np.zeros(len(units))
            for pk in subtree(row.group_id):
                if pk in column:
                    coverage[column[pk]] = 1
            # The model of what a row covers must match what it publishes.
            assert coverage @ true_n == row.n, row.name
            rows.append(coverage)
            published.append(row.n)
    for pk, assessment in latest.items():
        report = group_report(assessment, show_progress=False)
        text = " ".join(report.summary)
        if report.disclosed:
            coverage = np.zeros(len(units))
            coverage[column[pk]] = 1
            rows.append(coverage)
            published.append(report.n_responses)
        else:
            hidden.add(pk)
            assert str(report.more_needed) + " more" not in text
    assert views >= 100
    hidden_units = [pk for pk in hidden if pk in column]
    assert hidden_units, "the demo should hide at least one round"
    matrix = np.array(rows)
    rank = np.linalg.matrix_rank(matrix)
    for pk in hidden_units:
        probe = np.zeros(len(units))
        probe[column[pk]] = 1
        recoverable = np.linalg.matrix_rank(np.vstack([matrix, probe])) == rank
        name = next(g.name for g in groups if g.pk == pk)
        assert not recoverable, f"{name}'s count can be worked out from what is published"


def test_only_facilitators_see_how_many_more_responses_a_hidden_round_needs(
    demo: Any, client: Any, django_user_model: Any
) -> None:
    from tracelead.organisations.models import SystemMembership, SystemRole

    small = Assessment.objects.filter(group__name="Public Health intelligence team").first()
    viewer = django_user_model.objects.create_user("board.viewer")
    SystemMembership.objects.create(user=viewer, system=demo.system, role=SystemRole.VIEWER)
    client.force_login(viewer)
    for url in (f"/assessments/{small.pk}/", f"/reports/assessments/{small.pk}/"):
        page = client.get(url).content.decode()
        assert "Not enough responses yet" in page and "more response" not in page, url
    assert client.get(f"/api/v1/assessments/{small.pk}/results").json()["more_needed"] is None
    facilitator = django_user_model.objects.get(username="facilitator")
    client.force_login(facilitator)
    assert "2 more responses are needed" in client.get(f"/assessments/{small.pk}/").content.decode()
