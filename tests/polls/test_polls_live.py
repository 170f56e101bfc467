"""Joining, voting and presenting, through HTTP as phones and a presenter would.

Alice facilitates; phones are separate test clients. Figures are checked against counts
made by hand from the votes the test casts.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

pytestmark = pytest.mark.django_db


def _step(client: Any, poll: Any, action: str, **extra: Any) -> Any:
    return client.post(f"/academy/{poll.academy_id}/polls/{poll.pk}/step/",
                       {"action": action, **extra}, HTTP_ACCEPT="application/json")


def _live(client: Any, poll: Any, etag: str = "") -> Any:
    headers = {"HTTP_IF_NONE_MATCH": etag} if etag else {}
    return client.get(f"/academy/{poll.academy_id}/polls/{poll.pk}/live.json", **headers)


def _question(poll: Any, kind: str) -> Any:
    return poll.questions.get(kind=kind)


def test_a_phone_joins_votes_changes_its_vote_and_counts_once(
        facilitator_client: Any, poll: Any, vote_as: Any) -> None:
    from tracelead.polls.models import Participant, Vote

    scale = _question(poll, "scale")
    assert _step(facilitator_client, poll, "next").json()["ok"]
    phone = vote_as(poll)
    page = phone.get(f"/p/{poll.code}/")
    assert page.status_code == 200
    assert scale.prompt in page.content.decode()
    assert phone.post(f"/p/{poll.code}/vote/", {f"q{scale.pk}": "2"}).status_code == 302
    assert phone.post(f"/p/{poll.code}/vote/", {f"q{scale.pk}": "5"}).status_code == 302
    assert Participant.objects.filter(poll=poll).count() == 1
    assert list(Vote.objects.filter(question=scale).values_list("answer", flat=True)) == [5]
    live = _live(facilitator_client, poll).json()
    assert live["participants"] == 1 and live["question"]["votes"] == 1
    assert live["results"]["counts"] == [0, 0, 0, 0, 1]


def test_a_bad_answer_is_refused_with_a_message_and_saves_nothing(
        facilitator_client: Any, poll: Any, vote_as: Any) -> None:
    from tracelead.polls.models import Vote

    scale = _question(poll, "scale")
    _step(facilitator_client, poll, "show", question=scale.pk)
    phone = vote_as(poll)
    for bad in ("9", "x", ""):
        response = phone.post(f"/p/{poll.code}/vote/", {f"q{scale.pk}": bad})
        assert response.status_code == 400
        assert "Choose a number on the scale" in response.content.decode()
    assert not Vote.objects.exists()


def test_a_closed_question_takes_no_votes_and_keeps_those_it_had(
        facilitator_client: Any, poll: Any, vote_as: Any) -> None:
    from tracelead.polls.models import Vote

    single = _question(poll, "single")
    _step(facilitator_client, poll, "show", question=single.pk)
    early, late = vote_as(poll), vote_as(poll)
    early.post(f"/p/{poll.code}/vote/", {f"q{single.pk}": "1"})
    _step(facilitator_client, poll, "close")
    response = late.post(f"/p/{poll.code}/vote/", {f"q{single.pk}": "0"})
    assert response.status_code == 400
    assert "closed" in response.content.decode()
    assert list(Vote.objects.values_list("answer", flat=True)) == [1]


def test_each_kind_of_question_is_counted_as_by_hand(
        facilitator_client: Any, poll: Any, vote_as: Any) -> None:
    phones = [vote_as(poll) for _ in range(3)]
    answers = {
        "multiple": [["0", "2"], ["2"], ["1", "2"]],
        "words": [["Trust", "time"], ["trust"], ["Data!"]],
        "ranking": [{"-0": "1", "-1": "2", "-2": "3"}, {"-0": "2", "-1": "1", "-2": "3"},
                    {"-0": "1", "-1": "3", "-2": "2"}],
    }
    for kind, given in answers.items():
        q = _question(poll, kind)
        _step(facilitator_client, poll, "show", question=q.pk)
        for phone, answer in zip(phones, given, strict=True):
            data = ({f"q{q.pk}{k}": v for k, v in answer.items()} if isinstance(answer, dict)
                    else {f"q{q.pk}": answer})
            assert phone.post(f"/p/{poll.code}/vote/", data).status_code == 302
        results = _live(facilitator_client, poll).json()["results"]
        if kind == "multiple":
            assert results["counts"] == [1, 1, 3]
        elif kind == "words":
            assert results["words"] == [{"word": "trust", "count": 2},
                                        {"word": "data", "count": 1},
                                        {"word": "time", "count": 1}]
        else:
            # Borda: Housing 2+1+2 = 5, Hospital flow 1+2+0 = 3, Loneliness 0+0+1 = 1.
            assert [(r["option"], r["points"]) for r in results["ranking"]] == [
                ("Housing", 5), ("Hospital flow", 3), ("Loneliness", 1)]


def test_hidden_results_stay_off_the_screen_until_revealed(
        facilitator_client: Any, poll: Any, vote_as: Any) -> None:
    scale = _question(poll, "scale")
    _step(facilitator_client, poll, "show", question=scale.pk)
    _step(facilitator_client, poll, "hide")
    vote_as(poll).post(f"/p/{poll.code}/vote/", {f"q{scale.pk}": "4"})
    hidden = _live(facilitator_client, poll).json()
    assert "results" not in hidden and hidden["question"]["votes"] == 1
    _step(facilitator_client, poll, "reveal")
    shown = _live(facilitator_client, poll).json()
    assert shown["results"]["counts"] == [0, 0, 0, 1, 0]


def test_the_screen_gets_304_until_a_vote_arrives(
        facilitator_client: Any, poll: Any, vote_as: Any) -> None:
    scale = _question(poll, "scale")
    _step(facilitator_client, poll, "show", question=scale.pk)
    phone = vote_as(poll)
    first = _live(facilitator_client, poll)
    etag = first["ETag"]
    assert _live(facilitator_client, poll, etag).status_code == 304
    phone.post(f"/p/{poll.code}/vote/", {f"q{scale.pk}": "3"})
    after = _live(facilitator_client, poll, etag)
    assert after.status_code == 200 and after["ETag"] != etag
    # A changed vote (same count) changes the ETag too.
    etag = after["ETag"]
    phone.post(f"/p/{poll.code}/vote/", {f"q{scale.pk}": "1"})
    assert _live(facilitator_client, poll, etag).status_code == 200


def test_phones_learn_of_a_new_question_from_the_state_etag(
        client: Any, facilitator_client: Any, poll: Any, vote_as: Any) -> None:
    assert client.get(f"/p/{poll.code}/state.json").status_code == 404  # not joined
    client = vote_as(poll)
    first = client.get(f"/p/{poll.code}/state.json")
    etag = first["ETag"]
    assert client.get(f"/p/{poll.code}/state.json", HTTP_IF_NONE_MATCH=etag).status_code == 304
    _step(facilitator_client, poll, "next")
    moved = client.get(f"/p/{poll.code}/state.json", HTTP_IF_NONE_MATCH=etag)
    assert moved.status_code == 200 and moved["ETag"] != etag


def test_ideas_are_added_within_the_limit_and_upvoted_once_per_phone(
        facilitator_client: Any, poll: Any, vote_as: Any) -> None:
    from tracelead.polls.models import Idea

    ideas = _question(poll, "ideas")
    _step(facilitator_client, poll, "show", question=ideas.pk)
    ann, ben = vote_as(poll), vote_as(poll)
    for text in ("Walk the pathway together", "Invite housing"):
        assert ann.post(f"/p/{poll.code}/ideas/{ideas.pk}/", {f"q{ideas.pk}": text}
                        ).status_code == 302
    third = ann.post(f"/p/{poll.code}/ideas/{ideas.pk}/", {f"q{ideas.pk}": "One more"})
    assert third.status_code == 400 and "up to 2 ideas" in third.content.decode()
    idea = Idea.objects.get(text="Invite housing")
    for _ in range(2):
        ben.post(f"/p/{poll.code}/ideas/{idea.pk}/vote/", {"on": "1"})
    results = _live(facilitator_client, poll).json()["results"]
    assert results["ideas"][0]["text"] == "Invite housing" and results["ideas"][0]["votes"] == 1
    ben.post(f"/p/{poll.code}/ideas/{idea.pk}/vote/", {"on": "0"})
    assert _live(facilitator_client, poll).json()["results"]["ideas"][0]["votes"] == 0


def test_the_pulse_shows_the_analysis_cores_level_and_sharedness(
        facilitator_client: Any, pulse_poll: Any, vote_as: Any) -> None:
    from tracelead.analysis import condition_profile
    from tracelead.analysis.agreement import sharedness

    questions = list(pulse_poll.questions.all())
    assert [q.condition for q in questions] == ["task", "route", "alignment", "capability",
                                                 "energy"]
    _step(facilitator_client, pulse_poll, "next")
    ratings = [[5, 4, 2, 3, 4], [1, 4, 2, 4, 4], [5, 3, 3, 3, 5], [1, 4, 2, 3, 4]]
    for row in ratings:
        phone = vote_as(pulse_poll)
        data = {f"q{q.pk}": str(v) for q, v in zip(questions, row, strict=True)}
        assert phone.post(f"/p/{pulse_poll.code}/vote/", data).status_code == 302
    pulse = _live(facilitator_client, pulse_poll).json()["pulse"]
    core = condition_profile(np.array(ratings, dtype=float),
                             ["task", "route", "alignment", "capability", "energy"])
    for shown, expected in zip(pulse["conditions"], core.conditions, strict=True):
        assert shown["level"] == round(expected.mean, 2)
        assert shown["rwg"] == round(expected.rwg_j, 2)
        assert shown["sharedness"] == sharedness(expected.rwg_j)
    # By hand: Task is 5, 1, 5, 1: variance 16/3 > 2, so rwg = 0 and the room is split.
    assert pulse["conditions"][0]["rwg"] == 0.0
    assert pulse["focus"]["key"] == "task" and pulse["focus"]["role"] == "Architect"
    assert pulse["people"] == 4


def test_a_named_poll_asks_a_name_and_an_anonymous_one_never_does(
        client: Any, poll: Any, vote_as: Any) -> None:
    page = client.get(f"/p/{poll.code}/").content.decode()
    assert "This poll is anonymous" in page and 'name="name"' not in page
    poll.anonymous = False
    poll.save()
    page = client.get(f"/p/{poll.code}/").content.decode()
    assert "This poll is not anonymous" in page and 'name="name"' in page
    refused = client.post(f"/p/{poll.code}/", {"name": " "})
    assert refused.status_code == 400 and "Enter your name" in refused.content.decode()


def test_a_phone_without_the_cookie_is_a_new_device_and_a_forged_cookie_is_nobody(
        client: Any, facilitator_client: Any, poll: Any, vote_as: Any) -> None:
    from tracelead.polls.models import Vote

    scale = _question(poll, "scale")
    _step(facilitator_client, poll, "show", question=scale.pk)
    client.cookies[f"tl_poll_{poll.code}"] = "forged-token"
    response = client.post(f"/p/{poll.code}/vote/", {f"q{scale.pk}": "3"})
    assert response.status_code == 302 and response["Location"] == f"/p/{poll.code}/"
    assert not Vote.objects.exists()


def test_an_unknown_code_says_so_and_the_start_page_finds_the_poll(
        client: Any, poll: Any) -> None:
    response = client.get("/p/ZZZZZZ/")
    assert response.status_code == 404 and "No poll is running" in response.content.decode()
    found = client.post("/p/", {"code": poll.code.lower()})
    assert found["Location"] == f"/p/{poll.code}/"


def test_an_ended_poll_takes_nobody_new(client: Any, facilitator_client: Any, poll: Any) -> None:
    _step(facilitator_client, poll, "end")
    assert "This poll has ended" in client.get(f"/p/{poll.code}/").content.decode()
    assert "This poll has ended" in client.post(f"/p/{poll.code}/", {}).content.decode()


def test_only_the_academys_facilitators_present(
        viewer: Any, other_facilitator: Any, poll: Any) -> None:
    from django.test import Client

    viewer_client, other_client, anonymous = Client(), Client(), Client()
    viewer_client.force_login(viewer)
    other_client.force_login(other_facilitator)
    for path in ("present/", "live.json"):
        url = f"/academy/{poll.academy_id}/polls/{poll.pk}/{path}"
        assert viewer_client.get(url).status_code == 403
        assert other_client.get(url).status_code == 404
        assert anonymous.get(url).status_code == 302  # to the sign-in page
    step = f"/academy/{poll.academy_id}/polls/{poll.pk}/step/"
    assert viewer_client.post(step, {"action": "next"}).status_code == 403
    assert other_client.post(step, {"action": "next"}).status_code == 404
    assert poll.questions.filter(status="open").count() == 0


def test_the_presenter_page_carries_the_join_code_and_the_live_state(
        facilitator_client: Any, poll: Any) -> None:
    page = facilitator_client.get(f"/academy/{poll.academy_id}/polls/{poll.pk}/present/")
    html = page.content.decode()
    assert page.status_code == 200 and poll.code in html
    start = html.index('id="tl-live-data">') + len('id="tl-live-data">')
    data = json.loads(html[start:html.index("</script>", start)])
    assert data["participants"] == 0 and data["question"] is None


def test_a_kept_pulse_never_takes_more_votes(
        facilitator_client: Any, pulse_poll: Any, vote_as: Any, team: Any) -> None:
    """A group's page showed the pulse: votes added later would tell, by difference, how
    the newcomers rated. Reopening is refused, even after the pulse is taken off again."""
    from tracelead.polls import services
    from tracelead.polls.models import Vote

    questions = list(pulse_poll.questions.all())
    _step(facilitator_client, pulse_poll, "next")
    vote_as(pulse_poll).post(f"/p/{pulse_poll.code}/vote/",
                             {f"q{q.pk}": "3" for q in questions})
    _step(facilitator_client, pulse_poll, "close")
    pulse_poll.refresh_from_db()
    services.pulse_keep(poll=pulse_poll, group=team)
    services.pulse_keep(poll=pulse_poll, group=None)
    refused = _step(facilitator_client, pulse_poll, "open")
    assert refused.status_code == 409 and "votes are final" in refused.json()["error"]
    assert not pulse_poll.questions.filter(status="open").exists()
    assert Vote.objects.count() == 5


def test_the_pulse_keeps_its_five_point_scale(pulse_poll: Any) -> None:
    """Level and sharedness are read on 1 to 5: a pulse statement on 0 to 10 would break
    the pulse's figures, so it is refused and nothing changes."""
    from django.core.exceptions import ValidationError

    from tracelead.polls import services
    from tracelead.polls.services import QuestionDraft

    task = pulse_poll.questions.get(condition="task")
    with pytest.raises(ValidationError, match="rated from 1 to 5"):
        services.question_save(poll=pulse_poll, question=task, draft=QuestionDraft(
            kind="scale", prompt=task.prompt, scale_min=0, scale_max=10))
    task.refresh_from_db()
    assert (task.scale_min, task.scale_max) == (1, 5)


