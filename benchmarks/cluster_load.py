"""A region under load and under faults: Locust against scripts/cluster (issue 20).

    .venv/bin/python benchmarks/cluster_load.py                  # 2,000 respondents
    .venv/bin/python benchmarks/cluster_load.py --respondents 300 --stress-seconds 20

Starts ``scripts/cluster`` (PostgreSQL, Redis, three ``tracelead serve`` behind HAProxy,
two workers, the scheduler) in a temporary folder, opens a round with enough invitations,
and runs, one after the other (after a 15-second warm-up through the proxy, so that every
server has loaded its code and templates):

1. **Capacity of one server alone**: Locust with ``--stress-users`` respondents who do not
   pause between pages, straight at web1 (gunicorn, 2 workers) for ``--stress-seconds``.
2. **Capacity through the proxy**: the same, through HAProxy to the three servers. The
   scaling factor is (2)'s requests per second over (1)'s. On one 2-core machine, the
   three servers, PostgreSQL, HAProxy and Locust share the same two cores: the factor
   says what the proxy and the extra processes cost here, not what three machines give.
3. **Faults**: ``--respondents`` people (each a Locust user who answers once, through the
   proxy, reading each page for ``--think`` seconds; bounded in count and by
   ``--run-time``). Every ``--kill-every`` seconds one server (web1, web2, web3 in turn)
   is SIGKILLed with its gunicorn workers (``scripts/cluster kill``) and started again
   (``scripts/cluster restart``). At the start, ``--emails`` invitations are queued for a
   second round, and the worker that runs the sending is SIGKILLed once part-way through
   the batch and started again. Meanwhile ``--voters`` phones join a live poll and vote
   through the proxy.

Then it counts: failed requests seen by Locust's clients (after HAProxy's retries);
every acknowledged submission in the database exactly once (lost, doubled); every email
sent (missing, sent twice: outbox.py allows the one in flight at a kill); every
acknowledged vote on the presenter's screen read through each server directly; and the
sign-in limit through the proxy (spread over three servers) against one server alone. The
cluster runs with ``TRACELEAD_SIGN_IN_RATE=5/m``, below the cool-off's 10 failures, so the
limit met is the rate limit counted in the shared cache (Redis), not the cool-off counted
in the database.

Prints JSON; exit status 1 if a response or vote is lost or doubled, an email is missing,
a sign-in limit differs, a fault did not happen (no server killed, or the worker not killed
while email was still to send) or not every respondent started. Traffic stays on
127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import psutil
import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import COUNT, PYTHON, SETUP, django_script, say
from load import read_stats

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CLUSTER = ROOT / "scripts" / "cluster"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PASSWORD = "a long and unguessable benchmark password 31"  # noqa: S105 - a throwaway database

EXTRA = """
import datetime as dt, json, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from django.utils import timezone
from tracelead.academy import services as academy_services
from tracelead.academy.models import EventKind
from tracelead.diagnostics import services as diagnostics
from tracelead.diagnostics.models import Assessment
from tracelead.organisations import services as orgs
from tracelead.organisations.models import Sector, Space, SystemMembership, SystemRole
from tracelead.polls import services as polls
from tracelead.polls.services import QuestionDraft
from tracelead.publishing import services as publishing

password = sys.argv[1]
users = get_user_model().objects
fran = users.create_user("fran.facilitator", password=password)
for name in ("rhea.proxy", "rhea.alone"):
    users.create_user(name, password=password)
system = orgs.system_create(name="Region ICS")
SystemMembership.objects.create(user=fran, system=system, role=SystemRole.FACILITATOR)
academy = academy_services.academy_create(system=system, name="Region Leadership Academy")
starts = timezone.now()
event = academy_services.event_create(
    academy=academy, programme=None, kind=EventKind.WORKSHOP, title="Region workshop",
    starts_at=starts, ends_at=starts + dt.timedelta(hours=3), venue="Civic Centre",
    capacity=None)
poll = polls.poll_create(academy=academy, event=event, title="Region poll", created_by=fran)
question = polls.question_save(poll=poll, question=None, draft=QuestionDraft(
    kind="single", prompt="Where first?", options=["Discharge", "Prevention", "Workforce"]))
