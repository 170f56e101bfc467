"""The ``tracelead`` command: a thin shell over the services and the analysis core."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from tracelead.bootstrap import django_setup
from tracelead.reports.cli import report_app

app = typer.Typer(
    help="tracelead: diagnose, develop and evaluate collective leadership (TRACE).",
    no_args_is_help=True,
    add_completion=False,
)
bench_app = typer.Typer(help="Benchmarks that print figures as JSON.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
app.add_typer(token_app, name="token")
app.add_typer(report_app, name="report")


class _ImportGroup(TyperGroup):
    """`tracelead import FILE --programme ID` runs `tracelead import answers`; the other
    imports are named sub-commands."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["answers", *args]
        return super().resolve_command(ctx, args)


import_app = typer.Typer(help="Import data from files.", no_args_is_help=True,
                         cls=_ImportGroup)
app.add_typer(import_app, name="import")
person_app = typer.Typer(help="Personal data: subject access and erasure.", no_args_is_help=True)
app.add_typer(person_app, name="person")


_django = django_setup


def _migrate(verbosity: int = 0) -> None:
    from django.conf import settings
    from django.core.management import call_command

    # Owner only (0700), as settings.py makes it: the database and secret key live here.
    Path(settings.DATA_DIR).mkdir(mode=0o700, parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=verbosity)


def _check_assets() -> None:
    from django.conf import settings

    css = Path(settings.NODE_MODULES) / "nhsuk-frontend" / "dist" / "nhsuk"
    if not css.is_dir():
        typer.secho(
            f"The NHS design system's files are missing ({css}). Run `npm ci` in the "
            "repository, or set TRACELEAD_NODE_MODULES.",
            err=True,
            fg="red",
        )
        raise typer.Exit(1)


HostOption = Annotated[str, typer.Option(help="Address to listen on.")]
PortOption = Annotated[int, typer.Option(help="Port to listen on.")]
WorkersOption = Annotated[int, typer.Option(help="Worker processes.")]
# gunicorn's largest request line (its default is 4,094): longer addresses than tracelead's
# own limit (tracelead.core.middleware) then reach the application and get its 414 page.
GUNICORN_MAX_REQUEST_LINE = 8190


def _serve(host: str, port: int, workers: int) -> None:
    _check_assets()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "tracelead.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--graceful-timeout",
        "10",
        # The application is loaded once, before the workers fork: a start costs one
        # worker's set-up (about 6 s of CPU) rather than one each, which halves a restart
        # on a busy machine. Nothing it loads holds a connection (tested).
        "--preload",
        "--limit-request-line",
        str(GUNICORN_MAX_REQUEST_LINE),
    ]
    # An access log would pair client addresses and times with invitation links, so it
    # is off unless asked for (and then the links' tokens are in it: keep it private).
    if os.environ.get("TRACELEAD_ACCESS_LOG", "").lower() in {"1", "true", "yes", "on"}:
        command += ["--access-logfile", "-"]
    typer.echo(f"Serving on http://{host}:{port}/ (Ctrl+C to stop)")
    env = _metrics_env(port)
    sys.stdout.flush()
    sys.stderr.flush()
    # gunicorn takes this process's place (and PID), so a SIGTERM from a supervisor, a
    # container engine or a terminal reaches it and it finishes its requests before it
    # stops; a child would leave gunicorn running, or be killed with it mid-request.
    os.execve(sys.executable, command, env)  # noqa: S606 - our own interpreter, fixed arguments


def _metrics_env(port: int) -> dict[str, str]:
    """The environment for gunicorn: its workers share request metrics through a folder
    (prometheus_client's multiprocess mode), emptied when the server starts. The folder is
    named for the host as well as the port: containers that share one data volume all
    listen on the same port."""
    env = dict(os.environ)
    if not env.get("PROMETHEUS_MULTIPROC_DIR"):
        from django.conf import settings

        folder = Path(settings.DATA_DIR) / "metrics" / f"{socket.gethostname()}-{port}"
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return env


