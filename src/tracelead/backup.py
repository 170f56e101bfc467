"""Back up and restore a whole tracelead database in a portable format.

The format is a gzip-compressed JSON Lines file (``*.tracelead.jsonl.gz`` by habit):

* line 1, the header::

      {"format": "tracelead-backup", "version": 1, "created": "2026-05-01T09:30:00+00:00",
       "database": "sqlite", "tracelead": "0.1.0",
       "migrations": {"diagnostics": ["0001_initial", ...], ...},
       "models": {"auth.user": 2, "diagnostics.response": 163, ...}}

* every further line, one row as Django's serializers write it (``{"model": ...,
  "pk": ..., "fields": {...}}``), models in dependency order. Primary keys are kept;
  references to users, permissions and content types use Django's natural keys, so a
  file made on SQLite restores into PostgreSQL and the other way round.

Content types and permissions are not in the file: ``migrate`` creates them on the
target. Everything else is: the domain's tables, users, sign-in protection records,
one-time-code devices, sessions and the admin log.

The backup is read in one transaction (a consistent snapshot; on PostgreSQL a
``REPEATABLE READ, READ ONLY`` one, so writers are not held up). A restore writes in one
transaction, refuses a database that already holds data unless told to replace it,
checks every model's row count against the header before committing, and resets
PostgreSQL's sequences so that new rows do not collide with restored keys.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder

FORMAT = "tracelead-backup"
VERSION = 1
CHUNK = 2000
# Rows that ``migrate`` creates on every database: referred to by natural key instead.
NOT_BACKED_UP = {"contenttypes.contenttype", "auth.permission"}

Progress = Callable[[int], None]


class _Encoder(DjangoJSONEncoder):
    """Django's JSON encoder, but keeping microseconds (it cuts times to milliseconds)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime | dt.time):
            return o.isoformat()
        return super().default(o)


