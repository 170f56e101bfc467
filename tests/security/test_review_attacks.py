"""Attacks found by an insider review of the disclosure gate, each kept as a test.

Each test states the property that must hold; before the fixes each one failed (a
response exposed by a race, the self rating filling the others' threshold, a moved group
behind a rollup, sums of squares behind a published spread, a refused publication taking
the reports down, a rollup waiting for ever, verification switched on after the fact).
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client

from tracelead.instruments import get_instrument
from tracelead.organisations import services as org_services
from tracelead.organisations.models import Group, Space, SystemMembership, SystemRole
from tracelead.publishing import gate
from tracelead.publishing.models import Cycle, Publication


def _csv_rows(client: Any, assessment: Any) -> list[list[str]]:
    response = client.get(f"/reports/assessments/{assessment.pk}/report.csv")
    if response.status_code != 200:
        return []
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    return rows[1:]


def _heatmap(client: Any, cycle: Any) -> dict[str, Any]:
    body = client.get(f"/api/v1/cycles/{cycle.pk}/groups").json()
    return {row["name"]: row for row in body["groups"]}


@pytest.fixture
def directorate(system: Any, organisation: Any) -> Any:
    return org_services.group_create(system=system, organisation=organisation,
                                     name="Medicine directorate", space=Space.ORGANISATION)


def _ward(system: Any, organisation: Any, parent: Any, name: str) -> Any:
    return org_services.group_create(system=system, organisation=organisation, parent=parent,
                                     name=name, space=Space.TEAM)


# 1. A response that arrives while a publication is being decided -------------------------

def test_a_response_submitted_during_a_publication_is_in_the_csv_but_not_in_the_figures(
    system: Any, organisation: Any, facilitator: Any, viewer: Any, make_assessment: Any,
    add_responses: Any, monkeypatch: Any,
) -> None:
    """publish() reads the responses in decide(), then marks *every* unpublished response
    of the joining rounds with the new publication (an UPDATE filtered on
    publication IS NULL). A response committed in between is not in the frozen figures
    but is in the response-level CSV (which reads Response.publication). Comparing the
    CSV with the published item counts isolates that one (late, timed) response."""
    team = _ward(system, organisation, None, "Ward 7")
    cycle = Cycle.objects.create(system=system, name="Autumn 2026")
    live = make_assessment(team, cycle=cycle)
    add_responses(live, [4] * 5)
    real_decide = gate.decide

    def racing_decide(*args: Any, **kwargs: Any) -> Any:
        result = real_decide(*args, **kwargs)
        # The named person presses "submit" while the gate is still deciding.
        add_responses(live, [1])
        return result

    monkeypatch.setattr(gate, "decide", racing_decide)
    fac = Client()
    fac.force_login(facilitator)
    assert fac.post(f"/assessments/{live.pk}/publish/").status_code == 302
    assert Publication.objects.filter(cycle=cycle).count() == 1
    vic = Client()
    vic.force_login(viewer)
    body = vic.get(f"/api/v1/assessments/{live.pk}/results").json()
    rows = _csv_rows(vic, live)
    # The figures say 5 people; the CSV lists 6 rows: the extra row is the late answer.
    assert body["n_responses"] == len(rows), (
        f"figures n={body['n_responses']} but the CSV has {len(rows)} rows; the CSV row "
        "that is not in the item counts is the response submitted during publication")


# 2. The self rating fills the threshold for the others ------------------------------------

def test_the_self_rating_does_not_fill_the_threshold_that_protects_the_others(
    system: Any, organisation: Any, facilitator: Any, make_user: Any, make_assessment: Any,
    add_responses: Any, close_and_publish: Any,
) -> None:
    """Threshold 5: the leader's self rating and 4 colleagues. Self-and-others is withheld
    (others < threshold) but the round's own figures and its response CSV are shown with
    n = 5. The leader (a viewer of their team, who knows their own answers) removes
    their own row and reads the 4 colleagues' rows."""
    team = _ward(system, organisation, None, "Ward 9")
    cycle = Cycle.objects.create(system=system, name="Autumn 2026")
    rnd = make_assessment(team, cycle=cycle, rater_kinds=("self", "member"))
    add_responses(rnd, [5], rater_kind="self")
    add_responses(rnd, [1, 2, 3, 4])
    close_and_publish(rnd)
    leader = make_user("lee.leader")
    SystemMembership.objects.create(user=leader, system=system, role=SystemRole.VIEWER,
                                    group=team)
    c = Client()
    c.force_login(leader)
    body = c.get(f"/api/v1/assessments/{rnd.pk}/results").json()
    rows = _csv_rows(c, rnd)
    mine = ["5"] * len(get_instrument("trace").item_keys)
    others = [r for r in rows if r[6:] != mine]
    assert body["state"] != "shown" or len(others) >= 5, (
        f"state {body['state']}, n={body['n_responses']}: the leader reads "
        f"{len(others)} colleagues' rows: {sorted({r[6] for r in others})}")


# 3. A rollup whose child round held back late responses is never shown ---------------------

