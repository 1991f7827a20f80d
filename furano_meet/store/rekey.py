"""Changing the key of a passphrase-protected cache without ever losing it.

Theory of operation
-------------------
Two things change together when the key changes (a new passphrase, or stronger scrypt parameters
for the same one): the database, re-encrypted by SQLCipher's ``PRAGMA rekey``, and
``keysource.json``, which says how to derive the key. No file system can replace both at once, so
the change is written in an order where every crash leaves something the next unlock can finish:

1. ``keysource.next.json`` - the new description (fresh salt, new parameters) - is written and
   fsynced beside the current one. Nothing else has changed.
2. ``PRAGMA rekey`` rewrites every page under the new key in *one* SQLite transaction (the WAL is
   checkpointed first, so it holds nothing under the old key), fsynced at commit
   (``synchronous = FULL``). Before the commit the database is entirely under the old key, after
   it entirely under the new one. The WAL is then copied into the file and truncated: the
   full start-up check (:mod:`.integrity`, ``PRAGMA cipher_integrity_check``) reads the file's
   pages, never the WAL's, and would call a file still under the old key damaged.
3. ``keysource.next.json`` is renamed over ``keysource.json`` (atomic) and the folder fsynced.

All of it happens only while the connection making the change is the database's only one
(:meth:`~.database.Database.sole_access`, held from before step 1 to after step 3): another
program with the store open keeps the old key - it could no longer read a page - and its open
connection would keep the new pages out of the file. With one open, nothing changes and
``DatabaseBusy`` is raised.

At unlock, a leftover ``keysource.next.json`` means a crash between 1 and 3. The passphrase is
tried against both descriptions, and the database itself says which key it is under: opening it is
a read of page 1 (about a millisecond, nothing written). If the new key opens it, the rest of
step 2 (the copy into the file) and step 3 are finished; if the old one does, the unused new
description is deleted. After a passphrase change
the user may type either passphrase; the one the database is not under is reported as wrong, the
other opens it.

A store made with weaker scrypt parameters than the current ones (:class:`ScryptParams`) is moved
to them at its next successful unlock, before :class:`~furano_meet.store.LocalStore` opens the
database, and only after its schema version has been accepted (a newer major stays untouched).
This is best effort: if it cannot be done now (disk full, another program has the store open)
the store opens with its old parameters and the next unlock tries again.
"""

from __future__ import annotations

import contextlib
import logging
import os

from . import migrations
from .database import Database
from .errors import (
    DatabaseCorrupt,
    StoreBug,
    StoreError,
    StoreIOError,
    WrongPassphrase,
    from_os_error,
)
from .keysource import (
    KeySource,
    KeySourceRecord,
    ScryptParams,
    current_scrypt,
    derive_key,
    key_from_passphrase,
    key_matches,
    passphrase_record,
    read_record,
    write_record,
)
from .layout import ProfilePaths, fsync_directory
from .passphrase import check_strength

__all__ = ["change_passphrase", "unlock"]

log = logging.getLogger(__name__)


def unlock(
    paths: ProfilePaths,
    record: KeySourceRecord,
    passphrase: str | None,
    *,
    target: ScryptParams | None = None,
) -> bytes:
    """The database key of a passphrase-protected store.

    Finishes (or undoes) a key change a crash interrupted, then moves a store whose scrypt
    parameters are weaker than ``target`` (default: the current ones; other values only in
    tests) to it. Raises :class:`PassphraseRequired` and :class:`WrongPassphrase`.
    """
    wanted = target or current_scrypt()
    pending = read_record(paths.keysource_pending)
    if pending is None or passphrase is None:
        key = key_from_passphrase(record, passphrase)
    else:
        key, record = _settle(paths, record, pending, passphrase)
    assert passphrase is not None and record.scrypt is not None
    if record.scrypt.weaker_than(wanted) and _has_data(paths):
        key = _upgrade(paths, record, key, passphrase, wanted)
    return key


def change_passphrase(
    paths: ProfilePaths, db: Database, source: KeySource, old: str, new: str
) -> None:
    """Protect the open store ``db`` with ``new`` from now on; the connection stays usable.

    Raises :class:`WrongPassphrase` if ``old`` is not the current passphrase and
    :class:`~furano_meet.store.passphrase.PassphraseTooWeak` for a weak ``new``; in both cases
    nothing changed; likewise :class:`DatabaseBusy` while another program has the store open
    (it would keep the old key). Must not be called inside :meth:`LocalStore.atomic`. A store
    error raised
    after the database was re-encrypted (the final rename failed) leaves the change to be
    finished at the next unlock, where the new passphrase opens the store.
    """
    if source is not KeySource.PASSPHRASE:
        raise StoreBug("this store's key is kept in the system keychain, not a passphrase")
    if db.in_transaction:
        raise StoreBug("change_passphrase() called inside a transaction")
    record = read_record(paths.keysource)
    if record is None or record.source is not KeySource.PASSPHRASE:
        raise StoreBug("the key description no longer describes a passphrase")
    if paths.keysource_pending.exists():
        raise StoreIOError("an earlier key change is unfinished; close and reopen the store")
    key_from_passphrase(record, old)
    check_strength(new)
    _switch(paths, db, new, current_scrypt())


