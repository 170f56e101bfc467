"""The scheduler's tick: reminders on their day, publications when rounds close with a
notice to the facilitators who run them, retention once a day, each at most once.

Northbrook has Ward 7 (in Northbrook Hospitals). Sue facilitates the whole system and
Hal the hospitals; Cat facilitates the council, Vic only views, and Nell facilitates the
whole system but has no email address. Only Sue and Hal are told about Ward 7.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from typer.testing import CliRunner

from tracelead.cli import app
from tracelead.diagnostics.models import Assessment
from tracelead.messaging import outbox, scheduler, services
from tracelead.messaging.models import NoticeSent, OutboxMessage
from tracelead.messaging.scheduler import tick
from tracelead.organisations.models import Sector, SystemMembership, SystemRole
from tracelead.organisations.services import organisation_create
from tracelead.publishing.models import Publication

pytestmark = pytest.mark.django_db
NOTICE = OutboxMessage.Kind.NOTICE
SUE, HAL = "sue@northbrook.example.nhs.uk", "hal@hospitals.example.nhs.uk"


@pytest.fixture
def people(make_user: Any, system: Any, organisation: Any) -> dict[str, Any]:
    council = organisation_create(system=system, name="Vale Council",
                                  sector=Sector.LOCAL_AUTHORITY)

    def member(name: str, email: str, role: str, **scope: Any) -> Any:
        user = make_user(name, email=email)
        SystemMembership.objects.create(user=user, system=system, role=role, **scope)
        return user

    return {
        "sue": member("sue", SUE, SystemRole.FACILITATOR),
        "hal": member("hal", HAL, SystemRole.FACILITATOR, organisation=organisation),
        "cat": member("cat", "cat@council.example.gov.uk", SystemRole.FACILITATOR,
                      organisation=council),
        "vic": member("vic", "vic@northbrook.example.nhs.uk", SystemRole.VIEWER),
        "nell": member("nell", "", SystemRole.FACILITATOR),
    }


def _days(n: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=n)


def _notices() -> list[tuple[str, str]]:
    return sorted(OutboxMessage.objects.filter(kind=NOTICE).values_list("to", "subject"))


def _midday(n: int) -> dt.datetime:
    """Noon, local time, n days from today (reminders are queued from 08:00)."""
    return timezone.make_aware(dt.datetime.combine(timezone.localdate() + dt.timedelta(days=n),
                                                   dt.time(12, 0)))


def _closed_yesterday(assessment: Any) -> None:
    """Set-up, as if time passed: the round closed yesterday (nothing published yet)."""
    today = timezone.localdate()
    Assessment.objects.filter(pk=assessment.pk).update(
        opens_on=today - dt.timedelta(days=10), closes_on=today - dt.timedelta(days=1))


def test_reminders_are_queued_on_their_day_and_only_once(assessment: Any) -> None:
    services.invitees_invite(assessment=assessment, rater_kind="member",
                             emails=["ann@example.nhs.uk", "bob@example.nhs.uk"])
    outbox.deliver_due()  # the invitations go out
    first_reminder = (assessment.closes_on - dt.timedelta(days=7)) - timezone.localdate()

    assert tick(now=_midday(first_reminder.days - 1)).reminders == 0
    # The day has come, but not the morning: nobody is emailed in the night.
    day = _midday(first_reminder.days)
    assert tick(now=day.replace(hour=7, minute=59)).reminders == 0
    assert tick(now=day.replace(hour=8, minute=0)).reminders == 2
    assert tick(now=day).reminders == 0
    assert OutboxMessage.objects.filter(kind=OutboxMessage.Kind.REMINDER).count() == 2

    reminders = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.REMINDER)
    assert sorted(reminders.values_list("to", "reminder_day")) == [
        ("ann@example.nhs.uk", 7), ("bob@example.nhs.uk", 7)]


def test_a_closed_round_is_published_and_its_facilitators_are_told_once(
    people: Any, team: Any, make_assessment: Any, add_responses: Any
) -> None:
    ward = make_assessment(team, title="Ward 7 – spring")
    add_responses(ward, [1, 2, 3, 4, 5, 3])
    assert tick().publications == 0  # open: nothing to publish, nobody to tell
    assert _notices() == []
    _closed_yesterday(ward)

    report = tick()

    assert report.publications == 1 and report.failed == []
    assert Publication.objects.filter(cycle=ward.cycle).count() == 1
    ready = f"Results of {ward.cycle.name} (Northbrook ICS) are ready"
    assert _notices() == [(HAL, ready), (HAL, "Ward 7 – spring has closed"),
                          (SUE, ready), (SUE, "Ward 7 – spring has closed")]
    body = OutboxMessage.objects.get(to=HAL, subject=ready).body
    assert f"/reports/assessments/{ward.pk}/" in body and "Ward 7 team" in body
    assert report.notices == 4

    again = tick()
    assert (again.publications, again.notices) == (0, 0)
    assert len(_notices()) == 4


def test_a_later_publication_names_only_the_rounds_it_brings(
    people: Any, system: Any, team: Any, make_assessment: Any, add_responses: Any
) -> None:
    from tracelead.organisations.models import Space
    from tracelead.organisations.services import group_create

    council_team = group_create(system=system, organisation=people["cat"].system_memberships
                                .get().organisation, name="Adult care team", space=Space.TEAM)
    ward = make_assessment(team)
    add_responses(ward, [1, 2, 3, 4, 5])
    care = make_assessment(council_team, cycle=ward.cycle)
    add_responses(care, [2, 3, 4, 5, 1])
    _closed_yesterday(ward)
    tick()
    OutboxMessage.objects.all().delete()
    _closed_yesterday(care)

    assert tick().publications == 1
    # Cat runs the council's round; Sue runs both, but only the council's is new; Hal's
    # round brings nothing new, so Hal is not told again.
    assert sorted(to for to, _ in _notices()) == [
        "cat@council.example.gov.uk", "cat@council.example.gov.uk", SUE, SUE]
    ready = OutboxMessage.objects.get(to=SUE, subject__startswith="Results of").body
    assert "Adult care team" in ready and "Ward 7 team" not in ready


def test_an_old_database_does_not_send_its_history(
    people: Any, team: Any, make_assessment: Any, add_responses: Any, close_and_publish: Any
) -> None:
    ward = make_assessment(team)
    add_responses(ward, [1, 2, 3, 4, 5])
    close_and_publish(ward)  # published before the scheduler ever ran...
    today = timezone.localdate()
    Assessment.objects.filter(pk=ward.pk).update(
        opens_on=today - dt.timedelta(days=60), closes_on=today - dt.timedelta(days=30))
    Publication.objects.update(created_at=timezone.now() - dt.timedelta(days=30))

    report = tick()  # ...a month ago

    assert report.notices == 0 and _notices() == []


def test_retention_runs_once_a_day(monkeypatch: Any, system: Any) -> None:
    from tracelead.core import privacy

    days: list[dt.date] = []
    monkeypatch.setattr(privacy, "apply_retention",
                        lambda *, today: days.append(today))

    assert tick().retention is True
    assert tick().retention is False
    assert tick(now=_days(1)).retention is True
    assert days == [timezone.localdate(), timezone.localdate() + dt.timedelta(days=1)]


def test_a_tick_with_nothing_to_do_makes_no_messages_and_few_queries(
    system: Any, assessment: Any, django_assert_max_num_queries: Any
) -> None:
    tick()  # the first of the day also runs retention and the clean-up
    with django_assert_max_num_queries(15):
        report = tick()
    assert report.describe() == "nothing to do" and not report.did_something
    assert not OutboxMessage.objects.exists()
    assert not DBTaskResult.objects.exists()
    assert len(mail.outbox) == 0


def test_a_due_message_wakes_a_worker_once(system: Any) -> None:
    outbox.queue(kind=NOTICE, to="someone@example.nhs.uk", subject="Hello", body="Hi")
    assert tick().sender_asked is True
    assert tick().sender_asked is False  # one request to send is already waiting
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    later = outbox.queue(kind=NOTICE, to="later@example.nhs.uk", subject="Later", body="Hi",
                         send_after=_days(1))
    DBTaskResult.objects.all().delete()
    OutboxMessage.objects.exclude(pk=later.pk).delete()
    assert tick().sender_asked is False  # nothing due until tomorrow


def test_a_failing_step_is_logged_and_the_others_still_run(
    monkeypatch: Any, people: Any, team: Any, make_assessment: Any, add_responses: Any,
    caplog: Any
) -> None:
    ward = make_assessment(team)
    add_responses(ward, [1, 2, 3, 4, 5])
    _closed_yesterday(ward)

    def broken(**kwargs: Any) -> int:
        raise RuntimeError("reminders are broken")

    monkeypatch.setattr(services, "reminders_due", broken)
    report = tick()

    assert report.failed == ["reminders"]
    assert report.publications == 1 and report.notices == 4
    assert "reminders are broken" in caplog.text
    assert "FAILED: reminders" in report.describe()


def test_with_notify_the_delivery_statuses_are_fetched(monkeypatch: Any, settings: Any,
                                                        system: Any) -> None:
    monkeypatch.setattr(outbox, "delivery_statuses_update", lambda: 3, raising=False)
    assert tick().statuses_checked == 0  # email by file: no statuses to fetch
    settings.TRACELEAD_EMAIL = "notify"
    assert tick().statuses_checked == 3


def test_a_notice_key_is_never_used_twice(system: Any) -> None:
    notice = (["someone@example.nhs.uk"], "A round has closed", "It has.")
    assert scheduler._once("round-closed:1", [notice]) == 1
    assert scheduler._once("round-closed:1", [notice]) == 0
    assert len(_notices()) == 1
    assert NoticeSent.objects.filter(key="round-closed:1").count() == 1


def test_tracelead_scheduler_once_runs_one_tick(
    monkeypatch: Any, people: Any, team: Any, make_assessment: Any, add_responses: Any
) -> None:
    import django.db

    monkeypatch.setattr(django.db, "close_old_connections", lambda: None)
    ward = make_assessment(team)
    add_responses(ward, [1, 2, 3, 4, 5])
    _closed_yesterday(ward)

    result = CliRunner().invoke(app, ["scheduler", "--once"])

    assert result.exit_code == 0, result.output
    assert "1 publications made" in result.output and "4 notices queued" in result.output
    assert Publication.objects.count() == 1
    again = CliRunner().invoke(app, ["scheduler", "--once"])
    assert again.exit_code == 0 and "publications" not in again.output
    assert "notices" not in again.output and Publication.objects.count() == 1