def test_a_rollup_is_shown_once_every_round_under_it_has_closed(
    system: Any, organisation: Any, directorate: Any, viewer: Any, facilitator: Any,
    make_assessment: Any, add_responses: Any, close_and_publish: Any,
) -> None:
    """Ward A had a publishing point (5), then 2 late answers arrived before it closed.
    Those 2 are held back for ever (the round is closed: no more can come), and
    decide() requires ``not r.held_back`` for ``complete``: the directorate's rollup
    is never published in this cycle, and the heatmap calls it "hidden" (too few /
    protecting a smaller group), which is not true."""
    a = _ward(system, organisation, directorate, "Ward A")
    b = _ward(system, organisation, directorate, "Ward B")
    cycle = Cycle.objects.create(system=system, name="Autumn 2026")
    ra = make_assessment(a, cycle=cycle, title="A")
    rb = make_assessment(b, cycle=cycle, title="B")
    add_responses(ra, [4] * 5)
    fac = Client()
    fac.force_login(facilitator)
    assert fac.post(f"/assessments/{ra.pk}/publish/").status_code == 302
    add_responses(ra, [3, 3])
    add_responses(rb, [2] * 6)
    close_and_publish(ra, rb)
    vic = Client()
    vic.force_login(viewer)
    rows = _heatmap(vic, cycle)
    assert rows["Ward A"]["status"] == "shown" and rows["Ward B"]["status"] == "shown"
    assert rows["Medicine directorate"]["status"] == "shown", rows["Medicine directorate"]


# 4. A group moved after publication: the scope test uses today's tree ----------------------

def test_a_scoped_viewer_never_sees_a_rollup_that_held_a_group_outside_their_scope(
    system: Any, organisation: Any, directorate: Any, facilitator: Any, make_user: Any,
    make_assessment: Any, add_responses: Any, close_and_publish: Any,
) -> None:
    """A frozen rollup covers its subtree *as it was* when published (table["tree"]),
    but many_groups_report decides "every group in it is within the viewer's scope" on
    today's tree. Once the council team is moved out (admin, or a structure import),
    the organisation viewer sees the directorate's rollup, which still contains the
    council team: rollup - own round - wards = the out-of-scope team's figures."""
    from tracelead.organisations.models import Sector

    wa = _ward(system, organisation, directorate, "Ward A")
    other = org_services.organisation_create(system=system, name="Vale Council",
                                             sector=Sector.LOCAL_AUTHORITY)
    guest = org_services.group_create(system=system, organisation=other, parent=directorate,
                                      name="Council liaison", space=Space.TEAM)
    cycle = Cycle.objects.create(system=system, name="Autumn 2026")
    ra = make_assessment(wa, cycle=cycle, title="A")
    rg = make_assessment(guest, cycle=cycle, title="Liaison")
    add_responses(ra, [4] * 6)
    add_responses(rg, [1] * 6)
    close_and_publish(ra, rg)
    olga = make_user("olga.orgviewer")
    SystemMembership.objects.create(user=olga, system=system, role=SystemRole.VIEWER,
                                    organisation=organisation)
    c = Client()
    c.force_login(olga)
    assert _heatmap(c, cycle)["Medicine directorate"]["status"] != "shown"
    # An ordinary structural change: the council team no longer sits in the directorate.
    Group.objects.filter(pk=guest.pk).update(parent=None)
    row = _heatmap(c, cycle)["Medicine directorate"]
    ward = _heatmap(c, cycle)["Ward A"]
    assert row["status"] != "shown", (
        f"Olga now sees the directorate rollup n={row['n']} (Ward A n={ward['n']}): "
        f"{row['n'] - ward['n']} people of the council team")


# 5. The greedy fix hides the wrong row and the cycle can never be published again ---------

def test_adding_a_round_to_a_published_cycle_does_not_make_every_report_fail(
    system: Any, organisation: Any, directorate: Any, viewer: Any, make_assessment: Any,
    add_responses: Any, close_and_publish: Any,
) -> None:
    """Publication 1: directorate D = Y (5) + X (2). X is hidden; the hierarchy hides Y
    too (or D). Then a round for a new ward Z (3) is added to the same cycle and closes.
    For publication 2 the hierarchy picks Z as X's complement and shows Y; with D of
    publication 1 that determines X. The greedy fix looks only for candidate rows that
    *touch* X: it hides D (publication 2) and then finds none, so it raises
    PublishRefused although hiding Y would do. publish_due runs on every read, so
    every page of the system fails from then on."""
    y = _ward(system, organisation, directorate, "Ward Y")
    x = _ward(system, organisation, directorate, "Ward X")
    cycle = Cycle.objects.create(system=system, name="Autumn 2026")
    ry = make_assessment(y, cycle=cycle, title="Y")
    rx = make_assessment(x, cycle=cycle, title="X")
    add_responses(ry, [4] * 5)
    add_responses(rx, [1] * 2)
    close_and_publish(ry, rx)
    first = Publication.objects.get(cycle=cycle).table
    shown = {gid: row["status"] for gid, row in first["subtree"].items()}
    z = _ward(system, organisation, directorate, "Ward Z")
    rz = make_assessment(z, cycle=cycle, title="Z")
    add_responses(rz, [5] * 3)
    c = Client(raise_request_exception=False)
    c.force_login(viewer)
    error = None
    try:
        close_and_publish(rz)
    except gate.PublishRefused as refused:
        error = refused
    page = c.get(f"/reports/systems/{system.pk}/?cycle={cycle.pk}")
    assert error is None and page.status_code == 200, (
        f"publication 1 showed {shown}; publication 2 refused: {error}; the heatmap "
        f"answers {page.status_code}")


