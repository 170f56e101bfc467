"""An academy event in a real browser at 360 px: Ann books on her phone and checks in by the
QR code's link; Fran ticks Bob on the door list and adds Eve, who walked in."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from browser_helpers import (
    PHONE,
    assert_accessible,
    assert_no_sideways_scroll,
    screenshot,
    sign_in,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setting(system: Any) -> dict[str, Any]:
    """Northbrook's academy, a workshop starting in an hour, Ann and Bob as members."""
    from django.utils import timezone

    from tracelead.academy import services
    from tracelead.academy.models import Characteristic, Member
    from tracelead.organisations.models import Organisation, Sector

    academy = services.academy_create(system=system, name="Northbrook Leadership Academy",
                                      purpose="Leaders across the system.",
                                      places="Northbrook\nVale", privacy_notice="We keep it.")
    Characteristic.objects.create(academy=academy, name="Builds trust", position=1)
    hospital = Organisation.objects.create(system=system, name="Northbrook Hospitals",
                                           sector=Sector.ACUTE)
    Organisation.objects.create(system=system, name="Vale Council", sector=Sector.LOCAL_AUTHORITY)
    starts = timezone.now() + dt.timedelta(hours=1)
    event = services.event_create(academy=academy, kind="workshop", title="Leading together",
                                  starts_at=starts, ends_at=starts + dt.timedelta(hours=3),
                                  venue="Vale Civic Centre", capacity=20)
    people = {}
    for name in ("Ann Ames", "Bob Bell"):
        member = Member.objects.create(
            academy=academy, name=name, email=f"{name.split()[0].lower()}@example.org",
            organisation=hospital, sector=hospital.sector, joined_at=timezone.now(),
            consented_at=timezone.now())
        services.member_link(member)
        people[name.split()[0].lower()] = member
    services.registration_create(event=event, member=people["bob"])
    return {"academy": academy, "event": event, **people}


