"""GOV.UK Notify as a Django email backend, through Notify's official Python client.

Notify sends a message from a template kept in the Notify service; tracelead's messages
are written per round, so the service needs one email template whose subject is
``((subject))`` and whose body is ``((body))`` (see docs/operations.md). Its id is
``TRACELEAD_NOTIFY_TEMPLATE_ID``; the key is ``TRACELEAD_NOTIFY_API_KEY``.

Notify answers 400 with a ``ValidationError`` on ``email_address`` for an address it will
never send to (permanent: the invitee's address is marked as failing). Every other answer
is about the service or its settings, not the address, so it is temporary and ends the
batch: another 400 (a missing template or personalisation, a team-only key), 403 for a
bad key, 429 when the service's rate limit is reached and 5xx when it is unwell (the
outbox tries again later). Whether a message was delivered is known later:
``outbox.delivery_statuses_update`` asks Notify about the messages sent recently.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

from .outbox import DeliveryFailed

log = logging.getLogger(__name__)
# Notify's statuses (https://docs.notifications.service.gov.uk/python.html#status-email).
DELIVERED = {"delivered"}
PERMANENT = {"permanent-failure"}
GAVE_UP = {"temporary-failure", "technical-failure"}


def notify_client() -> NotificationsAPIClient:
    return NotificationsAPIClient(
        settings.TRACELEAD_NOTIFY_API_KEY,
        base_url=settings.TRACELEAD_NOTIFY_BASE_URL,
        timeout=settings.EMAIL_TIMEOUT or 30,
    )


def _failure(error: APIError) -> DeliveryFailed:
    detail = str(error.message)[:200]
    refused = _address_refused(error)
    return DeliveryFailed(
        f"GOV.UK Notify answered {error.status_code}: {detail}",
        permanent=refused,
        unavailable=not refused,
    )


def _address_refused(error: APIError) -> bool:
    """A 400 whose errors concern the recipient's address (Notify's documented
    ``ValidationError``: "email_address Not a valid email address")."""
    if error.status_code != 400:
        return False
    errors = error.message if isinstance(error.message, list) else []
    return any(
        isinstance(e, dict) and str(e.get("message", "")).startswith("email_address")
        for e in errors
    )


class NotifyEmailBackend(BaseEmailBackend):
    """Sends each message as one Notify email; sets ``message.provider_id``."""

    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently)
        self.client: NotificationsAPIClient | None = None

    def open(self) -> bool:
        if self.client is None:
            self.client = notify_client()
            return True
        return False

    def close(self) -> None:
        self.client = None

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        created = self.open()
        client = self.client or notify_client()
        sent = 0
        try:
            for message in email_messages:
                for address in message.to:
                    try:
                        answer = client.send_email_notification(
                            email_address=address,
                            template_id=settings.TRACELEAD_NOTIFY_TEMPLATE_ID,
                            personalisation={"subject": message.subject, "body": message.body},
                            reference=message.extra_headers.get("Message-ID", "")[:100] or None,
                        )
                    except APIError as error:
                        if self.fail_silently:
                            continue
                        raise _failure(error) from error
                    message.provider_id = str(answer.get("id", ""))  # type: ignore[attr-defined]
                    sent += 1
        finally:
            if created:
                self.close()
        return sent


def delivery_status(provider_id: str, *, client: NotificationsAPIClient | None = None) -> str:
    """Notify's status of one message: "delivered", "failed", "permanent" or "sending"."""
    try:
        answer = (client or notify_client()).get_notification_by_id(provider_id)
        status = str(answer.get("status", ""))
    except APIError as error:
        log.warning("Could not ask Notify about %s: %s", provider_id, error)
        return "sending"
    if status in DELIVERED:
        return "delivered"
    if status in PERMANENT:
        return "permanent"
    if status in GAVE_UP:
        return "failed"
    return "sending"
