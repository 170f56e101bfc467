"""Pages for sharing: a system's viewers and invitations, and accepting an invitation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from tracelead.core.forms import add_service_errors, error_list
from tracelead.organisations import access
from tracelead.organisations.models import SystemMembership, SystemRole

from . import sharing
from .forms import AcceptForm, ShareForm
from .models import ViewerInvitation


def _row_id(request: HttpRequest, name: str) -> int:
    value = request.POST.get(name) or ""
    if not value.isdigit():
        raise Http404("No such row.")
    return int(value)


@login_required
def sharing_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A facilitator's viewers and invitations, for the scopes they run (others: 404 for
    another system, 403 for a member who runs nothing in it)."""
    system = access.system_for(request.user, pk)
    scopes = sharing.scopes_for(request.user, system)
    if not scopes:
        raise PermissionDenied("Only a facilitator can share results.")
    keys = {scope.key for scope in scopes}
    choices = [(scope.key, scope.label) for scope in scopes]
    form = ShareForm(scopes=choices)
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "remove":
        membership = SystemMembership.objects.filter(
            pk=_row_id(request, "membership"), system=system, role=SystemRole.VIEWER
        ).select_related("user", "organisation", "group", "system").first()
        if membership is None or sharing.Scope(
                system, membership.organisation, membership.group).key not in keys:
            raise Http404("No such viewer.")
        name = membership.user.get_username()
        sharing.viewer_remove(membership=membership, by=request.user)
        messages.success(request, f"{name} can no longer see results here.")
        return redirect("sharing", pk=system.pk)
    if action == "withdraw":
        invitation = ViewerInvitation.objects.filter(
            pk=_row_id(request, "invitation"), system=system, accepted_at__isnull=True
        ).select_related("organisation", "group", "system").first()
        if invitation is None or sharing.Scope(
                system, invitation.organisation, invitation.group).key not in keys:
            raise Http404("No such invitation.")
        sharing.invitation_withdraw(invitation=invitation, by=request.user)
        messages.success(request, f"Withdrew the invitation sent to {invitation.email}.")
        return redirect("sharing", pk=system.pk)
    if action == "invite":
        form = ShareForm(request.POST, scopes=choices)
        if form.is_valid():
            try:
                scope = sharing.scope_from_key(request.user, system, form.cleaned_data["scope"])
                sharing.viewer_invite(scope=scope, email=form.cleaned_data["email"],
                                      invited_by=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request, f"Sent an invitation to {form.cleaned_data['email']}. They can "
                    f"see {scope.label.split(' (')[0]} once they accept it.")
                return redirect("sharing", pk=system.pk)
    listed = sharing.sharing_of(request.user, system)
    return render(request, "actions/sharing.jinja", {
        "system": system,
        "form": form,
        "form_errors": error_list(form),
        "viewers": [(m, sharing.Scope(system, m.organisation, m.group)) for m in listed.viewers],
        "invitations": [(i, sharing.Scope(system, i.organisation, i.group))
                        for i in listed.invitations],
        "back_href": reverse("system", args=[system.pk]),
        "back_text": system.name,
    }, status=400 if form.errors else 200)


def sharing_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The link in an invitation: accept while signed in, sign in first, or make an
    account for the invited address."""
    invitation = sharing.invitation_by_token(token)
    if invitation is None:
        return render(request, "core/error.jinja", {
            "title": "This invitation link does not work",
            "body": "It has been used already, withdrawn or it has expired. Ask the person "
                    "who invited you to send a new one.",
        }, status=410)
    scope = sharing.Scope(invitation.system, invitation.organisation, invitation.group)
    what = scope.label.split(" (")[0]
    form = AcceptForm(request.POST or None)
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                sharing.invitation_accept(invitation=invitation, user=request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, f"You can now see the results of {what}.")
            return redirect("system", pk=invitation.system_id)
        mode = "signed_in"
    elif sharing.account_exists(invitation):
        mode = "sign_in"
    else:
        mode = "new_account"
        if request.method == "POST" and form.is_valid():
            try:
                sharing.invitation_accept_new_account(
                    invitation=invitation, password=form.cleaned_data["password"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Your account is ready. Sign in with your email "
                                 "address and the password you chose.")
                return redirect(f"{reverse('login')}?next="
                                f"{reverse('system', args=[invitation.system_id])}")
    return render(request, "actions/accept.jinja", {
        "invitation": invitation,
        "what": what,
        "mode": mode,
        "form": form,
        "form_errors": error_list(form) if mode == "new_account" else [],
        "sign_in_href": f"{reverse('login')}?next={request.path}",
    }, status=400 if mode == "new_account" and form.errors else 200)
