"""Sharing results: a facilitator invites viewers to a system, an organisation or a group.

A viewer's role is a :class:`~tracelead.organisations.models.SystemMembership` with the
viewer role, whole-system or narrowed to one organisation or one group. A facilitator may
grant and remove viewers only within what they run themselves: a whole system's viewers
need a facilitator of the whole system; an organisation's or a group's, a facilitator
covering it (``access.organisations_for`` / ``access.groups_for`` with ``manage``).

Every invitation goes by email and must be accepted from the link in it, whether or not
the address has an account: so the facilitator never learns whether someone has an
account elsewhere in the installation, and nobody is given access they did not take up.
Accepting while signed in grants the role to that account; without an account, the
person chooses a password and an account named after the address is made. Every
invitation, acceptance, withdrawal and removal is in the audit log.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tracelead.core.audit import audit_record
from tracelead.core.models import AuditEvent
from tracelead.organisations import access
from tracelead.organisations.models import (
    Group,
    Organisation,
    System,
    SystemMembership,
    SystemRole,
)

from .models import ViewerInvitation

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

INVITATION_DAYS = 14


@dataclass(frozen=True)
class Scope:
    """What a viewer may see: a whole system, or one organisation or group of it."""

    system: System
    organisation: Organisation | None = None
    group: Group | None = None

    @property
    def key(self) -> str:
        if self.group is not None:
            return f"group:{self.group.pk}"
        if self.organisation is not None:
            return f"organisation:{self.organisation.pk}"
        return "system"

    @property
    def label(self) -> str:
        if self.group is not None:
            return f"{self.group.name} (group)"
        if self.organisation is not None:
            return f"{self.organisation.name} (organisation)"
        return f"All of {self.system.name}"


def scopes_for(user: User | AnonymousUser, system: System) -> list[Scope]:
    """The scopes of ``system`` whose viewers ``user`` may grant and remove."""
    scopes = [Scope(system)] if access.can_manage(user, system) else []
    scopes += [Scope(system, organisation=o)
               for o in access.organisations_for(user, manage=True).filter(system=system)]
    scopes += [Scope(system, group=g)
               for g in access.groups_for(user, manage=True).filter(system=system)
               .select_related("organisation")]
    return scopes


def can_share(user: User | AnonymousUser, system: System) -> bool:
    return bool(scopes_for(user, system))


def scope_from_key(user: User | AnonymousUser, system: System, key: str) -> Scope:
    """A scope the user may share, by its form value; anything else is refused alike."""
    for scope in scopes_for(user, system):
        if scope.key == key:
            return scope
    raise ValidationError({"scope": "Choose one of the scopes listed"})


def _scope_of(row: SystemMembership | ViewerInvitation) -> Scope:
    return Scope(row.system, organisation=row.organisation, group=row.group)


def _audit(user: User | AnonymousUser | None, scope: Scope, what: str) -> None:
    audit_record(user=user, action=AuditEvent.Action.CHANGED, what=f"sharing: {what}",
                 system_id=scope.system.pk,
                 group_id=scope.group.pk if scope.group is not None else None)


@dataclass(frozen=True)
class Sharing:
    viewers: list[SystemMembership]
    invitations: list[ViewerInvitation]


def sharing_of(user: User | AnonymousUser, system: System) -> Sharing:
    """The viewers and open invitations within the scopes ``user`` may share."""
    keys = {scope.key for scope in scopes_for(user, system)}
    viewers = [m for m in SystemMembership.objects.filter(system=system, role=SystemRole.VIEWER)
               .select_related("user", "organisation", "group", "system")
               .order_by("user__username", "id")
               if _scope_of(m).key in keys]
    now = timezone.now()
    invitations = [i for i in ViewerInvitation.objects.filter(
        system=system, accepted_at__isnull=True, expires_at__gt=now)
        .select_related("organisation", "group", "system")
        if _scope_of(i).key in keys]
    return Sharing(viewers=viewers, invitations=invitations)


def accept_url(token: str) -> str:
    return settings.TRACELEAD_SITE_URL.rstrip("/") + reverse("sharing_accept", args=[token])


@transaction.atomic
def viewer_invite(*, scope: Scope, email: str, invited_by: User | AnonymousUser
                  ) -> ViewerInvitation:
    """Email an invitation to view ``scope`` (the caller has checked it is the inviter's
    to share, through :func:`scope_from_key`). One open invitation per address and scope:
    inviting again sends a new link and voids the old one."""
    from tracelead.messaging.services import notice_queue

    address = email.strip().lower()
    if not address:
        raise ValidationError({"email": "Enter the email address of the person to invite"})
    ViewerInvitation.objects.filter(
        system=scope.system, organisation=scope.organisation, group=scope.group,
        email=address, accepted_at__isnull=True).delete()
    token = secrets.token_urlsafe(32)
    inviter = invited_by if invited_by.is_authenticated else None
    invitation = ViewerInvitation.objects.create(
        system=scope.system, organisation=scope.organisation, group=scope.group,
        email=address, token_hash=ViewerInvitation.hash_token(token), invited_by=inviter,
        expires_at=timezone.now() + dt.timedelta(days=INVITATION_DAYS))
    name = invited_by.get_username() if invited_by.is_authenticated else "A facilitator"
    what = scope.label.replace(" (group)", "").replace(" (organisation)", "")
    notice_queue(
        to=[address], subject=f"You are invited to see leadership results for {what}",
        body=(f"Hello,\n\n{name} has invited you to see the TRACE leadership results "
              f"of {what} in tracelead, as a viewer: you can read reports and keep action "
              f"plans, but not change the assessments.\n\nTo accept, open this link within "
              f"{INVITATION_DAYS} days:\n{accept_url(token)}\n\nIf you did not expect this, "
              "you can ignore this email: nothing changes unless the link is used.\n"),
    )
    _audit(invited_by, scope, f"invited {address} to view {scope.label}")
    return invitation


def invitation_by_token(token: str) -> ViewerInvitation | None:
    """An open invitation (not accepted, not expired) by its clear token, or None."""
    return (ViewerInvitation.objects.filter(
        token_hash=ViewerInvitation.hash_token(token), accepted_at__isnull=True,
        expires_at__gt=timezone.now()).select_related("system", "organisation", "group")
        .first())


def account_exists(invitation: ViewerInvitation) -> bool:
    model = get_user_model()
    return bool(model.objects.filter(email__iexact=invitation.email).exists()
                or model.objects.filter(username__iexact=invitation.email).exists())


def _grant(invitation: ViewerInvitation, user: User) -> SystemMembership:
    scope = _scope_of(invitation)
    membership, _ = SystemMembership.objects.get_or_create(
        user=user, system=scope.system, role=SystemRole.VIEWER,
        organisation=scope.organisation, group=scope.group)
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    _audit(user, scope, f"{user.get_username()} accepted the invitation sent to "
                        f"{invitation.email} and became a viewer of {scope.label}")
    return membership


@transaction.atomic
def invitation_accept(*, invitation: ViewerInvitation, user: User) -> SystemMembership:
    """Give the signed-in user the invitation's viewer role (the link is the proof that
    they read the invited address's email)."""
    locked = ViewerInvitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at is not None or locked.expires_at <= timezone.now():
        raise ValidationError("This invitation has been used or has expired.")
    return _grant(locked, user)


