"""Blob files: opaque names, resumable appends, verified completion, atomic writes, full disks."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from furano_meet.store.blobs import BlobFiles
from furano_meet.store.errors import (
    BlobHashMismatch,
    BlobMissing,
    DocumentNotDownloading,
    ResumeOffsetMismatch,
    StorageFull,
)

from .conftest import fill_up

REPO = Path(__file__).resolve().parents[2]
NAME_KEY = b"n" * 32


@pytest.fixture
def blobs(tmp_path: Path) -> BlobFiles:
    return BlobFiles(tmp_path / "blobs", NAME_KEY)


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def test_names_are_opaque_and_keyed(tmp_path: Path) -> None:
    one = BlobFiles(tmp_path, NAME_KEY)
    other = BlobFiles(tmp_path, b"o" * 32)
    name = one.name_for("agenda-2025-06", 3)
    assert len(name) == 64 and "agenda" not in name
    assert name == one.name_for("agenda-2025-06", 3)
    assert name != one.name_for("agenda-2025-06", 4)
    assert name != other.name_for("agenda-2025-06", 3)  # unguessable without the database


def test_append_resume_and_complete(blobs: BlobFiles) -> None:
    data = os.urandom(300_000)
    assert blobs.received("d", 1) == 0
    assert blobs.append("d", 1, 0, data[:100_000]) == 100_000
    # ... the app restarts here; the offset comes from the file, not from memory:
    assert blobs.received("d", 1) == 100_000
    assert blobs.append("d", 1, 100_000, data[100_000:]) == 300_000
    assert not blobs.path("d", 1).exists()  # not visible until verified
    assert blobs.finish("d", 1, sha(data)) == 300_000
    assert blobs.read("d", 1) == data
    assert blobs.received("d", 1) == 300_000
    assert sorted(p.name for p in blobs.directory.iterdir()) == [blobs.name_for("d", 1)]
    # Finishing again (e.g. after a crash before the database was updated) is harmless.
    assert blobs.finish("d", 1, sha(data)) == 300_000


def test_append_at_the_wrong_offset_writes_nothing(blobs: BlobFiles) -> None:
    blobs.append("d", 1, 0, b"abc")
    for offset in (0, 2, 4):
        with pytest.raises(ResumeOffsetMismatch) as caught:
            blobs.append("d", 1, offset, b"xyz")
        assert caught.value.expected == 3
    assert blobs.received("d", 1) == 3


def test_hash_mismatch_keeps_the_partial_file(blobs: BlobFiles) -> None:
    blobs.append("d", 1, 0, b"tampered")
    with pytest.raises(BlobHashMismatch) as caught:
        blobs.finish("d", 1, sha(b"original"))
    assert caught.value.code == "blob_hash_mismatch"
    assert sha(b"original").hex() in caught.value.message
    assert blobs.received("d", 1) == len(b"tampered")
    assert not blobs.path("d", 1).exists()
    blobs.discard("d", 1)
    assert blobs.received("d", 1) == 0


@pytest.mark.parametrize("size", [5000, 2 * 1024 * 1024])  # inline hash; hash beside the write
def test_whole_blob_write_is_verified_and_atomic(blobs: BlobFiles, size: int) -> None:
    data = os.urandom(size)
    with pytest.raises(BlobHashMismatch):
        blobs.write("d", 2, data, sha(b"other"))
    assert blobs.names() == set()
    assert not [p for p in blobs.directory.glob("*") if p.is_file()]  # not even a .tmp
    blobs.write("d", 2, data, sha(data))
    assert blobs.read("d", 2) == data
    assert [p.suffix for p in blobs.directory.iterdir()] == [""]  # no .tmp left behind


def test_empty_blob_and_missing_blob(blobs: BlobFiles) -> None:
    assert blobs.finish("empty", 1, sha(b"")) == 0
    assert blobs.read("empty", 1) == b""
    with pytest.raises(BlobMissing):
        blobs.read("never", 1)
    with pytest.raises(BlobMissing):
        blobs.finish("never", 1, sha(b"something"))


def test_no_appending_to_a_finished_blob(blobs: BlobFiles) -> None:
    blobs.append("d", 1, 0, b"abc")
    blobs.finish("d", 1, sha(b"abc"))
    with pytest.raises(DocumentNotDownloading):
        blobs.append("d", 1, 3, b"def")
    assert blobs.read("d", 1) == b"abc"


def test_sweep_removes_only_unknown_blob_files(blobs: BlobFiles) -> None:
    blobs.write("keep", 1, b"k", sha(b"k"))
    blobs.append("orphan", 1, 0, b"o")
    blobs.write("orphan", 2, b"o", sha(b"o"))
    foreign = blobs.directory / "notes.txt"
    foreign.write_text("not ours")
    assert blobs.sweep({blobs.name_for("keep", 1)}) == 2
    assert blobs.names() == {blobs.name_for("keep", 1)}
    assert foreign.exists()


@pytest.mark.skipif(os.name != "posix", reason="RLIMIT_FSIZE and SIGXFSZ are POSIX")
def test_file_size_limit_is_storage_full_and_keeps_received_bytes(tmp_path: Path) -> None:
    """Portable full-disk simulation: a child process with RLIMIT_FSIZE (and SIGXFSZ ignored,
    so the write fails with EFBIG instead of killing the process)."""
    folder = tmp_path / "blobs"
    script = textwrap.dedent(
        """
        import resource, signal, sys
        from pathlib import Path
        from furano_meet.store.blobs import BlobFiles
        from furano_meet.store.errors import StorageFull

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        blobs = BlobFiles(Path(sys.argv[1]), b"n" * 32)
        done = blobs.append("d", 1, 0, b"a" * 1000)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        try:
            blobs.append("d", 1, done, b"b" * 10_000)
        except StorageFull as error:
            print(error.code, blobs.received("d", 1))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(folder)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["disk_full", "1000"]
    blobs = BlobFiles(folder, NAME_KEY)
    assert blobs.received("d", 1) == 1000
    # The download resumes where it stopped once there is room again.
    blobs.append("d", 1, 1000, b"b" * 10_000)
    assert blobs.finish("d", 1, sha(b"a" * 1000 + b"b" * 10_000)) == 11_000


