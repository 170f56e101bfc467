"""The group report page: level and sharedness, disagreement, focus, change, comments.

A round's report shows its cycle's newest publication: figures of the responses that
publication includes, and for a withheld round one sentence that does not say why.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from typing import Any

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone
from report_helpers import SECRET_COMMENT

from tracelead.analysis import compare_rounds, condition_profile, condition_scores
from tracelead.diagnostics.models import Response
from tracelead.diagnostics.packing import answers_matrix
from tracelead.reports.selectors import WITHHELD_SENTENCE, group_report

pytestmark = pytest.mark.django_db


def _matrix(assessment: Any, trace: Any) -> np.ndarray:
    """The answers of a round's published responses."""
    answers = list(Response.objects.filter(assessment=assessment, publication__isnull=False)
                   .values_list("answers", flat=True))
    return answers_matrix(answers, trace.item_keys)


def _days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


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
    assert "Spring 2026, as published on" in text and "(publication 1)" in text
    report = group_report(now)
    assert (report.state, report.cycle, report.publication_number) == (
        "shown", reports_data["spring"], 1)
    assert report.change.previous_id == before.pk and report.change.skipped_rounds == 0


def test_a_round_under_the_threshold_is_withheld_in_one_sentence_that_gives_no_count(
    facilitator_client: Any, reports_data: Any
) -> None:
    secret = reports_data["secret_round"]
    report = group_report(secret)
    assert (report.state, report.n_responses, report.conditions, report.comments) == (
        "withheld", 0, [], [])
    assert report.summary == [WITHHELD_SENTENCE]
    page = facilitator_client.get(reverse("report_group", args=[secret.pk]))
    text = html.unescape(page.content.decode())
    assert page.status_code == 200
    assert "These results are not shown" in text and WITHHELD_SENTENCE in text
    # Both answered 1 throughout: no mean (1.00) and not their comment.
    assert not re.search(r"\b1\.00?\b", text)
    assert SECRET_COMMENT not in text
    assert "chart-profile" not in text
    # Not how many answered, nor "fewer than": either would say it missed the threshold.
    assert not re.search(r"\b(Two|2|One|1) (people|person|responses?)\b", text)
    assert "Fewer than" not in text and "more is needed" not in text
    download = facilitator_client.get(reverse("report_group_export", args=[secret.pk, "pdf"]))
    assert download.status_code == 409


def test_an_open_round_shows_a_count_only_once_it_reaches_the_threshold(
    facilitator_client: Any, team: Any, make_assessment: Any, add_responses: Any
) -> None:
    round_ = make_assessment(team)
    add_responses(round_, [4, 4, 4, 4])
    url = reverse("report_group", args=[round_.pk])
    report = group_report(round_)
    assert (report.state, report.progress.n, report.conditions) == ("not_published", None, [])
    text = html.unescape(facilitator_client.get(url).content.decode())
    assert "Fewer than 5 responses so far" in text and "4" not in text.split(
        'id="progress"')[1].split("</p>")[0]
    add_responses(round_, [2])
    report = group_report(round_)
    assert (report.state, report.progress.n, report.conditions) == ("not_published", 5, [])
    text = html.unescape(facilitator_client.get(url).content.decode())
    assert "5</strong> responses so far" in text
    assert "chart-profile" not in text and "Where to focus next" not in text
    assert not Response.objects.filter(assessment=round_, publication__isnull=False).exists()


def test_change_says_the_earlier_round_was_withheld_not_that_there_was_none(
    facilitator_client: Any, team: Any, make_assessment: Any, add_responses: Any
) -> None:
    old = make_assessment(team, opens_on=dt.date(2025, 1, 6), closes_on=dt.date(2025, 2, 6))
    add_responses(old, [2, 3])
    now = make_assessment(team, opens_on=_days(-20), closes_on=_days(-1))  # a new cycle
    add_responses(now, [2, 3, 4, 5, 4, 3])
    assert now.cycle != old.cycle
    report = group_report(now)  # the first read publishes both cycles
    assert report.state == "shown" and group_report(old).state == "withheld"
    assert report.change.status == "previous_below"
    assert report.change.skipped_rounds == 1
    assert report.change.rows == ()
    text = facilitator_client.get(reverse("report_group", args=[now.pk])).content.decode()
    assert "was not shown (too few responses, or withheld to protect a smaller group)" in text
    assert "first round" not in text


