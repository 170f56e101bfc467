"""What a load balancer and an operator ask of a server: /healthz and /readyz answered
before host checks, a request id in the response and in every log line, JSON logs, and
Prometheus metrics that name routes (never addresses) and read shared figures from the
database."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from tracelead.core import operations

pytestmark = pytest.mark.django_db


def test_healthz_answers_by_address_without_the_database(django_assert_num_queries: Any
                                                         ) -> None:
    client = Client(HTTP_HOST="10.0.0.7")  # a load balancer asks by address
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_readyz_says_what_is_not_ready(monkeypatch: Any) -> None:
    client = Client(HTTP_HOST="10.0.0.7")
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "ok", "queue": "ok"}

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("refused")

    monkeypatch.setattr(connection, "cursor", broken)
    down = client.get("/readyz")
    assert down.status_code == 503
    assert down.json()["status"] == "unavailable"
    assert down.json()["database"] == "failed: ConnectionError"


def test_every_response_has_a_request_id_and_a_proxys_is_kept(client: Client) -> None:
    first, second = client.get("/accounts/login/"), client.get("/accounts/login/")
    assert len(first["X-Request-ID"]) == 32 and first["X-Request-ID"] != second["X-Request-ID"]
    given = client.get("/accounts/login/", HTTP_X_REQUEST_ID="haproxy-1234abcd")
    assert given["X-Request-ID"] == "haproxy-1234abcd"
    # Not well formed (a header injection, or too long): replaced, not echoed.
    odd = client.get("/accounts/login/", HTTP_X_REQUEST_ID="x\r\nSet-Cookie: a=b")
    assert odd["X-Request-ID"] != "x\r\nSet-Cookie: a=b" and len(odd["X-Request-ID"]) == 32


def test_log_lines_are_json_with_the_request_id_and_the_route_not_the_address(
        client: Client, caplog: Any) -> None:
    from django.conf import settings
    from pythonjsonlogger.json import JsonFormatter

    assert settings.LOG_FORMAT == "json"
    # The filter the console handler has, on the capturing handler: it runs as the record
    # is written, while the request is being served.
    caplog.handler.addFilter(operations.RequestIdFilter())
    with caplog.at_level(logging.INFO, logger="tracelead.requests"):
        response = client.get("/r/a-respondents-secret-token/")
    record = next(r for r in caplog.records if r.name == "tracelead.requests")
    formatter = JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                              rename_fields={"levelname": "level"})
    line = json.loads(formatter.format(record))
    assert line["message"] == "request" and line["level"] == "INFO"
    assert line["route"] == "r/<str:token>/" and line["status"] == response.status_code
    assert "a-respondents-secret-token" not in json.dumps(line)
    # The id in the log line is the one the client was given.
    assert line["request_id"] == response["X-Request-ID"]


def test_metrics_count_requests_by_route_and_read_the_database(client: Client,
                                                                settings: Any) -> None:
    from tracelead.messaging.models import OutboxMessage  # noqa: F401 - the table exists

    client.get("/accounts/login/")
    client.get("/r/some-token/")
    metrics = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert metrics.status_code == 200
    text = metrics.content.decode()
    assert ('tracelead_http_requests_total{method="GET",route="accounts/login/",status="200"}'
            in text)
    assert 'route="r/<str:token>/"' in text and "some-token" not in text
    assert 'tracelead_job_queue_depth{status="ready"} 0.0' in text
    assert "tracelead_publications_total 0.0" in text
    assert 'tracelead_email_messages{status="pending"} 0.0' in text

    # Not from loopback and no token: as if there were no such page.
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 404
    settings.TRACELEAD_METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3",
                      HTTP_AUTHORIZATION="Bearer s3cret-token").status_code == 200


def test_the_queue_depth_follows_the_database_queue(client: Client) -> None:
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.create(status="READY", args_kwargs={"args": [], "kwargs": {}},
                                priority=0, task_path="tracelead.messaging.tasks.run_job",
                                queue_name="default", backend_name="default",
                                enqueued_at=timezone.now())
    text = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert 'tracelead_job_queue_depth{status="ready"} 1.0' in text
