"""No hidden group can be recovered by subtraction from anything a viewer can request.

On the seeded demo system, a viewer of the whole system requests the heatmap of every
reporting cycle under every filter (organisation, sector, space, and both measures) and
every round's report. Each published figure is a count (or sum) over a set of rounds: a
group's heatmap row covers its own round in that cycle and those of every group inside it;
a group report covers its own round.
A hidden round's count can be derived by adding and subtracting published figures exactly
when its unit vector lies in the row space of the coverage matrix; the test checks with
NumPy's rank that none does. Means are sums over the same sets, so the same check covers
them. Showing a hidden group's "more responses needed" would publish its count directly,
so nobody sees it.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from markupsafe import escape

from tracelead.diagnostics.models import Assessment
from tracelead.organisations.models import Group
from tracelead.publishing.models import Cycle
from tracelead.reports.selectors import group_report, many_groups_report


@pytest.fixture
def demo(demo_once: Any, db: Any) -> Any:
    return demo_once


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

    rounds = list(Assessment.objects.filter(group__system=system))
    column = {a.pk: i for i, a in enumerate(rounds)}  # one unknown per round: its count
    true_n = np.array([a.responses.count() for a in rounds], dtype=float)

    rows: list[np.ndarray] = []
    hidden: set[int] = set()
    organisations = [""] + [str(o.pk) for o in system.organisations.all()]
    sectors = ["", *sorted({g.organisation.sector for g in groups if g.organisation})]
    spaces = ["", "self", "team", "organisation", "system"]
    views = 0
    for cycle in Cycle.objects.filter(system=system):
        in_cycle = {a.group_id: a for a in rounds if a.cycle_id == cycle.pk}
        for org, sector, space, measure in itertools.product(
            organisations, sectors, spaces, ("level", "sharedness")
        ):
            organisation = system.organisations.get(pk=org) if org else None
            report = many_groups_report(system, cycle=cycle, organisation=organisation,
                                        sector=sector, space=space, measure=measure)
            views += 1
            for row in report.rows:
                if row.status == "hidden" and row.group_id in in_cycle:
                    hidden.add(in_cycle[row.group_id].pk)
                if not row.shown:
                    continue
                coverage = np.zeros(len(rounds))
                for pk in subtree(row.group_id):
                    if pk in in_cycle:
                        coverage[column[in_cycle[pk].pk]] = 1
                # The model of what a row covers must match what it publishes.
                assert coverage @ true_n == row.n, row.name
                rows.append(coverage)
    for assessment in rounds:
        report = group_report(assessment)
        text = " ".join(report.summary)
        if report.disclosed:
            coverage = np.zeros(len(rounds))
            coverage[column[assessment.pk]] = 1
            rows.append(coverage)
        elif report.state == "withheld":
            hidden.add(assessment.pk)
            assert "more" not in text and str(assessment.responses.count()) not in text
    assert views >= 100
    assert hidden, "the demo should hide at least one round"
    matrix = np.array(rows)
    rank = np.linalg.matrix_rank(matrix)
    for pk in hidden:
        probe = np.zeros(len(rounds))
        probe[column[pk]] = 1
        recoverable = np.linalg.matrix_rank(np.vstack([matrix, probe])) == rank
        name = next(a.title for a in rounds if a.pk == pk)
        assert not recoverable, f"{name}'s count can be worked out from what is published"


def test_nobody_sees_how_many_answered_a_hidden_round_not_even_its_facilitator(
    demo: Any, client: Any, django_user_model: Any
) -> None:
    from tracelead.organisations.models import SystemMembership, SystemRole
    from tracelead.reports.selectors import WITHHELD_SENTENCE

    small = Assessment.objects.filter(group__name="Public Health intelligence team").first()
    # The sibling hidden to protect it (complementary suppression) in the same cycle.
    withheld = next(a for a in Assessment.objects.filter(cycle=small.cycle).exclude(pk=small.pk)
                    if group_report(a).state == "withheld")
    viewer = django_user_model.objects.create_user("board.viewer")
    SystemMembership.objects.create(user=viewer, system=demo.system, role=SystemRole.VIEWER)
    facilitator = django_user_model.objects.get(username="facilitator")
    for user in (viewer, facilitator):
        client.force_login(user)
        pages = {}
        for assessment in (small, withheld):
            for url in (f"/assessments/{assessment.pk}/", f"/reports/assessments/{assessment.pk}/"):
                page = client.get(url).content.decode()
                pages[url] = page
                # One wording for "too few" and "protecting a smaller group", and no count.
                assert str(escape(WITHHELD_SENTENCE)) in page, url
                assert "more response" not in page and "more needed" not in page, url
            body = client.get(f"/api/v1/assessments/{assessment.pk}/results").json()
            assert body["state"] == "withheld" and body["n_responses"] is None
        # The below-threshold round and the one hidden to protect it read the same.
        texts = [page.split('id="below-threshold"')[1][:600] for page in pages.values()]
        assert len({t.split("</div>")[0] for t in texts}) == 1
