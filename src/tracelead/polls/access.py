"""Who may prepare, present and read polls: the academy's facilitators only.

Polls hold what people typed in the room (open text, ideas, names in a named poll), so
unlike the academy's counts they are not shown to read-only roles. An academy outside a
user's reach answers 404, a poll of another academy 404, a read-only role 403
(:func:`tracelead.academy.access.academy_for`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from tracelead.academy import access as academy_access
from tracelead.academy.models import Academy

from .models import Poll

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def academy_for(user: User | AnonymousUser, pk: int) -> Academy:
    return academy_access.academy_for(user, pk, manage=True)


def poll_for(user: User | AnonymousUser, pk: int, poll: int) -> tuple[Academy, Poll]:
    """The academy and its poll (or template) if the user facilitates the academy."""
    academy = academy_for(user, pk)
    row = (Poll.objects.filter(academy=academy, pk=poll)
           .select_related("event", "current", "kept_group").first())
    if row is None:
        raise Http404("No such poll.")
    return academy, row


def post_only(request: HttpRequest) -> None:
    """Actions are buttons. Called after the access check, so that another academy's poll
    answers 404 (and a read-only role 403) whatever the method."""
    if request.method != "POST":
        raise PermissionDenied("Use the button on the page.")


def posted_id(raw: str) -> int | None:
    """A row id posted by a form, or None ("²" is a digit to ``str.isdigit``; not here)."""
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 12 else None
