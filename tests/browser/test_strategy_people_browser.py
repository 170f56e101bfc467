"""The development plan and the post-holders' diversity in a real browser on a 360 px
phone: plan a position's development, import figures (a broken file first), publish the
draft; axe finds nothing serious, critical or `region`, and no page scrolls sideways."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import assert_page_checked, sign_in
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"phone": {"width": 360, "height": 740}}

FIGURES = """dimension,category,holders,workforce
sex,Female,61,3900
sex,Male,47,1098
sex,Not stated,3,2
ethnicity,White,80,3500
ethnicity,"Black, Asian and minority ethnic",31,1450
ethnicity,Not stated,0,50
disability,Disabled,9,250
disability,Not disabled,90,4300
disability,Not stated,12,450
age band,Under 40,20,2000
age band,40 to 54,60,1900
age band,55 and over,31,1100
"""


_checked = assert_page_checked


@pytest.mark.parametrize("size", ["phone"])
def test_a_facilitator_plans_development_and_publishes_diversity(
    size: str, live_server: Any, browser: Any, console: Any, system: Any, organisation: Any,
    make_facilitator: Any, tmp_path: Path
) -> None:
    from django.utils import timezone

    from tracelead.academy import services as academy_services
    from tracelead.academy.models import Offer, Programme
    from tracelead.strategy import services

    make_facilitator(system)
    strategy = services.strategy_create(organisation=organisation)
    for title in ("Ward manager", "Matron"):
        services.position_save(strategy=strategy, title=title, needed=12, in_post=9)
    academy = academy_services.academy_create(system=system, name="Northbrook academy")
    offer = Offer.objects.create(academy=academy, name="Capability development")
    programme = Programme.objects.create(academy=academy, offer=offer,
                                         name="Leading for Whole-System Change")
    start = timezone.now() + dt.timedelta(days=14)
    academy_services.event_create(academy=academy, kind="workshop", programme=programme,
                                  title="Workshop 1", starts_at=start,
                                  ends_at=start + dt.timedelta(hours=6))

    page = console.watch(browser.new_context(viewport=WIDTHS[size]).new_page())
    sign_in(page, live_server.url, "fiona.facilitator",
            next_path=f"/organisations/{organisation.pk}/strategy/")
    page.get_by_role("link", name="Development plan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Development plan")
    expect(page.locator("#development-gaps")).to_contain_text("Matron, Ward manager")
    _checked(page, f"the development plan with its gaps ({size})")
    page.get_by_role("link", name="Add to the development plan").click()
    page.get_by_role("button", name="Add").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Choose the position")
    _checked(page, f"the development form with errors ({size})")
    page.get_by_label("Position").select_option(label="Ward manager")
    page.get_by_label("Developed through").select_option(
        label="Programme: Leading for Whole-System Change (Capability development)")
    page.get_by_label("What the board intends").fill("Every ward manager by March")
    page.get_by_role("button", name="Add").click()
    expect(page.locator("#development")).to_contain_text("Every ward manager by March")
    expect(page.locator("#development-gaps")).not_to_contain_text("Ward manager")
    _checked(page, f"the development plan with a link ({size})")

    page.goto(f"{live_server.url}/organisations/{organisation.pk}/strategy/")
    page.get_by_role("link", name="Diversity of post-holders").click()
    expect(page.locator("#none-published")).to_be_visible()
    _checked(page, f"the diversity page before anything is published ({size})")
    page.get_by_role("link", name="Import figures from a file").click()
    page.get_by_label("The date the figures are for").fill("2026-03-01")
    broken = tmp_path / "broken.csv"
    broken.write_text(FIGURES.replace("Not disabled,90", "Not disabled,ninety"),
                      encoding="utf-8")
    page.get_by_label("CSV or Excel (.xlsx) file").set_input_files(str(broken))
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#problems")).to_contain_text(
        "line 9, column “holders”: must be a whole number")
    _checked(page, f"the diversity import with a broken file ({size})")
    good = tmp_path / "good.csv"
    good.write_text(FIGURES, encoding="utf-8")
    page.get_by_label("The date the figures are for").fill("2026-03-01")
    page.get_by_label("CSV or Excel (.xlsx) file").set_input_files(str(good))
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#imported")).to_contain_text("as a draft")
    page.get_by_role("link", name="Check and publish it").click()
    expect(page.locator("#draft-check")).to_contain_text("It can be published")
    _checked(page, f"the diversity page with a draft ({size})")
    page.get_by_role("button", name="Publish the figures as of 1 March 2026").click()
    expect(page.get_by_role("status")).to_contain_text("Published the figures")
    expect(page.locator("#published-sex")).to_contain_text("hidden")
    _checked(page, f"the published diversity figures ({size})")
    console.assert_clean()
    page.context.close()
