from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import pytest

from server.blobs import BlobStore, transfer_key


def test_a_partial_upload_resumes_and_commits_only_when_the_hash_matches(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path)
    data = bytes(range(256)) * 1000
    sha = hashlib.sha256(data).hexdigest()
    key = transfer_key("m", "d", 1, sha)
    partial = blobs.open_partial(key)
    partial.append(data[:1000])
    partial.close()
    resumed = blobs.open_partial(key)  # e.g. after a relay restart
    assert resumed.size == 1000
    resumed.append(data[1000:])
    with pytest.raises(ValueError):
        blobs.commit(resumed, "0" * 64)
    assert not blobs.exists(sha)
    blobs.commit(resumed, sha)
    assert blobs.path(sha).read_bytes() == data
    assert not list(blobs.uploads.iterdir())


def test_transfer_keys_differ_per_document_version_and_content() -> None:
    keys = {
        transfer_key("m", "d", 1, "a" * 64),
        transfer_key("m", "d", 2, "a" * 64),
        transfer_key("m", "e", 1, "a" * 64),
        transfer_key("m", "d", 1, "b" * 64),
    }
    assert len(keys) == 4


def test_space_reserve_is_enforced(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path, min_free_bytes=1 << 60)
    with pytest.raises(OSError) as info:
        blobs.ensure_space(1)
    assert info.value.errno == errno.ENOSPC


def test_creating_a_partial_file_makes_its_directory_entry_durable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``upload_progress`` fsyncs the file; without the directory, a power cut can lose it."""
    blobs = BlobStore(tmp_path)
    synced: list[Path] = []
    real_fsync = os.fsync

    def record(fd: int) -> None:
        synced.append(Path(os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", record)
    partial = blobs.open_partial("k")
    assert synced == [blobs.uploads]
    partial.close()
    synced.clear()
    blobs.open_partial("k").close()  # resuming an existing file: nothing new to make durable
    assert synced == []


def test_a_partial_file_is_appended_to_even_if_someone_moved_the_file_offset(
    tmp_path: Path,
) -> None:
    partial = BlobStore(tmp_path).open_partial("k")
    partial.append(b"abc")
    os.lseek(partial._fd, 0, os.SEEK_SET)  # noqa: SLF001 - what a second writer would do
    partial.append(b"def")
    partial.close()
    assert (tmp_path / "uploads" / "k.part").read_bytes() == b"abcdef"
