"""The respondent's questionnaire through Django's test client: pages, saving, submitting.

The TRACE instrument has an introduction, five condition pages (seven items each, answered
1–5 or "Don't know") and a sixth page of free text.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re

import pytest
from django.core import signing
from django.test import Client, RequestFactory
from django.utils import timezone

from tracelead.diagnostics import services
from tracelead.diagnostics.models import (
    OpenLinkSubmission,
    Response,
    ResponseDraft,
)
from tracelead.diagnostics.packing import answers_matrix
from tracelead.diagnostics.respondent_views import DEVICE_COOKIE, DEVICE_SALT

CONDITION_NAMES = ["Task", "Route", "Alignment", "Capability", "Energy"]


def text(response) -> str:
    return html.unescape(response.content.decode())


def keys(trace, page: int) -> list[str]:
    return [item.key for item in trace.scales[page - 1].items]


def answer(client, token, trace, page, value="4", action="next", **overrides):
    data = {key: value for key in keys(trace, page)}
    data.update(overrides)
    data["action"] = action
    return client.post(f"/r/{token}/{page}/", data)


def answer_all(client, token, trace, value="4"):
    for page in range(1, 6):
        response = answer(client, token, trace, page, value)
        assert response.status_code == 302, (page, text(response))


def radio_values(content: str, name: str) -> list[str]:
    tags = re.findall(rf'<input[^>]*name="{name}"[^>]*>', content)
    return [re.search(r'value="([^"]*)"', tag).group(1) for tag in tags]


@pytest.fixture
def invitation(assessment):
    return services.invitations_create(assessment=assessment, rater_kind="member", count=1)[0]


@pytest.fixture
def token(invitation):
    return invitation.token


@pytest.fixture
def started(client, token):
    response = client.post(f"/r/{token}/")
    assert response.status_code == 302
    return client


@pytest.fixture
def open_token(assessment):
    return services.assessment_open_link(assessment=assessment)


def draft_of(invitation) -> ResponseDraft:
    return ResponseDraft.objects.get(invitation=invitation)


# --- The introduction -------------------------------------------------------------------


def test_the_introduction_shows_the_thresholds_the_time_it_takes_and_why_we_ask(
    client, token, trace
):
    response = client.get(f"/r/{token}/")

    page = text(response)
    assert response.status_code == 200
    assert "Why we are asking" in page
    assert "This questionnaire asks how you see the leadership of one group" in page
    assert "until at least 5 people have answered" in page
    assert "once at least 10 people have answered" in page
    assert "About 8 minutes, over 6 short pages" in page
    assert "Start now" in page


def test_starting_an_invitation_opens_page_one_of_six(client, token, invitation):
    response = client.post(f"/r/{token}/")

    assert response.status_code == 302
    assert response["Location"] == f"/r/{token}/1/"
    draft = draft_of(invitation)
    assert (draft.page, draft.rater_kind, draft.answers) == (1, "member", {})


def test_each_page_asks_about_one_condition_on_a_five_point_scale_with_dont_know(
    started, token, trace
):
    for page, name in enumerate(CONDITION_NAMES, start=1):
        response = started.get(f"/r/{token}/{page}/")
        content = text(response)
        assert response.status_code == 200
        assert f"Page {page} of 6" in content
        assert f'<h1 class="nhsuk-fieldset__heading">{name}</h1>' in content
        for key in keys(trace, page):
            assert radio_values(content, key) == ["1", "2", "3", "4", "5", "dk"]
        others = [k for k in trace.item_keys if k not in keys(trace, page)]
        assert not any(f'name="{k}"' in content for k in others)
        assert 'value="next"' in content
        assert 'value="back"' in content


def test_the_sixth_page_asks_for_free_text_and_offers_submit(started, token):
    response = started.get(f"/r/{token}/6/")

    content = text(response)
    assert response.status_code == 200
    assert "Page 6 of 6" in content
    assert 'name="task_statement"' in content
    assert 'name="one_change"' in content
    assert 'value="submit"' in content
    assert 'value="next"' not in content


@pytest.mark.parametrize("number", [0, 7, 99])
def test_a_page_outside_the_questionnaire_is_not_found(started, token, number):
    response = started.get(f"/r/{token}/{number}/")

    assert response.status_code == 404
    assert "We could not find this questionnaire" in text(response)


def test_a_question_page_before_starting_sends_the_respondent_to_the_introduction(
    client, token, invitation
):
    response = client.get(f"/r/{token}/3/")

    assert response.status_code == 302
    assert response["Location"] == f"/r/{token}/"
    assert not ResponseDraft.objects.filter(invitation=invitation).exists()


# --- Saving as they go, and coming back ---------------------------------------------------


def test_every_page_is_saved_as_it_is_left_forward(started, token, trace, invitation):
    response = answer(started, token, trace, 1, "4")

    assert response.status_code == 302
    assert response["Location"] == f"/r/{token}/2/"
    draft = draft_of(invitation)
    assert draft.answers == {key: 4 for key in keys(trace, 1)}
    assert draft.page == 2


def test_going_back_saves_the_page_being_left_even_when_it_is_incomplete(
    started, token, trace, invitation
):
    answer(started, token, trace, 1, "4")
    route = keys(trace, 2)
    data = {route[0]: "2", route[1]: "dk", "action": "back"}

    response = started.post(f"/r/{token}/2/", data)

    assert response.status_code == 302
    assert response["Location"] == f"/r/{token}/1/"
    draft = draft_of(invitation)
    assert draft.page == 1
    assert draft.answers[route[0]] == 2
    assert draft.answers[route[1]] is None
    assert route[2] not in draft.answers


def test_going_back_from_page_one_returns_to_the_introduction(started, token, trace):
    response = answer(started, token, trace, 1, "3", action="back")

    assert response["Location"] == f"/r/{token}/start/"
    intro = started.get(response["Location"])
    assert intro.status_code == 200
    assert f'href="/r/{token}/1/"' in text(intro)


def test_a_saved_page_shows_the_answers_given(started, token, trace):
    answer(started, token, trace, 1, "2", action="next")

    response = started.get(f"/r/{token}/1/")

    content = text(response)
    for key in keys(trace, 1):
        checked = re.search(rf'<input[^>]*name="{key}"[^>]*value="2"[^>]*>', content).group(0)
        assert "checked" in checked


def test_reopening_an_invitation_on_the_same_device_resumes_on_the_saved_page(
    started, token, trace
):
    answer(started, token, trace, 1)
    answer(started, token, trace, 2)

    same_device = Client()
    for name, morsel in started.cookies.items():
        same_device.cookies[name] = morsel.value
    response = same_device.get(f"/r/{token}/")

    assert response.status_code == 302
    assert response["Location"] == f"/r/{token}/3/"
    assert "Page 3 of 6" in text(same_device.get(response["Location"]))
    # Another device with the same link gets no answers (see test_drafts_private.py).
    assert Client().get(f"/r/{token}/3/")["Location"] == f"/r/{token}/"


def test_the_open_link_sets_a_signed_device_cookie(client, open_token):
    response = client.get(f"/r/{open_token}/")

    assert response.status_code == 200
    cookie = response.cookies[DEVICE_COOKIE]
    assert cookie["httponly"] is True
    request = RequestFactory().get("/")
    request.COOKIES[DEVICE_COOKIE] = cookie.value
    key = request.get_signed_cookie(DEVICE_COOKIE, salt=DEVICE_SALT)
    assert len(key) >= 40
    assert cookie.value != key
    request.COOKIES[DEVICE_COOKIE] = key + ":forged"
    with pytest.raises(signing.BadSignature):
        request.get_signed_cookie(DEVICE_COOKIE, salt=DEVICE_SALT)


def test_reopening_the_open_link_resumes_only_on_the_same_device(client, open_token, trace):
    client.get(f"/r/{open_token}/")
    client.post(f"/r/{open_token}/")
    answer(client, open_token, trace, 1)

    same_device = Client()
    same_device.cookies[DEVICE_COOKIE] = client.cookies[DEVICE_COOKIE].value
    resumed = same_device.get(f"/r/{open_token}/")
    new_device = Client().get(f"/r/{open_token}/")

    assert resumed.status_code == 302
    assert resumed["Location"] == f"/r/{open_token}/2/"
    assert new_device.status_code == 200
    assert "Start now" in text(new_device)


def test_a_tampered_device_cookie_counts_as_a_new_device(client, open_token, trace):
    client.get(f"/r/{open_token}/")
    client.post(f"/r/{open_token}/")
    answer(client, open_token, trace, 1)
    tampered = Client()
    tampered.cookies[DEVICE_COOKIE] = client.cookies[DEVICE_COOKIE].value + "x"

    response = tampered.get(f"/r/{open_token}/")

    assert response.status_code == 200
    assert ResponseDraft.objects.count() == 1


# --- Submitting ---------------------------------------------------------------------------


def submit(client, token, **free_text):
    data = {"task_statement": "", "one_change": "", **free_text, "action": "submit"}
    return client.post(f"/r/{token}/6/", data)


def test_submitting_creates_one_response_and_thanks_the_respondent(
    started, token, trace, invitation, assessment
):
    answer_all(started, token, trace, "4")

    response = submit(
        started, token, task_statement="We get people home safely.", one_change="More time."
    )

    assert response.status_code == 302
    assert response["Location"] == "/r/done/"
    assert "Your answers have been submitted" in text(started.get("/r/done/"))
    stored = Response.objects.get(assessment=assessment)
    assert stored.answers == {key: 4 for key in trace.item_keys}
    assert stored.free_text == {
        "task_statement": "We get people home safely.",
        "one_change": "More time.",
    }
    assert stored.rater_kind == "member"
    invitation.refresh_from_db()
    assert invitation.used is True


def test_a_retried_submit_creates_no_second_response_and_goes_to_the_introduction(
    started, token, trace, assessment
):
    answer_all(started, token, trace)
    submit(started, token)

    retry = submit(started, token)

    assert retry.status_code == 302
    assert retry["Location"] == f"/r/{token}/"
    assert "If you have already submitted your answers" in text(started.get(retry["Location"]))
    assert Response.objects.filter(assessment=assessment).count() == 1


def test_after_submitting_the_link_shows_no_answers_and_cannot_start_again(
    started, token, trace, assessment
):
    answer_all(started, token, trace)
    submit(started, token)

    for url in (f"/r/{token}/1/", f"/r/{token}/start/"):
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"/r/{token}/"
    for response in (Client().get(f"/r/{token}/"), Client().post(f"/r/{token}/")):
        assert response.status_code == 200
        assert "This link is in use on another device" in text(response)
        assert "Start now" not in text(response)
    assert Response.objects.filter(assessment=assessment).count() == 1
    assert not ResponseDraft.objects.exists()


def test_a_response_stores_nothing_that_identifies_the_respondent(
    started, token, trace, invitation, assessment
):
    answer_all(started, token, trace)
    submit(started, token, task_statement="To keep people well.")

    stored = Response.objects.get(assessment=assessment)
    fields = {field.name for field in Response._meta.get_fields()}
    assert fields == {
        "id",
        "assessment",
        "rater_kind",
        "answers",
        "packed",
        "free_text",
        "submitted_on",
        "publication",
    }
    # The packed copy is the answers again, one digit an item, and nothing else.
    assert stored.packed == "".join(
        "0" if stored.answers.get(key) is None else str(stored.answers[key])
        for key in trace.item_keys
    )
    assert stored.submitted_on == assessment.closes_on
    assert token not in repr(stored.answers) + repr(stored.free_text)
    assert not ResponseDraft.objects.filter(invitation=invitation).exists()
    assert not ResponseDraft.objects.exists()


def test_dont_know_is_stored_as_null_and_is_not_a_number_in_the_analysis(
    started, token, trace, assessment
):
    task = keys(trace, 1)
    answer(started, token, trace, 1, "5", **{task[0]: "dk", task[1]: "1"})
    for page in range(2, 6):
        answer(started, token, trace, page, "3")
    submit(started, token)

    stored = Response.objects.get(assessment=assessment)
    assert stored.answers[task[0]] is None
    assert stored.answers[task[1]] == 1
    assert stored.answers[task[2]] == 5
    matrix = answers_matrix([stored.answers], trace.item_keys)
    column = trace.item_keys.index(task[0])
    assert math.isnan(matrix[0, column])
    assert matrix[0, column + 1] == 1.0
    assert int(sum(math.isnan(v) for v in matrix[0])) == 1


def test_submitting_with_an_earlier_page_incomplete_goes_back_to_that_page(
    started, token, trace, invitation, assessment
):
    answer(started, token, trace, 1)
    answer(started, token, trace, 2)
    started.get(f"/r/{token}/6/")  # skip ahead by changing the address

    response = submit(started, token)

    assert response.status_code == 302
    assert response["Location"] == f"/r/{token}/3/?incomplete=1"
    assert not Response.objects.filter(assessment=assessment).exists()
    assert draft_of(invitation).page == 3
    invitation.refresh_from_db()
    assert invitation.used is False
    shown = started.get(response["Location"])
    assert "Some questions still need an answer" in text(shown)


# --- The open link ------------------------------------------------------------------------


def test_after_submitting_from_a_device_the_open_link_is_used_there_but_open_to_others(
    client, open_token, trace, assessment
):
    client.get(f"/r/{open_token}/")
    client.post(f"/r/{open_token}/")
    answer_all(client, open_token, trace)
    assert submit(client, open_token).status_code == 302

    again = client.get(f"/r/{open_token}/")
    fresh = Client()
    intro = fresh.get(f"/r/{open_token}/")
    started = fresh.post(f"/r/{open_token}/")

    # The device that answered is told so, and offered a fresh start for someone else.
    assert again.status_code == 200
    assert "Answers already sent from this device" in text(again)
    assert intro.status_code == 200
    assert started["Location"] == f"/r/{open_token}/1/"
    assert OpenLinkSubmission.objects.filter(assessment=assessment).count() == 1
    assert Response.objects.filter(assessment=assessment).count() == 1


def test_the_open_link_asks_how_the_respondent_knows_the_group_when_it_can_be_several(
    client, make_assessment, team
):
    several = make_assessment(team, rater_kinds=("member", "stakeholder"), title="Two kinds")
    token = services.assessment_open_link(assessment=several)
    client.get(f"/r/{token}/")

    refused = client.post(f"/r/{token}/", {"rater_kind": "boss"})
    chosen = client.post(f"/r/{token}/", {"rater_kind": "stakeholder"})

    assert refused.status_code == 400
    assert "Choose how you know this group" in text(refused)
    assert chosen.status_code == 302
    assert ResponseDraft.objects.get(assessment=several).rater_kind == "stakeholder"


def test_an_invitation_answers_as_its_own_rater_kind(client, make_assessment, team):
    several = make_assessment(team, rater_kinds=("member", "stakeholder"), title="Two kinds")
    invitation = services.invitations_create(assessment=several, rater_kind="stakeholder", count=1)[
        0
    ]

    refused = client.post(f"/r/{invitation.token}/", {"rater_kind": "member"})
    accepted = client.post(f"/r/{invitation.token}/")

    assert refused.status_code == 400
    assert accepted.status_code == 302
    assert draft_of(invitation).rater_kind == "stakeholder"


# --- Bad links and bad input --------------------------------------------------------------


def test_an_unknown_well_formed_token_gets_a_clear_404(client, assessment):
    response = client.get("/r/" + "A" * 43 + "/")

    content = text(response)
    assert response.status_code == 404
    assert "We could not find this questionnaire" in content
    assert "Traceback" not in content


@pytest.mark.parametrize(
    "path",
    [
        "/r/abc/",
        "/r/abc/1/",
        "/r/" + "a" * 30 + "%24%25/",
        "/r/" + "a" * 30 + ".x/",
        "/r/" + "b" * 65 + "/",
        "/r/%3Cscript%3Ealert(1)%3C%2Fscript%3E/",
    ],
)
def test_a_malformed_token_gets_a_404_without_a_traceback(client, assessment, path):
    response = client.get(path)

    assert response.status_code == 404
    assert "Traceback" not in text(response)
    assert "<script>alert" not in response.content.decode()


def test_a_closed_assessment_answers_410(client, make_assessment, team):
    today = timezone.localdate()
    closed = make_assessment(
        team,
        title="Last year",
        opens_on=today - dt.timedelta(days=30),
        closes_on=today - dt.timedelta(days=1),
    )
    invitation = services.invitations_create(assessment=closed, rater_kind="member", count=1)[0]
    open_token = services.assessment_open_link(assessment=closed)

    for token in (invitation.token, open_token):
        response = client.get(f"/r/{token}/")
        assert response.status_code == 410
        assert "This questionnaire has closed" in text(response)
    assert client.post(f"/r/{invitation.token}/").status_code == 410
    assert not ResponseDraft.objects.exists()


def test_an_assessment_not_yet_open_answers_403(client, make_assessment, team):
    today = timezone.localdate()
    later = make_assessment(
        team,
        title="Next month",
        opens_on=today + dt.timedelta(days=3),
        closes_on=today + dt.timedelta(days=30),
    )
    invitation = services.invitations_create(assessment=later, rater_kind="member", count=1)[0]

    response = client.get(f"/r/{invitation.token}/")
    posted = client.post(f"/r/{invitation.token}/")

    assert response.status_code == 403
    assert "This questionnaire is not open yet" in text(response)
    assert posted.status_code == 403
    assert not ResponseDraft.objects.exists()


def test_answers_arriving_after_the_close_are_refused_and_not_saved(
    started, token, trace, invitation, assessment
):
    answer(started, token, trace, 1)
    before = draft_of(invitation).answers
    assessment.closes_on = timezone.localdate() - dt.timedelta(days=1)
    assessment.opens_on = assessment.closes_on - dt.timedelta(days=5)
    assessment.save()

    response = answer(started, token, trace, 2)

    assert response.status_code == 410
    assert draft_of(invitation).answers == before


@pytest.mark.parametrize("bad", ["7", "-1", "abc", "0", "4.0", "6"])
def test_it_refuses_an_out_of_range_answer_and_saves_nothing(
    started, token, trace, invitation, bad
):
    answer(started, token, trace, 1, "4")
    before = draft_of(invitation)
    route = keys(trace, 2)

    response = answer(started, token, trace, 2, "3", **{route[3]: bad})

    assert response.status_code == 400
    assert "Choose one of the answers offered" in text(response)
    assert "nhsuk-error-summary" in text(response)
    after = draft_of(invitation)
    assert after.answers == before.answers
    assert not any(key in after.answers for key in route)
    assert after.page == 2


def test_a_crafted_answer_with_go_back_saves_nothing_and_does_not_move(
    started, token, trace, invitation
):
    answer(started, token, trace, 1, "4")
    before = draft_of(invitation).answers

    response = answer(started, token, trace, 2, "3", action="back", route_1="99")

    assert response.status_code == 400
    assert draft_of(invitation).answers == before
    assert draft_of(invitation).page == 2


def test_a_missing_answer_is_named_in_the_error_summary_and_the_page_does_not_advance(
    started, token, trace, invitation
):
    missing = trace.scales[0].items[4]
    data = {key: "4" for key in keys(trace, 1) if key != missing.key}
    data["action"] = "next"

    response = started.post(f"/r/{token}/1/", data)

    content = text(response)
    assert response.status_code == 400
    assert "nhsuk-error-summary" in content
    assert f"Choose an answer for “{missing.text}”" in content
    assert f'href="#{missing.key}"' in content
    assert draft_of(invitation).page == 1


def test_over_long_free_text_is_refused_and_not_saved(started, token, trace, invitation):
    answer_all(started, token, trace)
    started.post(f"/r/{token}/6/", {"task_statement": "Keep people well.", "action": "back"})
    assert draft_of(invitation).free_text == {"task_statement": "Keep people well."}

    response = submit(started, token, task_statement="x" * 501, one_change="Fine.")

    assert response.status_code == 400
    assert "500 characters or fewer (it has 501)" in text(response)
    assert draft_of(invitation).free_text == {"task_statement": "Keep people well."}
    assert not Response.objects.exists()


def test_free_text_of_exactly_the_limit_is_accepted(started, token, trace, assessment):
    answer_all(started, token, trace)

    response = submit(started, token, task_statement="y" * 500)

    assert response.status_code == 302
    assert Response.objects.get(assessment=assessment).free_text == {"task_statement": "y" * 500}


def test_a_round_closing_while_a_page_is_on_its_way_answers_410_not_an_error(
    started, token, trace, monkeypatch
):
    from tracelead.diagnostics import services

    def closed(*args, **kwargs):
        raise services.NotAcceptingResponses("closed")

    # The status check passed when the page loaded; the save finds the round closed.
    monkeypatch.setattr(services, "draft_save", closed)
    response = answer(started, token, trace, 1)
    assert response.status_code == 410
    assert "This questionnaire has closed" in text(response)


def test_changing_the_close_date_keeps_every_response_on_the_one_date(
    started, token, trace, assessment
):
    import datetime as dt

    from tracelead.diagnostics.services import assessment_update

    answer_all(started, token, trace)
    started.post(f"/r/{token}/6/", {"action": "submit"})
    later = assessment.closes_on + dt.timedelta(days=7)
    assessment_update(
        assessment=assessment,
        title=assessment.title,
        opens_on=assessment.opens_on,
        closes_on=later,
    )
    assert list(Response.objects.values_list("submitted_on", flat=True)) == [later]
