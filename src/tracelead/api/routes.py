"""The JSON API (django-ninja): typed schemas and an OpenAPI description for free.

django-ninja was chosen over Django REST framework because its Pydantic schemas give
request validation, JSON error bodies and the OpenAPI document from the same type hints,
with far less code for an API of this size. The description is served at
/api/v1/openapi.json and browsable at /api/v1/docs.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Field, NinjaAPI, Query, Schema
from ninja.responses import Status
from ninja.security import HttpBearer, django_auth

from tracelead.academy import access as academy_access
from tracelead.academy.models import (
    Academy,
    CheckIn,
    Event,
    EventKind,
    Member,
    Registration,
    RegistrationStatus,
    StaffGroup,
)
from tracelead.core.audit import audit_assessment, audit_record
from tracelead.core.figures import finite
from tracelead.core.models import ApiToken, AuditEvent
from tracelead.diagnostics import services
from tracelead.diagnostics.models import RaterKind
from tracelead.diagnostics.services import MAX_INVITATIONS_PER_REQUEST
from tracelead.organisations import access
from tracelead.organisations.access import assessment_for, assessments_for
from tracelead.organisations.models import Sector
from tracelead.reports.builders import group_report, many_groups_report

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READ_ONLY_REFUSAL = "This token can only read."
# last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class BearerToken(HttpBearer):
    """A personal API token: unknown, expired, revoked or of an inactive user is 401 alike;
    a read token asking to change anything is 403."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        now = timezone.now()
        row = (
            ApiToken.objects.select_related("user")
            .filter(token_hash=ApiToken.hash(token), revoked_at__isnull=True, expires_at__gt=now)
            .first()
        )
        if row is None or not row.user.is_active:
            return None
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        if request.method not in SAFE_METHODS and not row.can_write:
            # Raised, not returned: session authentication must not be tried after it.
            raise PermissionDenied(READ_ONLY_REFUSAL)
        request.user = row.user
        return row.user


api = NinjaAPI(
    title="tracelead API",
    version="1",
    description=("Assessments, invitations and disclosure-controlled results; the academy's "
                 "members, events and attendance."),
    auth=[BearerToken(), django_auth],
    urls_namespace="api",
)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Forbidden."}, status=403)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    # Well-formed input that the assessment's own state refuses (a rater kind it does not
    # ask, say) is a conflict with that state: 409, where malformed input gets 422.
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(request, {"detail": "Conflict.", "errors": errors}, status=409)


class Error(Schema):
    detail: str


class AssessmentOut(Schema):
    id: int
    title: str
    group_id: int
    group: str
    system: str
    instrument: str
    instrument_version: str
    rater_kinds: list[str]
    cycle_id: int
    cycle: str
    threshold: int
    comment_threshold: int
    opens_on: dt.date
    closes_on: dt.date
    status: str


class InvitationsIn(Schema):
    """Either ``labels`` (one invitation per non-empty label) or ``count`` links."""

    rater_kind: RaterKind
    count: int = Field(1, ge=1, le=MAX_INVITATIONS_PER_REQUEST)
    labels: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=MAX_INVITATIONS_PER_REQUEST
    )


class InvitationOut(Schema):
    label: str
    rater_kind: str
    url: str


class ConditionOut(Schema):
    key: str
    name: str
    role: str
    n: int
    mean: float | None
    sd: float | None
    ci_low: float | None
    ci_high: float | None
    rwg_j: float | None
    agreement: str


class ItemOut(Schema):
    key: str
    condition: str
    text: str
    n: int
    dont_know: int
    counts: list[int]
    mean: float | None


class ResultsOut(Schema):
    """A round's results as its cycle's newest publication shows them.

    ``state``: not_published (only ``responses_so_far`` is known, and only once it reaches
    the threshold), withheld (published but not shown) or shown.
    """

    assessment_id: int
    cycle_id: int
    state: str
    disclosed: bool
    publication: int | None
    threshold: int
    unverified: bool
    responses_so_far: int | None
    n_responses: int | None
    response_rate: float | None
    conditions: list[ConditionOut]
    items: list[ItemOut]
    focus: str | None


class CycleOut(Schema):
    id: int
    system_id: int
    name: str
    threshold: int
    comment_threshold: int
    publications: int


class CellOut(Schema):
    condition: str
    shown: bool
    n: int | None
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    rwg_j: float | None


