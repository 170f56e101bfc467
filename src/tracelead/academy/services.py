"""Named writes of the academy: joining and leaving, events, registration with a waiting
list, and check-in at the door. Each runs in one transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext

from tracelead.analysis.exchange import Candidate, Pairing, organisation_key, pair_members
from tracelead.organisations.models import Organisation, Sector, System

from .models import (
    Academy,
    CheckIn,
    CheckInMethod,
    Effort,
    Enrolment,
    Event,
    ExchangePair,
    ExchangeRound,
    ExchangeVisit,
    Member,
    Offer,
    Programme,
    Registration,
    RegistrationStatus,
    RoleLevel,
    StaffGroup,
    hash_token,
)

# Event codes avoid letters and digits that are read alike (0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
TOKEN_BYTES = 24


def new_event_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_event_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())[:12]


def normalise_email(email: str) -> str:
    return email.strip().lower()


# --- The academy --------------------------------------------------------------------


@transaction.atomic
def academy_create(*, system: System, name: str, purpose: str = "", principles: str = "",
                   places: str = "", privacy_notice: str = "") -> Academy:
    if Academy.objects.filter(system=system).exists():
        raise ValidationError({"name": f"{system.name} already has an academy."})
    return Academy.objects.create(
        system=system, name=name.strip(), purpose=purpose, principles=principles,
        places=places, privacy_notice=privacy_notice,
        join_code=secrets.token_urlsafe(9),
    )


# --- Members ------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberDetails:
    """What a member tells the academy about themselves (sign-up, their own page, import)."""

    name: str
    email: str
    organisation: Organisation | None
    organisation_name: str
    sector: str
    staff_group: str
    place: str
    level: str


def _check_details(academy: Academy, details: MemberDetails) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not details.name.strip():
        problems["name"] = "Enter your name"
    if "@" not in details.email:
        problems["email"] = "Enter an email address, like name@example.org"
    if details.organisation is not None and details.organisation.system_id != academy.system_id:
        problems["organisation"] = "Choose an organisation of this system"
    if details.organisation is None and not details.organisation_name.strip():
        problems["organisation"] = "Choose your organisation, or name it if it is not listed"
    if details.sector not in Sector.values:
        problems["sector"] = "Choose a sector"
    if details.staff_group and details.staff_group not in StaffGroup.values:
        problems["staff_group"] = "Choose a profession or staff group"
    if details.level and details.level not in RoleLevel.values:
        problems["level"] = "Choose a level of role"
    places = academy.place_list()
    if details.place and places and details.place not in places:
        problems["place"] = "Choose a place from the list"
    return problems


def _apply(member: Member, details: MemberDetails) -> None:
    member.name = details.name.strip()
    member.email = normalise_email(details.email)
    organisation = details.organisation
    typed = " ".join(details.organisation_name.split())
    if organisation is None and typed:
        # "Not listed" with the name of a listed organisation is that organisation, so
        # that the exchange never takes two of its people for different organisations.
        organisation = Organisation.objects.filter(
            system_id=member.academy.system_id, name__iexact=typed).first()
    member.organisation = organisation
    member.organisation_name = "" if organisation else typed
    # A listed organisation decides the sector; the member chooses it otherwise.
    member.sector = organisation.sector if organisation else details.sector
    member.staff_group = details.staff_group
    member.place = details.place
    member.level = details.level


def member_link(member: Member) -> str:
    """Give the member a new personal link at once (the old one, and any link waiting to be
    opened, stop working); returns its path. For new members: a link sent to someone who
    already has one waits until it is opened (``member_link_pending``)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    member.token_hash = hash_token(token)
    member.pending_token_hash = None
    member.save(update_fields=["token_hash", "pending_token_hash", "updated_at"])
    member.token = token
    return reverse("academy_member_home", kwargs={"token": token})


def member_link_pending(member: Member) -> str:
    """Make a new personal link that waits until it is opened; returns its path.

    The current link keeps working meanwhile, so that anyone who knows a member's address
    (and asks for their link, or signs up with it) cannot take the link away. Opening the
    new link, and confirming on its page, makes it the current one and the old one stops
    (``member_link_open``); a newer request replaces a link still waiting.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    member.pending_token_hash = hash_token(token)
    member.save(update_fields=["pending_token_hash", "updated_at"])
    member.token = token
    return reverse("academy_member_home", kwargs={"token": token})


def member_by_token(token: str) -> Member | None:
    """The member whose current link this is. A link still waiting to be opened is not
    (``member_by_waiting_link``): only ``member_link_open``, on a POST, makes it current,
    so that a mail system fetching the link in advance cannot stop the member's old one."""
    if not token or len(token) > 100:
        return None
    return (Member.objects.select_related("academy", "organisation")
            .filter(left_at__isnull=True, token_hash=hash_token(token)).first())


def member_by_waiting_link(token: str) -> Member | None:
    """The member whose new link, waiting to be opened, this is."""
    if not token or len(token) > 100:
        return None
    return (Member.objects.select_related("academy", "organisation")
            .filter(left_at__isnull=True, pending_token_hash=hash_token(token)).first())


