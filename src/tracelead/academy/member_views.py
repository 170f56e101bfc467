"""Members of an academy: the public sign-up page, each member's own page (through their
personal link), and the facilitators' member list, member pages and import.

Names and addresses are shown only to the academy's facilitators and to each member for
themselves; everyone else with a role in the system sees counts.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django_ratelimit.core import is_ratelimited

from tracelead.core.audit import audit_record
from tracelead.core.forms import add_service_errors, error_list, import_outcome, render_form
from tracelead.core.language import bilingual
from tracelead.core.models import AuditEvent
from tracelead.core.throttles import ratelimit_address, wait_words
from tracelead.organisations.models import Sector

from . import access, importing, services
from .member_forms import (
    NOT_LISTED,
    JoinForm,
    LinkResendForm,
    MemberAddForm,
    MemberDetailsForm,
    MemberEditForm,
    MemberFilterForm,
    MemberImportForm,
)
from .models import (
    Academy,
    CheckIn,
    ExchangePair,
    ExchangeVisit,
    Member,
    Registration,
    RegistrationStatus,
    RoleLevel,
    StaffGroup,
)

# Personal links are secrets.token_urlsafe(24): 32 characters of the URL-safe alphabet.
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
PAGE_SIZE = 50


# --- Pages for people without an account ---------------------------------------------------


def _problem(request: HttpRequest, *, status: int, title: str, body: str,
             link: tuple[str, str] | None = None) -> HttpResponse:
    return render(request, "academy/member_problem.jinja",
                  {"title": title, "body": body, "link": link}, status=status)


def _not_found(request: HttpRequest, *, title: str, body: str) -> HttpResponse:
    """A link that does not exist. Misses count towards the link-guess throttle of the
    respondent pages (per client address), so personal links cannot be guessed here
    either."""
    if is_ratelimited(request, group="link-guess", key=ratelimit_address,
                      rate=settings.TRACELEAD_TOKEN_GUESS_RATE, increment=True):
        wait = wait_words(settings.TRACELEAD_TOKEN_GUESS_RATE)
        return _problem(request, status=429, title=gettext("Too many attempts"),
                        body=gettext("Too many links that do not exist have been tried from "
                                     "here. Wait %(wait)s, then check the link you were given.")
                        % {"wait": wait})
    return _problem(request, status=404, title=title, body=body)


def _sign_up_refused(request: HttpRequest, group: str) -> bool:
    return bool(is_ratelimited(request, group=group, key=ratelimit_address,
                               rate=settings.TRACELEAD_SIGN_UP_RATE, increment=True))


def _refused_errors() -> list[dict[str, str]]:
    wait = wait_words(settings.TRACELEAD_SIGN_UP_RATE)
    return [{"text": gettext("Too many requests have been sent from this network. Wait "
                             "%(wait)s, then send the form again") % {"wait": wait},
             "href": "#main-form"}]


def _academy_by_code(code: str) -> Academy | None:
    if not code or len(code) > 64:
        return None
    return Academy.objects.select_related("system").filter(join_code=code).first()


def _unknown_sign_up(request: HttpRequest) -> HttpResponse:
    return _not_found(
        request, title=gettext("We could not find this sign-up page"),
        body=gettext("Check that you copied the whole link. If it still does not work, ask "
                     "the academy for the address of its sign-up page."))


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


@never_cache
@bilingual
def join(request: HttpRequest, code: str) -> HttpResponse:
    """The public sign-up page. Its answer is the same whether or not the address is
    already a member's: either way a link is emailed and the next page says so."""
    academy = _academy_by_code(code)
    if academy is None:
        return _unknown_sign_up(request)
    if not academy.sign_up_open:
        return _problem(
            request, status=404,
            title=gettext("Sign-up to %(academy)s is closed") % {"academy": academy.name},
            body=gettext("The academy is not taking new members on this page at the moment. "
                         "Ask the academy's team how to join."),
            link=(reverse("academy_lost_link", args=[code]),
                  gettext("Already a member? Ask for your personal link")))
    form = JoinForm(request.POST or None, academy=academy)
    form_errors: list[dict[str, str]] = []
    status = 200
    if request.method == "POST":
        if _sign_up_refused(request, "academy-sign-up"):
            form = JoinForm(initial=request.POST.dict(), academy=academy)
            form_errors, status = _refused_errors(), 429
        elif form.is_valid():
            try:
                services.member_join(academy=academy, details=form.details(),
                                     consent=form.cleaned_data["consent"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return redirect("academy_join_sent", code=code)
        if form.is_bound and form.errors:
            form_errors, status = error_list(form), 400
    return render(request, "academy/join.jinja", {
        "academy": academy, "form": form, "form_errors": form_errors,
        "characteristics": list(academy.characteristics.all()),
        "privacy": _paragraphs(academy.privacy_notice),
        "purpose": _paragraphs(academy.purpose),
    }, status=status)


@never_cache
@bilingual
def join_sent(request: HttpRequest, code: str) -> HttpResponse:
    academy = _academy_by_code(code)
    if academy is None:
        return _unknown_sign_up(request)
    return render(request, "academy/join_sent.jinja", {"academy": academy})


@never_cache
@bilingual
def lost_link(request: HttpRequest, code: str) -> HttpResponse:
    """Ask for a new personal link; the answer is the same for any address. Open even
    when sign-up is closed, since members still need their links. The member's current
    link keeps working until they open the new one."""
    academy = _academy_by_code(code)
    if academy is None:
        return _unknown_sign_up(request)
    form = LinkResendForm(request.POST or None)
    form_errors: list[dict[str, str]] = []
    status = 200
    if request.method == "POST":
        if _sign_up_refused(request, "academy-lost-link"):
            form = LinkResendForm(initial=request.POST.dict())
            form_errors, status = _refused_errors(), 429
        elif form.is_valid():
            services.member_link_resend(academy=academy, email=form.cleaned_data["email"])
            return redirect("academy_link_sent", code=code)
        else:
            form_errors, status = error_list(form), 400
    return render(request, "academy/join_lost_link.jinja", {
        "academy": academy, "form": form, "form_errors": form_errors,
    }, status=status)


@never_cache
@bilingual
def link_sent(request: HttpRequest, code: str) -> HttpResponse:
    academy = _academy_by_code(code)
    if academy is None:
        return _unknown_sign_up(request)
    return render(request, "academy/join_link_sent.jinja", {"academy": academy})


# --- A member's own pages (through their personal link) --------------------------------


def _member(request: HttpRequest, token: str) -> Member | HttpResponse:
    well_formed = TOKEN_PATTERN.match(token) is not None
    member = services.member_by_token(token) if well_formed else None
    if member is None and well_formed and services.member_by_waiting_link(token):
        # A new link not yet opened: its own page asks first (``member_home``).
        return redirect("academy_member_home", token=token)
    if member is None:
        return _not_found(
            request, title="We could not find your membership",
            body="Check that you copied the whole link from your email. A link stops "
                 "working once a newer one is opened, and when a member leaves the academy. "
                 "If you have lost your link, ask for a new one from the academy's sign-up "
                 "page (“Already a member?”).")
    return member


def _bookings(member: Member) -> list[Registration]:
    return list(Registration.objects.filter(member=member).select_related("event")
                .order_by("event__starts_at", "event_id"))


def _waiting_link(request: HttpRequest, token: str) -> HttpResponse | None:
    """A new personal link not yet opened: a page that asks before it becomes the member's
    link, and the POST from its button that makes it so. Opening the link (a GET) changes
    nothing, since mail systems fetch links in advance: that would stop the member's older
    link whenever anyone who knows their address asked for a new one."""
    if not TOKEN_PATTERN.match(token):
        return None
    waiting = services.member_by_waiting_link(token)
    if waiting is None:
        return None
    if request.method == "POST":
        services.member_link_open(token=token)
        return redirect("academy_member_home", token=token)
    return render(request, "academy/member_link_open.jinja",
                  {"member": waiting, "academy": waiting.academy})


@never_cache
def member_home(request: HttpRequest, token: str) -> HttpResponse:
    waiting = _waiting_link(request, token)
    if waiting is not None:
        return waiting
    member = _member(request, token)
    if isinstance(member, HttpResponse):
        return member
    now = timezone.now()
    bookings = _bookings(member)
    attended = set(CheckIn.objects.filter(member=member).values_list("event_id", flat=True))
    return render(request, "academy/member_home.jinja", {
        "member": member, "academy": member.academy, "token": token,
        "upcoming": [b for b in bookings if b.event.starts_at > now
                     and b.status != RegistrationStatus.CANCELLED],
        "past": [b for b in bookings if b.event.starts_at <= now],
        "cancelled": [b for b in bookings if b.event.starts_at > now
                      and b.status == RegistrationStatus.CANCELLED],
        "attended": attended,
        "attended_count": len(attended),
        "exchange_sectors": [Sector(s).label for s in member.exchange_sectors
                             if s in Sector.values],
        "forms": _evaluation_forms(member),
    })


def _evaluation_forms(member: Member) -> list[Any]:
    """Evaluation forms of the member's programmes still open to them."""
    from tracelead.evaluation.views import member_forms

    return member_forms(member)


@never_cache
def member_edit(request: HttpRequest, token: str) -> HttpResponse:
    member = _member(request, token)
    if isinstance(member, HttpResponse):
        return member
    initial = {**MemberDetailsForm.initial_for(member),
               "exchange_opt_in": member.exchange_opt_in,
               "exchange_sectors": list(member.exchange_sectors)}
    form = MemberEditForm(request.POST or None, initial=initial, academy=member.academy)
    if request.method == "POST" and form.is_valid():
        try:
            sent_to = services.member_update_own(
                member=member, details=form.details(),
                exchange_opt_in=form.cleaned_data["exchange_opt_in"],
                exchange_sectors=form.cleaned_data["exchange_sectors"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            # The same words whether or not another member has the new address.
            messages.success(request, "Your details are saved." if sent_to is None else
                             f"Your details are saved. We have sent a link to {sent_to}; "
                             "your address changes when you open it.")
            return redirect("academy_member_home", token=token)
    return render(request, "academy/member_edit.jinja", {
        "member": member, "academy": member.academy, "token": token, "form": form,
        "form_errors": error_list(form),
        "back_href": reverse("academy_member_home", args=[token]),
    }, status=400 if form.errors else 200)


@never_cache
def member_email_confirm(request: HttpRequest, signed: str) -> HttpResponse:
    """The link emailed to a member's new address: opening it makes it their address."""
    result = services.member_email_confirm(signed=signed)
    if result.member is None:
        return _not_found(
            request, title="This link does not work",
            body=f"A link to confirm a new email address works for "
                 f"{services.EMAIL_CHANGE_DAYS} days, and only until the address changes. "
                 "Open your own page from your personal link and change the address again.")
    name = result.member.academy.name
    if result.outcome == "taken":
        return _problem(
            request, status=409, title="This address could not be used",
            body=f"{result.email} could not be used for your membership of {name}. Your "
                 "address has not changed. Ask the academy's team if you need help.")
    return _problem(
        request, status=200, title="Your email address is changed"
        if result.outcome == "changed" else "Your email address is already this one",
        body=f"{name} now uses {result.email} for your membership. Your personal link has "
             "not changed.")


@never_cache
def member_leave(request: HttpRequest, token: str) -> HttpResponse:
    """Leaving, after a confirmation; the last page says what was erased and what kept."""
    member = _member(request, token)
    if isinstance(member, HttpResponse):
        return member
    academy = member.academy
    if request.method != "POST":
        return render(request, "academy/member_leave.jinja", {
            "member": member, "academy": academy, "token": token,
            "back_href": reverse("academy_member_home", args=[token]),
        })
    now = timezone.now()
    mine = Q(pair__first=member) | Q(pair__second=member)
    counts = {
        "cancelled": Registration.objects.filter(
            member=member, event__starts_at__gt=now,
            status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING]).count(),
        "reflections": ExchangeVisit.objects.filter(mine).exclude(reflection="").count(),
        "attended": CheckIn.objects.filter(member=member).count(),
        "pairs": ExchangePair.objects.filter(Q(first=member) | Q(second=member)).count(),
    }
    kept_organisation = member.organisation_label
    kept_sector = member.get_sector_display()
    services.member_leave(member=member, now=now)
    return render(request, "academy/member_left.jinja", {
        "academy": academy, "counts": counts, "organisation": kept_organisation,
        "sector": kept_sector,
    })


# --- The facilitators' pages -----------------------------------------------------------


def _member_of(academy: Academy, member_pk: int) -> Member:
    member = (Member.objects.select_related("organisation")
              .filter(academy=academy, pk=member_pk).first())
    if member is None:
        raise Http404("No such member.")
    return member


def _filtered(academy: Academy, data: dict[str, Any]) -> Any:
    members = Member.objects.filter(academy=academy)
    if data.get("q"):
        q = data["q"].strip()
        members = members.filter(Q(name__icontains=q) | Q(email__icontains=q.lower()))
    if data.get("organisation") == NOT_LISTED:
        members = members.filter(organisation__isnull=True)
    elif data.get("organisation"):
        members = members.filter(organisation_id=int(data["organisation"]))
    for name in ("sector", "staff_group", "place"):
        if data.get(name):
            members = members.filter(**{name: data[name]})
    return members


def _page_items(request: HttpRequest, page: Any) -> list[dict[str, Any]]:
    """Numbered pagination: the first and last pages, and two either side of this one."""
    last = page.paginator.num_pages
    shown = sorted({1, last, *range(max(1, page.number - 2), min(last, page.number + 2) + 1)})
    items: list[dict[str, Any]] = []
    previous = 0
    for number in shown:
        if number - previous > 1:
            items.append({"ellipsis": True})
        items.append({"number": number, "href": _page_href(request, number),
                      "current": number == page.number})
        previous = number
    return items


def _page_href(request: HttpRequest, number: int) -> str:
    query = request.GET.copy()
    query["page"] = str(number)
    return "?" + query.urlencode()


@login_required
def member_list(request: HttpRequest, pk: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk)
    if not access.can_facilitate(request.user, academy):
        return _member_counts(request, academy)
    form = MemberFilterForm(request.GET or None, academy=academy)
    status = 200
    if form.is_bound and not form.is_valid():
        members = Member.objects.none()
        status = 400
    else:
        members = _filtered(academy, form.cleaned_data if form.is_bound else {})
    members = members.select_related("organisation").order_by(
        F("left_at").asc(nulls_first=True), "name", "id")
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    totals = Member.objects.filter(academy=academy).aggregate(
        current=Count("pk", filter=Q(left_at__isnull=True)),
        left=Count("pk", filter=Q(left_at__isnull=False)))
    filtered = bool(form.is_bound and any(request.GET.get(n) for n in form.fields))
    return render(request, "academy/members.jinja", {
        "academy": academy, "form": form, "form_errors": error_list(form), "page": page,
        "page_items": _page_items(request, page) if page.paginator.num_pages > 1 else [],
        "previous_href": _page_href(request, page.number - 1) if page.has_previous() else "",
        "next_href": _page_href(request, page.number + 1) if page.has_next() else "",
        "totals": totals, "filtered": filtered,
        "back_href": reverse("academy", args=[academy.pk]), "back_text": academy.name,
    }, status=status)


def _member_counts(request: HttpRequest, academy: Academy) -> HttpResponse:
    """What a viewer sees: how many members, by sector and organisation; never names."""
    current = Member.objects.filter(academy=academy, left_at__isnull=True)
    sector_labels = dict(Sector.choices)
    by_sector = [(sector_labels.get(row["sector"], row["sector"]), row["n"]) for row in
                 current.values("sector").annotate(n=Count("pk")).order_by("-n", "sector")]
    # Organisations not listed in the system are counted together: their names are free
    # text that a member typed.
    by_organisation = [
        (row["organisation__name"] or "Organisations not listed in the system", row["n"])
        for row in current.values("organisation__name").annotate(n=Count("pk"))
        .order_by("-n", "organisation__name")
    ]
    return render(request, "academy/members_counts.jinja", {
        "academy": academy, "total": current.count(),
        "left": Member.objects.filter(academy=academy, left_at__isnull=False).count(),
        "by_sector": by_sector, "by_organisation": by_organisation,
        "back_href": reverse("academy", args=[academy.pk]), "back_text": academy.name,
    })


@login_required
def member_detail(request: HttpRequest, pk: int, member: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    row = _member_of(academy, member)
    bookings = _bookings(row)
    check_ins = {c.event_id: c for c in CheckIn.objects.filter(member=row)}
    attended_only = list(CheckIn.objects.filter(member=row).exclude(
        event_id__in=[b.event_id for b in bookings]).select_related("event"))
    return render(request, "academy/members_detail.jinja", {
        "academy": academy, "member": row, "bookings": bookings, "check_ins": check_ins,
        "walk_ins": attended_only, "attended_count": len(check_ins),
        "programmes": list(row.programmes.order_by("name")),
        "back_href": reverse("academy_members", args=[academy.pk]), "back_text": "Members",
    })


@login_required
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    form = MemberAddForm(request.POST or None, academy=academy)
    if request.method == "POST" and form.is_valid():
        try:
            row = services.member_add(academy=academy, details=form.details(),
                                      consent=form.cleaned_data["consent"],
                                      send_link=form.cleaned_data["send_link"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            # The record that consent was given to this facilitator (not the name: the
            # audit log outlives a member's leaving).
            audit_record(user=request.user, action=AuditEvent.Action.CHANGED,
                         what=f"Added academy member {row.pk} by hand; the facilitator "
                              "confirmed their consent", system_id=academy.system_id)
            sent = " and emailed them their personal link" if form.cleaned_data[
                "send_link"] else ""
            messages.success(request, f"Added {row.name}{sent}.")
            return redirect("academy_member", pk=academy.pk, member=row.pk)
    return render_form(request, form, heading=f"Add a member to {academy.name}",
                       submit="Add the member",
                       back_href=reverse("academy_members", args=[academy.pk]),
                       intro="For someone who joined on paper or at an event. People can "
                             "also sign up themselves on the academy's sign-up page.")


@login_required
def member_change(request: HttpRequest, pk: int, member: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    row = _member_of(academy, member)
    if row.has_left:
        raise PermissionDenied("This member has left the academy; their details are erased.")
    form = MemberDetailsForm(request.POST or None, initial=MemberDetailsForm.initial_for(row),
                             academy=academy, required_profile=False)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_update(member=row, details=form.details())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Saved the details of {row.name}.")
            return redirect("academy_member", pk=academy.pk, member=row.pk)
    return render_form(request, form, heading=f"Change the details of {row.name}",
                       submit="Save", back_href=reverse("academy_member",
                                                        args=[academy.pk, row.pk]))


@login_required
def member_send_link(request: HttpRequest, pk: int, member: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk, manage=True)
    row = _member_of(academy, member)
    if request.method != "POST":
        raise PermissionDenied("Send a link with the button on the member's page.")
    try:
        services.member_link_send(member=row)
    except ValidationError:
        messages.error(request, "This member has left the academy, so no link can be sent.")
    else:
        messages.success(request, f"Emailed {row.name} a new personal link. Their current "
                                  "link works until they open the new one.")
    return redirect("academy_member", pk=academy.pk, member=row.pk)


@login_required
def member_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Add many members from a CSV or Excel file; the whole file is checked first."""
    academy = access.academy_for(request.user, pk, manage=True)
    posted = request.method == "POST"
    form = MemberImportForm(request.POST if posted else None, request.FILES if posted else None)
    problems: list[importing.ImportProblem] = []
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size and upload.size > importing.MAX_BYTES:
            problems = [importing.ImportProblem(
                0, "", f"The file is larger than {importing.MAX_BYTES // (1024 * 1024)} MB; "
                       "split it.")]
        else:
            result = importing.member_import(
                academy=academy, data=upload.read(importing.MAX_BYTES + 1),
                filename=upload.name or "", send_links=form.cleaned_data["send_links"])
            problems = result.problems
            if not problems:
                audit_record(user=request.user, action=AuditEvent.Action.CHANGED,
                             what=f"Imported {result.created} academy members from a file; "
                                  "the facilitator confirmed their consent",
                             system_id=academy.system_id)
    outcome = import_outcome(form, problems, result)
    return render(request, "academy/members_import.jinja", {
        **outcome, "academy": academy,
        "sectors": Sector.choices, "staff_groups": StaffGroup.choices,
        "levels": RoleLevel.choices, "places": academy.place_list(),
        "max_rows": importing.MAX_ROWS, "max_mb": importing.MAX_BYTES // (1024 * 1024),
        "back_href": reverse("academy_members", args=[academy.pk]), "back_text": "Members",
    }, status=outcome["status"])


urlpatterns: list[URLPattern] = [
    path("join/<str:code>/", join, name="academy_join"),
    path("join/<str:code>/check-your-email/", join_sent, name="academy_join_sent"),
    path("join/<str:code>/lost-link/", lost_link, name="academy_lost_link"),
    path("join/<str:code>/link-sent/", link_sent, name="academy_link_sent"),
    path("m/new-address/<str:signed>/", member_email_confirm,
         name="academy_member_email_confirm"),
    path("m/<str:token>/", member_home, name="academy_member_home"),
    path("m/<str:token>/change/", member_edit, name="academy_member_edit"),
    path("m/<str:token>/leave/", member_leave, name="academy_member_leave"),
    path("academy/<int:pk>/members/", member_list, name="academy_members"),
    path("academy/<int:pk>/members/new/", member_add, name="academy_member_add"),
    path("academy/<int:pk>/members/import/", member_import, name="academy_members_import"),
    path("academy/<int:pk>/members/<int:member>/", member_detail, name="academy_member"),
    path("academy/<int:pk>/members/<int:member>/change/", member_change,
         name="academy_member_change"),
    path("academy/<int:pk>/members/<int:member>/send-link/", member_send_link,
         name="academy_member_send_link"),
]
