"""Facilitator pages for assessments, and their results."""

from __future__ import annotations

import csv
import io

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from tracelead.core.audit import audit_assessment
from tracelead.core.forms import add_service_errors, error_list, render_form
from tracelead.core.models import AuditEvent
from tracelead.core.safety import safe_cell
from tracelead.organisations import access

from . import services
from .forms import AssessmentEditForm, AssessmentForm, InvitationForm
from .models import Assessment
from .selectors import assessment_results


def assessments_for(user: object) -> object:
    return Assessment.objects.filter(group__in=access.groups_for(user))


def assessment_for(user: object, pk: int, *, manage: bool = False) -> Assessment:
    assessment = (
        Assessment.objects.filter(group__in=access.groups_for(user), pk=pk)
        .select_related("group", "group__system", "group__organisation")
        .first()
    )
    if assessment is None:
        raise Http404("No such assessment.")
    if manage and not access.can_manage_group(user, assessment.group):
        raise PermissionDenied("Only a facilitator of this system can change this assessment.")
    return assessment


@login_required
def assessment_list(request: HttpRequest) -> HttpResponse:
    assessments = assessments_for(request.user).select_related("group", "group__system")
    return render(
        request,
        "diagnostics/assessment_list.jinja",
        {"assessments": assessments, "column_class": "nhsuk-grid-column-full"},
    )


@login_required
def assessment_create(request: HttpRequest) -> HttpResponse:
    groups = access.groups_for(request.user, manage=True)
    initial = {}
    if request.GET.get("group", "").isdigit():
        initial["group"] = request.GET["group"]
    form = AssessmentForm(request.POST or None, groups=groups, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            assessment = services.assessment_create(
                group=data["group"],
                title=data["title"],
                instrument_key=data["instrument"],
                rater_kinds=data["rater_kinds"],
                threshold=data["threshold"],
                comment_threshold=data["comment_threshold"],
                opens_on=data["opens_on"],
                closes_on=data["closes_on"],
                created_by=request.user,
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
        intro="Choose the group, who answers and how results are protected.",
        submit="Save and create links",
        back_href=reverse("assessments"),
    )


@login_required
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = assessment_for(request.user, pk)
    can_manage = access.can_manage_group(request.user, assessment.group)
    results = assessment_results(assessment, show_progress=can_manage)
    audit_assessment(
        user=request.user, action=AuditEvent.Action.VIEWED, assessment=assessment, what="results"
    )
    return render(
        request,
        "diagnostics/assessment_detail.jinja",
        {
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
    assessment = assessment_for(request.user, pk, manage=True)
    locked = assessment.thresholds_locked
    form = AssessmentEditForm(
        request.POST or None,
        locked=locked,
        initial={
            "title": assessment.title,
            "threshold": assessment.threshold,
            "comment_threshold": assessment.comment_threshold,
            "opens_on": assessment.opens_on,
            "closes_on": assessment.closes_on,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.assessment_update(assessment=assessment, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("assessment", pk=assessment.pk)
    return render_form(
        request,
        form,
        heading=f"Change {assessment.title}",
        intro="The anonymity thresholds can be raised or lowered only until the first "
        "answers arrive; after that they are fixed."
        if not locked
        else "Answers have arrived, so the anonymity thresholds are fixed.",
        submit="Save",
        back_href=reverse("assessment", args=[assessment.pk]),
    )


@login_required
def assessment_invitations(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = assessment_for(request.user, pk, manage=True)
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
            messages.success(request, f"Created {len(created)} links.")
            return redirect("assessment_invitations", pk=assessment.pk)
    open_token = services.assessment_open_link(assessment=assessment)
    open_url = request.build_absolute_uri(reverse("respond", args=[open_token]))
    invitations = assessment.invitations.all()
    return render(
        request,
        "diagnostics/invitations.jinja",
        {
            "assessment": assessment,
            "form": form,
            "form_errors": error_list(form),
            "open_url": open_url,
            "qr_svg": segno.make(open_url, error="m").svg_inline(
                scale=4, title="QR code for the open link"
            ),
            "n_invitations": invitations.count(),
            "n_used": invitations.filter(used=True).count(),
            "back_href": reverse("assessment", args=[assessment.pk]),
            "back_text": "Back to the assessment",
        },
        status=400 if form.errors else 200,
    )


@login_required
def invitations_csv(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = assessment_for(request.user, pk, manage=True)
    audit_assessment(
        user=request.user,
        action=AuditEvent.Action.EXPORTED,
        assessment=assessment,
        what="personal links (CSV)",
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["label", "rater_kind", "link", "used"])
    for invitation in assessment.invitations.all():
        link = request.build_absolute_uri(reverse("respond", args=[invitation.token]))
        writer.writerow(
            [
                safe_cell(invitation.label),
                invitation.rater_kind,
                link,
                "yes" if invitation.used else "no",
            ]
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="assessment-{assessment.pk}-links.csv"'
    return response


@login_required
def open_link_qr(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = assessment_for(request.user, pk, manage=True)
    token = services.assessment_open_link(assessment=assessment)
    url = request.build_absolute_uri(reverse("respond", args=[token]))
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=8, title="Open link")
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Content-Disposition"] = f'attachment; filename="assessment-{assessment.pk}-qr.svg"'
    return response
