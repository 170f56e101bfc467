"""360 feedback through the web: raters answer once through their links, the report is made
only when the round closes, a confidential kind under three raters is never shown (page,
CSV, API), the leader reads their own report and no one else outside the facilitators does,
and the board reads only summaries of at least five holders."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tracelead.strategy import feedback, services
from tracelead.strategy.models import FeedbackAnswer, FeedbackRound

pytestmark = pytest.mark.django_db


def _client(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def _plain(response: Any) -> str:
    """The page's words without its tags."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ",
                                                     response.content.decode())))


@pytest.fixture
def strategy(organisation: Any) -> Any:
    made = services.strategy_create(organisation=organisation)
    services.position_save(strategy=made, title="Ward manager", needed=12, in_post=10)
    return made


def _links(fran: Client, organisation: Any, round_: FeedbackRound, kind: str,
           labels: list[str]) -> list[str]:
    """Ask raters (name and address on each line); their links come by email only."""
    from tracelead.messaging.models import OutboxMessage

    page = reverse("strategy_feedback_round", args=[organisation.pk, round_.pk])
    addresses = [f"{label.lower().replace(' ', '.')}.{round_.pk}@nhs.net" for label in labels]
    lines = [f"{label}, {address}" for label, address in zip(labels, addresses, strict=True)]
    response = fran.post(page, {"kind": kind, "raters": "\n".join(lines)}, follow=True)
    assert response.status_code == 200, _text(response)
    assert "/360/" not in response.content.decode()  # the asker never sees a link
    made = []
    for address in addresses:
        (message,) = OutboxMessage.objects.filter(to=address)
        made.extend(re.findall(r"/360/([\w-]+)/", message.body))
    return made


def _links_to(fran: Client, organisation: Any, round_: FeedbackRound, kind: str,
              line: str) -> list[str]:
    from tracelead.messaging.models import OutboxMessage

    page = reverse("strategy_feedback_round", args=[organisation.pk, round_.pk])
    response = fran.post(page, {"kind": kind, "raters": line}, follow=True)
    assert response.status_code == 200, _text(response)
    (message,) = OutboxMessage.objects.filter(to=line.split(",")[1].strip())
    return re.findall(r"/360/([\w-]+)/", message.body)


def _answer(token: str, keys: list[str], value: int | str) -> Any:
    return _client().post(reverse("feedback_answer", args=[token]),
                          {f"b-{k}": str(value) for k in keys})


def _start(fran: Client, organisation: Any, strategy: Any, name: str = "Asha Patel",
           email: str = "") -> FeedbackRound:
    position = strategy.positions.get(title="Ward manager")
    response = fran.post(reverse("strategy_feedback_new", args=[organisation.pk]), {
        "leader_name": name, "leader_email": email, "position": str(position.pk),
        "closes_on": (timezone.localdate() + dt.timedelta(days=14)).isoformat()})
    assert response.status_code == 302, _text(response)
    return FeedbackRound.objects.filter(leader_name=name).latest("pk")


