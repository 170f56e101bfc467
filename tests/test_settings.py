"""Settings from the environment: SQLite in WAL mode by default, PostgreSQL by DATABASE_URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.db import connection

SHOW_DATABASE = """
import json
from tracelead import settings
db = settings.DATABASES["default"]
print(json.dumps({key: db.get(key) for key in ("ENGINE", "NAME", "USER", "HOST", "PORT")}))
"""

CHECK_PRAGMAS = """
import json, os
os.environ["DJANGO_SETTINGS_MODULE"] = "tracelead.settings"
import django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    found = {}
    for pragma in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout", "secure_delete"):
        cursor.execute(f"PRAGMA {pragma}")
        found[pragma] = cursor.fetchone()[0]
print(json.dumps(found))
"""


def run(code: str, tmp_path, **env: str) -> dict[str, object]:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment["TRACELEAD_DATA_DIR"] = str(tmp_path)
    environment.update(env)
    done = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", code],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.no_database
def test_sqlite_in_the_data_directory_is_the_default(tmp_path):
    db = run(SHOW_DATABASE, tmp_path)

    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / "tracelead.sqlite3")


@pytest.mark.no_database
def test_database_url_selects_postgresql(tmp_path):
    db = run(SHOW_DATABASE, tmp_path, DATABASE_URL="postgres://u@h:5432/d")

    assert db == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "d",
        "USER": "u",
        "HOST": "h",
        "PORT": 5432,
    }


@pytest.mark.no_database
def test_the_default_sqlite_database_runs_in_wal_mode_with_durable_commits(tmp_path):
    pragmas = run(CHECK_PRAGMAS, tmp_path)

    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 2,  # FULL
        "foreign_keys": 1,
        "busy_timeout": 20000,
        # Deleted rows are overwritten (many SQLite builds leave them readable by default).
        "secure_delete": 1,
    }
    assert (tmp_path / "tracelead.sqlite3").exists()


@pytest.mark.django_db
def test_the_test_database_connection_uses_the_configured_engine():
    if connection.vendor != "sqlite":
        pytest.skip("PRAGMA journal_mode is SQLite's; this run uses PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
        cursor.execute("PRAGMA foreign_keys")
        foreign_keys = cursor.fetchone()[0]

    # The test database lives in memory, where SQLite cannot use WAL; a file database
    # (as in production and in the test above) does.
    expected = "memory" if connection.is_in_memory_db() else "wal"
    assert mode == expected
    assert foreign_keys == 1


@pytest.mark.no_database
def test_the_protection_level_is_a_number_and_refuses_a_typo(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from tracelead.settings import env_float

    monkeypatch.delenv("TRACELEAD_PROTECTION", raising=False)
    assert env_float("TRACELEAD_PROTECTION", 1.0) == 1.0
    monkeypatch.setenv("TRACELEAD_PROTECTION", "0.5")
    assert env_float("TRACELEAD_PROTECTION", 1.0) == 0.5
    for typo in ("one", "-1", "nan", "inf"):
        monkeypatch.setenv("TRACELEAD_PROTECTION", typo)
        with pytest.raises(ImproperlyConfigured, match="TRACELEAD_PROTECTION"):
            env_float("TRACELEAD_PROTECTION", 1.0)


@pytest.mark.no_database
def test_a_mistyped_switch_stops_start_up_instead_of_turning_a_protection_off(tmp_path):
    """TRACELEAD_SECURE=ture used to read as false: no HTTPS redirect, no secure cookies."""
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update(TRACELEAD_DATA_DIR=str(tmp_path), TRACELEAD_SECURE="ture")
    done = subprocess.run(
        [sys.executable, "-c", "import tracelead.settings"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "ImproperlyConfigured: TRACELEAD_SECURE must be true or false; got 'ture'" in (
        done.stderr
    )
    for word, expected in (("TRUE", "True"), ("off", "False")):
        environment["TRACELEAD_SECURE"] = word
        code = "from tracelead import settings; print(settings.SECURE)"
        out = subprocess.run(  # noqa: S603 - as above
            [sys.executable, "-c", code], env=environment, capture_output=True, text=True,
            timeout=60, check=True,
        ).stdout.strip()
        assert out == expected


SHOW_STORAGES = """
import json, os
os.environ["DJANGO_SETTINGS_MODULE"] = "tracelead.settings"
import django
django.setup()
from django.core.files.storage import storages
out = {}
for alias in ("default", "private"):
    s = storages[alias]
    out[alias] = {"class": type(s).__name__, "location": str(s.location),
                  "bucket": getattr(s, "bucket_name", None),
                  "endpoint": getattr(s, "endpoint_url", None),
                  "acl": getattr(s, "default_acl", None)}
