"""Systems, organisations and groups: what the services create and what they refuse."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tracelead.organisations import services
from tracelead.organisations.models import (
    Group,
    Organisation,
    Sector,
    Space,
    System,
    SystemMembership,
    SystemRole,
)


def test_it_creates_a_system_and_makes_its_creator_a_facilitator(make_user, settings):
    settings.TRACELEAD_SYSTEM_CREATORS = "anyone-signed-in"
    user = make_user("creator")

    system = services.system_create(
        name="  Vale ICS  ", description=" A partnership ", created_by=user
    )

    assert system.name == "Vale ICS"
    assert system.description == "A partnership"
    membership = SystemMembership.objects.get(system=system)
    assert (membership.user, membership.role) == (user, SystemRole.FACILITATOR)


def test_it_gives_a_superuser_no_membership_because_they_see_everything(make_user):
    admin = make_user("root", is_superuser=True, is_staff=True)

    system = services.system_create(name="Vale ICS", created_by=admin)

    assert not SystemMembership.objects.filter(system=system).exists()


def test_it_refuses_a_second_system_with_the_same_name(system):
    with pytest.raises(ValidationError) as error:
        services.system_create(name=system.name)

    assert "name" in error.value.message_dict
    assert System.objects.filter(name=system.name).count() == 1


def test_it_creates_organisations_of_different_sectors_in_a_system(system):
    trust = services.organisation_create(system=system, name="Trust", sector=Sector.ACUTE)
    council = services.organisation_create(
        system=system, name="Council", sector=Sector.LOCAL_AUTHORITY
    )
    charity = services.organisation_create(system=system, name="Charity", sector=Sector.VCFSE)

    assert {o.sector for o in system.organisations.all()} == {
        "acute",
        "local_authority",
        "vcfse",
    }
    assert [trust.system, council.system, charity.system] == [system] * 3


def test_it_refuses_an_unknown_sector(system):
    with pytest.raises(ValidationError) as error:
        services.organisation_create(system=system, name="Trust", sector="space_agency")

    assert "sector" in error.value.message_dict
    assert not Organisation.objects.exists()


def test_it_nests_groups_with_spaces(system, organisation):
    board = services.group_create(system=system, name="Board", space=Space.SYSTEM)
    trust = services.group_create(
        system=system,
        name="Trust leadership",
        space=Space.ORGANISATION,
        organisation=organisation,
        parent=board,
    )
    ward = services.group_create(
        system=system, name="Ward 7", space=Space.TEAM, organisation=organisation, parent=trust
    )

    assert ward.ancestors() == [trust, board]
    assert list(board.children.all()) == [trust]
    assert (board.space, trust.space, ward.space) == ("system", "organisation", "team")


def test_it_refuses_an_unknown_space(system):
    with pytest.raises(ValidationError) as error:
        services.group_create(system=system, name="Board", space="galaxy")

    assert "space" in error.value.message_dict
    assert not Group.objects.exists()


def test_it_refuses_a_group_with_an_organisation_from_another_system(system, other_system):
    elsewhere = services.organisation_create(
        system=other_system, name="Elsewhere Trust", sector=Sector.ACUTE
    )

    with pytest.raises(ValidationError) as error:
        services.group_create(system=system, name="Ward", space=Space.TEAM, organisation=elsewhere)

    assert error.value.message_dict["organisation"] == [
        "Choose an organisation in the same system."
    ]
    assert not Group.objects.filter(system=system).exists()


def test_it_refuses_a_parent_group_from_another_system(system, other_system):
    foreign = services.group_create(system=other_system, name="Board", space=Space.SYSTEM)

    with pytest.raises(ValidationError) as error:
        services.group_create(system=system, name="Ward", space=Space.TEAM, parent=foreign)

    assert error.value.message_dict["parent"] == ["Choose a parent group in the same system."]


def test_a_group_cannot_be_its_own_parent(system):
    board = services.group_create(system=system, name="Board", space=Space.SYSTEM)
    board.parent = board

    with pytest.raises(ValidationError) as error:
        board.full_clean()

    assert error.value.message_dict["parent"] == ["A group cannot sit inside itself."]


def test_a_group_cannot_be_its_own_ancestor(system):
    board = services.group_create(system=system, name="Board", space=Space.SYSTEM)
    trust = services.group_create(
        system=system, name="Trust", space=Space.ORGANISATION, parent=board
    )
    ward = services.group_create(system=system, name="Ward", space=Space.TEAM, parent=trust)
    board.parent = Group.objects.get(pk=ward.pk)

    with pytest.raises(ValidationError) as error:
        board.full_clean()

    assert error.value.message_dict["parent"] == ["A group cannot sit inside itself."]
    board.refresh_from_db()
    assert board.parent is None


def test_group_names_are_unique_within_a_system_but_not_across_systems(system, other_system):
    services.group_create(system=system, name="Board", space=Space.SYSTEM)
    services.group_create(system=other_system, name="Board", space=Space.SYSTEM)

    with pytest.raises(ValidationError):
        services.group_create(system=system, name="Board", space=Space.TEAM)

    assert Group.objects.filter(name="Board").count() == 2