@transaction.atomic
def member_link_open(*, token: str) -> Member | None:
    """Make a link waiting to be opened the member's current one (their older link stops
    working); the member, or ``None`` for a link that is neither waiting nor current."""
    member = member_by_waiting_link(token)
    if member is None:
        return member_by_token(token)  # opened already (twice at once, or reloaded)
    digest = hash_token(token)
    # One statement, conditional on the link still waiting: two opens at once both win.
    Member.objects.filter(pk=member.pk, pending_token_hash=digest).update(
        token_hash=digest, pending_token_hash=None, updated_at=timezone.now())
    member.token_hash, member.pending_token_hash = digest, None
    return member


def _send_link(member: Member, *, joined: bool) -> None:
    """Email the member a personal link: a new member's is theirs at once; any other waits
    until it is opened, and their current link works until then."""
    from tracelead.messaging.services import notice_queue

    path = member_link(member) if joined else member_link_pending(member)
    url = settings.TRACELEAD_SITE_URL.rstrip("/") + path
    academy = member.academy
    # In the language of the page that asked for it (the sign-up page is offered in Welsh).
    names = {"academy": academy.name}
    opening = (gettext("Welcome to %(academy)s.") % names if joined
               else gettext("You asked for the link to your membership of %(academy)s.") % names)
    older = ("" if joined else gettext("Once you open this link, any older link to your page "
                                       "stops working.") + " ")
    notice_queue(
        to=[member.email or ""],
        # The academy's name stays in the subject: member_erase finds its emails by it.
        subject=gettext("Your link to %(academy)s") % names,
        body=(f"{opening}\n\n"
              + gettext("Your own page, where you can see and change your details, book "
                        "events and leave the academy, is at:")
              + f"\n\n{url}\n\n{older}"
              + gettext("Keep this link to yourself: anyone who has it can see your details. "
                        "If you did not ask for it, you can ignore this email: your current "
                        "link keeps working.")
              + "\n"),
    )


def _new_member_problems(academy: Academy, details: MemberDetails, *, consent: bool,
                         consent_message: str) -> dict[str, str]:
    problems = _check_details(academy, details)
    if not consent:
        problems["consent"] = consent_message
    return problems


def _new_member(academy: Academy, details: MemberDetails, now: dt.datetime) -> Member | None:
    """Save a new member from their details; ``None`` when their address became a
    member's at the same moment (the unique constraint decides, in a savepoint)."""
    member = Member(academy=academy, joined_at=now, consented_at=now)
    _apply(member, details)
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:
        return None
    return member


@transaction.atomic
def member_join(*, academy: Academy, details: MemberDetails, consent: bool,
                now: dt.datetime | None = None) -> tuple[Member, bool]:
    """Sign a person up, or, when their address is already a member, send them their link.

    Returns the member and whether they are new. The sign-up page answers the same either
    way (a link is emailed), so the page never tells anyone whether an address is a member.
    """
    problems = _new_member_problems(
        academy, details, consent=consent,
        consent_message="Confirm that you agree to the academy keeping these details")
    if problems:
        raise ValidationError(problems)
    now = now or timezone.now()
    email = normalise_email(details.email)
    existing = Member.objects.filter(academy=academy, email=email).first()
    member = None if existing is not None else _new_member(academy, details, now)
    if member is None:
        # Already a member (or signed up at the same moment): one member, one more link.
        existing = existing or Member.objects.get(academy=academy, email=email)
        _send_link(existing, joined=False)
        return existing, False
    _send_link(member, joined=True)
    return member, True


@transaction.atomic
def member_link_resend(*, academy: Academy, email: str) -> None:
    """Email a member a fresh link that waits until it is opened (their current link keeps
    working until then); does nothing (and says nothing) for other addresses."""
    member = Member.objects.filter(academy=academy, email=normalise_email(email),
                                   left_at__isnull=True).first()
    if member is not None:
        _send_link(member, joined=False)


@transaction.atomic
def member_link_send(*, member: Member, joined: bool = False) -> None:
    """Email a member a new personal link. A facilitator's button (``joined`` false) sends
    one that waits until it is opened, and the member's current link works until then; an
    import asked to send links (``joined``: new members) gives the link at once."""
    if member.left_at is not None or not member.email:
        raise ValidationError("This member has left the academy.")
    _send_link(member, joined=joined)


@transaction.atomic
def member_add(*, academy: Academy, details: MemberDetails, consent: bool,
               send_link: bool = False, now: dt.datetime | None = None) -> Member:
    """A facilitator adds a member by hand, confirming for them that they agreed to the
    academy keeping their details. An address that is already a member's is refused."""
    problems = _new_member_problems(
        academy, details, consent=consent,
        consent_message="Confirm that the person agreed to the academy keeping these details")
    taken = "A member of the academy already has this email address"
    if not problems.get("email") and Member.objects.filter(
            academy=academy, email=normalise_email(details.email)).exists():
        problems["email"] = taken
    if problems:
        raise ValidationError(problems)
    member = _new_member(academy, details, now or timezone.now())
    if member is None:
        raise ValidationError({"email": taken})
    if send_link:
        _send_link(member, joined=True)
    return member


