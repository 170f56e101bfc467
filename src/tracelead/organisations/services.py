"""Writes for systems, organisations and groups."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from .models import Group, Organisation, System, SystemMembership, SystemRole


@transaction.atomic
def system_create(*, name: str, description: str = "", created_by: Any = None) -> System:
    system = System(name=name.strip(), description=description.strip())
    system.full_clean()
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