class GroupRowOut(Schema):
    group_id: int
    name: str
    organisation: str
    status: str
    n: int | None
    cells: list[CellOut]


class CycleGroupsOut(Schema):
    cycle_id: int
    publication: int | None
    threshold: int
    groups: list[GroupRowOut]


_number = finite


@api.get("/assessments", response=list[AssessmentOut], tags=["assessments"])
def list_assessments(request: HttpRequest) -> list[dict[str, Any]]:
    rows = assessments_for(request.user).select_related("group", "group__system", "cycle")
    return [
        {
            "id": a.pk,
            "title": a.title,
            "group_id": a.group_id,
            "group": a.group.name,
            "system": a.group.system.name,
            "instrument": a.instrument_key,
            "instrument_version": a.instrument_version,
            "rater_kinds": a.rater_kinds,
            "cycle_id": a.cycle_id,
            "cycle": a.cycle.name,
            "threshold": a.threshold,
            "comment_threshold": a.comment_threshold,
            "opens_on": a.opens_on,
            "closes_on": a.closes_on,
            "status": a.status.value,
        }
        for a in rows
    ]


@api.post(
    "/assessments/{assessment_id}/invitations",
    response={201: list[InvitationOut], 403: Error, 404: Error, 409: dict, 422: dict},
    tags=["assessments"],
)
def create_invitations(
    request: HttpRequest, assessment_id: int, payload: InvitationsIn
) -> Status[list[dict[str, str]]]:
    assessment = assessment_for(request.user, assessment_id, manage=True)
    created = services.invitations_create(
        assessment=assessment,
        rater_kind=payload.rater_kind.value,
        count=payload.count,
        labels=payload.labels,
    )
    return Status(
        201,
        [
            {
                "label": i.label,
                "rater_kind": i.rater_kind,
                "url": request.build_absolute_uri(reverse("respond", args=[i.token])),
            }
            for i in created
        ],
    )


@api.get(
    "/assessments/{assessment_id}/results",
    response={200: ResultsOut, 404: Error},
    tags=["results"],
)
def read_results(request: HttpRequest, assessment_id: int) -> dict[str, Any]:
    """Results as on the assessment page: published figures only, never live ones."""
    assessment = assessment_for(request.user, assessment_id)
    results = group_report(assessment)
    audit_assessment(
        user=request.user,
        action=AuditEvent.Action.VIEWED,
        assessment=assessment,
        what="results",
        via="api",
    )
    body: dict[str, Any] = {
        "assessment_id": assessment.pk,
        "cycle_id": assessment.cycle_id,
        "state": results.state,
        "disclosed": results.disclosed,
        "publication": results.publication_number,
        "threshold": results.threshold,
        "unverified": results.unverified,
        "responses_so_far": results.progress.n if assessment.status.value == "open" else None,
        "n_responses": results.n_responses if results.disclosed else None,
        "response_rate": results.response_rate if results.disclosed else None,
        "conditions": [],
        "items": [],
        "focus": results.focus.condition if results.focus else None,
    }
    for row in results.conditions:
        if not row.shown:
            continue
        body["conditions"].append(
            {
                "key": row.key,
                "name": row.name,
                "role": row.role or "",
                "n": row.n,
                "mean": _number(row.mean),
                "sd": _number(row.sd),
                "ci_low": _number(row.ci_low),
                "ci_high": _number(row.ci_high),
                "rwg_j": _number(row.rwg_j),
                "agreement": row.band,
            }
        )
    for item in results.items:
        if not item.shown:
            continue
        body["items"].append(
            {
                "key": item.key,
                "condition": item.condition,
                "text": item.text,
                "n": item.answered,
                "dont_know": item.dont_know,
                "counts": list(item.counts),
                "mean": _number(item.mean),
            }
        )
    return body


@api.get("/cycles", response=list[CycleOut], tags=["results"])
def list_cycles(request: HttpRequest) -> list[dict[str, Any]]:
    """Reporting cycles of the systems the user belongs to."""
    from django.db.models import Count

    from tracelead.publishing.models import Cycle

    rows = (Cycle.objects.filter(system__in=access.systems_for(request.user))
            .annotate(n_publications=Count("publications")).order_by("system_id", "-created_at"))
    return [{"id": c.pk, "system_id": c.system_id, "name": c.name, "threshold": c.threshold,
             "comment_threshold": c.comment_threshold, "publications": c.n_publications}
            for c in rows]


