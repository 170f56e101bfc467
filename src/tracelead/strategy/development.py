"""The development plan: which of the academy's offers and programmes develop each
position of the leadership inventory, and which positions with no one ready to step in
have nothing planned.

The academy is the one of the organisation's system; a link may only name its offers or
programmes. Facilitators of the organisation add and remove links; its viewers read the
plan, with links to the programme pages they may open themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Min
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from tracelead.academy import access as academy_access
from tracelead.academy.models import Academy, Event, Offer, Programme
from tracelead.core.forms import add_service_errors, render_form
from tracelead.organisations.models import Organisation

from .access import can_edit, organisation_for
from .models import DevelopmentLink, Position, PositionKind, Strategy, Succession
from .views import _audit, _strategy

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

NOTE_LIMIT = 300


def academy_of(organisation: Organisation) -> Academy | None:
    """The leadership academy of the organisation's system, if it has one."""
    return Academy.objects.filter(system_id=organisation.system_id).first()


# --- Changes --------------------------------------------------------------------------


@transaction.atomic
def development_link_add(*, strategy: Strategy, position: Position,
                         offer: Offer | None = None, programme: Programme | None = None,
                         note: str = "") -> DevelopmentLink:
    """Plan to develop ``position`` through one offer or one programme of the academy of
    the strategy's system. A bad choice raises ``ValidationError`` and writes nothing."""
    note = " ".join(note.split())
    problems: dict[str, str] = {}
    if position.strategy_id != strategy.pk:
        problems["position"] = "Choose a position of this leadership inventory"
    system_id = strategy.organisation.system_id
    if (offer is None) == (programme is None):
        problems["target"] = "Choose one offer or one programme of the academy"
    elif (offer is not None and offer.academy.system_id != system_id) or (
            programme is not None and programme.academy.system_id != system_id):
        problems["target"] = "Choose an offer or programme of this system's academy"
    if len(note) > NOTE_LIMIT:
        problems["note"] = f"Keep the note to {NOTE_LIMIT} characters or fewer"
    if not problems and DevelopmentLink.objects.filter(
            position=position, offer=offer, programme=programme).exists():
        problems["target"] = "The plan already develops this position through it"
    if problems:
        raise ValidationError(problems)
    return DevelopmentLink.objects.create(position=position, offer=offer, programme=programme,
                                          note=note)


# --- Reads ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkRow:
    """One link of the plan, as the pages and the board report show it."""

    pk: int
    position_id: int
    position: str
    kind: str  # "offer" or "programme"
    name: str
    note: str
    academy_id: int
    programme_id: int | None
    starts_on: dt.date | None
    ends_on: dt.date | None


def _programme_dates(ids: set[int]) -> dict[int, tuple[dt.date, dt.date]]:
    """First and last day of each programme's events that are not cancelled."""
    rows = (Event.objects.filter(programme_id__in=ids, cancelled_at__isnull=True)
            .values("programme_id").annotate(first=Min("starts_at"), last=Max("ends_at")))
    return {r["programme_id"]: (timezone.localdate(r["first"]), timezone.localdate(r["last"]))
            for r in rows}


def development_links(strategy: Strategy) -> list[LinkRow]:
    """Every link of the plan in the inventory's order: the position's title, the offer's
    or programme's name, the programme's dates (its events' first and last day) if it has
    any, and the board's note. What the board report needs."""
    links = list(DevelopmentLink.objects.filter(position__strategy=strategy)
                 .select_related("position", "offer", "programme")
                 .order_by("position__kind", "position__title", "position_id", "id"))
    dates = _programme_dates({link.programme_id for link in links if link.programme_id})
    rows = []
    for link in links:
        target: Offer | Programme = link.programme or cast(Offer, link.offer)
        starts, ends = dates.get(link.programme_id or 0, (None, None))
        rows.append(LinkRow(
            pk=link.pk, position_id=link.position_id, position=link.position.title,
            kind="programme" if link.programme_id else "offer", name=target.name,
            note=link.note, academy_id=target.academy_id, programme_id=link.programme_id,
            starts_on=starts, ends_on=ends))
    return rows


def development_by_position(strategy: Strategy) -> dict[int, list[LinkRow]]:
    by_position: dict[int, list[LinkRow]] = {}
    for row in development_links(strategy):
        by_position.setdefault(row.position_id, []).append(row)
    return by_position


@dataclass
class DevelopmentPlan:
    academy: Academy | None
    positions: list[tuple[Position, list[LinkRow]]] = field(default_factory=list)
    # Formal roles with no one ready to step in and nothing planned to develop anyone.
    gaps: list[Position] = field(default_factory=list)
    # Academies whose programme pages the reader may open.
    reachable: set[int] = field(default_factory=set)


