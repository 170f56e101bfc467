"""What leaving removes from the outbox, who reaches the academy at all, and the limits
that keep bad input from becoming a server error or a page nobody can load."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tracelead.academy import services
from tracelead.academy.models import ExchangeRound, Member
from tracelead.messaging.models import OutboxMessage
from tracelead.messaging.services import notice_queue
from tracelead.organisations.models import SystemMembership, SystemRole

pytestmark = pytest.mark.django_db


def test_leaving_drops_the_members_unsent_academy_mail_and_blanks_what_was_sent(
        academy: Any, make_member: Any) -> None:
    priya = make_member("Priya Shah")
    services.member_link_resend(academy=academy, email="priya.shah@example.org")
    OutboxMessage.objects.filter(to="priya.shah@example.org").update(status="sent")
    services.member_link_resend(academy=academy, email="priya.shah@example.org")
    # Other mail to the same address (as a facilitator, say) is not the academy's to drop.
    notice_queue(to=["priya.shah@example.org"], subject="Results are ready", body="...")
    services.member_leave(member=priya)
    rows = list(OutboxMessage.objects.values_list("to", "status", "subject", "body"))
    assert ("", "sent", "Your link to Northbrook Leadership Academy", "") in rows
    assert ("priya.shah@example.org", "pending", "Results are ready", "...") in rows
    assert len(rows) == 2


def test_a_role_over_one_organisation_does_not_reach_the_academy(
        client: Any, academy: Any, make_user: Any, hospital: Any) -> None:
    narrow = make_user("org.viewer")
    SystemMembership.objects.create(user=narrow, system=academy.system,
                                    role=SystemRole.VIEWER, organisation=hospital)
    client.force_login(narrow)
    assert client.get(f"/academy/{academy.pk}/").status_code == 404
    assert client.get(f"/academy/{academy.pk}/reach/").status_code == 404
    assert academy.name not in client.get("/academy/").content.decode()


def test_an_unlisted_organisation_typed_with_a_listed_name_is_that_organisation(
        academy: Any, hospital: Any) -> None:
    details = services.MemberDetails(
        name="Sam Reed", email="sam@example.org", organisation=None,
        organisation_name="  northbrook   HOSPITALS ", sector="other", staff_group="",
        place="", level="")
    member, _ = services.member_join(academy=academy, details=details, consent=True)
    member.refresh_from_db()
    assert (member.organisation_id, member.organisation_name, member.sector) == (
        hospital.pk, "", "acute")


@pytest.mark.parametrize("query", ["?target=²", "?target=" + "9" * 30, "?target=-1"])
def test_odd_numbers_in_the_address_answer_a_page_not_an_error(
        facilitator_client: Any, academy: Any, query: str) -> None:
    # An unknown target is "no such target" (404); never a server error.
    assert facilitator_client.get(f"/academy/{academy.pk}/reach/{query}").status_code in {
        200, 404}
    assert facilitator_client.get(f"/academy/{academy.pk}/report.pdf{query}").status_code in {
        200, 404}
    assert facilitator_client.get(
        f"/academy/{academy.pk}/attendance/?page=²&people=²&programme=²").status_code in {
            200, 404}


def test_a_target_spanning_centuries_is_refused_with_a_reason(academy: Any) -> None:
    from django.core.exceptions import ValidationError

    from tracelead.academy.reach_services import target_save

    with pytest.raises(ValidationError) as refused:
        target_save(academy=academy, name="Forever", kind="count", people=10,
                    starts_on=dt.date(1900, 1, 1), by_date=dt.date(2200, 1, 1))
    assert set(refused.value.message_dict) == {"starts_on", "by_date"}


def test_a_round_too_large_to_pair_while_the_facilitator_waits_is_refused(
        academy: Any, make_member: Any, council: Any, monkeypatch: Any) -> None:
    from django.core.exceptions import ValidationError

    monkeypatch.setattr(services, "EXCHANGE_MAX_PEOPLE", 2)
    for name, organisation in (("Ann", None), ("Bob", council), ("Cat", None)):
        member = make_member(name, **({"organisation": organisation} if organisation else {}))
        Member.objects.filter(pk=member.pk).update(exchange_opt_in=True)
    exchange = ExchangeRound.objects.create(academy=academy, name="Big round")
    with pytest.raises(ValidationError, match="3 people take part"):
        services.exchange_round_pair(exchange_round=exchange, seed=1)
    exchange.refresh_from_db()
    assert exchange.proposal in (None, {}, [])
