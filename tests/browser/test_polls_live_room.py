"""Live polls in a real browser: phones 360 px wide join and vote while the presenter's
screen, signed in as Fiona the facilitator, changes without reloading.

Northbrook's academy runs "Workshop 3" today with a poll of every kind of question and a
TRACE pulse. Each phone is a browser context of its own (its own cookie, so its own
device). The presenter's screen is checked for a ``window.__marker`` set before the votes:
a reload would lose it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_UP, Decimal
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

DESKTOP = {"width": 1280, "height": 800}
FACILITATOR = "fiona.facilitator"


@pytest.fixture
def room(system: Any, make_facilitator: Any) -> dict[str, Any]:
    """The academy, today's workshop, Fiona, a poll with one question of each kind (in the
    order scale, single, multiple, words, text, ranking, ideas) and a TRACE pulse."""
    from django.utils import timezone

    from tracelead.academy import services as academy_services
    from tracelead.polls import services
    from tracelead.polls.services import QuestionDraft

    academy = academy_services.academy_create(
        system=system, name="Northbrook Leadership Academy",
        purpose="Grow leaders who work across the whole system.", places="Northbrook\nVale",
        privacy_notice="We keep your details to run the academy.")
    starts = timezone.now() - dt.timedelta(minutes=30)
    event = academy_services.event_create(
        academy=academy, kind="workshop", title="Workshop 3: trust across boundaries",
        starts_at=starts, ends_at=starts + dt.timedelta(hours=3), venue="Vale Civic Centre")
    fiona = make_facilitator(system, FACILITATOR)
    poll = services.poll_create(academy=academy, event=event, title="How are we doing?",
                                created_by=fiona)
    drafts = [
        QuestionDraft(kind="scale", prompt="How much do you trust partners outside your "
                      "organisation?", low_label="Not at all", high_label="Completely"),
        QuestionDraft(kind="single", prompt="Where should we start?",
                      options=["Discharge", "Prevention", "Workforce"]),
        QuestionDraft(kind="multiple", prompt="Which sessions helped?",
                      options=["Story circle", "Systems mapping", "Exchange"]),
        QuestionDraft(kind="words", prompt="One word for today", max_entries=2),
        QuestionDraft(kind="text", prompt="What will you do differently?"),
        QuestionDraft(kind="ranking", prompt="Rank the priorities",
                      options=["Housing", "Hospital flow", "Loneliness"]),
        QuestionDraft(kind="ideas", prompt="Ideas for the next workshop", max_entries=2),
    ]
    questions = {d.kind: services.question_save(poll=poll, question=None, draft=d)
                 for d in drafts}
    pulse = services.pulse_create(academy=academy, event=event, created_by=fiona)
    return {"academy": academy, "event": event, "poll": poll, "q": questions,
            "pulse": pulse}


@pytest.fixture
def new_device(browser: Any, console: Any) -> Iterator[Callable[..., Any]]:
    """``new_device()`` opens a new phone (a fresh 360 px context); ``new_device(DESKTOP)`` a
    laptop. Every page is watched for console errors; contexts close at the end."""
    contexts: list[Any] = []

    def open_device(viewport: dict[str, int] = PHONE) -> Any:
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
        return console.watch(context.new_page())

    yield open_device
    for context in contexts:
        context.close()


def _present_path(poll: Any) -> str:
    return f"/academy/{poll.academy_id}/polls/{poll.pk}/present/"


def open_presenter(new_device: Callable[..., Any], base_url: str, poll: Any) -> Any:
    """Fiona signs in on the laptop and opens the presenter's view of ``poll``."""
    screen = new_device(DESKTOP)
    sign_in(screen, base_url, FACILITATOR, next_path=_present_path(poll))
    expect(screen.locator("#tl-code")).to_have_text(poll.code)
    screen.evaluate("window.__marker = 1")
    return screen


def press(screen: Any, label: str) -> None:
    screen.get_by_role("button", name=label, exact=True).click()


