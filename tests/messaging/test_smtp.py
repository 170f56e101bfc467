"""Invitations and reminders through Django's SMTP backend to a real SMTP server.

The server is aiosmtpd, started in the test on 127.0.0.1 (tests/messaging/conftest.py);
the messages it receives are parsed with the ``email`` package and their links followed
with Django's test client. Asha, Ben and Cara are invited to the Ward 7 team's round.
"""

from __future__ import annotations

import datetime as dt
import re
import smtplib
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from mail_helpers import (
    ASHA,
    BEN,
    CARA,
    EVERYONE,
    LINK,
    UNSUBSCRIBE,
    Status,
    invite,
    row_for,
    time_passes,
)

from tracelead.diagnostics.models import Invitation
from tracelead.messaging import outbox, services
from tracelead.messaging.models import Invitee, OutboxMessage, RoundEmail

pytestmark = pytest.mark.django_db



def only_message_to(smtp, address: str):
    received = smtp.received_by(address)
    assert len(received) == 1, f"{address} received {len(received)} messages"
    return received[0]


def test_each_invitee_receives_one_message_with_a_personal_link_that_works(
    assessment, smtp_email, client, settings
):
    invite(assessment)

    report = outbox.deliver_due()

    assert (report.sent, report.failed, report.retrying) == (3, 0, 0)
    links = set()
    for address in EVERYONE:
        received = only_message_to(smtp_email, address)
        message = received.message
        row = row_for(address)
        assert received.recipients == (address,)
        assert message["To"] == address
        assert message["From"] == settings.DEFAULT_FROM_EMAIL
        assert message["Message-ID"] == outbox.message_id(row)
        assert message["Auto-Submitted"] == "auto-generated"
        assert "Ward 7 team" in message["Subject"]
        assert message["List-Unsubscribe"] is None  # invitations have no reminders to stop
        (link,) = LINK.findall(received.body)
        assert link.startswith(settings.TRACELEAD_SITE_URL)
        token = urlsplit(link).path.strip("/").split("/")[1]
        assert Invitee.objects.get(email=address).token == token
        links.add(link)
        page = client.get(urlsplit(link).path)
        assert page.status_code == 200
        assert "Ward 7 team" in page.content.decode()
    assert len(links) == 3  # personal: one link each
    for row in OutboxMessage.objects.all():
        assert (row.status, row.body, row.attempts) == (Status.SENT, "", 1)
        assert row.sent_at is not None
    counts = services.round_email_counts(assessment)
    assert (counts.invited, counts.sent, counts.waiting, counts.failed) == (3, 3, 0, 0)

    again = outbox.deliver_due()

    assert again.handled == 0
    assert len(smtp_email.received) == 3


def test_a_refused_address_is_marked_failed_counted_and_never_reminded(assessment, smtp_email):
    smtp_email.refuse(BEN, permanent=True)
    invite(assessment)

    report = outbox.deliver_due()

    assert (report.sent, report.failed) == (2, 1)
    assert smtp_email.received_by(BEN) == []
    assert {r.recipients for r in smtp_email.received} == {(ASHA,), (CARA,)}
    ben = row_for(BEN)
    assert (ben.status, ben.body) == (Status.FAILED, "")
    assert "550" in ben.last_error
    assert Invitee.objects.get(email=BEN).failed_at is not None
    assert Invitee.objects.get(email=ASHA).failed_at is None
    counts = services.round_email_counts(assessment)
    assert (counts.invited, counts.sent, counts.failed) == (3, 2, 1)

    seven_days_before = assessment.closes_on - dt.timedelta(days=7)
    queued = services.reminders_due(today=seven_days_before)
    outbox.deliver_due()

    assert queued == 2
    assert smtp_email.received_by(BEN) == []
    assert len(smtp_email.received_by(ASHA)) == len(smtp_email.received_by(CARA)) == 2
    assert not OutboxMessage.objects.filter(to=BEN, kind=OutboxMessage.Kind.REMINDER).exists()


def test_a_temporary_refusal_is_tried_again_later_and_then_delivered(
    assessment, smtp_email, monkeypatch
):
    smtp_email.refuse(CARA, permanent=False)
    invite(assessment)
    before = timezone.now()

    report = outbox.deliver_due()

    after = timezone.now()
    assert (report.sent, report.retrying, report.failed) == (2, 1, 0)
    cara = row_for(CARA)
    assert (cara.status, cara.attempts) == (Status.PENDING, 1)
    assert "451" in cara.last_error
    assert cara.body  # kept for the next try
    assert before + outbox.retry_delay(1) <= cara.send_after <= after + outbox.retry_delay(1)
    assert Invitee.objects.get(email=CARA).failed_at is None
    assert services.round_email_counts(assessment).waiting == 1
    assert outbox.deliver_due().handled == 0  # not due yet

    smtp_email.accept(CARA)
    time_passes(monkeypatch, outbox.retry_delay(1) + dt.timedelta(seconds=1))
    later = outbox.deliver_due()

    assert later.sent == 1
    only_message_to(smtp_email, CARA)
    cara.refresh_from_db()
    assert (cara.status, cara.attempts, cara.body) == (Status.SENT, 2, "")
    for address in (ASHA, BEN):
        only_message_to(smtp_email, address)


