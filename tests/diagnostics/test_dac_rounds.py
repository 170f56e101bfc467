"""DAC rounds: opened for a group by the same service as TRACE, published by the same gate,
reported on the same page; TRACE stays the set-up form's default, and a cycle keeps to one
questionnaire so that its rollups compare like with like."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tracelead.analysis import condition_profile
from tracelead.diagnostics import services
from tracelead.diagnostics.models import Assessment, Response
from tracelead.diagnostics.packing import answers_matrix
from tracelead.instruments import get_instrument
from tracelead.organisations import services as organisations
from tracelead.organisations.models import Space
from tracelead.publishing.models import Cycle
from tracelead.reports import exports
from tracelead.reports.selectors import group_report
from tracelead.words.services import TASK_PROMPT

pytestmark = pytest.mark.django_db


@pytest.fixture
def cycle(system):
    return Cycle.objects.create(system=system, name="Autumn 2026")


@pytest.fixture
def board(system, organisation):
    return organisations.group_create(system=system, organisation=organisation,
                                      name="Hospital board", space=Space.ORGANISATION)


def open_round(group, cycle, instrument_key, *, in_days=0):
    opens = timezone.localdate() + dt.timedelta(days=in_days)
    return services.assessment_create(
        group=group, cycle=cycle, title=f"{group.name} – {cycle.name}",
        instrument_key=instrument_key, rater_kinds=["self", "member"],
        opens_on=opens, closes_on=opens + dt.timedelta(days=14),
    )


def test_a_dac_round_is_opened_for_a_group_by_the_service_trace_uses(team, cycle):
    assessment = open_round(team, cycle, "dac")

    assert (assessment.instrument_key, assessment.instrument_version) == ("dac", "1.0")
    assert assessment.group == team and assessment.cycle == cycle
    assert assessment.status == "open"


def test_its_group_report_shows_level_and_sharedness_once_published(
    facilitator_client, team, cycle, add_responses, close_and_publish
):
    assessment = open_round(team, cycle, "dac")
    dac = get_instrument("dac")
    direction, alignment, commitment = (dac.scale(k).item_keys for k in dac.scale_keys)
    people = [(4, 2, 5), (5, 2, 5), (4, 3, 1), (3, 2, 5), (4, 2, 1), (4, 3, 5)]
    add_responses(assessment, [
        {**dict.fromkeys(direction, d), **dict.fromkeys(alignment, a),
         **dict.fromkeys(commitment, c)}
        for d, a, c in people
    ])

    close_and_publish(assessment)

    report = group_report(assessment)
    assert (report.state, report.n_responses) == ("shown", 6)
    answers = Response.objects.filter(assessment=assessment).values_list("answers", flat=True)
    expected = condition_profile(answers_matrix(list(answers), dac.item_keys),
                                 dac.item_scale_keys)
    shown = {c.key: c for c in report.conditions}
    assert list(shown) == ["direction", "alignment", "commitment"]
    for condition in expected.conditions:
        assert shown[condition.key].mean == pytest.approx(condition.mean, abs=1e-9)
        assert shown[condition.key].rwg_j == pytest.approx(condition.rwg_j, abs=1e-9)
    assert shown["direction"].mean == pytest.approx(4.0)
    assert shown["commitment"].rwg_j == 0.0  # split between 1 and 5: nothing shared

    page = facilitator_client.get(reverse("report_group", args=[assessment.pk]))
    text = html.unescape(page.content.decode())
    assert page.status_code == 200
    for name in ("Direction", "Alignment", "Commitment"):
        assert name in text
    for condition in expected.conditions:
        assert f"{condition.mean:.2f}" in text
    assert "The role this calls for" not in text  # DAC names no leader roles

    rows = exports.group_csv(report).decode().splitlines()
    assert rows[0].endswith(",".join(dac.item_keys)) and len(rows) == 1 + 6
    assert exports.group_xlsx(report)[:2] == b"PK"  # a workbook (a zip)


def test_its_aim_prompt_is_the_one_the_report_compares_for_convergence():
    assert [prompt.key for prompt in get_instrument("dac").free_text] == [TASK_PROMPT]


def test_a_cycle_keeps_to_one_questionnaire(team, board, cycle):
    trace_round = open_round(team, cycle, "trace")

    with pytest.raises(ValidationError) as error:
        open_round(board, cycle, "dac")

    assert error.value.message_dict["instrument_key"] == [
        "Autumn 2026 already has rounds of “TRACE leadership diagnostic”, and a cycle's "
        "rounds share one questionnaire: choose that one, or another cycle."
    ]
    assert list(Assessment.objects.all()) == [trace_round]
    assert open_round(board, cycle, "trace").cycle == cycle
    spring = Cycle.objects.create(system=team.system, name="Spring 2027")
    assert open_round(board, spring, "dac", in_days=30).instrument_key == "dac"


def test_the_set_up_form_offers_dac_and_chooses_trace_first(facilitator_client, team, cycle):
    page = facilitator_client.get(reverse("assessment_create"))
    text = html.unescape(page.content.decode())

    assert page.status_code == 200
    assert "Direction, alignment and commitment (version 1.0)" in text
    assert "TRACE leadership diagnostic (version 1.0)" in text
    checked = re.findall(r'<input[^>]*name="instrument"[^>]*>', text)
    assert [("checked" in tag, 'value="trace"' in tag) for tag in checked] == [
        (True, True), (False, False)]


def test_the_set_up_form_explains_a_questionnaire_the_cycle_does_not_use(
    facilitator_client, team, board, cycle
):
    open_round(team, cycle, "trace")
    today = timezone.localdate()

    response = facilitator_client.post(reverse("assessment_create"), {
        "title": "Board – autumn", "group": str(board.pk), "instrument": "dac",
        "rater_kinds": ["member"], "cycle": str(cycle.pk),
        "opens_on": today.isoformat(),
        "closes_on": (today + dt.timedelta(days=21)).isoformat(),
    })

    assert response.status_code == 400
    text = html.unescape(response.content.decode())
    assert "nhsuk-error-summary" in text
    assert "a cycle's rounds share one questionnaire" in text
    assert not Assessment.objects.filter(group=board).exists()


def test_a_group_with_both_questionnaires_sees_dac_beside_the_trace_conditions_that_feed_it(
    facilitator_client, system, team, add_responses, close_and_publish
):
    from tracelead.publishing.services import cycle_create
    from tracelead.reports.beside import dac_beside_trace

    trace_cycle = cycle_create(system=system, name="TRACE 2026", threshold=5,
                               comment_threshold=10)
    dac_cycle = cycle_create(system=system, name="DAC 2026", threshold=5, comment_threshold=10)
    dac_round = open_round(team, dac_cycle, "dac")
    dac = get_instrument("dac")
    direction, alignment, commitment = (dac.scale(k).item_keys for k in dac.scale_keys)
    add_responses(dac_round, [{**dict.fromkeys(direction, 2), **dict.fromkeys(alignment, 4),
                               **dict.fromkeys(commitment, 3)}] * 6)
    close_and_publish(dac_round)
    # No TRACE round yet: nothing beside.
    assert dac_beside_trace(group_report(dac_round)) is None

    trace_round = open_round(team, trace_cycle, "trace")
    trace = get_instrument("trace")
    by_condition = {k: trace.scale(k).item_keys for k in trace.scale_keys}
    levels = {"task": 5, "route": 4, "alignment": 2, "capability": 3, "energy": 1}
    add_responses(trace_round, [{key: levels[c] for c, keys in by_condition.items()
                                 for key in keys}] * 6)
    # Its round not yet closed and published: the TRACE report is not shown, so nothing
    # beside.
    assert dac_beside_trace(group_report(dac_round)) is None
    close_and_publish(trace_round)

    beside = dac_beside_trace(group_report(dac_round))
    assert beside is not None
    assert [(r.outcome.key, [c.key for c in r.feeds]) for r in beside.rows] == [
        ("direction", ["task", "route"]), ("alignment", ["alignment", "route"]),
        ("commitment", ["energy", "capability"])]
    assert [c.mean for c in beside.rows[0].feeds] == [5.0, 4.0]
    # The same pairing from the TRACE report's side.
    other = dac_beside_trace(group_report(trace_round))
    assert other is not None and other.dac.assessment == dac_round

    text = re.sub(r"\s+", " ", html.unescape(facilitator_client.get(
        reverse("report_group", args=[dac_round.pk])).content.decode()))
    table = text.split('id="beside"')[1].split("</table>")[0]
    assert "Direction" in table and "2.0 (sharedness 1.00)" in table
    assert "Task: 5.0 (sharedness 1.00)" in table and "Energy: 1.0" in table
    trace_page = html.unescape(facilitator_client.get(
        reverse("report_group", args=[trace_round.pk])).content.decode())
    assert 'id="beside"' in trace_page
