"""Preparing polls through the pages: Fran (facilitator) adds polls to a workshop, writes,
orders and removes their questions, makes a TRACE pulse and keeps templates; Vic (viewer of
the whole system) is refused, Olu (another system) finds nothing."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.urls import reverse

from tracelead.polls import services
from tracelead.polls.models import Participant, Poll, PollKind, Question, Vote

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def detail_url(poll: Any) -> str:
    return reverse("poll_detail", args=[poll.academy_id, poll.pk])


def question_post(**changes: Any) -> dict[str, Any]:
    data = {"kind": "scale", "prompt": "How much do you trust partners?", "options": "",
            "scale_min": "1", "scale_max": "5", "low_label": "", "high_label": "",
            "max_entries": "3"}
    data.update(changes)
    return data


@pytest.fixture
def blank_poll(academy: Any, workshop: Any, facilitator: Any) -> Any:
    return services.poll_create(academy=academy, event=workshop, title="Morning check-in",
                                created_by=facilitator)


def add_question(client: Any, poll: Any, **changes: Any) -> Any:
    return client.post(reverse("poll_question_new", args=[poll.academy_id, poll.pk]),
                       question_post(**changes))


def prompts(poll: Any) -> list[str]:
    return list(poll.questions.order_by("position", "id").values_list("prompt", flat=True))


# --- Adding a poll to an event ----------------------------------------------------------


def test_fran_adds_a_named_poll_that_asks_for_sector_and_the_event_page_lists_it(
        facilitator_client: Any, academy: Any, workshop: Any) -> None:
    response = facilitator_client.post(
        reverse("poll_new", args=[academy.pk, workshop.pk]),
        {"start": "blank", "title": "  Morning   check-in ", "anonymous": "no",
         "ask_sector": "yes"})
    poll = Poll.objects.get(event=workshop)
    assert response.status_code == 302 and response["Location"] == detail_url(poll)
    assert (poll.title, poll.anonymous, poll.ask_sector) == ("Morning check-in", False, True)
    assert poll.kind == PollKind.CUSTOM and len(poll.code or "") >= 6

    page = text(facilitator_client.get(reverse("academy_event", args=[academy.pk, workshop.pk])))
    assert "Live polls" in page and "Morning check-in" in page and poll.code in page
    assert "0 questions" in page
    for name in ("poll_detail", "poll_present", "poll_results"):
        assert reverse(name, args=[academy.pk, poll.pk]) in page
    assert reverse("poll_new", args=[academy.pk, workshop.pk]) in page


def test_the_new_poll_page_explains_named_polls_and_the_sector_question(
        facilitator_client: Any, academy: Any, workshop: Any) -> None:
    page = text(facilitator_client.get(reverse("poll_new", args=[academy.pk, workshop.pk])))
    assert "each person's name is shown with their open-text answers and ideas" in page
    assert "Answering is optional for participants" in page
    assert "disclosure threshold" in page
    assert "Add the TRACE pulse" in page
    assert "The academy has no poll templates yet" in page


def test_a_poll_without_a_title_is_refused_and_nothing_is_added(
        facilitator_client: Any, academy: Any, workshop: Any) -> None:
    response = facilitator_client.post(
        reverse("poll_new", args=[academy.pk, workshop.pk]),
        {"start": "blank", "title": "   ", "anonymous": "yes", "ask_sector": "no"})
    assert response.status_code == 400
    assert "There is a problem" in text(response)
    assert "Enter a title for the poll" in text(response)
    assert not Poll.objects.exists()


def test_an_event_of_another_academy_cannot_take_a_poll(
        facilitator_client: Any, academy: Any, other_system: Any) -> None:
    import datetime as dt

    from django.utils import timezone

    from tracelead.academy import services as academy_services

    elsewhere = academy_services.academy_create(system=other_system, name="Southmoor Academy")
    starts = timezone.now() + dt.timedelta(days=3)
    foreign = academy_services.event_create(
        academy=elsewhere, programme=None, kind="workshop", title="Their workshop",
        starts_at=starts, ends_at=starts + dt.timedelta(hours=2), venue="Southmoor",
        capacity=None)
    response = facilitator_client.post(reverse("poll_new", args=[academy.pk, foreign.pk]),
                                       {"start": "pulse"})
    assert response.status_code == 404
    assert not Poll.objects.exists()


# --- Questions --------------------------------------------------------------------------


def test_fran_adds_one_question_of_each_kind_and_the_page_lists_them_in_order(
        facilitator_client: Any, blank_poll: Any) -> None:
    posts = [
        question_post(kind="scale", prompt="How much do you trust partners?",
                      scale_min="0", scale_max="10", low_label="Not at all",
                      high_label="Completely", results_hidden="on"),
        question_post(kind="single", prompt="Where should we start?",
                      options="Discharge\n\n  Prevention \nWorkforce"),
        question_post(kind="multiple", prompt="Which sessions helped?",
                      options="Story circle\nSystems mapping"),
        question_post(kind="words", prompt="One word for today", max_entries="2"),
        question_post(kind="text", prompt="What will you do differently?"),
        question_post(kind="ranking", prompt="Rank the priorities",
                      options="Housing\nHospital flow\nLoneliness"),
        question_post(kind="ideas", prompt="Ideas for the next workshop", max_entries="4"),
    ]
    url = reverse("poll_question_new", args=[blank_poll.academy_id, blank_poll.pk])
    for data in posts:
        response = facilitator_client.post(url, data)
        assert response.status_code == 302, text(response)[:2000]

    rows = list(blank_poll.questions.order_by("position"))
    assert [q.kind for q in rows] == ["scale", "single", "multiple", "words", "text",
                                      "ranking", "ideas"]
    scale, single, _, words, text_q, ranking, ideas = rows
    assert (scale.scale_min, scale.scale_max, scale.low_label, scale.high_label) == (
        0, 10, "Not at all", "Completely")
    assert scale.results_hidden and not single.results_hidden
    assert single.options == ["Discharge", "Prevention", "Workforce"]
    assert ranking.options == ["Housing", "Hospital flow", "Loneliness"]
    assert words.max_entries == 2 and ideas.max_entries == 4
    assert text_q.options == [] and (text_q.scale_min, text_q.scale_max) == (1, 5)

    page = text(facilitator_client.get(detail_url(blank_poll)))
    assert page.count("Hidden until revealed") == 1
    assert "From 0 (Not at all) to 10 (Completely)" in page
    assert "3 options: Discharge; Prevention; Workforce" in page
    assert "Up to 2 words each" in page and "Up to 4 ideas each" in page
    order = [page.index(q.prompt) for q in rows]
    assert order == sorted(order)
    assert page.count("Not opened yet") == 7


@pytest.mark.parametrize(("change", "message"), [
    ({"kind": "single", "options": "Only one"}, "Enter at least two options, one a line"),
    ({"kind": "ranking", "options": "Same\nsame"}, "Each option must be different"),
    ({"kind": "scale", "scale_min": "5", "scale_max": "1"}, "The scale must run upwards"),
    ({"kind": "scale", "scale_min": "0", "scale_max": "11"}, "The scale must run upwards"),
    ({"kind": "scale", "scale_min": "one"}, "Enter a whole number"),
    ({"kind": "words", "max_entries": "9"}, "Enter a number from 1 to 5"),
    ({"kind": "", "prompt": "Which?"}, "Choose a kind of question"),
    ({"prompt": "  "}, "Enter the question"),
])
def test_a_question_that_does_not_fit_its_kind_is_refused_and_nothing_is_saved(
        facilitator_client: Any, blank_poll: Any, change: dict[str, str], message: str) -> None:
    response = add_question(facilitator_client, blank_poll, **change)
    page = text(response)
    assert response.status_code == 400
    assert "There is a problem" in page and message in page
    assert not blank_poll.questions.exists()
    blank_poll.refresh_from_db()
    assert blank_poll.version == 0


def test_a_bad_change_to_a_question_leaves_it_as_it_was(
        facilitator_client: Any, blank_poll: Any) -> None:
    add_question(facilitator_client, blank_poll, kind="single", prompt="Where first?",
                 options="Discharge\nPrevention")
    question = blank_poll.questions.get()
    url = reverse("poll_question_edit", args=[blank_poll.academy_id, blank_poll.pk, question.pk])
    form = text(facilitator_client.get(url))
    assert "Change question 1" in form and "Discharge\nPrevention" in form

    response = facilitator_client.post(url, question_post(kind="single", prompt="Changed",
                                                          options="Discharge"))
    assert response.status_code == 400 and "Enter at least two options" in text(response)
    question.refresh_from_db()
    assert (question.prompt, question.options) == ("Where first?", ["Discharge", "Prevention"])

    response = facilitator_client.post(url, question_post(
        kind="multiple", prompt="Where first?", options="Discharge\nPrevention\nHousing",
        results_hidden="on"))
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.kind == "multiple" and question.options[-1] == "Housing"
    assert question.results_hidden


def test_a_question_people_answered_keeps_its_kind_but_its_wording_can_change(
        facilitator_client: Any, blank_poll: Any) -> None:
    add_question(facilitator_client, blank_poll, kind="scale", prompt="How is today?")
    question = blank_poll.questions.get()
    services.poll_show(poll=blank_poll, question=question)
    participant, _ = services.participant_join(poll=blank_poll)
    services.vote_cast(question=question, participant=participant, answer=4)
    url = reverse("poll_question_edit", args=[blank_poll.academy_id, blank_poll.pk, question.pk])
    assert "People have answered this question" in text(facilitator_client.get(url))

    refused = facilitator_client.post(url, question_post(kind="text", prompt="How is today?"))
    assert refused.status_code == 400 and "can no longer change" in text(refused)
    assert facilitator_client.post(url, question_post(prompt="How is today going?")
                                   ).status_code == 302
    question.refresh_from_db()
    assert (question.kind, question.prompt) == ("scale", "How is today going?")

    remove = reverse("poll_question_remove",
                     args=[blank_poll.academy_id, blank_poll.pk, question.pk])
    facilitator_client.post(remove)
    assert blank_poll.questions.filter(pk=question.pk).exists()
    assert Vote.objects.filter(question=question).count() == 1


def test_fran_moves_questions_up_and_down_and_removes_one(
        facilitator_client: Any, blank_poll: Any) -> None:
    for prompt in ("First", "Second", "Third"):
        add_question(facilitator_client, blank_poll, prompt=prompt)
    first, _, third = blank_poll.questions.order_by("position")

    def move(question: Any, direction: str) -> Any:
        return facilitator_client.post(
            reverse("poll_question_move", args=[blank_poll.academy_id, blank_poll.pk,
                                                question.pk]), {"direction": direction})

    assert move(third, "up").status_code == 302
    assert prompts(blank_poll) == ["First", "Third", "Second"]
    move(first, "down")
    assert prompts(blank_poll) == ["Third", "First", "Second"]
    move(third, "up")  # already first: nothing moves
    assert prompts(blank_poll) == ["Third", "First", "Second"]
    assert move(first, "sideways").status_code == 400
    assert prompts(blank_poll) == ["Third", "First", "Second"]

    response = facilitator_client.post(reverse(
        "poll_question_remove", args=[blank_poll.academy_id, blank_poll.pk, first.pk]))
    assert response.status_code == 302
    assert prompts(blank_poll) == ["Third", "Second"]
    page = text(facilitator_client.get(detail_url(blank_poll)))
    assert "Removed the question: First" in page


# --- The TRACE pulse --------------------------------------------------------------------


def test_fran_adds_the_trace_pulse_of_five_scale_statements_one_per_condition(
        facilitator_client: Any, academy: Any, workshop: Any) -> None:
    response = facilitator_client.post(reverse("poll_new", args=[academy.pk, workshop.pk]),
                                       {"start": "pulse"})
    poll = Poll.objects.get(event=workshop)
    assert response.status_code == 302 and response["Location"] == detail_url(poll)
    assert poll.kind == PollKind.PULSE and poll.title == "TRACE pulse"
    questions = list(poll.questions.order_by("position"))
    assert [q.condition for q in questions] == ["task", "route", "alignment", "capability",
                                                "energy"]
    assert {(q.kind, q.scale_min, q.scale_max) for q in questions} == {("scale", 1, 5)}

    page = text(facilitator_client.get(detail_url(poll)))
    assert "not the full questionnaire" in page
    assert reverse("poll_question_new", args=[academy.pk, poll.pk]) not in page
    assert reverse("poll_question_remove", args=[academy.pk, poll.pk, questions[0].pk]) not in page

    # The pulse takes no extra question and keeps its five statements.
    facilitator_client.post(reverse("poll_question_new", args=[academy.pk, poll.pk]),
                            question_post(prompt="One more"))
    facilitator_client.post(reverse("poll_question_remove",
                                    args=[academy.pk, poll.pk, questions[0].pk]))
    assert poll.questions.count() == 5
    edit = reverse("poll_question_edit", args=[academy.pk, poll.pk, questions[0].pk])
    refused = facilitator_client.post(edit, question_post(kind="text", prompt="Task"))
    assert refused.status_code == 400
    assert poll.questions.get(pk=questions[0].pk).kind == "scale"


# --- Templates --------------------------------------------------------------------------


def test_a_poll_saved_as_a_template_copies_its_questions_and_a_new_poll_starts_from_it(
        facilitator_client: Any, academy: Any, poll: Any, make_event: Any) -> None:
    scale = poll.questions.get(kind="scale")
    services.poll_show(poll=poll, question=scale)
    participant, _ = services.participant_join(poll=poll)
    services.vote_cast(question=scale, participant=participant, answer=3)

    response = facilitator_client.post(
        reverse("poll_save_template", args=[academy.pk, poll.pk]),
        {"title": "Workshop questions"})
    template = Poll.objects.get(academy=academy, event__isnull=True)
    assert response.status_code == 302 and response["Location"] == detail_url(template)
    assert template.title == "Workshop questions" and template.code is None
    assert prompts(template) == prompts(poll)
    assert not Vote.objects.filter(question__poll=template).exists()
    assert template.questions.get(kind="ranking").options == ["Housing", "Hospital flow",
                                                              "Loneliness"]

    page = text(facilitator_client.get(detail_url(template)))
    assert "This is a template" in page
    assert reverse("poll_present", args=[academy.pk, template.pk]) not in page
    assert reverse("poll_results", args=[academy.pk, template.pk]) not in page
    assert reverse("poll_qr", args=[academy.pk, template.pk]) not in page
    listing = text(facilitator_client.get(reverse("poll_templates", args=[academy.pk])))
    assert "Workshop questions" in listing

    later = make_event("Workshop 4", days=30)
    response = facilitator_client.post(reverse("poll_new", args=[academy.pk, later.pk]),
                                       {"start": "template", "copy-template": template.pk,
                                        "copy-title": ""})
    copy = Poll.objects.get(event=later)
    assert response.status_code == 302 and response["Location"] == detail_url(copy)
    assert copy.title == "Workshop questions" and copy.code not in (None, poll.code)
    assert prompts(copy) == prompts(poll)
    assert not Vote.objects.filter(question__poll=copy).exists()
    assert Question.objects.filter(poll=template).count() == 7


def test_a_template_without_a_title_or_another_academys_template_is_refused(
        facilitator_client: Any, academy: Any, poll: Any, workshop: Any,
        other_system: Any) -> None:
    from tracelead.academy import services as academy_services

    response = facilitator_client.post(
        reverse("poll_save_template", args=[academy.pk, poll.pk]), {"title": " "})
    assert response.status_code == 400 and "Enter a title for the template" in text(response)

    elsewhere = academy_services.academy_create(system=other_system, name="Southmoor Academy")
    theirs = services.poll_create(academy=elsewhere, event=None, title="Theirs")
    response = facilitator_client.post(reverse("poll_new", args=[academy.pk, workshop.pk]),
                                       {"start": "template", "copy-template": theirs.pk})
    assert response.status_code == 400
    assert "Choose one of the academy's templates" in text(response)
    assert Poll.objects.filter(event=workshop).count() == 1
    assert not Poll.objects.filter(academy=academy, event__isnull=True).exists()


def test_fran_adds_a_template_on_the_templates_page_and_writes_its_questions(
        facilitator_client: Any, academy: Any) -> None:
    listing = text(facilitator_client.get(reverse("poll_templates", args=[academy.pk])))
    assert "No templates yet" in listing
    response = facilitator_client.post(
        reverse("poll_template_new", args=[academy.pk]),
        {"title": "End of day", "anonymous": "yes", "ask_sector": "yes"})
    template = Poll.objects.get(academy=academy)
    assert response.status_code == 302 and response["Location"] == detail_url(template)
    assert template.event is None and template.code is None and template.ask_sector
    assert add_question(facilitator_client, template, prompt="How was it?").status_code == 302
    assert prompts(template) == ["How was it?"]
    listing = text(facilitator_client.get(reverse("poll_templates", args=[academy.pk])))
    assert "End of day" in listing
    events = text(facilitator_client.get(reverse("academy_events", args=[academy.pk])))
    assert reverse("poll_templates", args=[academy.pk]) in events


# --- Settings, join link and QR code ----------------------------------------------------


def test_fran_changes_the_settings_until_someone_joins(
        facilitator_client: Any, blank_poll: Any) -> None:
    url = reverse("poll_edit", args=[blank_poll.academy_id, blank_poll.pk])
    response = facilitator_client.post(url, {"title": "Check-in", "anonymous": "no",
                                             "ask_sector": "yes"})
    assert response.status_code == 302
    blank_poll.refresh_from_db()
    assert (blank_poll.title, blank_poll.anonymous, blank_poll.ask_sector) == (
        "Check-in", False, True)

    services.participant_join(poll=blank_poll, name="Ann")
    assert "People have joined this poll" in text(facilitator_client.get(url))
    refused = facilitator_client.post(url, {"title": "Check-in", "anonymous": "yes",
                                            "ask_sector": "yes"})
    assert refused.status_code == 400 and "can no longer change" in text(refused)
    blank_poll.refresh_from_db()
    assert not blank_poll.anonymous
    assert facilitator_client.post(url, {"title": "Afternoon", "anonymous": "no",
                                         "ask_sector": "yes"}).status_code == 302
    blank_poll.refresh_from_db()
    assert blank_poll.title == "Afternoon"


def test_the_poll_page_shows_the_join_code_link_and_qr_code(
        facilitator_client: Any, blank_poll: Any) -> None:
    page = text(facilitator_client.get(detail_url(blank_poll)))
    join = f"http://testserver{reverse('poll_join', args=[blank_poll.code])}"
    assert blank_poll.code in page and join in page
    assert "Anonymous: nobody is asked their name" in page
    qr = facilitator_client.get(reverse("poll_qr", args=[blank_poll.academy_id, blank_poll.pk]))
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    # A stand-alone file: the XML declaration and the SVG namespace, so it opens as an image.
    assert qr.content.startswith(b"<?xml") and b'xmlns="http://www.w3.org/2000/svg"' in qr.content
    assert b"Join the poll Morning check-in" in qr.content


def test_a_template_has_no_qr_code(facilitator_client: Any, academy: Any) -> None:
    template = services.poll_create(academy=academy, event=None, title="Reusable")
    assert facilitator_client.get(reverse("poll_qr", args=[academy.pk, template.pk])
                                  ).status_code == 404


# --- Who may do what --------------------------------------------------------------------


def _pages(poll: Any, question: Any) -> list[tuple[str, str]]:
    a, p, q = poll.academy_id, poll.pk, question.pk
    return [
        ("get", reverse("poll_new", args=[a, poll.event_id])),
        ("post", reverse("poll_new", args=[a, poll.event_id])),
        ("get", reverse("poll_templates", args=[a])),
        ("get", reverse("poll_template_new", args=[a])),
        ("post", reverse("poll_template_new", args=[a])),
        ("get", reverse("poll_detail", args=[a, p])),
        ("get", reverse("poll_edit", args=[a, p])),
        ("post", reverse("poll_edit", args=[a, p])),
        ("get", reverse("poll_question_new", args=[a, p])),
        ("post", reverse("poll_question_new", args=[a, p])),
        ("get", reverse("poll_question_edit", args=[a, p, q])),
        ("post", reverse("poll_question_edit", args=[a, p, q])),
        ("post", reverse("poll_question_remove", args=[a, p, q])),
        ("post", reverse("poll_question_move", args=[a, p, q])),
        ("post", reverse("poll_save_template", args=[a, p])),
        ("get", reverse("poll_qr", args=[a, p])),
    ]


POST_DATA = {"start": "pulse", "title": "Taken over", "anonymous": "no", "ask_sector": "yes",
             "kind": "text", "prompt": "Injected", "direction": "down"}


def _unchanged(poll: Any) -> None:
    assert Poll.objects.count() == 1
    poll.refresh_from_db()
    assert (poll.title, poll.anonymous) == ("How are we doing?", True)
    assert poll.questions.count() == 7 and not poll.questions.filter(prompt="Injected").exists()


def test_a_viewer_of_the_whole_system_is_refused_every_preparation_page(
        viewer_client: Any, poll: Any, academy: Any, workshop: Any) -> None:
    question = poll.questions.first()
    for method, url in _pages(poll, question):
        response = getattr(viewer_client, method)(url, POST_DATA if method == "post" else {})
        assert response.status_code == 403, (method, url)
    _unchanged(poll)
    page = text(viewer_client.get(reverse("academy_event", args=[academy.pk, workshop.pk])))
    assert "Live polls" not in page and poll.code not in page


def test_a_facilitator_of_another_system_finds_none_of_the_pages(
        other_facilitator_client: Any, poll: Any) -> None:
    question = poll.questions.first()
    for method, url in _pages(poll, question):
        response = getattr(other_facilitator_client, method)(
            url, POST_DATA if method == "post" else {})
        assert response.status_code == 404, (method, url)
    _unchanged(poll)


def test_signed_out_people_are_sent_to_sign_in(client: Any, poll: Any) -> None:
    for method, url in _pages(poll, poll.questions.first()):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "login" in response["Location"], url
    _unchanged(poll)


def test_a_question_of_another_poll_is_not_found_through_this_one(
        facilitator_client: Any, poll: Any, blank_poll: Any) -> None:
    add_question(facilitator_client, blank_poll, prompt="Elsewhere")
    foreign = blank_poll.questions.get()
    for name in ("poll_question_edit", "poll_question_remove", "poll_question_move"):
        url = reverse(name, args=[poll.academy_id, poll.pk, foreign.pk])
        method = facilitator_client.get if name.endswith("edit") else facilitator_client.post
        assert method(url, {"direction": "up"}).status_code == 404
    assert blank_poll.questions.filter(pk=foreign.pk).exists()


def test_opening_a_button_only_action_in_the_browser_changes_nothing(
        facilitator_client: Any, poll: Any) -> None:
    first, second = poll.questions.order_by("position")[:2]
    a, p = poll.academy_id, poll.pk
    for url in (reverse("poll_question_remove", args=[a, p, first.pk]),
                reverse("poll_question_move", args=[a, p, second.pk]) + "?direction=up",
                reverse("poll_save_template", args=[a, p]) + "?title=Copy"):
        assert facilitator_client.get(url).status_code == 403, url
    assert list(poll.questions.order_by("position").values_list("pk", flat=True)[:2]) == [
        first.pk, second.pk]
    assert poll.questions.count() == 7
    assert Poll.objects.count() == 1
    assert not Participant.objects.exists()
