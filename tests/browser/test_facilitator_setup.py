"""A facilitator sets up a system, an organisation, nested groups and an assessment."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import pytest
from browser_helpers import assert_nhs_styles_and_script, sign_in
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def _add_group(page: Any, name: str, space: str, organisation: str, parent: str = "") -> None:
    page.get_by_role("link", name="Add a group").click()
    page.get_by_label("Name of the group").fill(name)
    page.get_by_role("group", name="Which space does this group lead in?").get_by_label(
        space, exact=True
    ).check()
    page.get_by_role("combobox", name="Organisation").select_option(label=organisation)
    if parent:
        page.get_by_label("Part of a larger group (optional)").select_option(label=parent)
    page.get_by_role("button", name="Add group").click()
    expect(page.get_by_role("status")).to_contain_text(f"Added {name}.")


def test_a_facilitator_sets_up_an_assessment_and_its_links(
    live_server: Any, page: Any, console: Any, make_facilitator: Any, settings: Any
) -> None:
    from django.utils import timezone

    settings.TRACELEAD_SYSTEM_CREATORS = "anyone-signed-in"  # fiona starts her own system
    make_facilitator()
    console.watch(page)
    sign_in(page, live_server.url, "fiona.facilitator")
    expect(page).to_have_url(f"{live_server.url}/systems/")
    assert_nhs_styles_and_script(page)

    page.get_by_role("link", name="Add a system").click()
    page.get_by_label("Name of the system").fill("Riverside ICS")
    page.get_by_role("button", name="Add system").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Riverside ICS")

    page.get_by_role("link", name="Add an organisation").click()
    page.get_by_label("Name of the organisation").fill("Riverside Hospitals")
    page.get_by_label("Mental health", exact=True).check()
    page.get_by_role("button", name="Add organisation").click()
    organisations = page.get_by_role("table", name="Organisations in Riverside ICS")
    expect(organisations.locator("tbody tr")).to_have_text([re.compile("Riverside Hospitals")])
    expect(organisations).to_contain_text("Mental health")

    _add_group(page, "Riverside board", "Organisation", "Riverside Hospitals")
    _add_group(page, "Crisis team", "Team", "Riverside Hospitals", parent="Riverside board")
    groups = page.get_by_role("table", name="Groups in Riverside ICS").locator("tbody tr")
    expect(groups).to_have_count(2)
    expect(groups.nth(1)).to_contain_text("within Riverside board")
    expect(groups.nth(1)).to_contain_text("Team")

    # Rounds belong to a reporting cycle, which holds the anonymity thresholds.
    page.get_by_role("link", name="Reporting cycles").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reporting cycles")
    expect(page.locator("main")).to_contain_text("No cycles yet.")
    page.get_by_role("link", name="Add a reporting cycle").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a reporting cycle")
    expect(page.get_by_label("Fewest responses before any figure is shown")).to_have_value("5")
    expect(page.get_by_label("Fewest responses before any comment is shown")).to_have_value("10")
    page.get_by_label("Name", exact=True).fill("Spring 2026")
    page.get_by_label("Fewest responses before any figure is shown").fill("6")
    page.get_by_label("Fewest responses before any comment is shown").fill("4")
    page.get_by_role("button", name="Add cycle").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(
        "The threshold for comments cannot be lower than the one for figures"
    )
    page.get_by_label("Fewest responses before any comment is shown").fill("12")
    page.get_by_role("button", name="Add cycle").click()
    expect(page.get_by_role("status")).to_contain_text("Created the cycle Spring 2026.")
    cycles = page.get_by_role("table", name="Cycles of Riverside ICS").locator("tbody tr")
    expect(cycles).to_have_count(1)
    expect(cycles.first.locator("th, td")).to_have_text(
        ["Spring 2026", "6", "12", "0", "0", re.compile("Heatmap")]
    )
    page.get_by_role("link", name="Riverside ICS").click()
    groups = page.get_by_role("table", name="Groups in Riverside ICS").locator("tbody tr")

    groups.nth(1).get_by_role("link", name="Open an assessment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open an assessment")
    expect(page.get_by_label("Group to assess")).to_have_value(re.compile(r"^\d+$"))
    assert "Crisis team" in page.locator("#id_group option:checked").inner_text()
    expect(page.get_by_label("Fewest responses before any figure is shown")).to_have_count(0)
    expect(page.get_by_label("Reporting cycle")).to_have_value("")
    page.get_by_label("Reporting cycle").select_option(
        label="Spring 2026 (Riverside ICS; figures from 6, comments from 12)"
    )
    today = timezone.localdate()
    expect(page.get_by_label("Opens on")).to_have_value(today.isoformat())
    expect(page.get_by_label("Closes on")).to_have_value(
        (today + dt.timedelta(days=21)).isoformat()
    )
    expect(page.get_by_label("Member of the group")).to_be_checked()
    page.get_by_label("Title").fill("Crisis team – spring")
    page.get_by_label("Stakeholder outside the group").check()
    # "Who will answer?" takes several kinds: checkboxes, not radios.
    expect(page.get_by_role("checkbox", name="Member of the group")).to_be_checked()
    page.get_by_label("Closes on").fill((today + dt.timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Save and create links").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Links for Crisis team – spring")
    page.get_by_label("Member of the group").check()
    page.get_by_label("How many links?").fill("3")
    page.get_by_role("button", name="Create links").click()
    expect(page.get_by_role("status").filter(has_text="Created")).to_contain_text(
        "Created 3 links.")
    expect(page.locator("main")).to_contain_text("3 created so far.")
    expect(page.locator("main")).to_contain_text("They cannot be shown again")
    listed = page.get_by_role("region", name="New personal links").locator("tbody tr")
    expect(listed).to_have_count(3)

    open_link = page.locator("#open-link")
    expect(open_link).to_have_text(re.compile(rf"^{re.escape(live_server.url)}/r/[\w-]{{20,}}/$"))
    qr = page.get_by_role("img", name="QR code for the open link")
    expect(qr.locator("svg")).to_be_visible()
    assert qr.locator("svg path").count() >= 1

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download these links (CSV, once)").click()
    download = download_info.value
    assert re.fullmatch(r"assessment-\d+-links\.csv", download.suggested_filename)
    with open(download.path(), encoding="utf-8") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read())))
    assert len(rows) == 3
    assert {row["rater_kind"] for row in rows} == {"member"}
    assert list(rows[0]) == ["label", "rater_kind", "link"]  # nothing says who answered
    assert len({row["link"] for row in rows}) == 3
    assert all(row["link"].startswith(f"{live_server.url}/r/") for row in rows)

    # The round's page names its cycle and thresholds, and shows no count yet.
    open_link_url = open_link.inner_text()
    page.goto(f"{live_server.url}/assessments/")
    page.get_by_role("link", name="Crisis team – spring").click()
    expect(page.locator("main")).to_contain_text("Spring 2026")
    expect(page.locator("main")).to_contain_text("Figures from 6 responses, comments from 12")
    expect(page.locator("#not-published")).to_contain_text("Fewer than 6 responses so far")

    # The open link works for a respondent, who is asked how they know the group.
    page.goto(open_link_url)
    expect(page.get_by_role("group", name="How do you know Crisis team?")).to_be_visible()
    console.assert_clean()
