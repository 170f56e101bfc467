"""The JSON API at /api/v1/: Bearer tokens, tenancy, invitations and disclosure."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tracelead.analysis import condition_profile
from tracelead.core.models import ApiToken
from tracelead.diagnostics.models import Invitation

BASE = "/api/v1"


@pytest.fixture
def token(facilitator):
    _, clear = ApiToken.issue(user=facilitator, name="tests")
    return clear


@pytest.fixture
def api(client, token):
    """The test client with the facilitator's Bearer token on every request."""

    class Api:
        def get(self, path):
            return client.get(BASE + path, HTTP_AUTHORIZATION=f"Bearer {token}")

        def post(self, path, body):
            return client.post(
                BASE + path,
                data=json.dumps(body),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )

    return Api()


def test_a_token_is_stored_only_as_its_hash(facilitator):
    row, clear = ApiToken.issue(user=facilitator, name="laptop")

    assert len(clear) >= 43
    assert row.token_hash == ApiToken.hash(clear)
    assert clear not in row.token_hash
    assert ApiToken.objects.get(pk=row.pk).name == "laptop"


@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_AUTHORIZATION": "Bearer not-a-real-token"}, {"HTTP_AUTHORIZATION": "Basic eA=="}],
)
def test_it_answers_401_json_without_a_valid_token(client, assessment, headers):
    for path in ("/assessments", f"/assessments/{assessment.pk}/results"):
        response = client.get(BASE + path, **headers)
        assert response.status_code == 401
        assert response["Content-Type"].startswith("application/json")
        assert response.json() == {"detail": "Unauthorized"}


def test_a_token_of_an_inactive_user_is_refused(client, facilitator, assessment):
    _, clear = ApiToken.issue(user=facilitator, name="old")
    facilitator.is_active = False
    facilitator.save()

    response = client.get(BASE + "/assessments", HTTP_AUTHORIZATION=f"Bearer {clear}")

    assert response.status_code == 401


def test_it_lists_only_the_users_assessments(api, assessment, other_assessment):
    response = api.get("/assessments")

    assert response.status_code == 200
    body = response.json()
    assert [row["id"] for row in body] == [assessment.pk]
    row = body[0]
    assert row["title"] == assessment.title
    assert row["system"] == "Northbrook ICS"
    assert (row["cycle_id"], row["cycle"]) == (assessment.cycle_id, assessment.cycle.name)
    assert (row["threshold"], row["comment_threshold"]) == (5, 10)
    assert row["rater_kinds"] == ["member"]
    assert row["status"] == "open"
    assert row["opens_on"] == assessment.opens_on.isoformat()


def test_a_signed_in_session_can_read_the_api_too(facilitator_client, assessment):
    response = facilitator_client.get(BASE + "/assessments")

    assert response.status_code == 200
    assert [row["id"] for row in response.json()] == [assessment.pk]


def test_it_creates_invitations_and_returns_their_urls(api, assessment):
    response = api.post(
        f"/assessments/{assessment.pk}/invitations",
        {"rater_kind": "member", "labels": ["ann@example.org", "bo@example.org"]},
    )

    assert response.status_code == 201
    body = response.json()
    assert [(row["label"], row["rater_kind"]) for row in body] == [
        ("ann@example.org", "member"), ("bo@example.org", "member")
    ]
    # Each URL is the full link of one stored invitation; only the token's hash is kept.
    for row in body:
        token = row["url"].removeprefix("http://testserver/r/").removesuffix("/")
        stored = Invitation.objects.get(token_hash=Invitation.hash_token(token))
        assert (stored.assessment, stored.label) == (assessment, row["label"])
        assert token not in stored.token_hash


def test_it_creates_a_count_of_unlabelled_invitations(api, assessment):
    response = api.post(
        f"/assessments/{assessment.pk}/invitations", {"rater_kind": "member", "count": 4}
    )

    assert response.status_code == 201
    assert len(response.json()) == 4
    assert Invitation.objects.filter(assessment=assessment, label="").count() == 4


def test_it_answers_422_json_for_an_unknown_rater_kind(api, assessment):
    response = api.post(
        f"/assessments/{assessment.pk}/invitations", {"rater_kind": "boss", "count": 2}
    )

    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/json")
    assert "rater_kind" in json.dumps(response.json())
    assert not Invitation.objects.exists()


