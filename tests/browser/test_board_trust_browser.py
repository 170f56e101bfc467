"""Issue 10, part A, in headless Chromium at 360 px and 1280 px: the heatmap's colours and
labels, the level chart's axis, the character counter with emoji, the back link that
saves, a shared device on the open link, the introduction on a phone, and landmarks.
What depends on the width (the charts, the first screen) runs at each width; the stories
run once, at 360 px, with each page they check checked at 1280 px as well.

Every page is checked with axe (no serious or critical WCAG 2.2 AA violation) and with
axe's ``region`` rule on its own (a best-practice rule, so not in the WCAG tags): no
content outside a landmark.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from browser_helpers import (
    DESKTOP,
    PHONE,
    SHOTS,
    answer_scale_page,
    assert_no_sideways_scroll,
    at_both_widths,
    axe_run,
    screenshot,
    sign_in,
)
from playwright.sync_api import expect

from tracelead.reports import colours

pytestmark = pytest.mark.django_db(transaction=True)
VIEWPORTS = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1280px"])


def _check_page(page: Any, what: str) -> None:
    """axe's WCAG tags (serious, critical) and its region rule (any impact), in one run."""
    violations = axe_run(page, region=True)
    serious = [f"{v['id']}: {v['help']}" for v in violations
               if v["impact"] in {"serious", "critical"}]
    assert serious == [], f"axe on {what}: {serious}"
    outside = [" ".join(node["target"]) for v in violations if v["id"] == "region"
               for node in v["nodes"]]
    assert outside == [], f"content outside landmarks on {what}: {outside}"
    assert_no_sideways_scroll(page, what)


@pytest.fixture
def reported(system: Any, organisation: Any, team: Any, make_assessment: Any,
             add_responses: Any, close_and_publish: Any) -> dict[str, Any]:
    """A published cycle with a low-rated team and a high-rated one, after Ward 7's
    earlier published round."""
    import datetime as dt

    from tracelead.organisations import services
    from tracelead.organisations.models import Space
    from tracelead.publishing.gate import publish_due
    from tracelead.publishing.services import cycle_create

    care = services.group_create(system=system, organisation=organisation,
                                 name="Adult care team", space=Space.TEAM)
    earlier = cycle_create(system=system, name="Winter 2025", threshold=5, comment_threshold=5)
    current = cycle_create(system=system, name="Spring 2026", threshold=5, comment_threshold=5)
    before = make_assessment(team, cycle=earlier, opens_on=dt.date(2025, 1, 6),
                             closes_on=dt.date(2025, 2, 6))
    add_responses(before, [2, 3, 2, 3, 2, 3])
    assert publish_due(earlier) is not None
    now = make_assessment(team, cycle=current)
    add_responses(now, [5, 4, 4, 5, 4, 5, 4])
    low = make_assessment(care, cycle=current)
    add_responses(low, [1, 2, 1, 2, 1, 2])
    close_and_publish(now, low)
    return {"assessment": now, "low": low}


@VIEWPORTS
@pytest.mark.parametrize("measure", ["level", "sharedness"])
def test_the_heatmap_is_coloured_by_the_one_scheme_with_full_labels_and_a_key(
    live_server: Any, browser: Any, console: Any, reported: Any, make_facilitator: Any,
    system: Any, viewport: dict[str, int], measure: str,
) -> None:
    make_facilitator(system)
    context = browser.new_context(viewport=viewport)
    page = console.watch(context.new_page())
    sign_in(page, live_server.url, "fiona.facilitator")
    page.goto(f"{live_server.url}/reports/systems/{system.pk}/?measure={measure}")
    expect(page.locator("#chart-heatmap.tl-chart__canvas--drawn svg")).to_be_visible()
    scale = colours.heat_scale(measure)
    # Each drawn cell has the fill the colour module gives its class (named in its label).
    cells = page.evaluate("""() => [...document.querySelectorAll(
        '#chart-heatmap svg .mark-rect path')].map(p => [p.getAttribute('aria-label'),
        p.getAttribute('fill')])""")
    assert len(cells) == 10
    bands = dict(zip([*scale.labels, "Hidden"], [*scale.fills, colours.HIDDEN_FILL],
                     strict=True))
    for label, fill in cells:
        band = re.search(r"band: ([^;]+)", label)
        assert band is not None and fill == bands[band[1]], (label, fill)
    if measure == "level":
        # The low team is warm (below the midpoint), Ward 7 blue.
        low = [fill for label, fill in cells if "Adult care team" in label]
        assert all(colours.LEVEL.fills.index(f) < 4 for f in low), low
    # The key names the midpoint, in words, on the page.
    expect(page.locator("#heat-key-midpoint")).to_contain_text(scale.midpoint_label)
    # Column labels are whole and inside the drawing (not "Capabili" or "Ene").
    labels = page.evaluate("""() => {
        const svg = document.querySelector('#chart-heatmap svg').getBoundingClientRect();
        const scroller = document.querySelector('#chart-heatmap-figure .tl-chart__scroll')
            .getBoundingClientRect();
        return [...document.querySelectorAll('#chart-heatmap svg .role-axis-label text')]
            .map(t => { const r = t.getBoundingClientRect();
                return [t.textContent, r.left >= Math.min(svg.left, scroller.left) - 1,
                        r.right <= Math.max(svg.right, scroller.right) + 1,
                        r.top >= svg.top - 1]; });
    }""")
    names = [label[0] for label in labels]
    for condition in ("Task", "Route", "Alignment", "Capability", "Energy"):
        assert condition in names, names
    assert all(inside for label in labels for inside in label[1:]), labels
    _check_page(page, f"the heatmap ({measure}, {viewport['width']} px)")
    screenshot(page, f"board-trust-heatmap-{measure}-{viewport['width']}.png")
    context.close()
    console.assert_clean()


