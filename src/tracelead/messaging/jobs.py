"""Jobs that a person waits for (a board PDF, a workbook, an import), with their pages.

A view starts a job with one of the ``*_start`` functions and sends the person to the
job's page, which shows its progress and refreshes itself until the job ends; a worker
(``tracelead worker``) runs it through the Tasks API (:func:`tracelead.messaging.tasks.
run_job`). A job runs as the person who asked for it: access and the disclosure gate are
checked again when it runs, through the same functions as the pages, so a job never shows
more than its page would (a report file reads frozen publications only).

A job that raises is tried again, after a pause, up to ``MAX_ATTEMPTS`` times; one
refused for a reason that will not change (:class:`JobRefused`: access lost, a bad
argument) fails at once. What a job makes is written to the private storage
(``TRACELEAD_DATA_DIR/jobs``, readable by the server's user only, or object storage when
several servers share the work: settings.STORAGE), and deleted with the job after
``KEEP_DAYS``.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.db.models import F, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from .models import Job

log = logging.getLogger(__name__)
Status = Job.Status

MAX_ATTEMPTS = 3
# Seconds before the second and the third attempt.
RETRY_DELAYS = (10, 60)
# Progress is written at most this often (seconds), besides each change of stage.
PROGRESS_EVERY = 0.5
# Jobs and their files are deleted this many days after they end (the daily clean-up).
KEEP_DAYS = 7
# A job still running this many hours after a worker took it lost its worker.
STALLED_HOURS = 2
# A job not started this many minutes after it was asked for (or after its last attempt
# started, for a retry) is queued again (once an attempt).
LOST_MINUTES = 10
# How many of an import's problems the job keeps for its page.
PROBLEMS_SHOWN = 100

Progress = Callable[[int, int, str], None]


class JobRefused(Exception):
    """A job that cannot succeed however often it is tried; the message says why."""


@dataclass
class Made:
    """What a job's work function hands back: a sentence, and a file or findings."""

    message: str
    content: bytes | None = None
    filename: str = ""
    content_type: str = ""
    outcome: dict[str, Any] = field(default_factory=dict)


# --- Starting a job -------------------------------------------------------------------


def job_start(*, kind: str, title: str, params: dict[str, Any], user: Any) -> Job:
    """Record a job and queue it once the caller's transaction commits."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(sorted(KINDS))}; got {kind!r}")
    job = Job.objects.create(
        kind=kind, title=title[:200], params=params,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    transaction.on_commit(lambda: _enqueue(job.pk), robust=True)
    return job


def _enqueue(job_id: int, *, delay: float = 0) -> None:
    from .tasks import run_job

    task = run_job
    # A backend that cannot defer (the immediate one) runs the next attempt at once.
    if delay and task.get_backend().supports_defer:
        task = task.using(run_after=timezone.now() + dt.timedelta(seconds=delay))
    task.enqueue(job_id)


def system_report_start(*, user: Any, system_id: int, query: Mapping[str, str], fmt: str,
                        title: str) -> Job:
    """The many-groups report of a system or organisation as a PDF or workbook.

    ``query`` holds the page's filters (cycle, organisation, sector, space, measure); the
    cycle should be fixed by the caller, so that the file shows the cycle the person saw.
    """
    if fmt not in REPORT_FORMATS:
        raise ValueError(f"format must be one of {', '.join(REPORT_FORMATS)}; got {fmt!r}")
    return job_start(kind="system-report", title=title, user=user, params={
        "system": system_id, "format": fmt,
        "query": {key: str(value) for key, value in query.items() if value},
    })


def structure_import_start(*, user: Any, system: Any, data: bytes, filename: str = "") -> Job:
    """Organisations and groups from a CSV file; the file travels in the job (and is
    dropped from it once the job ends)."""
    return job_start(
        kind="structure-import", user=user,
        title=f"Import of organisations and groups into {system.name}",
        params={"system": system.pk, "filename": filename[:100],
                "data": base64.b64encode(data).decode("ascii")},
    )


# --- Running a job --------------------------------------------------------------------


class _Throttled:
    """The progress callback: writes done/total to the job, not more often than
    ``PROGRESS_EVERY`` unless the stage changes or the work is complete."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.written_at = 0.0
        self.said = ""

    def __call__(self, done: int, total: int, message: str = "") -> None:
        now = time.monotonic()
        changed = bool(message) and message != self.said
        if not changed and done < total and now - self.written_at < PROGRESS_EVERY:
            return
        fields: dict[str, Any] = {"done": max(0, min(done, total)), "total": max(0, total)}
        if message:
            fields["message"] = message[:500]
            self.said = message
        Job.objects.filter(pk=self.job_id, status=Status.RUNNING).update(**fields)
        self.written_at = now


