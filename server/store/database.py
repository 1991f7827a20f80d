"""The store's foundation: one SQLite connection in WAL mode, its thread, its transactions.

The query modules beside this one (:mod:`.accounts`, :mod:`.meetings`, :mod:`.documents`,
:mod:`.keys`, :mod:`.oplog`) each add the queries one group of relay handlers needs on top of
:class:`Database`; :class:`server.store.Store` combines them.  Everything here is synchronous
and runs on the one store thread (:meth:`Database.run`).
"""

from __future__ import annotations

import asyncio
import errno
import sqlite3
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from furano_meet.errors import SchemaTooNew
from furano_meet.protocol import messages as m

from ..migrations import CURRENT, SCHEMA

P = ParamSpec("P")
T = TypeVar("T")


def utc_now() -> str:
    """The relay's one clock format: ISO 8601, UTC, seconds."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def storage_failure(exc: BaseException) -> str | None:
    """A user-facing sentence when ``exc`` is the disk's fault (full, read-only), else ``None``."""
    text = str(exc).lower()
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "The relay's disk is full; nothing was stored. Try again later."
    if isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "The relay's data directory is read-only; nothing was stored."
    if isinstance(exc, sqlite3.Error):
        if "full" in text:
            return "The relay's disk is full; nothing was stored. Try again later."
        if "readonly" in text or "read-only" in text or "disk i/o" in text:
            return "The relay's data directory is not writable; nothing was stored."
    return None


class Database:
    """The connection, the store thread and the schema; the query groups derive from it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relay-db")
        self._thread: threading.Thread | None = None
        self._db: sqlite3.Connection | None = None
        self._members: dict[str, list[m.MemberInfo]] = {}
        """Member lists per meeting, read once per join burst instead of once per join."""
        self._members_version = -1
        """``data_version`` the cache was filled at: another process's commit empties it."""

    def open(self) -> None:
        """Open (creating and migrating as needed). Call on the store thread or before serving."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA busy_timeout = 5000")
        self._db = db
        self._migrate()

    def close(self) -> None:
        """Let the store thread finish what it was given, then close the connection: closing
        it under a running statement crashes the process (seen: a room's last leave saving
        the presenter while the relay shut down)."""
        self._executor.shutdown(wait=True)
        if self._db is not None:
            self._db.close()
            self._db = None

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` on the store thread (one at a time, in submission order)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(*args, **kwargs))

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("the store is not open")
        return self._db

    def _migrate(self) -> None:
        db = self.db
        db.execute("CREATE TABLE IF NOT EXISTS schema_version (major INTEGER, minor INTEGER)")
        row = db.execute("SELECT major, minor FROM schema_version").fetchone()
        current = (row[0], row[1]) if row else (0, 0)
        if current[0] > CURRENT[0]:
            db.close()
            self._db = None
            raise SchemaTooNew(
                f"{current[0]}.{current[1]}",
                f"{CURRENT[0]}.x",
                what=f"relay database ({self.path})",
            )
        for version, script in SCHEMA:
            if version <= current:
                continue
            db.execute("BEGIN IMMEDIATE")
            try:
                for statement in script.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute("DELETE FROM schema_version")
                db.execute("INSERT INTO schema_version VALUES (?, ?)", version)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def _tx(self) -> _Transaction:
        return _Transaction(self.db)

    def _first_column_in(self, sql: str, ids: Sequence[str], *before: object) -> list[Any]:
        """The first column of ``sql`` for ``ids`` given as ``IN ({marks})``, 500 at a time
        (far below SQLite's bound-parameter limit); ``before`` are the parameters ahead of them."""
        found: list[Any] = []
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            found.extend(r[0] for r in self.db.execute(sql.format(marks=marks), (*before, *part)))
        return found

    def data_version(self) -> int:
        """Changes when *another* connection (the admin CLI) commits; polled to apply revocations."""
        return int(self.db.execute("PRAGMA data_version").fetchone()[0])


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``: writers queue instead of failing half-way."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            try:
                self.db.execute("COMMIT")
            except sqlite3.Error:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
        elif self.db.in_transaction:
            self.db.execute("ROLLBACK")
