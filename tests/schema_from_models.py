"""The schema made from the models, for tests that start tracelead in processes of their own.

Running the 83 migrations on an empty database takes about 30 s (Django renders the
models again after each operation); making the tables from the models takes a second or
two. It is what the test databases get (``TEST["MIGRATE"] = False`` in tests/conftest.py):
the cache table made, and every migration recorded as applied, so that a later
``migrate`` finds nothing to do. ``tests/test_migration_rules.py`` checks that the
migrations make this same schema; the tests that exist to run them on an empty database
(tests/security/test_storage.py, tests/cluster) still do.

``SCHEMA_FROM_MODELS`` is Python source for ``python -c``, run with the environment of the
processes under test (``DATABASE_URL``, ``TRACELEAD_DATA_DIR``).
"""

from __future__ import annotations

import subprocess
import sys

SCHEMA_FROM_MODELS = """
import django
django.setup()
from pathlib import Path
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

Path(settings.DATA_DIR).mkdir(mode=0o700, parents=True, exist_ok=True)
on_disk = list(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


class _NoMigrations(dict):
    def __contains__(self, app):
        return True

    def __getitem__(self, app):
        return None


settings.MIGRATION_MODULES = _NoMigrations()
call_command("migrate", run_syncdb=True, interactive=False, verbosity=0)
call_command("createcachetable", verbosity=0)
recorder = MigrationRecorder(connection)
recorder.ensure_schema()
recorder.migration_qs.bulk_create(recorder.Migration(app=app, name=name)
                                  for app, name in on_disk)
"""


def make_schema(env: dict[str, str], timeout: float = 120) -> None:
    """The tables of every model in the database ``env`` names, as ``migrate`` leaves them."""
    done = subprocess.run(  # noqa: S603 - our interpreter and our code
        [sys.executable, "-c", SCHEMA_FROM_MODELS], env=env, capture_output=True, text=True,
        timeout=timeout, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