def test_it_refuses_a_rater_kind_the_assessment_does_not_ask_with_json_errors(api, assessment):
    response = api.post(
        f"/assessments/{assessment.pk}/invitations", {"rater_kind": "stakeholder", "count": 2}
    )

    # Well-formed but in conflict with the assessment's settings: 409 (malformed is 422).
    assert response.status_code == 409
    assert response["Content-Type"].startswith("application/json")
    assert "rater_kind" in response.json()["errors"]
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("count", [0, -3, 5001])
def test_it_answers_422_for_a_count_out_of_range(api, assessment, count):
    response = api.post(
        f"/assessments/{assessment.pk}/invitations", {"rater_kind": "member", "count": count}
    )

    assert response.status_code == 422
    assert "count" in json.dumps(response.json())
    assert not Invitation.objects.exists()


def test_it_answers_404_for_another_systems_assessment(api, other_assessment):
    posted = api.post(
        f"/assessments/{other_assessment.pk}/invitations", {"rater_kind": "member", "count": 1}
    )
    read = api.get(f"/assessments/{other_assessment.pk}/results")

    assert (posted.status_code, read.status_code) == (404, 404)
    assert read.json() == {"detail": "Not found."}
    assert not Invitation.objects.exists()


def test_a_viewer_gets_403_for_creating_invitations(client, viewer, assessment):
    _, clear = ApiToken.issue(user=viewer, name="viewer")

    response = client.post(
        f"{BASE}/assessments/{assessment.pk}/invitations",
        data=json.dumps({"rater_kind": "member", "count": 1}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {clear}",
    )
    results = client.get(
        f"{BASE}/assessments/{assessment.pk}/results", HTTP_AUTHORIZATION=f"Bearer {clear}"
    )

    assert response.status_code == 403
    assert results.status_code == 200
    assert not Invitation.objects.exists()


NOTHING = {"disclosed": False, "conditions": [], "items": [], "n_responses": None,
           "response_rate": None, "focus": None}


def test_while_open_results_are_not_published_and_give_no_count_below_the_threshold(
    api, assessment, add_responses
):
    add_responses(assessment, [4, 4, 2, 5])

    response = api.get(f"/assessments/{assessment.pk}/results")

    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "not_published"
    assert {key: body[key] for key in NOTHING} == NOTHING
    assert (body["publication"], body["threshold"], body["responses_so_far"]) == (None, 5, None)
    assert "more_needed" not in body
    assert body == api.get(f"/assessments/{assessment.pk}/results").json()
    add_responses(assessment, [3])  # five now: the count may show, the figures may not
    body = api.get(f"/assessments/{assessment.pk}/results").json()
    assert (body["state"], body["responses_so_far"]) == ("not_published", 5)
    assert {key: body[key] for key in NOTHING} == NOTHING


def test_published_below_the_threshold_results_are_withheld_and_disclose_nothing(
    api, assessment, add_responses, close_and_publish
):
    add_responses(assessment, [4, 4, 2, 5])
    close_and_publish(assessment)

    body = api.get(f"/assessments/{assessment.pk}/results").json()

    assert (body["state"], body["publication"], body["threshold"]) == ("withheld", 1, 5)
    assert {key: body[key] for key in NOTHING} == NOTHING
    assert body["responses_so_far"] is None
    groups = api.get(f"/cycles/{assessment.cycle_id}/groups").json()["groups"]
    (row,) = [g for g in groups if g["group_id"] == assessment.group_id]
    assert (row["status"], row["n"], row["cells"]) == ("hidden", None, [])


def test_published_results_match_the_analysis_core(
    api, assessment, add_responses, trace, close_and_publish
):
    rows = [3, 4, 5, 4, 4, 2]
    add_responses(assessment, rows)
    matrix = np.array([[float(v)] * len(trace.item_keys) for v in rows])
    expected = condition_profile(matrix, trace.item_scale_keys, scale_points=5)
    before = api.get(f"/assessments/{assessment.pk}/results").json()
    close_and_publish(assessment)

    body = api.get(f"/assessments/{assessment.pk}/results").json()

    assert (before["state"], before["conditions"]) == ("not_published", [])
    assert (body["state"], body["disclosed"], body["publication"]) == ("shown", True, 1)
    assert body["n_responses"] == 6
    assert body["unverified"] is False
    assert [c["key"] for c in body["conditions"]] == [
        "task",
        "route",
        "alignment",
        "capability",
        "energy",
    ]
    for condition in body["conditions"]:
        result = expected.condition(condition["key"])
        assert condition["mean"] == pytest.approx(22 / 6)
        assert condition["mean"] == pytest.approx(result.mean, abs=1e-12)
        assert condition["ci_low"] == pytest.approx(result.ci_low, abs=1e-12)
        assert condition["ci_high"] == pytest.approx(result.ci_high, abs=1e-12)
        assert condition["rwg_j"] == pytest.approx(result.rwg_j, abs=1e-12)
        assert condition["n"] == 6
    first = body["items"][0]
    assert first["counts"] == [0, 1, 1, 3, 1]
    assert first["dont_know"] == 0


def test_the_response_rate_is_the_published_count_over_the_invitations(
    api, assessment, add_responses, close_and_publish
):
    from tracelead.diagnostics import services

    services.invitations_create(assessment=assessment, rater_kind="member", count=8)
    add_responses(assessment, [4] * 6)
    close_and_publish(assessment)

    body = api.get(f"/assessments/{assessment.pk}/results").json()

    assert (body["n_responses"], body["response_rate"]) == (6, pytest.approx(0.75))


def test_results_leave_out_a_condition_too_few_people_rated(
    api, assessment, add_responses, trace, close_and_publish
):
    energy = {item.key for item in trace.scale("energy").items}
    add_responses(assessment, [{k: (None if k in energy else 4) for k in trace.item_keys}] * 5)
    close_and_publish(assessment)

    response = api.get(f"/assessments/{assessment.pk}/results")

    assert response.status_code == 200
    keys = [c["key"] for c in response.json()["conditions"]]
    assert keys == ["task", "route", "alignment", "capability"]
    assert all(item["condition"] != "energy" for item in response.json()["items"])


# --- Cycles ---------------------------------------------------------------------------


def test_it_lists_the_cycles_of_the_users_systems_only(
    api, assessment, other_assessment, add_responses, close_and_publish
):
    add_responses(assessment, [4] * 5)
    close_and_publish(assessment)

    body = api.get("/cycles").json()

    cycle = assessment.cycle
    assert body == [
        {"id": cycle.pk, "system_id": assessment.group.system_id, "name": cycle.name,
         "threshold": 5, "comment_threshold": 10, "publications": 1}
    ]


def test_a_cycles_groups_are_pending_while_open_and_match_the_core_once_published(
    api, assessment, add_responses, trace, close_and_publish
):
    rows = [3, 4, 5, 4, 4, 2]
    add_responses(assessment, rows)
    url = f"/cycles/{assessment.cycle_id}/groups"

    before = api.get(url).json()
    close_and_publish(assessment)
    after = api.get(url).json()

    (row,) = [g for g in before["groups"] if g["group_id"] == assessment.group_id]
    assert (before["publication"], row["status"], row["n"], row["cells"]) == (
        None, "pending", None, []
    )
    (row,) = [g for g in after["groups"] if g["group_id"] == assessment.group_id]
    assert (after["publication"], after["threshold"], row["status"], row["n"]) == (
        1, 5, "shown", 6
    )
    matrix = np.array([[float(v)] * len(trace.item_keys) for v in rows])
    expected = condition_profile(matrix, trace.item_scale_keys, scale_points=5)
    for cell in row["cells"]:
        result = expected.condition(cell["condition"])
        assert cell["shown"] is True
        assert cell["mean"] == pytest.approx(result.mean, abs=1e-12)
        assert cell["ci_low"] == pytest.approx(result.ci_low, abs=1e-12)
        assert cell["rwg_j"] == pytest.approx(result.rwg_j, abs=1e-12)


def test_another_systems_cycle_answers_404(api, other_assessment):
    response = api.get(f"/cycles/{other_assessment.cycle_id}/groups")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_the_openapi_description_lists_the_endpoints(client):
    response = client.get(BASE + "/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths) >= {
        "/api/v1/assessments",
        "/api/v1/assessments/{assessment_id}/invitations",
        "/api/v1/assessments/{assessment_id}/results",
        "/api/v1/cycles",
        "/api/v1/cycles/{cycle_id}/groups",
    }
    assert "post" in paths["/api/v1/assessments/{assessment_id}/invitations"]