@app.command()
def demo(
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    workers: WorkersOption = 2,
    reset: Annotated[bool, typer.Option(help="Delete the demo data and make it again.")] = False,
    serve: Annotated[bool, typer.Option(help="Start the web server after loading.")] = True,
) -> None:
    """Create or reuse the local database, load the demo data and serve it."""
    _django()
    _migrate()
    from tracelead.demo import DEMO_PASSWORD, DEMO_USERNAME, demo_load

    summary = demo_load(reset=reset, progress=lambda text: typer.echo(f"  {text}"))
    typer.echo(summary.describe())
    typer.secho(
        f"\nSign in at http://{host}:{port}/accounts/login/ as "
        f"{DEMO_USERNAME} with password {DEMO_PASSWORD}\n",
        fg="green",
        bold=True,
    )
    if serve:
        _serve(host, port, workers)


@app.command("serve")
def serve_command(
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    workers: WorkersOption = 2,
    migrate: Annotated[bool, typer.Option(help="Apply database migrations first.")] = True,
) -> None:
    """Serve the web application with gunicorn (the production server)."""
    if migrate:
        _django()
        _migrate()
    else:
        # Only the settings are read before gunicorn takes over: setting up every app
        # here (about 3 s) would be thrown away by the exec, and lengthen each restart.
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracelead.settings")
    _serve(host, port, workers)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def manage(
    args: Annotated[list[str] | None, typer.Argument(help="Django command.")] = None,
) -> None:
    """Run a Django management command, e.g. `tracelead manage createsuperuser`."""
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["tracelead manage", *(args or ["help"])])


@token_app.command("create")
def token_create(
    username: str,
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
    scope: Annotated[
        str, typer.Option(help="read (the default) or read-write (can also make links).")
    ] = "read",
    days: Annotated[
        int | None,
        typer.Option(min=1, max=365, help="Days it works [default: TRACELEAD_API_TOKEN_DAYS]."),
    ] = None,
    code: Annotated[
        str | None,
        typer.Option(help="The user's current one-time code (needed where the site requires "
                     "codes, TRACELEAD_REQUIRE_OTP)."),
    ] = None,
) -> None:
    """Issue an API token for a user and print it once."""
    _django()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.exceptions import PermissionDenied, ValidationError
    from django_otp import match_token, user_has_device

    from tracelead.accounts.services import api_token_create

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        typer.secho(f"No user called {username!r}.", err=True, fg="red")
        raise typer.Exit(1)
    verified = False
    if settings.TRACELEAD_REQUIRE_OTP and not user_has_device(user, confirmed=True):
        typer.secho(
            f"This site requires one-time codes, and {username} has not set them up: they "
            "must sign in and set them up at /accounts/two-factor/ first.",
            err=True, fg="red",
        )
        raise typer.Exit(1)
    if code is not None:
        code = code.replace(" ", "")
        verified = code.isdigit() and match_token(user, code) is not None
        if not verified:
            typer.secho(f"That is not {username}'s current one-time code.", err=True, fg="red")
            raise typer.Exit(1)
    try:
        _, token = api_token_create(
            user=user, name=name, scope=scope,
            days=settings.TRACELEAD_API_TOKEN_DAYS if days is None else days,
            verified=verified, via="cli",
        )
    except PermissionDenied:
        typer.secho(
            f"This site requires one-time codes: give {username}'s current code from their "
            "authenticator app with --code.",
            err=True, fg="red",
        )
        raise typer.Exit(1) from None
    except ValidationError as error:
        for problems in error.message_dict.values():
            for problem in problems:
                typer.secho(problem, err=True, fg="red")
        raise typer.Exit(2) from None
    typer.echo(token)


@person_app.command("export")
def person_export(
    email: str,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="JSON file.")] = None,
) -> None:
    """Everything held about a person (a subject access request), as JSON."""
    _django()
    from tracelead.core.privacy import subject_access

    try:
        data = subject_access(email)
    except ValueError as error:
        typer.secho(str(error), err=True, fg="red")
        raise typer.Exit(2) from error
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"Wrote {output}")


