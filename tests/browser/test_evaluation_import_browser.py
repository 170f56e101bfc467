"""Fran imports a SurveyMonkey export on her phone (360 px): she uploads it, marks one
column as not to be imported, and imports; every page passes axe and fits the screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_helpers import assert_accessible, assert_no_sideways_scroll, screenshot, sign_in
from playwright.sync_api import expect

from tracelead.evaluation import importing

pytestmark = pytest.mark.django_db(transaction=True)
SAMPLES = Path(importing.__file__).parent / "samples"


@pytest.fixture
def programme(system: Any, settings: Any, tmp_path: Path) -> Any:
    from tracelead.academy import services
    from tracelead.academy.models import Offer

    settings.DATA_DIR = tmp_path
    academy = services.academy_create(system=system, name="Northbrook Leadership Academy",
                                      purpose="Leaders across the system.", places="Vale",
                                      privacy_notice="We keep your details.")
    offer = Offer.objects.create(academy=academy, name="Capability development", position=1)
    return services.programme_save(academy=academy, offer=offer, name="Whole-system workshops")


def test_fran_imports_a_surveymonkey_export_on_her_phone(
        live_server: Any, phone: Any, console: Any, make_facilitator: Any, system: Any,
        programme: Any) -> None:
    from tracelead.evaluation.models import Form, Submission

    make_facilitator(system, "fran.facilitator")
    path = f"/academy/{programme.academy_id}/programmes/{programme.pk}/evaluation/import/"
    sign_in(phone, live_server.url, "fran.facilitator", next_path=path)
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "Import answers from another tool")
    assert_accessible(phone, "the import upload page")
    assert_no_sideways_scroll(phone, "the import upload page")

    # A broken file first: the problem is in the error summary, by line.
    phone.get_by_label("Export file (CSV or Excel .xlsx)").set_input_files(
        str(SAMPLES / "broken_forms_wrong_column_count.csv"))
    phone.get_by_role("button", name="Upload and check").click()
    expect(phone.locator(".nhsuk-error-summary")).to_contain_text("line 4: has 10 columns")
    assert_accessible(phone, "the upload page with a problem")

    phone.get_by_label("Export file (CSV or Excel .xlsx)").set_input_files(
        str(SAMPLES / "surveymonkey_follow_up.csv"))
    phone.get_by_label("Follow-up months later").check()
    phone.get_by_role("button", name="Upload and check").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "Check the columns before importing")
    expect(phone.locator("#summary")).to_contain_text("Would create 3 submissions")
    assert_accessible(phone, "the column mapping page")
    assert_no_sideways_scroll(phone, "the column mapping page")
    screenshot(phone, "evaluation-import-map.png")

    phone.locator("#col-2-use").select_option("ignore")
    phone.get_by_role("button", name="Check again").click()
    expect(phone.locator("#summary")).to_contain_text("Would create 5 questions")
    phone.get_by_role("button", name="Import", exact=True).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Whole-system workshops")
    form = Form.objects.get()
    assert form.kind == "follow_up" and Submission.objects.filter(form=form).count() == 3
    assert_accessible(phone, "the programme page after importing")
    console.assert_clean()
