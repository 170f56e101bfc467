"""The respondent journey in Welsh: the switch, the remembered choice, the Welsh wording.

Answers given in Welsh are stored against the same item keys as in English, so reports
(which stay in English) are unaffected.
"""

from __future__ import annotations

import html
import re

import pytest
from django.conf import settings

from tracelead.diagnostics import services
from tracelead.diagnostics.models import Response
from tracelead.diagnostics.packing import answers_matrix
from tracelead.instruments import ENV_VAR, get_instrument


def text(response) -> str:
    return html.unescape(response.content.decode())


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


@pytest.fixture
def token(assessment):
    return services.invitations_create(assessment=assessment, rater_kind="member", count=1)[0].token


def choose(client, language: str, next_url: str):
    return client.post("/language/", {"language": language, "next": next_url})


def test_the_introduction_is_english_with_a_switch_to_cymraeg(client, token) -> None:
    response = client.get(f"/r/{token}/")
    page = text(response)
    assert html_lang(response) == "en"
    assert "Start now" in page
    assert re.search(r'<button[^>]*value="cy"[^>]*lang="cy"[^>]*>Cymraeg</button>', page)
    assert 'action="/language/"' in page


def test_choosing_cymraeg_is_remembered_on_every_page(client, token) -> None:
    switched = choose(client, "cy", f"/r/{token}/")
    assert switched.status_code == 302 and switched["Location"] == f"/r/{token}/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "cy"
    intro = client.get(f"/r/{token}/")
    page = text(intro)
    assert html_lang(intro) == "cy"
    assert "Dechrau nawr" in page and "Start now" not in page
    assert "Offeryn diagnostig arweinyddiaeth TRACE" in page
    assert re.search(r'<button[^>]*value="en-gb"[^>]*lang="en"[^>]*>English</button>', page)
    client.post(f"/r/{token}/")
    first = client.get(f"/r/{token}/1/")
    page = text(first)
    assert html_lang(first) == "cy"
    assert "Tudalen 1 o 6" in page
    assert "Rydyn ni'n neilltuo amser yn rheolaidd" in page
    assert "Anghytuno'n gryf" in page and "Ddim yn gwybod" in page
    assert "Cadw a pharhau" in page and "Save and continue" not in page


def test_a_missing_answer_is_explained_in_welsh(client, token) -> None:
    choose(client, "cy", "/")
    client.post(f"/r/{token}/")
    response = client.post(f"/r/{token}/1/", {"action": "next"})
    page = text(response)
    assert "Mae problem wedi codi" in page
    assert "Dewiswch ateb ar gyfer “Rydyn ni'n neilltuo amser" in page
    assert "Gwall:" in page


def test_answers_in_welsh_are_stored_as_in_english(client, token, assessment) -> None:
    choose(client, "cy", "/")
    client.post(f"/r/{token}/")
    trace = get_instrument("trace")
    for page, scale in enumerate(trace.scales, start=1):
        data = {item.key: "4" for item in scale.items}
        assert client.post(f"/r/{token}/{page}/", {**data, "action": "next"}).status_code == 302
    done = client.post(
        f"/r/{token}/6/", {"one_change": "Mwy o amser i siarad â'n gilydd", "action": "submit"}
    )
    assert done.status_code == 302
    thanks = client.get(done["Location"])
    assert "Mae eich atebion wedi cael eu cyflwyno" in text(thanks)
    response = Response.objects.get(assessment=assessment)
    assert set(answers_matrix([response.answers], trace.item_keys).ravel()) == {4}
    assert response.free_text == {"one_change": "Mwy o amser i siarad â'n gilydd"}


def test_switching_back_to_english_gives_the_english_page(client, token) -> None:
    choose(client, "cy", "/")
    choose(client, "en-gb", "/")
    response = client.get(f"/r/{token}/")
    assert html_lang(response) == "en"
    assert "Start now" in text(response)


def test_an_unknown_link_is_explained_in_welsh(client, db) -> None:
    choose(client, "cy", "/")
    response = client.get("/r/not-a-real-token-at-all/")
    assert response.status_code == 404
    assert "Doedden ni ddim yn gallu dod o hyd i'r holiadur hwn" in text(response)


def test_staff_pages_stay_in_english_whatever_the_choice(client, db) -> None:
    choose(client, "cy", "/")
    response = client.get("/accounts/login/")
    assert html_lang(response) == "en"
    assert "Cymraeg" not in text(response)


def test_dac_is_answered_in_welsh(client, team, make_assessment) -> None:
    dac = make_assessment(team, instrument_key="dac")
    (invitation,) = services.invitations_create(assessment=dac, rater_kind="member", count=1)
    choose(client, "cy", "/")
    intro = client.get(f"/r/{invitation.token}/")
    page = intro.content.decode()
    assert html_lang(intro) == "cy"
    assert "Cyfeiriad, aliniad ac ymrwymiad" in text(intro)
    assert "Direction, alignment and commitment" not in text(intro)
    assert 'lang="en">' not in page.replace(">English</button>", "")
    client.post(f"/r/{invitation.token}/")
    first = client.get(f"/r/{invitation.token}/1/").content.decode()
    assert "Rydyn ni'n cytuno ar yr hyn y mae'r grŵp hwn yn ceisio'i gyflawni" in (
        html.unescape(first)
    )
    assert "We agree on what this group is trying to achieve together." not in first
    assert not re.search(r'<fieldset class="nhsuk-fieldset tl-page-group"[^>]*lang=', first)
    assert '<p class="nhsuk-body-s">Meddyliwch am' in first
    second = client.get(f"/r/{invitation.token}/2/").content.decode()
    assert "heb fylchau na dyblygu" in html.unescape(second)


# An instrument a deployment adds without a Welsh translation.
UNTRANSLATED_YAML = """\
key: untranslated
version: "1.0"
title: Working together
description: How a group works together.
introduction: Tell us how this group works together today.
minutes: 2
response_scale:
  - {value: 1, label: Disagree}
  - {value: 2, label: Agree}
dont_know_label: Don't know
scales:
  - key: together
    name: Together
    question: Do we work well together?
    description: How well the group works together.
    items:
      - {key: together_1, text: We help each other when the work piles up.}
rater_kinds:
  - {key: member, label: Member, description: Someone in the group.}
"""


def test_an_instrument_without_welsh_is_shown_as_written_and_marked_english(
        client, team, make_assessment, tmp_path, monkeypatch) -> None:
    (tmp_path / "untranslated.yaml").write_text(UNTRANSLATED_YAML, encoding="utf-8")
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert get_instrument("untranslated").languages == ()
    round_ = make_assessment(team, instrument_key="untranslated")
    (invitation,) = services.invitations_create(assessment=round_, rater_kind="member", count=1)
    choose(client, "cy", "/")
    intro = client.get(f"/r/{invitation.token}/")
    assert html_lang(intro) == "cy"
    assert "Dechrau nawr" in text(intro)
    assert '<h1 lang="en">Working together</h1>' in intro.content.decode()
    assert '<p lang="en">Tell us how this group works together today.</p>' in (
        intro.content.decode()
    )
    client.post(f"/r/{invitation.token}/")
    first = client.get(f"/r/{invitation.token}/1/").content.decode()
    assert re.search(r'<fieldset class="nhsuk-fieldset tl-page-group"[^>]*lang="en"', first)
    assert "We help each other when the work piles up." in first
    assert '<p class="nhsuk-body-s" lang="cy">Meddyliwch am' in first
