"""Scheduled work: one :func:`tick`, run every minute by ``tracelead scheduler`` (a loop)
or by cron (``* * * * * tracelead scheduler --once``).

Each step is idempotent, so a tick may run late, twice, or from two machines at once
without sending anything twice; a step that fails is logged and the others still run.
A tick with nothing to do costs a few small queries.

1. **Reminders** due today are queued (each person gets each reminder once); so are the
   personal links of programme evaluation forms whose sending day has come, and their
   one reminder. Not before ``outbox.SEND_FROM`` (08:00 local time), as a round's invitations
   wait for 08:00 of its opening day: nobody is emailed at midnight, the day turning.
2. **Clear links** no reminder can need any more are wiped.
3. **Publications** that are due are made: a round "closes on its date" by its cycle
   being published when that date has passed (the gate decides what shows).
4. **Notices** to the facilitators who run a round (a facilitator membership covering it,
   an account with an email address): when the round has closed, and when a publication
   that includes it is ready; each once (:class:`~tracelead.messaging.models.NoticeSent`),
   and only for what happened in the last ``NOTICE_WINDOW_DAYS`` days, so that turning
   the scheduler on for an old database does not send its history.
5. **The outbox**: a worker is asked to send when a message is due (retries included);
   with GOV.UK Notify, delivery statuses are fetched. A job still "running" hours after a
   worker took it lost its worker, and is marked failed; one never started ten minutes
   after it was asked for (or after its last attempt started) lost its task, and is
   queued again (once an attempt).
6. **Once a day**: retention (:func:`tracelead.core.privacy.apply_retention`), and the
   clean-up of ended jobs and their files, old task results and old markers.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from . import outbox, services
from .models import NoticeSent, OutboxMessage

log = logging.getLogger(__name__)
NOTICE_WINDOW_DAYS = 7
# Markers of work done once are forgotten after this many days (longer than the window).
MARKER_KEEP_DAYS = 30


@dataclass
class TickReport:
    """What one tick did (counts), and the steps that failed."""

    reminders: int = 0
    evaluation_sent: int = 0
    evaluation_reminded: int = 0
    links_forgotten: int = 0
    publications: int = 0
    notices: int = 0
    sender_asked: bool = False
    statuses_checked: int = 0
    jobs_stalled: int = 0
    jobs_requeued: int = 0
    tasks_stalled: int = 0
    retention: bool = False
    cleaned: int = 0
    failed: list[str] = field(default_factory=list)

    @property
    def did_something(self) -> bool:
        return any((self.reminders, self.evaluation_sent, self.evaluation_reminded,
                    self.links_forgotten, self.publications, self.notices,
                    self.sender_asked, self.statuses_checked, self.jobs_stalled,
                    self.jobs_requeued, self.tasks_stalled,
                    self.retention, self.cleaned,
                    self.failed))

    def describe(self) -> str:
        parts = [f"{value} {name}" for name, value in (
            ("reminders queued", self.reminders),
            ("evaluation links queued", self.evaluation_sent),
            ("evaluation reminders queued", self.evaluation_reminded),
            ("links forgotten", self.links_forgotten),
            ("publications made", self.publications), ("notices queued", self.notices),
            ("delivery statuses checked", self.statuses_checked),
            ("stalled jobs marked failed", self.jobs_stalled),
            ("lost jobs queued again", self.jobs_requeued),
            ("tasks of stopped workers closed", self.tasks_stalled),
            ("old jobs and records cleaned", self.cleaned)) if value]
        if self.sender_asked:
            parts.append("a worker asked to send email")
        if self.retention:
            parts.append("retention applied")
        if self.failed:
            parts.append("FAILED: " + ", ".join(self.failed) + " (see the log)")
        return "; ".join(parts) if parts else "nothing to do"


def tick(*, now: dt.datetime | None = None) -> TickReport:
    """Do whatever scheduled work is due; see the module's description."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    report = TickReport()
    steps: list[tuple[str, Callable[[TickReport, dt.datetime, dt.date], None]]] = [
        ("reminders", _reminders),
        ("evaluation forms", _evaluation_forms),
        ("links", _forget_links),
        ("publications", _publications),
        ("round notices", _round_notices),
        ("publication notices", _publication_notices),
        ("outbox", _wake_sender),
        ("delivery statuses", _delivery_statuses),
        ("stalled jobs", _stalled_jobs),
        ("retention", _retention),
        ("clean-up", _clean_up),
    ]
    for name, step in steps:
        try:
            step(report, now, today)
        except Exception:
            log.exception("Scheduled step %r failed; the others went on", name)
            report.failed.append(name)
    return report


# --- The steps ----------------------------------------------------------------------