@VIEWPORTS
def test_the_level_charts_axis_is_visible_on_the_group_report(
    live_server: Any, browser: Any, console: Any, reported: Any, make_facilitator: Any,
    system: Any, viewport: dict[str, int],
) -> None:
    make_facilitator(system)
    context = browser.new_context(viewport=viewport)
    page = console.watch(context.new_page())
    sign_in(page, live_server.url, "fiona.facilitator")
    page.goto(f"{live_server.url}/reports/assessments/{reported['low'].pk}/")
    expect(page.locator("#chart-profile.tl-chart__canvas--drawn svg")).to_be_visible()
    # The axis of levels 1 to 5 is in view without scrolling sideways: every tick label
    # from 1 to 5 lies inside the visible part of the chart.
    ticks = page.evaluate("""() => {
        const box = document.querySelector('#chart-profile-figure .tl-chart__scroll')
            .getBoundingClientRect();
        return [...document.querySelectorAll('#chart-profile svg .role-axis-label text')]
            .filter(t => /^[1-5](\\.0)?$/.test(t.textContent.trim()))
            .map(t => { const r = t.getBoundingClientRect();
                return [t.textContent.trim(),
                        r.left >= box.left - 1 && r.right <= box.right + 1]; });
    }""")
    assert {t[0][0] for t in ticks} >= {"1", "2", "3", "4", "5"}, ticks
    assert all(t[1] for t in ticks), ticks
    # Below the midpoint the summary does not call the highest a strength.
    expect(page.locator("#summary")).to_contain_text("No condition reaches the middle")
    expect(page.locator("#summary")).not_to_contain_text("rated highest")
    _check_page(page, f"the group report ({viewport['width']} px)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#chart-profile-figure").screenshot(
        path=str(SHOTS / f"board-trust-profile-{viewport['width']}.png"))
    context.close()
    console.assert_clean()


# --- The respondent journey ---------------------------------------------------------------


def _personal_link(live_server: Any, assessment: Any) -> str:
    from tracelead.diagnostics import services

    invitation = services.invitations_create(assessment=assessment, rater_kind="member",
                                             count=1)[0]
    return f"{live_server.url}/r/{invitation.token}/"


ANSWERS = ["Agree", "Agree", "Disagree", "Agree", "Strongly agree", "Agree", "Agree"]


@VIEWPORTS
def test_the_introduction_puts_start_now_on_the_first_screen_and_says_who_runs_it(
    live_server: Any, browser: Any, console: Any, assessment: Any, viewport: dict[str, int],
) -> None:
    system = assessment.group.system
    system.survey_runner = "the organisational development team"
    system.survey_contact = "od.team@northbrook.nhs.uk"
    system.save()
    context = browser.new_context(viewport=viewport)
    page = console.watch(context.new_page())
    page.goto(_personal_link(live_server, assessment))
    start = page.get_by_role("button", name="Start now")
    box = start.bounding_box()
    assert box is not None and box["y"] + box["height"] <= viewport["height"], box
    header = page.locator(".nhsuk-header").inner_text()
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading.strip() in header, (header, heading)
    expect(page.locator("#intro-runner")).to_contain_text(
        "Run by the organisational development team")
    _check_page(page, f"the introduction ({viewport['width']} px)")
    screenshot(page, f"board-trust-intro-{viewport['width']}.png")
    page.locator("#privacy-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy notice")
    _check_page(page, f"the privacy notice ({viewport['width']} px)")
    context.close()
    console.assert_clean()


