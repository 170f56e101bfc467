"""Response tracking while a round is open: counts by day, only at or over the gate's
threshold, never summed over groups, and only for the rounds a user may see."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tracelead.actions.models import ResponseTally
from tracelead.actions.tracking import round_tracking, tally_record
from tracelead.diagnostics.models import Invitation, OpenLinkSubmission

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _text(page: Any) -> str:
    return html.unescape(page.content.decode())


def _invite(assessment: Any, n: int) -> None:
    Invitation.objects.bulk_create(
        Invitation(assessment=assessment, token_hash=f"{assessment.pk}-{i}", rater_kind="member")
        for i in range(n))


def test_a_count_is_kept_only_once_it_reaches_the_threshold(
    assessment: Any, add_responses: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _invite(assessment, 10)
    with django_capture_on_commit_callbacks(execute=True):
        add_responses(assessment, [3, 4, 4, 5])
    assert not ResponseTally.objects.exists()  # 4 < 5: nothing stored, not even the day
    with django_capture_on_commit_callbacks(execute=True):
        add_responses(assessment, [2])
        add_responses(assessment, [4], rater_kind="self")  # never counts
    tally = ResponseTally.objects.get()
    assert (tally.day, tally.n, tally.invited) == (timezone.localdate(), 5, 10)


def test_the_series_carries_each_days_count_forward_and_hides_the_days_below(
    assessment: Any, add_responses: Any
) -> None:
    today = timezone.localdate()
    _invite(assessment, 12)
    add_responses(assessment, [3] * 6)
    tally_record(assessment_id=assessment.pk, day=today - dt.timedelta(days=3))
    add_responses(assessment, [3] * 2)
    tally_record(assessment_id=assessment.pk, day=today - dt.timedelta(days=1))
    add_responses(assessment, [3])
    tracking = round_tracking(assessment, today=today)
    by_day = {p.day: (p.n, p.rate) for p in tracking.points}
    # Ten days open before today: days 10..4 before had no count at or over 5.
    assert by_day[today - dt.timedelta(days=4)] == (None, None)
    assert by_day[today - dt.timedelta(days=3)] == (6, 0.5)
    assert by_day[today - dt.timedelta(days=2)] == (6, 0.5)  # carried forward
    assert by_day[today - dt.timedelta(days=1)] == (8, 8 / 12)
    assert by_day[today] == (9, 0.75)  # today is the live count
    assert len(tracking.points) == 11


def test_a_doubled_threshold_hides_the_earlier_counts_below_it(
    assessment: Any, add_responses: Any, facilitator: Any
) -> None:
    add_responses(assessment, [3] * 6)
    tally_record(assessment_id=assessment.pk, day=timezone.localdate() - dt.timedelta(days=2))
    # An answer through the open link without a verified address doubles the threshold.
    OpenLinkSubmission.objects.create(assessment=assessment, device_hash="a" * 64)
    add_responses(assessment, [3])
    tracking = round_tracking(assessment)
    assert tracking.progress.threshold == 10
    assert all(p.n is None for p in tracking.points)
    page = _text(_client(facilitator).get(
        reverse("response_tracking", args=[assessment.cycle_id])))
    assert "Fewer than 10 responses so far." in page
    assert "chart-responses" not in page


def test_the_page_shows_each_group_apart_and_never_a_total(
    facilitator: Any, system: Any, organisation: Any, team: Any, make_assessment: Any,
    add_responses: Any, assessment: Any
) -> None:
    from tracelead.organisations import services
    from tracelead.organisations.models import Space

    ward9 = services.group_create(system=system, organisation=organisation,
                                  name="Ward 9 team", space=Space.TEAM)
    other = make_assessment(ward9, cycle=assessment.cycle)
    small = make_assessment(services.group_create(
        system=system, organisation=organisation, name="Tiny team", space=Space.TEAM),
        cycle=assessment.cycle)
    add_responses(assessment, [4] * 6)
    add_responses(other, [4] * 7)
    add_responses(small, [4] * 2)
    tally_record(assessment_id=assessment.pk)
    tally_record(assessment_id=other.pk)
    page = _client(facilitator).get(reverse("response_tracking", args=[assessment.cycle_id]))
    assert page.status_code == 200
    text = _text(page)
    assert "6</strong> responses so far" in text and "7</strong> responses so far" in text
    assert "Tiny team" in text
    tiny = text.split(f'id="count-{small.pk}">')[1].split("</p>")[0]
    assert tiny == "Fewer than 5 responses so far."
    # No total of the shown groups (6 + 7), nor of every group (6 + 7 + 2).
    # (What each count paragraph says, after its id, which is a group's key.)
    counts = [c.split('">', 1)[1].split("</p>")[0] for c in text.split('id="count-')[1:]]
    assert len(counts) == 3
    assert not any("13" in c or "15" in c for c in counts)
    assert "13 responses" not in text and "15 responses" not in text
    assert f'id="chart-responses-{assessment.pk}-spec"' in text
    assert f'id="chart-responses-{small.pk}-spec"' not in text
    assert not ResponseTally.objects.filter(assessment=small).exists()


def test_only_rounds_the_user_may_see_are_tracked(
    make_user: Any, system: Any, organisation: Any, assessment: Any, make_assessment: Any,
    add_responses: Any, other_facilitator: Any
) -> None:
    from tracelead.organisations import services
    from tracelead.organisations.models import Space, SystemMembership, SystemRole

    ward9 = services.group_create(system=system, organisation=organisation,
                                  name="Ward 9 team", space=Space.TEAM)
    make_assessment(ward9, cycle=assessment.cycle)
    lee = make_user("lee.ward9")
    SystemMembership.objects.create(user=lee, system=system, role=SystemRole.VIEWER,
                                    group=ward9)
    url = reverse("response_tracking", args=[assessment.cycle_id])
    text = _text(_client(lee).get(url))
    assert "Ward 9 team" in text and "Ward 7 team" not in text
    assert _client(other_facilitator).get(url).status_code == 404
