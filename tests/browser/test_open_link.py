"""The open link: one response per device, resumed on the same device by its cookie."""

from __future__ import annotations

import re
from typing import Any

import pytest
from browser_helpers import PHONE, answer_scale_page
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_open_link_resumes_on_the_same_device(
    live_server: Any, browser: Any, console: Any, team: Any, make_assessment: Any
) -> None:
    from tracelead.diagnostics import services

    assessment = make_assessment(team, rater_kinds=("member", "stakeholder"))
    link = f"{live_server.url}/r/{services.assessment_open_link(assessment=assessment)}/"
    context = browser.new_context(viewport=PHONE)
    page = console.watch(context.new_page())

    page.goto(link)
    page.get_by_role("button", name="Start now").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Choose how you know this group")
    page.get_by_label("Stakeholder outside the group").check()
    page.get_by_role("button", name="Start now").click()
    expect(page).to_have_url(re.compile(r"/1/$"))
    answer_scale_page(page, ["Agree", "Don't know", "Disagree", "Agree", "Agree", "Agree", "Agree"])
    page.get_by_role("button", name="Save and continue").click()
    expect(page).to_have_url(re.compile(r"/2/$"))
    page.close()

    # Same browser, so the same device cookie: the open link picks up at page 2.
    again = console.watch(context.new_page())
    again.goto(link)
    expect(again).to_have_url(re.compile(r"/2/$"))
    expect(again.get_by_role("heading", level=1)).to_have_text("Route")
    again.get_by_role("button", name="Back", exact=True).click()  # the back link saves the page
    expect(
        again.locator("form#main-form fieldset fieldset").nth(1).get_by_label("Don't know")
    ).to_be_checked()
    context.close()

    # Another device starts afresh at the introduction.
    other = browser.new_context(viewport=PHONE)
    fresh = console.watch(other.new_page())
    fresh.goto(link)
    expect(fresh).to_have_url(link)
    expect(fresh.get_by_role("button", name="Start now")).to_be_visible()
    other.close()
    console.assert_clean()
