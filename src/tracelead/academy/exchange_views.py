"""The exchange: rounds of pairing members for shadowing visits across boundaries, the
pairs, and the visits that happened.

A facilitator starts a round, runs the pairing, looks at the proposed pairs (and who is
left unpaired, and why), may try another seed or leave someone out, then confirms: only
then are the pairs made and each member emailed their partner's name and organisation.
Viewers see counts only. Each member sees their own pairs on their personal link and
records their visits there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.cache import never_cache

from tracelead.analysis.exchange import UNPAIRED_REASONS, wish_met
from tracelead.core.forms import add_service_errors, error_list, render_form
from tracelead.organisations.models import Sector

from . import access, services
from .exchange_forms import ExchangeRoundForm, PairingRunForm, VisitForm
from .member_views import _member as member_from_token
from .models import Academy, ExchangePair, ExchangeRound, ExchangeVisit, Member, StaffGroup

SECTOR_LABELS = dict(Sector.choices)
STAFF_GROUP_LABELS = dict(StaffGroup.choices)


def _sector(code: str) -> str:
    return str(SECTOR_LABELS.get(code, code))


def _wish_words(member: Member, partner: Member) -> str:
    met = wish_met(services.exchange_candidate(member), services.exchange_candidate(partner))
    if met is None:
        return ""  # no wish stated: the page already says "any sector"
    return "Yes" if met else "No"


@dataclass(frozen=True)
class PersonRow:
    """One member as the facilitator's round page shows them."""

    member: Member | None
    member_id: int
    organisation: str
    sector: str
    staff_group: str
    wishes: str

    @property
    def name(self) -> str:
        if self.member is None or self.member.has_left:
            return "A member who has left"
        return self.member.name


def _person(member_id: int, members: dict[int, Member]) -> PersonRow:
    member = members.get(member_id)
    if member is None:
        return PersonRow(None, member_id, "", "", "", "")
    wishes = ", ".join(_sector(s) for s in member.exchange_sectors or []) or "Any sector"
    return PersonRow(member, member_id, member.organisation_label, _sector(member.sector),
                     str(STAFF_GROUP_LABELS.get(member.staff_group, "Not given")), wishes)


def _round_of(academy: Academy, round_pk: int) -> ExchangeRound:
    row = ExchangeRound.objects.filter(academy=academy, pk=round_pk).first()
    if row is None:
        raise Http404("No such round.")
    return row


# --- What everyone with a role in the system sees --------------------------------------


@login_required
def exchange_home(request: HttpRequest, pk: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk)
    rounds = list(ExchangeRound.objects.filter(academy=academy)
                  .annotate(pair_count=Count("pairs", distinct=True)))
    visits = {r.pk: services.exchange_visit_count(ExchangePair.objects.filter(round=r))
              for r in rounds}
    opted_in = Member.objects.filter(academy=academy, exchange_opt_in=True,
                                     left_at__isnull=True).count()
    return render(request, "academy/exchange.jinja", {
        "academy": academy, "rounds": rounds, "visits": visits, "opted_in": opted_in,
        "can_facilitate": access.can_facilitate(request.user, academy),
        "pairs_made": sum(r.pair_count for r in rounds),
        "visits_recorded": sum(visits.values()),
        "back_href": reverse("academy", args=[academy.pk]), "back_text": academy.name,
    })


# --- The facilitators' pages ---------------------------------------------------------------


