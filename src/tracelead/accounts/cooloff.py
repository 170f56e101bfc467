"""A cool-off after failed sign-ins that grows with the failures, per account and address.

Replaces a permanent lock, which let anyone who knew a username lock its holder out until
an administrator acted. Failures are counted for the account name (as Django compares it,
case-folded: ``tracelead.core.throttles.account_key``) and for the client address, each
with its own limit (the address's is higher: NHS staff share outgoing addresses). Past a
limit ``L``, failure number ``f`` makes the next try wait

    wait(f) = min(first * 2 ** (f - L), longest)     (f >= L)

so a few typing mistakes cost nothing, a guesser's rate falls off exponentially, and a
spiteful insider can hold an account back at most ``longest`` at a time (each further
try has to wait too: tries made during a wait are refused before the password is checked
and are not counted). Failures are forgotten a day after the last one and an account's
count is cleared by a successful sign-in (an address's is not, or an attacker could clear
it by signing in to their own account). The account holder is emailed when a wait first
begins. Deleting the row (Django admin, ``tracelead unlock``) lifts a wait at once.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from tracelead.core.throttles import account_key

from .models import SignInFailures

log = logging.getLogger(__name__)
FORGET_AFTER = dt.timedelta(days=1)
Kind = SignInFailures.Kind


def wait_until(*, username: str, address: str) -> dt.datetime | None:
    """When a sign-in with this name from this address may next be tried (None: now)."""
    now = timezone.now()
    found: dt.datetime | None = SignInFailures.objects.filter(
        Q(kind=Kind.ACCOUNT, key=account_key(username)) | Q(kind=Kind.ADDRESS, key=address),
        wait_until__gt=now,
    ).aggregate(until=Max("wait_until"))["until"]
    return found


def _wait(failures: int, limit: int) -> dt.timedelta | None:
    if failures < limit:
        return None
    first = settings.TRACELEAD_LOCKOUT_MINUTES
    longest = settings.TRACELEAD_LOCKOUT_MAX_MINUTES
    # Cap the exponent before raising 2 to it: failures can run into the thousands.
    minutes = min(first * 2 ** min(failures - limit, 32), longest)
    return dt.timedelta(minutes=minutes)


def _count(kind: str, key: str, limit: int, now: dt.datetime) -> SignInFailures:
    for attempt in range(2):
        try:
            with transaction.atomic():
                row, created = SignInFailures.objects.select_for_update().get_or_create(
                    kind=kind, key=key, defaults={"last_failure_at": now}
                )
                if not created and now - row.last_failure_at > FORGET_AFTER:
                    row.failures, row.wait_until, row.notified_at = 0, None, None
                row.failures += 1
                row.last_failure_at = now
                wait = _wait(row.failures, limit)
                if wait is not None:
                    row.wait_until = now + wait
                row.save()
                return row
        except IntegrityError:  # another request created the row first: count on it
            if attempt:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def sign_in_failed(*, username: str, address: str) -> None:
    """Count one failed sign-in against the account name and the client address."""
    now = timezone.now()
    _count(Kind.ADDRESS, address, settings.TRACELEAD_ADDRESS_LOCKOUT_FAILURES, now)
    if not username.strip():
        return
    row = _count(Kind.ACCOUNT, account_key(username), settings.TRACELEAD_LOCKOUT_FAILURES, now)
    if row.wait_until is not None and row.notified_at is None:
        updated = SignInFailures.objects.filter(pk=row.pk, notified_at__isnull=True).update(
            notified_at=now
        )
        if updated:  # exactly one request tells the holder
            _tell_holder(username, row)


def sign_in_succeeded(*, username: str) -> None:
    SignInFailures.objects.filter(kind=Kind.ACCOUNT, key=account_key(username)).delete()


def unlock(*, username: str = "", address: str = "") -> int:
    """Lift the waits of an account name and/or an address; returns how many were lifted."""
    query = Q(pk__in=[])
    if username:
        query |= Q(kind=Kind.ACCOUNT, key=account_key(username))
    if address:
        query |= Q(kind=Kind.ADDRESS, key=address.strip())
    return SignInFailures.objects.filter(query).delete()[0]


def _tell_holder(username: str, row: SignInFailures) -> None:
    """Email the account's holder, if the name is a real account with an address."""
    user_model = get_user_model()
    name = user_model.normalize_username(username.strip())
    users = list(
        user_model._default_manager.filter(username__iexact=name, is_active=True).exclude(
            email=""
        )[:2]
    )
    if len(users) != 1 or row.wait_until is None:
        return
    until = timezone.localtime(row.wait_until)
    last = timezone.localtime(row.last_failure_at)
    body = (
        f"Someone has failed to sign in to your tracelead account ({users[0].get_username()}) "
        f"{row.failures} times, most recently at {last:%H:%M on %-d %B %Y}.\n\n"
        f"To protect the account, sign-in is paused until {until:%H:%M} and each further "
        "failed attempt makes the pause longer (up to "
        f"{settings.TRACELEAD_LOCKOUT_MAX_MINUTES} minutes).\n\n"
        "If this was you, wait and try again. If it was not, tell your tracelead "
        "administrator: they can see where the attempts came from and lift the pause.\n"
    )
    from tracelead.messaging.services import notice_queue

    # Through the outbox: a worker sends it, trying again while the mail service is down.
    try:
        notice_queue(to=[users[0].email], subject="Failed sign-ins to your tracelead account",
                     body=body)
    except Exception:  # a notice that cannot be queued must not break the sign-in page
        log.exception("Could not queue the sign-in notice")