def test_full_tmpfs_is_storage_full_and_keeps_received_bytes(
    tmpfs: Callable[[int], Path],
) -> None:
    """The real thing: ENOSPC on a small file system (root only)."""
    mount = tmpfs(512)
    blobs = BlobFiles(mount / "blobs", NAME_KEY)
    first = os.urandom(8192)
    blobs.append("d", 1, 0, first)
    ballast = fill_up(mount)
    with pytest.raises(StorageFull) as caught:
        blobs.append("d", 1, 8192, os.urandom(65_536))
    assert "No space left" in caught.value.message
    assert blobs.received("d", 1) == 8192
    with pytest.raises(StorageFull):
        blobs.write("d", 2, b"x" * 65_536, sha(b"x" * 65_536))
    assert blobs.names() == {blobs.name_for("d", 1)}  # no half-written .tmp
    ballast.unlink()
    rest = os.urandom(65_536)
    blobs.append("d", 1, 8192, rest)
    blobs.finish("d", 1, sha(first + rest))
    assert blobs.read("d", 1) == first + rest


def test_a_resumed_download_in_a_new_process_is_still_verified(tmp_path: Path) -> None:
    """The running hash lives in memory: a fresh BlobFiles (an app restart) rebuilds it from the
    ``.part`` file, so a wrong or a right digest is judged on every byte either way."""
    data = os.urandom(3_000_000)  # past the helper-thread threshold for each append
    first = BlobFiles(tmp_path / "blobs", NAME_KEY)
    first.append("d", 1, 0, data[:1_500_000])
    restarted = BlobFiles(tmp_path / "blobs", NAME_KEY)
    restarted.append("d", 1, 1_500_000, data[1_500_000:])
    with pytest.raises(BlobHashMismatch):
        restarted.finish("d", 1, sha(data[:-1] + b"\0"))
    assert restarted.finish("d", 1, sha(data)) == len(data)
    assert restarted.read("d", 1) == data