def development_plan(strategy: Strategy, user: User | AnonymousUser) -> DevelopmentPlan:
    by_position = development_by_position(strategy)
    positions = list(strategy.positions.all())
    return DevelopmentPlan(
        academy=academy_of(strategy.organisation),
        positions=[(p, by_position.get(p.pk, [])) for p in positions],
        gaps=[p for p in positions if p.kind == PositionKind.FORMAL
              and p.succession == Succession.NONE and p.pk not in by_position],
        reachable={a.pk for a in academy_access.academies_for(user)},
    )


# --- Pages ----------------------------------------------------------------------------


class DevelopmentLinkForm(forms.Form):
    position = forms.ChoiceField(
        label="Position",
        error_messages={"required": "Choose the position",
                        "invalid_choice": "Choose a position of this leadership inventory"})
    target = forms.ChoiceField(
        label="Developed through",
        help_text="One of the academy's offers, or one of its programmes.",
        error_messages={"required": "Choose an offer or a programme",
                        "invalid_choice": "Choose an offer or programme of this system's "
                                          "academy"})
    note = forms.CharField(
        label="What the board intends (optional)", required=False, max_length=NOTE_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example “Every ward manager through it by March”.",
        error_messages={"max_length": f"Keep the note to {NOTE_LIMIT} characters or fewer"})

    def __init__(self, *args: Any, positions: list[Position], academy: Academy,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.position_rows = {str(p.pk): p for p in positions}
        self.offers = {f"offer-{o.pk}": o for o in academy.offers.all()}
        self.programmes = {f"programme-{p.pk}": p
                           for p in academy.programmes.select_related("offer")}
        cast(forms.ChoiceField, self.fields["position"]).choices = [
            ("", "Choose a position"), *((str(p.pk), p.title) for p in positions)]
        cast(forms.ChoiceField, self.fields["target"]).choices = [
            ("", "Choose an offer or a programme"),
            *((key, f"Offer: {o.name}") for key, o in self.offers.items()),
            *((key, f"Programme: {p.name} ({p.offer.name})")
              for key, p in self.programmes.items())]

    def chosen(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"position": self.position_rows[data["position"]],
                "offer": self.offers.get(data["target"]),
                "programme": self.programmes.get(data["target"]), "note": data["note"]}


def _back(organisation: Organisation) -> dict[str, object]:
    return {"back_href": reverse("strategy", args=[organisation.pk]),
            "back_text": "The leadership strategy"}


@login_required
def development_page(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = organisation_for(request.user, pk)
    strategy = _strategy(organisation)
    return render(request, "strategy/development.jinja", {
        "organisation": organisation, "strategy": strategy,
        "plan": development_plan(strategy, request.user),
        "editor": can_edit(request.user, organisation),
        "column_class": "nhsuk-grid-column-full", **_back(organisation),
    })


@login_required
def development_link_new(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = organisation_for(request.user, pk, manage=True)
    strategy = _strategy(organisation)
    academy = academy_of(organisation)
    if academy is None:
        raise Http404("The system has no leadership academy.")
    form = DevelopmentLinkForm(request.POST or None, positions=list(strategy.positions.all()),
                               academy=academy,
                               initial={"position": request.GET.get("position", "")})
    if request.method == "POST" and form.is_valid():
        try:
            made = development_link_add(strategy=strategy, **form.chosen())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            _audit(request, organisation, f"Planned to develop the position "
                                          f"{made.position.title} through "
                                          f"{made.programme or made.offer}")
            messages.success(request, f"Added to the development plan of "
                                      f"“{made.position.title}”.")
            return redirect(reverse("strategy_development", args=[organisation.pk])
                            + f"#position-{made.position_id}")
    return render_form(
        request, form, heading="Add to the development plan", submit="Add",
        back_href=reverse("strategy_development", args=[organisation.pk]),
        intro=f"Link a position of the inventory to one of the offers or programmes of "
              f"{academy.name}.")


@login_required
def development_link_remove(request: HttpRequest, pk: int, link: int) -> HttpResponse:
    organisation = organisation_for(request.user, pk, manage=True)
    if request.method != "POST":
        raise PermissionDenied("Use the button on the page.")
    row = (DevelopmentLink.objects.filter(position__strategy=_strategy(organisation), pk=link)
           .select_related("position", "offer", "programme").first())
    if row is None:
        raise Http404("No such link in the development plan.")
    row.delete()
    _audit(request, organisation, f"Removed {row.programme or row.offer} from the "
                                  f"development plan of {row.position.title}")
    messages.success(request, f"Removed “{row.programme or row.offer}” from the plan of "
                              f"“{row.position.title}”.")
    return redirect("strategy_development", pk=organisation.pk)


urlpatterns: list[URLPattern] = [
    path("organisations/<int:pk>/strategy/development/", development_page,
         name="strategy_development"),
    path("organisations/<int:pk>/strategy/development/new/", development_link_new,
         name="strategy_development_new"),
    path("organisations/<int:pk>/strategy/development/<int:link>/remove/",
         development_link_remove, name="strategy_development_remove"),
]

