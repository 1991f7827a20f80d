"""Reading what can still be read from a damaged SQLCipher database, row by row.

Theory of operation
-------------------
Every SQLCipher page carries an HMAC, so a damaged page is never misread: reading it fails. Two
properties of that failure shape this module:

* After an HMAC failure the connection's pager stays in its error state: every later statement
  fails too, even on intact pages. So :class:`Salvager` reopens the connection (about a
  millisecond with the raw key) after every error.
* A scan stops at the first unreadable page. So tables are read in small batches ordered by rowid
  (``WHERE rowid >= ? ORDER BY rowid LIMIT n``); when a batch fails, the scan narrows to single
  rows, and past a row it cannot read it *probes* forward - ``rowid >= x`` for growing ``x``,
  then a binary search back - for the first position from which the b-tree can be read again.
  Only the rows on the damaged page are lost.
* Each index of the table is scanned as well (``INDEXED BY``): an index lives on other pages, so
  it names rows the table scan may have skipped (looked up one by one) and, for rows that stay
  unreadable, says how many were lost.

``WITHOUT ROWID`` tables (small: settings, keys) are read in primary-key order and stop at their
first unreadable page; the result says the table was incomplete.

The database is always a *copy* (see :mod:`.recovery`): opening it read-write applies a WAL a crash
left behind, which must never happen to the damaged original.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from .database import Database, Row
from .errors import DatabaseCorrupt, StoreError

__all__ = ["Salvaged", "Salvager"]

_BATCH = 64
_FIRST = -(2**63)
_LAST = 2**63 - 1


@dataclass
class Salvaged:
    """The readable rows of one table and what is known about the rest."""

    table: str
    columns: tuple[str, ...]
    rows: list[Row] = field(default_factory=list)
    lost: int = 0
    """Rows known (from an index) to exist that could not be read."""
    incomplete: bool = False
    """Part of the table could not be read, so an unknown number of rows may be missing."""
    missing: bool = False
    """The table itself could not be found (its schema page was lost, or the file is empty)."""


class Salvager:
    """A connection to a damaged database that reopens itself after every read error."""

    def __init__(self, path: Path, key: bytes) -> None:
        self._path = path
        self._key = key
        self._db: Database | None = None
        self.tables: dict[str, set[str]] = {}
        """The columns of every table whose schema could be read."""
        with contextlib.suppress(StoreError):
            self._connect()
            for (name,) in self._db_query("SELECT name FROM sqlite_master WHERE type = 'table'"):
                info = self._db_query(f"PRAGMA table_info({name})")
                self.tables[str(name)] = {str(row[1]) for row in info}

    def close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(StoreError):
                self._db.close()
            self._db = None

    def __enter__(self) -> Salvager:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- reading ----------------------------------------------------------------------------------

    def table(self, name: str, wanted: tuple[str, ...], *, rowid: bool) -> Salvaged:
        """The readable rows of ``name`` (only ``wanted`` columns the table has, in that order)."""
        have = self.tables.get(name)
        if have is None:
            return Salvaged(name, wanted, missing=True)
        columns = tuple(c for c in wanted if c in have)
        if rowid:
            return self._rowid_table(name, columns)
        return self._keyed_table(name, columns)

    def _rowid_table(self, name: str, columns: tuple[str, ...]) -> Salvaged:
        result = Salvaged(name, columns)
        select = f"SELECT rowid, {', '.join(columns)} FROM {name}"
        found: dict[int, Row] = {}
        position, batch = _FIRST, _BATCH
        while True:
            try:
                rows = self._query(
                    f"{select} WHERE rowid >= ? ORDER BY rowid LIMIT {batch}", (position,)
                )
            except DatabaseCorrupt:
                if batch > 1:  # narrow down to the row that cannot be read
                    batch = 1
                    continue
                result.incomplete = True
                resume = self._resume_after(name, position)
                if resume is None:
                    break
                position, batch = resume, _BATCH
                continue
            if not rows:
                break
            found.update((int(row[0]), row[1:]) for row in rows)
            if int(rows[-1][0]) == _LAST:
                break
            position, batch = int(rows[-1][0]) + 1, _BATCH
        for rowid in sorted(self._indexed_rowids(name) - found.keys()):
            try:
                row = self._query(f"{select} WHERE rowid = ?", (rowid,))
            except DatabaseCorrupt:
                result.lost += 1
                continue
            if row:
                found[rowid] = row[0][1:]
        result.rows = [found[rowid] for rowid in sorted(found)]
        return result

    def _resume_after(self, name: str, position: int) -> int | None:
        """The smallest rowid above ``position`` from which ``name`` can be read again, or
        ``None`` if nothing further can be read."""

        def readable(start: int) -> bool:
            try:
                self._query(
                    f"SELECT rowid FROM {name} WHERE rowid >= ? ORDER BY rowid LIMIT 1", (start,)
                )
            except DatabaseCorrupt:
                return False
            return True

        low, step = position, 1
        while position + step <= _LAST:
            if readable(position + step):
                high = position + step
                while high - low > 1:  # low unreadable, high readable
                    middle = (low + high) // 2
                    low, high = (low, middle) if readable(middle) else (middle, high)
                return high
            low, step = position + step, step * 2
        return None

    def _indexed_rowids(self, name: str) -> set[int]:
        """Rowids the table's indexes name (each index scanned as far as it can be read)."""
        rowids: set[int] = set()
        try:
            indexes = [
                str(row[0])
                for row in self._query(
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (name,)
                )
            ]
        except DatabaseCorrupt:
            return rowids
        for index in indexes:
            with contextlib.suppress(StoreError):  # a damaged or partial index: use what it gave
                rowids.update(
                    int(row[0])
                    for row in self._query(f"SELECT rowid FROM {name} INDEXED BY {index}")
                )
        return rowids

    def _keyed_table(self, name: str, columns: tuple[str, ...]) -> Salvaged:
        result = Salvaged(name, columns)
        try:
            result.rows = self._query(f"SELECT {', '.join(columns)} FROM {name}")
        except DatabaseCorrupt:
            result.incomplete = True
        return result

    # -- the connection -----------------------------------------------------------------------------

    def _query(self, sql: str, params: tuple[int | str, ...] = ()) -> list[Row]:
        """Run a read; after a read error, reopen (the old connection stays in error) and raise."""
        try:
            return self._db_query(sql, params)
        except DatabaseCorrupt:
            self.close()
            with contextlib.suppress(StoreError):
                self._connect()
            raise

    def _db_query(self, sql: str, params: tuple[int | str, ...] = ()) -> list[Row]:
        if self._db is None:
            raise DatabaseCorrupt("the damaged database cannot be opened")
        return self._db.query(sql, params)

    def _connect(self) -> None:
        self._db = Database.open(self._path, self._key)
