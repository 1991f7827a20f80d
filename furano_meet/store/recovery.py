"""Getting a device back from a damaged cache: keep whatever can be read, say what was lost.

Theory of operation
-------------------
:func:`recover_profile` is what ``furano-meet recover`` (and the app's Recover) runs after opening
refused the cache as damaged (:mod:`.integrity`). It never deletes and never writes to what it
finds; the steps are ordered so that a crash at any point is finished by running it again:

1. **Is anything wrong?** A recovery that stopped half-way (a ``damaged-*`` folder without its
   report) is resumed. Otherwise the cache is opened and fully checked; a healthy cache is left
   alone and the report says so - running recovery twice changes nothing the second time.
2. **Move the damaged files aside**: ``cache.db`` and its WAL/shared-memory files are *renamed*
   into ``damaged-<UTC time>/`` in the profile folder (with a copy of ``keysource.json``, so the
   folder can still be opened by support). From here on a normal open refuses the profile
   (``cache_damaged``) instead of creating an empty cache over the loss.
3. **Salvage from a copy** (:mod:`.salvage`): the moved files are copied to a work folder and only
   the copy is opened, so the originals stay byte-for-byte as they were.
4. **Build a new cache** beside the old one (``cache.db.recovering``) under the same key, and carry
   over, row by row: the blob-name key (so downloaded documents stay usable), the settings (the
   account and the private-note keys), this device's identity (device id, keys, relay token),
   meetings and every epoch of their keys, documents and their search text, annotations, and the
   outbox of unsent changes with its order. **Sync cursors are not carried**: the next sync
   fetches every operation again from the start (applying one twice is harmless), so nothing that
   was lost with a damaged page stays missing. Unsent changes the new cache refuses are written to
   an encrypted file in the profile folder (:mod:`.export`) and replayed by the next run.
5. **Report**: what was kept, what was lost and exactly what the user must ask the administrator
   for (a new invitation if the identity was lost, nothing otherwise) is written into the
   ``damaged-*`` folder - its presence marks that folder as finished - and returned.
6. **Commit**: the new cache is renamed to ``cache.db``.

A healthy run also replays unsent changes exported by an earlier recovery (step 4).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from . import export, integrity, profile
from .database import Database
from .errors import DatabaseCorrupt, KeySourceMissing, StoreError, from_os_error
from .keysource import (
    Keychain,
    KeySource,
    key_from_keychain,
    key_from_passphrase,
    read_record,
)
from .layout import DAMAGED_PREFIX, ProfilePaths, fsync_directory
from .recovery_report import RecoveryReport, TableReport
from .salvage import Salvaged, Salvager

__all__ = ["REPORT_NAME", "RecoveryReport", "TableReport", "recover_profile"]

REPORT_NAME = "recovery-report.txt"
_REPORT_DATA = "recovery-report.json"
_PROBLEM = "problem.txt"
_WORK = ".recovery-work"

#: What is carried into the new cache, in foreign-key order: (table, has a rowid, what it is).
#: The columns are the new cache's own (``PRAGMA table_info``) that the damaged one also has.
_CARRIED = (
    ("settings", False, "settings (account, private-note keys)"),
    ("device", True, "this device's identity"),
    ("meetings", True, "meetings"),
    ("meeting_keys", False, "meeting keys"),
    ("documents", True, "documents"),
    ("annotations", True, "notes and annotations"),
    ("outbox", True, "unsent changes"),
    ("page_text_rows", True, "search text"),
)
_NEED_BLOB_KEY = {"documents", "page_text_rows"}  # useless without the blob names


def recover_profile(
    directory: Path | str | None, profile_id: str, passphrase: str | None = None
) -> RecoveryReport:
    """Recover the cache of ``profile_id`` (see the module docstring); safe to run again.

    Needs the cache's key (the keychain, or ``passphrase``): raises :class:`PassphraseRequired`,
    :class:`WrongPassphrase`, :class:`KeySourceMissing` and the store's environment errors.
    """
    paths = ProfilePaths.for_profile(directory, profile_id)
    record = read_record(paths.keysource)
    if record is None:
        raise KeySourceMissing(str(paths.keysource))
    if record.source is KeySource.KEYCHAIN:
        key = key_from_keychain(Keychain.detect(), profile_id, record)
    else:
        key = key_from_passphrase(record, passphrase)
    try:
        return _recover(paths, key, passphrase)
    except OSError as exc:
        raise from_os_error(exc, paths.root) from exc


def _recover(paths: ProfilePaths, key: bytes, passphrase: str | None) -> RecoveryReport:
    folder = _unfinished(paths)
    if folder is not None and (folder / _REPORT_DATA).exists():
        _commit(paths)  # crashed between the report and the rename: only the rename is left
        return RecoveryReport.from_json((folder / _REPORT_DATA).read_text(encoding="utf-8"))
    if folder is None:
        problem = _problem(paths, passphrase)
        if problem is None:
            return RecoveryReport(
                paths.profile_id, damaged=False, replayed=_replay(paths, passphrase, key)
            )
        folder = _new_folder(paths, problem)
    _move_aside(paths, folder)  # again after a crash: whatever was not moved yet
    try:
        problem = (folder / _PROBLEM).read_text(encoding="utf-8")
    except FileNotFoundError:
        problem = "unknown (an earlier recovery was interrupted before it could note it)"
    report = _rebuild(paths, key, folder, problem)
    _write(folder / REPORT_NAME, report.text())
    _write(folder / _REPORT_DATA, report.to_json())  # last: marks the folder finished
    _commit(paths)
    return report


def _unfinished(paths: ProfilePaths) -> Path | None:
    """A ``damaged-*`` folder whose recovery did not finish (no report, or no rename yet)."""
    if not paths.root.is_dir():
        return None
    for folder in sorted(paths.root.glob(DAMAGED_PREFIX + "*"), reverse=True):
        if not (folder / _REPORT_DATA).exists() or _new_cache(paths).exists():
            return folder
    return None


def _problem(paths: ProfilePaths, passphrase: str | None) -> str | None:
    """What is wrong with the cache, ``None`` if it opens and passes the full check."""
    try:
        opened = profile.open_profile(paths.root.parent.parent, paths.profile_id, passphrase)
    except DatabaseCorrupt as exc:
        return exc.message
    db = opened[1]
    try:
        integrity.check_everything(db)
    except DatabaseCorrupt as exc:
        return exc.message
    finally:
        db.close()
    return None


def _new_folder(paths: ProfilePaths, problem: str) -> Path:
    """Step 2 begins: a new ``damaged-<UTC time>`` folder with the key description and the
    problem found."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = paths.root / f"{DAMAGED_PREFIX}{stamp}"
    suffix = 1
    while folder.exists():
        suffix += 1
        folder = paths.root / f"{DAMAGED_PREFIX}{stamp}-{suffix}"
    folder.mkdir(mode=0o700)
    shutil.copy2(paths.keysource, folder / paths.keysource.name)
    _write(folder / _PROBLEM, problem)
    return folder


