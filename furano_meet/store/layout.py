"""Where a profile's cache lives on disk, and how to remove all of it.

One profile owns one folder::

    <data dir>/profiles/<profile id>/
        cache.db            the SQLCipher database (plus cache.db-wal and cache.db-shm while open)
        keysource.json      how the database key is obtained: keychain, or passphrase + scrypt salt
        keysource.next.json only while the database key is being changed (crash-safe rekey)
        blobs/<64 hex>      complete document ciphertext, named by an opaque keyed hash
        blobs/<64 hex>.part a download being resumed
        blobs/<64 hex>.tmp  a write in progress (write, fsync, rename)
        damaged-<UTC time>/ a damaged database moved aside by recovery, with its report
        unsent-changes-<UTC time>.export   unsent changes recovery could not carry (encrypted)

``<data dir>`` is the platform's per-user data folder for the app (``platformdirs``, app name
"FuranoMeet") unless the caller passes another one; tests always do.

Nothing in this folder is plaintext: the database and its WAL are encrypted by SQLCipher, the blobs
are end-to-end ciphertext whose keys live only inside the database, and the key description file
holds a salt and a key-check value but never the key.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import platformdirs

__all__ = [
    "APP_NAME",
    "DAMAGED_PREFIX",
    "EXPORT_PREFIX",
    "ProfilePaths",
    "default_data_dir",
    "fsync_directory",
    "remove_profile_files",
]

APP_NAME = "FuranoMeet"
DAMAGED_PREFIX = "damaged-"
"""Folders into which recovery moves a damaged database (see :mod:`.recovery`)."""
EXPORT_PREFIX = "unsent-changes-"
"""Files of unsent changes recovery could not carry into the new cache (see :mod:`.export`)."""

# Profile ids become folder names and keychain user names: keep them boring on every OS.
_PROFILE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def default_data_dir() -> Path:
    """The per-user data folder the app uses when the caller does not choose one."""
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


@dataclass(frozen=True)
class ProfilePaths:
    """The files belonging to one profile's cache."""

    profile_id: str
    root: Path

    @classmethod
    def for_profile(cls, directory: Path | str | None, profile_id: str) -> ProfilePaths:
        """Paths for ``profile_id`` under ``directory`` (the default data folder if ``None``).

        Raises ``ValueError`` for a profile id that could escape its folder or trip a filesystem.
        """
        if not _PROFILE_ID.fullmatch(profile_id) or profile_id.strip(".") == "":
            raise ValueError(
                f"profile id {profile_id!r} must be 1-128 characters of A-Z a-z 0-9 . _ - "
                "starting with a letter or digit"
            )
        base = Path(directory) if directory is not None else default_data_dir()
        return cls(profile_id=profile_id, root=base / "profiles" / profile_id)

    @property
    def database(self) -> Path:
        return self.root / "cache.db"

    @property
    def database_sidecars(self) -> tuple[Path, ...]:
        """SQLite's companion files; they hold (encrypted) data and must go with the database."""
        db = str(self.database)
        return (Path(db + "-wal"), Path(db + "-shm"), Path(db + "-journal"))

    @property
    def keysource(self) -> Path:
        return self.root / "keysource.json"

    @property
    def keysource_pending(self) -> Path:
        """The next key description while the database key is being changed (see ``rekey``)."""
        return self.root / "keysource.next.json"

    @property
    def blobs(self) -> Path:
        return self.root / "blobs"


def remove_profile_files(paths: ProfilePaths) -> list[Path]:
    """Delete everything the store put in the profile folder; return what could not be removed.

    Removes the key description file, the database and its sidecars, the blob folder and what
    recovery left (moved-aside damaged databases, exported unsent changes: recovery never deletes
    them, a wipe is the user's decision to), then the profile folder and the ``profiles`` folder
    if they are empty. Files the store did not create are left alone (and keep the folder alive),
    because a wipe must never destroy a user's own files that happen to sit there.
    """
    left: list[Path] = []
    if paths.root.is_dir():
        for entry in paths.root.iterdir():
            if entry.name.startswith(DAMAGED_PREFIX) and entry.is_dir():
                left += _remove_folder(entry)
            elif entry.name.startswith(EXPORT_PREFIX) and entry.is_file():
                with contextlib.suppress(FileNotFoundError):
                    entry.unlink()
    # The key description first: without its salt a passphrase-protected database is already
    # unreadable, should anything below fail.
    for path in (
        paths.keysource,
        paths.keysource_pending,
        paths.database,
        *paths.database_sidecars,
    ):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    if paths.blobs.is_dir():
        left += _remove_folder(paths.blobs)
    for folder in (paths.root, paths.root.parent):
        try:
            folder.rmdir()
        except FileNotFoundError:
            continue
        except OSError:
            if folder == paths.root:
                left.extend(sorted(paths.root.iterdir()))
            break
    return left


def _remove_folder(folder: Path) -> list[Path]:
    """Remove the files of a folder the store made, then the folder; return what stayed."""
    left: list[Path] = []
    for entry in folder.iterdir():
        try:
            entry.unlink()
        except FileNotFoundError:
            continue
        except OSError:
            left.append(entry)
    with contextlib.suppress(OSError):
        folder.rmdir()
    return left


def fsync_directory(path: Path) -> None:
    """Make a rename or create in ``path`` durable (POSIX; a no-op where folders cannot be opened)."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
