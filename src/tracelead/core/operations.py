"""What load balancers and operators ask of every application server: health checks, a
request id in every log line, and Prometheus metrics.

* ``/healthz``: the process is up (no database touched), for a liveness probe.
* ``/readyz``: the database answers and the job queue is reachable, for a load balancer
  deciding whether to send traffic; 503 with what failed otherwise.
* Every request gets an id (the proxy's ``X-Request-ID`` when it sends a well-formed one,
  else a new one), returned in the response's ``X-Request-ID`` header and added to every
  log record made while serving it (:class:`RequestIdFilter`), so one request can be
  followed across the proxy, the servers and the logs.
* ``/metrics``: Prometheus's text format through ``prometheus_client`` (the project's own
  maintained client library): requests and their latency by route (the URL pattern, never
  the address, which can hold a respondent's link), and, read from the database at each
  scrape so that every server reports the same: the job queue's depth, publications made,
  and email by status. With several gunicorn workers the request counters are summed
  across processes (``PROMETHEUS_MULTIPROC_DIR``, set by ``tracelead serve``). It answers
  only with the bearer token ``TRACELEAD_METRICS_TOKEN``, or from loopback when none is set.
"""

from __future__ import annotations

import contextvars
import hmac
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

REQUEST_ID_HEADER = "X-Request-ID"
_WELL_FORMED = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
log = logging.getLogger("tracelead.requests")

REQUESTS = Counter("tracelead_http_requests_total", "Requests answered, by route and status.",
                   ["method", "route", "status"])
LATENCY = Histogram("tracelead_http_request_duration_seconds",
                    "Time to answer a request, by route.", ["method", "route"],
                    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
HEALTH_PATHS = {"/healthz", "/readyz"}
METRICS_PATH = "/metrics"


def current_request_id() -> str:
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (empty outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


def _ready() -> tuple[bool, dict[str, str]]:
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:  # any failure means not ready
        checks["database"] = f"failed: {type(error).__name__}"
    checks["queue"] = _queue_check()
    return all(v == "ok" for v in checks.values()), checks


def _queue_check() -> str:
    """The job queue: the database backend's table, or the RQ backend's Redis."""
    backend = settings.TASKS["default"]["BACKEND"]
    try:
        if "django_tasks_rq" in backend:
            from django_rq import get_connection  # type: ignore[import-not-found]

            get_connection("default").ping()
        else:
            from django_tasks_db.models import DBTaskResult

            DBTaskResult.objects.exists()
    except Exception as error:  # any failure means not ready
        return f"failed: {type(error).__name__}"
    return "ok"


class OperationsMiddleware:
    """First in the chain: answers the health checks and the metrics before host checks,
    redirects and sessions (a load balancer or Prometheus asks by address, over plain HTTP
    inside the network), gives every request its id and counts it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = given if _WELL_FORMED.match(given) else uuid.uuid4().hex
        token = _request_id.set(request_id)
        started = time.perf_counter()
        try:
            if request.path in HEALTH_PATHS:
                response = self._health(request)
            elif request.path == METRICS_PATH:
                response = metrics(request)
            else:
                response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            route = _route(request)
            elapsed = time.perf_counter() - started
            REQUESTS.labels(request.method or "", route, str(response.status_code)).inc()
            LATENCY.labels(request.method or "", route).observe(elapsed)
            log.info("request", extra={"method": request.method, "route": route,
                                       "status": response.status_code,
                                       "duration_ms": round(elapsed * 1000, 1)})
            return response
        finally:
            _request_id.reset(token)

    @staticmethod
    def _health(request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz":
            response: HttpResponse = JsonResponse({"status": "ok"})
        else:
            ready, checks = _ready()
            response = JsonResponse({"status": "ok" if ready else "unavailable", **checks},
                                    status=200 if ready else 503)
        response["Cache-Control"] = "no-store"
        return response


def _route(request: HttpRequest) -> str:
    """The URL pattern that answered (``assessments/<int:pk>/``), never the address: an
    address can hold a respondent's or a rater's link."""
    if request.path in HEALTH_PATHS or request.path == METRICS_PATH:
        return request.path.strip("/")
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return str(match.route) or "/"


class DatabaseCollector(Collector):
    """Figures every server reads the same from the database, at each scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django.db.models import Count
        from django_tasks_db.models import DBTaskResult

        from tracelead.messaging.models import OutboxMessage
        from tracelead.publishing.models import Publication

        queue = GaugeMetricFamily("tracelead_job_queue_depth",
                                  "Jobs waiting or running in the database queue.",
                                  labels=["status"])
        for status in ("READY", "RUNNING"):
            queue.add_metric([status.lower()],
                             DBTaskResult.objects.filter(status=status).count())
        yield queue
        yield GaugeMetricFamily("tracelead_publications_total",
                                "Results publications made (rounds and cycles).",
                                value=Publication.objects.count())
        email = GaugeMetricFamily("tracelead_email_messages", "Email messages by status.",
                                  labels=["status"])
        counts = dict(OutboxMessage.objects.values_list("status").annotate(n=Count("id")))
        for status, _label in OutboxMessage.Status.choices:
            email.add_metric([status], counts.get(status, 0))
        yield email


def _registry() -> Any:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = CollectorRegistry()
        registry.register(_ProcessMetrics())
    registry.register(DatabaseCollector())
    return registry


class _ProcessMetrics(Collector):
    """This process's own request metrics (one process: no multiprocess directory)."""

    def collect(self) -> Iterator[Any]:
        for metric in REGISTRY.collect():
            if metric.name.startswith("tracelead_"):
                yield metric


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus's text format, for the bearer of TRACELEAD_METRICS_TOKEN, or for
    loopback when no token is set."""
    token = str(getattr(settings, "TRACELEAD_METRICS_TOKEN", "") or "")
    given = request.META.get("HTTP_AUTHORIZATION", "")
    if token:
        allowed = hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    else:
        allowed = request.META.get("REMOTE_ADDR", "") in {"127.0.0.1", "::1"}
    if not allowed:
        return HttpResponse(json.dumps({"detail": "Not found."}), status=404,
                            content_type="application/json")
    response = HttpResponse(generate_latest(_registry()),
                            content_type="text/plain; version=0.0.4; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response
