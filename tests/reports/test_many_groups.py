"""Many groups at once: the heatmap, complementary suppression, filters that only hide rows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from django.urls import reverse
from report_helpers import SECRET_NAME, varied_rows

from tracelead.analysis import condition_profile
from tracelead.diagnostics.models import Response
from tracelead.reports.selectors import answers_matrix, group_report, many_groups_report

pytestmark = pytest.mark.django_db


def test_the_heatmap_shows_each_groups_latest_round(reports_data: Any, system: Any,
                                                    trace: Any) -> None:
    report = many_groups_report(system)
    rows = {row.name: row for row in report.rows}
    ward = rows["Ward 7 team"]
    assert ward.shown and ward.assessment_id == reports_data["now"].pk
    answers = list(Response.objects.filter(assessment=reports_data["now"])
                   .values_list("answers", flat=True))
    expected = condition_profile(answers_matrix(answers, trace.item_keys),
                                 trace.item_scale_keys)
    for cell, result in zip(ward.cells, expected.conditions, strict=True):
        assert cell.mean == pytest.approx(result.mean)
        assert cell.rwg_j == pytest.approx(result.rwg_j)
    assert rows[SECRET_NAME].status == "hidden"
    assert rows[SECRET_NAME].cells == ()


def test_a_sibling_that_would_reveal_a_small_group_is_hidden_too(
    system: Any, organisation: Any, make_assessment: Any, add_responses: Any, trace: Any
) -> None:
    from tracelead.organisations import services
    from tracelead.organisations.models import Space

    parent = services.group_create(system=system, organisation=organisation,
                                   name="Hospital leadership", space=Space.ORGANISATION)
    big = services.group_create(system=system, organisation=organisation, name="Big team",
                                space=Space.TEAM, parent=parent)
    small = services.group_create(system=system, organisation=organisation, name="Small team",
                                  space=Space.TEAM, parent=parent)
    big_round = make_assessment(big)
    add_responses(big_round, varied_rows(5, 6, trace.item_keys))
    add_responses(make_assessment(small), [1, 2])
    report = many_groups_report(system)
    rows = {row.name: row for row in report.rows}
    # The parent (8 people) is shown, so the big team (6) would give the small one by
    # subtraction: it is hidden as well, on the heatmap and on its own report.
    assert rows["Hospital leadership"].shown and rows["Hospital leadership"].n == 8
    assert rows["Big team"].status == "hidden"
    assert rows["Small team"].status == "hidden"
    big_report = group_report(big_round)
    assert not big_report.disclosed and big_report.hidden_by_hierarchy
    assert big_report.conditions == []


def test_filters_hide_rows_and_change_no_figure(reports_data: Any, system: Any) -> None:
    from tracelead.organisations.models import Organisation

    everything = many_groups_report(system)
    council = Organisation.objects.get(name="Vale Council")
    filtered = many_groups_report(system, organisation=council, measure="sharedness")
    names = {row.name for row in filtered.rows}
    assert "Ward 7 team" not in names and SECRET_NAME in names
    by_id = {row.group_id: row for row in everything.rows}
    for row in filtered.rows:
        assert row.cells == by_id[row.group_id].cells
        assert row.status == by_id[row.group_id].status
    assert many_groups_report(system, sector="acute").rows[0].name == "Ward 7 team"
    assert {r.space for r in many_groups_report(system, space="team").rows} == {"team"}


def test_the_page_switches_measure_and_filters_by_get(
    facilitator_client: Any, reports_data: Any, system: Any
) -> None:
    url = reverse("report_system", args=[system.pk])
    level = facilitator_client.get(url).content.decode()
    assert "Level (mean 1 to 5)" in level
    shared = facilitator_client.get(url, {"measure": "sharedness", "sector": "acute"})
    text = shared.content.decode()
    assert "Sharedness (rwg(j), 0 to 1)" in text
    assert "Ward 7 team" in text and "Vale Council" not in text.split('id="heatmap"')[1]
    # Nonsense in the query string is ignored, never an error page.
    assert facilitator_client.get(url, {"measure": "x", "space": "<b>"}).status_code == 200
    assert facilitator_client.get(url, {"organisation": "999999"}).status_code == 404


def test_no_page_query_runs_per_group(facilitator_client: Any, system: Any, organisation: Any,
                                      make_assessment: Any, add_responses: Any, trace: Any,
                                      django_assert_max_num_queries: Any) -> None:
    from tracelead.organisations import services
    from tracelead.organisations.models import Space

    for n in range(12):
        group = services.group_create(system=system, organisation=organisation,
                                      name=f"Team {n}", space=Space.TEAM)
        add_responses(make_assessment(group), varied_rows(n, 5, trace.item_keys))
    facilitator_client.get(reverse("report_system", args=[system.pk]))  # warm caches
    with django_assert_max_num_queries(20):
        assert facilitator_client.get(reverse("report_system", args=[system.pk])).status_code == 200
    assert np.isfinite(many_groups_report(system).rows[0].cells[0].mean)


def test_responses_without_a_fitting_packed_copy_are_read_from_their_answers(
    reports_data: Any, system: Any
) -> None:
    before = {row.name: row.cells for row in many_groups_report(system).rows}
    # As for rows written before the packed copy existed, or by another instrument version.
    Response.objects.filter(assessment=reports_data["now"]).update(packed="")
    after = {row.name: row.cells for row in many_groups_report(system).rows}
    assert after.keys() == before.keys()
    for name, cells in before.items():
        for old, new in zip(cells, after[name], strict=True):
            assert (old.shown, old.n) == (new.shown, new.n)
            assert np.isclose(old.mean, new.mean, equal_nan=True)
