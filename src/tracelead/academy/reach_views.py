"""Reach against targets, the workforce figures behind it, attendance, and the academy
report for a board.

Everyone with a role in the system sees the figures; only the academy's facilitators
change targets and workforce figures, and only they see names (attendance per person,
core groups), on the pages and in the report.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from tracelead.core.audit import audit_record
from tracelead.core.forms import add_service_errors, error_list, import_outcome, render_form
from tracelead.core.models import AuditEvent
from tracelead.organisations.models import Organisation
from tracelead.reports.views import _download

from . import access, exports, reach_services, selectors
from .models import Academy, Programme, StaffGroup, Target, WorkforceDimension, WorkforceFigure
from .reach_forms import TargetForm, WorkforceForm, WorkforceImportForm


def _positive_int(value: str | None) -> int | None:
    # isdecimal with isascii: "²" or "٣" are digits to str.isdigit but not to int().
    ok = value and value.isascii() and value.isdecimal() and len(value) < 10
    return int(value) if ok else None


def _target_of(academy: Academy, pk: int | str | None) -> Target:
    """A target of this academy, or 404 (one of another academy answers the same)."""
    number = _positive_int(str(pk)) if pk is not None else None
    target = Target.objects.filter(academy=academy, pk=number).first() if number else None
    if target is None:
        raise Http404("No such target.")
    return target


def _chosen_target(request: HttpRequest, academy: Academy) -> Target | None:
    """The target asked for in ``?target=``, or the next one due."""
    if request.GET.get("target"):
        return _target_of(academy, request.GET["target"])
    return selectors.default_target(list(Target.objects.filter(academy=academy)),
                                    timezone.localdate())


def _link(request: HttpRequest, **changes: int) -> str:
    """This page's address with some of its query changed (the other filters kept)."""
    query = request.GET.copy()
    for name, value in changes.items():
        query[name] = str(value)
    return "?" + query.urlencode()


def _back(academy: Academy) -> dict[str, str]:
    return {"back_href": reverse("academy", args=[academy.pk]), "back_text": academy.name}


# --- Reach ------------------------------------------------------------------------------------


@login_required
def reach_page(request: HttpRequest, pk: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk)
    target = _chosen_target(request, academy)
    report = selectors.reach_report(academy, target=target)
    return render(request, "academy/reach.jinja", {
        **exports.template_helpers(), **selectors.template_helpers(),
        "academy": academy, "reach": report, "mode": "page",
        "charts": exports.charts(report, mode="page"),
        "chart_caption": exports.chart_caption(report),
        "can_facilitate": access.can_facilitate(request.user, academy),
        "confidence": selectors.CONFIDENCE, "column_class": "nhsuk-grid-column-full",
        **_back(academy),
    })


# --- Targets ------------------------------------------------------------------------------------


@login_required
def target_list(request: HttpRequest, pk: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk)
    total = selectors.workforce_total(academy)
    views = [selectors.target_view(academy, t, total=total)
             for t in Target.objects.filter(academy=academy)]
    return render(request, "academy/targets.jinja", {
        "academy": academy, "targets": views, "workforce_total": total,
        "can_facilitate": access.can_facilitate(request.user, academy), **_back(academy),
    })


def _share_intro(total: int) -> str:
    if total:
        return (f"A share of the workforce is turned into people by multiplying it by the "
                f"whole workforce, {total:,} people (the sum of the organisations' headcounts "
                "on the workforce page), and rounding up: 2% of 1,001 people is 21 people.")
    return ("A share of the workforce is turned into people by multiplying it by the whole "
            "workforce (the sum of the organisations' headcounts on the workforce page) and "
            "rounding up. No organisation has a headcount yet, so enter them before a share "
            "can be followed.")