@login_required
def exchange_round_new(request: HttpRequest, pk: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    form = ExchangeRoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            row = services.exchange_round_create(academy=academy,
                                                 name=form.cleaned_data["name"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Started {row.name}. Run the pairing when the "
                                      "members who want to take part have opted in.")
            return redirect("academy_exchange_round", pk=academy.pk, round_pk=row.pk)
    return render_form(request, form, heading="Start an exchange round", submit="Start the round",
                       back_href=reverse("academy_exchange", args=[academy.pk]),
                       intro="A round pairs the members who opted in to the exchange, each "
                             "with someone from another organisation and another sector or "
                             "staff group, for visits to each other's work.")


def _round_page(request: HttpRequest, academy: Academy, row: ExchangeRound,
                form: PairingRunForm | None = None) -> HttpResponse:
    taking_part = services.exchange_taking_part(row)
    left_out_ids = [int(i) for i in row.left_out or []]
    proposal = row.proposal or {}
    confirmed = row.confirmed_at is not None
    pair_rows: list[dict[str, Any]] = []
    if confirmed:
        stored = list(ExchangePair.objects.filter(round=row).select_related(
            "first__organisation", "second__organisation").prefetch_related("visits"))
        members = {m.pk: m for p in stored for m in (p.first, p.second)}
        ids = [(p.first_id, p.second_id, p) for p in stored]
    else:
        ids = [(a, b, None) for a, b in proposal.get("pairs", [])]
        members = {}
    unpaired = [(int(i), str(reason)) for i, reason in proposal.get("unpaired", [])]
    wanted = {i for a, b, _ in ids for i in (a, b)} | {i for i, _ in unpaired} | set(
        left_out_ids)
    missing = wanted - set(members)
    if missing:
        members.update({m.pk: m for m in Member.objects.filter(
            academy=academy, pk__in=missing).select_related("organisation")})
    for a, b, stored_pair in ids:
        first, second = _person(a, members), _person(b, members)
        both = first.member is not None and second.member is not None
        visits = list(stored_pair.visits.all()) if stored_pair is not None else []
        pair_rows.append({
            "first": first, "second": second, "pair": stored_pair, "visits": [
                {"day": v.visited_on, "reflection": v.reflection,
                 "host": first.name if v.host_id == a else second.name} for v in visits],
            "first_wish": _wish_words(members[a], members[b]) if both else "",
            "second_wish": _wish_words(members[b], members[a]) if both else "",
        })
    stale = bool(proposal) and not confirmed and not services.exchange_proposal_current(
        row, taking_part)
    form = form or PairingRunForm(initial={"seed": row.seed})
    wishes_met = sum(1 for r in pair_rows for w in (r["first_wish"], r["second_wish"])
                     if w == "Yes")
    return render(request, "academy/exchange_round.jinja", {
        "academy": academy, "round": row, "confirmed": confirmed, "proposal": bool(proposal),
        "taking_part": len(taking_part), "pairs": pair_rows, "wishes_met": wishes_met,
        "unpaired": [(_person(i, members), UNPAIRED_REASONS.get(reason, reason))
                     for i, reason in unpaired],
        "left_out": [_person(i, members) for i in left_out_ids],
        "stale": stale, "form": form, "form_errors": error_list(form),
        "next_seed": (row.seed + 1) % (services.EXCHANGE_MAX_SEED + 1),
        "back_href": reverse("academy_exchange", args=[academy.pk]),
        "back_text": "The exchange",
    }, status=400 if form.errors else 200)


@login_required
def exchange_round(request: HttpRequest, pk: int, round_pk: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    return _round_page(request, academy, _round_of(academy, round_pk))


def _post_only(request: HttpRequest) -> None:
    if request.method != "POST":
        raise PermissionDenied("Use the buttons on the round's page.")


@login_required
def exchange_round_run(request: HttpRequest, pk: int, round_pk: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    row = _round_of(academy, round_pk)
    _post_only(request)
    form = PairingRunForm(request.POST)
    if not form.is_valid():
        return _round_page(request, academy, row, form)
    try:
        pairing = services.exchange_round_pair(exchange_round=row,
                                               seed=form.cleaned_data["seed"])
    except ValidationError as error:
        if "seed" in getattr(error, "error_dict", {}):
            add_service_errors(form, error)
            return _round_page(request, academy, row, form)
        messages.error(request, " ".join(error.messages))
        return redirect("academy_exchange_round", pk=academy.pk, round_pk=row.pk)
    pairs = len(pairing.pairs)
    messages.success(
        request,
        f"Proposed {pairs} pair{'' if pairs == 1 else 's'} with seed {pairing.seed}; "
        f"{len(pairing.unpaired)} left unpaired. Nothing is final yet: check the pairs, "
        "then confirm them.")
    return redirect("academy_exchange_round", pk=academy.pk, round_pk=row.pk)


@login_required
def exchange_round_leave_out(request: HttpRequest, pk: int,
                             round_pk: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    row = _round_of(academy, round_pk)
    _post_only(request)
    try:
        member = Member.objects.get(academy=academy, pk=int(request.POST.get("member", "")[:12]))
    except (ValueError, Member.DoesNotExist):
        messages.error(request, "Choose someone listed on this page.")
        return redirect("academy_exchange_round", pk=academy.pk, round_pk=row.pk)
    put_back = request.POST.get("action") == "put-back"
    try:
        services.exchange_round_leave_out(exchange_round=row, member=member,
                                          left_out=not put_back)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        again = " The pairing was run again with the same seed." if row.proposal else ""
        messages.success(request, (f"Put {member.name} back into the round." if put_back
                                   else f"Left {member.name} out of this round.") + again)
    return redirect("academy_exchange_round", pk=academy.pk, round_pk=row.pk)


@login_required
def exchange_round_confirm(request: HttpRequest, pk: int,
                           round_pk: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    row = _round_of(academy, round_pk)
    _post_only(request)
    try:
        created = services.exchange_round_confirm(exchange_round=row)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Confirmed {len(created)} pair"
                                  f"{'' if len(created) == 1 else 's'} and emailed each "
                                  "member their partner's name and organisation.")
    return redirect("academy_exchange_round", pk=academy.pk, round_pk=row.pk)


def _visit_form_page(request: HttpRequest, *, pair: ExchangePair, hosts: list[tuple[int, str]],
                     heading: str, intro: str, back_href: str, done: str) -> HttpResponse:
    form = VisitForm(request.POST or None, hosts=hosts)
    if request.method == "POST" and form.is_valid():
        host = pair.first if int(form.cleaned_data["host"]) == pair.first_id else pair.second
        try:
            services.exchange_visit_record(pair=pair, host=host,
                                           visited_on=form.cleaned_data["visited_on"],
                                           reflection=form.cleaned_data["reflection"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Recorded the visit. Thank you.")
            return redirect(done)
    return render_form(request, form, heading=heading, submit="Record the visit",
                       back_href=back_href, intro=intro)


@login_required
def exchange_visit(request: HttpRequest, pk: int, round_pk: int,
                   pair: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    row = _round_of(academy, round_pk)
    found = ExchangePair.objects.filter(round=row, pk=pair).select_related(
        "first__organisation", "second__organisation").first()
    if found is None:
        raise Http404("No such pair.")
    if found.first.has_left or found.second.has_left:
        raise PermissionDenied("One of this pair has left the academy.")
    back = reverse("academy_exchange_round", args=[academy.pk, row.pk])
    return _visit_form_page(
        request, pair=found,
        hosts=[(m.pk, f"{m.name} ({m.organisation_label})") for m in (found.first, found.second)],
        heading="Record a visit",
        intro=f"{found.first.name} and {found.second.name}, {row.name}.",
        back_href=back, done=back)


# --- A member's own exchange page (through their personal link) ------------------------


def _member_pairs(member: Member) -> list[ExchangePair]:
    return list(ExchangePair.objects.filter(Q(first=member) | Q(second=member))
                .select_related("round", "first__organisation", "second__organisation")
                .order_by("-round__created_at", "-id"))


@never_cache
def member_exchange(request: HttpRequest, token: str) -> HttpResponse:
    member = member_from_token(request, token)
    if isinstance(member, HttpResponse):
        return member
    rows = []
    for pair in _member_pairs(member):
        partner = pair.second if pair.first_id == member.pk else pair.first
        visits = list(ExchangeVisit.objects.filter(pair=pair).select_related("host"))
        seen = {(v.host_id, v.visited_on) for v in visits}
        rows.append({
            "pair": pair, "partner": partner, "partner_sector": _sector(partner.sector),
            "visits": sorted(seen, key=lambda s: s[1]),
        })
    return render(request, "academy/exchange_member.jinja", {
        "member": member, "academy": member.academy, "token": token, "rows": rows,
        "back_href": reverse("academy_member_home", args=[token]),
        "back_text": "Your page",
    })


@never_cache
def member_exchange_visit(request: HttpRequest, token: str, pair: int) -> HttpResponse:
    member = member_from_token(request, token)
    if isinstance(member, HttpResponse):
        return member
    found = next((p for p in _member_pairs(member) if p.pk == pair), None)
    if found is None:
        raise Http404("No such pair.")
    partner = found.second if found.first_id == member.pk else found.first
    if partner.has_left:
        raise PermissionDenied("Your partner has left the academy.")
    back = reverse("academy_member_exchange", args=[token])
    return _visit_form_page(
        request, pair=found,
        hosts=[(partner.pk, f"I visited {partner.name}"),
               (member.pk, f"{partner.name} visited me")],
        heading=f"Record your visit with {partner.name}",
        intro=f"{partner.name} works at {partner.organisation_label}. Record a visit once it "
              "has happened; your reflection helps the academy learn what the exchange gives "
              "people.",
        back_href=back, done=back)


urlpatterns: list[URLPattern] = [
    path("academy/<int:pk>/exchange/", exchange_home, name="academy_exchange"),
    path("academy/<int:pk>/exchange/new/", exchange_round_new, name="academy_exchange_new"),
    path("academy/<int:pk>/exchange/<int:round_pk>/", exchange_round,
         name="academy_exchange_round"),
    path("academy/<int:pk>/exchange/<int:round_pk>/pair/", exchange_round_run,
         name="academy_exchange_run"),
    path("academy/<int:pk>/exchange/<int:round_pk>/leave-out/", exchange_round_leave_out,
         name="academy_exchange_leave_out"),
    path("academy/<int:pk>/exchange/<int:round_pk>/confirm/", exchange_round_confirm,
         name="academy_exchange_confirm"),
    path("academy/<int:pk>/exchange/<int:round_pk>/pairs/<int:pair>/visit/", exchange_visit,
         name="academy_exchange_visit"),
    path("m/<str:token>/exchange/", member_exchange, name="academy_member_exchange"),
    path("m/<str:token>/exchange/<int:pair>/visit/", member_exchange_visit,
         name="academy_member_exchange_visit"),
]
