"""A draft is the respondent's alone: holding their link does not show their answers.

Ann starts her personal link on her phone. Fran, the facilitator who made the link, opens
her own copy of it: she sees one page, the same whether Ann is half-way through or has
submitted, asking for Ann's resume code. Ann can move to her laptop with that code.
"""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client, RequestFactory

from tracelead.diagnostics import services
from tracelead.diagnostics.models import Invitation, Response, ResponseDraft
from tracelead.diagnostics.respondent_views import HOLDER_COOKIE, HOLDER_SALT

SECRET_COMMENT = "Purple giraffes run the Tuesday huddle"
ELSEWHERE = "This link is in use on another device"


def text(response) -> str:
    return html.unescape(response.content.decode())


def same_page(content: str, token: str) -> str:
    """The page without what differs on every request (CSRF, CSP nonce) or by link."""
    content = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", content)
    content = re.sub(r'nonce="[^"]*"', "", content)
    return content.replace(token, "TOKEN")


def checked(content: str) -> list[str]:
    return [tag for tag in re.findall(r"<input[^>]*>", content) if "checked" in tag]


def resume_code(content: str) -> str:
    found = re.search(r'id="resume-code">([A-Z0-9-]+)<', content)
    assert found, "the resume code is shown on the questionnaire pages"
    return found.group(1)


def start_and_save(client: Client, token: str, trace) -> str:
    """Start, answer the first page with 2s, save a comment on the last page; the code."""
    assert client.post(f"/r/{token}/").status_code == 302
    data = {item.key: "2" for item in trace.scales[0].items} | {"action": "next"}
    assert client.post(f"/r/{token}/1/", data).status_code == 302
    saved = client.post(f"/r/{token}/6/", {"one_change": SECRET_COMMENT, "action": "back"})
    assert saved.status_code == 302
    return resume_code(text(client.get(f"/r/{token}/1/")))


def submit_all(client: Client, token: str, trace) -> None:
    assert client.post(f"/r/{token}/").status_code == 302
    for page, scale in enumerate(trace.scales, start=1):
        data = {item.key: "3" for item in scale.items} | {"action": "next"}
        assert client.post(f"/r/{token}/{page}/", data).status_code == 302
    assert client.post(f"/r/{token}/6/", {"action": "submit"})["Location"] == "/r/done/"


@pytest.fixture
def ann(assessment):
    (invitation,) = services.invitations_create(
        assessment=assessment, rater_kind="member", labels=["Ann"]
    )
    return invitation


def test_the_facilitators_copy_of_a_started_link_shows_no_saved_answer(
    facilitator_client, ann, trace
):
    start_and_save(Client(), ann.token, trace)
    draft = ResponseDraft.objects.get(invitation=ann)
    assert draft.free_text == {"one_change": SECRET_COMMENT}

    intro = facilitator_client.get(f"/r/{ann.token}/")
    pages = [facilitator_client.get(f"/r/{ann.token}/{n}/", follow=True) for n in range(1, 7)]
    again = facilitator_client.get(f"/r/{ann.token}/start/", follow=True)
    started = facilitator_client.post(f"/r/{ann.token}/")

    assert intro.status_code == 200
    assert ELSEWHERE in text(intro)
    for response in [intro, *pages, again, started]:
        assert SECRET_COMMENT not in text(response)
        assert checked(text(response)) == []
        assert ELSEWHERE in text(response)
    # Nor can the copy change or submit Ann's answers.
    facilitator_client.post(f"/r/{ann.token}/1/", {item.key: "5" for item in trace.scales[0].items})
    submitted = facilitator_client.post(f"/r/{ann.token}/6/", {"action": "submit"})
    assert submitted.status_code == 302 and submitted["Location"] == f"/r/{ann.token}/"
    assert not Response.objects.exists()
    after = ResponseDraft.objects.get(invitation=ann)
    assert (after.answers, after.free_text) == (draft.answers, draft.free_text)


def test_a_started_link_and_a_submitted_link_show_the_same_page_elsewhere(
    assessment, trace
):
    started, submitted = services.invitations_create(
        assessment=assessment, rater_kind="member", labels=["Ann", "Bo"]
    )
    start_and_save(Client(), started.token, trace)
    submit_all(Client(), submitted.token, trace)

    for method, path, data in [
        ("get", "", None),
        ("post", "", {}),
        ("get", "3/", None),
        ("post", "resume/", {"code": "ABCD-EFGH"}),
    ]:
        one = getattr(Client(), method)(f"/r/{started.token}/{path}", data)
        other = getattr(Client(), method)(f"/r/{submitted.token}/{path}", data)
        assert one.status_code == other.status_code, path
        assert same_page(text(one), started.token) == same_page(text(other), submitted.token)
    assert ELSEWHERE in text(Client().get(f"/r/{submitted.token}/"))


def test_a_link_never_started_shows_the_introduction(ann):
    response = Client().get(f"/r/{ann.token}/")

    assert response.status_code == 200
    assert "Start now" in text(response)
    assert ELSEWHERE not in text(response)