@api.get("/cycles/{cycle_id}/groups", response={200: CycleGroupsOut, 404: Error},
         tags=["results"])
def cycle_groups(request: HttpRequest, cycle_id: int) -> dict[str, Any]:
    """Every group of a cycle as its newest publication shows it (the heatmap), limited
    to the groups (and complete rollups) in the user's scope."""
    from tracelead.core.audit import audit_record

    cycle = access.cycle_for(request.user, cycle_id)
    visible = access.visible_groups(request.user, cycle.system)
    report = many_groups_report(cycle.system, cycle=cycle, visible=visible)
    audit_record(user=request.user, action=AuditEvent.Action.VIEWED,
                 what=f"heatmap of {cycle.system.name}, {cycle.name}",
                 system_id=cycle.system_id, via="api")
    keys = [k for k, _ in report.conditions]
    return {
        "cycle_id": cycle.pk,
        "publication": report.publication.number if report.publication else None,
        "threshold": report.threshold,
        "groups": [
            {"group_id": row.group_id, "name": row.name, "organisation": row.organisation,
             "status": row.status, "n": row.n if row.shown else None,
             "cells": [{"condition": key, "shown": cell.shown,
                        "n": cell.n if cell.shown else None,
                        "mean": _number(cell.mean), "ci_low": _number(cell.ci_low),
                        "ci_high": _number(cell.ci_high), "rwg_j": _number(cell.rwg_j)}
                       for key, cell in zip(keys, row.cells, strict=True)]
             # Only a shown row has cells (pending, hidden and empty rows have none).
             if row.shown else []}
            for row in report.rows
        ],
    }


# --- The academy: members, events and attendance, for the academy's facilitators ------------
# Names and addresses of members are personal data: every endpoint here answers only the
# academy's facilitators (academy.access: 404 outside the user's systems, 403 for those who
# may only read), and a read of the member list is written to the audit log.

# Ids and page numbers are bounded so that a malformed request is a 422, never a database
# overflow.
MAX_ID = 2**53
MAX_PAGE_SIZE = 200


class AcademyOut(Schema):
    id: int
    name: str
    system_id: int
    system: str
    can_facilitate: bool


class MemberFilters(Schema):
    page: int = Field(1, ge=1, le=MAX_ID)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)
    q: str = Field("", max_length=200, description="Part of a name or an email address.")
    organisation_id: int | None = Field(None, ge=1, le=MAX_ID)
    sector: Sector | None = None
    staff_group: StaffGroup | None = None
    place: str = Field("", max_length=200)
    status: Literal["current", "left", "all"] = Field(
        "current", description="Members who have not left (default), who left, or both.")
    exchange_opt_in: bool | None = None


class MemberOut(Schema):
    """A member. Once a member has left, what identified them is erased: ``name`` is empty
    and ``email`` null; their organisation and sector are kept."""

    id: int
    name: str
    email: str | None
    organisation_id: int | None
    organisation: str
    sector: str
    staff_group: str
    place: str
    level: str
    joined_at: dt.datetime
    left_at: dt.datetime | None
    exchange_opt_in: bool


class MemberPage(Schema):
    count: int
    page: int
    pages: int
    page_size: int
    results: list[MemberOut]


class EventFilters(Schema):
    page: int = Field(1, ge=1, le=MAX_ID)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)
    kind: EventKind | None = None
    programme_id: int | None = Field(None, ge=1, le=MAX_ID)
    starts_from: dt.date | None = Field(None, description="Events starting on or after.")
    starts_to: dt.date | None = Field(None, description="Events starting on or before.")


class EventOut(Schema):
    id: int
    title: str
    kind: str
    programme_id: int | None
    programme: str | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    venue: str
    capacity: int | None
    cancelled: bool
    counts_for_reach: bool
    confirmed: int
    waiting: int
    checked_in: int


class EventPage(Schema):
    count: int
    page: int
    pages: int
    page_size: int
    results: list[EventOut]


class CheckInOut(Schema):
    member_id: int
    at: dt.datetime
    method: str


class AttendanceOut(Schema):
    event_id: int
    title: str
    starts_at: dt.datetime
    checked_in: int
    check_ins: list[CheckInOut]


def _academy(request: HttpRequest, academy_id: int) -> Academy:
    return academy_access.academy_for(request.user, academy_id, manage=True)


