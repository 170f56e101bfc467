"""The JSON API (django-ninja): typed schemas and an OpenAPI description for free.

django-ninja was chosen over Django REST framework because its Pydantic schemas give
request validation, JSON error bodies and the OpenAPI document from the same type hints,
with far less code for an API of this size. The description is served at
/api/v1/openapi.json and browsable at /api/v1/docs.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, NinjaAPI, Schema
from ninja.responses import Status
from ninja.security import HttpBearer, django_auth

from tracelead.core.audit import audit_assessment
from tracelead.core.models import ApiToken, AuditEvent
from tracelead.diagnostics import services
from tracelead.diagnostics.models import RaterKind
from tracelead.diagnostics.selectors import assessment_results
from tracelead.diagnostics.services import MAX_INVITATIONS_PER_REQUEST
from tracelead.diagnostics.views import assessment_for, assessments_for
from tracelead.organisations import access


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        row = (
            ApiToken.objects.select_related("user").filter(token_hash=ApiToken.hash(token)).first()
        )
        if row is None or not row.user.is_active:
            return None
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
    assessment_id: int
    disclosed: bool
    threshold: int
    more_needed: int | None
    n_responses: int | None
    response_rate: float | None
    conditions: list[ConditionOut]
    items: list[ItemOut]
    focus: str | None


def _number(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


@api.get("/assessments", response=list[AssessmentOut], tags=["assessments"])
def list_assessments(request: HttpRequest) -> list[dict[str, Any]]:
    rows = assessments_for(request.user).select_related("group", "group__system")
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
    """Results as on the assessment page: nothing but the shortfall below the threshold."""
    assessment = assessment_for(request.user, assessment_id)
    can_manage = access.can_manage_group(request.user, assessment.group)
    results = assessment_results(assessment, show_progress=can_manage)
    audit_assessment(
        user=request.user,
        action=AuditEvent.Action.VIEWED,
        assessment=assessment,
        what="results",
        via="api",
    )
    body: dict[str, Any] = {
        "assessment_id": assessment.pk,
        "disclosed": results.disclosed,
        # The threshold that applies: the strictest of the system's latest rounds.
        "threshold": results.threshold,
        "more_needed": results.more_needed if results.show_progress else None,
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
