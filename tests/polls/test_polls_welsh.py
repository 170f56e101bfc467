"""Poll voting in Welsh: joining, the question on the phone, errors; the poll's own words
(its title, questions and options) stay as the facilitator wrote them."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.test import Client

from tracelead.polls import services

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def welsh_phone() -> Client:
    phone = Client()
    phone.post("/language/", {"language": "cy", "next": "/p/"})
    return phone


def test_the_code_page_and_the_join_page_read_in_welsh(poll: Any) -> None:
    phone = welsh_phone()
    start = text(phone.get("/p/"))
    assert '<html lang="cy"' in start and "Ymuno â phleidlais fyw" in start
    unknown = text(phone.post("/p/", {"code": ""}))
    assert "Rhowch y cod sydd i'w weld ar y sgrin" in unknown
    join = text(phone.get(f"/p/{poll.code}/"))
    assert "Mae'r bleidlais hon yn ddienw." in join
    assert "Ymuno â'r bleidlais" in join
    assert "How are we doing?" in join  # the facilitator's title, as written


def test_a_welsh_phone_votes_and_its_vote_counts_as_any_other(poll: Any) -> None:
    phone = welsh_phone()
    assert phone.post(f"/p/{poll.code}/", {}).status_code == 302
    scale = poll.questions.order_by("position").first()
    services.poll_show(poll=poll, question=scale)
    page = text(phone.get(f"/p/{poll.code}/"))
    assert '<html lang="cy"' in page
    assert "Pleidlais ddienw: nid yw'n gwybod pwy ydych chi." in page
    assert "Mae 1 yn golygu Not at all; mae 5 yn golygu Completely." in page
    assert "Anfon" in page
    refused = text(phone.post(f"/p/{poll.code}/vote/", {}))
    assert "Mae problem wedi codi" in refused and "There is a problem" not in refused
    saved = phone.post(f"/p/{poll.code}/vote/", {f"q{scale.pk}": "4"})
    assert saved.status_code == 302
    assert "Mae eich ateb wedi'i gadw." in text(phone.get(saved["Location"]))
    assert scale.votes.get().answer == 4


def test_switching_language_after_a_refused_vote_comes_back_to_the_poll(poll: Any) -> None:
    phone = welsh_phone()
    phone.post(f"/p/{poll.code}/", {})
    services.poll_show(poll=poll, question=poll.questions.order_by("position").first())
    refused = text(phone.post(f"/p/{poll.code}/vote/", {}))
    assert f'name="next" value="/p/{poll.code}/"' in refused
