"""Personal links are shown and downloaded once, when made; after that they can only be
re-issued. No page or export says which named person has answered.

Fran (the facilitator) invites Ann Ash and Bo Li; Ann answers, Bo does not.
"""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from django.test import Client
from django.urls import reverse

from tracelead.core.models import AuditEvent
from tracelead.core.privacy import subject_access
from tracelead.diagnostics import services
from tracelead.diagnostics.models import Invitation, Response, ResponseDraft


def text(response) -> str:
    return html.unescape(response.content.decode())


def same_page(content: str) -> str:
    """The page without what differs on every request (CSRF token, CSP nonce)."""
    content = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", content)
    return re.sub(r'nonce="[^"]*"', "", content)


def links_url(assessment) -> str:
    return reverse("assessment_invitations", args=[assessment.pk])


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def token_of(url: str) -> str:
    return url.removeprefix("http://testserver/r/").removesuffix("/")


def listed_links(page: str) -> dict[str, str]:
    """The new links listed on the links page: {label: token}."""
    rows = re.findall(
        r'<td class="nhsuk-table__cell">([^<]*)</td>\s*<td class="nhsuk-table__cell">[^<]*</td>'
        r'\s*<td class="nhsuk-table__cell tl-token">http://testserver/r/([A-Za-z0-9_-]+)/</td>',
        page,
    )
    return dict(rows)


def answer_everything(client: Client, token: str, trace) -> None:
    assert client.post(f"/r/{token}/").status_code == 302
    for page, scale in enumerate(trace.scales, start=1):
        data = {item.key: "4" for item in scale.items} | {"action": "next"}
        assert client.post(f"/r/{token}/{page}/", data).status_code == 302
    done = client.post(f"/r/{token}/6/", {"action": "submit"})
    assert done["Location"] == "/r/done/"


@pytest.fixture
def made(facilitator_client, assessment):
    """Fran makes links for Ann and Bo through the page; returns {label: url}."""
    response = facilitator_client.post(
        links_url(assessment), {"rater_kind": "member", "labels": "Ann Ash\nBo Li"}
    )
    assert response.status_code == 302
    listed = listed_links(text(facilitator_client.get(links_url(assessment))))
    assert list(listed) == ["Ann Ash", "Bo Li"]
    return {label: f"http://testserver/r/{token}/" for label, token in listed.items()}


# --- Shown once, downloaded once ------------------------------------------------------------


def test_new_links_are_listed_with_their_labels_once_and_then_never_again(
    facilitator_client, assessment
):
    facilitator_client.post(
        links_url(assessment), {"rater_kind": "member", "labels": "Ann Ash\nBo Li"}
    )

    first = text(facilitator_client.get(links_url(assessment)))
    again = text(facilitator_client.get(links_url(assessment)))

    listed = listed_links(first)
    assert list(listed) == ["Ann Ash", "Bo Li"]
    assert "They cannot be shown again" in first
    for invitation in Invitation.objects.filter(assessment=assessment):
        token = listed[invitation.label]
        assert Invitation.hash_token(token) == invitation.token_hash
        assert token not in again
    assert listed_links(again) == {}
    assert "http://testserver/r/" not in again.replace(
        f"http://testserver/r/{Invitation.objects.first().assessment.open_token}/", ""
    )


def test_the_links_csv_has_no_used_column_and_can_be_downloaded_once(
    facilitator_client, facilitator, assessment, made, trace
):
    answer_everything(Client(), token_of(made["Ann Ash"]), trace)

    download = facilitator_client.get(reverse("invitations_csv", args=[assessment.pk]))
    second = facilitator_client.get(reverse("invitations_csv", args=[assessment.pk]))

    rows = csv_rows(download)
    assert download.status_code == 200
    assert rows[0] == ["label", "rater_kind", "link"]
    assert rows[1:] == [
        ["Ann Ash", "member", made["Ann Ash"]],
        ["Bo Li", "member", made["Bo Li"]],
    ]
    assert second.status_code == 410
    assert "can be shown and downloaded only once" in text(second)
    assert token_of(made["Ann Ash"]) not in text(second)
    assert AuditEvent.objects.filter(
        user=facilitator, action=AuditEvent.Action.EXPORTED, what__startswith="personal links"
    ).count() == 1


def test_no_page_or_export_changes_when_a_named_person_answers(
    facilitator_client, assessment, made, trace
):
    facilitator_client.get(reverse("invitations_csv", args=[assessment.pk]))  # the one download
    before = same_page(text(facilitator_client.get(links_url(assessment))))

    answer_everything(Client(), token_of(made["Ann Ash"]), trace)

    after = same_page(text(facilitator_client.get(links_url(assessment))))
    assert Response.objects.filter(assessment=assessment).count() == 1
    assert after == before
    assert " used" not in after
    csv_again = facilitator_client.get(reverse("invitations_csv", args=[assessment.pk]))
    assert csv_again.status_code == 410


def test_the_subject_access_export_does_not_say_whether_the_person_answered(
    assessment, trace
):
    (invitation,) = services.invitations_create(
        assessment=assessment, rater_kind="member", labels=["ann@example.org"]
    )
    answer_everything(Client(), invitation.token, trace)

    exported = subject_access("ann@example.org")

    (entry,) = exported["invitations"]
    assert entry["label"] == "ann@example.org"
    assert "used" not in entry
    assert "used" not in repr(exported).replace("used without", "")