# 6. Second moments are published but not audited --------------------------------------------

def test_a_hidden_pairs_mean_is_not_determined_by_the_published_sds(
    system: Any, organisation: Any, directorate: Any, viewer: Any, make_assessment: Any,
    add_responses: Any, close_and_publish: Any,
) -> None:
    """The gate audits sums (means x counts) only; every shown cell also carries the SD
    (and the CI and rwg, functions of it). D = A (5, shown) + B (2) + C (3), B and C
    hidden: the linear audit bounds B's mean to an interval over a point wide. From D's and
    A's n, mean and SD a viewer gets the sum of squares of B and C together; here it
    says all five answered alike, so B's mean is known exactly."""
    wa = _ward(system, organisation, directorate, "Ward A")
    wb = _ward(system, organisation, directorate, "Ward B")
    wc = _ward(system, organisation, directorate, "Ward C")
    cycle = Cycle.objects.create(system=system, name="Autumn 2026")
    ra = make_assessment(wa, cycle=cycle, title="A")
    rb = make_assessment(wb, cycle=cycle, title="B")
    rc = make_assessment(wc, cycle=cycle, title="C")
    add_responses(ra, [5, 5, 4, 4, 3])
    add_responses(rb, [2, 2])
    add_responses(rc, [2, 2, 2])
    close_and_publish(ra, rb, rc)
    c = Client()
    c.force_login(viewer)
    rows = _heatmap(c, cycle)
    d, a = rows["Medicine directorate"], rows["Ward A"]
    assert rows["Ward B"]["status"] != "shown" and rows["Ward C"]["status"] != "shown"
    # B and C together are 5: the directorate and A are both shown.
    assert d["status"] == "shown" and a["status"] == "shown"
    # The rollup covers hidden wards: its spread (SD, interval, sharedness), which with its
    # mean and count would give the hidden wards' sum of squares, is not published.
    table = Publication.objects.filter(cycle=cycle).order_by("-number").first().table
    cell_d = table["subtree"][str(directorate.pk)]["cells"][0]
    cell_a = table["subtree"][str(wa.pk)]["cells"][0]
    assert cell_d["shown"] and cell_d["mean"] is not None
    assert cell_d["sd"] is None and cell_d["ci_low"] is None and cell_d["rwg_j"] is None
    assert d["cells"][0]["ci_low"] is None and d["cells"][0]["rwg_j"] is None
    # Ward A covers no hidden group: its spread stays.
    assert cell_a["sd"] is not None and a["cells"][0]["ci_low"] is not None


# 7. Unverified answers stop counting as unverified when the flag is switched on ----------

def test_switching_verification_on_after_unverified_answers_keeps_the_doubled_threshold(
    system: Any, organisation: Any, viewer: Any, make_assessment: Any, add_responses: Any,
    close_and_publish: Any,
) -> None:
    """The doubling reads today's ``open_link_verify`` at every publication, and the
    Django admin leaves that field editable after answers arrived (only dates, group,
    cycle, rater kinds and instrument are locked). A leader stuffs an unverified open
    link (2 colleagues + 5 own answers = 7 < 10): withheld. Verification is switched on
    in the admin; the next publication of the cycle (any other round closing) shows the
    round at threshold 5, without the "not verified" warning, with a 7-row CSV."""
    from tracelead.diagnostics.models import Assessment, OpenLinkSubmission

    c_team = _ward(system, organisation, None, "Ward C")
    other = _ward(system, organisation, None, "Ward D")
    cycle = Cycle.objects.create(system=system, name="Autumn 2026")
    stuffed = make_assessment(c_team, cycle=cycle, title="C")
    later = make_assessment(other, cycle=cycle, title="D")
    add_responses(stuffed, [3] * 7)
    OpenLinkSubmission.objects.create(assessment=stuffed, device_hash="a" * 64)
    close_and_publish(stuffed)
    c = Client()
    c.force_login(viewer)
    assert c.get(f"/api/v1/assessments/{stuffed.pk}/results").json()["state"] == "withheld"
    Assessment.objects.filter(pk=stuffed.pk).update(open_link_verify=True)  # the admin form
    add_responses(later, [4] * 5)
    close_and_publish(later)
    body = c.get(f"/api/v1/assessments/{stuffed.pk}/results").json()
    assert body["state"] != "shown", (
        f"the stuffed round is now {body['state']} with threshold {body['threshold']}, "
        f"unverified={body['unverified']}, n={body['n_responses']}")
