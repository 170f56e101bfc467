"""Programmes, events, registration and check-in.

Facilitators run programmes and events and see who is registered and who came; viewers
see the same pages with counts and never a name. Members book on their own page
(``/m/<token>/events/``) and check in at the door on their phone (``/c/<code>/``: one tap
on a phone that knows them, or a link emailed to the address they type), or a facilitator
ticks them on the door list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django_ratelimit.core import is_ratelimited  # type: ignore[import-untyped]

from tracelead.core.forms import add_service_errors, error_list, render_form
from tracelead.core.language import bilingual
from tracelead.core.qr import qr_download
from tracelead.core.throttles import ratelimit_address, wait_words
from tracelead.polls.models import Poll

from . import access, services
from .event_forms import (
    CheckInEmailForm,
    CodeForm,
    EffortForm,
    EventForm,
    ProgrammeForm,
    WalkInForm,
)
from .models import (
    Academy,
    CheckIn,
    CheckInMethod,
    Effort,
    EffortKind,
    Event,
    Member,
    Programme,
    Registration,
    RegistrationStatus,
)

CONFIRMED, WAITING = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING
SEARCH_LIMIT = 20
PAST_PER_PAGE = 50

# A phone that opened a member's personal link (or an emailed check-in link) remembers the
# member (signed, and tied to their current link: opening a newer link or leaving the
# academy makes it worthless; asking for a new link does not, since the current one works
# until the new one is opened), so that the check-in page can offer "check in as ..."
# without typing anything.
MEMBER_COOKIE = "tl_academy_member"
MEMBER_SALT = "tracelead.academy.member"
MEMBER_COOKIE_AGE = 365 * 24 * 3600


# --- Shared pieces --------------------------------------------------------------------


def _count(model: type[Registration] | type[CheckIn], **filters: Any) -> Coalesce:
    """A per-event count as a subquery (joins of both would multiply rows)."""
    rows = (model.objects.filter(event=OuterRef("pk"), **filters).order_by()
            .values("event").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def with_counts(events: QuerySet[Event]) -> QuerySet[Event]:
    return events.annotate(confirmed_count=_count(Registration, status=CONFIRMED),
                           waiting_count=_count(Registration, status=WAITING),
                           attended_count=_count(CheckIn))


def _event_for(academy: Academy, event: int) -> Event:
    row = (with_counts(Event.objects.filter(academy=academy, pk=event))
           .select_related("programme").first())
    if row is None:
        raise Http404("No such event.")
    return row


def _programme_for(academy: Academy, programme: int) -> Programme:
    row = Programme.objects.filter(academy=academy, pk=programme).select_related("offer").first()
    if row is None:
        raise Http404("No such programme.")
    return row


def _member_from_post(request: HttpRequest, academy: Academy) -> Member:
    try:
        pk = int(request.POST.get("member", "")[:12])
    except ValueError:
        raise Http404("No such member.") from None
    member = Member.objects.filter(academy=academy, pk=pk, left_at__isnull=True).first()
    if member is None:
        raise Http404("No such member.")
    return member


def _member_search(academy: Academy, query: str, *, exclude: Any = ()) -> list[Member]:
    """Members whose name or address contains ``query`` (two characters at least)."""
    query = query.strip()
    if len(query) < 2:
        return []
    return list(Member.objects.filter(academy=academy, left_at__isnull=True)
                .filter(Q(name__icontains=query) | Q(email__icontains=query.lower()))
                .exclude(pk__in=list(exclude)).select_related("organisation")[:SEARCH_LIMIT])


def _back_to(name: str, *args: Any, query: str = "", anchor: str = "") -> HttpResponse:
    url = reverse(name, args=args)
    if query:
        url += "?" + urlencode({"q": query})
    return redirect(url + (f"#{anchor}" if anchor else ""))


def _post_only(request: HttpRequest) -> None:
    if request.method != "POST":
        raise PermissionDenied("Use the button on the page.")


def check_in_state(event: Event, now: dt.datetime) -> str:
    """``cancelled``, ``early``, ``open`` or ``closed`` for members checking themselves in."""
    if event.cancelled_at is not None:
        return "cancelled"
    opens, closes = services.check_in_window(event)
    if now < opens:
        return "early"
    return "open" if now < closes else "closed"


def _checkin_url(request: HttpRequest, event: Event) -> str:
    return request.build_absolute_uri(reverse("academy_checkin", args=[event.code]))


def _guesses_refused(request: HttpRequest, *, count: bool) -> bool:
    """Throttle for event codes and links that match nothing, per client address
    (TRACELEAD_TOKEN_GUESS_RATE). Only misses are counted; once an address is over the
    rate every look-up from it is refused, hits included, so that guessing stays slow."""
    return bool(is_ratelimited(request, group="academy-guess", key=ratelimit_address,
                               rate=settings.TRACELEAD_TOKEN_GUESS_RATE, increment=count))


def _too_many(request: HttpRequest) -> HttpResponse:
    wait = wait_words(settings.TRACELEAD_TOKEN_GUESS_RATE)
    return render(request, "academy/checkin_problem.jinja", {
        "title": gettext("Too many attempts"),
        "body": gettext("Too many codes or links that match nothing were tried from here. "
                        "Wait %(wait)s, then try again, or ask a facilitator at the door.")
        % {"wait": wait},
    }, status=429)


def _email_requests_refused(request: HttpRequest) -> bool:
    """Throttle for addresses typed on a check-in page, per client address
    (TRACELEAD_SIGN_UP_RATE, as the other public forms that send email). Every
    submission counts: the answer is the same for members and strangers."""
    return bool(is_ratelimited(request, group="academy-check-in-email", key=ratelimit_address,
                               rate=settings.TRACELEAD_SIGN_UP_RATE, increment=True))


def _too_many_emails(request: HttpRequest) -> HttpResponse:
    wait = wait_words(settings.TRACELEAD_SIGN_UP_RATE)
    return render(request, "academy/checkin_problem.jinja", {
        "title": gettext("Too many attempts"),
        "body": gettext("Too many addresses were typed from this network. Wait %(wait)s, "
                        "then try again, or ask a facilitator at the door.") % {"wait": wait},
    }, status=429)


# --- Programmes -------------------------------------------------------------------------


@login_required
def programme_list(request: HttpRequest, pk: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk)
    programmes = (Programme.objects.filter(academy=academy).select_related("offer")
                  .annotate(event_count=Count("events", distinct=True),
                            member_count=Count("enrolments", distinct=True,
                                         filter=Q(enrolments__member__left_at__isnull=True)))
                  .order_by("offer__position", "offer__id", "name"))
    return render(request, "academy/programme_list.jinja", {
        "academy": academy, "programmes": list(programmes),
        "can_facilitate": access.can_facilitate(request.user, academy),
        "has_offers": academy.offers.exists(),
        "back_href": reverse("academy", args=[academy.pk]),
    })


@login_required
def programme_edit(request: HttpRequest, pk: int, programme: int | None = None) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    row = _programme_for(academy, programme) if programme is not None else None
    initial = ({"name": row.name, "offer": row.offer_id, "purpose": row.purpose,
                "faculty": row.faculty} if row else {})
    form = ProgrammeForm(request.POST or None, academy=academy, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.programme_save(academy=academy, programme=row, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Saved the programme {saved.name}.")
            return redirect("academy_programme", pk=academy.pk, programme=saved.pk)
    back = (reverse("academy_programme", args=[academy.pk, row.pk]) if row
            else reverse("academy_programmes", args=[academy.pk]))
    return render_form(request, form, heading=f"Change {row.name}" if row
                       else "Add a programme", submit="Save", back_href=back)


@login_required
def programme_detail(request: HttpRequest, pk: int, programme: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk)
    row = _programme_for(academy, programme)
    can_facilitate = access.can_facilitate(request.user, academy)
    events = list(with_counts(Event.objects.filter(programme=row)))
    attendance = CheckIn.objects.filter(event__programme=row).aggregate(
        attendances=Count("pk"), people=Count("member", distinct=True))
    context: dict[str, Any] = {
        "academy": academy, "programme": row, "events": events,
        "can_facilitate": can_facilitate, "now": timezone.now(),
        "member_count": row.enrolments.filter(member__left_at__isnull=True).count(), **attendance,
        "back_href": reverse("academy_programmes", args=[academy.pk]),
    }
    if can_facilitate:
        enrolled = list(row.members.filter(left_at__isnull=True).select_related("organisation")
                        .order_by("name", "id"))
        query = request.GET.get("q", "")
        context.update(enrolled=enrolled, query=query,
                       found=_member_search(academy, query, exclude=[m.pk for m in enrolled]))
    return render(request, "academy/programme_detail.jinja", context)


@login_required
def programme_enrol(request: HttpRequest, pk: int, programme: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    _post_only(request)
    row = _programme_for(academy, programme)
    member = _member_from_post(request, academy)
    if services.programme_enrol(programme=row, member=member):
        messages.success(request, f"Enrolled {member.name} in {row.name}.")
    return _back_to("academy_programme", academy.pk, row.pk,
                    query=request.POST.get("q", ""), anchor="enrolled")


@login_required
def programme_unenrol(request: HttpRequest, pk: int, programme: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    _post_only(request)
    row = _programme_for(academy, programme)
    member = _member_from_post(request, academy)
    if services.programme_unenrol(programme=row, member=member):
        messages.success(request, f"Removed {member.name} from {row.name}.")
    return _back_to("academy_programme", academy.pk, row.pk, anchor="enrolled")


# --- Events -----------------------------------------------------------------------------


@login_required
def event_list(request: HttpRequest, pk: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk)
    now = timezone.now()
    events = with_counts(Event.objects.filter(academy=academy)).select_related("programme")
    past = Paginator(events.filter(ends_at__lt=now).order_by("-starts_at", "-id"),
                     PAST_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "academy/event_list.jinja", {
        "academy": academy, "upcoming": list(events.filter(ends_at__gte=now)),
        "past": past, "can_facilitate": access.can_facilitate(request.user, academy),
        "back_href": reverse("academy", args=[academy.pk]),
    })


def _event_initial(event: Event) -> dict[str, Any]:
    starts, ends = timezone.localtime(event.starts_at), timezone.localtime(event.ends_at)
    return {"kind": event.kind, "title": event.title, "description": event.description,
            "day": starts.date(), "starts": starts.strftime("%H:%M"),
            "ends": ends.strftime("%H:%M"), "venue": event.venue, "link": event.link,
            "capacity": event.capacity, "programme": event.programme_id,
            "counts_for_reach": event.counts_for_reach,
            "characteristics": list(event.characteristics.values_list("pk", flat=True))}


@login_required
def event_edit(request: HttpRequest, pk: int, event: int | None = None) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    row = _event_for(academy, event) if event is not None else None
    if row is not None:
        initial = _event_initial(row)
    else:
        initial = {"counts_for_reach": True, "programme": request.GET.get("programme") or None}
    form = EventForm(request.POST or None, academy=academy, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = form.event_fields()
        characteristics = form.cleaned_data.get("characteristics") or []
        try:
            if row is None:
                saved = services.event_create(academy=academy,
                                              characteristics=characteristics, **fields)
            else:
                saved = services.event_update(event=row, characteristics=characteristics,
                                              **fields)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Saved {saved.title}.")
            return redirect("academy_event", pk=academy.pk, event=saved.pk)
    back = (reverse("academy_event", args=[academy.pk, row.pk]) if row
            else reverse("academy_events", args=[academy.pk]))
    return render_form(request, form, heading=f"Change {row.title}" if row else "Add an event",
                       submit="Save", back_href=back)


@dataclass(frozen=True)
class EffortSummary:
    by_kind: list[tuple[str, Decimal]]
    total: Decimal
    participant_hours: float
    per_participant_hour: float | None


def effort_summary(event: Event, attended: int) -> EffortSummary:
    """Coordination effort by kind, and per participant-hour: total effort hours divided
    by (people who attended × the event's length in hours)."""
    sums = dict(Effort.objects.filter(event=event).values("kind").annotate(h=Sum("hours"))
                .values_list("kind", "h"))
    by_kind = [(label, Decimal(sums.get(kind) or 0)) for kind, label in EffortKind.choices]
    total = sum((hours for _, hours in by_kind), Decimal(0))
    participant_hours = attended * event.hours
    per = float(total) / participant_hours if participant_hours > 0 else None
    return EffortSummary(by_kind, total, participant_hours, per)


def _event_page(request: HttpRequest, academy: Academy, event: Event, *,
                effort_form: EffortForm | None = None, status: int = 200) -> HttpResponse:
    can_facilitate = access.can_facilitate(request.user, academy)
    effort_form = effort_form or EffortForm()
    now = timezone.now()
    return render(request, "academy/event_detail.jinja", {
        "academy": academy, "event": event, "can_facilitate": can_facilitate,
        "characteristics": list(event.characteristics.all()),
        "effort": effort_summary(event, event.attended_count),  # type: ignore[attr-defined]
        "efforts": list(event.efforts.all()) if can_facilitate else [],
        "effort_form": effort_form, "form_errors": error_list(effort_form),
        "check_in_state": check_in_state(event, now),
        "checkin_url": _checkin_url(request, event) if can_facilitate else "",
        "polls": list(Poll.objects.filter(event=event).annotate(
            question_count=Count("questions"))) if can_facilitate else [],
        "started": event.starts_at <= now,
        "back_href": (reverse("academy_programme", args=[academy.pk, event.programme_id])
                      if event.programme_id else reverse("academy_events", args=[academy.pk])),
    }, status=status)


@login_required
def event_detail(request: HttpRequest, pk: int, event: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk)
    return _event_page(request, academy, _event_for(academy, event))


@login_required
def event_effort(request: HttpRequest, pk: int, event: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    _post_only(request)
    row = _event_for(academy, event)
    form = EffortForm(request.POST)
    if form.is_valid():
        try:
            effort = services.effort_add(event=row, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Added {effort.hours} hours of "
                             f"{effort.get_kind_display().lower()}.")
            return _back_to("academy_event", academy.pk, row.pk, anchor="effort")
    return _event_page(request, academy, row, effort_form=form, status=400)


@login_required
def event_effort_remove(request: HttpRequest, pk: int, event: int, effort: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    _post_only(request)
    row = _event_for(academy, event)
    entry = Effort.objects.filter(event=row, pk=effort).first()
    if entry is None:
        raise Http404("No such entry.")
    services.effort_remove(effort=entry)
    messages.success(request, f"Removed {entry.hours} hours of "
                     f"{entry.get_kind_display().lower()}.")
    return _back_to("academy_event", academy.pk, row.pk, anchor="effort")


@login_required
def event_cancel(request: HttpRequest, pk: int, event: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    row = _event_for(academy, event)
    if request.method == "POST":
        if row.cancelled_at is None:
            services.event_cancel(event=row)
            messages.success(request, f"Cancelled {row.title}. Everyone who had a place or "
                             "was waiting for one will get an email.")
        return redirect("academy_event", pk=academy.pk, event=row.pk)
    return render(request, "academy/event_cancel.jinja", {
        "academy": academy, "event": row,
        "back_href": reverse("academy_event", args=[academy.pk, row.pk]),
    })


# --- Registrations (facilitators) -------------------------------------------------------


def waiting_positions(event: Event) -> dict[int, int]:
    """Each waiting registration's place in line (1 is next), by registration id."""
    rows = (Registration.objects.filter(event=event, status=WAITING)
            .order_by("created_at", "id").values_list("pk", flat=True))
    return {pk: n for n, pk in enumerate(rows, start=1)}


@login_required
def event_registrations(request: HttpRequest, pk: int, event: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    row = _event_for(academy, event)
    registrations = list(Registration.objects.filter(event=row)
                         .select_related("member", "member__organisation"))
    positions = waiting_positions(row)
    query = request.GET.get("q", "")
    active = [r.member_id for r in registrations if r.status != RegistrationStatus.CANCELLED]
    return render(request, "academy/event_registrations.jinja", {
        "academy": academy, "event": row, "query": query,
        "confirmed": [r for r in registrations if r.status == CONFIRMED],
        "waiting": sorted((r for r in registrations if r.status == WAITING),
                          key=lambda r: positions[r.pk]),
        "cancelled": [r for r in registrations if r.status == RegistrationStatus.CANCELLED],
        "positions": positions, "open": row.cancelled_at is None and row.starts_at > timezone.now(),
        "found": _member_search(academy, query, exclude=active),
        "back_href": reverse("academy_event", args=[academy.pk, row.pk]),
    })


@login_required
def event_register(request: HttpRequest, pk: int, event: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    _post_only(request)
    row = _event_for(academy, event)
    member = _member_from_post(request, academy)
    try:
        registration = services.registration_create(event=row, member=member)
    except services.RegistrationClosed:
        messages.error(request, "Bookings are closed: the event has started or was cancelled.")
    else:
        messages.success(request, f"{member.name}: {registration.get_status_display().lower()}.")
    return _back_to("academy_event_registrations", academy.pk, row.pk,
                    query=request.POST.get("q", ""))


@login_required
def event_registration_cancel(request: HttpRequest, pk: int, event: int,
                              registration: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    _post_only(request)
    row = _event_for(academy, event)
    booking = (Registration.objects.filter(event=row, pk=registration)
               .select_related("member").first())
    if booking is None:
        raise Http404("No such registration.")
    promoted = services.registration_cancel(registration=booking)
    text = f"Cancelled the place of {booking.member.name}."
    if promoted:
        text += " " + ", ".join(r.member.name for r in promoted) + " now has the place."
    messages.success(request, text)
    return _back_to("academy_event_registrations", academy.pk, row.pk)


# --- The door: the facilitator's list, walk-ins, the QR code and the poster -------------


@dataclass(frozen=True)
class DoorRow:
    member: Member
    status: str  # confirmed, waiting, or "" for someone who came without booking
    checked_in: bool


def door_rows(event: Event, query: str = "") -> list[DoorRow]:
    """Everyone with a place or on the waiting list, and everyone who checked in."""
    statuses = dict(Registration.objects.filter(event=event, status__in=[CONFIRMED, WAITING])
                    .values_list("member_id", "status"))
    checked = set(CheckIn.objects.filter(event=event).values_list("member_id", flat=True))
    members = (Member.objects.filter(pk__in=set(statuses) | checked, left_at__isnull=True)
               .select_related("organisation").order_by("name", "id"))
    if query.strip():
        members = members.filter(Q(name__icontains=query.strip())
                                 | Q(email__icontains=query.strip().lower()))
    return [DoorRow(m, statuses.get(m.pk, ""), m.pk in checked) for m in members]


@login_required
def event_door(request: HttpRequest, pk: int, event: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    row = _event_for(academy, event)
    query = request.GET.get("q", "")
    rows = door_rows(row, query)
    opens, _ = services.check_in_window(row)
    return render(request, "academy/door.jinja", {
        "academy": academy, "event": row, "rows": rows, "query": query,
        "listed": len(door_rows(row)) if query else len(rows),
        "cancelled": row.cancelled_at is not None, "early": timezone.now() < opens,
        "opens": opens, "column_class": "nhsuk-grid-column-full",
        "back_href": reverse("academy_event", args=[academy.pk, row.pk]),
    })


def _door_closed(event: Event) -> str:
    if event.cancelled_at is not None:
        return "This event was cancelled, so nobody can be checked in."
    opens, _ = services.check_in_window(event)
    if timezone.now() < opens:
        return (f"Check-in opens at {timezone.localtime(opens):%H:%M on %-d %B %Y}, two hours "
                "before the start.")
    return ""


@login_required
def event_door_tick(request: HttpRequest, pk: int, event: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    _post_only(request)
    row = _event_for(academy, event)
    member = _member_from_post(request, academy)
    query = request.POST.get("q", "")
    if request.POST.get("action") == "undo":
        if services.check_in_undo(event=row, member=member):
            messages.success(request, f"{member.name} is no longer checked in.")
    elif problem := _door_closed(row):
        messages.error(request, problem)
    else:
        services.check_in(event=row, member=member, method=CheckInMethod.LIST)
        messages.success(request, f"{member.name} is checked in.")
    return _back_to("academy_event_door", academy.pk, row.pk, query=query,
                    anchor=f"member-{member.pk}")


@login_required
def event_walk_in(request: HttpRequest, pk: int, event: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    row = _event_for(academy, event)
    form = WalkInForm(request.POST or None, academy=academy)
    back = reverse("academy_event_door", args=[academy.pk, row.pk])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        organisation = data["organisation"]
        details = services.MemberDetails(
            name=data["name"], email=data["email"], organisation=organisation,
            organisation_name=data["organisation_name"],
            sector=organisation.sector if organisation else data["sector"],
            staff_group=data["staff_group"], place=data.get("place", ""), level=data["level"])
        if problem := _door_closed(row):
            form.add_error(None, problem)
        else:
            try:
                check = services.walk_in(event=row, details=details, consent=data["consent"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"{check.member.name} is checked in.")
                return redirect(f"{back}#member-{check.member_id}")
    return render_form(
        request, form, heading=f"Add a walk-in to {row.title}", submit="Check them in",
        back_href=back,
        intro="Enter the email address of someone who came without booking. If they are not "
              "a member yet, add their details too: they become a member once they agree.")


@login_required
def event_qr(request: HttpRequest, pk: int, event: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    row = _event_for(academy, event)
    return qr_download(_checkin_url(request, row), title=f"Check in to {row.title}",
                       filename=f"event-{row.pk}-check-in.svg")


@login_required
def event_poster(request: HttpRequest, pk: int, event: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    row = _event_for(academy, event)
    url = _checkin_url(request, row)
    return render(request, "academy/event_poster.jinja", {
        "academy": academy, "event": row, "checkin_url": url,
        "column_class": "nhsuk-grid-column-full",
        "start_url": request.build_absolute_uri(reverse("academy_checkin_start")),
        "qr_svg": segno.make(url, error="m").svg_inline(scale=10, omitsize=True,
                                                        title="QR code to check in"),
        "back_href": reverse("academy_event", args=[academy.pk, row.pk]),
    })


# --- The member's own events page -------------------------------------------------------


def _remember_member(response: HttpResponse, member: Member) -> HttpResponse:
    response.set_signed_cookie(MEMBER_COOKIE, member.token_hash or "", salt=MEMBER_SALT,
                               max_age=MEMBER_COOKIE_AGE, httponly=True, samesite="Lax",
                               secure=settings.SESSION_COOKIE_SECURE)
    return response


def remembered_member(request: HttpRequest, academy: Academy) -> Member | None:
    value = request.get_signed_cookie(MEMBER_COOKIE, default=None, salt=MEMBER_SALT)
    if not value:
        return None
    return (Member.objects.filter(academy=academy, token_hash=value, left_at__isnull=True)
            .select_related("organisation").first())


def _member_or_404(request: HttpRequest, token: str) -> Member | HttpResponse:
    if _guesses_refused(request, count=False):
        return _too_many(request)
    member = services.member_by_token(token)
    if member is None and services.member_by_waiting_link(token) is not None:
        # A new link not yet opened: its own page asks first (member_views.member_home).
        return redirect("academy_member_home", token=token)
    if member is None:
        if _guesses_refused(request, count=True):
            return _too_many(request)
        return render(request, "academy/checkin_problem.jinja", {
            "title": "We could not find this link",
            "body": "Check that you copied the whole link from your email. If you left the "
                    "academy, or asked for a new link since, this one no longer works.",
        }, status=404)
    return member


@dataclass
class MemberEventRow:
    event: Event
    registration: Registration | None
    position: int | None
    free: int | None
    state: str  # check-in state
    started: bool


def _member_events_page(request: HttpRequest, member: Member, token: str, *,
                        problem: str = "", status: int = 200) -> HttpResponse:
    now = timezone.now()
    events = (with_counts(Event.objects.filter(academy=member.academy,
                                               ends_at__gte=now - dt.timedelta(days=1)))
              .select_related("programme")[:200])
    mine = {r.event_id: r for r in Registration.objects.filter(
        member=member, event__in=[e.pk for e in events])}
    rows = []
    for event in events:
        state = check_in_state(event, now)
        registration = mine.get(event.pk)
        active = registration is not None and registration.status != "cancelled"
        if state == "closed" or (state == "cancelled" and not active):
            continue
        position = None
        if registration is not None and registration.status == WAITING:
            position = waiting_positions(event)[registration.pk]
        confirmed: int = event.confirmed_count  # type: ignore[attr-defined]  # with_counts
        free = None if event.capacity is None else max(event.capacity - confirmed, 0)
        rows.append(MemberEventRow(event, registration, position, free, state,
                                   event.starts_at <= now))
    came = list(CheckIn.objects.filter(member=member).select_related("event")
                .order_by("-at")[:10])
    response = render(request, "academy/member_events.jinja", {
        "member": member, "academy": member.academy, "token": token, "rows": rows,
        "came": came, "came_count": CheckIn.objects.filter(member=member).count(),
        "problem": problem,
        "back_href": reverse("academy_member_home", args=[token]),
    }, status=status)
    return _remember_member(response, member)


@never_cache
def member_events(request: HttpRequest, token: str) -> HttpResponse:
    found = _member_or_404(request, token)
    if isinstance(found, HttpResponse):
        return found
    return _member_events_page(request, found, token)


def _member_event(member: Member, event: int) -> Event:
    row = Event.objects.filter(academy=member.academy, pk=event).first()
    if row is None:
        raise Http404("No such event.")
    return row


@never_cache
def member_book(request: HttpRequest, token: str, event: int) -> HttpResponse:
    _post_only(request)
    found = _member_or_404(request, token)
    if isinstance(found, HttpResponse):
        return found
    row = _member_event(found, event)
    try:
        registration = services.registration_create(event=row, member=found)
    except services.RegistrationClosed:
        problem = (f"{row.title} was cancelled, so it cannot be booked."
                   if row.cancelled_at else f"{row.title} has started: booking has closed.")
        return _member_events_page(request, found, token, problem=problem, status=409)
    if registration.status == CONFIRMED:
        messages.success(request, f"You have a place at {row.title}.")
    else:
        position = waiting_positions(row).get(registration.pk)
        messages.success(request, f"{row.title} is full. You are number {position} on the "
                         "waiting list: we will email you if a place comes free.")
    return redirect(reverse("academy_member_events", args=[token]) + f"#event-{row.pk}")


@never_cache
def member_cancel(request: HttpRequest, token: str, event: int) -> HttpResponse:
    _post_only(request)
    found = _member_or_404(request, token)
    if isinstance(found, HttpResponse):
        return found
    row = _member_event(found, event)
    if row.starts_at <= timezone.now():
        # The page offers no button then: the booking is part of the event's record.
        return _member_events_page(
            request, found, token, status=409,
            problem=f"{row.title} has started: your booking can no longer be changed.")
    registration = Registration.objects.filter(event=row, member=found,
                                               status__in=[CONFIRMED, WAITING]).first()
    if registration is not None:
        was = registration.status
        services.registration_cancel(registration=registration)
        messages.success(request, f"You gave up your place at {row.title}." if was == CONFIRMED
                         else f"You left the waiting list of {row.title}.")
    return redirect(reverse("academy_member_events", args=[token]) + f"#event-{row.pk}")


@never_cache
def member_check_in(request: HttpRequest, token: str, code: str) -> HttpResponse:
    """A member's own check-in link: remember them on this phone, then the check-in page."""
    found = _member_or_404(request, token)
    if isinstance(found, HttpResponse):
        return found
    return _remember_member(redirect("academy_checkin", code=services.normalise_event_code(code)),
                            found)


# --- Check-in at the door on the member's phone -------------------------------------------


def _code_page(request: HttpRequest, form: CodeForm, *, status: int = 200) -> HttpResponse:
    return render(request, "academy/checkin_start.jinja",
                  {"form": form, "form_errors": error_list(form)}, status=status)


@never_cache
@bilingual
def checkin_start(request: HttpRequest) -> HttpResponse:
    """Type the code from the poster."""
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _guesses_refused(request, count=False):
            return _too_many(request)
        code = services.normalise_event_code(form.cleaned_data["code"])
        if Event.objects.filter(code=code).exists():
            return redirect("academy_checkin", code=code)
        if _guesses_refused(request, count=True):
            return _too_many(request)
        form.add_error("code", gettext("We could not find an event with this code. Check it "
                                       "against the poster"))
    return _code_page(request, form, status=400 if form.errors else 200)


def _checkin_page(request: HttpRequest, event: Event, *, email_form: CheckInEmailForm | None,
                  status: int = 200) -> HttpResponse:
    now = timezone.now()
    member = remembered_member(request, event.academy)
    email_form = email_form or CheckInEmailForm()
    opens, _ = services.check_in_window(event)
    return render(request, "academy/checkin.jinja", {
        "event": event, "academy": event.academy, "state": check_in_state(event, now),
        "opens": opens, "member": member,
        "checked_in": member is not None and CheckIn.objects.filter(
            event=event, member=member).exists(),
        "email_form": email_form, "form_errors": error_list(email_form),
        "join_url": _join_url(event),
    }, status=status)


def _join_url(event: Event) -> str:
    academy = event.academy
    return reverse("academy_join", args=[academy.join_code]) if academy.sign_up_open else ""


def _checked_in_page(request: HttpRequest, event: Event, member: Member | None) -> HttpResponse:
    return render(request, "academy/checkin_done.jinja", {"event": event, "member": member})


@never_cache
@bilingual
def checkin(request: HttpRequest, code: str) -> HttpResponse:
    """The page behind the QR code: check in as the member this phone remembers, or type
    an address to be emailed a link that checks in (the answer is the same for any
    address, and typing one checks nobody in)."""
    if _guesses_refused(request, count=False):
        return _too_many(request)
    event = (Event.objects.filter(code=services.normalise_event_code(code))
             .select_related("academy").first())
    if event is None:
        if _guesses_refused(request, count=True):
            return _too_many(request)
        return render(request, "academy/checkin_start.jinja", {
            "form": CodeForm(initial={"code": code[:20]}), "unknown": True}, status=404)
    if request.method != "POST":
        return _checkin_page(request, event, email_form=None)
    if check_in_state(event, timezone.now()) != "open":
        return _checkin_page(request, event, email_form=None, status=409)
    if request.POST.get("action") == "me":
        member = remembered_member(request, event.academy)
        if member is None:
            form = CheckInEmailForm({})
            form.errors.clear()
            form.add_error("email", gettext("This phone does not know who you are: enter "
                                            "your email address"))
            return _checkin_page(request, event, email_form=form, status=400)
        services.check_in(event=event, member=member, method=CheckInMethod.SELF)
        return redirect("academy_checkin", code=event.code)
    if _email_requests_refused(request):
        return _too_many_emails(request)
    form = CheckInEmailForm(request.POST)
    if not form.is_valid():
        return _checkin_page(request, event, email_form=form, status=400)
    services.check_in_link_send(event=event, email=form.cleaned_data["email"])
    # The same page for a member's address and anyone else's.
    return render(request, "academy/checkin_sent.jinja", {
        "event": event, "academy": event.academy, "join_url": _join_url(event)})


@never_cache
@bilingual
def checkin_link(request: HttpRequest, code: str, signed: str) -> HttpResponse:
    """The link emailed from the check-in page: opening it asks "Check in to <event> as
    <name>", and its button (a POST) checks the member in and makes this phone remember
    them, as their personal link does. Opening it checks nobody in: mail systems fetch
    links in advance, and the address may be an absent colleague's typed at the door."""
    if _guesses_refused(request, count=False):
        return _too_many(request)
    event = (Event.objects.filter(code=services.normalise_event_code(code))
             .select_related("academy").first())
    member = (services.check_in_link_member(event=event, signed=signed)
              if event is not None else None)
    if event is None or member is None:
        if _guesses_refused(request, count=True):
            return _too_many(request)
        return render(request, "academy/checkin_problem.jinja", {
            "title": gettext("We could not find this link"),
            "body": gettext("Check that you opened the whole link from the email. A link to "
                            "check in works for its own event only, and stops if you change "
                            "your email address or leave the academy. Ask for a new one on "
                            "the event's check-in page, or ask a facilitator at the door."),
        }, status=404)
    if check_in_state(event, timezone.now()) != "open":
        return _checkin_page(request, event, email_form=None, status=409)
    # Whoever opens the link reads the member's email, so the name can be shown.
    if request.method == "POST":
        services.check_in(event=event, member=member, method=CheckInMethod.SELF)
        return redirect(request.path)
    if not CheckIn.objects.filter(event=event, member=member).exists():
        return render(request, "academy/checkin_confirm.jinja", {
            "event": event, "academy": event.academy, "member": member})
    response = _checked_in_page(request, event, member)
    return _remember_member(response, member) if member.token_hash else response


urlpatterns: list[URLPattern] = [
    # Members (no account: their personal link)
    path("m/<str:token>/events/", member_events, name="academy_member_events"),
    path("m/<str:token>/events/<int:event>/book/", member_book, name="academy_member_book"),
    path("m/<str:token>/events/<int:event>/cancel/", member_cancel,
         name="academy_member_cancel"),
    path("m/<str:token>/check-in/<str:code>/", member_check_in, name="academy_member_checkin"),
    # Check-in at the door
    path("c/", checkin_start, name="academy_checkin_start"),
    path("c/<str:code>/", checkin, name="academy_checkin"),
    path("c/<str:code>/link/<str:signed>/", checkin_link, name="academy_checkin_link"),
    # Programmes
    path("academy/<int:pk>/programmes/", programme_list, name="academy_programmes"),
    path("academy/<int:pk>/programmes/new/", programme_edit, name="academy_programme_new"),
    path("academy/<int:pk>/programmes/<int:programme>/", programme_detail,
         name="academy_programme"),
    path("academy/<int:pk>/programmes/<int:programme>/change/", programme_edit,
         name="academy_programme_edit"),
    path("academy/<int:pk>/programmes/<int:programme>/enrol/", programme_enrol,
         name="academy_programme_enrol"),
    path("academy/<int:pk>/programmes/<int:programme>/unenrol/", programme_unenrol,
         name="academy_programme_unenrol"),
    # Events
    path("academy/<int:pk>/events/", event_list, name="academy_events"),
    path("academy/<int:pk>/events/new/", event_edit, name="academy_event_new"),
    path("academy/<int:pk>/events/<int:event>/", event_detail, name="academy_event"),
    path("academy/<int:pk>/events/<int:event>/change/", event_edit, name="academy_event_edit"),
    path("academy/<int:pk>/events/<int:event>/cancel/", event_cancel,
         name="academy_event_cancel"),
    path("academy/<int:pk>/events/<int:event>/effort/", event_effort,
         name="academy_event_effort"),
    path("academy/<int:pk>/events/<int:event>/effort/<int:effort>/remove/",
         event_effort_remove, name="academy_event_effort_remove"),
    path("academy/<int:pk>/events/<int:event>/registrations/", event_registrations,
         name="academy_event_registrations"),
    path("academy/<int:pk>/events/<int:event>/registrations/new/", event_register,
         name="academy_event_register"),
    path("academy/<int:pk>/events/<int:event>/registrations/<int:registration>/cancel/",
         event_registration_cancel, name="academy_event_registration_cancel"),
    path("academy/<int:pk>/events/<int:event>/door/", event_door, name="academy_event_door"),
    path("academy/<int:pk>/events/<int:event>/door/tick/", event_door_tick,
         name="academy_event_door_tick"),
    path("academy/<int:pk>/events/<int:event>/door/walk-in/", event_walk_in,
         name="academy_event_walk_in"),
    path("academy/<int:pk>/events/<int:event>/check-in-qr.svg", event_qr,
         name="academy_event_qr"),
    path("academy/<int:pk>/events/<int:event>/poster/", event_poster,
         name="academy_event_poster"),
]
