"""Report pages and their downloads. Access goes through the tenancy helpers; disclosure
through :mod:`tracelead.reports.selectors`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from tracelead.actions.views import report_context as actions_context
from tracelead.core.audit import audit_assessment, audit_record
from tracelead.core.models import AuditEvent
from tracelead.messaging import jobs
from tracelead.organisations import access
from tracelead.organisations.models import Organisation, Sector, Space
from tracelead.polls.selectors import group_pulses
from tracelead.words.selectors import round_convergence

from . import exports
from .beside import dac_beside_trace
from .builders import group_report, many_groups_report
from .figures import MEASURES


def _download(export: exports.Export) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _nothing_to_export(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "core/error.jinja",
                  {"title": "There is nothing to download yet", "body": message}, status=409)


@login_required
def group_report_page(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = access.assessment_for(request.user, pk)
    report = group_report(assessment)
    audit_assessment(user=request.user, action=AuditEvent.Action.VIEWED,
                     assessment=assessment, what="group report")
    return render(request, "reports/group.jinja", {
        **exports.template_helpers(),
        "report": report,
        "mode": "page",
        "charts": exports.group_charts(report, mode="page"),
        "pulses": group_pulses(report.group, threshold=report.threshold),
        # Task convergence: only where the gate shows the round's comments (words app).
        "convergence": round_convergence(assessment) if report.disclosed else None,
        "can_theme": report.comments_disclosed
        and access.can_manage_group(request.user, assessment.group),
        # The team's action plan, and the earlier round's actions beside the change.
        **actions_context(assessment, compared_with=report.change.previous_id),
        # A group with a shown DAC round and a shown TRACE round: the two side by side.
        "beside": dac_beside_trace(report),
        "column_class": "nhsuk-grid-column-full",
        "back_href": reverse("assessment", args=[assessment.pk]),
        "back_text": "Back to the assessment",
    })


@login_required
def group_report_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in exports.FORMATS:
        raise Http404("No such format.")
    assessment = access.assessment_for(request.user, pk)
    report = group_report(assessment)
    if not report.disclosed:
        return _nothing_to_export(request, "This round's results are not shown yet, so they "
                                  "cannot be downloaded.")
    include_comments = request.GET.get("comments") == "1"
    audit_assessment(user=request.user, action=AuditEvent.Action.EXPORTED,
                     assessment=assessment,
                     what=f"group report ({fmt}{', with comments' if include_comments else ''})")
    return _download(exports.export_group(report, fmt, include_comments=include_comments))


def _many_from_request(request: HttpRequest, pk: int) -> Any:
    return many_report_for(request.user, pk, request.GET)


def many_report_for(user: Any, pk: int, query: Mapping[str, str]) -> Any:
    """The many-groups report a user may see for the page's filters (the query string);
    unknown filter values mean "all". The page, its downloads and their background jobs
    (tracelead.messaging.jobs) all read it here."""
    system = access.system_for(user, pk)
    cycle = None
    cycle_id = query.get("cycle", "")
    if cycle_id:
        if not cycle_id.isdigit():
            raise Http404("No such cycle.")
        cycle = access.cycle_for(user, int(cycle_id))
        if cycle.system_id != system.pk:
            raise Http404("No such cycle.")
    organisation = None
    org_id = query.get("organisation", "")
    if org_id:
        if not org_id.isdigit():
            raise Http404("No such organisation.")
        organisation = Organisation.objects.filter(system=system, pk=int(org_id)).first()
        if organisation is None:
            raise Http404("No such organisation.")
    sector = query.get("sector", "")
    sector = sector if sector in Sector.values else ""
    space = query.get("space", "")
    space = space if space in Space.values else ""
    measure = query.get("measure", "level")
    measure = measure if measure in MEASURES else "level"
    visible = access.visible_groups(user, system)
    return many_groups_report(system, cycle=cycle, organisation=organisation, sector=sector,
                              space=space, measure=measure, visible=visible)


def _audit_many(request: HttpRequest, report: Any, action: str, what: str) -> None:
    scope = report.organisation.name if report.organisation else report.system.name
    cycle = f", {report.cycle.name}" if report.cycle else ""
    audit_record(user=request.user, action=action, what=f"{what} of {scope}{cycle}",
                 system_id=report.system.pk)


@login_required
def many_groups_page(request: HttpRequest, pk: int) -> HttpResponse:
    report = _many_from_request(request, pk)
    _audit_many(request, report, AuditEvent.Action.VIEWED, "heatmap")
    charts, parts = exports.many_charts(report, mode="page")
    f = report.filters
    query = urlencode({k: v for k, v in f.items() if v})
    return render(request, "reports/many.jinja", {
        **exports.template_helpers(),
        "report": report,
        "mode": "page",
        "charts": charts,
        "chart_parts": parts,
        "query": f"?{query}" if query else "",
        "organisation_items": [{"value": str(pk_), "text": name,
                                "selected": f["organisation"] == str(pk_)}
                               for pk_, name in report.organisations],
        "sector_items": [{"value": v, "text": t, "selected": f["sector"] == v}
                         for v, t in report.sectors],
        "space_items": [{"value": v, "text": t, "selected": f["space"] == v}
                        for v, t in report.spaces],
        "cycle_items": [{"value": str(c.pk), "text": c.name,
                         "selected": f["cycle"] == str(c.pk)} for c in report.cycles],
        "column_class": "nhsuk-grid-column-full",
        "back_href": reverse("system", args=[report.system.pk]),
        "back_text": report.system.name,
    })


@login_required
def many_groups_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """CSV and HTML at once; a PDF or workbook is made by a background job (laying out
    every group can take a while), started by the page's buttons (POST)."""
    if fmt not in exports.FORMATS:
        raise Http404("No such format.")
    report = _many_from_request(request, pk)
    if fmt in jobs.REPORT_FORMATS:
        if request.method != "POST":  # an old link or bookmark: the page has the buttons
            query = request.GET.urlencode()
            return redirect(reverse("report_system", args=[pk]) + (f"?{query}" if query else ""))
        return _many_job(request, report, fmt)
    _audit_many(request, report, AuditEvent.Action.EXPORTED, f"heatmap ({fmt})")
    return _download(exports.export_many(report, fmt))


def _many_job(request: HttpRequest, report: Any, fmt: str) -> HttpResponse:
    _audit_many(request, report, AuditEvent.Action.EXPORTED, f"heatmap ({fmt})")
    # The filters as the page applied them, the cycle included: the file shows that cycle.
    query = {k: v for k, v in report.filters.items() if v}
    scope = report.organisation.name if report.organisation else report.system.name
    cycle = f", {report.cycle.name}" if report.cycle else ""
    job = jobs.system_report_start(
        user=request.user, system_id=report.system.pk, query=query, fmt=fmt,
        title=f"{jobs.REPORT_FORMATS[fmt]} of all groups: {scope}{cycle}")
    return redirect("job", pk=job.pk)
