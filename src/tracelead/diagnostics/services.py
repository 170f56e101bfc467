"""Writes for assessments, invitations, drafts and responses, each in one transaction.

Who may read a draft
--------------------
A personal link is made by the facilitator, so holding the link cannot be enough to read
the answers saved with it. When a respondent starts, the draft is bound to their device:
a random key (256 bits) goes into a signed, HttpOnly cookie for that link, and only its
SHA-256 (``holder_hash``) is stored. They are also given a resume code (eight characters,
about 40 bits), stored only as an HMAC-SHA256 keyed with the secret key (``resume_hash``).
Another device that opens the link sees one page, the same whether the draft is held
elsewhere or already submitted, asking for the resume code; the right code moves the draft
to that device (``draft_move_to_device``), and attempts are throttled per link.

A verifying open link keeps no address: a keyed hash of the normalised address
(``open_link_email_hash``) is written when the code is confirmed, before any answer exists:
on an ``OpenLinkSubmission`` row (the address's one claim on the round) and on its draft.
Submitting writes nothing about the address, so neither the response nor the moment it
was written can be matched to an address. Codes are six digits, kept hashed, last 15
minutes, are single-use and allow five tries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, cast

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext

from tracelead.core.storage import forget_deleted_rows
from tracelead.instruments import InstrumentError, get_instrument
from tracelead.organisations.models import Group
from tracelead.publishing.models import Cycle

from .models import (
    Assessment,
    AssessmentStatus,
    Invitation,
    OpenLinkCode,
    OpenLinkSubmission,
    RaterKind,
    Response,
    ResponseDraft,
)
from .questionnaire import clean_answers, first_incomplete_page

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# 32 random bytes: 256 bits, well past the 128 bits an unguessable link needs.
TOKEN_BYTES = 32
MAX_INVITATIONS_PER_REQUEST = 5000
# Resume codes: eight characters from an alphabet without look-alikes (0/O, 1/I): 2^40.
RESUME_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
RESUME_LENGTH = 8
# One-time codes for verifying an email address on an open link.
CODE_DIGITS = 6
CODE_LIFETIME = dt.timedelta(minutes=15)
CODE_ATTEMPTS = 5


class AlreadySubmitted(Exception):
    """The invitation or device has already submitted a response."""


class NotAcceptingResponses(Exception):
    """The assessment is closed or not open yet."""


class DraftHeldElsewhere(Exception):
    """The link's draft is bound to another device."""


class CodeProblem(Exception):
    """A one-time code that is wrong, expired or used up; the message says which."""


class CodeNotSent(Exception):
    """The email with the one-time code could not be sent."""


class IncompleteResponse(Exception):
    def __init__(self, page: int) -> None:
        super().__init__(f"page {page} has unanswered questions")
        self.page = page


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def device_hash(device_key: str) -> str:
    return hashlib.sha256(device_key.encode()).hexdigest()


def keyed_hash(purpose: str, value: str) -> str:
    """HMAC-SHA256 keyed with the secret key: without the key, the database alone cannot
    be searched for a code or an address."""
    return salted_hmac(f"tracelead.{purpose}", value, algorithm="sha256").hexdigest()


def new_resume_code() -> str:
    chars = "".join(secrets.choice(RESUME_ALPHABET) for _ in range(RESUME_LENGTH))
    return f"{chars[:4]}-{chars[4:]}"


def normalise_resume_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())[: RESUME_LENGTH * 2]


def resume_hash(invitation_id: int, code: str) -> str:
    return keyed_hash("resume", f"{invitation_id}:{normalise_resume_code(code)}")


def normalise_email(address: str) -> str:
    """Lower case, without a "+tag" (ann+2@nhs.net is ann@nhs.net): one person, one hash."""
    local, _, domain = address.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def open_link_email_hash(assessment: Assessment, address: str) -> str:
    # Keyed per round, so that hashes of one address in two rounds cannot be matched.
    return keyed_hash("open-link-email", f"{assessment.pk}:{normalise_email(address)}")


def allowed_domains(assessment: Assessment) -> list[str]:
    return [
        part.strip().lower().lstrip("@")
        for part in assessment.open_link_domains.split(",")
        if part.strip().lstrip("@")
    ]