def test_the_running_hash_follows_the_file_not_stale_memory(blobs: BlobFiles) -> None:
    """If the ``.part`` file changes size behind the running hash (here: cut back by hand, as a
    crash or another process could), the next append and ``finish`` go by the file."""
    data = os.urandom(200_000)
    blobs.append("d", 1, 0, data[:150_000])
    part = blobs.directory / f"{blobs.name_for('d', 1)}.part"
    os.truncate(part, 100_000)
    blobs.append("d", 1, 100_000, data[100_000:])
    assert blobs.finish("d", 1, sha(data)) == 200_000
    blobs.append("e", 1, 0, data)
    with open(blobs.directory / f"{blobs.name_for('e', 1)}.part", "ab") as handle:
        handle.write(b"extra")  # longer than the running hash covers: re-read, and refused
    with pytest.raises(BlobHashMismatch):
        blobs.finish("e", 1, sha(data))
    assert blobs.finish("e", 1, sha(data + b"extra")) == len(data) + 5


def test_discarding_forgets_the_running_hash(blobs: BlobFiles) -> None:
    first, second = os.urandom(50_000), os.urandom(50_000)
    blobs.append("d", 1, 0, first)
    blobs.discard("d", 1)
    blobs.append("d", 1, 0, second)
    with pytest.raises(BlobHashMismatch):
        blobs.finish("d", 1, sha(first))
    assert blobs.finish("d", 1, sha(second)) == 50_000


# -- work alongside a write (the receiver decrypts there) ---------------------------------------


@pytest.mark.parametrize("size", [5000, 2 * 1024 * 1024])
def test_alongside_runs_once_the_bytes_are_with_the_os(blobs: BlobFiles, size: int) -> None:
    """``alongside`` (the receiver's decryption) starts only once the writer has handed every
    byte to the OS, i.e. while it waits on fsync; the digest callable is asked after that."""
    data = os.urandom(size)
    tmp = blobs.directory / f"{blobs.name_for('d', 1)}.tmp"
    seen: list[str] = []

    def alongside() -> None:
        seen.append(f"alongside saw {tmp.stat().st_size}")

    def expected() -> bytes:
        seen.append("digest asked")
        return sha(data)

    assert blobs.write("d", 1, data, expected, alongside=alongside) == sha(data)
    assert seen == [f"alongside saw {size}", "digest asked"]
    assert blobs.read("d", 1) == data

    part = blobs.directory / f"{blobs.name_for('d', 2)}.part"
    blobs.append("d", 2, 0, data, alongside=lambda: seen.append(f"{part.stat().st_size}"))
    assert seen[-1] == str(size)


class Refused(Exception):
    pass


def test_what_alongside_raises_stops_the_write_and_nothing_is_kept(blobs: BlobFiles) -> None:
    data = os.urandom(2 * 1024 * 1024)

    def refuse() -> None:
        raise Refused("a chunk does not authenticate")

    with pytest.raises(Refused):
        blobs.write("d", 1, data, sha(data), alongside=refuse)
    assert blobs.names() == set()  # no .tmp, no complete file
    first = os.urandom(5000)
    blobs.append("d", 2, 0, first)
    with pytest.raises(Refused):
        blobs.append("d", 2, 5000, data, alongside=refuse)
    assert blobs.received("d", 2) == 5000  # cut back: the refused piece is not kept
    blobs.append("d", 2, 5000, data)
    assert blobs.finish("d", 2, sha(first + data)) == 5000 + len(data)


def test_a_digest_callable_that_raises_keeps_nothing(blobs: BlobFiles) -> None:
    """The receiver's signature check fails: the blob it was checking for is not stored."""

    def forged() -> bytes:
        raise Refused("bad signature")

    with pytest.raises(Refused):
        blobs.write("d", 1, b"x" * 70_000, forged)
    assert blobs.names() == set()


def test_a_write_that_fails_skips_alongside(tmpfs: Callable[[int], Path]) -> None:
    """Disk full before the bytes are with the OS: nothing to do alongside, the store's own
    error is raised, and the helper thread does not wait forever (root only)."""
    mount = tmpfs(512)
    blobs = BlobFiles(mount / "blobs", NAME_KEY)
    blobs.append("d", 1, 0, b"a" * 8192)
    ballast = fill_up(mount)
    ran: list[bool] = []
    with pytest.raises(StorageFull):
        blobs.write("d", 2, b"x" * 65_536, sha(b"x" * 65_536), alongside=lambda: ran.append(True))
    with pytest.raises(StorageFull):
        blobs.append("d", 1, 8192, b"y" * 65_536, alongside=lambda: ran.append(True))
    assert ran == []
    assert blobs.received("d", 1) == 8192
    ballast.unlink()
