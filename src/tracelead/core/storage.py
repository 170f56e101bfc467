"""How the database's files are kept: private to the server's user, and free of deleted rows.

SQLite keeps a deleted row's bytes in two places: in the free space of the page it was on
(until something else is written there) and in the write-ahead log (``-wal``), which holds
every changed page until a checkpoint copies it into the database and the log is reset.
So a draft deleted on submission, a re-issued link's draft or an erased label would stay
readable in the files for anyone who copies them. Two measures remove them:

* ``PRAGMA secure_delete=ON`` on every connection (settings.py) makes SQLite overwrite
  deleted content with zeros;
* after a transaction that deletes identifiable rows commits, :func:`forget_deleted_rows`
  runs ``PRAGMA wal_checkpoint(TRUNCATE)``: the cleaned pages go into the database file and
  the log is cut to zero bytes.

PostgreSQL needs ``VACUUM`` instead (docs/threat-model.md); nothing is done here for it.

The files themselves (database, ``-wal``, ``-shm``) are made readable by their owner only
when a connection opens (:func:`keep_database_files_private`).
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction

logger = logging.getLogger(__name__)

# How long a checkpoint waits for other connections' reads and writes to finish. While it
# waits, new writers queue behind it (they have their own busy timeout), so it is short:
# a checkpoint that cannot finish now is done by the next deletion's.
CHECKPOINT_WAIT_MS = 250

SQLITE_FILE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def forget_deleted_rows(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Once the current transaction commits, remove deleted rows from SQLite's files.

    Call it wherever identifiable rows are deleted or overwritten (drafts, labels, codes,
    sign-in records). Outside a transaction it runs at once. On PostgreSQL it does nothing.
    It never makes the caller fail: a checkpoint that cannot finish is logged.
    """
    if connections[using].vendor != "sqlite":
        return
    transaction.on_commit(lambda: _checkpoint(using), using=using, robust=True)


def _checkpoint(using: str) -> None:
    connection = connections[using]
    try:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout")
            (previous,) = cursor.fetchone()
            cursor.execute(f"PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}")
            try:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                busy, _, _ = cursor.fetchone()
            finally:
                cursor.execute(f"PRAGMA busy_timeout = {int(previous)}")
    except DatabaseError as error:
        logger.warning("SQLite checkpoint after a deletion failed (%s); the next one retries",
                       error)
        return
    if busy:
        logger.warning("SQLite checkpoint after a deletion was busy; the next one retries")


def private_file(path: Path) -> None:
    """Take away group and other permissions from a file we own; never loosen any."""
    try:
        found = path.stat()
    except FileNotFoundError:
        return
    mode = stat.S_IMODE(found.st_mode)
    if found.st_uid == os.getuid() and mode & 0o077:
        path.chmod(mode & 0o700)


def keep_database_files_private(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created``: the SQLite database and its companions are 0600.

    SQLite makes the ``-wal`` and ``-shm`` files with the database file's permissions, so
    after the first connection every new companion file is private too.
    """
    if connection.vendor != "sqlite" or connection.is_in_memory_db():
        return
    name = str(connection.settings_dict["NAME"])
    for suffix in SQLITE_FILE_SUFFIXES:
        private_file(Path(name + suffix))
