"""Names as a side channel: "already exists" must only ever name something the user can
already see, and only those TRACELEAD_SYSTEM_CREATORS allows may create a system.

The people: nina has signed in but belongs to no system; olu runs Southmoor ICS, another
tenant; tara is a facilitator of Northbrook Hospitals only, in Northbrook ICS, whose
other organisation (Vale Council) has a "Discharge team" and whose partnership board
spans the system; fran is a facilitator of the whole of Northbrook ICS.
"""

from __future__ import annotations

import html
import os
import subprocess
import sys
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tracelead.organisations.models import (
    Group,
    Sector,
    Space,
    System,
    SystemMembership,
    SystemRole,
)
from tracelead.organisations.services import group_create, organisation_create, system_create

FORBIDDEN = "You do not have access to this"


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(db: Any, django_user_model: Any) -> dict[str, Any]:
    northbrook = system_create(name="Northbrook ICS")
    southmoor = system_create(name="Southmoor ICS")
    hospitals = organisation_create(
        system=northbrook, name="Northbrook Hospitals", sector=Sector.ACUTE
    )
    council = organisation_create(
        system=northbrook, name="Vale Council", sector=Sector.LOCAL_AUTHORITY
    )
    group_create(system=northbrook, organisation=hospitals, name="Ward 7 team", space=Space.TEAM)
    group_create(system=northbrook, organisation=council, name="Discharge team", space=Space.TEAM)
    group_create(system=northbrook, name="Partnership board", space=Space.SYSTEM)

    def person(username: str, system: System | None = None, **scope: Any) -> Any:
        user = django_user_model.objects.create_user(username)
        if system is not None:
            SystemMembership.objects.create(
                user=user, system=system, role=SystemRole.FACILITATOR, **scope
            )
        return user

    return {
        "northbrook": northbrook,
        "southmoor": southmoor,
        "hospitals": hospitals,
        "council": council,
        "nina": person("nina"),
        "olu": person("olu", southmoor),
        "tara": person("tara", northbrook, organisation=hospitals),
        "fran": person("fran", northbrook),
    }


# --- Who may create a system --------------------------------------------------------------


def test_a_signed_in_user_cannot_create_a_system_by_default(world: dict[str, Any]) -> None:
    nina = signed_in(world["nina"])

    listing = nina.get("/systems/")
    page = nina.get("/systems/new/")
    posted = nina.post("/systems/new/", {"name": "Nina's ICS"})

    assert listing.status_code == 200 and "/systems/new/" not in text(listing)
    assert (page.status_code, posted.status_code) == (403, 403)
    assert FORBIDDEN in text(page) and FORBIDDEN in text(posted)
    assert not System.objects.filter(name="Nina's ICS").exists()


def test_anyone_signed_in_may_reuse_another_tenants_system_name_but_not_one_they_see(
    world: dict[str, Any], settings: Any
) -> None:
    settings.TRACELEAD_SYSTEM_CREATORS = "anyone-signed-in"
    nina = signed_in(world["nina"])
    assert "/systems/new/" in text(nina.get("/systems/"))

    taken_elsewhere = nina.post("/systems/new/", {"name": "Southmoor ICS"})

    mine = System.objects.exclude(pk=world["southmoor"].pk).get(name="Southmoor ICS")
    assert taken_elsewhere.status_code == 302, text(taken_elsewhere)
    assert taken_elsewhere["Location"] == f"/systems/{mine.pk}/"
    assert SystemMembership.objects.get(system=mine).user == world["nina"]

    again = nina.post("/systems/new/", {"name": "southmoor ics"})

    assert again.status_code == 400
    assert "A system with this name already exists" in text(again)
    assert System.objects.filter(name__iexact="Southmoor ICS").count() == 2


