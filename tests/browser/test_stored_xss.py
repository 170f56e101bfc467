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
from tracelead.publishing.models import Cycle
from tracelead.publishing.services import cycle_create, publishing_point

PAYLOADS = [
    '<script>window.__xss="script"</script>',
    '"><img src=x onerror="window.__xss=\'img\'">',
    "<svg onload=\"window.__xss='svg'\">",
    "<iframe src=\"javascript:window.__xss='iframe'\"></iframe>",
    "{{7*7}} {% raw %}",
    "javascript:window.__xss='href'",
]
COMBINED = " ".join(PAYLOADS)
# A cycle's name holds at most 100 characters: the payloads that fit, template syntax first.
CYCLE_NAME = (
    'Cycle {{7*7}} <script>window.__xss="cycle"</script>'
    '"><img src=x onerror="window.__xss=\'cyc\'">'
)


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
    assert len(CYCLE_NAME) <= Cycle._meta.get_field("name").max_length
    cycle = cycle_create(system=system, name=CYCLE_NAME, threshold=3, comment_threshold=3)
    assessment = assessment_create(
        group=group,
        cycle=cycle,
        title=_named("Round"),
        instrument_key="trace",
        rater_kinds=["member"],
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
    # Results (and so the comments) are shown only once published: a publishing point.
    publishing_point(assessment=assessment, user=user)
    token = assessment_open_link(assessment=assessment)
    return {"system": system, "cycle": cycle, "assessment": assessment, "token": token}


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
            scripts: [...document.scripts].filter(s => s.type !== 'application/json')
                .filter(s => s.text.includes('__xss')).length,
            // Chart specs are JSON data blocks: names may be in them, but never a raw
            // '<' that could close the block and start markup.
            data_blocks: [...document.querySelectorAll('script[type="application/json"]')]
                .filter(s => s.text.includes('<')).length,
        })"""
    )
    assert injected == {
        "img": 0,
        "svg": 0,
        "iframe": 0,
        "js_links": 0,
        "scripts": 0,
        "data_blocks": 0,
    }, (
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
    cycle = poisoned_world["cycle"]
    pages = [
        "/systems/",
        f"/systems/{system.pk}/",
        f"/systems/{system.pk}/cycles/",
        f"/cycles/{cycle.pk}/edit/",
        "/assessments/",
        "/assessments/new/",
        f"/assessments/{assessment.pk}/",
        f"/assessments/{assessment.pk}/links/",
        f"/reports/assessments/{assessment.pk}/",
        f"/reports/systems/{system.pk}/",
        f"/reports/systems/{system.pk}/?cycle={cycle.pk}&measure=sharedness",
    ]
    for path in pages:
        page.goto(live_server.url + path)
        if path.startswith("/reports/"):
            # The charts are drawn from the names: check once vega has drawn them.
            page.locator(".tl-chart__canvas--drawn svg").first.wait_for()
        _assert_inert(page, path)
    # The cycle's name reads as text where it is shown: its list, the heatmap's select and
    # publication note, and the options of the new assessment form.
    page.goto(f"{live_server.url}/systems/{system.pk}/cycles/")
    assert page.locator("#cycles tbody th").first.inner_text() == CYCLE_NAME
    page.goto(f"{live_server.url}/reports/systems/{system.pk}/")
    assert page.locator("select#cycle option:checked").inner_text() == CYCLE_NAME
    assert page.locator("#publication-note").inner_text().startswith(f"{CYCLE_NAME}, as ")
    page.goto(f"{live_server.url}/assessments/new/")
    assert page.locator("#id_cycle option").nth(1).inner_text().startswith(f"{CYCLE_NAME} (")
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
    browser: Any, live_server: Any, transactional_db: Any, django_user_model: Any, settings: Any
) -> None:
    settings.TRACELEAD_SYSTEM_CREATORS = "anyone-signed-in"
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
    # A reporting cycle named with payloads, typed into its form.
    page.get_by_role("link", name="Reporting cycles").click()
    page.get_by_role("link", name="Add a reporting cycle").click()
    page.get_by_label("Name", exact=True).fill(CYCLE_NAME)
    page.get_by_role("button", name="Add cycle").click()
    page.wait_for_load_state()
    _assert_inert(page, "the cycle list")
    assert page.locator("#cycles tbody th").first.inner_text() == CYCLE_NAME
    page.get_by_role("link", name="Change").first.click()
    page.wait_for_load_state()
    _assert_inert(page, "the cycle's change form")
    assert page.get_by_label("Name", exact=True).input_value() == CYCLE_NAME
    assert page.locator("h1").inner_text() == f"Change {CYCLE_NAME}"
    context.close()