def _check_dates(
    *, group: Group, opens_on: dt.date, closes_on: dt.date, exclude: int | None = None
) -> None:
    """Close after opening; no two rounds of one group open at the same time."""
    if closes_on < opens_on:
        raise ValidationError({"closes_on": "The close date must be on or after the open date."})
    overlapping = Assessment.objects.filter(
        group=group, opens_on__lte=closes_on, closes_on__gte=opens_on
    )
    if exclude is not None:
        overlapping = overlapping.exclude(pk=exclude)
    clash = overlapping.first()
    if clash is not None:
        raise ValidationError(
            {
                "opens_on": f"{group.name} already has a round from {clash.opens_on:%-d %B %Y} "
                f"to {clash.closes_on:%-d %B %Y}; choose dates that do not overlap it."
            }
        )


def _instrument_title(key: str) -> str:
    try:
        return get_instrument(key).title
    except InstrumentError:  # the file has gone since the round was opened
        return key


@transaction.atomic
def assessment_create(
    *,
    group: Group,
    cycle: Cycle,
    title: str,
    instrument_key: str,
    rater_kinds: Sequence[str],
    opens_on: dt.date,
    closes_on: dt.date,
    created_by: User | None = None,
    open_link_verify: bool = False,
    open_link_domains: str = "",
) -> Assessment:
    """Open a round of a group in a cycle; its thresholds are the cycle's."""
    try:
        instrument = get_instrument(instrument_key)
    except (InstrumentError, LookupError) as error:
        raise ValidationError({"instrument_key": str(error)}) from error
    kinds = list(dict.fromkeys(rater_kinds))
    if not kinds or any(kind not in RaterKind.values for kind in kinds):
        raise ValidationError({"rater_kinds": "Choose at least one kind of rater."})
    if cycle.system_id != group.system_id:
        raise ValidationError({"cycle": "Choose a reporting cycle of the group's own system."})
    if Assessment.objects.filter(cycle=cycle, group=group).exists():
        raise ValidationError(
            {"cycle": f"{group.name} already has a round in {cycle.name}: one a cycle."}
        )
    # The gate reads, rolls up and compares a cycle's rounds with one instrument, so a
    # cycle holds rounds of one questionnaire (its versions may differ). The cycle's row is
    # locked so that two rounds of different questionnaires cannot both pass the check.
    Cycle.objects.select_for_update().get(pk=cycle.pk)
    other = (Assessment.objects.filter(cycle=cycle).exclude(instrument_key=instrument.key)
             .values_list("instrument_key", flat=True).first())
    if other is not None:
        raise ValidationError(
            {"instrument_key": f"{cycle.name} already has rounds of “{_instrument_title(other)}”, "
             "and a cycle's rounds share one questionnaire: choose that one, or another cycle."}
        )
    if opens_on < today():
        raise ValidationError({"opens_on": "The open date cannot be in the past."})
    _check_dates(group=group, opens_on=opens_on, closes_on=closes_on)
    assessment = Assessment(
        group=group,
        cycle=cycle,
        title=title.strip(),
        instrument_key=instrument.key,
        instrument_version=instrument.version,
        rater_kinds=kinds,
        opens_on=opens_on,
        closes_on=closes_on,
        created_by=created_by,
        open_link_verify=open_link_verify,
        open_link_domains=open_link_domains.strip(),
    )
    assessment.full_clean()
    assessment.save()
    return assessment


@transaction.atomic
def assessment_update(
    *,
    assessment: Assessment,
    title: str,
    opens_on: dt.date,
    closes_on: dt.date,
    changed_by: User | None = None,
) -> Assessment:
    """Change a round's title or dates; every change of dates is in the audit log.

    A round that has opened keeps its open date; a closed round cannot be reopened; no
    date may be moved into the past (that would close or publish a round at will).
    """
    locked = Assessment.objects.select_for_update().select_related("group").get(pk=assessment.pk)
    day = today()
    if locked.closes_on < day and (opens_on, closes_on) != (locked.opens_on, locked.closes_on):
        raise ValidationError({"closes_on": "This round has closed; its dates cannot change."})
    if opens_on != locked.opens_on:
        if locked.opens_on <= day:
            raise ValidationError({"opens_on": "This round has opened; its open date is fixed."})
        if opens_on < day:
            raise ValidationError({"opens_on": "The open date cannot be in the past."})
    if closes_on != locked.closes_on and closes_on < day:
        raise ValidationError({"closes_on": "The close date cannot be in the past."})
    _check_dates(group=locked.group, opens_on=opens_on, closes_on=closes_on, exclude=locked.pk)
    before = (locked.opens_on, locked.closes_on)
    locked.title = title.strip()
    locked.opens_on = opens_on
    locked.closes_on = closes_on
    locked.full_clean()
    locked.save()
    if before != (opens_on, closes_on):
        from tracelead.core.audit import audit_assessment
        from tracelead.core.models import AuditEvent

        audit_assessment(
            user=changed_by, action=AuditEvent.Action.CHANGED, assessment=locked,
            what=f"dates {before[0]}–{before[1]} to {opens_on}–{closes_on}",
        )
    # Responses carry the close date, not their own time: keep them all on the one date,
    # so that a changed close date cannot split them into earlier and later answers.
    Response.objects.filter(assessment=locked).update(submitted_on=closes_on)
    return locked


