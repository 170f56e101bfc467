"""Who may see and run a system's academy.

Anyone with a role over the whole system may see the academy's counts (reach, attendance,
events).
Only the academy's facilitators see members' names and addresses and change anything:
the whole-system facilitators of its system, the users named as the academy's
facilitators, and administrators. As in :mod:`tracelead.organisations.access`, an academy
outside a user's systems answers 404 and one they may only read answers 403 to a change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import Http404

from tracelead.organisations import access as organisations_access
from tracelead.organisations.models import SystemMembership

from .models import Academy

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def can_facilitate(user: User | AnonymousUser, academy: Academy) -> bool:
    if not user.is_authenticated:
        return False
    if organisations_access.can_manage(user, academy.system):
        return True
    return academy.facilitators.filter(pk=user.pk).exists()


def academies_for(user: User | AnonymousUser) -> list[Academy]:
    """Academies of the systems the user has a role over as a whole, and those they
    facilitate. A role narrowed to one organisation or group does not reach the academy:
    its counts by organisation span the whole system, as a heatmap of every group would,
    and the heatmap too is only for roles over the whole system."""
    if not user.is_authenticated:
        return []
    if user.is_superuser:
        rows = Academy.objects.all()
    else:
        whole = SystemMembership.objects.filter(
            user=user, organisation__isnull=True, group__isnull=True).values("system_id")
        rows = Academy.objects.filter(system__in=whole) | Academy.objects.filter(
            facilitators=user)
    return list(rows.select_related("system").distinct().order_by("name"))


def academy_for(user: User | AnonymousUser, pk: int, *, manage: bool = False) -> Academy:
    """The academy with this id if the user may see it (404 otherwise); with ``manage``,
    only for its facilitators (403 for those who may only read)."""
    academy = next((a for a in academies_for(user) if a.pk == pk), None)
    if academy is None:
        raise Http404("No such academy.")
    if manage and not can_facilitate(user, academy):
        raise PermissionDenied("Only the academy's facilitators can do this.")
    return academy
