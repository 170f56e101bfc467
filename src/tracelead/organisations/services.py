"""Writes for systems, organisations and groups."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from . import access
from .models import Group, Organisation, System, SystemMembership, SystemRole

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@transaction.atomic
def system_create(*, name: str, description: str = "", created_by: User | None = None) -> System:
    """Create a system; a creator who is not an administrator becomes its facilitator.

    With ``created_by``, only someone TRACELEAD_SYSTEM_CREATORS allows may create one, and
    the name must differ only from the systems they can see: refusing a name used by
    another tenant would tell them that tenant's system exists. Without a creator (the
    command line, the demo, tests) it must differ from every system.
    """
    if created_by is not None and not access.can_create_systems(created_by):
        raise PermissionDenied("Only an administrator can create a system.")
    system = System(name=name.strip(), description=description.strip())
    system.full_clean()
    visible = System.objects.all() if created_by is None else access.systems_for(created_by)
    if visible.filter(name__iexact=system.name).exists():
        raise ValidationError({"name": "A system with this name already exists"})
    system.save()
    if created_by is not None and not created_by.is_superuser:
        SystemMembership.objects.create(user=created_by, system=system, role=SystemRole.FACILITATOR)
    return system


@transaction.atomic
def organisation_create(*, system: System, name: str, sector: str) -> Organisation:
    organisation = Organisation(system=system, name=name.strip(), sector=sector)
    organisation.full_clean()
    organisation.save()
    return organisation


@transaction.atomic
def group_create(
    *,
    system: System,
    name: str,
    space: str,
    organisation: Organisation | None = None,
    parent: Group | None = None,
) -> Group:
    group = Group(
        system=system, name=name.strip(), space=space, organisation=organisation, parent=parent
    )
    group.full_clean()
    group.save()
    return group
