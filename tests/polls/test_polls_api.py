"""The event's polls through the API: the same results as the page, for facilitators only."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_a_facilitator_reads_an_events_poll_results(
        facilitator_client: Any, poll: Any, vote_as: Any) -> None:
    from tracelead.polls import services

    scale = poll.questions.get(kind="scale")
    services.poll_show(poll=poll, question=scale)
    for value in ("2", "4", "4"):
        vote_as(poll).post(f"/p/{poll.code}/vote/", {f"q{scale.pk}": value})
    response = facilitator_client.get(
        f"/api/v1/academies/{poll.academy_id}/events/{poll.event_id}/polls")
    assert response.status_code == 200
    [body] = response.json()
    assert body["joined"] == 3 and body["anonymous"] is True
    first = body["questions"][0]
    assert first["kind"] == "scale" and first["answered"] == 3
    assert first["results"]["counts"] == [0, 1, 0, 2, 0]
    assert first["results"]["mean"] == pytest.approx(10 / 3, abs=0.005)


def test_viewers_and_other_systems_get_no_poll_results(
        viewer: Any, other_facilitator: Any, poll: Any) -> None:
    from django.test import Client

    url = f"/api/v1/academies/{poll.academy_id}/events/{poll.event_id}/polls"
    viewer_client, other = Client(), Client()
    viewer_client.force_login(viewer)
    other.force_login(other_facilitator)
    assert viewer_client.get(url).status_code == 403
    assert other.get(url).status_code == 404
    missing = f"/api/v1/academies/{poll.academy_id}/events/999999/polls"
    facilitator = Client()
    assert facilitator.get(missing).status_code in {401, 403}
