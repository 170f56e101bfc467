"""Background jobs through HTTP: a board PDF, a workbook and an import are made by the
worker, with their progress on a page only their creator sees.

Fran facilitates Northbrook; Ward 7 (six answers) is published, the Secret Squirrel team
(two answers, under the threshold of five) never is. Olu facilitates another system.
"""

from __future__ import annotations

import io
import stat
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook
from typer.testing import CliRunner

from tracelead.cli import app
from tracelead.core.models import AuditEvent
from tracelead.diagnostics.models import Response
from tracelead.messaging import jobs
from tracelead.messaging.models import Job
from tracelead.organisations.models import Group, Space, SystemMembership
from tracelead.organisations.services import group_create

SECRET = "Secret Squirrel team"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def data_folder(settings: Any, tmp_path: Any) -> None:
    """Jobs write their files under the data folder: a temporary one here."""
    settings.DATA_DIR = tmp_path / "data"


@pytest.fixture
def published(system: Any, organisation: Any, team: Any, make_assessment: Any,
              add_responses: Any, close_and_publish: Any) -> dict[str, Any]:
    secret = group_create(system=system, organisation=organisation, name=SECRET,
                          space=Space.TEAM)
    ward = make_assessment(team)
    add_responses(ward, [1, 2, 3, 4, 5, 3])
    hidden = make_assessment(secret, cycle=ward.cycle)
    add_responses(hidden, [1, 1])
    publication = close_and_publish(ward, hidden)
    assert publication is not None
    add_responses(ward, [5])  # arrives after the publication: in no file
    return {"ward": ward, "hidden": hidden, "cycle": ward.cycle}


@pytest.fixture
def run_worker(monkeypatch: Any) -> Any:
    """``tracelead worker --once``'s engine, inside the test's transaction (the worker
    closes stale connections between tasks; here that would close the test's own)."""
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run(**options: Any) -> None:
        call_command("db_worker", batch=True, interval=0, startup_delay=False, reload=False,
                     verbosity=0, **options)

    return run


@pytest.fixture
def start(facilitator_client: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """POST as Fran and commit, so that the job is queued; returns the job's page URL."""

    def post(url: str, data: dict[str, Any] | None = None) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            response = facilitator_client.post(url, data or {})
        assert response.status_code == 302, response.content[:300]
        assert response["Location"].startswith("/jobs/")
        return str(response["Location"])

    return post


def _job(page: str) -> Job:
    return Job.objects.get(pk=int(page.strip("/").split("/")[-1]))


def _text(response: Any) -> str:
    return response.content.decode()


def test_a_facilitator_asks_for_the_board_pdf_and_downloads_it_when_it_is_done(
    facilitator_client: Any, published: Any, system: Any, start: Any, run_worker: Any
) -> None:
    page = start(f"/reports/systems/{system.pk}/report.pdf")

    waiting = facilitator_client.get(page)
    assert waiting.status_code == 200
    assert "Waiting to start" in _text(waiting)
    assert '<meta http-equiv="refresh" content="2">' in _text(waiting)
    assert "<progress" in _text(waiting) and 'for="job-progress"' in _text(waiting)
    assert "download/" not in _text(waiting)
    assert facilitator_client.get(page + "download/").status_code == 404

    run_worker()

    done = facilitator_client.get(page)
    assert "Your PDF is ready" in _text(done)
    assert 'http-equiv="refresh"' not in _text(done)
    assert 'value="4"' in _text(done)  # reading, building, charts, layout: all four done
    job = _job(page)
    assert (job.status, job.attempts, job.done, job.total) == ("done", 1, 4, 4)
    assert job.title == f"PDF of all groups: Northbrook ICS, {published['cycle'].name}"
    download = facilitator_client.get(page + "download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert 'attachment; filename="tracelead-northbrook-ics-groups.pdf"' in \
        download["Content-Disposition"]
    assert download["Cache-Control"] == "private, no-store"
    assert download.getvalue().startswith(b"%PDF")
    # The file is the server's user's alone; asking for it was audited as an export.
    assert stat.S_IMODE(jobs.result_path(job).stat().st_mode) == 0o600
    assert AuditEvent.objects.filter(
        action="exported", what__startswith="heatmap (pdf) of Northbrook ICS").count() == 1


def test_the_workbook_holds_the_published_figures_only(
    facilitator_client: Any, published: Any, system: Any, start: Any, run_worker: Any
) -> None:
    page = start(f"/reports/systems/{system.pk}/report.xlsx?measure=sharedness")
    run_worker()

    download = facilitator_client.get(page + "download/")
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(download.getvalue()))
    heat = list(book["Heatmap"].iter_rows(values_only=True))
    assert [row[0] for row in heat[1:]] == ["Ward 7 team"]
    assert heat[1][6] == 6  # as published: not the seventh answer that came later
    assert Response.objects.filter(assessment=published["ward"]).count() == 7
    everything = " ".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True)
                          for v in row if v is not None)
    assert SECRET not in everything and "Squirrel" not in everything
    assert _job(page).params["query"] == {"cycle": str(published["cycle"].pk),
                                          "measure": "sharedness"}


