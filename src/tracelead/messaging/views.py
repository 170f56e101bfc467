"""Pages for email: a round's invitations and reminders, and unsubscribing."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.cache import never_cache

from tracelead.core.audit import audit_assessment
from tracelead.core.forms import add_service_errors, error_list
from tracelead.core.models import AuditEvent
from tracelead.diagnostics.models import Assessment, AssessmentStatus
from tracelead.organisations import access

from . import services
from .forms import MESSAGE_FIELDS, InviteForm, RoundEmailForm, invite_kinds
from .models import RoundEmail
from .unsubscribe import invitee_from_token


@login_required
def round_email(request: HttpRequest, pk: int) -> HttpResponse:
    """A round's invitation and reminder, who to invite by email, and counts of what was
    sent. Whoever may manage the round's links may use it (the links page's check).

    Nothing here pairs an address with a status, and reminders are never counted: invited
    minus reminded would say how many have answered.
    """
    assessment = access.assessment_for(request.user, pk, manage=True)
    kinds = invite_kinds(assessment.rater_kinds)
    saved = services.round_email_for(assessment)
    message_form = RoundEmailForm(
        initial={name: getattr(saved, name) for name in (*MESSAGE_FIELDS, "reminder_days")}
    )
    invite_form = InviteForm(rater_kinds=kinds)
    preview: dict[str, str] | None = None
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action == "invite":
        invite_form = InviteForm(request.POST, rater_kinds=kinds)
        if invite_form.is_valid():
            try:
                result = services.invitees_invite(
                    assessment=assessment,
                    emails=services.parse_emails(invite_form.cleaned_data["emails"]),
                    rater_kind=invite_form.cleaned_data["rater_kind"],
                )
            except ValidationError as error:
                add_service_errors(invite_form, error)
            else:
                if result.invited:
                    audit_assessment(
                        user=request.user,
                        action=AuditEvent.Action.CHANGED,
                        assessment=assessment,
                        what="email invitations",
                    )
                messages.success(request, _invited_message(assessment, result))
                return redirect("round_email", pk=assessment.pk)
    elif action in {"save", "preview"}:
        message_form = RoundEmailForm(request.POST)
        if message_form.is_valid() and action == "preview":
            fields = {name: message_form.cleaned_data[name] for name in MESSAGE_FIELDS}
            preview = services.preview(RoundEmail(assessment=assessment, **fields))
        elif message_form.is_valid():
            try:
                services.round_email_save(assessment=assessment, **message_form.cleaned_data)
            except ValidationError as error:
                add_service_errors(message_form, error)
            else:
                messages.success(request, "Saved the invitation and the reminder.")
                return redirect("round_email", pk=assessment.pk)
    elif request.method == "POST":
        return redirect("round_email", pk=assessment.pk)
    can_invite = bool(kinds) and assessment.status != AssessmentStatus.CLOSED
    invite_errors = error_list(invite_form)
    if not can_invite:
        # The form is not drawn, so its errors point at the words that say why.
        invite_errors = [{**entry, "href": "#invite-heading"} for entry in invite_errors]
    errors = invite_errors + error_list(message_form)
    return render(
        request,
        "messaging/round_email.jinja",
        {
            "assessment": assessment,
            "counts": services.round_email_counts(assessment),
            "schedule": _schedule(assessment, saved),
            "invite_form": invite_form,
            "can_invite": can_invite,
            "invite_kinds": kinds,
            "message_form": message_form,
            "placeholders": services.PLACEHOLDERS,
            "preview": preview,
            "form_errors": errors,
            "sends_to_files": settings.TRACELEAD_EMAIL == "file",
            "mail_folder": str(settings.EMAIL_FILE_PATH),
            "delivery_known": settings.TRACELEAD_EMAIL == "notify",
            "back_href": reverse("assessment", args=[assessment.pk]),
            "back_text": "Back to the assessment",
        },
        status=400 if errors else 200,
    )


def _invited_message(assessment: Assessment, result: services.InviteResult) -> str:
    if result.invited == 1:
        text = "1 invitation is on its way"
    elif result.invited:
        text = f"{result.invited} invitations are on their way"
    else:
        text = "Nobody new was invited"
    if result.invited and assessment.status == AssessmentStatus.SCHEDULED:
        opens = date_format(assessment.opens_on, "j F Y")
        they = "it" if result.invited == 1 else "they"
        text += f": {they} will be sent on {opens}, when the round opens"
    text += "."
    if result.already:
        verb = "was" if result.already == 1 else "were"
        text += f" {result.already} {verb} already invited, so not invited again."
    return text


def _schedule(assessment: Assessment, email: RoundEmail) -> list[dict[str, object]]:
    """Each reminder day with its date, and whether that date has come.

    Whether a reminder actually went is not shown: on a day when nobody is left to remind
    none goes, so "sent" or "not sent" would tell whether everyone has answered.
    """
    today = timezone.localdate()
    rows: list[dict[str, object]] = []
    for days, on in services.reminder_dates(assessment, email):
        state = "passed" if on < today else "today" if on == today else "to come"
        rows.append({"days": days, "on": on, "state": state})
    return rows


@never_cache
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Stop reminders for one invitation. The link comes from the person's own reminder;
    a GET only asks (mail scanners follow links), a POST unsubscribes. The page is the
    same for every valid link and says nothing about the round's answers."""
    invitee_id = invitee_from_token(token)
    if invitee_id is None:
        return render(
            request,
            "messaging/unsubscribe.jinja",
            {"state": "invalid", "respondent_page": True},
            status=404,
        )
    if request.method == "POST":
        services.invitee_unsubscribe(invitee_id=invitee_id)
        return render(
            request, "messaging/unsubscribe.jinja", {"state": "done", "respondent_page": True}
        )
    return render(
        request, "messaging/unsubscribe.jinja", {"state": "ask", "respondent_page": True}
    )