@transaction.atomic
def member_update(*, member: Member, details: MemberDetails,
                  exchange_opt_in: bool | None = None,
                  exchange_sectors: list[str] | None = None) -> Member:
    """Change a member's details, address included: a facilitator's change (they see every
    member's address anyway). A member's own page uses ``member_update_own``, which never
    changes the address at once."""
    problems = _check_details(member.academy, details)
    email = normalise_email(details.email)
    if (not problems.get("email") and Member.objects.filter(academy=member.academy, email=email)
            .exclude(pk=member.pk).exists()):
        problems["email"] = "Another member uses this email address"
    if exchange_sectors and any(s not in Sector.values for s in exchange_sectors):
        problems["exchange_sectors"] = "Choose sectors from the list"
    if problems:
        raise ValidationError(problems)
    _apply(member, details)
    if exchange_opt_in is not None:
        member.exchange_opt_in = exchange_opt_in
    if exchange_sectors is not None:
        member.exchange_sectors = list(exchange_sectors)
    member.save()
    return member


# A member's new address is confirmed from a link emailed to it (django.core.signing: the
# member, a keyed hash of the address they have now, and the new address; two days).
EMAIL_CHANGE_SALT = "tracelead.academy.email-change"
EMAIL_CHANGE_DAYS = 2
CHECK_IN_LINK_SALT = "tracelead.academy.check-in-link"


def _address_fingerprint(purpose: str, email: str) -> str:
    """A keyed hash of an address for a signed link: the link's text can be read by
    whoever holds it, so it never carries a member's address in the clear, and a link made
    for one address stops working once the member's address changes."""
    return salted_hmac(purpose, email or "").hexdigest()[:32]


@transaction.atomic
def member_update_own(*, member: Member, details: MemberDetails,
                      exchange_opt_in: bool | None = None,
                      exchange_sectors: list[str] | None = None) -> str | None:
    """A member changes their details on their own page. Everything but the address is
    saved at once; a new address is not: a link to confirm it is emailed to the new
    address (and a short notice to the old one), and the address changes when the link is
    opened (``member_email_confirm``). The same happens whether or not another member has
    the new address, so this page never tells anyone who is a member.

    Returns the new address a link was sent to, or None if the address did not change.
    """
    problems = _check_details(member.academy, details)
    if exchange_sectors and any(s not in Sector.values for s in exchange_sectors):
        problems["exchange_sectors"] = "Choose sectors from the list"
    if problems:
        raise ValidationError(problems)
    new_email = normalise_email(details.email)
    member_update(member=member, details=replace(details, email=member.email or ""),
                  exchange_opt_in=exchange_opt_in, exchange_sectors=exchange_sectors)
    if new_email == member.email:
        return None
    _send_email_change(member, new_email)
    return new_email


def _send_email_change(member: Member, new_email: str) -> None:
    from tracelead.messaging.services import notice_queue

    academy = member.academy
    value = signing.dumps({"m": member.pk, "e": new_email,
                           "o": _address_fingerprint(EMAIL_CHANGE_SALT, member.email or "")},
                          salt=EMAIL_CHANGE_SALT, compress=True)
    url = (settings.TRACELEAD_SITE_URL.rstrip("/")
           + reverse("academy_member_email_confirm", args=[value]))
    notice_queue(
        to=[new_email],
        subject=f"Confirm your new email address for {academy.name}",
        body=(f"Someone asked to use this address for their membership of {academy.name}. "
              "If it was you, open this link within two days to make it the address the "
              f"academy uses for you:\n\n{url}\n\nIf it was not you, ignore this email: "
              "nothing changes.\n"),
    )
    notice_queue(
        to=[member.email or ""],
        subject=f"Your email address at {academy.name}",
        body=(f"Someone asked on your own page to change the email address of your "
              f"membership of {academy.name} to {new_email}. It changes only if the link we "
              "sent to that address is opened within two days.\n\nIf it was not you, "
              "someone else has your personal link: ask for a new one on the academy's "
              "sign-up page (“Already a member?”) and open it, and the old link stops "
              "working.\n"),
    )


@dataclass(frozen=True)
class EmailChange:
    """What opening a link to confirm a new address did: ``changed``, ``unchanged`` (the
    address is already this one), ``taken`` (another member has it; nothing changed) or
    ``invalid`` (a wrong or expired link, or one made before the address last changed)."""

    outcome: str
    member: Member | None = None
    email: str = ""