def _morning_yet(now: dt.datetime) -> bool:
    return timezone.localtime(now).time() >= outbox.SEND_FROM


def _reminders(report: TickReport, now: dt.datetime, today: dt.date) -> None:
    if _morning_yet(now):
        report.reminders = services.reminders_due(today=today)


def _evaluation_forms(report: TickReport, now: dt.datetime, today: dt.date) -> None:
    """Programme evaluation forms whose sending day has come: each member's own link, and
    one reminder to those who have not answered
    (:func:`tracelead.evaluation.services.sends_due`)."""
    from tracelead.evaluation.services import sends_due

    if not _morning_yet(now):
        return
    sent, reminded = sends_due(now=now, base_url=settings.TRACELEAD_SITE_URL.rstrip("/"))
    report.evaluation_sent += sent
    report.evaluation_reminded += reminded


def _forget_links(report: TickReport, now: dt.datetime, today: dt.date) -> None:
    report.links_forgotten = services.tokens_forget()


def _publications(report: TickReport, now: dt.datetime, today: dt.date) -> None:
    from tracelead.publishing.gate import PublishRefused, publish_due
    from tracelead.publishing.models import Cycle

    failed = []
    # Oldest first: a publication freezes the change since the earlier cycle's.
    for cycle in Cycle.objects.order_by("created_at", "pk"):
        try:
            if publish_due(cycle, day=today) is not None:
                report.publications += 1
        except (PublishRefused, IntegrityError) as problem:  # another process published it
            log.warning("Cycle %s not published by the scheduler: %s", cycle.pk, problem)
        except Exception:
            log.exception("Publishing cycle %s failed", cycle.pk)
            failed.append(cycle.pk)
    if failed:
        raise RuntimeError(f"cycles not published: {failed}")


Notice = tuple[list[str], str, str]  # addresses, subject, body


def _once(key: str, notices: list[Notice]) -> int:
    """Queue ``notices`` and record ``key`` in one transaction: both or neither, and never
    twice for one key, even from two schedulers at once. Returns the messages queued."""
    try:
        with transaction.atomic():
            NoticeSent.objects.create(key=key)
            return sum(services.notice_queue(to=to, subject=subject, body=body)
                       for to, subject, body in notices)
    except IntegrityError:
        return 0


def _round_notices(report: TickReport, now: dt.datetime, today: dt.date) -> None:
    from tracelead.diagnostics.models import Assessment

    since = today - dt.timedelta(days=NOTICE_WINDOW_DAYS)
    closed = list(Assessment.objects.filter(closes_on__lt=today, closes_on__gte=since)
                  .select_related("group", "group__system", "cycle").order_by("pk"))
    done = _done_keys(f"round-closed:{a.pk}" for a in closed)
    for assessment in closed:
        key = f"round-closed:{assessment.pk}"
        if key in done:
            continue
        to = [user.email for user in facilitators_of(assessment.group)]
        report.notices += _once(key, [(to, f"{assessment.title} has closed",
                                       _round_closed_body(assessment))])


def _publication_notices(report: TickReport, now: dt.datetime, today: dt.date) -> None:
    from tracelead.publishing.models import Publication

    recent = list(Publication.objects.filter(
        created_at__gte=now - dt.timedelta(days=NOTICE_WINDOW_DAYS))
        .select_related("cycle", "cycle__system").order_by("pk"))
    done = _done_keys(f"publication-ready:{p.pk}" for p in recent)
    for publication in recent:
        key = f"publication-ready:{publication.pk}"
        if key in done:
            continue
        report.notices += _once(key, _publication_messages(publication))


def _wake_sender(report: TickReport, now: dt.datetime, today: dt.date) -> None:
    """Ask a worker to send when a message is due and no request to send is waiting (a
    message queued while no worker ran, or one whose retry time has come)."""
    from .tasks import send_outbox

    due = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING,
                                       send_after__lte=now).exists()
    if due and not _task_waiting(send_outbox):
        send_outbox.enqueue()
        report.sender_asked = True


def _delivery_statuses(report: TickReport, now: dt.datetime, today: dt.date) -> None:
    update = getattr(outbox, "delivery_statuses_update", None)
    if settings.TRACELEAD_EMAIL == "notify" and update is not None:
        report.statuses_checked = int(update() or 0)


def _stalled_jobs(report: TickReport, now: dt.datetime, today: dt.date) -> None:
    from .jobs import jobs_requeue_lost, jobs_stalled_fail, tasks_stalled_fail

    report.jobs_stalled = jobs_stalled_fail()
    report.jobs_requeued = jobs_requeue_lost()
    if _database_tasks():
        report.tasks_stalled = tasks_stalled_fail()


