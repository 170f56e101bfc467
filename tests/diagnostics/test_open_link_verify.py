"""An open link that asks for a confirmed email address cannot be stuffed.

The round for Ward 7 lets anyone with an nhs.net or valecounty.gov.uk address answer once.
Ann (ann.ash@nhs.net) answers; Tom tries to answer twice and to use a gmail address.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from tracelead.diagnostics import services
from tracelead.diagnostics.models import (
    OpenLinkCode,
    OpenLinkSubmission,
    Response,
    ResponseDraft,
)

ANN = "ann.ash@nhs.net"


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def verifying(make_assessment, team):
    return make_assessment(
        team,
        rater_kinds=("member", "stakeholder", "self"),
        open_link_verify=True,
        open_link_domains="nhs.net, @ValeCounty.gov.uk",
    )


@pytest.fixture
def token(verifying):
    return services.assessment_open_link(assessment=verifying)


def ask_for_code(client: Client, token: str, email: str, kind: str = "member"):
    return client.post(f"/r/{token}/", {"email": email, "rater_kind": kind})


def code_sent_to(address: str) -> str:
    message = [m for m in mail.outbox if m.to == [address]][-1]
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def confirm(client: Client, token: str, code: str):
    return client.post(f"/r/{token}/verify/", {"code": code})


def verified_client(token: str, address: str = ANN, page: int = 1) -> Client:
    client = Client()
    assert ask_for_code(client, token, address).status_code == 302
    assert confirm(client, token, code_sent_to(address))["Location"] == f"/r/{token}/{page}/"
    return client


def answer_and_submit(client: Client, token: str, trace) -> None:
    for page, scale in enumerate(trace.scales, start=1):
        data = {item.key: "4" for item in scale.items} | {"action": "next"}
        assert client.post(f"/r/{token}/{page}/", data).status_code == 302
    assert client.post(f"/r/{token}/6/", {"action": "submit"})["Location"] == "/r/done/"


def test_the_open_link_asks_for_an_email_address_instead_of_starting(client, token):
    response = client.get(f"/r/{token}/")

    content = text(response)
    assert response.status_code == 200
    assert 'name="email"' in content
    assert "It must end in @nhs.net or @valecounty.gov.uk." in content
    assert "Send me a code" in content
    assert "Start now" not in content
    assert client.post(f"/r/{token}/", {"rater_kind": "member"}).status_code == 400
    assert not ResponseDraft.objects.exists()


def test_an_address_outside_the_allowed_domains_is_refused(client, token):
    response = ask_for_code(client, token, "tom@gmail.com")

    assert response.status_code == 400
    assert "Enter an email address ending in @nhs.net or @valecounty.gov.uk" in text(response)
    assert mail.outbox == []
    assert not OpenLinkCode.objects.exists()
    # The page comes back with the address and the choice kept, to correct.
    assert 'value="tom@gmail.com"' in text(response)
    assert re.search(r'<input[^>]*value="member"[^>]*checked', text(response))


@pytest.mark.parametrize("bad", ["not an address", "ann@", "@nhs.net"])
def test_a_malformed_address_is_refused_with_a_clear_message(client, token, bad):
    response = ask_for_code(client, token, bad)

    assert response.status_code == 400
    assert "Enter an email address in the right format" in text(response)
    assert mail.outbox == []


def test_an_allowed_address_is_sent_a_six_digit_code(client, token):
    response = ask_for_code(client, token, "Tom.Tree@ValeCounty.gov.uk")

    assert response.status_code == 302
    assert response["Location"] == f"/r/{token}/verify/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["Tom.Tree@ValeCounty.gov.uk"]
    assert re.search(r"\b\d{6}\b", mail.outbox[0].body)
    assert "Enter the code we sent you" in text(client.get(response["Location"]))


def test_a_wrong_code_is_refused_and_starts_nothing(client, token):
    ask_for_code(client, token, ANN)
    right = code_sent_to(ANN)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    response = confirm(client, token, wrong)

    assert response.status_code == 400
    assert "The code does not match" in text(response)
    assert not ResponseDraft.objects.exists()
    assert client.get(f"/r/{token}/1/")["Location"] == f"/r/{token}/"


def test_the_right_code_starts_the_draft(client, token, verifying, trace):
    ask_for_code(client, token, ANN, kind="stakeholder")

    response = confirm(client, token, code_sent_to(ANN))

    assert response.status_code == 302
    assert response["Location"] == f"/r/{token}/1/"
    draft = ResponseDraft.objects.get(assessment=verifying)
    assert draft.rater_kind == "stakeholder"
    assert draft.verified_hash == services.open_link_email_hash(verifying, ANN)
    page = client.get(f"/r/{token}/1/")
    assert page.status_code == 200 and "Page 1 of 6" in text(page)
    assert not OpenLinkCode.objects.exists()  # used once, then gone


def test_a_code_works_only_once(token):
    first = Client()
    ask_for_code(first, token, ANN)
    code = code_sent_to(ANN)
    copy = Client()
    copy.cookies.update(first.cookies)

    assert confirm(first, token, code).status_code == 302
    again = confirm(copy, token, code)

    assert again.status_code == 400
    assert "no longer valid" in text(again)


def test_a_code_expires_after_fifteen_minutes(client, token, verifying):
    ask_for_code(client, token, ANN)
    sent = OpenLinkCode.objects.get(assessment=verifying)
    assert sent.expires_at - timezone.now() <= dt.timedelta(minutes=15)
    OpenLinkCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    response = confirm(client, token, code_sent_to(ANN))

    assert response.status_code == 400
    assert "This code has expired" in text(response)
    assert not ResponseDraft.objects.exists()


def test_five_wrong_codes_use_the_code_up(client, token):
    ask_for_code(client, token, ANN)
    right = code_sent_to(ANN)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    attempts = [confirm(client, token, wrong) for _ in range(5)]
    late = confirm(client, token, right)

    assert [r.status_code for r in attempts] == [400] * 5
    assert "too many times" in text(attempts[-1])
    assert late.status_code == 400
    assert not ResponseDraft.objects.exists()


def test_codes_asked_for_one_address_are_limited(token):
    responses = [ask_for_code(Client(), token, ANN) for _ in range(4)]

    assert [r.status_code for r in responses] == [302, 302, 302, 429]
    assert "Too many codes have been asked for this address" in text(responses[-1])
    assert len(mail.outbox) == 3


def test_the_same_address_cannot_answer_twice(token, verifying, trace):
    answer_and_submit(verified_client(token), token, trace)

    tom = Client()
    asked = ask_for_code(tom, token, "ANN.Ash+again@nhs.net")
    refused = confirm(tom, token, code_sent_to("ANN.Ash+again@nhs.net"))

    assert asked.status_code == 302  # asking says nothing about whether it has answered
    assert refused.status_code == 410
    assert "already been submitted with this email address" in text(refused)
    assert Response.objects.filter(assessment=verifying).count() == 1
    assert not ResponseDraft.objects.exists()


def test_confirming_the_address_again_moves_its_draft_rather_than_starting_a_second(
    token, verifying, trace
):
    phone = verified_client(token)
    data = {item.key: "2" for item in trace.scales[0].items} | {"action": "next"}
    phone.post(f"/r/{token}/1/", data)

    laptop = verified_client(token, page=2)

    assert ResponseDraft.objects.filter(assessment=verifying).count() == 1
    assert laptop.get(f"/r/{token}/")["Location"] == f"/r/{token}/2/"
    assert phone.get(f"/r/{token}/2/")["Location"] == f"/r/{token}/"


def test_the_stored_hash_is_not_the_address(token, verifying, trace):
    client = verified_client(token)
    claims = list(OpenLinkSubmission.objects.values_list("pk", "device_hash"))
    answer_and_submit(client, token, trace)

    # The claim was written at confirmation, before any answer; submitting wrote none.
    assert list(OpenLinkSubmission.objects.values_list("pk", "device_hash")) == claims

    (claim,) = OpenLinkSubmission.objects.filter(assessment=verifying)
    stored = claim.device_hash
    assert stored == services.open_link_email_hash(verifying, ANN)
    assert "ann" not in stored.lower()
    assert stored != hashlib.sha256(ANN.encode()).hexdigest()  # keyed, not a plain hash
    response = Response.objects.get(assessment=verifying)
    assert stored not in repr(response.__dict__)
    assert "ann" not in repr(response.__dict__).lower()


def test_self_is_never_offered_on_the_open_link_and_a_crafted_self_is_refused(client, token):
    page = text(client.get(f"/r/{token}/"))
    crafted = ask_for_code(client, token, ANN, kind="self")

    assert 'value="member"' in page and 'value="stakeholder"' in page
    assert 'value="self"' not in page
    assert crafted.status_code == 400
    assert mail.outbox == []
