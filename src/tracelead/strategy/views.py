"""The board's leadership strategy pages: the workspace, the culture, the behaviour
framework and its versions, and the leadership inventory with its import. Facilitators of
the organisation change them; its viewers read them (:mod:`tracelead.strategy.access`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from tracelead.academy.importing import MAX_BYTES, ImportProblem
from tracelead.core.audit import audit_record
from tracelead.core.forms import add_service_errors, import_outcome, render_form
from tracelead.core.models import AuditEvent
from tracelead.organisations.models import Group, Organisation

from . import importing, selectors, services
from .access import can_edit, organisation_for
from .charts import outcome_svg
from .forms import (
    BehaviourForm,
    CultureForm,
    MilestoneForm,
    OutcomeForm,
    OutcomeValueForm,
    PositionForm,
    PositionImportForm,
)
from .models import Milestone, Outcome, Phase, Position, Strategy


def _strategy(organisation: Organisation) -> Strategy:
    found = Strategy.objects.filter(organisation=organisation).first()
    if found is None:
        raise Http404("The board has not started its leadership strategy yet.")
    return found


def _audit(request: HttpRequest, organisation: Organisation, what: str) -> None:
    audit_record(user=request.user, action=AuditEvent.Action.CHANGED,
                 what=f"{what} (leadership strategy of {organisation.name})",
                 system_id=organisation.system_id)


@login_required
def strategy_page(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = organisation_for(request.user, pk)
    editor = can_edit(request.user, organisation)
    if request.method == "POST":
        if not editor:
            raise PermissionDenied("Only the organisation's facilitators start its strategy.")
        services.strategy_create(organisation=organisation, user=request.user)
        _audit(request, organisation, "Started")
        messages.success(request, "The leadership strategy is started, with the default "
                                  "behaviour framework to adapt.")
        return redirect("strategy", pk=organisation.pk)
    strategy = Strategy.objects.filter(organisation=organisation).first()
    context: dict[str, object] = {
        "organisation": organisation, "strategy": strategy, "editor": editor,
        "back_href": reverse("system", args=[organisation.system_id]),
        "back_text": organisation.system.name,
    }
    if strategy is not None:
        context["framework"] = selectors.framework_view(services.current_framework(strategy))
        context["inventory"] = selectors.inventory(strategy)
        today = timezone.localdate()
        milestones = list(strategy.milestones.all())
        context["milestones"] = {
            "total": len(milestones),
            "done": sum(1 for m in milestones if m.status == "done"),
            "overdue": sum(1 for m in milestones if m.status != "done" and m.due_on < today),
        } if milestones else None
    return render(request, "strategy/workspace.jinja", context)


@login_required
def culture_edit(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = organisation_for(request.user, pk, manage=True)
    strategy = _strategy(organisation)
    form = CultureForm(request.POST or None, initial={
        "culture": strategy.culture, "values": "\n".join(strategy.values)})
    if request.method == "POST" and form.is_valid():
        try:
            services.culture_save(strategy=strategy, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            _audit(request, organisation, "Changed the culture statement and values")
            messages.success(request, "Saved the culture the board wants.")
            return redirect("strategy", pk=organisation.pk)
    return render_form(request, form, heading="The culture the board wants",
                       submit="Save", back_href=reverse("strategy", args=[organisation.pk]))


@login_required
def framework_page(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = organisation_for(request.user, pk)
    strategy = _strategy(organisation)
    versions = list(strategy.frameworks.all())
    wanted = request.GET.get("version", "")
    shown = next((f for f in versions if str(f.version) == wanted), versions[0])
    return render(request, "strategy/framework.jinja", {
        "organisation": organisation, "strategy": strategy,
        "framework": selectors.framework_view(shown), "versions": versions,
        "latest": shown.pk == versions[0].pk, "editor": can_edit(request.user, organisation),
        "column_class": "nhsuk-grid-column-full",
        "back_href": reverse("strategy", args=[organisation.pk]),
        "back_text": "The leadership strategy",
    })


@login_required
def behaviour_edit(request: HttpRequest, pk: int, key: str = "") -> HttpResponse:
    organisation = organisation_for(request.user, pk, manage=True)
    strategy = _strategy(organisation)
    current = services.current_framework(strategy)
    behaviour = current.behaviours.filter(key=key).first() if key else None
    if key and behaviour is None:
        raise Http404("No such behaviour.")
    initial = ({"kind": behaviour.kind, "title": behaviour.title,
                "description": behaviour.description, "role": behaviour.role}
               if behaviour else {"kind": "every"})
    form = BehaviourForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.behaviour_save(strategy=strategy, key=key, user=request.user,
                                           **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            _audit(request, organisation, f"Framework version {made.version}: {made.note}")
            messages.success(request, f"Saved as version {made.version} of the framework. "
                                      "Earlier versions stay as they were.")
            return redirect("strategy_framework", pk=organisation.pk)
    return render_form(
        request, form, heading=f"Change “{behaviour.title}”" if behaviour else
        "Add a behaviour", submit="Save as a new version",
        back_href=reverse("strategy_framework", args=[organisation.pk]),
        intro="Each change makes a new version of the framework; the earlier versions stay "
              "as they were, so ratings made against them can still be read.")


@login_required
def behaviour_remove(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    organisation = organisation_for(request.user, pk, manage=True)
    if request.method != "POST":
        raise PermissionDenied("Use the button on the page.")
    try:
        made = services.behaviour_remove(strategy=_strategy(organisation), key=key,
                                         user=request.user)
    except ValidationError as error:
        raise Http404("No such behaviour.") from error
    _audit(request, organisation, f"Framework version {made.version}: {made.note}")
    messages.success(request, f"{made.note}: version {made.version} of the framework.")
    return redirect("strategy_framework", pk=organisation.pk)


@login_required
def positions_page(request: HttpRequest, pk: int) -> HttpResponse:
    from .development import development_by_position  # it builds on this module

    organisation = organisation_for(request.user, pk)
    strategy = _strategy(organisation)
    return render(request, "strategy/positions.jinja", {
        "organisation": organisation, "strategy": strategy,
        "inventory": selectors.inventory(strategy),
        "development": development_by_position(strategy),
        "titles": selectors.behaviour_titles(strategy),
        "editor": can_edit(request.user, organisation),
        "column_class": "nhsuk-grid-column-full",
        "back_href": reverse("strategy", args=[organisation.pk]),
        "back_text": "The leadership strategy",
    })


def _groups(organisation: Organisation) -> list[Group]:
    return list(Group.objects.filter(system_id=organisation.system_id,
                                     organisation=organisation).order_by("name"))


@login_required
def position_edit(request: HttpRequest, pk: int, position: int | None = None) -> HttpResponse:
    organisation = organisation_for(request.user, pk, manage=True)
    strategy = _strategy(organisation)
    row = None
    if position is not None:
        row = Position.objects.filter(strategy=strategy, pk=position).first()
        if row is None:
            raise Http404("No such position.")
    behaviours = [(b.key, b.title) for b in services.current_framework(strategy)
                  .behaviours.all()]
    initial = ({"title": row.title, "kind": row.kind, "needed": row.needed,
                "in_post": row.in_post, "clinical": row.clinical,
                "groups": [str(g.pk) for g in row.groups.all()],
                "behaviours": row.behaviours, "skills": row.skills,
                "succession": row.succession} if row else None)
    form = PositionForm(request.POST or None, initial=initial,
                        groups=_groups(organisation), behaviours=behaviours)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["groups"] = form.chosen_groups()
        try:
            saved = services.position_save(strategy=strategy, position=row, **data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            _audit(request, organisation, f"Saved the position {saved.title}")
            messages.success(request, f"Saved “{saved.title}”.")
            return redirect("strategy_positions", pk=organisation.pk)
    return render_form(request, form,
                       heading=f"Change “{row.title}”" if row else "Add a position",
                       submit="Save", back_href=reverse("strategy_positions",
                                                        args=[organisation.pk]))


@login_required
def position_delete(request: HttpRequest, pk: int, position: int) -> HttpResponse:
    organisation = organisation_for(request.user, pk, manage=True)
    if request.method != "POST":
        raise PermissionDenied("Use the button on the page.")
    row = Position.objects.filter(strategy=_strategy(organisation), pk=position).first()
    if row is None:
        raise Http404("No such position.")
    if row.feedback_summaries.exists():
        messages.error(request, f"“{row.title}” has 360 summaries the board has read, so it "
                                "stays in the inventory; change it instead.")
        return redirect("strategy_positions", pk=organisation.pk)
    row.delete()
    _audit(request, organisation, f"Removed the position {row.title}")
    messages.success(request, f"Removed “{row.title}”.")
    return redirect("strategy_positions", pk=organisation.pk)


def _file_import(request: HttpRequest, organisation: Organisation, *, label: str,
                 run: Callable[..., Any], audit: Callable[[Any], str],
                 template: str, context: dict[str, object],
                 form_class: type[PositionImportForm] = PositionImportForm) -> HttpResponse:
    """A file-import page of the strategy: the upload checked whole by ``run`` (data,
    file name, and the form's other fields by name), the outcome shown, an audit record
    when something was written."""
    posted = request.method == "POST"
    form = form_class(request.POST if posted else None, request.FILES if posted else None)
    form.fields["file"].label = label
    problems: list[ImportProblem] = []
    result = None
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        others = {k: v for k, v in form.cleaned_data.items() if k != "file"}
        result = run(upload.read(MAX_BYTES + 1), upload.name or "", **others)
        problems = result.problems
        if not problems:
            _audit(request, organisation, audit(result))
    outcome = import_outcome(form, problems, result)
    return render(request, template, {
        **outcome, **context, "organisation": organisation,
        "max_mb": MAX_BYTES // (1024 * 1024),
    }, status=outcome["status"])


@login_required
def positions_import(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = organisation_for(request.user, pk, manage=True)
    strategy = _strategy(organisation)
    return _file_import(
        request, organisation, label="A CSV or Excel (.xlsx) file of positions",
        run=lambda data, name: importing.position_import(strategy=strategy, data=data,
                                                          filename=name),
        audit=lambda r: f"Imported {r.created} new and {r.updated} changed positions",
        template="strategy/import.jinja", context={
            "max_rows": importing.MAX_ROWS,
            "back_href": reverse("strategy_positions", args=[organisation.pk]),
            "back_text": "The leadership inventory"})


# --- Outcomes and milestones --------------------------------------------------------------


@login_required
def outcomes_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Each measure over time against the milestones; editors add measures and values."""
    organisation = organisation_for(request.user, pk)
    strategy = _strategy(organisation)
    editor = can_edit(request.user, organisation)
    if request.method == "POST":
        if not editor:
            raise PermissionDenied("Only the organisation's facilitators change the outcomes.")
        added = services.outcomes_standard(strategy=strategy)
        if added:
            _audit(request, organisation, f"Added {len(added)} standard outcome measures")
        messages.success(request, f"Added {len(added)} standard "
                                  f"{'measure' if len(added) == 1 else 'measures'}.")
        return redirect("strategy_outcomes", pk=organisation.pk)
    milestones = list(strategy.milestones.all())
    outcomes = list(strategy.outcomes.prefetch_related("values"))
    return render(request, "strategy/outcomes.jinja", {
        "organisation": organisation, "strategy": strategy, "editor": editor,
        "rows": [(o, list(o.values.all()), outcome_svg(o, milestones)) for o in outcomes],
        "standard": [name for name, _u, _b in services.STANDARD_OUTCOMES
                     if name.casefold() not in {o.name.casefold() for o in outcomes}],
        "column_class": "nhsuk-grid-column-full",
        "back_href": reverse("strategy", args=[organisation.pk]),
        "back_text": "The leadership strategy",
    })


@login_required
def outcome_new(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = organisation_for(request.user, pk, manage=True)
    strategy = _strategy(organisation)
    form = OutcomeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.outcome_save(strategy=strategy, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            _audit(request, organisation, f"Added the outcome measure {made.name}")
            messages.success(request, f"Added “{made.name}”.")
            return redirect("strategy_outcomes", pk=organisation.pk)
    return render_form(request, form, heading="Add an outcome measure", submit="Add",
                       back_href=reverse("strategy_outcomes", args=[organisation.pk]))


@login_required
def outcome_value_new(request: HttpRequest, pk: int, outcome: int) -> HttpResponse:
    organisation = organisation_for(request.user, pk, manage=True)
    row = Outcome.objects.filter(strategy=_strategy(organisation), pk=outcome).first()
    if row is None:
        raise Http404("No such measure.")
    form = OutcomeValueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.outcome_value_save(outcome=row, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            _audit(request, organisation, f"Recorded a value of {row.name}")
            messages.success(request, f"Recorded the value of “{row.name}”.")
            return redirect(reverse("strategy_outcomes", args=[organisation.pk])
                            + f"#outcome-{row.pk}")
    return render_form(request, form, heading=f"Record a value of “{row.name}”",
                       submit="Record", back_href=reverse("strategy_outcomes",
                                                          args=[organisation.pk]),
                       intro="A second value for the same day replaces the first.")


@login_required
def outcome_values_import(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = organisation_for(request.user, pk, manage=True)
    strategy = _strategy(organisation)
    return _file_import(
        request, organisation, label="A CSV or Excel (.xlsx) file of values",
        run=lambda data, name: importing.value_import(strategy=strategy, data=data,
                                                       filename=name),
        audit=lambda r: f"Imported {r.written} outcome values",
        template="strategy/values_import.jinja", context={
            "measures": list(strategy.outcomes.values_list("name", flat=True)),
            "max_rows": importing.MAX_VALUE_ROWS,
            "back_href": reverse("strategy_outcomes", args=[organisation.pk]),
            "back_text": "Outcomes"})


@login_required
def milestones_page(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = organisation_for(request.user, pk)
    strategy = _strategy(organisation)
    milestones = list(strategy.milestones.all())
    return render(request, "strategy/milestones.jinja", {
        "organisation": organisation, "strategy": strategy,
        "editor": can_edit(request.user, organisation),
        "phases": [(value, label, [m for m in milestones if m.phase == value])
                   for value, label in Phase.choices],
        "today": timezone.localdate(),
        "column_class": "nhsuk-grid-column-full",
        "back_href": reverse("strategy", args=[organisation.pk]),
        "back_text": "The leadership strategy",
    })


@login_required
def milestone_edit(request: HttpRequest, pk: int, milestone: int | None = None
                   ) -> HttpResponse:
    organisation = organisation_for(request.user, pk, manage=True)
    strategy = _strategy(organisation)
    row = None
    if milestone is not None:
        row = Milestone.objects.filter(strategy=strategy, pk=milestone).first()
        if row is None:
            raise Http404("No such milestone.")
    initial = ({"phase": row.phase, "title": row.title, "due_on": row.due_on,
                "owner": row.owner, "status": row.status, "evidence": row.evidence}
               if row else None)
    form = MilestoneForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.milestone_save(strategy=strategy, milestone=row,
                                            **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            _audit(request, organisation, f"Saved the milestone {saved.title}")
            messages.success(request, f"Saved “{saved.title}”.")
            return redirect("strategy_milestones", pk=organisation.pk)
    return render_form(request, form,
                       heading=f"Change “{row.title}”" if row else "Add a milestone",
                       submit="Save", back_href=reverse("strategy_milestones",
                                                        args=[organisation.pk]))


urlpatterns: list[URLPattern] = [
    path("organisations/<int:pk>/strategy/", strategy_page, name="strategy"),
    path("organisations/<int:pk>/strategy/culture/", culture_edit, name="strategy_culture"),
    path("organisations/<int:pk>/strategy/framework/", framework_page,
         name="strategy_framework"),
    path("organisations/<int:pk>/strategy/framework/new/", behaviour_edit,
         name="strategy_behaviour_new"),
    path("organisations/<int:pk>/strategy/framework/<slug:key>/", behaviour_edit,
         name="strategy_behaviour"),
    path("organisations/<int:pk>/strategy/framework/<slug:key>/remove/", behaviour_remove,
         name="strategy_behaviour_remove"),
    path("organisations/<int:pk>/strategy/positions/", positions_page,
         name="strategy_positions"),
    path("organisations/<int:pk>/strategy/positions/new/", position_edit,
         name="strategy_position_new"),
    path("organisations/<int:pk>/strategy/positions/<int:position>/", position_edit,
         name="strategy_position"),
    path("organisations/<int:pk>/strategy/positions/<int:position>/remove/",
         position_delete, name="strategy_position_remove"),
    path("organisations/<int:pk>/strategy/positions/import/", positions_import,
         name="strategy_positions_import"),
    path("organisations/<int:pk>/strategy/outcomes/", outcomes_page, name="strategy_outcomes"),
    path("organisations/<int:pk>/strategy/outcomes/new/", outcome_new,
         name="strategy_outcome_new"),
    path("organisations/<int:pk>/strategy/outcomes/<int:outcome>/value/", outcome_value_new,
         name="strategy_outcome_value"),
    path("organisations/<int:pk>/strategy/outcomes/import/", outcome_values_import,
         name="strategy_outcomes_import"),
    path("organisations/<int:pk>/strategy/milestones/", milestones_page,
         name="strategy_milestones"),
    path("organisations/<int:pk>/strategy/milestones/new/", milestone_edit,
         name="strategy_milestone_new"),
    path("organisations/<int:pk>/strategy/milestones/<int:milestone>/", milestone_edit,
         name="strategy_milestone"),
]
