"""`tracelead backup` and `tracelead restore` round-trip a whole database.

The demo data (users, a system, groups, four reporting cycles, three of them published, 20
rounds with invitations and 178 responses, each published one pointing to its publication)
plus a draft, an open-link submission, a used invitation and a user's group and permissions
are loaded once for the module and backed up, the database is flushed (content types and
permissions are made again, with new keys), and the backup is restored. Every backed-up
model's rows must then be the same as before, compared field by field as Django serialises
them.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core import serializers
from django.core.management import call_command
from django.test import override_settings
from typer.testing import CliRunner

from tracelead import backup as backups
from tracelead.cli import app
from tracelead.demo import DEMO_USERNAME, demo_load
from tracelead.diagnostics import services
from tracelead.diagnostics.models import Assessment, Response

pytestmark = pytest.mark.django_db(transaction=True)
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def snapshot() -> dict[str, Counter[str]]:
    """Every backed-up model's rows, as serialised JSON (natural keys for users etc.)."""
    rows: dict[str, Counter[str]] = {}
    for model in backups.backed_up_models():
        serialised = serializers.serialize(
            "python", model._default_manager.all(), use_natural_foreign_keys=True
        )
        rows[model._meta.label_lower] = Counter(
            json.dumps(row, sort_keys=True, default=str) for row in serialised
        )
    return rows


def _load_demo_and_more(trace: Any) -> None:
    """The demo, plus a draft, an open-link submission, a used invitation and a user in a
    group with a permission of their own (Django's many-to-many tables)."""
    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        demo_load()
    assessment = Assessment.objects.filter(responses__isnull=False).order_by("-closes_on")[0]
    invitations = services.invitations_create(
        assessment=assessment, rater_kind="member", count=2
    )
    draft = services.draft_start(
        assessment=assessment, invitation=invitations[0], rater_kind="member"
    )
    services.draft_save(draft=draft, page=2, answers={"task_1": 4, "task_2": None})
    open_draft = services.draft_start(
        assessment=assessment, device_key="phone", rater_kind="member"
    )
    services.draft_save(
        draft=open_draft, page=6, answers=dict.fromkeys(trace.item_keys, 3),
        free_text={"one_change": "Ünïcode – and “quotes”"},
    )
    services.response_submit(draft_id=open_draft.pk)
    user = get_user_model().objects.get(username=DEMO_USERNAME)
    editors = Group.objects.create(name="Editors")
    editors.permissions.add(Permission.objects.get(codename="view_response"))
    user.groups.add(editors)
    user.user_permissions.add(Permission.objects.get(codename="change_assessment"))


@dataclass(frozen=True)
class DemoBackup:
    path: Path
    rows: dict[str, Counter[str]]
    summary: backups.BackupSummary


@pytest.fixture(scope="module")
def demo_backup(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any
                ) -> DemoBackup:
    """The demo (and more) loaded once for the module, its rows, and its backup; then the
    database is emptied again (as ``flush`` does: content types and permissions are made
    again, with new keys). The first test restores the backup and compares every row;
    the others start from it restored (a second or two, against the demo's ten or more)."""
    from tracelead.instruments import get_instrument

    path = tmp_path_factory.mktemp("backup") / "demo.tracelead.jsonl.gz"
    with django_db_blocker.unblock():
        _load_demo_and_more(get_instrument("trace"))
        rows = snapshot()
        summary = backups.backup(path)
        call_command("flush", interactive=False, verbosity=0)
    return DemoBackup(path=path, rows=rows, summary=summary)


@pytest.fixture
def data(demo_backup: DemoBackup) -> dict[str, Counter[str]]:
    backups.restore(demo_backup.path)
    return demo_backup.rows


def test_a_backup_restores_into_an_empty_database_with_every_row_the_same(demo_backup):
    data, path, summary = demo_backup.rows, demo_backup.path, demo_backup.summary
    models = summary.header["models"]
    assert models["diagnostics.response"] == 178 + 1
    assert (models["publishing.cycle"], models["publishing.publication"]) == (4, 3)
    assert summary.rows == sum(sum(rows.values()) for rows in data.values())

    assert Response.objects.count() == 0  # emptied after the backup

    loaded = backups.restore(path)

    assert loaded == {label: sum(rows.values()) for label, rows in data.items()}
    assert snapshot() == data
    # The frozen publications come back as they were, still read rather than recomputed.
    assert Response.objects.filter(publication__isnull=False).count() == 178 - 6
    # Django's own many-to-many tables too (restored after their rows).
    user = get_user_model().objects.get(username=DEMO_USERNAME)
    assert [g.name for g in user.groups.all()] == ["Editors"]
    assert user.has_perm("diagnostics.view_response")
    assert user.has_perm("diagnostics.change_assessment")
    assert not user.has_perm("diagnostics.delete_response")
    # Rows with times Django sets on save (auto_now_add) were compared above: the restore
    # keeps the backed-up times rather than stamping the time of the restore.
    assert data["evaluation.form"] and data["network.networkpublication"]