def test_an_unknown_system_creators_value_stops_the_server_naming_the_setting(
    tmp_path: Any,
) -> None:
    def start(value: str) -> subprocess.CompletedProcess[str]:
        environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        environment.update(TRACELEAD_DATA_DIR=str(tmp_path), TRACELEAD_SYSTEM_CREATORS=value)
        return subprocess.run(
            [sys.executable, "-c",
             "from tracelead import settings; print(settings.TRACELEAD_SYSTEM_CREATORS)"],
            capture_output=True, text=True, env=environment, check=False,
        )

    typo = start("everyone")
    allowed = start("anyone-signed-in")

    assert typo.returncode != 0
    assert "ImproperlyConfigured" in typo.stderr
    assert "TRACELEAD_SYSTEM_CREATORS" in typo.stderr
    assert "administrators, anyone-signed-in" in typo.stderr
    assert allowed.returncode == 0 and allowed.stdout.strip() == "anyone-signed-in"


# --- Group names, for a facilitator of one organisation ----------------------------------


def test_an_organisation_facilitator_learns_no_group_name_outside_their_organisation(
    world: dict[str, Any],
) -> None:
    tara = signed_in(world["tara"])
    url = f"/systems/{world['northbrook'].pk}/groups/new/"
    hospitals = str(world["hospitals"].pk)

    # Names used by the council's team and by the board spanning the system, which tara
    # cannot see: her own groups may have them.
    for name in ("Discharge team", "Partnership board"):
        response = tara.post(url, {"name": name, "space": "team", "organisation": hospitals})
        assert response.status_code == 302, text(response)
        assert Group.objects.filter(organisation=world["hospitals"], name=name).exists()

    # A name already used in her organisation is refused, naming only her organisation.
    again = tara.post(url, {"name": "discharge TEAM", "space": "team", "organisation": hospitals})

    assert again.status_code == 400
    assert "A group with this name already exists in Northbrook Hospitals" in text(again)
    assert "Vale Council" not in text(again)
    assert Group.objects.filter(name__iexact="Discharge team").count() == 2


# --- The CSV importer, by the same rule ----------------------------------------------------


def upload(client: Client, system: System, rows: str) -> Any:
    """Upload a file and run the import job it starts; the job's page says what happened."""
    from tracelead.messaging.tasks import run_job

    data = ("organisation,sector,group,space,parent\n" + rows).encode()
    started = client.post(
        f"/systems/{system.pk}/import/", {"file": SimpleUploadedFile("s.csv", data, "text/csv")}
    )
    assert started.status_code == 302, text(started)
    run_job.call(int(started["Location"].strip("/").split("/")[-1]))
    return client.get(started["Location"])


def test_the_import_refuses_a_group_name_only_within_its_own_organisation(
    world: dict[str, Any],
) -> None:
    fran = signed_in(world["fran"])
    northbrook = world["northbrook"]

    imported = upload(fran, northbrook, "Northbrook Hospitals,,Discharge team,team,\n")

    assert "Imported 0 organisations and 1 groups." in text(imported), text(imported)
    assert Group.objects.filter(organisation=world["hospitals"], name="Discharge team").exists()

    refused = upload(
        fran, northbrook,
        "Vale Council,,discharge team,team,\n"
        ",,Partnership Board,system,\n"
        "Northbrook Hospitals,,Ward 8 team,team,\n"
        "Northbrook Hospitals,,Ward 8 team,team,\n",
    )

    page = text(refused)
    assert "Nothing was imported" in page
    assert "line 2, column “group”: a group with this name already exists in this organisation" \
        in page
    assert "line 3, column “group”: a group with this name already exists across the system" \
        in page
    assert "line 5, column “group”: a group with this name already exists" in page
    assert not Group.objects.filter(name="Ward 8 team").exists()


def test_the_import_finds_a_parent_in_the_rows_own_organisation_first(
    world: dict[str, Any],
) -> None:
    northbrook, hospitals, council = world["northbrook"], world["hospitals"], world["council"]
    group_create(system=northbrook, organisation=hospitals, name="Discharge team",
                 space=Space.TEAM)
    fran = signed_in(world["fran"])

    ambiguous = upload(fran, northbrook, ",,Night discharge,team,Discharge team\n")
    assert "Nothing was imported" in text(ambiguous)
    assert "line 2, column “parent”: groups in several other organisations" in text(ambiguous)

    imported = upload(fran, northbrook, "Vale Council,,Night discharge,team,Discharge team\n")

    assert "Imported 0 organisations and 1 groups." in text(imported), text(imported)
    night = Group.objects.get(name="Night discharge")
    assert (night.organisation, night.parent.organisation) == (council, council)