# --- Re-issuing -------------------------------------------------------------------------------


def reissue(client, assessment, **data):
    return client.post(reverse("invitation_reissue", args=[assessment.pk]), data)


def test_reissuing_voids_the_old_link_and_its_draft_shows_the_new_one_once_and_is_audited(
    facilitator_client, facilitator, assessment, made, trace
):
    ann = Client()
    old = token_of(made["Ann Ash"])
    ann.post(f"/r/{old}/")
    ann.post(f"/r/{old}/1/", {item.key: "2" for item in trace.scales[0].items} | {"action": "next"})
    invitation = Invitation.objects.get(assessment=assessment, label="Ann Ash")
    assert ResponseDraft.objects.filter(invitation=invitation).exists()

    response = reissue(facilitator_client, assessment, invitation=str(invitation.pk))

    assert response.status_code == 302
    page = text(facilitator_client.get(links_url(assessment)))
    assert "Re-issued the link for Ann Ash. The old link no longer works." in page
    new = listed_links(page)["Ann Ash"]
    assert new != old
    assert new not in text(facilitator_client.get(links_url(assessment)))
    assert Client().get(f"/r/{old}/").status_code == 404
    assert ann.get(f"/r/{old}/1/").status_code == 404
    assert not ResponseDraft.objects.filter(invitation=invitation).exists()
    fresh = Client().get(f"/r/{new}/")
    assert fresh.status_code == 200 and "Start now" in text(fresh)
    event = AuditEvent.objects.get(action=AuditEvent.Action.REISSUED)
    assert event.user == facilitator
    assert event.assessment_id == assessment.pk
    # The CSV download holds the re-issued link too, once.
    rows = csv_rows(facilitator_client.get(reverse("invitations_csv", args=[assessment.pk])))
    assert ["Ann Ash", "member", f"http://testserver/r/{new}/"] in rows


def test_a_link_can_be_reissued_by_typing_its_label(facilitator_client, assessment, made):
    before = Invitation.objects.get(label="Bo Li").token_hash

    response = reissue(facilitator_client, assessment, label="  bo li ")

    assert response.status_code == 302
    assert Invitation.objects.get(label="Bo Li").token_hash != before
    assert Client().get(made["Bo Li"].removeprefix("http://testserver")).status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"label": "Cy Nobody"}, "No link has this label"),
        ({}, "Choose the person whose link to re-issue, or type their label"),
        ({"invitation": "999999"}, "Select a valid choice"),
    ],
)
def test_a_reissue_that_names_no_link_is_refused_and_changes_nothing(
    facilitator_client, assessment, made, data, message
):
    hashes = sorted(Invitation.objects.values_list("token_hash", flat=True))

    response = reissue(facilitator_client, assessment, **data)

    assert response.status_code == 400
    assert message in text(response)
    assert sorted(Invitation.objects.values_list("token_hash", flat=True)) == hashes
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.REISSUED).exists()


def test_reissuing_tells_nothing_about_who_has_answered(
    facilitator_client, assessment, made, trace
):
    answer_everything(Client(), token_of(made["Ann Ash"]), trace)
    ann = Invitation.objects.get(label="Ann Ash")
    bo = Invitation.objects.get(label="Bo Li")

    answered = reissue(facilitator_client, assessment, invitation=str(ann.pk))
    not_answered = reissue(facilitator_client, assessment, invitation=str(bo.pk))

    assert (answered.status_code, not_answered.status_code) == (302, 302)
    new = listed_links(text(facilitator_client.get(links_url(assessment))))
    ann_page = Client().get(f"/r/{new['Ann Ash']}/")
    bo_page = Client().get(f"/r/{new['Bo Li']}/")
    assert ann_page.status_code == bo_page.status_code == 200
    assert same_page(text(ann_page)).replace(new["Ann Ash"], "T") == same_page(
        text(bo_page)
    ).replace(new["Bo Li"], "T")
    # The new link of someone who answered still cannot add a second response.
    client = Client()
    assert client.post(f"/r/{new['Ann Ash']}/").status_code == 302
    for page_number, scale in enumerate(trace.scales, start=1):
        data = {item.key: "1" for item in scale.items} | {"action": "next"}
        client.post(f"/r/{new['Ann Ash']}/{page_number}/", data)
    refused = client.post(f"/r/{new['Ann Ash']}/6/", {"action": "submit"})
    assert refused.status_code == 410
    assert Response.objects.filter(assessment=assessment).count() == 1


def test_only_a_facilitator_of_the_system_can_reissue(viewer_client, assessment):
    (invitation,) = services.invitations_create(
        assessment=assessment, rater_kind="member", labels=["Ann Ash"]
    )
    before = invitation.token_hash

    response = reissue(viewer_client, assessment, invitation=str(invitation.pk))

    assert response.status_code == 403
    invitation.refresh_from_db()
    assert invitation.token_hash == before


def test_a_facilitator_of_another_system_cannot_reissue(other_facilitator_client, assessment):
    (invitation,) = services.invitations_create(
        assessment=assessment, rater_kind="member", labels=["Ann Ash"]
    )

    response = reissue(other_facilitator_client, assessment, invitation=str(invitation.pk))

    assert response.status_code == 404
    assert Invitation.objects.get(pk=invitation.pk).token_hash == invitation.token_hash
