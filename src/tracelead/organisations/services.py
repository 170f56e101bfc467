"""Writes for systems, organisations and groups."""

from __future__ import annotations

from pathlib import PurePath
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from . import access, logos
from .models import Group, Organisation, System, SystemMembership, SystemRole

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import UploadedFile


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


@transaction.atomic
def system_settings_update(
    *,
    system: System,
    survey_runner: str,
    survey_contact: str,
    privacy_notice: str,
    logo: UploadedFile | None = None,
    remove_logo: bool = False,
    by: User | None = None,
) -> System:
    """Change what respondents read about who runs the survey, and the reports' logo.

    A new logo must pass :func:`tracelead.organisations.logos.check_logo` (PNG, JPEG or a
    script-free SVG under 1 MB); it replaces the old file, which is deleted once the
    change is committed. Every change is audited.
    """
    from django.core.files.base import ContentFile

    from tracelead.core.audit import audit_record
    from tracelead.core.models import AuditEvent

    old_logo = system.logo.name if system.logo else ""
    system.survey_runner = survey_runner.strip()
    system.survey_contact = survey_contact.strip()
    system.privacy_notice = privacy_notice.strip()
    system.full_clean(exclude=["logo"])
    if logo is not None:
        data = logos.check_logo(logo)
        suffix = PurePath(logo.name or "").suffix.lower()
        system.logo.save(f"system-{system.pk}{suffix}", ContentFile(data), save=False)
    elif remove_logo:
        system.logo = ""
    system.save()
    new_logo = system.logo.name if system.logo else ""
    if old_logo and old_logo != new_logo:
        storage = system.logo.storage
        transaction.on_commit(lambda: storage.delete(old_logo))
    changed = "logo and respondent information" if old_logo != new_logo else (
        "respondent information")
    audit_record(user=by, action=AuditEvent.Action.CHANGED,
                 what=f"{changed} of {system.name}", system_id=system.pk)
    return system
