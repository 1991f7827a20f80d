"""A profile's cache as a whole: opening it (key, folder, database), checking it, wiping it.

Theory of operation
-------------------
:func:`open_profile` turns (data folder, profile id, optional passphrase) into an open database:

1. Read ``keysource.json``. No file and no database means a new store: take a random key from a
   secure keychain, or - if there is none, or the caller passed a passphrase - derive one with
   scrypt; with neither, raise :class:`PassphraseRequired` *before creating anything*. If the
   file exists the cache was made before, so a missing, empty or cut-short ``cache.db`` is
   damage (:class:`CacheDamaged`, :mod:`.integrity`), never a reason to create a new empty one.
2. Make sure the folder exists and is writable (:class:`ReadOnlyLocation` otherwise).
3. Obtain the key (keychain, or passphrase + scrypt) and compare it with the stored key check, so a
   wrong passphrase is reported without touching the database.
4. Open SQLCipher with the raw key and run the start-up check of :mod:`.integrity` (about a
   millisecond; the full check after an unclean shutdown or once a day), read the schema version,
   refuse a newer major, then set the pragmas and run pending migrations. Up to the version check
   nothing is written, so a damaged cache is left as it was for :mod:`.recovery`.

:func:`wipe_profile` undoes all of it in the order that makes a half-finished wipe harmless: the
keychain entry first (without it the rest is unreadable), then the files.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import integrity, migrations, rekey
from .blobs import BlobFiles
from .database import Database
from .errors import (
    DatabaseCorrupt,
    KeySourceMissing,
    PassphraseRequired,
    ProfileMismatch,
    ReadOnlyLocation,
    StoreBug,
    from_os_error,
)
from .keysource import (
    Keychain,
    KeySource,
    key_from_keychain,
    new_keychain_record,
    new_passphrase_record,
    read_record,
    write_record,
)
from .layout import ProfilePaths, remove_profile_files
from .records import now_ms

__all__ = ["create_private_file", "finish_schema", "open_profile", "wipe_profile"]


def open_profile(
    directory: Path | str | None, profile_id: str, passphrase: str | None
) -> tuple[ProfilePaths, Database, BlobFiles, KeySource]:
    """Open (creating if needed) the cache of ``profile_id``: what a ``LocalStore`` is made of.

    See :meth:`furano_meet.store.LocalStore.open` for the arguments and the module docstring for
    the steps. Raises the typed errors of :mod:`.errors`; none of them is raised after changing
    anything that was already on disk.
    """
    paths = ProfilePaths.for_profile(directory, profile_id)
    record = read_record(paths.keysource)
    if record is not None:
        integrity.check_file(paths)  # made before: missing or empty is damage, never "new"
    database_exists = _non_empty(paths.database)
    keychain = Keychain.detect()
    if record is None and database_exists:
        raise KeySourceMissing(str(paths.keysource))
    if record is None and passphrase is None and not keychain.available:
        raise PassphraseRequired(keychain.reason, new_store=True)
    _prepare_folder(paths, database_exists)
    if record is None:
        if passphrase is not None:
            key, record = new_passphrase_record(passphrase)
        else:
            key, record = new_keychain_record(keychain, profile_id)
        try:
            write_record(paths.keysource, record)
        except OSError as exc:
            if record.source is KeySource.KEYCHAIN:
                keychain.delete_key(profile_id)
            raise from_os_error(exc, paths.keysource) from exc
    elif record.source is KeySource.KEYCHAIN:
        key = key_from_keychain(keychain, profile_id, record)
    else:
        # also finishes an interrupted key change and upgrades old scrypt parameters
        key = rekey.unlock(paths, record, passphrase)
    if not database_exists:
        create_private_file(paths.database)

    db, full_check = _open_checked(paths.database, key, database_exists)
    try:
        migrations.check_supported(migrations.read_version(db))
        name_key = finish_schema(db, profile_id)
        if full_check:
            integrity.record_full_check(db)
    except BaseException:
        db.close()
        raise
    return paths, db, BlobFiles(paths.blobs, name_key), record.source


def _open_checked(path: Path, key: bytes, existed: bool) -> tuple[Database, bool]:
    """Open the database after the start-up check of :mod:`.integrity`; return the connection
    and whether the full check ran (a new store counts as checked). Nothing is written first."""
    if not existed:
        return _open(path, key), True
    if integrity.unclean_shutdown(path):
        # Checked through a read-only connection: closing a writable one would copy the WAL a
        # crash left into the file, and a refused cache must stay exactly as it was.
        probe = _open(path, key, read_only=True)
        try:
            integrity.check_at_start(probe, unclean=True)
        finally:
            probe.close()
        return _open(path, key), True
    db = _open(path, key)
    try:
        return db, integrity.check_at_start(db, unclean=False)
    except BaseException:
        db.close()
        raise


def _open(path: Path, key: bytes, *, read_only: bool = False) -> Database:
    try:
        return Database.open(path, key, read_only=read_only)
    except DatabaseCorrupt as exc:  # the key is right (checked before): page 1 or the size
        raise integrity.damaged(path, exc) from exc


def finish_schema(db: Database, profile_id: str) -> bytes:
    """Pragmas, migrations and the profile claim on an open database whose version was accepted;
    returns the blob name key. Shared by opening and by :mod:`.recovery` building a new cache."""
    db.configure()
    migrations.migrate(db)
    _claim_profile(db, profile_id)
    name_key = db.query_value("SELECT value FROM store_meta WHERE name = 'blob_name_key'")
    if not isinstance(name_key, bytes):
        raise StoreBug("the blob name key is missing from store_meta")
    return name_key


def wipe_profile(directory: Path | str | None, profile_id: str) -> list[Path]:
    """Delete a profile's cache without opening it (e.g. the passphrase is forgotten).

    Same effect as :meth:`LocalStore.wipe`; the store must not be open. Returns files that could
    not be removed.
    """
    paths = ProfilePaths.for_profile(directory, profile_id)
    Keychain.detect().delete_key(profile_id)
    try:
        return remove_profile_files(paths)
    except OSError as exc:
        raise from_os_error(exc, paths.root) from exc


def _non_empty(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except FileNotFoundError:
        return False


def _prepare_folder(paths: ProfilePaths, database_exists: bool) -> None:
    """Create the profile folder and make sure we can write there before touching anything."""
    try:
        paths.root.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise from_os_error(exc, paths.root) from exc
    if not os.access(paths.root, os.W_OK):
        raise ReadOnlyLocation(str(paths.root))
    if database_exists and not os.access(paths.database, os.W_OK):
        raise ReadOnlyLocation(str(paths.root), f"{paths.database.name} is read-only")


def create_private_file(path: Path) -> None:
    """Create the database file ourselves so that it - and the WAL and -shm files SQLite gives
    the same permissions - is private to this user whatever the umask says."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    except OSError as exc:
        raise from_os_error(exc, path) from exc


def _claim_profile(db: Database, profile_id: str) -> None:
    """Record whose cache this is on first open; afterwards only read it (opening writes nothing)."""
    found = db.query_value("SELECT profile_id FROM profile WHERE id = 1")
    if found is None:
        db.execute(
            "INSERT INTO profile (id, profile_id, created_at) VALUES (1, ?, ?)",
            (profile_id, now_ms()),
        )
        found = profile_id
    if found != profile_id:
        raise ProfileMismatch(profile_id, str(found))
