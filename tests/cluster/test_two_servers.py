"""Two web servers and a worker on one PostgreSQL: the application tier keeps no state.

Issue 20 ("run it for a whole region") puts several ``tracelead serve`` machines behind a
load balancer. This test starts that topology on loopback: a fresh PostgreSQL
(``scripts/postgres``), its schema made once, server A and server B
(``tracelead serve --no-migrate``, gunicorn) and ``tracelead worker`` beside B. Plain HTTP
clients then send one person's requests to either server, as a load balancer would:

1. Fran signs in through A and B knows her; she signs out through B and A forgets her.
2. Failed sign-ins through A and B count towards one limit: fewer than the limit reach
   each server, more than the limit in all, and the server that gets the next try
   refuses it, whichever it is. Both throttles are checked: the per-minute rate
   ("Too many sign-in attempts") and the growing cool-off ("Sign-in is paused").
3. Phones join a live poll and vote through both servers; the presenter's count, read
   through either server, holds each vote once.
4. A report queued through A is made by the worker beside B, and its file downloads
   through A.

Each server has a data folder of its own, as separate machines would. Shared are only
what docs/operations.md says must be: the database, ``TRACELEAD_SECRET_KEY``, and the
folders of job files and uploads (``TRACELEAD_DATA_DIR/jobs`` is a symlink into one
"shared volume" here, and ``TRACELEAD_MEDIA_ROOT`` points into it).

requests keeps cookies by host name, not port, so one client's cookies reach both servers
on 127.0.0.1, as a browser's reach every server behind one name.

It starts its own PostgreSQL whatever the suite's database is, and needs no test database
of pytest-django's, so it is marked ``no_database``: ``scripts/test`` runs it once, in the
SQLite pass, and leaves it out of the PostgreSQL pass (``-m "not no_database"``). It is
skipped where PostgreSQL is not installed. The schema is made from the models
(tests/schema_from_models.py: a second or two, against 17–40 s for the migrations, which
tests/cluster/test_cluster_script.py runs on an empty PostgreSQL database); most of the
test's time is the servers' start.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from schema_from_models import make_schema

requests = pytest.importorskip("requests")
psycopg = pytest.importorskip("psycopg")

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long and unguessable test password 31"
WRONG = "not the password"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TIMEOUT = 30  # seconds for one request
READY_WITHIN = 90  # seconds for a server to answer after it starts (a busy CI machine)
JOB_WITHIN = 60  # seconds for the worker to finish the report

# The sign-in throttles with their defaults (settings.py): TRACELEAD_SIGN_IN_RATE "10/m"
# and TRACELEAD_LOCKOUT_FAILURES 10.
SIGN_IN_LIMIT = 10
RATE_PERIOD = 60

pytestmark = pytest.mark.no_database


def _rate_window_offset(username: str) -> int:
    """Where django-ratelimit's fixed one-minute window of this account name ends, in
    seconds past the minute: ``crc32(key) % 60`` (django_ratelimit.core._get_window). The
    key is the name case-folded (core/throttles.account_key): these names are lower-case
    ASCII already."""
    return zlib.crc32(username.encode()) % RATE_PERIOD


def _names_spread_over_the_minute() -> list[str]:
    """Six account names whose rate windows end about ten seconds apart."""
    chosen: dict[int, str] = {}
    number = 0
    while len(chosen) < 6:
        name = f"rhea.reed{number}"
        chosen.setdefault(_rate_window_offset(name) // 10, name)
        number += 1
    return [chosen[bucket] for bucket in sorted(chosen)]


# A window that turned in the middle of the attempts would forget their count, so step 2
# takes, of these accounts, the one with the most of its minute left (50 s or more).
RATE_ACCOUNTS = _names_spread_over_the_minute()


def _seconds_left_in_rate_window(username: str) -> int:
    now = int(time.time())
    end = now - now % RATE_PERIOD + _rate_window_offset(username)
    if end < now:
        end += RATE_PERIOD
    return end - now


# --- The topology ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _initdb_found() -> bool:
    return bool(glob.glob("/usr/lib/postgresql/*/bin/initdb"))


def _tail(path: Path, size: int = 3000) -> str:
    return path.read_text(errors="replace")[-size:] if path.exists() else "(no log)"


@dataclass
class Process:
    """A command started in its own process group (``tracelead serve`` starts gunicorn
    as a child), so that stopping the group stops all of it."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def terminate(self) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)

    def wait(self) -> None:
        """Wait for the group to stop (gunicorn lets a request finish, up to 10 s), then
        kill what is left."""
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)