def assert_not_reloaded(screen: Any) -> None:
    assert screen.evaluate("window.__marker") == 1, "the presenter's page was reloaded"


def join(phone: Any, base_url: str, poll: Any) -> None:
    """Open the poll's link (as the QR code does) and join."""
    phone.goto(f"{base_url}/p/{poll.code}/")
    phone.get_by_role("button", name="Join the poll").click()
    expect(phone.locator("#tl-poll-phone")).to_be_visible()


def choose(phone: Any, text: str, question: Any = None) -> None:
    """Tap the label reading ``text`` (within ``question``'s fieldset if given)."""
    scope = phone.locator(f"#q{question.pk}") if question is not None else phone
    exact = re.compile(rf"^\s*{re.escape(text)}\s*$")
    scope.locator("label", has_text=exact).click()


def send(phone: Any, label: str = "Send") -> None:
    phone.get_by_role("button", name=label, exact=True).click()
    expect(phone.locator("#tl-poll-saved")).to_contain_text("Your answer is saved")


def bar_counts(screen: Any) -> Any:
    return screen.locator("#tl-results .tl-bars__count")


def js_fixed(value: float, places: int) -> str:
    """What the presenter's ``fmt`` prints: JavaScript's ``toFixed``, which rounds the
    binary value's exact decimal expansion half up (Python's format rounds half to even)."""
    exact = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{exact:.{places}f}"


def test_phones_vote_and_the_presenter_screen_counts_them_without_reloading(
        live_server: Any, new_device: Any, console: Any, room: dict[str, Any]) -> None:
    poll, scale, single = room["poll"], room["q"]["scale"], room["q"]["single"]
    screen = open_presenter(new_device, live_server.url, poll)
    expect(screen.locator("#tl-q-status")).to_have_text("Not started")
    expect(screen.locator("#tl-joined")).to_have_text("0")

    # Ann types the code from the screen before the first question and waits.
    ann, bob, cara = new_device(), new_device(), new_device()
    ann.goto(f"{live_server.url}/p/")
    ann.get_by_label("Code").fill(poll.code.lower())
    ann.get_by_role("button", name="Join", exact=True).click()
    expect(ann.get_by_role("heading", level=1)).to_have_text(poll.title)
    ann.get_by_role("button", name="Join the poll").click()
    expect(ann.locator("#tl-poll-waiting")).to_contain_text(
        "Waiting for the facilitator to show a question")
    expect(screen.locator("#tl-joined")).to_have_text("1")
    press(screen, "Next")
    expect(screen.locator("#tl-q-status")).to_have_text("Question 1 of 7: open for votes")
    expect(screen.locator("#tl-q-prompt")).to_have_text(scale.prompt)
    # Her phone shows the question by itself within a few seconds (it asks every two).
    expect(ann.locator(f"#q{scale.pk} legend")).to_have_text(scale.prompt, timeout=6000)

    # Bob and Cara scan the QR code.
    join(bob, live_server.url, poll)
    join(cara, live_server.url, poll)
    expect(screen.locator("#tl-joined")).to_have_text("3")
    expect(screen.locator("#tl-votes")).to_have_text("0")
    expect(bar_counts(screen)).to_have_text(["0", "0", "0", "0", "0"])

    for phone, value in ((ann, "4"), (bob, "4"), (cara, "2")):
        expect(phone.locator(f"#q{scale.pk} legend")).to_have_text(scale.prompt)
        choose(phone, value, scale)
        send(phone)
    expect(screen.locator("#tl-votes")).to_have_text("3")
    expect(bar_counts(screen)).to_have_text(["0", "1", "0", "2", "0"])
    expect(screen.locator("#tl-mean")).to_have_text("Average 3.3 from 3 answers")
    assert_not_reloaded(screen)
    screenshot(screen, "polls-present-scale.png")

    # "Next": the phones, left alone since they sent, show the next question by
    # themselves (nobody reloads them); the bars follow each vote.
    press(screen, "Next")
    expect(screen.locator("#tl-q-prompt")).to_have_text(single.prompt)
    expect(screen.locator("#tl-votes")).to_have_text("0")
    expect(bar_counts(screen)).to_have_text(["0", "0", "0"])
    for phone in (ann, bob, cara):
        expect(phone.locator(f"#q{single.pk} legend")).to_have_text(single.prompt,
                                                                    timeout=6000)
        expect(phone.locator(f"#q{scale.pk}")).to_have_count(0)
    for phone, option, counts in ((ann, "Workforce", ["0", "0", "1"]),
                                  (bob, "Discharge", ["1", "0", "1"]),
                                  (cara, "Workforce", ["1", "0", "2"])):
        choose(phone, option, single)
        send(phone)
        expect(bar_counts(screen)).to_have_text(counts)
    expect(screen.locator("#tl-votes")).to_have_text("3")
    expect(screen.locator("#tl-joined")).to_have_text("3")
    expect(screen.locator("#tl-results .tl-bars__label")).to_have_text(
        ["Discharge", "Prevention", "Workforce"])
    assert_not_reloaded(screen)
    screenshot(screen, "polls-present-single.png")
    screenshot(cara, "polls-vote-saved.png")
    console.assert_clean()


