"""One SQLCipher connection: opening it, its pragmas, its lock, and turning its errors into ours.

Theory of operation
-------------------
*Opening.* The key is a raw 32-byte key (``PRAGMA key = "x'<64 hex>'"``), so SQLCipher skips its
PBKDF2 and opening costs about a millisecond. The caller has already compared the key with the key
check beside the database (see :mod:`.keysource`), so if SQLCipher still says "file is not a
database" the first page itself is damaged and we report corruption, not a wrong key. The first
read is a plain ``SELECT`` on ``sqlite_master``: nothing is written before the schema version has
been read and accepted, so a refused database (corrupt, newer major) is left byte-for-byte as it
was.

*Pragmas* (set by :meth:`Database.configure` after the version check):

* ``journal_mode = WAL`` - readers never block the writer, and a commit is one append to the WAL.
* ``synchronous = FULL`` - every commit fsyncs the WAL before returning, so anything the store
  acknowledged (an outbox entry above all) survives power loss. NORMAL would only lose the last
  commits on power loss, not corrupt the file, but the outbox promises "accepted means kept", and
  one fsync per commit is cheap at our write rate.
* ``foreign_keys = ON`` - documents, pages and annotations follow their meeting.
* ``secure_delete = ON`` - deleted rows are overwritten with zeros, so an expired meeting's text
  does not linger in free pages; :meth:`checkpoint_truncate` then pushes those pages into the main
  file and truncates the WAL that still held the old page images.
* ``temp_store = MEMORY`` - sorts and temporary indexes never land in an (unencrypted) temp file.
* ``cipher_log_level = NONE`` - no "hmac check failed" noise on stderr; we report it ourselves.

*Threads.* The sync engine calls the store from ``asyncio.to_thread`` workers and the GUI from its
own worker, so the connection is made with ``check_same_thread=False`` and every use of it holds one
re-entrant lock. :meth:`Database.atomic` holds the lock for a whole ``BEGIN IMMEDIATE`` ...
``COMMIT`` and nests (inner blocks join the outer transaction), so a caller can make several store
calls one atomic unit.

*Errors.* Every ``sqlcipher3`` exception is classified by its SQLite result code:
SQLITE_FULL -> :class:`StorageFull`, SQLITE_CORRUPT / NOTADB -> :class:`DatabaseCorrupt`,
SQLITE_READONLY / PERM / CANTOPEN -> :class:`ReadOnlyLocation`, BUSY / LOCKED -> :class:`DatabaseBusy`,
IOERR / NOMEM -> :class:`StoreIOError`; anything else (constraint violations, syntax errors) is
:class:`StoreBug`. After a failed statement inside :meth:`atomic` the transaction is rolled back, so
a full disk never leaves half a change behind.

sqlcipher3 has no type information; this module is the only place that touches its objects, and
everything leaving it is typed (rows are tuples of SQLite values, guaranteed by STRICT tables).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlcipher3 import dbapi2

from .errors import (
    DatabaseBusy,
    DatabaseCorrupt,
    ReadOnlyLocation,
    StorageFull,
    StoreBug,
    StoreClosed,
    StoreError,
    StoreIOError,
)

__all__ = ["Database", "Row", "SqlValue", "translate_error"]

SqlValue = int | float | str | bytes | None
Row = tuple[Any, ...]

# SQLite primary result codes (the low byte of an extended code).
_PERM, _BUSY, _LOCKED, _NOMEM, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN = (
    3,
    5,
    6,
    7,
    8,
    10,
    11,
    13,
    14,
)
_NOTADB = 26

_CACHE_KIB = 16 * 1024  # page cache per connection; keeps a warm search index in memory
_BUSY_TIMEOUT_S = 5.0


def translate_error(exc: Exception, path: Path) -> StoreError:
    """Classify a ``sqlcipher3`` (or OS) exception raised while using the database at ``path``."""
    if isinstance(exc, StoreError):
        return exc
    code = getattr(exc, "sqlite_errorcode", None)
    name = getattr(exc, "sqlite_errorname", None) or type(exc).__name__
    detail = f"{name}: {exc}"
    primary = code & 0xFF if isinstance(code, int) else None
    if primary == _FULL:
        return StorageFull(detail)
    if primary in (_CORRUPT, _NOTADB):
        return DatabaseCorrupt(detail)
    if primary in (_READONLY, _PERM, _CANTOPEN):
        return ReadOnlyLocation(str(path.parent), detail)
    if primary in (_BUSY, _LOCKED):
        return DatabaseBusy(detail)
    if primary in (_IOERR, _NOMEM):
        return StoreIOError(detail)
    return StoreBug(f"Unexpected database error at {path}: {detail}")


class Database:
    """A locked, error-translating wrapper around one SQLCipher connection."""

    def __init__(self, connection: Any, path: Path) -> None:
        self._conn: Any = connection
        self.path = path
        self.lock = threading.RLock()
        self._depth = 0

    @classmethod
    def open(cls, path: Path, key: bytes, *, read_only: bool = False) -> Database:
        """Connect, apply the key and prove it decrypts the first page. Writes nothing.

        ``read_only`` also leaves a WAL that a crash left behind as it is when the connection
        closes (a writable one would checkpoint it): for probing which key fits.
        """
        if len(key) != 32:
            raise ValueError("the database key must be 32 bytes")
        try:
            conn = dbapi2.connect(
                f"{path.resolve().as_uri()}?mode=ro" if read_only else str(path),
                uri=read_only,
                check_same_thread=False,
                isolation_level=None,
                timeout=_BUSY_TIMEOUT_S,
            )
        except dbapi2.Error as exc:
            raise translate_error(exc, path) from exc
        db = cls(conn, path)
        try:
            conn.execute("PRAGMA cipher_log_level = NONE")
            conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except dbapi2.Error as exc:
            conn.close()
            raise translate_error(exc, path) from exc
        return db

    def configure(self) -> None:
        """Set the connection's pragmas (see the module docstring for why each one)."""
        with self.lock:
            mode = self.query_value("PRAGMA journal_mode = WAL")
            if str(mode).lower() != "wal":
                raise StoreIOError(f"the database refused WAL mode (journal_mode={mode})")
            for pragma in (
                "PRAGMA synchronous = FULL",
                "PRAGMA foreign_keys = ON",
                "PRAGMA secure_delete = ON",
                "PRAGMA temp_store = MEMORY",
                f"PRAGMA cache_size = -{_CACHE_KIB}",
            ):
                self.execute(pragma)

    # -- statements -----------------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[SqlValue] = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        with self.lock:
            cursor = self._run(lambda: self._live().execute(sql, params))
            return int(cursor.rowcount)

    def insert(self, sql: str, params: Sequence[SqlValue] = ()) -> int:
        """Run one INSERT; return the new row's rowid."""
        with self.lock:
            cursor = self._run(lambda: self._live().execute(sql, params))
            return int(cursor.lastrowid)

    def executemany(self, sql: str, rows: Iterable[Sequence[SqlValue]]) -> int:
        with self.lock:
            cursor = self._run(lambda: self._live().executemany(sql, rows))
            return int(cursor.rowcount)

    def query(self, sql: str, params: Sequence[SqlValue] = ()) -> list[Row]:
        with self.lock:
            rows = self._run(lambda: self._live().execute(sql, params).fetchall())
            return [tuple(row) for row in rows]

    def query_one(self, sql: str, params: Sequence[SqlValue] = ()) -> Row | None:
        with self.lock:
            row = self._run(lambda: self._live().execute(sql, params).fetchone())
            return None if row is None else tuple(row)

    def query_value(self, sql: str, params: Sequence[SqlValue] = ()) -> Any:
        """The first column of the first row, ``None`` if there is no row."""
        row = self.query_one(sql, params)
        return None if row is None else row[0]

    # -- transactions ---------------------------------------------------------------------------

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """One ``BEGIN IMMEDIATE`` ... ``COMMIT`` holding the lock; nested blocks join it.

        Any exception rolls the whole transaction back and propagates unchanged.
        """
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._depth = 0
                self._rollback()
                raise
            self._depth = 0
            try:
                self.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        conn = self._conn
        if conn is not None and conn.in_transaction:
            # SQLite may already have rolled back (e.g. after SQLITE_FULL); nothing to undo then.
            with contextlib.suppress(dbapi2.Error):
                conn.execute("ROLLBACK")

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    def checkpoint_truncate(self) -> None:
        """Copy the WAL into the database and truncate it to zero bytes.

        Used after deleting secrets: with ``secure_delete`` the freed pages are zeroed in the new
        page images, and truncating the WAL discards the frames that still held the old ones.
        """
        with self.lock:
            if self._depth:
                raise StoreBug("checkpoint_truncate() called inside a transaction")
            row = self.query_one("PRAGMA wal_checkpoint(TRUNCATE)")
            if row is not None and row[0]:
                raise DatabaseBusy("the WAL could not be checkpointed; another reader is open")

    @contextmanager
    def sole_access(self) -> Iterator[None]:
        """Hold the database file's exclusive lock for the block: no other connection, in this
        process or another, has the database open meanwhile, and none can open it.

        Why: re-encrypting the database (``PRAGMA rekey``) is safe only for the connection that
        does it. Another connection keeps the old key; whatever it reads after the change fails
        its HMAC, and its close could not copy the new pages from the WAL into the file, so the
        file itself would stay under the old key. In WAL mode every open connection holds a
        shared lock on the file, so ``locking_mode = EXCLUSIVE`` and ``BEGIN EXCLUSIVE`` succeed
        only for the sole connection. Raises :class:`DatabaseBusy` at once (no busy wait) when
        another connection has it open; the connection is back to normal locking afterwards.
        """
        with self.lock:
            if self._depth:
                raise StoreBug("sole_access() called inside a transaction")
            self.execute("PRAGMA busy_timeout = 0")
            try:
                self.execute("PRAGMA locking_mode = EXCLUSIVE")
                try:
                    self.execute("BEGIN EXCLUSIVE")
                    self.execute("COMMIT")  # the exclusive lock stays until normal locking
                    yield
                finally:
                    if self._conn is not None:  # (closed: its locks went with it)
                        self.query_value("PRAGMA locking_mode = NORMAL")
                        self.query_value("SELECT count(*) FROM sqlite_master")  # drops the lock
            finally:
                if self._conn is not None:
                    self.execute(f"PRAGMA busy_timeout = {int(_BUSY_TIMEOUT_S * 1000)}")

    # -- lifetime -------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._conn is None

    def close(self) -> None:
        """Close the connection (SQLite checkpoints and removes the WAL). Idempotent."""
        with self.lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                try:
                    conn.close()
                except dbapi2.Error as exc:
                    raise translate_error(exc, self.path) from exc

    def _live(self) -> Any:
        if self._conn is None:
            raise StoreClosed()
        return self._conn

    def _run(self, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except dbapi2.Error as exc:
            raise translate_error(exc, self.path) from exc
