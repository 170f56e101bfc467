"""Schemathesis against the API's own OpenAPI description: no server errors, no schema
violations, for generated (including malformed) requests, with a real signed-in user."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import ignored_auth

from tracelead.core.models import ApiToken
from tracelead.diagnostics.services import invitations_create
from tracelead.organisations.models import Space, SystemMembership, SystemRole
from tracelead.organisations.services import group_create, system_create


@pytest.fixture
def api_token(db: Any, django_user_model: Any, make_assessment: Any) -> str:
    user = django_user_model.objects.create_user("fuzzer", password="not-used-here-1")
    system = system_create(name="Fuzz ICS")
    SystemMembership.objects.create(user=user, system=system, role=SystemRole.FACILITATOR)
    group = group_create(system=system, name="Fuzz team", space=Space.TEAM)
    assessment = make_assessment(group, title="Fuzz round")
    invitations_create(assessment=assessment, rater_kind="member", count=2)
    _, token = ApiToken.issue(user=user, name="fuzz")
    return token


@pytest.fixture
def connections_kept_open() -> Any:
    """Calling the WSGI application directly fires request_finished, whose handler closes
    the database connection, and with it the in-memory test database; Django's own test
    client disconnects that handler in the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_api_never_fails_or_breaks_its_own_schema(
    api_token: str, connections_kept_open: Any
) -> None:
    from tracelead.wsgi import application

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {
        "/api/v1/assessments",
        "/api/v1/assessments/{assessment_id}/invitations",
        "/api/v1/assessments/{assessment_id}/results",
    }
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            response = case.call(headers={"Authorization": f"Bearer {api_token}"})
            assert response.status_code < 500, (case.operation.label, response.text)
            # ignored_auth would flag our own valid token as "invalid auth accepted".
            case.validate_response(response, excluded_checks=[ignored_auth])

        check()
