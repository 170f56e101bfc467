"""A self rating comes only through the one personal link marked self.

Lee leads Ward 7 team; the round asks Lee, the team's members and its stakeholders.
"Self" is never offered on the open link, a crafted "self" there is refused, a round has
one self link at most, and Lee's introduction says that Lee's own rating is shown beside
the others'.
"""

from __future__ import annotations

import html
import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from tracelead.core.models import ApiToken
from tracelead.diagnostics import services
from tracelead.diagnostics.models import Invitation, ResponseDraft

SELF_NOTICE = "your own rating is shown next to the ratings that other people gave"


def text(response) -> str:
    return html.unescape(response.content.decode())


def radio_values(content: str, name: str) -> list[str]:
    tags = re.findall(rf'<input[^>]*name="{name}"[^>]*>', content)
    return [re.search(r'value="([^"]*)"', tag).group(1) for tag in tags]


@pytest.fixture
def with_self(make_assessment, team):
    return make_assessment(team, rater_kinds=("self", "member", "stakeholder"))


def test_self_is_never_offered_on_the_open_link(with_self):
    token = services.assessment_open_link(assessment=with_self)

    page = text(Client().get(f"/r/{token}/"))

    assert radio_values(page, "rater_kind") == ["member", "stakeholder"]
    assert "Self" not in page


def test_a_crafted_self_on_the_open_link_is_refused_and_saves_nothing(with_self):
    token = services.assessment_open_link(assessment=with_self)

    response = Client().post(f"/r/{token}/", {"rater_kind": "self"})

    assert response.status_code == 400
    assert "Choose how you know this group" in text(response)
    assert not ResponseDraft.objects.exists()
    with pytest.raises(ValidationError):
        services.draft_start(assessment=with_self, device_key="phone", rater_kind="self")


def test_a_round_that_asks_only_for_a_self_rating_has_no_open_link(
    facilitator_client, make_assessment, team
):
    only_self = make_assessment(team, rater_kinds=("self",))
    token = services.assessment_open_link(assessment=only_self)

    respondent = Client().get(f"/r/{token}/")
    links = facilitator_client.get(reverse("assessment_invitations", args=[only_self.pk]))

    assert respondent.status_code == 404
    assert "answered by personal link only" in text(respondent)
    assert not ResponseDraft.objects.exists()
    assert "has no open link" in text(links)
    assert f"/r/{token}/" not in text(links)


def test_a_second_self_link_is_refused(facilitator_client, with_self):
    url = reverse("assessment_invitations", args=[with_self.pk])

    first = facilitator_client.post(url, {"rater_kind": "self", "labels": "Lee Lead"})
    second = facilitator_client.post(url, {"rater_kind": "self", "labels": "Lee again"})

    assert first.status_code == 302
    assert second.status_code == 400
    assert "This round already has its self link" in text(second)
    assert Invitation.objects.filter(assessment=with_self, rater_kind="self").count() == 1
    with pytest.raises(ValidationError) as refused:
        services.invitations_create(assessment=with_self, rater_kind="self", count=1)
    assert "rater_kind" in refused.value.message_dict


def test_two_self_links_at_once_are_refused(facilitator_client, with_self):
    response = facilitator_client.post(
        reverse("assessment_invitations", args=[with_self.pk]),
        {"rater_kind": "self", "count": "2"},
    )

    assert response.status_code == 400
    assert "Create one self link only" in text(response)
    assert not Invitation.objects.exists()


def test_the_api_refuses_a_second_self_link_too(client, facilitator, with_self):
    _, clear = ApiToken.issue(user=facilitator, name="tests")
    url = f"/api/v1/assessments/{with_self.pk}/invitations"

    def post():
        return client.post(
            url,
            data=json.dumps({"rater_kind": "self", "count": 1}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {clear}",
        )

    assert post().status_code == 201
    second = post()
    assert second.status_code == 409  # the API's answer when the round's state refuses
    assert "self link" in second.content.decode()
    assert Invitation.objects.filter(rater_kind="self").count() == 1


def test_the_self_links_introduction_says_the_rating_is_shown_beside_the_others(with_self):
    (lee,) = services.invitations_create(assessment=with_self, rater_kind="self", labels=["Lee"])
    (mo,) = services.invitations_create(assessment=with_self, rater_kind="member", labels=["Mo"])

    own = text(Client().get(f"/r/{lee.token}/"))
    member = text(Client().get(f"/r/{mo.token}/"))

    assert "You are rating your own leadership" in own
    assert SELF_NOTICE in own
    assert SELF_NOTICE not in member
    started = Client().post(f"/r/{lee.token}/")
    assert started.status_code == 302
    assert ResponseDraft.objects.get(invitation=lee).rater_kind == "self"
