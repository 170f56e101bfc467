"""The report pages in headless Chromium: charts drawn under our CSP, filters, axe, 360 px."""

from __future__ import annotations

import re
from typing import Any

import pytest
from browser_helpers import (
    assert_accessible,
    assert_nhs_styles_and_script,
    assert_no_sideways_scroll,
    screenshot,
    sign_in,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def reported(system: Any, organisation: Any, team: Any, make_assessment: Any,
             add_responses: Any, close_and_publish: Any) -> dict[str, Any]:
    """A published cycle with two disclosed teams in two sectors and a team below
    threshold, after an earlier published cycle with Ward 7's previous round."""
    import datetime as dt

    from tracelead.organisations import services
    from tracelead.organisations.models import Sector, Space
    from tracelead.publishing.gate import publish_due
    from tracelead.publishing.services import cycle_create

    council = services.organisation_create(system=system, name="Vale Council",
                                           sector=Sector.LOCAL_AUTHORITY)
    care = services.group_create(system=system, organisation=council, name="Adult care team",
                                 space=Space.TEAM)
    small = services.group_create(system=system, organisation=council, name="Tiny team",
                                  space=Space.TEAM)
    earlier = cycle_create(system=system, name="Winter 2025", threshold=5, comment_threshold=5)
    current = cycle_create(system=system, name="Spring 2026", threshold=5, comment_threshold=5)
    before = make_assessment(team, cycle=earlier, opens_on=dt.date(2025, 1, 6),
                             closes_on=dt.date(2025, 2, 6))
    add_responses(before, [2, 3, 2, 3, 2, 3])
    assert publish_due(earlier) is not None  # closed long ago: published
    now = make_assessment(team, cycle=current)
    add_responses(now, [5, 4, 4, 5, {"task_1": 1, "task_2": None, "route_1": 3}, 2, 4],
                  free_text=[{"task_statement": f"Our task {n}"} for n in range(7)])
    care_round = make_assessment(care, cycle=current)
    add_responses(care_round, [3, 4, 3, 2, 4, 3])
    small_round = make_assessment(small, cycle=current)
    add_responses(small_round, [1, 5])
    close_and_publish(now, care_round, small_round)
    return {"assessment": now, "care": care, "small": small, "cycle": current}


def _chart_marks(page: Any, container: str) -> int:
    return page.locator(f"{container} svg path, {container} svg rect").count()


def test_the_group_report_draws_its_charts_and_passes_axe_on_a_phone(
    live_server: Any, phone: Any, console: Any, reported: Any, make_facilitator: Any,
    system: Any,
) -> None:
    make_facilitator(system)
    page = phone
    sign_in(page, live_server.url, "fiona.facilitator")
    page.goto(f"{live_server.url}/reports/assessments/{reported['assessment'].pk}/")
    assert_nhs_styles_and_script(page)
    # Drawn, not just the container: vega-embed put an SVG with marks in each chart.
    for chart in ("#chart-profile", "#chart-items-task", "#chart-change"):
        expect(page.locator(f"{chart}.tl-chart__canvas--drawn svg")).to_be_visible()
        assert _chart_marks(page, chart) > 5, f"{chart} has no marks"
    expect(page.locator("#summary")).to_contain_text("Seven people answered")
    expect(page.locator("#focus")).to_contain_text("Where to focus next")
    assert_no_sideways_scroll(page, "the group report")
    assert_accessible(page, "the group report")
    page.locator("#chart-profile-figure summary").click()
    expect(page.locator("#profile")).to_be_visible()
    screenshot(page, "report-group-360.png")
    console.assert_clean()


def test_the_heatmap_switches_measure_and_filters_rows(
    live_server: Any, browser: Any, console: Any, reported: Any, make_facilitator: Any,
    system: Any,
) -> None:
    make_facilitator(system)
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = console.watch(context.new_page())
    sign_in(page, live_server.url, "fiona.facilitator")
    page.goto(f"{live_server.url}/reports/systems/{system.pk}/")
    expect(page.locator("#chart-heatmap.tl-chart__canvas--drawn svg")).to_be_visible()
    assert _chart_marks(page, "#chart-heatmap") >= 2 * 5  # two shown groups x five
    rows = page.locator("#heatmap tbody tr")
    expect(rows).to_have_count(3)  # Ward 7, Adult care, Tiny team (hidden)
    expect(page.locator("#heatmap")).to_contain_text("Hidden to protect anonymity")
    # The newest published cycle is the one shown, and the page says when it was published.
    expect(page.locator("select#cycle")).to_have_value(str(reported["cycle"].pk))
    expect(page.locator("#publication-note")).to_contain_text(
        "Spring 2026, as published on")
    assert_accessible(page, "the heatmap")

    page.get_by_role("radio", name="Sharedness").check()
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"measure=sharedness"))
    expect(page.locator("#chart-heatmap.tl-chart__canvas--drawn svg")).to_be_visible()
    expect(page.locator("#chart-heatmap svg")).to_contain_text("Sharedness")

    page.get_by_label("Sector", exact=True).select_option(label="Local authority")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"sector=local_authority"))
    expect(page).to_have_url(re.compile(rf"cycle={reported['cycle'].pk}"))
    expect(rows).to_have_count(2)
    expect(page.locator("#heatmap")).not_to_contain_text("Ward 7")

    page.get_by_label("Sector", exact=True).select_option(label="All sectors")
    page.get_by_label("Space", exact=True).select_option(label="Team")
    page.get_by_label("Organisation", exact=True).select_option(label="Northbrook Hospitals")
    page.get_by_role("button", name="Show").click()
    expect(rows).to_have_count(1)
    expect(page.locator("#heatmap")).to_contain_text("Ward 7 team")

    page.get_by_role("link", name="Ward 7 team").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Group report")
    context.close()
    console.assert_clean()


def test_the_heatmap_page_works_on_a_phone(
    live_server: Any, phone: Any, console: Any, reported: Any, make_facilitator: Any,
    system: Any,
) -> None:
    make_facilitator(system)
    page = phone
    sign_in(page, live_server.url, "fiona.facilitator")
    page.goto(f"{live_server.url}/reports/systems/{system.pk}/?measure=sharedness")
    expect(page.locator("#chart-heatmap.tl-chart__canvas--drawn svg")).to_be_visible()
    assert_no_sideways_scroll(page, "the heatmap")
    assert_accessible(page, "the heatmap on a phone")
    screenshot(page, "report-heatmap-360.png")
    console.assert_clean()
