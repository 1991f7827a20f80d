"""The SQLCipher connection wrapper: raw key, pragmas, transactions, error translation."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlcipher3 import dbapi2

from furano_meet.store.database import Database
from furano_meet.store.errors import (
    DatabaseBusy,
    DatabaseCorrupt,
    StorageFull,
    StoreBug,
    StoreClosed,
)

KEY = bytes(range(32))


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "t.db", KEY)
    database.configure()
    database.execute("CREATE TABLE t (x BLOB) STRICT")
    try:
        yield database
    finally:
        database.close()


def test_pragmas_are_set(db: Database) -> None:
    assert db.query_value("PRAGMA journal_mode") == "wal"
    assert db.query_value("PRAGMA synchronous") == 2  # FULL
    assert db.query_value("PRAGMA foreign_keys") == 1
    assert db.query_value("PRAGMA secure_delete") == 1
    assert db.query_value("PRAGMA temp_store") == 2  # MEMORY
    assert str(db.query_value("PRAGMA cipher_version")).startswith("4.")


def test_stdlib_sqlite_cannot_read_the_file(db: Database, tmp_path: Path) -> None:
    db.execute("INSERT INTO t VALUES (x'00')")
    db.close()
    plain = sqlite3.connect(tmp_path / "t.db")
    try:
        with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
            plain.execute("SELECT * FROM sqlite_master").fetchall()
    finally:
        plain.close()


def test_another_key_cannot_read_the_file(db: Database, tmp_path: Path) -> None:
    db.close()
    with pytest.raises(DatabaseCorrupt):
        Database.open(tmp_path / "t.db", bytes(32))


def test_atomic_commits_and_rolls_back(db: Database) -> None:
    with db.atomic():
        db.execute("INSERT INTO t VALUES (x'01')")
        with db.atomic():  # nested blocks join the outer transaction
            db.execute("INSERT INTO t VALUES (x'02')")
    assert db.query_value("SELECT count(*) FROM t") == 2

    with pytest.raises(RuntimeError), db.atomic():
        db.execute("INSERT INTO t VALUES (x'03')")
        with db.atomic():
            db.execute("INSERT INTO t VALUES (x'04')")
        raise RuntimeError("boom")
    assert db.query_value("SELECT count(*) FROM t") == 2
    assert not db.in_transaction


def test_sqlite_full_is_storage_full_and_rolls_back(db: Database) -> None:
    """The portable way to make SQLite run out of room: cap the page count."""
    with db.atomic():
        for _ in range(5):
            db.execute("INSERT INTO t VALUES (?)", (os.urandom(1000),))
    pages = db.query_value("PRAGMA page_count")
    db.execute(f"PRAGMA max_page_count = {pages + 2}")
    with pytest.raises(StorageFull) as caught, db.atomic():
        for _ in range(50):
            db.execute("INSERT INTO t VALUES (?)", (os.urandom(3000),))
    assert caught.value.code == "disk_full"
    assert "SQLITE_FULL" in caught.value.message
    assert db.query_value("SELECT count(*) FROM t") == 5  # the half-done transaction is gone
    assert not db.in_transaction
    db.execute(f"PRAGMA max_page_count = {pages + 1000}")
    db.execute("INSERT INTO t VALUES (x'05')")  # usable again once there is room
    assert db.query_value("SELECT count(*) FROM t") == 6


def test_programming_errors_are_bugs(db: Database) -> None:
    with pytest.raises(StoreBug) as caught:
        db.execute("INSERT INTO nowhere VALUES (1)")
    assert caught.value.fault.value == "ours"
    with pytest.raises(StoreBug):
        db.execute("INSERT INTO t VALUES ('text in a BLOB column')")  # STRICT table


def test_closed_database_refuses_use(db: Database) -> None:
    db.close()
    db.close()  # idempotent
    with pytest.raises(StoreClosed):
        db.query("SELECT 1")


def test_checkpoint_truncate_empties_the_wal(db: Database) -> None:
    db.execute("INSERT INTO t VALUES (?)", (os.urandom(10_000),))
    wal = Path(str(db.path) + "-wal")
    assert wal.stat().st_size > 0
    db.checkpoint_truncate()
    assert wal.stat().st_size == 0
    with pytest.raises(StoreBug), db.atomic():
        db.checkpoint_truncate()


def test_one_connection_is_safe_to_share_between_threads(db: Database) -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(50):
                with db.atomic():
                    db.execute("INSERT INTO t VALUES (?)", (bytes([n, i]),))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert db.query_value("SELECT count(*) FROM t") == 200


def test_sole_access_is_refused_at_once_while_another_connection_is_open(db: Database) -> None:
    """What the key change relies on (``store/rekey.py``): an idle second connection - in WAL
    mode it holds a shared lock on the file - is noticed without the 5 s busy wait, and the
    connection is back to normal locking afterwards, so others can open the database again."""
    db.execute("INSERT INTO t VALUES (x'01')")
    other = Database.open(db.path, KEY)
    try:
        started = time.perf_counter()
        with pytest.raises(DatabaseBusy), db.sole_access():
            pass
        assert time.perf_counter() - started < 1.0
        assert other.query_value("SELECT count(*) FROM t") == 1  # untouched, still readable
    finally:
        other.close()
    with db.sole_access():
        db.execute("INSERT INTO t VALUES (x'02')")
        newcomer = dbapi2.connect(str(db.path), timeout=0)  # nobody gets in meanwhile
        try:
            newcomer.execute(f"PRAGMA key = \"x'{KEY.hex()}'\"")
            with pytest.raises(dbapi2.OperationalError, match="locked"):
                newcomer.execute("SELECT count(*) FROM t").fetchone()
        finally:
            newcomer.close()
    again = Database.open(db.path, KEY)
    try:
        assert again.query_value("SELECT count(*) FROM t") == 2
    finally:
        again.close()
    assert db.query_value("PRAGMA locking_mode") == "normal"


def test_key_must_be_32_bytes(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        Database.open(tmp_path / "x.db", b"short")
