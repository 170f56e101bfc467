"""Many groups at once: the heatmap of a cycle as published, complementary suppression,
filters that only hide rows, the cycle switch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from django.urls import reverse
from report_helpers import SECRET_NAME, varied_rows

from tracelead.analysis import condition_profile
from tracelead.diagnostics.models import Response
from tracelead.diagnostics.packing import answers_matrix
from tracelead.reports.selectors import (
    WITHHELD_SENTENCE,
    group_report,
    many_groups_report,
)

pytestmark = pytest.mark.django_db


def _published_profile(assessment: Any, trace: Any) -> Any:
    answers = list(Response.objects.filter(assessment=assessment, publication__isnull=False)
                   .values_list("answers", flat=True))
    return condition_profile(answers_matrix(answers, trace.item_keys), trace.item_scale_keys)


def _figures(report: Any) -> dict[str, tuple[Any, ...]]:
    return {row.name: (row.status, row.n, row.assessment_id, row.cells) for row in report.rows}


def test_the_heatmap_shows_each_group_as_its_cycle_published_it(
    reports_data: Any, system: Any, trace: Any
) -> None:
    report = many_groups_report(system)
    assert report.cycle == reports_data["spring"]
    assert report.publication == reports_data["publication"]
    rows = {row.name: row for row in report.rows}
    ward = rows["Ward 7 team"]
    assert ward.shown and ward.assessment_id == reports_data["now"].pk and ward.n == 8
    expected = _published_profile(reports_data["now"], trace)
    for cell, result in zip(ward.cells, expected.conditions, strict=True):
        assert cell.mean == pytest.approx(result.mean)
        assert cell.rwg_j == pytest.approx(result.rwg_j)
    assert rows[SECRET_NAME].status == "hidden"
    assert rows[SECRET_NAME].cells == () and rows[SECRET_NAME].n == 0


def test_the_heatmap_stays_the_same_after_a_new_round_opens_or_a_response_arrives(
    reports_data: Any, system: Any, team: Any, make_assessment: Any, add_responses: Any,
    trace: Any,
) -> None:
    spring = reports_data["spring"]
    before = _figures(many_groups_report(system, cycle=spring))
    # Ordinary actions after the publication: Ward 7's next round opens in a new cycle and
    # gets answers; one late response reaches the payload team's closed round.
    pulse = make_assessment(team)
    assert pulse.cycle not in (spring, reports_data["winter"])
    add_responses(pulse, varied_rows(9, 7, trace.item_keys, centre=1.5))
    add_responses(reports_data["payload_round"], [1])
    assert _figures(many_groups_report(system, cycle=spring)) == before
    assert _figures(many_groups_report(system)) == before  # still the default cycle
    assert spring.publications.count() == 1
    # The new cycle shows Ward 7 as not published yet, and nothing else.
    new = {row.name: row for row in many_groups_report(system, cycle=pulse.cycle).rows}
    assert new["Ward 7 team"].status == "pending" and new["Ward 7 team"].cells == ()
    assert {row.status for name, row in new.items() if name != "Ward 7 team"} == {"no_results"}


def test_switching_cycles_shows_the_other_cycles_figures(
    facilitator_client: Any, reports_data: Any, system: Any, trace: Any
) -> None:
    winter = reports_data["winter"]
    report = many_groups_report(system, cycle=winter)
    assert report.cycle == winter and report.publication is not None
    assert [c.name for c in report.cycles] == ["Spring 2026", "Winter 2025"]
    rows = {row.name: row for row in report.rows}
    ward = rows["Ward 7 team"]
    assert ward.shown and ward.n == 7 and ward.assessment_id == reports_data["before"].pk
    expected = _published_profile(reports_data["before"], trace)
    for cell, result in zip(ward.cells, expected.conditions, strict=True):
        assert cell.mean == pytest.approx(result.mean)
    assert rows[SECRET_NAME].status == "no_results"
    url = reverse("report_system", args=[system.pk])
    page = facilitator_client.get(url, {"cycle": winter.pk}).content.decode()
    assert f"{expected.conditions[0].mean:.1f} · {expected.conditions[0].rwg_j:.2f}" in page
    assert "Winter 2025, as published on" in page
    assert f'<option value="{winter.pk}" selected' in page
    spring_page = facilitator_client.get(url).content.decode()
    assert "Spring 2026, as published on" in spring_page
    assert f"{expected.conditions[0].mean:.1f} · {expected.conditions[0].rwg_j:.2f}" \
        not in spring_page
    for bad in ("x", "999999"):
        assert facilitator_client.get(url, {"cycle": bad}).status_code == 404


def test_a_sibling_that_would_reveal_a_small_group_is_hidden_too(
    system: Any, organisation: Any, make_assessment: Any, add_responses: Any, trace: Any,
    close_and_publish: Any,
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
    small_round = make_assessment(small, cycle=big_round.cycle)
    add_responses(small_round, [1, 2])
    close_and_publish(big_round, small_round)
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
    # In the same words as a round under the threshold: which one it is stays unknown.
    assert big_report.summary == group_report(small_round).summary == [WITHHELD_SENTENCE]


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


def test_each_row_of_the_table_links_to_its_own_group_report(
    facilitator_client: Any, reports_data: Any, system: Any
) -> None:
    import html
    import re

    page = facilitator_client.get(reverse("report_system", args=[system.pk])).content.decode()
    table = page.split('id="heatmap"')[1]
    rows = re.findall(r'data-group="(\d+)".*?<th scope="row"[^>]*>\s*(.*?)</th>', table, re.S)
    links = {html.unescape(name): href for _, cell in rows
             for href, name in re.findall(r'<a href="([^"]+)">([^<]+)</a>', cell)}
    report = many_groups_report(system)
    linked = [row for row in report.rows if row.assessment_id]
    assert len(linked) >= 2
    assert links == {row.name: reverse("report_group", args=[row.assessment_id])
                     for row in linked}


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
                                      close_and_publish: Any,
                                      django_assert_max_num_queries: Any) -> None:
    from tracelead.organisations import services
    from tracelead.organisations.models import Space

    rounds = []
    for n in range(12):
        group = services.group_create(system=system, organisation=organisation,
                                      name=f"Team {n}", space=Space.TEAM)
        rounds.append(make_assessment(group))
        add_responses(rounds[-1], varied_rows(n, 5, trace.item_keys))
    close_and_publish(*rounds)
    facilitator_client.get(reverse("report_system", args=[system.pk]))  # warm caches
    with django_assert_max_num_queries(20):
        assert facilitator_client.get(reverse("report_system", args=[system.pk])).status_code == 200
    assert np.isfinite(many_groups_report(system).rows[0].cells[0].mean)


def test_responses_without_a_fitting_packed_copy_are_read_from_their_answers(
    system: Any, organisation: Any, make_assessment: Any, add_responses: Any, trace: Any,
    close_and_publish: Any,
) -> None:
    from tracelead.organisations import services
    from tracelead.organisations.models import Space

    rows = varied_rows(11, 7, trace.item_keys)
    rounds = {}
    for name in ("Packed", "Unpacked"):
        group = services.group_create(system=system, organisation=organisation, name=name,
                                      space=Space.TEAM)
        rounds[name] = make_assessment(group)
        add_responses(rounds[name], rows)
    # As for rows written before the packed copy existed, or by another instrument version.
    Response.objects.filter(assessment=rounds["Unpacked"]).update(packed="")
    close_and_publish(*rounds.values())
    heatmap = {row.name: row for row in many_groups_report(system).rows}
    expected = condition_profile(answers_matrix(rows, trace.item_keys), trace.item_scale_keys)
    for name in rounds:
        assert heatmap[name].shown and heatmap[name].n == 7
        for cell, result in zip(heatmap[name].cells, expected.conditions, strict=True):
            assert (cell.shown, cell.n) == (True, result.n)
            assert cell.mean == pytest.approx(result.mean)