@transaction.atomic
def member_email_confirm(*, signed: str) -> EmailChange:
    """Make a member's address the one in a link from ``member_update_own``, if no other
    member has it. Whoever opens the link controls that address, so saying that it is
    taken tells them nothing new."""
    if not signed or len(signed) > 1000:
        return EmailChange("invalid")
    try:
        data = signing.loads(signed, salt=EMAIL_CHANGE_SALT,
                             max_age=dt.timedelta(days=EMAIL_CHANGE_DAYS))
        member_pk, email, old = int(data["m"]), normalise_email(str(data["e"])), str(data["o"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return EmailChange("invalid")
    member = (Member.objects.select_for_update().select_related("academy")
              .filter(pk=member_pk, left_at__isnull=True).first())
    if member is None:
        return EmailChange("invalid")
    if member.email == email:
        return EmailChange("unchanged", member, email)
    if not constant_time_compare(
            _address_fingerprint(EMAIL_CHANGE_SALT, member.email or ""), old):
        return EmailChange("invalid")
    if Member.objects.filter(academy_id=member.academy_id, email=email).exists():
        return EmailChange("taken", member, email)
    member.email = email
    try:
        with transaction.atomic():
            member.save(update_fields=["email", "updated_at"])
    except IntegrityError:
        return EmailChange("taken", member, email)
    return EmailChange("changed", member, email)


def _forget_mail(member: Member) -> None:
    """Email to a member who leaves: unsent messages are dropped (they carry the link or
    the partner's name) and sent ones lose the address, so the outbox keeps no trace of
    who they were."""
    from tracelead.messaging.models import OutboxMessage

    if not member.email:
        return
    # The academy's own messages (the subjects written in this module), not other mail
    # the same address may get, as a facilitator or in another academy.
    academy_mail = (Q(subject__contains=member.academy.name)
                    | Q(subject__startswith="You have a place at ")
                    | Q(subject__endswith=" is cancelled"))
    addressed = OutboxMessage.objects.filter(academy_mail, to__iexact=member.email,
                                             assessment__isnull=True, invitee__isnull=True)
    addressed.filter(status=OutboxMessage.Status.PENDING).delete()
    addressed.update(to="", body="")


@transaction.atomic
def member_leave(*, member: Member, now: dt.datetime | None = None) -> None:
    """Erase what identifies the member and give up their future places.

    Kept: the organisation and sector (counts of reach and attendance already reported do
    not change), past check-ins and the dates. Gone: name, address, link, profession,
    place, level, exchange wishes, and their reflections on exchange visits.
    """
    from .models import ExchangeVisit

    now = now or timezone.now()
    for registration in Registration.objects.filter(
            member=member, event__starts_at__gt=now,
            status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING]):
        registration_cancel(registration=registration, now=now)
    # A visit's reflection is its visitor's: the member's are those of visits of their
    # pairs that the partner hosted. The partner's own reflections stay theirs.
    mine = Q(pair__first=member) | Q(pair__second=member)
    ExchangeVisit.objects.filter(mine).exclude(host=member).update(reflection="")
    _forget_mail(member)
    member.name = ""
    member.email = None
    member.token_hash = None
    member.pending_token_hash = None
    member.staff_group = ""
    member.place = ""
    member.level = ""
    member.exchange_opt_in = False
    member.exchange_sectors = []
    member.left_at = now
    member.save()
    from tracelead.core.storage import forget_deleted_rows

    forget_deleted_rows()


# --- Events -------------------------------------------------------------------------


def event_code_unique() -> str:
    for _ in range(20):
        code = new_event_code()
        if not Event.objects.filter(code=code).exists():
            return code
    raise RuntimeError("could not find a free event code")  # 31^6 codes: never in practice


def _check_event(fields: dict[str, Any]) -> None:
    starts, ends = fields.get("starts_at"), fields.get("ends_at")
    if starts and ends and ends <= starts:
        raise ValidationError({"ends_at": "The end must be after the start"})


@transaction.atomic
def event_create(*, academy: Academy, characteristics: Any = (), **fields: Any) -> Event:
    _check_event(fields)
    programme = fields.get("programme")
    if programme is not None and programme.academy_id != academy.pk:
        raise ValidationError({"programme": "Choose a programme of this academy"})
    event = Event.objects.create(academy=academy, code=event_code_unique(), **fields)
    event.characteristics.set(list(characteristics))
    return event


@transaction.atomic
def event_update(*, event: Event, characteristics: Any = None, **fields: Any) -> Event:
    _check_event(fields)
    locked = Event.objects.select_for_update().get(pk=event.pk)
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save()
    if characteristics is not None:
        locked.characteristics.set(list(characteristics))
    # A larger capacity lets people in from the waiting list.
    _fill_from_waiting_list(locked)
    return locked


@transaction.atomic
def effort_add(*, event: Event, kind: str, hours: Decimal, note: str = "") -> Effort:
    effort = Effort(event=event, kind=kind, hours=hours, note=note)
    effort.full_clean()
    effort.save()
    return effort


@transaction.atomic
def effort_remove(*, effort: Effort) -> None:
    effort.delete()


@transaction.atomic
def event_cancel(*, event: Event, now: dt.datetime | None = None) -> Event:
    """Cancel an event: nobody can book or check in any more, and everyone holding a
    place or waiting for one is told by email. Registrations are kept, as history."""
    from tracelead.messaging.services import notice_queue

    locked = Event.objects.select_for_update().get(pk=event.pk)
    if locked.cancelled_at is not None:
        return locked
    locked.cancelled_at = now or timezone.now()
    locked.save(update_fields=["cancelled_at"])
    when = timezone.localtime(locked.starts_at).strftime("%-d %B %Y at %H:%M")
    addresses = Registration.objects.filter(
        event=locked, status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING],
        member__left_at__isnull=True).values_list("member__email", flat=True)
    notice_queue(to=[a for a in addresses if a], subject=f"{locked.title} is cancelled",
                 body=(f"{locked.title}, planned for {when}, will not take place. You do not "
                       "need to do anything. We are sorry for the change of plan.\n"))
    return locked


# --- Programmes -----------------------------------------------------------------------