def test_nobody_else_sees_the_job_or_its_file(
    published: Any, system: Any, start: Any, run_worker: Any, other_facilitator: Any,
    viewer: Any, django_user_model: Any
) -> None:
    page = start(f"/reports/systems/{system.pk}/report.xlsx")
    run_worker()
    for someone in (other_facilitator, viewer):  # another system; Fran's own system
        client = Client()
        client.force_login(someone)
        assert client.get(page).status_code == 404
        assert client.get(page + "download/").status_code == 404
    assert Client().get(page).status_code == 302  # signed out: to the sign-in page
    administrator = Client()
    administrator.force_login(django_user_model.objects.create_superuser("root"))
    assert administrator.get(page + "download/").status_code == 200
    assert administrator.get("/jobs/999999/").status_code == 404


def test_an_old_link_to_the_pdf_leads_to_the_page_with_the_buttons(
    facilitator_client: Any, published: Any, system: Any
) -> None:
    response = facilitator_client.get(f"/reports/systems/{system.pk}/report.pdf?measure=level")
    assert response.status_code == 302
    assert response["Location"] == f"/reports/systems/{system.pk}/?measure=level"
    assert not Job.objects.exists()
    page = _text(facilitator_client.get(f"/reports/systems/{system.pk}/"))
    assert f'method="post" action="/reports/systems/{system.pk}/report.pdf' in page
    # The anonymised CSV is small and still comes at once.
    csv = facilitator_client.get(f"/reports/systems/{system.pk}/report.csv")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")


def test_a_failing_job_is_tried_three_times_then_shows_why_it_failed(
    facilitator_client: Any, published: Any, system: Any, start: Any, run_worker: Any,
    monkeypatch: Any
) -> None:
    from tracelead.reports import exports

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the layout engine ran out of memory")

    monkeypatch.setattr(exports, "export_many", broken)
    page = start(f"/reports/systems/{system.pk}/report.pdf")
    job = _job(page)

    # The first attempt fails: the job waits for its next attempt, and says so.
    run_worker(max_tasks=1)
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("queued", 1)
    assert "Attempt 1 of 3 failed (RuntimeError: the layout engine ran out of memory); " \
        "it will be tried again in 10 seconds" in job.message
    assert "Waiting to start" in _text(facilitator_client.get(page))
    # The next attempt is queued to run ten seconds later; the test does not wait.
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.get(status="READY")
    assert (waiting.run_after - timezone.now()).total_seconds() > 5
    assert not DBTaskResult.objects.ready().exists()
    DBTaskResult.objects.filter(pk=waiting.pk).update(run_after=timezone.now())
    monkeypatch.setattr(jobs, "RETRY_DELAYS", (0, 0))
    run_worker()

    job.refresh_from_db()
    assert (job.status, job.attempts) == ("failed", 3)
    shown = _text(facilitator_client.get(page))
    assert "Failed" in shown and "This failed 3 times and has stopped" in shown
    assert "the layout engine ran out of memory" in shown
    assert 'http-equiv="refresh"' not in shown
    assert facilitator_client.get(page + "download/").status_code == 404


