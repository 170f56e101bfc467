"""Personal data: subject access, erasure and retention (UK GDPR).

Responses hold nothing that identifies a respondent, so erasing a person never changes
a result. What can identify someone is: a Person record, the label on an invitation
(a name or email for the facilitator's mail merge), a user account and its audit trail,
sign-in records, answers saved in a draft that was never submitted, and membership of an
academy (details, bookings, check-ins, exchange pairs and visits).

Erasing an academy member is their leaving (:func:`tracelead.academy.services.member_leave`):
what identifies them goes; their organisation, sector and attendance stay, so that reach
and attendance already reported do not change. Retention has nothing more to do for
members: those who left were erased when they left, and current members are kept while
they are members.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tracelead.academy.models import CheckIn, ExchangePair, ExchangeVisit, Member, Registration
from tracelead.academy.services import member_leave
from tracelead.accounts.models import SignInFailures
from tracelead.diagnostics.models import Invitation, OpenLinkCode, ResponseDraft
from tracelead.organisations.models import Person, SystemMembership

from .models import ApiToken, AuditEvent
from .storage import forget_deleted_rows
from .throttles import account_key


def _people(email: str) -> Any:
    return Person.objects.filter(email__iexact=email)


def _invitations(email: str) -> Any:
    """Invitations whose label holds this address as a whole address, not inside another
    one: erasing sam@example.org must not touch the link (and unsent draft) of
    pam.sam@example.org or sam@example.org.uk."""
    whole = re.compile(rf"(?<![\w.%+-]){re.escape(email)}(?![\w-]|\.[\w-])", re.IGNORECASE)
    candidates = Invitation.objects.filter(label__icontains=email).values_list("pk", "label")
    return Invitation.objects.filter(pk__in=[pk for pk, label in candidates if whole.search(label)])


def _users(email: str) -> Any:
    return get_user_model().objects.filter(Q(email__iexact=email) | Q(username__iexact=email))


def _academy_members(email: str) -> Any:
    return Member.objects.filter(email=email.strip().lower(), left_at__isnull=True)


def _academy_memberships(email: str) -> list[dict[str, Any]]:
    """A member's details, bookings, check-ins and exchange pairs. Partners in the exchange
    are named by organisation only (their names are theirs), and a visit's reflection only
    where this member wrote it (as the visitor)."""
    found = []
    for m in _academy_members(email).select_related("academy", "organisation"):
        pairs = []
        for pair in (ExchangePair.objects.filter(Q(first=m) | Q(second=m))
                     .select_related("round", "first__organisation", "second__organisation")):
            partner = pair.second if pair.first_id == m.pk else pair.first
            pairs.append({
                "round": pair.round.name,
                "paired_at": pair.created_at.isoformat(),
                "partner_organisation": partner.organisation_label,
                "visits": [
                    {
                        "visited_on": v.visited_on.isoformat(),
                        "host": "this member" if v.host_id == m.pk else "their partner",
                        "reflection": v.reflection if v.host_id != m.pk else None,
                    }
                    for v in ExchangeVisit.objects.filter(pair=pair).order_by("visited_on")
                ],
            })
        found.append({
            "academy": m.academy.name,
            "name": m.name,
            "email": m.email,
            "organisation": m.organisation_label,
            "sector": m.sector,
            "staff_group": m.staff_group,
            "place": m.place,
            "level": m.level,
            "joined_at": m.joined_at.isoformat(),
            "consented_at": m.consented_at.isoformat() if m.consented_at else None,
            "exchange_opt_in": m.exchange_opt_in,
            "exchange_sectors": list(m.exchange_sectors),
            "programmes": [p.name for p in m.programmes.order_by("name")],
            "bookings": [
                {
                    "event": r.event.title,
                    "starts_at": r.event.starts_at.isoformat(),
                    "status": r.status,
                    "booked_at": r.created_at.isoformat(),
                }
                for r in Registration.objects.filter(member=m).select_related("event")
                .order_by("event__starts_at", "pk")
            ],
            "check_ins": [
                {"event": c.event.title, "at": c.at.isoformat(), "method": c.method}
                for c in CheckIn.objects.filter(member=m).select_related("event")
                .order_by("at", "pk")
            ],
            "exchange_pairs": pairs,
        })
    return found


def subject_access(email: str) -> dict[str, Any]:
    """Everything tracelead holds about the person with this email address.

    That includes the answers saved on their links but not yet submitted (drafts). A
    submitted response is not theirs to list: nothing links it to them.
    """
    email = email.strip()
    if "@" not in email:
        raise ValueError("Give the person's email address.")
    users = list(_users(email))
    invitations = _invitations(email)
    return {
        "email": email,
        "exported_at": timezone.now().isoformat(),
        "people": [
            {
                "name": p.name,
                "role": p.role_title,
                "email": p.email,
                "system": p.system.name,
                "organisation": p.organisation.name if p.organisation else None,
            }
            for p in _people(email).select_related("system", "organisation")
        ],
        "invitations": [
            {
                "assessment": i.assessment.title,
                "label": i.label,
                "rater_kind": i.rater_kind,
                # Whether this person answered is not part of what is held about them in
                # any readable form: it is never shown per person, here included.
                "note": "Answers are stored without any link to the invitation.",
            }
            for i in invitations.select_related("assessment")
        ],
        "unsubmitted_drafts": [
            {
                "assessment": d.assessment.title,
                "submitted": False,
                "note": "Answers saved on this person's link and not submitted. They are "
                "deleted when submitted, or once the round has closed.",
                "questionnaire": f"{d.assessment.instrument_key} {d.assessment.instrument_version}",
                "rater_kind": d.rater_kind,
                "page_reached": d.page,
                "answers": d.answers,
                "free_text": d.free_text,
                "last_saved": d.updated_at.isoformat(),
            }
            for d in ResponseDraft.objects.filter(invitation__in=invitations)
            .select_related("assessment").order_by("pk")
        ],
        "accounts": [
            {
                "username": u.get_username(),
                "first_name": u.first_name,
                "last_name": u.last_name,
                "email": u.email,
                "date_joined": u.date_joined.isoformat(),
                "last_login": u.last_login.isoformat() if u.last_login else None,
                "memberships": [
                    {"system": m.system.name, "role": m.role}
                    for m in SystemMembership.objects.filter(user=u).select_related("system")
                ],
                "audit_events": [
                    {"at": e.at.isoformat(), "action": e.action, "what": e.what, "via": e.via}
                    for e in AuditEvent.objects.filter(user=u)
                ],
            }
            for u in users
        ],
        "academy_memberships": _academy_memberships(email),
    }


@dataclass
class ErasureReport:
    people: int = 0
    invitation_labels: int = 0
    drafts: int = 0
    accounts: int = 0
    academy_members: int = 0
    details: dict[str, int] = field(default_factory=dict)


@transaction.atomic
def erase_subject(email: str) -> ErasureReport:
    """Remove what identifies the person; results and counts stay as they were."""
    email = email.strip()
    if "@" not in email:
        raise ValueError("Give the person's email address.")
    report = ErasureReport()
    report.people = _people(email).delete()[0]
    invitations = _invitations(email)
    # An unsubmitted draft of their link is their identifiable answers: delete it too.
    report.drafts = ResponseDraft.objects.filter(invitation__in=invitations).delete()[0]
    report.invitation_labels = invitations.update(label="")
    for member in _academy_members(email).select_related("academy"):
        member_leave(member=member)
        report.academy_members += 1
    for user in _users(email):
        AuditEvent.objects.filter(user=user).update(username=f"erased-{user.pk}")
        ApiToken.objects.filter(user=user).delete()
        # Sign-in records are kept under the name as the throttles key it (case-folded).
        name = account_key(user.get_username())
        AccessAttempt.objects.filter(username=name).delete()
        AccessLog.objects.filter(username=name).delete()
        AccessFailureLog.objects.filter(username=name).delete()
        SignInFailures.objects.filter(kind=SignInFailures.Kind.ACCOUNT, key=name).delete()
        user.username = f"erased-{user.pk}"
        user.first_name = user.last_name = user.email = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
        report.accounts += 1
    forget_deleted_rows()
    return report


@dataclass
class RetentionReport:
    cutoff: dt.date
    invitation_labels: int
    drafts: int
    audit_events: int
    sign_in_records: int


@transaction.atomic
def apply_retention(
    *, days: int | None = None, today: dt.date | None = None, dry_run: bool = False
) -> RetentionReport:
    """Delete identifiable data older than the retention period.

    * labels on invitations of rounds that closed before the cut-off;
    * drafts (answers never submitted) of any round that has closed;
    * audit events and sign-in records older than the cut-off;
    * one-time email codes that have expired (they last minutes, and hold an address's
      keyed hash).

    Academy members need nothing here: a member who leaves is erased at once (their
    bookings and check-ins stay, without anything that identifies them).
    """
    days = settings.TRACELEAD_RETENTION_DAYS if days is None else days
    if days < 1:
        raise ValueError("The retention period must be at least one day.")
    today = today or timezone.localdate()
    cutoff = today - dt.timedelta(days=days)
    cutoff_time = timezone.make_aware(dt.datetime.combine(cutoff, dt.time.min))
    labels = Invitation.objects.filter(assessment__closes_on__lt=cutoff).exclude(label="")
    drafts = ResponseDraft.objects.filter(assessment__closes_on__lt=today)
    events = AuditEvent.objects.filter(at__lt=cutoff_time)
    sign_ins = [
        AccessAttempt.objects.filter(attempt_time__lt=cutoff_time),
        AccessLog.objects.filter(attempt_time__lt=cutoff_time),
        AccessFailureLog.objects.filter(attempt_time__lt=cutoff_time),
        SignInFailures.objects.filter(last_failure_at__lt=cutoff_time),
    ]
    report = RetentionReport(
        cutoff=cutoff,
        invitation_labels=labels.count(),
        drafts=drafts.count(),
        audit_events=events.count(),
        sign_in_records=sum(q.count() for q in sign_ins),
    )
    if not dry_run:
        labels.update(label="")
        drafts.delete()
        OpenLinkCode.objects.filter(expires_at__lt=timezone.now()).delete()
        events.delete()
        for query in sign_ins:
            query.delete()
        forget_deleted_rows()
    return report
