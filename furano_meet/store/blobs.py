"""Document ciphertext as files in ``blobs/``: atomic writes, resumable appends, verified completion.

Theory of operation
-------------------
The sync engine downloads each document version as one end-to-end encrypted blob. Those bytes are
already ciphertext, and a council pack can be hundreds of megabytes, so they live as plain files
beside the database rather than inside it (SQLCipher would encrypt them a second time and bloat the
WAL).

*Why files outside the database are safe.* The key that decrypts a blob (the document content key,
or the manifest sealed under the meeting key) is stored only in the encrypted database, never in
this folder, so a copy of ``blobs/`` alone is useless. File names do not reveal which documents are
cached either: a name is HMAC-SHA256(blob-name key, doc id || version), and that key is also kept
inside the database. Deleting a blob is therefore a plain unlink: overwriting ciphertext before
unlinking it would add nothing (and on SSDs and copy-on-write file systems would not even reach the
old blocks).

*Files per document version* (``<name>`` = 64 hex characters):

* ``<name>.part`` - the download so far. :meth:`BlobFiles.append` checks that the offset equals the
  file's current size (the file, not the database, is the truth after a crash), writes, and fsyncs
  before returning, so a reported offset is durable. If the write fails (disk full) the file is cut
  back to its previous size, so a resume never sees half a chunk.
* ``<name>`` - the complete blob. :meth:`BlobFiles.finish` checks the whole ``.part`` file's
  SHA-256, refuses it if it differs, then renames it into place and fsyncs the folder. A complete
  file therefore only ever appears whole and verified.

*Hashing once.* Re-reading a large ``.part`` file just to hash it costs as much as a second
download pass, so :meth:`BlobFiles.append` keeps a running SHA-256 of exactly the bytes it wrote
(updated only after the write and fsync succeeded), and ``finish`` compares that digest when it
covers the file's current size. The file stays the truth: when the running hash does not cover
the file (a new process resuming a download after a crash, or any size disagreement), the
existing ``.part`` bytes are hashed from disk once, and ``finish`` falls back to re-reading the
file. Running hashes live in memory only; the bytes they cover were written by this process. :meth:`BlobFiles.write` does the same for a blob
  that arrived in one piece: write ``<name>.tmp``, fsync, rename.

If the process dies between the rename and the database update, the next ``finish`` finds the
complete file, verifies it and reports success, so completing is idempotent.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from .errors import (
    BlobHashMismatch,
    BlobMissing,
    DocumentNotDownloading,
    ResumeOffsetMismatch,
    from_os_error,
)
from .layout import fsync_directory

__all__ = ["BlobFiles"]

_CHUNK = 1 << 20
_NAME_LEN = 64
_SUFFIXES = ("", ".part", ".tmp")
_EMPTY_SHA256 = hashlib.sha256(b"").digest()


class BlobFiles:
    """The ciphertext files of one profile, addressed by (doc id, version)."""

    def __init__(self, directory: Path, name_key: bytes) -> None:
        if len(name_key) < 16:
            raise ValueError("the blob name key is too short")
        self.directory = directory
        self._name_key = name_key
        # name -> (SHA-256 of the first ``size`` bytes of ``<name>.part``, size); see module doc.
        self._running: dict[str, tuple[hashlib._Hash, int]] = {}
        self._running_lock = threading.Lock()

    def name_for(self, doc_id: str, version: int) -> str:
        """The opaque file name of a document version."""
        message = doc_id.encode("utf-8") + b"\x00" + str(version).encode("ascii")
        return hmac.new(self._name_key, message, hashlib.sha256).hexdigest()

    def path(self, doc_id: str, version: int) -> Path:
        """Where the complete blob lives (whether or not it exists yet)."""
        return self.directory / self.name_for(doc_id, version)

    def _part(self, name: str) -> Path:
        return self.directory / f"{name}.part"

    # -- reading state ------------------------------------------------------------------------

    def received(self, doc_id: str, version: int) -> int:
        """Bytes on disk for this version: the complete file's size, else the partial file's."""
        name = self.name_for(doc_id, version)
        for path in (self.directory / name, self._part(name)):
            try:
                return path.stat().st_size
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise from_os_error(exc, path) from exc
        return 0

    def read(self, doc_id: str, version: int) -> bytes:
        path = self.path(doc_id, version)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise BlobMissing(doc_id, version) from None
        except OSError as exc:
            raise from_os_error(exc, path) from exc

    # -- writing ------------------------------------------------------------------------------

    def append(
        self,
        doc_id: str,
        version: int,
        offset: int,
        data: bytes | bytearray,
        *,
        alongside: Callable[[], None] | None = None,
    ) -> int:
        """Append ``data`` at ``offset`` to the partial download; return the new size.

        ``alongside`` runs in the helper thread that hashes ``data``, while this thread writes
        and fsyncs: see :meth:`write`.

        Raises :class:`ResumeOffsetMismatch` if ``offset`` is not the current size (nothing is
        written), :class:`StorageFull` if the disk filled up (the file is cut back to ``offset``),
        :class:`DocumentNotDownloading` if the complete file is already in place.
        """
        name = self.name_for(doc_id, version)
        path = self._part(name)
        if (self.directory / name).exists():
            # Finished before a crash that came before the database heard of it.
            raise DocumentNotDownloading(doc_id, version, "fully received", "still downloading")
        self._ensure_directory()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        except OSError as exc:
            raise from_os_error(exc, path) from exc
        try:
            size = os.fstat(fd).st_size
            if size != offset:
                raise ResumeOffsetMismatch(doc_id, version, offset, size)
            running = self._running_hash(name, path, size)
            # Hash beside the write and fsync (both release the GIL), not after them.
            helper = _Beside(running, data, alongside)
            try:
                _write_all(fd, data)
                helper.written()
                os.fsync(fd)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, size)
                    os.fsync(fd)
                helper.join()  # the helper's error, if any, is the more telling one
                raise from_os_error(exc, path) from exc
            try:
                helper.join()
            except BaseException:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, size)
                    os.fsync(fd)
                raise
            with self._running_lock:
                self._running[name] = (running, size + len(data))
        finally:
            os.close(fd)
        if size == 0:
            self._sync_directory()
        return size + len(data)

    def finish(self, doc_id: str, version: int, sha256: bytes) -> int:
        """Verify the whole download against ``sha256`` and move it into place; return its size.

        On a mismatch raises :class:`BlobHashMismatch` and leaves the partial file as it is (the
        caller decides whether to :meth:`discard` it and start again). With nothing received at
        all raises :class:`BlobMissing` (unless ``sha256`` is that of zero bytes).
        """
        name = self.name_for(doc_id, version)
        final = self.directory / name
        part = self._part(name)
        if not part.exists() and final.exists():
            self._verify(doc_id, version, final, sha256)  # finished before a crash
            return final.stat().st_size
        if not part.exists():
            if sha256 != _EMPTY_SHA256:
                raise BlobMissing(doc_id, version)
            self.append(doc_id, version, 0, b"")  # a zero-length blob
        with self._running_lock:
            running = self._running.pop(name, None)
        try:
            on_disk = part.stat().st_size
        except OSError as exc:
            raise from_os_error(exc, part) from exc
        if running is not None and running[1] == on_disk:
            actual = running[0].digest()
            if not hmac.compare_digest(actual, sha256):
                raise BlobHashMismatch(doc_id, version, sha256.hex(), actual.hex())
            size = on_disk
        else:  # the running hash does not cover the file: read it
            size = self._verify(doc_id, version, part, sha256)
        try:
            os.replace(part, final)
        except OSError as exc:
            raise from_os_error(exc, final) from exc
        self._sync_directory()
        return size

    def write(
        self,
        doc_id: str,
        version: int,
        data: bytes | bytearray,
        sha256: bytes | Callable[[], bytes],
        *,
        alongside: Callable[[], None] | None = None,
    ) -> bytes:
        """Store a blob that arrived in one piece: write ``.tmp`` and fsync it while hashing
        it (beside the write, as :meth:`append` does), verify, rename; return the digest.
        Nothing is renamed into place unless the digest matches.

        ``sha256`` may be a callable, asked only once the bytes are durable: a receiver whose
        expected digest comes from a signature check still running in another thread lets the
        check overlap the disk write instead of delaying it. Whatever the callable raises
        propagates, and the temporary file is removed.

        ``alongside`` runs in the helper thread that hashes ``data``, after the hash and once
        this thread has handed the bytes to the OS and waits on ``fsync``: a receiver decrypts
        there (see :class:`_Beside` for why then). A helper thread of its own would make two
        CPU-bound threads beside the writer, and on a two-core tablet the writer's wake-up
        from ``fsync`` then waits for a scheduler slice (~1.8 ms for a 1.8 MB blob on the
        reference machine). If it raises, nothing is stored and its exception propagates
        (ahead of any error of the write itself).
        """
        name = self.name_for(doc_id, version)
        tmp = self.directory / f"{name}.tmp"
        final = self.directory / name
        self._ensure_directory()
        digest = hashlib.sha256()
        helper = _Beside(digest, data, alongside)
        try:
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                try:
                    _write_all(fd, data)
                    helper.written()
                    os.fsync(fd)
                finally:
                    os.close(fd)
            finally:
                try:
                    helper.join()
                except BaseException:
                    with contextlib.suppress(OSError):
                        tmp.unlink()
                    raise
            actual = digest.digest()
            try:
                expected = sha256() if callable(sha256) else sha256
            except BaseException:
                tmp.unlink()
                raise
            if not hmac.compare_digest(actual, expected):
                tmp.unlink()
                raise BlobHashMismatch(doc_id, version, expected.hex(), actual.hex())
            os.replace(tmp, final)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise from_os_error(exc, final) from exc
        with contextlib.suppress(FileNotFoundError):
            self._part(name).unlink()
        with self._running_lock:
            self._running.pop(name, None)
        self._sync_directory()
        return actual

    # -- removing -----------------------------------------------------------------------------

    def discard(self, doc_id: str, version: int) -> None:
        """Remove every file of a document version (complete, partial, temporary). No overwrite:
        the files are ciphertext whose key is in the database (see the module docstring)."""
        self._unlink_names([self.name_for(doc_id, version)])

    def sweep(self, keep: Iterable[str]) -> int:
        """Remove blob files whose name is not in ``keep`` (left behind by a crash); count them.

        Files that do not look like ours (wrong length or suffix) are left alone.
        """
        wanted = set(keep)
        orphans = {name for name in self.names() if name not in wanted}
        return self._unlink_names(orphans)

    def names(self) -> set[str]:
        """Names (without suffix) of every blob file present."""
        try:
            entries = list(self.directory.iterdir())
        except FileNotFoundError:
            return set()
        except OSError as exc:
            raise from_os_error(exc, self.directory) from exc
        found = set()
        for entry in entries:
            stem, _, suffix = entry.name.partition(".")
            if len(stem) == _NAME_LEN and ("." + suffix if suffix else "") in _SUFFIXES:
                found.add(stem)
        return found

    def _unlink_names(self, names: Iterable[str]) -> int:
        removed = 0
        for name in names:
            with self._running_lock:
                self._running.pop(name, None)
            for suffix in _SUFFIXES:
                path = self.directory / f"{name}{suffix}"
                try:
                    path.unlink()
                    removed += 1
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    raise from_os_error(exc, path) from exc
        return removed

    # -- helpers ------------------------------------------------------------------------------

    def _running_hash(self, name: str, path: Path, size: int) -> hashlib._Hash:
        """A copy of the running SHA-256 of ``path``'s first ``size`` bytes (its whole content).

        Rebuilt from the file when none is kept for exactly that size (first append after a
        restart, or after anything changed the file behind our back).
        """
        with self._running_lock:
            kept = self._running.get(name)
        if kept is not None and kept[1] == size:
            return kept[0].copy()
        digest = hashlib.sha256()
        if size:
            read = 0
            try:
                with path.open("rb") as handle:
                    while read < size and (chunk := handle.read(min(_CHUNK, size - read))):
                        digest.update(chunk)
                        read += len(chunk)
            except OSError as exc:
                raise from_os_error(exc, path) from exc
        return digest

    def _verify(self, doc_id: str, version: int, path: Path, sha256: bytes) -> int:
        digest = hashlib.sha256()
        size = 0
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
        except OSError as exc:
            raise from_os_error(exc, path) from exc
        actual = digest.digest()
        if not hmac.compare_digest(actual, sha256):
            raise BlobHashMismatch(doc_id, version, sha256.hex(), actual.hex())
        return size

    def _ensure_directory(self) -> None:
        try:
            self.directory.mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            raise from_os_error(exc, self.directory) from exc

    def _sync_directory(self) -> None:
        try:
            fsync_directory(self.directory)
        except OSError as exc:
            raise from_os_error(exc, self.directory) from exc


_PARALLEL_HASH_MIN = 1 << 20


class _Beside:
    """``digest.update(data)``, then ``alongside()`` once the writer waits on ``fsync``: one
    helper thread beside a write.

    The hash runs at once, beside the ``write`` system call (both release the GIL).
    ``alongside`` waits for :meth:`written`: on the two-core reference machine the ``write``
    call itself is CPU-bound (~3 ms for 1.8 MB into the page cache), and CPU work beside it
    delayed the ``fsync`` by as much; during the ``fsync`` the CPU is idle. :meth:`join`
    waits and re-raises what ``alongside`` raised; a write that failed before
    :meth:`written` skips ``alongside``. Hashing small data (under 1 MiB) with nothing
    alongside is not worth a thread: it is done at once instead.
    """

    def __init__(
        self, digest: hashlib._Hash, data: bytes | bytearray, alongside: Callable[[], None] | None
    ) -> None:
        self._digest, self._data, self._alongside = digest, data, alongside
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._written = threading.Event()
        self._abandoned = False
        if alongside is None and len(data) < _PARALLEL_HASH_MIN:
            digest.update(data)
            return
        self._thread = threading.Thread(target=self._run, name="blob-sha256", daemon=True)
        self._thread.start()

    def written(self) -> None:
        """(Writer) The data is with the OS; the wait for ``fsync`` starts now."""
        self._written.set()

    def _run(self) -> None:
        try:
            self._digest.update(self._data)
            if self._alongside is not None:
                self._written.wait()
                if not self._abandoned:
                    self._alongside()
        except BaseException as exc:  # handed to the writing thread by join()
            self._error = exc

    def join(self) -> None:
        if self._thread is not None:
            if not self._written.is_set():  # the write failed: nothing to do alongside it
                self._abandoned = True
                self._written.set()
            self._thread.join()
            self._thread = None
        if self._error is not None:
            error, self._error = self._error, None
            raise error


def _write_all(fd: int, data: bytes | bytearray) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
