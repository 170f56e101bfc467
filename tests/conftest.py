"""Shared test set-up: markers, named users, and Chromium for browser tests."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PURE_FOLDERS = ("analysis", "instruments")

# Live-server tests run Django inside Playwright's event loop thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# Seconds each test module took in a recent run (``--record-module-seconds``), used only to
# hand out the longest modules first.
MODULE_SECONDS = ROOT / "tests" / "module_seconds.json"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--record-module-seconds", metavar="PATH", default=None,
        help="write the seconds each test module took (set-up, call and teardown) to PATH, "
             "as tests/module_seconds.json holds them")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "no_database: pure code, run once on SQLite and not again on PostgreSQL"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Markers by folder and fixture, and the modules longest first.

    ``scripts/test`` runs two xdist workers with ``--dist loadscope
    --no-loadscope-reorder``: whole modules are handed out in this order. Longest first
    (the classic rule for scheduling jobs on a few machines) leaves the short modules to
    fill in at the end; xdist's own order (most tests first) left the few-test modules that
    start servers of their own (a minute or more each) for last, with one core idle for
    minutes. A module not in the file counts half a second a test.
    """
    for item in items:
        parts = Path(str(item.fspath)).relative_to(ROOT / "tests").parts
        if parts and parts[0] in PURE_FOLDERS:
            item.add_marker(pytest.mark.no_database)
        if "page" in item.fixturenames or "browser" in item.fixturenames:
            item.add_marker(pytest.mark.browser)
    known = json.loads(MODULE_SECONDS.read_text()) if MODULE_SECONDS.exists() else {}
    counted = Counter(item.nodeid.split("::")[0] for item in items)
    weight = {module: known.get(module, 0.5 * n) for module, n in counted.items()}
    first_seen = {module: i for i, module in enumerate(dict.fromkeys(counted))}
    items.sort(key=lambda item: (-weight[item.nodeid.split("::")[0]],
                                 first_seen[item.nodeid.split("::")[0]]))


