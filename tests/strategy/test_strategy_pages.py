"""A board's leadership strategy: the culture, the versioned behaviour framework and the
leadership inventory with its import; who may read and who may change them.

Story: Fran facilitates Northbrook ICS and starts the strategy of Northbrook Hospitals;
Vic views the system and reads it; Olu facilitates another system and must not learn
that the strategy exists.
"""

from __future__ import annotations

import html
import io
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from tracelead.core.models import AuditEvent
from tracelead.strategy import services
from tracelead.strategy.framework import bundled
from tracelead.strategy.models import Behaviour, Framework, Position, Strategy

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def _started(organisation: Any) -> Strategy:
    return services.strategy_create(organisation=organisation)


def test_a_facilitator_starts_the_strategy_with_the_default_framework_and_a_viewer_reads_it(
        facilitator: Any, viewer: Any, other_facilitator: Any, organisation: Any) -> None:
    url = reverse("strategy", args=[organisation.pk])
    assert "has not started its leadership strategy yet" in _text(_client(viewer).get(url))
    assert _client(viewer).post(url).status_code == 403
    assert not Strategy.objects.exists()

    fran = _client(facilitator)
    assert fran.post(url).status_code == 302
    strategy = Strategy.objects.get(organisation=organisation)
    framework = strategy.frameworks.get()
    spec = bundled()["everyday-leadership"]
    assert framework.version == 1 and framework.source == "everyday-leadership 1.0"
    assert list(framework.behaviours.values_list("key", flat=True)) == [
        b.key for b in spec.behaviours]
    assert AuditEvent.objects.filter(what__startswith="Started (leadership strategy").exists()
    # Starting twice adds nothing.
    fran.post(url)
    assert Framework.objects.count() == 1

    page = _text(_client(viewer).get(url))
    assert "Version 1: 8 behaviours for every leader, 2 for particular roles and 5 " \
           "capabilities leaders need together." in page
    assert "Change the culture and values" not in page
    framework_page = _text(_client(viewer).get(
        reverse("strategy_framework", args=[organisation.pk])))
    assert "Handling poor performance" in framework_page and "Add a behaviour" not in framework_page
    # The viewer cannot change anything; another system's facilitator cannot see it.
    assert _client(viewer).get(reverse("strategy_culture", args=[organisation.pk])
                               ).status_code == 404
    for name in ("strategy", "strategy_framework", "strategy_positions"):
        assert _client(other_facilitator).get(
            reverse(name, args=[organisation.pk])).status_code == 404
    # The system page links to it.
    system_page = _client(viewer).get(reverse("system", args=[organisation.system_id]))
    assert f'href="{url}"' in system_page.content.decode()


def test_the_culture_and_values_are_saved_and_bad_input_changes_nothing(
        facilitator: Any, organisation: Any) -> None:
    strategy = _started(organisation)
    url = reverse("strategy_culture", args=[organisation.pk])
    fran = _client(facilitator)
    too_many = "\n".join(f"Value {n}" for n in range(13))
    refused = fran.post(url, {"culture": "Kind and curious", "values": too_many})
    assert refused.status_code == 400 and "List at most 12 values" in _text(refused)
    assert "There is a problem" in _text(refused)
    twice = fran.post(url, {"culture": "x", "values": "Compassion\ncompassion"})
    assert twice.status_code == 400 and "Each value once" in _text(twice)
    strategy.refresh_from_db()
    assert strategy.culture == "" and strategy.values == []
    assert fran.post(url, {"culture": " Everyone can speak up. ",
                           "values": "Compassion\n\n Openness "}).status_code == 302
    strategy.refresh_from_db()
    assert strategy.culture == "Everyone can speak up."
    assert strategy.values == ["Compassion", "Openness"]
    assert "Everyone can speak up." in _text(fran.get(reverse("strategy", args=[organisation.pk])))


def test_every_change_to_the_framework_is_a_new_version_and_old_versions_stay(
        facilitator: Any, organisation: Any) -> None:
    _started(organisation)
    fran = _client(facilitator)
    new = reverse("strategy_behaviour_new", args=[organisation.pk])
    missing_role = fran.post(new, {"kind": "role", "title": "Leading a ward round",
                                   "description": "Runs the round so everyone speaks"})
    assert missing_role.status_code == 400
    assert "Name the role this behaviour is for" in _text(missing_role)
    assert Framework.objects.count() == 1

    assert fran.post(new, {"kind": "role", "title": "Leading a ward round",
                           "description": "Runs the round so everyone speaks.",
                           "role": "Consultants"}).status_code == 302
    assert fran.post(reverse("strategy_behaviour", args=[organisation.pk, "innovation"]), {
        "kind": "every", "title": "Innovation and improvement",
        "description": "Tries small changes and keeps what works."}).status_code == 302
    assert fran.post(reverse("strategy_behaviour_remove",
                             args=[organisation.pk, "using-data"])).status_code == 302
    versions = {f.version: f for f in Framework.objects.all()}
    assert sorted(versions) == [1, 2, 3, 4]
    first, last = versions[1], versions[4]
    assert first.behaviours.count() == 15 and last.behaviours.count() == 15
    assert first.behaviours.get(key="innovation").title == "Innovation"
    assert last.behaviours.get(key="innovation").title == "Innovation and improvement"
    assert first.behaviours.filter(key="using-data").exists()
    assert not last.behaviours.filter(key="using-data").exists()
    added = last.behaviours.get(key="leading-a-ward-round")
    assert (added.kind, added.role) == ("role", "Consultants")
    assert versions[4].note == "Removed “Using data well”"

    page = _text(fran.get(reverse("strategy_framework", args=[organisation.pk])))
    assert "Version 4 (Removed “Using data well”)" in page and "Using data well" in page
    old = _text(fran.get(reverse("strategy_framework", args=[organisation.pk]) + "?version=1"))
    innovation = old.split('id="behaviour-innovation"')[1].split("</div>")[0]
    assert "This is an earlier version" in old and ">Innovation<" in innovation
    assert "Add a behaviour" not in old  # earlier versions are read-only
    assert fran.get(reverse("strategy_behaviour", args=[organisation.pk, "no-such"])
                    ).status_code == 404


