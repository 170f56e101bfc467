"""What is deleted leaves the database's files, and the files are the server user's alone.

Ann answers on her personal link and writes a comment. Whoever later copies the SQLite
file and its write-ahead log (a backup operator, a stolen disk) must not find a draft that
was submitted or re-issued: neither its comment's first wording nor its resume code's hash,
the only thing that tied her answers to her link.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from tracelead.diagnostics import services
from tracelead.diagnostics.models import Response, ResponseDraft

FIRST_WORDING = "Kestrel ledger 7731: the rota is decided by whoever shouts"
FINAL_WORDING = "Heron ledger 4419: we could share the rota"
REISSUED_WORDING = "Osprey ledger 2286: my manager ignores the huddle"


def stored_bytes() -> dict[str, bytes]:
    """The raw database file and write-ahead log, as someone copying them would read them."""
    name = connection.settings_dict["NAME"]
    found = {}
    for suffix in ("", "-wal"):
        path = Path(f"{name}{suffix}")
        found[path.name] = path.read_bytes() if path.exists() else b""
    return found


def holding(text: str) -> list[str]:
    return [name for name, data in stored_bytes().items() if text.encode() in data]


@pytest.fixture
def sqlite_file() -> None:
    if connection.vendor != "sqlite" or connection.is_in_memory_db():
        pytest.skip("SQLite's files; PostgreSQL relies on VACUUM (docs/threat-model.md)")


@pytest.fixture
def ann(assessment):
    (invitation,) = services.invitations_create(
        assessment=assessment, rater_kind="member", labels=["Ann"]
    )
    return invitation


def answer_everything(client: Client, token: str, trace, comment: str) -> None:
    assert client.post(f"/r/{token}/").status_code == 302
    for page, scale in enumerate(trace.scales, start=1):
        data = {item.key: "3" for item in scale.items} | {"action": "next"}
        assert client.post(f"/r/{token}/{page}/", data).status_code == 302
    saved = client.post(f"/r/{token}/6/", {"one_change": comment, "action": "back"})
    assert saved.status_code == 302


@pytest.mark.django_db(transaction=True)
def test_a_submitted_draft_is_in_neither_the_database_file_nor_its_log(
    sqlite_file, ann, trace
):
    phone = Client()
    answer_everything(phone, ann.token, trace, FIRST_WORDING)
    draft = ResponseDraft.objects.get(invitation=ann)
    assert holding(FIRST_WORDING) and holding(draft.resume_hash)  # the reading works

    submitted = phone.post(f"/r/{ann.token}/6/", {"one_change": FINAL_WORDING, "action": "submit"})

    assert submitted["Location"] == "/r/done/"
    assert Response.objects.get().free_text == {"one_change": FINAL_WORDING}
    assert holding(FINAL_WORDING)  # the response itself is kept, as it should be
    assert holding(FIRST_WORDING) == []
    assert holding(draft.resume_hash) == []
    assert holding(draft.holder_hash) == []


@pytest.mark.django_db(transaction=True)
def test_a_reissued_links_draft_is_in_neither_the_database_file_nor_its_log(
    sqlite_file, ann, trace, facilitator_client
):
    answer_everything(Client(), ann.token, trace, REISSUED_WORDING)
    assert holding(REISSUED_WORDING)

    reissued = facilitator_client.post(
        f"/assessments/{ann.assessment_id}/links/reissue/", {"invitation": str(ann.pk)}
    )

    assert reissued.status_code == 302
    assert not ResponseDraft.objects.exists()
    assert holding(REISSUED_WORDING) == []


@pytest.mark.no_database
def test_a_new_data_folder_and_its_files_are_readable_by_their_owner_only(tmp_path):
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "TRACELEAD_SECRET_KEY"}}
    env["TRACELEAD_DATA_DIR"] = str(data)
    cli = [sys.executable, "-m", "tracelead.cli", "manage"]
    # Looked at while a connection is open, so that the -wal and -shm files exist.
    show_modes = (
        "import json, os, stat\n"
        "from django.db import connection\n"
        "connection.ensure_connection()\n"
        "folder = os.environ['TRACELEAD_DATA_DIR']\n"
        "print(json.dumps({name: oct(stat.S_IMODE(os.stat(os.path.join(folder, name)).st_mode))"
        " for name in sorted(os.listdir(folder))}))\n"
    )

    for args in (["migrate", "--verbosity", "0"], ["shell", "--command", show_modes]):
        done = subprocess.run(  # noqa: S603 - our own interpreter and command
            [*cli, *args], env=env, umask=0o022, capture_output=True, text=True, timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr

    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    modes = done.stdout.strip().splitlines()[-1]
    # cache/ holds compiled templates (tracelead.core.jinja): code the servers run.
    assert modes == (
        '{"cache": "0o700", "secret_key": "0o600", "tracelead.sqlite3": "0o600", '
        '"tracelead.sqlite3-shm": "0o600", "tracelead.sqlite3-wal": "0o600"}'
    )
    assert stat.S_IMODE((data / "cache" / "templates").stat().st_mode) == 0o700