trust = orgs.organisation_create(system=system, name="Email Trust", sector=Sector.ACUTE)
group = orgs.group_create(system=system, organisation=trust, name="Email team",
                          space=Space.TEAM)
cycle = publishing.cycle_create(system=system, name="Email", threshold=5,
                                comment_threshold=10)
today = timezone.localdate()
emails = diagnostics.assessment_create(
    group=group, cycle=cycle, title="Email round", instrument_key="trace",
    rater_kinds=["member"], opens_on=today, closes_on=today + dt.timedelta(days=30))
# The round opened yesterday, so its invitations are due at once (not at 8:00).
Assessment.objects.filter(pk=emails.pk).update(opens_on=today - dt.timedelta(days=1))
print(json.dumps({"academy": academy.pk, "poll": poll.pk, "code": poll.code,
                  "question": question.pk, "email_round": emails.pk}))
"""

QUEUE_EMAILS = """
import json, sys
import django
django.setup()
from tracelead.diagnostics.models import Assessment
from tracelead.messaging import services as messaging
assessment = Assessment.objects.get(pk=int(sys.argv[1]))
addresses = [f"person{n:06d}@example.nhs.uk" for n in range(int(sys.argv[2]))]
for start in range(0, len(addresses), messaging.MAX_EMAILS_PER_REQUEST):
    messaging.invitees_invite(assessment=assessment, rater_kind="member",
                              emails=addresses[start:start + messaging.MAX_EMAILS_PER_REQUEST])
