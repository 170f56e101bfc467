"""Who reaches an organisation's leadership strategy: its facilitators (the board's
organisational-development lead and those it names) change it; its viewers (board
members who read) see it. Everyone else gets the same 404 as for an organisation that
does not exist."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404

from tracelead.organisations import access
from tracelead.organisations.models import Organisation

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def organisation_for(user: User | AnonymousUser, pk: int, *, manage: bool = False
                     ) -> Organisation:
    found = access.organisations_for(user, manage=manage).filter(pk=pk).select_related(
        "system").first()
    if found is None:
        raise Http404("No such organisation.")
    return found


def can_edit(user: User | AnonymousUser, organisation: Organisation) -> bool:
    return access.organisations_for(user, manage=True).filter(pk=organisation.pk).exists()
