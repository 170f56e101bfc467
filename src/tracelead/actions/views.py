"""Pages of a group's action plan: the plan made from a round's report, and its actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from tracelead.core.forms import add_service_errors, error_list
from tracelead.diagnostics.models import Assessment
from tracelead.organisations import access
from tracelead.reports.builders import group_report

from . import selectors, services
from .access import action_for
from .forms import ActionForm
from .models import Action


@login_required
def plan_page(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = access.assessment_for(request.user, pk)
    report = group_report(assessment)
    instrument = services.instrument_of(assessment)
    review = selectors.review_for(assessment, compared_with=report.change.previous_id)
    return render(request, "actions/plan.jinja", {
        "assessment": assessment,
        "actions": list(selectors.plan_of(assessment)),
        "review": review,
        "focus": report.focus,
        "names": {scale.key: scale.name for scale in instrument.scales},
        "back_href": reverse("report_group", args=[assessment.pk]),
        "back_text": "Back to the group report",
    })


def _form_page(request: HttpRequest, form: ActionForm, assessment: Assessment, *,
               heading: str, submit: str, action: Action | None = None) -> HttpResponse:
    return render(request, "actions/action_form.jinja", {
        "form": form,
        "form_errors": error_list(form),
        "heading": heading,
        "submit": submit,
        "assessment": assessment,
        "action": action,
        "back_href": reverse("action_plan", args=[assessment.pk]),
        "back_text": "Back to the action plan",
    }, status=400 if form.errors else 200)


@login_required
def action_create(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = access.assessment_for(request.user, pk)
    focus = group_report(assessment).focus
    instrument = services.instrument_of(assessment)
    initial = {"condition": request.GET.get("condition") or (focus.condition if focus else "")}
    if request.GET.get("practice"):
        initial["practice"] = request.GET["practice"]
    form = ActionForm(request.POST or None, instrument=instrument,
                      focus=focus.condition if focus else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            action = services.action_create(assessment=assessment, created_by=request.user,
                                            **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Added “{action.title}” to the action plan.")
            return redirect("action_plan", pk=assessment.pk)
    return _form_page(request, form, assessment, heading="Add an action",
                      submit="Add the action")


@login_required
def action_edit(request: HttpRequest, pk: int) -> HttpResponse:
    action = action_for(request.user, pk)
    assessment = action.assessment
    instrument = services.instrument_of(assessment)
    form = ActionForm(request.POST or None, instrument=instrument, initial={
        "title": action.title, "condition": action.condition, "practice": action.practice,
        "owner": action.owner, "due_on": action.due_on, "status": action.status,
        "note": action.note,
    })
    if request.method == "POST" and form.is_valid():
        try:
            action = services.action_update(action=action, changed_by=request.user,
                                            **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Saved “{action.title}”.")
            return redirect("action_plan", pk=assessment.pk)
    return _form_page(request, form, assessment, heading=f"Change “{action.title}”",
                      submit="Save", action=action)


def report_context(assessment: Assessment, *, compared_with: int | None) -> dict[str, object]:
    """What the group report page shows of the plan: this round's actions and the review
    of the earlier round's actions beside the change."""
    return {
        "action_plan": list(selectors.plan_of(assessment)),
        "action_review": selectors.review_for(assessment, compared_with=compared_with),
    }