print(json.dumps({"queued": len(addresses)}))
"""

def sending(database_url: str) -> dict[str, Any]:
    """The outbox's rows by status, and the workers running the send task (read straight
    from PostgreSQL: a Django process per look would take a second on a busy machine)."""
    url = database_url.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(url, autocommit=True) as connection:
        statuses = dict(connection.execute(
            "SELECT status, count(*) FROM messaging_outboxmessage GROUP BY status").fetchall())
        running = [row[0][-1] for row in connection.execute(
            "SELECT worker_ids FROM django_tasks_database_dbtaskresult WHERE status = "
            "'RUNNING' AND task_path = 'tracelead.messaging.tasks.send_outbox'").fetchall()
            if row[0]]
        first, last = connection.execute(
            "SELECT min(sent_at), max(sent_at) FROM messaging_outboxmessage "
            "WHERE status = 'sent'").fetchone()
    seconds = (last - first).total_seconds() if first and last else None
    return {"statuses": statuses, "running": running, "sending_seconds": seconds}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--respondents", type=int, default=2000)
    parser.add_argument("--spawn-rate", type=float, default=2,
                        help="respondents arriving a second in the fault phase")
    parser.add_argument("--think", default="2,5", help="seconds a page is read: min,max")
    parser.add_argument("--run-time", default="20m", help="the fault phase's time limit")
    parser.add_argument("--kill-every", type=float, default=30)
    parser.add_argument("--stress-users", type=int, default=40)
    parser.add_argument("--stress-seconds", type=int, default=45)
    parser.add_argument("--emails", type=int, default=1500)
    parser.add_argument("--voters", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the cluster's folder")
    return parser.parse_args(argv)


def cluster(*args: str, check: bool = True) -> str:
    done = subprocess.run(  # noqa: S603 - the project's own script
        ["/bin/bash", str(CLUSTER), *args], capture_output=True, text=True, check=False,
        timeout=600, env={**os.environ, "TRACELEAD_SIGN_IN_RATE": f"{SIGN_IN_RATE}/m"})
    if check and done.returncode:
        raise RuntimeError(
            f"scripts/cluster {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def cluster_environment(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TRACELEAD_") and k != "DATABASE_URL"}
    for line in (folder / "env").read_text().splitlines():
        match = re.fullmatch(r"export (\w+)=(.*)", line)
        if match:
            env[match[1]] = match[2].strip('"')
    env["TRACELEAD_SECRET_KEY"] = (folder / "secret_key").read_text().strip()
    env["DJANGO_SETTINGS_MODULE"] = "tracelead.settings"
    env["TRACELEAD_LOG_LEVEL"] = "CRITICAL"
    return env


def locust(env: dict[str, str], folder: Path, name: str, host: str, users: int,
           spawn_rate: float, run_time: str, think: str, tokens: list[str],
           once: bool) -> dict[str, Any]:
    token_file = folder / f"{name}-tokens.txt"
    token_file.write_text("\n".join(tokens))
    acks = folder / f"{name}-acks.txt"
    acks.touch()
    prefix = folder / name
    began = time.monotonic()
    subprocess.run(  # noqa: S603 - fixed argument list
        [PYTHON, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless",
         "-u", str(users), "-r", str(spawn_rate), "--run-time", run_time, "--host", host,
         "--csv", str(prefix), "--only-summary", "--stop-timeout", "30",
         "--loglevel", "WARNING"],
        env={**env, "TRACELEAD_LOAD_TOKENS": str(token_file), "TRACELEAD_LOAD_THINK": think,
             "TRACELEAD_LOAD_ONCE": "1" if once else "0", "TRACELEAD_LOAD_ACKS": str(acks)},
        check=False, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    figures = read_stats(prefix)
    figures["seconds"] = round(time.monotonic() - began, 1)
    lines = acks.read_text().split("\n")[:-1]
    figures["acknowledged"] = [line for line in lines if line.startswith("load ")]
    figures["shown_used_page"] = [line.split(" ", 1)[1] for line in lines
                                  if line.startswith("elsewhere ")]
    return figures


class Phone:
    def __init__(self) -> None:
        self.http = requests.Session()

    def form(self, url: str, data: dict[str, str], page: str | None = None) -> int:
        shown = self.http.get(page or url, timeout=30)
        token = CSRF.search(shown.text)
        if shown.status_code != 200 or token is None:
            return shown.status_code
        return self.http.post(url, data={**data, "csrfmiddlewaretoken": token[1]},
                              headers={"Referer": page or url}, allow_redirects=False,
                              timeout=30).status_code


def voters(base: str, ids: dict[str, Any], count: int, stop: threading.Event,
           acknowledged: Counter[int], failures: list[str]) -> None:
    """Phones join the poll and vote through the proxy, a few a second, while servers die."""
    code, question = ids["code"], ids["question"]
    for number in range(count):
        if stop.is_set():
            return
        choice = number % 3
        try:
            phone = Phone()
            joined = phone.form(f"{base}/p/{code}/", {"name": "", "sector": ""})
            voted = phone.form(f"{base}/p/{code}/vote/", {f"q{question}": str(choice)},
                               page=f"{base}/p/{code}/")
            if joined == 302 and voted == 302:
                acknowledged[choice] += 1
            else:
                failures.append(f"join {joined}, vote {voted}")
        except requests.RequestException as error:
            failures.append(type(error).__name__)
        time.sleep(0.5)


# The per-account sign-in rate for this run, below the cool-off's 10 failures, so that the
# limit met is django-ratelimit's, counted in the shared cache (Redis), not the cool-off
# (counted in the database).
SIGN_IN_RATE, RATE_PERIOD = 5, 60


def account_with_time_left(prefix: str) -> str:
    """An account name whose fixed one-minute rate window has 30 s or more left, so that
    all its tries fall in one window (django_ratelimit: the window ends at
    ``crc32(key) % 60`` seconds past the minute)."""
    for number in range(1000):
        name = f"{prefix}{number}"
        now = int(time.time())
        end = now - now % RATE_PERIOD + zlib.crc32(name.encode()) % RATE_PERIOD
        if end < now:
            end += RATE_PERIOD
        if end - now >= 30:
            return name
    raise RuntimeError("no account name with time left in its window")


def sign_in_limit(base: str, prefix: str) -> dict[str, Any]:
    """Wrong passwords for one account until the site refuses: how many were answered as
    a wrong password, and whether the refusal is the rate limit's page."""
    phone = Phone()
    username = account_with_time_left(prefix)
    for tries in range(30):
        shown = phone.http.get(f"{base}/accounts/login/", timeout=30)
        token = CSRF.search(shown.text)
        if token is None:
            return {"answered": tries, "refused_by": f"no form ({shown.status_code})"}
        answer = phone.http.post(
            f"{base}/accounts/login/", allow_redirects=False, timeout=30,
            headers={"Referer": f"{base}/accounts/login/"},
            data={"username": username, "password": f"wrong {tries}", "next": "",
                  "csrfmiddlewaretoken": token[1]})
        if answer.status_code == 429:
            refused_by = ("the rate limit (shared cache)"
                          if "Too many sign-in attempts" in answer.text else "another limit")
            return {"answered": tries, "refused_by": refused_by}
    return {"answered": 30, "refused_by": "nothing"}