def test_results_stay_hidden_until_the_facilitator_reveals_them(
        live_server: Any, new_device: Any, console: Any, room: dict[str, Any]) -> None:
    poll, scale = room["poll"], room["q"]["scale"]
    screen = open_presenter(new_device, live_server.url, poll)
    press(screen, "Next")
    expect(bar_counts(screen)).to_have_count(5)
    press(screen, "Hide results")
    hidden = screen.locator("#tl-hidden")
    expect(hidden).to_have_text("Results are hidden until you reveal them. "
                                "0 people have answered.")
    expect(screen.get_by_role("button", name="Reveal results")).to_be_visible()

    ann, bob = new_device(), new_device()
    for phone, value in ((ann, "5 (Completely)"), (bob, "3")):
        join(phone, live_server.url, poll)
        choose(phone, value, scale)
        send(phone)
    expect(hidden).to_have_text("Results are hidden until you reveal them. "
                                "2 people have answered.")
    expect(screen.locator("#tl-votes")).to_have_text("2")
    expect(screen.locator("#tl-results .tl-bars")).to_have_count(0)
    expect(screen.locator("#tl-mean")).to_have_count(0)
    assert_accessible(screen, "the presenter's view with results hidden")
    screenshot(screen, "polls-present-hidden.png")

    press(screen, "Reveal results")
    expect(bar_counts(screen)).to_have_text(["0", "0", "1", "0", "1"])
    expect(screen.locator("#tl-mean")).to_have_text("Average 4.0 from 2 answers")
    expect(hidden).to_have_count(0)
    expect(screen.get_by_role("button", name="Hide results")).to_be_visible()
    assert_not_reloaded(screen)
    console.assert_clean()