def job_run(job_id: int) -> str:
    """Run a queued job once; what became of it ("done", "retrying", "failed", or
    "skipped" when it is not waiting: another worker has it, or it has ended)."""
    claimed = Job.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING, attempts=F("attempts") + 1, done=0, total=0,
        message="Starting", started_at=timezone.now())
    if not claimed:
        return "skipped"
    job = Job.objects.select_related("created_by").get(pk=job_id)
    work = KINDS.get(job.kind)
    try:
        if work is None:
            raise JobRefused(f"this kind of job ({job.kind}) no longer exists")
        made = work(job, _Throttled(job.pk))
        if made.content is not None:
            _write_result(job, made)
    except JobRefused as refused:
        _end(job, status=Status.FAILED, message=f"This could not be done: {refused}.")
        return "failed"
    except Exception as error:
        log.exception("Job %s (%s) failed on attempt %s", job.pk, job.kind, job.attempts)
        return _after_failure(job, error)
    _end(job, status=Status.DONE, message=made.message, outcome=made.outcome,
         result_name=made.filename if made.content is not None else "",
         result_type=made.content_type if made.content is not None else "")
    return "done"


def _reason(error: Exception) -> str:
    text = str(error).strip().rstrip(".")
    return f"{type(error).__name__}: {text}"[:200] if text else type(error).__name__


def _after_failure(job: Job, error: Exception) -> str:
    if job.attempts < MAX_ATTEMPTS:
        delay = RETRY_DELAYS[min(job.attempts, len(RETRY_DELAYS)) - 1]
        again = Job.objects.filter(pk=job.pk, status=Status.RUNNING).update(
            status=Status.QUEUED,
            message=(f"Attempt {job.attempts} of {MAX_ATTEMPTS} failed ({_reason(error)}); "
                     f"it will be tried again in {delay} seconds.")[:500])
        if not again:  # marked failed meanwhile (its worker was taken for stopped)
            return "failed"
        _enqueue(job.pk, delay=delay)
        return "retrying"
    _end(job, status=Status.FAILED, message=(
        f"This failed {MAX_ATTEMPTS} times and has stopped. The last problem was: "
        f"{_reason(error)}. Try again later; if it fails again, tell your administrator."))
    return "failed"


def _end(job: Job, *, status: str, message: str, outcome: dict[str, Any] | None = None,
         result_name: str = "", result_type: str = "") -> None:
    params = {k: v for k, v in job.params.items() if k != "data"}  # the uploaded file
    fields: dict[str, Any] = {
        "status": status, "message": message[:500], "params": params,
        "finished_at": timezone.now(), "result_name": result_name,
        "result_type": result_type, "outcome": outcome or {},
    }
    if status == Status.DONE:  # the bar ends full, however the work counted its steps
        total = Job.objects.values_list("total", flat=True).get(pk=job.pk)
        fields["done"] = fields["total"] = max(total, 1)
    # Only a job still running ends here: one the scheduler has marked failed (its page
    # has said "ask again") stays failed rather than turning to done behind the person.
    Job.objects.filter(pk=job.pk, status=Status.RUNNING).update(**fields)


# --- Files ----------------------------------------------------------------------------


def private_storage() -> Storage:
    """Files the service makes and keeps a while: the data folder, or object storage when
    several servers share them (settings.STORAGE)."""
    return storages["private"]


def result_name(job: Job) -> str:
    name = Path(job.result_name).name  # never a path: made by slugify in the exports
    return f"jobs/{job.pk}-{name}"


def result_path(job: Job) -> Path:
    """Where a job's file is on this machine (file-system storage only)."""
    return Path(private_storage().path(result_name(job)))