def presenter_counts(bases: list[str], ids: dict[str, Any]) -> list[list[int]]:
    fran = Phone()
    fran.form(f"{bases[0]}/accounts/login/",
              {"username": "fran.facilitator", "password": PASSWORD, "next": ""})
    path = f"/academy/{ids['academy']}/polls/{ids['poll']}/live.json"
    return [fran.http.get(base + path, timeout=30).json()["results"]["counts"]
            for base in bases]


def open_poll(base: str, ids: dict[str, Any]) -> None:
    fran = Phone()
    assert fran.form(f"{base}/accounts/login/",
                     {"username": "fran.facilitator", "password": PASSWORD, "next": ""}) == 302
    presenter = f"{base}/academy/{ids['academy']}/polls/{ids['poll']}"
    fran.http.get(presenter + "/", timeout=30)
    answer = fran.http.post(presenter + "/step/", data={"action": "next"}, timeout=30,
                            headers={"X-CSRFToken": fran.http.cookies["csrftoken"],
                                     "Referer": presenter + "/", "Accept": "application/json"})
    assert answer.status_code == 200 and answer.json()["ok"], answer.text[:300]


def mail_recipients(folder: Path) -> Counter[str]:
    sent: Counter[str] = Counter()
    for path in (folder / "data" / "mail").glob("*"):
        sent.update(re.findall(r"^To: (\S+)$", path.read_text(errors="replace"), re.MULTILINE))
    return sent


def resident_mb(folder: Path, name: str) -> float:
    """Memory in use (RSS) by one process of the cluster and its children, in MB."""
    root = psutil.Process(int((folder / "pids" / name).read_text()))
    processes = [root, *root.children(recursive=True)]
    return round(sum(process.memory_info().rss for process in processes) / 1e6, 1)


def worker_ids(folder: Path) -> dict[str, str]:
    found = {}
    for name in ("worker1", "worker2"):
        match = re.search(r"worker_id=(\S+)", (folder / "logs" / f"{name}.log").read_text())
        if match:
            found[match[1]] = name
    return found