@transaction.atomic
def programme_save(*, academy: Academy, offer: Offer, name: str, purpose: str = "",
                   faculty: str = "", programme: Programme | None = None) -> Programme:
    """Create a programme under an offer, or change ``programme``."""
    name = name.strip()
    if offer.academy_id != academy.pk:
        raise ValidationError({"offer": "Choose one of the academy's offers"})
    taken = Programme.objects.filter(academy=academy, name__iexact=name)
    if programme is not None:
        taken = taken.exclude(pk=programme.pk)
    if taken.exists():
        raise ValidationError({"name": "The academy already has a programme with this name"})
    row = programme or Programme(academy=academy)
    row.offer, row.name, row.purpose, row.faculty = offer, name, purpose, faculty
    row.save()
    return row


@transaction.atomic
def programme_enrol(*, programme: Programme, member: Member) -> bool:
    """Enrol a member; returns whether they were not enrolled already."""
    if member.academy_id != programme.academy_id or member.left_at is not None:
        raise ValidationError("This member is not in the programme's academy.")
    _, created = Enrolment.objects.get_or_create(programme=programme, member=member)
    return created


@transaction.atomic
def programme_unenrol(*, programme: Programme, member: Member) -> bool:
    deleted, _ = Enrolment.objects.filter(programme=programme, member=member).delete()
    return bool(deleted)


# --- Registration and the waiting list ------------------------------------------------


class RegistrationClosed(Exception):
    """The event has started, or was cancelled."""


def _confirmed_count(event: Event) -> int:
    return Registration.objects.filter(event=event, status=RegistrationStatus.CONFIRMED).count()


def _notify_place(registration: Registration) -> None:
    from tracelead.messaging.services import notice_queue

    event = registration.event
    when = timezone.localtime(event.starts_at).strftime("%-d %B %Y at %H:%M")
    notice_queue(to=[registration.member.email or ""],
                 subject=f"You have a place at {event.title}",
                 body=(f"A place came free at {event.title} on {when}, and it is yours. "
                       "If you cannot come after all, cancel on your own page so that "
                       "the next person can have it.\n"))


def _fill_from_waiting_list(event: Event) -> list[Registration]:
    """Confirm people from the waiting list, first come first served, while places are
    free. The caller holds the event's row lock. A cancelled or started event lets
    nobody in (editing a past event must not email people about it)."""
    promoted: list[Registration] = []
    if event.cancelled_at is not None or event.starts_at <= timezone.now():
        return promoted
    free = None if event.capacity is None else event.capacity - _confirmed_count(event)
    waiting = Registration.objects.filter(event=event, status=RegistrationStatus.WAITING
                                          ).select_related("member", "event")
    for registration in waiting.order_by("created_at", "id"):
        if free is not None and free <= 0:
            break
        registration.status = RegistrationStatus.CONFIRMED
        registration.save(update_fields=["status", "updated_at"])
        _notify_place(registration)
        promoted.append(registration)
        if free is not None:
            free -= 1
    return promoted


@transaction.atomic
def registration_create(*, event: Event, member: Member,
                        now: dt.datetime | None = None) -> Registration:
    """Book a place, or a place on the waiting list when the event is full.

    The event's row is locked for the count and the insert, so simultaneous bookings for
    the last places confirm exactly as many as there are places (SQLite's IMMEDIATE
    transactions serialise the same way).
    """
    now = now or timezone.now()
    locked = Event.objects.select_for_update().get(pk=event.pk)
    if locked.cancelled_at is not None or locked.starts_at <= now:
        raise RegistrationClosed
    if member.academy_id != locked.academy_id or member.left_at is not None:
        raise ValidationError("This member is not in the event's academy.")
    full = locked.capacity is not None and _confirmed_count(locked) >= locked.capacity
    status = RegistrationStatus.WAITING if full else RegistrationStatus.CONFIRMED
    registration = Registration.objects.filter(event=locked, member=member).first()
    if registration is None:
        registration = Registration.objects.create(event=locked, member=member, status=status)
    elif registration.status == RegistrationStatus.CANCELLED:
        # Booking again after cancelling joins the end of the line.
        registration.status = status
        registration.created_at = now
        registration.save(update_fields=["status", "created_at", "updated_at"])
    return registration


@transaction.atomic
def registration_cancel(*, registration: Registration,
                        now: dt.datetime | None = None) -> list[Registration]:
    """Cancel a booking; a confirmed place goes to the next in line, who is told by email.
    Returns the registrations that were confirmed from the waiting list."""
    locked_event = Event.objects.select_for_update().get(pk=registration.event_id)
    current = Registration.objects.select_for_update().get(pk=registration.pk)
    if current.status == RegistrationStatus.CANCELLED:
        return []
    was_confirmed = current.status == RegistrationStatus.CONFIRMED
    current.status = RegistrationStatus.CANCELLED
    current.save(update_fields=["status", "updated_at"])
    registration.status = current.status
    now = now or timezone.now()
    if was_confirmed and locked_event.starts_at > now:
        return _fill_from_waiting_list(locked_event)
    return []


# --- Check-in -------------------------------------------------------------------------

# Members can check themselves in from this long before the start until the end of the
# (local) day the event ends; the facilitator's list opens at the same time and stays open,
# so that attendance taken on paper can be entered afterwards.
CHECK_IN_OPENS_BEFORE = dt.timedelta(hours=2)