def _switch(paths: ProfilePaths, db: Database, passphrase: str, params: ScryptParams) -> bytes:
    """Steps 1-3 of the module docstring on an open database; returns the new key.

    Only as the database's sole connection (:meth:`Database.sole_access`; ``DatabaseBusy``
    otherwise, before anything changed): another program with the store open would keep the
    old key."""
    key, record = passphrase_record(passphrase, params)
    with db.lock, db.sole_access():
        db.checkpoint_truncate()
        try:
            write_record(paths.keysource_pending, record)
        except OSError as exc:
            raise from_os_error(exc, paths.keysource_pending) from exc
        _rekey_database(db, key)  # the WAL now holds every page under the new key
        _write_back(db)
        _commit(paths)
    return key


def _rekey_database(db: Database, key: bytes) -> None:
    """Step 2: every page re-encrypted under ``key``, committed as one transaction."""
    result = db.query_value(f"PRAGMA rekey = \"x'{key.hex()}'\"")
    if result is not None and str(result).lower() != "ok":
        raise StoreIOError(f"SQLCipher could not re-encrypt the database ({result})")


def _write_back(db: Database) -> None:
    """Step 2, second half: the re-encrypted pages copied from the WAL into the file itself.

    Why: ``PRAGMA cipher_integrity_check`` - the full check at start, which runs whenever a WAL
    is left - reads the file's pages, not the WAL's. A file still under the old key behind a WAL
    under the new one would fail it on every page, and a sound cache would be reported damaged
    (the app then showed that instead of its meeting list). A crash here leaves the WAL whole
    (a checkpoint only truncates it once every page is copied); :func:`_settle` repeats this."""
    db.checkpoint_truncate()


def _commit(paths: ProfilePaths) -> None:
    """Step 3: the new description becomes the description."""
    try:
        os.replace(paths.keysource_pending, paths.keysource)
        fsync_directory(paths.root)
    except OSError as exc:
        raise from_os_error(exc, paths.keysource) from exc


def _discard(paths: ProfilePaths) -> None:
    """The database never moved to the pending key: forget it."""
    try:
        paths.keysource_pending.unlink()
        fsync_directory(paths.root)
    except OSError as exc:
        raise from_os_error(exc, paths.keysource_pending) from exc


def _settle(
    paths: ProfilePaths, record: KeySourceRecord, pending: KeySourceRecord, passphrase: str
) -> tuple[bytes, KeySourceRecord]:
    """After a crash mid-change: the key and description the database is really under."""
    matching: list[tuple[bytes, KeySourceRecord]] = []
    for candidate in (pending, record):
        assert candidate.salt is not None and candidate.scrypt is not None
        key = derive_key(passphrase, candidate.salt, candidate.scrypt)
        if key_matches(key, candidate):
            matching.append((key, candidate))
    if not matching:
        raise WrongPassphrase()
    for key, candidate in matching:
        if _opens(paths, key):
            if candidate is pending:
                _write_back_file(paths, key)
                _commit(paths)
            else:
                _discard(paths)
            log.info("finished a key change that was interrupted")
            return key, candidate
    if len(matching) == 1:  # the other passphrase of an interrupted change
        raise WrongPassphrase()
    return matching[-1]  # neither key reads page 1: the database is damaged, LocalStore says so


def _upgrade(
    paths: ProfilePaths,
    record: KeySourceRecord,
    key: bytes,
    passphrase: str,
    params: ScryptParams,
) -> bytes:
    """Move the store to ``params``; on failure keep whichever key the database is under."""
    try:
        db = Database.open(paths.database, key)
        try:
            migrations.check_supported(migrations.read_version(db))
            db.configure()  # WAL and synchronous=FULL: the rekey commits atomically and durably
            key = _switch(paths, db, passphrase, params)
        finally:
            db.close()
    except StoreError as exc:  # disk full, busy, damaged, newer schema: LocalStore will tell
        log.warning("could not strengthen the cache key derivation now (%s)", exc.code)
        pending = read_record(paths.keysource_pending)
        if pending is not None:
            key, _ = _settle(paths, record, pending, passphrase)
        return key
    log.info(
        "moved the cache key derivation to scrypt n=%d r=%d p=%d", params.n, params.r, params.p
    )
    return key


def _has_data(paths: ProfilePaths) -> bool:
    """A database worth re-encrypting (none yet, or an empty file from a crash at creation)."""
    with contextlib.suppress(FileNotFoundError):
        return paths.database.stat().st_size > 0
    return False


def _write_back_file(paths: ProfilePaths, key: bytes) -> None:
    """:func:`_write_back` after a crash: the database is under ``key``, perhaps only in its WAL."""
    db = Database.open(paths.database, key)
    try:
        _write_back(db)
    finally:
        db.close()


def _opens(paths: ProfilePaths, key: bytes) -> bool:
    try:
        Database.open(paths.database, key, read_only=True).close()
    except DatabaseCorrupt:
        return False
    return True