def test_when_the_relay_is_down_every_message_waits_and_none_is_lost(
    assessment, smtp_email, monkeypatch
):
    smtp_email.stop()
    invite(assessment)

    report = outbox.deliver_due()

    # One message found the relay down; the batch stopped rather than try the others.
    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    rows = list(OutboxMessage.objects.all())
    assert [r.status for r in rows] == [Status.PENDING] * 3
    assert all(r.body for r in rows)
    # The relay's failure, not the address's: nobody's attempts are used up.
    assert [r.attempts for r in rows] == [0, 0, 0]
    assert ["unavailable" in r.last_error for r in rows].count(True) == 1
    assert Invitee.objects.filter(failed_at__isnull=False).count() == 0

    smtp_email.start()  # the relay is back, on the same port
    time_passes(monkeypatch, dt.timedelta(minutes=2))
    later = outbox.deliver_due()

    assert later.sent == 3
    for address in EVERYONE:
        only_message_to(smtp_email, address)
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {Status.SENT}


def test_a_relay_down_all_weekend_fails_no_message(assessment, smtp_email, monkeypatch):
    """Every run in the outage tries one message and stops; none of them counts against
    a message, so after more runs than a message has attempts nothing has failed."""
    smtp_email.stop()
    invite(assessment)

    for _ in range(3 * outbox.MAX_ATTEMPTS):  # a run every 3 hours, 54 hours in all
        report = outbox.deliver_due()
        assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
        time_passes(monkeypatch, dt.timedelta(hours=3))

    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {
        (Status.PENDING, 0)}
    smtp_email.start()
    assert outbox.deliver_due().sent == 3
    for address in EVERYONE:
        only_message_to(smtp_email, address)


def test_a_relay_that_refuses_our_sender_fails_nobody_and_stops_the_batch(
    assessment, smtp_email, settings
):
    settings.DEFAULT_FROM_EMAIL = "tracelead <not-allowed@elsewhere.example>"
    smtp_email.refuse_sender("550 5.7.1 Sender not allowed to relay")
    invite(assessment)

    report = outbox.deliver_due()

    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    assert smtp_email.received == []
    assert Invitee.objects.filter(failed_at__isnull=False).count() == 0
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {Status.PENDING}
    assert services.round_email_counts(assessment).failed == 0


def test_only_a_refused_address_is_permanent_and_a_relay_refusing_us_stops_the_batch():
    refused = smtplib.SMTPRecipientsRefused({ASHA: (550, b"no such user")})
    busy = smtplib.SMTPRecipientsRefused({ASHA: (451, b"try later")})
    sender = smtplib.SMTPSenderRefused(550, b"not allowed", "x@example.org")
    login = smtplib.SMTPAuthenticationError(535, b"bad credentials")
    closing = smtplib.SMTPDataError(421, b"closing")
    down = ConnectionRefusedError(111, "Connection refused")

    answers = {
        name: (f.permanent, f.unavailable)
        for name, f in {
            "refused": outbox._classify(refused),
            "busy": outbox._classify(busy),
            "sender": outbox._classify(sender),
            "login": outbox._classify(login),
            "closing": outbox._classify(closing),
            "down": outbox._classify(down),
        }.items()
    }

    assert answers == {
        "refused": (True, False),
        "busy": (False, False),
        "sender": (False, True),
        "login": (False, True),
        "closing": (False, True),
        "down": (False, False),  # deliver_due stops when it cannot reconnect
    }


def test_reminders_carry_an_unsubscribe_header_and_link_that_work(
    assessment, smtp_email, client
):
    invite(assessment)
    outbox.deliver_due()
    RoundEmail.objects.filter(assessment=assessment).update(reminder_days="5,2")
    # Set-up: Ben has answered.
    Invitation.objects.filter(invitee__email=BEN).update(used=True)

    queued = services.reminders_due(today=assessment.closes_on - dt.timedelta(days=5))
    report = outbox.deliver_due()

    assert queued == 2
    assert report.sent == 2
    assert len(smtp_email.received_by(BEN)) == 1  # the invitation only
    reminder = smtp_email.received_by(ASHA)[1]
    message = reminder.message
    row = row_for(ASHA, OutboxMessage.Kind.REMINDER)
    assert row.reminder_day == 5
    assert message["Message-ID"] == outbox.message_id(row)
    assert message["Subject"].startswith("Reminder:")
    (header_link,) = re.findall(r"<([^>]+)>", message["List-Unsubscribe"])
    (body_link,) = UNSUBSCRIBE.findall(reminder.body)
    assert header_link == body_link
    (personal,) = LINK.findall(reminder.body)
    assert client.get(urlsplit(personal).path).status_code == 200

    asked = client.get(urlsplit(body_link).path)
    assert asked.status_code == 200
    assert "Stop reminders" in asked.content.decode()
    assert Invitee.objects.get(email=ASHA).unsubscribed_at is None  # a GET only asks
    done = client.post(urlsplit(body_link).path)
    assert done.status_code == 200
    assert "no more reminders" in done.content.decode()
    assert Invitee.objects.get(email=ASHA).unsubscribed_at is not None

    last = services.reminders_due(today=assessment.closes_on - dt.timedelta(days=2))
    outbox.deliver_due()

    assert last == 1
    assert len(smtp_email.received_by(ASHA)) == 2  # no third message
    assert len(smtp_email.received_by(CARA)) == 3
