"""A verifying open link's email address confirmed through an identity provider instead
of a code (issue: single sign-on, with the gate's verifying open link). The round for
Ward 7 takes nhs.net addresses once each; Priya confirms hers with NHSmail."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from sso_helpers import come_back

from tracelead.diagnostics import services
from tracelead.diagnostics.models import OpenLinkSubmission, ResponseDraft


@pytest.fixture
def token(make_assessment: Any, team: Any) -> str:
    round_ = make_assessment(team, rater_kinds=("member", "stakeholder"),
                             open_link_verify=True, open_link_domains="nhs.net")
    return str(services.assessment_open_link(assessment=round_))


def _continue_to_provider(client: Client, token: str, slug: str) -> str:
    page = client.post(f"/r/{token}/sso/{slug}/", {"rater_kind": "member"})
    assert page.status_code == 200
    found = re.search(r'id="continue-to-provider" href="([^"]+)"', page.content.decode())
    assert found is not None
    return html.unescape(found.group(1))


def test_the_introduction_offers_the_providers(
    client: Client, token: str, identity_providers: Any
) -> None:
    page = html.unescape(client.get(f"/r/{token}/").content.decode())
    assert "Confirm with NHSmail" in page
    assert f'formaction="/r/{token}/sso/nhsmail/"' in page


def test_priya_confirms_her_address_with_nhsmail_and_starts(
    client: Client, token: str, identity_providers: Any, at_provider: Any
) -> None:
    authorize = _continue_to_provider(client, token, "nhsmail")
    answer = come_back(client, at_provider("priya").authorize(authorize))
    assert answer.status_code == 302
    assert answer["Location"] == f"/r/{token}/1/"
    assert client.get(answer["Location"]).status_code == 200
    # No code was emailed, nobody was signed in or made, and the address is kept hashed.
    assert mail.outbox == []
    assert "_auth_user_id" not in client.session
    assert not get_user_model().objects.exists()
    draft = ResponseDraft.objects.get()
    assert draft.verified_hash and "priya" not in draft.verified_hash
    assert OpenLinkSubmission.objects.count() == 1

    # The same address on another device moves the draft there; it is never two.
    other = Client()
    again = come_back(other, at_provider("priya").authorize(
        _continue_to_provider(other, token, "nhsmail")))
    assert again["Location"] == f"/r/{token}/1/"
    assert ResponseDraft.objects.count() == 1


def test_an_address_outside_the_rounds_domains_is_refused(
    client: Client, token: str, identity_providers: Any, at_provider: Any
) -> None:
    # Care Identity allows example.gov.uk; the round does not.
    authorize = _continue_to_provider(client, token, "cis2")
    answer = come_back(client, at_provider("colin").authorize(authorize))
    assert answer.status_code == 403
    text = html.unescape(answer.content.decode())
    assert "We could not confirm your email address" in text
    assert "Enter an email address ending in @nhs.net" in text
    assert not ResponseDraft.objects.exists()
    assert not OpenLinkSubmission.objects.exists()


def test_an_unverified_address_is_refused(
    client: Client, token: str, identity_providers: Any, at_provider: Any
) -> None:
    authorize = _continue_to_provider(client, token, "nhsmail")
    answer = come_back(client, at_provider("unverified.umar").authorize(authorize))
    assert answer.status_code == 403
    assert not ResponseDraft.objects.exists()


def test_a_confirmation_works_once(
    client: Client, token: str, identity_providers: Any, at_provider: Any
) -> None:
    callback = at_provider("priya").authorize(_continue_to_provider(client, token, "nhsmail"))
    assert come_back(client, callback).status_code == 302
    assert come_back(Client(), callback).status_code == 400
    assert come_back(client, callback).status_code == 400