@dataclass
class Cluster:
    a: str  # server A's base address
    b: str  # server B's base address
    database_url: str
    worker_log: Path
    ids: dict[str, Any]  # what the set-up made (system, academy, poll, question)

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.database_url.replace("postgres://", "postgresql://", 1),
                             autocommit=True) as connection:
            return connection.execute(sql, params).fetchall()


SET_UP = """
import datetime as dt, json
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from tracelead.academy import services as academy_services
from tracelead.academy.models import EventKind
from tracelead.organisations import services as organisations
from tracelead.organisations.models import SystemMembership, SystemRole
from tracelead.polls import services as polls
from tracelead.polls.services import QuestionDraft

users = get_user_model().objects
hashed = make_password({password!r})  # once: each hash takes a tenth of a second
fran = users.create_user("fran.facilitator")
for user in [fran, *(users.create_user(name) for name in {rate_accounts!r})]:
    user.password = hashed
    user.save(update_fields=["password"])
system = organisations.system_create(name="Northbrook ICS", description="One region")
SystemMembership.objects.create(user=fran, system=system, role=SystemRole.FACILITATOR)
academy = academy_services.academy_create(system=system, name="Northbrook Leadership Academy")
starts = timezone.now()
event = academy_services.event_create(
    academy=academy, programme=None, kind=EventKind.WORKSHOP,
    title="Workshop 3: trust across boundaries", starts_at=starts,
    ends_at=starts + dt.timedelta(hours=3), venue="Vale Civic Centre", capacity=None)
poll = polls.poll_create(academy=academy, event=event, title="How are we doing?",
                         created_by=fran)
question = polls.question_save(poll=poll, question=None, draft=QuestionDraft(
    kind="single", prompt="Where should we start?",
    options=["Discharge", "Prevention", "Workforce"]))
print(json.dumps({{"system": system.pk, "academy": academy.pk, "poll": poll.pk,
                  "code": poll.code, "question": question.pk}}))
"""


def _tracelead(*args: str) -> list[str]:
    return [sys.executable, "-m", "tracelead.cli", *args]


def _environment(data_dir: Path, shared: Path, database_url: str, secret: str
                 ) -> dict[str, str]:
    """One machine's environment: its own data folder, with the shared volume mounted at
    ``jobs/`` (the worker writes report files there, any server reads them)."""
    data_dir.mkdir(mode=0o700, parents=True)
    (data_dir / "jobs").symlink_to(shared / "jobs", target_is_directory=True)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TRACELEAD_") and k != "DATABASE_URL"}
    env.update(
        DATABASE_URL=database_url,
        TRACELEAD_SECRET_KEY=secret,
        TRACELEAD_DATA_DIR=str(data_dir),
        TRACELEAD_MEDIA_ROOT=str(shared / "media"),
        TRACELEAD_HOME=str(ROOT),
        TRACELEAD_DEBUG="false",
        TRACELEAD_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SETTINGS_MODULE="tracelead.settings",
        PYTHONUNBUFFERED="1",
    )
    return env


def _run(command: list[str], env: dict[str, str], what: str) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True,  # noqa: S603
                          timeout=180, check=False, cwd=ROOT)
    assert done.returncode == 0, f"{what} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _start(name: str, command: list[str], env: dict[str, str], folder: Path) -> Process:
    log = folder / f"{name}.log"
    with log.open("wb") as handle:
        popen = subprocess.Popen(  # noqa: S603 - our own interpreter and command
            command, env=env, stdout=handle, stderr=subprocess.STDOUT,
            start_new_session=True, cwd=ROOT)
    return Process(name, popen, log)


