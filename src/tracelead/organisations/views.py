from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from tracelead.core.forms import add_service_errors, error_list, render_form
from tracelead.messaging.jobs import structure_import_start

from . import access, importing, logos, services
from .forms import GroupForm, OrganisationForm, SystemForm, SystemSettingsForm
from .models import Group, Sector


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("systems")
    return render(request, "organisations/home.jinja")


@login_required
def system_list(request: HttpRequest) -> HttpResponse:
    systems = access.systems_for(request.user).prefetch_related("organisations", "groups")
    return render(
        request,
        "organisations/system_list.jinja",
        {"systems": systems, "can_create_systems": access.can_create_systems(request.user)},
    )


@login_required
def system_create(request: HttpRequest) -> HttpResponse:
    if not access.can_create_systems(request.user):
        raise PermissionDenied("Only an administrator can create a system.")
    form = SystemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            system = services.system_create(
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                created_by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Created {system.name}.")
            return redirect("system", pk=system.pk)
    return render_form(
        request,
        form,
        heading="Add a system",
        submit="Add system",
        back_href=reverse("systems"),
    )


def _group_tree(groups: list[Group]) -> list[tuple[Group, int]]:
    """Groups in nesting order with their depth, for an indented list."""
    children: dict[int | None, list[Group]] = {}
    for group in groups:
        children.setdefault(group.parent_id, []).append(group)
    ordered: list[tuple[Group, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for child in children.get(parent, []):
            ordered.append((child, depth))
            walk(child.pk, depth + 1)

    walk(None, 0)
    return ordered


@login_required
def system_detail(request: HttpRequest, pk: int) -> HttpResponse:
    system = access.system_for(request.user, pk)
    groups = list(
        access.groups_for(request.user)
        .filter(system=system)
        .select_related("organisation", "parent")
    )
    if access.covers_system(request.user, system):
        organisations = system.organisations.all()
    else:
        organisation_ids = {g.organisation_id for g in groups} | set(
            access.organisations_for(request.user)
            .filter(system=system)
            .values_list("pk", flat=True)
        )
        organisations = system.organisations.filter(pk__in=organisation_ids)
    from tracelead.diagnostics.models import Assessment

    assessments = Assessment.objects.filter(group__in=[g.pk for g in groups]).select_related(
        "group", "cycle"
    )
    manageable = set(
        access.groups_for(request.user, manage=True)
        .filter(system=system)
        .values_list("pk", flat=True)
    )
    # A group shown inside a parent the user cannot see starts the tree at its own level.
    visible = {g.pk for g in groups}
    for group in groups:
        if group.parent_id not in visible:
            group.parent_id = None
    return render(
        request,
        "organisations/system_detail.jinja",
        {
            "system": system,
            "organisations": organisations,
            # Whose leadership strategy the user may open (tracelead.strategy).
            "strategy_ids": set(access.organisations_for(request.user).filter(system=system)
                                .values_list("pk", flat=True)),
            "group_tree": _group_tree(groups),
            "assessments": assessments,
            "can_manage": access.can_manage(request.user, system),
            "can_add_groups": access.can_add_groups(request.user, system),
            "manageable": manageable,
            "column_class": "nhsuk-grid-column-full",
        },
    )


@login_required
def organisation_create(request: HttpRequest, pk: int) -> HttpResponse:
    system = access.system_for(request.user, pk, manage=True)
    form = OrganisationForm(request.POST or None, system=system)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_create(system=system, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Added {organisation.name}.")
            return redirect("system", pk=system.pk)
    return render_form(
        request,
        form,
        heading=f"Add an organisation to {system.name}",
        submit="Add organisation",
        back_href=reverse("system", args=[system.pk]),
    )


@login_required
def group_create(request: HttpRequest, pk: int) -> HttpResponse:
    system = access.system_for(request.user, pk)
    if not access.can_add_groups(request.user, system):
        raise PermissionDenied("Only a facilitator can add groups.")
    whole = access.can_manage(request.user, system)
    form = GroupForm(
        request.POST or None,
        system=system,
        organisations=None if whole else access.organisations_for(request.user, manage=True),
        groups=access.groups_for(request.user, manage=True).filter(system=system),
    )
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_create(system=system, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Added {group.name}.")
            return redirect("system", pk=system.pk)
    return render_form(
        request,
        form,
        heading=f"Add a group to {system.name}",
        submit="Add group",
        back_href=reverse("system", args=[system.pk]),
    )


@login_required
def structure_import_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Add many organisations and groups at once from a CSV file."""
    system = access.system_for(request.user, pk, manage=True)
    problems: list[importing.ImportProblem] = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            problems = [importing.ImportProblem(0, "", "choose a CSV file to upload")]
        elif upload.size and upload.size > importing.MAX_BYTES:
            problems = [importing.ImportProblem(0, "", "the file is larger than 2 MB")]
        else:
            # Checked and imported by a background job, whose page shows the outcome
            # (the problems by line and column, or what was imported).
            job = structure_import_start(
                user=request.user, system=system, filename=upload.name or "",
                data=upload.read(importing.MAX_BYTES + 1),
            )
            return redirect("job", pk=job.pk)
    return render(
        request,
        "organisations/import.jinja",
        {
            "system": system,
            "problems": problems[:100],
            "more_problems": max(0, len(problems) - 100),
            "form_errors": [{"text": str(p), "href": "#file"} for p in problems[:100]],
            "sectors": Sector.choices,
            "back_href": reverse("system", args=[system.pk]),
            "back_text": system.name,
        },
        status=400 if problems else 200,
    )


@login_required
def system_settings(request: HttpRequest, pk: int) -> HttpResponse:
    """A facilitator sets the respondents' information and uploads the reports' logo."""
    system = access.system_for(request.user, pk, manage=True)
    initial = {"survey_runner": system.survey_runner, "survey_contact": system.survey_contact,
               "privacy_notice": system.privacy_notice}
    form = SystemSettingsForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.system_settings_update(
                system=system, survey_runner=data["survey_runner"],
                survey_contact=data["survey_contact"], privacy_notice=data["privacy_notice"],
                logo=data["logo"] or None, remove_logo=data["remove_logo"], by=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Saved the settings of {system.name}.")
            return redirect("system", pk=system.pk)
    return render(
        request,
        "organisations/system_settings.jinja",
        {
            "system": system,
            "form": form,
            "form_errors": error_list(form),
            "back_href": reverse("system", args=[system.pk]),
            "back_text": system.name,
        },
        status=400 if form.errors else 200,
    )


@login_required
def system_logo(request: HttpRequest, pk: int) -> HttpResponse:
    """The system's logo, for the settings page's preview (members of the system only)."""
    system = access.system_for(request.user, pk)
    kind = logos.logo_kind(system.logo.name) if system.logo else None
    if kind is None:
        raise Http404("This system has no logo.")
    try:
        handle = system.logo.open("rb")
    except OSError as error:
        raise Http404("This system has no logo.") from error
    response = FileResponse(handle, content_type=kind)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    # Opened on its own, an SVG may not run anything or load anything.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response
