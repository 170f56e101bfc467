"""The outbox: every email is a row, sent exactly once by whichever worker claims it.

A worker takes one due row at a time in a transaction: it locks the row (PostgreSQL:
``FOR UPDATE SKIP LOCKED``, so several workers share the queue; SQLite: the write lock
that every tracelead transaction takes up front), marks it sent, hands the message to the
mail service and commits. If the worker dies before the commit, the database rolls the
mark back and the row is sent by the next worker; once committed it is never sent again.
The one window left is between the mail service accepting the message and the commit (a
disk write): a crash exactly there sends that one message again, with the same
``Message-ID`` (which mail systems use to drop duplicates). ``tests/messaging`` kills a
worker part-way through 1,000 messages to show the rest.

Failures: a permanent one (the address does not exist, the service refuses the message)
marks the row failed and the invitee's address as failing, and no more mail goes to it; a
temporary one (a rate limit, a session broken part-way) is tried again later, waiting
longer each time, up to ``MAX_ATTEMPTS``. A failure of the service rather than of one
address (the relay cannot be reached again, or refuses our sender or credentials;
Notify's rate limit, a bad key or an error of its own) ends the batch: the rest would
fail the same way, each after a timeout, so they stay due for the next run; and it uses
up none of the message's attempts, so that an outage of any length (a weekend with a
revoked key) fails nobody's message.
Only a refusal of the address itself marks the invitee: a mistake in the settings never
does.

Whether a message reached its inbox is known later for GOV.UK Notify:
``delivery_statuses_update`` asks Notify about messages sent in the last days.

Bodies hold personal links, so a sent or skipped row's body is emptied.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection as database
from django.db import transaction
from django.utils import timezone

from tracelead.diagnostics.models import Invitation

from .models import OutboxMessage

if TYPE_CHECKING:
    from django.core.mail.backends.base import BaseEmailBackend

    from tracelead.diagnostics.models import Assessment

    from .models import Invitee

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
# Mail is written for people at work: a round's invitations go from this time (local) on
# its opening day, and the scheduler queues reminders and evaluation emails from it.
SEND_FROM = dt.time(8, 0)
# On SQLite, the pause after each message, as a share of the time its transaction held
# the database's write lock, and at most this many seconds (see _let_others_write).
SQLITE_PAUSE_SHARE = 0.5
SQLITE_PAUSE_MAX = 0.5
Status = OutboxMessage.Status


class DeliveryFailed(Exception):
    """A message the mail service did not take; ``permanent`` says whether to give up
    (the address is refused), ``unavailable`` that the service itself failed, so that the
    next messages would fail too."""

    def __init__(self, reason: str, *, permanent: bool, unavailable: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent
        self.unavailable = unavailable


@dataclass
class DeliveryReport:
    sent: int = 0
    skipped: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.skipped + self.retrying + self.failed


def retry_delay(attempts: int) -> dt.timedelta:
    """1, 4, 16, 64 ... minutes after the first, second, third ... failure (at most a day)."""
    return dt.timedelta(minutes=min(4 ** max(attempts - 1, 0), 24 * 60))


def message_id(row: OutboxMessage) -> str:
    return f"<tracelead-outbox-{row.pk}@{settings.TRACELEAD_EMAIL_DOMAIN}>"


# Answers about our sender, credentials or session, not the address: the relay would
# give every message the same one.
RELAY_REFUSES_US = (
    smtplib.SMTPSenderRefused,
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPHeloError,
    smtplib.SMTPNotSupportedError,
)


def _classify(error: Exception) -> DeliveryFailed:
    """An exception from a Django email backend as permanent or temporary."""
    if isinstance(error, DeliveryFailed):
        return error
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        permanent = bool(codes) and all(500 <= code < 600 for code in codes)
        return DeliveryFailed(f"recipient refused ({codes})", permanent=permanent)
    if isinstance(error, RELAY_REFUSES_US) or (
        isinstance(error, smtplib.SMTPResponseException) and error.smtp_code == 421
    ):
        # A 5xx here is a mistake in the settings, never a reason to give up on a person.
        code = getattr(error, "smtp_code", None)
        detail = type(error).__name__ + (f" {code}" if code else "")
        return DeliveryFailed(
            f"mail server refused the session ({detail})",
            permanent=False,
            unavailable=True,
        )
    if isinstance(error, smtplib.SMTPResponseException):
        permanent = 500 <= error.smtp_code < 600 and error.smtp_code != 554
        return DeliveryFailed(f"mail server answered {error.smtp_code}", permanent=permanent)
    if isinstance(error, (smtplib.SMTPException, OSError, socket.timeout)):
        # Down, or the session broke: deliver_due reconnects, and stops if it cannot.
        return DeliveryFailed(f"mail server unavailable ({type(error).__name__})", permanent=False)
    return DeliveryFailed(f"{type(error).__name__}: {error}"[:300], permanent=False)


def _not_needed(row: OutboxMessage) -> bool:
    """A message for a round that has closed, to an address that fails, or a reminder for
    someone who has answered or unsubscribed."""
    invitee = row.invitee
    if invitee is None:
        return False
    invitation = invitee.invitation
    if invitee.failed_at is not None or invitation.assessment.closes_on < timezone.localdate():
        return True
    # A link re-issued since the message was written: its link no longer works.
    if invitee.token and Invitation.hash_token(invitee.token) != invitation.token_hash:
        return True
    if row.kind != OutboxMessage.Kind.REMINDER:
        return False
    answered = invitation.used and not invitation.reissued_after_use
    return answered or invitee.unsubscribed_at is not None


def _send_one(connection: BaseEmailBackend, now: dt.datetime) -> str | None:
    """Claim, send and mark one due message; "sent", "skipped" or None if none is due."""
    with transaction.atomic():
        row = (
            # of=("self",): PostgreSQL cannot lock the nullable side of the outer join.
            OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("invitee__invitation__assessment")
            .filter(status=Status.PENDING, send_after__lte=now)
            .order_by("send_after", "id")
            .first()
        )
        if row is None:
            return None
        if _not_needed(row):
            row.status, row.body = Status.SKIPPED, ""
            row.save(update_fields=["status", "body"])
            return "skipped"
        email = EmailMessage(
            subject=row.subject,
            body=row.body,
            to=[row.to],
            headers=_headers(row),
            connection=connection,
        )
        row.status, row.sent_at, row.body = Status.SENT, now, ""
        row.attempts += 1
        row.save(update_fields=["status", "sent_at", "body", "attempts"])
        try:
            email.send()
        except Exception as error:  # rolled back with the mark; recorded below
            raise _Failed(row.pk, _classify(error)) from error
        provider_id = getattr(email, "provider_id", "")
        if provider_id:
            OutboxMessage.objects.filter(pk=row.pk).update(provider_id=provider_id)
    return "sent"


def _headers(row: OutboxMessage) -> dict[str, str]:
    headers = {"Message-ID": message_id(row), "Auto-Submitted": "auto-generated"}
    if row.kind == OutboxMessage.Kind.REMINDER and row.invitee_id:
        from .unsubscribe import unsubscribe_url

        headers["List-Unsubscribe"] = f"<{unsubscribe_url(row.invitee_id)}>"
    return headers


class _Failed(Exception):
    def __init__(self, pk: int, failure: DeliveryFailed) -> None:
        super().__init__(str(failure))
        self.pk = pk
        self.failure = failure


@transaction.atomic
def _record_failure(pk: int, failure: DeliveryFailed, now: dt.datetime, *,
                    service_down: bool = False) -> str:
    """Record a message the service did not take. A failure of the service itself
    (``service_down``: it refuses our session, or cannot be reached again) says nothing
    about the message, so it uses up none of its attempts: an outage of any length fails
    nobody's message, and the message waits a minute so that the next run tries
    another."""
    row = (
        OutboxMessage.objects.select_for_update(of=("self",))
        .select_related("invitee")
        .get(pk=pk)
    )
    row.last_error = str(failure)[:300]
    if service_down:
        row.send_after = now + retry_delay(1)
        row.save(update_fields=["last_error", "send_after"])
        return "retrying"
    row.attempts += 1
    if failure.permanent or row.attempts >= MAX_ATTEMPTS:
        row.status, row.body = Status.FAILED, ""
        if row.invitee is not None and failure.permanent:
            row.invitee.failed_at = now
            row.invitee.save(update_fields=["failed_at"])
        outcome = "failed"
    else:
        row.send_after = now + retry_delay(row.attempts)
        outcome = "retrying"
    row.save(update_fields=["attempts", "last_error", "status", "body", "send_after"])
    return outcome


def deliver_due(
    *,
    limit: int | None = None,
    progress: Callable[[DeliveryReport], None] | None = None,
) -> DeliveryReport:
    """Send messages that are due, over one connection to the mail service, until none is
    due (or ``limit`` have been handled, or the service is unavailable)."""
    report = DeliveryReport()
    connection: BaseEmailBackend = get_connection()
    _open(connection)
    try:
        while limit is None or report.handled < limit:
            now = timezone.now()
            began = time.monotonic()
            unavailable = False
            try:
                outcome = _send_one(connection, now)
            except _Failed as failed:
                log.warning("Message %s not sent: %s", failed.pk, failed.failure)
                # The service refuses us, or cannot be reached again: the rest would fail
                # the same way (each after a timeout), so they wait for the next run.
                unavailable = failed.failure.unavailable or not _reconnect(connection)
                outcome = _record_failure(failed.pk, failed.failure, now,
                                          service_down=unavailable)
            if outcome is None:
                break
            setattr(report, outcome, getattr(report, outcome) + 1)
            if progress is not None:
                progress(report)
            if unavailable:
                log.warning("The mail service is unavailable: the rest wait for the next run")
                break
            _let_others_write(time.monotonic() - began)
    finally:
        connection.close()
    return report


def _let_others_write(held: float) -> None:
    """On SQLite, pause after each message for half as long as its transaction held the
    database's write lock.

    SQLite has one write lock for the whole database, and a sending transaction holds it
    until the mail service has answered. A writer that finds it taken sleeps and tries
    again at growing intervals (1 ms, then 2, 5, 10 ... up to 100 ms), so a worker that
    takes the lock again at once keeps it nearly all the time. Sending 10,000 invitations
    without the pause, a respondent pressing Start (a write) waited 0.44 s at the median
    and 7.7 s at the 95th percentile; with it, 23 ms and 93 ms, at half the sending speed
    (86 messages a second instead of 173; README, "Durability and load"). PostgreSQL
    locks only the row, so there is no pause.
    """
    if database.vendor == "sqlite" and held > 0:
        time.sleep(min(held * SQLITE_PAUSE_SHARE, SQLITE_PAUSE_MAX))


def _open(connection: BaseEmailBackend) -> bool:
    """Open the connection once for the whole batch (each send would otherwise open and
    close its own). If the service is down, the first send fails and is recorded."""
    try:
        connection.open()
    except Exception:
        log.debug("Could not open the mail connection", exc_info=True)
        return False
    return True


def _reconnect(connection: BaseEmailBackend) -> bool:
    """After a failure the SMTP session may be broken: start the next message afresh.
    False if the service cannot be reached."""
    try:
        connection.close()
    except Exception:
        log.debug("Closing the mail connection failed", exc_info=True)
    return _open(connection)


STATUS_WINDOW = dt.timedelta(days=3)


@dataclass
class StatusReport:
    delivered: int = 0
    failed: int = 0
    sending: int = 0

    @property
    def checked(self) -> int:
        return self.delivered + self.failed + self.sending

    def __int__(self) -> int:
        """The number of messages asked about (what the scheduler's tick reports)."""
        return self.checked


def delivery_statuses_update(*, limit: int = 500) -> StatusReport:
    """Ask the delivery service what became of sent messages (GOV.UK Notify: those with a
    provider id, sent in the last three days, oldest first, at most ``limit``): mark them
    delivered, or failed; a permanent failure (the address does not exist, a bounce)
    marks the invitee's address as failing, as a refusal at sending does.

    Notify tries a message for up to 72 hours, so after three days the answer is final.
    Run it every few minutes; messages sent by SMTP have no provider id and are not asked.
    """
    from .backends import delivery_status, notify_client  # backends imports this module

    if limit < 1:
        raise ValueError("limit must be at least 1")
    report = StatusReport()
    rows = list(
        OutboxMessage.objects.filter(
            status=Status.SENT, sent_at__gte=timezone.now() - STATUS_WINDOW
        )
        .exclude(provider_id="")
        .order_by("sent_at", "id")
        .values_list("pk", "provider_id")[:limit]
    )
    if not rows:
        return report
    client = notify_client()
    for pk, provider_id in rows:
        answer = delivery_status(provider_id, client=client)
        if answer == "sending":
            report.sending += 1
        elif _record_status(pk, answer):
            if answer == "delivered":
                report.delivered += 1
            else:
                report.failed += 1
    return report


@transaction.atomic
def _record_status(pk: int, answer: str) -> bool:
    """Mark one sent row "delivered", "failed" or "permanent"; False if it had moved on."""
    row = (
        OutboxMessage.objects.select_for_update(of=("self",))
        .select_related("invitee")
        .filter(pk=pk, status=Status.SENT)
        .first()
    )
    if row is None:
        return False
    if answer == "delivered":
        row.status = Status.DELIVERED
    else:
        row.status = Status.FAILED
        row.last_error = f"the delivery service reported a {answer} failure"
        if answer == "permanent" and row.invitee is not None and row.invitee.failed_at is None:
            row.invitee.failed_at = timezone.now()
            row.invitee.save(update_fields=["failed_at"])
    row.save(update_fields=["status", "last_error"])
    return True


def queue(
    *,
    kind: str,
    to: str,
    subject: str,
    body: str,
    send_after: dt.datetime | None = None,
    assessment: Assessment | None = None,
    invitee: Invitee | None = None,
    reminder_day: int | None = None,
) -> OutboxMessage:
    """Add one message to the outbox (inside the caller's transaction)."""
    return OutboxMessage.objects.create(
        kind=kind,
        to=to,
        subject=subject[:300],
        body=body,
        send_after=send_after or timezone.now(),
        assessment=assessment,
        invitee=invitee,
        reminder_day=reminder_day,
    )
