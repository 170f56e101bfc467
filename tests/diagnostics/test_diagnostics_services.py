"""Assessments and invitations: what the services check before they write."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tracelead.core.models import AuditEvent
from tracelead.diagnostics import services
from tracelead.diagnostics.models import Assessment, Invitation, ResponseDraft
from tracelead.publishing import services as publishing
from tracelead.publishing.models import Cycle


@pytest.fixture
def cycle(team):
    return Cycle.objects.create(system=team.system, name="Autumn 2026")


def create(team, cycle, **overrides):
    today = timezone.localdate()
    values = {
        "group": team,
        "cycle": cycle,
        "title": " Ward 7 – spring ",
        "instrument_key": "trace",
        "rater_kinds": ["member"],
        "opens_on": today,
        "closes_on": today + dt.timedelta(days=14),
    }
    values.update(overrides)
    return services.assessment_create(**values)


def test_it_creates_an_assessment_with_the_instrument_version(team, cycle):
    assessment = create(team, cycle, rater_kinds=["self", "member", "member", "stakeholder"])

    assert assessment.title == "Ward 7 – spring"
    assert (assessment.instrument_key, assessment.instrument_version) == ("trace", "1.0")
    assert assessment.rater_kinds == ["self", "member", "stakeholder"]
    assert assessment.status == "open"
    assert assessment.cycle == cycle


def test_a_cycle_made_directly_has_thresholds_of_5_and_10_and_its_rounds_read_them(team):
    cycle = Cycle.objects.create(system=team.system, name="Defaults")
    assessment = create(team, cycle)

    assert (cycle.threshold, cycle.comment_threshold) == (5, 10)
    assert (assessment.threshold, assessment.comment_threshold) == (5, 10)
    # A round has no thresholds of its own: they are read from the cycle, never set.
    with pytest.raises(AttributeError):
        assessment.threshold = 3


@pytest.mark.parametrize(
    ("field", "value"), [("threshold", 2), ("comment_threshold", 2), ("threshold", 0)]
)
def test_it_refuses_a_cycle_threshold_below_three(system, field, value):
    values = {"threshold": 5, "comment_threshold": 10, field: value}

    with pytest.raises(ValidationError) as error:
        publishing.cycle_create(system=system, name="Autumn 2026", **values)

    assert "at least 3" in error.value.message_dict[field][0]
    assert not Cycle.objects.exists()


def test_it_refuses_a_comment_threshold_below_the_figures_threshold(system):
    with pytest.raises(ValidationError) as error:
        publishing.cycle_create(system=system, name="Autumn 2026", threshold=8,
                                comment_threshold=7)

    assert error.value.message_dict["comment_threshold"] == [
        "The threshold for comments cannot be lower than the one for figures."
    ]
    assert not Cycle.objects.exists()


def test_it_accepts_thresholds_of_exactly_three_and_audits_the_new_cycle(system, facilitator):
    cycle = publishing.cycle_create(system=system, name=" Winter ", threshold=3,
                                    comment_threshold=3, created_by=facilitator)

    assert (cycle.name, cycle.threshold, cycle.comment_threshold) == ("Winter", 3, 3)
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGED, system_id=system.pk)
    assert (event.username, event.what) == (
        "fran.facilitator", "created cycle Winter (figures from 3, comments from 3)"
    )


def test_it_refuses_a_second_cycle_of_the_same_name_in_a_system(system, other_system):
    publishing.cycle_create(system=system, name="Autumn 2026", threshold=5, comment_threshold=10)

    with pytest.raises(ValidationError) as error:
        publishing.cycle_create(system=system, name="autumn 2026", threshold=5,
                                comment_threshold=10)
    elsewhere = publishing.cycle_create(system=other_system, name="Autumn 2026", threshold=5,
                                        comment_threshold=10)

    assert "already has a cycle called" in error.value.message_dict["name"][0]
    assert Cycle.objects.filter(system=system).count() == 1
    assert elsewhere.system == other_system


def test_it_refuses_a_close_date_before_the_open_date(team, cycle):
    today = timezone.localdate()

    with pytest.raises(ValidationError) as error:
        create(team, cycle, opens_on=today, closes_on=today - dt.timedelta(days=1))

    assert "closes_on" in error.value.message_dict
    assert not Assessment.objects.exists()


def test_it_accepts_an_assessment_that_opens_and_closes_on_the_same_day(team, cycle):
    today = timezone.localdate()

    assert create(team, cycle, opens_on=today, closes_on=today).closes_on == today


def test_it_refuses_an_open_date_in_the_past(team, cycle):
    yesterday = timezone.localdate() - dt.timedelta(days=1)

    with pytest.raises(ValidationError) as error:
        create(team, cycle, opens_on=yesterday)

    assert error.value.message_dict["opens_on"] == ["The open date cannot be in the past."]
    assert not Assessment.objects.exists()


def test_it_refuses_a_second_round_of_a_group_in_one_cycle(team, cycle):
    today = timezone.localdate()
    first = create(team, cycle, closes_on=today + dt.timedelta(days=5))

    with pytest.raises(ValidationError) as error:
        create(team, cycle, opens_on=today + dt.timedelta(days=30),
               closes_on=today + dt.timedelta(days=40))

    assert error.value.message_dict["cycle"] == [
        "Ward 7 team already has a round in Autumn 2026: one a cycle."
    ]
    assert list(Assessment.objects.all()) == [first]


def test_it_refuses_a_cycle_of_another_system(team, other_system):
    elsewhere = Cycle.objects.create(system=other_system, name="Southmoor autumn")

    with pytest.raises(ValidationError) as error:
        create(team, elsewhere)

    assert error.value.message_dict["cycle"] == [
        "Choose a reporting cycle of the group's own system."
    ]
    assert not Assessment.objects.exists()


def test_it_refuses_rounds_of_one_group_with_overlapping_dates(team, cycle):
    today = timezone.localdate()
    first = create(team, cycle, opens_on=today, closes_on=today + dt.timedelta(days=14))
    spring = Cycle.objects.create(system=team.system, name="Spring 2027")

    with pytest.raises(ValidationError) as error:
        create(team, spring, opens_on=today + dt.timedelta(days=14),
               closes_on=today + dt.timedelta(days=30))

    message = error.value.message_dict["opens_on"][0]
    assert message.startswith(f"Ward 7 team already has a round from {today:%-d %B %Y} to ")
    assert message.endswith("choose dates that do not overlap it.")
    assert list(Assessment.objects.all()) == [first]
    # The day after the first round closes is free.
    later = create(team, spring, opens_on=today + dt.timedelta(days=15),
                   closes_on=today + dt.timedelta(days=30))
    assert later.cycle == spring


@pytest.mark.parametrize("kinds", [[], ["manager"], ["member", "boss"]])
def test_it_refuses_unknown_or_missing_rater_kinds(team, cycle, kinds):
    with pytest.raises(ValidationError) as error:
        create(team, cycle, rater_kinds=kinds)

    assert error.value.message_dict["rater_kinds"] == ["Choose at least one kind of rater."]
    assert not Assessment.objects.exists()


def test_it_refuses_an_unknown_instrument(team, cycle):
    with pytest.raises(ValidationError) as error:
        create(team, cycle, instrument_key="no-such-questionnaire")

    assert "instrument_key" in error.value.message_dict
    assert not Assessment.objects.exists()


def update(assessment, **overrides):
    values = {
        "assessment": assessment,
        "title": assessment.title,
        "opens_on": assessment.opens_on,
        "closes_on": assessment.closes_on,
    }
    values.update(overrides)
    return services.assessment_update(**values)


def update_cycle(cycle, **overrides):
    values = {
        "cycle": cycle,
        "name": cycle.name,
        "threshold": cycle.threshold,
        "comment_threshold": cycle.comment_threshold,
    }
    values.update(overrides)
    return publishing.cycle_update(**values)


def test_thresholds_can_change_while_nobody_has_answered_and_the_change_is_audited(
    assessment, facilitator
):
    update_cycle(assessment.cycle, threshold=7, comment_threshold=12, changed_by=facilitator)

    assessment = Assessment.objects.get(pk=assessment.pk)
    assert (assessment.threshold, assessment.comment_threshold) == (7, 12)
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGED)
    assert event.username == "fran.facilitator"
    assert "thresholds 5/10 to 7/12" in event.what


def test_thresholds_are_fixed_once_a_draft_exists(assessment):
    invitation = services.invitations_create(assessment=assessment, rater_kind="member", count=1)[0]
    services.draft_start(assessment=assessment, invitation=invitation, rater_kind="member")

    with pytest.raises(ValidationError) as error:
        update_cycle(assessment.cycle, threshold=3)

    assert error.value.message_dict["threshold"] == [
        "The thresholds are fixed: answers have already arrived in this cycle."
    ]
    assert Cycle.objects.get(pk=assessment.cycle_id).threshold == 5
    assert not AuditEvent.objects.exists()


def test_thresholds_are_fixed_once_any_round_of_the_cycle_has_a_response(
    assessment, make_assessment, add_responses, organisation
):
    from tracelead.organisations import services as org_services
    from tracelead.organisations.models import Space

    sibling = org_services.group_create(
        system=assessment.group.system, organisation=organisation, name="Ward 8 team",
        space=Space.TEAM,
    )
    answered = make_assessment(sibling, cycle=assessment.cycle)
    add_responses(answered, [4])

    with pytest.raises(ValidationError):
        update_cycle(assessment.cycle, comment_threshold=20)

    assert Cycle.objects.get(pk=assessment.cycle_id).comment_threshold == 10


def test_a_cycle_can_still_be_renamed_and_a_round_re_titled_once_answers_exist(
    assessment, add_responses
):
    add_responses(assessment, [4])
    later = assessment.closes_on + dt.timedelta(days=7)

    update_cycle(assessment.cycle, name="Autumn (extended)")
    update(assessment, title="Extended", closes_on=later)

    assessment = Assessment.objects.get(pk=assessment.pk)
    assert (assessment.title, assessment.closes_on, assessment.threshold) == ("Extended", later, 5)
    assert assessment.cycle.name == "Autumn (extended)"


def test_a_date_change_is_in_the_audit_log_and_a_title_change_alone_is_not(
    assessment, facilitator
):
    old_close = assessment.closes_on
    later = old_close + dt.timedelta(days=7)

    update(assessment, title="Renamed", changed_by=facilitator)
    assert not AuditEvent.objects.exists()
    assessment.refresh_from_db()
    update(assessment, closes_on=later, changed_by=facilitator)

    event = AuditEvent.objects.get()
    assert (event.action, event.username, event.assessment_id) == (
        AuditEvent.Action.CHANGED, "fran.facilitator", assessment.pk
    )
    assert event.what == (
        f"dates {assessment.opens_on}–{old_close} to {assessment.opens_on}–{later} of Renamed"
    )


def test_a_round_that_has_opened_keeps_its_open_date(assessment):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    with pytest.raises(ValidationError) as error:
        update(assessment, opens_on=tomorrow)

    assert error.value.message_dict["opens_on"] == [
        "This round has opened; its open date is fixed."
    ]
    assert Assessment.objects.get(pk=assessment.pk).opens_on == assessment.opens_on
    assert not AuditEvent.objects.exists()


def test_a_date_cannot_move_into_the_past(assessment, make_assessment, team):
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    scheduled = make_assessment(
        team, opens_on=today + dt.timedelta(days=20), closes_on=today + dt.timedelta(days=30)
    )

    with pytest.raises(ValidationError) as closing:
        update(assessment, closes_on=yesterday)
    with pytest.raises(ValidationError) as opening:
        update(scheduled, opens_on=yesterday)

    assert closing.value.message_dict["closes_on"] == ["The close date cannot be in the past."]
    assert opening.value.message_dict["opens_on"] == ["The open date cannot be in the past."]
    assert Assessment.objects.get(pk=assessment.pk).closes_on == assessment.closes_on
    assert Assessment.objects.get(pk=scheduled.pk).opens_on == scheduled.opens_on
    assert not AuditEvent.objects.exists()


def test_a_scheduled_round_can_move_its_open_date_to_another_future_day(make_assessment, team):
    today = timezone.localdate()
    scheduled = make_assessment(
        team, opens_on=today + dt.timedelta(days=20), closes_on=today + dt.timedelta(days=30)
    )

    update(scheduled, opens_on=today)

    assert Assessment.objects.get(pk=scheduled.pk).opens_on == today
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CHANGED).count() == 1


def test_a_closed_round_cannot_be_re_dated(make_assessment, team):
    today = timezone.localdate()
    closed = make_assessment(
        team, opens_on=today - dt.timedelta(days=20), closes_on=today - dt.timedelta(days=1)
    )

    with pytest.raises(ValidationError) as error:
        update(closed, closes_on=today + dt.timedelta(days=10))

    assert error.value.message_dict["closes_on"] == [
        "This round has closed; its dates cannot change."
    ]
    assert Assessment.objects.get(pk=closed.pk).closes_on == today - dt.timedelta(days=1)


def test_a_round_cannot_be_re_dated_to_overlap_another_round_of_its_group(
    assessment, make_assessment, team
):
    next_round = make_assessment(
        team, opens_on=assessment.closes_on + dt.timedelta(days=1),
        closes_on=assessment.closes_on + dt.timedelta(days=20),
    )

    with pytest.raises(ValidationError) as error:
        update(assessment, closes_on=next_round.opens_on)

    assert "already has a round from" in error.value.message_dict["opens_on"][0]
    assert Assessment.objects.get(pk=assessment.pk).closes_on == assessment.closes_on


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
