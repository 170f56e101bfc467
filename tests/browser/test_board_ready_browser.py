"""The system's settings page (respondent information and the reports' logo) and the list
of new personal links with its copy buttons, in a real browser at 360 px (each page checked
at 1280 px as well): axe finds nothing serious, critical or `region`, and no page scrolls
sideways."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import PHONE, assert_page_checked, at_both_widths, sign_in
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)



def _checked(page: Any, what: str) -> None:
    """The story runs at 360 px; each page it checks is checked at 1280 px as well."""
    at_both_widths(page, assert_page_checked, what)


def _png(path: Path) -> Path:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (300, 120), (0, 94, 184)).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def test_a_facilitator_sets_the_information_and_uploads_a_logo(
    live_server: Any, browser: Any, console: Any, system: Any,
    make_facilitator: Any, tmp_path: Path
) -> None:
    make_facilitator(system)
    page = console.watch(browser.new_context(viewport=PHONE).new_page())
    sign_in(page, live_server.url, "fiona.facilitator", next_path=f"/systems/{system.pk}/")
    page.get_by_role("link", name=re.compile("Settings: respondent information")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Settings of {system.name}")
    _checked(page, "the settings page")

    bad = tmp_path / "notes.txt"
    bad.write_text("not a picture")
    page.get_by_label("Logo for the cover of the PDF reports (optional)").set_input_files(bad)
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("PNG, JPEG or SVG")
    _checked(page, "the settings page with an error")

    page.get_by_label("Who runs the questionnaires (optional)").fill("the OD team")
    page.get_by_label("How respondents can contact them (optional)").fill("od@nb.nhs.uk")
    page.get_by_label("Logo for the cover of the PDF reports (optional)").set_input_files(
        _png(tmp_path / "crest.png"))
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(system.name)

    page.goto(f"{live_server.url}/systems/{system.pk}/settings/")
    preview = page.get_by_role("img", name=f"Current logo of {system.name}")
    expect(preview).to_be_visible()
    # The preview loaded (an image that failed to load has no natural width).
    assert preview.evaluate("img => img.naturalWidth") == 300
    expect(page.get_by_label("Who runs the questionnaires (optional)")).to_have_value("the OD team")
    _checked(page, "the settings page with a logo")
    console.assert_clean()
    page.context.close()


def test_the_new_links_are_listed_once_with_copy_buttons(
    live_server: Any, browser: Any, console: Any, system: Any, team: Any,
    make_facilitator: Any, make_assessment: Any
) -> None:
    make_facilitator(system)
    assessment = make_assessment(team, title="Ward 7 – spring")
    context = browser.new_context(viewport=PHONE)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = console.watch(context.new_page())
    sign_in(page, live_server.url, "fiona.facilitator",
            next_path=f"/assessments/{assessment.pk}/links/")
    page.get_by_label("People to invite (optional)").fill(
        "amy@example.nhs.uk\nbob@example.nhs.uk\nAmy@example.nhs.uk")
    page.get_by_role("button", name=re.compile("Create")).click()
    rows = page.locator("#new-links-table tbody tr")
    expect(rows).to_have_count(2)  # Amy once
    _checked(page, "the new links")

    page.get_by_role("button", name="Copy the link for bob@example.nhs.uk").click()
    expect(page.get_by_role("status").filter(has_text="Copied")).to_contain_text(
        "Copied the link for bob@example.nhs.uk")
    bob_link = rows.nth(1).locator("td").nth(2).inner_text().strip()
    assert page.evaluate("() => navigator.clipboard.readText()") == bob_link

    page.get_by_role("button", name="Copy all the links").click()
    copied = page.evaluate("() => navigator.clipboard.readText()").splitlines()
    assert [line.split("\t")[0] for line in copied] == ["amy@example.nhs.uk",
                                                        "bob@example.nhs.uk"]
    assert copied[1].split("\t")[2] == bob_link
    assert "Copy" not in " ".join(copied)
    _checked(page, "the new links after copying")

    page.reload()  # shown once: a reload lists them no more
    expect(page.locator("#new-links-table")).to_have_count(0)
    console.assert_clean()
    context.close()