def _write_result(job: Job, made: Made) -> None:
    """Write the job's file (readable by the server's user only on a file system). The
    job is marked done only after, so nobody downloads a file being written."""
    job.result_name = made.filename
    storage, name = private_storage(), result_name(job)
    storage.delete(name)  # a retried job writes its file again
    saved = storage.save(name, ContentFile(made.content or b""))
    if saved != name:
        raise RuntimeError(f"the job's file was stored as {saved!r}, not {name!r}")


def jobs_stalled_fail(*, hours: float = STALLED_HOURS) -> int:
    """Mark failed the jobs still "running" long after they started: their worker was
    stopped part-way (a restart, a crash), and their pages would otherwise wait forever.

    Aged from when a worker last took the job, not from when it was asked for: a job that
    waited in the queue (an outage, retries) and has just started is not stalled. A job
    taken before ``started_at`` existed is aged from when it was asked for."""
    cutoff = timezone.now() - dt.timedelta(hours=hours)
    return Job.objects.filter(
        Q(started_at__lt=cutoff) | Q(started_at__isnull=True, created_at__lt=cutoff),
        status=Status.RUNNING,
    ).update(
        status=Status.FAILED, finished_at=timezone.now(),
        message="The worker stopped while doing this, so it did not finish. Ask again.")


def tasks_stalled_fail(*, hours: float = STALLED_HOURS) -> int:
    """Close the database queue's tasks still "running" long after they started: their
    worker was killed (a crash, a SIGKILL), and the row would otherwise stay "running" for
    ever and count in the queue depth (``/metrics``). What the task was doing is not lost:
    a job is marked failed above, and unsent email stays due for the next send task."""
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - dt.timedelta(hours=hours)
    return DBTaskResult.objects.filter(status="RUNNING", started_at__lt=cutoff).update(
        status="FAILED", finished_at=timezone.now(),
        exception_class_path="tracelead.messaging.jobs.WorkerStopped",
        traceback="The worker stopped while running this task (closed by the scheduler).")


def jobs_requeue_lost(*, minutes: float = LOST_MINUTES) -> int:
    """Queue again, once an attempt, each job waiting long after it was asked for (or, for
    a retry, after its last attempt started): its task was lost (the queue could not be
    reached when the request committed, or when the retry was queued). A second task for a
    job that does run meanwhile is harmless: only one claims it (``job_run``). The marker
    and the task are made together: if the queue cannot be reached, neither is, and the
    next tick tries again."""
    from .models import NoticeSent

    cutoff = timezone.now() - dt.timedelta(minutes=minutes)
    again = 0
    waiting = Job.objects.filter(
        Q(attempts=0, created_at__lt=cutoff) | Q(attempts__gt=0, started_at__lt=cutoff),
        status=Status.QUEUED,
    ).values_list("pk", "attempts")
    for pk, attempts in waiting:
        key = f"job-requeued:{pk}" + (f":{attempts}" if attempts else "")
        with transaction.atomic():
            _, first = NoticeSent.objects.get_or_create(key=key)
            if first:
                _enqueue(pk)
        again += first
    return again


def jobs_clean(*, days: int = KEEP_DAYS) -> int:
    """Delete jobs that ended more than ``days`` ago, and their files."""
    cutoff = timezone.now() - dt.timedelta(days=days)
    old = list(Job.objects.filter(finished_at__lt=cutoff))
    storage = private_storage()
    for job in old:
        if job.result_name:
            storage.delete(result_name(job))
    Job.objects.filter(pk__in=[job.pk for job in old]).delete()
    return len(old)


# --- The kinds of job -------------------------------------------------------------------

REPORT_FORMATS = {"pdf": "PDF", "xlsx": "Excel workbook"}


def _owner(job: Job) -> Any:
    if job.created_by is None or not job.created_by.is_active:
        raise JobRefused("the account that asked for it no longer exists")
    return job.created_by


