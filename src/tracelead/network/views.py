"""The relationships network of an academy: the page with its graph and figures, the
graph's data, and the network report as PDF or workbook.

The academy's facilitators see people by name; everyone else with a role over the whole
system sees the same page anonymised (organisations and sectors, small counts as "fewer
than N"). The exports are always anonymised. :mod:`.selectors` decides what each may see.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from tracelead.academy import access
from tracelead.academy.models import Academy, Programme
from tracelead.core.audit import audit_record
from tracelead.core.forms import error_list
from tracelead.core.models import AuditEvent
from tracelead.reports.views import _download, _nothing_to_export

from . import exports, publication, selectors

EARLIEST = dt.date(2000, 1, 1)


class ScopeForm(forms.Form):
    """Which network, and the period its new ties and growth are counted over."""

    programme = forms.TypedChoiceField(label="People", required=False, coerce=int,
                                       empty_value=None)
    start = forms.DateField(label="From", required=False, input_formats=["%Y-%m-%d"],
                            error_messages={"invalid": "Enter the start date as a real date"})
    end = forms.DateField(label="To", required=False, input_formats=["%Y-%m-%d"],
                          error_messages={"invalid": "Enter the end date as a real date"})

    def __init__(self, data: Any, *, programmes: list[Programme]) -> None:
        super().__init__(data)
        self.programme_list = programmes
        self.fields["programme"].choices = [
            ("", "Everyone in the academy"),
            *[(p.pk, f"Enrolled on {p.name}") for p in programmes]]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        for name in ("start", "end"):
            day = data.get(name)
            if day is not None and not EARLIEST <= day <= timezone.localdate() + dt.timedelta(
                    days=366):
                self.add_error(name, "Enter a date between 2000 and a year from today")
        if start and end and start > end:
            self.add_error("end", "The end date must be the same as or after the start date")
        return data


def _scope(request: HttpRequest, academy: Academy, *, choose: bool
           ) -> tuple[ScopeForm, dict[str, Any]]:
    """The form from the query, and the network's scope (defaults where it is wrong).

    Only facilitators choose a programme or dates (``choose``). For everyone else the
    scope is always the whole academy up to today: counts of overlapping scopes, each over
    the threshold, could otherwise be subtracted down to a few people."""
    programmes = list(Programme.objects.filter(academy=academy))
    form = ScopeForm((request.GET or None) if choose else None, programmes=programmes)
    scope: dict[str, Any] = {"programme": None, "start": None, "end": None}
    if form.is_bound and form.is_valid():
        chosen = form.cleaned_data.get("programme")
        scope = {"programme": next((p for p in programmes if p.pk == chosen), None),
                 "start": form.cleaned_data.get("start"), "end": form.cleaned_data.get("end")}
    return form, scope


def _query(scope: dict[str, Any]) -> str:
    parts = []
    if scope["programme"] is not None:
        parts.append(f"programme={scope['programme'].pk}")
    for name in ("start", "end"):
        if scope[name] is not None:
            parts.append(f"{name}={scope[name].isoformat()}")
    return ("?" + "&".join(parts)) if parts else ""


def _published_page(request: HttpRequest, academy: Academy, *, preview: bool
                    ) -> HttpResponse:
    """The network as last published: what everyone but the facilitators sees."""
    last = publication.latest(academy)
    context: dict[str, Any] = {
        "academy": academy, "named": False, "published": last, "preview": preview,
        "mode": "page", "column_class": "nhsuk-grid-column-full",
        "back_href": reverse("network", args=[academy.pk]) if preview
        else reverse("academy", args=[academy.pk]),
        "back_text": "Relationships network" if preview else academy.name,
        "kinds": selectors.KIND_LABELS, "rule_of_thumb": selectors.RULE_OF_THUMB,
        "export_query": "", "import_url": "",
    }
    if last is None:
        return render(request, "network/network_unpublished.jinja", context)
    context.update({
        "figures": publication.figures_from(last.page["figures"]),
        "tables": publication.tables_from(last.page["tables"]),
        "data_url": reverse("network_data", args=[academy.pk])
        + ("?view=published" if preview else ""),
    })
    if not preview:
        audit_record(user=request.user, action=AuditEvent.Action.VIEWED,
                     what=f"relationships network of {academy.name} (publication "
                          f"{last.number})", system_id=academy.system_id)
    return render(request, "network/network.jinja", context)


def _preview(request: HttpRequest) -> bool:
    return request.GET.get("view") == "published"


@login_required
def network_page(request: HttpRequest, pk: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk)
    named = access.can_facilitate(request.user, academy)
    if not named or _preview(request):
        return _published_page(request, academy, preview=named)
    form, scope = _scope(request, academy, choose=named)
    network = selectors.network_for(academy, **scope)
    threshold = None if named else selectors.network_threshold(academy)
    figures = selectors.figures(network, named=named, threshold=threshold)
    tables = {grouping: selectors.group_tables(
        network, selectors.grouped_network(network, grouping=grouping,
                                           threshold=threshold or 1), threshold=threshold)
        for grouping in ("organisation", "sector")}
    query = _query(scope)
    return render(request, "network/network.jinja", {
        "academy": academy, "network": network, "figures": figures, "tables": tables,
        "named": named, "form": form, "form_errors": error_list(form),
        "data_url": reverse("network_data", args=[academy.pk]) + query,
        "export_query": query, "mode": "page", "column_class": "nhsuk-grid-column-full",
        "back_href": reverse("academy", args=[academy.pk]), "back_text": academy.name,
        "kinds": selectors.KIND_LABELS, "rule_of_thumb": selectors.RULE_OF_THUMB,
        "import_url": _import_url(academy) if named else "",
        "published": publication.latest(academy), "publish_error": "",
    }, status=400 if form.errors else 200)


@login_required
def network_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """A facilitator publishes the network for everyone else (POST only)."""
    academy = access.academy_for(request.user, pk)
    if not access.can_facilitate(request.user, academy):
        raise Http404("No such page.")
    if request.method != "POST":
        return redirect("network", academy.pk)
    try:
        made = publication.publish(academy, by=request.user)
    except publication.PublicationRefused as refused:
        messages.error(request, str(refused))
        return redirect(reverse("network", args=[academy.pk]) + "#publish")
    widened = (f" {made.widened} group{'s were' if made.widened != 1 else ' was'} pooled "
               "further so that, read with earlier publications, no small organisation or "
               "sector can be told apart.") if made.widened else ""
    messages.success(request, f"The network as it stands today is published for viewers "
                              f"(publication {made.number}).{widened}")
    return redirect(reverse("network", args=[academy.pk]) + "#publish")


def _import_url(academy: Academy) -> str:
    """The page for importing ties from a file, where it exists."""
    from django.urls import NoReverseMatch

    try:
        return reverse("network_import_page", args=[academy.pk])
    except NoReverseMatch:
        return ""


@login_required
def network_data(request: HttpRequest, pk: int) -> HttpResponse:
    """The graph for the page: people by name for facilitators; for everyone else only
    organisations and sectors, with no member's id or name."""
    academy = access.academy_for(request.user, pk)
    named = access.can_facilitate(request.user, academy)
    if not named or _preview(request):
        last = publication.latest(academy)
        if last is None:
            return JsonResponse({"errors": ["The network has not been published yet."]},
                                status=404)
        response = JsonResponse(last.graph)
        response["Cache-Control"] = "private, no-store"
        return response
    form, scope = _scope(request, academy, choose=named)
    if form.errors:
        return JsonResponse({"errors": [e["text"] for e in error_list(form)]}, status=400)
    network = selectors.network_for(academy, measure=False, **scope)
    response = JsonResponse(selectors.person_graph(network))
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def network_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in exports.FORMATS:
        raise Http404("No such format.")
    academy = access.academy_for(request.user, pk)
    named = access.can_facilitate(request.user, academy)
    if not named or _preview(request):
        last = publication.latest(academy)
        if last is None:
            return _nothing_to_export(request, "The academy's facilitators have not "
                                               "published the network yet.")
        audit_record(user=request.user, action=AuditEvent.Action.EXPORTED,
                     what=f"relationships network ({fmt}) of {academy.name}, publication "
                          f"{last.number}", system_id=academy.system_id)
        return _download(exports.Export(bytes(getattr(last, fmt)),
                                        exports.filename(academy, last.as_of, fmt),
                                        exports.CONTENT_TYPES[fmt]))
    _, scope = _scope(request, academy, choose=True)
    audit_record(user=request.user, action=AuditEvent.Action.EXPORTED,
                 what=f"relationships network ({fmt}, anonymised) of {academy.name}",
                 system_id=academy.system_id)
    return _download(exports.export_network(academy, fmt, **scope))


urlpatterns: list[URLPattern] = [
    path("academy/<int:pk>/network/", network_page, name="network"),
    path("academy/<int:pk>/network/data.json", network_data, name="network_data"),
    path("academy/<int:pk>/network.<str:fmt>", network_export, name="network_export"),
    path("academy/<int:pk>/network/publish/", network_publish, name="network_publish"),
]
