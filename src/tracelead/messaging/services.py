"""Invitations and reminders by email: write them, invite people, remind those who have
not answered, and count what happened (never per person)."""

from __future__ import annotations

import datetime as dt
import string
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tracelead.diagnostics import services as diagnostics
from tracelead.diagnostics.models import Assessment, AssessmentStatus

from . import outbox
from .models import Invitee, OutboxMessage, RoundEmail
from .unsubscribe import unsubscribe_url

# What a facilitator may write in braces, and what it becomes.
PLACEHOLDERS = {
    "group": "the group's name",
    "close_date": "the day the questionnaire closes",
    "organiser": "who is running it",
    "contact": "whom to ask",
    "link": "the person's own link",
    "unsubscribe_link": "the link that stops reminders (reminders only)",
}
MAX_EMAILS_PER_REQUEST = 2000
Kind = OutboxMessage.Kind
Status = OutboxMessage.Status


def placeholder_problems(text: str, *, allow_unsubscribe: bool) -> list[str]:
    """What is wrong with the braces in a subject or body, in words ([] if nothing)."""
    allowed = set(PLACEHOLDERS) - (set() if allow_unsubscribe else {"unsubscribe_link"})
    try:
        parsed = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(text)]
    except ValueError:
        return ["Braces must come in pairs around a placeholder, like {group}"]
    fields = [f for f, _, _ in parsed if f is not None]
    problems = []
    unknown = sorted({f for f in fields if f not in allowed})
    if unknown:
        names = ", ".join("{" + f + "}" for f in unknown)
        problems.append(
            f"{names} is not a placeholder. Use "
            + ", ".join("{" + p + "}" for p in sorted(allowed))
        )
    if any(spec or conv for f, spec, conv in parsed if f is not None):
        problems.append("Write placeholders plainly, like {group}, with nothing after the name")
    return problems


def fill(text: str, values: dict[str, str]) -> str:
    return text.format_map(values)


def fill_subject(text: str, values: dict[str, str]) -> str:
    """A subject on one line, whatever a placeholder holds (an email header cannot break)."""
    return " ".join(fill(text, values).split())[:300]


def round_email_for(assessment: Assessment) -> RoundEmail:
    """The round's saved messages, or unsaved defaults naming whoever created the round."""
    found = RoundEmail.objects.filter(assessment=assessment).first()
    if found is not None:
        return found
    creator = assessment.created_by
    name = (creator.get_full_name() or creator.get_username()) if creator else "The organiser"
    return RoundEmail(
        assessment=assessment,
        organiser=name,
        contact=(creator.email if creator and creator.email else name),
    )


def _reminder_days(text: str) -> str:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not all(p.isdigit() and 1 <= int(p) <= 60 for p in parts):
        raise ValidationError(
            {"reminder_days": "Give days before the close as whole numbers from 1 to 60, "
             "separated by commas, like 7,2"}
        )
    return ",".join(str(d) for d in sorted({int(p) for p in parts}, reverse=True))


@transaction.atomic
def round_email_save(*, assessment: Assessment, **fields: str) -> RoundEmail:
    """Save the round's invitation and reminder; placeholders are checked first."""
    errors: dict[str, list[str]] = {}
    for name in ("organiser", "contact", "invitation_subject", "invitation_body",
                 "reminder_subject", "reminder_body"):
        value = (fields.get(name) or "").strip()
        if not value:
            errors.setdefault(name, []).append("Enter this part of the message")
            continue
        problems = placeholder_problems(value, allow_unsubscribe=name.startswith("reminder"))
        if problems:
            errors.setdefault(name, []).extend(problems)
    for name in ("invitation_subject", "reminder_subject"):
        if any(c in (fields.get(name) or "").strip() for c in "\r\n") and name not in errors:
            errors.setdefault(name, []).append("Keep the subject to one line")
    for name in ("invitation_body", "reminder_body"):
        if "{link}" not in (fields.get(name) or "") and name not in errors:
            errors.setdefault(name, []).append("Include {link}: it is how people answer")
    try:
        days = _reminder_days(fields.get("reminder_days") or "")
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    email = round_email_for(assessment)
    for name in ("organiser", "contact", "invitation_subject", "invitation_body",
                 "reminder_subject", "reminder_body"):
        setattr(email, name, (fields.get(name) or "").strip())
    email.reminder_days = days
    email.full_clean(exclude=["assessment"])
    email.save()
    return email