def _system_report(job: Job, progress: Progress) -> Made:
    """The heatmap of many groups, from the page's own report function (so the same
    access rules and the same frozen publication), laid out by the same export code as
    the command line's ``tracelead report system``."""
    fmt = job.params.get("format")
    if fmt not in REPORT_FORMATS:
        raise JobRefused(f"the format {fmt!r} is not one of {', '.join(REPORT_FORMATS)}")
    user = _owner(job)
    # Reading, building, and for a PDF drawing the charts and laying out the pages.
    total = 4 if fmt == "pdf" else 2
    progress(0, total, "Reading the published results")
    from tracelead.reports import exports  # the PDF engine takes a moment to load
    from tracelead.reports.views import many_report_for

    try:
        report = many_report_for(user, int(job.params["system"]), job.params.get("query", {}))
    except (Http404, PermissionDenied) as error:
        raise JobRefused("you can no longer see this system's results") from error
    step = 0

    def stage(text: str) -> None:
        nonlocal step
        step += 1
        progress(step, total, text)

    export = exports.export_many(report, fmt, progress=stage)
    return Made(message=f"Your {REPORT_FORMATS[fmt]} is ready.", content=export.content,
                filename=export.filename, content_type=export.content_type)


def _structure_import(job: Job, progress: Progress) -> Made:
    from tracelead.organisations import access
    from tracelead.organisations.importing import structure_import

    user = _owner(job)
    try:
        system = access.system_for(user, int(job.params["system"]), manage=True)
    except (Http404, PermissionDenied) as error:
        raise JobRefused("you can no longer change this system") from error
    try:
        data = base64.b64decode(job.params["data"], validate=True)
    except (KeyError, ValueError) as error:
        raise JobRefused("the uploaded file is missing") from error
    progress(0, 1, "Checking every row, then importing")
    result = structure_import(system=system, data=data)
    if result.problems:
        count = len(result.problems)
        return Made(
            message=(f"Nothing was imported: the file has {count} "
                     f"{'problem' if count == 1 else 'problems'}."),
            outcome={"system": system.pk, "imported": False,
                     "problems": [{"line": p.line, "column": p.column, "message": p.message,
                                   "text": str(p)}
                                  for p in result.problems[:PROBLEMS_SHOWN]],
                     "more_problems": max(0, count - PROBLEMS_SHOWN)})
    return Made(
        message=f"Imported {result.organisations} organisations and {result.groups} groups.",
        outcome={"system": system.pk, "imported": True,
                 "organisations": result.organisations, "groups": result.groups})


KINDS: dict[str, Callable[[Job, Progress], Made]] = {
    "system-report": _system_report,
    "structure-import": _structure_import,
}


# --- Pages ----------------------------------------------------------------------------


def job_for(user: Any, pk: int) -> Job:
    """A job its creator (or an administrator) may see; the same 404 for anyone else as
    for a job that does not exist."""
    job = Job.objects.filter(pk=pk).first()
    if job is None or not (user.is_superuser or job.created_by_id == user.pk):
        raise Http404("No such job.")
    return job


@login_required
def job_page(request: HttpRequest, pk: int) -> HttpResponse:
    job = job_for(request.user, pk)
    waiting = job.status in (Status.QUEUED, Status.RUNNING)
    outcome = job.outcome or {}
    back_href, back_text = reverse("home"), "Home"
    system_id = job.params.get("system")
    if job.kind == "system-report" and system_id:
        back_href, back_text = reverse("report_system", args=[system_id]), "Back to the report"
    elif job.kind == "structure-import" and system_id:
        back_href, back_text = reverse("system", args=[system_id]), "Back to the system"
    problems = outcome.get("problems") or []
    return render(request, "messaging/job.jinja", {
        "job": job,
        # A person who finds the refreshing hard to use can stop it (WCAG 2.2.1).
        "refresh": waiting and request.GET.get("refresh") != "off",
        "waiting": waiting,
        "outcome": outcome,
        "problems": problems,
        "form_errors": [{"text": p["text"], "href": "#problems"} for p in problems],
        "download_href": reverse("job_download", args=[job.pk])
        if job.status == Status.DONE and job.result_name else "",
        "import_href": reverse("structure_import", args=[system_id])
        if job.kind == "structure-import" and system_id else "",
        "back_href": back_href,
        "back_text": back_text,
    })


@login_required
def job_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    job = job_for(request.user, pk)
    if job.status != Status.DONE or not job.result_name:
        raise Http404("This job has no file.")
    storage, name = private_storage(), result_name(job)
    if not storage.exists(name):
        raise Http404("The file has been deleted.")
    response = FileResponse(storage.open(name, "rb"), as_attachment=True,
                            filename=job.result_name,
                            content_type=job.result_type or "application/octet-stream")
    response["Cache-Control"] = "private, no-store"
    return response
