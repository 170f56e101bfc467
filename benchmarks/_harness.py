"""What the fault-injection and load runs share: a throwaway database, the server, clients.

Everything listens on 127.0.0.1 only. PostgreSQL is Debian's, started from a fresh data
folder with its defaults (fsync on, synchronous commit on, full page writes on); as root
it runs as the ``postgres`` user, as ``scripts/postgres`` does.
"""

from __future__ import annotations

import contextlib
import glob
import html
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TIMEOUT = (5, 30)  # connect, read
PAGES = 5  # condition pages of the TRACE questionnaire; page 6 is the free text
ITEMS_PER_PAGE = 7
CONDITIONS = ("task", "route", "alignment", "capability", "energy")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- PostgreSQL ---------------------------------------------------------------------------


@dataclass
class Postgres:
    """A throwaway PostgreSQL cluster on loopback, with its default (durable) settings."""

    folder: Path
    port: int
    max_connections: int = 200
    bin: Path = field(init=False)

    def __post_init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            raise SystemExit("PostgreSQL is not installed (apt-get install postgresql).")
        self.bin = Path(found[-1]).parent

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def url(self) -> str:
        return f"postgres://app@127.0.0.1:{self.port}/tracelead"

    def _as_owner(self, command: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command

    def _run(self, command: list[str]) -> None:
        subprocess.run(self._as_owner(command), check=True, stdout=subprocess.DEVNULL)  # noqa: S603

    def init(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            subprocess.run(["chown", "postgres", str(self.folder)], check=True)  # noqa: S603,S607
        self._run([str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "app",
                   "--encoding", "UTF8", "--locale", "C.UTF-8"])
        self.start()
        self._run([str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
                   "app", "tracelead"])

    def start(self) -> None:
        options = (
            f"-k {self.folder} -p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c max_connections={self.max_connections} "
            # Stated, not changed: these are PostgreSQL's defaults and what makes a
            # committed transaction survive a crash.
            "-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
        )
        self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
                   str(self.folder / "log"), "-w", "-t", "60", "-o", options, "start"])

    def kill(self) -> None:
        """SIGKILL the postmaster and every backend at once: a crash, not a shutdown."""
        import psutil

        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        postmaster = psutil.Process(pid)
        processes = [postmaster, *postmaster.children(recursive=True)]
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.send_signal(signal.SIGKILL)
        psutil.wait_procs(processes, timeout=10)

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, FileNotFoundError):
            self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                       "stop"])


# --- tracelead: environment, set-up, server -------------------------------------------------