def _values(email: RoundEmail, *, link: str, unsubscribe: str = "") -> dict[str, str]:
    assessment = email.assessment
    return {
        "group": assessment.group.name,
        "close_date": f"{assessment.closes_on:%-d %B %Y}",
        "organiser": email.organiser,
        "contact": email.contact,
        "link": link,
        "unsubscribe_link": unsubscribe,
    }


def link_url(token: str) -> str:
    return settings.TRACELEAD_SITE_URL.rstrip("/") + reverse("respond", kwargs={"token": token})


def preview(email: RoundEmail) -> dict[str, str]:
    """The invitation and reminder as a person would read them, with a sample link."""
    sample = link_url("your-personal-link")
    unsubscribe = settings.TRACELEAD_SITE_URL + reverse(
        "unsubscribe", kwargs={"token": "your-own-code"}
    )
    values = _values(email, link=sample, unsubscribe=unsubscribe)
    return {
        "invitation_subject": fill_subject(email.invitation_subject, values),
        "invitation_body": fill(email.invitation_body, values),
        "reminder_subject": fill_subject(email.reminder_subject, values),
        "reminder_body": fill(email.reminder_body, values),
    }


@dataclass
class InviteResult:
    invited: int
    already: int


def parse_emails(text: str) -> list[str]:
    """Addresses separated by commas, semicolons, spaces or lines; bad ones named."""
    raw = [p.strip().strip("<>") for p in text.replace(";", ",").replace("\n", ",").split(",")]
    found: list[str] = []
    bad: list[str] = []
    for part in raw:
        for address in part.split():
            try:
                validate_email(address)
            except ValidationError:
                bad.append(address)
            else:
                found.append(address)
    if bad:
        shown = ", ".join(bad[:5]) + (" and more" if len(bad) > 5 else "")
        raise ValidationError({"emails": f"These are not email addresses: {shown}"})
    if not found:
        raise ValidationError({"emails": "Enter at least one email address"})
    if len(found) > MAX_EMAILS_PER_REQUEST:
        raise ValidationError(
            {"emails": f"Invite at most {MAX_EMAILS_PER_REQUEST:,} people at a time"}
        )
    return found


@transaction.atomic
def invitees_invite(
    *, assessment: Assessment, emails: Iterable[str], rater_kind: str
) -> InviteResult:
    """Make a personal link for each new address and queue its invitation.

    An address already invited to this round (in any case) is not invited again.
    """
    if assessment.status == AssessmentStatus.CLOSED:
        raise ValidationError({"emails": "This round has closed: nobody can be invited now"})
    # Lock the round, so that two requests cannot both invite the same new address.
    Assessment.objects.select_for_update().filter(pk=assessment.pk).first()
    email = round_email_for(assessment)
    if email.pk is None:
        email.save()
    known = {
        e.casefold()
        for e in Invitee.objects.filter(invitation__assessment=assessment).values_list(
            "email", flat=True
        )
    }
    addresses = list(emails)
    fresh: list[str] = []
    for address in addresses:
        if address.casefold() not in known:
            known.add(address.casefold())
            fresh.append(address)
    already = len(addresses) - len(fresh)
    if not fresh:
        return InviteResult(invited=0, already=already)
    invitations = diagnostics.invitations_create(
        assessment=assessment, rater_kind=rater_kind, count=len(fresh)
    )
    # The invitation goes out on the opening day if the round has not opened yet.
    opens = timezone.make_aware(dt.datetime.combine(assessment.opens_on, outbox.SEND_FROM))
    send_after = max(timezone.now(), opens)
    for address, invitation in zip(fresh, invitations, strict=True):
        invitee = Invitee.objects.create(
            invitation=invitation, email=address, token=invitation.token
        )
        values = _values(email, link=link_url(invitation.token))
        outbox.queue(
            kind=Kind.INVITATION,
            to=address,
            subject=fill_subject(email.invitation_subject, values),
            body=fill(email.invitation_body, values),
            send_after=send_after,
            assessment=assessment,
            invitee=invitee,
        )
    _wake_sender()
    return InviteResult(invited=len(fresh), already=already)