@transaction.atomic
def assessment_close_now(*, assessment: Assessment, closed_by: User | None = None) -> Assessment:
    """Close an open round at once: its last day becomes yesterday, so that it is closed
    today and the gate publishes it as it publishes any round that has closed.

    A round that opened today also gets yesterday as its open date (a round cannot close
    before it opens), unless another round of the group ended yesterday. The change is in
    the audit log.
    """
    locked = Assessment.objects.select_for_update().select_related("group").get(pk=assessment.pk)
    day = today()
    if locked.status_on(day) != AssessmentStatus.OPEN:
        raise ValidationError("Only an open round can be closed now.")
    yesterday = day - dt.timedelta(days=1)
    before = locked.closes_on
    opens_on = min(locked.opens_on, yesterday)
    if opens_on != locked.opens_on:
        try:
            _check_dates(group=locked.group, opens_on=opens_on, closes_on=yesterday,
                         exclude=locked.pk)
        except ValidationError as clash:
            raise ValidationError(
                "This round opened today, straight after another round of the group: it "
                "can be closed from tomorrow."
            ) from clash
    locked.opens_on, locked.closes_on = opens_on, yesterday
    locked.full_clean()
    locked.save(update_fields=["opens_on", "closes_on"])
    Response.objects.filter(assessment=locked).update(submitted_on=yesterday)
    from tracelead.core.audit import audit_assessment
    from tracelead.core.models import AuditEvent

    audit_assessment(user=closed_by, action=AuditEvent.Action.CHANGED, assessment=locked,
                     what=f"closed now (it was to close on {before})")
    return locked


@transaction.atomic
def assessment_open_link(*, assessment: Assessment) -> str:
    """The assessment's open link token, created on first use."""
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if not locked.open_token:
        locked.open_token = new_token()
        locked.save(update_fields=["open_token"])
    assessment.open_token = locked.open_token
    return locked.open_token


def _is_email(text: str) -> bool:
    """Whether a label is an email address (not merely a text with an "@" in it)."""
    from django.core.validators import validate_email

    try:
        validate_email(text.strip())
    except ValidationError:
        return False
    return True


def unique_labels(names: list[str], *, assessment: Assessment) -> list[str]:
    """The labels to make links for: an email address listed twice (in any case), or one
    that already has a link to this round, gets no second link. Names that are not email
    addresses are kept as they are: two colleagues may share a name."""
    seen = {
        label.casefold()
        for label in Invitation.objects.filter(assessment=assessment, label__contains="@")
        .values_list("label", flat=True)
        if _is_email(label)
    }
    kept = []
    for name in names:
        key = name.casefold()
        if _is_email(name):
            if key in seen:
                continue
            seen.add(key)
        kept.append(name)
    return kept