print(json.dumps(out))
"""


@pytest.mark.no_database
def test_files_stay_on_this_machine_by_default(tmp_path):
    found = run(SHOW_STORAGES, tmp_path)
    assert found["default"]["class"] == found["private"]["class"] == "FileSystemStorage"
    assert found["default"]["location"] == str(tmp_path / "media")
    assert found["private"]["location"] == str(tmp_path)


@pytest.mark.no_database
def test_several_servers_share_files_in_private_s3_objects(tmp_path):
    found = run(SHOW_STORAGES, tmp_path, TRACELEAD_STORAGE="s3",
                TRACELEAD_S3_BUCKET="tracelead-files",
                TRACELEAD_S3_ENDPOINT_URL="http://127.0.0.1:9000")
    for alias, location in (("default", "media"), ("private", "private")):
        assert found[alias] == {"class": "S3Storage", "location": location,
                                "bucket": "tracelead-files",
                                "endpoint": "http://127.0.0.1:9000", "acl": "private"}


@pytest.mark.no_database
def test_s3_without_a_bucket_stops_with_the_setting_named(tmp_path):
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update(TRACELEAD_DATA_DIR=str(tmp_path), TRACELEAD_STORAGE="s3")
    done = subprocess.run([sys.executable, "-c", SHOW_STORAGES], env=environment,  # noqa: S603 - our own interpreter
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0 and "TRACELEAD_STORAGE=s3 needs TRACELEAD_S3_BUCKET" in done.stderr


SHOW_CACHE = """
import json
from tracelead import settings
cache = settings.CACHES["default"]
print(json.dumps({"BACKEND": cache["BACKEND"], "LOCATION": cache["LOCATION"]}))
"""


@pytest.mark.no_database
def test_the_cache_is_the_database_unless_a_redis_url_is_set(tmp_path):
    # Only the settings are read: nothing connects to Redis.
    plain = run(SHOW_CACHE, tmp_path, TRACELEAD_REDIS_URL="")
    assert plain == {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                     "LOCATION": "tracelead_cache"}

    redis = run(SHOW_CACHE, tmp_path, TRACELEAD_REDIS_URL="redis://127.0.0.1:6390/0")
    assert redis == {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                     "LOCATION": "redis://127.0.0.1:6390/0"}


SIGNED = """
import json, sys
from django.conf import settings
import django
django.setup()
from django.core import signing
if sys.argv[1] == "sign":
    print(json.dumps({"value": signing.dumps("fran", salt="t")}))
else:
    try:
        print(json.dumps({"value": signing.loads(sys.argv[2], salt="t")}))
    except signing.BadSignature:
        print(json.dumps({"value": None}))
"""


@pytest.mark.no_database
def test_a_replaced_secret_key_still_verifies_while_it_is_a_fallback(tmp_path):
    """Rotating TRACELEAD_SECRET_KEY: what the old key signed (sessions among it) is still
    accepted while the old key is in TRACELEAD_SECRET_KEY_FALLBACKS, and not after."""
    def run_with(*args: str, **env: str) -> object:
        environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        environment.update(TRACELEAD_DATA_DIR=str(tmp_path),
                           DJANGO_SETTINGS_MODULE="tracelead.settings", **env)
        done = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
            [sys.executable, "-c", SIGNED, *args], env=environment, capture_output=True,
            text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])["value"]

    old, new = "old-key-" + "o" * 40, "new-key-" + "n" * 40
    signed = run_with("sign", TRACELEAD_SECRET_KEY=old)
    assert run_with("load", signed, TRACELEAD_SECRET_KEY=new,
                    TRACELEAD_SECRET_KEY_FALLBACKS=old) == "fran"
    assert run_with("load", signed, TRACELEAD_SECRET_KEY=new) is None
