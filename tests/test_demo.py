"""The demo data: a fictional integrated care system, two published cycles of TRACE and
an open pulse round."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from tracelead.analysis import condition_profile
from tracelead.demo import DEMO_SYSTEM, DEMO_USERNAME, demo_delete, demo_load
from tracelead.diagnostics.models import Assessment, Response
from tracelead.diagnostics.packing import answers_matrix
from tracelead.instruments import get_instrument
from tracelead.organisations.models import Group, Organisation, System
from tracelead.publishing.models import Cycle
from tracelead.reports.selectors import group_report, many_groups_report

CONDITIONS = ("task", "route", "alignment", "capability", "energy")
SEASON = re.compile(r"(Winter|Spring|Summer|Autumn) \d{4}")


@pytest.fixture
def demo(demo_once, db, settings):
    # The demo sets two passwords again when it is loaded a second time (below).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return demo_once


def rounds_of(team: str) -> list[Assessment]:
    """The team's TRACE rounds, oldest first."""
    return list(Assessment.objects.filter(group__name=team, instrument_key="trace")
                .order_by("opens_on"))


def cycles_of(demo) -> list[Cycle]:
    """The demo's TRACE cycles, oldest first (its DAC cycle is tested on its own)."""
    return list(Cycle.objects.filter(system=demo.system).exclude(
        assessments__instrument_key="dac").order_by("created_at", "pk"))


def profile_of(assessment: Assessment):
    trace = get_instrument("trace")
    matrix = answers_matrix([r.answers for r in assessment.responses.all()], trace.item_keys)
    return condition_profile(matrix, trace.item_scale_keys, scale_points=5)


def test_the_demo_has_organisations_of_three_sectors(demo):
    sectors = set(Organisation.objects.filter(system=demo.system).values_list("sector", flat=True))

    assert demo.created is True
    assert demo.system.name == DEMO_SYSTEM
    assert Organisation.objects.filter(system=demo.system).count() >= 3
    assert {"acute", "local_authority", "vcfse"} <= sectors


def test_the_demo_has_eight_teams_and_one_system_level_group(demo):
    groups = Group.objects.filter(system=demo.system)

    assert groups.filter(space="team").count() == 8
    assert groups.filter(space="system").count() == 1
    board = groups.get(space="system")
    assert board.organisation is None
    assert all(team.ancestors()[-1] == board for team in groups.filter(space="team"))


def test_the_demo_has_two_published_cycles_and_an_open_pulse_round(demo):
    assessments = Assessment.objects.filter(group__system=demo.system)
    first, second, pulse = cycles_of(demo)

    # 169 TRACE responses, and 9 to the Surgical Division's DAC round.
    assert demo.responses == Response.objects.filter(assessment__in=assessments).count() == 178
    assert assessments.filter(instrument_key="trace").count() == 2 * (demo.groups - 3) + 1
    (dac,) = assessments.filter(instrument_key="dac")
    assert dac.group.name == "Surgical Division management team"
    assert dac.responses.count() == 9 and [p.kind for p in dac.cycle.publications.all()] == [
        "close"]
    assert demo.assessments == assessments.count() == 2 * (demo.groups - 3) + 2
    for group in Group.objects.filter(system=demo.system, space="team"):
        assert assessments.filter(group=group, cycle__in=[first, second]).count() == 2
    for cycle in (first, second):
        assert SEASON.fullmatch(cycle.name), cycle.name
        assert cycle.assessments.count() == demo.groups - 3
        assert [p.kind for p in cycle.publications.all()] == ["close"]
        assert all(a.status == "closed" for a in cycle.assessments.all())
        # Every response of a closed round is in its cycle's publication.
        assert not Response.objects.filter(assessment__cycle=cycle,
                                           publication__isnull=True).exists()
    assert first.name != second.name
    assert pulse.name.startswith("Pulse ") and not pulse.publications.exists()
    (pulse_round,) = pulse.assessments.all()
    assert (pulse_round.group.name, pulse_round.status) == ("Discharge Hub", "open")
    assert pulse_round.responses.count() == 6 and pulse_round.invitations.count() == 12
    assert not pulse_round.responses.filter(publication__isnull=False).exists()