@transaction.atomic
def invitations_create(
    *,
    assessment: Assessment,
    rater_kind: str,
    count: int = 0,
    labels: Iterable[str] = (),
) -> list[Invitation]:
    """Create one invitation per label, or ``count`` unlabelled ones.

    A round has at most one self link: the self rating is shown beside the others' ratings,
    so it must come from the leader alone.
    """
    if rater_kind not in assessment.rater_kinds:
        raise ValidationError(
            {"rater_kind": "Choose one of the kinds of rater this assessment asks."}
        )
    labels = list(labels)
    # NUL cannot be stored in PostgreSQL text and is never part of a real name.
    names = [label.replace("\x00", "").strip()[:200] for label in labels]
    names = unique_labels([name for name in names if name], assessment=assessment)
    if not names and any(label.strip() for label in labels):
        raise ValidationError(
            {"labels": "Everyone listed already has a link to this round. If someone has "
             "lost theirs, re-issue it."}
        )
    total = len(names) if names else count
    if total < 1:
        raise ValidationError({"count": "Ask for at least one invitation."})
    if rater_kind == RaterKind.SELF:
        # Lock the round so that two requests cannot each make "the" self link.
        Assessment.objects.select_for_update().filter(pk=assessment.pk).first()
        if Invitation.objects.filter(assessment=assessment, rater_kind=RaterKind.SELF).exists():
            raise ValidationError(
                {
                    "rater_kind": "This round already has its self link, and a round can "
                    "have only one. If it was lost, re-issue it."
                }
            )
        if total > 1:
            raise ValidationError(
                {
                    "rater_kind": "Create one self link only: it is for the leader rating "
                    "themselves."
                }
            )
    if total > MAX_INVITATIONS_PER_REQUEST:
        raise ValidationError(
            {"count": f"Create at most {MAX_INVITATIONS_PER_REQUEST} invitations at a time."}
        )
    tokens = [new_token() for _ in range(total)]
    rows = [
        Invitation(
            assessment=assessment,
            token_hash=Invitation.hash_token(tokens[index]),
            rater_kind=rater_kind,
            label=names[index] if names else "",
        )
        for index in range(total)
    ]
    created = Invitation.objects.bulk_create(rows)
    # The clear tokens travel only on these objects, to be shown once.
    for invitation, token in zip(created, tokens, strict=True):
        invitation.token = token
    return created


@transaction.atomic
def invitation_reissue(
    *, invitation: Invitation, reissued_by: User | None = None, via: str = "web"
) -> Invitation:
    """Give a personal link a new token: the old link stops working, its draft is deleted.

    It works the same whether or not the person has answered, so that re-issuing tells
    nobody who answered: a used link's new token looks like a link never started (and can
    never submit a second response). Returns the invitation carrying its new clear
    ``token``, to be shown once. Audited.
    """
    from tracelead.core.audit import audit_assessment
    from tracelead.core.models import AuditEvent

    locked = (
        Invitation.objects.select_for_update()
        .select_related("assessment", "assessment__group")
        .get(pk=invitation.pk)
    )
    if locked.assessment.status == AssessmentStatus.CLOSED:
        raise ValidationError(
            {"invitation": "This round has closed: its links cannot be re-issued."}
        )
    token = new_token()
    locked.token_hash = Invitation.hash_token(token)
    locked.reissued_after_use = locked.reissued_after_use or locked.used
    locked.save(update_fields=["token_hash", "reissued_after_use"])
    ResponseDraft.objects.filter(invitation=locked).delete()
    forget_deleted_rows()
    audit_assessment(
        user=reissued_by,
        action=AuditEvent.Action.REISSUED,
        assessment=locked.assessment,
        what=f"personal link {locked.pk}",
        via=via,
    )
    locked.token = token
    return locked


def _check_accepting(assessment: Assessment) -> None:
    if assessment.status != AssessmentStatus.OPEN:
        raise NotAcceptingResponses(assessment.status)