@person_app.command("erase")
def person_erase(
    email: str,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase what identifies a person; results are not changed."""
    _django()
    from tracelead.core.privacy import erase_subject

    if not yes:
        typer.confirm(f"Erase the personal data of {email}? This cannot be undone", abort=True)
    try:
        report = erase_subject(email)
    except ValueError as error:
        typer.secho(str(error), err=True, fg="red")
        raise typer.Exit(2) from error
    typer.echo(
        f"Erased: {report.people} people records, {report.invitation_labels} invitation "
        f"labels, {report.drafts} unsubmitted drafts, {report.accounts} accounts, "
        f"{report.academy_members} academy memberships (the member left)."
    )


@import_app.command("structure")
def import_structure(system_id: int, file: Path) -> None:
    """Add organisations and groups to a system from a CSV file (see docs/operations.md)."""
    _django()
    from tracelead.organisations.importing import structure_import
    from tracelead.organisations.models import System

    system = System.objects.filter(pk=system_id).first()
    if system is None:
        typer.secho(f"No system with id {system_id}.", err=True, fg="red")
        raise typer.Exit(1)
    if not file.is_file():
        typer.secho(f"No such file: {file}", err=True, fg="red")
        raise typer.Exit(1)
    result = structure_import(system=system, data=file.read_bytes())
    if result.problems:
        for problem in result.problems:
            typer.secho(f"{file.name}, {problem}", err=True, fg="red")
        typer.secho("Nothing was imported.", err=True)
        raise typer.Exit(1)
    typer.echo(f"Imported {result.organisations} organisations and {result.groups} groups.")


@import_app.command("members")
def import_members(
    academy_id: int,
    file: Path,
    send_links: Annotated[bool, typer.Option(
        "--send-links", help="Email each new member their personal link.")] = False,
) -> None:
    """Add members to an academy from a CSV or .xlsx file (see docs/operations.md).

    Running it confirms that the people in the file agreed to join the academy."""
    _django()
    from tracelead.academy import importing
    from tracelead.academy.models import Academy

    academy = Academy.objects.filter(pk=academy_id).first()
    if academy is None:
        typer.secho(f"No academy with id {academy_id}.", err=True, fg="red")
        raise typer.Exit(1)
    if not file.is_file():
        typer.secho(f"No such file: {file}", err=True, fg="red")
        raise typer.Exit(1)
    if file.stat().st_size > importing.MAX_BYTES:
        typer.secho(f"{file.name}: larger than {importing.MAX_BYTES // (1024 * 1024)} MB; "
                    "split it.", err=True, fg="red")
        raise typer.Exit(1)
    parsed = importing.parse_members(academy=academy, data=file.read_bytes(),
                                     filename=file.name)
    if parsed.problems:
        for problem in parsed.problems:
            typer.secho(f"{file.name}, {problem}", err=True, fg="red")
        typer.secho("Nothing was imported.", err=True)
        raise typer.Exit(1)
    progress, advance = _rows_progress(len(parsed.rows), "Importing members")
    with progress:
        result = importing.members_write(academy=academy, parsed=parsed,
                                         send_links=send_links, progress=advance)
    if result.problems:
        for problem in result.problems:
            typer.secho(f"{file.name}, {problem}", err=True, fg="red")
        typer.secho("Nothing was imported.", err=True)
        raise typer.Exit(1)
    typer.echo(f"Imported {result.created} members into {academy.name}.")
    if result.skipped:
        typer.echo(f"Skipped {result.skipped} rows whose address is already a member's "
                   f"({parsed.unit}s "
                   + ", ".join(str(n) for n in result.skipped_lines[:20])
                   + (" and more" if result.skipped > 20 else "") + ").")
    if result.ignored_columns:
        typer.echo("Columns not read: " + ", ".join(result.ignored_columns) + ".")
    if result.links_sent:
        typer.echo(f"Queued {result.links_sent} emails with personal links.")


@import_app.command("answers")
def import_answers(
    file: Annotated[Path, typer.Argument(help="A CSV or .xlsx export of the tool.")],
    programme_id: Annotated[int, typer.Option("--programme", help="The programme's id.")],
    event_id: Annotated[int | None, typer.Option(
        "--event", help="The event, for its feedback (one of the programme's events).")] = None,
    fmt: Annotated[str | None, typer.Option(
        "--format", help="menti, surveymonkey or forms (found from the file if not given).")
    ] = None,
    kind: Annotated[str | None, typer.Option(
        help="The form's kind: imported, feedback, reflection, before, after, then_now or "
             "follow_up [default: feedback with --event, otherwise imported].")] = None,
    title: Annotated[str, typer.Option(help="The new form's title.")] = "",
    commit: Annotated[bool, typer.Option(
        "--commit", help="Save; without it, only say what would be created.")] = False,
) -> None:
    """Import answers from a Mentimeter, SurveyMonkey or Microsoft Forms export into a
    programme's questionnaire (see docs/evaluation.md)."""
    _django()
    from tracelead.academy.models import Event, Programme
    from tracelead.evaluation import importing
    from tracelead.evaluation.models import FormKind

    if fmt is not None and fmt not in importing.FORMATS:
        typer.secho(f"--format must be one of {', '.join(importing.FORMATS)}.", err=True,
                    fg="red")
        raise typer.Exit(2)
    if kind is not None and kind not in FormKind.values:
        typer.secho(f"--kind must be one of {', '.join(FormKind.values)}.", err=True, fg="red")
        raise typer.Exit(2)
    programme = Programme.objects.filter(pk=programme_id).first()
    if programme is None:
        typer.secho(f"No programme with id {programme_id}.", err=True, fg="red")
        raise typer.Exit(1)
    event = None
    if event_id is not None:
        event = Event.objects.filter(pk=event_id, programme=programme).first()
        if event is None:
            typer.secho(f"No event with id {event_id} in {programme.name}.", err=True,
                        fg="red")
            raise typer.Exit(1)
    if not file.is_file():
        typer.secho(f"No such file: {file}", err=True, fg="red")
        raise typer.Exit(1)
    if file.stat().st_size > importing.MAX_BYTES:
        typer.secho(f"{file.name}: larger than {importing.MAX_BYTES // (1024 * 1024)} MB; "
                    "split it.", err=True, fg="red")
        raise typer.Exit(2)
    outcome = importing.answers_import(
        programme=programme, data=file.read_bytes(), filename=file.name, fmt=fmt or "",
        event=event, kind=kind or "", title=title, commit=commit)
    if outcome.problems:
        for problem in outcome.problems:
            typer.secho(f"{file.name}, {problem}", err=True, fg="red")
        typer.secho("Nothing was imported.", err=True)
        raise typer.Exit(2)
    for line in importing.describe(outcome):
        typer.echo(line)
    if not commit:
        typer.echo("Nothing was saved: run again with --commit to import.")


@app.command()
def retention(
    days: Annotated[int | None, typer.Option(help="Override TRACELEAD_RETENTION_DAYS.")] = None,
    dry_run: Annotated[bool, typer.Option(help="Only count what would be deleted.")] = False,
) -> None:
    """Delete identifiable data older than the retention period (run daily)."""
    _django()
    from tracelead.core.privacy import apply_retention

    try:
        report = apply_retention(days=days, dry_run=dry_run)
    except ValueError as error:
        typer.secho(str(error), err=True, fg="red")
        raise typer.Exit(2) from error
    verb = "Would delete" if dry_run else "Deleted"
    typer.echo(
        f"{verb} (cut-off {report.cutoff}): {report.invitation_labels} invitation labels, "
        f"{report.drafts} unsubmitted drafts, {report.audit_events} audit events, "
        f"{report.sign_in_records} sign-in records."
    )


@app.command()
def worker(
    queue: Annotated[str, typer.Option(
        help="The queues to take work from, separated by commas ('*' for all).")] = "default",
    once: Annotated[bool, typer.Option(
        "--once", help="Do everything that is queued, then stop.")] = False,
    interval: Annotated[float, typer.Option(
        min=0.1, help="Seconds between looks at an empty queue.")] = 1.0,
) -> None:
    """Run the background worker: report files, imports and email (the database queue)."""
    _django()
    from django.core.management import call_command
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks_db import DatabaseBackend

    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    if not isinstance(backend, DatabaseBackend):
        name = f"{type(backend).__module__}.{type(backend).__name__}"
        typer.secho(
            f"The task backend is {name}, not the database: run its own worker (for RQ, "
            "`tracelead manage rqworker --job-class django_tasks_rq.Job --with-scheduler "
            "default`; see docs/operations.md).",
            err=True, fg="red",
        )
        raise typer.Exit(2)
    call_command("db_worker", queue_name=queue, interval=interval, batch=once,
                 reload=False, startup_delay=not once, verbosity=1)


@app.command()
def scheduler(
    once: Annotated[bool, typer.Option(
        "--once", help="Run one tick and stop (for cron: `* * * * * tracelead scheduler "
        "--once`).")] = False,
    interval: Annotated[float, typer.Option(
        min=1, help="Seconds between ticks.")] = 60.0,
) -> None:
    """Run scheduled work every minute: reminders, publications when rounds close, notices
    to facilitators, asking a worker to send email, and daily retention."""
    _django()
    import time

    from django.db import close_old_connections
    from django.utils import timezone

    from tracelead.messaging.scheduler import tick

    try:
        while True:
            started = time.monotonic()
            close_old_connections()
            report = tick()
            close_old_connections()
            if once or report.did_something:
                typer.echo(f"{timezone.localtime():%Y-%m-%d %H:%M:%S} {report.describe()}")
            if once:
                raise typer.Exit(1 if report.failed else 0)
            time.sleep(max(0.0, interval - (time.monotonic() - started)))
    except KeyboardInterrupt:
        typer.echo("Scheduler stopped.")


@app.command()
def unlock(
    username: Annotated[str, typer.Argument(help="The account name whose wait to lift.")] = "",
    address: Annotated[str, typer.Option(help="Also lift the wait of this address.")] = "",
) -> None:
    """Lift a sign-in wait (cool-off) of an account name or a client address."""
    if not username and not address:
        typer.secho("Give an account name, or --address.", err=True, fg="red")
        raise typer.Exit(2)
    _django()
    from tracelead.accounts.cooloff import unlock as lift

    lifted = lift(username=username, address=address)
    typer.echo(f"Lifted {lifted} wait(s)." if lifted else "Nothing was waiting.")


@app.command("publish")
def publish_command(
    system_id: Annotated[int | None, typer.Option(
        "--system", help="Only the cycles of this system (its id).")] = None,
    round_id: Annotated[int | None, typer.Option(
        "--round", help="A publishing point: publish this open round now.")] = None,
) -> None:
    """Publish every cycle with a round closed since its last publication (run daily), or
    make a publishing point for one open round."""
    _django()
    from tracelead.diagnostics.models import Assessment
    from tracelead.publishing.gate import PublishRefused, publish_due
    from tracelead.publishing.models import Cycle
    from tracelead.publishing.services import publishing_point

    if round_id is not None:
        assessment = Assessment.objects.select_related("cycle").filter(pk=round_id).first()
        if assessment is None:
            typer.secho(f"No round with id {round_id}.", err=True, fg="red")
            raise typer.Exit(1)
        try:
            publication = publishing_point(assessment=assessment)
        except PublishRefused as refused:
            typer.secho(f"Nothing published: {refused}", err=True, fg="red")
            raise typer.Exit(1) from refused
        typer.echo(f"Published {publication}.")
        return
    cycles = Cycle.objects.all() if system_id is None else Cycle.objects.filter(
        system_id=system_id)
    made = 0
    for cycle in cycles.order_by("pk"):
        publication = publish_due(cycle)
        if publication is not None:
            made += 1
            typer.echo(f"Published {publication}.")
    typer.echo(f"{made} {'publication' if made == 1 else 'publications'} made.")


def _rows_progress(total: int, description: str) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_stderr_console(),
    )
    task = progress.add_task(description, total=total)
    return progress, lambda rows: progress.advance(task, rows)


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


