"""A member's own relationships pages, through their personal link (``/m/<token>/``):
the people they know in the academy (a picker that searches by name), whom they met at
an event they came to ("who did you meet today?", also reached from the check-in page on
a phone that remembers them), and ties that became joint work.

A member sees the names of the people they search for (two characters of a name at
least, twenty people at most, never an address) and of their own ties; people who left
the academy never appear.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited  # type: ignore[import-untyped]

from tracelead.academy.event_views import remembered_member
from tracelead.academy.member_views import _member as member_from_token
from tracelead.academy.member_views import _not_found
from tracelead.academy.models import CheckIn, Event, Member
from tracelead.academy.services import normalise_event_code
from tracelead.core.forms import error_list
from tracelead.core.throttles import wait_words

from . import services
from .forms import SEARCH_LIMIT, SEARCH_MIN, PeoplePickForm, PeopleSearchForm, WorkedForm
from .models import Connection, ConnectionKind

# Searches of the picker per member: plenty for finding people, slow for listing them all.
SEARCH_RATE = "60/10m"


def _people(member: Member) -> QuerySet[Member]:
    """Whom a member may record a tie with: the academy's current members but themselves."""
    return (Member.objects.filter(academy_id=member.academy_id, left_at__isnull=True)
            .exclude(pk=member.pk))


SHOWN_SALT = "tracelead.network.people-shown"
SHOWN_MAX_AGE = 3600


def _shown_token(member: Member, people: list[Member]) -> str:
    """The people a search showed, signed for this member: only they can be ticked, so
    that posting guessed ids cannot list the academy's members one by one."""
    return signing.dumps([member.pk, sorted(p.pk for p in people)], salt=SHOWN_SALT)