def test_a_job_whose_owner_lost_access_fails_at_once(
    published: Any, system: Any, start: Any, run_worker: Any, facilitator: Any
) -> None:
    page = start(f"/reports/systems/{system.pk}/report.pdf")
    SystemMembership.objects.filter(user=facilitator).delete()
    run_worker()
    job = _job(page)
    assert (job.status, job.attempts) == ("failed", 1)
    assert "you can no longer see this system's results" in job.message
    assert not job.result_name


def test_the_import_job_reports_problems_by_line_and_column_and_imports_nothing(
    facilitator_client: Any, system: Any, start: Any, run_worker: Any
) -> None:
    before = Group.objects.count()
    bad = (b"organisation,sector,group,space,parent\n"
           b"Vale Trust,acute,Vale board,organisation,\n"
           b"Vale Trust,,<b>Ward 9</b>,ward,\n"
           b"Vale Trust,,Ward 10,team,Nowhere\n")
    page = start(f"/systems/{system.pk}/import/",
                 {"file": SimpleUploadedFile("s.csv", bad, "text/csv")})
    run_worker()

    shown = _text(facilitator_client.get(page))
    assert "Nothing was imported: the file has 2 problems." in shown
    assert "line 3, column “space”: must be one of self, team, organisation or system" in shown
    assert "line 4, column “parent”: no group with this name in the system or file" in shown
    assert "<b>Ward 9</b>" not in shown
    assert f'href="/systems/{system.pk}/import/"' in shown  # upload a corrected file
    assert Group.objects.count() == before
    job = _job(page)
    assert job.status == "done" and "data" not in job.params  # the file is not kept

    good = b"organisation,sector,group,space\nVale Trust,acute,Vale board,organisation\n"
    page = start(f"/systems/{system.pk}/import/",
                 {"file": SimpleUploadedFile("s.csv", good, "text/csv")})
    run_worker()
    assert "Imported 1 organisations and 1 groups." in _text(facilitator_client.get(page))
    assert Group.objects.filter(system=system, name="Vale board").exists()


def test_old_jobs_and_their_files_are_deleted(
    published: Any, system: Any, start: Any, run_worker: Any
) -> None:
    import datetime as dt

    from django.utils import timezone

    job = _job(start(f"/reports/systems/{system.pk}/report.xlsx"))
    run_worker()
    job.refresh_from_db()
    path = jobs.result_path(job)
    assert path.is_file()
    assert jobs.jobs_clean() == 0
    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now() - dt.timedelta(days=8))
    assert jobs.jobs_clean() == 1
    assert not path.exists() and not Job.objects.filter(pk=job.pk).exists()


def test_a_job_whose_worker_stopped_part_way_is_marked_failed(
    facilitator_client: Any, published: Any, system: Any, start: Any
) -> None:
    import datetime as dt

    from django.utils import timezone

    from tracelead.messaging.scheduler import tick

    page = start(f"/reports/systems/{system.pk}/report.pdf")
    now = timezone.now()
    # Asked for three hours ago (the queue was down), taken by a worker a minute ago: not
    # stalled, however long it waited.
    Job.objects.update(status="running", created_at=now - dt.timedelta(hours=3),
                       started_at=now - dt.timedelta(minutes=1))
    assert tick().jobs_stalled == 0
    assert Job.objects.get().status == "running"
    # Taken three hours ago and still running: its worker was killed.
    Job.objects.update(started_at=now - dt.timedelta(hours=3))
    assert tick().jobs_stalled == 1
    shown = _text(facilitator_client.get(page))
    assert "The worker stopped while doing this" in shown
    assert 'http-equiv="refresh"' not in shown


def test_a_job_taken_before_start_times_were_kept_is_aged_from_when_it_was_asked_for(
    published: Any, system: Any, start: Any
) -> None:
    import datetime as dt

    from django.utils import timezone

    from tracelead.messaging.jobs import jobs_stalled_fail

    start(f"/reports/systems/{system.pk}/report.pdf")
    Job.objects.update(status="running", started_at=None)
    assert jobs_stalled_fail() == 0
    Job.objects.update(created_at=timezone.now() - dt.timedelta(hours=3))
    assert jobs_stalled_fail() == 1
    assert Job.objects.get().status == "failed"


