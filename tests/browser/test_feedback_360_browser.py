"""360 feedback on the board's framework in a real browser, on a 360 px phone with each page
checked at 1280 px as well: a facilitator starts a round and asks a line manager and three
peers, a peer answers through their link without signing in, the round closes, the
facilitator reads the report (peers shown together, an unasked kind "not shown"), the
position's summaries page, and the leader their own report; axe finds nothing serious,
critical or `region`, and no page scrolls sideways (a wide report table scrolls inside its
own wrapper)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from browser_helpers import (
    PASSWORD,
    PHONE,
    assert_page_checked,
    at_both_widths,
    sign_in,
)
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

LEADER_EMAIL = "asha.patel@nhs.net"




def _checked(page: Any, what: str) -> None:
    """The story runs at 360 px; each page it checks is checked at 1280 px as well."""
    at_both_widths(page, assert_page_checked, what)


def _pick(fieldset: Any, choice: str) -> None:
    """Choose an answer by clicking its label, as a person would, and see it chosen."""
    fieldset.locator("label", has_text=re.compile(rf"^\s*{re.escape(choice)}\s*$")).click()
    assert fieldset.get_by_label(choice, exact=True).is_checked()


def _emailed_links(*addresses: str) -> list[str]:
    """Each rater's link, from the email queued to them (the asker never sees one)."""
    from tracelead.messaging.models import OutboxMessage

    links = []
    for address in addresses:
        (message,) = OutboxMessage.objects.filter(to=address)
        links.extend(re.findall(r"https?://\S+/360/[\w-]+/", message.body))
    return links


def _progress(page: Any) -> dict[str, list[str]]:
    """The round's "Answers so far" table: each kind's asked and answered counts."""
    rows = page.locator("#progress tbody tr")
    return {rows.nth(n).locator("th").inner_text().strip():
            [cell.strip() for cell in rows.nth(n).locator("td").all_inner_texts()]
            for n in range(rows.count())}


def _report_wrapper_scrolls_alone(page: Any) -> None:
    """The page keeps to the viewport (checked by ``_checked``, at both widths); on the
    phone the report's table is wider than the screen and scrolls inside its focusable
    wrapper instead."""
    wrap = page.evaluate("""() => {
        const el = document.querySelector('.tl-table-wrap');
        return {overflow: getComputedStyle(el).overflowX, scroll: el.scrollWidth,
                client: el.clientWidth, role: el.getAttribute('role'),
                tabindex: el.getAttribute('tabindex')};
    }""")
    assert wrap["overflow"] == "auto" and wrap["role"] == "region" and wrap["tabindex"] == "0"
    assert wrap["scroll"] > wrap["client"], wrap