@app.command("backup")
def backup_command(
    file: Annotated[Path, typer.Argument(help="Backup file to write (gzip JSON Lines).")],
) -> None:
    """Write the whole database to FILE in tracelead's portable backup format."""
    _django()
    from tracelead.backup import backed_up_models, backup, counts

    total = sum(counts(backed_up_models()).values())
    progress, advance = _rows_progress(total, "Backing up")
    with progress:
        summary = backup(file, progress=advance)
    typer.echo(f"Wrote {summary.rows} rows of {len(summary.header['models'])} models to {file}")


@app.command("restore")
def restore_command(
    file: Annotated[Path, typer.Argument(help="Backup file made by `tracelead backup`.")],
    force: Annotated[
        bool, typer.Option(help="Replace the data of a database that is not empty.")
    ] = False,
    migrate: Annotated[bool, typer.Option(help="Apply database migrations first.")] = True,
) -> None:
    """Load a backup into the database (empty unless --force), all or nothing."""
    _django()
    from tracelead.backup import BackupError, read_header, restore

    try:
        header = read_header(file)
    except BackupError as error:
        typer.secho(str(error), err=True, fg="red")
        raise typer.Exit(1) from error
    if migrate:
        _migrate()
    total = sum(header["models"].values())
    typer.echo(f"Backup of {header['created']} from {header['database']}: {total} rows")
    progress, advance = _rows_progress(total, "Restoring")
    try:
        with progress:
            loaded = restore(file, force=force, progress=advance)
    except BackupError as error:
        typer.secho(f"Nothing was restored. {error}", err=True, fg="red")
        raise typer.Exit(1) from error
    typer.echo(f"Restored {sum(loaded.values())} rows of {len(loaded)} models from {file}")