def _wait_until_answering(server: Process, base: str) -> None:
    deadline = time.monotonic() + READY_WITHIN
    while True:
        assert server.popen.poll() is None, (
            f"{server.name} exited by itself; its log ends:\n{_tail(server.log)}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(base + "/readyz", timeout=5).status_code == 200:
                return
        assert time.monotonic() < deadline, (
            f"{server.name} did not answer within {READY_WITHIN} s:\n{_tail(server.log)}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    if not _initdb_found():
        pytest.skip("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb), so "
                    "scripts/postgres cannot start one: apt-get install postgresql")
    # In /tmp itself: as root, scripts/postgres runs PostgreSQL as the postgres user, who
    # cannot reach pytest's own (0700) temporary folders.
    pg_dir = Path(tempfile.mkdtemp(prefix="tracelead-cluster-pg.", dir="/tmp"))
    work = Path(tempfile.mkdtemp(prefix="tracelead-cluster."))
    processes: list[Process] = []
    postgres = str(ROOT / "scripts" / "postgres")
    try:
        started = subprocess.run(  # noqa: S603 - the project's own script
            [postgres, "start", str(pg_dir), str(_free_port())], capture_output=True,
            text=True, timeout=120, check=False)
        assert started.returncode == 0, f"scripts/postgres start failed:\n{started.stderr}"
        database_url = started.stdout.strip().splitlines()[-1]
        # scripts/postgres makes the cluster; the database in its URL is made here.
        maintenance = database_url.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0]
        with psycopg.connect(maintenance + "/postgres", autocommit=True) as connection:
            connection.execute("CREATE DATABASE tracelead")

        shared = work / "shared-volume"
        (shared / "jobs").mkdir(mode=0o700, parents=True)
        (shared / "media").mkdir(mode=0o700)
        secret = secrets.token_urlsafe(50)
        env_a = _environment(work / "machine-a", shared, database_url, secret)
        env_b = _environment(work / "machine-b", shared, database_url, secret)

        # The servers boot while the schema is made (gunicorn imports and warms up the
        # application, touching no table); they count as ready once /readyz says so.
        port_a, port_b = _free_port(), _free_port()
        serve = ("serve", "--no-migrate", "--host", "127.0.0.1", "--workers", "1", "--port")
        server_a = _start("server-a", _tracelead(*serve, str(port_a)), env_a, work)
        processes.append(server_a)
        server_b = _start("server-b", _tracelead(*serve, str(port_b)), env_b, work)
        processes.append(server_b)
        make_schema(env_a)
        worker = _start("worker-b", _tracelead("worker", "--interval", "0.2"), env_b, work)
        processes.append(worker)
        made = _run(_tracelead("manage", "shell", "-c", SET_UP.format(
            password=PASSWORD, rate_accounts=RATE_ACCOUNTS)), env_a, "the set-up")
        ids = json.loads(made.strip().splitlines()[-1])
        base_a, base_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
        _wait_until_answering(server_a, base_a)
        _wait_until_answering(server_b, base_b)
        assert worker.popen.poll() is None, f"the worker exited:\n{_tail(worker.log)}"
        yield Cluster(a=base_a, b=base_b, database_url=database_url, worker_log=worker.log,
                      ids=ids)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait()
        subprocess.run([postgres, "stop", str(pg_dir)], check=False,  # noqa: S603
                       timeout=60)
        shutil.rmtree(pg_dir, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


# --- A person's HTTP client ----------------------------------------------------------------


class Person:
    """One person's browser: one cookie jar, whichever server answers."""

    def __init__(self) -> None:
        self.http = requests.Session()

    def get(self, base: str, path: str, **headers: str) -> Any:
        return self.http.get(base + path, headers=headers, allow_redirects=False,
                             timeout=TIMEOUT)

    def submit(self, base: str, path: str, data: dict[str, str], *,
               form_page: str | None = None) -> Any:
        """Fill in the form on ``form_page`` (default: ``path``) as a browser would: the
        form's CSRF token, the csrftoken cookie the page set, and a Referer."""
        page = self.get(base, form_page or path)
        assert page.status_code == 200, (page.status_code, page.text[:500])
        token = CSRF_FIELD.search(page.text)
        assert token is not None, f"no CSRF field on {form_page or path}"
        return self.http.post(base + path, data={**data, "csrfmiddlewaretoken": token[1]},
                              headers={"Referer": base + (form_page or path)},
                              allow_redirects=False, timeout=TIMEOUT)

    def post_json(self, base: str, path: str, data: dict[str, str]) -> Any:
        """A script's POST: the csrftoken cookie's value in the X-CSRFToken header."""
        return self.http.post(base + path, data=data, allow_redirects=False, timeout=TIMEOUT,
                              headers={"X-CSRFToken": self.http.cookies["csrftoken"],
                                       "Referer": base + path,
                                       "Accept": "application/json"})

    def sign_in(self, base: str, username: str, password: str) -> Any:
        return self.submit(base, "/accounts/login/",
                           {"username": username, "password": password, "next": ""})


def _signed_in(response: Any) -> bool:
    return response.status_code == 302 and "/accounts/login/" not in response.headers.get(
        "Location", "")


# --- The story -----------------------------------------------------------------------------


def test_two_servers_share_sessions_throttles_votes_and_jobs(cluster: Cluster) -> None:
    fran = _a_session_made_on_a_works_on_b(cluster)
    _failed_sign_ins_on_both_servers_count_towards_one_limit(cluster)
    _votes_through_both_servers_count_once_each_on_the_presenters_screen(cluster, fran)
    _a_job_queued_on_a_is_done_by_the_worker_beside_b(cluster, fran)
    _signing_out_through_b_signs_out_everywhere(cluster, fran)


def _a_session_made_on_a_works_on_b(cluster: Cluster) -> Person:
    system_page = f"/systems/{cluster.ids['system']}/"
    assert Person().get(cluster.b, system_page).status_code == 302  # a stranger: sign in

    fran = Person()
    assert _signed_in(fran.sign_in(cluster.a, "fran.facilitator", PASSWORD))

    for server in (cluster.b, cluster.a):
        page = fran.get(server, system_page)
        assert page.status_code == 200, (server, page.status_code, page.headers)
        assert "Northbrook ICS" in page.text
    return fran


def _failed_sign_ins_on_both_servers_count_towards_one_limit(cluster: Cluster) -> None:
    servers = (cluster.a, cluster.b)

    # The per-minute rate: every try counts, right or wrong. Rhea signs in now and then,
    # which clears her failures, so the cool-off below never begins and the rate is what
    # answers. Five tries reach each server: ten in all, the limit.
    rhea_name = max(RATE_ACCOUNTS, key=_seconds_left_in_rate_window)
    assert _seconds_left_in_rate_window(rhea_name) >= 30
    rhea, mallory = Person(), Person()
    tries = [WRONG] * 4 + [PASSWORD] + [WRONG] * 4 + [PASSWORD]
    for number, password in enumerate(tries):
        server = servers[number % 2]
        answer = (rhea if password == PASSWORD else mallory).sign_in(server, rhea_name,
                                                                     password)
        if password == PASSWORD:
            assert _signed_in(answer), (number, server, answer.status_code)
        else:
            assert answer.status_code == 200, (number, server, answer.status_code)
            assert "Enter a correct username and password" in answer.text
    assert len(tries) == SIGN_IN_LIMIT
    # The eleventh goes to A and the twelfth, with the right password, to B: both refused.
    for server, person, password in ((cluster.a, mallory, WRONG),
                                     (cluster.b, rhea, PASSWORD)):
        refused = person.sign_in(server, rhea_name, password)
        assert refused.status_code == 429, (server, refused.status_code)
        assert "Too many sign-in attempts for this account" in refused.text

    # The cool-off: ten failures for one name, five through each server, pause it on both.
    # (Failures count whether or not the account exists.)
    guesser = Person()
    for number in range(SIGN_IN_LIMIT):
        answer = guesser.sign_in(servers[number % 2], "nobody.here", f"guess {number}")
        assert answer.status_code == 200, (number, answer.status_code)
        assert "Enter a correct username and password" in answer.text
    for server in (cluster.b, cluster.a):
        paused = guesser.sign_in(server, "nobody.here", "guess again")
        assert paused.status_code == 429, (server, paused.status_code)
        assert "Sign-in is paused for a while" in paused.text
    assert cluster.query(
        "SELECT failures FROM accounts_signinfailures WHERE kind = 'account' AND key = %s",
        "nobody.here") == [(SIGN_IN_LIMIT,)]


def _votes_through_both_servers_count_once_each_on_the_presenters_screen(
        cluster: Cluster, fran: Person) -> None:
    ids = cluster.ids
    code, question = ids["code"], ids["question"]
    presenter = f"/academy/{ids['academy']}/polls/{ids['poll']}"
    step = fran.post_json(cluster.a, f"{presenter}/step/", {"action": "next"})
    assert step.status_code == 200 and step.json()["ok"], step.text[:500]

    # Six phones: three join through A and three through B, and each votes through the
    # server its number picks, so that some join through one and vote through the other.
    choices = [0, 1, 2, 0, 1, 0]
    phones = []
    for number, choice in enumerate(choices):
        phone = Person()
        joined = phone.submit((cluster.a, cluster.b)[number // 3], f"/p/{code}/",
                              {"name": "", "sector": ""})
        assert joined.status_code == 302, (number, joined.status_code, joined.text[:500])
        voted = phone.submit((cluster.a, cluster.b)[number % 2], f"/p/{code}/vote/",
                             {f"q{question}": str(choice)}, form_page=f"/p/{code}/")
        assert voted.status_code == 302, (number, voted.status_code, voted.text[:500])
        phones.append(phone)
    # The last phone changes its mind through the other server: still one vote.
    changed = phones[-1].submit(cluster.a, f"/p/{code}/vote/", {f"q{question}": "2"},
                                form_page=f"/p/{code}/")
    assert changed.status_code == 302, changed.status_code
    choices[-1] = 2
    expected = [choices.count(option) for option in range(3)]

    for server in (cluster.a, cluster.b):
        live = fran.get(server, f"{presenter}/live.json")
        assert live.status_code == 200, (server, live.status_code)
        payload = live.json()
        assert payload["participants"] == len(phones)
        assert payload["question"]["id"] == question
        assert payload["question"]["votes"] == len(choices)
        assert payload["results"]["counts"] == expected, payload["results"]
    assert cluster.query("SELECT count(*) FROM polls_vote WHERE question_id = %s",
                         question) == [(len(choices),)]


def _a_job_queued_on_a_is_done_by_the_worker_beside_b(cluster: Cluster, fran: Person) -> None:
    report = f"/reports/systems/{cluster.ids['system']}/"
    started = fran.submit(cluster.a, f"{report}report.xlsx", {}, form_page=report)
    assert started.status_code == 302, (started.status_code, started.text[:500])
    job_page = started.headers["Location"]
    assert re.fullmatch(r"/jobs/\d+/", job_page), job_page
    job_id = int(job_page.strip("/").split("/")[-1])

    deadline = time.monotonic() + JOB_WITHIN
    while True:
        page = fran.get(cluster.b, job_page)
        assert page.status_code == 200, page.status_code
        assert "Failed." not in page.text, page.text
        if f"{job_page}download/" in page.text:
            break
        assert time.monotonic() < deadline, (
            f"the worker did not finish the job within {JOB_WITHIN} s; its log ends:\n"
            f"{_tail(cluster.worker_log)}")
        time.sleep(0.3)
    assert "Your Excel workbook is ready." in fran.get(cluster.a, job_page).text

    # The one worker, beside B, ran it: the task's row names that worker's id.
    worker_id = re.search(r"Starting worker worker_id=(\S+)",
                          cluster.worker_log.read_text(errors="replace"))
    assert worker_id is not None, _tail(cluster.worker_log)
    tasks = cluster.query(
        "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult"
        " WHERE task_path LIKE %s AND args_kwargs -> 'args' ->> 0 = %s",
        "%run_job", str(job_id))
    assert tasks == [("SUCCESSFUL", [worker_id[1]])], tasks
    assert cluster.query("SELECT status FROM messaging_job WHERE id = %s", job_id) == [
        ("done",)]

    # The file the worker wrote on B's machine downloads through A (the shared volume).
    download = fran.get(cluster.a, f"{job_page}download/")
    assert download.status_code == 200, download.status_code
    assert download.content[:2] == b"PK"  # a workbook is a zip file


def _signing_out_through_b_signs_out_everywhere(cluster: Cluster, fran: Person) -> None:
    system_page = f"/systems/{cluster.ids['system']}/"
    kept = fran.http.cookies.get_dict()  # her session cookie, as a copy would keep it
    signed_out = fran.http.post(cluster.b + "/accounts/logout/", allow_redirects=False,
                                timeout=TIMEOUT,
                                data={"csrfmiddlewaretoken": fran.http.cookies["csrftoken"]},
                                headers={"Referer": cluster.b + system_page})
    assert signed_out.status_code == 302, signed_out.status_code
    # The session is gone from the database, not only from her browser: the old cookie,
    # sent again, no longer works on A (or on B).
    replay = Person()
    replay.http.cookies.update(kept)
    for server in (cluster.a, cluster.b):
        page = replay.get(server, system_page)
        assert page.status_code == 302, (server, page.status_code)
        assert page.headers["Location"].startswith("/accounts/login/")
