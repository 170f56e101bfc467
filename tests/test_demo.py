"""The demo data: a fictional integrated care system and two rounds of TRACE."""

from __future__ import annotations

import numpy as np
import pytest

from tracelead.analysis import condition_profile
from tracelead.demo import DEMO_SYSTEM, demo_delete, demo_load
from tracelead.diagnostics.models import Assessment, Response
from tracelead.diagnostics.selectors import assessment_results
from tracelead.instruments import get_instrument
from tracelead.organisations.models import Group, Organisation, System
from tracelead.reports.selectors import answers_matrix

CONDITIONS = ("task", "route", "alignment", "capability", "energy")


@pytest.fixture
def demo(db, settings):
    # The demo sets two passwords; a fast hasher keeps these tests quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return demo_load()


def rounds_of(team: str) -> list[Assessment]:
    return list(Assessment.objects.filter(group__name=team).order_by("opens_on"))


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


def test_the_demo_has_two_rounds_and_at_least_150_responses(demo):
    assessments = Assessment.objects.filter(group__system=demo.system)

    assert demo.responses == Response.objects.filter(assessment__in=assessments).count()
    assert demo.responses >= 150
    assert demo.assessments == assessments.count() == 2 * demo.groups - 2 * 3
    for group in Group.objects.filter(system=demo.system, space="team"):
        assert assessments.filter(group=group).count() == 2


def test_the_public_health_team_is_below_the_threshold(demo):
    first, _ = rounds_of("Public Health intelligence team")

    results = assessment_results(first)

    assert first.responses.count() == 3
    assert results.disclosed is False
    assert results.conditions == []
    assert results.more_needed == 2


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
            for a in Assessment.objects.filter(group__system__name=DEMO_SYSTEM).order_by(
                "group__name", "opens_on"
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
    for assessment in rounds_of("Emergency Department leadership team"):
        profile = profile_of(assessment)
        task, alignment = profile.condition("task"), profile.condition("alignment")
        assert alignment.rwg_j < 0.5 < task.rwg_j
        assert task.rwg_j - alignment.rwg_j > 0.3


def test_the_surgical_division_improves_between_rounds(demo):
    first, second = rounds_of("Surgical Division management team")
    before, after = profile_of(first), profile_of(second)

    improved = [c for c in CONDITIONS if after.condition(c).mean > before.condition(c).mean]

    assert len(improved) >= 4
    assert np.mean([after.condition(c).mean - before.condition(c).mean for c in CONDITIONS]) > 0.5