def test_a_worker_taking_a_job_notes_when(
    published: Any, system: Any, start: Any, run_worker: Any
) -> None:
    from django.utils import timezone

    start(f"/reports/systems/{system.pk}/report.xlsx")
    before = timezone.now()
    run_worker()
    job = Job.objects.get()
    assert job.status == "done"
    assert job.started_at is not None and before <= job.started_at <= job.finished_at


def test_tracelead_worker_once_runs_what_is_queued_and_stops(
    published: Any, system: Any, start: Any, monkeypatch: Any
) -> None:
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    page = start(f"/reports/systems/{system.pk}/report.xlsx")

    result = CliRunner().invoke(app, ["worker", "--once"])

    assert result.exit_code == 0, result.output
    assert _job(page).status == "done"


def _browser_helpers() -> Any:
    """tests/browser's helpers (sign-in, axe), loaded by path from this folder."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "browser" / "browser_helpers.py"
    spec = importlib.util.spec_from_file_location("browser_helpers", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("scripts", [True, False], ids=["with scripts", "without scripts"])
def test_the_job_page_follows_the_job_in_a_browser_and_passes_axe(
    scripts: bool, live_server: Any, browser: Any, published: Any, system: Any,
    make_user: Any,
) -> None:
    from playwright.sync_api import expect

    from tracelead.messaging.tasks import run_job
    from tracelead.organisations.models import SystemRole

    helpers = _browser_helpers()
    fiona = make_user("fiona.facilitator")
    fiona.set_password(helpers.PASSWORD)
    fiona.save()
    SystemMembership.objects.create(user=fiona, system=system, role=SystemRole.FACILITATOR)
    context = browser.new_context(viewport=helpers.PHONE, java_script_enabled=scripts)
    console = helpers.Console()
    page = console.watch(context.new_page())
    helpers.sign_in(page, live_server.url, "fiona.facilitator")
    page.goto(f"{live_server.url}/reports/systems/{system.pk}/")

    page.get_by_role("button", name="PDF for a board").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("PDF of all groups")
    expect(page.get_by_role("status")).to_contain_text("Waiting to start")
    helpers.assert_no_sideways_scroll(page, "a waiting job")
    if scripts:  # without scripts axe cannot run; the meta refresh is then the point
        helpers.assert_accessible(page, "a waiting job")
        page.evaluate("window.notReloaded = true")
    job = Job.objects.get()
    Job.objects.filter(pk=job.pk).update(status="running", done=2, total=4,
                                         message="Drawing the charts")
    expect(page.locator("#job-status")).to_contain_text("Running. Drawing the charts")
    expect(page.locator("#job-progress")).to_have_attribute("value", "2")
    if scripts:  # updated in place: a screen reader keeps its place
        assert page.evaluate("window.notReloaded") is True
    Job.objects.filter(pk=job.pk).update(status="queued")
    run_job.call(job.pk)

    expect(page.get_by_role("status")).to_contain_text("Your PDF is ready")
    if scripts:
        helpers.assert_accessible(page, "a finished job")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").click()
    assert download.value.suggested_filename == "tracelead-northbrook-ics-groups.pdf"
    console.assert_clean()
    context.close()


def test_a_job_whose_task_was_lost_is_queued_again_once(
    facilitator_client: Any, published: Any, system: Any, start: Any
) -> None:
    """The queue could not be reached when the request committed: the job page would wait
    for ever. The scheduler queues it again, once; a worker then finishes it."""
    import datetime as dt

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from tracelead.messaging.jobs import job_run
    from tracelead.messaging.scheduler import tick

    page = start(f"/reports/systems/{system.pk}/report.pdf")
    DBTaskResult.objects.all().delete()  # the task never reached the queue
    assert tick().jobs_requeued == 0  # not yet ten minutes
    Job.objects.update(created_at=timezone.now() - dt.timedelta(minutes=11))
    assert tick().jobs_requeued == 1
    assert tick().jobs_requeued == 0  # once only
    assert DBTaskResult.objects.count() == 1
    (job,) = Job.objects.all()
    assert job_run(job.pk) == "done"
    assert job_run(job.pk) == "skipped"  # a second task for it would find nothing to do
    assert "Download" in _text(facilitator_client.get(page))


def test_a_lost_retry_is_queued_again_and_a_queue_down_leaves_no_marker(
    published: Any, system: Any, start: Any, monkeypatch: Any
) -> None:
    """A retry's task can be lost like a first one; and when the queue cannot be reached
    at the tick, nothing is recorded as queued again, so the next tick tries again."""
    import datetime as dt

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from tracelead.messaging import jobs
    from tracelead.messaging.models import NoticeSent
    from tracelead.messaging.scheduler import tick

    start(f"/reports/systems/{system.pk}/report.pdf")
    DBTaskResult.objects.all().delete()
    # The first attempt failed and its retry's task never reached the queue.
    Job.objects.update(attempts=1, started_at=timezone.now() - dt.timedelta(minutes=5))
    assert tick().jobs_requeued == 0  # not yet ten minutes after the attempt
    Job.objects.update(started_at=timezone.now() - dt.timedelta(minutes=11))

    def down(job_id: int, *, delay: float = 0) -> None:
        raise ConnectionError("the queue cannot be reached")

    monkeypatch.setattr(jobs, "_enqueue", down)
    report = tick()
    assert (report.jobs_requeued, report.failed) == (0, ["stalled jobs"])
    assert not NoticeSent.objects.filter(key__startswith="job-requeued").exists()
    monkeypatch.undo()
    assert tick().jobs_requeued == 1
    assert tick().jobs_requeued == 0  # once an attempt
    assert DBTaskResult.objects.count() == 1


def test_a_job_marked_failed_while_running_stays_failed(
    published: Any, system: Any, start: Any, monkeypatch: Any
) -> None:
    """The scheduler took the job's worker for stopped and told the person to ask again;
    the work then finishes: the job does not turn to done (or to a retry) behind them."""
    import datetime as dt

    from django.utils import timezone

    from tracelead.messaging import jobs

    start(f"/reports/systems/{system.pk}/report.pdf")
    (job,) = Job.objects.all()

    def slow(job: Any, progress: Any) -> Any:
        Job.objects.filter(pk=job.pk).update(
            started_at=timezone.now() - dt.timedelta(hours=3))
        assert jobs.jobs_stalled_fail() == 1
        if fail:
            raise RuntimeError("and then it failed")
        return jobs.Made("Made", content=b"%PDF", filename="x.pdf",
                         content_type="application/pdf")

    monkeypatch.setitem(jobs.KINDS, job.kind, slow)
    for fail in (False, True):
        Job.objects.filter(pk=job.pk).update(status="queued", attempts=0)
        assert jobs.job_run(job.pk) == ("failed" if fail else "done")
        job.refresh_from_db()
        assert (job.status, job.message[:27]) == ("failed", "The worker stopped while do")


def test_a_queue_task_whose_worker_was_killed_is_closed_after_two_hours() -> None:
    """A worker SIGKILLed mid-task leaves its row "running"; the scheduler closes it, so
    the queue depth in /metrics does not count it for ever (issue 20's worker kill)."""
    import datetime as dt

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from tracelead.messaging.scheduler import tick

    now = timezone.now()
    fields = {"args_kwargs": {"args": [], "kwargs": {}}, "backend_name": "default",
              "task_path": "tracelead.messaging.tasks.send_outbox", "run_after": now,
              "status": "RUNNING", "worker_ids": ["killed"]}
    old = DBTaskResult.objects.create(**fields, started_at=now - dt.timedelta(hours=3))
    recent = DBTaskResult.objects.create(**fields, started_at=now - dt.timedelta(minutes=5))
    report = tick()
    assert report.tasks_stalled == 1
    assert "1 tasks of stopped workers closed" in report.describe()
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.status, recent.status) == ("FAILED", "RUNNING")
    assert old.finished_at is not None
    assert tick().tasks_stalled == 0
