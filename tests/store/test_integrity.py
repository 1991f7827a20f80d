"""Damage is noticed when the cache is opened, with a plain typed error; never an empty cache.

Real SQLCipher files damaged the way a crash during a copy, a sync tool or a failing disk
damages them: emptied, deleted, cut short, bytes flipped in one page of one table.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.client_fixtures import MemoryKeyring
from furano_meet.errors import Fault
from furano_meet.store import CacheDamaged, LocalStore
from furano_meet.store.database import Database
from furano_meet.store.integrity import PAGE_SIZE, check_everything

from .conftest import (
    PROFILE,
    fill_cache,
    flip_bytes,
    leaf_pages,
    profile_dir,
    root_page,
    snapshot,
    stored_key,
)


def _files(data_dir: Path) -> dict[str, bytes]:
    """The profile's files but the shared-memory index (no data; any reader rebuilds it)."""
    files = snapshot(profile_dir(data_dir))
    return {name: data for name, data in files.items() if not name.endswith("-shm")}


def _refused(data_dir: Path) -> CacheDamaged:
    """Opening refuses with ``cache_damaged`` and changes no file (the WAL a crash left too)."""
    before = _files(data_dir)
    with pytest.raises(CacheDamaged) as caught:
        LocalStore.open(data_dir, PROFILE)
    error = caught.value
    assert (error.code, error.fault) == ("cache_damaged", Fault.ENVIRONMENT)
    assert "furano-meet recover" in error.next_step and "untouched" in error.next_step
    assert _files(data_dir) == before
    return error


@pytest.mark.parametrize("damage", ["empty", "missing"])
def test_an_empty_or_missing_database_is_damage_not_a_new_cache(
    data_dir: Path, damage: str
) -> None:
    fill_cache(data_dir, notes=5, unsent=3)
    database = profile_dir(data_dir) / "cache.db"
    if damage == "empty":
        database.write_bytes(b"")
    else:
        database.unlink()
    error = _refused(data_dir)
    assert ("empty" if damage == "empty" else "missing") in error.message
    if damage == "empty":
        assert database.stat().st_size == 0  # no new empty cache was made over it
    else:
        assert not database.exists()


def test_a_database_cut_short_in_the_middle_of_a_page(data_dir: Path) -> None:
    fill_cache(data_dir, notes=50, unsent=5)
    database = profile_dir(data_dir) / "cache.db"
    with database.open("r+b") as handle:
        handle.truncate(database.stat().st_size // 2 + 100)
    assert "cut short" in _refused(data_dir).message


def test_a_database_cut_short_at_a_page_boundary(data_dir: Path) -> None:
    fill_cache(data_dir, notes=50, unsent=5)
    database = profile_dir(data_dir) / "cache.db"
    pages = database.stat().st_size // PAGE_SIZE
    with database.open("r+b") as handle:
        handle.truncate(pages // 2 * PAGE_SIZE)
    _refused(data_dir)


@pytest.mark.parametrize("table", ["annotations", "outbox", "settings", "device", "meetings"])
def test_flipped_bytes_in_a_table_that_matters_are_noticed_at_every_start(
    data_dir: Path, memory_keyring: MemoryKeyring, table: str
) -> None:
    fill_cache(data_dir)
    database = profile_dir(data_dir) / "cache.db"
    key = stored_key(memory_keyring)
    leaves = leaf_pages(database, key, root_page(database, key, table))
    flip_bytes(database, leaves[len(leaves) // 2])
    message = _refused(data_dir).message
    assert "cannot be read" in message or "integrity check" in message


def _last_full_check(data_dir: Path, key: bytes) -> bytes:
    db = Database.open(profile_dir(data_dir) / "cache.db", key)
    try:
        value = db.query_value("SELECT value FROM store_meta WHERE name = 'last_full_check'")
    finally:
        db.close()
    assert isinstance(value, bytes)
    return value


def _damage_the_search_index(data_dir: Path, key: bytes) -> None:
    database = profile_dir(data_dir) / "cache.db"
    leaves = leaf_pages(database, key, root_page(database, key, "page_text_rows"))
    flip_bytes(database, leaves[0])


def test_the_search_index_is_checked_once_a_day_not_at_every_start(
    data_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    fill_cache(data_dir)
    key = stored_key(memory_keyring)
    checked = _last_full_check(data_dir, key)
    LocalStore.open(data_dir, PROFILE).close()
    assert _last_full_check(data_dir, key) == checked  # a clean restart: the ~1 ms check only

    _damage_the_search_index(data_dir, key)
    LocalStore.open(data_dir, PROFILE).close()  # not read at start: the full check is not due
    db = Database.open(profile_dir(data_dir) / "cache.db", key)
    db.execute("UPDATE store_meta SET value = CAST('0' AS BLOB) WHERE name = 'last_full_check'")
    db.close()
    assert "integrity check" in _refused(data_dir).message  # a day later: the full check


def test_an_unclean_shutdown_runs_the_full_check(
    data_dir: Path, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    fill_cache(data_dir)
    key = stored_key(memory_keyring)
    _damage_the_search_index(data_dir, key)
    crashed = tmp_path / "crashed"
    with LocalStore.open(data_dir, PROFILE) as store:  # the full check is not due yet
        store.set_setting("last words", "before the crash")
        shutil.copytree(data_dir, crashed)  # the folder as a crash leaves it: WAL and all
    assert (profile_dir(crashed) / "cache.db-wal").stat().st_size > 0
    _refused(crashed)


def test_the_full_check_on_demand(data_dir: Path, memory_keyring: MemoryKeyring) -> None:
    fill_cache(data_dir)
    key = stored_key(memory_keyring)
    with LocalStore.open(data_dir, PROFILE) as store:
        store.check_integrity()
    _damage_the_search_index(data_dir, key)
    db = Database.open(profile_dir(data_dir) / "cache.db", key)
    try:
        with pytest.raises(Exception, match="HMAC verification failed") as caught:
            check_everything(db)
        assert getattr(caught.value, "code", None) == "database_corrupt"
    finally:
        db.close()
