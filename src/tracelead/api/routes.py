"""The JSON API (django-ninja): typed schemas and an OpenAPI description for free.

django-ninja was chosen over Django REST framework because its Pydantic schemas give
request validation, JSON error bodies and the OpenAPI document from the same type hints,
with far less code for an API of this size. The description is served at
/api/v1/openapi.json and browsable at /api/v1/docs.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Field, NinjaAPI, Schema
from ninja.responses import Status
from ninja.security import HttpBearer, django_auth

from tracelead.core.audit import audit_assessment
from tracelead.core.figures import finite
from tracelead.core.models import ApiToken, AuditEvent
from tracelead.diagnostics import services
from tracelead.diagnostics.models import RaterKind
from tracelead.diagnostics.services import MAX_INVITATIONS_PER_REQUEST
from tracelead.organisations import access
from tracelead.organisations.access import assessment_for, assessments_for
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
    description="Assessments, invitations and disclosure-controlled results.",
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