def test_the_resume_code_moves_the_draft_to_another_device(ann, trace):
    phone = Client()
    code = start_and_save(phone, ann.token, trace)
    laptop = Client()
    assert ELSEWHERE in text(laptop.get(f"/r/{ann.token}/"))

    moved = laptop.post(f"/r/{ann.token}/resume/", {"code": f"  {code.lower()} "})

    assert moved.status_code == 302
    bookmark = ResponseDraft.objects.get(invitation=ann).page
    resumed = laptop.get(moved["Location"])
    assert resumed["Location"] == f"/r/{ann.token}/{bookmark}/"
    assert len(checked(text(laptop.get(f"/r/{ann.token}/1/")))) == len(trace.scales[0].items)
    assert SECRET_COMMENT in text(laptop.get(f"/r/{ann.token}/6/"))
    assert resume_code(text(laptop.get(f"/r/{ann.token}/2/"))) == code
    # The phone no longer holds it; the same code brings it back.
    assert ELSEWHERE in text(phone.get(f"/r/{ann.token}/"))
    assert phone.post(f"/r/{ann.token}/resume/", {"code": code}).status_code == 302
    assert phone.get(f"/r/{ann.token}/")["Location"] == f"/r/{ann.token}/2/"


def test_a_wrong_resume_code_is_refused_and_tries_are_throttled(ann, trace):
    code = start_and_save(Client(), ann.token, trace)
    holder = ResponseDraft.objects.get(invitation=ann).holder_hash
    guesser = Client()

    wrong = [guesser.post(f"/r/{ann.token}/resume/", {"code": "ZZZZ-2222"}) for _ in range(5)]
    blocked = Client().post(f"/r/{ann.token}/resume/", {"code": code})

    assert [r.status_code for r in wrong] == [400] * 5
    assert "The resume code does not match" in text(wrong[0])
    assert blocked.status_code == 429
    assert "Too many resume codes have been tried" in text(blocked)
    assert SECRET_COMMENT not in text(blocked)
    assert ResponseDraft.objects.get(invitation=ann).holder_hash == holder


def test_only_hashes_of_the_device_key_and_resume_code_are_stored(ann, trace):
    phone = Client()
    code = start_and_save(phone, ann.token, trace)

    cookie = phone.cookies[HOLDER_COOKIE.format(pk=ann.pk)]
    request = RequestFactory().get("/")
    request.COOKIES[cookie.key] = cookie.value
    key, _, kept_code = request.get_signed_cookie(cookie.key, salt=HOLDER_SALT).partition(".")
    draft = ResponseDraft.objects.get(invitation=ann)
    assert cookie["httponly"] is True
    assert kept_code == code
    assert len(key) >= 40
    assert draft.holder_hash == services.device_hash(key)
    assert key not in draft.holder_hash and code not in draft.resume_hash
    assert draft.resume_hash == services.resume_hash(ann.pk, code)
    assert draft.resume_hash != services.device_hash(code)  # keyed, not a plain hash


def test_a_forged_device_cookie_does_not_open_the_draft(ann, trace):
    phone = Client()
    start_and_save(phone, ann.token, trace)
    name = HOLDER_COOKIE.format(pk=ann.pk)
    forger = Client()
    forger.cookies[name] = phone.cookies[name].value.replace(".", "x", 1)

    response = forger.get(f"/r/{ann.token}/")

    assert ELSEWHERE in text(response)
    assert SECRET_COMMENT not in text(forger.get(f"/r/{ann.token}/6/", follow=True))


def test_the_cookie_of_one_link_does_not_open_another(assessment, trace):
    ann, bo = services.invitations_create(
        assessment=assessment, rater_kind="member", labels=["Ann", "Bo"]
    )
    phone = Client()
    start_and_save(phone, ann.token, trace)
    other = Client()
    start_and_save(other, bo.token, trace)
    # Ann's signed cookie, renamed to Bo's link, fails its signature.
    thief = Client()
    thief.cookies[HOLDER_COOKIE.format(pk=bo.pk)] = phone.cookies[
        HOLDER_COOKIE.format(pk=ann.pk)
    ].value

    assert ELSEWHERE in text(thief.get(f"/r/{bo.token}/"))


def test_a_draft_saved_before_drafts_were_bound_is_bound_to_the_next_device_that_starts(
    assessment, trace
):
    (invitation,) = services.invitations_create(assessment=assessment, rater_kind="member", count=1)
    draft = services.draft_start(assessment=assessment, invitation=invitation, rater_kind="member")
    services.draft_save(draft=draft, page=3, answers={trace.item_keys[0]: 4})
    assert ResponseDraft.objects.get(pk=draft.pk).holder_hash == ""

    phone = Client()
    assert "Start now" in text(phone.get(f"/r/{invitation.token}/"))
    started = phone.post(f"/r/{invitation.token}/")

    assert started["Location"] == f"/r/{invitation.token}/3/"
    assert ResponseDraft.objects.get(pk=draft.pk).holder_hash
    assert ELSEWHERE in text(Client().get(f"/r/{invitation.token}/"))
    assert Invitation.objects.get(pk=invitation.pk).used is False