def test_a_round_from_asking_to_the_report(facilitator: Any, viewer: Any, make_user: Any,
                                           organisation: Any, strategy: Any) -> None:
    leader = make_user("asha")
    leader.email = "asha.patel@nhs.net"
    leader.save()
    fran = _client(facilitator)
    round_ = _start(fran, organisation, strategy, email="Asha.Patel@nhs.net")
    assert round_.leader == leader  # matched by address, whatever its case
    keys = list(round_.behaviours)
    every = [b.key for b in round_.framework.behaviours.filter(kind="every")]
    assert keys == every and len(keys) >= 5

    # Links: one self, one line manager (a second is refused), three peers, two reports.
    me, = _links_to(fran, organisation, round_, "self", "Asha, asha.patel@nhs.net")
    boss, = _links(fran, organisation, round_, "manager", ["Sam"])
    from tracelead.messaging.models import OutboxMessage

    invitation = OutboxMessage.objects.get(to=f"sam.{round_.pk}@nhs.net")
    assert "shown in the report as the line manager's" in invitation.body
    assert invitation.subject == "360 feedback for Asha Patel"
    again = fran.post(reverse("strategy_feedback_round", args=[organisation.pk, round_.pk]),
                      {"kind": "manager", "raters": "Another, another@nhs.net"})
    assert again.status_code == 400 and "one line manager link" in _text(again)
    # The leader only as themself; the asker never; nobody twice; a bad line by number.
    for kind, line, message in (
            ("peer", "Asha, asha.patel@NHS.net", "the leader's own address"),
            ("peer", f"Me, {facilitator.email or 'fran@nhs.net'}", "your own address"),
            ("report", f"Sam again, sam.{round_.pk}@nhs.net", "asked already"),
            ("peer", "Kim Ray, kim.ray@nhs.net\nno address here", "Line 2: give a name")):
        if "your own" in message and not facilitator.email:
            facilitator.email = "fran@nhs.net"
            facilitator.save()
        refused = fran.post(reverse("strategy_feedback_round",
                                    args=[organisation.pk, round_.pk]),
                            {"kind": kind, "raters": line})
        assert refused.status_code == 400 and message in _text(refused), message
    peers = _links(fran, organisation, round_, "peer", ["P1", "P2", "P3"])
    reports = _links(fran, organisation, round_, "report", ["R1", "R2"])
    assert len(peers) == 3 and len(reports) == 2
    assert round_.raters.count() == 7

    # The rater is told how their answer is shown; a missing rating re-renders with errors.
    page = _client().get(reverse("feedback_answer", args=[boss]))
    assert "shown in the report as the line manager's" in _text(page)
    partial = _client().post(reverse("feedback_answer", args=[boss]), {f"b-{keys[0]}": "4"})
    assert partial.status_code == 400 and "There is a problem" in _text(partial)
    assert FeedbackAnswer.objects.count() == 0

    assert _answer(me, keys, 5).status_code == 200
    assert _answer(boss, keys, 3).status_code == 200
    for token, value in zip(peers, [4, 5, 3], strict=True):
        assert _answer(token, keys, value).status_code == 200
    for token in reports:
        assert _answer(token, keys, 1).status_code == 200
    # One answer a link.
    twice = _answer(peers[0], keys, 1)
    assert "already" in _text(twice) and FeedbackAnswer.objects.count() == 7
    assert _client().get(reverse("feedback_answer", args=["nope"])).status_code == 404

    # No report while open, for anyone; the viewer does not reach the round at all.
    report_url = reverse("strategy_feedback_report", args=[organisation.pk, round_.pk])
    assert "made when the round closes" in _text(fran.get(report_url))
    assert fran.get(f"/api/v1/feedback/{round_.pk}").json()["report"] is None
    assert _client(viewer).get(report_url).status_code == 404
    assert _client(viewer).get(reverse("strategy_feedback_round",
                                       args=[organisation.pk, round_.pk])).status_code == 404
    progress = _plain(fran.get(reverse("strategy_feedback_round",
                                      args=[organisation.pk, round_.pk])))
    # Asked and answered by kind, never who; a confidential kind's count only from three.
    assert "Direct reports 2 fewer than 3" in progress and "Peers 3 3" in progress
    assert "Line manager 1 1" in progress

    unused, = _links(fran, organisation, round_, "other", ["Never answers"])
    assert fran.post(reverse("strategy_feedback_close",
                             args=[organisation.pk, round_.pk])).status_code == 302
    # No more raters, and no more answers, once closed.
    closed = fran.post(reverse("strategy_feedback_round", args=[organisation.pk, round_.pk]),
                       {"kind": "peer", "labels": "Late"})
    assert closed.status_code == 400 and "closed" in _text(closed)
    late = _answer(unused, keys, 5)
    assert "closed" in _text(late) and FeedbackAnswer.objects.count() == 7

    # The report: peers 4.0 (3), reports not shown, everyone but you (3 + 12) / 4 = 3.75.
    for reader in (fran, _client(leader)):
        text = _plain(reader.get(report_url))
        row = re.search(rf'id="report-{keys[0]}">(.*?)</tr>', reader.get(report_url)
                        .content.decode(), re.S)
        assert row is not None, _plain(reader.get(report_url))[-1500:]
        cells = re.findall(r'data-kind="(\w+)">(.*?)</td>', row.group(1), re.S)
        shown = {kind: re.sub(r"<[^>]+>", "", value).strip() for kind, value in cells}
        assert shown == {"self": "5.0 (1)", "manager": "3.0 (1)", "peer": "4.0 (3)",
                         "report": "not shown", "other": "not shown",
                         "others": "3.8 (4)"}
        assert "Direct reports 2" not in text  # the answer count of a hidden kind neither
    data = list(csv.reader(io.StringIO(fran.get(report_url + "?format=csv")
                                       .content.decode())))
    header, first = data[0], data[1]
    assert first[header.index("Direct reports mean")] == "not shown"
    assert first[header.index("Direct reports raters")] == ""
    assert first[header.index("Everyone but self mean")] == "3.75"
    assert "1.00" not in ",".join(",".join(r) for r in data)  # the reports' ratings

    # The API gives the same figures to the same readers, and nothing of the hidden kind.
    api = f"/api/v1/feedback/{round_.pk}"
    body = _client(leader).get(api).json()
    first_row = body["report"]["behaviours"][0]
    assert body["state"] == "closed" and first_row["by_kind"]["report"] is None
    assert first_row["by_kind"]["peer"] == {"n": 3, "mean": 4.0, "leaders": 1}
    assert first_row["everyone_but_self"] == {"n": 4, "mean": 3.75}
    assert "report" not in body["report"]["raters"]
    assert _client(viewer).get(api).status_code == 404

    # Another signed-in person who is neither the leader nor a facilitator: 404.
    stranger = make_user("stranger")
    assert _client(stranger).get(report_url).status_code == 404
    mine = _text(_client(leader).get(reverse("my_feedback")))
    assert "your report" in mine


