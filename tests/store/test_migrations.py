"""Versioned migrations: forward minors in a transaction, refuse newer majors, keep data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.client_fixtures import MemoryKeyring
from furano_meet.store import CURRENT_VERSION, LocalStore, SchemaTooNew, SchemaVersion
from furano_meet.store.database import Database
from furano_meet.store.errors import StoreBug
from furano_meet.store.migrations import (
    MIGRATIONS,
    Migration,
    migrate,
    read_version,
    split_statements,
)

from .conftest import PROFILE, profile_dir, snapshot, stored_key

KEY = bytes(range(32))


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "m.db", KEY)
    database.configure()
    try:
        yield database
    finally:
        database.close()


def test_fresh_database_gets_the_current_version(db: Database) -> None:
    assert read_version(db) is None
    assert migrate(db) == CURRENT_VERSION == SchemaVersion(1, 4)
    assert read_version(db) == CURRENT_VERSION
    assert migrate(db) == CURRENT_VERSION  # nothing left to do


def test_minor_migration_moves_forward_and_keeps_data(db: Database) -> None:
    migrate(db)
    db.execute("INSERT INTO settings (key, value) VALUES ('lang', 'ja')")
    step = Migration(
        SchemaVersion(1, 9),
        "ALTER TABLE settings ADD COLUMN changed_at INTEGER NOT NULL DEFAULT 0;\n"
        "CREATE INDEX settings_by_change ON settings (changed_at);",
    )
    assert migrate(db, (*MIGRATIONS, step)) == SchemaVersion(1, 9)
    assert read_version(db) == SchemaVersion(1, 9)
    assert db.query("SELECT key, value, changed_at FROM settings") == [("lang", "ja", 0)]
    # A build that only knows the current version still opens 1.9 as it is and never lowers the version.
    assert migrate(db) == SchemaVersion(1, 9)
    assert read_version(db) == SchemaVersion(1, 9)


def test_failing_minor_step_rolls_back_completely(db: Database) -> None:
    migrate(db)
    db.execute("INSERT INTO settings (key, value) VALUES ('lang', 'ja')")
    broken = Migration(
        SchemaVersion(1, 9),
        "ALTER TABLE settings ADD COLUMN extra TEXT;\nINSERT INTO no_such_table VALUES (1);",
    )
    with pytest.raises(StoreBug):
        migrate(db, (*MIGRATIONS, broken))
    assert read_version(db) == CURRENT_VERSION
    columns = [row[1] for row in db.query("PRAGMA table_info(settings)")]
    assert "extra" not in columns
    assert db.query("SELECT key, value FROM settings") == [("lang", "ja")]


def test_newer_major_is_refused_by_migrate(db: Database) -> None:
    migrate(db)
    db.execute("UPDATE schema_version SET major = 2, minor = 0")
    with pytest.raises(SchemaTooNew) as caught:
        migrate(db)
    assert caught.value.found == "2.0" and caught.value.supported == "1"


def test_open_refuses_newer_major_and_leaves_file_untouched(
    data_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    with LocalStore.open(data_dir, PROFILE) as store:
        store.set_setting("lang", "ja")
    folder = profile_dir(data_dir)
    raw = Database.open(folder / "cache.db", stored_key(memory_keyring))
    raw.execute("UPDATE schema_version SET major = 7, minor = 3")
    raw.close()
    before = snapshot(folder)

    with pytest.raises(SchemaTooNew) as caught:
        LocalStore.open(data_dir, PROFILE)
    assert caught.value.code == "schema_too_new"
    assert "7.3" in str(caught.value) and "Update Furano Meet" in str(caught.value)
    assert snapshot(folder) == before


def test_statement_splitter_keeps_triggers_whole(db: Database) -> None:
    statements = split_statements(
        "CREATE TABLE a (x); -- comment; with a semicolon\n"
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n"
        "  INSERT INTO b VALUES (new.x);\n  INSERT INTO b VALUES (new.x + 1);\nEND;\n"
        "CREATE TABLE b (y);\n"
        "-- trailing comment\n"
    )
    assert len(statements) == 3
    assert "CREATE TRIGGER" in statements[1] and statements[1].endswith("END;")
    for statement in statements:  # each one is valid on its own
        db.execute(statement)
    db.execute("INSERT INTO a VALUES (1)")
    assert db.query("SELECT y FROM b ORDER BY y") == [(1,), (2,)]
    with pytest.raises(ValueError):
        split_statements("CREATE TABLE a (x); CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1;")


def test_every_schema_statement_is_split_correctly() -> None:
    for step in MIGRATIONS:
        for statement in split_statements(step.sql):
            assert statement.endswith(";")


def test_steps_must_be_in_order(db: Database) -> None:
    with pytest.raises(StoreBug):
        migrate(db, (Migration(SchemaVersion(1, 1), ""), Migration(SchemaVersion(1, 0), "")))
    with pytest.raises(StoreBug):
        migrate(db, ())


def test_1_1_keeps_every_key_epoch_and_copies_the_existing_key(db: Database) -> None:
    migrate(db, MIGRATIONS[:1])  # a cache written by a 1.0 build
    db.execute(
        "INSERT INTO meetings (meeting_id, title, starts_at, meeting_key, key_epoch) "
        "VALUES ('m1', 't', 0, ?, 3)",
        (b"k" * 32,),
    )
    assert migrate(db) == CURRENT_VERSION
    assert db.query("SELECT meeting_id, epoch, key FROM meeting_keys") == [("m1", 3, b"k" * 32)]
