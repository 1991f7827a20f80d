from __future__ import annotations

import errno
import hashlib
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
