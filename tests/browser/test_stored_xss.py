"""Stored XSS: script-like text typed into every name, title and free-text field renders
as inert text in Chromium. CSP would block inline scripts anyway, so the test also checks
the DOM: no element or handler from a payload exists, and the payload reads as text."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from browser_helpers import PASSWORD, sign_in

from tracelead.diagnostics.models import Response
from tracelead.diagnostics.services import assessment_create, assessment_open_link
from tracelead.instruments import get_instrument
from tracelead.organisations.models import Sector, Space, SystemMembership, SystemRole
from tracelead.organisations.services import group_create, organisation_create, system_create

PAYLOADS = [
    '<script>window.__xss="script"</script>',
    '"><img src=x onerror="window.__xss=\'img\'">',
    "<svg onload=\"window.__xss='svg'\">",
    "<iframe src=\"javascript:window.__xss='iframe'\"></iframe>",
    "{{7*7}} {% raw %}",
    "javascript:window.__xss='href'",
]
COMBINED = " ".join(PAYLOADS)


def _named(label: str) -> str:
    return f"{label} {COMBINED}"[:200]


@pytest.fixture
def poisoned_world(transactional_db: Any, django_user_model: Any) -> dict[str, Any]:
    user = django_user_model.objects.create_user("xss.facilitator", password=PASSWORD)
    system = system_create(name=_named("System"), description=COMBINED)
    SystemMembership.objects.create(user=user, system=system, role=SystemRole.FACILITATOR)
    organisation = organisation_create(system=system, name=_named("Org"), sector=Sector.VCFSE)
    group = group_create(
        system=system, organisation=organisation, name=_named("Team"), space=Space.TEAM
    )
    today = dt.date.today()
    assessment = assessment_create(
        group=group,
        title=_named("Round"),
        instrument_key="trace",
        rater_kinds=["member"],
        threshold=3,
        comment_threshold=3,
        opens_on=today,
        closes_on=today,
    )
    instrument = get_instrument("trace")
    for value in (2, 3, 4):
        Response.objects.create(
            assessment=assessment,
            rater_kind="member",
            answers={key: value for key in instrument.item_keys},
            free_text={prompt.key: COMBINED for prompt in instrument.free_text},
            submitted_on=today,
        )
    token = assessment_open_link(assessment=assessment)
    return {"system": system, "assessment": assessment, "token": token}


def _assert_inert(page: Any, where: str) -> None:
    assert page.evaluate("typeof window.__xss") == "undefined", f"a payload ran on {where}"
    injected = page.evaluate(
        """() => ({
            img: document.querySelectorAll('img[src="x"], img[onerror]').length,
            svg: document.querySelectorAll('svg[onload]').length,
            iframe: document.querySelectorAll('iframe').length,
            js_links: [...document.querySelectorAll('a[href]')]
                .filter(a => a.getAttribute('href').trim().toLowerCase()
                .startsWith('javascript:')).length,
            scripts: [...document.scripts].filter(s => s.text.includes('__xss')).length,
        })"""
    )
    assert injected == {"img": 0, "svg": 0, "iframe": 0, "js_links": 0, "scripts": 0}, (
        where,
        injected,
    )
    text = page.evaluate("document.body.innerText")
    assert "{{7*7}}" in text, f"template syntax was evaluated or lost on {where}"
    assert "49" not in text.split("{{7*7}}")[0][-5:], where


def test_payloads_in_names_titles_and_comments_render_as_text(
    browser: Any, live_server: Any, poisoned_world: dict[str, Any]
) -> None:
    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, live_server.url, "xss.facilitator")
    system = poisoned_world["system"]
    assessment = poisoned_world["assessment"]
    pages = [
        "/systems/",
        f"/systems/{system.pk}/",
        "/assessments/",
        f"/assessments/{assessment.pk}/",
        f"/assessments/{assessment.pk}/links/",
    ]
    for path in pages:
        page.goto(live_server.url + path)
        _assert_inert(page, path)
    # The results page shows the comments: the payload must be there, as text.
    page.goto(f"{live_server.url}/assessments/{assessment.pk}/")
    assert page.locator('text=<script>window.__xss="script"</script>').first.is_visible()
    # And the respondent sees the group's name on the introduction.
    respondent = context.new_page()
    respondent.goto(f"{live_server.url}/r/{poisoned_world['token']}/")
    _assert_inert(respondent, "respondent introduction")
    assert dialogs == []
    context.close()


def test_payloads_typed_into_the_forms_are_stored_verbatim_and_shown_inert(
    browser: Any, live_server: Any, transactional_db: Any, django_user_model: Any
) -> None:
    django_user_model.objects.create_user("xss.creator", password=PASSWORD)
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_server.url, "xss.creator")
    page.goto(live_server.url + "/systems/new/")
    page.get_by_label("Name of the system").fill(_named("Typed"))
    page.get_by_label("Description (optional)").fill(COMBINED)
    page.get_by_role("button", name="Add system").click()
    page.wait_for_load_state()
    _assert_inert(page, "the new system's page")
    assert page.locator("h1").inner_text().startswith("Typed <script>")
    context.close()