def test_ann_books_on_her_phone_and_checks_in_with_the_qr_link(
        live_server: Any, browser: Any, console: Any, setting: dict[str, Any]) -> None:
    ann, event = setting["ann"], setting["event"]
    context = browser.new_context(viewport=PHONE)
    phone = console.watch(context.new_page())

    phone.goto(f"{live_server.url}/m/{ann.token}/events/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Events you can book")
    expect(phone.locator(f"#event-{event.pk}")).to_contain_text("19 places left.")
    assert_accessible(phone, "the member's events page")
    assert_no_sideways_scroll(phone, "the member's events page")
    phone.get_by_role("button", name="Book a place at Leading together").click()
    expect(phone.get_by_role("status")).to_contain_text("You have a place at Leading together.")
    expect(phone.locator(f"#event-{event.pk}")).to_contain_text("You have a place")
    assert_accessible(phone, "the member's events page after booking")
    screenshot(phone, "academy-member-events.png")

    # The QR code on the poster holds this link; the phone remembers Ann from her page.
    phone.goto(f"{live_server.url}/c/{event.code}/")
    assert_accessible(phone, "the check-in page")
    assert_no_sideways_scroll(phone, "the check-in page")
    phone.get_by_role("button", name="Check in as Ann Ames").click()
    expect(phone.get_by_role("status")).to_contain_text("You are checked in")
    screenshot(phone, "academy-checked-in.png")
    assert_accessible(phone, "the check-in page once checked in")
    context.close()

    # Someone else's phone: a wrong code typed on /c/ is explained, then the right one works.
    other = browser.new_context(viewport=PHONE)
    stranger = console.watch(other.new_page())
    stranger.goto(f"{live_server.url}/c/")
    stranger.get_by_label("Event code").fill("ZZZ999")
    stranger.get_by_role("button", name="Continue").click()
    expect(stranger.locator(".nhsuk-error-summary")).to_contain_text(
        "We could not find an event with this code")
    assert_accessible(stranger, "the code page with an error")
    stranger.get_by_label("Event code").fill(event.code.lower())
    stranger.get_by_role("button", name="Continue").click()
    stranger.get_by_label("Your email address").fill("nobody@example.org")
    stranger.get_by_role("button", name="Email me a link to check in").click()
    expect(stranger.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(stranger.get_by_text("If this address belongs to a member, we have emailed a "
                                "link to check in")).to_be_visible()
    expect(stranger.get_by_role("link", name="Sign up to the academy")).to_be_visible()
    assert_accessible(stranger, "the check-in page after typing an address")
    assert_no_sideways_scroll(stranger, "the check-in page after typing an address")
    other.close()

    # Bob's phone does not know him: he types his address and opens the emailed link.
    from tracelead.messaging.models import OutboxMessage

    bobs = browser.new_context(viewport=PHONE)
    bob_phone = console.watch(bobs.new_page())
    bob_phone.goto(f"{live_server.url}/c/{event.code}/")
    bob_phone.get_by_label("Your email address").fill("bob@example.org")
    bob_phone.get_by_role("button", name="Email me a link to check in").click()
    expect(bob_phone.get_by_role("heading", level=1)).to_have_text("Check your email")
    message = OutboxMessage.objects.get(to="bob@example.org")
    link = re.search(r"/c/[A-Z0-9]+/link/[^/\s]+/", message.body)
    assert link, message.body
    bob_phone.goto(live_server.url + link.group(0))
    # Opening the link only asks (mail systems fetch links in advance); the button checks in.
    expect(bob_phone.get_by_role("heading", level=1)).to_have_text(
        "Check in to Leading together")
    assert_accessible(bob_phone, "the page an emailed check-in link opens")
    assert_no_sideways_scroll(bob_phone, "the page an emailed check-in link opens")
    bob_phone.get_by_role("button", name="Check in as Bob Bell").click()
    expect(bob_phone.get_by_role("status")).to_contain_text("You are checked in")
    assert_accessible(bob_phone, "the page after checking in by an emailed link")
    bobs.close()
    console.assert_clean()

    from tracelead.academy.models import CheckIn

    assert sorted(CheckIn.objects.values_list("member__name", "method")) == [
        ("Ann Ames", "self"), ("Bob Bell", "self")]


def test_fran_ticks_bob_on_the_door_list_and_adds_a_walk_in(
        live_server: Any, browser: Any, console: Any, setting: dict[str, Any],
        make_facilitator: Any, system: Any) -> None:
    academy, event, bob = setting["academy"], setting["event"], setting["bob"]
    make_facilitator(system)
    context = browser.new_context(viewport=PHONE)
    page = console.watch(context.new_page())
    door = f"/academy/{academy.pk}/events/{event.pk}/door/"
    sign_in(page, live_server.url, "fiona.facilitator", next_path=door)
    expect(page.get_by_role("heading", level=1)).to_have_text("Door list: Leading together")
    assert_accessible(page, "the door list")
    assert_no_sideways_scroll(page, "the door list")

    page.get_by_role("button", name="Check in Bob Bell").click()
    expect(page.locator(f"#member-{bob.pk}")).to_contain_text("Checked in")
    expect(page.locator("#door-count")).to_contain_text("1 checked in")
    # The search box filters as she types.
    page.get_by_label("Find a name on the list").fill("zed")
    expect(page.locator(f"#member-{bob.pk}")).to_be_hidden()
    expect(page.locator("#door-none")).to_be_visible()
    page.get_by_label("Find a name on the list").fill("bo")
    expect(page.locator(f"#member-{bob.pk}")).to_be_visible()

    page.get_by_role("link", name="Add a walk-in").click()
    page.get_by_label("Email address").fill("eve@vale.gov.uk")
    page.get_by_role("button", name="Check them in").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Enter your name")
    assert_accessible(page, "the walk-in form with errors")
    page.get_by_label("Full name (new members)").fill("Eve Evans")
    page.get_by_label("Organisation (new members)").select_option(label="Vale Council")
    page.get_by_label("They agree to the academy keeping these details").check()
    page.get_by_role("button", name="Check them in").click()
    expect(page.get_by_role("status").first).to_contain_text("Eve Evans is checked in.")
    expect(page.locator("#door-count")).to_contain_text("2 checked in")
    assert_accessible(page, "the door list after a walk-in")
    screenshot(page, "academy-door.png")

    page.goto(f"{live_server.url}/academy/{academy.pk}/events/{event.pk}/")
    expect(page.locator("#attended-count")).to_have_text("2")
    assert_accessible(page, "the event page")
    screenshot(page, "academy-event.png")
    assert_no_sideways_scroll(page, "the event page")
    page.get_by_role("link", name="Print the poster for the door").click()
    expect(page.locator(".tl-poster__code")).to_have_text(event.code)
    assert_accessible(page, "the poster")
    screenshot(page, "academy-poster.png")
    context.close()
    console.assert_clean()