def test_the_file_is_gzip_json_lines_with_a_header_first(data, tmp_path):
    path = tmp_path / "db.jsonl.gz"
    backups.backup(path)
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        header = json.loads(handle.readline())
        rows = [json.loads(line) for line in handle]
    assert header["format"] == "tracelead-backup" and header["version"] == 1
    assert header["database"] in {"sqlite", "postgresql"}
    assert "diagnostics" in header["migrations"]
    assert Counter(row["model"] for row in rows) == {
        label: n for label, n in header["models"].items() if n
    }
    assert "contenttypes.contenttype" not in header["models"]


def test_restore_refuses_a_database_that_holds_data(data, tmp_path):
    path = tmp_path / "db.jsonl.gz"
    backups.backup(path)

    with pytest.raises(backups.BackupError, match="not empty"):
        backups.restore(path)
    assert snapshot() == data


def test_restore_with_force_replaces_the_data(data, tmp_path):
    path = tmp_path / "db.jsonl.gz"
    backups.backup(path)
    Response.objects.filter(
        pk__in=list(Response.objects.values_list("pk", flat=True)[:5])
    ).delete()

    backups.restore(path, force=True)

    assert snapshot() == data


def test_a_file_that_is_not_a_backup_is_refused_and_changes_nothing(tmp_path):
    path = tmp_path / "not-a-backup.gz"
    with gzip.open(path, "wt") as handle:
        handle.write('{"model": "auth.user"}\n')
    with pytest.raises(backups.BackupError, match="not a tracelead backup"):
        backups.restore(path)
    plain = tmp_path / "plain.txt"
    plain.write_text("hello")
    with pytest.raises(backups.BackupError, match="not a tracelead backup"):
        backups.restore(plain)


def test_a_backup_whose_counts_do_not_match_is_rolled_back(data, tmp_path):
    path = tmp_path / "db.jsonl.gz"
    backups.backup(path)
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        header = json.loads(handle.readline())
        rest = handle.read()
    header["models"]["diagnostics.response"] += 1
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps(header) + "\n" + rest)
    call_command("flush", interactive=False, verbosity=0)

    with pytest.raises(backups.BackupError, match="counts differ"):
        backups.restore(path)
    assert Response.objects.count() == 0
    assert Assessment.objects.count() == 0


def test_the_commands_back_up_and_restore_with_progress(data, tmp_path):
    path = tmp_path / "cli.jsonl.gz"
    runner = CliRunner()

    made = runner.invoke(app, ["backup", str(path)])
    assert made.exit_code == 0, made.output
    assert "Wrote" in made.output

    refused = runner.invoke(app, ["restore", str(path), "--no-migrate"])
    assert refused.exit_code == 1
    assert "Nothing was restored" in refused.output

    call_command("flush", interactive=False, verbosity=0)
    restored = runner.invoke(app, ["restore", str(path), "--no-migrate"])
    assert restored.exit_code == 0, restored.output
    assert "Restored" in restored.output
    assert snapshot() == data


@pytest.mark.parametrize("damage", ["cut_short", "bad_line", "bad_row"])
def test_a_damaged_backup_is_refused_with_a_message_and_changes_nothing(data, tmp_path, damage):
    path = tmp_path / "db.jsonl.gz"
    backups.backup(path)
    with gzip.open(path, "rb") as handle:
        lines = handle.read().split(b"\n")
    if damage == "cut_short":
        raw = path.read_bytes()
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "bad_line":
        lines[40] = lines[40][: len(lines[40]) // 2]
        path.write_bytes(gzip.compress(b"\n".join(lines)))
    else:
        row = json.loads(lines[40])
        row["model"] = "diagnostics.nosuchmodel"
        lines[40] = json.dumps(row).encode()
        path.write_bytes(gzip.compress(b"\n".join(lines)))
    call_command("flush", interactive=False, verbosity=0)

    with pytest.raises(backups.BackupError):
        backups.restore(path)
    assert Assessment.objects.count() == 0
    result = CliRunner().invoke(app, ["restore", str(path), "--no-migrate"])
    assert result.exit_code == 1
    assert "Nothing was restored" in result.output
    assert Assessment.objects.count() == 0