def test_the_top_back_link_saves_the_answers_on_the_page(
    live_server: Any, browser: Any, console: Any, assessment: Any,
) -> None:
    context = browser.new_context(viewport=PHONE)
    page = console.watch(context.new_page())
    link = _personal_link(live_server, assessment)
    page.goto(link)
    page.get_by_role("button", name="Start now").click()
    answer_scale_page(page, ANSWERS)
    page.get_by_role("button", name="Save and continue").click()
    expect(page).to_have_url(re.compile(r"/2/$"))
    # On page 2, answer two statements, then leave by the back link at the top.
    fieldsets = page.locator("form#main-form fieldset fieldset")
    fieldsets.nth(0).get_by_label("Disagree", exact=True).check()
    fieldsets.nth(3).get_by_label("Strongly agree", exact=True).check()
    at_both_widths(page, _check_page, "a questionnaire page")
    back = page.locator("nav.tl-back-nav").get_by_role("button", name="Back")
    expect(back).to_be_visible()
    back.click()
    expect(page).to_have_url(re.compile(r"/1/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Task")
    # Page 1's hint explains the four kinds of problem.
    expect(page.locator("form#main-form")).to_contain_text("Chaotic:")
    page.get_by_role("button", name="Save and continue").click()
    expect(page).to_have_url(re.compile(r"/2/$"))
    expect(fieldsets.nth(0).get_by_label("Disagree", exact=True)).to_be_checked()
    expect(fieldsets.nth(3).get_by_label("Strongly agree", exact=True)).to_be_checked()
    context.close()
    console.assert_clean()


def test_the_character_counter_counts_emoji_as_the_server_does(
    live_server: Any, browser: Any, console: Any, assessment: Any,
) -> None:
    from tracelead.diagnostics.models import Response

    context = browser.new_context(viewport=PHONE)
    page = console.watch(context.new_page())
    page.goto(_personal_link(live_server, assessment))
    page.get_by_role("button", name="Start now").click()
    for number in range(1, 6):
        answer_scale_page(page, ANSWERS)
        page.get_by_role("button", name="Save and continue").click()
        expect(page).to_have_url(re.compile(rf"/{number + 1}/$"))
    # A family emoji is one glyph, five code points and eight UTF-16 units; the server
    # counts code points, so 495 letters and the emoji make exactly 500.
    family = "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"[:5]
    comment = page.locator("textarea#task_statement")
    comment.fill("a" * 495 + family)
    message = page.locator(".nhsuk-character-count__status").first
    expect(message).to_contain_text("0 characters remaining")
    comment.fill("a" * 496 + family)
    expect(message).to_contain_text("1 character too many")
    at_both_widths(page, _check_page, "the comments page")
    comment.fill("a" * 495 + family)
    page.get_by_role("button", name="Submit my answers").click()
    expect(page).to_have_url(re.compile(r"/r/done/$"))
    saved = Response.objects.get(assessment=assessment).free_text["task_statement"]
    assert len(saved) == 500
    context.close()
    console.assert_clean()


def test_a_shared_device_offers_to_answer_as_another_person(
    live_server: Any, browser: Any, console: Any, team: Any, make_assessment: Any,
) -> None:
    from tracelead.diagnostics import services
    from tracelead.diagnostics.models import Response

    assessment = make_assessment(team)
    link = f"{live_server.url}/r/{services.assessment_open_link(assessment=assessment)}/"
    context = browser.new_context(viewport=PHONE)
    page = console.watch(context.new_page())
    for person in range(2):
        page.goto(link)
        if person:
            expect(page.get_by_role("heading", level=1)).to_have_text(
                "Answers already sent from this device")
            at_both_widths(page, _check_page, "the shared-device page")
            page.get_by_role("button", name="Answer as another person").click()
        page.get_by_role("button", name="Start now").click()
        for number in range(1, 6):
            if person:
                # The second person sees none of the first person's answers.
                expect(page.locator("form#main-form input:checked")).to_have_count(0)
            answer_scale_page(page, ANSWERS)
            page.get_by_role("button", name="Save and continue").click()
            expect(page).to_have_url(re.compile(rf"/{number + 1}/$"))
        page.get_by_role("button", name="Submit my answers").click()
        expect(page).to_have_url(re.compile(r"/r/done/$"))
    assert Response.objects.filter(assessment=assessment).count() == 2
    context.close()
    console.assert_clean()


def test_pages_with_a_back_link_keep_everything_in_landmarks(
    live_server: Any, browser: Any, console: Any, reported: Any, make_facilitator: Any,
    system: Any,
) -> None:
    from django.urls import reverse

    make_facilitator(system)
    assessment = reported["assessment"]
    context = browser.new_context(viewport=PHONE)
    page = console.watch(context.new_page())
    sign_in(page, live_server.url, "fiona.facilitator")
    paths = [
        reverse("system", args=[system.pk]),
        reverse("system_create"),
        reverse("organisation_create", args=[system.pk]),
        reverse("group_create", args=[system.pk]),
        reverse("cycles", args=[system.pk]),
        reverse("assessment", args=[assessment.pk]),
        reverse("assessment_invitations", args=[assessment.pk]),
        reverse("report_group", args=[assessment.pk]),
        reverse("report_system", args=[system.pk]),
    ]
    backs = 0
    for path in paths:
        page.goto(f"{live_server.url}{path}")
        backs += page.locator("nav.tl-back-nav .nhsuk-back-link").count()
        at_both_widths(page, _check_page, path)
    assert backs >= 6, "most of these pages have a back link"
    context.close()
    console.assert_clean()
