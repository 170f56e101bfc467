"""The pages offered in Welsh, in Chromium at 360 px with axe (WCAG 2.2 AA) in both
languages: the respondent journey, the academy's sign-up and check-in, and poll voting.
The switch names the other language in that language and is marked with its `lang`; the
page's `<html lang>` follows the choice, which holds from page to page."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from browser_helpers import answer_scale_page, assert_page_checked
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assert_language(page: Any, lang: str, what: str) -> None:
    """`<html lang>` is the page's language; the switch offers the other, in its own."""
    assert page.evaluate("document.documentElement.lang") == lang, what
    switch = page.locator("#language-switch")
    other = {"cy": ("en", "English"), "en": ("cy", "Cymraeg")}[lang]
    assert switch.get_attribute("lang") == other[0], what
    expect(switch).to_have_text(other[1])
    # Every element that says its own language names one the page offers.
    langs = page.evaluate(
        "() => [...document.querySelectorAll('[lang]')].map(e => e.getAttribute('lang'))")
    assert set(langs) <= {"cy", "en"}, (what, langs)


def checked(page: Any, lang: str, what: str) -> None:
    assert_language(page, lang, what)
    assert_page_checked(page, what)


def to_welsh(page: Any) -> None:
    page.locator("#language-switch").click()
    page.wait_for_function("document.documentElement.lang === 'cy'")


def test_a_respondent_answers_in_welsh_on_a_phone(
        live_server: Any, phone: Any, console: Any, team: Any, make_assessment: Any) -> None:
    from tracelead.diagnostics import services
    from tracelead.diagnostics.models import Response

    assessment = make_assessment(team, threshold=3, comment_threshold=3)
    (invitation,) = services.invitations_create(assessment=assessment, rater_kind="member",
                                                count=1)
    page = phone
    page.goto(f"{live_server.url}/r/{invitation.token}/")
    checked(page, "en", "the introduction in English")
    to_welsh(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Offeryn diagnostig arweinyddiaeth TRACE")
    checked(page, "cy", "the introduction in Welsh")
    page.get_by_role("button", name="Dechrau nawr").click()
    expect(page.locator(".nhsuk-caption-l")).to_have_text("Tudalen 1 o 6")
    checked(page, "cy", "a question page in Welsh")
    page.get_by_role("button", name="Cadw a pharhau").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Mae problem wedi codi")
    checked(page, "cy", "a question page with errors in Welsh")
    for number in range(1, 6):
        answer_scale_page(page, ["Cytuno"] * 7)
        page.get_by_role("button", name="Cadw a pharhau").click()
        expect(page.locator(".nhsuk-caption-l")).to_have_text(f"Tudalen {number + 1} o 6")
    page.locator("#one_change").fill("Mwy o amser i gynllunio gyda'n gilydd.")
    checked(page, "cy", "the comments page in Welsh")
    page.get_by_role("button", name="Cyflwyno fy atebion").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Mae eich atebion wedi cael eu cyflwyno")
    checked(page, "cy", "the thanks page in Welsh")
    stored = Response.objects.get(assessment=assessment)
    assert set(stored.answers.values()) == {4}
    assert stored.free_text["one_change"] == "Mwy o amser i gynllunio gyda'n gilydd."
    console.assert_clean()


def test_the_academy_sign_up_and_check_in_in_welsh_on_a_phone(
        live_server: Any, phone: Any, console: Any, system: Any) -> None:
    from django.utils import timezone

    from tracelead.academy import services
    from tracelead.organisations.models import Organisation, Sector

    Organisation.objects.create(system=system, name="Vale Council",
                                sector=Sector.LOCAL_AUTHORITY)
    academy = services.academy_create(
        system=system, name="Northbrook Leadership Academy",
        purpose="Grow leaders who work across the whole system.", places="Northbrook\nVale",
        privacy_notice="We keep your details to run the academy.")
    starts = timezone.now() + dt.timedelta(minutes=30)
    event = services.event_create(
        academy=academy, kind="workshop", title="Leading together", starts_at=starts,
        ends_at=starts + dt.timedelta(hours=3), venue="Vale Civic Centre")
    page = phone
    page.goto(f"{live_server.url}/join/{academy.join_code}/")
    checked(page, "en", "the sign-up page in English")
    to_welsh(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Ymuno â Northbrook Leadership Academy")
    checked(page, "cy", "the sign-up page in Welsh")
    page.get_by_role("button", name="Ymuno â'r academi").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Rhowch eich enw llawn")
    checked(page, "cy", "the sign-up page with errors in Welsh")
    page.goto(f"{live_server.url}/c/{event.code}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cofrestru yn Leading together")
    checked(page, "cy", "the check-in page in Welsh")
    page.get_by_role("button", name="Anfonwch ddolen cofrestru ataf drwy e-bost").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    checked(page, "cy", "the check-in page with errors in Welsh")
    console.assert_clean()


def test_poll_voting_in_welsh_on_a_phone(
        live_server: Any, phone: Any, console: Any, system: Any, make_facilitator: Any) -> None:
    from django.utils import timezone

    from tracelead.academy import services as academy_services
    from tracelead.polls import services
    from tracelead.polls.services import QuestionDraft

    academy = academy_services.academy_create(
        system=system, name="Northbrook Leadership Academy", purpose="Grow leaders.",
        places="", privacy_notice="We keep your details to run the academy.")
    starts = timezone.now() - dt.timedelta(minutes=30)
    event = academy_services.event_create(
        academy=academy, kind="workshop", title="Workshop 3", starts_at=starts,
        ends_at=starts + dt.timedelta(hours=3), venue="Vale Civic Centre")
    poll = services.poll_create(academy=academy, event=event, title="How are we doing?",
                                created_by=make_facilitator(system))
    scale = services.question_save(poll=poll, question=None, draft=QuestionDraft(
        kind="scale", prompt="How much do you trust partners?", low_label="Not at all",
        high_label="Completely"))
    page = phone
    page.goto(f"{live_server.url}/p/{poll.code}/")
    checked(page, "en", "joining a poll in English")
    to_welsh(page)
    checked(page, "cy", "joining a poll in Welsh")
    page.get_by_role("button", name="Ymuno â'r bleidlais").click()
    expect(page.locator("#tl-poll-waiting")).to_contain_text("Yn aros i'r hwylusydd")
    checked(page, "cy", "waiting for a question in Welsh")
    services.poll_show(poll=poll, question=scale)
    page.reload()
    page.locator(f"#q{scale.pk}").locator("label", has_text=re.compile(r"^\s*4\s*$")).click()
    page.get_by_role("button", name="Anfon", exact=True).click()
    expect(page.locator("#tl-poll-saved")).to_contain_text("Mae eich ateb wedi'i gadw")
    checked(page, "cy", "a question on the phone in Welsh")
    assert scale.votes.get().answer == 4
    console.assert_clean()