class CheckInClosed(Exception):
    """The event was cancelled: nobody can check in."""


def check_in_window(event: Event) -> tuple[dt.datetime, dt.datetime]:
    """When members can check themselves in: (opens, closes), closes excluded."""
    last_day = timezone.localtime(event.ends_at).date()
    closes = timezone.make_aware(dt.datetime.combine(last_day + dt.timedelta(days=1),
                                                     dt.time()))
    return event.starts_at - CHECK_IN_OPENS_BEFORE, closes


@transaction.atomic
def check_in_link_send(*, event: Event, email: str) -> bool:
    """Email a link to check in to the event if the address is a member's of its academy;
    nothing happens for any other address. The check-in page says the same either way
    (never the returned flag), so it tells nobody who is a member, and typing someone's
    address checks nobody in: only opening the emailed link does (``check_in_link_member``).

    The link names the member and the event, signed, and works while check-in is open; it
    stops if the member's address changes or they leave."""
    from tracelead.messaging.services import notice_queue

    member = Member.objects.filter(academy_id=event.academy_id, left_at__isnull=True,
                                   email=normalise_email(email)).first()
    if member is None or not member.email:
        return False
    value = signing.dumps({"m": member.pk, "e": event.pk,
                           "a": _address_fingerprint(CHECK_IN_LINK_SALT, member.email)},
                          salt=CHECK_IN_LINK_SALT)
    url = (settings.TRACELEAD_SITE_URL.rstrip("/")
           + reverse("academy_checkin_link", args=[event.code, value]))
    # In the language of the check-in page (offered in Welsh); the academy's name stays in
    # the subject, as member_erase finds its emails by it.
    remembered = (" " + gettext("It also lets that phone check you in with one tap next time.")
                  if member.token_hash else "")
    names = {"event": event.title, "academy": event.academy.name}
    notice_queue(
        to=[member.email],
        subject=gettext("Check in to %(event)s – %(academy)s") % names,
        body=(gettext("Someone at %(event)s asked for a link to check in with this address. "
                      "To check in, open this link on your phone:") % names
              + f"\n\n{url}\n\n"
              + gettext("It works until check-in closes at the end of the day of the event.")
              + f"{remembered}\n\n"
              + gettext("If it was not you, ignore this email: nobody is checked in until the "
                        "link is opened.")
              + "\n"),
    )
    return True


