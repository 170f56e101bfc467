"""The respondent journey through Django's test client: a shared device, counting, the
introduction's facts, the privacy notice and the back link that saves.

Browser checks of the same journey are in tests/browser/test_board_trust_browser.py.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tracelead.diagnostics import services
from tracelead.diagnostics.models import OpenLinkSubmission, Response, ResponseDraft
from tracelead.diagnostics.questionnaire import free_text_value

pytestmark = pytest.mark.django_db


def _text(response: Any) -> str:
    return html.unescape(response.content.decode())


def _answer_everything(client: Client, token: str, trace: Any, **free_text: str) -> Any:
    assert client.post(f"/r/{token}/").status_code == 302
    for page, scale in enumerate(trace.scales, start=1):
        data = {item.key: "4" for item in scale.items} | {"action": "next"}
        assert client.post(f"/r/{token}/{page}/", data).status_code == 302
    data = {"task_statement": "", "one_change": "", **free_text, "action": "submit"}
    return client.post(f"/r/{token}/{len(trace.scales) + 1}/", data)


# --- A shared device on the open link -----------------------------------------------------


def test_the_next_person_on_a_shared_device_can_answer_as_another_person(
    assessment: Any, trace: Any
) -> None:
    token = services.assessment_open_link(assessment=assessment)
    ward_pc = Client()
    assert _answer_everything(ward_pc, token, trace)["Location"] == "/r/done/"

    again = ward_pc.get(f"/r/{token}/")
    assert again.status_code == 200
    page = _text(again)
    assert "This link has been used" not in page
    assert "The questionnaire is still open" in page
    assert f'action="/r/{token}/another/"' in page

    fresh = ward_pc.post(f"/r/{token}/another/")
    assert fresh["Location"] == f"/r/{token}/"
    intro = ward_pc.get(f"/r/{token}/")
    assert "Start now" in _text(intro)
    # The second person's draft is their own: page 1 shows none of the first one's answers.
    assert ward_pc.post(f"/r/{token}/")["Location"] == f"/r/{token}/1/"
    assert "checked" not in re.sub(r"<script.*?</script>", "", _text(ward_pc.get(
        f"/r/{token}/1/")), flags=re.S).split('id="main-form"')[1].split("</form>")[0]
    for page_number, scale in enumerate(trace.scales, start=1):
        data = {item.key: "2" for item in scale.items} | {"action": "next"}
        ward_pc.post(f"/r/{token}/{page_number}/", data)
    ward_pc.post(f"/r/{token}/6/", {"task_statement": "", "action": "submit"})
    assert Response.objects.filter(assessment=assessment).count() == 2
    assert OpenLinkSubmission.objects.filter(assessment=assessment).count() == 2


def test_answer_as_another_person_needs_a_post_and_a_real_open_link(
    assessment: Any, team: Any, make_assessment: Any
) -> None:
    token = services.assessment_open_link(assessment=assessment)
    client = Client()
    assert client.get(f"/r/{token}/another/")["Location"] == f"/r/{token}/"
    assert "tl_device" not in client.cookies
    assert client.post("/r/" + "x" * 30 + "/another/").status_code == 404
    # A verifying open link counts one response per confirmed address: no new device key.
    verifying = make_assessment(team, open_link_verify=True, open_link_domains=["nhs.net"])
    verify_token = services.assessment_open_link(assessment=verifying)
    client.post(f"/r/{verify_token}/another/")
    assert "tl_device" not in client.cookies


# --- Counting as the server counts ---------------------------------------------------------


def test_comments_are_counted_in_code_points_with_one_character_per_line_break(
    invitation_token: str, trace: Any, assessment: Any
) -> None:
    # 498 letters, a family emoji of five code points (one glyph, seven UTF-16 units) and a
    # line break sent by the browser as CRLF: 498 + 5 + 1 = 504 code points.
    family = "\U0001f469\u200d\U0001f469\u200d\U0001f467"
    assert len(family) == 5
    over = "a" * 249 + "\r\n" + "b" * 249 + family
    client = Client()
    refused = _answer_everything(client, invitation_token, trace, task_statement=over)
    assert refused.status_code == 400
    assert "500 characters or fewer (it has 504)" in _text(refused)
    fits = "a" * 249 + "\r\n" + "b" * 245 + family
    accepted = client.post(f"/r/{invitation_token}/6/",
                           {"task_statement": fits, "one_change": "", "action": "submit"})
    assert accepted.status_code == 302
    kept = Response.objects.get(assessment=assessment).free_text["task_statement"]
    assert kept == "a" * 249 + "\n" + "b" * 245 + family and len(kept) == 500


def test_free_text_value_normalises_line_breaks_and_trims() -> None:
    assert free_text_value("  one\r\ntwo\rthree\n ") == "one\ntwo\nthree"


# --- The top back link saves ----------------------------------------------------------------


def test_the_top_back_link_is_the_forms_back_button_and_saves_the_page(
    invitation_token: str, trace: Any, invitation: Any
) -> None:
    client = Client()
    client.post(f"/r/{invitation_token}/")
    page = _text(client.get(f"/r/{invitation_token}/2/"))
    back = re.search(r'<nav class="tl-back-nav" aria-label="Back">(.*?)</nav>', page, re.S)
    assert back is not None
    button = re.search(r"<button[^>]*>", back[1])
    assert button is not None
    for attribute in ('form="main-form"', 'name="action"', 'value="back"', 'type="submit"'):
        assert attribute in button[0]
    # What the button sends: the page's answers with action=back, saved though incomplete.
    first = trace.scales[1].items[0].key
    response = client.post(f"/r/{invitation_token}/2/", {first: "5", "action": "back"})
    assert response["Location"] == f"/r/{invitation_token}/1/"
    assert ResponseDraft.objects.get(invitation=invitation).answers[first] == 5


# --- The introduction and the privacy notice --------------------------------------------


def test_the_introduction_says_who_runs_it_how_to_reach_them_and_links_the_privacy_notice(
    invitation_token: str, assessment: Any, trace: Any
) -> None:
    system = assessment.group.system
    system.survey_runner = "the organisational development team at Northbrook ICS"
    system.survey_contact = "od.team@northbrook.nhs.uk"
    system.privacy_notice = "Northbrook ICS is the controller.\n\nWe keep answers for a year."
    system.save()
    intro = _text(Client().get(f"/r/{invitation_token}/"))
    assert "Run by the organisational development team at Northbrook ICS." in intro
    assert 'href="mailto:od.team@northbrook.nhs.uk"' in intro
    assert f'href="/r/{invitation_token}/privacy/"' in intro
    # One name for the product: the header says what the heading says.
    header = intro.partition('class="nhsuk-header')[2].partition("</header>")[0]
    assert trace.title in header and f"<h1>{trace.title}</h1>" in intro
    assert "TRACE leadership check" not in intro
    # "Start now" comes before the long explanations.
    assert intro.index("Start now") < intro.index("Why we are asking")

    privacy = Client().get(f"/r/{invitation_token}/privacy/")
    assert privacy.status_code == 200
    text = _text(privacy)
    assert "<p>Northbrook ICS is the controller.</p>" in text
    assert "<p>We keep answers for a year.</p>" in text
    # Only the CSRF token of the English/Cymraeg switch (a POST form, docs/welsh.md): no
    # cookie that starts, binds or identifies a draft or a device.
    assert set(privacy.cookies) <= {settings.CSRF_COOKIE_NAME}, "reading the notice sets no cookie"
    assert Client().get("/r/" + "y" * 30 + "/privacy/").status_code == 404


def test_without_settings_the_introduction_and_notice_use_plain_defaults(
    invitation_token: str, assessment: Any
) -> None:
    system = assessment.group.system
    intro = _text(Client().get(f"/r/{invitation_token}/"))
    assert f"Run by the facilitators of {system.name}." in intro
    assert "ask the person who sent you the link" in intro
    privacy = _text(Client().get(f"/r/{invitation_token}/privacy/"))
    assert "cannot be traced back to you" in privacy
    assert f"at least {assessment.threshold} people have answered" in privacy


def test_a_phone_number_contact_is_a_tel_link(invitation_token: str, assessment: Any) -> None:
    system = assessment.group.system
    system.survey_contact = "+44 (0)113 496 0000"
    system.save()
    intro = _text(Client().get(f"/r/{invitation_token}/"))
    assert 'href="tel:+4401134960000"' in intro


def test_the_problem_type_statement_explains_its_words_in_a_hint(
    invitation_token: str, trace: Any
) -> None:
    client = Client()
    client.post(f"/r/{invitation_token}/")
    page = _text(client.get(f"/r/{invitation_token}/1/"))
    statement = "simple, complicated, complex or chaotic"
    assert statement in page
    hint = page.split(statement, 1)[1].split("</fieldset>")[0]
    for word in ("Simple:", "Complicated:", "Complex:", "Chaotic:"):
        assert word in hint


@pytest.fixture
def invitation(assessment: Any) -> Any:
    return services.invitations_create(assessment=assessment, rater_kind="member", count=1)[0]


@pytest.fixture
def invitation_token(invitation: Any) -> str:
    return str(invitation.token)
