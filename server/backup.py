"""Backing up a running relay and restoring it into a new data directory.

Theory of operation
-------------------
A relay's state is its SQLite database plus the content-addressed blobs the database refers
to.  A backup must be consistent while the relay keeps serving, so it is taken in this order:

1. the database, through SQLite's online backup API in one step: a snapshot of one committed
   state, whatever the relay writes meanwhile (WAL mode lets it keep writing);
2. then exactly the blobs *that snapshot* refers to.  A blob is renamed into ``blobs/`` before
   the row that publishes it commits (:mod:`server.handlers.uploads`) and is never modified
   afterwards (its name is its SHA-256), so every blob the snapshot names is already complete
   on disk; each one is hashed while it is copied, so a damaged blob fails the backup instead
   of poisoning it.

Uploads still in flight (``uploads/*.part``) are not copied: a clerk's app resumes or restarts
them.  Everything is written into ``<dest>.partial`` and renamed to ``<dest>`` at the end, so a
backup that was interrupted is never mistaken for a complete one.  ``restore`` checks the
snapshot (``PRAGMA integrity_check``, every blob present and matching its name) and builds the
new data directory the same way; it refuses to write into a directory that holds anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from furano_meet.errors import Fault, FuranoError

from .blobs import blob_path, fsync_dir

DATABASE = "relay.sqlite3"
MANIFEST = "backup.json"
FORMAT = 1
_COPY_CHUNK = 1024 * 1024


class BackupError(FuranoError):
    """A backup or restore was refused; nothing was left half-written at the target."""

    code = "relay_backup_refused"
    fault = Fault.USER


@dataclass(frozen=True, slots=True)
class BackupSummary:
    documents: int
    blobs: int
    blob_bytes: int


def backup(data_dir: Path, dest: Path) -> BackupSummary:
    """Copy the relay in ``data_dir`` (running or not) to the new directory ``dest``."""
    source = data_dir / DATABASE
    if not source.is_file():
        raise BackupError(
            f"{data_dir} holds no relay database.", "Give the relay's data directory with --data."
        )
    work = _fresh_target(dest)
    snapshot = work / DATABASE
    live = sqlite3.connect(source)
    try:
        copy = sqlite3.connect(snapshot)
        try:
            live.backup(copy)  # all pages in one step: one consistent, committed state
            documents, digests = _referenced_blobs(copy)
        finally:
            copy.close()
    finally:
        live.close()
    summary = _copy_blobs(data_dir / "blobs", work / "blobs", digests, documents)
    _finish(work, dest, summary)
    return summary


def restore(backup_dir: Path, data_dir: Path) -> BackupSummary:
    """Build a new relay data directory ``data_dir`` from the backup in ``backup_dir``."""
    try:
        manifest = json.loads((backup_dir / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        raise BackupError(
            f"{backup_dir} is not a complete relay backup (no readable {MANIFEST}).",
            "Give the folder a 'furano-relay backup' created.",
        ) from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{backup_dir} is a backup of format {manifest.get('format')!r}.")
    work = _fresh_target(data_dir)
    shutil.copyfile(backup_dir / DATABASE, work / DATABASE)
    db = sqlite3.connect(work / DATABASE)
    try:
        (verdict,) = db.execute("PRAGMA integrity_check").fetchone()
        if verdict != "ok":
            shutil.rmtree(work)
            raise BackupError(f"The database in {backup_dir} is damaged ({verdict}).")
        documents, digests = _referenced_blobs(db)
    finally:
        db.close()
    summary = _copy_blobs(backup_dir / "blobs", work / "blobs", digests, documents)
    _finish(work, data_dir, summary)
    return summary


def _fresh_target(target: Path) -> Path:
    """The scratch directory beside ``target``; refuses a ``target`` that holds anything."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(
            f"{target} already exists and is not empty; nothing was written.",
            "Choose a new folder (a backup or restore never overwrites anything).",
        )
    work = target.with_name(target.name + ".partial")
    if work.exists():
        shutil.rmtree(work)  # left over from an interrupted run: never a complete copy
    work.mkdir(parents=True)
    return work


def _referenced_blobs(db: sqlite3.Connection) -> tuple[int, list[str]]:
    (documents,) = db.execute("SELECT COUNT(*) FROM documents").fetchone()
    digests = [row[0] for row in db.execute("SELECT DISTINCT sha256 FROM documents")]
    return documents, digests


def _copy_blobs(source: Path, target: Path, digests: list[str], documents: int) -> BackupSummary:
    """Copy the named blobs from one ``blobs/`` directory to another, verified and durable."""
    target.mkdir()
    total = 0
    for digest in digests:
        total += _copy_verified(blob_path(source, digest), blob_path(target, digest), digest)
    for folder in {blob_path(target, d).parent for d in digests}:
        fsync_dir(folder)
    fsync_dir(target)
    return BackupSummary(documents, len(digests), total)


def _copy_verified(src: Path, dst: Path, digest: str) -> int:
    """Copy one blob, checking it against its name; the bytes copied."""
    dst.parent.mkdir(exist_ok=True)
    hasher = hashlib.sha256()
    size = 0
    try:
        with src.open("rb") as reader, dst.open("wb") as writer:
            while block := reader.read(_COPY_CHUNK):
                hasher.update(block)
                writer.write(block)
                size += len(block)
            writer.flush()
            os.fsync(writer.fileno())
    except FileNotFoundError:
        raise BackupError(
            f"The document file {digest} is missing from {src.parent.parent}.",
            "The relay's data directory is damaged; restore it from an older backup.",
        ) from None
    if hasher.hexdigest() != digest:
        raise BackupError(
            f"The document file {src} does not match its SHA-256.",
            "The relay's data directory is damaged; restore it from an older backup.",
        )
    return size


def _finish(work: Path, target: Path, summary: BackupSummary) -> None:
    """Write the manifest, make everything durable, then give the directory its name."""
    manifest = {
        "format": FORMAT,
        "documents": summary.documents,
        "blobs": summary.blobs,
        "blob_bytes": summary.blob_bytes,
    }
    with (work / MANIFEST).open("w", encoding="utf-8") as file:
        json.dump(manifest, file, indent=2)
        file.flush()
        os.fsync(file.fileno())
    with (work / DATABASE).open("rb+") as db:
        os.fsync(db.fileno())
    fsync_dir(work)
    if target.exists():
        target.rmdir()  # empty (checked by _fresh_target)
    os.replace(work, target)
    fsync_dir(target.parent)