def test_the_pulse_round_page_shows_only_how_many_have_answered(demo):
    (pulse_round,) = cycles_of(demo)[2].assessments.all()
    report = group_report(pulse_round)
    assert report.state == "not_published" and not report.disclosed
    assert (report.progress.n, report.progress.invited, report.progress.rate) == (6, 12, 0.5)
    assert report.conditions == [] and report.items == [] and report.comments == []

    client = Client()
    client.force_login(get_user_model().objects.get(username=DEMO_USERNAME))
    text = html.unescape(client.get(reverse("report_group", args=[pulse_round.pk]))
                         .content.decode())
    assert "Results are not published yet" in text
    assert "<strong>6</strong> responses so far (50% of those sent a personal link)" in text
    assert "chart-profile" not in text and "Where to focus next" not in text
    assert "In their own words" not in text
    assert client.get(reverse("report_group_export", args=[pulse_round.pk, "csv"])
                      ).status_code == 409
    heatmap = {row.name: row for row in many_groups_report(demo.system,
                                                           cycle=pulse_round.cycle).rows}
    assert heatmap["Discharge Hub"].status == "pending" and heatmap["Discharge Hub"].cells == ()
    assert not any(row.shown for row in heatmap.values())


def test_the_heatmap_opens_on_the_newest_published_cycle(demo):
    _, second, _ = cycles_of(demo)
    report = many_groups_report(demo.system)
    assert report.cycle == second and report.publication.number == 1
    hub = next(row for row in report.rows if row.name == "Discharge Hub")
    assert hub.shown and hub.assessment_id == second.assessments.get(group__name="Discharge Hub").pk


def test_the_public_health_team_is_withheld_in_every_cycle(demo):
    rounds = rounds_of("Public Health intelligence team")

    assert [a.cycle for a in rounds] == cycles_of(demo)[:2]
    assert rounds[0].responses.count() == 3
    for assessment in rounds:
        assert assessment.responses.count() < assessment.threshold
        results = group_report(assessment)
        assert results.state == "withheld" and results.disclosed is False
        assert (results.conditions, results.items, results.n_responses) == ([], [], 0)
        heatmap = many_groups_report(demo.system, cycle=assessment.cycle)
        row = next(r for r in heatmap.rows if r.name == "Public Health intelligence team")
        assert row.status == "hidden" and row.cells == () and row.n == 0


def test_loading_the_demo_twice_reuses_it_with_the_same_counts(demo):
    again = demo_load()

    assert again.created is False
    assert again.system == demo.system
    assert (again.groups, again.assessments, again.responses) == (
        demo.groups,
        demo.assessments,
        demo.responses,
    )
    assert System.objects.filter(name=DEMO_SYSTEM).count() == 1
    assert "Reusing the demo" in again.describe()


def test_the_same_seed_gives_the_same_answers(demo):
    def answers() -> list[tuple[str, list]]:
        return [
            (
                a.title.split(" – ")[0],
                sorted((sorted(r.answers.items()) for r in a.responses.all()), key=repr),
            )
            # A group's DAC round opens with its TRACE round: the title settles the order.
            for a in Assessment.objects.filter(group__system__name=DEMO_SYSTEM).order_by(
                "group__name", "opens_on", "title"
            )
        ]

    first = answers()
    demo_delete()
    assert not System.objects.filter(name=DEMO_SYSTEM).exists()
    second = demo_load(today=demo.system.created_at.date())

    assert second.created is True
    assert answers() == first


def test_a_different_seed_gives_different_answers(demo):
    first = sorted(repr(sorted(r.answers.items())) for r in Response.objects.all())

    demo_load(reset=True, seed=1)

    assert sorted(repr(sorted(r.answers.items())) for r in Response.objects.all()) != first


def test_the_emergency_department_shares_its_task_but_not_alignment(demo):
    rounds = rounds_of("Emergency Department leadership team")
    assert len(rounds) == 2
    for assessment in rounds:
        profile = profile_of(assessment)
        task, alignment = profile.condition("task"), profile.condition("alignment")
        assert alignment.rwg_j < 0.5 < task.rwg_j
        assert task.rwg_j - alignment.rwg_j > 0.3
        # ...and its published report says the same.
        published = {c.key: c for c in group_report(assessment).conditions}
        assert published["task"].rwg_j == pytest.approx(task.rwg_j)
        assert published["alignment"].rwg_j == pytest.approx(alignment.rwg_j)
        assert not published["alignment"].shared and published["task"].shared


def test_the_surgical_division_improves_between_rounds(demo):
    first, second = rounds_of("Surgical Division management team")
    before, after = profile_of(first), profile_of(second)

    improved = [c for c in CONDITIONS if after.condition(c).mean > before.condition(c).mean]

    assert len(improved) >= 4
    assert np.mean([after.condition(c).mean - before.condition(c).mean for c in CONDITIONS]) > 0.5
    change = group_report(second).change
    assert change.status == "shown" and change.previous_id == first.pk
    assert sum(1 for r in change.rows if r.shown and r.difference > 0) >= 4
