"""Publishing on a phone: cycles, an open round's counts, a publishing point and its
refusals, and the heatmap switched between two published cycles. axe on every page.

Results are never live: they appear only in a cycle's publications (at a round's close, or
at a facilitator's publishing point once a threshold's worth of new responses has arrived).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from browser_helpers import (
    PASSWORD,
    assert_accessible,
    assert_no_sideways_scroll,
    screenshot,
    sign_in,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def _checked(page: Any, what: str, shot: str = "") -> None:
    """Every page: nothing scrolls sideways at 360 px, axe finds nothing serious."""
    assert_no_sideways_scroll(page, what)
    assert_accessible(page, what)
    if shot:
        screenshot(page, shot)


def test_a_facilitator_publishes_an_open_round_once_enough_have_answered(
    live_server: Any,
    phone: Any,
    console: Any,
    system: Any,
    team: Any,
    make_facilitator: Any,
    make_assessment: Any,
    add_responses: Any,
) -> None:
    from tracelead.publishing.models import Cycle

    make_facilitator(system)
    page = phone
    sign_in(page, live_server.url, "fiona.facilitator", next_path=f"/systems/{system.pk}/")

    # Fiona adds the cycle that will hold the round, through the cycle pages.
    page.get_by_role("link", name="Reporting cycles").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reporting cycles")
    _checked(page, "the reporting cycles, none yet")
    page.get_by_role("link", name="Add a reporting cycle").click()
    expect(page.get_by_label("Name", exact=True)).to_be_visible()
    _checked(page, "the new cycle form", "publishing-cycle-form-360.png")
    page.get_by_label("Name", exact=True).fill("Autumn 2026")
    page.get_by_role("button", name="Add cycle").click()
    expect(page.get_by_role("status")).to_contain_text("Created the cycle Autumn 2026.")
    cycles = page.get_by_role("table", name="Cycles of Northbrook ICS").locator("tbody tr")
    expect(cycles.locator("th")).to_have_text(["Autumn 2026"])
    expect(cycles.first.locator("td").nth(0)).to_have_text("5")
    expect(cycles.first.locator("td").nth(1)).to_have_text("10")
    _checked(page, "the reporting cycles", "publishing-cycles-360.png")

    # A round of Ward 7 opens in it, and three people answer: below the threshold of 5.
    cycle = Cycle.objects.get(system=system, name="Autumn 2026")
    assessment = make_assessment(team, cycle=cycle)
    add_responses(assessment, [4, 5, 4])
    round_page = f"{live_server.url}/assessments/{assessment.pk}/"
    page.goto(round_page)
    expect(page.locator("#not-published")).to_contain_text("Results are not published yet")
    expect(page.locator("#progress")).to_have_text("Fewer than 5 responses so far.")
    expect(page.locator("main")).not_to_contain_text("3 responses")
    expect(page.locator("#response-count")).to_have_count(0)
    expect(page.locator("#profile")).to_have_count(0)
    _checked(page, "an open round below its threshold")

    # Publishing now is refused: fewer than a threshold's worth of responses.
    page.locator("#publish-form").get_by_role("button", name="Publish results now").click()
    expect(page).to_have_url(round_page)
    expect(page.get_by_role("alert")).to_contain_text(
        "At least 5 responses are needed before this round's results can be published."
    )
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.get_by_role("status")).to_have_count(0)  # not shown as a confirmation
    expect(page.locator("#not-published")).to_be_visible()
    expect(page.locator("#profile")).to_have_count(0)
    _checked(page, "the refused publishing point", "publishing-refused-360.png")

    # Two more answer: the count is shown now that it has reached the threshold.
    add_responses(assessment, [5, 4])
    page.goto(round_page)
    expect(page.locator("#progress")).to_have_text("5 responses so far.")
    expect(page.locator("#profile")).to_have_count(0)
    _checked(page, "an open round at its threshold", "publishing-open-round-360.png")

    page.locator("#publish-now").click()
    expect(page.get_by_role("status")).to_contain_text("Published as publication 1 of Autumn 2026.")
    expect(page.locator("#response-count")).to_contain_text("5 people answered")
    expect(page.locator("#publication-note")).to_contain_text(
        re.compile(r"^Autumn 2026, as published on .+ \(publication 1\)")
    )
    means = page.locator("#profile tbody tr td:nth-child(2)")
    expect(means).to_have_text(["4.40"] * 5)  # every item 4, 5, 4, 5, 4
    expect(page.locator("#publish-form")).to_be_visible()  # the round is still open
    _checked(page, "a round published at a publishing point", "publishing-published-360.png")

    # The group report shows the same published figures, drawn.
    page.locator("#group-report-link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Group report")
    expect(page.locator("#summary")).to_contain_text("Five people answered")
    expect(page.locator("#chart-profile.tl-chart__canvas--drawn svg")).to_be_visible()
    page.locator("#chart-profile-figure summary").click()
    expect(page.locator("#profile tbody tr td:nth-child(2)")).to_have_text(["4.40"] * 5)
    _checked(page, "the group report after a publishing point", "publishing-report-360.png")

    # Two more answers are too few to publish again: the difference would single them out.
    # The published figures stay as they were.
    add_responses(assessment, [1, 1])
    page.goto(round_page)
    page.locator("#publish-now").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "At least 5 new responses must arrive after the last publication"
    )
    expect(page.locator("#response-count")).to_contain_text("5 people answered")
    expect(page.locator("#profile tbody tr td:nth-child(2)")).to_have_text(["4.40"] * 5)
    _checked(page, "a refused second publishing point")
    console.assert_clean()


@pytest.fixture
def two_cycles(
    system: Any,
    organisation: Any,
    team: Any,
    make_assessment: Any,
    add_responses: Any,
    close_and_publish: Any,
) -> dict[str, Any]:
    """Spring 2026 (Ward 7 only, closed long ago) and Autumn 2026 (Ward 7 and the
    discharge team, just closed), each published, with different figures."""
    from django.utils import timezone

    from tracelead.organisations import services
    from tracelead.organisations.models import Space
    from tracelead.publishing.gate import publish_due
    from tracelead.publishing.services import cycle_create

    discharge = services.group_create(
        system=system, organisation=organisation, name="Discharge team", space=Space.TEAM
    )
    spring = cycle_create(system=system, name="Spring 2026", threshold=5, comment_threshold=10)
    autumn = cycle_create(system=system, name="Autumn 2026", threshold=5, comment_threshold=10)
    today = timezone.localdate()
    before = make_assessment(
        team,
        cycle=spring,
        opens_on=today - dt.timedelta(days=120),
        closes_on=today - dt.timedelta(days=90),
    )
    add_responses(before, [2, 2, 3, 2, 3])  # every condition 2.4
    assert publish_due(spring) is not None
    ward = make_assessment(team, cycle=autumn)
    add_responses(ward, [4, 5, 4, 5, 4])  # 4.4
    other = make_assessment(discharge, cycle=autumn)
    add_responses(other, [3, 3, 4, 3, 3])  # 3.2
    close_and_publish(ward, other)
    return {"spring": spring, "autumn": autumn, "ward": team, "discharge": discharge}


def _levels(page: Any, group: Any) -> Any:
    return page.locator(f'#heatmap tbody tr[data-group="{group.pk}"] td')


def test_a_viewer_switches_the_heatmap_between_two_cycles_on_a_phone(
    live_server: Any,
    phone: Any,
    console: Any,
    system: Any,
    viewer: Any,
    two_cycles: Any,
) -> None:
    viewer.set_password(PASSWORD)
    viewer.save()
    spring, autumn = two_cycles["spring"], two_cycles["autumn"]
    ward, discharge = two_cycles["ward"], two_cycles["discharge"]
    page = phone
    sign_in(page, live_server.url, "vic.viewer", next_path=f"/systems/{system.pk}/")
    page.get_by_role("link", name="Results across the groups (heatmap)").click()

    # The newest published cycle comes first.
    expect(page.locator("#chart-heatmap.tl-chart__canvas--drawn svg")).to_be_visible()
    cycle_select = page.locator("select#cycle")
    expect(cycle_select).to_have_value(str(autumn.pk))
    expect(page.get_by_label("Reporting cycle")).to_have_value(str(autumn.pk))
    expect(page.locator("#publication-note")).to_contain_text(
        re.compile(r"^Autumn 2026, as published on .+ \(publication 1\)")
    )
    expect(_levels(page, ward)).to_have_text(["5"] + [re.compile(r"^4\.4 · ")] * 5)
    expect(_levels(page, discharge)).to_have_text(["5"] + [re.compile(r"^3\.2 · ")] * 5)
    _checked(page, "the heatmap of Autumn 2026", "publishing-heatmap-autumn-360.png")

    # Spring: Ward 7's earlier figures, and no round of the discharge team.
    cycle_select.select_option(label="Spring 2026")
    page.locator("#apply-filters").click()
    expect(page).to_have_url(re.compile(rf"[?&]cycle={spring.pk}(&|$)"))
    expect(cycle_select).to_have_value(str(spring.pk))
    expect(page.locator("#publication-note")).to_contain_text(
        re.compile(r"^Spring 2026, as published on .+ \(publication 1\)")
    )
    expect(page.locator("#chart-heatmap.tl-chart__canvas--drawn svg")).to_be_visible()
    expect(_levels(page, ward)).to_have_text(["5"] + [re.compile(r"^2\.4 · ")] * 5)
    expect(_levels(page, discharge)).to_have_text(["No results yet"])
    _checked(page, "the heatmap of Spring 2026", "publishing-heatmap-spring-360.png")

    # And back: the choice of cycle, not the time of asking, decides the figures.
    cycle_select.select_option(label="Autumn 2026")
    page.locator("#apply-filters").click()
    expect(page).to_have_url(re.compile(rf"[?&]cycle={autumn.pk}(&|$)"))
    expect(_levels(page, ward)).to_have_text(["5"] + [re.compile(r"^4\.4 · ")] * 5)
    expect(page.locator("#publication-note")).to_contain_text("Autumn 2026")
    _checked(page, "the heatmap of Autumn 2026 again")

    # The row's link leads to the group report of that cycle's round.
    page.get_by_role("link", name="Ward 7 team").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Group report")
    expect(page.locator("#publication-note")).to_contain_text("Autumn 2026")
    expect(page.locator("#profile tbody tr td:nth-child(2)")).to_have_text(["4.40"] * 5)
    _checked(page, "the group report, as a viewer")
    console.assert_clean()
