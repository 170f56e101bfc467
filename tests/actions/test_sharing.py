"""Sharing from the product: a facilitator invites viewers to a system, an organisation or
a group, lists them and removes them; every step is audited; tenancy holds.

Story: Fran facilitates all of Northbrook; Ola facilitates only Northbrook Hospitals; Vic
views Northbrook; Olu facilitates Southmoor. Nadia has no account; Bea has one.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tracelead.actions.models import ViewerInvitation
from tracelead.core.models import AuditEvent
from tracelead.messaging.models import OutboxMessage
from tracelead.organisations import access
from tracelead.organisations.models import SystemMembership, SystemRole

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _text(page: Any) -> str:
    return html.unescape(page.content.decode())


def _invite(client: Client, system: Any, email: str, scope: str) -> Any:
    return client.post(reverse("sharing", args=[system.pk]),
                       {"action": "invite", "email": email, "scope": scope})


def _link(email: str) -> str:
    body = OutboxMessage.objects.filter(to=email).latest("id").body
    match = re.search(r"https?://\S+/sharing/accept/(\S+)/", body)
    assert match, body
    return f"/sharing/accept/{match.group(1)}/"


def test_a_new_person_is_invited_to_a_group_makes_an_account_and_sees_only_it(
    facilitator: Any, system: Any, team: Any, assessment: Any, organisation: Any
) -> None:
    from tracelead.organisations import services
    from tracelead.organisations.models import Space

    services.group_create(system=system, organisation=organisation, name="Ward 9 team",
                          space=Space.TEAM)
    fran = _client(facilitator)
    page = fran.get(reverse("sharing", args=[system.pk]))
    assert page.status_code == 200
    assert "Ward 7 team (group)" in _text(page)
    sent = _invite(fran, system, "Nadia.New@Example.NHS.uk", f"group:{team.pk}")
    assert sent.status_code == 302
    invitation = ViewerInvitation.objects.get()
    assert invitation.email == "nadia.new@example.nhs.uk" and invitation.group == team
    listed = _text(fran.get(reverse("sharing", args=[system.pk])))
    assert "nadia.new@example.nhs.uk" in listed.split('id="invitations"')[1]
    event = AuditEvent.objects.latest("at")
    assert event.user == facilitator and event.system_id == system.pk
    assert "invited nadia.new@example.nhs.uk to view Ward 7 team (group)" in event.what

    link = _link("nadia.new@example.nhs.uk")
    # The token is kept only as a hash.
    assert link.split("/")[-2] not in str(ViewerInvitation.objects.values_list().get())
    anonymous = Client()
    form = anonymous.get(link)
    assert form.status_code == 200 and "Choose a password" in _text(form)
    weak = anonymous.post(link, {"password": "12345678", "password_again": "12345678"})
    assert weak.status_code == 400
    made = anonymous.post(link, {"password": "plum-orchard-lantern-41",
                                 "password_again": "plum-orchard-lantern-41"})
    assert made.status_code == 302 and "/accounts/login/" in made["Location"]
    membership = SystemMembership.objects.get(user__username="nadia.new@example.nhs.uk")
    assert (membership.role, membership.group) == (SystemRole.VIEWER, team)
    assert membership.user.check_password("plum-orchard-lantern-41")
    nadia = membership.user
    assert set(access.groups_for(nadia).values_list("name", flat=True)) == {"Ward 7 team"}
    assert _client(nadia).get(reverse("assessment", args=[assessment.pk])).status_code == 200
    assert AuditEvent.objects.filter(
        user=nadia, what__contains="became a viewer of Ward 7 team (group)").exists()
    # The link works once.
    assert anonymous.get(link).status_code == 410


def test_someone_with_an_account_accepts_after_signing_in(
    facilitator: Any, system: Any, make_user: Any
) -> None:
    bea = make_user("bea.board", email="bea@example.org")
    _invite(_client(facilitator), system, "bea@example.org", "system")
    link = _link("bea@example.org")
    page = Client().get(link)
    assert "Sign in to accept" in _text(page)
    assert not SystemMembership.objects.filter(user=bea).exists()
    signed_in = _client(bea)
    assert "Accept the invitation" in _text(signed_in.get(link))
    assert signed_in.post(link).status_code == 302
    membership = SystemMembership.objects.get(user=bea)
    assert membership.role == SystemRole.VIEWER and membership.whole_system


def test_the_facilitator_removes_a_viewer_and_it_is_audited(
    facilitator: Any, viewer: Any, system: Any
) -> None:
    fran = _client(facilitator)
    listed = _text(fran.get(reverse("sharing", args=[system.pk])))
    assert "vic.viewer" in listed and f"All of {system.name}" in listed
    membership = SystemMembership.objects.get(user=viewer)
    gone = fran.post(reverse("sharing", args=[system.pk]),
                     {"action": "remove", "membership": membership.pk})
    assert gone.status_code == 302
    assert not SystemMembership.objects.filter(user=viewer).exists()
    assert "removed vic.viewer as a viewer of All of Northbrook ICS" in (
        AuditEvent.objects.latest("at").what)
    # A facilitator's own role is never removed here.
    mine = SystemMembership.objects.get(user=facilitator)
    assert fran.post(reverse("sharing", args=[system.pk]),
                     {"action": "remove", "membership": mine.pk}).status_code == 404
    assert SystemMembership.objects.filter(pk=mine.pk).exists()


def test_an_invitation_can_be_withdrawn_and_its_link_then_fails(
    facilitator: Any, system: Any
) -> None:
    fran = _client(facilitator)
    _invite(fran, system, "someone@example.org", "system")
    link = _link("someone@example.org")
    invitation = ViewerInvitation.objects.get()
    fran.post(reverse("sharing", args=[system.pk]),
              {"action": "withdraw", "invitation": invitation.pk})
    assert not ViewerInvitation.objects.exists()
    assert Client().get(link).status_code == 410
    assert "withdrew the invitation of someone@example.org" in AuditEvent.objects.latest(
        "at").what


def test_an_organisations_facilitator_shares_only_what_they_run(
    make_user: Any, system: Any, organisation: Any, team: Any, viewer: Any
) -> None:
    ola = make_user("ola.orgfacilitator")
    SystemMembership.objects.create(user=ola, system=system, role=SystemRole.FACILITATOR,
                                    organisation=organisation)
    client = _client(ola)
    page = _text(client.get(reverse("sharing", args=[system.pk])))
    assert "Northbrook Hospitals (organisation)" in page and "Ward 7 team (group)" in page
    assert f"All of {system.name}" not in page
    # The whole-system viewer is not theirs to list or remove.
    assert "vic.viewer" not in page
    refused = _invite(client, system, "x@example.org", "system")
    assert refused.status_code == 400
    assert "Choose one of the scopes listed" in _text(refused)
    membership = SystemMembership.objects.get(user=viewer)
    assert client.post(reverse("sharing", args=[system.pk]),
                       {"action": "remove", "membership": membership.pk}).status_code == 404
    assert _invite(client, system, "y@example.org",
                   f"organisation:{organisation.pk}").status_code == 302


def test_only_facilitators_of_the_system_can_share(
    viewer: Any, other_facilitator: Any, facilitator: Any, system: Any, team: Any,
    other_system: Any
) -> None:
    url = reverse("sharing", args=[system.pk])
    assert _client(viewer).get(url).status_code == 403
    assert _invite(_client(viewer), system, "x@example.org", "system").status_code == 403
    olu = _client(other_facilitator)
    assert olu.get(url).status_code == 404
    assert _invite(olu, system, "x@example.org", "system").status_code == 404
    assert _invite(olu, system, "x@example.org", f"group:{team.pk}").status_code == 404
    # Olu's own page offers only Southmoor's scopes, so Northbrook's group is refused.
    own = _invite(olu, other_system, "x@example.org", f"group:{team.pk}")
    assert own.status_code == 400
    assert not ViewerInvitation.objects.exists()
    invitation_made = _invite(_client(facilitator), system, "z@example.org", "system")
    assert invitation_made.status_code == 302
    invitation = ViewerInvitation.objects.get()
    assert olu.post(reverse("sharing", args=[other_system.pk]),
                    {"action": "withdraw", "invitation": invitation.pk}).status_code == 404
    assert ViewerInvitation.objects.exists()