class BackupError(Exception):
    """A backup file that cannot be restored here, or a restore that was refused."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    header: dict[str, Any]

    @property
    def rows(self) -> int:
        return sum(self.header["models"].values())


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def backed_up_models() -> list[type[models.Model]]:
    """Every concrete model whose rows belong in a backup, in dependency order.

    Users and other models with natural keys come before the models that refer to them
    by natural key, as ``dumpdata --natural-foreign`` orders them.
    """
    app_list: dict[Any, list[type[models.Model]] | None] = {}
    for app_config in apps.get_app_configs():
        chosen = [
            model
            for model in app_config.get_models()
            if model._meta.managed
            and not model._meta.proxy
            and _label(model) not in NOT_BACKED_UP
        ]
        if chosen:
            app_list[app_config] = chosen
    return serializers.sort_dependencies(app_list.items(), allow_cycles=True)


def _applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def _rows(model: type[models.Model]) -> Iterator[dict[str, Any]]:
    queryset = model._default_manager.order_by("pk")
    chunk: list[models.Model] = []
    for obj in queryset.iterator(chunk_size=CHUNK):
        chunk.append(obj)
        if len(chunk) == CHUNK:
            yield from serializers.serialize("python", chunk, use_natural_foreign_keys=True)
            chunk = []
    if chunk:
        yield from serializers.serialize("python", chunk, use_natural_foreign_keys=True)


@contextlib.contextmanager
def _snapshot() -> Iterator[None]:
    """A read transaction that sees one consistent state and holds up no writer.

    PostgreSQL: REPEATABLE READ, READ ONLY. SQLite: a DEFERRED transaction, which in WAL
    mode reads one snapshot without taking the write lock (tracelead's settings make
    transactions IMMEDIATE, which would make respondents wait for the whole backup).
    Inside an outer transaction (tests) the outer one's snapshot is used.
    """
    outermost = not connection.in_atomic_block
    mode = getattr(connection, "transaction_mode", None)
    if outermost and connection.vendor == "sqlite":
        connection.transaction_mode = "DEFERRED"  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            if outermost and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
    finally:
        if outermost and connection.vendor == "sqlite":
            connection.transaction_mode = mode  # type: ignore[attr-defined]


def backup(path: Path | str, *, progress: Progress | None = None) -> BackupSummary:
    """Write the whole database to ``path``; returns the header that was written."""
    path = Path(path)
    advance = progress or (lambda _rows: None)
    try:
        version = metadata.version("tracelead")
    except metadata.PackageNotFoundError:  # running from a checkout that is not installed
        version = "unknown"
    chosen = backed_up_models()
    partial = path.with_name(path.name + ".partial")
    with _snapshot():
        header: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "database": connection.vendor,
            "tracelead": version,
            "migrations": _applied_migrations(),
            "models": {_label(model): model._default_manager.count() for model in chosen},
        }
        with gzip.open(partial, "wt", encoding="utf-8") as handle:
            handle.write(json.dumps(header, sort_keys=True) + "\n")
            for model in chosen:
                for row in _rows(model):
                    handle.write(json.dumps(row, cls=_Encoder, sort_keys=True) + "\n")
                    advance(1)
    # Only a complete file takes the final name, so a crash never leaves a truncated backup
    # where a good one is expected.
    partial.replace(path)
    return BackupSummary(path=path, header=header)


def read_header(path: Path | str) -> dict[str, Any]:
    """The header of a backup file, checked to be one this version can restore."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            header = json.loads(handle.readline())
    except (OSError, EOFError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BackupError(f"{path} is not a tracelead backup: {error}") from error
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError(f"{path} is not a tracelead backup.")
    if header.get("version") != VERSION:
        raise BackupError(
            f"{path} is a version {header.get('version')} backup; this tracelead reads "
            f"version {VERSION}."
        )
    return header


def _objects(path: Path | str) -> Iterator[dict[str, Any]]:
    """The rows of a backup; a damaged file (cut short, or a line that is not JSON)
    raises :class:`BackupError` naming the line."""
    good = 1  # lines read whole so far (the header first)
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            handle.readline()
            for line in handle:
                if line.strip():
                    yield json.loads(line)
                good += 1
    except (OSError, EOFError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BackupError(
            f"{path} is damaged (cut short or changed) after line {good}: {error}"
        ) from error


def _check_migrations(header: dict[str, Any]) -> None:
    here = _applied_migrations()
    unknown = [
        f"{app}.{name}"
        for app, names in header.get("migrations", {}).items()
        for name in names
        if name not in here.get(app, [])
    ]
    if unknown:
        raise BackupError(
            "The backup was made by a newer version of tracelead (its database has "
            f"migrations this one has not applied: {', '.join(unknown[:5])}). "
            "Upgrade tracelead, run `tracelead manage migrate`, then restore."
        )


def _batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Runs of at most ``CHUNK`` consecutive rows of one model (the file is in model
    order, so each model's rows come as a few runs)."""
    batch: list[dict[str, Any]] = []
    for row in rows:
        if batch and (row.get("model") != batch[0].get("model") or len(batch) == CHUNK):
            yield batch
            batch = []
        batch.append(row)
    if batch:
        yield batch


def _insert(batch: list[dict[str, Any]]) -> type[models.Model]:
    """Insert rows of one model as they were: one multi-row INSERT per database batch.

    As ``loaddata`` saves (``raw``): every stored value is kept as it is (a field with
    ``auto_now`` keeps its backed-up time), a multi-table child inserts only its own table
    (its parent's rows are rows of the file too), and no ``save()`` method or signal runs,
    so nothing is derived from restored rows. Django's ``save_base`` inserts through the
    same ``_insert(raw=True)``, one row at a time with an UPDATE tried first; this is
    about seven times faster (the demo's 7,034 rows: 10.7 s against 1.5 s). Many-to-many
    links of Django's own tables (a user's groups and permissions) are inserted after
    their rows.
    """
    found = list(serializers.deserialize("python", batch, handle_forward_references=False))
    model = type(found[0].object)
    meta = model._meta
    objects = [item.object for item in found]
    fields = meta.local_concrete_fields
    size = connection.ops.bulk_batch_size(fields, objects) or len(objects)
    manager = model._base_manager
    for start in range(0, len(objects), size):
        manager._insert(objects[start:start + size], fields=fields,  # type: ignore[attr-defined]
                        raw=True, using=connection.alias)
    for field in meta.local_many_to_many:
        through = field.remote_field.through
        links = [
            through(**{f"{field.m2m_field_name()}_id": item.object.pk,
                       f"{field.m2m_reverse_field_name()}_id": target})
            for item in found
            for target in (item.m2m_data or {}).get(field.name, [])
        ]
        if links:
            through._base_manager.bulk_create(links)
    return model


def counts(chosen: list[type[models.Model]] | None = None) -> dict[str, int]:
    """Rows per backed-up model in the current database."""
    return {
        _label(model): model._default_manager.count()
        for model in (chosen if chosen is not None else backed_up_models())
    }


def _clear(chosen: list[type[models.Model]]) -> None:
    tables = [model._meta.db_table for model in chosen]
    tables += [
        field.remote_field.through._meta.db_table
        for model in chosen
        for field in model._meta.local_many_to_many
        if field.remote_field.through._meta.auto_created
    ]
    statements = connection.ops.sql_flush(
        no_style(), tables, reset_sequences=False, allow_cascade=True
    )
    connection.ops.execute_sql_flush(statements)


def restore(
    path: Path | str, *, force: bool = False, progress: Progress | None = None
) -> dict[str, int]:
    """Load a backup into this database, all or nothing; returns the rows per model.

    The database must be migrated and hold no rows of the backed-up models, unless
    ``force`` is given: then its rows are replaced (in the same transaction).
    """
    header = read_header(path)
    advance = progress or (lambda _rows: None)
    _check_migrations(header)
    chosen = backed_up_models()
    known = {_label(model): model for model in chosen}
    expected: dict[str, int] = header["models"]
    unknown_models = sorted(set(expected) - set(known))
    if unknown_models:
        raise BackupError(f"The backup holds models this database lacks: {unknown_models}")
    with transaction.atomic():
        present = {label: n for label, n in counts(chosen).items() if n}
        if present and not force:
            raise BackupError(
                "The database is not empty ("
                + ", ".join(f"{label}: {n}" for label, n in sorted(present.items()))
                + "). Restore into an empty database, or pass --force to replace its data."
            )
        if present:
            _clear(chosen)
        loaded: set[type[models.Model]] = set()
        with connection.constraint_checks_disabled():
            for batch in _batches(_objects(path)):
                try:
                    loaded.add(_insert(batch))
                except (DeserializationError, DatabaseError) as error:
                    raise BackupError(f"A row of {path} cannot be loaded: {error}") from error
                advance(len(batch))
        try:
            connection.check_constraints(table_names=[m._meta.db_table for m in loaded])
        except DatabaseError as error:
            raise BackupError(f"The rows of {path} do not fit together: {error}") from error
        if loaded and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for statement in connection.ops.sequence_reset_sql(no_style(), list(loaded)):
                    cursor.execute(statement)
        after = counts(chosen)
        wrong = {
            label: (expected.get(label, 0), after[label])
            for label in after
            if after[label] != expected.get(label, 0)
        }
        if wrong:
            raise BackupError(f"Row counts differ after loading (expected, found): {wrong}")
    return after