def test_a_round_of_360_feedback_from_asking_to_the_report(
    live_server: Any, browser: Any, console: Any, system: Any, organisation: Any,
    make_facilitator: Any, make_user: Any
) -> None:
    from tracelead.strategy import services
    from tracelead.strategy.models import FeedbackRound

    strategy = services.strategy_create(organisation=organisation)
    position = services.position_save(strategy=strategy, title="Ward manager", needed=5,
                                      in_post=5)
    leader = make_user("asha.patel", email=LEADER_EMAIL)  # the round links to this account
    leader.set_password(PASSWORD)
    leader.save()
    make_facilitator(system)

    page = console.watch(browser.new_context(viewport=PHONE).new_page())
    sign_in(page, live_server.url, "fiona.facilitator", next_path=f"/systems/{system.pk}/")
    page.get_by_role("link", name=f"Strategy of {organisation.name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Collective leadership strategy")
    page.get_by_role("link", name="360 feedback", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("360 feedback on the framework")
    expect(page.locator("#no-rounds")).to_have_text("No rounds yet.")
    _checked(page, "360 feedback before any round")

    # Start a round: empty first, to see the error summary.
    page.get_by_role("link", name="Start 360 feedback for a leader").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start 360 feedback for a leader")
    _checked(page, "the round form")
    page.get_by_role("button", name="Start", exact=True).click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Enter the leader's name")
    expect(summary).to_contain_text("Enter the closing date")
    _checked(page, "the round form with errors")
    page.get_by_label("The leader's name").fill("Asha Patel")
    page.get_by_label("The leader's email address (optional)").fill(LEADER_EMAIL)
    page.get_by_label("Their position").select_option(label="Ward manager")
    closes = timezone.localdate() + dt.timedelta(days=14)
    page.get_by_label("Closes on").fill(closes.isoformat())
    page.get_by_role("button", name="Start", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("360 feedback for Asha Patel")
    expect(page.get_by_role("status")).to_contain_text("Started 360 feedback for Asha Patel")
    expect(page.locator(".nhsuk-summary-list")).to_contain_text(
        "Reads the report when signed in")
    round_ = FeedbackRound.objects.get(leader_name="Asha Patel")
    assert round_.leader_id == leader.pk and round_.position_id == position.pk
    keys = list(round_.behaviours)
    assert len(keys) >= 3
    _checked(page, "the new round")

    # Ask the raters through the page's form; each gets their own link by email.
    page.get_by_role("button", name="Send the links").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(
        "Choose who they are to the leader")
    _checked(page, "the raters form with errors")
    page.get_by_role("radio", name="Line manager").check()
    page.get_by_label("Raters", exact=True).fill("Sam Lee")
    page.get_by_role("button", name="Send the links").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Line 1: give a name")
    page.get_by_label("Raters", exact=True).fill("Sam Lee, sam.lee@nhs.net")
    page.get_by_role("button", name="Send the links").click()
    expect(page.get_by_role("status")).to_contain_text("Sent 1 link by email")
    page.get_by_role("radio", name="Peers").check()
    page.get_by_label("Raters", exact=True).fill(
        "Peer one, p1@nhs.net\nPeer two, p2@nhs.net\nPeer three, p3@nhs.net")
    page.get_by_role("button", name="Send the links").click()
    expect(page.get_by_role("status")).to_contain_text("Sent 3 links by email")
    assert "/360/" not in page.content()
    (manager_link,) = _emailed_links("sam.lee@nhs.net")
    peer_links = _emailed_links("p1@nhs.net", "p2@nhs.net", "p3@nhs.net")
    assert len(set(peer_links)) == 3
    site = settings.TRACELEAD_SITE_URL.rstrip("/")
    manager_link, *peer_links = [live_server.url + link.removeprefix(site)
                                 for link in (manager_link, *peer_links)]
    assert _progress(page) == {"Self": ["0", "0"], "Line manager": ["1", "0"],
                               "Peers": ["3", "fewer than 3"], "Direct reports": ["0", "0"],
                               "Others": ["0", "0"]}
    _checked(page, "the round with raters asked")
    round_url = page.url.split("#")[0]

    # A peer opens their link in a fresh browser, not signed in, on a phone too.
    rater_context = browser.new_context(viewport=PHONE)
    rater = console.watch(rater_context.new_page())
    rater.goto(peer_links[0])
    expect(rater.get_by_role("heading", level=1)).to_have_text("360 feedback for Asha Patel")
    expect(rater.locator("#kind-note")).to_contain_text(
        "Peers' ratings are shown only together, and only where at least three peers")
    expect(rater.locator("#kind-note")).to_contain_text("your name is never shown")
    _checked(rater, "a peer's answer page")
    rater.get_by_role("button", name="Send my ratings").click()
    errors = rater.locator(".nhsuk-error-summary")
    expect(errors).to_contain_text("Choose how often you see this")
    expect(errors.get_by_role("link")).to_have_count(len(keys))
    _checked(rater, "a peer's answer page with errors")
    fieldsets = rater.locator("form#main-form fieldset")
    expect(fieldsets).to_have_count(len(keys))
    for index in range(len(keys)):
        last = index == len(keys) - 1
        _pick(fieldsets.nth(index), "I have not seen enough to say" if last else "Very often")
    rater.get_by_role("button", name="Send my ratings").click()
    expect(rater.get_by_role("heading", level=1)).to_have_text("Thank you")
    expect(rater.get_by_role("main")).to_contain_text("Your ratings for Asha Patel are saved")
    _checked(rater, "the thank-you page")
    rater.goto(peer_links[0])  # one answer a link
    expect(rater.locator("#answer-done")).to_contain_text("used to answer already")
    rater_context.close()

    # The other links answer from Python, as a rater's own browser would post them.
    for link, value in ((manager_link, 2), (peer_links[1], 3), (peer_links[2], 5)):
        posted = Client().post(link.removeprefix(live_server.url),
                               {f"b-{key}": str(value) for key in keys})
        assert posted.status_code == 200 and b"Thank you" in posted.content
    page.goto(round_url)
    counts = _progress(page)
    assert counts["Peers"] == ["3", "3"] and counts["Line manager"] == ["1", "1"], counts
    assert counts["Direct reports"] == ["0", "0"]

    # Close the round: the report is made.
    page.get_by_role("button", name="Close the round now").click()
    expect(page.get_by_role("status")).to_contain_text("The round is closed")
    expect(page.get_by_role("heading", level=1)).to_have_text("360 feedback for Asha Patel")
    expect(page.locator("#raters")).to_contain_text("Line manager 1")
    expect(page.locator("#raters")).to_contain_text("Peers 3")
    table = page.locator("table#report")
    first, last = table.locator(f"#report-{keys[0]}"), table.locator(f"#report-{keys[-1]}")
    # Three peers rated the first behaviour (4, 3 and 5): shown together, with their number.
    expect(first.locator("td[data-kind=peer]")).to_have_text(re.compile(r"^\s*4\.0 \(3\)\s*$"))
    expect(first.locator("td[data-kind=manager]")).to_have_text(
        re.compile(r"^\s*2\.0 \(1\)\s*$"))
    # Only two peers rated the last one: under three, so no figure at all.
    expect(last.locator("td[data-kind=peer]")).to_have_text(re.compile(r"^\s*not shown\s*$"))
    # No one was asked as "Others": every row says so rather than a number.
    others = table.locator("td[data-kind=other]")
    expect(others).to_have_count(len(keys))
    for text in others.all_inner_texts():
        assert text.strip() == "not shown", text
    for row in range(len(keys) - 1):
        expect(table.locator("tbody tr").nth(row).locator("td[data-kind=peer]")).to_have_text(
            re.compile(r"^\s*\d\.\d \(3\)\s*$"))
    _checked(page, "the report")
    _report_wrapper_scrolls_alone(page)

    # The rounds list links to the report; the position's summaries page is not ready yet.
    page.get_by_role("link", name="The round", exact=True).click()
    expect(page.locator("#status")).to_contain_text("(closed)")
    expect(page.get_by_role("button", name="Send the links")).to_have_count(0)
    page.get_by_role("link", name="360 feedback", exact=True).first.click()
    expect(page.locator("#rounds")).to_contain_text("Closed: the report")
    expect(page.locator("#position-summaries")).to_contain_text(
        "closed rounds of 1 holder not yet summarised")
    _checked(page, "360 feedback with a closed round")
    page.locator("#position-summaries").get_by_role("link", name="Ward manager").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("360 feedback of Ward managers")
    expect(page.locator("#not-ready")).to_contain_text("1 is ready")
    expect(page.locator("#no-summary")).to_have_text("No summary yet.")
    _checked(page, "the position's summaries")
    console.assert_clean()
    page.context.close()

    # The leader signs in and reads their own report from "My 360 feedback".
    mine = console.watch(browser.new_context(viewport=PHONE).new_page())
    sign_in(mine, live_server.url, "asha.patel", next_path="/my/feedback/")
    expect(mine.get_by_role("heading", level=1)).to_have_text("My 360 feedback")
    expect(mine.locator("#my-rounds")).to_contain_text(f"{organisation.name}, Ward manager")
    _checked(mine, "my 360 feedback")
    mine.get_by_role("link", name="your report").click()
    expect(mine.get_by_role("heading", level=1)).to_have_text("360 feedback for Asha Patel")
    expect(mine.locator("table#report thead")).to_contain_text("Everyone but you")
    expect(mine.locator(f"#report-{keys[0]} td[data-kind=peer]")).to_have_text(
        re.compile(r"^\s*4\.0 \(3\)\s*$"))
    _checked(mine, "the leader's own report")
    _report_wrapper_scrolls_alone(mine)
    console.assert_clean()
    mine.context.close()
