"""People, links and clock helpers shared by the email tests (SMTP and Notify)."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from tracelead.messaging import services
from tracelead.messaging.models import OutboxMessage

ASHA, BEN, CARA = "asha@example.nhs.uk", "ben@example.nhs.uk", "cara@example.nhs.uk"
EVERYONE = (ASHA, BEN, CARA)
LINK = re.compile(r"https?://\S+/r/[^/\s]+/")
UNSUBSCRIBE = re.compile(r"https?://\S+/email/unsubscribe/[^/\s]+/")
Status = OutboxMessage.Status


def invite(assessment, addresses=EVERYONE):
    return services.invitees_invite(
        assessment=assessment, emails=list(addresses), rater_kind="member"
    )


def time_passes(monkeypatch, delta: dt.timedelta) -> None:
    """Move the clock forward (for retries that wait)."""
    later = timezone.now() + delta
    monkeypatch.setattr(timezone, "now", lambda: later)


def row_for(address: str, kind: str = OutboxMessage.Kind.INVITATION) -> OutboxMessage:
    return OutboxMessage.objects.get(to=address, kind=kind)
