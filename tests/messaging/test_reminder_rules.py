"""Rules of the reminder schedule that a page test does not reach.

Dee is invited on the very day a reminder is due: she is not reminded that day (she has
only just been invited), but is on the next reminder day. A group whose name holds a line
break still gets one-line subjects, and a facilitator cannot write a two-line subject.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from tracelead.messaging import outbox, services
from tracelead.messaging.models import RoundEmail

DEE = "dee.okoro@example.nhs.uk"


def _days_to_close(assessment) -> int:
    return (assessment.closes_on - timezone.localdate()).days


def test_someone_invited_on_a_reminder_day_is_reminded_only_on_the_next(assessment):
    today = timezone.localdate()
    left = _days_to_close(assessment)
    assert left >= 2, "the fixture's round must close at least two days from now"
    services.invitees_invite(assessment=assessment, emails=[DEE], rater_kind="member")
    RoundEmail.objects.filter(assessment=assessment).update(reminder_days=f"{left},{left - 1}")
    outbox.deliver_due()
    assert len(mail.outbox) == 1  # the invitation
    assert services.reminders_due(today=today) == 0
    assert services.reminders_due(today=today + dt.timedelta(days=1)) == 1
    outbox.deliver_due()
    assert [m.to for m in mail.outbox] == [[DEE], [DEE]]


def test_subjects_stay_on_one_line_whatever_a_placeholder_holds(assessment):
    group = assessment.group
    group.name = "Ward 7\nteam"
    group.save()
    services.invitees_invite(assessment=assessment, emails=[DEE], rater_kind="member")
    outbox.deliver_due()
    (message,) = mail.outbox
    assert "\n" not in message.subject and "Ward 7 team" in message.subject


def test_a_two_line_subject_is_refused_and_nothing_is_saved(assessment):
    email = services.round_email_for(assessment)
    fields = {
        "organiser": "Fran",
        "contact": "fran@example.nhs.uk",
        "invitation_subject": "Line one\nBcc: someone@example.com",
        "invitation_body": email.invitation_body,
        "reminder_subject": email.reminder_subject,
        "reminder_body": email.reminder_body,
        "reminder_days": "7,2",
    }
    with pytest.raises(ValidationError) as raised:
        services.round_email_save(assessment=assessment, **fields)
    assert raised.value.message_dict["invitation_subject"] == ["Keep the subject to one line"]
    assert not RoundEmail.objects.filter(assessment=assessment).exists()