def test_positions_are_added_checked_and_their_gaps_shown(
        facilitator: Any, viewer: Any, organisation: Any, team: Any) -> None:
    _started(organisation)
    fran = _client(facilitator)
    new = reverse("strategy_position_new", args=[organisation.pk])
    bad = fran.post(new, {"title": "", "kind": "formal", "needed": "0", "in_post": "-1",
                          "succession": "none"})
    assert bad.status_code == 400
    for message in ("Enter the position's title", "A position is needed at least once",
                    "Enter 0 or more"):
        assert message in _text(bad)
    assert not Position.objects.exists()
    assert fran.post(new, {"title": "Ward manager", "kind": "formal", "needed": "12",
                           "in_post": "9", "clinical": "on", "groups": [str(team.pk)],
                           "behaviours": ["ward-leadership", "compassion"],
                           "succession": "none", "skills": "Rostering"}).status_code == 302
    assert fran.post(new, {"title": "ward MANAGER", "kind": "formal", "needed": "1",
                           "in_post": "0", "succession": "none"}).status_code == 400
    assert fran.post(new, {"title": "Clinical director", "kind": "formal", "needed": "4",
                           "in_post": "4", "clinical": "on",
                           "succession": "ready_now"}).status_code == 302
    assert fran.post(new, {"title": "Staff network chairs", "kind": "informal",
                           "needed": "5", "in_post": "3", "succession": "none"}
                     ).status_code == 302
    ward = Position.objects.get(title="Ward manager")
    assert ward.vacant == 3 and list(ward.groups.all()) == [team]

    page = _text(_client(viewer).get(reverse("strategy_positions", args=[organisation.pk])))
    assert "21 leaders needed, 16 in post, 5 vacant." in page
    assert "Running a safe, settled team day to day" in page
    workspace = _text(_client(viewer).get(reverse("strategy", args=[organisation.pk])))
    assert "2 formal roles, 1 category of informal influencers" in workspace
    assert "21, of whom 16 in clinical roles" in workspace
    # Informal influencers have no succession cover to report; the ward managers have none.
    callout = workspace.split('id="no-cover"')[1].split("</div>")[0]
    assert "No one ready to step in" in callout and "<p>Ward manager.</p>" in callout

    # A behaviour removed later is shown as such, not silently dropped.
    services.behaviour_remove(strategy=ward.strategy, key="compassion")
    page = _text(_client(viewer).get(reverse("strategy_positions", args=[organisation.pk])))
    assert "compassion (no longer in the framework)" in page
    assert _client(viewer).post(reverse("strategy_position_remove",
                                        args=[organisation.pk, ward.pk])).status_code == 404
    assert fran.post(reverse("strategy_position_remove",
                             args=[organisation.pk, ward.pk])).status_code == 302
    assert not Position.objects.filter(pk=ward.pk).exists()


def _upload(client: Client, organisation: Any, content: bytes, name: str = "positions.csv"
            ) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("strategy_positions_import", args=[organisation.pk]),
                       {"file": SimpleUploadedFile(name, content)})


@pytest.mark.parametrize(("content", "message"), [
    (b"", "The file is empty"),
    (b"title,in post\nWard manager,3\n", "line 1: the first row must name the columns; "
                                         "missing: needed"),
    (b"title,needed\n", "The file has column headings but no positions."),
    (b"title,needed,in post\nWard manager,twelve,3\n",
     "line 2, column “needed”: must be a whole number from 1 to 100,000"),
    (b"title,needed,succession\nWard manager,3,soon\n",
     "line 2, column “succession”: must be ready now, ready later or none"),
    (b"title,needed\nWard manager,3\nward manager,4\n",
     "line 3, column “title”: the same position is on line 2 too"),
    (b"title,needed\n=HYPERLINK(\"x\"),3\n",
     "line 2, column “title”: starts like a formula"),
    (b"title,needed,clinical\nWard manager,3,maybe\n",
     "line 2, column “clinical”: must be yes or no"),
])
def test_a_broken_positions_file_is_reported_by_line_and_column_and_nothing_changes(
        facilitator: Any, organisation: Any, content: bytes, message: str) -> None:
    _started(organisation)
    response = _upload(_client(facilitator), organisation, content)
    assert response.status_code == 400
    assert message in _text(response)
    assert "Nothing was imported" in _text(response) or message == "The file is empty"
    assert not Position.objects.exists()