def _shown_ids(member: Member, token: str) -> list[int]:
    try:
        owner, ids = signing.loads(token, salt=SHOWN_SALT, max_age=SHOWN_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return []
    return [int(i) for i in ids] if owner == member.pk else []


def _search_refused(request: HttpRequest, member: Member) -> bool:
    key = f"member:{member.token_hash or member.pk}"
    return bool(is_ratelimited(request, group="network-people-search",
                               key=lambda group, request: key, rate=SEARCH_RATE,
                               increment=True))


@dataclass
class Tie:
    """Someone the member is connected to, and every way they are (knew, met, worked)."""

    person: Member
    ways: list[Connection] = field(default_factory=list)

    @property
    def worked(self) -> bool:
        return any(way.kind == ConnectionKind.WORKED for way in self.ways)


def _ties(member: Member) -> list[Tie]:
    rows = (Connection.objects.filter(Q(first=member) | Q(second=member))
            .select_related("first__organisation", "second__organisation", "event")
            .order_by("on", "id"))
    ties: dict[int, Tie] = {}
    for row in rows:
        other = row.second if row.first_id == member.pk else row.first
        if other.has_left:
            continue
        ties.setdefault(other.pk, Tie(other)).ways.append(row)
    return sorted(ties.values(), key=lambda t: (t.person.name.casefold(), t.person.pk))


def _people_url(token: str) -> str:
    return reverse("network_member_people", args=[token])


# --- People you know ---------------------------------------------------------------------


def _people_page(request: HttpRequest, member: Member, token: str, *, query: str,
                 pick: PeoplePickForm | None = None, worked: WorkedForm | None = None,
                 worked_person: int | None = None, status: int = 200) -> HttpResponse:
    search = PeopleSearchForm({"q": query})
    query = search.query()
    ties = _ties(member)
    known = {t.person.pk for t in ties
             if any(w.kind == ConnectionKind.KNEW for w in t.ways)}
    results: list[Member] = []
    more = throttled = False
    # A search counts towards the member's budget; the picker shown again after a problem
    # with the ticks (a POST) does not.
    if len(query) >= SEARCH_MIN:
        if request.method == "GET" and _search_refused(request, member):
            throttled, status = True, 429
        else:
            found = list(_people(member).filter(name__icontains=query)
                         .select_related("organisation").order_by("name", "id")
                         [:SEARCH_LIMIT + 1])
            results, more = found[:SEARCH_LIMIT], len(found) > SEARCH_LIMIT
    form_errors = error_list(search)
    if pick is not None:
        form_errors += [{"text": e["text"], "href": "#people"} for e in error_list(pick)]
    # The error sits by the person's "worked together" form, or under "Your ties" for
    # someone who is not (yet) one of them.
    worked_listed = any(t.person.pk == worked_person and not t.worked for t in ties)
    if worked is not None:
        anchor = f"#worked-{worked_person}" if worked_listed else "#ties"
        form_errors += [{"text": e["text"], "href": anchor} for e in error_list(worked)]
    return render(request, "network/member_people.jinja", {
        "member": member, "academy": member.academy, "token": token, "search": search,
        "query": query, "short_query": 0 < len(query) < SEARCH_MIN,
        "results": [p for p in results if p.pk not in known],
        "shown": _shown_token(member, [p for p in results if p.pk not in known]),
        "already": [p for p in results if p.pk in known], "more": more,
        "throttled": throttled, "wait": wait_words(SEARCH_RATE),
        "search_limit": SEARCH_LIMIT, "search_min": SEARCH_MIN,
        "pick_error": " ".join(str(e) for e in [*pick.errors.get("people", []),
                                                 *pick.non_field_errors()])
        if pick is not None else "",
        "ticked": set(request.POST.getlist("people")) if pick is not None else set(),
        "ties": ties, "worked_form": worked, "worked_person": worked_person,
        "worked_error": " ".join(e["text"] for e in error_list(worked))
        if worked is not None and not worked_listed else "",
        "form_errors": form_errors,
        "back_href": reverse("academy_member_home", args=[token]), "back_text": "Your page",
    }, status=400 if form_errors and status == 200 else status)


@never_cache
def member_people(request: HttpRequest, token: str) -> HttpResponse:
    """Search for people by name (GET), tick those you know and save (POST)."""
    member = member_from_token(request, token)
    if isinstance(member, HttpResponse):
        return member
    if request.method != "POST":
        return _people_page(request, member, token, query=request.GET.get("q", "")[:200])
    shown = _shown_ids(member, request.POST.get("shown", ""))
    form = PeoplePickForm(request.POST, people=_people(member).filter(pk__in=shown))
    if form.is_valid():
        try:
            added = services.connection_knew(member=member, others=form.cleaned_data["people"])
        except ValidationError as error:
            form.add_error("people", error.messages)
        else:
            chosen = len(form.cleaned_data["people"])
            messages.success(request, _saved_words(
                added, chosen, to="to your list of people you know", already="on your list"))
            return redirect(_people_url(token) + "#ties")
    return _people_page(request, member, token, query=request.POST.get("q", "")[:200],
                        pick=form)


def _saved_words(added: int, chosen: int, *, to: str, already: str) -> str:
    if added == 0:
        return f"{'They were' if chosen > 1 else 'This person was'} already {already}."
    return f"Saved: {added} {'person' if added == 1 else 'people'} added {to}."


@never_cache
@require_POST
def member_worked(request: HttpRequest, token: str) -> HttpResponse:
    """"We have worked together since": a tie that became joint work."""
    member = member_from_token(request, token)
    if isinstance(member, HttpResponse):
        return member
    form = WorkedForm(request.POST)
    if not form.is_valid():
        return _people_page(request, member, token, query="", worked=form,
                            worked_person=_int(request.POST.get("person")), status=400)
    other = _people(member).filter(pk=form.cleaned_data["person"]).first()
    if other is None:
        raise Http404("No such member.")
    try:
        added = services.connection_worked(member=member, other=other,
                                           on=form.cleaned_data["on"])
    except ValidationError as error:
        form.add_error(None, error.messages)
        return _people_page(request, member, token, query="", worked=form,
                            worked_person=other.pk, status=400)
    messages.success(request, f"Saved: you have worked with {other.name} since "
                              f"{_day(form.cleaned_data['on'])}." if added else
                              f"You had already said that you have worked with {other.name}.")
    return redirect(_people_url(token) + f"#person-{other.pk}")


def _int(value: Any) -> int | None:
    try:
        return int(str(value)[:12])
    except (TypeError, ValueError):
        return None


def _day(value: Any) -> str:
    day = value or timezone.localdate()
    return f"{day.day} {day:%B %Y}"


@never_cache
@require_POST
def member_remove(request: HttpRequest, token: str, connection: int) -> HttpResponse:
    """Take back a tie the member recorded (404 for one that is not theirs to see)."""
    member = member_from_token(request, token)
    if isinstance(member, HttpResponse):
        return member
    row = (Connection.objects.filter(Q(first=member) | Q(second=member), pk=connection)
           .select_related("first", "second", "event").first())
    other = None if row is None else (row.second if row.first_id == member.pk else row.first)
    if row is None or other is None or other.has_left:
        raise Http404("No such connection.")
    try:
        services.connection_remove(member=member, connection=row)
    except ValidationError as error:
        who = (f"{other.name} recorded this one" if row.recorded_by_id == other.pk
               else "the academy added this one")
        messages.error(request, f"{' '.join(error.messages)}: {who}.")
        return redirect(_people_url(token) + f"#person-{other.pk}")
    messages.success(request, f"Removed: {_way_words(row, other.name)}.")
    return redirect(_people_url(token) + "#ties")


def _way_words(row: Connection, name: str) -> str:
    if row.kind == ConnectionKind.MET and row.event is not None:
        return f"that you met {name} at {row.event.title}"
    if row.kind == ConnectionKind.WORKED:
        return f"that you have worked with {name}"
    return f"that you knew {name} before"


# --- Who did you meet today? ---------------------------------------------------------------


def _met_page(request: HttpRequest, *, member: Member, event: Event, action: str,
              back_href: str, back_text: str, token: str) -> HttpResponse:
    if not CheckIn.objects.filter(event=event, member=member).exists():
        return render(request, "academy/member_problem.jinja", {
            "title": f"You did not check in at {event.title}",
            "body": "Only people who checked in at an event can say whom they met there. If "
                    "you came, ask the event's facilitator to record that you did, then come "
                    "back to this page.",
            "link": (back_href, back_text), "back_href": back_href, "back_text": back_text,
        }, status=403)
    others = _people(member).filter(check_ins__event=event)
    form = None
    if request.method == "POST":
        form = PeoplePickForm(request.POST, people=others)
        if form.is_valid():
            try:
                added = services.connection_met(member=member, event=event,
                                                 others=form.cleaned_data["people"])
            except ValidationError as error:
                form.add_error("people", error.messages)
            else:
                messages.success(request, _saved_words(
                    added, len(form.cleaned_data["people"]),
                    to=f"to the people you met at {event.title}",
                    already=f"among the people you met at {event.title}"))
                return redirect(action)
    search = PeopleSearchForm(request.GET if request.method == "GET" else
                              {"q": request.POST.get("q", "")})
    query = search.query()
    people = list(others.select_related("organisation").order_by("name", "id"))
    met = set(Connection.objects.filter(
        Q(first=member) | Q(second=member), kind=ConnectionKind.MET, event=event)
        .values_list("first_id", "second_id"))
    met_ids = {pk for pair in met for pk in pair} - {member.pk}
    shown = [p for p in people if query.casefold() in p.name.casefold()]
    form_errors = error_list(search)
    if form is not None:
        form_errors += [{"text": e["text"], "href": "#people"} for e in error_list(form)]
    return render(request, "network/member_met.jinja", {
        "member": member, "academy": member.academy, "event": event, "token": token,
        "action": action, "search": search, "query": query,
        "today": timezone.localdate(event.starts_at) == timezone.localdate(),
        "people": [p for p in shown if p.pk not in met_ids],
        "already": [p for p in shown if p.pk in met_ids],
        "everyone": len(people),
        "pick_error": " ".join(str(e) for e in [*form.errors.get("people", []),
                                                 *form.non_field_errors()])
        if form is not None else "",
        "ticked": set(request.POST.getlist("people")) if form is not None else set(),
        "form_errors": form_errors, "back_href": back_href, "back_text": back_text,
    }, status=400 if form_errors else 200)


@never_cache
def member_met(request: HttpRequest, token: str, event: int) -> HttpResponse:
    member = member_from_token(request, token)
    if isinstance(member, HttpResponse):
        return member
    row = Event.objects.filter(academy_id=member.academy_id, pk=event).first()
    if row is None:
        raise Http404("No such event.")
    return _met_page(request, member=member, event=row,
                     action=reverse("network_member_met", args=[token, row.pk]),
                     back_href=reverse("academy_member_events", args=[token]),
                     back_text="Your events", token=token)


@never_cache
def checkin_met(request: HttpRequest, code: str) -> HttpResponse:
    """The same page from the check-in confirmation, for the member this phone remembers
    (the phone keeps a signed mark of the member, not their personal link)."""
    event = (Event.objects.filter(code=normalise_event_code(code))
             .select_related("academy").first())
    if event is None:
        return _not_found(request, title="We could not find this event",
                          body="Check the code against the poster at the door.")
    back = reverse("academy_checkin", args=[event.code])
    member = remembered_member(request, event.academy)
    if member is None:
        return render(request, "academy/member_problem.jinja", {
            "title": "This phone does not know who you are",
            "body": "Open the personal link from your email on this phone, or check in to "
                    "the event with your email address, then come back to this page.",
            "link": (back, "Back to the check-in page"),
        }, status=403)
    return _met_page(request, member=member, event=event,
                     action=reverse("network_checkin_met", args=[event.code]),
                     back_href=back, back_text="Check-in", token="")


urlpatterns: list[URLPattern] = [
    path("m/<str:token>/people/", member_people, name="network_member_people"),
    path("m/<str:token>/people/worked/", member_worked, name="network_member_worked"),
    path("m/<str:token>/people/<int:connection>/remove/", member_remove,
         name="network_member_remove"),
    path("m/<str:token>/events/<int:event>/met/", member_met, name="network_member_met"),
    path("c/<str:code>/met/", checkin_met, name="network_checkin_met"),
]