def test_a_vote_read_while_open_is_refused_once_the_question_has_closed(
        facilitator_client: Any, poll: Any) -> None:
    """The state is read again under the question's lock, not taken from the request's
    copy: no vote lands after closing (which a kept pulse or a breakdown relies on)."""
    from django.core.exceptions import ValidationError

    from tracelead.polls import services
    from tracelead.polls.models import Vote

    scale = _question(poll, "scale")
    services.poll_show(poll=poll, question=scale)
    stale = poll.questions.get(pk=scale.pk)
    participant, _ = services.participant_join(poll=poll)
    services.question_close(poll=poll, question=scale)
    assert stale.status == "open"
    with pytest.raises(ValidationError, match="closed"):
        services.vote_cast(question=stale, participant=participant, answer=3)
    assert not Vote.objects.exists()


def test_moving_an_upvote_between_ideas_changes_the_screen_and_hidden_ideas_stay_off_it(
        facilitator_client: Any, poll: Any) -> None:
    from tracelead.polls import services
    from tracelead.polls.models import Idea

    ideas = _question(poll, "ideas")
    services.poll_show(poll=poll, question=ideas)
    ann, _ = services.participant_join(poll=poll)
    ben, _ = services.participant_join(poll=poll)
    first = services.idea_add(question=ideas, participant=ann, text="Walk the pathway")
    second = services.idea_add(question=ideas, participant=ann, text="Invite housing")
    services.idea_vote(idea=first, participant=ben, on=True)
    etag = _live(facilitator_client, poll)["ETag"]
    services.idea_vote(idea=first, participant=ben, on=False)
    services.idea_vote(idea=second, participant=ben, on=True)
    moved = _live(facilitator_client, poll, etag)
    assert moved.status_code == 200
    assert [(i["text"], i["votes"]) for i in moved.json()["results"]["ideas"]] == [
        ("Invite housing", 1), ("Walk the pathway", 0)]
    _step(facilitator_client, poll, "hide_idea", idea=str(second.pk))
    shown = _live(facilitator_client, poll).json()["results"]["ideas"]
    assert [i["text"] for i in shown] == ["Walk the pathway"]
    assert Idea.objects.get(pk=second.pk).hidden