def _move_aside(paths: ProfilePaths, folder: Path) -> None:
    """Step 2: rename the damaged database and its WAL and shared-memory files into ``folder``
    (never delete them). Idempotent: what was moved already is not there any more."""
    for path in (paths.database, *paths.database_sidecars):
        with contextlib.suppress(FileNotFoundError):
            os.replace(path, folder / path.name)
    fsync_directory(folder)
    fsync_directory(paths.root)


def _rebuild(paths: ProfilePaths, key: bytes, folder: Path, problem: str) -> RecoveryReport:
    """Steps 3 and 4: salvage from a copy of the moved files into ``cache.db.recovering``."""
    work = paths.root / _WORK
    shutil.rmtree(work, ignore_errors=True)  # our own copy from an interrupted run
    work.mkdir(mode=0o700)
    try:
        copy = work / paths.database.name
        for path in (paths.database, *paths.database_sidecars[:1]):  # the database and its WAL
            if (folder / path.name).exists():
                shutil.copyfile(folder / path.name, work / path.name)
        db = _new_database(paths, key)
        try:
            readable = copy.exists() and copy.stat().st_size > 0
            salvaged = _salvage(copy, key, db) if readable else {}
            tables, notes, refused = _carry(db, salvaged)
            integrity.record_full_check(db)
        finally:
            db.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    exported = export.write(paths.root, key, refused) if refused else None
    device = salvaged.get("device")
    device_id = (
        str(device.rows[0][device.columns.index("device_id")])
        if device is not None and device.rows
        else None
    )
    settings = tables[0]
    return RecoveryReport(
        paths.profile_id,
        damaged=True,
        problem=problem,
        moved_to=str(folder),
        identity_kept=device_id is not None and settings.kept > 0 and not settings.incomplete,
        device_id=device_id,
        tables=tuple(tables),
        exported=len(refused),
        export_file=None if exported is None else str(exported),
        notes=tuple(notes),
    )


