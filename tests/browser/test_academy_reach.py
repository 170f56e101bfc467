"""Reach and attendance in a real browser at 360 px: Fiona, a facilitator, opens the reach
page on her phone: the chart is drawn under our Content Security Policy, its figures are in
a table, nothing scrolls sideways and axe finds nothing serious; then the attendance page,
then a workforce figure typed wrong."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import (
    assert_accessible,
    assert_no_sideways_scroll,
    screenshot,
    sign_in,
)
from playwright.sync_api import expect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "academy"))
import reach_story

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def story(system: Any) -> reach_story.Story:
    from tracelead.academy import services
    from tracelead.academy.models import Offer
    from tracelead.organisations.models import Organisation, Sector

    academy = services.academy_create(system=system, name="Northbrook Leadership Academy",
                                      purpose="Leaders across the system.",
                                      places="Northbrook\nVale", privacy_notice="We keep it.")
    Offer.objects.create(academy=academy, name="Capability development")
    hospital = Organisation.objects.create(system=system, name="Northbrook Hospitals",
                                           sector=Sector.ACUTE)
    council = Organisation.objects.create(system=system, name="Vale Council",
                                          sector=Sector.LOCAL_AUTHORITY)
    charity = Organisation.objects.create(system=system, name="Vale Carers Trust",
                                          sector=Sector.VCFSE)
    return reach_story.build(academy, hospital, council, charity)


def test_fiona_follows_reach_and_attendance_on_her_phone(
        live_server: Any, phone: Any, console: Any, make_facilitator: Any, system: Any,
        story: reach_story.Story) -> None:
    make_facilitator(system)
    pk = story.academy.pk
    sign_in(phone, live_server.url, "fiona.facilitator", next_path=f"/academy/{pk}/reach/")
    expect(phone.get_by_role("heading", name="Reach against the target")).to_be_visible()
    expect(phone.locator("#reach-summary")).to_contain_text("3 people reached of the 10")
    # vega-embed drew the chart as SVG (no eval under the CSP), hidden from screen readers,
    # whose figures are in the table below it.
    expect(phone.locator("#chart-reach svg")).to_be_attached()
    assert phone.locator("#chart-reach svg").get_attribute("aria-hidden") == "true"
    expect(phone.locator("#reach-weeks")).to_contain_text("Reached so far")
    assert_no_sideways_scroll(phone, "the reach page")
    assert_accessible(phone, "the reach page")
    screenshot(phone, "academy-reach-360.png")

    phone.goto(f"{live_server.url}/academy/{pk}/attendance/")
    expect(phone.locator("#table-events")).to_contain_text("Workshop 1")
    expect(phone.locator("#attendance-summary")).to_contain_text("1.25 hours of effort")
    assert_no_sideways_scroll(phone, "the attendance page")
    assert_accessible(phone, "the attendance page")
    screenshot(phone, "academy-attendance-360.png")

    phone.goto(f"{live_server.url}/academy/{pk}/workforce/")
    phone.get_by_label("Vale Council").fill("sixty")
    phone.get_by_role("button", name="Save the workforce figures").click()
    summary = phone.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Enter the headcount of Vale Council as a whole number")
    assert_no_sideways_scroll(phone, "the workforce page with an error")
    assert_accessible(phone, "the workforce page with an error")
    console.assert_clean()
