"""Each page is saved as it is left: after a crash the respondent loses at most one page.

A "crash" here is everything the respondent's side can lose at once: the browser tab,
its session and the server process that served it. What survives is the link (an
invitation's token or the open link), the cookie the device keeps for it, and the
database. A new client coming back with only those must find every page it had left.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client

from tracelead.diagnostics import services
from tracelead.diagnostics.models import Response, ResponseDraft
from tracelead.diagnostics.respondent_views import DEVICE_COOKIE

pytestmark = pytest.mark.django_db

ANSWERS = ["1", "2", "3", "4", "5", "dk", "4"]  # one per item on a page, "dk" included


def stored(value: str) -> int | None:
    return None if value == "dk" else int(value)


def page_answers(trace: Any, page: int) -> dict[str, str]:
    return {item.key: ANSWERS[n] for n, item in enumerate(trace.scales[page - 1].items)}


def checked_values(client: Client, url: str) -> dict[str, str]:
    content = html.unescape(client.get(url).content.decode())
    checked = {}
    for tag in re.findall(r"<input[^>]*>", content):
        if "checked" in tag and 'type="radio"' in tag:
            name = re.search(r'name="([^"]*)"', tag).group(1)
            checked[name] = re.search(r'value="([^"]*)"', tag).group(1)
    return checked


_HANDLER: list[Any] = []


def crash_and_resume(token: str, device_cookies: dict[str, str]) -> Client:
    """A brand-new client: no session, no CSRF cookie, only what the respondent keeps.

    It borrows a request handler whose middleware is already loaded (a new test client
    loads it on its first request, which takes half a second); the handler keeps nothing
    about any respondent.
    """
    client = Client()
    if _HANDLER:
        client.handler = _HANDLER[0]
    else:
        _HANDLER.append(client.handler)
    for name, value in device_cookies.items():
        client.cookies[name] = value
    return client


def kept_cookies(client: Client) -> dict[str, str]:
    """What the device keeps: its cookies for the link (the session and CSRF go)."""
    return {
        name: morsel.value
        for name, morsel in client.cookies.items()
        if name not in {"sessionid", "csrftoken"}
    }


@pytest.mark.parametrize("link", ["invitation", "open link"])
def test_every_page_left_is_saved_and_a_new_client_resumes_where_it_stopped(
    assessment, trace, link
):
    if link == "invitation":
        invitation = services.invitations_create(
            assessment=assessment, rater_kind="member", count=1
        )[0]
        token = invitation.token
    else:
        token = services.assessment_open_link(assessment=assessment)
    client = Client()
    assert client.post(f"/r/{token}/").status_code == 302
    cookie = kept_cookies(client)
    if link == "open link":
        assert DEVICE_COOKIE in cookie
    expected: dict[str, int | None] = {}

    for page in range(1, 6):
        answers = page_answers(trace, page)
        response = client.post(f"/r/{token}/{page}/", answers | {"action": "next"})
        assert response.status_code == 302
        expected |= {key: stored(value) for key, value in answers.items()}

        # The draft holds every page left so far, and where to resume.
        draft = ResponseDraft.objects.get(assessment=assessment)
        assert draft.answers == expected
        assert draft.page == page + 1

        # Crash: a new client with nothing but the link and the device's cookie resumes
        # on the next page, and finds every earlier page's answers as they were given.
        resumed = crash_and_resume(token, cookie)
        again = resumed.get(f"/r/{token}/")
        assert again.status_code == 302
        assert again["Location"] == f"/r/{token}/{page + 1}/"
        for earlier in range(1, page + 1):
            assert checked_values(resumed, f"/r/{token}/{earlier}/") == page_answers(
                trace, earlier
            )
        resumed.get(f"/r/{token}/{page + 1}/")  # looking back must not move the bookmark

    # The resumed client can finish: the response holds every page's answers, once.
    final = crash_and_resume(token, cookie)
    done = final.post(
        f"/r/{token}/6/", {"one_change": "Meet as one team", "action": "submit"}
    )
    assert done.status_code == 302 and done["Location"] == "/r/done/"
    response = Response.objects.get(assessment=assessment)
    assert response.answers == expected
    assert response.free_text == {"one_change": "Meet as one team"}
    assert not ResponseDraft.objects.exists()


def test_a_crash_loses_only_the_page_that_was_being_answered(assessment, trace):
    token = services.invitations_create(assessment=assessment, rater_kind="member", count=1)[
        0
    ].token
    client = Client()
    client.post(f"/r/{token}/")
    client.post(f"/r/{token}/1/", page_answers(trace, 1) | {"action": "next"})
    # Page 2 is half answered in the browser when the crash happens: nothing is posted.

    resumed = crash_and_resume(token, kept_cookies(client))
    assert resumed.get(f"/r/{token}/")["Location"] == f"/r/{token}/2/"
    assert checked_values(resumed, f"/r/{token}/1/") == page_answers(trace, 1)
    assert checked_values(resumed, f"/r/{token}/2/") == {}


def test_going_back_saves_a_partly_answered_page(assessment, trace):
    token = services.invitations_create(assessment=assessment, rater_kind="member", count=1)[
        0
    ].token
    client = Client()
    client.post(f"/r/{token}/")
    client.post(f"/r/{token}/1/", page_answers(trace, 1) | {"action": "next"})
    partial = dict(list(page_answers(trace, 2).items())[:3])
    assert client.post(f"/r/{token}/2/", partial | {"action": "back"}).status_code == 302

    resumed = crash_and_resume(token, kept_cookies(client))
    assert checked_values(resumed, f"/r/{token}/2/") == partial
