"""Assessments and invitations: what the services check before they write."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tracelead.diagnostics import services
from tracelead.diagnostics.models import Assessment, Invitation, ResponseDraft


def create(team, **overrides):
    today = timezone.localdate()
    values = {
        "group": team,
        "title": " Ward 7 – spring ",
        "instrument_key": "trace",
        "rater_kinds": ["member"],
        "threshold": 5,
        "comment_threshold": 10,
        "opens_on": today,
        "closes_on": today + dt.timedelta(days=14),
    }
    values.update(overrides)
    return services.assessment_create(**values)


def test_it_creates_an_assessment_with_the_instrument_version(team):
    assessment = create(team, rater_kinds=["self", "member", "member", "stakeholder"])

    assert assessment.title == "Ward 7 – spring"
    assert (assessment.instrument_key, assessment.instrument_version) == ("trace", "1.0")
    assert assessment.rater_kinds == ["self", "member", "stakeholder"]
    assert assessment.status == "open"


def test_an_assessment_made_directly_has_thresholds_of_5_and_10_by_default(team):
    today = timezone.localdate()

    assessment = Assessment.objects.create(
        group=team, title="Defaults", instrument_version="1.0", opens_on=today, closes_on=today
    )

    assert (assessment.threshold, assessment.comment_threshold) == (5, 10)


@pytest.mark.parametrize(
    ("field", "value"), [("threshold", 2), ("comment_threshold", 2), ("threshold", 0)]
)
def test_it_refuses_a_threshold_below_three(team, field, value):
    with pytest.raises(ValidationError) as error:
        create(team, **{field: value})

    assert field in error.value.message_dict
    assert "at least 3" in error.value.message_dict[field][0]
    assert not Assessment.objects.exists()


def test_it_accepts_a_threshold_of_exactly_three(team):
    assessment = create(team, threshold=3, comment_threshold=3)

    assert (assessment.threshold, assessment.comment_threshold) == (3, 3)


def test_it_refuses_a_close_date_before_the_open_date(team):
    today = timezone.localdate()

    with pytest.raises(ValidationError) as error:
        create(team, opens_on=today, closes_on=today - dt.timedelta(days=1))

    assert "closes_on" in error.value.message_dict
    assert not Assessment.objects.exists()


def test_it_accepts_an_assessment_that_opens_and_closes_on_the_same_day(team):
    today = timezone.localdate()

    assert create(team, opens_on=today, closes_on=today).closes_on == today


@pytest.mark.parametrize("kinds", [[], ["manager"], ["member", "boss"]])
def test_it_refuses_unknown_or_missing_rater_kinds(team, kinds):
    with pytest.raises(ValidationError) as error:
        create(team, rater_kinds=kinds)

    assert error.value.message_dict["rater_kinds"] == ["Choose at least one kind of rater."]
    assert not Assessment.objects.exists()


def test_it_refuses_an_unknown_instrument(team):
    with pytest.raises(ValidationError) as error:
        create(team, instrument_key="no-such-questionnaire")

    assert "instrument_key" in error.value.message_dict


def update(assessment, **overrides):
    values = {
        "assessment": assessment,
        "title": assessment.title,
        "threshold": assessment.threshold,
        "comment_threshold": assessment.comment_threshold,
        "opens_on": assessment.opens_on,
        "closes_on": assessment.closes_on,
    }
    values.update(overrides)
    return services.assessment_update(**values)


def test_thresholds_can_change_while_nobody_has_answered(assessment):
    updated = update(assessment, threshold=7, comment_threshold=12)

    assessment.refresh_from_db()
    assert (updated.threshold, assessment.threshold, assessment.comment_threshold) == (7, 7, 12)


def test_thresholds_are_fixed_once_a_draft_exists(assessment):
    invitation = services.invitations_create(assessment=assessment, rater_kind="member", count=1)[0]
    services.draft_start(assessment=assessment, invitation=invitation, rater_kind="member")

    with pytest.raises(ValidationError) as error:
        update(assessment, threshold=3)

    assert "fixed" in error.value.message_dict["threshold"][0]
    assessment.refresh_from_db()
    assert assessment.threshold == 5


def test_thresholds_are_fixed_once_a_response_exists(assessment, add_responses):
    add_responses(assessment, [4])

    with pytest.raises(ValidationError):
        update(assessment, comment_threshold=20)

    assessment.refresh_from_db()
    assert assessment.comment_threshold == 10


def test_other_settings_can_still_change_once_answers_exist(assessment, add_responses):
    add_responses(assessment, [4])
    later = assessment.closes_on + dt.timedelta(days=7)

    update(assessment, title="Extended", closes_on=later)

    assessment.refresh_from_db()
    assert (assessment.title, assessment.closes_on, assessment.threshold) == ("Extended", later, 5)


def test_invitations_have_unique_tokens_of_at_least_128_bits(assessment):
    invitations = services.invitations_create(assessment=assessment, rater_kind="member", count=50)

    tokens = [invitation.token for invitation in invitations]
    assert len(set(tokens)) == 50
    for token in tokens:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        assert len(raw) * 8 >= 128
        assert len(raw) == 32  # secrets.token_urlsafe(32)
    assert Invitation.objects.filter(assessment=assessment).count() == 50


def test_it_makes_one_invitation_per_label(assessment):
    invitations = services.invitations_create(
        assessment=assessment, rater_kind="member", labels=["ann@example.org", " ", " bo "]
    )

    assert [i.label for i in invitations] == ["ann@example.org", "bo"]


def test_it_refuses_invitations_for_a_rater_kind_the_assessment_does_not_ask(assessment):
    with pytest.raises(ValidationError) as error:
        services.invitations_create(assessment=assessment, rater_kind="stakeholder", count=3)

    assert "rater_kind" in error.value.message_dict
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("count", [0, 5001])
def test_it_refuses_too_few_or_too_many_invitations(assessment, count):
    with pytest.raises(ValidationError) as error:
        services.invitations_create(assessment=assessment, rater_kind="member", count=count)

    assert "count" in error.value.message_dict
    assert not Invitation.objects.exists()


def test_the_open_link_token_is_made_once_and_then_reused(assessment):
    first = services.assessment_open_link(assessment=assessment)
    second = services.assessment_open_link(assessment=assessment)

    assert first == second
    assert len(base64.urlsafe_b64decode(first + "=" * (-len(first) % 4))) == 32
    assessment.refresh_from_db()
    assert assessment.open_token == first


def test_a_draft_cannot_start_before_the_assessment_opens(make_assessment, team):
    today = timezone.localdate()
    later = make_assessment(
        team, opens_on=today + dt.timedelta(days=1), closes_on=today + dt.timedelta(days=9)
    )

    with pytest.raises(services.NotAcceptingResponses):
        services.draft_start(assessment=later, device_key="device-1", rater_kind="member")

    assert not ResponseDraft.objects.exists()


def test_submitting_an_incomplete_draft_names_the_first_incomplete_page(assessment, trace):
    draft = services.draft_start(assessment=assessment, device_key="device-1", rater_kind="member")
    task_and_route = {item.key: 3 for scale in trace.scales[:2] for item in scale.items}
    services.draft_save(draft=draft, page=2, answers=task_and_route)

    with pytest.raises(services.IncompleteResponse) as error:
        services.response_submit(draft_id=draft.pk)

    assert error.value.page == 3
    assert ResponseDraft.objects.filter(pk=draft.pk).exists()
    assert not assessment.responses.exists()


def test_a_submitted_draft_becomes_one_response_and_a_second_submit_is_refused(assessment, trace):
    invitation = services.invitations_create(assessment=assessment, rater_kind="member", count=1)[0]
    draft = services.draft_start(assessment=assessment, invitation=invitation, rater_kind="member")
    services.draft_save(draft=draft, page=6, answers={key: 4 for key in trace.item_keys})

    response = services.response_submit(draft_id=draft.pk)
    with pytest.raises(services.AlreadySubmitted):
        services.response_submit(draft_id=draft.pk)
    with pytest.raises(services.AlreadySubmitted):
        services.draft_start(assessment=assessment, invitation=invitation, rater_kind="member")

    assert assessment.responses.count() == 1
    assert response.answers == {key: 4 for key in trace.item_keys}
    invitation.refresh_from_db()
    assert invitation.used is True
    assert not ResponseDraft.objects.exists()
