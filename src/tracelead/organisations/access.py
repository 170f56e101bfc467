"""The one place that decides which systems, groups and assessments a user may see.

Administrators (superusers) see everything. Everyone else has memberships: a role
(facilitator or viewer) in a system, either for the whole system or narrowed to one
organisation or one group (and the groups inside it). Facilitators may change what they
cover; viewers may only read. Objects outside a user's reach answer 404, so that their
existence is not revealed; reachable objects the user may not change answer 403.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from .models import Group, Organisation, System, SystemMembership, SystemRole

if TYPE_CHECKING:
    # The project keeps Django's own user model; a view's ``request.user`` is one of these.
    from django.contrib.auth.models import AnonymousUser, User

    from tracelead.diagnostics.models import Assessment
    from tracelead.publishing.models import Cycle


def _memberships(user: User | AnonymousUser, *, manage: bool) -> list[SystemMembership]:
    if not user.is_authenticated:
        return []
    rows = SystemMembership.objects.filter(user=user)
    if manage:
        rows = rows.filter(role=SystemRole.FACILITATOR)
    return list(rows)


def systems_for(user: User | AnonymousUser, *, manage: bool = False) -> QuerySet[System]:
    """Systems in which the user has any membership (or, with manage, a facilitator's)."""
    if not user.is_authenticated:
        return System.objects.none()
    if user.is_superuser:
        return System.objects.all()
    return System.objects.filter(pk__in={m.system_id for m in _memberships(user, manage=manage)})


def can_create_systems(user: User | AnonymousUser) -> bool:
    """Administrators may; other signed-in users only if TRACELEAD_SYSTEM_CREATORS says
    ``anyone-signed-in`` (docs/operations.md)."""
    if not user.is_authenticated:
        return False
    return bool(user.is_superuser) or settings.TRACELEAD_SYSTEM_CREATORS == "anyone-signed-in"


def _scopes(user: User | AnonymousUser, *, manage: bool) -> tuple[set[int], set[int], set[int]]:
    """The user's memberships as ids: whole systems, organisations, and groups."""
    memberships = _memberships(user, manage=manage)
    return (
        {m.system_id for m in memberships if m.whole_system},
        {m.organisation_id for m in memberships if m.organisation_id},
        {m.group_id for m in memberships if m.group_id},
    )


def _descendants(roots: set[int]) -> set[int]:
    """The given groups and every group nested inside them."""
    if not roots:
        return set()
    systems = Group.objects.filter(pk__in=roots).values_list("system_id", flat=True)
    children: dict[int | None, list[int]] = {}
    for pk, parent in Group.objects.filter(system__in=list(systems)).values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    found = set(roots)
    stack = list(roots)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def groups_for(user: User | AnonymousUser, *, manage: bool = False) -> QuerySet[Group]:
    """Groups the user may see (or, with manage, change and open assessments for)."""
    if not user.is_authenticated:
        return Group.objects.none()
    if user.is_superuser:
        return Group.objects.all()
    whole, organisations, groups = _scopes(user, manage=manage)
    return Group.objects.filter(
        Q(system__in=whole) | Q(organisation__in=organisations) | Q(pk__in=_descendants(groups))
    )


def organisations_for(
    user: User | AnonymousUser, *, manage: bool = False
) -> QuerySet[Organisation]:
    """Organisations the user covers whole, through their system or directly."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    if user.is_superuser:
        return Organisation.objects.all()
    whole, direct, _ = _scopes(user, manage=manage)
    return Organisation.objects.filter(Q(system__in=whole) | Q(pk__in=direct))


def covers_system(user: User | AnonymousUser, system: System) -> bool:
    """Has a role (any) over the whole system, not just part of it."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return any(
        m.whole_system and m.system_id == system.pk for m in _memberships(user, manage=False)
    )


def visible_groups(user: User | AnonymousUser, system: System) -> set[int] | None:
    """The ids of the system's groups a user may see in a many-groups report, or None
    for all of them (a role over the whole system). Every heatmap, its exports, jobs and
    the API take the answer from here."""
    if covers_system(user, system):
        return None
    return set(groups_for(user).filter(system=system).values_list("pk", flat=True))


def can_manage(user: User | AnonymousUser, system: System) -> bool:
    """May change the system itself: add organisations, see every group."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return any(m.whole_system and m.system_id == system.pk for m in _memberships(user, manage=True))


def can_add_groups(user: User | AnonymousUser, system: System) -> bool:
    return (
        can_manage(user, system)
        or organisations_for(user, manage=True).filter(system=system).exists()
    )


def can_manage_group(user: User | AnonymousUser, group: Group) -> bool:
    return groups_for(user, manage=True).filter(pk=group.pk).exists()


def system_for(user: User | AnonymousUser, pk: int, *, manage: bool = False) -> System:
    system = systems_for(user).filter(pk=pk).first()
    if system is None:
        raise Http404("No such system.")
    if manage and not can_manage(user, system):
        raise PermissionDenied("Only a facilitator of this system can change it.")
    return system


def assessments_for(user: User | AnonymousUser) -> QuerySet[Assessment]:
    """Rounds of the groups the user may see."""
    from tracelead.diagnostics.models import Assessment

    return Assessment.objects.filter(group__in=groups_for(user))


def assessment_for(user: User | AnonymousUser, pk: int, *, manage: bool = False) -> Assessment:
    """One round the user may see (404 otherwise), or change with ``manage`` (403)."""
    assessment = (
        assessments_for(user).filter(pk=pk)
        .select_related("group", "group__system", "group__organisation", "cycle")
        .first()
    )
    if assessment is None:
        raise Http404("No such assessment.")
    if manage and not can_manage_group(user, assessment.group):
        raise PermissionDenied("Only a facilitator of this system can change this assessment.")
    return assessment


def cycle_for(user: User | AnonymousUser, pk: int, *, manage: bool = False) -> Cycle:
    """A reporting cycle of a system the user belongs to (404 otherwise); ``manage`` needs
    a facilitator of the whole system (403), since a cycle's thresholds apply to all of it."""
    from tracelead.publishing.models import Cycle

    cycle = Cycle.objects.filter(system__in=systems_for(user), pk=pk).select_related(
        "system").first()
    if cycle is None:
        raise Http404("No such cycle.")
    if manage and not can_manage(user, cycle.system):
        raise PermissionDenied("Only a facilitator of the whole system can change its cycles.")
    return cycle
