""""Close now" beside "Change dates": a confirmation page, the close, its audit, and the
ordinary publication of a closed round."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tracelead.core.models import AuditEvent
from tracelead.diagnostics.models import Assessment, AssessmentStatus, Response

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_close_now_asks_first_then_closes_audits_and_publishes(
    facilitator: Any, assessment: Any, add_responses: Any
) -> None:
    add_responses(assessment, [4, 3, 4, 5, 4, 3])
    fran = _client(facilitator)
    detail = html.unescape(fran.get(reverse("assessment", args=[assessment.pk])).content
                           .decode())
    assert 'id="close-now-link"' in detail and "Change dates or title" in detail

    confirm = fran.get(reverse("assessment_close", args=[assessment.pk]))
    assert confirm.status_code == 200
    assert "Close the round now" in confirm.content.decode()
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.OPEN  # a GET changes nothing

    done = fran.post(reverse("assessment_close", args=[assessment.pk]))
    assert done.status_code == 302
    assessment.refresh_from_db()
    today = timezone.localdate()
    assert assessment.closes_on == today - dt.timedelta(days=1)
    assert assessment.status == AssessmentStatus.CLOSED
    assert set(Response.objects.filter(assessment=assessment)
               .values_list("submitted_on", flat=True)) == {assessment.closes_on}
    event = AuditEvent.objects.filter(assessment_id=assessment.pk,
                                      action=AuditEvent.Action.CHANGED).latest("at")
    assert event.user == facilitator and "closed now" in event.what

    # The normal path: the next read of the round's results makes the close publication.
    page = html.unescape(fran.get(reverse("assessment", args=[assessment.pk])).content
                         .decode())
    assert "Closed Ward 7 team – spring." in page
    assert assessment.cycle.publications.filter(kind="close").count() == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PUBLISHED).exists()
    assert 'id="close-now-link"' not in page


def test_a_round_that_opened_today_closes_with_yesterday_as_both_dates(
    facilitator: Any, team: Any, make_assessment: Any
) -> None:
    today = timezone.localdate()
    round_ = make_assessment(team, opens_on=today, closes_on=today + dt.timedelta(days=5))
    assert _client(facilitator).post(
        reverse("assessment_close", args=[round_.pk])).status_code == 302
    round_.refresh_from_db()
    yesterday = today - dt.timedelta(days=1)
    assert (round_.opens_on, round_.closes_on) == (yesterday, yesterday)


def test_a_closed_or_scheduled_round_cannot_be_closed_now(
    facilitator: Any, team: Any, make_assessment: Any
) -> None:
    today = timezone.localdate()
    later = make_assessment(team, opens_on=today + dt.timedelta(days=3),
                            closes_on=today + dt.timedelta(days=9))
    page = _client(facilitator).post(reverse("assessment_close", args=[later.pk]))
    assert page.status_code == 400
    assert "Only an open round can be closed now." in html.unescape(page.content.decode())
    assert Assessment.objects.get(pk=later.pk).opens_on == today + dt.timedelta(days=3)


def test_only_the_rounds_facilitators_can_close_it(
    viewer: Any, other_facilitator: Any, assessment: Any
) -> None:
    url = reverse("assessment_close", args=[assessment.pk])
    assert _client(viewer).get(url).status_code == 403
    assert _client(viewer).post(url).status_code == 403
    assert _client(other_facilitator).post(url).status_code == 404
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.OPEN
