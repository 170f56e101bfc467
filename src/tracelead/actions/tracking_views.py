"""The response-tracking page of a cycle: each open round the user may see, with its count
and rate by day (as the round's own page shows them: only at or over the threshold)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from tracelead.diagnostics.models import AssessmentStatus
from tracelead.organisations import access
from tracelead.reports.exports import template_helpers

from .tracking import round_tracking, tracking_chart


@login_required
def tracking_page(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = access.cycle_for(request.user, pk)
    today = timezone.localdate()
    rounds = [a for a in access.assessments_for(request.user).filter(cycle=cycle)
              .select_related("group", "cycle").order_by("group__name", "id")
              if a.status_on(today) == AssessmentStatus.OPEN]
    tracked = [round_tracking(a, today=today) for a in rounds]
    charts = {f"chart-responses-{t.assessment.pk}": tracking_chart(t)
              for t in tracked if t.shown_points}
    return render(request, "actions/tracking.jinja", {
        **template_helpers(),
        "cycle": cycle,
        "tracked": tracked,
        "charts": charts,
        "mode": "page",
        "back_href": reverse("cycles", args=[cycle.system_id]),
        "back_text": "Reporting cycles",
    })