@transaction.atomic
def invitation_accept_new_account(*, invitation: ViewerInvitation, password: str) -> User:
    """Make an account named after the invited address, with the chosen password, and
    give it the viewer role."""
    locked = ViewerInvitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at is not None or locked.expires_at <= timezone.now():
        raise ValidationError("This invitation has been used or has expired.")
    if account_exists(locked):
        raise ValidationError("An account with this address exists: sign in to accept.")
    model = get_user_model()
    if len(locked.email) > (model._meta.get_field("username").max_length or 150):
        raise ValidationError("This address is too long to be a user name: ask the "
                              "facilitator to invite a shorter address.")
    user = model(username=locked.email, email=locked.email)
    try:
        validate_password(password, user)
    except ValidationError as weak:
        raise ValidationError({"password": weak.messages}) from weak
    user.set_password(password)
    user.save()
    _grant(locked, user)
    return user


@transaction.atomic
def invitation_withdraw(*, invitation: ViewerInvitation, by: User | AnonymousUser) -> None:
    scope = _scope_of(invitation)
    invitation.delete()
    _audit(by, scope, f"withdrew the invitation of {invitation.email} to view {scope.label}")


@transaction.atomic
def viewer_remove(*, membership: SystemMembership, by: User | AnonymousUser) -> None:
    """Remove one viewer role (never a facilitator's: this page only manages viewers)."""
    if membership.role != SystemRole.VIEWER:
        raise ValidationError("Only a viewer's access can be removed here.")
    scope = _scope_of(membership)
    name = membership.user.get_username()
    membership.delete()
    _audit(by, scope, f"removed {name} as a viewer of {scope.label}")