def run(args: argparse.Namespace) -> dict[str, Any]:
    top = Path(tempfile.mkdtemp(prefix="tracelead-region-"))
    top.chmod(0o755)
    folder = top / "cluster"
    figures: dict[str, Any] = {"machine_cores": os.cpu_count()}
    try:
        say("starting scripts/cluster")
        cluster("start", str(folder))
        env = cluster_environment(folder)
        proxy = f"http://127.0.0.1:{env['CLUSTER_PROXY_PORT']}"
        servers = [f"http://127.0.0.1:{port}" for port in env["CLUSTER_SERVER_PORTS"].split()]
        stress_tokens = 40 * args.stress_users * max(1, args.stress_seconds // 10)
        invitations = args.respondents + 2 * stress_tokens + stress_tokens // 4
        say(f"opening a round with {invitations} invitations")
        made = django_script(SETUP, env, str(invitations), "0")
        tokens, assessment = made["tokens"], made["assessment"]
        ids = django_script(EXTRA, env, PASSWORD)

        # Warm-up, not measured: every server's workers load their templates and code.
        warm, tokens = tokens[:stress_tokens // 4], tokens[stress_tokens // 4:]
        locust(env, folder, "warm-up", proxy, args.stress_users, args.stress_users, "15s",
               "0,0", warm, once=False)
        for name, host in (("one_server", servers[0]), ("three_servers", proxy)):
            say(f"capacity, {name}: {args.stress_users} users for {args.stress_seconds} s")
            batch, tokens = tokens[:stress_tokens], tokens[stress_tokens:]
            stress = locust(env, folder, name, host, args.stress_users,
                            args.stress_users, f"{args.stress_seconds}s", "0,0", batch,
                            once=False)
            stress.pop("acknowledged")
            stress.pop("shown_used_page")
            stress.pop("pages")
            figures[f"capacity_{name}"] = stress
        figures["memory_mb"] = {name: resident_mb(folder, name)
                                for name in ("web1", "worker1", "scheduler", "redis")}
        figures["scaling_factor"] = round(
            figures["capacity_three_servers"]["rps"] / figures["capacity_one_server"]["rps"], 2)

        say("fault phase: opening the poll")
        open_poll(proxy, ids)
        stop = threading.Event()
        kills: list[str] = []
        restarts: list[float] = []  # seconds from restart to ready, per kill
        worker_kill: dict[str, Any] = {}

        def kill_the_sending_worker() -> None:
            """SIGKILL the worker running the send task once part of the batch is out."""
            names = worker_ids(folder)
            deadline = time.monotonic() + 300
            while not stop.is_set() and time.monotonic() < deadline:
                state = sending(env["DATABASE_URL"])
                sent = state["statuses"].get("sent", 0)
                victim = names.get(state["running"][0]) if state["running"] else None
                if victim and sent >= min(50, args.emails // 10):
                    cluster("kill", victim, str(folder))
                    worker_kill.update(worker=victim, sent_before=sent,
                                       pending=state["statuses"].get("pending", 0))
                    time.sleep(5)
                    cluster("restart", victim, str(folder))
                    return
                time.sleep(0.1)

        def kill_servers() -> None:
            """Every --kill-every seconds, SIGKILL the next server and start it again; note
            how long it takes to answer /readyz (HAProxy's check) after the restart."""
            number = 0
            next_kill = time.monotonic() + args.kill_every
            while not stop.wait(max(0.0, next_kill - time.monotonic())):
                next_kill += args.kill_every
                victim = f"web{number % 3 + 1}"
                port = servers[number % 3]
                number += 1
                cluster("kill", victim, str(folder))
                kills.append(victim)
                began = time.monotonic()
                cluster("restart", victim, str(folder))
                while not stop.is_set() and time.monotonic() < began + 120:
                    try:
                        if requests.get(port + "/readyz", timeout=5).status_code == 200:
                            restarts.append(round(time.monotonic() - began, 1))
                            break
                    except requests.RequestException:
                        pass
                    time.sleep(0.2)

        votes: Counter[int] = Counter()
        vote_failures: list[str] = []
        threads = [threading.Thread(target=kill_the_sending_worker, daemon=True),
                   threading.Thread(target=kill_servers, daemon=True),
                   threading.Thread(target=voters, daemon=True, args=(
                       proxy, ids, args.voters, stop, votes, vote_failures))]
        for thread in threads:
            thread.start()
        say("fault phase: queueing email")
        django_script(QUEUE_EMAILS, env, str(ids["email_round"]), str(args.emails))
        say(f"fault phase: {args.respondents} respondents through the proxy")
        chaos = locust(env, folder, "faults", proxy, args.respondents, args.spawn_rate,
                       args.run_time, args.think, tokens[:args.respondents], once=True)
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        acknowledged = Counter(chaos.pop("acknowledged"))
        shown_used = chaos.pop("shown_used_page")
        tried = chaos.pop("pages").get("GET introduction", {}).get("requests", 0)
        # Every server up again before counting through each of them.
        for victim in ("web1", "web2", "web3"):
            if not (folder / "pids" / victim).exists():
                cluster("restart", victim, str(folder))
        for base in servers:
            for _ in range(240):
                try:
                    if requests.get(base + "/readyz", timeout=5).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                time.sleep(0.5)

        stored = Counter(django_script(COUNT, env, str(assessment)))
        markers = {f"load {token[:8]}" for token in tokens[:args.respondents]}
        figures["faults"] = {
            **chaos,
            "respondents": args.respondents,
            "respondents_who_started": tried,
            "servers_killed": len(kills),
            "seconds_to_ready_after_restart": restarts,
            "acknowledged": sum(acknowledged.values()),
            # Acknowledged, or shown the "used" page after a retry, and not stored.
            "lost": sum(1 for marker in [*acknowledged, *shown_used] if stored[marker] == 0),
            "doubled": sum(1 for marker in markers if stored[marker] > 1),
            # Stored, but the client never saw the acknowledgement (the question is then
            # only that they are stored once: "doubled").
            "stored_not_acknowledged": sum(1 for marker in markers
                                           if stored[marker] and marker not in acknowledged),
            # Of those: the submission reached a server that stored it and died before
            # answering; HAProxy sent it again, and the second server showed the link's
            # "used" page (the same page whether used or held elsewhere, by design).
            "shown_used_page_after_a_retry": len(shown_used),
            "shown_used_page_stored_once": sum(1 for marker in shown_used
                                               if stored[marker] == 1),
        }

        say("waiting for the email batch to finish")
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            state = sending(env["DATABASE_URL"])
            if not state["statuses"].get("pending"):
                break
            time.sleep(2)
        recipients = mail_recipients(folder)
        figures["email"] = {
            "queued": args.emails, "worker_killed": worker_kill,
            "statuses": state["statuses"],
            # From the first message sent to the last, by two workers, one killed and
            # restarted on the way (its task is asked for again by the scheduler).
            "sending_seconds": state["sending_seconds"],
            "missing": sum(1 for n in range(args.emails)
                           if recipients[f"person{n:06d}@example.nhs.uk"] == 0),
            "sent_twice": sum(1 for count in recipients.values() if count > 1),
        }

        counts = presenter_counts(servers, ids)
        expected = [votes[choice] for choice in range(3)]
        timeouts = sum(1 for failure in vote_failures if "Timeout" in failure)
        figures["poll"] = {
            "acknowledged": sum(votes.values()), "failed": len(vote_failures),
            "failures": Counter(vote_failures), "acknowledged_counts": expected,
            "counts_read_through_each_server": counts,
            # The presenter's count is the same through every server...
            "same_everywhere": all(count == counts[0] for count in counts),
            # ...no acknowledged vote is missing, and any extra is a vote whose phone gave
            # up waiting (a timeout) after the server had stored it.
            "lost": sum(max(0, want - got) for want, got in zip(expected, counts[0],
                                                               strict=True)),
            "stored_after_a_timeout": sum(counts[0]) - sum(expected),
            "timeouts": timeouts,
        }
        figures["sign_in_limit"] = {
            "rate": f"{SIGN_IN_RATE}/m",
            "through_the_proxy": sign_in_limit(proxy, "nobody.proxy"),
            "one_server_alone": sign_in_limit(servers[0], "nobody.alone"),
        }
        figures["load_average"] = os.getloadavg()
    finally:
        cluster("stop", str(folder), check=False)
        if args.keep:
            say(f"kept {folder}")
        else:
            shutil.rmtree(top, ignore_errors=True)
    return figures


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    random.seed(0)
    figures = run(args)
    print(json.dumps(figures, indent=2))
    faults, email, poll = figures["faults"], figures["email"], figures["poll"]
    limits = figures["sign_in_limit"]
    ok = (faults["lost"] == 0 and faults["doubled"] == 0 and email["missing"] == 0
          and email["sent_twice"] <= 1 and poll["same_everywhere"] and poll["lost"] == 0
          and 0 <= poll["stored_after_a_timeout"] <= poll["timeouts"]
          and limits["through_the_proxy"] == limits["one_server_alone"]
          == {"answered": SIGN_IN_RATE, "refused_by": "the rate limit (shared cache)"}
          # The faults happened, and every respondent came.
          and faults["servers_killed"] > 0 and email["worker_killed"].get("pending", 0) > 0
          and faults["respondents_who_started"] == faults["respondents"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
