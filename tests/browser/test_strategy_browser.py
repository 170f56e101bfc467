"""The board's leadership strategy in a real browser, on a 360 px phone with each page
checked at 1280 px as well: start it, write the culture, change the framework, add and
import positions; axe finds nothing serious, critical or `region`, and no page scrolls
sideways."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import PHONE, assert_page_checked, at_both_widths, sign_in
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)



def _checked(page: Any, what: str) -> None:
    """The story runs at 360 px; each page it checks is checked at 1280 px as well."""
    at_both_widths(page, assert_page_checked, what)


def test_a_facilitator_builds_the_strategy_of_an_organisation(
    live_server: Any, browser: Any, console: Any, system: Any, organisation: Any,
    team: Any, make_facilitator: Any, tmp_path: Path
) -> None:
    make_facilitator(system)
    page = console.watch(browser.new_context(viewport=PHONE).new_page())
    sign_in(page, live_server.url, "fiona.facilitator", next_path=f"/systems/{system.pk}/")
    page.get_by_role("link", name=f"Strategy of {organisation.name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Collective leadership strategy")
    _checked(page, "the strategy before it starts")
    page.get_by_role("button", name="Start the leadership strategy").click()
    expect(page.get_by_role("status")).to_contain_text("The leadership strategy is started")
    _checked(page, "the workspace")

    page.get_by_role("link", name="Change the culture and values").click()
    page.get_by_label("The culture the board wants").fill("Everyone can speak up.")
    page.get_by_label("Values").fill("\n".join(f"Value {n}" for n in range(13)))
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("List at most 12 values")
    _checked(page, "the culture form with errors")
    page.get_by_label("Values").fill("Compassion\nOpenness")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#values")).to_contain_text("Openness")

    page.get_by_role("link", name="See the framework and its versions").click()
    _checked(page, "the framework")
    page.get_by_role("link", name="Add a behaviour").click()
    page.get_by_role("radio", name="For a role").check()
    page.get_by_label("Name", exact=True).fill("Leading ward rounds")
    page.get_by_label("What people would see").fill("Runs the round so everyone speaks.")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Name the role")
    page.get_by_label("For which role").fill("Consultants")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.locator("#version")).to_contain_text("Version 2 (Added “Leading ward rounds”)")
    _checked(page, "the framework's second version")

    page.goto(f"{live_server.url}/organisations/{organisation.pk}/strategy/positions/")
    page.get_by_role("link", name="Add a position").click()
    _checked(page, "the position form")
    page.get_by_label("Position", exact=True).fill("Ward manager")
    page.get_by_label("How many the organisation needs").fill("12")
    page.get_by_label("How many are in post").fill("9")
    page.get_by_label(team.name).check()
    page.get_by_label("Leading ward rounds").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#totals")).to_have_text("12 leaders needed, 9 in post, 3 vacant.")
    _checked(page, "the inventory")

    page.get_by_role("link", name="Import positions from a file").click()
    broken = tmp_path / "positions.csv"
    broken.write_text("title,needed\nMatron,lots\n", encoding="utf-8")
    page.get_by_label("CSV or Excel (.xlsx) file").set_input_files(str(broken))
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#problems")).to_contain_text(
        "line 2, column “needed”: must be a whole number")
    _checked(page, "the import with a broken file")
    good = tmp_path / "good.csv"
    good.write_text("title,needed,in post,succession\nMatron,24,19,none\n", encoding="utf-8")
    page.get_by_label("CSV or Excel (.xlsx) file").set_input_files(str(good))
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#imported")).to_contain_text("Imported 1 new position")
    page.get_by_role("link", name="See the leadership inventory").click()
    expect(page.locator("#totals")).to_have_text("36 leaders needed, 28 in post, 8 vacant.")
    page.get_by_role("link", name=re.compile("The leadership strategy")).first.click()
    expect(page.locator("#no-cover")).to_contain_text("Matron, Ward manager")
    _checked(page, "the workspace with the inventory")

    page.get_by_role("link", name="Phases and milestones").click()
    page.get_by_role("link", name="Add a milestone").click()
    page.get_by_label("Design").check()
    page.get_by_label("Milestone", exact=True).fill("Framework agreed")
    page.get_by_label("Due by").fill("2026-02-10")
    page.get_by_label("Owner").fill("Chair")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#phase-design + ul")).to_contain_text("Framework agreed")
    _checked(page, "the milestones")
    page.goto(f"{live_server.url}/organisations/{organisation.pk}/strategy/outcomes/")
    page.get_by_role("button", name="Add the standard measures").click()
    for month, value in (("2026-01-01", "2400"), ("2026-03-01", "2100")):
        page.get_by_role("link", name="Record a value of Temporary staffing spend").click()
        page.get_by_label("Date").fill(month)
        page.get_by_label("Value").fill(value)
        page.get_by_role("button", name="Record").click()
    expect(page.locator("figure.tl-chart svg")).to_have_count(1)  # two values: one line
    _checked(page, "the outcomes with a chart")
    console.assert_clean()
    page.context.close()