def test_a_rating_not_seen_can_take_a_kind_under_three(facilitator: Any, organisation: Any,
                                                       strategy: Any) -> None:
    fran = _client(facilitator)
    round_ = _start(fran, organisation, strategy)
    keys = list(round_.behaviours)
    peers = _links(fran, organisation, round_, "peer", ["A", "B", "C"])
    _answer(peers[0], keys, 4)
    _answer(peers[1], keys, 4)
    third = {f"b-{k}": "2" for k in keys}
    third[f"b-{keys[1]}"] = "none"
    _client().post(reverse("feedback_answer", args=[peers[2]]), third)
    feedback.round_close(round_)
    report = feedback.round_report(round_)
    assert report.rows[0].cells["peer"].shown and report.rows[0].cells["peer"].n == 3
    assert not report.rows[1].cells["peer"].shown  # two rated it
    assert not report.rows[1].others.shown  # and nothing else is there to pool
    assert report.rows[0].others.mean == pytest.approx(10 / 3)


def test_the_board_reads_only_summaries_of_five_holders(
        facilitator: Any, viewer: Any, organisation: Any, strategy: Any) -> None:
    fran = _client(facilitator)
    rounds = []
    for n in range(5):
        r = _start(fran, organisation, strategy, name=f"Leader {n}",
                   email=f"leader{n}@nhs.net")
        keys = list(r.behaviours)
        boss, = _links(fran, organisation, r, "manager", ["M"])
        _answer(boss, keys, n + 1)
        for token in _links(fran, organisation, r, "peer", ["A", "B", "C"]):
            _answer(token, keys, 4)
        rounds.append(r)
    summary_url = reverse("strategy_feedback_summary",
                          args=[organisation.pk, strategy.positions.get().pk])
    for r in rounds[:4]:
        feedback.round_close(r)
    refused = fran.post(summary_url, follow=True)
    assert "at least 5 different holders" in _text(refused)
    # The same person twice, or a round with no address, does not make five leaders.
    again_4 = _start(fran, organisation, strategy, name="Leader 3 again", email="LEADER3@nhs.net")
    nameless = _start(fran, organisation, strategy, name="No address")
    for r in (again_4, nameless):
        for token in _links(fran, organisation, r, "peer", ["A", "B", "C"]):
            _answer(token, list(r.behaviours), 4)
    feedback.round_close(again_4)
    feedback.round_close(nameless)
    assert feedback.summary_ready(strategy.positions.get()) == 4
    assert "at least 5 different holders" in _text(fran.post(summary_url, follow=True))
    assert not strategy.positions.get().feedback_summaries.exists()
    feedback.round_close(rounds[4])
    assert _client(viewer).post(summary_url).status_code == 403
    made = _text(fran.post(summary_url, follow=True))
    assert "Made the summary of 5 holders" in made

    board = _client(viewer)
    text = _plain(board.get(summary_url))
    # Peers 4.0 from 15 raters of 5 leaders. The line managers (1..5) are left out: one
    # who managed four of the five could take their own ratings from the pooled mean.
    assert "4.0 (15 from 5 leaders)" in text and "3.0 (5 from 5 leaders)" not in text
    stored = feedback.summary_report(strategy.positions.get().feedback_summaries.get())
    assert not any(r.cells["manager"].shown or r.cells["self"].shown for r in stored.rows)
    assert stored.rows[0].others.mean == pytest.approx(4.0)
    listing = _text(board.get(reverse("strategy_feedback", args=[organisation.pk])))
    assert "Leader 0" not in listing and "Start 360 feedback" not in listing
    # The rounds counted are not counted again.
    again = _text(fran.post(summary_url, follow=True))
    assert "1 is ready" in again  # the earlier round of Leader 3, counted once only