def _new_database(paths: ProfilePaths, key: bytes) -> Database:
    """An empty cache with the current schema at ``cache.db.recovering``, under ``key``."""
    new = _new_cache(paths)
    for path in (new, *(Path(f"{new}{end}") for end in ("-wal", "-shm", "-journal"))):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # a half-built cache from an interrupted run
    profile.create_private_file(new)
    db = Database.open(new, key)
    try:
        profile.finish_schema(db, paths.profile_id)
    except BaseException:
        db.close()
        raise
    return db


def _salvage(copy: Path, key: bytes, new: Database) -> dict[str, Salvaged]:
    """Every readable row of the carried tables (and the blob-name key) from the copy."""
    with Salvager(copy, key) as salvager:
        found = {
            table: salvager.table(table, _columns(new, table), rowid=rowid)
            for table, rowid, _what in _CARRIED
        }
        found["store_meta"] = salvager.table("store_meta", ("name", "value"), rowid=False)
    return found


def _columns(db: Database, table: str) -> tuple[str, ...]:
    return tuple(str(row[1]) for row in db.query(f"PRAGMA table_info({table})"))


def _carry(
    db: Database, salvaged: dict[str, Salvaged]
) -> tuple[list[TableReport], list[str], list[dict[str, object]]]:
    """Insert the salvaged rows; return what was kept and lost per table (in ``_CARRIED``
    order), notes for the report, and the unsent changes the new cache refused."""
    blob_key = _blob_key(salvaged.get("store_meta"))
    notes: list[str] = []
    if blob_key is not None:
        db.execute("UPDATE store_meta SET value = ? WHERE name = 'blob_name_key'", (blob_key,))
    elif salvaged:
        notes.append(
            "Downloaded documents could not be matched to their files; they will be "
            "downloaded again."
        )
    tables: list[TableReport] = []
    refused: list[dict[str, object]] = []
    with db.atomic():
        for table, _rowid, what in _CARRIED:
            found = salvaged.get(table)
            if found is None or (table in _NEED_BLOB_KEY and blob_key is None):
                tables.append(TableReport(table, what, 0, 0, incomplete=True))
                continue
            kept, failed = _insert(db, found)
            if table == "outbox":
                refused = [dict(zip(found.columns, row, strict=True)) for row in failed]
            lost = found.lost + len(failed)
            tables.append(TableReport(table, what, kept, lost, found.incomplete or found.missing))
    return tables, notes, refused


def _insert(db: Database, found: Salvaged) -> tuple[int, list[tuple[object, ...]]]:
    """Insert each salvaged row on its own; return how many went in and the rows refused."""
    sql = (
        f"INSERT INTO {found.table} ({', '.join(found.columns)}) "
        f"VALUES ({', '.join('?' * len(found.columns))})"
    )
    kept, refused = 0, []
    for row in found.rows:
        try:
            db.execute(sql, row)
        except StoreError:  # a constraint the new cache enforces (a lost meeting, a bad value)
            refused.append(tuple(row))
            continue
        kept += 1
    return kept, refused


def _blob_key(meta: Salvaged | None) -> bytes | None:
    if meta is None:
        return None
    for name, value in meta.rows:
        if name == "blob_name_key" and isinstance(value, bytes):
            return value
    return None


def _replay(paths: ProfilePaths, passphrase: str | None, key: bytes) -> int:
    """Unsent changes an earlier recovery exported: back into the (healthy) outbox."""
    files = export.pending(paths.root)
    if not files:
        return 0
    opened = profile.open_profile(paths.root.parent.parent, paths.profile_id, passphrase)
    db = opened[1]
    try:
        return sum(export.replay(db, path, key) for path in files)
    finally:
        db.close()


def _commit(paths: ProfilePaths) -> None:
    """Step 6: the new cache becomes the cache (never over an existing one)."""
    new = _new_cache(paths)
    if new.exists() and not paths.database.exists():
        os.replace(new, paths.database)
        fsync_directory(paths.root)


def _new_cache(paths: ProfilePaths) -> Path:
    return paths.root / "cache.db.recovering"


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
