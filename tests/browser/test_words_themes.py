"""The words in headless Chromium at 360 px: the group report's task convergence and the
facilitator's themes page (merge, pin a flagged quote), both checked with axe."""

from __future__ import annotations

from typing import Any

import pytest
from browser_helpers import (
    assert_accessible,
    assert_no_sideways_scroll,
    screenshot,
    sign_in,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

TASKS = [
    "Reduce the delays in discharging patients from hospital once they are medically fit.",
    "Get medically fit patients discharged from hospital without long delays.",
    "Speed up hospital discharge for patients who no longer need a hospital bed.",
    "Look after staff wellbeing so that our nurses and carers stay in their jobs.",
    "Improve the wellbeing of staff and stop so many experienced staff leaving.",
    "Support staff wellbeing, reduce burnout and hold on to the staff we have.",
]
CHANGES = [
    "More protected time to plan together across teams.",
    "Protected planning time every month, away from the ward.",
    "Since Sarah left nobody runs the huddle properly.",
    "Clearer decisions about who owns what after each meeting.",
    "Decisions written down with a clear owner for each action.",
    "Our matron should not decide everything on her own.",
]


@pytest.fixture
def round_with_words(team: Any, make_assessment: Any, add_responses: Any,
                     close_and_publish: Any) -> Any:
    """Six answers in a cycle whose comments show from five, closed and published, with
    the convergence worked out as the worker would."""
    from tracelead.words.services import convergence_compute

    assessment = make_assessment(team, threshold=5, comment_threshold=5)
    add_responses(assessment, [4] * 6, free_text=[
        {"task_statement": t, "one_change": c} for t, c in zip(TASKS, CHANGES, strict=True)])
    close_and_publish(assessment)
    assert convergence_compute(assessment_id=assessment.pk) is not None
    return assessment


def test_the_convergence_and_the_themes_page_work_on_a_phone(
    live_server: Any, phone: Any, console: Any, round_with_words: Any,
    make_facilitator: Any, system: Any,
) -> None:
    make_facilitator(system)
    page = phone
    sign_in(page, live_server.url, "fiona.facilitator")
    page.goto(f"{live_server.url}/reports/assessments/{round_with_words.pk}/")
    expect(page.locator("#convergence-score")).to_contain_text("out of 100")
    expect(page.locator("#convergence-clusters tbody tr")).to_have_count(2)
    assert_no_sideways_scroll(page, "the group report with convergence")
    assert_accessible(page, "the group report with convergence")
    screenshot(page, "words-convergence-360.png")

    page.get_by_role("link", name="Sort this round's answers into themes").click()
    page.get_by_role("link", name="What one change would help this group most?").click()
    page.get_by_role("button", name="Find the themes").click()
    expect(page.locator("#method")).to_contain_text("in 6 answers")
    expect(page.get_by_text("may name a person: Sarah").first).to_be_visible()
    assert_no_sideways_scroll(page, "the themes page")
    assert_accessible(page, "the themes page")
    screenshot(page, "words-themes-360.png")

    # Pinning the flagged quote asks for the facilitator's check first.
    quote = page.locator("li.tl-quote", has_text="Since Sarah left").first
    quote.get_by_role("button", name="Pin for the evaluation").click()
    expect(page.locator(".nhsuk-error-summary, .nhsuk-error-message, [role=alert]").first
           ).to_contain_text("may identify someone")
    quote = page.locator("li.tl-quote", has_text="Since Sarah left").first
    quote.get_by_label("I have read it and it does not identify anyone").check()
    quote.get_by_role("button", name="Pin for the evaluation").click()
    expect(page.locator("#pinned-list")).to_contain_text("Since Sarah left")
    assert_accessible(page, "the themes page with a pinned quote")
    console.assert_clean()
