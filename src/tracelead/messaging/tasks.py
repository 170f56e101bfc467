"""Background work, through Django's Tasks API (django-tasks, the backport of Django 6's
``django.tasks``): the database backend by default, so a small deployment needs no new
server; any other backend (RQ, say) is a settings change."""

from __future__ import annotations

from django_tasks import task

from . import outbox


@task()
def send_outbox() -> dict[str, int]:
    """Send every message that is due. Safe to run in several workers at once."""
    report = outbox.deliver_due()
    return {"sent": report.sent, "skipped": report.skipped, "retrying": report.retrying,
            "failed": report.failed}


@task()
def run_job(job_id: int) -> str:
    """Run one job that a person waits for (a report file, an import), with its progress
    on the job's page; a failure queues the next attempt (tracelead.messaging.jobs)."""
    from .jobs import job_run

    return job_run(job_id)
