"""The one place that decides which systems, groups and assessments a user may see.

Administrators (superusers) see everything. Everyone else sees the systems they are a
member of: facilitators may change them, viewers may only read. Objects of other
systems answer 404, so that their existence is not revealed.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from .models import Group, Organisation, System, SystemMembership, SystemRole


def systems_for(user: Any, *, manage: bool = False) -> QuerySet[System]:
    if not user.is_authenticated:
        return System.objects.none()
    if user.is_superuser:
        return System.objects.all()
    memberships = SystemMembership.objects.filter(user=user)
    if manage:
        memberships = memberships.filter(role=SystemRole.FACILITATOR)
    return System.objects.filter(pk__in=memberships.values("system_id"))


def can_manage(user: Any, system: System) -> bool:
    return systems_for(user, manage=True).filter(pk=system.pk).exists()


def system_for(user: Any, pk: int, *, manage: bool = False) -> System:
    system = systems_for(user).filter(pk=pk).first()
    if system is None:
        raise Http404("No such system.")
    if manage and not can_manage(user, system):
        raise PermissionDenied("Only a facilitator of this system can change it.")
    return system


def groups_for(user: Any) -> QuerySet[Group]:
    return Group.objects.filter(system__in=systems_for(user))


def organisations_for(user: Any) -> QuerySet[Organisation]:
    return Organisation.objects.filter(system__in=systems_for(user))
