"""Joining an academy on a phone, in Chromium at 360 px: Priya signs up on the public page,
opens the link from her email, changes her details and leaves. axe-core (WCAG 2.2 AA)
finds nothing serious on any page, nothing scrolls sideways, the console stays clean."""

from __future__ import annotations

import re
from typing import Any

import pytest
from browser_helpers import (
    PASSWORD,
    assert_accessible,
    assert_nhs_styles_and_script,
    assert_no_sideways_scroll,
    screenshot,
    sign_in,
)
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check(page: Any, what: str) -> None:
    assert_no_sideways_scroll(page, what)
    assert_accessible(page, what)
    screenshot(page, "academy-" + re.sub(r"\W+", "-", what).strip("-") + ".png")


def test_priya_joins_on_her_phone_then_changes_her_details_and_leaves(
        live_server: Any, phone: Any, console: Any, system: Any) -> None:
    from tracelead.academy import services
    from tracelead.academy.models import Characteristic, Member
    from tracelead.messaging.models import OutboxMessage
    from tracelead.organisations.models import Organisation, Sector

    Organisation.objects.create(system=system, name="Vale Council",
                                sector=Sector.LOCAL_AUTHORITY)
    Organisation.objects.create(system=system, name="Northbrook Hospitals",
                                sector=Sector.ACUTE)
    academy = services.academy_create(
        system=system, name="Northbrook Leadership Academy",
        purpose="Grow leaders who work across the whole system.", places="Northbrook\nVale",
        privacy_notice="We keep your details to run the academy, and delete them when you "
                       "leave.")
    Characteristic.objects.create(academy=academy, name="Builds trust across boundaries")
    page = phone

    page.goto(f"{live_server.url}/join/{academy.join_code}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Join Northbrook Leadership Academy")
    expect(page.get_by_text("We keep your details to run the academy")).to_be_visible()
    assert_nhs_styles_and_script(page)
    check(page, "the sign-up page")

    page.get_by_role("button", name="Join the academy").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Enter your full name")
    expect(summary).to_contain_text("Confirm that you agree")
    expect(summary).to_be_focused()
    assert page.title().startswith("Error: ")
    check(page, "the sign-up page with errors")

    page.get_by_label("Full name").fill("Priya Shah")
    page.get_by_label("Email address").fill("priya.shah@example.org")
    page.get_by_label("Organisation you work or volunteer for").select_option(
        label="Vale Council")
    page.get_by_label("Profession or staff group").select_option(
        label="Social work and social care")
    page.get_by_label("Place where you mostly work").select_option(label="Vale")
    page.get_by_label("Level of your role").select_option(label="Senior leader or head of "
                                                                "service")
    page.get_by_label("I agree to the academy keeping these details").check()
    page.get_by_role("button", name="Join the academy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    check(page, "the check-your-email page")

    message = OutboxMessage.objects.get(to="priya.shah@example.org")
    link = re.search(r"/m/[A-Za-z0-9_-]+/", message.body)
    assert link, message.body
    page.goto(live_server.url + link.group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text("Priya Shah")
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("Vale Council")
    check(page, "the member's own page")

    page.get_by_role("link", name="Change your details").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change your details")
    check(page, "the member's change page")
    page.get_by_label("Full name").fill("Priya K. Shah")
    page.get_by_label("Pair me with someone for the exchange").check()
    page.get_by_label("Housing", exact=True).check()
    page.get_by_role("button", name="Save your details").click()
    expect(page.get_by_text("Your details are saved.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Priya K. Shah")
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("most of all to see Housing")
    check(page, "the member's page after saving")

    page.get_by_role("link", name="Leave the academy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Are you sure you want to leave the academy?")
    check(page, "the leaving question")
    page.get_by_role("button", name="Leave the academy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You have left Northbrook Leadership Academy")
    expect(page.get_by_text("0 bookings for events still to come")).to_be_visible()
    check(page, "the page after leaving")

    member = Member.objects.get(academy=academy)
    assert (member.name, member.email, member.left_at is not None) == ("", None, True)
    page.goto(live_server.url + link.group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "We could not find your membership")
    console.assert_clean()


def test_the_facilitators_member_pages_and_the_viewers_counts_on_a_phone(
        live_server: Any, phone: Any, console: Any, system: Any, make_facilitator: Any,
        make_user: Any) -> None:
    from django.utils import timezone

    from tracelead.academy import services
    from tracelead.academy.models import Member
    from tracelead.organisations.models import (
        Organisation,
        Sector,
        SystemMembership,
        SystemRole,
    )

    council = Organisation.objects.create(system=system, name="Vale Council",
                                          sector=Sector.LOCAL_AUTHORITY)
    academy = services.academy_create(system=system, name="Northbrook Leadership Academy",
                                      places="Northbrook\nVale")
    now = timezone.now()
    Member.objects.bulk_create(
        Member(academy=academy, name=f"Member {n:02d}", email=f"m{n}@example.org",
               organisation=council, sector=council.sector, staff_group="nursing",
               place="Vale", level="manager", joined_at=now) for n in range(60))
    make_facilitator(system)
    page = phone
    sign_in(page, live_server.url, "fiona.facilitator")

    page.goto(f"{live_server.url}/academy/{academy.pk}/members/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Members")
    expect(page.get_by_role("cell", name="Member 00")).to_be_visible()
    check(page, "the member list")
    page.get_by_role("link", name="Page 2").click()
    expect(page.get_by_role("link", name="Member 59")).to_be_visible()
    page.get_by_text("Search and filter").click()
    page.get_by_label("Name or email address contains").fill("Member 07")
    page.get_by_role("button", name="Show members").click()
    expect(page.get_by_text("1 match.")).to_be_visible()
    check(page, "the filtered member list")
    page.get_by_role("link", name="Member 07").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Member 07")
    check(page, "a member's page for facilitators")

    page.goto(f"{live_server.url}/academy/{academy.pk}/members/import/")
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_focused()
    check(page, "the import page with errors")

    viewer = make_user("vera.viewer")
    viewer.set_password(PASSWORD)
    viewer.save()
    SystemMembership.objects.create(user=viewer, system=system, role=SystemRole.VIEWER)
    page.context.clear_cookies()
    sign_in(page, live_server.url, "vera.viewer")
    page.goto(f"{live_server.url}/academy/{academy.pk}/members/")
    expect(page.get_by_text("60 members")).to_be_visible()
    assert "Member 07" not in page.content()
    check(page, "the viewer's member counts")
    console.assert_clean()