def test_the_demo_has_ward_managers_360_and_the_surgical_dac_beside_trace(
        db: Any, settings: Any) -> None:
    from django.contrib.auth import get_user_model

    from tracelead.demo import DEMO_USERNAME, ORGANISATIONS, demo_load
    from tracelead.diagnostics.models import Assessment
    from tracelead.organisations.models import Organisation

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    demo_load()
    trust = Organisation.objects.get(name=ORGANISATIONS["acute"][0])
    ward = trust.strategy.positions.get(title="Ward manager")
    summary = ward.feedback_summaries.get()
    assert summary.table["leaders"] == 6
    report = feedback.summary_report(summary)
    others = {r.key: r.others.mean for r in report.rows}
    # The story: dealing with poor performance is seen least often, compassion most.
    assert min(others, key=lambda k: others[k] or 9) == "poor-performance"
    assert max(others, key=lambda k: others[k] or 0) == "compassion"
    # The board sees no self or line-manager figure, nor "others" (two answers each).
    assert not any(r.cells[kind].shown for r in report.rows
                   for kind in ("self", "manager", "other"))
    # In their own reports, the ward managers rate themselves above others on using data.
    gaps = []
    for r in trust.strategy.feedback_rounds.filter(position=ward):
        row = next(b for b in feedback.round_report(r).rows if b.key == "using-data")
        if row.cells["self"].mean is not None and row.others.mean is not None:
            gaps.append(row.cells["self"].mean - row.others.mean)
    assert len(gaps) >= 4 and sum(gaps) / len(gaps) > 0.5
    assert all(r.cells["report"].leaders >= 5 for r in report.rows if r.cells["report"].shown)
    matron = trust.strategy.feedback_rounds.get(leader_name="Helen Carter")
    assert feedback.is_open(matron)

    client = _client(get_user_model().objects.get(username=DEMO_USERNAME))
    dac = Assessment.objects.get(instrument_key="dac")
    page = _text(client.get(reverse("report_group", args=[dac.pk])))
    assert 'id="beside"' in page and dac.group.name == "Surgical Division management team"
    listing = _plain(client.get(reverse("strategy_feedback", args=[trust.pk])))
    assert "Helen Carter" in listing and "6 holders" in listing


def test_no_one_reaches_another_organisations_round_through_their_own(
        facilitator: Any, make_user: Any, system: Any, organisation: Any,
        strategy: Any) -> None:
    """A facilitator of one organisation asks for another organisation's round under
    their own organisation's id, on every page and the API: the same 404 as no round."""
    from tracelead.organisations.models import Sector, SystemMembership, SystemRole
    from tracelead.organisations.services import organisation_create

    fran = _client(facilitator)
    theirs = _start(fran, organisation, strategy)
    feedback.round_close(theirs)
    mine = organisation_create(system=system, name="Vale Council", sector=Sector.LOCAL_AUTHORITY)
    services.strategy_create(organisation=mine)
    local = make_user("local.fac")
    SystemMembership.objects.create(user=local, system=system, role=SystemRole.FACILITATOR,
                                    organisation=mine)
    client = _client(local)
    for name in ("strategy_feedback_round", "strategy_feedback_close",
                 "strategy_feedback_report"):
        url = reverse(name, args=[mine.pk, theirs.pk])
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code in {403, 404}, url
    assert client.get(f"/api/v1/feedback/{theirs.pk}").status_code == 404
    assert not FeedbackRound.objects.filter(pk=theirs.pk, closed_at__isnull=True).exists()