def test_a_phone_has_one_vote_it_can_change_until_the_question_closes(
        live_server: Any, new_device: Any, console: Any, room: dict[str, Any]) -> None:
    from tracelead.polls import services
    from tracelead.polls.models import Vote

    poll, single = room["poll"], room["q"]["single"]
    services.poll_show(poll=poll, question=single)
    screen = open_presenter(new_device, live_server.url, poll)
    expect(screen.locator("#tl-q-prompt")).to_have_text(single.prompt)

    ann = new_device()
    join(ann, live_server.url, poll)
    choose(ann, "Discharge", single)
    send(ann)
    expect(bar_counts(screen)).to_have_text(["1", "0", "0"])
    expect(screen.locator("#tl-votes")).to_have_text("1")
    # She changes her mind: the page says so, and the bar moves rather than a second one.
    expect(ann.get_by_label("Discharge")).to_be_checked()
    choose(ann, "Workforce", single)
    send(ann, "Change my answer")
    expect(bar_counts(screen)).to_have_text(["0", "0", "1"])
    expect(screen.locator("#tl-votes")).to_have_text("1")
    expect(screen.locator("#tl-joined")).to_have_text("1")
    expect(ann.get_by_label("Workforce")).to_be_checked()
    assert list(Vote.objects.filter(question=single).values_list("answer", flat=True)) == [2]

    # Bob has chosen but not sent when Fiona closes voting.
    bob = new_device()
    join(bob, live_server.url, poll)
    choose(bob, "Prevention", single)
    press(screen, "Close voting")
    expect(screen.locator("#tl-q-status")).to_have_text("Question 2 of 7: voting closed")
    expect(screen.get_by_role("button", name="Open voting")).to_be_visible()
    # Ann's phone, left alone, shows by itself that voting closed and her vote counted.
    expect(ann.locator(f"#q{single.pk}-closed")).to_have_text(
        "Voting on this question has closed; your answer was counted.")
    expect(ann.get_by_label("Workforce")).to_be_disabled()
    expect(ann.get_by_role("button", name="Change my answer")).to_have_count(0)
    # Bob's choice is not swept away: a notice offers the change, and sending is refused.
    expect(bob.locator("#tl-poll-moved")).to_be_visible()
    expect(bob.get_by_label("Prevention")).to_be_checked()
    bob.get_by_role("button", name="Send", exact=True).click()
    expect(bob.locator(".nhsuk-error-summary")).to_contain_text(
        "Voting has closed on this question")
    bob.get_by_role("link", name=re.compile("^Voting has closed on this question")).click()
    expect(bob.locator("#questions")).to_be_in_viewport()
    expect(bob.locator("#questions")).to_contain_text(single.prompt)
    expect(bob.locator(f"#q{single.pk}-closed")).to_have_text(
        "Voting on this question has closed.")
    assert_accessible(bob, "the vote page once voting closed")
    assert_no_sideways_scroll(bob, "the vote page once voting closed")
    screenshot(bob, "polls-vote-closed.png")
    expect(bar_counts(screen)).to_have_text(["0", "0", "1"])
    expect(screen.locator("#tl-votes")).to_have_text("1")
    assert_not_reloaded(screen)
    console.assert_clean()