def check_in_link_member(*, event: Event, signed: str) -> Member | None:
    """The member a link from ``check_in_link_send`` was made for, if it was made for this
    event and the member is still in the academy with the same address."""
    if not signed or len(signed) > 500:
        return None
    try:
        data = signing.loads(signed, salt=CHECK_IN_LINK_SALT)
        member_pk, event_pk, address = int(data["m"]), int(data["e"]), str(data["a"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if event_pk != event.pk:
        return None
    member = (Member.objects.select_related("organisation")
              .filter(pk=member_pk, academy_id=event.academy_id, left_at__isnull=True).first())
    if member is None or not member.email or not constant_time_compare(
            _address_fingerprint(CHECK_IN_LINK_SALT, member.email), address):
        return None
    return member


@transaction.atomic
def check_in(*, event: Event, member: Member, method: str,
             now: dt.datetime | None = None) -> tuple[CheckIn, bool]:
    """Record that a member came to an event; doing it twice records it once. Returns the
    check-in and whether it is new."""
    if member.academy_id != event.academy_id or member.left_at is not None:
        raise ValidationError("This member is not in the event's academy.")
    if event.cancelled_at is not None:
        raise CheckInClosed
    if method not in CheckInMethod.values:
        raise ValueError(f"method must be one of {', '.join(CheckInMethod.values)}")
    existing = CheckIn.objects.filter(event=event, member=member).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            row = CheckIn.objects.create(event=event, member=member, method=method,
                                         at=now or timezone.now())
    except IntegrityError:
        return CheckIn.objects.get(event=event, member=member), False
    return row, True


@transaction.atomic
def check_in_undo(*, event: Event, member: Member) -> bool:
    """Untick a member on the facilitator's list (a tick made by mistake)."""
    deleted, _ = CheckIn.objects.filter(event=event, member=member).delete()
    return bool(deleted)


@transaction.atomic
def walk_in(*, event: Event, details: MemberDetails, consent: bool,
            now: dt.datetime | None = None) -> CheckIn:
    """Add someone at the door: an existing member by address, or a new member (who agrees
    to the academy keeping their details), then check them in."""
    academy = event.academy
    member = Member.objects.filter(academy=academy, email=normalise_email(details.email),
                                   left_at__isnull=True).first()
    if member is None:
        problems = _new_member_problems(
            academy, details, consent=consent,
            consent_message="Confirm that the person agrees to the academy keeping these "
                            "details")
        if problems:
            raise ValidationError(problems)
        now = now or timezone.now()
        # None: the same walk-in added twice at once (a double tap), so one member.
        member = _new_member(academy, details, now) or Member.objects.get(
            academy=academy, email=normalise_email(details.email))
    row, _ = check_in(event=event, member=member, method=CheckInMethod.WALK_IN, now=now)
    return row


# --- The exchange ---------------------------------------------------------------------
# Pairing is proposed, looked at, then confirmed: the proposal is kept on the round (member
# ids only), with a fingerprint of everything it was computed from, so that confirming
# never makes pairs other than those the facilitator saw.

EXCHANGE_MAX_SEED = 2**31 - 1
EXCHANGE_REFLECTION_MAX = 2000


def exchange_candidate(member: Member) -> Candidate:
    """What the pairing needs to know about a member (analysis.exchange.Candidate)."""
    return Candidate(id=member.pk,
                     organisation=organisation_key(member.organisation_id,
                                                   member.organisation_name),
                     sector=member.sector, staff_group=member.staff_group,
                     wishes=frozenset(s for s in member.exchange_sectors or [] if s))


def exchange_taking_part(exchange_round: ExchangeRound) -> list[Member]:
    """Members in the round: opted in, not left, not left out of it by a facilitator."""
    return list(Member.objects.filter(academy_id=exchange_round.academy_id,
                                      exchange_opt_in=True, left_at__isnull=True)
                .exclude(pk__in=[int(i) for i in exchange_round.left_out or []])
                .select_related("organisation").order_by("pk"))


def exchange_past_pairs(academy_id: int) -> list[tuple[int, int]]:
    return [(a, b) for a, b in ExchangePair.objects.filter(academy_id=academy_id)
            .values_list("first_id", "second_id")]


def _exchange_fingerprint(candidates: list[Candidate], past: list[tuple[int, int]],
                          seed: int) -> str:
    rows = [[c.id, c.organisation, c.sector, c.staff_group, sorted(c.wishes)]
            for c in sorted(candidates, key=lambda c: c.id)]
    text = json.dumps([rows, sorted(past), seed], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def exchange_proposal_current(exchange_round: ExchangeRound,
                              taking_part: list[Member] | None = None) -> bool:
    """Whether the round's proposed pairing was computed from the data as it is now."""
    if taking_part is None:
        taking_part = exchange_taking_part(exchange_round)
    candidates = [exchange_candidate(m) for m in taking_part]
    past = exchange_past_pairs(exchange_round.academy_id)
    fingerprint = _exchange_fingerprint(candidates, past, exchange_round.seed)
    return bool(exchange_round.proposal) and fingerprint == exchange_round.proposal.get(
        "fingerprint")


@transaction.atomic
def exchange_round_create(*, academy: Academy, name: str) -> ExchangeRound:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Enter a name for the round"})
    if ExchangeRound.objects.filter(academy=academy, name__iexact=name).exists():
        raise ValidationError({"name": "The academy already has a round with this name"})
    return ExchangeRound.objects.create(academy=academy, name=name)


def _open_round(exchange_round: ExchangeRound) -> ExchangeRound:
    locked = ExchangeRound.objects.select_for_update().get(pk=exchange_round.pk)
    if locked.confirmed_at is not None:
        raise ValidationError("The pairs of this round are confirmed, so they cannot change. "
                              "Start a new round to pair people again.")
    return locked


# The matching takes time growing with the cube of the people in a round (about 1 s for
# 200 and 3 to 6 s for 400 on two cores); the pairing runs while the facilitator waits.
EXCHANGE_MAX_PEOPLE = 300


def _propose(locked: ExchangeRound, seed: int, now: dt.datetime) -> Pairing:
    candidates = [exchange_candidate(m) for m in exchange_taking_part(locked)]
    if len(candidates) > EXCHANGE_MAX_PEOPLE:
        raise ValidationError(
            f"{len(candidates)} people take part in this round; a round pairs up to "
            f"{EXCHANGE_MAX_PEOPLE}. Leave some out for a later round, or run one round a "
            "place.")
    past = exchange_past_pairs(locked.academy_id)
    pairing = pair_members(candidates, past_pairs=past, seed=seed)
    locked.seed = seed
    locked.proposal = {
        "pairs": [[p.first, p.second] for p in pairing.pairs],
        "unpaired": [[u.id, u.reason] for u in pairing.unpaired],
        "fingerprint": _exchange_fingerprint(candidates, past, seed),
    }
    locked.proposed_at = now
    locked.save(update_fields=["seed", "proposal", "proposed_at"])
    return pairing


def _copy_round(source: ExchangeRound, target: ExchangeRound) -> None:
    for name in ("seed", "left_out", "proposal", "proposed_at", "confirmed_at"):
        setattr(target, name, getattr(source, name))


@transaction.atomic
def exchange_round_pair(*, exchange_round: ExchangeRound, seed: int | None = None,
                        now: dt.datetime | None = None) -> Pairing:
    """Propose the round's pairs (see analysis.exchange.pair_members) and keep the
    proposal on the round until a facilitator confirms it. Without ``seed``, the round's
    last seed is used; the same seed on the same people gives the same pairs."""
    locked = _open_round(exchange_round)
    seed = locked.seed if seed is None else seed
    if isinstance(seed, bool) or not 0 <= seed <= EXCHANGE_MAX_SEED:
        raise ValidationError({"seed": f"Enter a whole number from 0 to {EXCHANGE_MAX_SEED}"})
    pairing = _propose(locked, seed, now or timezone.now())
    _copy_round(locked, exchange_round)
    return pairing


@transaction.atomic
def exchange_round_leave_out(*, exchange_round: ExchangeRound, member: Member,
                             left_out: bool = True, now: dt.datetime | None = None) -> None:
    """Leave a member out of the round (or put them back); a pairing already proposed is
    run again with the same seed, so what is shown stays what would be confirmed."""
    locked = _open_round(exchange_round)
    if member.academy_id != locked.academy_id:
        raise ValidationError("This member is not in the round's academy.")
    ids = {int(i) for i in locked.left_out or []}
    ids = ids | {member.pk} if left_out else ids - {member.pk}
    locked.left_out = sorted(ids)
    locked.save(update_fields=["left_out"])
    if locked.proposal:
        _propose(locked, locked.seed, now or timezone.now())
    _copy_round(locked, exchange_round)


@transaction.atomic
def exchange_round_confirm(*, exchange_round: ExchangeRound,
                           now: dt.datetime | None = None) -> list[ExchangePair]:
    """Make the proposed pairs, exactly as shown, and email each member their partner's
    name and organisation. Refused (nothing changes) if anything the pairing was computed
    from has changed since: who takes part, their details and wishes, or pairs made in
    another round meanwhile."""
    from tracelead.messaging.services import notice_queue

    # One confirmation at a time per academy: pairs of two rounds cannot collide.
    Academy.objects.select_for_update().filter(pk=exchange_round.academy_id).first()
    locked = _open_round(exchange_round)
    proposal = locked.proposal or {}
    if "pairs" not in proposal:
        raise ValidationError("Run the pairing first, then confirm it.")
    if not proposal["pairs"]:
        raise ValidationError("The pairing made no pairs, so there is nothing to confirm.")
    members = {m.pk: m for m in exchange_taking_part(locked)}
    if not exchange_proposal_current(locked, list(members.values())):
        raise ValidationError(
            "Something changed since this pairing was shown (someone joined or left the "
            "exchange, changed their details or wishes, or was paired in another round). "
            "Run the pairing again and check it before confirming.")
    now = now or timezone.now()
    pairs = [ExchangePair(round=locked, academy_id=locked.academy_id, first_id=a, second_id=b)
             for a, b in proposal["pairs"]]
    try:
        with transaction.atomic():
            created = ExchangePair.objects.bulk_create(pairs)
    except IntegrityError:
        raise ValidationError("One of these pairs was made before. Run the pairing again."
                              ) from None
    locked.confirmed_at = now
    locked.save(update_fields=["confirmed_at"])
    _copy_round(locked, exchange_round)
    academy = locked.academy
    for a, b in proposal["pairs"]:
        for member, partner in ((members[a], members[b]), (members[b], members[a])):
            notice_queue(
                to=[member.email or ""],
                subject=f"Your partner in the {academy.name} exchange",
                body=(f"You are paired with {partner.name} of {partner.organisation_label} "
                      f"for {locked.name}, the academy's exchange of shadowing visits across "
                      "organisations.\n\nArrange to spend some time in each other's work; "
                      "the academy's facilitators can put you in touch. Afterwards, record "
                      "the visit and a few lines on what you learned on your own page (the "
                      "link in your welcome email), under “The exchange”.\n"),
            )
    return created


def exchange_visit_count(pairs: Any) -> int:
    """Visits recorded: one per pair, host and day, however many reflections it has."""
    return (ExchangeVisit.objects.filter(pair__in=pairs)
            .values("pair_id", "host_id", "visited_on").distinct().count())


@transaction.atomic
def exchange_visit_record(*, pair: ExchangePair, host: Member, visited_on: dt.date,
                          reflection: str = "", today: dt.date | None = None
                          ) -> ExchangeVisit:
    """Record that a visit happened: who hosted, on which day, with a short reflection.

    The same visit recorded again (same host and day) adds its reflection to the first
    record if that had none, and is otherwise kept as a second reflection on it.
    """
    today = today or timezone.localdate()
    reflection = reflection.strip()
    problems: dict[str, str] = {}
    if host.pk not in (pair.first_id, pair.second_id):
        problems["host"] = "Choose one of the two people of the pair as the host"
    if visited_on > today:
        problems["visited_on"] = "The date of the visit must be today or in the past"
    elif visited_on < timezone.localdate(pair.created_at):
        problems["visited_on"] = ("The date of the visit must be on or after the day the "
                                  "pair was made, "
                                  f"{timezone.localdate(pair.created_at):%-d %B %Y}")
    if len(reflection) > EXCHANGE_REFLECTION_MAX:
        problems["reflection"] = (f"Keep the reflection to {EXCHANGE_REFLECTION_MAX:,} "
                                  "characters or fewer")
    if problems:
        raise ValidationError(problems)
    same = ExchangeVisit.objects.select_for_update().filter(
        pair=pair, host=host, visited_on=visited_on).order_by("id")
    blank = same.filter(reflection="").first()
    if blank is not None:
        blank.reflection = reflection
        blank.save(update_fields=["reflection"])
        return blank
    existing = same.first()
    if existing is not None and (not reflection or existing.reflection == reflection):
        return existing
    return ExchangeVisit.objects.create(pair=pair, host=host, visited_on=visited_on,
                                        reflection=reflection)
