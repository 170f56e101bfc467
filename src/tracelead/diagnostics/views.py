"""Facilitator pages for assessments, and their results."""

from __future__ import annotations

import csv
import io

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from tracelead.core.audit import audit_assessment
from tracelead.core.forms import add_service_errors, error_list, render_form
from tracelead.core.models import AuditEvent
from tracelead.core.safety import safe_cell
from tracelead.organisations import access
from tracelead.publishing.gate import PublishRefused
from tracelead.publishing.models import Cycle
from tracelead.publishing.services import publishing_point
from tracelead.reports.builders import group_report
from tracelead.reports.exports import template_helpers

from . import services
from .forms import AssessmentEditForm, AssessmentForm, InvitationForm, ReissueForm
from .models import Assessment, Invitation, RaterKind


@login_required
def assessment_list(request: HttpRequest) -> HttpResponse:
    assessments = access.assessments_for(request.user).select_related("group", "group__system")
    return render(
        request,
        "diagnostics/assessment_list.jinja",
        {"assessments": assessments, "column_class": "nhsuk-grid-column-full"},
    )


@login_required
def assessment_create(request: HttpRequest) -> HttpResponse:
    groups = access.groups_for(request.user, manage=True)
    cycles = Cycle.objects.filter(
        system__in=groups.values("system")).order_by("-created_at", "-id")
    initial = {}
    if request.GET.get("group", "").isdigit():
        initial["group"] = request.GET["group"]
    form = AssessmentForm(request.POST or None, groups=groups, cycles=cycles, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            assessment = services.assessment_create(
                group=data["group"],
                cycle=data["cycle"],
                title=data["title"],
                instrument_key=data["instrument"],
                rater_kinds=data["rater_kinds"],
                opens_on=data["opens_on"],
                closes_on=data["closes_on"],
                created_by=request.user,
                open_link_verify=data["open_link_verify"],
                open_link_domains=data["open_link_domains"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The assessment is set up. Now create its links.")
            return redirect("assessment_invitations", pk=assessment.pk)
    return render_form(
        request,
        form,
        heading="Open an assessment",
        intro="Choose the group, its reporting cycle (which sets the anonymity thresholds) "
        "and who answers.",
        submit="Save and create links",
        back_href=reverse("assessments"),
    )


@login_required
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = access.assessment_for(request.user, pk)
    can_manage = access.can_manage_group(request.user, assessment.group)
    results = group_report(assessment)
    audit_assessment(
        user=request.user, action=AuditEvent.Action.VIEWED, assessment=assessment, what="results"
    )
    return render(
        request,
        "diagnostics/assessment_detail.jinja",
        {
            **template_helpers(),
            "assessment": assessment,
            "results": results,
            "can_manage": can_manage,
            "column_class": "nhsuk-grid-column-full",
            "back_href": reverse("system", args=[assessment.group.system_id]),
            "back_text": assessment.group.system.name,
        },
    )


@login_required
def assessment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = access.assessment_for(request.user, pk, manage=True)
    form = AssessmentEditForm(
        request.POST or None,
        initial={
            "title": assessment.title,
            "opens_on": assessment.opens_on,
            "closes_on": assessment.closes_on,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.assessment_update(
                assessment=assessment, changed_by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("assessment", pk=assessment.pk)
    return render_form(
        request,
        form,
        heading=f"Change {assessment.title}",
        intro=f"The anonymity thresholds are those of the cycle {assessment.cycle.name}. "
        "Dates cannot move into the past, a round that has opened keeps its open date, "
        "and a closed round cannot be reopened. Every change of dates is recorded.",
        submit="Save",
        back_href=reverse("assessment", args=[assessment.pk]),
    )


@login_required
def assessment_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Close an open round now, after a confirmation page; the close publishes it as any
    close does (on the next read of its results)."""
    assessment = access.assessment_for(request.user, pk, manage=True)
    error = ""
    if request.method == "POST":
        try:
            services.assessment_close_now(assessment=assessment, closed_by=request.user)
        except ValidationError as refused:
            error = " ".join(refused.messages)
        else:
            messages.success(request, f"Closed {assessment.title}. As at every close, its "
                             "results are published if enough people answered.")
            return redirect("assessment", pk=assessment.pk)
    return render(request, "diagnostics/assessment_close.jinja", {
        "assessment": assessment,
        "error": error,
        "form_errors": [{"text": error, "href": "#close-form"}] if error else [],
        "back_href": reverse("assessment", args=[assessment.pk]),
        "back_text": "Back to the assessment",
    }, status=400 if error else 200)


@login_required
def assessment_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """A publishing point: show an open round's results now (POST only)."""
    assessment = access.assessment_for(request.user, pk, manage=True)
    if request.method != "POST":
        return redirect("assessment", pk=assessment.pk)
    try:
        publication = publishing_point(assessment=assessment, user=request.user)
    except PublishRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"Published as publication {publication.number} of "
                                  f"{assessment.cycle.name}.")
    return redirect("assessment", pk=assessment.pk)


# A batch of new personal links waits in the session under this key: listed on the links
# page once ("new"), and downloadable once as a CSV ("links"). Nothing else can show a
# link again: only the token's hash is stored.
NEW_LINKS = "tl_new_links_{pk}"


def _remember_new_links(
    request: HttpRequest, assessment: Assessment, invitations: list[Invitation]
) -> None:
    rows = [
        [
            invitation.label,
            invitation.rater_kind,
            request.build_absolute_uri(reverse("respond", args=[invitation.token])),
        ]
        for invitation in invitations
    ]
    key = NEW_LINKS.format(pk=assessment.pk)
    pending = request.session.get(key) or {"links": [], "new": []}
    request.session[key] = {
        "links": pending.get("links", []) + rows,
        "new": pending.get("new", []) + rows,
    }


def _invitations_page(
    request: HttpRequest,
    assessment: Assessment,
    *,
    form: InvitationForm,
    reissue_form: ReissueForm,
) -> HttpResponse:
    key = NEW_LINKS.format(pk=assessment.pk)
    pending = request.session.get(key) or {}
    new_links = pending.get("new", [])
    if new_links:
        # Listed this once; a reload shows them no more.
        request.session[key] = {**pending, "new": []}
    open_kinds = [kind for kind in assessment.rater_kinds if kind != RaterKind.SELF]
    open_url = ""
    qr_svg = ""
    if open_kinds:
        open_token = services.assessment_open_link(assessment=assessment)
        open_url = request.build_absolute_uri(reverse("respond", args=[open_token]))
        qr_svg = segno.make(open_url, error="m").svg_inline(
            scale=4, title="QR code for the open link"
        )
    errors = error_list(form) + error_list(reissue_form)
    return render(
        request,
        "diagnostics/invitations.jinja",
        {
            "assessment": assessment,
            "form": form,
            "reissue_form": reissue_form,
            "form_errors": errors,
            "open_url": open_url,
            "qr_svg": qr_svg,
            "open_domains": ", ".join(services.allowed_domains(assessment)),
            "n_invitations": assessment.invitations.count(),
            "new_links": [
                {"label": label, "kind": RaterKind(kind).label, "url": url}
                for label, kind, url in new_links
            ],
            "download_pending": bool(pending.get("links")),
            "back_href": reverse("assessment", args=[assessment.pk]),
            "back_text": "Back to the assessment",
        },
        status=400 if errors else 200,
    )


def _created_message(made: int, skipped: int) -> str:
    """What the facilitator reads after making links; repeats of an address are named."""
    text = f"Created {made} {'link' if made == 1 else 'links'}."
    if skipped == 1:
        text += (" One email address was listed twice or already had a link, so it got "
                 "no second link.")
    elif skipped:
        text += (f" {skipped} email addresses were listed twice or already had a link, so "
                 "they got no second link.")
    return text


@login_required
def assessment_invitations(request: HttpRequest, pk: int) -> HttpResponse:
    """Make personal links (each shown and downloadable once) and show the open link.

    Nothing here says who has answered: neither per person nor as a count.
    """
    assessment = access.assessment_for(request.user, pk, manage=True)
    form = InvitationForm(request.POST or None, rater_kinds=assessment.rater_kinds)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.invitations_create(
                assessment=assessment,
                rater_kind=form.cleaned_data["rater_kind"],
                count=form.cleaned_data.get("count") or 0,
                labels=form.cleaned_data["label_list"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            _remember_new_links(request, assessment, created)
            listed = len(form.cleaned_data["label_list"])
            skipped = listed - len(created) if listed else 0
            messages.success(request, _created_message(len(created), skipped))
            return redirect("assessment_invitations", pk=assessment.pk)
    reissue_form = ReissueForm(invitations=assessment.invitations.all())
    return _invitations_page(request, assessment, form=form, reissue_form=reissue_form)


@login_required
def invitation_reissue(request: HttpRequest, pk: int) -> HttpResponse:
    """Give one person a new link (shown once); their old link and its draft are void."""
    # Access first: another system's round is 404 and a viewer gets 403, whatever the method.
    assessment = access.assessment_for(request.user, pk, manage=True)
    if request.method != "POST":
        return redirect("assessment_invitations", pk=assessment.pk)
    reissue_form = ReissueForm(request.POST, invitations=assessment.invitations.all())
    if reissue_form.is_valid():
        try:
            invitation = services.invitation_reissue(
                invitation=reissue_form.cleaned_data["target"], reissued_by=request.user
            )
        except ValidationError as error:
            add_service_errors(reissue_form, error)
        else:
            _remember_new_links(request, assessment, [invitation])
            name = invitation.label or "the self link"
            messages.success(
                request, f"Re-issued the link for {name}. The old link no longer works."
            )
            return redirect("assessment_invitations", pk=assessment.pk)
    form = InvitationForm(rater_kinds=assessment.rater_kinds)
    return _invitations_page(request, assessment, form=form, reissue_form=reissue_form)


@login_required
def invitations_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The links made since the last download, once: the download removes them."""
    assessment = access.assessment_for(request.user, pk, manage=True)
    pending = request.session.pop(NEW_LINKS.format(pk=assessment.pk), None) or {}
    if not pending.get("links"):
        return render(
            request,
            "diagnostics/respond_problem.jinja",
            {
                "title": "There are no new links to download",
                "body": "Personal links can be shown and downloaded only once, when they "
                "are made. If someone has lost their link, re-issue it from the links page.",
                "back_href": reverse("assessment_invitations", args=[assessment.pk]),
                "back_text": "Back to the links",
            },
            status=410,
        )
    audit_assessment(
        user=request.user,
        action=AuditEvent.Action.EXPORTED,
        assessment=assessment,
        what="personal links (CSV)",
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["label", "rater_kind", "link"])
    for label, kind, url in pending["links"]:
        writer.writerow([safe_cell(label), kind, url])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="assessment-{assessment.pk}-links.csv"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def open_link_qr(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = access.assessment_for(request.user, pk, manage=True)
    token = services.assessment_open_link(assessment=assessment)
    url = request.build_absolute_uri(reverse("respond", args=[token]))
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=8, title="Open link")
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Content-Disposition"] = f'attachment; filename="assessment-{assessment.pk}-qr.svg"'
    return response
