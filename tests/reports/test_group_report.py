"""The group report page: level and sharedness, disagreement, focus, change, comments."""

from __future__ import annotations

import html
import math
import re
from typing import Any

import numpy as np
import pytest
from django.urls import reverse

from tracelead.analysis import compare_rounds, condition_profile, condition_scores
from tracelead.diagnostics.models import Response
from tracelead.reports.selectors import answers_matrix, group_report

pytestmark = pytest.mark.django_db


def _matrix(assessment: Any, trace: Any) -> np.ndarray:
    answers = list(Response.objects.filter(assessment=assessment)
                   .values_list("answers", flat=True))
    return answers_matrix(answers, trace.item_keys)


def test_it_shows_level_sharedness_focus_and_change(
    facilitator_client: Any, reports_data: Any, trace: Any
) -> None:
    now, before = reports_data["now"], reports_data["before"]
    page = facilitator_client.get(reverse("report_group", args=[now.pk]))
    assert page.status_code == 200
    text = html.unescape(page.content.decode())
    profile = condition_profile(_matrix(now, trace), trace.item_scale_keys)
    for c in profile.conditions:
        assert f"{c.mean:.2f}" in text
        assert f"{c.rwg_j:.2f}" in text
    assert 'id="chart-profile-spec"' in text and 'type="application/json"' in text
    assert "Where to focus next" in text
    assert "Eight people answered" in text
    assert "Where the group disagrees most" in text
    _, b = condition_scores(_matrix(before, trace), trace.item_scale_keys)
    _, a = condition_scores(_matrix(now, trace), trace.item_scale_keys)
    task = compare_rounds(b[:, 0], a[:, 0])
    assert f"{task.difference:+.2f}" in text
    assert f"{task.ci_low:.2f} to {task.ci_high:.2f}" in text
    assert "We keep patients safe (3)" in text


def test_a_round_below_its_threshold_shows_only_what_is_needed(
    facilitator_client: Any, reports_data: Any
) -> None:
    secret = reports_data["secret_round"]
    page = facilitator_client.get(reverse("report_group", args=[secret.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Not enough responses yet" in text
    assert "SECRET" not in text.upper().replace("SECRET SQUIRREL", "")
    assert "PURPLE-ELEPHANT" not in text
    assert "chart-profile" not in text
    download = facilitator_client.get(reverse("report_group_export", args=[secret.pk, "pdf"]))
    assert download.status_code == 409


def test_change_is_withheld_when_the_previous_round_is_below_threshold(
    facilitator_client: Any, team: Any, make_assessment: Any, add_responses: Any
) -> None:
    import datetime as dt

    old = make_assessment(team, opens_on=dt.date(2025, 1, 6), closes_on=dt.date(2025, 2, 6))
    add_responses(old, [2, 3])
    now = make_assessment(team)
    add_responses(now, [2, 3, 4, 5, 4, 3])
    report = group_report(now)
    assert report.change.status == "previous_below"
    assert report.change.rows == ()
    text = facilitator_client.get(reverse("report_group", args=[now.pk])).content.decode()
    assert "too few responses to compare with" in text


def test_self_ratings_show_once_the_others_reach_the_threshold(
    team: Any, make_assessment: Any, add_responses: Any
) -> None:
    round_ = make_assessment(team, rater_kinds=("self", "member"))
    add_responses(round_, [5], rater_kind="self")
    add_responses(round_, [3, 4, 3, 2])
    report = group_report(round_)
    assert report.disclosed  # five responses in all
    assert report.self_other.status == "others_below"
    add_responses(round_, [4])
    report = group_report(round_)
    assert report.self_other.status == "shown"
    task = next(g for g in report.self_other.rows if g.key == "task")
    assert task.self_mean == pytest.approx(5.0)
    assert task.other_mean == pytest.approx(np.mean([3, 4, 3, 2, 4]))


def test_another_systems_reports_and_downloads_answer_404(
    other_facilitator_client: Any, reports_data: Any, system: Any
) -> None:
    now = reports_data["now"]
    for url in (
        reverse("report_group", args=[now.pk]),
        reverse("report_group_export", args=[now.pk, "xlsx"]),
        reverse("report_system", args=[system.pk]),
        reverse("report_system_export", args=[system.pk, "csv"]),
    ):
        assert other_facilitator_client.get(url).status_code == 404, url


def test_signed_out_visitors_are_sent_to_sign_in(client: Any, reports_data: Any) -> None:
    response = client.get(reverse("report_group", args=[reports_data["now"].pk]))
    assert response.status_code == 302
    assert re.search(r"/accounts/login/", response["Location"])


def test_change_leaves_out_a_condition_withheld_to_protect_a_nested_group(
    system: Any, organisation: Any, make_assessment: Any, add_responses: Any, trace: Any
) -> None:
    """A parent's own Task is withheld (its child's Task has 2 answers, and the parent's
    heatmap row adds both): the change since last round must not publish it either."""
    import datetime as dt

    from tracelead.organisations import services
    from tracelead.organisations.models import Space
    from tracelead.reports.selectors import many_groups_report

    keys = trace.item_keys
    task = {k for k, s in zip(keys, trace.item_scale_keys, strict=True) if s == "task"}
    parent = services.group_create(system=system, organisation=organisation, name="Parent",
                                   space=Space.TEAM)
    child = services.group_create(system=system, organisation=organisation, name="Child",
                                  space=Space.TEAM, parent=parent)
    before = make_assessment(parent, opens_on=dt.date(2025, 1, 6), closes_on=dt.date(2025, 2, 6))
    add_responses(before, [2, 3, 2, 3, 2, 3])
    now = make_assessment(parent)
    add_responses(now, [4, 5, 4, 5, 4, 5])
    add_responses(make_assessment(child),
                  [{k: (None if k in task else 3) for k in keys}] * 4 + [1, 1])

    heatmap = {row.name: row for row in many_groups_report(system).rows}
    assert heatmap["Parent"].cells[0].shown  # own + child: 8 Task answers
    assert not heatmap["Child"].cells[0].shown
    report = group_report(now)
    assert not next(c for c in report.conditions if c.key == "task").shown
    assert report.change.status == "shown"
    task_change = next(r for r in report.change.rows if r.key == "task")
    assert not task_change.shown
    assert math.isnan(task_change.after)
    assert all(r.shown for r in report.change.rows if r.key != "task")