def test_a_phone_that_refuses_cookies_is_told_why_it_cannot_vote(client: Any, poll: Any) -> None:
    response = client.get(f"/p/{poll.code}/?joined=1")
    assert response.status_code == 400
    assert "This phone did not keep the poll" in response.content.decode()


def test_joining_is_limited_per_network_address(
        client: Any, poll: Any, settings: Any) -> None:
    from tracelead.polls.models import Participant

    settings.TRACELEAD_POLL_JOIN_RATE = "2/m"
    for _ in range(2):
        assert client.post(f"/p/{poll.code}/", {}).status_code == 302
        client.cookies.clear()
    refused = client.post(f"/p/{poll.code}/", {})
    assert refused.status_code == 429 and "Too many phones joined" in refused.content.decode()
    assert Participant.objects.count() == 2


def test_an_odd_digit_in_a_presenter_form_is_a_404_not_an_error(
        facilitator_client: Any, poll: Any) -> None:
    for field in ("question", "idea"):
        response = facilitator_client.post(
            f"/academy/{poll.academy_id}/polls/{poll.pk}/step/",
            {"action": "hide_idea" if field == "idea" else "open", field: "²"})
        assert response.status_code == 404


def test_open_text_words_and_ideas_are_there_for_the_evaluation_without_names(
        facilitator_client: Any, poll: Any) -> None:
    from tracelead.polls import selectors, services

    poll.anonymous = False
    poll.save()
    ann, _ = services.participant_join(poll=poll, name="Ann Smith")
    for kind, answer in (("text", "Ring the ward first"), ("words", ["trust", "time"])):
        q = _question(poll, kind)
        services.poll_show(poll=poll, question=q)
        services.vote_cast(question=poll.questions.get(pk=q.pk), participant=ann,
                           answer=answer)
    ideas = _question(poll, "ideas")
    services.poll_show(poll=poll, question=ideas)
    services.idea_add(question=poll.questions.get(pk=ideas.pk), participant=ann,
                      text="Walk the pathway")
    texts = selectors.poll_texts(poll)
    assert sorted((t["kind"], t["text"]) for t in texts) == [
        ("idea", "Walk the pathway"), ("text", "Ring the ward first"), ("words", "trust time")]
    assert "Ann" not in repr(texts)
