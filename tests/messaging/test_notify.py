"""Invitations through GOV.UK Notify's official client (notifications-python-client),
pointed at a local server that answers as Notify's API v2 does (tests/messaging/conftest.py):
its JWT check, 201 with the notification, 400 for an address it will not send to, 403 for
a bad key, 429 for its rate limit, 500, and the status of a sent message.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone
from mail_helpers import (
    ASHA,
    BEN,
    CARA,
    EVERYONE,
    LINK,
    Status,
    invite,
    row_for,
    time_passes,
)

from tracelead.messaging import outbox, services
from tracelead.messaging.models import Invitee, OutboxMessage

pytestmark = pytest.mark.django_db



def test_messages_go_out_with_the_template_the_personalisation_and_the_link(
    assessment, notify_email
):
    invite(assessment)

    report = outbox.deliver_due()

    assert (report.sent, report.failed, report.retrying) == (3, 0, 0)
    assert notify_email.posts() == [201, 201, 201]
    for address in EVERYONE:
        (notification,) = notify_email.sent_to(address)
        row = row_for(address)
        invitee = Invitee.objects.get(email=address)
        assert notification.template_id == notify_email.template_id
        assert set(notification.personalisation) == {"subject", "body"}
        assert notification.personalisation["subject"] == row.subject
        assert "Ward 7 team" in notification.personalisation["subject"]
        (link,) = LINK.findall(notification.personalisation["body"])
        assert link.endswith(f"/r/{invitee.token}/")
        assert notification.reference == outbox.message_id(row)
        assert (row.status, row.provider_id, row.body) == (Status.SENT, notification.id, "")
    assert services.round_email_counts(assessment).sent == 3


def test_an_address_notify_refuses_fails_permanently_and_is_counted(assessment, notify_email):
    notify_email.answer(BEN, 400)
    invite(assessment)

    report = outbox.deliver_due()

    assert (report.sent, report.failed, report.retrying) == (2, 1, 0)
    ben = row_for(BEN)
    assert ben.status == Status.FAILED
    assert "400" in ben.last_error and "email_address" in ben.last_error
    assert (ben.provider_id, ben.body) == ("", "")
    assert Invitee.objects.get(email=BEN).failed_at is not None
    counts = services.round_email_counts(assessment)
    assert (counts.sent, counts.failed) == (2, 1)
    assert services.reminders_due(today=assessment.closes_on - dt.timedelta(days=2)) == 2
    outbox.deliver_due()
    assert notify_email.sent_to(BEN) == []


@pytest.mark.parametrize("status", [429, 500])
def test_a_rate_limit_or_an_error_of_notify_leaves_the_message_waiting(
    assessment, notify_email, monkeypatch, status
):
    notify_email.answer(ASHA, status)
    invite(assessment)
    before = timezone.now()

    report = outbox.deliver_due()

    # The batch stops at the first such answer: the others are not sent into it.
    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    assert notify_email.posts() == [status]
    asha = row_for(ASHA)
    # A failure of the service, not of Asha's address: it uses up none of her attempts.
    assert (asha.status, asha.attempts, asha.provider_id) == (Status.PENDING, 0, "")
    assert str(status) in asha.last_error
    assert asha.body
    assert asha.send_after >= before + outbox.retry_delay(1)
    assert Invitee.objects.get(email=ASHA).failed_at is None
    assert [row_for(a).attempts for a in (BEN, CARA)] == [0, 0]

    next_run = outbox.deliver_due()

    assert next_run.sent == 2  # Ben and Cara; Asha waits her turn
    time_passes(monkeypatch, outbox.retry_delay(1) + dt.timedelta(seconds=1))
    assert outbox.deliver_due().sent == 1
    for address in EVERYONE:
        assert len(notify_email.sent_to(address)) == 1
    asha.refresh_from_db()
    assert (asha.status, asha.attempts) == (Status.SENT, 1)
    assert asha.provider_id == notify_email.sent_to(ASHA)[0].id


@pytest.mark.parametrize("mistake", ["template", "key"])
def test_a_mistake_in_the_settings_fails_nobody(assessment, notify_email, settings, mistake):
    if mistake == "template":
        settings.TRACELEAD_NOTIFY_TEMPLATE_ID = str(uuid.uuid4())  # 400 "Template not found"
    else:
        settings.TRACELEAD_NOTIFY_API_KEY = (
            f"tracelead_test-{notify_email.service_id}-{uuid.uuid4()}"  # 403
        )
    invite(assessment)

    report = outbox.deliver_due()

    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    assert notify_email.posts() == [400 if mistake == "template" else 403]
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {Status.PENDING}
    assert Invitee.objects.filter(failed_at__isnull=False).count() == 0
    assert services.round_email_counts(assessment).failed == 0


def test_delivery_statuses_move_sent_messages_to_delivered_or_failed(assessment, notify_email):
    invite(assessment)
    outbox.deliver_due()
    notify_email.set_status(row_for(ASHA).provider_id, "delivered")
    notify_email.set_status(row_for(BEN).provider_id, "permanent-failure")

    report = outbox.delivery_statuses_update()

    assert (report.delivered, report.failed, report.sending) == (1, 1, 1)
    assert int(report) == report.checked == 3
    assert row_for(ASHA).status == Status.DELIVERED
    ben = row_for(BEN)
    assert ben.status == Status.FAILED and "permanent" in ben.last_error
    assert Invitee.objects.get(email=BEN).failed_at is not None
    assert row_for(CARA).status == Status.SENT
    counts = services.round_email_counts(assessment)
    assert (counts.sent, counts.delivered, counts.failed) == (2, 1, 1)

    notify_email.set_status(row_for(CARA).provider_id, "temporary-failure")
    asked_before = len(notify_email.requests)
    later = outbox.delivery_statuses_update()

    assert (later.delivered, later.failed, later.sending) == (0, 1, 0)
    assert len(notify_email.requests) == asked_before + 1  # only Cara's was still open
    assert row_for(CARA).status == Status.FAILED
    # Notify gave up after trying for 72 hours; the address itself was not refused.
    assert Invitee.objects.get(email=CARA).failed_at is None
    assert services.round_email_counts(assessment).failed == 2


def test_delivery_statuses_ask_only_about_recent_messages(assessment, notify_email):
    invite(assessment, [ASHA, BEN])
    outbox.deliver_due()
    OutboxMessage.objects.filter(to=BEN).update(sent_at=timezone.now() - dt.timedelta(days=4))
    for address in (ASHA, BEN):
        notify_email.set_status(row_for(address).provider_id, "delivered")
    asked_before = len(notify_email.requests)

    report = outbox.delivery_statuses_update()

    assert report.delivered == 1
    assert len(notify_email.requests) == asked_before + 1
    assert (row_for(ASHA).status, row_for(BEN).status) == (Status.DELIVERED, Status.SENT)
    with pytest.raises(ValueError, match="limit"):
        outbox.delivery_statuses_update(limit=0)