def _page_of(rows: Any, page: int, page_size: int) -> tuple[list[Any], dict[str, int]]:
    count = rows.count()
    pages = max(1, -(-count // page_size))
    start = (page - 1) * page_size
    items = list(rows[start:start + page_size]) if start < count else []
    return items, {"count": count, "page": page, "pages": pages, "page_size": page_size}


def _count_of(model: Any, **filters: Any) -> Coalesce:
    """A per-event count as a subquery (one small query per listed event, not a join
    across registrations and check-ins)."""
    counted = (model.objects.filter(event=OuterRef("pk"), **filters).order_by()
               .values("event").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(counted), Value(0))


@api.get("/academies", response=list[AcademyOut], tags=["academy"])
def list_academies(request: HttpRequest) -> list[dict[str, Any]]:
    """Academies of the user's systems; the other academy endpoints need ``can_facilitate``."""
    return [{"id": a.pk, "name": a.name, "system_id": a.system_id, "system": a.system.name,
             "can_facilitate": academy_access.can_facilitate(request.user, a)}
            for a in academy_access.academies_for(request.user)]


@api.get("/academies/{academy_id}/members",
         response={200: MemberPage, 403: Error, 404: Error}, tags=["academy"])
def list_members(request: HttpRequest, academy_id: int,
                 filters: Query[MemberFilters]) -> dict[str, Any]:
    """Members of the academy, by name, a page at a time, with filters."""
    academy = _academy(request, academy_id)
    rows = Member.objects.filter(academy=academy).select_related("organisation")
    if filters.status == "current":
        rows = rows.filter(left_at__isnull=True)
    elif filters.status == "left":
        rows = rows.filter(left_at__isnull=False)
    if filters.q.strip():
        q = filters.q.strip()
        rows = rows.filter(Q(name__icontains=q) | Q(email__icontains=q.lower()))
    if filters.organisation_id is not None:
        rows = rows.filter(organisation_id=filters.organisation_id)
    if filters.sector is not None:
        rows = rows.filter(sector=filters.sector.value)
    if filters.staff_group is not None:
        rows = rows.filter(staff_group=filters.staff_group.value)
    if filters.place.strip():
        rows = rows.filter(place=filters.place.strip())
    if filters.exchange_opt_in is not None:
        rows = rows.filter(exchange_opt_in=filters.exchange_opt_in)
    items, page = _page_of(rows.order_by("name", "id"), filters.page, filters.page_size)
    audit_record(user=request.user, action=AuditEvent.Action.VIEWED,
                 what=f"members of {academy.name}", system_id=academy.system_id, via="api")
    return {**page, "results": [
        {"id": m.pk, "name": m.name, "email": m.email, "organisation_id": m.organisation_id,
         "organisation": m.organisation_label, "sector": m.sector, "staff_group": m.staff_group,
         "place": m.place, "level": m.level, "joined_at": m.joined_at, "left_at": m.left_at,
         "exchange_opt_in": m.exchange_opt_in}
        for m in items]}


@api.get("/academies/{academy_id}/events",
         response={200: EventPage, 403: Error, 404: Error}, tags=["academy"])
def list_events(request: HttpRequest, academy_id: int,
                filters: Query[EventFilters]) -> dict[str, Any]:
    """Events of the academy, earliest first, with places confirmed, the waiting list and
    check-ins."""
    academy = _academy(request, academy_id)
    rows = Event.objects.filter(academy=academy).select_related("programme")
    if filters.kind is not None:
        rows = rows.filter(kind=filters.kind.value)
    if filters.programme_id is not None:
        rows = rows.filter(programme_id=filters.programme_id)
    if filters.starts_from is not None:
        rows = rows.filter(starts_at__date__gte=filters.starts_from)
    if filters.starts_to is not None:
        rows = rows.filter(starts_at__date__lte=filters.starts_to)
    rows = rows.annotate(
        n_confirmed=_count_of(Registration, status=RegistrationStatus.CONFIRMED),
        n_waiting=_count_of(Registration, status=RegistrationStatus.WAITING),
        n_checked_in=_count_of(CheckIn),
    ).order_by("starts_at", "id")
    items, page = _page_of(rows, filters.page, filters.page_size)
    return {**page, "results": [
        {"id": e.pk, "title": e.title, "kind": e.kind, "programme_id": e.programme_id,
         "programme": e.programme.name if e.programme else None, "starts_at": e.starts_at,
         "ends_at": e.ends_at, "venue": e.venue, "capacity": e.capacity,
         "cancelled": e.cancelled_at is not None, "counts_for_reach": e.counts_for_reach,
         "confirmed": e.n_confirmed, "waiting": e.n_waiting, "checked_in": e.n_checked_in}
        for e in items]}


@api.get("/academies/{academy_id}/events/{event_id}/attendance",
         response={200: AttendanceOut, 403: Error, 404: Error}, tags=["academy"])
def event_attendance(request: HttpRequest, academy_id: int, event_id: int) -> dict[str, Any]:
    """Who checked in at an event (member ids), when, and how."""
    academy = _academy(request, academy_id)
    event = (Event.objects.filter(academy=academy, pk=event_id).first()
             if 0 < event_id <= MAX_ID else None)
    if event is None:
        raise Http404("No such event.")
    check_ins = list(CheckIn.objects.filter(event=event).order_by("at", "id"))
    return {"event_id": event.pk, "title": event.title, "starts_at": event.starts_at,
            "checked_in": len(check_ins),
            "check_ins": [{"member_id": c.member_id, "at": c.at, "method": c.method}
                          for c in check_ins]}


class PollQuestionOut(Schema):
    id: int
    number: int
    kind: str
    prompt: str
    status: str
    answered: int
    results: dict[str, Any]
    by_sector: dict[str, Any] | None


class PollOut(Schema):
    id: int
    title: str
    kind: str
    anonymous: bool
    ask_sector: bool
    joined: int
    ended: bool
    threshold: int
    kept_group_id: int | None
    questions: list[PollQuestionOut]
    pulse: dict[str, Any] | None


@api.get("/academies/{academy_id}/events/{event_id}/polls",
         response={200: list[PollOut], 403: Error, 404: Error}, tags=["academy"])
def event_polls(request: HttpRequest, academy_id: int, event_id: int) -> list[dict[str, Any]]:
    """The event's live polls and their results, as the results page shows them: by
    sector only merged under the disclosure threshold, names only in a named poll."""
    from tracelead.polls.exports import poll_results
    from tracelead.polls.models import Poll

    academy = _academy(request, academy_id)
    event = (Event.objects.filter(academy=academy, pk=event_id).first()
             if 0 < event_id <= MAX_ID else None)
    if event is None:
        raise Http404("No such event.")
    out = []
    for poll in Poll.objects.filter(event=event).order_by("created_at", "id"):
        results = poll_results(poll)
        out.append({
            "id": poll.pk, "title": poll.title, "kind": poll.kind,
            "anonymous": poll.anonymous, "ask_sector": poll.ask_sector,
            "joined": results.joined, "ended": poll.ended_at is not None,
            "threshold": results.threshold, "kept_group_id": poll.kept_group_id,
            "pulse": results.pulse,
            "questions": [{"id": q.question.pk, "number": q.number, "kind": q.question.kind,
                           "prompt": q.question.prompt, "status": q.question.status,
                           "answered": q.results["n"], "results": q.results,
                           "by_sector": q.by_sector} for q in results.questions],
        })
    audit_record(user=request.user, action=AuditEvent.Action.VIEWED,
                 what=f"poll results of {event.title}", system_id=academy.system_id,
                 via="api")
    return out


class FeedbackOut(Schema):
    round_id: int
    leader: str
    position: str | None
    state: str
    report: dict[str, Any] | None


@api.get("/feedback/{round_id}", response={200: FeedbackOut, 404: Error}, tags=["strategy"])
def read_feedback(request: HttpRequest, round_id: int) -> dict[str, Any]:
    """A leader's 360 report, for the leader and the organisation's facilitators: the same
    figures as the page (a confidential kind under three raters is absent), and none until
    the round closes."""
    from tracelead.strategy import feedback

    row, _editor = feedback.round_for_reader(request.user, round_id)
    closed = feedback.is_closed(row)
    if closed:
        from tracelead.core.audit import audit_record

        audit_record(user=request.user, action=AuditEvent.Action.VIEWED,
                     what=f"360 feedback report of {row.leader_name} (api)",
                     system_id=row.strategy.organisation.system_id)
    return {"round_id": row.pk, "leader": row.leader_name,
            "position": row.position.title if row.position else None,
            "state": "closed" if closed else "open",
            "report": feedback.round_report(row).as_json() if closed else None}
