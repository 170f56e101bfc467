"""Locust user: a respondent working through the TRACE questionnaire by invitation.

Run by ``benchmarks/load.py``, which starts PostgreSQL and gunicorn, creates the
invitations and passes them in ``TRACELEAD_LOAD_TOKENS`` (a file with one token a line).
Each user takes an unused invitation, reads the introduction, starts, answers the five
condition pages and submits the free-text page, pausing between pages as a person reads
(``TRACELEAD_LOAD_THINK``, "min,max" seconds), then takes the next invitation.
Every request names the kind of page, so the figures come per page as well as overall.

With ``TRACELEAD_LOAD_ONCE=1`` (``benchmarks/cluster_load.py``) each user is one respondent
who answers once and then stays idle (so respondents arrive at Locust's spawn rate), and
Locust stops when every invitation has been tried: the run is bounded in count as well as
in time. ``TRACELEAD_LOAD_ACKS`` names a file that gets
one line per acknowledged submission (its "one change" marker), to be checked against the
database afterwards.
"""

from __future__ import annotations

import html
import os
import random
import re
from pathlib import Path

import gevent
from locust import FastHttpUser, between, task
from locust.exception import StopUser

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CONDITIONS = ("task", "route", "alignment", "capability", "energy")
TOKENS = Path(os.environ.get("TRACELEAD_LOAD_TOKENS", "/nonexistent")).read_text().split() \
    if os.environ.get("TRACELEAD_LOAD_TOKENS") else []
THINK = tuple(float(x) for x in os.environ.get("TRACELEAD_LOAD_THINK", "20,40").split(","))
ONCE = os.environ.get("TRACELEAD_LOAD_ONCE") == "1"
ACKS = os.environ.get("TRACELEAD_LOAD_ACKS")
TOTAL = len(TOKENS)
finished = 0  # respondents done, whether or not they got through (ONCE mode)


class Respondent(FastHttpUser):
    wait_time = between(*THINK)

    def _expect(self, method: str, url: str, name: str, status: int, **kwargs):
        call = self.client.get if method == "GET" else self.client.post
        with call(url, name=name, allow_redirects=False, catch_response=True, **kwargs) as r:
            if r.status_code != status:
                r.failure(f"{name}: {r.status_code}, expected {status}")
                raise StopUser
            r.success()
            return r

    @task
    def answer_the_questionnaire(self) -> None:
        if not ONCE:
            if not TOKENS:
                raise StopUser
            self._answer(TOKENS.pop())
            return
        global finished
        if TOKENS:
            try:
                self._answer(TOKENS.pop())
            except StopUser:
                pass  # counted as a failure by _expect; this respondent leaves
            finally:
                finished += 1
                if finished >= TOTAL:
                    # From a greenlet of its own: quitting stops every user, this one too,
                    # which would cut the quit short if this user made it.
                    gevent.spawn(self.environment.runner.quit)
        # A respondent who has answered stays, idle, until the run ends: Locust replaces a
        # user who stops with a new one at once, so the spawn rate would not be the rate at
        # which respondents arrive, and the load would climb until the machine saturated.
        while True:
            gevent.sleep(3600)

    def _answer(self, token: str) -> None:
        self.client.cookiejar.clear()
        intro = self._expect("GET", f"/r/{token}/", "GET introduction", 200)
        csrf = html.unescape(CSRF.search(intro.text).group(1))
        headers = {"Referer": f"{self.host}/r/{token}/"}
        self.wait()
        self._expect("POST", f"/r/{token}/", "POST start", 302,
                     data={"csrfmiddlewaretoken": csrf}, headers=headers)
        value = random.randrange(5)
        for page, condition in enumerate(CONDITIONS, start=1):
            self._expect("GET", f"/r/{token}/{page}/", "GET condition page", 200)
            self.wait()
            answers = {f"{condition}_{n}": str((value + n) % 5 + 1) for n in range(1, 8)}
            self._expect("POST", f"/r/{token}/{page}/", "POST condition page", 302,
                         data={**answers, "action": "next", "csrfmiddlewaretoken": csrf},
                         headers=headers)
        self._expect("GET", f"/r/{token}/6/", "GET free-text page", 200)
        self.wait()
        done = self._expect("POST", f"/r/{token}/6/", "POST submit", 302,
                            data={"one_change": f"load {token[:8]}", "action": "submit",
                                  "csrfmiddlewaretoken": csrf}, headers=headers)
        if done.headers.get("Location") != "/r/done/":
            # The link's "used or held elsewhere" page: after a proxy's retry of a submission
            # that a server stored and died before acknowledging (the benchmark counts it).
            if ACKS:
                with open(ACKS, "a") as acks:
                    acks.write(f"elsewhere load {token[:8]}\n")
            raise StopUser
        if ACKS:
            with open(ACKS, "a") as acks:
                acks.write(f"load {token[:8]}\n")
        self._expect("GET", "/r/done/", "GET thank you", 200)