def test_the_first_read_publishes_an_earlier_cycle_first_so_the_change_is_kept(
    team: Any, make_assessment: Any, add_responses: Any, trace: Any
) -> None:
    old = make_assessment(team, opens_on=dt.date(2025, 1, 6), closes_on=dt.date(2025, 2, 6))
    add_responses(old, [2, 3, 2, 3, 2])
    now = make_assessment(team, opens_on=_days(-20), closes_on=_days(-1))
    add_responses(now, [4, 5, 4, 5, 4])
    # Neither cycle has been published: reading the later one publishes the earlier first,
    # and its frozen change compares with it.
    report = group_report(now)
    assert report.change.status == "shown" and report.change.previous_id == old.pk
    task = next(r for r in report.change.rows if r.key == "task")
    assert task.before == pytest.approx(2.4) and task.after == pytest.approx(4.4)


def test_self_against_others_shows_only_with_one_self_rating_and_the_others_at_threshold(
    team: Any, make_assessment: Any, add_responses: Any, close_and_publish: Any
) -> None:
    first = make_assessment(team, rater_kinds=("self", "member"))
    add_responses(first, [5], rater_kind="self")
    add_responses(first, [3, 4, 3, 2])
    close_and_publish(first)
    report = group_report(first)
    # The self rating never counts towards the others' threshold: four others are too few,
    # so nothing of the round is shown (the leader could take their own answers away).
    assert not report.disclosed and report.state == "withheld"
    assert report.self_other.rows == ()

    second = make_assessment(team, rater_kinds=("self", "member"))  # the next cycle
    add_responses(second, [5], rater_kind="self")
    add_responses(second, [3, 4, 3, 2, 4])
    close_and_publish(second)
    report = group_report(second)
    assert report.self_other.status == "shown"
    assert report.n_responses == 5  # the others only; the self rating stands apart
    task = next(g for g in report.self_other.rows if g.key == "task")
    assert task.self_mean == pytest.approx(5.0)
    assert task.other_mean == pytest.approx(3.2)
    assert task.other_mean == pytest.approx(np.mean([3, 4, 3, 2, 4]))
    assert task.n_other == 5


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
    system: Any, organisation: Any, make_assessment: Any, add_responses: Any, trace: Any,
    close_and_publish: Any,
) -> None:
    """A parent's own Task is withheld (its child's Task has 2 answers, and the parent's
    heatmap row adds both): the change since last round must not publish it either."""
    from tracelead.organisations import services
    from tracelead.organisations.models import Space
    from tracelead.publishing.gate import publish_due
    from tracelead.reports.selectors import many_groups_report

    keys = trace.item_keys
    task = {k for k, s in zip(keys, trace.item_scale_keys, strict=True) if s == "task"}
    parent = services.group_create(system=system, organisation=organisation, name="Parent",
                                   space=Space.TEAM)
    child = services.group_create(system=system, organisation=organisation, name="Child",
                                  space=Space.TEAM, parent=parent)
    before = make_assessment(parent, opens_on=dt.date(2025, 1, 6), closes_on=dt.date(2025, 2, 6))
    add_responses(before, [2, 3, 2, 3, 2, 3])
    publish_due(before.cycle)  # closed in 2025, published then
    now = make_assessment(parent)
    add_responses(now, [4, 5, 4, 5, 4, 5])
    child_round = make_assessment(child, cycle=now.cycle)
    add_responses(child_round, [{k: (None if k in task else 3) for k in keys}] * 4 + [1, 1])
    close_and_publish(now, child_round)

    heatmap = {row.name: row for row in many_groups_report(system, cycle=now.cycle).rows}
    assert heatmap["Parent"].cells[0].shown  # own + child: 8 Task answers
    assert not heatmap["Child"].cells[0].shown
    report = group_report(now)
    assert not next(c for c in report.conditions if c.key == "task").shown
    assert report.change.status == "shown"
    task_change = next(r for r in report.change.rows if r.key == "task")
    assert not task_change.shown
    assert math.isnan(task_change.after)
    assert all(r.shown for r in report.change.rows if r.key != "task")
