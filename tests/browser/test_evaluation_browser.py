"""Fran, who leads the programme, reads its evaluation on her phone and on a desktop; Priya
answers the feedback form by its code on her phone at the end of the session, first with a
rating out of range, then properly. Every page passes axe and fits the screen."""

from __future__ import annotations

import re
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


@pytest.fixture
def evaluated(system: Any) -> Any:
    """A programme with a workshop, its feedback (six answers), before-and-after ratings of
    six members, a measure and a quote."""
    import datetime as dt

    from django.utils import timezone

    from tracelead.academy import services as academy
    from tracelead.academy.models import Member, Offer
    from tracelead.evaluation import services
    from tracelead.evaluation.models import FormKind

    made = academy.academy_create(system=system, name="Northbrook Leadership Academy",
                                  purpose="Leaders across the system.", places="Vale",
                                  privacy_notice="We keep your details.")
    offer = Offer.objects.create(academy=made, name="Capability development", position=1)
    programme = academy.programme_save(academy=made, offer=offer, name="Leading Together")
    start = timezone.now() - dt.timedelta(days=2)
    event = academy.event_create(academy=made, programme=programme, kind="workshop",
                                 title="Leading Together: workshop 1", starts_at=start,
                                 ends_at=start + dt.timedelta(hours=3), venue="Vale")
    feedback = services.form_create(programme=programme, kind=FormKind.FEEDBACK, event=event)
    useful = feedback.items.get(key="useful")
    for n, value in enumerate((3, 4, 4, 5, 5, 4)):
        services.submission_save(form=feedback, answers=services.Answers(
            values={useful.pk: {"number": float(value)}}), device_hash=f"d{n}")
    before = services.form_create(programme=programme, kind=FormKind.BEFORE)
    after = services.form_create(programme=programme, kind=FormKind.AFTER)
    for n, (b, a) in enumerate(((2, 3), (3, 4), (3, 5), (4, 4), (2, 3), (3, 3))):
        member = Member.objects.create(academy=made, name=f"Member {n}", sector="acute",
                                       joined_at=start, email=f"m{n}@example.org")
        for form, value in ((before, b), (after, a)):
            item = form.items.get(key="working-across")
            services.submission_save(form=form, answers=services.Answers(
                values={item.pk: {"number": float(value)}}), member=member)
    services.measure_save(programme=programme, name="People waiting over 18 weeks",
                          unit="people", better="lower",
                          contribution="Joint triage started at workshop 1.")
    services.quote_pin(programme=programme, level=2, text="I know whom to ring now.",
                       source="interview", consent=True)
    return programme, feedback


def test_fran_reads_the_evaluation_on_a_phone_and_a_desktop(
        live_server: Any, browser: Any, phone: Any, make_facilitator: Any, system: Any,
        evaluated: Any) -> None:
    programme, _ = evaluated
    make_facilitator(system, "fran.facilitator")
    path = f"/academy/{programme.academy_id}/programmes/{programme.pk}/evaluation/"
    sign_in(phone, live_server.url, "fran.facilitator", next_path=path)
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "Evaluation: Leading Together")
    # Six pairs, counted in steps of five (the threshold): the first five completed,
    # changes 1 1 2 0 1.
    expect(phone.locator("#learning-table")).to_contain_text("+1.00")
    expect(phone.locator("#level-2")).to_contain_text("I know whom to ring now.")
    expect(phone.locator("#level-2 svg").first).to_be_attached()
    assert_accessible(phone, "the evaluation page")
    assert_no_sideways_scroll(phone, "the evaluation page")
    screenshot(phone, "evaluation-360.png")
    desktop = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(desktop, live_server.url, "fran.facilitator", next_path=path)
    # Six answers, figures over the first five: 3 4 4 5 5, mean 4.2, top two 4 of 5.
    expect(desktop.locator("#reaction-table")).to_contain_text("4.2; 80%")
    assert_accessible(desktop, "the evaluation page at 1280 px")
    desktop.context.close()


def test_priya_answers_the_feedback_by_its_code_on_her_phone(
        live_server: Any, phone: Any, evaluated: Any) -> None:
    _, feedback = evaluated
    phone.goto(f"{live_server.url}/f/{feedback.code}/")
    expect(phone.get_by_role("heading", level=1)).to_have_text(feedback.title)
    assert_accessible(phone, "the feedback form")
    assert_no_sideways_scroll(phone, "the feedback form")
    # Nothing chosen and nothing written: an error summary, and nothing saved.
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.locator(".nhsuk-error-summary")).to_contain_text(
        "Answer at least one question")
    assert_accessible(phone, "the feedback form with an error")
    phone.get_by_label(re.compile(r"^5: Very useful")).check()
    phone.get_by_label("What was most valuable today?").fill("Meeting the council's team")
    phone.get_by_label(re.compile("may be quoted")).check()
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you")
    from tracelead.evaluation.models import Submission

    assert Submission.objects.filter(form=feedback, quote_consent=True).count() == 1
    phone.goto(f"{live_server.url}/f/{feedback.code}/")
    expect(phone.locator("#answer-done")).to_contain_text("already answered")