@bench_app.command("analysis")
def bench_analysis(
    responses: Annotated[int, typer.Option(help="Synthetic responses.")] = 1_000_000,
    items: Annotated[int, typer.Option(help="Items per response.")] = 35,
    teams: Annotated[int, typer.Option(help="Teams.")] = 20_000,
    organisations: Annotated[int, typer.Option(help="Organisations.")] = 200,
    systems: Annotated[int, typer.Option(help="Systems.")] = 40,
    baseline: Annotated[bool, typer.Option(
        help="Also time the baselines (per-group apply, pandas vectorised, Polars, DuckDB) "
             "and check them against the core.")] = True,
    only: Annotated[list[str] | None, typer.Option(
        "--only", help="Run only this baseline (repeat the option for more).")] = None,
    repeat: Annotated[int, typer.Option(
        help="Timed runs of the core, after one warm-up run timed apart; the median is kept."
    )] = 3,
    workers: Annotated[int | None, typer.Option(
        help="Threads of the core (default: the usable processors).")] = None,
    scaling: Annotated[list[int] | None, typer.Option(
        "--scaling", help="Also time the core alone at this many responses "
                          "(repeat the option for more).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
) -> None:
    """Time the many-groups report at NHS scale against four baselines, in one run."""
    from tracelead.benchmarks.analysis_bench import BASELINES, MissingExtra, run

    unknown = [name for name in only or [] if name not in BASELINES]
    if unknown:
        typer.secho(f"Unknown baseline {unknown[0]!r}; choose from: {', '.join(BASELINES)}.",
                    err=True, fg="red")
        raise typer.Exit(2)
    try:
        figures = run(
            responses=responses,
            items=items,
            teams=teams,
            organisations=organisations,
            systems=systems,
            seed=seed,
            baseline=baseline,
            baselines=only or None,
            repeat=repeat,
            workers=workers,
            scaling=scaling or (),
            progress=lambda text: typer.echo(text, err=True),
        )
    except MissingExtra as error:  # checked before the data is made or the core runs
        typer.secho(str(error), err=True, fg="red")
        raise typer.Exit(1) from None
    typer.echo(json.dumps(figures, indent=2, default=str))


@bench_app.command("academy")
def bench_academy(
    members: Annotated[int, typer.Option(help="Academy members.")] = 20_000,
    events: Annotated[int, typer.Option(help="Events over two years.")] = 2_000,
    attendances: Annotated[int, typer.Option(help="Check-ins.")] = 200_000,
    organisations: Annotated[int, typer.Option(help="Organisations.")] = 200,
    repeat: Annotated[int, typer.Option(help="Timed requests per page.")] = 7,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
) -> None:
    """Time the academy's reach and attendance pages at scale, in a throwaway database."""
    _django()
    from tracelead.benchmarks.academy_bench import run

    figures = run(members=members, events=events, attendances=attendances,
                  organisations=organisations, repeat=repeat, seed=seed,
                  progress=lambda text: typer.echo(text, err=True))
    typer.echo(json.dumps(figures, indent=2, default=str))


if __name__ == "__main__":
    app()
