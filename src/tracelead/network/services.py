"""Every change to connections. Keyword-only functions named ``connection_<action>``; bad
input raises ``ValidationError`` (by field) and changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tracelead.academy.models import Academy, CheckIn, Event, Member

from .models import Connection, ConnectionKind, ConnectionSource

# A member records at most this many ties in one go (a room of people met, say).
MAX_AT_ONCE = 200


def _pair(a: Member, b: Member) -> tuple[Member, Member]:
    return (a, b) if a.pk < b.pk else (b, a)


def _save(*, academy: Academy, a: Member, b: Member, kind: str, on: dt.date,
          event: Event | None, source: str, recorded_by: Member | None,
          created_by: Any) -> bool:
    """One tie, once: True if it was new (a tie already recorded is left as it was)."""
    first, second = _pair(a, b)
    exists = Connection.objects.filter(first=first, second=second, kind=kind,
                                       event=event)
    if exists.exists():
        return False
    try:
        with transaction.atomic():
            Connection.objects.create(academy=academy, first=first, second=second, kind=kind,
                                      event=event, on=on, source=source,
                                      recorded_by=recorded_by, created_by=created_by)
    except IntegrityError:  # recorded by the other person at the same moment
        return False
    return True


def _others(academy: Academy, member: Member, others: Iterable[Member]) -> list[Member]:
    people = list({o.pk: o for o in others}.values())
    if len(people) > MAX_AT_ONCE:
        raise ValidationError({"people": f"Choose at most {MAX_AT_ONCE} people at a time"})
    for other in people:
        if other.academy_id != academy.pk or other.left_at is not None:
            raise ValidationError({"people": "Choose people who are members of the academy"})
        if other.pk == member.pk:
            raise ValidationError({"people": "You cannot record a connection with yourself"})
    return people


@transaction.atomic
def connection_knew(*, member: Member, others: Iterable[Member]) -> int:
    """The member already knew these people (from before joining): dated the day the
    later of the two joined. Returns how many ties were new."""
    academy = member.academy
    added = 0
    for other in _others(academy, member, others):
        on = timezone.localdate(max(member.joined_at, other.joined_at))
        added += _save(academy=academy, a=member, b=other, kind=ConnectionKind.KNEW, on=on,
                       event=None, source=ConnectionSource.MEMBER, recorded_by=member,
                       created_by=None)
    return added


@transaction.atomic
def connection_met(*, member: Member, event: Event, others: Iterable[Member]) -> int:
    """Who the member met at an event: both must have checked in there."""
    academy = member.academy
    if event.academy_id != academy.pk:
        raise ValidationError({"people": "That event is not one of this academy's"})
    people = _others(academy, member, others)
    came = set(CheckIn.objects.filter(event=event, member__in=[member, *people])
               .values_list("member_id", flat=True))
    if member.pk not in came:
        raise ValidationError({"people": "Only people who checked in at the event can say "
                               "whom they met there"})
    if any(p.pk not in came for p in people):
        raise ValidationError({"people": "Choose people who checked in at this event"})
    on = timezone.localdate(event.starts_at)
    return sum(_save(academy=academy, a=member, b=other, kind=ConnectionKind.MET, on=on,
                     event=event, source=ConnectionSource.MEMBER, recorded_by=member,
                     created_by=None) for other in people)


@transaction.atomic
def connection_worked(*, member: Member, other: Member, on: dt.date | None = None) -> bool:
    """A tie that became joint work. Only with someone the member is already connected
    to (knew, or met), dated today unless said."""
    academy = member.academy
    [other] = _others(academy, member, [other])
    first, second = _pair(member, other)
    if not Connection.objects.filter(first=first, second=second).exists():
        raise ValidationError({"people": "Record first that you know this person, or met "
                               "them at an event"})
    day = on or timezone.localdate()
    if day > timezone.localdate():
        raise ValidationError({"on": "The date cannot be in the future"})
    both_joined = timezone.localdate(max(member.joined_at, other.joined_at))
    if day < both_joined:
        raise ValidationError({"on": "The date cannot be before you were both members of "
                               "the academy (" + both_joined.strftime("%-d %B %Y") + ")"})
    return _save(academy=academy, a=member, b=other, kind=ConnectionKind.WORKED, on=day,
                 event=None, source=ConnectionSource.MEMBER, recorded_by=member,
                 created_by=None)


@transaction.atomic
def connection_remove(*, member: Member, connection: Connection) -> None:
    """A member takes back a tie they recorded (ties others recorded stay theirs)."""
    if connection.recorded_by_id != member.pk:
        raise ValidationError({"people": "You can only remove connections you recorded"})
    connection.delete()


@transaction.atomic
def connection_add(*, academy: Academy, a: Member, b: Member, kind: str, on: dt.date,
                   event: Event | None = None, source: str = ConnectionSource.FACILITATOR,
                   created_by: Any = None) -> bool:
    """A facilitator's tie (one at a time, or each row of an import)."""
    if kind not in ConnectionKind.values:
        raise ValidationError({"kind": "Choose knew, met or worked"})
    if a.academy_id != academy.pk or b.academy_id != academy.pk:
        raise ValidationError({"people": "Both people must be members of the academy"})
    if a.pk == b.pk:
        raise ValidationError({"people": "A connection needs two different people"})
    if kind == ConnectionKind.MET and event is None:
        raise ValidationError({"event": "Say at which event they met"})
    if kind != ConnectionKind.MET:
        event = None
    return _save(academy=academy, a=a, b=b, kind=kind, on=on, event=event, source=source,
                 recorded_by=None, created_by=created_by)
