"""Content-addressed blob storage and resumable partial uploads.

Theory of operation
-------------------
A published blob lives at ``blobs/<sha[:2]>/<sha>`` and is never modified: its name *is* its
SHA-256, so two meetings publishing the same bytes share one file and a download can be served
without trusting any index.  While an upload is in flight its bytes go to
``uploads/<transfer key>.part``, appended strictly in order; the transfer key is derived from
(meeting, document, version, sha256), so a client that reconnects — even to a restarted relay —
resumes where the file ends.  Only when the whole file hashes to the announced SHA-256 is it
fsynced, renamed into ``blobs/`` and the directory fsynced; a partial or corrupt upload is
therefore never visible as a published document.

A ``.part`` file has one writer at a time: the relay lets one connection own a transfer key
(a second ``begin_upload`` takes it over and the first stops), so the running hash kept in
memory always describes the file.  The file is opened ``O_APPEND`` as a second line of defence,
and the ``uploads/`` directory is fsynced when a file is created, so progress acknowledged with
``upload_progress`` (an fsync of the file) cannot vanish with its directory entry in a power cut.

Blobs are client-encrypted: the relay stores ciphertext and never sees a document's plaintext.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
from pathlib import Path

_READ_CHUNK = 1024 * 1024


def transfer_key(meeting_id: str, document_id: str, version: int, sha256: str) -> str:
    """Stable name of an upload, so it can resume across connections and restarts."""
    raw = f"{meeting_id}\0{document_id}\0{version}\0{sha256}".encode()
    return hashlib.sha256(raw).hexdigest()[:32]


class PartialUpload:
    """An append-only file plus the running hash of what it holds."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._hasher = hashlib.sha256()
        self.size = 0
        flags = os.O_RDWR | os.O_APPEND | getattr(os, "O_BINARY", 0)
        try:
            self._fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o600)
            created = True
        except FileExistsError:
            self._fd = os.open(path, flags)
            created = False
        try:
            if created:
                fsync_dir(path.parent)
            while block := os.read(self._fd, _READ_CHUNK):
                self._hasher.update(block)
                self.size += len(block)
        except BaseException:
            os.close(self._fd)
            raise

    def append(self, data: bytes | memoryview) -> None:
        """Append at the end. On a short write the file is cut back so it stays consistent."""
        try:
            view = memoryview(data)
            written = 0
            while written < len(view):
                written += os.write(self._fd, view[written:])
        except OSError:
            os.ftruncate(self._fd, self.size)  # O_APPEND: the next write lands at the new end
            raise
        self._hasher.update(data)
        self.size += len(data)

    def sync(self) -> None:
        fd = self._fd
        if fd < 0:  # closed meanwhile (the upload was taken over): nothing left to make durable
            return
        os.fsync(fd)

    def hexdigest(self) -> str:
        return self._hasher.hexdigest()

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def blob_path(blobs: Path, sha256: str) -> Path:
    """Where the blob named ``sha256`` lives under a ``blobs/`` directory."""
    return blobs / sha256[:2] / sha256


class BlobStore:
    """The ``blobs/`` and ``uploads/`` directories under the relay's data directory."""

    def __init__(self, root: Path, *, min_free_bytes: int = 0) -> None:
        self.blobs = root / "blobs"
        self.uploads = root / "uploads"
        self.min_free_bytes = min_free_bytes
        self.blobs.mkdir(parents=True, exist_ok=True)
        self.uploads.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        return blob_path(self.blobs, sha256)

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def ensure_space(self, needed: int) -> None:
        """Refuse early (ENOSPC) rather than fill the disk to the last byte mid-upload."""
        free = shutil.disk_usage(self.uploads).free
        if free - needed < self.min_free_bytes:
            raise OSError(errno.ENOSPC, "not enough free space for this upload")

    def open_partial(self, key: str) -> PartialUpload:
        return PartialUpload(self.uploads / f"{key}.part")

    def partial_size(self, key: str) -> int:
        """Bytes already received for ``key`` (0 when nothing was)."""
        try:
            return (self.uploads / f"{key}.part").stat().st_size
        except FileNotFoundError:
            return 0

    def discard(self, key: str) -> None:
        (self.uploads / f"{key}.part").unlink(missing_ok=True)

    def commit(self, partial: PartialUpload, sha256: str) -> None:
        """Move a complete, verified upload into place, durably."""
        if partial.hexdigest() != sha256:
            raise ValueError("hash mismatch")
        partial.sync()
        partial.close()
        target = self.path(sha256)
        target.parent.mkdir(exist_ok=True)
        os.replace(partial.path, target)
        fsync_dir(target.parent)
        fsync_dir(partial.path.parent)


def fsync_dir(path: Path) -> None:
    if os.name == "nt":  # pragma: no cover - directories cannot be fsynced on Windows
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
