"""Facilitator pages for systems, organisations and groups, through Django's test client."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from tracelead.organisations.models import (
    Group,
    Organisation,
    System,
    SystemMembership,
    SystemRole,
)


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_it_sends_an_anonymous_visitor_to_sign_in(client, system):
    for url in (
        reverse("systems"),
        reverse("system_create"),
        reverse("system", args=[system.pk]),
        reverse("organisation_create", args=[system.pk]),
        reverse("group_create", args=[system.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{reverse('login')}?next={url}"


def test_it_lists_only_the_systems_a_user_belongs_to(facilitator_client, system, other_system):
    response = facilitator_client.get(reverse("systems"))

    assert response.status_code == 200
    assert system.name in text(response)
    assert other_system.name not in text(response)


def test_it_creates_a_system_from_the_form_and_redirects_to_it(
    facilitator_client, facilitator, settings
):
    settings.TRACELEAD_SYSTEM_CREATORS = "anyone-signed-in"
    response = facilitator_client.post(
        reverse("system_create"), {"name": "Vale ICS", "description": "Partners in the vale"}
    )

    created = System.objects.get(name="Vale ICS")
    assert response.status_code == 302
    assert response["Location"] == reverse("system", args=[created.pk])
    assert SystemMembership.objects.get(system=created, user=facilitator).role == "facilitator"


def test_it_refuses_a_system_without_a_name_and_changes_nothing(facilitator_client, settings):
    settings.TRACELEAD_SYSTEM_CREATORS = "anyone-signed-in"
    before = System.objects.count()

    response = facilitator_client.post(reverse("system_create"), {"name": "  ", "description": ""})

    assert response.status_code == 400
    assert "nhsuk-error-summary" in text(response)
    assert "Enter the name of the system" in text(response)
    assert System.objects.count() == before


def test_it_refuses_a_duplicate_system_name_with_a_message(facilitator_client, system, settings):
    settings.TRACELEAD_SYSTEM_CREATORS = "anyone-signed-in"
    response = facilitator_client.post(reverse("system_create"), {"name": system.name.upper()})

    assert response.status_code == 400
    assert "A system with this name already exists" in text(response)
    assert System.objects.filter(name__iexact=system.name).count() == 1


def test_it_adds_an_organisation_with_a_sector(facilitator_client, system):
    response = facilitator_client.post(
        reverse("organisation_create", args=[system.pk]),
        {"name": "Vale County Council", "sector": "local_authority"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("system", args=[system.pk])
    council = Organisation.objects.get(system=system, name="Vale County Council")
    assert council.sector == "local_authority"
    page = facilitator_client.get(reverse("system", args=[system.pk]))
    assert "Vale County Council" in text(page)
    assert "Local authority" in text(page)


def test_it_refuses_an_organisation_without_a_sector_and_changes_nothing(
    facilitator_client, system
):
    response = facilitator_client.post(
        reverse("organisation_create", args=[system.pk]), {"name": "Vale County Council"}
    )

    assert response.status_code == 400
    assert "nhsuk-error-summary" in text(response)
    assert "Choose the organisation's sector" in text(response)
    assert not Organisation.objects.filter(system=system).exists()


def test_it_adds_a_group_nested_in_a_parent_group(facilitator_client, system, organisation):
    board = Group.objects.create(system=system, name="Board", space="system")

    response = facilitator_client.post(
        reverse("group_create", args=[system.pk]),
        {
            "name": "Ward 9",
            "space": "team",
            "organisation": str(organisation.pk),
            "parent": str(board.pk),
        },
    )

    assert response.status_code == 302
    ward = Group.objects.get(system=system, name="Ward 9")
    assert (ward.space, ward.organisation, ward.parent) == ("team", organisation, board)


def test_it_refuses_a_group_without_a_space_and_changes_nothing(facilitator_client, system):
    response = facilitator_client.post(
        reverse("group_create", args=[system.pk]), {"name": "Ward 9"}
    )

    assert response.status_code == 400
    assert "nhsuk-error-summary" in text(response)
    assert "Choose the space this group leads in" in text(response)
    assert not Group.objects.filter(system=system).exists()


def test_it_refuses_an_organisation_of_another_system_for_a_group(
    facilitator_client, system, other_system
):
    foreign = Organisation.objects.create(system=other_system, name="Foreign", sector="acute")

    response = facilitator_client.post(
        reverse("group_create", args=[system.pk]),
        {"name": "Ward 9", "space": "team", "organisation": str(foreign.pk)},
    )

    assert response.status_code == 400
    assert "nhsuk-error-summary" in text(response)
    assert not Group.objects.filter(name="Ward 9").exists()


@pytest.mark.parametrize("name", ["system", "organisation_create", "group_create"])
def test_a_facilitator_of_another_system_gets_404(other_facilitator_client, system, name):
    response = other_facilitator_client.get(reverse(name, args=[system.pk]))

    assert response.status_code == 404
    assert "Page not found" in text(response)
    assert system.name not in text(response)


def test_a_facilitator_of_another_system_cannot_post_an_organisation(
    other_facilitator_client, system
):
    response = other_facilitator_client.post(
        reverse("organisation_create", args=[system.pk]), {"name": "Sneaky", "sector": "acute"}
    )

    assert response.status_code == 404
    assert not Organisation.objects.filter(name="Sneaky").exists()


def test_a_viewer_sees_the_system_without_the_links_to_change_it(viewer_client, system):
    response = viewer_client.get(reverse("system", args=[system.pk]))

    assert response.status_code == 200
    assert system.name in text(response)
    assert reverse("organisation_create", args=[system.pk]) not in text(response)
    assert reverse("group_create", args=[system.pk]) not in text(response)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("organisation_create", {"name": "Viewer Trust", "sector": "acute"}),
        ("group_create", {"name": "Viewer group", "space": "team"}),
    ],
)
def test_a_viewer_gets_403_for_adding_organisations_and_groups(
    viewer_client, viewer, system, name, data
):
    assert SystemMembership.objects.get(user=viewer).role == SystemRole.VIEWER

    page = viewer_client.get(reverse(name, args=[system.pk]))
    posted = viewer_client.post(reverse(name, args=[system.pk]), data)

    assert (page.status_code, posted.status_code) == (403, 403)
    assert "You do not have access to this" in text(posted)
    assert not Organisation.objects.filter(name="Viewer Trust").exists()
    assert not Group.objects.filter(name="Viewer group").exists()