@login_required
def target_edit(request: HttpRequest, pk: int, target: int | None = None) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    row = _target_of(academy, target) if target is not None else None
    form = TargetForm(request.POST if request.method == "POST" else None,
                      initial=TargetForm.initial_for(row) if row else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = reach_services.target_save(
                academy=academy, target=row, name=data["name"], kind=data["kind"],
                people=data["people"], share_percent=data["share_percent"],
                starts_on=data["starts_on"], by_date=data["by_date"],
                min_events=data["min_events"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Saved the target {saved.name}.")
            return redirect("academy_targets", pk=academy.pk)
    return render_form(request, form, heading=f"Change {row.name}" if row else "Add a target",
                       submit="Save the target",
                       back_href=reverse("academy_targets", args=[academy.pk]),
                       intro=_share_intro(selectors.workforce_total(academy)))


@login_required
def target_remove(request: HttpRequest, pk: int, target: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    row = _target_of(academy, target)
    if request.method != "POST":
        raise PermissionDenied("Remove a target with the button on the list of targets.")
    reach_services.target_remove(target=row)
    messages.success(request, f"Removed the target {row.name}.")
    return redirect("academy_targets", pk=academy.pk)


# --- Workforce ---------------------------------------------------------------------------------


def _workforce_form(request: HttpRequest, academy: Academy) -> WorkforceForm:
    organisations = list(Organisation.objects.filter(system_id=academy.system_id)
                         .order_by("name").values_list("pk", "name"))
    current = {(f.dimension, f.organisation_id, f.key): f.headcount
               for f in WorkforceFigure.objects.filter(academy=academy)}
    return WorkforceForm(request.POST if request.method == "POST" else None, academy=academy,
                         organisations=organisations, current=current)


@login_required
def workforce_page(request: HttpRequest, pk: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk)
    can = access.can_facilitate(request.user, academy)
    if request.method == "POST" and not can:
        raise PermissionDenied("Only the academy's facilitators can change the workforce.")
    form = _workforce_form(request, academy)
    if request.method == "POST" and form.is_valid():
        try:
            changed = reach_services.workforce_save(academy=academy, figures=form.figures())
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, f"Saved the workforce figures ({changed} changed).")
            return redirect("academy_workforce", pk=academy.pk)
    total = selectors.workforce_total(academy)
    return render(request, "academy/workforce.jinja", {
        "academy": academy, "form": form, "form_errors": error_list(form),
        "can_facilitate": can, "workforce_total": total,
        "sections": [
            (WorkforceDimension.ORGANISATION, "Organisations",
             "The whole workforce is the sum of these; sector figures are the sums of their "
             "organisations'.", form.groups[WorkforceDimension.ORGANISATION]),
            (WorkforceDimension.STAFF_GROUP, "Professions and staff groups", "",
             form.groups[WorkforceDimension.STAFF_GROUP]),
            (WorkforceDimension.PLACE, "Places",
             "" if academy.place_list() else "The academy lists no places; add them on its "
             "set-up page to enter their workforce.", form.groups[WorkforceDimension.PLACE]),
        ],
        **_back(academy),
    }, status=400 if form.errors else 200)


@login_required
def workforce_import(request: HttpRequest, pk: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    posted = request.method == "POST"
    form = WorkforceImportForm(request.POST if posted else None, request.FILES if posted else None)
    problems: list[reach_services.ImportProblem] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size and upload.size > reach_services.MAX_BYTES:
            problems = [reach_services.ImportProblem(0, "", "the file is larger than 2 MB")]
        else:
            result = reach_services.workforce_import(
                academy=academy, data=upload.read(reach_services.MAX_BYTES + 1))
            problems = result.problems
            if not problems:
                audit_record(user=request.user, action=AuditEvent.Action.CHANGED,
                             what=f"Imported workforce figures of {academy.name} "
                                  f"({result.added} added, {result.updated} changed)",
                             system_id=academy.system_id)
                messages.success(request, f"Imported the workforce figures: {result.added} "
                                 f"added, {result.updated} changed.")
                return redirect("academy_workforce", pk=academy.pk)
    outcome = import_outcome(form, problems, None)
    return render(request, "academy/workforce_import.jinja", {
        **outcome, "academy": academy,
        "staff_groups": StaffGroup.choices, "places": academy.place_list(),
        "back_href": reverse("academy_workforce", args=[academy.pk]),
        "back_text": "Workforce figures",
    }, status=outcome["status"])


# --- Attendance ---------------------------------------------------------------------------------


@login_required
def attendance_page(request: HttpRequest, pk: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk)
    can = access.can_facilitate(request.user, academy)
    programme = None
    if request.GET.get("programme"):
        number = _positive_int(request.GET["programme"])
        programme = Programme.objects.filter(academy=academy, pk=number).first() \
            if number else None
        if programme is None:
            raise Http404("No such programme.")
    report = selectors.attendance_report(
        academy, with_names=can, page=_positive_int(request.GET.get("page")) or 1,
        people_page=_positive_int(request.GET.get("people")) or 1, programme=programme)
    return render(request, "academy/attendance.jinja", {
        **selectors.template_helpers(), **exports.template_helpers(), "academy": academy,
        "attendance": report, "mode": "page", "with_names": can, "can_facilitate": can,
        "links": {
            "events_previous": _link(request, page=report.page - 1) if report.page > 1 else "",
            "events_next": _link(request, page=report.page + 1)
            if report.page < report.pages else "",
            "people_previous": _link(request, people=report.people_page - 1)
            if report.people_page > 1 else "",
            "people_next": _link(request, people=report.people_page + 1)
            if report.people_page < report.people_pages else "",
        },
        "column_class": "nhsuk-grid-column-full", **_back(academy),
    })


# --- The report ---------------------------------------------------------------------------------


@login_required
def report_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in exports.FORMATS:
        raise Http404("No such format.")
    academy = access.academy_for(request.user, pk)
    target = _chosen_target(request, academy)
    with_names = access.can_facilitate(request.user, academy)
    audit_record(user=request.user, action=AuditEvent.Action.EXPORTED,
                 what=f"academy report ({fmt}{', with names' if with_names else ''}) of "
                      f"{academy.name}", system_id=academy.system_id)
    return _download(exports.export_academy(academy, fmt, with_names=with_names,
                                            target=target))


urlpatterns: list[URLPattern] = [
    path("academy/<int:pk>/reach/", reach_page, name="academy_reach"),
    path("academy/<int:pk>/targets/", target_list, name="academy_targets"),
    path("academy/<int:pk>/targets/new/", target_edit, name="academy_target_new"),
    path("academy/<int:pk>/targets/<int:target>/", target_edit, name="academy_target_edit"),
    path("academy/<int:pk>/targets/<int:target>/remove/", target_remove,
         name="academy_target_remove"),
    path("academy/<int:pk>/workforce/", workforce_page, name="academy_workforce"),
    path("academy/<int:pk>/workforce/import/", workforce_import,
         name="academy_workforce_import"),
    path("academy/<int:pk>/attendance/", attendance_page, name="academy_attendance"),
    path("academy/<int:pk>/report.<str:fmt>", report_export, name="academy_report_export"),
]