def test_the_pulse_shows_level_and_sharedness_as_the_analysis_core_computes_them(
        live_server: Any, new_device: Any, console: Any, room: dict[str, Any]) -> None:
    import numpy as np

    from tracelead.analysis import condition_profile
    from tracelead.analysis.agreement import sharedness
    from tracelead.analysis.polls import pulse as pulse_of
    from tracelead.polls.services import pulse_conditions

    poll = room["pulse"]
    statements = list(poll.questions.order_by("position"))
    keys = [q.condition for q in statements]
    names = {key: (name, role) for key, name, role in pulse_conditions()}
    # Three people; they agree on every condition but alignment, where the room is split.
    ratings = [[4, 5, 1, 4, 2],
               [4, 4, 5, 4, 2],
               [5, 4, 1, 3, 3]]

    screen = open_presenter(new_device, live_server.url, poll)
    press(screen, "Next")
    expect(screen.locator("#tl-q-status")).to_contain_text("open for votes")
    phones = [new_device() for _ in ratings]
    for phone, row in zip(phones, ratings, strict=True):
        join(phone, live_server.url, poll)
        expect(phone.locator("form#main-form fieldset")).to_have_count(5)
        for statement, value in zip(statements, row, strict=True):
            expect(phone.locator(f"#q{statement.pk}-{value}")).to_be_enabled()
            phone.locator(f"label[for='q{statement.pk}-{value}']").click()
        send(phone)
    expect(screen.locator("#tl-votes")).to_have_text("3")
    assert_accessible(phones[0], "the pulse's vote page")
    assert_no_sideways_scroll(phones[0], "the pulse's vote page")
    screenshot(phones[0], "polls-vote-pulse.png")

    profile = condition_profile(np.array(ratings, dtype=float), keys)
    for condition in profile.conditions:
        row = screen.locator(f"#tl-results tr[data-condition='{condition.key}']")
        name, role = names[condition.key]
        expect(row.locator("th")).to_have_text(f"{name} ({role})")
        expect(row.locator(".tl-pulse__level")).to_have_text(
            js_fixed(round(condition.mean, 2), 1))
        rwg = condition.rwg_j
        rwg_text = "–" if math.isnan(rwg) else js_fixed(round(rwg, 2), 2)
        expect(row.locator(".tl-pulse__shared")).to_have_text(
            f"{sharedness(rwg)} (rwg {rwg_text})")
        expect(row.locator("td").last).to_have_text(str(condition.n))
    split = profile.condition("alignment")
    assert sharedness(split.rwg_j) == "not shared"
    assert sharedness(profile.condition("task").rwg_j) == "widely shared"

    focus = pulse_of(ratings, keys, roles={k: names[k][1] for k in keys}).focus
    assert focus is not None and focus.condition == "alignment"
    focus_name, focus_role = names[focus.condition]
    expect(screen.locator("#tl-focus")).to_contain_text(f"Talk about {focus_name} first")
    expect(screen.locator("#tl-focus")).to_contain_text(f"It calls for the {focus_role}.")
    assert_accessible(screen, "the presenter's view of the pulse")
    screenshot(screen, "polls-present-pulse.png")
    screen.set_viewport_size(PHONE)
    assert_no_sideways_scroll(screen, "the presenter's view of the pulse at 360 px")
    assert_not_reloaded(screen)
    console.assert_clean()