_module_seconds: Counter[str] = Counter()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Each module's seconds (on the xdist controller, the reports of every worker)."""
    _module_seconds[report.nodeid.split("::")[0]] += report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = session.config.getoption("--record-module-seconds")
    if path and not hasattr(session.config, "workerinput"):
        Path(path).write_text(json.dumps(
            {module: round(s, 1) for module, s in sorted(_module_seconds.items())},
            indent=1, sort_keys=True) + "\n")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """Each test database is made from the models (seconds; Django's ``TEST["MIGRATE"]``),
    not by running the 83 migrations (about 30 s a database, most of it Django re-rendering
    the models after each operation). ``tests/test_migration_rules.py`` checks that the
    migrations make that same schema, and tests/security/test_storage.py (SQLite) and
    tests/cluster (PostgreSQL) run them on an empty database, as a first start does. The
    other tests that start tracelead in processes of their own make their tables this way
    too (tests/schema_from_models.py)."""
    from django.conf import settings

    for database in settings.DATABASES.values():
        database.setdefault("TEST", {})["MIGRATE"] = False


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """... and every migration recorded as applied, as ``migrate`` would have left it (a
    backup names the migrations its data is from; ``tracelead demo`` migrates first)."""
    from django.db import connections
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.recorder import MigrationRecorder

    with django_db_blocker.unblock():
        for connection in connections.all():
            recorder = MigrationRecorder(connection)
            recorder.ensure_schema()
            done = recorder.applied_migrations()
            recorder.migration_qs.bulk_create(
                recorder.Migration(app=app, name=name)
                for app, name in MigrationLoader(connection).disk_migrations
                if (app, name) not in done)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, object]:
    return {
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


# --- Named users, a system each, and an open assessment (web, API and CLI tests) ---------

TODAY_OFFSET_DAYS = 10


@pytest.fixture
def make_user(db: Any) -> Any:
    """A user without a usable password: tests sign in with ``force_login``."""
    from django.contrib.auth import get_user_model

    def make(username: str, **extra: object) -> Any:
        user = get_user_model().objects.create_user(username=username, **extra)
        return user

    return make


@pytest.fixture
def system(db: Any) -> Any:
    from tracelead.organisations import services

    return services.system_create(name="Northbrook ICS", description="Test system")


@pytest.fixture
def other_system(db: Any) -> Any:
    from tracelead.organisations import services

    return services.system_create(name="Southmoor ICS")


def _member(user: Any, system: Any, role: Any) -> Any:
    from tracelead.organisations.models import SystemMembership

    SystemMembership.objects.create(user=user, system=system, role=role)
    return user


@pytest.fixture
def facilitator(make_user: Any, system: Any) -> Any:
    from tracelead.organisations.models import SystemRole

    return _member(make_user("fran.facilitator"), system, SystemRole.FACILITATOR)


@pytest.fixture
def other_facilitator(make_user: Any, other_system: Any) -> Any:
    from tracelead.organisations.models import SystemRole

    return _member(make_user("olu.otherfacilitator"), other_system, SystemRole.FACILITATOR)


@pytest.fixture
def viewer(make_user: Any, system: Any) -> Any:
    from tracelead.organisations.models import SystemRole

    return _member(make_user("vic.viewer"), system, SystemRole.VIEWER)


@pytest.fixture
def facilitator_client(client: Any, facilitator: Any) -> Any:
    client.force_login(facilitator)
    return client


@pytest.fixture
def other_facilitator_client(client: Any, other_facilitator: Any) -> Any:
    client.force_login(other_facilitator)
    return client


@pytest.fixture
def viewer_client(client: Any, viewer: Any) -> Any:
    client.force_login(viewer)
    return client


@pytest.fixture
def organisation(system: Any) -> Any:
    from tracelead.organisations import services
    from tracelead.organisations.models import Sector

    return services.organisation_create(
        system=system, name="Northbrook Hospitals", sector=Sector.ACUTE
    )


@pytest.fixture
def team(system: Any, organisation: Any) -> Any:
    from tracelead.organisations import services
    from tracelead.organisations.models import Space

    return services.group_create(
        system=system, organisation=organisation, name="Ward 7 team", space=Space.TEAM
    )


@pytest.fixture
def other_team(other_system: Any) -> Any:
    from tracelead.organisations import services
    from tracelead.organisations.models import Space

    return services.group_create(system=other_system, name="Southmoor board", space=Space.SYSTEM)


def make_cycle(system: Any, *, threshold: int = 5, comment_threshold: int = 10,
               name: str | None = None) -> Any:
    """A reporting cycle of ``system`` (reused when one of that name exists)."""
    from tracelead.publishing.models import Cycle

    name = name or f"Cycle {threshold}/{comment_threshold}"
    cycle, _ = Cycle.objects.get_or_create(
        system=system, name=name,
        defaults={"threshold": threshold, "comment_threshold": comment_threshold},
    )
    return cycle


def _open_assessment(
    group: Any, *, rater_kinds: tuple[str, ...] = ("member",), threshold: int = 5,
    comment_threshold: int = 10, cycle: Any = None, **overrides: Any
) -> Any:
    """A round that is open today, in a cycle with the given thresholds (5 and 10).

    Set-up, not a user action: it is written directly, so that tests can also place rounds
    in the past (the service refuses past dates). A group's second round goes into a new
    cycle, since a cycle holds one round per group.
    """
    import datetime as dt

    from django.utils import timezone

    from tracelead.diagnostics.models import Assessment
    from tracelead.instruments import get_instrument

    today = timezone.localdate()
    if cycle is None:
        cycle = make_cycle(group.system, threshold=threshold,
                           comment_threshold=max(comment_threshold, threshold))
        number = 2
        while Assessment.objects.filter(cycle=cycle, group=group).exists():
            cycle = make_cycle(group.system, threshold=threshold,
                               comment_threshold=max(comment_threshold, threshold),
                               name=f"Cycle {threshold}/{comment_threshold} ({number})")
            number += 1
    values = {
        "group": group,
        "cycle": cycle,
        "title": f"{group.name} – spring",
        "instrument_key": "trace",
        "rater_kinds": list(rater_kinds),
        "opens_on": today - dt.timedelta(days=TODAY_OFFSET_DAYS),
        "closes_on": today + dt.timedelta(days=TODAY_OFFSET_DAYS),
    }
    values.update(overrides)
    instrument = get_instrument(values["instrument_key"])
    values.setdefault("instrument_version", instrument.version)
    return Assessment.objects.create(**values)


@pytest.fixture
def make_assessment(db: Any) -> Any:
    """``make_assessment(group, rater_kinds=(...), threshold=..., opens_on=..., cycle=...)``."""
    return _open_assessment


@pytest.fixture
def assessment(team: Any, facilitator: Any) -> Any:
    return _open_assessment(team, created_by=facilitator)


@pytest.fixture
def other_assessment(other_team: Any, other_facilitator: Any) -> Any:
    return _open_assessment(other_team, created_by=other_facilitator)


@pytest.fixture
def add_responses(db: Any) -> Any:
    """``add_responses(assessment, [answers, ...], free_text=[...])`` writes Response rows.

    ``answers`` may be a number (every item gets it) or a dict of item key to value.
    """
    from tracelead.diagnostics.models import Response
    from tracelead.instruments import get_instrument

    def add(
        assessment: Any,
        rows: list[Any],
        *,
        free_text: list[dict[str, str]] | None = None,
        rater_kind: str = "member",
    ) -> list[Any]:
        keys = get_instrument(assessment.instrument_key).item_keys
        created = []
        for index, row in enumerate(rows):
            answers = {key: row for key in keys} if not isinstance(row, dict) else dict(row)
            created.append(
                Response.objects.create(
                    assessment=assessment,
                    rater_kind=rater_kind,
                    answers=answers,
                    free_text=(free_text[index] if free_text else {}),
                    submitted_on=assessment.closes_on,
                )
            )
        return created

    return add


@pytest.fixture
def finish_job(db: Any, settings: Any, tmp_path: Path) -> Any:
    """``finish_job(client, started)``: run the background job that the redirect
    ``started`` leads to, as ``tracelead worker`` would, and return ``(page, file)``: the
    job's page and the bytes of the file it made (None if it made none). Files go to a
    temporary data folder."""
    settings.DATA_DIR = tmp_path / "data"

    def finish(client: Any, started: Any) -> tuple[Any, bytes | None]:
        from tracelead.messaging.tasks import run_job

        assert started.status_code == 302, started
        page_url = started["Location"]
        assert page_url.startswith("/jobs/"), page_url
        run_job.call(int(page_url.strip("/").split("/")[-1]))
        download = client.get(page_url + "download/")
        return client.get(page_url), (download.getvalue() if download.status_code == 200
                                      else None)

    return finish


@pytest.fixture
def trace() -> Any:
    from tracelead.instruments import get_instrument

    return get_instrument("trace")


@pytest.fixture
def close_and_publish(db: Any) -> Any:
    """``close_and_publish(assessment, ...)`` moves rounds' dates into the past (set-up, as
    if time passed) and makes the publication that their closing brings."""
    import datetime as dt

    from django.utils import timezone

    from tracelead.diagnostics.models import Assessment
    from tracelead.publishing.gate import publish_due

    def close(*assessments: Any) -> Any:
        today = timezone.localdate()
        publication = None
        for assessment in assessments:
            opens = min(assessment.opens_on, today - dt.timedelta(days=2))
            Assessment.objects.filter(pk=assessment.pk).update(
                opens_on=opens, closes_on=today - dt.timedelta(days=1))
            assessment.refresh_from_db()
        for cycle in {a.cycle for a in assessments}:
            publication = publish_due(cycle) or publication
        return publication

    return close


@pytest.fixture(autouse=True)
def _uploads_in_a_temporary_folder(settings: Any, tmp_path: Path) -> None:
    """Uploaded files (evaluation evidence) go to the test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


# --- The demo, loaded once for a module ----------------------------------------------


@pytest.fixture(scope="module")
def demo_once(
    request: pytest.FixtureRequest, django_db_setup: Any, django_db_blocker: Any
) -> Iterator[Any]:
    """The demo (``demo_load(**DEMO_OPTIONS)``, options from the test module), loaded once
    for all of a module's tests, inside a transaction rolled back after the last of them.

    Loading takes about 10 s; a module's tests each run in a savepoint within this
    transaction (pytest-django's ``db``, as Django's ``setUpTestData``), so each sees the
    demo as loaded, whatever the one before it changed. Take it through a fixture that also
    asks for ``db``, after this one. Not for tests that commit (``transactional_db``,
    ``live_server``): they would empty the tables under it. ``scripts/test`` hands each
    module's tests to one xdist worker (``--dist loadscope``), so each loads it once.
    """
    from django.db import transaction
    from django.test import override_settings

    from tracelead.demo import demo_load

    options = getattr(request.module, "DEMO_OPTIONS", {})
    # The demo sets two passwords; a fast hasher keeps the load quick (Argon2 is tested
    # in tests/security/test_sign_in.py).
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=fast),
          transaction.atomic()):
        yield demo_load(**options)
        transaction.set_rollback(True)
