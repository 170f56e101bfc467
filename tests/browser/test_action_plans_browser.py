"""Action plans, sharing, "Close now" and response tracking in a real browser, on a 360 px
phone, each page checked at 1280 px as well: axe finds nothing serious, critical or
`region`, and no page scrolls sideways."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import pytest
from browser_helpers import (
    PASSWORD,
    PHONE,
    assert_page_checked,
    at_both_widths,
    sign_in,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)



def _checked(page: Any, what: str) -> None:
    """The story runs at 360 px; each page it checks is checked at 1280 px as well."""
    at_both_widths(page, assert_page_checked, what)


def _rows(seed: int, n: int, keys: tuple[str, ...], centre: float) -> list[dict[str, int]]:
    rng = np.random.default_rng(seed)
    return [{k: int(v) for k, v in zip(
        keys, np.clip(np.rint(rng.normal(centre, 0.8, len(keys))), 1, 5), strict=True)}
        for _ in range(n)]


@pytest.fixture
def published_rounds(system: Any, team: Any, make_assessment: Any, add_responses: Any,
                     close_and_publish: Any, trace: Any) -> dict[str, Any]:
    from tracelead.publishing.gate import publish_due
    from tracelead.publishing.services import cycle_create

    winter = cycle_create(system=system, name="Winter 2025", threshold=5, comment_threshold=10)
    before = make_assessment(team, cycle=winter, title="Ward 7 – winter",
                             opens_on=dt.date(2025, 1, 6), closes_on=dt.date(2025, 2, 6))
    add_responses(before, _rows(1, 7, trace.item_keys, 2.5))
    publish_due(winter)
    spring = cycle_create(system=system, name="Spring 2026", threshold=5, comment_threshold=10)
    now = make_assessment(team, cycle=spring, title="Ward 7 – spring")
    add_responses(now, _rows(2, 8, trace.item_keys, 4.0))
    close_and_publish(now)
    return {"before": before, "now": now}


def test_a_team_leader_keeps_the_action_plan_and_the_next_report_reviews_it(
    live_server: Any, browser: Any, console: Any, system: Any, team: Any,
    make_facilitator: Any, make_user: Any, published_rounds: Any
) -> None:
    from tracelead.organisations.models import SystemMembership, SystemRole

    leader = make_user("lena.leader")
    leader.set_password(PASSWORD)
    leader.save()
    SystemMembership.objects.create(user=leader, system=system, role=SystemRole.VIEWER,
                                    group=team)
    before = published_rounds["before"]
    page = console.watch(browser.new_context(viewport=PHONE).new_page())
    sign_in(page, live_server.url, "lena.leader",
            next_path=f"/reports/assessments/{before.pk}/")
    page.get_by_role("link", name=re.compile("Open the action plan")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Action plan")
    _checked(page, "the empty action plan")

    page.get_by_role("link", name="Add an action").click()
    _checked(page, "the action form")
    page.get_by_role("button", name="Add the action").click()  # nothing filled in
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Enter what the team will do")
    _checked(page, "the action form with errors")
    page.get_by_label("What will the team do?").fill("Agree our three priorities")
    page.get_by_label("Who will make sure it happens?").fill("Ward manager")
    page.get_by_label("Done").check()
    page.get_by_role("button", name="Add the action").click()
    expect(page.get_by_role("status")).to_contain_text("Added “Agree our three priorities”")
    expect(page.locator("#plan")).to_contain_text("Ward manager")
    _checked(page, "the action plan with an action")

    now = published_rounds["now"]
    page.goto(f"{live_server.url}/reports/assessments/{now.pk}/")
    expect(page.locator("#actions-done")).to_contain_text("Agree our three priorities")
    _checked(page, "the next round's report with the review")
    console.assert_clean()
    page.context.close()


def test_a_facilitator_shares_a_group_and_closes_a_round_now(
    live_server: Any, browser: Any, console: Any, system: Any, team: Any,
    make_facilitator: Any, make_assessment: Any, add_responses: Any, make_user: Any
) -> None:
    from tracelead.actions.tracking import tally_record
    from tracelead.organisations.models import SystemMembership, SystemRole

    make_facilitator(system)
    viewer = make_user("vera.viewer.with.a.rather.long.name", email="vera@example.org")
    SystemMembership.objects.create(user=viewer, system=system, role=SystemRole.VIEWER)
    open_round = make_assessment(team, title="Ward 7 – pulse")
    add_responses(open_round, [4] * 6)
    tally_record(assessment_id=open_round.pk)
    page = console.watch(browser.new_context(viewport=PHONE).new_page())
    sign_in(page, live_server.url, "fiona.facilitator", next_path=f"/systems/{system.pk}/")
    page.get_by_role("link", name="Share results with viewers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Share results with viewers")
    expect(page.locator("#viewers")).to_contain_text("vera.viewer")
    _checked(page, "the sharing page")
    page.get_by_label("Email address").fill("new.person@example.nhs.uk")
    page.get_by_label("What they may see").select_option(label="Ward 7 team (group)")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Sent an invitation")
    expect(page.locator("#invitations")).to_contain_text("new.person@example.nhs.uk")
    _checked(page, "the sharing page with an invitation")

    page.goto(f"{live_server.url}/cycles/{open_round.cycle_id}/responses/")
    expect(page.locator(f"#count-{open_round.pk}")).to_contain_text("6 responses so far")
    expect(page.locator(f"#chart-responses-{open_round.pk} svg")).to_be_visible()
    _checked(page, "response tracking")

    page.goto(f"{live_server.url}/assessments/{open_round.pk}/")
    page.get_by_role("link", name="Close now").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Close Ward 7 – pulse now?")
    _checked(page, "the close confirmation")
    page.get_by_role("button", name="Close the round now").click()
    expect(page.get_by_role("status")).to_contain_text("Closed Ward 7 – pulse.")
    expect(page.get_by_role("link", name="Close now")).to_have_count(0)
    console.assert_clean()
    page.context.close()
