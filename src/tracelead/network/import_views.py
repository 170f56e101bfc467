"""A facilitator imports ties between members from a file (the academy's facilitators
only: the file names people)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from tracelead.academy import access
from tracelead.academy.importing import MAX_BYTES, ImportProblem
from tracelead.academy.models import Event
from tracelead.core.audit import audit_record
from tracelead.core.forms import import_outcome
from tracelead.core.models import AuditEvent

from . import importing
from .forms import ConnectionImportForm

# The events listed in the help with their codes (the latest first).
EVENTS_LISTED = 30


@login_required
def network_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Add many ties from a CSV or Excel file; the whole file is checked first."""
    academy = access.academy_for(request.user, pk, manage=True)
    posted = request.method == "POST"
    form = ConnectionImportForm(request.POST if posted else None,
                                request.FILES if posted else None)
    problems: list[ImportProblem] = []
    result = None
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        result = importing.connection_import(
            academy=academy, data=upload.read(MAX_BYTES + 1),
            filename=upload.name or "", created_by=request.user)
        problems = result.problems
        if not problems:
            audit_record(user=request.user, action=AuditEvent.Action.CHANGED,
                         what=f"Imported {result.created} relationship ties of academy "
                              f"{academy.pk} from a file", system_id=academy.system_id)
    outcome = import_outcome(form, problems, result)
    events = list(Event.objects.filter(academy=academy, starts_at__lte=timezone.now())
                  .order_by("-starts_at", "-id")[:EVENTS_LISTED])
    return render(request, "network/import.jinja", {
        **outcome, "academy": academy, "events": events, "max_rows": importing.MAX_ROWS,
        "max_mb": MAX_BYTES // (1024 * 1024),
        "back_href": reverse("network", args=[academy.pk]), "back_text": "Relationships",
    }, status=outcome["status"])


urlpatterns: list[URLPattern] = [
    path("academy/<int:pk>/network/import/", network_import, name="network_import_page"),
]
