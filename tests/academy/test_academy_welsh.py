"""The academy's sign-up and check-in in Welsh, and the emails they send in the language
of the page that sent them."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from tracelead.academy import member_forms
from tracelead.academy.models import RoleLevel, StaffGroup
from tracelead.messaging.models import OutboxMessage
from tracelead.organisations.models import Sector

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def in_welsh(client: Any) -> None:
    client.post("/language/", {"language": "cy", "next": "/"})


def test_the_sign_up_page_reads_in_welsh_with_the_academys_own_words_marked_english(
        client: Any, academy: Any, hospital: Any) -> None:
    in_welsh(client)
    page = client.get(f"/join/{academy.join_code}/")
    body = text(page)
    assert '<html lang="cy"' in body
    assert "Ymuno â Northbrook Leadership Academy" in body
    assert "Enw llawn" in body and "Nyrsio a bydwreigiaeth" in body
    assert "Ymuno â'r academi" in body and "Join the academy" not in body
    assert re.search(r'<button[^>]*lang="en"[^>]*>English</button>', body)
    # What the academy's team wrote is in English, and says so.
    assert re.search(r'<div lang="en">\s*<p>Grow leaders who work across the whole system.', body)


def test_a_welsh_sign_up_gets_welsh_errors_and_a_welsh_email(
        client: Any, academy: Any, council: Any) -> None:
    in_welsh(client)
    url = reverse("academy_join", args=[academy.join_code])
    refused = client.post(url, {"name": "", "email": "x", "consent": ""})
    assert refused.status_code == 400
    assert "Rhowch eich enw llawn" in text(refused)
    assert "Mae problem wedi codi" in text(refused)
    joined = client.post(url, {
        "name": "Gwen Price", "email": "gwen.price@example.org",
        "organisation": str(council.pk), "organisation_name": "", "sector": "",
        "staff_group": "nursing", "place": "Vale", "level": "manager", "consent": "on"})
    assert joined.status_code == 302
    sent = client.get(joined["Location"])
    assert "Edrychwch ar eich e-bost" in text(sent)
    email = OutboxMessage.objects.get(to="gwen.price@example.org")
    assert email.subject == "Eich dolen i Northbrook Leadership Academy"
    assert email.body.startswith("Croeso i Northbrook Leadership Academy.")


def test_the_sign_up_email_stays_english_for_an_english_page(
        client: Any, academy: Any, council: Any) -> None:
    client.post(reverse("academy_join", args=[academy.join_code]), {
        "name": "Priya Shah", "email": "priya.shah@example.org",
        "organisation": str(council.pk), "organisation_name": "", "sector": "",
        "staff_group": "nursing", "place": "Vale", "level": "manager", "consent": "on"})
    email = OutboxMessage.objects.get(to="priya.shah@example.org")
    assert email.subject == "Your link to Northbrook Leadership Academy"


def test_check_in_reads_in_welsh_and_emails_its_link_in_welsh(
        client: Any, make_event: Any, make_member: Any) -> None:
    event = make_event("Leading together", days=1 / 24, hours=3)
    make_member("Bob Bell", email="bob.bell@vale.gov.uk")
    in_welsh(client)
    url = reverse("academy_checkin", args=[event.code])
    page = text(client.get(url))
    assert "Cofrestru yn Leading together" in page
    assert "Anfonwch ddolen cofrestru ataf drwy e-bost" in page
    sent = client.post(url, {"action": "email", "email": "bob.bell@vale.gov.uk"})
    assert "Os yw'r cyfeiriad hwn yn perthyn i aelod" in text(sent)
    email = OutboxMessage.objects.get(to="bob.bell@vale.gov.uk")
    assert email.subject.startswith("Cofrestru yn Leading together")
    start = text(client.get(reverse("academy_checkin_start")))
    assert "Cod y digwyddiad" in start


def test_the_sign_up_choices_say_in_english_what_the_models_say() -> None:
    with translation.override("en-gb"):
        for labels, choices in ((member_forms.SECTOR_LABELS, Sector),
                                (member_forms.STAFF_GROUP_LABELS, StaffGroup),
                                (member_forms.ROLE_LEVEL_LABELS, RoleLevel)):
            assert {str(k): str(v) for k, v in labels.items()} == dict(choices.choices)