def test_positions_import_from_csv_and_excel_and_a_second_import_updates(
        facilitator: Any, organisation: Any) -> None:
    strategy = _started(organisation)
    fran = _client(facilitator)
    csv = (b"Position,Needed,In post,Kind,Clinical,Succession,Skills,Notes\n"
           b"Ward manager,12,9,formal,yes,ready later,Rostering,ignored\n"
           b"Staff network chairs,5,3,informal,,,,\n")
    done = _upload(fran, organisation, csv)
    assert done.status_code == 200
    assert "Imported 2 new positions and updated 0" in _text(done)
    assert "Columns not read: Notes." in _text(done)
    ward = strategy.positions.get(title="Ward manager")
    assert (ward.needed, ward.in_post, ward.clinical, ward.succession, ward.skills) == (
        12, 9, True, "ready_later", "Rostering")
    ward.behaviours = ["compassion"]
    ward.save()

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["title", "needed", "in post"])
    sheet.append(["Ward manager", 14, 10])
    sheet.append(["Clinical director", 4, 4])
    data = io.BytesIO()
    book.save(data)
    again = _upload(fran, organisation, data.getvalue(), "positions.xlsx")
    assert "Imported 1 new position and updated 1" in _text(again)
    ward.refresh_from_db()
    assert (ward.needed, ward.in_post, ward.behaviours) == (14, 10, ["compassion"])
    assert Behaviour.objects.filter(framework__strategy=strategy).count() == 15


def test_the_demo_trust_is_part_way_through_its_strategy(db: Any, settings: Any) -> None:
    from tracelead.demo import DEMO_USERNAME, ORGANISATIONS, demo_load
    from tracelead.organisations.models import Organisation

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    demo_load()
    trust = Organisation.objects.get(name=ORGANISATIONS["acute"][0])
    strategy = Strategy.objects.get(organisation=trust)
    assert strategy.values == ["Compassion", "Openness", "Improvement", "Working together"]
    assert list(strategy.frameworks.values_list("version", flat=True)) == [3, 2, 1]
    from django.contrib.auth import get_user_model

    client = _client(get_user_model().objects.get(username=DEMO_USERNAME))
    workspace = _text(client.get(reverse("strategy", args=[trust.pk])))
    assert "Version 3" in workspace
    callout = workspace.split('id="no-cover"')[1].split("</div>")[0]
    for title in ("Matron", "Ward manager", "Head of patient flow"):
        assert title in callout
    positions = _text(client.get(reverse("strategy_positions", args=[trust.pk])))
    assert "162 leaders needed, 141 in post, 21 vacant." in positions
    assert "Leading ward rounds" in positions
    assert "Phases and milestones</a>: 4 of 7 done, 1 overdue" in workspace
    outcomes = client.get(reverse("strategy_outcomes", args=[trust.pk])).content.decode()
    assert outcomes.count("tl-chart__canvas--fit\"><svg") == 3
    sickness = strategy.outcomes.get(name="Sickness absence rate")
    values = list(sickness.values.values_list("value", flat=True))
    # Falling since the framework was agreed: the last quarter below the first.
    assert sum(values[-3:]) < sum(values[:3])

    # The development plan: matrons have no one ready and nothing planned.
    plan = _text(client.get(reverse("strategy_development", args=[trust.pk])))
    gaps = plan.split('id="development-gaps"')[1].split("</div>")[0]
    assert "Matron." in gaps and "Ward manager" not in gaps
    assert plan.count("Programme: ") == 2 and "Offer: Capability development" in plan
    assert "Workshops on leading across boundaries" in plan
    # Diversity: one published snapshot, and last month's figures as a draft that passes.
    diversity = _text(client.get(reverse("strategy_diversity", args=[trust.pk])))
    published = diversity.split('id="published"')[1].split('id="draft"')[0]
    bame = published.split("Black, Asian and minority ethnic</th>")[1].split("</tr>")[0]
    # 19 of 133 = 14.3%; 3,310 of 11,380 = 29.1%; 14.29 - 29.09 = -14.8 points.
    assert ">19<" in bame and "14.3%" in bame and "29.1%" in bame and "-14.8" in bame
    # Two post-holders did not state their sex: that count and the men's are hidden (the
    # workforce's 30 are not small).
    male = published.split("Male</th>")[1].split("</tr>")[0]
    assert male.count("hidden") == 1 and ">53<" not in male and "2,590" in male
    assert "It can be published" in diversity
    assert strategy.diversity.filter(published_at__isnull=True).count() == 1