def reminders_due(*, today: dt.date | None = None) -> int:
    """Queue the reminders due today for those who have not answered; returns how many.

    A reminder "d days before the close" is due from that day to the close. If several
    are due at once (the scheduler was off), only the latest goes. Each invitee gets each
    reminder at most once (a unique constraint), however often this runs.
    """
    today = today or timezone.localdate()
    queued = 0
    emails = RoundEmail.objects.select_related("assessment__group").filter(
        assessment__opens_on__lte=today, assessment__closes_on__gte=today
    )
    for email in emails:
        assessment = email.assessment
        due = [
            d
            for d in email.reminder_day_list()
            if assessment.closes_on - dt.timedelta(days=d) <= today
        ]
        if not due:
            continue
        day = min(due)
        # Only those whose invitation went before the reminder's day: someone invited
        # late is not reminded the same day.
        day_starts = timezone.make_aware(
            dt.datetime.combine(assessment.closes_on - dt.timedelta(days=day), dt.time.min)
        )
        waiting = (
            Invitee.objects.filter(
                invitation__assessment=assessment,
                invitation__used=False,
                unsubscribed_at__isnull=True,
                failed_at__isnull=True,
                messages__kind=Kind.INVITATION,
                messages__status__in=[Status.SENT, Status.DELIVERED],
                messages__sent_at__lt=day_starts,
            )
            .exclude(token="")
            .exclude(messages__kind=Kind.REMINDER, messages__reminder_day=day)
            .select_related("invitation")
        )
        rows = []
        for invitee in waiting:
            values = _values(
                email, link=link_url(invitee.token), unsubscribe=unsubscribe_url(invitee.pk)
            )
            rows.append(
                OutboxMessage(
                    kind=Kind.REMINDER,
                    to=invitee.email,
                    subject=fill_subject(email.reminder_subject, values),
                    body=fill(email.reminder_body, values),
                    send_after=timezone.now(),
                    assessment=assessment,
                    invitee=invitee,
                    reminder_day=day,
                )
            )
        if rows:
            OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
            queued += len(rows)
    if queued:
        _wake_sender()
    return queued


def tokens_forget() -> int:
    """Wipe the clear links no reminder can need: answered, or the round has closed."""
    today = timezone.localdate()
    return (
        Invitee.objects.exclude(token="")
        .filter(invitation__used=True)
        .update(token="")
        + Invitee.objects.exclude(token="")
        .filter(invitation__assessment__closes_on__lt=today)
        .update(token="")
    )


def invitee_unsubscribe(*, invitee_id: int) -> bool:
    return bool(
        Invitee.objects.filter(pk=invitee_id, unsubscribed_at__isnull=True).update(
            unsubscribed_at=timezone.now()
        )
    )


@dataclass
class RoundEmailCounts:
    """What a facilitator may see: totals only."""

    invited: int
    waiting: int
    sent: int
    delivered: int
    failed: int
    reminders_done: list[int]
    reminders_to_come: list[int]


def round_email_counts(assessment: Assessment) -> RoundEmailCounts:
    """Invitations by status; reminders only as the days whose date has come or is to come.

    A count of reminders sent would say how many have not answered (invited minus
    reminded), a figure the gate shows only at or over the threshold; so reminders are
    never counted on the page.
    """
    counts: Counter[str] = Counter(
        OutboxMessage.objects.filter(assessment=assessment, kind=Kind.INVITATION).values_list(
            "status", flat=True
        )
    )
    email = RoundEmail.objects.filter(assessment=assessment).first()
    days = email.reminder_day_list() if email else []
    # By date alone: whether a reminder row was made would say whether everyone answered.
    today = timezone.localdate()
    return RoundEmailCounts(
        invited=sum(counts.values()),
        waiting=counts[Status.PENDING],
        sent=counts[Status.SENT] + counts[Status.DELIVERED],
        delivered=counts[Status.DELIVERED],
        failed=counts[Status.FAILED],
        reminders_done=[d for d in days if assessment.closes_on - dt.timedelta(days=d) <= today],
        reminders_to_come=[d for d in days if assessment.closes_on - dt.timedelta(days=d) > today],
    )


def notice_queue(*, to: Iterable[str], subject: str, body: str) -> int:
    """Queue a notice (a round closed, a publication is ready, a sign-in pause)."""
    count = 0
    for address in {a for a in to if a}:
        outbox.queue(kind=Kind.NOTICE, to=address, subject=subject, body=body)
        count += 1
    if count:
        _wake_sender()
    return count


def _wake_sender() -> None:
    """Ask a worker to send, once this transaction has committed."""
    from .tasks import send_outbox

    transaction.on_commit(lambda: send_outbox.enqueue())


def reminder_dates(assessment: Assessment, email: RoundEmail) -> list[tuple[int, dt.date]]:
    return [
        (d, assessment.closes_on - dt.timedelta(days=d)) for d in email.reminder_day_list()
    ]