def _retention(report: TickReport, now: dt.datetime, today: dt.date) -> None:
    from tracelead.core.privacy import apply_retention

    key = f"retention:{today.isoformat()}"
    if NoticeSent.objects.filter(key=key).exists():
        return
    apply_retention(today=today)
    NoticeSent.objects.get_or_create(key=key)
    report.retention = True


def _clean_up(report: TickReport, now: dt.datetime, today: dt.date) -> None:
    from .jobs import jobs_clean

    key = f"clean-up:{today.isoformat()}"
    if NoticeSent.objects.filter(key=key).exists():
        return
    report.cleaned += jobs_clean()
    report.cleaned += NoticeSent.objects.filter(
        at__lt=now - dt.timedelta(days=MARKER_KEEP_DAYS)).delete()[0]
    if _database_tasks():
        from django.core.management import call_command

        call_command("prune_db_task_results", verbosity=0)  # finished results, 14 days on
    NoticeSent.objects.get_or_create(key=key)


# --- Helpers ------------------------------------------------------------------------


def _done_keys(keys: Any) -> set[str]:
    wanted = list(keys)
    if not wanted:
        return set()
    return set(NoticeSent.objects.filter(key__in=wanted).values_list("key", flat=True))


def _database_tasks() -> bool:
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks_db import DatabaseBackend

    return isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend)


def _task_waiting(task: Any) -> bool:
    """Is a run of ``task`` already queued and ready (database backend only; with other
    backends a second request to send is harmless: the outbox sends each message once)?"""
    if not _database_tasks():
        return False
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.ready().filter(task_path=task.module_path).exists()


def facilitators_of(group: Any) -> list[Any]:
    """Active accounts with an email address whose facilitator membership covers the
    group (the whole system, the group's organisation, or a group it sits in)."""
    from tracelead.organisations import access
    from tracelead.organisations.models import SystemRole

    candidates = (get_user_model().objects.filter(
        is_active=True, system_memberships__system_id=group.system_id,
        system_memberships__role=SystemRole.FACILITATOR).exclude(email="")
        .distinct().order_by("pk"))
    return [user for user in candidates if access.can_manage_group(user, group)]


def _site(path: str) -> str:
    return settings.TRACELEAD_SITE_URL.rstrip("/") + path


def _round_closed_body(assessment: Any) -> str:
    return (
        f"The questionnaire \"{assessment.title}\" for {assessment.group.name} "
        f"({assessment.group.system.name}) closed at the end of "
        f"{assessment.closes_on:%-d %B %Y}.\n\n"
        "Its results are published with the next publication of its reporting cycle "
        f"({assessment.cycle.name}), shown only if enough people answered. You will get "
        "another message when they are ready.\n\n"
        f"The round: {_site(reverse('assessment', args=[assessment.pk]))}\n"
    )


def _new_in(publication: Any) -> set[int]:
    """The rounds a publication brings final results for: those that closed since the
    cycle's previous publication. Not rounds that merely gained responses: naming a round
    still open (or hidden) because answers arrived would tell its facilitator that someone
    answered, a fact the gate shows only at or over the threshold."""
    from tracelead.publishing.selectors import table_of

    previous = publication.cycle.publications.filter(number__lt=publication.number).order_by(
        "-number").first()
    final_before = set(table_of(previous).get("final", [])) if previous else set()
    return set(table_of(publication).get("final", [])) - final_before


def _publication_messages(publication: Any) -> list[Notice]:
    """([address], subject, body) for each facilitator who runs a round the publication
    brings something new for, naming only their own rounds."""
    from tracelead.diagnostics.models import Assessment

    rounds = list(Assessment.objects.filter(pk__in=_new_in(publication))
                  .select_related("group").order_by("group__name", "pk"))
    by_user: dict[int, tuple[Any, list[Any]]] = {}
    for assessment in rounds:
        for user in facilitators_of(assessment.group):
            by_user.setdefault(user.pk, (user, []))[1].append(assessment)
    cycle = publication.cycle
    system = cycle.system
    subject = f"Results of {cycle.name} ({system.name}) are ready"
    messages = []
    for user, mine in by_user.values():
        lines = "\n".join(f"- {a.group.name}, \"{a.title}\": "
                          f"{_site(reverse('report_group', args=[a.pk]))}" for a in mine)
        body = (
            f"Publication {publication.number} of {cycle.name} ({system.name}) has been "
            "made. Results are shown only for groups where enough people answered.\n\n"
            f"The rounds you run in it:\n{lines}\n\n"
            f"All groups: {_site(reverse('report_system', args=[system.pk]))}"
            f"?cycle={cycle.pk}\n"
        )
        messages.append(([user.email], subject, body))
    return messages
