"""The academy's home, and its set-up: purpose, principles, places, privacy notice, the
leader characteristics it develops and its offers."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, register_converter, reverse
from django.utils import timezone

from tracelead.core.forms import add_service_errors, render_form
from tracelead.organisations import access as organisations_access

from . import access, services
from .forms import AcademyForm, NamedItemForm
from .models import Academy, Characteristic, Event, Member, Offer


@login_required
def academy_list(request: HttpRequest) -> HttpResponse:
    academies = access.academies_for(request.user)
    with_academy = {a.system_id for a in academies}
    can_start = [s for s in organisations_access.systems_for(request.user, manage=True)
                 if s.pk not in with_academy and organisations_access.can_manage(request.user, s)]
    return render(request, "academy/academy_list.jinja",
                  {"academies": academies, "can_start": can_start})


def _academy_fields(form: AcademyForm) -> dict[str, Any]:
    return {name: form.cleaned_data[name]
            for name in ("name", "purpose", "principles", "places", "privacy_notice")}


@login_required
def academy_create(request: HttpRequest) -> HttpResponse:
    try:
        system_pk = int(request.GET.get("system", ""))
    except ValueError:
        raise Http404("No such system.") from None
    system = organisations_access.system_for(request.user, system_pk, manage=True)
    form = AcademyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            academy = services.academy_create(system=system, **_academy_fields(form))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if not form.cleaned_data["sign_up_open"]:
                Academy.objects.filter(pk=academy.pk).update(sign_up_open=False)
            messages.success(request, f"Started {academy.name}.")
            return redirect("academy", pk=academy.pk)
    return render_form(request, form, heading=f"Start the academy of {system.name}",
                       submit="Start the academy", back_href=reverse("academies"))


@login_required
def academy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    initial = {name: getattr(academy, name) for name in
               ("name", "purpose", "principles", "places", "privacy_notice", "sign_up_open")}
    form = AcademyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        for name, value in _academy_fields(form).items():
            setattr(academy, name, value)
        academy.sign_up_open = form.cleaned_data["sign_up_open"]
        academy.save()
        messages.success(request, "Saved the academy's set-up.")
        return redirect("academy", pk=academy.pk)
    return render_form(request, form, heading=f"Set up {academy.name}", submit="Save",
                       back_href=reverse("academy", args=[academy.pk]))


@login_required
def academy_home(request: HttpRequest, pk: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk)
    now = timezone.now()
    counts = Member.objects.filter(academy=academy).aggregate(
        members=Count("pk", filter=Q(left_at__isnull=True)))
    events = Event.objects.filter(academy=academy)
    return render(request, "academy/home.jinja", {
        "academy": academy,
        "can_facilitate": access.can_facilitate(request.user, academy),
        "member_count": counts["members"],
        "upcoming": list(events.filter(starts_at__gte=now, cancelled_at__isnull=True)
                         .select_related("programme")[:5]),
        "past_count": events.filter(starts_at__lt=now).count(),
        "characteristics": list(academy.characteristics.all()),
        "offers": list(academy.offers.annotate(programme_count=Count("programmes"))),
        "join_url": request.build_absolute_uri(reverse("academy_join",
                                                       args=[academy.join_code])),
    })


# --- Characteristics and offers: the same list, add, change and remove pages ----------

KINDS: dict[str, tuple[type[Characteristic] | type[Offer], str, str]] = {
    "characteristics": (Characteristic, "leader characteristic", "Leader characteristics"),
    "offers": (Offer, "offer", "Offers"),
}


def _kind(kind: str) -> tuple[type[Characteristic] | type[Offer], str, str]:
    if kind not in KINDS:
        raise Http404("No such list.")
    return KINDS[kind]


@login_required
def item_list(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    model, singular, title = _kind(kind)
    academy = access.academy_for(request.user, pk)
    return render(request, "academy/items.jinja", {
        "academy": academy, "items": list(model.objects.filter(academy=academy)),
        "kind": kind, "singular": singular, "title": title,
        "can_facilitate": access.can_facilitate(request.user, academy),
        "back_href": reverse("academy", args=[academy.pk]),
    })


@login_required
def item_edit(request: HttpRequest, pk: int, kind: str, item: int | None = None) -> HttpResponse:
    model, singular, _ = _kind(kind)
    academy = access.academy_for(request.user, pk, manage=True)
    row = None
    if item is not None:
        row = model.objects.filter(academy=academy, pk=item).first()
        if row is None:
            raise Http404("No such item.")
    initial = ({"name": row.name, "description": row.description, "position": row.position}
               if row else {"position": model.objects.filter(academy=academy).count() + 1})
    form = NamedItemForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["name"].strip()
        taken = model.objects.filter(academy=academy, name__iexact=name)
        if row is not None:
            taken = taken.exclude(pk=row.pk)
        if taken.exists():
            form.add_error("name", f"The academy already has a {singular} with this name")
        else:
            row = row or model(academy=academy)
            row.name = name
            row.description = form.cleaned_data["description"]
            row.position = form.cleaned_data["position"]
            row.save()
            messages.success(request, f"Saved {row.name}.")
            return redirect("academy_items", pk=academy.pk, kind=kind)
    heading = f"Change {row.name}" if row else f"Add a {singular}"
    return render_form(request, form, heading=heading, submit="Save",
                       back_href=reverse("academy_items", args=[academy.pk, kind]))


def _in_a_development_plan(offer: Offer) -> bool:
    from tracelead.strategy.models import DevelopmentLink

    return DevelopmentLink.objects.filter(offer=offer).exists()


@login_required
def item_remove(request: HttpRequest, pk: int, kind: str, item: int) -> HttpResponse:
    model, singular, _ = _kind(kind)
    academy = access.academy_for(request.user, pk, manage=True)
    if request.method != "POST":
        raise PermissionDenied("Remove with the button on the list.")
    row = model.objects.filter(academy=academy, pk=item).first()
    if row is None:
        raise Http404("No such item.")
    if isinstance(row, Offer) and row.programmes.exists():
        messages.error(request, f"{row.name} has programmes, so it cannot be removed. Move or "
                       "remove its programmes first.")
    elif isinstance(row, Offer) and _in_a_development_plan(row):
        # Removing it would silently take it out of a board's development plan.
        messages.error(request, f"{row.name} is in a board's development plan, so it cannot "
                       "be removed. Ask the board to take it out of the plan first.")
    else:
        row.delete()
        messages.success(request, f"Removed the {singular} {row.name}.")
    return redirect("academy_items", pk=academy.pk, kind=kind)


class ListKind:
    """Only the two lists match, since the other topics' pages live under academy/<pk>/."""

    regex = "characteristics|offers"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ListKind, "listkind")

urlpatterns = [
    path("academy/", academy_list, name="academies"),
    path("academy/new/", academy_create, name="academy_create"),
    path("academy/<int:pk>/", academy_home, name="academy"),
    path("academy/<int:pk>/set-up/", academy_edit, name="academy_edit"),
    path("academy/<int:pk>/<listkind:kind>/", item_list, name="academy_items"),
    path("academy/<int:pk>/<listkind:kind>/new/", item_edit, name="academy_item_new"),
    path("academy/<int:pk>/<listkind:kind>/<int:item>/", item_edit, name="academy_item_edit"),
    path("academy/<int:pk>/<listkind:kind>/<int:item>/remove/", item_remove,
         name="academy_item_remove"),
]
