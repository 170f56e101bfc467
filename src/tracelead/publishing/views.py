"""Pages for a system's reporting cycles: list, create, change thresholds."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from tracelead.core.forms import add_service_errors, render_form
from tracelead.organisations import access

from . import services
from .forms import CycleForm
from .models import Cycle


@login_required
def cycle_list(request: HttpRequest, pk: int) -> HttpResponse:
    system = access.system_for(request.user, pk)
    cycles = (Cycle.objects.filter(system=system)
              .annotate(n_rounds=Count("assessments", distinct=True),
                        n_publications=Count("publications", distinct=True))
              .order_by("-created_at", "-id"))
    return render(request, "publishing/cycle_list.jinja", {
        "system": system, "cycles": cycles, "can_manage": access.can_manage(request.user, system),
        "back_href": reverse("system", args=[system.pk]), "back_text": system.name,
    })


@login_required
def cycle_create(request: HttpRequest, pk: int) -> HttpResponse:
    system = access.system_for(request.user, pk, manage=True)
    form = CycleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cycle = services.cycle_create(system=system, created_by=request.user,
                                          **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Created the cycle {cycle.name}.")
            return redirect("cycles", pk=system.pk)
    return render_form(
        request, form, heading="Add a reporting cycle",
        intro="A cycle is a reporting period, such as “Autumn 2026”. Each group has at most "
        "one round in a cycle, and every round in it is published with the same anonymity "
        "thresholds, so that one round's setting never changes what other groups show.",
        submit="Add cycle", back_href=reverse("cycles", args=[system.pk]),
    )


@login_required
def cycle_edit(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = access.cycle_for(request.user, pk, manage=True)
    locked = cycle.thresholds_locked
    form = CycleForm(request.POST or None, locked=locked, initial={
        "name": cycle.name, "threshold": cycle.threshold,
        "comment_threshold": cycle.comment_threshold,
    })
    if request.method == "POST" and form.is_valid():
        try:
            services.cycle_update(cycle=cycle, changed_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("cycles", pk=cycle.system_id)
    return render_form(
        request, form, heading=f"Change {cycle.name}",
        intro="Answers have arrived in this cycle, so its thresholds are fixed." if locked
        else "The thresholds can change until the first answers arrive in any round of the "
        "cycle. Every change is recorded.",
        submit="Save", back_href=reverse("cycles", args=[cycle.system_id]),
    )