def environment(data_dir: Path, database_url: str | None, **extra: str) -> dict[str, str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "TRACELEAD_"))}
    env.update(
        TRACELEAD_DATA_DIR=str(data_dir),
        TRACELEAD_SECRET_KEY="benchmark-only-" + "k" * 40,
        TRACELEAD_HOME=str(ROOT),
        TRACELEAD_LOG_LEVEL="CRITICAL",
        DJANGO_SETTINGS_MODULE="tracelead.settings",
        PYTHONPATH=str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", ""),
        **extra,
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


SETUP = """
import datetime as dt, json, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from django.utils import timezone
from tracelead.diagnostics import services
from tracelead.organisations import services as orgs
from tracelead.organisations.models import Sector, Space
from tracelead.publishing import services as publishing
invitations, open_link = int(sys.argv[1]), sys.argv[2] == "1"
system = orgs.system_create(name="Benchmark ICS")
org = orgs.organisation_create(system=system, name="Benchmark Trust", sector=Sector.ACUTE)
group = orgs.group_create(system=system, organisation=org, name="Benchmark team", space=Space.TEAM)
today = timezone.localdate()
cycle = publishing.cycle_create(system=system, name="Benchmark cycle", threshold=5,
                                comment_threshold=10)
assessment = services.assessment_create(
    group=group, cycle=cycle, title="Benchmark round", instrument_key="trace",
    rater_kinds=["member"], opens_on=today,
    closes_on=today + dt.timedelta(days=30))
tokens = []
while len(tokens) < invitations:
    batch = min(5000, invitations - len(tokens))
    tokens += [i.token for i in services.invitations_create(
        assessment=assessment, rater_kind="member", count=batch)]
print(json.dumps({"assessment": assessment.pk, "tokens": tokens,
                  "open_token": services.assessment_open_link(assessment=assessment)
                  if open_link else None}))
"""

COUNT = """
import collections, json, sys
import django
django.setup()
from tracelead.diagnostics.models import Response
rows = Response.objects.filter(assessment_id=int(sys.argv[1])).values_list("free_text", flat=True)
print(json.dumps(collections.Counter(t.get("one_change", "") for t in rows)))
"""


def django_script(code: str, env: dict[str, str], *args: str) -> object:
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [PYTHON, "-c", code, *args], env=env, check=False, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"a set-up step failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class ServerExited(RuntimeError):
    """The server stopped without being killed (it failed to boot, for example)."""


@dataclass
class Server:
    """``tracelead serve`` (gunicorn) in its own process group, so one SIGKILL takes it all."""

    env: dict[str, str]
    port: int
    workers: int
    log: Path
    via: str = "serve"  # "serve": `tracelead serve`; "gunicorn": the same, with --preload
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        if self.via == "serve":
            command = [PYTHON, "-m", "tracelead.cli", "serve", "--no-migrate", "--host",
                       "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)]
        else:
            # The command line `tracelead serve` runs, plus --preload: the application is
            # imported once and the workers forked, so a restart takes half the time.
            command = [PYTHON, "-m", "gunicorn", "tracelead.wsgi:application", "--preload",
                       "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
                       "--graceful-timeout", "10"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed argument list
                command, env=self.env, stdout=subprocess.DEVNULL, stderr=log,
                start_new_session=True,
            )

    def wait_ready(self, path: str, timeout: float = 120) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.process is not None and self.process.poll() is not None:
                tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
                raise ServerExited(f"the server exited by itself; its log ends:\n{tail}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.base + path, timeout=5).status_code < 500:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"the server did not answer within {timeout}s; see {self.log}")

    def restart_until_ready(self, path: str, attempts: int = 10) -> int:
        """Start the server if it is down and wait for it; as a supervisor would, start it
        again if it exits by itself. Returns how many times it had exited by itself."""
        exits = 0
        while True:
            if self.process is None or self.process.poll() is not None:
                self.process = None
                self.start()
            try:
                self.wait_ready(path)
                return exits
            except ServerExited as exited:
                exits += 1
                say(str(exited))
                if exits >= attempts:
                    raise

    def kill(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None


@contextlib.contextmanager
def workspace(keep: bool) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="tracelead-bench-"))
    os.chmod(folder, 0o755)  # noqa: S103 - the postgres user must reach its data folder
    try:
        yield folder
    finally:
        if keep:
            say(f"kept {folder}")
        else:
            subprocess.run(["rm", "-rf", str(folder)], check=False)  # noqa: S603,S607


# --- A respondent, as a browser would behave --------------------------------------------------


class Refused(Exception):
    """The server answered, but not as a working questionnaire would (kept for the report)."""


def csrf(response: requests.Response) -> str:
    found = CSRF_FIELD.search(response.text)
    if not found:
        raise Refused(f"no CSRF field on {response.url} ({response.status_code})")
    return html.unescape(found.group(1))


def page_answers(page: int, rng_value: int) -> dict[str, str]:
    condition = CONDITIONS[page - 1]
    return {f"{condition}_{n}": str((rng_value + n) % 5 + 1) for n in range(1, ITEMS_PER_PAGE + 1)}


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.acknowledged: list[str] = []
        self.stop = threading.Event()

    def add(self, what: str, n: int = 1) -> None:
        with self.lock:
            self.counts[what] += n


def respondent(
    base: str, token: str, marker: str, value: int, deadline: float, tally: Tally
) -> str:
    """Answer the whole questionnaire once; start again from the link after any failure.

    Returns "acknowledged" (the 302 to /r/done/ arrived), "used" (the link says it was
    used: an earlier attempt was recorded but its acknowledgement was lost) or "gave up".
    """
    session = requests.Session()
    while time.monotonic() < deadline and not tally.stop.is_set():
        try:
            intro = session.get(f"{base}/r/{token}/", allow_redirects=False, timeout=TIMEOUT)
            if intro.status_code == 410:
                return "used"
            if intro.status_code == 302:
                page = int(intro.headers["Location"].rstrip("/").rsplit("/", 1)[1])
                current = session.get(base + intro.headers["Location"], timeout=TIMEOUT)
                tally.add("resumed")
            elif intro.status_code == 200:
                started = session.post(
                    f"{base}/r/{token}/", {"csrfmiddlewaretoken": csrf(intro)},
                    headers={"Referer": f"{base}/r/{token}/"},
                    allow_redirects=False, timeout=TIMEOUT,
                )
                expect(started, 302)
                page, current = 1, session.get(f"{base}/r/{token}/1/", timeout=TIMEOUT)
            else:
                raise Refused(f"introduction answered {intro.status_code}")
            expect(current, 200)
            token_field = csrf(current)
            while page <= PAGES:
                moved = session.post(
                    f"{base}/r/{token}/{page}/",
                    {**page_answers(page, value), "action": "next",
                     "csrfmiddlewaretoken": token_field},
                    allow_redirects=False, timeout=TIMEOUT,
                )
                expect(moved, 302)
                page += 1
            done = session.post(
                f"{base}/r/{token}/{PAGES + 1}/",
                {"one_change": marker, "task_statement": "To keep care safe through winter.",
                 "action": "submit", "csrfmiddlewaretoken": token_field},
                allow_redirects=False, timeout=TIMEOUT,
            )
            if done.status_code == 410:
                return "used"
            expect(done, 302)
            if done.headers["Location"] != "/r/done/":
                raise Refused(f"submit sent to {done.headers['Location']}")
            with tally.lock:
                tally.acknowledged.append(marker)
            return "acknowledged"
        except requests.RequestException:
            tally.add("connection failures")
        except Refused as refused:
            tally.add("server answered: " + str(refused).split(" (")[0][:60])
        time.sleep(0.2)
        tally.add("retries")
    return "gave up"


def expect(response: requests.Response, status: int) -> None:
    if response.status_code != status:
        raise Refused(f"{response.request.method} answered {response.status_code}")
