"""axe-core (WCAG 2.2 AA) on the respondent's and the facilitator's pages, at 360 px.

Each page is also checked for sideways scrolling on a phone and for console errors.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from browser_helpers import (
    assert_accessible,
    assert_nhs_styles_and_script,
    assert_no_sideways_scroll,
    sign_in,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def disclosed(system: Any, organisation: Any, team: Any, make_assessment: Any, add_responses: Any):
    """An open round past both thresholds, with personal links made."""
    from tracelead.diagnostics import services
    from tracelead.organisations import services as organisations
    from tracelead.organisations.models import Space

    organisations.group_create(
        system=system,
        organisation=organisation,
        name="Ward 7 nurses",
        space=Space.TEAM,
        parent=team,
    )
    assessment = make_assessment(team, threshold=3, comment_threshold=3)
    add_responses(
        assessment,
        [5, 4, {"task_1": 1, "task_2": None, "route_1": 3}, 2],
        free_text=[{"task_statement": f"Statement {n}", "one_change": ""} for n in range(4)],
    )
    services.invitations_create(assessment=assessment, rater_kind="member", count=2)
    return assessment


def test_the_respondent_pages_have_no_serious_accessibility_problems(
    live_server: Any, phone: Any, console: Any, disclosed: Any
) -> None:
    from tracelead.diagnostics import services

    (invitation,) = services.invitations_create(assessment=disclosed, rater_kind="member", count=1)
    link = f"{live_server.url}/r/{invitation.token}/"
    page = phone

    page.goto(link)
    assert_accessible(page, "the introduction")
    page.get_by_role("button", name="Start now").click()
    expect(page).to_have_url(re.compile(r"/1/$"))
    assert_accessible(page, "a question page")

    page.get_by_role("button", name="Save and continue").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_be_focused()  # the NHS script ran and moved focus to the summary
    assert page.title().startswith("Error: ")
    assert_no_sideways_scroll(page, "a question page with errors")
    assert_accessible(page, "a question page with the error summary")

    page.goto(f"{link}6/")
    expect(page.get_by_role("heading", level=1)).to_have_text("In your own words")
    # The character count is drawn by the NHS script: proof that the module loaded.
    expect(page.locator(".nhsuk-character-count__status").first).to_contain_text("500")
    assert_no_sideways_scroll(page, "the free-text page")
    assert_accessible(page, "the free-text page")
    console.assert_clean()


def test_the_facilitator_pages_have_no_serious_accessibility_problems(
    live_server: Any, phone: Any, console: Any, disclosed: Any, make_facilitator: Any
) -> None:
    make_facilitator(disclosed.group.system)
    page = phone
    page.goto(f"{live_server.url}/accounts/login/")
    assert_accessible(page, "the sign-in page")
    sign_in(page, live_server.url, "fiona.facilitator")
    system = disclosed.group.system
    pages = {
        "the systems list": "/systems/",
        "the system's page": f"/systems/{system.pk}/",
        "the reporting cycles": f"/systems/{system.pk}/cycles/",
        "the new cycle form": f"/systems/{system.pk}/cycles/new/",
        "the cycle's change form (thresholds fixed)": f"/cycles/{disclosed.cycle_id}/edit/",
        "the new assessment form": "/assessments/new/",
        "the links page": f"/assessments/{disclosed.pk}/links/",
        "an open round's page": f"/assessments/{disclosed.pk}/",
        "the heatmap before any publication": f"/reports/systems/{system.pk}/",
        "the assessments list": "/assessments/",
        "the API tokens page": "/accounts/tokens/",
        "the one-time codes page": "/accounts/two-factor/",
    }
    for what, path in pages.items():
        response = page.goto(live_server.url + path)
        assert response is not None and response.status == 200, what
        assert_nhs_styles_and_script(page)
        assert_no_sideways_scroll(page, what)
        assert_accessible(page, what)

    # A publishing point, and the pages that then show the published figures.
    page.goto(f"{live_server.url}/assessments/{disclosed.pk}/")
    expect(page.locator("#not-published")).to_be_visible()
    page.locator("#publish-now").click()
    expect(page.locator("#publication-note")).to_be_visible()
    expect(page.locator("#profile")).to_be_visible()
    assert_no_sideways_scroll(page, "a published round's page")
    assert_accessible(page, "a published round's page")
    page.goto(f"{live_server.url}/reports/assessments/{disclosed.pk}/")
    expect(page.locator("#chart-profile.tl-chart__canvas--drawn svg")).to_be_visible()
    assert_no_sideways_scroll(page, "the group report after a publishing point")
    assert_accessible(page, "the group report after a publishing point")
    # Ward 7 team has a nested group: its row waits for the close, but the note is there.
    page.goto(f"{live_server.url}/reports/systems/{system.pk}/?cycle={disclosed.cycle_id}")
    expect(page.locator("#publication-note")).to_contain_text("(publication 1)")
    assert_no_sideways_scroll(page, "the heatmap of a published cycle")
    assert_accessible(page, "the heatmap of a published cycle")

    # A form sent back with errors is also accessible.
    page.goto(f"{live_server.url}/assessments/new/")
    page.get_by_label("Title").fill("")
    page.get_by_role("button", name="Save and create links").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_focused()
    assert_accessible(page, "the new assessment form with errors")
    page.goto(f"{live_server.url}/systems/{system.pk}/cycles/new/")
    page.get_by_label("Fewest responses before any figure is shown").fill("2")
    page.get_by_role("button", name="Add cycle").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_focused()
    assert_no_sideways_scroll(page, "the new cycle form with errors")
    assert_accessible(page, "the new cycle form with errors")
    console.assert_clean()


def test_the_pages_that_keep_drafts_private_and_verify_open_links_are_accessible(
    live_server: Any, browser: Any, console: Any, team: Any, make_assessment: Any
) -> None:
    from browser_helpers import PHONE
    from django.core import mail

    from tracelead.diagnostics import services

    assessment = make_assessment(
        team,
        rater_kinds=("member", "stakeholder"),
        open_link_verify=True,
        open_link_domains="nhs.net",
    )
    (invitation,) = services.invitations_create(assessment=assessment, rater_kind="member", count=1)
    link = f"{live_server.url}/r/{invitation.token}/"
    own = browser.new_context(viewport=PHONE)
    mine = console.watch(own.new_page())
    mine.goto(link)
    mine.get_by_role("button", name="Start now").click()
    expect(mine.locator("#resume-code")).to_be_visible()
    assert_accessible(mine, "a question page with the resume code")
    own.close()

    other = browser.new_context(viewport=PHONE)
    page = console.watch(other.new_page())
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This link is in use on another device"
    )
    assert_no_sideways_scroll(page, "the resume page")
    assert_accessible(page, "the resume page")
    page.get_by_label("Resume code").fill("WXYZ-2345")
    page.get_by_role("button", name="Continue here").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_focused()
    assert_accessible(page, "the resume page with an error")

    open_link = f"{live_server.url}/r/{services.assessment_open_link(assessment=assessment)}/"
    page.goto(open_link)
    assert_accessible(page, "the open link asking for an email address")
    page.get_by_label("Member of the group").check()
    page.get_by_label("Your work email address").fill("sam@example.org")
    page.get_by_role("button", name="Send me a code").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("@nhs.net")
    assert_accessible(page, "the open link with a refused address")
    page.get_by_label("Your work email address").fill("sam.smith@nhs.net")
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code we sent you")
    assert_no_sideways_scroll(page, "the code page")
    assert_accessible(page, "the code page")
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    page.get_by_label("6-digit code").fill(code)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/1/$"))
    other.close()
    console.assert_clean()
