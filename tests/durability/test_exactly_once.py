"""Exactly one response per invitation or device, however many submissions race.

Fifty threads, each with its own database connection, are released together by a barrier
and all try to submit the same draft (through ``response_submit``) or post the same final
page (through separate test clients). The claim on the invitation (a conditional UPDATE)
or on the device (a unique INSERT) commits in the same transaction as the response, so
exactly one wins and every other one is told the link is used. The same runs on SQLite
(WAL, IMMEDIATE transactions) and, in the second pass of ``scripts/test``, on PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from concurrency import run_together
from tracelead.diagnostics import services
from tracelead.diagnostics.models import (
    Invitation,
    OpenLinkSubmission,
    Response,
    ResponseDraft,
)
from tracelead.diagnostics.respondent_views import DEVICE_COOKIE

THREADS = 50
pytestmark = pytest.mark.django_db(transaction=True)


def complete_answers(trace: Any) -> dict[str, int | None]:
    return {key: 4 for key in trace.item_keys}


def submit(draft_id: int) -> Callable[[int], str]:
    def work(_index: int) -> str:
        try:
            services.response_submit(draft_id=draft_id)
        except services.AlreadySubmitted:
            return "already submitted"
        return "submitted"

    return work


def test_fifty_simultaneous_submissions_of_one_invitation_make_one_response(assessment, trace):
    invitation = services.invitations_create(assessment=assessment, rater_kind="member", count=1)[0]
    draft = services.draft_start(assessment=assessment, invitation=invitation, rater_kind="member")
    services.draft_save(draft=draft, page=6, answers=complete_answers(trace))

    outcomes = run_together(THREADS, submit(draft.pk))

    assert outcomes == {"submitted": 1, "already submitted": THREADS - 1}
    assert Response.objects.filter(assessment=assessment).count() == 1
    assert Invitation.objects.get(pk=invitation.pk).used
    assert not ResponseDraft.objects.exists()


def test_fifty_simultaneous_submissions_of_one_open_link_device_make_one_response(
    assessment, trace
):
    draft = services.draft_start(assessment=assessment, device_key="phone-1", rater_kind="member")
    services.draft_save(draft=draft, page=6, answers=complete_answers(trace))

    outcomes = run_together(THREADS, submit(draft.pk))

    assert outcomes == {"submitted": 1, "already submitted": THREADS - 1}
    assert Response.objects.filter(assessment=assessment).count() == 1
    assert OpenLinkSubmission.objects.filter(assessment=assessment).count() == 1


def test_fifty_simultaneous_submissions_of_one_verified_address_make_one_response(
    make_assessment, team, trace
):
    import re

    from django.core import mail

    verifying = make_assessment(team, open_link_verify=True, open_link_domains="nhs.net")
    services.open_link_code_send(
        assessment=verifying, email="ann@nhs.net", rater_kind="member", pending_key="pending"
    )
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    draft = services.open_link_code_confirm(
        assessment=verifying, pending_key="pending", code=code, device_key="phone-3"
    )
    services.draft_save(draft=draft, page=6, answers=complete_answers(trace))

    outcomes = run_together(THREADS, submit(draft.pk))

    assert outcomes == {"submitted": 1, "already submitted": THREADS - 1}
    assert Response.objects.filter(assessment=verifying).count() == 1
    # The address's one claim was made at confirmation; submitting added none.
    assert OpenLinkSubmission.objects.filter(assessment=verifying).count() == 1


def test_fifty_simultaneous_starts_of_one_device_make_one_draft(assessment):
    # The draft's unique constraint only covers rows whose device_hash is not NULL;
    # racing starts for one device must still share a single draft.
    def start(_index: int) -> str:
        draft = services.draft_start(
            assessment=assessment, device_key="phone-2", rater_kind="member"
        )
        return f"draft {draft.pk}"

    outcomes = run_together(THREADS, start)

    assert len(outcomes) == 1, outcomes
    assert ResponseDraft.objects.filter(assessment=assessment).count() == 1


def test_fifty_simultaneous_starts_of_one_invitation_make_one_draft(assessment):
    invitation = services.invitations_create(assessment=assessment, rater_kind="member", count=1)[0]

    def start(_index: int) -> str:
        try:
            draft = services.draft_start(
                assessment=assessment, invitation=invitation, rater_kind="member"
            )
        except services.AlreadySubmitted:
            return "already submitted"
        return f"draft {draft.pk}"

    outcomes = run_together(THREADS, start)

    assert len(outcomes) == 1, outcomes
    assert ResponseDraft.objects.filter(invitation=invitation).count() == 1


def test_invitation_drafts_have_a_null_device_and_still_submit_once_each(assessment, trace):
    # Invitation drafts keep device_hash NULL: NULL never equals NULL in a unique index,
    # so many such drafts can coexist, and each one's claim must rest on its invitation.
    invitations = services.invitations_create(
        assessment=assessment, rater_kind="member", count=5
    )
    drafts = []
    for invitation in invitations:
        draft = services.draft_start(
            assessment=assessment, invitation=invitation, rater_kind="member"
        )
        services.draft_save(draft=draft, page=6, answers=complete_answers(trace))
        drafts.append(draft)
    assert ResponseDraft.objects.filter(device_hash__isnull=True).count() == 5

    outcomes = run_together(THREADS, lambda i: submit(drafts[i % 5].pk)(i))

    assert outcomes == {"submitted": 5, "already submitted": THREADS - 5}
    assert Response.objects.filter(assessment=assessment).count() == 5
    assert OpenLinkSubmission.objects.count() == 0


def test_an_open_link_draft_without_a_device_is_refused(assessment):
    with pytest.raises(ValueError, match="device key"):
        services.draft_start(assessment=assessment, device_key="", rater_kind="member")
    with pytest.raises(ValueError, match="device key"):
        services.draft_start(assessment=assessment, device_key=None, rater_kind="member")
    assert not ResponseDraft.objects.exists()


def test_a_draft_with_neither_invitation_nor_device_cannot_be_stored(assessment):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        ResponseDraft.objects.create(assessment=assessment, rater_kind="member")


# --- Through HTTP: fifty clients post the final page at once ---------------------------


def fill_pages(client: Client, token: str, trace: Any) -> None:
    assert client.post(f"/r/{token}/").status_code == 302
    for page, scale in enumerate(trace.scales, start=1):
        data = {item.key: "4" for item in scale.items} | {"action": "next"}
        assert client.post(f"/r/{token}/{page}/", data).status_code == 302


def shares_handler(client: Client, warm: Client) -> Client:
    """Use ``warm``'s request handler, whose middleware is already loaded.

    Each new test client loads the middleware on its first request (WhiteNoise indexes
    every static file then); a server does that once per worker, not once per request.
    """
    client.handler = warm.handler
    return client


def post_submit_together(clients: list[Client], token: str) -> Counter[str]:
    last = 6
    data = {"one_change": "More time together", "action": "submit"}

    def work(index: int) -> str:
        response = clients[index].post(f"/r/{token}/{last}/", data)
        if response.status_code == 302:
            return f"302 {response['Location']}"
        if response.status_code == 200 and b"Answers already sent from this device" in (
            response.content
        ):
            # The open link: a post that arrives after another has been submitted finds
            # the device has answered (and is offered to answer as another person).
            return "200 sent from this device"
        return str(response.status_code)

    return run_together(len(clients), work)


def test_fifty_clients_posting_one_invitations_last_page_at_once_make_one_response(
    assessment, trace
):
    token = services.invitations_create(assessment=assessment, rater_kind="member", count=1)[
        0
    ].token
    first = Client()
    fill_pages(first, token, trace)
    clients = []
    for _ in range(THREADS):
        # The same device (its cookies) sends the last page fifty times at once.
        client = shares_handler(Client(), first)
        for name, morsel in first.cookies.items():
            client.cookies[name] = morsel.value
        clients.append(client)

    outcomes = post_submit_together(clients, token)

    # One is thanked; the rest see "this link has been used" (410) or, if they arrived
    # after the draft was gone, are sent back to the introduction, which also says so.
    assert outcomes["302 /r/done/"] == 1, outcomes
    assert set(outcomes) <= {"302 /r/done/", "410", f"302 /r/{token}/"}, outcomes
    assert Response.objects.filter(assessment=assessment).count() == 1


def test_fifty_posts_of_one_devices_last_page_at_once_make_one_response(assessment, trace):
    token = services.assessment_open_link(assessment=assessment)
    first = Client()
    fill_pages(first, token, trace)
    cookie = first.cookies[DEVICE_COOKIE].value
    clients = []
    for _ in range(THREADS):
        client = shares_handler(Client(), first)
        client.cookies[DEVICE_COOKIE] = cookie
        clients.append(client)

    outcomes = post_submit_together(clients, token)

    assert outcomes["302 /r/done/"] == 1, outcomes
    assert set(outcomes) <= {"302 /r/done/", "410", f"302 /r/{token}/",
                             "200 sent from this device"}, outcomes
    assert Response.objects.filter(assessment=assessment).count() == 1
    assert OpenLinkSubmission.objects.filter(assessment=assessment).count() == 1
    # A post from the device after all that (as a slow thread's would be) finds it answered.
    assert post_submit_together(clients[:1], token) == {"200 sent from this device": 1}
