"""A respondent answers on a phone, stops, comes back, submits; the facilitator sees results."""

from __future__ import annotations

import re
from typing import Any

import pytest
from browser_helpers import (
    PHONE,
    answer_scale_page,
    assert_nhs_styles_and_script,
    assert_no_sideways_scroll,
    screenshot,
    sign_in,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

AGREE, NEITHER, DONT_KNOW = "Agree", "Neither agree nor disagree", "Don't know"
# Pages 1 to 5 are Task, Route, Alignment, Capability, Energy; seven statements each.
ANSWERS = {
    1: [AGREE] * 6 + [DONT_KNOW],
    2: ["Strongly agree", "Disagree", AGREE, DONT_KNOW, NEITHER, AGREE, "Strongly disagree"],
    3: ["Disagree", DONT_KNOW, AGREE, AGREE, "Strongly agree", NEITHER, "Disagree"],
    4: [AGREE, AGREE, NEITHER, NEITHER, "Disagree", AGREE, "Strongly agree"],
    5: [NEITHER] * 7,
}
TASK_STATEMENT = "We get people home safely and soon, because hospital is not home."
ONE_CHANGE = "One shared list of who is waiting, seen by every partner."


@pytest.fixture
def survey(system: Any, team: Any, make_assessment: Any, add_responses: Any) -> Any:
    """An open TRACE round at the minimum threshold (3) with two answers in already."""
    from tracelead.diagnostics import services

    assessment = make_assessment(team, threshold=3, comment_threshold=3)
    add_responses(
        assessment,
        [4, 2],
        free_text=[
            {"task_statement": "Safe discharge.", "one_change": "Fewer handoffs."},
            {"task_statement": "Flow.", "one_change": ""},
        ],
    )
    (invitation,) = services.invitations_create(assessment=assessment, rater_kind="member", count=1)
    return assessment, invitation


def _continue(page: Any, to_page: int) -> None:
    page.get_by_role("button", name="Save and continue").click()
    expect(page).to_have_url(re.compile(rf"/{to_page}/$"))
    expect(page.locator(".nhsuk-caption-l")).to_have_text(f"Page {to_page} of 6")


def test_a_respondent_stops_comes_back_on_another_page_and_submits_at_360px(
    live_server: Any, browser: Any, console: Any, survey: Any, make_facilitator: Any
) -> None:
    assessment, invitation = survey
    link = f"{live_server.url}/r/{invitation.token}/"

    # First sitting: the introduction, then pages 1 to 3.
    context = browser.new_context(viewport=PHONE)
    page = console.watch(context.new_page())
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("TRACE leadership diagnostic")
    expect(page.get_by_role("heading", name="How your anonymity is protected")).to_be_visible()
    expect(page.locator("main")).to_contain_text("at least 3 people have answered")
    assert_nhs_styles_and_script(page)
    assert_no_sideways_scroll(page, "the introduction")
    page.get_by_role("button", name="Start now").click()
    expect(page).to_have_url(re.compile(r"/r/[\w-]+/1/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Task")
    assert_no_sideways_scroll(page, "a question page")
    for number in (1, 2, 3):
        answer_scale_page(page, ANSWERS[number])
        if number == 1:
            screenshot(page, "question-page-360.png")
        _continue(page, number + 1)
    resume_code = page.locator("#resume-code").inner_text()
    context.close()

    # Second sitting, in a different browser: the link alone shows no answers; the resume
    # code moves them here, and the link resumes where they stopped.
    context = browser.new_context(viewport=PHONE)
    page = console.watch(context.new_page())
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This link is in use on another device"
    )
    assert_no_sideways_scroll(page, "the resume page")
    page.get_by_label("Resume code").fill(resume_code.lower())
    page.get_by_role("button", name="Continue here").click()
    expect(page).to_have_url(re.compile(r"/4/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Capability")
    page.get_by_role("button", name="Back", exact=True).click()  # the back link saves the page
    expect(page).to_have_url(re.compile(r"/3/$"))
    fieldsets = page.locator("form#main-form fieldset fieldset")
    for index, choice in enumerate(ANSWERS[3]):
        expect(fieldsets.nth(index).get_by_label(choice, exact=True)).to_be_checked()
    _continue(page, 4)
    answer_scale_page(page, ANSWERS[4])
    _continue(page, 5)
    answer_scale_page(page, ANSWERS[5])
    _continue(page, 6)
    expect(page.get_by_role("heading", level=1)).to_have_text("In your own words")
    page.get_by_label("In one sentence, what is this group here to achieve").fill(TASK_STATEMENT)
    page.get_by_label("What one change would help this group most?").fill(ONE_CHANGE)
    page.get_by_role("button", name="Submit my answers").click()
    expect(page).to_have_url(re.compile(r"/r/done/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your answers have been submitted")

    # Afterwards the link shows the same page as a link in use elsewhere: it never says
    # whether its person has answered.
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This link is in use on another device"
    )
    context.close()

    # The facilitator signs in. The round is open, so its page shows a count (the threshold
    # is now met) and no figures, until they publish its results.
    make_facilitator(assessment.group.system)
    context = browser.new_context(viewport=PHONE)
    page = console.watch(context.new_page())
    results = f"/assessments/{assessment.pk}/"
    sign_in(page, live_server.url, "fiona.facilitator", next_path=results)
    expect(page).to_have_url(live_server.url + results)
    expect(page.locator("#progress")).to_have_text(re.compile(r"^3 responses so far\b"))
    expect(page.locator("#profile")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text(TASK_STATEMENT)
    page.get_by_role("button", name="Publish results now").click()
    expect(page.get_by_role("status")).to_contain_text("Published as publication 1")
    expect(page.locator("#response-count")).to_contain_text("3 people answered")
    rows = page.locator("#profile tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.locator("th")).to_have_text(["Task", "Route", "Alignment", "Capability", "Energy"])
    means = rows.locator("td:nth-child(2)").all_inner_texts()
    assert all(re.fullmatch(r"\d\.\d\d", mean) for mean in means), means
    # Task: 4, 2 and this respondent's six 4s (Don't know left out); Energy: 4, 2 and 3.
    assert means[0] == "3.33" and means[4] == "3.00", means
    bars = page.locator("svg.tl-dist")
    # Statements this respondent answered "Don't know" have only two ratings, under the
    # threshold of three, so they are hidden; every other statement has its bar.
    hidden = page.get_by_text("Hidden: too few people gave a rating")
    assert hidden.count() >= 1
    expect(bars).to_have_count(35 - hidden.count())
    assert bars.first.bounding_box()["width"] > 0
    assert bars.first.locator("rect").count() >= 2
    expect(bars.first).to_have_attribute("aria-label", re.compile(r"% answered 1"))
    expect(page.locator("main")).to_contain_text(TASK_STATEMENT)
    assert_nhs_styles_and_script(page)
    assert_no_sideways_scroll(page, "the results page")
    screenshot(page, "results-page-360.png")
    context.close()

    console.assert_clean()