def test_every_page_passes_axe_and_fits_a_phone_for_each_kind_of_question(
        live_server: Any, new_device: Any, console: Any, room: dict[str, Any]) -> None:
    poll, q = room["poll"], room["q"]
    phone = new_device()
    phone.goto(f"{live_server.url}/p/")
    assert_accessible(phone, "the start page")
    assert_no_sideways_scroll(phone, "the start page")
    screenshot(phone, "polls-start.png")
    phone.get_by_role("button", name="Join", exact=True).click()
    expect(phone.locator(".nhsuk-error-summary")).to_contain_text(
        "Enter the code shown on the screen")
    assert_accessible(phone, "the start page with an error")
    phone.get_by_label("Code").fill("ZZZ999")
    phone.get_by_role("button", name="Join", exact=True).click()
    expect(phone.locator("main")).to_contain_text("No poll is running with the code")
    assert_accessible(phone, "the start page after a code that matches nothing")
    phone.get_by_label("Code").fill(poll.code)
    phone.get_by_role("button", name="Join", exact=True).click()
    expect(phone.locator("#privacy")).to_contain_text("This poll is anonymous.")
    assert_accessible(phone, "the join page")
    assert_no_sideways_scroll(phone, "the join page")
    screenshot(phone, "polls-join.png")
    phone.get_by_role("button", name="Join the poll").click()
    expect(phone.locator("#tl-poll-waiting")).to_be_visible()
    assert_accessible(phone, "the vote page before the first question")
    assert_no_sideways_scroll(phone, "the vote page before the first question")

    screen = open_presenter(new_device, live_server.url, poll)
    assert_accessible(screen, "the presenter's view before the first question")
    screenshot(screen, "polls-present-start.png")

    def answer(kind: str) -> None:
        question = q[kind]
        if kind == "scale":
            choose(phone, "4", question)
        elif kind == "single":
            choose(phone, "Prevention", question)
        elif kind == "multiple":
            choose(phone, "Story circle", question)
            choose(phone, "Exchange", question)
        elif kind == "words":
            phone.get_by_label("Word 1").fill("Trust")
            phone.get_by_label("Word 2").fill("Momentum")
        elif kind == "text":
            phone.get_by_role("button", name="Send", exact=True).click()
            expect(phone.locator(".nhsuk-error-summary")).to_contain_text("Enter your answer")
            assert_accessible(phone, "the vote page with an error")
            assert_no_sideways_scroll(phone, "the vote page with an error")
            phone.get_by_role("link", name="Enter your answer").click()
            expect(phone.get_by_label(question.prompt)).to_be_focused()
            phone.get_by_label(question.prompt).fill("Ring the council before a discharge.")
        elif kind == "ranking":
            for option, place in (("Housing", "2"), ("Hospital flow", "1"),
                                  ("Loneliness", "3")):
                phone.get_by_label(option).select_option(place)
        if kind != "ideas":
            send(phone)
            return
        phone.get_by_label("Your idea").fill("Walk the discharge pathway together")
        phone.get_by_role("button", name="Add my idea").click()
        idea = phone.locator(".tl-poll-idea")
        expect(idea).to_contain_text("Walk the discharge pathway together")
        phone.get_by_role("button", name="Vote for “Walk the discharge pathway together”").click()
        expect(phone.get_by_role("button", name="Take back my vote for “Walk the discharge "
                                 "pathway together”")).to_be_visible()

    results = {
        "scale": lambda: expect(bar_counts(screen)).to_have_text(["0", "0", "0", "1", "0"]),
        "single": lambda: expect(bar_counts(screen)).to_have_text(["0", "1", "0"]),
        "multiple": lambda: expect(bar_counts(screen)).to_have_text(["1", "0", "1"]),
        "words": lambda: expect(screen.locator(".tl-cloud > span")).to_have_count(2),
        "text": lambda: expect(screen.locator(".tl-texts li")).to_have_text(
            ["Ring the council before a discharge."]),
        "ranking": lambda: expect(screen.locator("#tl-results .tl-bars__label")).to_have_text(
            [re.compile(r"^Hospital flow"), re.compile(r"^Housing"),
             re.compile(r"^Loneliness")]),
        "ideas": lambda: expect(bar_counts(screen)).to_have_text(["1"]),
    }
    for number, kind in enumerate(q, start=1):
        question = q[kind]
        press(screen, "Next")
        expect(screen.locator("#tl-q-status")).to_have_text(
            f"Question {number} of 7: open for votes")
        # The phone notices the new question by itself within two seconds (it reloads,
        # or offers the question if the person had started answering): wait for that
        # before opening the page afresh, or the two navigations can cross (the page's
        # own reload aborts ours: net::ERR_ABORTED).
        expect(phone.get_by_text(question.prompt, exact=True).or_(
            phone.locator("#tl-poll-moved:not([hidden])"))).to_be_visible()
        phone.goto(f"{live_server.url}/p/{poll.code}/")
        expect(phone.get_by_text(question.prompt, exact=True)).to_be_visible()
        assert_accessible(phone, f"the vote page with a {kind} question")
        assert_no_sideways_scroll(phone, f"the vote page with a {kind} question")
        screenshot(phone, f"polls-vote-{kind}.png")
        answer(kind)
        if kind == "ideas":
            assert_accessible(phone, "the vote page with an idea voted for")
            assert_no_sideways_scroll(phone, "the vote page with an idea voted for")
            screenshot(phone, "polls-vote-ideas-voted.png")
        expect(screen.locator("#tl-votes")).to_have_text("1")
        results[kind]()
        assert_accessible(screen, f"the presenter's view of a {kind} question")
        if kind in {"scale", "single"}:
            continue  # the same bars as "multiple", pictured by the first test
        screenshot(screen, f"polls-present-{kind}.png")
        screen.set_viewport_size(PHONE)
        assert_no_sideways_scroll(screen, f"the presenter's view of a {kind} question at 360 px")
        screen.set_viewport_size(DESKTOP)
    screen.set_viewport_size(PHONE)
    screenshot(screen, "polls-present-phone.png")
    assert_not_reloaded(screen)
    console.assert_clean()