@transaction.atomic
def draft_start(
    *,
    assessment: Assessment,
    invitation: Invitation | None = None,
    device_key: str | None = None,
    rater_kind: str,
    holder_key: str | None = None,
    resume_code: str = "",
) -> ResponseDraft:
    """Find or begin the draft of an invitation or of an open-link device.

    With ``holder_key`` (the web pages always give one), an invitation's draft is bound to
    that device, with ``resume_code`` as the way to move it; a draft bound to another
    device raises :class:`DraftHeldElsewhere`. A draft not yet bound (made before drafts
    were bound) is bound to the first device that starts it.
    """
    _check_accepting(assessment)
    if rater_kind not in assessment.rater_kinds:
        raise ValidationError({"rater_kind": gettext("Choose how you relate to this group.")})
    if invitation is not None:
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.used and not locked.reissued_after_use:
            raise AlreadySubmitted
        try:
            with transaction.atomic():
                draft, _ = ResponseDraft.objects.get_or_create(
                    invitation=locked,
                    defaults={"assessment": assessment, "rater_kind": locked.rater_kind},
                )
        except IntegrityError:
            draft = ResponseDraft.objects.get(invitation=locked)
        if holder_key is None:
            return draft
        hashed = device_hash(holder_key)
        if not draft.holder_hash:
            if not resume_code:
                raise ValueError("binding a draft to a device needs a resume code")
            draft.holder_hash = hashed
            draft.resume_hash = resume_hash(locked.pk, resume_code)
            draft.save(update_fields=["holder_hash", "resume_hash", "updated_at"])
        elif not constant_time_compare(draft.holder_hash, hashed):
            raise DraftHeldElsewhere
        return draft
    if rater_kind == RaterKind.SELF:
        raise ValidationError({"rater_kind": "A self rating comes only through a self link."})
    if assessment.open_link_verify:
        raise ValidationError({"email": "This open link asks for a confirmed email address."})
    if not device_key:
        raise ValueError("an open-link draft needs a device key")
    hashed = device_hash(device_key)
    if OpenLinkSubmission.objects.filter(assessment=assessment, device_hash=hashed).exists():
        raise AlreadySubmitted
    try:
        with transaction.atomic():
            draft, _ = ResponseDraft.objects.get_or_create(
                assessment=assessment,
                device_hash=hashed,
                defaults={"rater_kind": rater_kind},
            )
    except IntegrityError:
        draft = ResponseDraft.objects.get(assessment=assessment, device_hash=hashed)
    return draft


@transaction.atomic
def draft_move_to_device(*, invitation: Invitation, code: str, holder_key: str) -> bool:
    """Bind an invitation's draft to a new device if ``code`` is its resume code.

    Returns False, the same way, for a wrong code, a link never started and a link already
    submitted. Throttling attempts is the caller's job.
    """
    expected = resume_hash(invitation.pk, code)
    draft = ResponseDraft.objects.select_for_update().filter(invitation_id=invitation.pk).first()
    stored = draft.resume_hash if draft is not None else ""
    # Compare even when there is nothing to compare with, so both take the same time.
    matches = constant_time_compare(stored or "-" * len(expected), expected)
    if draft is None or not stored or not matches:
        return False
    draft.holder_hash = device_hash(holder_key)
    draft.save(update_fields=["holder_hash", "updated_at"])
    return True


