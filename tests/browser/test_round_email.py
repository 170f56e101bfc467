"""The round's email page and the unsubscribe page in Chromium on a phone: axe-core
(WCAG 2.2 AA) finds nothing serious on the page, its error state, its preview and the
unsubscribe page; nothing scrolls sideways at 360 px; the console stays clean."""

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

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_round_email_pages_have_no_serious_accessibility_problems(
    live_server: Any, phone: Any, console: Any, team: Any, make_assessment: Any,
    make_facilitator: Any
) -> None:
    from tracelead.messaging import services
    from tracelead.messaging.models import Invitee
    from tracelead.messaging.unsubscribe import unsubscribe_url

    assessment = make_assessment(team)
    make_facilitator(team.system)
    page = phone
    sign_in(page, live_server.url, "fiona.facilitator")

    page.goto(f"{live_server.url}/assessments/{assessment.pk}/")
    page.get_by_role("link", name="Invite by email").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invite by email")
    assert_nhs_styles_and_script(page)
    assert_no_sideways_scroll(page, "the round's email page")
    assert_accessible(page, "the round's email page")

    page.get_by_label("Email addresses").fill("amara.okafor@example.nhs.uk\nben at ward 7")
    page.get_by_role("button", name="Send invitations").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("These are not email addresses: ben, at, ward, 7")
    expect(summary).to_be_focused()
    assert page.title().startswith("Error: ")
    assert_no_sideways_scroll(page, "the email page with an error")
    assert_accessible(page, "the email page with an error")

    page.get_by_label("Subject of the invitation").fill("Ward 7 and {group}: a short survey")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#preview")
    expect(preview).to_contain_text("Ward 7 and Ward 7 team: a short survey")
    expect(preview).to_contain_text("/r/your-personal-link/")
    assert re.search(r"#preview$", page.url)
    assert_no_sideways_scroll(page, "the email page's preview")
    assert_accessible(page, "the email page's preview")

    services.invitees_invite(
        assessment=assessment, emails=["chloe.park@example.nhs.uk"], rater_kind="member"
    )
    invitee = Invitee.objects.get(invitation__assessment=assessment)
    page.goto(unsubscribe_url(invitee.pk).replace(
        "http://127.0.0.1:8000", live_server.url))
    expect(page.get_by_role("heading", level=1)).to_have_text("Stop reminders")
    assert_no_sideways_scroll(page, "the unsubscribe page")
    assert_accessible(page, "the unsubscribe page")
    page.get_by_role("button", name="Stop reminders").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You will get no more reminders")
    assert_accessible(page, "the unsubscribed page")
    invitee.refresh_from_db()
    assert invitee.unsubscribed_at is not None
    console.assert_clean()