def open_link_code_send(
    *, assessment: Assessment, email: str, rater_kind: str, pending_key: str
) -> None:
    """Check an address for a verifying open link and email it a one-time code.

    Nothing says whether the address has answered before: only whoever reads the code
    can learn that (:func:`open_link_code_confirm`).
    """
    if rater_kind == RaterKind.SELF or rater_kind not in assessment.rater_kinds:
        raise ValidationError({"rater_kind": gettext("Choose how you know this group.")})
    address = email.strip()
    try:
        validate_email(address)
    except ValidationError as error:
        raise ValidationError(
            {"email": gettext("Enter an email address in the right format, like name@nhs.net")}
        ) from error
    domains = allowed_domains(assessment)
    if domains and address.lower().rpartition("@")[2] not in domains:
        listed = gettext(" or ").join(f"@{domain}" for domain in domains)
        raise ValidationError(
            {"email": gettext("Enter an email address ending in %(domains)s") % {"domains": listed}}
        )
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    _open_link_code_store(
        assessment=assessment,
        email_hash=open_link_email_hash(assessment, address),
        code=code,
        rater_kind=rater_kind,
        pending_key=pending_key,
    )
    minutes = int(CODE_LIFETIME.total_seconds() // 60)
    try:
        send_mail(
            # In the language the respondent is reading the questionnaire in.
            subject=gettext("%(code)s is your code for the TRACE leadership check")
            % {"code": code},
            message=gettext(
                "Your code is %(code)s.\n\n"
                "Enter it on the questionnaire page within %(minutes)s minutes to start "
                "answering about %(group)s. You can use it once.\n\n"
                "If you did not ask for this code, you can ignore this email."
            ) % {"code": code, "minutes": minutes, "group": assessment.group.name},
            from_email=None,
            recipient_list=[address],
        )
    except Exception as error:  # any transport failure: the respondent is told plainly
        raise CodeNotSent from error


@transaction.atomic
def _open_link_code_store(
    *, assessment: Assessment, email_hash: str, code: str, rater_kind: str, pending_key: str
) -> OpenLinkCode:
    key = device_hash(pending_key)
    now = timezone.now()
    # One code at a time per device; expired codes of the round go as new ones come.
    OpenLinkCode.objects.filter(assessment=assessment, key_hash=key).delete()
    OpenLinkCode.objects.filter(assessment=assessment, expires_at__lt=now).delete()
    forget_deleted_rows()
    return OpenLinkCode.objects.create(
        assessment=assessment,
        key_hash=key,
        email_hash=email_hash,
        code_hash=keyed_hash("open-link-code", f"{key}:{code}"),
        rater_kind=rater_kind,
        expires_at=now + CODE_LIFETIME,
    )


def open_link_code_confirm(
    *, assessment: Assessment, pending_key: str, code: str, device_key: str
) -> ResponseDraft:
    """Confirm the code sent to this device; start (or move here) the address's draft.

    Raises :class:`CodeProblem` (wrong, expired, used up), or :class:`AlreadySubmitted`
    when this address has answered already: only the address's owner, who read the code,
    can learn that. The draft is bound to ``device_key``, a new random key.

    The address's claim on the round is made here, once: an address with a claim and no
    draft has submitted. Submitting then needs no write about the address.
    """
    _check_accepting(assessment)
    outcome = _open_link_code_check(assessment=assessment, pending_key=pending_key, code=code)
    if isinstance(outcome, str):
        raise CodeProblem(outcome)
    email_hash, rater_kind = outcome
    return _open_link_claim(
        assessment=assessment, email_hash=email_hash, rater_kind=rater_kind,
        device_key=device_key,
    )


def open_link_provider_confirm(
    *, assessment: Assessment, email: str, rater_kind: str, device_key: str
) -> ResponseDraft:
    """Start (or move here) the draft of an address that an identity provider has
    verified (``tracelead.accounts.sso``), in place of a code sent to it.

    The address must be in the round's domains; raises ``ValidationError`` otherwise, and
    :class:`AlreadySubmitted` or :class:`NotAcceptingResponses` as
    :func:`open_link_code_confirm` does.
    """
    _check_accepting(assessment)
    if rater_kind == RaterKind.SELF or rater_kind not in assessment.rater_kinds:
        raise ValidationError({"rater_kind": gettext("Choose how you know this group.")})
    domains = allowed_domains(assessment)
    if domains and email.strip().lower().rpartition("@")[2] not in domains:
        listed = gettext(" or ").join(f"@{domain}" for domain in domains)
        raise ValidationError(
            {"email": gettext("Enter an email address ending in %(domains)s") % {"domains": listed}}
        )
    return _open_link_claim(
        assessment=assessment, email_hash=open_link_email_hash(assessment, email),
        rater_kind=rater_kind, device_key=device_key,
    )


def _open_link_claim(
    *, assessment: Assessment, email_hash: str, rater_kind: str, device_key: str
) -> ResponseDraft:
    """A verified address's claim on the round (made once) and its draft on this device."""
    with transaction.atomic():
        draft = (
            ResponseDraft.objects.select_for_update()
            .filter(assessment=assessment, verified_hash=email_hash)
            .first()
        )
        if draft is None:
            try:
                with transaction.atomic():
                    OpenLinkSubmission.objects.create(assessment=assessment, device_hash=email_hash)
            except IntegrityError:
                # Claimed before: by a confirmation at this very moment (its draft is now
                # there), or by a response already submitted.
                draft = ResponseDraft.objects.filter(
                    assessment=assessment, verified_hash=email_hash
                ).first()
                if draft is None:
                    raise AlreadySubmitted from None
            else:
                return ResponseDraft.objects.create(
                    assessment=assessment,
                    device_hash=device_hash(device_key),
                    verified_hash=email_hash,
                    rater_kind=rater_kind,
                )
        # The address's draft moves to this device (its owner confirmed it here).
        draft.device_hash = device_hash(device_key)
        draft.save(update_fields=["device_hash", "updated_at"])
        return draft


@transaction.atomic
def _open_link_code_check(
    *, assessment: Assessment, pending_key: str, code: str
) -> tuple[str, str] | str:
    """(email hash, rater kind) when the code is right, else the message to show.

    A wrong try is counted and committed here, before the caller raises.
    """
    key = device_hash(pending_key)
    row = (
        OpenLinkCode.objects.select_for_update()
        .filter(assessment=assessment, key_hash=key)
        .order_by("-id")
        .first()
    )
    if row is None:
        return gettext("This code is no longer valid. Ask for a new code.")
    if row.expires_at < timezone.now():
        row.delete()
        forget_deleted_rows()
        return gettext("This code has expired. Ask for a new code.")
    digits = "".join(ch for ch in code if ch.isdigit())
    if not constant_time_compare(row.code_hash, keyed_hash("open-link-code", f"{key}:{digits}")):
        row.attempts += 1
        if row.attempts >= CODE_ATTEMPTS:
            row.delete()
            forget_deleted_rows()
            return gettext("The code was entered wrongly too many times. Ask for a new code.")
        row.save(update_fields=["attempts"])
        return gettext("The code does not match. Check the email and enter the 6-digit code")
    row.delete()  # single use
    forget_deleted_rows()
    return row.email_hash, row.rater_kind


@transaction.atomic
def draft_save(
    *,
    draft: ResponseDraft,
    page: int,
    answers: dict[str, int | None] | None = None,
    free_text: dict[str, str] | None = None,
    replace_free_text: bool = False,
) -> ResponseDraft:
    """Merge one page's answers into the draft and remember the page reached.

    Raises :class:`AlreadySubmitted` if the draft has meanwhile been submitted.
    """
    _check_accepting(draft.assessment)
    try:
        locked = ResponseDraft.objects.select_for_update().get(pk=draft.pk)
    except ResponseDraft.DoesNotExist as gone:
        # Drafts are deleted only when submitted: a simultaneous request from the same
        # link (a double click, a retry, a second tab) has just submitted it.
        raise AlreadySubmitted from gone
    if answers:
        locked.answers = {**locked.answers, **answers}
    if free_text is not None:
        locked.free_text = (
            dict(free_text) if replace_free_text else {**locked.free_text, **free_text}
        )
    locked.page = page
    locked.save()
    return locked


@transaction.atomic
def response_submit(*, draft_id: int) -> Response:
    """Turn a complete draft into an anonymous response, exactly once.

    The invitation (or the device's open-link mark) is claimed with a conditional update
    or a unique insert in the same transaction as the response is written, so duplicate
    or retried requests, however simultaneous, leave exactly one response. A verified
    address's draft rests on its claim made at confirmation and on the draft's row lock.
    The draft, the only row that tied the answers to a link or an address, is deleted.
    """
    try:
        draft = (
            ResponseDraft.objects.select_for_update().select_related("assessment").get(pk=draft_id)
        )
    except ResponseDraft.DoesNotExist as missing:
        raise AlreadySubmitted from missing
    assessment = draft.assessment
    _check_accepting(assessment)
    instrument = get_instrument(assessment.instrument_key, assessment.instrument_version)
    answers = clean_answers(instrument, draft.answers)
    incomplete = first_incomplete_page(instrument, answers)
    if incomplete is not None:
        raise IncompleteResponse(incomplete)
    if draft.invitation_id is not None:
        claimed = Invitation.objects.filter(pk=draft.invitation_id, used=False).update(used=True)
        if claimed != 1:
            raise AlreadySubmitted
    elif not draft.verified_hash:
        try:
            with transaction.atomic():
                OpenLinkSubmission.objects.create(
                    # A draft without an invitation always has its device hash (the
                    # model's check constraint), which the nullable field cannot say.
                    assessment=assessment, device_hash=cast(str, draft.device_hash)
                )
        except IntegrityError as duplicate:
            raise AlreadySubmitted from duplicate
    # A verified address claimed the round when its code was confirmed (one draft per
    # claim, deleted below under the row lock taken above): nothing more to write.
    response = Response.objects.create(
        assessment=assessment,
        rater_kind=draft.rater_kind,
        answers=answers,
        free_text={
            prompt.key: draft.free_text[prompt.key]
            for prompt in instrument.free_text
            if draft.free_text.get(prompt.key)
        },
        submitted_on=assessment.closes_on,
    )
    draft.delete()
    forget_deleted_rows()
    return response


def today() -> dt.date:
    return timezone.localdate()
